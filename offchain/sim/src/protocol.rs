//! The simulation's market protocol, written once for every chain.
//!
//! * Pure steps: a household's order becomes the intent it signs
//!   ([`order_intent`], [`sign`]); a settled trade maps back to households
//!   and money ([`trade_result`]).
//! * [`Market`]: the whole protocol of a slot over a small [`Transport`]
//!   (setup, post intents, the DSO's fees, the matcher's commit, report,
//!   fetch, settle, audit). The in-process chain ([`crate::inprocess`]) and a
//!   node ([`crate::node`]) only implement the transport: who signs, how a
//!   message reaches the contract, how the clock moves.
//! * The commit is the online matcher's own path (`aip_matcher::online`):
//!   the slot's intents as the gateway's frozen book, screened against the
//!   chain ([`aip_matcher::intents::screen`]), planned on the contract's
//!   network, the slot's congestion fees and the corridor capacity left
//!   ([`aip_matcher::online::plan`]: `clear` then `to_commit`), and committed
//!   once with [`aip_matcher::intents::Commit`] (drop what the contract
//!   refuses, send again, at most `MAX_COMMIT_ATTEMPTS` batches). What the
//!   simulation commits is what the agent would commit for the same book.

use std::collections::{BTreeMap, BTreeSet};

use aip_matcher::agent_view::{ViewBuilder, ViewQuery, ViewSources};
use aip_matcher::intents::{ChainView, Commit, Next};
use aip_matcher::online::{
    to_routes, ChainNetwork, FeesResponse, MatchedTrade, SlotStatus, EXPIRY_MARGIN_SECS,
    MAX_COMMIT_ATTEMPTS,
};
use aip_matcher::verify::{FrozenBook, FrozenEntry};
use aip_matcher::Method;
use aip_types::hooks::PriorityScoresResponse;
use aip_types::intent::sign::IntentKey;
use aip_types::intent::{BatchIntent, IntentDomain, OrderIntent, SignedIntent};
use aip_types::{MeterId, SlotId, ZoneId};
use anyhow::{anyhow, Context, Result};
use cosmwasm_std::Uint128;
use serde::de::DeserializeOwned;
use serde::Serialize;
use settlement::msg::{
    BalanceResponse, ConfigResponse, ExecuteMsg, HoldingsResponse, QueryMsg, SlotStatusResponse,
    TradeResponse, TradeStatus, TradesResponse, Zone as SZone,
};

use crate::chain::{
    market_deposit, Audit, Capabilities, Committed, MarketChain, NewOrder, Participant, Reading,
    SettleReport, TradeResult,
};
use crate::dso::{self, ZoneForecast};
use crate::market::{Network, Order, Trade};

/// Page size of the paged settlement queries (the contract's maximum).
const PAGE: u32 = 500;
/// Accounts per reputation query (as the online agent asks).
const ACCOUNTS_CHUNK: usize = 500;

/// Whether household `i` signs EIP-712 (as MetaMask does) rather than
/// ADR-036 (as Keplr does): every fourth one, so both kinds run.
pub fn signs_eip712(i: usize) -> bool {
    i % 4 == 3
}

/// The intent of order `o` for `slot` by `owner` on its meter, bound to
/// `domain`, with `nonce` (the local id). It covers the one slot and expires
/// when the slot starts, the last moment a commit may take it. Refused, with
/// the reason, when a gateway would refuse it: outside the order bounds or
/// with an invalid field.
pub fn order_intent(
    domain: &IntentDomain,
    owner: &str,
    nonce: u64,
    slot: SlotId,
    meter: MeterId,
    o: &NewOrder,
) -> std::result::Result<OrderIntent, String> {
    aip_types::check_order(u128::from(o.wh), u128::from(o.price)).map_err(|e| e.to_string())?;
    let intent = OrderIntent {
        nonce,
        meter,
        wh: o.wh,
        limit_price: o.price,
        ..OrderIntent::for_slot(domain, owner, slot.start(), o.side)
    };
    intent.validate().map_err(|e| e.to_string())?;
    Ok(intent)
}

/// Household `i`'s signature over `intent` with its key (see
/// [`signs_eip712`]), as a wallet posts it to the gateway.
pub fn sign(key: &IntentKey, i: usize, intent: &OrderIntent) -> SignedIntent {
    if signs_eip712(i) {
        key.sign_eth(intent)
    } else {
        key.sign_cosmos(intent)
    }
}

/// How a trade settled, per household (`who` maps an account to its
/// household); `None` while it is not settled. Its `bid` and `offer` are the
/// contract's: order ids, or for a trade between intents the intents' nonces.
pub fn trade_result(
    t: &TradeResponse,
    who: impl Fn(&str) -> Result<usize>,
) -> Result<Option<TradeResult>> {
    let Some(s) = t
        .settlement
        .as_ref()
        .filter(|_| matches!(t.status, TradeStatus::Settled | TradeStatus::Ruled))
    else {
        return Ok(None);
    };
    let (wh, net, delivered) = (t.wh.u128(), t.net_wh.u128(), s.delivered_wh.u128());
    let received = (delivered * net).checked_div(wh).unwrap_or(0);
    let i = |v: Uint128| v.u128() as i128;
    Ok(Some(TradeResult {
        bid: t.bid,
        offer: t.offer,
        buyer: who(&t.buyer)?,
        seller: who(&t.seller)?,
        wh: wh as u64,
        price: t.price.u128() as u64,
        delivered_wh: delivered as u64,
        received_wh: received as u64,
        buyer_cash: -i(t.payment) - i(t.fee) + i(s.buyer_refund) + i(s.penalty),
        seller_cash: i(s.seller_paid) + i(s.collateral_returned) - i(t.collateral),
        fee: t.fee.u128(),
        penalty: s.penalty.u128(),
    }))
}

/// A contract of the simulated market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contract {
    /// The AIP CW20 token.
    Token,
    /// Settlement.
    Settlement,
    /// Reputation.
    Reputation,
    /// The meter-oracle.
    MeterOracle,
}

/// Who sends a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The grid operator: zones, corridors, node zones, congestion fees.
    Dso,
    /// The matcher: `CommitIntents`.
    Matcher,
    /// The oracle role's account, which also fetches deliveries and settles
    /// (anyone may).
    Oracle,
}

/// A household's account as the chain made it at [`Transport::enroll`].
#[derive(Clone)]
pub struct Account {
    /// Its address, which is its intent key's address.
    pub addr: String,
    /// The key it signs its intents with.
    pub key: IntentKey,
    /// Its meter (the meter-oracle's id, the same in settlement).
    pub meter: MeterId,
}

/// How the protocol reaches a chain: the narrow seam between [`Market`] and
/// the in-process chain or a node.
pub trait Transport {
    /// Label for the summary.
    fn label(&self) -> String;

    /// The chain and settlement contract every intent is bound to.
    fn domain(&self) -> Result<IntentDomain>;

    /// Makes each household an account: funded with `funding_uaip`, holding
    /// its reputation token, with a meter at its node (device key kept by the
    /// transport for [`Transport::submit_readings`]), and `deposit_uaip` of
    /// its AIP deposited in settlement. In `people` order.
    fn enroll(
        &mut self,
        people: &[Participant],
        funding_uaip: u128,
        deposit_uaip: u128,
    ) -> Result<Vec<Account>>;

    /// Sends `msgs` to `contract` as `role`, in one transaction where the
    /// chain batches them. The error is the chain's text, which carries the
    /// contract's message (`intent 3 rejected: ...`).
    fn execute<M: Serialize + std::fmt::Debug>(
        &mut self,
        role: Role,
        contract: Contract,
        msgs: &[M],
    ) -> std::result::Result<(), String>;

    /// A smart query of `contract`.
    fn query<T: DeserializeOwned>(&self, contract: Contract, msg: &impl Serialize) -> Result<T>;

    /// The address of `contract`.
    fn address(&self, contract: Contract) -> String;

    /// The chain's slot of simulation slot `slot` (a node lives in the
    /// present: whole days later).
    fn chain_slot(&self, slot: SlotId) -> Result<SlotId>;

    /// Moves chain time to simulation time `unix` (never backwards, except
    /// the first call in process, which sets the clock to the data's).
    fn set_time(&mut self, unix: u64) -> Result<()>;

    /// Chain time, unix seconds.
    fn chain_time(&self) -> Result<u64>;

    /// Every meter's device-signed reading of chain slot `slot`, submitted by
    /// the meter-oracle operators.
    fn submit_readings(&mut self, slot: SlotId, readings: &[Reading]) -> Result<()>;

    /// The accounts other than the households that may hold AIP (roles, admin).
    fn others(&self) -> Result<Vec<String>>;
}

/// A signed intent held off chain until its slot's commit.
#[derive(Debug, Clone)]
struct Held {
    /// Household index.
    owner: usize,
    signed: SignedIntent,
}

/// The settlement parameters the simulation deploys with, in-process and on
/// a node alike: the market's defaults (`MarketParams::default()`, what `aip
/// deploy` uses), with a dispute window of 0 s (the simulation opens no
/// disputes, so a slot settles as soon as its delivery data is in).
pub fn sim_settlement_params() -> settlement::msg::MarketParams {
    settlement::msg::MarketParams {
        dispute_window_secs: 0,
        ..settlement::msg::MarketParams::default()
    }
}

/// The market protocol on a chain reached through `T`.
pub struct Market<T> {
    chain: T,
    accounts: Vec<Account>,
    /// Account address -> household index.
    index: BTreeMap<String, usize>,
    domain: Option<IntentDomain>,
    /// Signed intents waiting for their slot's commit: chain slot -> local id -> intent.
    held: BTreeMap<u64, BTreeMap<u64, Held>>,
    /// The next local intent id (also the intent's nonce: unique per owner).
    next_id: u64,
    /// Seller households with committed trades, by chain slot.
    sellers: BTreeMap<u64, BTreeSet<usize>>,
    /// The routes the DSO published.
    routes: Vec<settlement::msg::Corridor>,
    params: Option<settlement::msg::MarketParams>,
    /// Reputation scores, refreshed after each settlement.
    scores: Vec<u16>,
}

impl<T> std::ops::Deref for Market<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.chain
    }
}

impl<T> std::ops::DerefMut for Market<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.chain
    }
}

impl<T: Transport> Market<T> {
    /// The protocol over `chain`; [`MarketChain::setup`] enrolls the households.
    pub fn over(chain: T) -> Market<T> {
        Market {
            chain,
            accounts: vec![],
            index: BTreeMap::new(),
            domain: None,
            held: BTreeMap::new(),
            next_id: 1,
            sellers: BTreeMap::new(),
            routes: vec![],
            params: None,
            scores: vec![],
        }
    }

    /// Household `i`'s account address.
    pub fn addr(&self, i: usize) -> &str {
        &self.accounts[i].addr
    }

    /// The chain and settlement contract intents are bound to.
    pub fn intent_domain(&self) -> Result<IntentDomain> {
        self.chain.domain()
    }

    /// The signed intents held for simulation slot `slot` (local id -> batch
    /// form).
    pub fn held_intents(&self, slot: SlotId) -> Result<BTreeMap<u64, BatchIntent>> {
        let cs = self.chain.chain_slot(slot)?;
        Ok(self
            .held
            .get(&cs.0)
            .map(|m| {
                m.iter()
                    .map(|(&id, h)| (id, BatchIntent::from_signed(&h.signed)))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The slot's intents as the gateway would freeze them (acceptance
    /// order = local id order); `only`, when given, keeps those ids.
    pub fn frozen_book(&self, slot: SlotId, only: Option<&BTreeSet<u64>>) -> Result<FrozenBook> {
        let cs = self.chain.chain_slot(slot)?;
        let intents = self
            .held
            .get(&cs.0)
            .into_iter()
            .flatten()
            .filter(|(id, _)| only.is_none_or(|o| o.contains(*id)))
            .map(|(&id, h)| FrozenEntry {
                hash: hex::encode(h.signed.intent.hash()),
                seq: id,
                signed: h.signed.clone(),
            })
            .collect();
        Ok(FrozenBook {
            slot: cs.0,
            frozen_at: cs.start(),
            book_hash: String::new(),
            intents,
        })
    }

    /// The settlement contract's ledger entry of an account.
    pub fn ledger(&self, who: &str) -> Result<BalanceResponse> {
        self.chain.query(
            Contract::Settlement,
            &QueryMsg::Balance {
                account: who.to_string(),
            },
        )
    }

    /// What the settlement contract holds, by purpose.
    pub fn holdings(&self) -> Result<HoldingsResponse> {
        self.chain
            .query(Contract::Settlement, &QueryMsg::Holdings {})
    }

    fn params(&self) -> Result<&settlement::msg::MarketParams> {
        self.params
            .as_ref()
            .ok_or_else(|| anyhow!("the market is not set up"))
    }

    fn token_balance(&self, who: &str) -> Result<u128> {
        let r: cw20::BalanceResponse = self.chain.query(
            Contract::Token,
            &cw20::Cw20QueryMsg::Balance {
                address: who.to_string(),
            },
        )?;
        Ok(r.balance.u128())
    }

    fn refresh_reputation(&mut self) -> Result<()> {
        let mut by: BTreeMap<String, u16> = BTreeMap::new();
        let accounts: Vec<String> = self.accounts.iter().map(|a| a.addr.clone()).collect();
        for chunk in accounts.chunks(ACCOUNTS_CHUNK) {
            let r: PriorityScoresResponse = self.chain.query(
                Contract::Reputation,
                &reputation::msg::QueryMsg::PriorityScores {
                    accounts: chunk.to_vec(),
                },
            )?;
            by.extend(r.scores.into_iter().map(|s| (s.account, s.score)));
        }
        self.scores = accounts
            .iter()
            .map(|a| by.get(a).copied().unwrap_or(0))
            .collect();
        Ok(())
    }

    fn settlement(&mut self, role: Role, msgs: &[ExecuteMsg], what: &str) -> Result<()> {
        self.chain
            .execute(role, Contract::Settlement, msgs)
            .map_err(|e| anyhow!("{what}: {e}"))
    }

    fn slot_status(&self, slot: SlotId) -> Result<SlotStatusResponse> {
        self.chain
            .query(Contract::Settlement, &QueryMsg::SlotStatus { slot })
    }

    /// What the online agent reads before it screens a book
    /// (`Agent::chain_view`): the registry entries of the book's meters, the
    /// node -> zone map, the zones, each intent's fill, each owner's free
    /// balance and trading terms, and the collateral parameters.
    pub fn chain_view(&self, slot: SlotId, book: &FrozenBook) -> Result<ChainView> {
        let params = self.params()?;
        let net: ChainNetwork = self
            .chain
            .query(Contract::Settlement, &QueryMsg::Network {})?;
        let sources = ViewSources {
            slot: slot.0,
            zones: net.zones.iter().map(|z| z.id).collect(),
            default_collateral_bps: params.default_collateral_bps,
            collateral_floor_price: params.collateral_floor_price.u128(),
            meter_oracle: true,
            reputation: true,
        };
        let mut b = ViewBuilder::new(book, sources, |_| true);
        while let Some(q) = b.next_query() {
            let answer: serde_json::Value = match &q {
                ViewQuery::MeterOracle(m) => self.chain.query(Contract::MeterOracle, m)?,
                ViewQuery::Settlement(m) => self.chain.query(Contract::Settlement, m)?,
                ViewQuery::Reputation(m) => self.chain.query(Contract::Reputation, m)?,
            };
            b.answer(answer)?;
        }
        Ok(b.finish())
    }

    /// The DSO's congestion fees for simulation slot `slot` from the book's
    /// forecast zone flows ([`dso::slot_fees`]), published in settlement
    /// before the slot starts. Returns what it published.
    pub fn publish_fees(
        &mut self,
        slot: SlotId,
        bids: &[Order],
        offers: &[Order],
    ) -> Result<Vec<settlement::msg::CongestionFee>> {
        let mut zones: BTreeMap<ZoneId, ZoneForecast> = BTreeMap::new();
        for o in bids {
            zones.entry(o.zone).or_default().bid_wh += o.wh;
        }
        for o in offers {
            zones.entry(o.zone).or_default().offered_wh += o.wh;
        }
        let fees = dso::slot_fees(&zones, &self.routes);
        if !fees.is_empty() {
            let slot = self.chain.chain_slot(slot)?;
            self.settlement(
                Role::Dso,
                &[ExecuteMsg::SetCongestionFees {
                    slot,
                    fees: fees.clone(),
                }],
                "publish congestion fees",
            )?;
        }
        Ok(fees)
    }

    /// The matcher's commit of simulation slot `slot`: the online agent's
    /// path (see the module docs) on the book of `bids` and `offers` (by local
    /// id), with `method`. `forced` trades (local ids of held intents outside
    /// the book) go in the same batch, unplanned: the attack evaluation's
    /// colluding pairs. They take their room in the batch first; the
    /// matcher's trades fill the rest, the best `max_batch − forced` by
    /// welfare (the others skipped as beyond the batch maximum), so the one
    /// commit of the slot never exceeds `max_batch`.
    pub fn commit_with(
        &mut self,
        slot: SlotId,
        bids: &[Order],
        offers: &[Order],
        method: Method,
        forced: &[MatchedTrade],
    ) -> Result<Committed> {
        let cs = self.chain.chain_slot(slot)?;
        let max_batch = self.params()?.max_batch.max(1) as usize;
        let book_ids: BTreeSet<u64> = bids.iter().chain(offers).map(|o| o.id).collect();
        let forced_ids: BTreeSet<u64> = forced
            .iter()
            .flat_map(|t| [t.bid, t.offer])
            .filter(|id| !book_ids.contains(id))
            .collect();
        // The book first (acceptance order), the forced pairs' intents after.
        let mut frozen = self.frozen_book(slot, Some(&book_ids))?;
        frozen
            .intents
            .extend(self.frozen_book(slot, Some(&forced_ids))?.intents);
        let held = self.held.remove(&cs.0).unwrap_or_default();
        // Intents of slots already past can never be committed.
        self.held.retain(|&s, _| s > cs.0);

        // What the agent reads: the chain's view of the book, the network,
        // the slot's fees and the corridor capacity left.
        let view = self.chain_view(cs, &frozen)?;
        let now = self.chain.chain_time()? + EXPIRY_MARGIN_SECS;
        let net: ChainNetwork = self
            .chain
            .query(Contract::Settlement, &QueryMsg::Network {})?;
        let fees: FeesResponse = self
            .chain
            .query(Contract::Settlement, &QueryMsg::CongestionFees { slot: cs })?;
        let status: SlotStatus = self
            .chain
            .query(Contract::Settlement, &QueryMsg::SlotStatus { slot: cs })?;
        let routes = to_routes(&net, &fees.fees, &status.corridor_usage)?;
        let domain = self.chain.domain()?;
        let (candidates, screened) =
            aip_matcher::intents::screen(&frozen, &domain, cs.0, now, &view);
        let mut out = Committed {
            screened_out: screened
                .iter()
                .map(|s| (s.nonce, s.reason.clone()))
                .collect(),
            ..Committed::default()
        };
        // The matcher clears the book's intents only.
        let in_book = candidates
            .iter()
            .take_while(|c| book_ids.contains(&c.batch.nonce))
            .count();
        let plan = aip_matcher::online::plan(cs.0, &candidates[..in_book], &net, &routes, method)?;
        // A pair of candidates (by index) as the matcher's trade between
        // the intents' local ids, on the slot's route.
        let trade = |bid: usize, offer: usize, wh: u64, price: u64| -> Trade {
            let (b, o) = (&candidates[bid], &candidates[offer]);
            let route = routes.get(&(o.zone, b.zone));
            Trade {
                bid: b.batch.nonce,
                offer: o.batch.nonce,
                buyer: b.owner.clone(),
                seller: o.owner.clone(),
                wh,
                price,
                fee: route.map_or(0, |r| r.fee),
                from_zone: o.zone,
                to_zone: b.zone,
                loss_bps: route.map_or(0, |r| r.loss_bps),
            }
        };
        let local = |t: &MatchedTrade| -> Result<Trade> {
            Ok(trade(
                usize::try_from(t.bid)?,
                usize::try_from(t.offer)?,
                t.wh.parse()?,
                t.price.parse()?,
            ))
        };
        for t in &plan.dropped {
            out.skipped.push((
                Trade {
                    bid: candidates[t.bid as usize].batch.nonce,
                    offer: candidates[t.offer as usize].batch.nonce,
                    ..t.clone()
                },
                "the contract's route does not allow it (direction, capacity left or fee)"
                    .to_string(),
            ));
        }
        let at: BTreeMap<u64, usize> = candidates
            .iter()
            .enumerate()
            .map(|(i, c)| (c.batch.nonce, i))
            .collect();
        // Why `build_batch` left a trade out: alone in a batch it passes the
        // contract's price rules on its route, so it was beyond the maximum.
        let left_out_why = |t: &aip_matcher::online::MatchedTrade| {
            let alone =
                aip_matcher::intents::build_batch(&candidates, std::slice::from_ref(t), &routes, 1);
            if alone.skipped.is_empty() {
                format!("beyond the batch maximum of {max_batch} trades")
            } else {
                "fails the contract's price rules on its route (limits, or price + congestion fee above the bid's limit)".to_string()
            }
        };
        let mut trades = plan.trades;
        if !forced.is_empty() {
            // the forced trades' room: the matcher's trades that do not fit
            // the rest of the batch are left out here, as `build_batch` would
            let room = max_batch.saturating_sub(forced.len());
            let left_out =
                aip_matcher::intents::build_batch(&candidates, &trades, &routes, room).skipped;
            trades.retain(|t| !left_out.contains(t));
            for t in &left_out {
                out.skipped.push((local(t)?, left_out_why(t)));
            }
        }
        for t in forced {
            match (at.get(&t.bid), at.get(&t.offer)) {
                (Some(&b), Some(&o)) => trades.push(MatchedTrade {
                    bid: b as u64,
                    offer: o as u64,
                    ..t.clone()
                }),
                _ => {
                    // Screened out: no zone or route is known for it.
                    let owner = |id: u64| {
                        held.get(&id)
                            .map(|h| h.signed.intent.owner.clone())
                            .unwrap_or_default()
                    };
                    let skipped = Trade {
                        bid: t.bid,
                        offer: t.offer,
                        buyer: owner(t.bid),
                        seller: owner(t.offer),
                        wh: t.wh.parse()?,
                        price: t.price.parse()?,
                        fee: 0,
                        from_zone: 0,
                        to_zone: 0,
                        loss_bps: 0,
                    };
                    out.skipped
                        .push((skipped, "an intent of the trade was screened out".into()));
                }
            }
        }
        let mut commit = Commit::new(&candidates, trades, &routes, max_batch);
        let mut attempts = 0;
        loop {
            let batch = commit.batch();
            if batch.trades.is_empty() {
                break;
            }
            if attempts == MAX_COMMIT_ATTEMPTS {
                out.rejected = Some(format!(
                    "the contract refused {MAX_COMMIT_ATTEMPTS} batches; the last: {}",
                    commit
                        .refused_trades
                        .last()
                        .map_or("", |(_, why)| why.as_str())
                ));
                break;
            }
            attempts += 1;
            let msg = ExecuteMsg::CommitIntents {
                slot: cs,
                intents: batch.intents.clone(),
                trades: batch.trades.clone(),
                settle: Vec::new(),
            };
            match self
                .chain
                .execute(Role::Matcher, Contract::Settlement, &[msg])
            {
                Ok(()) => {
                    for t in &batch.skipped {
                        out.skipped.push((local(t)?, left_out_why(t)));
                    }
                    for t in &batch.trades {
                        let (b, o) = (
                            at[&batch.intents[t.bid as usize].nonce],
                            at[&batch.intents[t.offer as usize].nonce],
                        );
                        out.trades.push(trade(
                            b,
                            o,
                            u64::try_from(t.wh.u128())?,
                            u64::try_from(t.price.u128())?,
                        ));
                    }
                    out.batch = Some((batch.intents, batch.trades));
                    break;
                }
                Err(log) => match commit.refused(&batch, &log) {
                    Next::Retry => {}
                    Next::SlotCommitted | Next::Fail => {
                        out.rejected = Some(log);
                        break;
                    }
                },
            }
        }
        for (t, why) in &commit.refused_trades {
            out.skipped.push((local(t)?, why.clone()));
        }
        for t in &out.trades {
            if let Some(h) = held.get(&t.offer) {
                self.sellers.entry(cs.0).or_default().insert(h.owner);
            }
        }
        Ok(out)
    }
}

impl<T: Transport> MarketChain for Market<T> {
    fn label(&self) -> String {
        format!("{}, signed intents", self.chain.label())
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            settlement: true,
            reputation: true,
            meter_oracle: true,
            signed_intents: true,
        }
    }

    fn setup(&mut self, people: &[Participant], net: &Network, funding_uaip: u128) -> Result<()> {
        self.domain = Some(self.chain.domain()?);
        self.accounts = self
            .chain
            .enroll(people, funding_uaip, market_deposit(funding_uaip))?;
        self.index = self
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.addr.clone(), i))
            .collect();
        if self.index.len() != people.len() {
            return Err(anyhow!("two households share an account"));
        }
        self.refresh_reputation()?;
        let cfg: ConfigResponse = self
            .chain
            .query(Contract::Settlement, &QueryMsg::Config {})?;
        self.params = Some(cfg.params);
        // The DSO publishes the zones, a route for every ordered pair, and
        // places every participant's node in its zone: settlement takes an
        // intent's zone from its meter's node.
        let zones: BTreeSet<ZoneId> = people
            .iter()
            .map(|p| p.zone)
            .chain(net.corridors.iter().flat_map(|c| [c.from, c.to]))
            .collect();
        let mut msgs: Vec<ExecuteMsg> = zones
            .iter()
            .map(|&z| ExecuteMsg::UpsertZone {
                zone: SZone {
                    id: z,
                    name: format!("zone {z}"),
                },
            })
            .collect();
        let zones: Vec<ZoneId> = zones.into_iter().collect();
        self.routes = dso::routes(&zones, &net.corridors);
        msgs.extend(self.routes.iter().map(|c| ExecuteMsg::SetCorridor {
            corridor: c.clone(),
        }));
        msgs.extend(
            dso::node_zones(people)
                .chunks(PAGE as usize)
                .map(|n| ExecuteMsg::SetNodeZones { nodes: n.to_vec() }),
        );
        self.settlement(Role::Dso, &msgs, "publish zones and corridors")
    }

    fn set_time(&mut self, unix: u64) -> Result<()> {
        self.chain.set_time(unix)
    }

    fn place_orders(
        &mut self,
        slot: SlotId,
        orders: &[NewOrder],
    ) -> Result<Vec<std::result::Result<u64, String>>> {
        let domain = self
            .domain
            .clone()
            .ok_or_else(|| anyhow!("place_orders before setup"))?;
        let cs = self.chain.chain_slot(slot)?;
        let mut out = Vec::with_capacity(orders.len());
        for o in orders {
            let id = self.next_id;
            let a = &self.accounts[o.owner];
            let intent = match order_intent(&domain, &a.addr, id, cs, a.meter, o) {
                Ok(i) => i,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            let signed = sign(&a.key, o.owner, &intent);
            self.next_id += 1;
            self.held.entry(cs.0).or_default().insert(
                id,
                Held {
                    owner: o.owner,
                    signed,
                },
            );
            out.push(Ok(id));
        }
        Ok(out)
    }

    fn commit(
        &mut self,
        slot: SlotId,
        bids: &[Order],
        offers: &[Order],
        method: Method,
    ) -> Result<Committed> {
        self.publish_fees(slot, bids, offers)?;
        self.commit_with(slot, bids, offers, method, &[])
    }

    fn sweep(&mut self, _slot: SlotId) -> Result<()> {
        // Signed intents lock nothing before a commit: nothing to refund.
        Ok(())
    }

    fn report(&mut self, slot: SlotId, readings: &[Reading]) -> Result<()> {
        let cs = self.chain.chain_slot(slot)?;
        self.chain.submit_readings(cs, readings)?;
        // Settlement pulls the finalized values of its seller meters.
        if self.sellers.remove(&cs.0).is_none() {
            return Ok(());
        }
        let limit = Some(self.params()?.max_batch);
        loop {
            let st = self.slot_status(cs)?;
            if st.meters_reported >= st.meters {
                return Ok(());
            }
            self.settlement(
                Role::Oracle,
                &[ExecuteMsg::FetchDeliveries { slot: cs, limit }],
                &format!("fetch deliveries of slot {cs}"),
            )?;
        }
    }

    fn settle(&mut self, slot: SlotId) -> Result<SettleReport> {
        let cs = self.chain.chain_slot(slot)?;
        let limit = Some(self.params()?.max_batch);
        let mut rep = SettleReport::default();
        loop {
            let st = self.slot_status(cs)?;
            if st.trades == 0 || st.fully_settled {
                break;
            }
            self.settlement(
                Role::Oracle,
                &[ExecuteMsg::Settle { slot: cs, limit }],
                &format!("settle slot {cs}"),
            )?;
            rep.calls += 1;
        }
        if rep.calls > 0 {
            self.refresh_reputation()?;
        }
        let mut start_after = None;
        loop {
            let page: TradesResponse = self.chain.query(
                Contract::Settlement,
                &QueryMsg::TradesBySlot {
                    slot: cs,
                    start_after,
                    limit: Some(PAGE),
                },
            )?;
            let Some(last) = page.trades.last() else {
                break;
            };
            start_after = Some(last.id);
            // The parties are the trade's accounts; its bid and offer are
            // the intents' nonces, which are the local ids.
            let who = |a: &str| -> Result<usize> {
                self.index
                    .get(a)
                    .copied()
                    .ok_or_else(|| anyhow!("trade party {a} is not a household"))
            };
            for t in &page.trades {
                match trade_result(t, who)? {
                    Some(r) => {
                        rep.settled += 1;
                        rep.trades.push(r);
                    }
                    None => rep.unsettled += 1,
                }
            }
        }
        Ok(rep)
    }

    fn end_of_day(&mut self) -> Result<()> {
        // Payouts went to the free balances the next intents trade from.
        Ok(())
    }

    fn balances(&self) -> Result<Vec<u128>> {
        self.accounts
            .iter()
            .map(|a| {
                let l = self.ledger(&a.addr)?;
                Ok(self.token_balance(&a.addr)?
                    + l.free.u128()
                    + l.locked.u128()
                    + l.locked_in_orders.u128())
            })
            .collect()
    }

    fn audit(&self) -> Result<Audit> {
        let participants = self
            .accounts
            .iter()
            .map(|a| self.token_balance(&a.addr))
            .sum::<Result<u128>>()?;
        let others: BTreeSet<String> = self.chain.others()?.into_iter().collect();
        let others = others
            .iter()
            .map(|a| self.token_balance(a))
            .sum::<Result<u128>>()?;
        let held = self.token_balance(&self.chain.address(Contract::Settlement))?;
        let h = self.holdings()?;
        let info: cw20::TokenInfoResponse = self
            .chain
            .query(Contract::Token, &cw20::Cw20QueryMsg::TokenInfo {})
            .context("token info")?;
        let mut contracts = BTreeMap::new();
        contracts.insert("settlement".to_string(), held);
        Ok(Audit {
            total_supply: info.total_supply.u128(),
            participants,
            others,
            contracts,
            ledger_matches: h.total.u128() == held
                && h.orders + h.trades + h.claimable + h.bonds == h.total,
        })
    }

    fn scores(&self) -> Result<Vec<u16>> {
        Ok(self.scores.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Side;
    use aip_types::intent::verify_signed_intent;
    use cosmwasm_std::testing::MockApi;

    fn domain() -> IntentDomain {
        IntentDomain {
            chain_id: "sim-1".into(),
            contract: IntentKey::from_label("settlement").address("wasm"),
        }
    }

    fn order(side: Side, wh: u64, price: u64) -> NewOrder {
        NewOrder {
            owner: 0,
            side,
            wh,
            price,
        }
    }

    #[test]
    fn an_order_becomes_a_one_slot_intent_that_verifies_for_its_owner_with_either_kind() {
        let slot = SlotId(1_473_066_000);
        let d = domain();
        for i in [0usize, 3] {
            let key = IntentKey::from_label(&format!("h{i}"));
            let owner = key.address("wasm");
            let intent =
                order_intent(&d, &owner, 7, slot, 12, &order(Side::Sell, 800, 120_000)).unwrap();
            assert_eq!(intent.side, Side::Sell);
            assert_eq!(
                (intent.slot_from, intent.slot_until),
                (slot.start(), slot.end())
            );
            assert_eq!(intent.expires, slot.start());
            let signed = sign(&key, i, &intent);
            assert_eq!(
                signed.signature.kind == aip_types::intent::KIND_ETH_EIP712,
                i == 3
            );
            // The batch form a commit carries rebuilds the same intent.
            let bi = BatchIntent::from_signed(&signed);
            assert_eq!(bi.intent(&d), intent);
            let v =
                verify_signed_intent(&MockApi::default(), &d, &signed, slot.start() - 1).unwrap();
            assert_eq!(v.owner, owner);
        }
    }

    #[test]
    fn orders_outside_the_bounds_are_refused_before_signing() {
        let d = domain();
        let slot = SlotId(1_473_066_000);
        let e = order_intent(&d, "x", 1, slot, 1, &order(Side::Buy, 0, 100_000)).unwrap_err();
        assert_eq!(
            e,
            aip_types::check_order(0, 100_000).unwrap_err().to_string()
        );
        let e = order_intent(&d, "x", 1, slot, 1, &order(Side::Buy, 10, 0)).unwrap_err();
        assert_eq!(e, aip_types::check_order(10, 0).unwrap_err().to_string());
    }
}

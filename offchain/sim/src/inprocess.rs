//! [`MarketChain`] on the in-process chain: `aip_testing::Deployment`, the
//! real contract code on cw-multi-test.
//!
//! Every household has its own secp256k1 key (`IntentKey::from_label` of its
//! name); its account is the key's address under the chain's prefix. At
//! setup it is funded, KYC-registered (its reputation token), given a meter,
//! and deposits [`market_deposit`] of its funding in settlement. Each order
//! is then an intent its owner signs (ADR-036; every fourth household
//! EIP-712, as MetaMask signs) and keeps off chain under a local id, which is
//! also the intent's nonce. At gate closure the matcher role commits the
//! slot's trades in one `CommitIntents` naming each intent once; payments and
//! collateral are locked from the parties' free balances. The oracle role
//! has the meters report, anyone settles, and payouts return to the free
//! balances the next intents trade from.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use aip_testing::deployment::roles;
use aip_testing::{Deployment, DeploymentConfig};
use aip_types::intent::sign::IntentKey;
use aip_types::intent::{BatchIntent, IntentDomain};
use aip_types::{SlotId, ZoneId};
use anyhow::{anyhow, Context, Result};
use cosmwasm_std::{to_json_binary, Addr, Timestamp, Uint128};
use cw_multi_test::{AppResponse, Executor};
use settlement::msg::{
    BalanceResponse, ConfigResponse, Corridor as SCorridor, ExecuteMsg, HoldingsResponse, QueryMsg,
    ReceiveMsg, SlotStatusResponse, TradesResponse, Zone as SZone,
};
use settlement::ContractError;

use crate::chain::{
    market_deposit, Audit, Capabilities, Committed, MarketChain, NewOrder, Participant, Reading,
    SettleReport,
};
use crate::market::{Network, Trade};
use crate::protocol;
use crate::scenario::Corridor;

/// A signed intent held off chain until its slot's commit.
#[derive(Debug, Clone)]
struct Held {
    /// Household index.
    owner: usize,
    intent: BatchIntent,
}

/// The in-process chain.
pub struct InProcessChain {
    pub d: Deployment,
    people: Vec<Participant>,
    addrs: Vec<Addr>,
    /// Each household's intent key (its account is the key's address).
    keys: Vec<IntentKey>,
    /// Account address -> household index.
    index: BTreeMap<Addr, usize>,
    /// The chain and settlement contract every intent is bound to.
    domain: Option<IntentDomain>,
    /// Signed intents waiting for their slot's commit: slot -> local id -> intent.
    held: BTreeMap<u64, BTreeMap<u64, Held>>,
    /// The next local intent id (also the intent's nonce: unique per owner).
    next_id: u64,
    /// Seller households with committed trades, by slot.
    sellers: BTreeMap<u64, BTreeSet<usize>>,
    max_batch: usize,
    clock_set: bool,
    /// Meter id (meter-oracle) and device key of each participant.
    meters: Vec<(meter_oracle::msg::MeterId, ed25519_dalek::SigningKey)>,
    /// Reputation scores, refreshed after each settlement.
    scores: Vec<u16>,
    /// Meter-oracle operators that submit each slot's readings.
    pub operators: usize,
}

/// The settlement parameters the simulation deploys with: the defaults of
/// `aip-testing`, with a dispute window of 0 s (the simulation opens no
/// disputes, so a slot settles as soon as its delivery data is in).
pub fn sim_settlement_params() -> settlement::msg::MarketParams {
    settlement::msg::MarketParams {
        dispute_window_secs: 0,
        ..aip_testing::deployment::default_settlement_params()
    }
}

/// The grid operator's node -> zone map of the participants' meters.
pub fn node_zones(people: &[Participant]) -> Vec<settlement::msg::NodeZone> {
    people
        .iter()
        .map(|p| (p.node, p.zone))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .map(|(node, zone)| settlement::msg::NodeZone { node, zone })
        .collect()
}

/// The contract's own message of a failed execution.
fn reason(e: &anyhow::Error) -> String {
    e.root_cause().to_string()
}

/// Every route between two zones of a radial grid: the corridors on the tree
/// path, their losses added and the smallest capacity, as one directed
/// settlement corridor per ordered zone pair (settlement prices one corridor
/// per trade; the matcher enforces the physical capacities).
pub fn routes(zones: &[ZoneId], corridors: &[Corridor]) -> Vec<SCorridor> {
    let mut adj: BTreeMap<ZoneId, Vec<(ZoneId, u64, u32)>> = BTreeMap::new();
    for c in corridors {
        adj.entry(c.from)
            .or_default()
            .push((c.to, c.capacity_wh, c.loss_bps));
        adj.entry(c.to)
            .or_default()
            .push((c.from, c.capacity_wh, c.loss_bps));
    }
    let mut out = Vec::new();
    for &a in zones {
        // BFS from a, carrying (min capacity, summed loss)
        let mut seen: BTreeMap<ZoneId, (u64, u32)> = BTreeMap::new();
        seen.insert(a, (u64::MAX, 0));
        let mut q = VecDeque::from([a]);
        while let Some(z) = q.pop_front() {
            let (cap, loss) = seen[&z];
            for &(n, c, l) in adj.get(&z).map(|v| v.as_slice()).unwrap_or(&[]) {
                if let std::collections::btree_map::Entry::Vacant(e) = seen.entry(n) {
                    e.insert((cap.min(c), (loss + l).min(10_000)));
                    q.push_back(n);
                }
            }
        }
        for (&b, &(cap, loss)) in &seen {
            if b != a {
                out.push(SCorridor {
                    from_zone: a,
                    to_zone: b,
                    capacity_wh: Uint128::from(cap),
                    loss_bps: loss,
                    fee_per_kwh: Uint128::zero(),
                });
            }
        }
    }
    out
}

impl InProcessChain {
    /// Deploys every contract `aip-testing` knows.
    pub fn new() -> Result<InProcessChain> {
        let cfg = DeploymentConfig {
            settlement_params: sim_settlement_params(),
            ..DeploymentConfig::default()
        };
        let d = Deployment::new(&cfg).context("deploy contracts")?;
        Ok(InProcessChain {
            d,
            people: vec![],
            addrs: vec![],
            keys: vec![],
            index: BTreeMap::new(),
            domain: None,
            held: BTreeMap::new(),
            next_id: 1,
            sellers: BTreeMap::new(),
            max_batch: cfg.settlement_params.max_batch as usize,
            clock_set: false,
            meters: vec![],
            scores: vec![],
            operators: roles::METER_ORACLES.len(),
        })
    }

    /// The address of participant `i`.
    pub fn addr(&self, i: usize) -> &Addr {
        &self.addrs[i]
    }

    /// The chain and settlement contract intents are bound to.
    pub fn intent_domain(&self) -> IntentDomain {
        IntentDomain {
            chain_id: self.d.app.block_info().chain_id,
            contract: self.d.settlement.to_string(),
        }
    }

    /// Participant `i`'s meter (the meter-oracle id, the same in settlement).
    fn meter(&self, i: usize) -> aip_types::MeterId {
        self.meters[i].0
    }

    /// Refreshes the scores from reputation.
    fn refresh_reputation(&mut self) -> Result<()> {
        let r: aip_types::hooks::PriorityScoresResponse = self.d.app.wrap().query_wasm_smart(
            &self.d.reputation,
            &reputation::msg::QueryMsg::PriorityScores {
                accounts: self.addrs.iter().map(|a| a.to_string()).collect(),
            },
        )?;
        let by: BTreeMap<&str, u16> = r
            .scores
            .iter()
            .map(|s| (s.account.as_str(), s.score))
            .collect();
        self.scores = self
            .addrs
            .iter()
            .map(|a| by.get(a.as_str()).copied().unwrap_or(0))
            .collect();
        Ok(())
    }

    fn role(&self, name: &str) -> Addr {
        self.d.addr(name)
    }

    /// Executes on settlement (a contract error stays downcastable).
    fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg) -> Result<AppResponse> {
        let to = self.d.settlement.clone();
        self.d.app.execute_contract(sender.clone(), to, msg, &[])
    }

    fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> Result<T> {
        Ok(self
            .d
            .app
            .wrap()
            .query_wasm_smart(self.d.settlement.clone(), msg)?)
    }

    /// The settlement contract's ledger entry of an account.
    pub fn ledger(&self, who: &Addr) -> Result<BalanceResponse> {
        self.query(&QueryMsg::Balance {
            account: who.to_string(),
        })
    }

    /// What the settlement contract holds, by purpose.
    pub fn holdings(&self) -> Result<HoldingsResponse> {
        self.query(&QueryMsg::Holdings {})
    }

    /// Deposits `amount` of `who`'s AIP in settlement (an AIP `Send` with
    /// `Deposit {}`): its free balance, from which its intents trade.
    pub fn deposit(&mut self, who: &Addr, amount: u128) -> Result<AppResponse> {
        let send = cw20::Cw20ExecuteMsg::Send {
            contract: self.d.settlement.to_string(),
            amount: amount.into(),
            msg: to_json_binary(&ReceiveMsg::Deposit {})?,
        };
        let token = self.d.token.clone();
        self.d
            .app
            .execute_contract(who.clone(), token, &send, &[])
            .context("deposit")
    }

    /// The signed intents held for `slot` (local id -> batch form), for
    /// building a batch outside [`MarketChain::commit`].
    pub fn held_intents(&self, slot: SlotId) -> BTreeMap<u64, BatchIntent> {
        self.held
            .get(&slot.0)
            .map(|m| m.iter().map(|(&id, h)| (id, h.intent.clone())).collect())
            .unwrap_or_default()
    }

    fn others(&self) -> Vec<Addr> {
        [
            roles::GRID_OPERATOR,
            roles::MATCHER,
            roles::ORACLE,
            roles::ARBITER,
            roles::TREASURY,
        ]
        .iter()
        .map(|n| self.role(n))
        .chain([self.d.admin.clone()])
        .collect()
    }
}

/// The contract's refusal of a batch, naming the intent or trade when it
/// does (cw-multi-test keeps the contract's error as the error or as a
/// context's source).
fn refusal(e: &anyhow::Error) -> protocol::Refusal {
    let reason = reason(e);
    let ce = e
        .downcast_ref::<ContractError>()
        .or_else(|| e.chain().find_map(|c| c.downcast_ref::<ContractError>()));
    match ce {
        Some(ContractError::IntentRejected { index, .. }) => protocol::Refusal::Intent {
            index: *index,
            reason,
        },
        Some(ContractError::TradeRejected { index, .. }) => protocol::Refusal::Trade {
            index: *index,
            reason,
        },
        _ => protocol::Refusal::Batch(reason),
    }
}

impl MarketChain for InProcessChain {
    fn label(&self) -> String {
        "in-process chain (cw-multi-test, aip_testing::Deployment), signed intents".into()
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
        self.people = people.to_vec();
        let domain = self.intent_domain();
        let prefix = domain.prefix()?;
        self.domain = Some(domain);
        self.keys = people
            .iter()
            .map(|p| IntentKey::from_label(&p.name))
            .collect();
        self.addrs = self
            .keys
            .iter()
            .map(|k| Addr::unchecked(k.address(&prefix)))
            .collect();
        self.index = self
            .addrs
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, a)| (a, i))
            .collect();
        if self.index.len() != people.len() {
            return Err(anyhow!("two households share a name, hence a key"));
        }
        // Wire settlement to reputation (collateral, eligibility, outcomes)
        // and to the meter-oracle (meter ownership, finalized deliveries).
        let (rep, mo) = (self.d.reputation.clone(), self.d.meter_oracle.clone());
        self.d.wire_settlement(Some(&rep), Some(&mo))?;
        self.meters = Vec::with_capacity(people.len());
        let deposit = market_deposit(funding_uaip);
        for (i, a) in self.addrs.clone().iter().enumerate() {
            self.d.mint(a, funding_uaip)?;
            // KYC done: the soulbound reputation token.
            self.d.register(a)?;
            // A meter with a device key (deterministic per participant).
            let mut secret = [0x5a_u8; 32];
            secret[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let key = ed25519_dalek::SigningKey::from_bytes(&secret);
            let id = self.d.register_meter(a, people[i].node, &key)?;
            self.meters.push((id, key));
            if deposit > 0 {
                self.deposit(a, deposit)?;
            }
        }
        self.refresh_reputation()?;
        let cfg: ConfigResponse = self.query(&QueryMsg::Config {})?;
        self.max_batch = cfg.params.max_batch as usize;
        // The DSO publishes the zones and a route for every ordered pair.
        let dso = self.role(roles::GRID_OPERATOR);
        let zones: BTreeSet<ZoneId> = people
            .iter()
            .map(|p| p.zone)
            .chain(net.corridors.iter().flat_map(|c| [c.from, c.to]))
            .collect();
        for &z in &zones {
            self.exec(
                &dso,
                &ExecuteMsg::UpsertZone {
                    zone: SZone {
                        id: z,
                        name: format!("zone {z}"),
                    },
                },
            )
            .context("publish zone")?;
        }
        let zones: Vec<ZoneId> = zones.into_iter().collect();
        for c in routes(&zones, &net.corridors) {
            self.exec(&dso, &ExecuteMsg::SetCorridor { corridor: c })
                .context("publish corridor")?;
        }
        // ... and places every participant's node in its zone: settlement
        // takes an intent's zone from its meter's node.
        for nodes in node_zones(people).chunks(500) {
            self.exec(
                &dso,
                &ExecuteMsg::SetNodeZones {
                    nodes: nodes.to_vec(),
                },
            )
            .context("publish node zones")?;
        }
        Ok(())
    }

    fn set_time(&mut self, unix: u64) -> Result<()> {
        // The simulation's clock is the data's (2016): the first call sets
        // the chain's clock back to it, later calls only move it forward.
        let first = !self.clock_set;
        self.clock_set = true;
        self.d.app.update_block(|b| {
            let t = Timestamp::from_seconds(unix);
            if first || t > b.time {
                // ~5 s blocks
                b.height += (t.seconds().saturating_sub(b.time.seconds()))
                    .div_ceil(5)
                    .max(1);
                b.time = t;
            }
        });
        Ok(())
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
        let mut out = Vec::with_capacity(orders.len());
        for o in orders {
            let id = self.next_id;
            let owner = self.addrs[o.owner].to_string();
            let meter = self.meter(o.owner);
            let intent = match protocol::order_intent(&domain, &owner, id, slot, meter, o) {
                Ok(i) => i,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            let intent = protocol::sign(&self.keys[o.owner], o.owner, &intent);
            self.next_id += 1;
            self.held.entry(slot.0).or_default().insert(
                id,
                Held {
                    owner: o.owner,
                    intent,
                },
            );
            out.push(Ok(id));
        }
        Ok(out)
    }

    fn commit(&mut self, slot: SlotId, trades: &[Trade]) -> Committed {
        let held = self.held.remove(&slot.0).unwrap_or_default();
        // Intents of slots already past can never be committed.
        self.held.retain(|&s, _| s > slot.0);
        let batch: BTreeMap<u64, BatchIntent> =
            held.iter().map(|(&id, h)| (id, h.intent.clone())).collect();
        let matcher = self.role(roles::MATCHER);
        let max_batch = self.max_batch;
        let out = protocol::commit_slot(&batch, trades, max_batch, |intents, trades| {
            let msg = ExecuteMsg::CommitIntents {
                slot,
                intents,
                trades,
            };
            self.exec(&matcher, &msg)
                .map(|_| ())
                .map_err(|e| refusal(&e))
        });
        for &i in &out.taken {
            if let Some(h) = held.get(&trades[i].offer) {
                self.sellers.entry(slot.0).or_default().insert(h.owner);
            }
        }
        out
    }

    fn sweep(&mut self, _slot: SlotId) -> Result<()> {
        // Signed intents lock nothing before a commit: nothing to refund.
        Ok(())
    }

    fn report(&mut self, slot: SlotId, readings: &[Reading]) -> Result<()> {
        // Every operator submits every meter's device-signed reading ...
        let signed: Vec<meter_oracle::msg::SignedReading> = readings
            .iter()
            .map(|r| {
                let (id, key) = &self.meters[r.owner];
                self.d
                    .sign_reading(key, *id, slot, r.exported_wh.into(), r.imported_wh.into())
            })
            .collect();
        for op in 0..self.operators {
            for chunk in signed.chunks(meter_oracle::msg::MAX_BATCH) {
                self.d
                    .submit_readings(op, slot, chunk.to_vec())
                    .context("submit readings")?;
            }
        }
        // ... and settlement pulls the finalized values of its seller meters.
        if self.sellers.remove(&slot.0).is_none() {
            return Ok(());
        }
        let anyone = self.role(roles::ORACLE);
        loop {
            let st: SlotStatusResponse = self.query(&QueryMsg::SlotStatus { slot })?;
            if st.meters_reported >= st.meters {
                return Ok(());
            }
            self.exec(
                &anyone,
                &ExecuteMsg::FetchDeliveries {
                    slot,
                    limit: Some(self.max_batch as u32),
                },
            )
            .with_context(|| format!("fetch deliveries of slot {slot}"))?;
        }
    }

    fn settle(&mut self, slot: SlotId) -> Result<SettleReport> {
        let mut rep = SettleReport::default();
        let anyone = self.role(roles::ORACLE);
        loop {
            let st: SlotStatusResponse = self.query(&QueryMsg::SlotStatus { slot })?;
            if st.trades == 0 || st.fully_settled {
                break;
            }
            self.exec(
                &anyone,
                &ExecuteMsg::Settle {
                    slot,
                    limit: Some(self.max_batch as u32),
                },
            )
            .with_context(|| format!("settle slot {slot}"))?;
            rep.calls += 1;
        }
        if rep.calls > 0 {
            self.refresh_reputation()?;
        }
        let mut start_after = None;
        loop {
            let page: TradesResponse = self.query(&QueryMsg::TradesBySlot {
                slot,
                start_after,
                limit: Some(500),
            })?;
            let Some(last) = page.trades.last() else {
                break;
            };
            start_after = Some(last.id);
            // The parties are the trade's accounts; its bid and offer are
            // the intents' nonces, which are the local ids.
            let who = |a: &str| -> Result<usize> {
                self.index
                    .get(&Addr::unchecked(a))
                    .copied()
                    .ok_or_else(|| anyhow!("trade party {a} is not a household"))
            };
            for t in &page.trades {
                match protocol::trade_result(t, who)? {
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
        self.addrs
            .iter()
            .map(|a| {
                let l = self.ledger(a)?;
                Ok(
                    self.d.balance(a)?
                        + l.free.u128()
                        + l.locked.u128()
                        + l.locked_in_orders.u128(),
                )
            })
            .collect()
    }

    fn audit(&self) -> Result<Audit> {
        let participants = self
            .addrs
            .iter()
            .map(|a| self.d.balance(a))
            .sum::<Result<u128>>()?;
        let others = self
            .others()
            .iter()
            .map(|a| self.d.balance(a))
            .sum::<Result<u128>>()?;
        let held = self.d.balance(&self.d.settlement)?;
        let h = self.holdings()?;
        let mut contracts = BTreeMap::new();
        contracts.insert("settlement".to_string(), held);
        Ok(Audit {
            total_supply: self.d.total_supply()?,
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

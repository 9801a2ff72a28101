//! Online mode: an agent that clears each delivery slot from the order
//! gateway's frozen book of signed intents at gate closure and commits the
//! trades on chain with one `CommitIntents`.
//!
//! One cycle for a slot ([`Agent::cycle`]):
//! 1. `slot_status`: a slot that already has trades is skipped (the agent, or a
//!    previous run of it, committed them), so restarts and retries never commit twice;
//!    a slot that is not in its `matching` phase (gate closed, not started) is left alone.
//! 2. The book: the gateway's frozen book of the slot (signed intents,
//!    `GET /v1/book/{slot}/frozen`; [`CycleOutcome::BookNotFrozen`] while the
//!    gateway's gate clock is behind the chain's), screened against the chain
//!    ([`crate::intents::screen`]: meters and their nodes' zones, fills, free
//!    balances, trading terms, read in batches); the zones and corridors
//!    (`network`) and the slot's congestion fees (`congestion_fees`).
//! 3. [`clear`] with the agent's [`Method`] (default `auto`) on the
//!    network mapped by [`to_network`]; the trades are then fitted to the contract's rules
//!    by [`to_commit`] (direct pair corridors, capacities left, fees on top of the price).
//! 4. One `CommitIntents` per slot ([`crate::intents::build_batch`]): a
//!    refusal naming an intent or a trade drops it and retries (at most
//!    [`MAX_COMMIT_ATTEMPTS`]), and `SlotAlreadyCommitted` means done. The
//!    commit carries the settlement of earlier slots that are open
//!    ([`settlements_due`]); refused, it is dropped and the commit retried.
//!
//! [`Agent::run`] repeats this for the next slot once chain time passes its gate
//! closure, with exponential backoff while the node is down, until shut down.
use crate::agent_view::{ViewBuilder, ViewQuery, ViewSources};
use crate::intents::{self, Candidate, ChainView, SkippedIntent};
use crate::model::{Corridor, Network, OrderBook, Side, Trade, Zone, MAX_PRICE};
use crate::verify::FrozenBook;
use crate::{clear, Clearing, MatcherError, Method};
use aip_types::intent::IntentDomain;
use aip_types::SlotId;
use chain_client::{ChainClient, Execute};
use serde::Deserialize;
use settlement::msg::{ExecuteMsg, QueryMsg};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::time::Duration;

/// Slot length, seconds (aip-types `SlotId`).
pub const SLOT_SECS: u64 = 900;
/// Page size of the `node_zones` and `trades_by_slot` queries (the contract's maximum).
const PAGE: u32 = 500;
/// Most `CommitIntents` attempts per cycle: each refused attempt drops the
/// intent or trade the contract named.
pub const MAX_COMMIT_ATTEMPTS: usize = 8;
/// Seconds added to the chain time when screening expiry: the commit lands
/// in a later block.
pub const EXPIRY_MARGIN_SECS: u64 = 10;

/// The deployment file (`artifacts/deployment.<chain-id>.json`, written by
/// `aip deploy`): the one type in [`chain_client::deployment`].
pub use chain_client::deployment::Deployment;

/// The contract's `network` response.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ChainNetwork {
    /// zones
    pub zones: Vec<ChainZone>,
    /// directed corridors
    pub corridors: Vec<ChainCorridor>,
}

/// A zone on chain.
#[derive(Clone, Debug, Deserialize)]
pub struct ChainZone {
    /// id
    pub id: u32,
    /// name
    pub name: String,
}

/// A directed corridor on chain.
#[derive(Clone, Debug, Deserialize)]
pub struct ChainCorridor {
    /// seller zone
    pub from_zone: u32,
    /// buyer zone
    pub to_zone: u32,
    /// Wh per slot (Uint128 string)
    pub capacity_wh: String,
    /// loss factor, bps
    pub loss_bps: u32,
    /// congestion fee, uaip/kWh (Uint128 string)
    pub fee_per_kwh: String,
}

/// A per-slot congestion fee override on chain.
#[derive(Clone, Debug, Deserialize)]
pub struct ChainFee {
    /// seller zone
    pub from_zone: u32,
    /// buyer zone (equal to `from_zone`: trades inside the zone)
    pub to_zone: u32,
    /// uaip/kWh (Uint128 string)
    pub fee_per_kwh: String,
}

/// The contract's `congestion_fees` response: the slot's fee overrides.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct FeesResponse {
    /// per-slot overrides; corridors without one charge their `fee_per_kwh`
    pub fees: Vec<ChainFee>,
}

/// The parts of `slot_status` the agent reads.
#[derive(Clone, Debug, Deserialize)]
pub struct SlotStatus {
    /// `open`, `matching`, `delivery`, ...
    pub phase: String,
    /// orders are accepted until this time
    pub gate_closes_at: u64,
    /// trades committed for the slot
    pub trades: u64,
    /// corridor use by committed trades
    pub corridor_usage: Vec<CorridorUsage>,
    /// settlement may start at this time, once the delivery data is final
    #[serde(default)]
    pub settle_from: Option<u64>,
    /// every trade of the slot is settled or ruled
    #[serde(default)]
    pub fully_settled: bool,
}

/// How far back, in slots, the agent looks for committed slots whose
/// settlement its next commit can carry: 6 hours (a slot's settlement opens
/// about 80 minutes after it ends with the default dispute window and
/// delivery data on time; older ones are left to anyone's `settle`).
pub const CARRY_LOOKBACK_SLOTS: u64 = 24;

/// The slots a commit at block time `now` can carry to settle (`settle` of
/// `CommitIntents`): committed, not fully settled, their settlement open;
/// the oldest first, at most the contract's
/// [`settlement::rules::MAX_CARRIED_SETTLES`].
pub fn settlements_due(statuses: &[(u64, SlotStatus)], now: u64) -> Vec<SlotId> {
    let mut due: Vec<u64> = statuses
        .iter()
        .filter(|(_, st)| {
            st.trades > 0 && !st.fully_settled && st.settle_from.is_some_and(|f| f <= now)
        })
        .map(|(slot, _)| *slot)
        .collect();
    due.sort_unstable();
    due.dedup();
    due.into_iter()
        .take(settlement::rules::MAX_CARRIED_SETTLES)
        .map(SlotId)
        .collect()
}

/// Use of a pair corridor in a slot.
#[derive(Clone, Debug, Deserialize)]
pub struct CorridorUsage {
    /// seller zone
    pub from_zone: u32,
    /// buyer zone
    pub to_zone: u32,
    /// Wh (Uint128 string)
    pub used_wh: String,
}

/// A trade the agent plans to commit: `bid` and `offer` index the screened
/// intents of the slot ([`crate::intents::Candidate`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MatchedTrade {
    /// the buy intent
    pub bid: u64,
    /// the sell intent
    pub offer: u64,
    /// Wh (Uint128 string)
    pub wh: String,
    /// uaip/kWh (Uint128 string)
    pub price: String,
}

/// How the contract prices and limits trades from one zone to another in a slot,
/// as its `load_route` does: a direct corridor, or the zone itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// loss factor, bps
    pub loss_bps: u32,
    /// fee the buyer pays on top of the price, uaip/kWh
    pub fee: u64,
    /// Wh left in the slot (`None`: unlimited, inside a zone)
    pub capacity: Option<u64>,
}

fn num(what: impl FnOnce() -> String, value: &str, max: u64) -> Result<u64, MatcherError> {
    match value.parse::<u64>() {
        Ok(v) if v <= max => Ok(v),
        _ => Err(MatcherError::ChainValue {
            what: what(),
            value: value.into(),
            max,
        }),
    }
}

/// The contract's routes for a slot: every directed corridor (its fee replaced by the
/// slot's override if any) with the capacity left after `usage`, and every zone to
/// itself (fee from an override, else free; no capacity limit).
pub fn to_routes(
    net: &ChainNetwork,
    fees: &[ChainFee],
    usage: &[CorridorUsage],
) -> Result<BTreeMap<(u32, u32), Route>, MatcherError> {
    let mut over = BTreeMap::new();
    for f in fees {
        let fee = num(
            || format!("congestion fee {} -> {}", f.from_zone, f.to_zone),
            &f.fee_per_kwh,
            MAX_PRICE,
        )?;
        over.insert((f.from_zone, f.to_zone), fee);
    }
    let mut used = BTreeMap::new();
    for u in usage {
        let wh = num(
            || format!("corridor usage {} -> {}", u.from_zone, u.to_zone),
            &u.used_wh,
            u64::MAX,
        )?;
        used.insert((u.from_zone, u.to_zone), wh);
    }
    let mut routes = BTreeMap::new();
    for z in &net.zones {
        routes.insert(
            (z.id, z.id),
            Route {
                loss_bps: 0,
                fee: over.get(&(z.id, z.id)).copied().unwrap_or(0),
                capacity: None,
            },
        );
    }
    for c in &net.corridors {
        let key = (c.from_zone, c.to_zone);
        let what = || format!("corridor {} -> {}", c.from_zone, c.to_zone);
        let cap = num(what, &c.capacity_wh, u64::MAX)?;
        let fee = num(what, &c.fee_per_kwh, MAX_PRICE)?;
        routes.insert(
            key,
            Route {
                loss_bps: c.loss_bps,
                fee: over.get(&key).copied().unwrap_or(fee),
                capacity: Some(cap.saturating_sub(used.get(&key).copied().unwrap_or(0))),
            },
        );
    }
    Ok(routes)
}

/// The matcher's network from the contract's routes. The contract's corridors are
/// directed zone pairs; the matcher's are undirected, so a pair with corridors both
/// ways becomes one corridor with the smaller capacity and the larger loss and fee
/// (conservative: what the matcher plans fits either direction), and a one-way
/// corridor becomes a corridor whose other direction [`to_commit`] refuses.
/// Zones carry no loss (the contract knows none); lost energy is valued at
/// `loss_price` (the agent uses [`loss_price`] of the book), so the clearing prefers
/// low-loss routes (the contract pays the seller for the net energy only).
pub fn to_network(
    net: &ChainNetwork,
    routes: &BTreeMap<(u32, u32), Route>,
    loss_price: u64,
) -> Network {
    let zones = net
        .zones
        .iter()
        .map(|z| Zone {
            id: z.id,
            name: z.name.clone(),
            loss_bps: 0,
        })
        .collect();
    let mut pairs: BTreeMap<(u32, u32), (u64, u32, u64)> = BTreeMap::new();
    for (&(a, b), r) in routes {
        if a == b {
            continue;
        }
        let cap = r.capacity.unwrap_or(u64::MAX);
        let e = pairs
            .entry((a.min(b), a.max(b)))
            .or_insert((cap, r.loss_bps, r.fee));
        e.0 = e.0.min(cap);
        e.1 = e.1.max(r.loss_bps);
        e.2 = e.2.max(r.fee);
    }
    let corridors = pairs
        .into_iter()
        .enumerate()
        .map(|(i, ((from, to), (capacity_wh, loss_bps, fee)))| Corridor {
            id: i as u32,
            from,
            to,
            capacity_wh,
            loss_bps: loss_bps.min(9_999),
            fee,
        })
        .collect();
    Network {
        zones,
        corridors,
        loss_price,
    }
}

/// The value of lost energy for a book: the median offer limit (uaip/kWh), 0 without offers.
pub fn loss_price(book: &OrderBook) -> u64 {
    let mut p: Vec<u64> = book
        .orders
        .iter()
        .filter(|o| o.side == Side::Offer)
        .map(|o| o.limit_price)
        .collect();
    p.sort_unstable();
    p.get(p.len() / 2).copied().unwrap_or(0)
}

/// Fits the matcher's trades to the contract's rules, so the commit is not rejected:
/// a trade needs a direct route from the seller's to the buyer's zone (multi-hop
/// routes and the wrong direction of a one-way corridor are dropped), is cut to the
/// route's remaining capacity, and is priced at most `bid max - route fee` and at
/// least the offer's minimum (dropped when that range is empty). Returns the trades
/// to commit and the trades dropped.
pub fn to_commit(
    book: &OrderBook,
    trades: &[Trade],
    routes: &BTreeMap<(u32, u32), Route>,
) -> (Vec<MatchedTrade>, Vec<Trade>) {
    let limits: HashMap<u64, u64> = book.orders.iter().map(|o| (o.id, o.limit_price)).collect();
    let mut left: BTreeMap<(u32, u32), Option<u64>> =
        routes.iter().map(|(k, r)| (*k, r.capacity)).collect();
    let (mut out, mut dropped) = (Vec::new(), Vec::new());
    for t in trades {
        let key = (t.from_zone, t.to_zone);
        let (Some(route), Some(&max), Some(&min)) =
            (routes.get(&key), limits.get(&t.bid), limits.get(&t.offer))
        else {
            dropped.push(t.clone());
            continue;
        };
        let cap = left.get_mut(&key).and_then(|c| c.as_mut());
        let wh = match &cap {
            Some(c) => t.wh.min(**c),
            None => t.wh,
        };
        let price = max.checked_sub(route.fee).map(|hi| t.price.min(hi));
        match price {
            Some(price) if wh > 0 && price >= min => {
                if let Some(c) = cap {
                    *c -= wh;
                }
                if wh < t.wh {
                    dropped.push(Trade {
                        wh: t.wh - wh,
                        ..t.clone()
                    });
                }
                out.push(MatchedTrade {
                    bid: t.bid,
                    offer: t.offer,
                    wh: wh.to_string(),
                    price: price.to_string(),
                });
            }
            _ => dropped.push(t.clone()),
        }
    }
    (out, dropped)
}

/// What the agent plans for a slot before it commits: the screened intents
/// as an order book, its clearing on the contract's network, and the trades
/// fitted to the contract's routes.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The book cleared (order id = index into the candidates).
    pub book: OrderBook,
    /// The clearing of the book on [`to_network`] of the routes.
    pub clearing: Clearing,
    /// The trades to commit ([`to_commit`]).
    pub trades: Vec<MatchedTrade>,
    /// Trades (or parts) the contract's routes do not allow.
    pub dropped: Vec<Trade>,
}

/// The agent's plan for `slot` from its screened `candidates`
/// ([`crate::intents::screen`]), on the contract's network `net` and the
/// slot's `routes` ([`to_routes`]: fees and capacity left): the book
/// ([`crate::intents::to_order_book`]), cleared with `method` on
/// [`to_network`] with lost energy valued at the book's [`loss_price`], the
/// trades fitted by [`to_commit`]. The one plan of the online agent and of
/// the simulation.
pub fn plan(
    slot: u64,
    candidates: &[Candidate],
    net: &ChainNetwork,
    routes: &BTreeMap<(u32, u32), Route>,
    method: Method,
) -> Result<Plan, MatcherError> {
    let book = intents::to_order_book(slot, candidates);
    let clearing = clear(&book, &to_network(net, routes, loss_price(&book)), method)?;
    let (trades, dropped) = to_commit(&book, &clearing.trades, routes);
    Ok(Plan {
        book,
        clearing,
        trades,
        dropped,
    })
}

/// `GET {gw}/v1/book/{slot}/frozen`: the gateway's frozen book of `slot`,
/// `None` while the gateway answers 404 `not_frozen`. Any other answer, a
/// book of another slot or an unreadable body is an error naming the URL.
pub async fn fetch_frozen_book(gw: &str, slot: u64) -> Result<Option<FrozenBook>, MatcherError> {
    let url = format!("{gw}/v1/book/{slot}/frozen");
    let u = url.clone();
    let answer = tokio::task::spawn_blocking(move || crate::http::request("GET", &u, None))
        .await
        .map_err(|e| MatcherError::Gateway {
            url: url.clone(),
            reason: e.to_string(),
        })?;
    let (status, body) = answer.map_err(|e| MatcherError::Gateway {
        url: url.clone(),
        reason: e.to_string(),
    })?;
    match status {
        200 => {}
        404 if body.contains("not_frozen") => return Ok(None),
        _ => return Err(MatcherError::GatewayStatus { url, status, body }),
    }
    let book: FrozenBook = serde_json::from_str(&body).map_err(|e| MatcherError::Gateway {
        url: url.clone(),
        reason: format!("not a frozen book: {e}"),
    })?;
    if book.slot != slot {
        return Err(MatcherError::FrozenBookSlot {
            slot,
            got: book.slot,
        });
    }
    Ok(Some(book))
}

/// The slot whose matching phase is current at chain time `now`, if any: the next
/// slot to start, once its gate (`gate_closure_secs` before its start) has closed.
pub fn matching_slot(now: u64, gate_closure_secs: u64) -> Option<u64> {
    let next = (now / SLOT_SECS + 1) * SLOT_SECS;
    (now >= next.saturating_sub(gate_closure_secs)).then_some(next)
}

/// The wait after `failures` failed cycles in a row: 2 s doubling up to 60 s.
pub fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.clamp(1, 6)).min(Duration::from_secs(60))
}

/// What one cycle did for a slot.
#[derive(Clone, Debug, PartialEq)]
pub enum CycleOutcome {
    /// The slot already has committed trades: nothing was done.
    AlreadyCommitted {
        /// trades on chain
        trades: u64,
    },
    /// The slot is not in its matching phase (gate still open, or the slot started).
    NotMatching {
        /// the phase the contract reports
        phase: String,
    },
    /// Nothing in the book matched.
    NoTrades {
        /// intents of the frozen book that passed the screening
        orders: usize,
        /// intents left out (see [`crate::intents::screen`])
        skipped: usize,
    },
    /// The gateway has not frozen the slot's book yet (its gate clock is
    /// behind the chain's): the cycle is retried.
    BookNotFrozen,
    /// The slot's trades between signed intents were committed (one
    /// `CommitIntents`).
    CommittedIntents {
        /// trades committed
        trades: usize,
        /// intents the batch carried
        intents: usize,
        /// energy, Wh
        wh: u64,
        /// intents of the frozen book left out, with the contract's reason
        skipped: Vec<SkippedIntent>,
        /// trades left out: beyond `max_batch`, or of an intent or trade the contract refused
        skipped_trades: usize,
        /// trades (or parts) the contract's routes did not allow
        dropped: usize,
        /// commits the contract refused before this one
        retries: usize,
        /// transaction hash
        tx_hash: String,
        /// wasmd gas used by the transaction
        gas_used: u64,
        /// earlier slots whose settlement the commit carried ([`settlements_due`])
        settled: Vec<u64>,
        /// What the agent publishes for `verify-slot`: the state it screened
        /// against and every intent left out, with the reason
        /// ([`crate::verify::Screening`]; also written to the publish
        /// folder, [`Agent::with_publish_dir`]).
        screening: crate::verify::Screening,
    },
}

/// The online matcher: a chain client signing as the settlement contract's matcher.
pub struct Agent {
    chain: ChainClient,
    settlement: String,
    reputation: Option<String>,
    meter_oracle: Option<String>,
    method: Method,
    gate_closure_secs: u64,
    max_batch: u32,
    default_collateral_bps: u32,
    collateral_floor_price: u128,
    domain: IntentDomain,
    gateway: Option<String>,
    publish_dir: Option<std::path::PathBuf>,
}

impl Agent {
    /// Reads the settlement contract's configuration; refuses a signer that does not
    /// hold its matcher role.
    pub async fn new(
        chain: ChainClient,
        deployment: &Deployment,
        method: Method,
    ) -> Result<Self, MatcherError> {
        Self::connect(chain, deployment, method, true).await
    }

    /// An agent for reading only (`verify-slot`: anyone may re-run a slot):
    /// no signer or role needed; a commit through it is refused by the
    /// contract, which checks the matcher role.
    pub async fn reader(chain: ChainClient, deployment: &Deployment) -> Result<Self, MatcherError> {
        Self::connect(chain, deployment, Method::Auto, false).await
    }

    async fn connect(
        chain: ChainClient,
        deployment: &Deployment,
        method: Method,
        matcher_role: bool,
    ) -> Result<Self, MatcherError> {
        let settlement = deployment.address("settlement")?.to_string();
        let reputation = deployment.address("reputation").ok().map(String::from);
        let cfg: settlement::msg::ConfigResponse =
            chain.query(&settlement, &QueryMsg::Config {}).await?;
        let ours = match chain.address() {
            Some(a) => a.to_string(),
            None if !matcher_role => String::new(),
            None => return Err(chain_client::Error::NoSigner.into()),
        };
        if matcher_role && ours != cfg.roles.matcher {
            return Err(MatcherError::NotMatcher {
                signer: ours,
                matcher: cfg.roles.matcher,
            });
        }
        let domain = IntentDomain {
            chain_id: chain.config().chain_id.clone(),
            contract: settlement.clone(),
        };
        Ok(Agent {
            chain,
            settlement,
            reputation: cfg.roles.reputation.or(reputation),
            meter_oracle: cfg.roles.meter_oracle,
            method,
            gate_closure_secs: cfg.params.gate_closure_secs,
            max_batch: cfg.params.max_batch.max(1),
            default_collateral_bps: cfg.params.default_collateral_bps,
            collateral_floor_price: cfg.params.collateral_floor_price.u128(),
            domain,
            gateway: None,
            publish_dir: None,
        })
    }

    /// Clears from the gateway at `url` (e.g. `http://127.0.0.1:8787`): its
    /// frozen book of signed intents, committed with `CommitIntents`.
    pub fn with_gateway(mut self, url: impl Into<String>) -> Self {
        self.gateway = Some(url.into().trim_end_matches('/').to_string());
        self
    }

    /// Writes each committed slot's screening record to
    /// `dir/screening-<slot>.json` ([`crate::verify::Screening`]), for
    /// `verify-slot --screening` (serve the folder, or hand the file over).
    pub fn with_publish_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.publish_dir = Some(dir.into());
        self
    }

    /// One cycle for `slot` (see the module docs). Safe to repeat: a slot with
    /// committed trades is skipped.
    pub async fn cycle(&self, slot: u64) -> Result<CycleOutcome, MatcherError> {
        let gw = self.gateway.as_deref().ok_or(MatcherError::NoGateway)?;
        let status: SlotStatus = self
            .chain
            .query(
                &self.settlement,
                &QueryMsg::SlotStatus { slot: SlotId(slot) },
            )
            .await?;
        if status.trades > 0 {
            return Ok(CycleOutcome::AlreadyCommitted {
                trades: status.trades,
            });
        }
        if status.phase != "matching" {
            return Ok(CycleOutcome::NotMatching {
                phase: status.phase,
            });
        }
        self.cycle_intents(gw, slot, &status).await
    }

    /// Runs until `shutdown` completes (e.g. ctrl-c): every `poll`, reads the chain
    /// time and, once the next slot's gate has closed, runs its cycle. Errors are
    /// logged and retried with exponential backoff ([`backoff`]); the chain
    /// is the only state, so a restarted agent resumes where it stopped.
    pub async fn run(
        &self,
        poll: Duration,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), MatcherError> {
        tokio::pin!(shutdown);
        let mut done: BTreeSet<u64> = BTreeSet::new();
        let mut failures = 0u32;
        loop {
            let wait = match self.tick(&mut done).await {
                Ok(()) => {
                    failures = 0;
                    poll
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let wait = backoff(failures);
                    tracing::warn!(error = %e, retry_in = ?wait, "cycle failed");
                    wait
                }
            };
            tokio::select! {
                _ = &mut shutdown => {
                    tracing::info!("shutting down");
                    return Ok(());
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn tick(&self, done: &mut BTreeSet<u64>) -> Result<(), MatcherError> {
        let (_, now) = self.chain.latest_block().await?;
        let Some(slot) = matching_slot(now.max(0) as u64, self.gate_closure_secs) else {
            return Ok(());
        };
        if done.contains(&slot) {
            return Ok(());
        }
        let outcome = self.cycle(slot).await?;
        tracing::info!(slot, ?outcome, "cycle");
        if !matches!(
            outcome,
            CycleOutcome::NotMatching { .. } | CycleOutcome::BookNotFrozen
        ) {
            done.insert(slot);
            // keep the set small
            done.retain(|&s| s + 4 * SLOT_SECS > slot);
        }
        Ok(())
    }
}

/// Whether a refused commit's log is the refusal of its `settle` list.
fn carried_settle_refused(log: &str) -> bool {
    log.contains("with the commit:")
        || log.contains("in `settle`")
        || log.contains("earlier slots, got")
}

impl Agent {
    /// The slots before `slot` (up to [`CARRY_LOOKBACK_SLOTS`]) whose
    /// settlement a commit at block time `now` can carry, read at `height`.
    pub async fn settlements_due_at(
        &self,
        slot: u64,
        now: u64,
        height: Option<u64>,
    ) -> Result<Vec<SlotId>, MatcherError> {
        let mut statuses = Vec::new();
        for back in 1..=CARRY_LOOKBACK_SLOTS {
            let Some(s) = slot.checked_sub(back * SLOT_SECS) else {
                break;
            };
            let st: SlotStatus = self
                .chain
                .query_at(
                    &self.settlement,
                    &QueryMsg::SlotStatus { slot: SlotId(s) },
                    height,
                )
                .await?;
            statuses.push((s, st));
        }
        Ok(settlements_due(&statuses, now))
    }

    /// The gateway's frozen book of `slot`; `None` while it is not frozen (404).
    pub async fn frozen_book(
        &self,
        gw: &str,
        slot: u64,
    ) -> Result<Option<FrozenBook>, MatcherError> {
        fetch_frozen_book(gw, slot).await
    }

    /// What the chain says about the book's meters and owners: registry
    /// entries (meter-oracle `deliveries`, 500 meters a query), the node → zone
    /// map (settlement `node_zones`, pages of 500), fills (`intent_fill`), free
    /// balances (`balance`) and trading terms (reputation
    /// `trading_terms_batch`, 1000 accounts a query). Owners that are not
    /// addresses are left out (their intents fail the signature check).
    pub async fn chain_view(
        &self,
        slot: u64,
        frozen: &FrozenBook,
        zones: BTreeSet<u32>,
    ) -> Result<ChainView, MatcherError> {
        self.chain_view_at(slot, frozen, zones, None).await
    }

    /// [`Self::chain_view`] read from the state after block `height` (`None`:
    /// the latest), so that one view is one state and `verify-slot` can read
    /// the same one.
    pub async fn chain_view_at(
        &self,
        slot: u64,
        frozen: &FrozenBook,
        zones: BTreeSet<u32>,
        height: Option<u64>,
    ) -> Result<ChainView, MatcherError> {
        let sources = ViewSources {
            slot,
            zones,
            default_collateral_bps: self.default_collateral_bps,
            collateral_floor_price: self.collateral_floor_price,
            meter_oracle: self.meter_oracle.is_some(),
            reputation: self.reputation.is_some(),
        };
        let mut b = ViewBuilder::new(frozen, sources, |o| self.chain.parse_address(o).is_ok());
        while let Some(q) = b.next_query() {
            let answer: serde_json::Value = match (&q, &self.meter_oracle, &self.reputation) {
                (ViewQuery::Settlement(m), _, _) => {
                    self.chain.query_at(&self.settlement, m, height).await?
                }
                (ViewQuery::MeterOracle(m), Some(mo), _) => {
                    self.chain.query_at(mo, m, height).await?
                }
                (ViewQuery::Reputation(m), _, Some(rep)) => {
                    self.chain.query_at(rep, m, height).await?
                }
                // Not asked: the builder knows which contracts the market has.
                _ => break,
            };
            b.answer(answer)?;
        }
        Ok(b.finish())
    }

    /// `verify-slot` against the chain: re-runs the clearing of `frozen` and
    /// compares it with the trades the chain recorded for `slot`
    /// (`trades_by_slot`); the network is the contract's.
    ///
    /// With the committer's `screening` record (exact): the record's clock
    /// must be its height's block time plus [`EXPIRY_MARGIN_SECS`] and the
    /// slot uncommitted at that height; the committer's screening is re-run
    /// on the state at that height (network, fees, corridor use, registry,
    /// zones, fills, balances, trading terms) and every screened-out intent's
    /// reason re-checked ([`crate::verify::check_screening`]); the remaining
    /// intents are cleared as the committer clears them. Intents the contract
    /// refused at commit are left out unchecked and listed in the report.
    ///
    /// Without a record: zones come from the meter registry and the node →
    /// zone map at the latest height; an intent whose meter is not an active
    /// meter of its owner is left out, every other intent is in the re-run
    /// (so it may exceed the commit when the committer screened intents out
    /// for their funds or eligibility). `tolerance` is the allowed relative
    /// welfare shortfall.
    pub async fn verify_slot(
        &self,
        slot: u64,
        frozen: &FrozenBook,
        screening: Option<&crate::verify::Screening>,
        tolerance: f64,
    ) -> Result<crate::verify::Report, crate::verify::VerifyError> {
        use crate::verify::{
            book_from_candidates, book_from_frozen_with, check_screening, committed_from_chain,
            verify_book, VerifyError,
        };
        let at = screening.map(|s| s.height);
        if let Some(s) = screening {
            let block_time = self
                .chain
                .block_time(s.height)
                .await
                .map_err(MatcherError::from)?;
            let block_time = block_time.max(0) as u64;
            if block_time.saturating_add(EXPIRY_MARGIN_SECS) != s.now {
                return Err(VerifyError::ScreeningClock {
                    now: s.now,
                    height: s.height,
                    block_time,
                    margin: EXPIRY_MARGIN_SECS,
                });
            }
        }
        let status: SlotStatus = self
            .chain
            .query_at(
                &self.settlement,
                &QueryMsg::SlotStatus { slot: SlotId(slot) },
                at,
            )
            .await
            .map_err(MatcherError::from)?;
        if let (Some(height), true) = (at, status.trades > 0) {
            return Err(VerifyError::ScreenedAfterCommit {
                height,
                slot,
                trades: status.trades,
            });
        }
        let (net, fees) = self.network_at(slot, at).await?;
        let usage = if at.is_some() {
            status.corridor_usage.as_slice()
        } else {
            &[]
        };
        let routes = to_routes(&net, &fees.fees, usage)?;
        let zones = net.zones.iter().map(|z| z.id).collect();
        let view = self.chain_view_at(slot, frozen, zones, at).await?;
        let (book, checked) = match screening {
            Some(s) => {
                let (candidates, unchecked) = check_screening(frozen, &self.domain, s, &view)?;
                let book = book_from_candidates(frozen, &self.domain, &candidates)?;
                (book, Some((s.height, s.screened.len(), unchecked)))
            }
            None => {
                let book = book_from_frozen_with(frozen, &self.domain, |_, e, owner| {
                    let i = &e.signed.intent;
                    Ok(
                        settlement::rules::check_meter(owner, i.meter, view.meters.get(&i.meter))
                            .ok()
                            .and_then(|node| view.node_zones.get(&node).copied()),
                    )
                })?;
                (book, None)
            }
        };
        let network = to_network(&net, &routes, loss_price(&book));
        let mut trades = Vec::new();
        let mut start_after = None;
        loop {
            let page: settlement::msg::TradesResponse = self
                .chain
                .query(
                    &self.settlement,
                    &QueryMsg::TradesBySlot {
                        slot: SlotId(slot),
                        start_after,
                        limit: Some(PAGE),
                    },
                )
                .await
                .map_err(MatcherError::from)?;
            let n = page.trades.len();
            start_after = page.trades.last().map(|t| t.id);
            trades.extend(page.trades);
            if n < PAGE as usize {
                break;
            }
        }
        let committed = committed_from_chain(frozen, &book, &network, &trades)?;
        let mut report = verify_book(&book, frozen.intents.len(), &network, &committed, tolerance)?;
        if let Some((height, screened_out, unchecked)) = checked {
            report.screening_height = Some(height);
            report.screened_out = screened_out;
            report.unchecked = unchecked;
        }
        Ok(report)
    }

    /// The contract's network and `slot`'s congestion fees, from the state
    /// after block `at` (`None`: the latest).
    async fn network_at(
        &self,
        slot: u64,
        at: Option<u64>,
    ) -> Result<(ChainNetwork, FeesResponse), MatcherError> {
        let net: ChainNetwork = self
            .chain
            .query_at(&self.settlement, &QueryMsg::Network {}, at)
            .await?;
        let fees: FeesResponse = self
            .chain
            .query_at(
                &self.settlement,
                &QueryMsg::CongestionFees { slot: SlotId(slot) },
                at,
            )
            .await?;
        Ok((net, fees))
    }

    /// Writes `screening` to the publish folder, if there is one.
    fn publish(&self, screening: &crate::verify::Screening) -> Result<(), MatcherError> {
        match &self.publish_dir {
            Some(dir) => crate::verify::write_screening(dir, screening).map(|_| ()),
            None => Ok(()),
        }
    }

    /// One cycle from the gateway's frozen book (see the module docs).
    async fn cycle_intents(
        &self,
        gw: &str,
        slot: u64,
        status: &SlotStatus,
    ) -> Result<CycleOutcome, MatcherError> {
        let Some(frozen) = self.frozen_book(gw, slot).await? else {
            return Ok(CycleOutcome::BookNotFrozen);
        };
        // One state for the whole screening, which `verify-slot` reads again
        // from the published record: the block before the node's latest. The
        // node stores its latest block before the app has applied it, and a
        // query at that height can fail ("cannot query with height in the
        // future"); the block before it is always applied.
        let (latest, latest_time) = self.chain.latest_block().await?;
        let height = latest.saturating_sub(1).max(1);
        let now = self.chain.block_time(height).await?;
        let at = Some(height);
        let (net, fees) = self.network_at(slot, at).await?;
        let routes = to_routes(&net, &fees.fees, &status.corridor_usage)?;
        let zones = net.zones.iter().map(|z| z.id).collect();
        let view = self.chain_view_at(slot, &frozen, zones, at).await?;
        let now = (now.max(0) as u64).saturating_add(EXPIRY_MARGIN_SECS);
        let (candidates, mut skipped) = intents::screen(&frozen, &self.domain, slot, now, &view);
        let screened: Vec<crate::verify::ScreenedOut> = skipped.iter().map(Into::into).collect();
        let plan = plan(slot, &candidates, &net, &routes, self.method)?;
        tracing::info!(
            slot,
            intents = frozen.intents.len(),
            screened = candidates.len(),
            skipped = skipped.len(),
            trades = plan.trades.len(),
            dropped = plan.dropped.len(),
            welfare = plan.clearing.welfare,
            "cleared the gateway's frozen book"
        );
        let dropped = plan.dropped.len();
        // Earlier slots whose settlement this commit carries (open by the
        // latest block's time: the commit lands later still): a failed
        // lookup only means the commit carries none.
        let carry_now = latest_time.max(0) as u64;
        let mut carry = match self.settlements_due_at(slot, carry_now, at).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(slot, error = %e, "no settlements carried: slot status not read");
                Vec::new()
            }
        };
        let mut commit =
            intents::Commit::new(&candidates, plan.trades, &routes, self.max_batch as usize);
        let mut last = String::new();
        for attempt in 0..MAX_COMMIT_ATTEMPTS {
            let batch = commit.batch();
            if batch.trades.is_empty() {
                return Ok(CycleOutcome::NoTrades {
                    orders: candidates.len(),
                    skipped: skipped.len() + commit.refused_intents.len(),
                });
            }
            let msg = ExecuteMsg::CommitIntents {
                slot: SlotId(slot),
                intents: batch.intents.clone(),
                trades: batch.trades.clone(),
                settle: carry.clone(),
            };
            let call = Execute::new(&self.settlement, &msg, &[])?;
            let err = match self.chain.execute_multi(vec![call]).await {
                Ok(tx) => {
                    let wh = batch.trades.iter().map(|t| t.wh.u128() as u64).sum();
                    tracing::info!(slot, trades = batch.trades.len(), wh, tx = %tx.hash, gas = tx.gas_used, "committed intents");
                    let screening = crate::verify::Screening {
                        slot,
                        book_hash: frozen.book_hash.clone(),
                        height,
                        now,
                        screened,
                        refused: commit.refused_intents.iter().map(Into::into).collect(),
                    };
                    // The slot is committed: a record that cannot be written
                    // is reported, not a failed cycle (it is in the outcome too).
                    if let Err(e) = self.publish(&screening) {
                        tracing::error!(slot, error = %e, "screening record not published");
                    }
                    skipped.extend(commit.refused_intents);
                    return Ok(CycleOutcome::CommittedIntents {
                        trades: batch.trades.len(),
                        intents: batch.intents.len(),
                        wh,
                        skipped,
                        skipped_trades: batch.skipped.len() + commit.refused_trades.len(),
                        dropped,
                        retries: attempt,
                        tx_hash: tx.hash,
                        gas_used: tx.gas_used,
                        settled: carry.iter().map(|s| s.0).collect(),
                        screening,
                    });
                }
                Err(e) => e,
            };
            let log = err.raw_log().unwrap_or_default().to_string();
            last.clone_from(&log);
            // The settlement it carried was refused (the slot's state moved
            // since it was read): commit without it; anyone's `settle` remains.
            if !carry.is_empty() && carried_settle_refused(&log) {
                tracing::warn!(slot, reason = %log, "carried settlement refused: committing without it");
                carry.clear();
                continue;
            }
            match commit.refused(&batch, &log) {
                intents::Next::SlotCommitted => {
                    let st: SlotStatus = self
                        .chain
                        .query(
                            &self.settlement,
                            &QueryMsg::SlotStatus { slot: SlotId(slot) },
                        )
                        .await?;
                    return Ok(CycleOutcome::AlreadyCommitted { trades: st.trades });
                }
                intents::Next::Retry => {
                    tracing::warn!(slot, reason = %log, "the contract refused an intent or a trade: dropped, retrying");
                }
                // Whatever failed may be the carried settlement's part
                // (reputation refusing its outcomes, say): the slot's own
                // commit must not wait for it, so one more try without it.
                intents::Next::Fail if !carry.is_empty() => {
                    tracing::warn!(slot, reason = %log, "commit failed while carrying settlements: retrying without them");
                    carry.clear();
                }
                intents::Next::Fail => return Err(err.into()),
            }
        }
        Err(MatcherError::CommitRefused {
            slot,
            attempts: MAX_COMMIT_ATTEMPTS,
            last,
        })
    }
}

#[cfg(test)]
mod tests;

//! [`MarketChain`] on the in-process chain: `aip_testing::Deployment`, the
//! real contract code on cw-multi-test.
//!
//! Orders are cw20 `Send`s of AIP to the settlement contract (bid escrow,
//! offer collateral); the matcher role commits each slot's trades; the oracle
//! role reports the seller meters' exports; anyone settles; households
//! withdraw their credits at the end of each day.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use aip_testing::deployment::roles;
use aip_testing::{Deployment, DeploymentConfig};
use aip_types::{SlotId, ZoneId};
use anyhow::{anyhow, Context, Result};
use cosmwasm_std::{to_json_binary, Addr, Timestamp, Uint128};
use cw_multi_test::{AppResponse, Executor};
use settlement::msg::{
    BalanceResponse, ConfigResponse, Corridor as SCorridor, ExecuteMsg, HoldingsResponse,
    MatchedTrade, QueryMsg, ReceiveMsg, SlotStatusResponse, TradeStatus, TradesResponse,
    Zone as SZone,
};

use crate::chain::{
    Audit, Capabilities, MarketChain, NewOrder, Participant, Reading, SettleReport, TradeResult,
};
use crate::market::{Network, Side, Trade};
use crate::scenario::Corridor;

/// The in-process chain.
pub struct InProcessChain {
    pub d: Deployment,
    people: Vec<Participant>,
    addrs: Vec<Addr>,
    /// Account address -> household index.
    index: BTreeMap<Addr, usize>,
    /// Order id -> (owner, side).
    orders: BTreeMap<u64, (usize, Side)>,
    /// Seller households with committed trades, by slot.
    sellers: BTreeMap<u64, BTreeSet<usize>>,
    max_batch: usize,
    default_collateral_bps: u32,
    /// The settlement's collateral floor price, uaip/kWh.
    collateral_floor_price: u128,
    clock_set: bool,
    /// Meter id (meter-oracle) and device key of each participant.
    meters: Vec<(meter_oracle::msg::MeterId, ed25519_dalek::SigningKey)>,
    /// Reputation scores, refreshed after each settlement.
    scores: Vec<u16>,
    /// Offer collateral ratio of each participant (its reputation tier), bps.
    ratios: Vec<u32>,
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

fn order_id(r: &AppResponse) -> Option<u64> {
    r.events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == "order_id")
        .and_then(|a| a.value.parse().ok())
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
            index: BTreeMap::new(),
            orders: BTreeMap::new(),
            sellers: BTreeMap::new(),
            max_batch: cfg.settlement_params.max_batch as usize,
            default_collateral_bps: cfg.settlement_params.default_collateral_bps,
            collateral_floor_price: cfg.settlement_params.collateral_floor_price.u128(),
            clock_set: false,
            meters: vec![],
            scores: vec![],
            ratios: vec![],
            operators: roles::METER_ORACLES.len(),
        })
    }

    /// The address of participant `i`.
    pub fn addr(&self, i: usize) -> &Addr {
        &self.addrs[i]
    }

    /// Participant `i`'s meter (the meter-oracle id, the same in settlement).
    fn meter(&self, i: usize) -> aip_types::MeterId {
        self.meters[i].0
    }

    /// Refreshes the scores and collateral ratios from reputation.
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
        let mut ratios = Vec::with_capacity(self.addrs.len());
        for a in &self.addrs {
            ratios.push(self.d.trading_terms(a)?.collateral_ratio_bps);
        }
        self.ratios = ratios;
        Ok(())
    }

    fn role(&self, name: &str) -> Addr {
        self.d.addr(name)
    }

    /// Executes on settlement (a contract error stays downcastable: [`is`]).
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

impl MarketChain for InProcessChain {
    fn label(&self) -> String {
        "in-process chain (cw-multi-test, aip_testing::Deployment)".into()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            settlement: true,
            reputation: true,
            meter_oracle: true,
        }
    }

    fn setup(&mut self, people: &[Participant], net: &Network, funding_uaip: u128) -> Result<()> {
        self.people = people.to_vec();
        self.addrs = people.iter().map(|p| self.d.addr(&p.name)).collect();
        self.index = self
            .addrs
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, a)| (a, i))
            .collect();
        // Wire settlement to reputation (collateral, eligibility, outcomes)
        // and to the meter-oracle (meter ownership, finalized deliveries).
        let (rep, mo) = (self.d.reputation.clone(), self.d.meter_oracle.clone());
        self.d.wire_settlement(Some(&rep), Some(&mo))?;
        self.meters = Vec::with_capacity(people.len());
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
        }
        self.refresh_reputation()?;
        let cfg: ConfigResponse = self.query(&QueryMsg::Config {})?;
        self.max_batch = cfg.params.max_batch as usize;
        self.default_collateral_bps = cfg.params.default_collateral_bps;
        self.collateral_floor_price = cfg.params.collateral_floor_price.u128();
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
        // takes an order's zone from its meter's node.
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
        let mut out = Vec::with_capacity(orders.len());
        for o in orders {
            let zone = self.people[o.owner].zone;
            let meter = self.meter(o.owner);
            let (amount, hook) = match o.side {
                Side::Bid => (
                    aip_types::escrow_for(o.wh.into(), o.price.into())?,
                    ReceiveMsg::PlaceBid {
                        slot,
                        zone,
                        meter,
                        wh: o.wh.into(),
                        max_price: o.price.into(),
                    },
                ),
                Side::Offer => (
                    settlement::rules::offer_collateral(
                        o.wh.into(),
                        o.price.into(),
                        self.collateral_floor_price.into(),
                        self.ratios
                            .get(o.owner)
                            .copied()
                            .unwrap_or(self.default_collateral_bps),
                    )
                    .map_err(|e| anyhow!("{e}"))?,
                    ReceiveMsg::PlaceOffer {
                        slot,
                        zone,
                        meter,
                        wh: o.wh.into(),
                        min_price: o.price.into(),
                        premium_only: false,
                    },
                ),
            };
            let owner = self.addrs[o.owner].clone();
            let placed = if amount.is_zero() {
                let ReceiveMsg::PlaceOffer {
                    slot,
                    zone,
                    meter,
                    wh,
                    min_price,
                    premium_only,
                } = hook
                else {
                    return Err(anyhow!("a bid always locks escrow"));
                };
                self.exec(
                    &owner,
                    &ExecuteMsg::PlaceOffer {
                        offer: settlement::msg::OfferParams {
                            slot,
                            zone,
                            meter,
                            wh,
                            min_price,
                            premium_only,
                        },
                    },
                )
            } else {
                let send = cw20::Cw20ExecuteMsg::Send {
                    contract: self.d.settlement.to_string(),
                    amount,
                    msg: to_json_binary(&hook)?,
                };
                let token = self.d.token.clone();
                self.d.app.execute_contract(owner, token, &send, &[])
            };
            out.push(match placed {
                Ok(r) => {
                    let id = order_id(&r).ok_or_else(|| anyhow!("no order_id attribute"))?;
                    self.orders.insert(id, (o.owner, o.side));
                    Ok(id)
                }
                Err(e) => Err(reason(&e)),
            });
        }
        Ok(out)
    }

    fn commit(&mut self, slot: SlotId, trades: &[Trade]) -> (usize, Option<String>) {
        let matcher = self.role(roles::MATCHER);
        let mut done = 0;
        for chunk in trades.chunks(self.max_batch.max(1)) {
            let msg = ExecuteMsg::CommitMatches {
                slot,
                trades: chunk
                    .iter()
                    .map(|t| MatchedTrade {
                        bid: t.bid,
                        offer: t.offer,
                        wh: t.wh.into(),
                        price: t.price.into(),
                    })
                    .collect(),
            };
            if let Err(e) = self.exec(&matcher, &msg) {
                return (done, Some(reason(&e)));
            }
            for t in chunk {
                if let Some(&(seller, _)) = self.orders.get(&t.offer) {
                    self.sellers.entry(slot.0).or_default().insert(seller);
                }
            }
            done += chunk.len();
        }
        (done, None)
    }

    fn sweep(&mut self, slot: SlotId) -> Result<()> {
        let me = self.role(roles::MATCHER);
        loop {
            let open: settlement::msg::OrdersResponse = self.query(&QueryMsg::OpenOrders {
                slot,
                zone: None,
                side: None,
                start_after: None,
                limit: Some(1),
            })?;
            if open.orders.is_empty() {
                return Ok(());
            }
            self.exec(
                &me,
                &ExecuteMsg::Sweep {
                    slot,
                    limit: Some(500),
                },
            )
            .with_context(|| format!("sweep slot {slot}"))?;
        }
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
            for t in page.trades {
                let Some(s) = t
                    .settlement
                    .filter(|_| matches!(t.status, TradeStatus::Settled | TradeStatus::Ruled))
                else {
                    rep.unsettled += 1;
                    continue;
                };
                rep.settled += 1;
                let who = |a: &str| -> Result<usize> {
                    self.index
                        .get(&Addr::unchecked(a))
                        .copied()
                        .ok_or_else(|| anyhow!("trade party {a} is not a household"))
                };
                let (wh, net, delivered) = (t.wh.u128(), t.net_wh.u128(), s.delivered_wh.u128());
                let received = (delivered * net).checked_div(wh).unwrap_or(0);
                let i = |v: Uint128| v.u128() as i128;
                rep.trades.push(TradeResult {
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
                });
            }
        }
        Ok(rep)
    }

    fn end_of_day(&mut self) -> Result<()> {
        for a in self.addrs.clone() {
            let l = self.ledger(&a)?;
            if !l.claimable.is_zero() {
                self.exec(&a, &ExecuteMsg::Withdraw { amount: None })
                    .context("withdraw")?;
            }
        }
        Ok(())
    }

    fn balances(&self) -> Result<Vec<u128>> {
        self.addrs
            .iter()
            .map(|a| {
                let l = self.ledger(a)?;
                Ok(self.d.balance(a)? + l.claimable.u128() + l.locked_in_orders.u128())
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
            ledger_matches: h.total.u128() == held && h.orders + h.trades + h.claimable == h.total,
        })
    }

    fn scores(&self) -> Result<Vec<u16>> {
        Ok(self.scores.clone())
    }
}

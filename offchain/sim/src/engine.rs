//! The simulation loop: every slot, each household forecasts, plans its
//! battery, places orders on the chain; the matcher clears the book and
//! commits; the meters report the real profile; the chain settles; the
//! learning bidders update their Q-table from what it cost them.

use aip_types::{SlotId, SLOT_SECONDS};
use anyhow::{bail, Context, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::agent::{Battery, Strategy, Tariff};
use crate::chain::{MarketChain, NewOrder, Participant, Reading, SettleReport, TradeResult};
use crate::forecast::{ForecastError, ForecastInput, Forecaster, Series};
use crate::market::{Clearing, Network, Order, Side, Trade};
use crate::rl::{action, action_index, BatteryMode, QParams, QTable, State};
use crate::scenario::{Scenario, SLOTS_PER_DAY};
use std::collections::BTreeMap;

/// Simulation parameters (the CLI sets them).
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// RNG seed: agent assignment, price jitter, exploration.
    pub seed: u64,
    /// Fraction of households that use the learning bidder.
    pub rl_share: f64,
    /// Home battery per household, kWh (0 for none).
    pub battery_kwh: f64,
    /// The utility's time-of-use tariff (retail and feed-in), uaip/kWh.
    pub tariff: Tariff,
    /// The learning bidders' Q-learning parameters (rate, discount, exploration).
    pub q: QParams,
    /// AIP each household starts with, uaip.
    pub funding_uaip: u128,
    /// Smallest order, Wh.
    pub min_order_wh: u64,
    /// Seconds before a slot's start at which the book closes.
    pub gate_closure_s: u64,
    /// The twin run: the households that would learn bid by the rule instead
    /// (everything else identical), to measure what learning gained.
    pub twin: bool,
    /// The MV/LV transformer's rating, VA (`grid.json`, [`crate::grid`]), for
    /// the count of overloaded slots; None: not counted.
    pub transformer_va: Option<u64>,
    /// The trained battery policy ([`crate::policy`]): when set, the learning
    /// households act by it (frozen) instead of the Q-table.
    pub policy: Option<crate::policy::Policy>,
    /// Battery firming ([`crate::agent::Battery::at_delivery`]): at delivery
    /// a seller's battery covers what its forecast missed of its sale, and no
    /// battery sends energy to the grid beyond its household's sale; before
    /// gate closure a household offers only what its battery can firm
    /// ([`crate::agent::Battery::firm_offer`]).
    pub firming: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            rl_share: 0.5,
            battery_kwh: 5.0,
            tariff: Tariff::default(),
            q: QParams::default(),
            funding_uaip: 1_000_000_000, // 1000 AIP
            min_order_wh: 10,
            gate_closure_s: 300,
            twin: false,
            transformer_va: None,
            policy: None,
            firming: true,
        }
    }
}

/// One household's running state and accounts.
#[derive(Debug, Clone)]
pub struct HouseholdState {
    /// How it bids: by the rule or by learning.
    pub strategy: Strategy,
    /// Its home battery (capacity and state of charge in Wh).
    pub battery: Battery,
    /// What the household paid in total (grid bill + market), uaip; negative = earned.
    pub cost_uaip: i128,
    /// What it would have paid with no battery and no market, uaip.
    pub baseline_uaip: i128,
    /// The import part of that grid-only bill (always >= 0), uaip: the
    /// denominator of savings rates.
    pub baseline_import_uaip: i128,
    /// Per simulated day: (cost, baseline, baseline import), uaip.
    pub days: Vec<(i128, i128, i128)>,
    /// The rule's (bid, offer) price levels drawn for this household; a
    /// household on the trained policy bids and offers at them too.
    pub levels: (f64, f64),
}

/// Whole-run totals.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// Slots simulated (delivered and settled).
    pub slots: u64,
    /// Household consumption, all households, Wh.
    pub load_wh: u64,
    /// PV generation, all households, Wh.
    pub pv_wh: u64,
    /// Energy bought from the grid: metered import minus what P2P trades
    /// delivered, per household, summed, Wh.
    pub grid_import_wh: u64,
    /// Energy sold to the grid at feed-in: metered export minus what the
    /// household delivered to P2P trades, summed, Wh.
    pub grid_export_wh: u64,
    /// Energy batteries drew, Wh.
    pub battery_in_wh: u64,
    /// Energy batteries delivered, Wh.
    pub battery_out_wh: u64,
    /// Buy orders the chain accepted.
    pub bids: u64,
    /// Sell orders the chain accepted.
    pub offers: u64,
    /// P2P trades settled: by the chain, or estimated off chain when no
    /// settlement contract is deployed.
    pub trades: u64,
    /// Contracted (sent) energy, Wh.
    pub contracted_wh: u64,
    /// Energy sellers delivered against trades, Wh.
    pub delivered_wh: u64,
    /// Energy buyers received after corridor losses, Wh.
    pub received_wh: u64,
    /// Corridor losses, Wh.
    pub loss_wh: u64,
    /// Trades whose seller delivered in full.
    pub full_trades: u64,
    /// Declared surplus of the matched trades: sum of wh x (bid limit - offer
    /// floor) / 1000, uaip (uaip/kWh x Wh; each trade's share rounded down).
    pub declared_welfare_uaip: u128,
    /// Value of the P2P trades at their prices for the energy received,
    /// received Wh x price / 1000, uaip (each trade rounded down).
    pub traded_value_uaip: u128,
    /// Matching batches the chain committed.
    pub batches_committed: u64,
    /// Matching batches the chain rejected.
    pub batches_rejected: u64,
    /// The chain's own settlement counts.
    pub settle: SettleReport,
    /// Error of the households' load forecasts against the real load, Wh.
    pub forecast_load: ForecastError,
    /// Error of the PV forecasts (households with PV only), Wh.
    pub forecast_pv: ForecastError,
    /// Token audits made (one at the end of each simulated day and of the run).
    pub audits: u64,
    /// Token audits that found the supply not conserved.
    pub audit_failures: u64,
    /// First batch rejection message seen, if any.
    pub first_rejection: Option<String>,
    /// Matched trades the chain left out of their slot's batch (beyond its
    /// maximum, or naming an intent or trade it refused), and the first reason.
    pub trades_skipped: u64,
    /// The first skipped trade's slot and reason.
    pub first_skip: Option<String>,
    /// Orders the chain refused (at placement, or screened out at gate
    /// closure), and the first reason.
    pub orders_refused: u64,
    /// The first refused order's slot and reason.
    pub first_refusal: Option<String>,
    /// Congestion fees paid, uaip.
    pub fees_uaip: u128,
    /// Shortfall penalties paid, uaip.
    pub penalties_uaip: u128,
}

/// Aggregates of one slot, for the plots.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlotPoint {
    /// The slot's start, Unix seconds.
    pub start: u64,
    /// Consumption of all households, Wh.
    pub load_wh: u64,
    /// PV generation of all households, Wh.
    pub pv_wh: u64,
    /// Sum of the households' load forecasts, Wh.
    pub load_forecast_wh: u64,
    /// Sum of the households' PV forecasts, Wh.
    pub pv_forecast_wh: u64,
    /// Energy of the buy orders the chain accepted, Wh.
    pub bid_wh: u64,
    /// Energy of the sell orders the chain accepted, Wh.
    pub offer_wh: u64,
    /// Energy the matcher traded (contracted), Wh.
    pub traded_wh: u64,
    /// Volume-weighted P2P price, uaip/kWh, rounded down (0 without trades).
    pub price: u64,
    /// The tariff's retail import price in the slot's (UTC) hour, uaip/kWh.
    pub retail: u64,
    /// The tariff's feed-in price, uaip/kWh.
    pub feed_in: u64,
    /// Energy bought from the grid (metered import minus P2P received), Wh.
    pub grid_import_wh: u64,
    /// Energy sold to the grid (metered export minus P2P sold), Wh.
    pub grid_export_wh: u64,
}

/// Per-day learning progress.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayPoint {
    /// Simulated day, 1-based.
    pub day: usize,
    /// Savings vs grid-only of the learning / rule-based households on the
    /// day: (group's grid-only bill - group's bill) / group's grid-only
    /// import bill (the import part: feed-in income would make a small,
    /// unstable denominator).
    pub rl_savings: f64,
    /// The same rate for the rule-based households.
    pub rule_savings: f64,
    /// The Q-table's exploration rate during the day (before its end-of-day decay).
    pub epsilon: f64,
}

/// The simulation.
pub struct Engine {
    /// The households' profiles and the slot calendar.
    pub scenario: Scenario,
    /// The run's parameters.
    pub cfg: SimConfig,
    /// The chain the orders go to: in-process contracts or a real node.
    pub chain: Box<dyn MarketChain>,
    /// The matcher's clearing method.
    pub clearing: Box<dyn Clearing>,
    /// The households' load and PV forecaster.
    pub forecaster: Box<dyn Forecaster>,
    /// Running state and accounts, one per scenario household, same order.
    pub households: Vec<HouseholdState>,
    /// The learning bidders' shared Q-table.
    pub q: QTable,
    /// Whole-run totals.
    pub totals: Totals,
    /// One point per simulated slot, in order.
    pub series: Vec<SlotPoint>,
    /// Every meter's reading per simulated slot, aligned with `series`: the
    /// per-bus net injections the power-flow step (`out/injections.csv`) uses.
    pub readings: Vec<Vec<Reading>>,
    /// One point per simulated day (the last may be partial).
    pub days: Vec<DayPoint>,
    net: Network,
    rng: ChaCha8Rng,
    /// The next slot, prepared (orders placed and matched) before the current one is delivered.
    prepared: Option<Prepared>,
    /// Next slot to simulate, 0-based from the first simulated slot.
    pub next: usize,
    /// Per household: the day plan of a household on a plan policy
    /// ([`crate::plan`]) and the day it is for.
    day_plans: Vec<Option<(usize, crate::plan::DayPlan)>>,
}

/// A slot whose orders are placed and matched, waiting for delivery.
#[derive(Debug, Clone)]
struct Prepared {
    #[allow(dead_code)]
    k: usize,
    slot: SlotId,
    /// Battery plan per household: (draw, deliver) Wh.
    plans: Vec<(u64, u64)>,
    /// The learning bidders' (state, action).
    decisions: Vec<Option<(usize, usize)>>,
    bids: Vec<Order>,
    offers: Vec<Order>,
    /// The household of each order (by order id).
    owners: BTreeMap<u64, usize>,
    trades: Vec<Trade>,
    point: SlotPoint,
}

/// Reference value of stored energy for reward shaping, uaip per Wh stored.
pub fn stored_value(t: &Tariff) -> f64 {
    (t.offpeak + t.day + t.peak) as f64 / 3.0 / 1000.0 * 0.95
}

/// Reward scale: uaip per reward unit (1 reward = 0.01 AIP).
pub const REWARD_UAIP: f64 = 10_000.0;

/// The learning bidder's reward for a slot: what it saved against grid-only
/// (zero for doing nothing special, so a zero-initialised table is neutral)
/// plus the change in stored energy marked to its reference value (charging
/// is not a pure loss in the slot it happens), in units of 0.01 AIP.
pub fn reward(baseline_uaip: i128, cost_uaip: i128, soc_change_wh: i64, t: &Tariff) -> f64 {
    ((baseline_uaip - cost_uaip) as f64 + soc_change_wh as f64 * stored_value(t)) / REWARD_UAIP
}

impl Engine {
    /// Sets up agents and the chain.
    pub fn new(
        scenario: Scenario,
        cfg: SimConfig,
        mut chain: Box<dyn MarketChain>,
        clearing: Box<dyn Clearing>,
        forecaster: Box<dyn Forecaster>,
    ) -> Result<Engine> {
        scenario.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        // Stratified assignment: households sorted by PV size alternate between
        // strategies, so both groups hold the same mix of prosumers and consumers.
        let n = scenario.households.len();
        let mut order: Vec<usize> = (0..n).collect();
        let pv_total = |i: usize| scenario.households[i].pv_wh.iter().sum::<u64>();
        order.sort_by_key(|&i| (pv_total(i), i));
        let mut is_rl = vec![false; n];
        let mut acc = 0.0;
        for &i in &order {
            acc += cfg.rl_share;
            if acc >= 1.0 - 1e-9 {
                acc -= 1.0;
                is_rl[i] = true;
            }
        }
        let households: Vec<HouseholdState> = (0..n)
            .map(|i| {
                // rule-based: bid at 60 %, offer at 40 % of the spread, jittered
                // (drawn for every household, so a twin run draws the same)
                let j: f64 = rng.gen_range(-0.1..0.1);
                let strategy = if is_rl[i] && !cfg.twin {
                    Strategy::Learning
                } else {
                    Strategy::Rule {
                        bid_level: 0.6 + j,
                        offer_level: 0.4 + j,
                    }
                };
                HouseholdState {
                    strategy,
                    battery: Battery::new(cfg.battery_kwh),
                    cost_uaip: 0,
                    baseline_uaip: 0,
                    baseline_import_uaip: 0,
                    days: vec![],
                    levels: (0.6 + j, 0.4 + j),
                }
            })
            .collect();
        let net = crate::market::network(&scenario);
        let people: Vec<Participant> = scenario
            .households
            .iter()
            .map(|h| Participant {
                name: h.name.clone(),
                zone: h.zone,
                node: h.node,
            })
            .collect();
        chain.setup(&people, &net, cfg.funding_uaip)?;
        let q = QTable::warm(cfg.q, action_index(BatteryMode::SelfConsume, 0.5));
        Ok(Engine {
            day_plans: vec![None; households.len()],
            prepared: None,
            scenario,
            cfg,
            chain,
            clearing,
            forecaster,
            households,
            q,
            totals: Totals::default(),
            series: vec![],
            readings: vec![],
            days: vec![],
            net,
            rng,
            next: 0,
        })
    }

    /// Slots still to simulate.
    pub fn remaining(&self) -> usize {
        self.scenario.sim_slots - self.next
    }

    /// Runs every remaining slot, calling `tick` after each.
    pub fn run(&mut self, mut tick: impl FnMut(&Engine)) -> Result<()> {
        while self.remaining() > 0 {
            self.step()?;
            tick(self);
        }
        Ok(())
    }

    /// Unix start of simulated slot `k`.
    fn start_of(&self, k: usize) -> u64 {
        self.scenario.slot_start(self.scenario.history_slots + k)
    }

    /// Before slot `k`: each household forecasts, decides and places its
    /// order; at gate closure the matcher clears the book and commits.
    fn prepare(&mut self, k: usize) -> Result<Prepared> {
        let idx = self.scenario.history_slots + k;
        let start = self.start_of(k);
        let slot = SlotId::new(start)?;
        let hour = ((start % 86_400) / 3_600) as u32;
        let tariff = self.cfg.tariff;
        let n = self.households.len();
        let mut point = SlotPoint {
            start,
            retail: tariff.retail(hour),
            feed_in: tariff.feed_in,
            ..SlotPoint::default()
        };
        self.chain
            .set_time(start.saturating_sub(self.cfg.gate_closure_s + 60))?;
        // The latest metered slot is the one before the running one.
        let seen = idx.saturating_sub(1);
        let mut plans = Vec::with_capacity(n);
        let mut decisions = vec![None; n];
        let mut new_orders = Vec::new();
        for (i, decision) in decisions.iter_mut().enumerate() {
            let h = &self.scenario.households[i];
            let load_f = self.forecaster.forecast(&ForecastInput {
                household: i,
                series: Series::Load,
                known: &h.load_wh[..seen],
                target: idx,
                slot_start: start,
            });
            let pv_f = if h.has_pv() {
                self.forecaster.forecast(&ForecastInput {
                    household: i,
                    series: Series::Pv,
                    known: &h.pv_wh[..seen],
                    target: idx,
                    slot_start: start,
                })
            } else {
                0
            };
            self.totals.forecast_load.add(load_f, h.load_wh[idx]);
            if h.has_pv() {
                self.totals.forecast_pv.add(pv_f, h.pv_wh[idx]);
            }
            point.load_forecast_wh += load_f;
            point.pv_forecast_wh += pv_f;

            let st = &self.households[i];
            // the battery's flows when the policy set them (a plan followed)
            let mut flows = None;
            let (mode, bid_level, offer_level) = match st.strategy {
                Strategy::Rule {
                    bid_level,
                    offer_level,
                } => (BatteryMode::SelfConsume, bid_level, offer_level),
                Strategy::Learning if self.cfg.policy.is_some() => {
                    let p = self.cfg.policy.as_ref().expect("checked");
                    // the day plan, solved at the household's first decision of the day
                    let plan = if p.inputs == crate::policy::Inputs::BandsPlan {
                        let day = idx / SLOTS_PER_DAY;
                        let cached = &mut self.day_plans[i];
                        if cached.as_ref().is_none_or(|(d, _)| *d != day) {
                            let solved = crate::plan::simulation_plan(
                                self.forecaster.as_mut(),
                                i,
                                h,
                                idx,
                                start,
                                &st.battery,
                                &tariff,
                                &crate::policy::GridFee::default(),
                            );
                            *cached = Some((day, solved));
                        }
                        cached.as_ref().map(|(_, d)| {
                            d.advice(idx % SLOTS_PER_DAY, st.battery.soc_wh, load_f, pv_f)
                        })
                    } else {
                        None
                    };
                    let obs = crate::policy::Obs {
                        hour,
                        soc: st.battery.soc_fraction(),
                        net_forecast_wh: load_f as i64 - pv_f as i64,
                        surplus_day_wh: crate::policy::surplus_last_day(&h.load_wh, &h.pv_wh, seen),
                        plan,
                    };
                    let (mode, f) = p.flows(&obs, &st.battery, load_f, pv_f);
                    flows = Some(f);
                    (mode, st.levels.0, st.levels.1)
                }
                Strategy::Learning => {
                    let s = State::observe(hour, st.battery.soc_fraction(), pv_f > load_f).index();
                    let a = self.q.choose(s, &mut self.rng);
                    *decision = Some((s, a));
                    let act = action(a);
                    (act.battery, act.price_level, act.price_level)
                }
            };
            let (draw, deliver) = flows.unwrap_or_else(|| st.battery.plan(mode, load_f, pv_f));
            let planned = load_f as i64 + draw as i64 - pv_f as i64 - deliver as i64;
            plans.push((draw, deliver));
            if planned >= self.cfg.min_order_wh as i64 {
                new_orders.push(NewOrder {
                    owner: i,
                    side: Side::Buy,
                    wh: planned as u64,
                    price: tariff.level(hour, bid_level),
                });
            } else if planned < 0 {
                // the firm-offer rule: with firming on, only what the battery
                // can firm against a forecast miss is offered
                let offer = if self.cfg.firming {
                    st.battery.firm_offer((draw, deliver), load_f, pv_f)
                } else {
                    planned.unsigned_abs()
                };
                if offer >= self.cfg.min_order_wh {
                    new_orders.push(NewOrder {
                        owner: i,
                        side: Side::Sell,
                        wh: offer,
                        price: tariff.level(hour, offer_level),
                    });
                }
            }
        }

        let ids = self.chain.place_orders(slot, &new_orders)?;
        let scores = self.chain.scores()?;
        let mut bids = Vec::new();
        let mut offers = Vec::new();
        let mut owners = BTreeMap::new();
        for (o, id) in new_orders.iter().zip(ids) {
            let id = match id {
                Ok(id) => id,
                Err(e) => {
                    self.totals.orders_refused += 1;
                    if self.totals.first_refusal.is_none() {
                        self.totals.first_refusal = Some(format!("slot {slot}: {e}"));
                    }
                    continue;
                }
            };
            let h = &self.scenario.households[o.owner];
            let order = Order {
                id,
                owner: h.name.clone(),
                side: o.side.into(),
                zone: h.zone,
                node: h.node,
                wh: o.wh,
                limit_price: o.price,
                premium_only: false,
                premium: false,
                trust: u32::from(scores[o.owner]),
                window: None,
            };
            owners.insert(id, o.owner);
            match o.side {
                Side::Buy => {
                    point.bid_wh += o.wh;
                    bids.push(order)
                }
                Side::Sell => {
                    point.offer_wh += o.wh;
                    offers.push(order)
                }
            }
        }
        self.totals.bids += bids.len() as u64;
        self.totals.offers += offers.len() as u64;

        // Gate closure: the DSO's fees, then the matcher's online path
        // clears the book and commits once (`protocol::Market::commit_with`).
        self.chain.set_time(start - self.cfg.gate_closure_s)?;
        let c = self
            .chain
            .commit(slot, &bids, &offers, self.clearing.method())?;
        if !c.trades.is_empty() {
            self.totals.batches_committed += 1;
        }
        if let Some(e) = c.rejected {
            self.totals.batches_rejected += 1;
            if self.totals.first_rejection.is_none() {
                self.totals.first_rejection = Some(format!("slot {slot}: {e}"));
            }
        }
        // Intents the matcher screened out count as refused orders.
        self.totals.orders_refused += c.screened_out.len() as u64;
        if let Some((_, why)) = c.screened_out.first() {
            if self.totals.first_refusal.is_none() {
                self.totals.first_refusal = Some(format!("slot {slot}: {why}"));
            }
        }
        self.totals.trades_skipped += c.skipped.len() as u64;
        if let Some((_, why)) = c.skipped.first() {
            if self.totals.first_skip.is_none() {
                self.totals.first_skip = Some(format!("slot {slot}: {why}"));
            }
        }
        let trades = c.trades;
        for t in &trades {
            point.traded_wh += t.wh;
        }
        if point.traded_wh > 0 {
            point.price = (trades
                .iter()
                .map(|t| u128::from(t.wh) * u128::from(t.price))
                .sum::<u128>()
                / u128::from(point.traded_wh)) as u64;
        }
        Ok(Prepared {
            k,
            slot,
            plans,
            decisions,
            bids,
            offers,
            owners,
            trades,
            point,
        })
    }

    /// Without a settlement contract: the trades' physical outcome, and money
    /// at the trade price for what arrived (no penalties, no fees). Labelled
    /// an off-chain estimate in the summary.
    fn estimate(&self, p: &Prepared, readings: &[Reading]) -> Result<Vec<TradeResult>> {
        let n = self.households.len();
        let find = |id: u64| {
            p.bids
                .iter()
                .chain(p.offers.iter())
                .find(|o| o.id == id)
                .expect("a trade names placed orders")
        };
        let mut contracted = vec![0u64; n];
        let owner = |id: u64| *p.owners.get(&id).expect("a trade names placed orders");
        for t in &p.trades {
            contracted[owner(t.offer)] += t.wh;
        }
        let mut out = Vec::with_capacity(p.trades.len());
        for t in &p.trades {
            let (b, o) = (find(t.bid), find(t.offer));
            let (buyer, seller) = (owner(t.bid), owner(t.offer));
            let c = contracted[seller];
            let delivered = u64::try_from(
                aip_types::delivered_pro_rata(
                    t.wh.into(),
                    readings[seller].exported_wh.into(),
                    c.into(),
                )?
                .u128(),
            )?;
            let loss_bps = if o.zone == b.zone {
                0
            } else {
                self.net
                    .corridors
                    .iter()
                    .find(|c| c.from == o.zone && c.to == b.zone)
                    .map_or(0, |c| c.loss_bps)
            };
            let received =
                u64::try_from(aip_types::net_of_loss(delivered.into(), loss_bps)?.u128())?;
            let pay = aip_types::payment(received.into(), t.price.into())?.u128() as i128;
            out.push(TradeResult {
                bid: t.bid,
                offer: t.offer,
                buyer,
                seller,
                wh: t.wh,
                price: t.price,
                delivered_wh: delivered,
                received_wh: received,
                buyer_cash: -pay,
                seller_cash: pay,
                fee: 0,
                penalty: 0,
            });
        }
        Ok(out)
    }

    /// Simulates one slot: delivery of the slot prepared last time, the
    /// orders of the next one, then metering and settlement.
    pub fn step(&mut self) -> Result<()> {
        if self.remaining() == 0 {
            bail!("the scenario has no slots left");
        }
        let k = self.next;
        let cur = match self.prepared.take() {
            Some(p) => p,
            None => self.prepare(k)?,
        };
        let idx = self.scenario.history_slots + k;
        let start = cur.slot.start();
        let hour = ((start % 86_400) / 3_600) as u32;
        let tariff = self.cfg.tariff;
        let retail = tariff.retail(hour);
        let n = self.households.len();

        // Delivery: each battery runs its plan, with firming on adjusted to
        // the real load and PV (`Battery::at_delivery`: cover the sales,
        // send no battery energy to the grid beyond them); the meters show
        // the real profile.
        let mut sold_wh = vec![0u64; n];
        if self.cfg.firming {
            for t in &cur.trades {
                if let Some(&o) = cur.owners.get(&t.offer) {
                    sold_wh[o] = sold_wh[o].saturating_add(t.wh);
                }
            }
        }
        let mut readings = Vec::with_capacity(n);
        let mut soc_before = Vec::with_capacity(n);
        for (i, &plan) in cur.plans.iter().enumerate() {
            let h = &self.scenario.households[i];
            let (load, pv) = (h.load_wh[idx], h.pv_wh[idx]);
            let b = &mut self.households[i].battery;
            let (draw, deliver) = if self.cfg.firming {
                b.at_delivery(plan, load, pv, sold_wh[i])
            } else {
                plan
            };
            soc_before.push(b.soc_wh);
            let (drawn, delivered) = b.execute(draw, deliver);
            self.totals.battery_in_wh += drawn;
            self.totals.battery_out_wh += delivered;
            let net = load as i64 + drawn as i64 - pv as i64 - delivered as i64;
            readings.push(Reading {
                owner: i,
                exported_wh: (-net).max(0) as u64,
                imported_wh: net.max(0) as u64,
            });
        }

        // Meanwhile the next slot's orders go in (its decisions see the
        // battery as this slot leaves it).
        let next = if k + 1 < self.scenario.sim_slots {
            Some(self.prepare(k + 1)?)
        } else {
            None
        };

        // After the slot: sweep the next slot's leftovers (on-chain orders;
        // nothing to refund on signed intents), report, settle.
        self.chain.set_time(start + SLOT_SECONDS + 60)?;
        if let Some(nx) = &next {
            self.chain.sweep(nx.slot)?;
        } else {
            self.chain.sweep(cur.slot)?;
        }
        let settled = if self.chain.capabilities().settlement {
            self.chain.report(cur.slot, &readings)?;
            let rep = self.chain.settle(cur.slot)?;
            self.totals.settle.settled += rep.settled;
            self.totals.settle.unsettled += rep.unsettled;
            self.totals.settle.calls += rep.calls;
            rep.trades
        } else {
            self.estimate(&cur, &readings)?
        };

        // Accounting.
        let mut point = cur.point.clone();
        let mut received = vec![0u64; n];
        let mut sold = vec![0u64; n];
        let mut cash = vec![0i128; n];
        let find = |id: u64| {
            cur.bids
                .iter()
                .chain(cur.offers.iter())
                .find(|o| o.id == id)
        };
        for t in &settled {
            received[t.buyer] += t.received_wh;
            sold[t.seller] += t.delivered_wh;
            cash[t.buyer] += t.buyer_cash;
            cash[t.seller] += t.seller_cash;
            self.totals.trades += 1;
            self.totals.contracted_wh += t.wh;
            self.totals.delivered_wh += t.delivered_wh;
            self.totals.received_wh += t.received_wh;
            self.totals.loss_wh += t
                .delivered_wh
                .checked_sub(t.received_wh)
                .context("a trade received more energy than its seller delivered")?;
            self.totals.fees_uaip += t.fee;
            self.totals.penalties_uaip += t.penalty;
            self.totals.traded_value_uaip +=
                aip_types::payment(t.received_wh.into(), t.price.into())?.u128();
            if t.delivered_wh == t.wh {
                self.totals.full_trades += 1;
            }
            if let (Some(b), Some(o)) = (find(t.bid), find(t.offer)) {
                self.totals.declared_welfare_uaip += u128::from(t.wh)
                    * u128::from(b.limit_price.saturating_sub(o.limit_price))
                    / 1000;
            }
        }
        for i in 0..n {
            let r = readings[i];
            let h = &self.scenario.households[i];
            point.load_wh += h.load_wh[idx];
            point.pv_wh += h.pv_wh[idx];
            let grid_import = r.imported_wh.saturating_sub(received[i]);
            let grid_export = r.exported_wh.saturating_sub(sold[i]);
            point.grid_import_wh += grid_import;
            point.grid_export_wh += grid_export;
            let grid_bill = (grid_import as i128 * retail as i128
                - grid_export as i128 * tariff.feed_in as i128)
                / 1000;
            let cost = grid_bill - cash[i];
            let raw = h.load_wh[idx] as i128 - h.pv_wh[idx] as i128;
            let baseline = if raw > 0 {
                raw * retail as i128 / 1000
            } else {
                raw * tariff.feed_in as i128 / 1000
            };
            let st = &mut self.households[i];
            st.cost_uaip += cost;
            st.baseline_uaip += baseline;
            st.baseline_import_uaip += baseline.max(0);
            if k.is_multiple_of(SLOTS_PER_DAY) {
                st.days.push((0, 0, 0));
            }
            let day = st.days.last_mut().expect("pushed at day start");
            day.0 += cost;
            day.1 += baseline;
            day.2 += baseline.max(0);
            // Learning: see [`reward`].
            if let Some((s, a)) = cur.decisions[i] {
                let change = st.battery.soc_wh as i64 - soc_before[i] as i64;
                let reward = reward(baseline, cost, change, &tariff);
                let s_next = next
                    .as_ref()
                    .and_then(|nx| nx.decisions[i])
                    .map_or(s, |(s2, _)| s2);
                self.q.update(s, a, reward, s_next);
            }
        }
        self.totals.load_wh += point.load_wh;
        self.totals.pv_wh += point.pv_wh;
        self.totals.grid_import_wh += point.grid_import_wh;
        self.totals.grid_export_wh += point.grid_export_wh;
        self.totals.slots += 1;
        self.series.push(point);
        self.readings.push(readings);
        self.prepared = next;

        self.next += 1;
        if self.next.is_multiple_of(SLOTS_PER_DAY) || self.remaining() == 0 {
            self.end_of_day()?;
        }
        Ok(())
    }

    fn end_of_day(&mut self) -> Result<()> {
        self.chain.end_of_day()?;
        let audit = self.chain.audit()?;
        self.totals.audits += 1;
        if !audit.conserved() {
            self.totals.audit_failures += 1;
        }
        let rate = |rl: bool| {
            let (mut c, mut b, mut imp) = (0i128, 0i128, 0i128);
            for h in &self.households {
                if matches!(h.strategy, Strategy::Learning) == rl {
                    if let Some(d) = h.days.last() {
                        c += d.0;
                        b += d.1;
                        imp += d.2;
                    }
                }
            }
            if imp > 0 {
                (b - c) as f64 / imp as f64
            } else {
                0.0
            }
        };
        self.days.push(DayPoint {
            day: self.days.len() + 1,
            rl_savings: rate(true),
            rule_savings: rate(false),
            epsilon: self.q.epsilon,
        });
        self.q.end_of_day();
        Ok(())
    }
}

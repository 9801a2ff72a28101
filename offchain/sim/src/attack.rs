//! Adversaries in the simulation and the sentinel watching them
//! (`aip-sim --attack wash,ring,sybil,meter`).
//!
//! [`AttackChain`] wraps the in-process chain: the honest households trade
//! exactly as in a normal run, and next to them
//! - **sybil**: 10 accounts funded by one private wallet, all in one zone,
//!   trade in a ring among themselves in every daylight slot, delivering in full;
//! - **wash**: 4 accounts in two pairs trade back and forth in every daylight
//!   slot: one pair linked by funding (one funded the other) at market
//!   prices, the other unlinked at three times the market price;
//! - **ring**: 5 accounts trade in a circle, deliver 60 % and give each other
//!   5 stars for every trade;
//! - **meter**: 3 honest PV households' meters over-report exports by 20 %
//!   from the second day (a tampered meter).
//!
//! The adversaries' orders do not go to the matcher: they are committed
//! directly as trades among themselves (a market where their orders only meet
//! each other, or a colluding matcher); every contract check still applies.
//! Their meters show what they deliver. Honest buyers review a quarter of their
//! trades, rating by delivery (5 stars for a full delivery, 3 from half, 1
//! below).
//!
//! Everything the chain does is also fed to the sentinel as events
//! (`aip_sentinel::event::Event`, what its chain source reads); with the
//! sentinel on, it reviews after every settled slot and the guardian posts its
//! flags to the reputation contract (a flagged account's orders are refused).
//! The run ends with per-attack precision, recall, time to detection and what
//! the attackers gained, with the sentinel on and off ([`evaluate`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use aip_matcher::Method;
use aip_sentinel::detect::DetectConfig;
use aip_sentinel::event::{Event, Side as ESide};
use aip_sentinel::evidence::Code;
use aip_sentinel::watch::{RateLimit, Watch};
use aip_testing::deployment::roles;
use aip_types::SlotId;
use anyhow::{bail, Context, Result};
use cosmwasm_std::Addr;
use cw_multi_test::Executor;
use serde::Serialize;
use settlement::msg::{QueryMsg, TradeStatus, TradesResponse};

use crate::agent::Battery;
use crate::chain::{
    Audit, Capabilities, Committed, MarketChain, NewOrder, Participant, Reading, SettleReport,
};
use crate::inprocess::InProcessChain;
use crate::market::{Network, Order, Side, Trade};
use crate::scenario::Scenario;
use aip_matcher::online::MatchedTrade;

/// The kinds of attack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Pairs of accounts trading back and forth (one pair linked by funding,
    /// one at three times the market price).
    Wash,
    /// Accounts trading in a circle, delivering 60 % and giving each other 5 stars.
    Ring,
    /// Accounts funded by one private wallet, trading in a ring among themselves.
    Sybil,
    /// An honest household's meter over-reporting its exports by 20 %.
    Meter,
}

impl Kind {
    /// Every kind, in table order.
    pub const ALL: [Kind; 4] = [Kind::Wash, Kind::Ring, Kind::Sybil, Kind::Meter];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Wash => "wash",
            Kind::Ring => "ring",
            Kind::Sybil => "sybil",
            Kind::Meter => "meter",
        }
    }

    /// The sentinel's reason code for this kind.
    pub fn code(self) -> Code {
        match self {
            Kind::Wash => Code::Wash,
            Kind::Ring => Code::Ring,
            Kind::Sybil => Code::Sybil,
            Kind::Meter => Code::Meter,
        }
    }
}

/// Parses `--attack`: kinds, comma-separated, or `none`.
pub fn parse_kinds(v: &[String]) -> Result<BTreeSet<Kind>> {
    let mut out = BTreeSet::new();
    for s in v {
        let s = s.trim();
        if s == "none" {
            continue;
        }
        match Kind::ALL.into_iter().find(|k| k.name() == s) {
            Some(k) => {
                out.insert(k);
            }
            None => bail!("unknown attack {s:?}: expected wash, ring, sybil, meter or none"),
        }
    }
    Ok(out)
}

/// Sybil accounts funded by one wallet.
pub const SYBILS: usize = 10;
/// Wash traders (two pairs).
pub const WASH: usize = 4;
/// Review-ring members.
pub const RING: usize = 5;
/// Honest PV households whose meters over-report.
pub const METER_FRAUDS: usize = 3;
/// Over-reporting factor of a tampered meter.
pub const FRAUD_FACTOR: f64 = 1.2;
/// Share a ring member delivers of what it sells.
pub const RING_DELIVERY: f64 = 0.6;
/// Price of the adversaries' trades, uaip/kWh (between feed-in and retail).
pub const ATTACK_PRICE: u64 = 200_000;
/// The unlinked wash pair's price: far from any clearing price.
pub const OFF_MARKET_PRICE: u64 = 600_000;
/// What the Sybil wallet gives each Sybil, uaip.
pub const SYBIL_FUNDING: u128 = 100_000_000;
/// First-day slots before the tampered meters start (a baseline day).
pub const FRAUD_DELAY_SLOTS: u64 = 96;

/// One adversary trade planned for a slot.
#[derive(Debug, Clone)]
struct Planned {
    seller: usize,
    buyer: usize,
    wh: u64,
    price: u64,
    delivery: f64,
    ids: Option<(u64, u64)>,
}

/// One account at the end of the run.
#[derive(Debug, Clone, Serialize)]
pub struct AccountEnd {
    /// The account's address.
    pub account: String,
    /// The attack it takes part in (None: honest).
    pub kind: Option<Kind>,
    /// Effective reputation score, 0..=1000 (after a flag's penalty; 0 without a token).
    pub score: u16,
    /// Reputation score from the history alone, 0..=1000 (ignoring registration and flags).
    pub base_score: u16,
    /// 0 newcomer, 1 bronze, 2 silver, 3 gold.
    pub tier: u8,
    /// Settled trades, as seller or buyer.
    pub trades: u64,
    /// Of those, sales delivered well (purchases never count).
    pub successful: u64,
    /// Energy contracted as seller, Wh.
    pub contracted_wh: u64,
    /// Energy delivered as seller, Wh (at most `contracted_wh`).
    pub delivered_wh: u64,
    /// AIP held (wallet + settlement credits and locks), uaip.
    pub balance: u128,
    /// AIP it was given (mint and private funding), uaip.
    pub funded: u128,
}

/// What a run recorded, shared with the caller.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// Adversary account -> its kind (tampered meters: the household's account).
    pub truth: BTreeMap<String, Kind>,
    /// First slot each adversary acted in.
    pub onset: BTreeMap<String, u64>,
    /// Flags posted: account, code, slot start.
    pub flags: Vec<(String, Code, u64)>,
    /// Findings held back by the rate limit.
    pub deferred: usize,
    /// Events the sentinel skipped.
    pub skipped: usize,
    /// Adversary orders or trades the chain refused, and the first reason.
    pub refused: usize,
    /// The chain's reason for the first refusal (None: nothing refused).
    pub first_refusal: Option<String>,
    /// Every account at the end of the last day.
    pub end: Vec<AccountEnd>,
    /// Every event fed to the sentinel, in order.
    pub events: Vec<Event>,
    /// The sentinel's thresholds, infrastructure and seeds in this run.
    pub detect: Option<DetectConfig>,
}

/// The in-process chain with adversaries and, optionally, the sentinel.
pub struct AttackChain {
    inner: InProcessChain,
    kinds: BTreeSet<Kind>,
    /// Honest households (participants 0..n).
    n: usize,
    /// Participant index -> kind, for the adversary accounts (n..).
    adversaries: BTreeMap<usize, Kind>,
    /// Tampered meters (honest household indices).
    frauds: BTreeSet<usize>,
    /// (rated PV W, storage W) per honest household.
    meters: Vec<(u64, u64)>,
    planned: BTreeMap<u64, Vec<Planned>>,
    first_slot: Option<u64>,
    watch: Option<Watch>,
    record: Rc<RefCell<Record>>,
    funded: BTreeMap<String, u128>,
    names: Vec<String>,
}

/// An adversary buyer's bid limit for a trade at `price`: the price plus the
/// largest congestion fee the DSO sets ([`crate::dso::FEE_AT_CAPACITY`]).
pub fn bid_limit(price: u64) -> u64 {
    price.saturating_add(crate::dso::FEE_AT_CAPACITY)
}

fn rank(t: aip_types::hooks::Tier) -> u8 {
    use aip_types::hooks::Tier::*;
    match t {
        Newcomer => 0,
        Bronze => 1,
        Silver => 2,
        Gold => 3,
    }
}

/// A daylight slot (07:00–15:00 UTC, 09:00–17:00 in the grid's summer time).
fn daylight(slot: u64) -> bool {
    (7..15).contains(&((slot % 86_400) / 3600))
}

impl AttackChain {
    /// Wraps a fresh in-process chain for `scenario` (`battery_kwh` per
    /// household); `sentinel` turns the sentinel on.
    pub fn new(
        scenario: &Scenario,
        battery_kwh: f64,
        kinds: BTreeSet<Kind>,
        sentinel: bool,
        record: Rc<RefCell<Record>>,
    ) -> Result<AttackChain> {
        let storage_w = Battery::new(battery_kwh).max_slot_wh * 4;
        let meters: Vec<(u64, u64)> = scenario
            .households
            .iter()
            .map(|h| {
                let rated = h.pv_profile.as_ref().map_or(0, |(_, wh)| (wh * 4.0) as u64);
                (rated, storage_w)
            })
            .collect();
        let watch = sentinel.then(|| {
            let (lat, lon) = scenario
                .location
                .unwrap_or(DetectConfig::default().location);
            Watch::new(
                DetectConfig {
                    location: (lat, lon),
                    ..DetectConfig::default()
                },
                RateLimit::default(),
            )
        });
        Ok(AttackChain {
            inner: InProcessChain::new()?,
            kinds,
            n: 0,
            adversaries: BTreeMap::new(),
            frauds: BTreeSet::new(),
            meters,
            planned: BTreeMap::new(),
            first_slot: None,
            watch,
            record,
            funded: BTreeMap::new(),
            names: vec![],
        })
    }

    fn feed(&mut self, events: Vec<Event>) {
        self.record
            .borrow_mut()
            .events
            .extend(events.iter().cloned());
        if let Some(w) = self.watch.as_mut() {
            for e in &events {
                if !w.ingest(e) {
                    self.record.borrow_mut().skipped += 1;
                }
            }
        }
    }

    fn group(&self, k: Kind) -> Vec<usize> {
        self.adversaries
            .iter()
            .filter(|(_, &v)| v == k)
            .map(|(&i, _)| i)
            .collect()
    }

    /// The adversaries' trades in slot `s` (the `k`-th daylight step).
    fn plan(&self, s: u64) -> Vec<Planned> {
        if !daylight(s) {
            return vec![];
        }
        let k = (s / aip_types::SLOT_SECONDS) as usize;
        let mut out = Vec::new();
        let t = |seller, buyer, wh, price, delivery| Planned {
            seller,
            buyer,
            wh,
            price,
            delivery,
            ids: None,
        };
        let sy = self.group(Kind::Sybil);
        if !sy.is_empty() {
            let m = sy.len();
            for j in (k % 2..m).step_by(2) {
                out.push(t(sy[j], sy[(j + 1) % m], 200, ATTACK_PRICE, 1.0));
            }
        }
        let w = self.group(Kind::Wash);
        if w.len() == WASH {
            let (a, b) = if k.is_multiple_of(2) { (0, 1) } else { (1, 0) };
            out.push(t(w[a], w[b], 300, ATTACK_PRICE, 1.0));
            out.push(t(w[2 + a], w[2 + b], 300, OFF_MARKET_PRICE, 1.0));
        }
        let r = self.group(Kind::Ring);
        if !r.is_empty() {
            let j = k % r.len();
            out.push(t(
                r[j],
                r[(j + 1) % r.len()],
                200,
                ATTACK_PRICE,
                RING_DELIVERY,
            ));
        }
        out
    }

    fn refuse(&self, why: String) {
        let mut r = self.record.borrow_mut();
        r.refused += 1;
        r.first_refusal.get_or_insert(why);
    }

    fn exec_rep(&mut self, sender: &Addr, msg: &reputation::msg::ExecuteMsg) -> Result<()> {
        let rep = self.inner.d.reputation.clone();
        self.inner
            .d
            .app
            .execute_contract(sender.clone(), rep, msg, &[])
            .map(|_| ())
    }

    /// Settled trades of `slot` as sentinel events, with the reviews they got.
    fn after_settle(&mut self, slot: SlotId) -> Result<Vec<Event>> {
        let mut events = Vec::new();
        let mut start_after = None;
        let mut trades = Vec::new();
        loop {
            let page: TradesResponse = self.inner.d.app.wrap().query_wasm_smart(
                self.inner.d.settlement.clone(),
                &QueryMsg::TradesBySlot {
                    slot,
                    start_after,
                    limit: Some(500),
                },
            )?;
            let Some(last) = page.trades.last() else {
                break;
            };
            start_after = Some(last.id);
            trades.extend(page.trades);
        }
        let index: BTreeMap<&str, usize> = self
            .names
            .iter()
            .enumerate()
            .map(|(i, a)| (a.as_str(), i))
            .collect();
        let mut reviews = Vec::new();
        for t in &trades {
            let Some(s) = t
                .settlement
                .as_ref()
                .filter(|_| matches!(t.status, TradeStatus::Settled | TradeStatus::Ruled))
            else {
                continue;
            };
            let (wh, delivered) = (t.wh.u128() as u64, s.delivered_wh.u128() as u64);
            events.push(Event::Trade {
                id: t.id,
                slot: slot.0,
                seller: t.seller.clone(),
                buyer: t.buyer.clone(),
                wh,
                price: t.price.u128() as u64,
                delivered_wh: delivered,
            });
            let (Some(&si), Some(&bi)) =
                (index.get(t.seller.as_str()), index.get(t.buyer.as_str()))
            else {
                continue;
            };
            let ring = |i| self.adversaries.get(&i) == Some(&Kind::Ring);
            if ring(si) && ring(bi) {
                reviews.push((bi, si, t.id, 5));
                reviews.push((si, bi, t.id, 5));
            } else if si < self.n && bi < self.n && t.id % 4 == 0 {
                let share = delivered as f64 / wh.max(1) as f64;
                let rating = if share >= 0.95 {
                    5
                } else if share >= 0.5 {
                    3
                } else {
                    1
                };
                reviews.push((bi, si, t.id, rating));
            }
        }
        for (from, to, trade_id, rating) in reviews {
            let msg = reputation::msg::ExecuteMsg::Review {
                trade_id,
                counterparty: self.names[to].clone(),
                rating,
            };
            let sender = Addr::unchecked(self.names[from].clone());
            match self.exec_rep(&sender, &msg) {
                Ok(()) => events.push(Event::Review {
                    trade_id,
                    reviewer: self.names[from].clone(),
                    reviewed: self.names[to].clone(),
                    rating,
                }),
                Err(e) if from >= self.n => self.refuse(format!("review: {}", e.root_cause())),
                Err(e) => return Err(e.context("honest review")),
            }
        }
        Ok(events)
    }

    /// Every account's state now.
    fn snapshot(&self) -> Result<Vec<AccountEnd>> {
        let balances = self.inner.balances()?;
        let mut out = Vec::with_capacity(self.names.len());
        for (i, a) in self.names.iter().enumerate() {
            let r = self.inner.d.reputation_of(&Addr::unchecked(a))?;
            let kind = self
                .adversaries
                .get(&i)
                .copied()
                .or_else(|| self.frauds.contains(&i).then_some(Kind::Meter));
            out.push(AccountEnd {
                account: a.clone(),
                kind,
                score: r.score,
                base_score: r.base_score,
                tier: rank(r.tier),
                trades: r.history.trades,
                successful: r.history.successful_trades,
                contracted_wh: r.history.contracted_wh,
                delivered_wh: r.history.delivered_wh,
                balance: balances[i],
                funded: self.funded.get(a).copied().unwrap_or(0),
            });
        }
        Ok(out)
    }
}

impl MarketChain for AttackChain {
    fn label(&self) -> String {
        format!("{} with adversaries", self.inner.label())
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn setup(&mut self, people: &[Participant], net: &Network, funding_uaip: u128) -> Result<()> {
        self.n = people.len();
        let mut all = people.to_vec();
        let sizes = [
            (Kind::Sybil, SYBILS),
            (Kind::Wash, WASH),
            (Kind::Ring, RING),
        ];
        for (kind, count) in sizes {
            if !self.kinds.contains(&kind) {
                continue;
            }
            for i in 0..count {
                // Sybils share one zone; the others sit beside honest households.
                let host = if kind == Kind::Sybil {
                    &people[0]
                } else {
                    &people[(all.len() * 7) % people.len()]
                };
                self.adversaries.insert(all.len(), kind);
                all.push(Participant {
                    name: format!("{}-{i}", kind.name()),
                    zone: host.zone,
                    node: host.node,
                });
            }
        }
        if self.kinds.contains(&Kind::Meter) {
            let pv: Vec<usize> = (0..self.n).filter(|&i| self.meters[i].0 > 0).collect();
            let step = (pv.len() / METER_FRAUDS).max(1);
            self.frauds = pv
                .iter()
                .step_by(step)
                .take(METER_FRAUDS)
                .copied()
                .collect();
        }
        self.inner.setup(&all, net, funding_uaip)?;
        self.names = (0..all.len())
            .map(|i| self.inner.addr(i).to_string())
            .collect();
        let d = &self.inner.d;
        let mut cfg_infra: BTreeSet<String> =
            [d.admin.to_string(), d.settlement.to_string()].into();
        for r in [
            roles::TREASURY,
            roles::MATCHER,
            roles::ORACLE,
            roles::ARBITER,
        ] {
            cfg_infra.insert(d.addr(r).to_string());
        }
        let mut events = Vec::new();
        for (i, a) in self.names.iter().enumerate() {
            events.push(Event::Registered {
                account: a.clone(),
                kyc: false,
            });
            events.push(Event::Transfer {
                from: d.admin.to_string(),
                to: a.clone(),
                amount: funding_uaip as u64,
            });
            self.funded.insert(a.clone(), funding_uaip);
            // Adversaries have no PV: what they deliver comes from storage.
            let (rated_w, storage_w) = self.meters.get(i).copied().unwrap_or((0, 2_500));
            events.push(Event::Meter {
                account: a.clone(),
                zone: all[i].zone,
                rated_w,
                storage_w,
            });
        }
        // The Sybil wallet funds its accounts; one wash trader funds its partner.
        let mut transfers = Vec::new();
        let sy = self.group(Kind::Sybil);
        if !sy.is_empty() {
            let funder = self.inner.d.addr("sybil-wallet");
            self.inner
                .d
                .mint(&funder, SYBIL_FUNDING * sy.len() as u128)?;
            for &s in &sy {
                transfers.push((funder.clone(), s, SYBIL_FUNDING));
            }
        }
        let w = self.group(Kind::Wash);
        if w.len() == WASH {
            transfers.push((Addr::unchecked(self.inner.addr(w[0])), w[1], SYBIL_FUNDING));
        }
        for (from, to, amount) in transfers {
            let to_addr = Addr::unchecked(self.inner.addr(to));
            self.inner.d.transfer(&from, &to_addr, amount)?;
            events.push(Event::Transfer {
                from: from.to_string(),
                to: to_addr.to_string(),
                amount: amount as u64,
            });
            *self.funded.entry(to_addr.to_string()).or_default() += amount;
            if let Some(f) = self.funded.get_mut(from.as_str()) {
                *f -= amount;
            }
        }
        if let Some(w) = self.watch.as_mut() {
            w.cfg.infrastructure = cfg_infra;
            // The KYC-verified seeds: every twelfth honest household.
            w.cfg.seeds = (0..self.n)
                .step_by(12)
                .map(|i| self.names[i].clone())
                .collect();
        }
        let mut rec = self.record.borrow_mut();
        rec.detect = self.watch.as_ref().map(|w| w.cfg.clone());
        for (&i, &k) in &self.adversaries {
            rec.truth.insert(self.names[i].clone(), k);
        }
        for &i in &self.frauds {
            rec.truth.insert(self.names[i].clone(), Kind::Meter);
        }
        drop(rec);
        self.feed(events);
        Ok(())
    }

    fn set_time(&mut self, unix: u64) -> Result<()> {
        self.inner.set_time(unix)
    }

    fn place_orders(
        &mut self,
        slot: SlotId,
        orders: &[NewOrder],
    ) -> Result<Vec<std::result::Result<u64, String>>> {
        self.first_slot.get_or_insert(slot.0);
        let res = self.inner.place_orders(slot, orders)?;
        let mut events = Vec::new();
        for (o, r) in orders.iter().zip(&res) {
            if r.is_ok() {
                events.push(Event::Order {
                    account: self.names[o.owner].clone(),
                    slot: slot.0,
                    side: if o.side == Side::Buy {
                        ESide::Bid
                    } else {
                        ESide::Offer
                    },
                    wh: o.wh,
                    price: o.price,
                });
            }
        }
        let mut plan = self.plan(slot.0);
        for p in plan.iter_mut() {
            // the buyer's limit leaves room for the route's congestion fee,
            // which the DSO publishes only at gate closure (the contract
            // wants price + fee within the bid's limit): the pair pays any
            // fee rather than lose its trade
            let pair = [
                NewOrder {
                    owner: p.buyer,
                    side: Side::Buy,
                    wh: p.wh,
                    price: bid_limit(p.price),
                },
                NewOrder {
                    owner: p.seller,
                    side: Side::Sell,
                    wh: p.wh,
                    price: p.price,
                },
            ];
            let placed = self.inner.place_orders(slot, &pair)?;
            match (&placed[0], &placed[1]) {
                (Ok(b), Ok(o)) => {
                    p.ids = Some((*b, *o));
                    for (no, side) in [(&pair[0], ESide::Bid), (&pair[1], ESide::Offer)] {
                        events.push(Event::Order {
                            account: self.names[no.owner].clone(),
                            slot: slot.0,
                            side,
                            wh: no.wh,
                            price: no.price,
                        });
                    }
                    let mut rec = self.record.borrow_mut();
                    for i in [p.buyer, p.seller] {
                        rec.onset.entry(self.names[i].clone()).or_insert(slot.0);
                    }
                }
                (b, o) => {
                    let why = b.clone().err().or(o.clone().err()).unwrap_or_default();
                    self.refuse(why);
                }
            }
        }
        self.planned.insert(slot.0, plan);
        self.feed(events);
        Ok(res)
    }

    fn commit(
        &mut self,
        slot: SlotId,
        bids: &[Order],
        offers: &[Order],
        method: Method,
    ) -> Result<Committed> {
        // A slot commits once: the adversaries' trades go in the same batch,
        // after the matcher's (their intents are not in the book it clears).
        let ours: Vec<MatchedTrade> = self
            .planned
            .get(&slot.0)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                p.ids.map(|(bid, offer)| MatchedTrade {
                    bid,
                    offer,
                    wh: p.wh.to_string(),
                    price: p.price.to_string(),
                })
            })
            .collect();
        self.inner.publish_fees(slot, bids, offers)?;
        let mut r = self.inner.commit_with(slot, bids, offers, method, &ours)?;
        if ours.is_empty() {
            return Ok(r);
        }
        let pairs: BTreeSet<(u64, u64)> = ours.iter().map(|t| (t.bid, t.offer)).collect();
        let theirs = |t: &Trade| pairs.contains(&(t.bid, t.offer));
        let committed: BTreeSet<(u64, u64)> = r
            .trades
            .iter()
            .filter(|t| theirs(t))
            .map(|t| (t.bid, t.offer))
            .collect();
        for (_, why) in r.skipped.iter().filter(|(t, _)| theirs(t)) {
            self.refuse(format!("commit: {why}"));
        }
        if let Some(e) = &r.rejected {
            self.refuse(format!("commit: {e}"));
        }
        // Adversary trades the chain did not take deliver nothing.
        if let Some(plan) = self.planned.get_mut(&slot.0) {
            for p in plan.iter_mut() {
                if p.ids.is_some_and(|ids| !committed.contains(&ids)) {
                    p.ids = None;
                }
            }
        }
        r.trades.retain(|t| !theirs(t));
        r.skipped.retain(|(t, _)| !theirs(t));
        Ok(r)
    }

    fn sweep(&mut self, slot: SlotId) -> Result<()> {
        self.inner.sweep(slot)
    }

    fn report(&mut self, slot: SlotId, readings: &[Reading]) -> Result<()> {
        let tampering = self
            .first_slot
            .is_some_and(|f| slot.0 >= f + FRAUD_DELAY_SLOTS * aip_types::SLOT_SECONDS);
        let mut all: Vec<Reading> = readings.to_vec();
        for r in all.iter_mut() {
            if tampering && self.frauds.contains(&r.owner) {
                r.exported_wh = (r.exported_wh as f64 * FRAUD_FACTOR).round() as u64;
                if r.exported_wh > 0 {
                    let a = self.names[r.owner].clone();
                    self.record.borrow_mut().onset.entry(a).or_insert(slot.0);
                }
            }
        }
        let mut extra: BTreeMap<usize, (u64, u64)> =
            self.adversaries.keys().map(|&i| (i, (0, 0))).collect();
        for p in self.planned.remove(&slot.0).unwrap_or_default() {
            if p.ids.is_none() {
                continue;
            }
            if let Some(e) = extra.get_mut(&p.seller) {
                e.0 += (p.wh as f64 * p.delivery).round() as u64;
            }
            if let Some(e) = extra.get_mut(&p.buyer) {
                e.1 += p.wh;
            }
        }
        all.extend(extra.into_iter().map(|(owner, (e, i))| Reading {
            owner,
            exported_wh: e,
            imported_wh: i,
        }));
        let events = all
            .iter()
            .map(|r| Event::Reading {
                account: self.names[r.owner].clone(),
                slot: slot.0,
                exported_wh: r.exported_wh,
                imported_wh: r.imported_wh,
            })
            .collect();
        self.feed(events);
        self.inner.report(slot, &all)
    }

    fn settle(&mut self, slot: SlotId) -> Result<SettleReport> {
        let mut rep = self.inner.settle(slot)?;
        let events = self.after_settle(slot)?;
        self.feed(events);
        if let Some(w) = self.watch.as_mut() {
            let d = w.review(slot.0);
            let guardian = self.inner.d.addr(roles::GUARDIAN);
            self.record.borrow_mut().deferred += d.deferred.len();
            for f in d.flags {
                let msg = reputation::msg::ExecuteMsg::Flag {
                    account: f.account.clone(),
                    reason: f.reason.clone(),
                };
                self.exec_rep(&guardian, &msg)
                    .with_context(|| format!("flag {}", f.account))?;
                self.record
                    .borrow_mut()
                    .flags
                    .push((f.account, f.code, slot.0));
            }
        }
        // The engine sees its households' trades only.
        let n = self.n;
        let before = rep.trades.len();
        rep.trades.retain(|t| t.buyer < n && t.seller < n);
        rep.settled -= (before - rep.trades.len()) as u64;
        Ok(rep)
    }

    fn end_of_day(&mut self) -> Result<()> {
        self.inner.end_of_day()?;
        let end = self.snapshot()?;
        self.record.borrow_mut().end = end;
        Ok(())
    }

    fn balances(&self) -> Result<Vec<u128>> {
        let mut b = self.inner.balances()?;
        b.truncate(self.n);
        Ok(b)
    }

    fn audit(&self) -> Result<Audit> {
        self.inner.audit()
    }

    fn scores(&self) -> Result<Vec<u16>> {
        let mut s = self.inner.scores()?;
        s.truncate(self.n);
        Ok(s)
    }
}

/// Per attack kind, one run's figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KindFigures {
    /// Adversary accounts of this kind.
    pub attackers: usize,
    /// Attackers flagged (any code).
    pub detected: usize,
    /// Flags with this kind's code.
    pub flags: usize,
    /// Of those, on an adversary (of any kind).
    pub flags_on_adversaries: usize,
    /// `detected / attackers` (None without attackers).
    pub recall: Option<f64>,
    /// `flags_on_adversaries / flags` (None without a flag of this code).
    pub precision: Option<f64>,
    /// Slots from an attacker's first action to its flag: mean and max.
    pub ttd_mean_slots: Option<f64>,
    /// The longest of those times, slots (each time rounded down to whole slots).
    pub ttd_max_slots: Option<u64>,
    /// The attackers' mean effective and base reputation score at the end.
    pub mean_score: f64,
    /// The attackers' mean base score (from the history alone), 0..=1000.
    pub mean_base_score: f64,
    /// Attackers whose tier is better than every honest household with at
    /// least as good a delivery record.
    pub above_peers: usize,
    /// The attackers' AIP at the end minus what they were given, summed, uaip.
    pub aip_gain_uaip: i128,
}

/// One run's figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunFigures {
    /// Whether the sentinel ran (and its guardian posted flags).
    pub sentinel: bool,
    /// Slots the run simulated.
    pub slots: usize,
    /// Figures per attack kind, by its command-line name.
    pub kinds: BTreeMap<String, KindFigures>,
    /// Honest accounts (not tampered meters) flagged.
    pub false_flags: usize,
    /// Accounts of no attack kind (honest households).
    pub honest: usize,
    /// Their mean effective reputation score, 0..=1000.
    pub honest_mean_score: f64,
    /// Findings the guardian's rate limit held back.
    pub deferred: usize,
    /// Events the sentinel's watch did not take in.
    pub skipped: usize,
    /// Adversary orders, trades or reviews the chain refused.
    pub refused: usize,
    /// The chain's reason for the first refusal (None: nothing refused).
    pub first_refusal: Option<String>,
    /// Flags posted, in order: (`kind:account`, or `honest:account` for an
    /// honest one; reason code; Unix start of the slot, seconds).
    pub flags: Vec<(String, String, u64)>,
}

/// Delivery record: (success rate, delivered / contracted as seller).
fn record_of(a: &AccountEnd) -> (f64, f64) {
    let s = a.successful as f64 / a.trades.max(1) as f64;
    let d = if a.contracted_wh > 0 {
        a.delivered_wh as f64 / a.contracted_wh as f64
    } else {
        1.0
    };
    (s, d)
}

/// The figures of a finished run.
pub fn figures(rec: &Record, kinds: &BTreeSet<Kind>, sentinel: bool, slots: usize) -> RunFigures {
    let mut first: BTreeMap<&str, (Code, u64)> = BTreeMap::new();
    for (a, c, s) in &rec.flags {
        first.entry(a.as_str()).or_insert((*c, *s));
    }
    let honest: Vec<&AccountEnd> = rec.end.iter().filter(|a| a.kind.is_none()).collect();
    let mut out = RunFigures {
        sentinel,
        slots,
        honest: honest.len(),
        honest_mean_score: honest.iter().map(|a| f64::from(a.score)).sum::<f64>()
            / honest.len().max(1) as f64,
        false_flags: rec
            .flags
            .iter()
            .filter(|(a, _, _)| !rec.truth.contains_key(a))
            .map(|(a, _, _)| a.as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        deferred: rec.deferred,
        skipped: rec.skipped,
        refused: rec.refused,
        first_refusal: rec.first_refusal.clone(),
        flags: rec
            .flags
            .iter()
            .map(|(a, c, s)| {
                let who = rec.truth.get(a).map_or("honest", |k| k.name());
                (format!("{who}:{a}"), c.as_str().to_string(), *s)
            })
            .collect(),
        ..RunFigures::default()
    };
    for &k in kinds {
        let attackers: Vec<&AccountEnd> = rec.end.iter().filter(|a| a.kind == Some(k)).collect();
        let mut f = KindFigures {
            attackers: attackers.len(),
            ..KindFigures::default()
        };
        let mut ttd = Vec::new();
        for a in &attackers {
            if let Some(&(_, s)) = first.get(a.account.as_str()) {
                f.detected += 1;
                if let Some(&o) = rec.onset.get(&a.account) {
                    ttd.push(s.saturating_sub(o) / aip_types::SLOT_SECONDS);
                }
            }
            let (sa, da) = record_of(a);
            let best_peer = honest
                .iter()
                .filter(|h| {
                    let (sh, dh) = record_of(h);
                    h.trades > 0 && sh >= sa && dh >= da
                })
                .map(|h| h.tier)
                .max()
                .unwrap_or(0);
            if a.tier > best_peer {
                f.above_peers += 1;
            }
            f.aip_gain_uaip += a.balance as i128 - a.funded as i128;
        }
        let codes: Vec<&(String, Code, u64)> =
            rec.flags.iter().filter(|x| x.1 == k.code()).collect();
        f.flags = codes.len();
        f.flags_on_adversaries = codes
            .iter()
            .filter(|x| rec.truth.contains_key(&x.0))
            .count();
        f.recall = (f.attackers > 0).then(|| f.detected as f64 / f.attackers as f64);
        f.precision = (f.flags > 0).then(|| f.flags_on_adversaries as f64 / f.flags as f64);
        f.ttd_mean_slots =
            (!ttd.is_empty()).then(|| ttd.iter().sum::<u64>() as f64 / ttd.len() as f64);
        f.ttd_max_slots = ttd.iter().max().copied();
        let m = attackers.len().max(1) as f64;
        f.mean_score = attackers.iter().map(|a| f64::from(a.score)).sum::<f64>() / m;
        f.mean_base_score = attackers
            .iter()
            .map(|a| f64::from(a.base_score))
            .sum::<f64>()
            / m;
        out.kinds.insert(k.name().to_string(), f);
    }
    out
}

/// Runs the simulation with the adversaries of `args.attack`: with the
/// sentinel on, and (when there are adversaries) again with it off; prints
/// the table and writes `sentinel.json` and `sentinel.md` to `args.out`.
pub fn evaluate(args: &crate::cli::Args) -> Result<()> {
    if args.node.is_some() {
        bail!("--attack runs on the in-process chain only (drop --node)");
    }
    let kinds = parse_kinds(&args.attack)?;
    let modes: &[bool] = if kinds.is_empty() {
        &[true]
    } else {
        &[true, false]
    };
    let mut runs = Vec::new();
    for &sentinel in modes {
        let rec = Rc::new(RefCell::new(Record::default()));
        let r2 = rec.clone();
        let k2 = kinds.clone();
        let battery = args.battery_kwh;
        let mut engine = crate::build_on(args, false, move |sc, _| {
            Ok(Box::new(AttackChain::new(sc, battery, k2, sentinel, r2)?))
        })?;
        let total = engine.remaining();
        eprintln!(
            "attack run: sentinel {}, {total} slots",
            if sentinel { "on" } else { "off" }
        );
        engine.run(|e| {
            if e.next.is_multiple_of(96) {
                eprintln!("  day {} done", e.next / 96);
            }
        })?;
        let rec = rec.borrow();
        runs.push(figures(&rec, &kinds, sentinel, total));
        if sentinel {
            // The sentinel's input, for `aip-sentinel replay`.
            std::fs::create_dir_all(&args.out)?;
            let mut lines = String::new();
            for e in &rec.events {
                lines += &serde_json::to_string(e)?;
                lines.push('\n');
            }
            std::fs::write(args.out.join("events.jsonl"), lines)?;
            // Who the adversaries are (labels for the ML scorer's metrics).
            let truth: BTreeMap<&String, &str> =
                rec.truth.iter().map(|(a, k)| (a, k.name())).collect();
            std::fs::write(
                args.out.join("truth.json"),
                serde_json::to_string_pretty(&truth)?,
            )?;
            std::fs::write(
                args.out.join("detect.json"),
                serde_json::to_string_pretty(&rec.detect)?,
            )?;
        }
    }
    let md = table(&runs, &kinds);
    print!("{md}");
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("sentinel.md"), &md)?;
    std::fs::write(
        args.out.join("sentinel.json"),
        serde_json::to_string_pretty(&runs)?,
    )?;
    println!(
        "\nwrote {}/sentinel.md, sentinel.json, events.jsonl, truth.json, detect.json",
        args.out.display()
    );
    Ok(())
}

fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or("–".into(), |v| format!("{v:.digits$}"))
}

/// The evaluation table (Markdown).
pub fn table(runs: &[RunFigures], kinds: &BTreeSet<Kind>) -> String {
    let mut s = String::new();
    let on = runs.iter().find(|r| r.sentinel);
    let off = runs.iter().find(|r| !r.sentinel);
    if let Some(on) = on {
        s += &format!(
            "{} slots; honest households {}, flagged by mistake: {}; findings held by the rate limit: {}; events skipped: {}\n\n",
            on.slots, on.honest, on.false_flags, on.deferred, on.skipped
        );
    }
    if kinds.is_empty() {
        return s;
    }
    s += "| attack | attackers | precision | recall | time to detection, slots (mean / max) | mean score on / off | base score on / off | above honest peers' tier on / off | AIP gained on / off |\n";
    s += "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for k in kinds {
        let get = |r: Option<&RunFigures>| r.and_then(|r| r.kinds.get(k.name())).cloned();
        let (a, b) = (get(on), get(off));
        let Some(a) = a else { continue };
        let b = b.unwrap_or_default();
        s += &format!(
            "| {} | {} | {} | {} | {} / {} | {:.0} / {:.0} | {:.0} / {:.0} | {} / {} | {:.2} / {:.2} |\n",
            k.name(),
            a.attackers,
            opt(a.precision, 2),
            opt(a.recall, 2),
            opt(a.ttd_mean_slots, 1),
            a.ttd_max_slots.map_or("–".into(), |v| v.to_string()),
            a.mean_score,
            b.mean_score,
            a.mean_base_score,
            b.mean_base_score,
            a.above_peers,
            b.above_peers,
            a.aip_gain_uaip as f64 / 1e6,
            b.aip_gain_uaip as f64 / 1e6,
        );
    }
    if let Some(on) = on {
        s += &format!(
            "\nhonest households' mean score (sentinel on): {:.0}; adversary orders/trades refused: {}{}\n",
            on.honest_mean_score,
            on.refused,
            on.first_refusal
                .as_ref()
                .map_or(String::new(), |r| format!(" (first: {r})"))
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_names_parse_and_unknown_ones_are_refused() {
        let v = |s: &str| s.split(',').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            parse_kinds(&v("wash,meter")).unwrap(),
            [Kind::Wash, Kind::Meter].into()
        );
        assert!(parse_kinds(&v("none")).unwrap().is_empty());
        assert_eq!(
            parse_kinds(&v("wash,spam")).unwrap_err().to_string(),
            "unknown attack \"spam\": expected wash, ring, sybil, meter or none"
        );
    }

    #[test]
    fn false_flags_count_honest_accounts_not_flags() {
        let mut rec = Record::default();
        rec.truth.insert("wash1".into(), Kind::Wash);
        // One honest account flagged twice, another once, an adversary once.
        for (a, c, s) in [
            ("h1", Code::Ml, 900),
            ("h1", Code::Wash, 1800),
            ("h2", Code::Ml, 900),
            ("wash1", Code::Wash, 900),
        ] {
            rec.flags.push((a.into(), c, s));
        }
        let f = figures(&rec, &[Kind::Wash].into(), true, 4);
        assert_eq!(f.false_flags, 2);
        assert_eq!(f.flags.len(), 4);
    }

    #[test]
    fn attacks_run_in_daylight_only() {
        assert!(daylight(1_473_033_600 + 8 * 3600));
        assert!(!daylight(1_473_033_600 + 22 * 3600));
    }
}

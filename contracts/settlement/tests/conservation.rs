//! Property test: random sequences of place / cancel / commit / report /
//! settle / dispute / rule / sweep / withdraw never create or lose a token,
//! the contract's ledger always matches its AIP balance and its orders and
//! trades, and no trade settles twice.
//!
//! Orders draw from the full input space: the owner's own meters, someone
//! else's, a pending one and ids never registered (0, `u32::MAX`, any);
//! quantities and prices inside the shared bounds, at them, above them and
//! above 2^64, and zero. Every order outside the rules must be refused and
//! change nothing.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

mod common;

use std::collections::BTreeMap;

use aip_testing::deployment::roles;
use aip_types::hooks::Ruling;
use aip_types::{MeterId, MAX_ORDER_PRICE, MAX_ORDER_WH};
use common::*;
use cw_multi_test::Executor;
use proptest::prelude::*;
use settlement::msg::{
    ExecuteMsg, OrderStatus, OrdersResponse, QueryMsg, TradeResponse, TradeSettlement, TradeStatus,
    TradesResponse,
};

const USERS: usize = 5;

/// Which meter an order names.
#[derive(Debug, Clone, Copy)]
enum Meter {
    /// The owner's active meter in the order's zone.
    Own,
    /// Another user's active meter in the order's zone.
    Other(usize),
    /// The owner's meter that the grid operator never approved.
    Pending,
    /// An id no meter has.
    Unregistered(MeterId),
}

#[derive(Debug, Clone)]
enum Op {
    Bid {
        user: usize,
        zone: u32,
        meter: Meter,
        wh: u128,
        price: u128,
    },
    Offer {
        user: usize,
        zone: u32,
        meter: Meter,
        wh: u128,
        price: u128,
    },
    Cancel {
        order: usize,
        user: usize,
    },
    Commit {
        pairs: Vec<(usize, usize, u16, u16)>,
    },
    Advance,
    Report {
        user: usize,
        permille: u16,
    },
    Settle {
        limit: u32,
    },
    Sweep {
        limit: u32,
    },
    Dispute {
        trade: usize,
        by_buyer: bool,
    },
    Rule {
        trade: usize,
        ruling: u8,
        bps: u32,
    },
    Withdraw {
        user: usize,
    },
}

fn meter() -> impl Strategy<Value = Meter> {
    prop_oneof![
        12 => Just(Meter::Own),
        1 => (0..USERS).prop_map(Meter::Other),
        1 => Just(Meter::Pending),
        1 => prop_oneof![Just(0u32), Just(u32::MAX), 100u32..].prop_map(Meter::Unregistered),
    ]
}

/// Quantities: mostly ordinary, sometimes zero, at or above the bound, above 2^64.
fn wh() -> impl Strategy<Value = u128> {
    prop_oneof![
        24 => 1u128..5_000,
        1 => Just(0u128),
        1 => Just(MAX_ORDER_WH),
        1 => Just(MAX_ORDER_WH + 1),
        1 => Just(u64::MAX as u128 + 1),
    ]
}

/// Prices: mostly ordinary, sometimes zero, at or above the bound, above 2^64.
fn price(typical: u128) -> impl Strategy<Value = u128> {
    prop_oneof![
        24 => 1u128..typical,
        1 => Just(0u128),
        1 => Just(MAX_ORDER_PRICE),
        1 => Just(MAX_ORDER_PRICE + 1),
        1 => Just(u64::MAX as u128 + 1),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let zone = prop_oneof![3 => Just(ZONE_A), 1 => Just(ZONE_B)];
    prop_oneof![
        4 => (0..USERS, zone.clone(), meter(), wh(), price(400_000))
            .prop_map(|(user, zone, meter, wh, price)| Op::Bid { user, zone, meter, wh, price }),
        4 => (0..USERS, zone, meter(), wh(), price(300_000))
            .prop_map(|(user, zone, meter, wh, price)| Op::Offer { user, zone, meter, wh, price }),
        1 => (0usize..20, 0..USERS).prop_map(|(order, user)| Op::Cancel { order, user }),
        6 => prop::collection::vec((0usize..20, 0usize..20, 0u16..=1000, 0u16..=1000), 1..3)
            .prop_map(|pairs| Op::Commit { pairs }),
        1 => Just(Op::Advance),
        2 => (0..USERS, 0u16..=1200).prop_map(|(user, permille)| Op::Report { user, permille }),
        2 => (1u32..4).prop_map(|limit| Op::Settle { limit }),
        1 => (1u32..4).prop_map(|limit| Op::Sweep { limit }),
        1 => (0usize..10, any::<bool>()).prop_map(|(trade, by_buyer)| Op::Dispute { trade, by_buyer }),
        1 => (0usize..10, 0u8..3, 0u32..=10_000).prop_map(|(trade, ruling, bps)| Op::Rule { trade, ruling, bps }),
        1 => (0..USERS).prop_map(|user| Op::Withdraw { user }),
    ]
}

struct Model {
    s: Suite,
    phase: u8,
    orders: Vec<u64>,
    bids: Vec<u64>,
    offers: Vec<u64>,
    /// Settled or ruled trades and how they were split: never change again.
    done: BTreeMap<u64, (TradeStatus, TradeSettlement)>,
    /// Sum of `released` attributes of successful settle/ruling calls.
    released: u128,
    /// Each user's pending (never approved) meter.
    pending: Vec<MeterId>,
}

/// Whether an order may be placed: inside the bounds, on the owner's own active meter.
fn acceptable(meter: Meter, user: usize, wh: u128, price: u128) -> bool {
    let own = match meter {
        Meter::Own => true,
        Meter::Other(o) => o == user,
        Meter::Pending | Meter::Unregistered(_) => false,
    };
    own && aip_types::check_order(wh, price).is_ok()
}

impl Model {
    /// Registers every user's active meters (one per zone) and a pending one;
    /// disputes cost a bond of 1_000 uaip.
    fn setup(&mut self) {
        let mut p = params();
        p.dispute_bond = cosmwasm_std::Uint128::new(1_000);
        self.s.update_params(p);
        for u in 0..USERS {
            let who = self.s.user(u);
            for zone in [ZONE_A, ZONE_B] {
                self.s.meter(&format!("m{u}"), &who, zone);
            }
            let mo = self.s.d.meter_oracle.clone();
            let r = self
                .s
                .d
                .app
                .execute_contract(
                    who,
                    mo,
                    &meter_oracle::msg::ExecuteMsg::RequestMeter {
                        node: NODE_A,
                        pubkey: cosmwasm_std::Binary::from(vec![7u8; 32]),
                    },
                    &[],
                )
                .unwrap();
            self.pending.push(attr(&r, "meter").parse().unwrap());
        }
    }

    fn meter_id(&mut self, m: Meter, user: usize, zone: u32) -> MeterId {
        match m {
            Meter::Own => self.s.meter(&format!("m{user}"), &self.s.user(user), zone),
            Meter::Other(o) => self.s.meter(&format!("m{o}"), &self.s.user(o), zone),
            Meter::Pending => self.pending[user],
            Meter::Unregistered(id) => id,
        }
    }

    fn set_phase(&mut self) {
        let slot = self.s.slot;
        let p = params();
        let t = match self.phase {
            0 => slot.start() - p.gate_closure_secs - 600,
            1 => slot.start() - 60,
            2 => slot.end() + 10,
            _ => slot.end() + p.delivery_deadline_secs + p.dispute_window_secs + 10,
        };
        self.s.set_time(t);
    }

    fn apply_order(&mut self, op: &Op) {
        match op.clone() {
            Op::Bid {
                user,
                zone,
                meter,
                wh,
                price,
            } => {
                let m = self.meter_id(meter, user, zone);
                let s = &mut self.s;
                // The exact escrow, or 1 uaip where even that overflows (refused anyway).
                let amount = aip_types::escrow_for(wh.into(), price.into()).map_or(1, |a| a.u128());
                let u = s.user(user);
                let before = s.holdings();
                match s.send(&u, amount, &bid_msg(s.slot, zone, m, wh, price)) {
                    Ok(r) => {
                        assert!(acceptable(meter, user, wh, price), "{op:?} was accepted");
                        self.orders.push(order_id(&r));
                        self.bids.push(order_id(&r));
                    }
                    Err(_) => {
                        // Refused: nothing changed.
                        assert_eq!(s.holdings(), before);
                    }
                }
            }
            Op::Offer {
                user,
                zone,
                meter,
                wh,
                price,
            } => {
                let m = self.meter_id(meter, user, zone);
                let s = &mut self.s;
                let amount = settlement::rules::offer_collateral(
                    wh.into(),
                    price.into(),
                    params().collateral_floor_price,
                    2_000,
                )
                .map_or(1, |a| a.u128());
                let u = s.user(user);
                let msg = offer_msg(s.slot, zone, m, wh, price, false);
                let before = s.holdings();
                match s.send(&u, amount, &msg) {
                    Ok(r) => {
                        assert!(acceptable(meter, user, wh, price), "{op:?} was accepted");
                        self.orders.push(order_id(&r));
                        self.offers.push(order_id(&r));
                    }
                    Err(_) => assert_eq!(s.holdings(), before),
                }
            }
            _ => unreachable!("only orders"),
        }
    }

    fn apply(&mut self, op: &Op) {
        if matches!(op, Op::Bid { .. } | Op::Offer { .. }) {
            return self.apply_order(op);
        }
        let s = &mut self.s;
        match op.clone() {
            Op::Bid { .. } | Op::Offer { .. } => unreachable!("handled by apply_order"),
            Op::Cancel { order, user } => {
                if let Some(id) = self.orders.get(order).copied() {
                    let u = s.user(user);
                    let _ = s.exec(&u, ExecuteMsg::CancelOrder { id });
                }
            }
            Op::Commit { pairs } => {
                let mut trades = vec![];
                for (b, o, f1, f2) in pairs {
                    if self.bids.is_empty() || self.offers.is_empty() {
                        continue;
                    }
                    // Mostly well-formed pairs; sometimes deliberately odd ones.
                    let (bid, offer) = if f1 % 7 == 0 {
                        (
                            self.orders[b % self.orders.len()],
                            self.orders[o % self.orders.len()],
                        )
                    } else {
                        (
                            self.bids[b % self.bids.len()],
                            self.offers[o % self.offers.len()],
                        )
                    };
                    let (bo, oo) = (s.order(bid), s.order(offer));
                    let rem = bo.remaining_wh.min(oo.remaining_wh).u128();
                    let wh = (rem * f1 as u128 / 1000).max(1);
                    let lo = oo.price.u128();
                    let hi = bo.price.u128().max(lo);
                    let price = lo + (hi - lo) * (f2 as u128 % 500) / 1000;
                    trades.push(trade(bid, offer, wh, price));
                }
                if !trades.is_empty() {
                    let _ = s.commit(trades);
                }
            }
            Op::Advance => {
                self.phase = (self.phase + 1).min(3);
                self.set_phase();
            }
            Op::Report { user, permille } => {
                let meter = format!("m{user}");
                let exported = 3_000u128 * permille as u128 / 1000;
                let _ = s.report(&meter, exported);
            }
            Op::Settle { limit } => {
                if let Ok(r) = s.settle(Some(limit)) {
                    self.released += attr(&r, "released").parse::<u128>().unwrap();
                }
            }
            Op::Sweep { limit } => {
                let who = s.user(0);
                let slot = s.slot;
                let _ = s.exec(
                    &who,
                    ExecuteMsg::Sweep {
                        slot,
                        limit: Some(limit),
                    },
                );
            }
            Op::Dispute { trade, by_buyer } => {
                let id = trade as u64 + 1;
                if let Ok(t) = s.q::<TradeResponse>(&QueryMsg::Trade { id }) {
                    let who = if by_buyer { t.buyer } else { t.seller };
                    let who = cosmwasm_std::Addr::unchecked(who);
                    let _ = s.dispute(&who, id, "prop");
                }
            }
            Op::Rule { trade, ruling, bps } => {
                let ruling = match ruling {
                    0 => Ruling::PaySeller,
                    1 => Ruling::RefundBuyer,
                    _ => Ruling::Split { seller_bps: bps },
                };
                let arbiter = s.role(roles::ARBITER);
                let id = trade as u64 + 1;
                let before = s.holdings().trades.u128();
                if s.exec(
                    &arbiter,
                    ExecuteMsg::ResolveDispute {
                        trade_id: id,
                        ruling,
                    },
                )
                .is_ok()
                {
                    self.released += before - s.holdings().trades.u128();
                }
            }
            Op::Withdraw { user } => {
                let u = s.user(user);
                let _ = s.withdraw(&u);
            }
        }
    }

    fn check(&mut self) -> Result<(), TestCaseError> {
        let s = &self.s;
        let contract = s.d.settlement.clone();
        let treasury = s.role(roles::TREASURY);
        let mut accounts: Vec<_> = (0..USERS).map(|i| s.user(i)).collect();
        accounts.push(treasury.clone());
        // Supply = balances of everyone holding AIP.
        let held: u128 = accounts.iter().map(|a| s.balance(a)).sum::<u128>() + s.balance(&contract);
        prop_assert_eq!(s.d.total_supply().unwrap(), held);
        prop_assert_eq!(held, START_BALANCE * USERS as u128);
        // The ledger equals the contract's balance ...
        let h = s.holdings();
        prop_assert_eq!(h.total.u128(), s.balance(&contract));
        prop_assert_eq!(h.total, h.orders + h.trades + h.claimable + h.bonds);
        // ... and each part equals what the orders, trades and accounts say.
        let claimable: u128 = accounts.iter().map(|a| s.claimable(a)).sum();
        prop_assert_eq!(h.claimable.u128(), claimable);
        let mut in_orders = 0u128;
        for u in 0..USERS {
            let r: OrdersResponse = s
                .q(&QueryMsg::OrdersByOwner {
                    owner: s.user(u).to_string(),
                    start_after: None,
                    limit: Some(500),
                })
                .unwrap();
            for o in r.orders {
                if o.status == OrderStatus::Open {
                    in_orders += o.locked.u128();
                } else {
                    prop_assert!(o.locked.is_zero());
                }
            }
        }
        prop_assert_eq!(h.orders.u128(), in_orders);
        let trades: TradesResponse = s
            .q(&QueryMsg::TradesBySlot {
                slot: s.slot,
                start_after: None,
                limit: Some(500),
            })
            .unwrap();
        let mut in_trades = 0u128;
        let mut settled_value = 0u128;
        for t in trades.trades {
            let value = t.payment.u128() + t.collateral.u128();
            match t.status {
                TradeStatus::Pending | TradeStatus::Disputed => {
                    prop_assert!(!self.done.contains_key(&t.id), "trade {} went back", t.id);
                    in_trades += value;
                }
                TradeStatus::Settled | TradeStatus::Ruled => {
                    settled_value += value;
                    let split = t.settlement.clone().unwrap();
                    prop_assert_eq!(split.seller_paid + split.buyer_refund, t.payment);
                    prop_assert_eq!(split.penalty + split.collateral_returned, t.collateral);
                    match self.done.get(&t.id) {
                        Some(prev) => prop_assert_eq!(prev, &(t.status, split)),
                        None => {
                            self.done.insert(t.id, (t.status, split));
                        }
                    }
                }
            }
        }
        prop_assert_eq!(h.trades.u128(), in_trades);
        // Every settled trade was released exactly once.
        prop_assert_eq!(self.released, settled_value);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn tokens_are_conserved_and_no_trade_settles_twice(ops in prop::collection::vec(op(), 10..100)) {
        let mut m = Model {
            s: Suite::new(),
            phase: 0,
            orders: vec![],
            bids: vec![],
            offers: vec![],
            done: BTreeMap::new(),
            released: 0,
            pending: vec![],
        };
        m.setup();
        m.set_phase();
        for op in &ops {
            m.apply(op);
            m.check()?;
        }
        // Drive everything to the end: every token comes back out.
        while m.phase < 3 {
            m.apply(&Op::Advance);
        }
        for _ in 0..50 {
            m.apply(&Op::Settle { limit: 3 });
            m.apply(&Op::Sweep { limit: 3 });
        }
        for t in 0..20 {
            m.apply(&Op::Rule { trade: t, ruling: 2, bps: 5_000 });
        }
        for u in 0..USERS {
            m.apply(&Op::Withdraw { user: u });
        }
        let treasury = m.s.role(roles::TREASURY);
        let _ = m.s.withdraw(&treasury);
        m.check()?;
        if std::env::var("PROP_STATS").is_ok() {
            eprintln!("orders {} trades {} settled/ruled {}", m.orders.len(), m.s.status().trades, m.done.len());
        }
        prop_assert_eq!(m.s.holdings().total.u128(), 0);
        prop_assert_eq!(m.s.balance(&m.s.d.settlement.clone()), 0);
    }
}

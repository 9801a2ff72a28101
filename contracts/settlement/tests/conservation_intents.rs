//! Property test of the deposit ledger: random sequences of deposits,
//! withdrawals, batches of signed intents (well formed, forged, expired,
//! out of bounds, over-filled, unaffordable; quantities and prices at zero
//! and above the shared bounds; meters of someone else, pending, or never
//! registered: 0, `u32::MAX`, any; some carrying earlier slots to settle),
//! cancels, delivery reports, settlement, disputes and rulings over several slots never create or lose
//! a token. After every step: the contract's AIP balance equals its
//! holdings; the accounts' free balances sum to the holdings' claimable
//! part; their locked balances sum to what the unsettled intent trades hold;
//! the token's supply is unchanged. A refused call changes nothing. At the
//! end everything settles, everyone withdraws, and the contract holds 0.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

mod common;

use aip_testing::deployment::roles;
use aip_types::intent::{BatchIntent, Side as IntentSide};
use aip_types::{SlotId, MAX_ORDER_PRICE, MAX_ORDER_WH};
use common::*;
use cosmwasm_std::{Addr, Uint128};
use cw_multi_test::Executor;
use proptest::prelude::*;
use settlement::msg::{ExecuteMsg, QueryMsg, TradeStatus, TradesResponse};

const HOUSEHOLDS: usize = 4;

#[derive(Debug, Clone)]
enum Tamper {
    None,
    /// Signed by the next household's key in this one's name.
    Forged,
    /// Expired before the commit.
    Expired,
    /// Wh above the shared bound.
    TooBig,
    /// Limit price 0 (a free order).
    ZeroPrice,
    /// Limit price above the shared bound.
    PriceTooHigh,
    /// The bid names the seller's meter (someone else's).
    OtherMeter,
    /// The bid names a pending (never approved) meter.
    PendingMeter,
    /// The bid names a meter id nobody registered.
    Unregistered(u32),
}

#[derive(Debug, Clone)]
enum Op {
    Deposit {
        who: usize,
        amount: u128,
    },
    Withdraw {
        who: usize,
        amount: Option<u128>,
    },
    /// (buyer, seller, intent Wh, trade Wh permille, price permille, tamper) per trade.
    Commit {
        trades: Vec<(usize, usize, u64, u16, u16, Tamper)>,
        /// Earlier committed slots (1: the latest) the commit also settles.
        carry: Vec<usize>,
    },
    Cancel {
        who: usize,
        nonce: u64,
    },
    Advance,
    NextSlot,
    Report {
        who: usize,
        permille: u16,
    },
    Settle {
        back: usize,
        limit: u32,
    },
    Dispute {
        trade: u64,
        by_buyer: bool,
    },
    Rule {
        trade: u64,
        ruling: u8,
    },
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        20 => Just(Tamper::None),
        1 => Just(Tamper::Forged),
        1 => Just(Tamper::Expired),
        1 => Just(Tamper::TooBig),
        1 => Just(Tamper::ZeroPrice),
        1 => Just(Tamper::PriceTooHigh),
        1 => Just(Tamper::OtherMeter),
        1 => Just(Tamper::PendingMeter),
        1 => prop_oneof![Just(0u32), Just(u32::MAX), 100u32..].prop_map(Tamper::Unregistered),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let h = 0..HOUSEHOLDS;
    prop_oneof![
        3 => (h.clone(), prop_oneof![Just(0u128), 1u128..2_000_000]).prop_map(|(who, amount)| Op::Deposit { who, amount }),
        2 => (h.clone(), prop::option::of(0u128..3_000_000)).prop_map(|(who, amount)| Op::Withdraw { who, amount }),
        4 => (
            prop::collection::vec((h.clone(), h.clone(), 1u64..4_000, 1u16..=1000, 0u16..=1000, tamper()), 1..5),
            prop_oneof![1 => Just(vec![]), 1 => prop::sample::subsequence(vec![1usize, 2], 1..=2)],
        )
            .prop_map(|(trades, carry)| Op::Commit { trades, carry }),
        1 => (h.clone(), 1u64..4).prop_map(|(who, nonce)| Op::Cancel { who, nonce }),
        3 => Just(Op::Advance),
        1 => Just(Op::NextSlot),
        2 => (h.clone(), 0u16..=1200).prop_map(|(who, permille)| Op::Report { who, permille }),
        2 => (0usize..3, 1u32..4).prop_map(|(back, limit)| Op::Settle { back, limit }),
        1 => (1u64..12, any::<bool>()).prop_map(|(trade, by_buyer)| Op::Dispute { trade, by_buyer }),
        1 => (1u64..12, 0u8..3).prop_map(|(trade, ruling)| Op::Rule { trade, ruling }),
    ]
}

struct Model {
    s: Suite,
    hs: Vec<Household>,
    /// Every slot used so far (the current one last).
    slots: Vec<SlotId>,
    /// The slots committed so far: a commit may carry them to settle.
    committed: Vec<SlotId>,
    phase: u8,
    next_nonce: u64,
    supply: u128,
    /// A meter requested by household 0 and never approved.
    pending: u32,
}

impl Model {
    fn new() -> Self {
        let mut s = Suite::new();
        let mut p = params();
        p.dispute_bond = Uint128::new(1_000);
        s.update_params(p);
        let hs: Vec<Household> = (0..HOUSEHOLDS)
            .map(|i| s.household(&format!("prop household {i}"), 10_000_000, 3_000_000))
            .collect();
        let supply = s.d.total_supply().unwrap();
        let slot = s.slot;
        let owner = hs_owner(&hs);
        let r =
            s.d.app
                .execute_contract(
                    owner.addr.clone(),
                    s.d.meter_oracle.clone(),
                    &meter_oracle::msg::ExecuteMsg::RequestMeter {
                        node: NODE_A,
                        pubkey: cosmwasm_std::Binary::from(vec![9u8; 32]),
                    },
                    &[],
                )
                .unwrap();
        let pending = attr(&r, "meter").parse().unwrap();
        Model {
            s,
            hs,
            slots: vec![slot],
            committed: Vec::new(),
            phase: 0,
            next_nonce: 10,
            supply,
            pending,
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
        let t = t.max(self.s.now());
        self.s.set_time(t);
    }

    fn accounts(&self) -> Vec<Addr> {
        let mut v: Vec<Addr> = self.hs.iter().map(|h| h.addr.clone()).collect();
        v.push(self.s.role(roles::TREASURY));
        v
    }

    fn all_trades(&self) -> Vec<settlement::msg::TradeResponse> {
        let mut out = vec![];
        for slot in &self.slots {
            let r: TradesResponse = self
                .s
                .q(&QueryMsg::TradesBySlot {
                    slot: *slot,
                    start_after: None,
                    limit: Some(500),
                })
                .unwrap();
            out.extend(r.trades);
        }
        out
    }

    fn apply(&mut self, op: &Op) {
        let before = self.s.holdings();
        let ok = self.try_apply(op);
        if !ok {
            assert_eq!(
                self.s.holdings(),
                before,
                "{op:?} was refused but moved funds"
            );
        }
    }

    /// Applies `op`; false when the contract refused it.
    fn try_apply(&mut self, op: &Op) -> bool {
        match op.clone() {
            Op::Deposit { who, amount } => {
                let a = self.hs[who].addr.clone();
                let r = self.s.deposit(&a, amount);
                if amount == 0 {
                    assert_eq!(err(r), "a deposit needs an amount above zero");
                    return false;
                }
                r.is_ok()
            }
            Op::Withdraw { who, amount } => {
                let a = self.hs[who].addr.clone();
                self.s
                    .exec(
                        &a,
                        ExecuteMsg::Withdraw {
                            amount: amount.map(Uint128::new),
                        },
                    )
                    .is_ok()
            }
            Op::Commit { trades, carry } => {
                if self.phase > 1 {
                    return false;
                }
                let mut intents: Vec<BatchIntent> = vec![];
                let mut its = vec![];
                for (b, k, wh, take, at, tamper) in trades {
                    if b == k {
                        continue;
                    }
                    self.next_nonce += 1;
                    let nonce = self.next_nonce;
                    let (hb, hk) = (self.hs[b].clone(), self.hs[k].clone());
                    let mut bid = self.s.intent(
                        &hb,
                        nonce,
                        IntentSide::Buy,
                        &format!("m{b}"),
                        ZONE_A,
                        wh,
                        250_000,
                    );
                    let offer = self.s.intent(
                        &hk,
                        nonce,
                        IntentSide::Sell,
                        &format!("m{k}"),
                        ZONE_A,
                        wh,
                        200_000,
                    );
                    let signer = match tamper {
                        Tamper::None => hb.clone(),
                        Tamper::Forged => self.hs[(b + 1) % HOUSEHOLDS].clone(),
                        Tamper::Expired => {
                            bid.expires = self.s.now();
                            hb.clone()
                        }
                        Tamper::TooBig => {
                            bid.wh = MAX_ORDER_WH as u64 + 1;
                            hb.clone()
                        }
                        Tamper::ZeroPrice => {
                            bid.limit_price = 0;
                            hb.clone()
                        }
                        Tamper::PriceTooHigh => {
                            bid.limit_price = MAX_ORDER_PRICE as u64 + 1;
                            hb.clone()
                        }
                        Tamper::OtherMeter => {
                            bid.meter = offer.meter;
                            hb.clone()
                        }
                        Tamper::PendingMeter => {
                            bid.meter = self.pending;
                            hb.clone()
                        }
                        Tamper::Unregistered(m) => {
                            bid.meter = m;
                            hb.clone()
                        }
                    };
                    let mut sb = BatchIntent::from_signed(&signer.key.sign_cosmos(&bid));
                    sb.owner = hb.addr.to_string();
                    let i = intents.len() as u32;
                    intents.push(sb);
                    intents.push(signed(&hk, &offer));
                    let twh = (wh as u128 * take as u128 / 1000).max(1);
                    let price = 200_000 + 50_000 * at as u128 / 1000;
                    assert!(price <= MAX_ORDER_PRICE);
                    its.push(itrade(i, i + 1, twh, price));
                }
                if its.is_empty() {
                    return false;
                }
                // The earlier committed slots named by `carry` (1: the latest).
                let settle = carry
                    .iter()
                    .filter_map(|back| self.committed.len().checked_sub(*back))
                    .map(|i| self.committed[i])
                    .collect();
                let ok = self.s.commit_settling(intents, its, settle).is_ok();
                if ok {
                    self.committed.push(self.s.slot);
                }
                ok
            }
            Op::Cancel { who, nonce } => {
                let a = self.hs[who].addr.clone();
                let n = self.next_nonce.saturating_sub(nonce);
                self.s
                    .exec(&a, ExecuteMsg::CancelIntent { nonce: n })
                    .is_ok()
            }
            Op::Advance => {
                self.phase = (self.phase + 1).min(3);
                self.set_phase();
                true
            }
            Op::NextSlot => {
                if self.phase < 3 {
                    return false;
                }
                self.s.slot = SlotId(self.s.slot.0 + 16 * 900);
                self.slots.push(self.s.slot);
                self.phase = 0;
                self.set_phase();
                true
            }
            Op::Report { who, permille } => {
                if self.phase != 2 {
                    return false;
                }
                let label = format!("m{who}");
                if !self.s.meters.keys().any(|(l, _, _)| *l == label) {
                    return false;
                }
                // The quorum finalizes the reading; anyone fetches it.
                self.s
                    .report(&label, 3_000u128 * permille as u128 / 1000)
                    .is_ok()
            }
            Op::Settle { back, limit } => {
                let i = self.slots.len().saturating_sub(1 + back);
                let slot = self.slots[i];
                let who = self.s.user(4);
                self.s
                    .exec(
                        &who,
                        ExecuteMsg::Settle {
                            slot,
                            limit: Some(limit),
                        },
                    )
                    .is_ok()
            }
            Op::Dispute { trade, by_buyer } => {
                let Ok(t) = self
                    .s
                    .q::<settlement::msg::TradeResponse>(&QueryMsg::Trade { id: trade })
                else {
                    return false;
                };
                let who = Addr::unchecked(if by_buyer { t.buyer } else { t.seller });
                self.s.dispute(&who, trade, "meter disagrees").is_ok()
            }
            Op::Rule { trade, ruling } => {
                let ruling = match ruling {
                    0 => aip_types::hooks::Ruling::PaySeller,
                    1 => aip_types::hooks::Ruling::RefundBuyer,
                    _ => aip_types::hooks::Ruling::Split { seller_bps: 5_000 },
                };
                let arb = self.s.role(roles::ARBITER);
                self.s
                    .exec(
                        &arb,
                        ExecuteMsg::ResolveDispute {
                            trade_id: trade,
                            ruling,
                        },
                    )
                    .is_ok()
            }
        }
    }

    fn check(&self) -> Result<(), TestCaseError> {
        let h = self.s.holdings();
        prop_assert_eq!(self.s.balance(&self.s.d.settlement), h.total.u128());
        prop_assert_eq!(h.total, h.orders + h.trades + h.claimable + h.bonds);
        prop_assert_eq!(h.orders.u128(), 0, "no order was placed");
        let (mut free, mut locked) = (0u128, 0u128);
        for a in self.accounts() {
            let b = self.s.account(&a);
            free += b.free.u128();
            locked += b.locked.u128();
            prop_assert_eq!(b.claimable, b.free);
        }
        prop_assert_eq!(
            free,
            h.claimable.u128(),
            "free balances = claimable holdings"
        );
        let mut held = 0u128;
        for t in self.all_trades() {
            prop_assert!(t.intents);
            if !matches!(t.status, TradeStatus::Settled | TradeStatus::Ruled) {
                held += t.payment.u128() + t.collateral.u128();
            }
        }
        prop_assert_eq!(
            held,
            h.trades.u128(),
            "unsettled trades hold what holdings say"
        );
        prop_assert_eq!(locked, held, "locked balances = what unsettled trades hold");
        prop_assert_eq!(self.s.d.total_supply().unwrap(), self.supply);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn deposits_intents_and_withdrawals_conserve_tokens(ops in prop::collection::vec(op(), 10..80)) {
        let mut m = Model::new();
        m.set_phase();
        for op in &ops {
            m.apply(op);
            m.check()?;
        }
        // Drive every slot to the end, rule every dispute, settle, withdraw.
        while m.phase < 3 {
            m.apply(&Op::Advance);
        }
        for t in 1..40 {
            m.apply(&Op::Rule { trade: t, ruling: 2 });
        }
        for back in 0..m.slots.len() {
            for _ in 0..20 {
                m.apply(&Op::Settle { back, limit: 5 });
            }
        }
        m.check()?;
        for a in m.accounts() {
            let b = m.s.account(&a);
            prop_assert_eq!(b.locked.u128(), 0, "nothing stays locked once all is settled");
            if !b.free.is_zero() {
                m.s.withdraw(&a).unwrap();
            }
        }
        m.check()?;
        if std::env::var("PROP_STATS").is_ok() {
            let trades = m.all_trades();
            eprintln!(
                "slots {} trades {} ruled {}",
                m.slots.len(),
                trades.len(),
                trades.iter().filter(|t| t.status == TradeStatus::Ruled).count()
            );
        }
        prop_assert_eq!(m.s.holdings().total.u128(), 0);
        prop_assert_eq!(m.s.balance(&m.s.d.settlement.clone()), 0);
    }
}

/// The household that owns the pending meter.
fn hs_owner(hs: &[Household]) -> Household {
    hs[0].clone()
}

//! Property test: random sequences of outcomes, rulings, reviews and flags.
//! After every step each account's score is within 0..=1000 and equals the
//! README's formula evaluated from scratch over the whole history by an
//! independent model (so the incremental bookkeeping — per-batch caching,
//! pair caps, flag suspensions — can only move a score by the documented
//! rules). Rejected operations must change nothing.

use std::collections::{BTreeMap, BTreeSet};

use aip_types::hooks::reputation::{Ruling, TradeOutcome};
use aip_types::SlotId;
use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
use cosmwasm_std::testing::{MockQuerier, MockStorage};
use cosmwasm_std::{from_json, Addr, OwnedDeps, Uint128};
use proptest::prelude::*;

use crate::contract::{execute, instantiate, query};
use crate::msg::{ExecuteMsg, InstantiateMsg, QueryMsg, ReputationResponse};

const N: usize = 4; // accounts 0..3 hold tokens, account 3 does not
const REGISTERED: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Outcomes(Vec<(usize, usize, u64, u8, bool)>),
    Ruling(usize, u8, u32),
    Review(usize, bool, u8),
    Flag(usize),
    Unflag(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => prop::collection::vec((0..N, 0..N, 1u64..5_000, 0u8..=100, any::<bool>()), 1..4)
            .prop_map(Op::Outcomes),
        1 => (0usize..64, 0u8..3, 0u32..=10_000).prop_map(|(t, k, b)| Op::Ruling(t, k, b)),
        3 => (0usize..64, any::<bool>(), 1u8..=5).prop_map(|(t, s, r)| Op::Review(t, s, r)),
        1 => (0..N).prop_map(Op::Flag),
        1 => (0..N).prop_map(Op::Unflag),
    ]
}

/// The history, as the README describes it, and nothing else.
#[derive(Default)]
struct Model {
    trades: Vec<(usize, usize, u64, u64, u64)>, // seller, buyer, contracted, delivered, slot
    rulings: BTreeMap<usize, (u64, u64)>,       // trade index → (seller lost bps, buyer lost bps)
    reviewed: BTreeSet<(usize, bool)>,          // (trade index, by seller)
    reviews: Vec<(usize, usize, u64, u64)>,     // reviewer, reviewed, weight, rating
    flags: BTreeMap<usize, u16>,                // account → unflagged score when flagged
}

impl Model {
    fn base(&self, a: usize) -> u16 {
        let (mut n, mut ok, mut c, mut d, mut slots, mut last) =
            (0u128, 0u128, 0u128, 0u128, 0u128, 0u64);
        let mut sold = 0u128;
        for &(s, b, con, del, slot) in &self.trades {
            if s != a && b != a {
                continue;
            }
            n += 1;
            if s == a {
                sold += 1;
                c += con as u128;
                d += del as u128;
                if del * 100 >= con * 95 {
                    ok += 1;
                }
            }
            if slots == 0 || slot > last {
                slots += 1;
                last = slot;
            }
        }
        let lost: u128 = self
            .rulings
            .iter()
            .map(|(&t, &(sl, bl))| {
                let (s, b, ..) = self.trades[t];
                (if s == a { sl } else { 0 } + if b == a { bl } else { 0 }) as u128
            })
            .sum();
        let mut pairs: BTreeMap<usize, (u128, u128)> = BTreeMap::new();
        for &(r, t, w, rating) in &self.reviews {
            if t == a {
                let e = pairs.entry(r).or_default();
                e.0 += w as u128;
                e.1 += (w * rating) as u128;
            }
        }
        // Pairs capped at 3000 each; the pairs `a` reviewed back (a ring's)
        // together capped at 3000, their average rating kept.
        let (mut w, mut wr, mut mw, mut mwr) = (0u128, 0u128, 0u128, 0u128);
        for (r, (pw, pwr)) in pairs {
            if self.flags.contains_key(&r) || pw == 0 {
                continue;
            }
            let capped = pw.min(3000);
            let capped_wr = pwr * capped / pw;
            if self.reviews.iter().any(|&(x, y, ..)| x == a && y == r) {
                mw += capped;
                mwr += capped_wr;
            } else {
                w += capped;
                wr += capped_wr;
            }
        }
        if mw > 3000 {
            mwr = mwr * 3000 / mw;
            mw = 3000;
        }
        let (w, wr) = (w + mw, (wr + mwr).clamp(w + mw, 5 * (w + mw)));
        let s_ = (1000 * ok + 10 * 500) / (sold + 10);
        let a_ = (1000 * d + 10_000 * 500) / (c + 10_000);
        let r_ = 1000 * (wr + 9000 - (w + 3000)) / (4 * (w + 3000));
        let p_ = 1000 * slots.min(96) / 96;
        let d_ = 1000 - (lost / (n + 10)).min(1000);
        ((250 * s_ + 300 * a_ + 150 * r_ + 100 * p_ + 200 * d_) / 1000) as u16
    }

    fn score(&self, a: usize) -> u16 {
        if a >= REGISTERED {
            return 0;
        }
        let b = self.base(a);
        match self.flags.get(&a) {
            Some(&at) => b.min(at) / 2,
            None => b,
        }
    }
}

type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

fn reputation(deps: &Deps, who: &Addr) -> ReputationResponse {
    from_json(
        query(
            deps.as_ref(),
            mock_env(),
            QueryMsg::Reputation {
                account: who.to_string(),
            },
        )
        .unwrap(),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn scores_follow_the_documented_formula(ops in prop::collection::vec(op(), 1..40)) {
        let mut deps = mock_dependencies();
        let api = deps.api;
        let admin = api.addr_make("admin");
        let settlement = api.addr_make("settlement");
        let guardian = api.addr_make("guardian");
        let acc: Vec<Addr> = (0..N).map(|i| api.addr_make(&format!("acc{i}"))).collect();
        instantiate(deps.as_mut(), mock_env(), message_info(&admin, &[]), InstantiateMsg {
            name: "rep".into(), symbol: "REP".into(), admin: None,
            settlement: Some(settlement.to_string()), zk_verifier: None,
            guardian: Some(guardian.to_string()), terms: None, review_window_secs: None,
        }).unwrap();
        for a in &acc[..REGISTERED] {
            execute(deps.as_mut(), mock_env(), message_info(&admin, &[]),
                ExecuteMsg::MintFor { owner: a.to_string() }).unwrap();
        }
        let mut m = Model::default();
        let mut slot = 1_767_225_600u64;
        for op in ops {
            let before: Vec<ReputationResponse> = acc.iter().map(|a| reputation(&deps, a)).collect();
            let (sender, msg, valid) = match op.clone() {
                Op::Outcomes(list) => {
                    let mut outcomes = vec![];
                    let mut valid = true;
                    for (s, b, c, pct, next) in list {
                        if next { slot += 900; }
                        let d = c * pct as u64 / 100;
                        valid &= s != b;
                        outcomes.push(TradeOutcome {
                            trade_id: (m.trades.len() + outcomes.len()) as u64,
                            slot: SlotId(slot),
                            seller: acc[s].to_string(), buyer: acc[b].to_string(),
                            contracted_wh: Uint128::new(c as u128), delivered_wh: Uint128::new(d as u128),
                        });
                    }
                    if valid {
                        for o in &outcomes {
                            let s = acc.iter().position(|a| a.as_str() == o.seller).unwrap();
                            let b = acc.iter().position(|a| a.as_str() == o.buyer).unwrap();
                            m.trades.push((s, b, o.contracted_wh.u128() as u64, o.delivered_wh.u128() as u64, o.slot.0));
                        }
                    }
                    (settlement.clone(), ExecuteMsg::RecordOutcomes { outcomes }, valid)
                }
                Op::Ruling(t, kind, bps) => {
                    if m.trades.is_empty() {
                        continue;
                    }
                    let t = t % m.trades.len();
                    let (s, b) = (m.trades[t].0, m.trades[t].1);
                    let (ruling, seller_keeps) = match kind {
                        0 => (Ruling::PaySeller, 10_000u64),
                        1 => (Ruling::RefundBuyer, 0),
                        _ => (Ruling::Split { seller_bps: bps }, bps as u64),
                    };
                    let valid = !m.rulings.contains_key(&t);
                    if valid {
                        m.rulings.insert(t, (10_000 - seller_keeps, seller_keeps));
                    }
                    (settlement.clone(), ExecuteMsg::RecordRuling {
                        trade_id: t as u64, seller: acc[s].to_string(), buyer: acc[b].to_string(), ruling,
                    }, valid)
                }
                Op::Review(t, by_seller, rating) => {
                    let known = t < m.trades.len();
                    let (s, b) = if known { (m.trades[t].0, m.trades[t].1) } else { (0, 1) };
                    let (reviewer, reviewed) = if by_seller { (s, b) } else { (b, s) };
                    let valid = known && !m.reviewed.contains(&(t, by_seller));
                    if valid {
                        let w = m.score(reviewer) as u64;
                        m.reviewed.insert((t, by_seller));
                        m.reviews.push((reviewer, reviewed, w, rating as u64));
                    }
                    (acc[reviewer].clone(), ExecuteMsg::Review {
                        trade_id: t as u64, counterparty: acc[reviewed].to_string(), rating,
                    }, valid)
                }
                Op::Flag(a) => {
                    let valid = !m.flags.contains_key(&a);
                    if valid {
                        let at = m.base(a);
                        m.flags.insert(a, at);
                    }
                    (guardian.clone(), ExecuteMsg::Flag { account: acc[a].to_string(), reason: "p".into() }, valid)
                }
                Op::Unflag(a) => {
                    let valid = m.flags.remove(&a).is_some();
                    (guardian.clone(), ExecuteMsg::Unflag { account: acc[a].to_string() }, valid)
                }
            };
            let res = execute(deps.as_mut(), mock_env(), message_info(&sender, &[]), msg);
            prop_assert_eq!(res.is_ok(), valid, "op {:?}: {:?}", op, res);
            for (i, a) in acc.iter().enumerate() {
                let r = reputation(&deps, a);
                prop_assert!(r.score <= 1000 && r.base_score <= 1000);
                if !valid {
                    prop_assert_eq!(&r, &before[i], "a rejected op changed account {}", i);
                }
                prop_assert_eq!(r.score, m.score(i), "account {} after {:?}", i, op);
            }
        }
    }
}

proptest! {
    /// The compact record decodes to what was encoded; anything else is refused.
    #[test]
    fn stats_records_round_trip(f in prop::array::uniform12(any::<u64>()), m in prop::array::uniform2(prop_oneof![Just(0u64), any::<u64>()]), token in any::<bool>(), aligned in any::<bool>(), junk in prop::collection::vec(any::<u8>(), 0..40)) {
        use crate::state::Stats;
        // A slot start (a multiple of 900 s) travels as a slot number.
        let mut f = f;
        if aligned {
            f[6] = f[6] % (u64::MAX / 900) * 900;
        }
        let in_slots = f[6] != 0 && f[6].is_multiple_of(900);
        let s = Stats {
            trades: f[0], successful: f[1], sold: f[2], contracted_wh: f[3], delivered_wh: f[4],
            active_slots: f[5], last_slot: f[6], disputes: f[7], dispute_loss_bps: f[8],
            reviews_received: f[9], review_weight: f[10], review_weighted_sum: f[11],
            mutual_review_weight: m[0], mutual_review_weighted_sum: m[1],
            token,
        };
        let bytes = s.encode();
        prop_assert!(bytes.len() <= 1 + 14 * 10);
        // Format 3: the count of fields up to the last non-zero one.
        let all = [&f[..], &m[..]].concat();
        let n = all.iter().rposition(|&v| v != 0).map_or(0, |i| i + 1);
        prop_assert_eq!(
            bytes[0],
            0x10 + n as u8 + if token { 0x20 } else { 0 } + if in_slots { 0x40 } else { 0 }
        );
        prop_assert_eq!(Stats::decode(&bytes).unwrap(), s);
        // Formats 1 (twelve fields) and 2 (fourteen), written before, still read.
        for (format, k) in [(1u8, 12usize), (2, 14)] {
            if k == 12 && m != [0, 0] {
                continue;
            }
            let mut old = vec![format];
            for v in all.iter().copied().take(k) {
                aip_types::pages::put_uvarint(&mut old, v.into());
            }
            // (Formats 1 and 2 know no token flag.)
            prop_assert_eq!(Stats::decode(&old).unwrap(), Stats { token: false, ..s });
        }
        let mut longer = bytes.clone();
        longer.push(0);
        prop_assert!(Stats::decode(&longer).is_err());
        prop_assert!(Stats::decode(&bytes[..bytes.len() - 1]).is_err());
        // Arbitrary bytes never panic.
        let _ = Stats::decode(&junk);
    }
}

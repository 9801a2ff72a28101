//! Sybil clusters. Accounts are grouped by the private wallet that funded
//! them most (infrastructure such as the minter does not group anyone). A
//! group of at least `sybil_min_cluster` is flagged when one more signal
//! agrees:
//! - its members trade mostly among themselves (`sybil_min_internal_share`
//!   of their traded energy),
//! - they order in the same slots (mean pairwise Jaccard similarity of their
//!   order slots at least `sybil_min_timing`), or
//! - at least half of them traded and got little trust from the KYC-verified seeds:
//!   a SybilRank-style propagation (trust spread from the seeds over the
//!   trade and funding graph for ⌈log₂ n⌉ steps, each node passing its
//!   trust evenly to its neighbours, ranked by trust / degree) below
//!   `sybil_trust_floor` × the median.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::wash::round3;
use super::DetectConfig;
use crate::event::Account;
use crate::evidence::{Code, Finding};
use crate::ledger::Ledger;

/// SybilRank-style trust per account: degree-normalised trust after
/// ⌈log₂ n⌉ power iterations from the seeds. Empty without seeds in the graph.
pub fn trust(l: &Ledger, cfg: &DetectConfig) -> BTreeMap<Account, f64> {
    let mut adj: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for t in &l.trades {
        adj.entry(&t.seller).or_default().insert(&t.buyer);
        adj.entry(&t.buyer).or_default().insert(&t.seller);
    }
    for (to, from) in &l.funded_by {
        for f in from.keys() {
            if cfg.infrastructure.contains(f) {
                continue;
            }
            adj.entry(to).or_default().insert(f);
            adj.entry(f).or_default().insert(to);
        }
    }
    let seeds: Vec<&str> = adj
        .keys()
        .copied()
        .filter(|a| cfg.seeds.contains(*a) || l.registered.get(*a).copied().unwrap_or(false))
        .collect();
    if seeds.is_empty() {
        return BTreeMap::new();
    }
    let n = adj.len() as f64;
    let mut t: BTreeMap<&str, f64> = adj.keys().map(|&a| (a, 0.0)).collect();
    for s in &seeds {
        t.insert(s, n / seeds.len() as f64);
    }
    let steps = (n.log2().ceil() as usize).max(1);
    for _ in 0..steps {
        let mut next: BTreeMap<&str, f64> = adj.keys().map(|&a| (a, 0.0)).collect();
        for (&u, nb) in &adj {
            let share = t[u] / nb.len() as f64;
            for &v in nb {
                *next.get_mut(v).expect("every neighbour is a node") += share;
            }
        }
        t = next;
    }
    t.into_iter()
        .map(|(a, x)| (a.to_string(), x / adj[a].len() as f64))
        .collect()
}

/// Sybil-cluster findings.
pub fn detect(l: &Ledger, cfg: &DetectConfig) -> Vec<Finding> {
    let mut clusters: BTreeMap<&Account, Vec<&Account>> = BTreeMap::new();
    for to in l.funded_by.keys() {
        if let Some((f, _)) = l.private_funders(to, &cfg.infrastructure).first() {
            clusters.entry(f).or_default().push(to);
        }
    }
    let ranks = trust(l, cfg);
    let median = {
        let mut v: Vec<f64> = ranks.values().copied().collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let mut out = Vec::new();
    for (funder, members) in clusters {
        if members.len() < cfg.sybil_min_cluster {
            continue;
        }
        let set: BTreeSet<&str> = members
            .iter()
            .map(|m| m.as_str())
            .chain([funder.as_str()])
            .collect();
        let internal = super::internal_share(l, &set);
        let slots: Vec<&BTreeSet<u64>> = members
            .iter()
            .filter_map(|m| l.order_slots.get(*m))
            .collect();
        let (mut jac, mut pairs) = (0.0, 0usize);
        for i in 0..slots.len() {
            for j in i + 1..slots.len() {
                let u = slots[i].union(slots[j]).count();
                if u > 0 {
                    jac += slots[i].intersection(slots[j]).count() as f64 / u as f64;
                    pairs += 1;
                }
            }
        }
        let timing = if pairs > 0 { jac / pairs as f64 } else { 0.0 };
        // Only members that traded are judged by trust: a fresh account has
        // none yet, and that alone is no evidence.
        let traded: BTreeSet<&str> = l
            .trades
            .iter()
            .flat_map(|t| [t.seller.as_str(), t.buyer.as_str()])
            .filter(|a| set.contains(a))
            .collect();
        let low: Vec<&str> = match median {
            Some(m) if m > 0.0 => members
                .iter()
                .filter(|a| traded.contains(a.as_str()))
                .filter(|a| ranks.get(**a).copied().unwrap_or(0.0) < cfg.sybil_trust_floor * m)
                .map(|a| a.as_str())
                .collect(),
            _ => Vec::new(),
        };
        let low_trust = !ranks.is_empty() && 2 * low.len() >= members.len();
        let signals = json!({
            "internal_trade_share": round3(internal),
            "order_timing_jaccard": round3(timing),
            "low_trust_members": low,
        });
        if internal < cfg.sybil_min_internal_share && timing < cfg.sybil_min_timing && !low_trust {
            continue;
        }
        let zones: BTreeSet<u32> = members
            .iter()
            .filter_map(|m| l.meters.get(*m).map(|x| x.zone))
            .collect();
        for m in &members {
            out.push(Finding {
                account: m.to_string(),
                code: Code::Sybil,
                evidence: json!({
                    "rule": "many accounts funded by one private wallet, trading among themselves, ordering together or untrusted by the KYC seeds",
                    "funder": funder,
                    "funded_uaip": l.funded_by.get(*m).and_then(|f| f.get(funder)).map(|a| a.to_string()),
                    "cluster": members,
                    "zones": zones,
                    "signals": signals,
                    "trust_rank": ranks.get(*m).map(|x| round3(*x)),
                    "median_trust_rank": median.map(round3),
                    "thresholds": {
                        "min_cluster": cfg.sybil_min_cluster,
                        "min_internal_share": cfg.sybil_min_internal_share,
                        "min_timing": cfg.sybil_min_timing,
                        "trust_floor": cfg.sybil_trust_floor,
                    },
                }),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Side};

    fn fund(l: &mut Ledger, from: &str, to: &str) {
        l.ingest(&Event::Transfer {
            from: from.into(),
            to: to.into(),
            amount: 100,
        })
        .unwrap();
    }

    fn trade(l: &mut Ledger, id: u64, s: &str, b: &str) {
        l.ingest(&Event::Trade {
            id,
            slot: 0,
            seller: s.into(),
            buyer: b.into(),
            wh: 100,
            price: 100,
            delivered_wh: 100,
        })
        .unwrap();
    }

    fn order(l: &mut Ledger, a: &str, slot: u64) {
        l.ingest(&Event::Order {
            account: a.into(),
            slot,
            side: Side::Bid,
            wh: 10,
            price: 1,
        })
        .unwrap();
    }

    fn cfg() -> DetectConfig {
        DetectConfig {
            infrastructure: ["minter".to_string()].into(),
            seeds: ["h0".to_string(), "h3".to_string()].into(),
            ..DetectConfig::default()
        }
    }

    /// Ten honest households funded by the minter trading in a ring.
    fn honest(l: &mut Ledger) -> u64 {
        let mut id = 0;
        for i in 0..10 {
            fund(l, "minter", &format!("h{i}"));
            for j in [1, 3] {
                trade(l, id, &format!("h{i}"), &format!("h{}", (i + j) % 10));
                id += 1;
            }
        }
        id
    }

    #[test]
    fn a_wallet_funding_five_accounts_that_trade_among_themselves_is_flagged() {
        let mut l = Ledger::default();
        let mut id = honest(&mut l);
        let s: Vec<String> = (0..5).map(|i| format!("s{i}")).collect();
        for a in &s {
            fund(&mut l, "boss", a);
        }
        for i in 0..5 {
            trade(&mut l, id, &s[i], &s[(i + 1) % 5]);
            id += 1;
        }
        trade(&mut l, id, "h1", "s0"); // one attack edge
        let f = detect(&l, &cfg());
        let got: Vec<&str> = f.iter().map(|f| f.account.as_str()).collect();
        assert_eq!(got, vec!["s0", "s1", "s2", "s3", "s4"]);
        let e = &f[0].evidence;
        assert_eq!(e["funder"], "boss");
        assert!(e["signals"]["internal_trade_share"].as_f64().unwrap() > 0.8);
        // the sybils get far less trust than the honest households
        let r = trust(&l, &cfg());
        assert!(r["s3"] < 0.1 * r["h5"], "{r:?}");
    }

    #[test]
    fn a_family_wallet_funding_households_that_trade_with_the_market_is_not_flagged() {
        let mut l = Ledger::default();
        let mut id = honest(&mut l);
        for i in 0..4 {
            let a = format!("f{i}");
            fund(&mut l, "parent", &a);
            // each trades with two honest households, nobody in the family
            trade(&mut l, id, &a, &format!("h{i}"));
            trade(&mut l, id + 1, &format!("h{}", i + 4), &a);
            id += 2;
            order(&mut l, &a, 900 * i as u64);
        }
        assert!(detect(&l, &cfg()).is_empty(), "{:?}", detect(&l, &cfg()));
    }

    #[test]
    fn correlated_order_timing_corroborates_a_funding_cluster() {
        let mut l = Ledger::default();
        honest(&mut l);
        for i in 0..4 {
            let a = format!("t{i}");
            fund(&mut l, "boss", &a);
            for slot in [0, 900, 1800] {
                order(&mut l, &a, slot);
            }
        }
        // no trades, no seeds reaching them: timing alone corroborates
        let f = detect(&l, &cfg());
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].evidence["signals"]["order_timing_jaccard"], 1.0);
    }

    #[test]
    fn freshly_funded_accounts_that_did_nothing_yet_are_not_flagged() {
        let mut l = Ledger::default();
        honest(&mut l);
        for i in 0..6 {
            fund(&mut l, "boss", &format!("n{i}"));
        }
        assert!(detect(&l, &cfg()).is_empty());
    }

    #[test]
    fn three_funded_accounts_are_below_the_cluster_size() {
        let mut l = Ledger::default();
        for i in 0..3 {
            fund(&mut l, "boss", &format!("s{i}"));
            order(&mut l, &format!("s{i}"), 0);
        }
        assert!(detect(&l, &cfg()).is_empty());
    }
}

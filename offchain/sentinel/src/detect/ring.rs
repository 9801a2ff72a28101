//! Review rings. Two signals, each enough on its own and both in the
//! evidence:
//! - **dense mutual praise**: a group of at least `ring_min_size` accounts
//!   joined by mutual high ratings (each rated the other at least
//!   `ring_high_rating` on average), each with at least two mutual partners
//!   in the group (a connected component of the 2-core of the mutual graph:
//!   a circle or a clique, not a chain of neighbours), with at least
//!   `ring_min_density` of the possible pairs present, and trading mostly
//!   among itself (`ring_min_internal_share` of its members' traded energy:
//!   neighbours who deliver well also praise each other, but trade with the
//!   market);
//! - **ratings that ignore delivery**: a reviewer who gave at least
//!   `ring_min_inflated` high ratings for short deliveries (below
//!   `ring_short_delivery` of the contracted energy), more than half of its
//!   ratings of sellers.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::DetectConfig;
use crate::evidence::{Code, Finding};
use crate::ledger::Ledger;

/// Review-ring findings.
pub fn detect(l: &Ledger, cfg: &DetectConfig) -> Vec<Finding> {
    // Average rating per directed pair.
    let mut pair: BTreeMap<(&str, &str), (u32, u32)> = BTreeMap::new();
    for r in &l.reviews {
        let p = pair.entry((&r.reviewer, &r.reviewed)).or_default();
        p.0 += u32::from(r.rating);
        p.1 += 1;
    }
    let high = |a: &str, b: &str| {
        pair.get(&(a, b))
            .is_some_and(|&(s, n)| s >= u32::from(cfg.ring_high_rating) * n)
    };
    let mut mutual: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for &(a, b) in pair.keys() {
        if a < b && high(a, b) && high(b, a) {
            mutual.entry(a).or_default().insert(b);
            mutual.entry(b).or_default().insert(a);
        }
    }
    // The 2-core of the mutual graph: drop accounts with fewer than two
    // mutual partners until none is left (a chain of pairs vanishes, a
    // circle or a clique stays).
    loop {
        let thin: Vec<&str> = mutual
            .iter()
            .filter(|(_, n)| n.len() < 2)
            .map(|(&a, _)| a)
            .collect();
        if thin.is_empty() {
            break;
        }
        for a in thin {
            if let Some(ns) = mutual.remove(a) {
                for n in ns {
                    if let Some(m) = mutual.get_mut(n) {
                        m.remove(a);
                    }
                }
            }
        }
    }
    // Connected components of what is left.
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut dense: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
    for &start in mutual.keys() {
        if !seen.insert(start) {
            continue;
        }
        let mut comp = vec![start];
        let mut i = 0;
        while i < comp.len() {
            for &n in &mutual[comp[i]] {
                if seen.insert(n) {
                    comp.push(n);
                }
            }
            i += 1;
        }
        let k = comp.len();
        if k < cfg.ring_min_size {
            continue;
        }
        let links: usize = comp.iter().map(|c| mutual[c].len()).sum::<usize>() / 2;
        let density = links as f64 / (k * (k - 1) / 2) as f64;
        if density < cfg.ring_min_density {
            continue;
        }
        comp.sort_unstable();
        // Neighbours who deliver well praise each other too: the group must
        // also trade mostly among itself.
        let members: BTreeSet<&str> = comp.iter().copied().collect();
        let internal = super::internal_share(l, &members);
        if internal < cfg.ring_min_internal_share {
            continue;
        }
        let pairs: Vec<(&str, &str)> = comp
            .iter()
            .flat_map(|&a| {
                mutual[a]
                    .iter()
                    .filter(move |&&b| a < b)
                    .map(move |&b| (a, b))
            })
            .collect();
        let doc = json!({
            "members": comp,
            "mutual_pairs": pairs,
            "density": super::wash::round3(density),
            "internal_trade_share": super::wash::round3(internal),
        });
        for &m in &comp {
            dense.insert(m, doc.clone());
        }
    }
    // Ratings that ignore delivery.
    let mut inflated: BTreeMap<&str, (Vec<u64>, usize)> = BTreeMap::new();
    for r in &l.reviews {
        let Some(d) = r.delivery else { continue };
        let e = inflated.entry(&r.reviewer).or_default();
        e.1 += 1;
        if d < cfg.ring_short_delivery && r.rating >= cfg.ring_high_rating {
            e.0.push(r.trade_id);
        }
    }
    let ignoring = |a: &str| {
        inflated
            .get(a)
            .filter(|(bad, n)| bad.len() >= cfg.ring_min_inflated && 2 * bad.len() > *n)
    };
    let mut accounts: BTreeSet<&str> = dense.keys().copied().collect();
    accounts.extend(inflated.keys().copied().filter(|a| ignoring(a).is_some()));
    accounts
        .into_iter()
        .map(|a| Finding {
            account: a.to_string(),
            code: Code::Ring,
            evidence: json!({
                "rule": "dense mutual high ratings, or high ratings of short deliveries",
                "dense_group": dense.get(a),
                "high_ratings_of_short_deliveries": ignoring(a).map(|(bad, n)| json!({
                    "trade_ids": bad.iter().take(20).collect::<Vec<_>>(),
                    "count": bad.len(),
                    "of_seller_ratings": n,
                })),
                "thresholds": {
                    "min_internal_share": cfg.ring_min_internal_share,
                    "min_size": cfg.ring_min_size,
                    "min_density": cfg.ring_min_density,
                    "high_rating": cfg.ring_high_rating,
                    "short_delivery": cfg.ring_short_delivery,
                    "min_inflated": cfg.ring_min_inflated,
                },
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    /// Trades between every ordered pair given (delivered share `d`), each
    /// reviewed by its buyer with `rating`.
    fn ledger(pairs: &[(&str, &str, f64, u8)]) -> Ledger {
        let mut l = Ledger::default();
        for (i, &(s, b, d, rating)) in pairs.iter().enumerate() {
            l.ingest(&Event::Trade {
                id: i as u64,
                slot: 0,
                seller: s.into(),
                buyer: b.into(),
                wh: 1000,
                price: 200,
                delivered_wh: (1000.0 * d) as u64,
            })
            .unwrap();
            l.ingest(&Event::Review {
                trade_id: i as u64,
                reviewer: b.into(),
                reviewed: s.into(),
                rating,
            })
            .unwrap();
        }
        l
    }

    fn accounts(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.account.as_str()).collect()
    }

    #[test]
    fn a_clique_of_mutual_five_stars_is_flagged() {
        let ring = ["r1", "r2", "r3", "r4"];
        let mut p = Vec::new();
        for a in ring {
            for b in ring {
                if a != b {
                    p.push((a, b, 1.0, 5));
                }
            }
        }
        p.push(("h1", "h2", 1.0, 5)); // an honest one-way review
        let f = detect(&ledger(&p), &DetectConfig::default());
        assert_eq!(accounts(&f), ring);
        assert_eq!(f[0].evidence["dense_group"]["density"], 1.0);
        assert_eq!(
            f[0].evidence["dense_group"]["mutual_pairs"]
                .as_array()
                .unwrap()
                .len(),
            6
        );
    }

    #[test]
    fn a_circle_of_five_praising_their_neighbours_is_flagged() {
        let r = ["r0", "r1", "r2", "r3", "r4"];
        let mut p = Vec::new();
        for j in 0..5 {
            p.push((r[j], r[(j + 1) % 5], 1.0, 5));
            p.push((r[(j + 1) % 5], r[j], 1.0, 5));
        }
        let f = detect(&ledger(&p), &DetectConfig::default());
        assert_eq!(accounts(&f), r);
        assert_eq!(f[0].evidence["dense_group"]["density"], 0.5);
    }

    #[test]
    fn praising_neighbours_who_trade_with_the_market_are_not_a_ring() {
        let r = ["n0", "n1", "n2", "n3"];
        let mut p = Vec::new();
        for a in r {
            for b in r {
                if a != b {
                    p.push((a, b, 1.0, 5));
                }
            }
            // and most of their energy goes to others
            for k in 0..4 {
                p.push((a, ["m0", "m1", "m2", "m3"][k], 1.0, 4));
                p.push((a, ["m4", "m5", "m6", "m7"][k], 1.0, 4));
            }
        }
        assert!(detect(&ledger(&p), &DetectConfig::default()).is_empty());
    }

    #[test]
    fn mutual_praise_between_two_neighbours_is_not_a_ring() {
        let p = [("a", "b", 1.0, 5), ("b", "a", 1.0, 5), ("c", "a", 1.0, 5)];
        assert!(detect(&ledger(&p), &DetectConfig::default()).is_empty());
    }

    #[test]
    fn a_sparse_chain_of_mutual_reviews_is_not_dense() {
        // a-b, b-c, c-d, d-e mutual: 4 of 10 pairs
        let mut p = Vec::new();
        for (a, b) in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")] {
            p.push((a, b, 1.0, 5));
            p.push((b, a, 1.0, 5));
        }
        assert!(detect(&ledger(&p), &DetectConfig::default()).is_empty());
    }

    #[test]
    fn honest_low_ratings_of_short_deliveries_are_not_flagged() {
        let p: Vec<_> = (0..6).map(|_| ("s", "b", 0.5, 2)).collect();
        assert!(detect(&ledger(&p), &DetectConfig::default()).is_empty());
    }

    #[test]
    fn five_stars_for_short_deliveries_flag_the_reviewer() {
        let mut p: Vec<_> = (0..4).map(|_| ("s", "b", 0.5, 5)).collect();
        p.push(("t", "b", 1.0, 5));
        let f = detect(&ledger(&p), &DetectConfig::default());
        assert_eq!(accounts(&f), vec!["b"]);
        let e = &f[0].evidence["high_ratings_of_short_deliveries"];
        assert_eq!(e["count"], 4);
        assert_eq!(e["of_seller_ratings"], 5);
    }
}

//! Per-account features for the ML scorer ([`crate::ml`]): one definition,
//! used to write the training data (`aip-sentinel features`) and to score.

use std::collections::{BTreeMap, BTreeSet};

use crate::detect::DetectConfig;
use crate::event::Account;
use crate::ledger::Ledger;

/// Feature names, in column order.
pub const FEATURES: [&str; 9] = [
    "log_trades",
    "counterparty_diversity",
    "top_counterparty_share",
    "reciprocity",
    "log_private_cluster",
    "price_deviation",
    "high_rating_share_given",
    "mutual_praise_partners",
    "seller_delivery",
];

/// Number of features.
pub const N_FEATURES: usize = FEATURES.len();

/// Features of every account that traded, reviewed or was funded.
pub fn features(l: &Ledger, cfg: &DetectConfig) -> BTreeMap<Account, [f32; N_FEATURES]> {
    let clearing = l.clearing_prices();
    #[derive(Default)]
    struct Acc {
        trades: u64,
        vol: BTreeMap<String, u64>,
        sold_to: BTreeSet<String>,
        bought_from: BTreeSet<String>,
        dev: f64,
        priced: u64,
        contracted: u64,
        delivered: u64,
        given: u64,
        high_given: u64,
    }
    let mut a: BTreeMap<&str, Acc> = BTreeMap::new();
    for t in &l.trades {
        let dev = clearing
            .get(&t.slot)
            .filter(|&&c| c > 0)
            .map(|&c| (t.price as f64 - c as f64).abs() / c as f64);
        for (me, other, seller) in [(&t.seller, &t.buyer, true), (&t.buyer, &t.seller, false)] {
            let x = a.entry(me).or_default();
            x.trades += 1;
            *x.vol.entry(other.clone()).or_default() += t.wh;
            if seller {
                x.sold_to.insert(other.clone());
                x.contracted += t.wh;
                x.delivered += t.delivered_wh;
            } else {
                x.bought_from.insert(other.clone());
            }
            if let Some(d) = dev {
                x.dev += d;
                x.priced += 1;
            }
        }
    }
    let mut pair: BTreeMap<(&str, &str), (u32, u32)> = BTreeMap::new();
    for r in &l.reviews {
        let x = a.entry(&r.reviewer).or_default();
        x.given += 1;
        if r.rating >= cfg.ring_high_rating {
            x.high_given += 1;
        }
        let p = pair.entry((&r.reviewer, &r.reviewed)).or_default();
        p.0 += u32::from(r.rating);
        p.1 += 1;
    }
    let high = |x: &str, y: &str| {
        pair.get(&(x, y))
            .is_some_and(|&(s, n)| s >= u32::from(cfg.ring_high_rating) * n)
    };
    let mut mutual: BTreeMap<&str, u32> = BTreeMap::new();
    for &(x, y) in pair.keys() {
        if x < y && high(x, y) && high(y, x) {
            *mutual.entry(x).or_default() += 1;
            *mutual.entry(y).or_default() += 1;
        }
    }
    // Private funding clusters: accounts per largest private funder.
    let mut funder_of: BTreeMap<&str, &str> = BTreeMap::new();
    let mut cluster: BTreeMap<&str, u32> = BTreeMap::new();
    for to in l.funded_by.keys() {
        if let Some((f, _)) = l.private_funders(to, &cfg.infrastructure).first() {
            funder_of.insert(to, f);
            *cluster.entry(f).or_default() += 1;
        }
    }
    for to in l.funded_by.keys() {
        a.entry(to).or_default();
    }
    a.into_iter()
        .map(|(acc, x)| {
            let total: u64 = x.vol.values().sum();
            let top = x.vol.values().max().copied().unwrap_or(0);
            let partners: BTreeSet<&String> = x.sold_to.iter().chain(&x.bought_from).collect();
            let both = x.sold_to.intersection(&x.bought_from).count();
            let ratio = |n: f64, d: f64| if d > 0.0 { n / d } else { 0.0 };
            let f = [
                (1.0 + x.trades as f64).ln(),
                ratio(partners.len() as f64, x.trades as f64),
                ratio(top as f64, total as f64),
                ratio(both as f64, partners.len() as f64),
                funder_of
                    .get(acc)
                    .and_then(|f| cluster.get(f))
                    .map_or(0.0, |&n| (1.0 + f64::from(n)).ln()),
                ratio(x.dev, x.priced as f64),
                ratio(x.high_given as f64, x.given as f64),
                f64::from(mutual.get(acc).copied().unwrap_or(0)),
                if x.contracted > 0 {
                    x.delivered as f64 / x.contracted as f64
                } else {
                    1.0
                },
            ];
            (acc.to_string(), f.map(|v| v as f32))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    #[test]
    fn features_describe_the_trading_pattern() {
        let mut l = Ledger::default();
        l.ingest(&Event::Transfer {
            from: "boss".into(),
            to: "a".into(),
            amount: 1,
        })
        .unwrap();
        for (i, (s, b)) in [("a", "b"), ("b", "a"), ("a", "c")].iter().enumerate() {
            l.ingest(&Event::Trade {
                id: i as u64,
                slot: 0,
                seller: (*s).into(),
                buyer: (*b).into(),
                wh: 100,
                price: 100,
                delivered_wh: 50,
            })
            .unwrap();
        }
        let f = features(&l, &DetectConfig::default());
        let a = f["a"];
        assert!((a[0] - 4f32.ln()).abs() < 1e-6); // 3 trades
        assert!((a[1] - 2.0 / 3.0).abs() < 1e-6); // 2 partners / 3 trades
        assert!((a[2] - 2.0 / 3.0).abs() < 1e-6); // b has 200 of 300 Wh
        assert!((a[3] - 0.5).abs() < 1e-6); // b both ways, c one way
        assert!((a[4] - 2f32.ln()).abs() < 1e-6); // a cluster of one
        assert_eq!(a[8], 0.5);
        assert_eq!(f["c"][8], 1.0); // never sold
    }
}

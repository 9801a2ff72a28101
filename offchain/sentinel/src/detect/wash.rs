//! Wash trading and self-dealing: energy that goes round. An edge seller →
//! buyer counts when the pair traded at least `wash_min_edge_trades` times in
//! that direction and is either linked by private funding (one funded the
//! other, or one wallet funded both) or traded on average far from the
//! slots' clearing prices. The clearing price a pair's trade is compared with
//! is the slot's volume-weighted median price of the OTHER accounts' trades
//! ([`peer_price`]): a pair whose own volume dominates a thin slot cannot set
//! the price it is judged by. Accounts on a cycle of counting edges (a strongly
//! connected group: A→B→A back and forth, A→B→C→A) are flagged; a one-way
//! flow, however large, is ordinary selling.

use std::collections::BTreeMap;

use serde_json::json;

use super::{strongly_connected, DetectConfig};
use crate::evidence::{Code, Finding};
use crate::ledger::{weighted_median, Ledger, TradeRec};

#[derive(Default)]
struct Edge {
    trades: Vec<u64>,
    wh: u64,
    /// Σ |price − peer price| / peer price over the trades with a peer price.
    deviation: f64,
    priced: usize,
    value: u128,
}

/// Wash-trading findings.
pub fn detect(l: &Ledger, cfg: &DetectConfig) -> Vec<Finding> {
    let mut by_slot: BTreeMap<u64, Vec<&TradeRec>> = BTreeMap::new();
    for t in &l.trades {
        by_slot.entry(t.slot).or_default().push(t);
    }
    // (slot, pair) -> the peers' price, computed once per pair and slot.
    let mut peer: BTreeMap<(u64, &str, &str), Option<u64>> = BTreeMap::new();
    let mut edges: BTreeMap<(&str, &str), Edge> = BTreeMap::new();
    for t in &l.trades {
        let pair = if t.seller <= t.buyer {
            (t.seller.as_str(), t.buyer.as_str())
        } else {
            (t.buyer.as_str(), t.seller.as_str())
        };
        let c = *peer
            .entry((t.slot, pair.0, pair.1))
            .or_insert_with(|| peer_price(&by_slot[&t.slot], pair.0, pair.1));
        let e = edges.entry((&t.seller, &t.buyer)).or_default();
        e.trades.push(t.id);
        e.wh += t.wh;
        e.value += u128::from(t.wh) * u128::from(t.price);
        if let Some(c) = c.filter(|&c| c > 0) {
            e.deviation += (t.price as f64 - c as f64).abs() / c as f64;
            e.priced += 1;
        }
    }
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut names: Vec<&str> = Vec::new();
    let mut counted: BTreeMap<(usize, usize), serde_json::Value> = BTreeMap::new();
    for (&(s, b), e) in &edges {
        if e.trades.len() < cfg.wash_min_edge_trades {
            continue;
        }
        let linked = l.funding_linked(s, b, &cfg.infrastructure);
        let dev = if e.priced > 0 {
            e.deviation / e.priced as f64
        } else {
            0.0
        };
        if !linked && dev < cfg.wash_price_deviation {
            continue;
        }
        let si = *ids.entry(s).or_insert_with(|| {
            names.push(s);
            names.len() - 1
        });
        let bi = *ids.entry(b).or_insert_with(|| {
            names.push(b);
            names.len() - 1
        });
        counted.insert(
            (si, bi),
            json!({
                "seller": s,
                "buyer": b,
                "trades": e.trades.len(),
                "wh": e.wh,
                "mean_price": (e.value / u128::from(e.wh.max(1))) as u64,
                "mean_price_deviation": round3(dev),
                "funding_linked": linked,
                "trade_ids": e.trades.iter().take(20).collect::<Vec<_>>(),
            }),
        );
    }
    let n = names.len();
    let mut adj = vec![Vec::new(); n];
    for &(a, b) in counted.keys() {
        adj[a].push(b);
    }
    let mut out = Vec::new();
    for comp in strongly_connected(n, &adj) {
        if comp.len() < 2 {
            continue;
        }
        let members: Vec<&str> = comp.iter().map(|&i| names[i]).collect();
        let inside: Vec<&serde_json::Value> = counted
            .iter()
            .filter(|((a, b), _)| comp.contains(a) && comp.contains(b))
            .map(|(_, v)| v)
            .collect();
        for &m in &members {
            out.push(Finding {
                account: m.to_string(),
                code: Code::Wash,
                evidence: json!({
                    "rule": "trades go round between linked accounts or at off-market prices",
                    "cycle_members": members,
                    "edges": inside,
                    "min_edge_trades": cfg.wash_min_edge_trades,
                    "price_deviation_threshold": cfg.wash_price_deviation,
                }),
            });
        }
    }
    out
}

/// The slot's clearing price as the pair `a`–`b` found it: the
/// volume-weighted median price of the slot's trades between other accounts
/// (trades with `a` or `b` on either side left out). None when the pair
/// traded alone in the slot.
pub fn peer_price(slot_trades: &[&TradeRec], a: &str, b: &str) -> Option<u64> {
    let mut v: Vec<(u64, u64)> = slot_trades
        .iter()
        .filter(|t| ![a, b].contains(&t.seller.as_str()) && ![a, b].contains(&t.buyer.as_str()))
        .map(|t| (t.price, t.wh))
        .collect();
    weighted_median(&mut v)
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    fn ledger(trades: &[(&str, &str, u64)], funding: &[(&str, &str)]) -> Ledger {
        let mut l = Ledger::default();
        for (f, t) in funding {
            l.ingest(&Event::Transfer {
                from: (*f).into(),
                to: (*t).into(),
                amount: 1_000,
            })
            .unwrap();
        }
        for (i, (s, b, price)) in trades.iter().enumerate() {
            l.ingest(&Event::Trade {
                id: i as u64,
                slot: 900 * (i as u64 % 4),
                seller: (*s).into(),
                buyer: (*b).into(),
                wh: 500,
                price: *price,
                delivered_wh: 500,
            })
            .unwrap();
        }
        l
    }

    fn cfg() -> DetectConfig {
        DetectConfig {
            infrastructure: ["minter".to_string()].into(),
            ..DetectConfig::default()
        }
    }

    fn flagged(f: &[Finding]) -> Vec<&str> {
        let mut v: Vec<&str> = f.iter().map(|f| f.account.as_str()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// Honest market volume in every slot so the clearing price is 200.
    fn market() -> Vec<(&'static str, &'static str, u64)> {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(("h1", "h2", 200));
            v.push(("h3", "h4", 200));
            v.push(("h5", "h6", 200));
        }
        v
    }

    #[test]
    fn funding_linked_back_and_forth_is_flagged_with_its_edges() {
        let mut t = market();
        for _ in 0..3 {
            t.push(("a", "b", 200));
            t.push(("b", "a", 200));
        }
        let l = ledger(&t, &[("a", "b"), ("minter", "a")]);
        let f = detect(&l, &cfg());
        assert_eq!(flagged(&f), vec!["a", "b"]);
        let ev = &f[0].evidence;
        assert_eq!(ev["edges"].as_array().unwrap().len(), 2);
        assert_eq!(ev["edges"][0]["funding_linked"], true);
        assert_eq!(ev["edges"][0]["trades"], 3);
    }

    #[test]
    fn a_three_cycle_of_a_common_funder_is_flagged() {
        let mut t = market();
        for _ in 0..3 {
            t.push(("a", "b", 200));
            t.push(("b", "c", 200));
            t.push(("c", "a", 200));
        }
        let l = ledger(&t, &[("boss", "a"), ("boss", "b"), ("boss", "c")]);
        assert_eq!(flagged(&detect(&l, &cfg())), vec!["a", "b", "c"]);
    }

    #[test]
    fn unlinked_back_and_forth_at_market_prices_is_not_flagged() {
        let mut t = market();
        for _ in 0..3 {
            t.push(("a", "b", 210));
            t.push(("b", "a", 190));
        }
        // both funded by the minter only: infrastructure, no link
        let l = ledger(&t, &[("minter", "a"), ("minter", "b")]);
        assert!(detect(&l, &cfg()).is_empty());
    }

    #[test]
    fn unlinked_round_trips_far_from_the_clearing_price_are_flagged() {
        let mut t = market();
        for _ in 0..3 {
            t.push(("a", "b", 900));
            t.push(("b", "a", 900));
        }
        let l = ledger(&t, &[]);
        let f = detect(&l, &cfg());
        assert_eq!(flagged(&f), vec!["a", "b"]);
        assert!(
            f[0].evidence["edges"][0]["mean_price_deviation"]
                .as_f64()
                .unwrap()
                >= 3.0
        );
    }

    /// A ledger of trades with explicit slots: (slot, seller, buyer, price, Wh).
    fn ledger_in_slots(trades: &[(u64, &str, &str, u64, u64)]) -> Ledger {
        let mut l = Ledger::default();
        for (i, (slot, s, b, price, wh)) in trades.iter().enumerate() {
            l.ingest(&Event::Trade {
                id: i as u64,
                slot: *slot,
                seller: (*s).into(),
                buyer: (*b).into(),
                wh: *wh,
                price: *price,
                delivered_wh: *wh,
            })
            .unwrap();
        }
        l
    }

    #[test]
    fn an_unlinked_pair_that_outweighs_a_thin_market_cannot_set_its_own_price() {
        // Per slot one honest trade at 200 (500 Wh) and the pair's round trip
        // at 600 (2 × 1,000 Wh): the median over all the slot's trades is the
        // pair's own 600; its peers' price is 200.
        let mut t = Vec::new();
        for slot in [0, 900, 1_800] {
            t.push((slot, "h1", "h2", 200, 500));
            t.push((slot, "a", "b", 600, 1_000));
            t.push((slot, "b", "a", 600, 1_000));
        }
        let l = ledger_in_slots(&t);
        assert_eq!(l.clearing_price(0), Some(600));
        let slot0: Vec<&TradeRec> = l.trades.iter().filter(|x| x.slot == 0).collect();
        assert_eq!(peer_price(&slot0, "a", "b"), Some(200));
        assert_eq!(peer_price(&slot0, "h1", "h2"), Some(600));
        let f = detect(&l, &cfg());
        assert_eq!(flagged(&f), vec!["a", "b"]);
        assert_eq!(f[0].evidence["edges"][0]["mean_price_deviation"], 2.0);
    }

    #[test]
    fn a_pair_alone_in_its_slots_has_no_peer_price_and_is_not_judged_by_price() {
        let mut t = Vec::new();
        for slot in [0, 900, 1_800] {
            t.push((slot, "a", "b", 900, 500));
            t.push((slot, "b", "a", 900, 500));
        }
        let l = ledger_in_slots(&t);
        let slot0: Vec<&TradeRec> = l.trades.iter().filter(|x| x.slot == 0).collect();
        assert_eq!(peer_price(&slot0, "a", "b"), None);
        assert!(detect(&l, &cfg()).is_empty());
    }

    #[test]
    fn one_way_selling_between_linked_accounts_is_not_flagged() {
        let mut t = market();
        for _ in 0..10 {
            t.push(("a", "b", 200));
        }
        t.push(("b", "a", 200)); // below the edge minimum back
        let l = ledger(&t, &[("a", "b")]);
        assert!(detect(&l, &cfg()).is_empty());
    }
}

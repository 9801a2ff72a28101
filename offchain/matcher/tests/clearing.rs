//! Behaviour of `clear`: constraints, priorities, accounting, errors, and (proptest)
//! the flow solver against the LP optimum.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking
use aip_matcher::{
    clear, welfare_of, Clearing, Corridor, Method, Network, Order, OrderBook, Side, Zone,
};
use proptest::prelude::*;
use std::collections::HashMap;

fn zone(id: u32, loss_bps: u32) -> Zone {
    Zone {
        id,
        name: format!("z{id}"),
        loss_bps,
    }
}

fn corridor(id: u32, from: u32, to: u32, capacity_wh: u64, loss_bps: u32) -> Corridor {
    Corridor {
        id,
        from,
        to,
        capacity_wh,
        loss_bps,
        fee: 0,
    }
}

fn order(id: u64, side: Side, zone: u32, wh: u64, limit_price: u64) -> Order {
    Order {
        id,
        owner: format!("o{id}"),
        side,
        zone,
        node: 0,
        wh,
        limit_price,
        premium_only: false,
        premium: false,
        trust: 0,
        window: None,
    }
}

/// zones 0 - 1 - 2 in a line
fn line_network(cap: u64) -> Network {
    Network {
        zones: vec![zone(0, 0), zone(1, 0), zone(2, 0)],
        corridors: vec![corridor(0, 0, 1, cap, 100), corridor(1, 1, 2, cap, 100)],
        loss_price: 300,
    }
}

fn book(orders: Vec<Order>) -> OrderBook {
    OrderBook { slot: 0, orders }
}

const ALL: [Method; 4] = [Method::Auto, Method::Exact, Method::Flow, Method::PriceOnly];
const NETWORK_AWARE: [Method; 3] = [Method::Auto, Method::Exact, Method::Flow];

/// Every trade within quantities, limits and gates; corridor flows within capacity
/// unless the method ignores the network.
fn assert_feasible(b: &OrderBook, n: &Network, c: &Clearing) {
    let by_id: HashMap<u64, &Order> = b.orders.iter().map(|o| (o.id, o)).collect();
    let mut used: HashMap<u64, u64> = HashMap::new();
    for t in &c.trades {
        let (bid, offer) = (by_id[&t.bid], by_id[&t.offer]);
        if c.method != Method::PriceOnly {
            // what the settlement contract checks: the buyer's price plus fees within its limit
            assert!(t.price + t.fee <= bid.limit_price, "{t:?}");
        }
        assert_eq!((bid.side, offer.side), (Side::Bid, Side::Offer));
        assert!(
            offer.limit_price <= t.price && t.price <= bid.limit_price,
            "{t:?}"
        );
        assert!(!offer.premium_only || bid.premium, "gate broken: {t:?}");
        for o in [bid, offer] {
            assert!(
                o.window.is_none_or(|[f, u]| f <= b.slot && b.slot < u),
                "order {} traded outside its window: {t:?}",
                o.id
            );
        }
        *used.entry(t.bid).or_default() += t.wh;
        *used.entry(t.offer).or_default() += t.wh;
    }
    for (id, w) in used {
        assert!(w <= by_id[&id].wh, "order {id} over-filled");
    }
    if c.method != Method::PriceOnly {
        assert_eq!(c.capacity_excess_wh, 0);
        for f in &c.corridor_flows {
            let cap = n
                .corridors
                .iter()
                .find(|k| k.id == f.corridor)
                .map(|k| k.capacity_wh);
            assert!(
                f.forward_wh.abs_diff(f.backward_wh) <= cap.unwrap_or(0),
                "{f:?}"
            );
        }
    }
    let traded: u64 = c.trades.iter().map(|t| t.wh).sum();
    assert_eq!(traded, c.traded_wh);
}

#[test]
fn local_seller_is_preferred_at_equal_prices() {
    let n = line_network(10_000);
    let b = book(vec![
        order(1, Side::Bid, 0, 1000, 300),
        order(2, Side::Offer, 2, 1000, 100),
        order(3, Side::Offer, 0, 1000, 100),
    ]);
    for m in NETWORK_AWARE {
        let c = clear(&b, &n, m).unwrap();
        assert_eq!(c.trades.len(), 1, "{m}");
        assert_eq!((c.trades[0].offer, c.trades[0].wh), (3, 1000), "{m}");
        assert_eq!(c.losses_wh, 0.0);
        assert_eq!(c.local_wh, 1000);
        assert_feasible(&b, &n, &c);
    }
    // the baseline ignores location: offer 2 (lower id) goes first and loses 2 %
    let c = clear(&b, &n, Method::PriceOnly).unwrap();
    assert_eq!(c.trades[0].offer, 2);
    assert_eq!(c.losses_wh, 20.0);
    assert_eq!(c.trades[0].loss_bps, 200);
}

#[test]
fn a_remote_seller_wins_when_cheaper_by_more_than_the_losses() {
    let n = line_network(10_000);
    // 200 bps of 300 uaip/kWh = 6 uaip/kWh of losses: 10 cheaper wins, 5 cheaper does not
    for (remote_price, expect) in [(90, 2), (95, 3)] {
        let b = book(vec![
            order(1, Side::Bid, 0, 1000, 300),
            order(2, Side::Offer, 2, 1000, remote_price),
            order(3, Side::Offer, 0, 1000, 100),
        ]);
        for m in NETWORK_AWARE {
            let c = clear(&b, &n, m).unwrap();
            assert_eq!(c.trades[0].offer, expect, "{m} at {remote_price}");
        }
    }
}

#[test]
fn corridor_capacity_limits_remote_trades() {
    let n = line_network(400);
    let b = book(vec![
        order(1, Side::Bid, 0, 1000, 300),
        order(2, Side::Offer, 2, 1000, 100),
    ]);
    for m in NETWORK_AWARE {
        let c = clear(&b, &n, m).unwrap();
        assert_eq!(c.traded_wh, 400, "{m}");
        assert_feasible(&b, &n, &c);
    }
    let c = clear(&b, &n, Method::PriceOnly).unwrap();
    assert_eq!(c.traded_wh, 1000);
    assert_eq!(c.capacity_excess_wh, 1200); // 600 Wh over on each of the two corridors
}

#[test]
fn no_trade_below_the_offer_limit_and_prices_within_limits() {
    let n = line_network(10_000);
    let b = book(vec![
        order(1, Side::Bid, 0, 500, 99),
        order(2, Side::Offer, 0, 500, 100),
    ]);
    for m in ALL {
        assert!(clear(&b, &n, m).unwrap().trades.is_empty(), "{m}");
    }
    let b = book(vec![
        order(1, Side::Bid, 1, 500, 200),
        order(2, Side::Offer, 1, 500, 100),
    ]);
    for m in ALL {
        let c = clear(&b, &n, m).unwrap();
        assert_eq!(c.trades[0].price, 150, "{m}: midpoint of the limits");
        assert_eq!(c.gross_surplus, 50.0);
        assert_eq!(c.welfare, 50.0);
    }
}

#[test]
fn premium_only_offers_reach_premium_buyers_only() {
    let n = line_network(10_000);
    let mut gated = order(2, Side::Offer, 0, 1000, 50);
    gated.premium_only = true;
    let mut prem = order(3, Side::Bid, 0, 300, 200);
    prem.premium = true;
    let b = book(vec![order(1, Side::Bid, 0, 1000, 300), gated, prem]);
    for m in ALL {
        let c = clear(&b, &n, m).unwrap();
        assert_eq!(c.trades.len(), 1, "{m}");
        assert_eq!((c.trades[0].bid, c.trades[0].wh), (3, 300), "{m}");
        assert_feasible(&b, &n, &c);
    }
    let mut bad = order(9, Side::Bid, 0, 1, 1);
    bad.premium_only = true;
    let err = clear(&book(vec![bad]), &n, Method::Auto).unwrap_err();
    assert_eq!(
        err.to_string(),
        "order 9: premium_only applies to offers, not bids"
    );
}

#[test]
fn trust_decides_among_equal_prices() {
    let n = line_network(10_000);
    let mut low = order(1, Side::Offer, 0, 1000, 100);
    low.trust = 10;
    let mut high = order(2, Side::Offer, 0, 1000, 100);
    high.trust = 900;
    let b = book(vec![low, high, order(3, Side::Bid, 0, 600, 300)]);
    for m in [Method::Flow, Method::PriceOnly] {
        let c = clear(&b, &n, m).unwrap();
        assert_eq!((c.trades[0].offer, c.trades[0].wh), (2, 600), "{m}");
    }
}

#[test]
fn orders_outside_their_window_or_empty_are_ignored() {
    let n = line_network(10_000);
    let mut late = order(1, Side::Bid, 0, 1000, 300);
    late.window = Some([1800, 2700]);
    let b = OrderBook {
        slot: 900,
        orders: vec![
            late,
            order(2, Side::Offer, 0, 1000, 100),
            order(3, Side::Bid, 0, 0, 300),
        ],
    };
    let c = clear(&b, &n, Method::Auto).unwrap();
    assert!(c.trades.is_empty());
    assert_eq!((c.demand_wh, c.supply_wh), (0, 1000));
    let mut empty = order(4, Side::Bid, 0, 1, 1);
    empty.window = Some([900, 900]);
    let err = clear(&book(vec![empty]), &n, Method::Auto).unwrap_err();
    assert_eq!(err.to_string(), "order 4: empty time window [900, 900)");
}

#[test]
fn losses_and_fees_are_accounted_per_route() {
    let mut n = line_network(10_000);
    n.zones[2].loss_bps = 50;
    n.corridors[0].fee = 3;
    let b = book(vec![
        order(1, Side::Bid, 0, 2000, 300),
        order(2, Side::Offer, 2, 2000, 100),
    ]);
    let c = clear(&b, &n, Method::Flow).unwrap();
    // 50 (zone) + 100 + 100 (corridors) bps of 2000 Wh
    assert_eq!(c.losses_wh, 50.0);
    assert_eq!(c.trades[0].loss_bps, 250);
    assert_eq!(c.loss_cost, 15.0); // 50 Wh at 300 uaip/kWh
    assert_eq!(c.congestion_fees, 6.0); // 2 kWh at 3 uaip/kWh
    assert_eq!(c.welfare, 400.0 - 15.0 - 6.0);
    assert_eq!(c.corridor_flows[0].backward_wh, 2000);
    // price: midpoint of [offer 100 + ceil(7.5) loss value, bid 300 - fee 3]
    assert_eq!(c.trades[0].price, 202);
    assert_eq!(c.trades[0].fee, 3);
    // recomputed from the trade and the corridor flows alone
    assert_eq!(welfare_of(&b, &n, &c).unwrap(), 379.0);
}

#[test]
fn welfare_of_rejects_trades_the_book_or_network_cannot_explain() {
    let n = line_network(10_000);
    let b = book(vec![
        order(1, Side::Bid, 0, 2000, 300),
        order(2, Side::Offer, 2, 2000, 100),
    ]);
    let c = clear(&b, &n, Method::Flow).unwrap();
    let err = |c: &Clearing, n: &Network| welfare_of(&b, n, c).unwrap_err().to_string();

    let mut unknown = c.clone();
    unknown.trades[0].offer = 7;
    assert_eq!(
        err(&unknown, &n),
        "trade names order 7, which is not in the book"
    );
    let mut swapped = c.clone();
    (swapped.trades[0].bid, swapped.trades[0].offer) = (2, 1);
    assert_eq!(
        err(&swapped, &n),
        "trade of bid 2 and offer 1: the sides do not match"
    );
    let mut flows = c.clone();
    flows.corridor_flows[1].corridor = 9;
    assert_eq!(err(&flows, &n), "corridor flow on unknown corridor 9");
    let mut zoneless = n.clone();
    zoneless.zones.pop();
    assert_eq!(err(&c, &zoneless), "order 2 is in unknown zone 2");
}

#[test]
fn bad_networks_and_books_are_rejected_with_their_reason() {
    let ok = line_network(1);
    let cases: Vec<(Network, &str)> = vec![
        (
            Network {
                zones: vec![zone(0, 0), zone(0, 0)],
                ..Default::default()
            },
            "zone 0 is defined twice",
        ),
        (
            Network {
                corridors: vec![corridor(0, 0, 1, 1, 0), corridor(0, 1, 2, 1, 0)],
                ..ok.clone()
            },
            "corridor 0 is defined twice",
        ),
        (
            Network {
                corridors: vec![corridor(4, 0, 7, 1, 0)],
                ..ok.clone()
            },
            "corridor 4 refers to unknown zone 7",
        ),
        (
            Network {
                corridors: vec![corridor(4, 1, 1, 1, 0)],
                ..ok.clone()
            },
            "corridor 4 connects zone 1 to itself",
        ),
        (
            Network {
                corridors: vec![corridor(4, 0, 1, 1, 10_000)],
                ..ok.clone()
            },
            "loss factor 10000 bps of corridor 4 must be below 10000",
        ),
        (
            Network {
                zones: vec![zone(3, 12_000)],
                ..Default::default()
            },
            "loss factor 12000 bps of zone 3 must be below 10000",
        ),
        (
            Network {
                loss_price: u64::MAX,
                ..ok.clone()
            },
            "price 18446744073709551615 of loss_price is above the maximum 1000000000000",
        ),
    ];
    for (n, msg) in cases {
        assert_eq!(
            clear(&OrderBook::default(), &n, Method::Auto)
                .unwrap_err()
                .to_string(),
            msg
        );
    }
    let books: Vec<(Vec<Order>, &str)> = vec![
        (
            vec![order(1, Side::Bid, 0, 1, 1), order(1, Side::Offer, 0, 1, 1)],
            "order 1 appears twice in the book",
        ),
        (
            vec![order(2, Side::Bid, 9, 1, 1)],
            "order 2 is in unknown zone 9",
        ),
        (
            vec![order(3, Side::Bid, 0, 1, u64::MAX)],
            "price 18446744073709551615 of order 3 is above the maximum 1000000000000",
        ),
        (
            vec![order(4, Side::Bid, 0, u64::MAX, 1)],
            "order 4: 18446744073709551615 Wh is above the maximum 1000000000000",
        ),
    ];
    for (orders, msg) in books {
        assert_eq!(
            clear(&book(orders), &ok, Method::Flow)
                .unwrap_err()
                .to_string(),
            msg
        );
    }
    assert_eq!(
        "simplex".parse::<Method>().unwrap_err(),
        "unknown method \"simplex\" (auto, exact, flow, price-only)"
    );
}

#[test]
fn json_files_round_trip_and_reject_unknown_fields() {
    let n: Network = serde_json::from_str(
        r#"{"zones":[{"id":0},{"id":1,"loss_bps":5}],"corridors":[{"id":0,"from":0,"to":1,"capacity_wh":100}],"loss_price":300}"#,
    )
    .unwrap();
    assert_eq!(n.zones[1].loss_bps, 5);
    let b: OrderBook = serde_json::from_str(
        r#"{"slot":900,"orders":[{"id":1,"owner":"a","side":"bid","zone":0,"wh":10,"limit_price":5}]}"#,
    )
    .unwrap();
    assert_eq!(b.orders[0].side, Side::Bid);
    let err = serde_json::from_str::<OrderBook>(
        r#"{"orders":[{"id":1,"owner":"a","side":"bid","zone":0,"wh":10,"limit_price":5,"colour":1}]}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown field `colour`"), "{err}");
}

/// Random networks (a spanning tree, `meshed`: plus up to two extra corridors; random
/// parents give multi-hop routes) and books (bids and offers in random zones, premium
/// buyers, premium-only offers when `gates`, trust, and time windows: the book's slot
/// is 900, a window is one of [0, 900) (closed), [900, 1800) (open) or none).
fn arb_case_with(gates: bool, meshed: bool) -> impl Strategy<Value = (Network, OrderBook)> {
    (2usize..7, any::<u64>()).prop_flat_map(move |(nz, _)| {
        let zones = prop::collection::vec(0u32..60, nz);
        // a spanning tree plus up to two extra corridors (meshes)
        let tree = prop::collection::vec((0usize..100, 0u64..3000, 0u32..400, 0u64..4), nz - 1);
        let extra = prop::collection::vec(
            (0usize..100, 0usize..100, 0u64..3000, 0u32..400),
            0..if meshed { 3 } else { 1 },
        );
        let orders = prop::collection::vec(
            (
                any::<bool>(),
                0usize..100,
                1u64..2000,
                1u64..400,
                any::<bool>(),
                any::<bool>(),
                0u32..5,
                0u8..3,
            ),
            0..30,
        );
        (zones, tree, extra, orders, 0u64..500).prop_map(move |(zb, tree, extra, orders, lp)| {
            let zs: Vec<Zone> = zb
                .iter()
                .enumerate()
                .map(|(i, &b)| zone(i as u32, b))
                .collect();
            let mut cs = Vec::new();
            for (i, (p, cap, bps, fee)) in tree.into_iter().enumerate() {
                let child = i + 1;
                let mut c = corridor(cs.len() as u32, child as u32, (p % child) as u32, cap, bps);
                c.fee = fee;
                cs.push(c);
            }
            for (a, b, cap, bps) in extra {
                let (a, b) = (a % nz, b % nz);
                if a != b && meshed {
                    cs.push(corridor(cs.len() as u32, a as u32, b as u32, cap, bps));
                }
            }
            let os = orders
                .into_iter()
                .enumerate()
                .map(|(i, (bid, z, wh, p, prem, gate, trust, window))| {
                    let mut o = order(
                        i as u64,
                        if bid { Side::Bid } else { Side::Offer },
                        (z % nz) as u32,
                        wh,
                        p,
                    );
                    o.premium = prem;
                    o.premium_only = gates && gate && !bid;
                    o.trust = trust;
                    o.window = [None, Some([0, 900]), Some([900, 1800])][window as usize];
                    o
                })
                .collect();
            let mut b = book(os);
            b.slot = 900;
            (
                Network {
                    zones: zs,
                    corridors: cs,
                    loss_price: lp,
                },
                b,
            )
        })
    })
}

fn arb_case(gates: bool) -> impl Strategy<Value = (Network, OrderBook)> {
    arb_case_with(gates, true)
}

/// What rounding the LP optimum to whole Wh may cost `exact`, uaip: less than 1 Wh on
/// each of at most `eligible orders + 2 commodities x 2 arcs per corridor + zones`
/// paths, each Wh worth at most the dearest eligible bid's limit / 1000.
fn rounding_bound(b: &OrderBook, n: &Network) -> f64 {
    let eligible: Vec<&Order> = b
        .orders
        .iter()
        .filter(|o| o.wh > 0 && o.window.is_none_or(|[f, u]| f <= b.slot && b.slot < u))
        .collect();
    let paths = eligible.len() + 4 * n.corridors.len() + n.zones.len();
    let dearest = eligible
        .iter()
        .filter(|o| o.side == Side::Bid)
        .map(|o| o.limit_price)
        .max()
        .unwrap_or(0);
    paths as f64 * dearest as f64 / 1000.0
}

/// `welfare_of` (independent of the solver and of `clear`'s accounting) against the
/// method's reported welfare: equal up to float summation noise.
fn assert_reported_welfare(b: &OrderBook, n: &Network, c: &Clearing) {
    let w = welfare_of(b, n, c).unwrap();
    assert!(
        (w - c.welfare).abs() <= 1e-9 * w.abs().max(1.0),
        "{}: reported {} vs recomputed {w}",
        c.method,
        c.welfare
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Without reputation gates the flow solver reaches the LP optimum, and the LP's
    /// trades (rounded to Wh) lose at most a little.
    #[test]
    fn flow_is_optimal_without_gates((n, b) in arb_case(false)) {
        let flow = clear(&b, &n, Method::Flow).unwrap();
        let exact = clear(&b, &n, Method::Exact).unwrap();
        let opt = exact.lp_optimum.unwrap();
        assert_feasible(&b, &n, &flow);
        assert_feasible(&b, &n, &exact);
        prop_assert!((flow.welfare - opt).abs() <= 1e-6 * opt.abs().max(1.0) + 1e-6,
            "flow {} vs LP {}", flow.welfare, opt);
        prop_assert!(exact.welfare <= opt + 1e-6);
        let po = clear(&b, &n, Method::PriceOnly).unwrap();
        assert_feasible(&b, &n, &po);
        // the baseline has the best gross surplus, never a better net welfare
        // unless it breaks a capacity
        if po.capacity_excess_wh == 0 {
            prop_assert!(po.welfare <= opt + 1e-6);
        }
    }

    /// With gates every method stays feasible and the flow heuristic never beats the LP.
    #[test]
    fn gated_books_stay_feasible((n, b) in arb_case(true)) {
        let exact = clear(&b, &n, Method::Exact).unwrap();
        let flow = clear(&b, &n, Method::Flow).unwrap();
        assert_feasible(&b, &n, &exact);
        assert_feasible(&b, &n, &flow);
        assert_feasible(&b, &n, &clear(&b, &n, Method::PriceOnly).unwrap());
        prop_assert!(flow.welfare <= exact.lp_optimum.unwrap() + 1e-6);
    }

    /// Over books with premium gates and time windows, on radial and meshed networks:
    /// every method reports the welfare of its own trades (recomputed independently),
    /// and `exact`'s trades reach the LP optimum up to the rounding bound (never above).
    #[test]
    fn every_method_reports_its_trades_welfare_and_exact_reaches_the_optimum(
        (n, b) in prop_oneof![arb_case_with(true, false), arb_case_with(true, true)]
    ) {
        let exact = clear(&b, &n, Method::Exact).unwrap();
        let opt = exact.lp_optimum.unwrap();
        for m in ALL {
            let c = if m == Method::Exact { exact.clone() } else { clear(&b, &n, m).unwrap() };
            assert_feasible(&b, &n, &c);
            assert_reported_welfare(&b, &n, &c);
            if m != Method::PriceOnly {
                prop_assert!(c.welfare <= opt + 1e-6 * opt.abs().max(1.0), "{m} {} > LP {opt}", c.welfare);
            }
        }
        let w = welfare_of(&b, &n, &exact).unwrap();
        let bound = rounding_bound(&b, &n);
        prop_assert!(opt - w <= bound + 1e-6 * opt.abs().max(1.0),
            "exact {w} vs LP {opt}: lost more than the rounding bound {bound}");
    }
}

#[test]
fn pair_routes_flatten_multi_hop_corridors() {
    let mut n = line_network(500);
    n.corridors[1].capacity_wh = 300;
    n.corridors[1].fee = 2;
    let pairs = aip_matcher::pair_routes(&n).unwrap();
    assert_eq!(pairs.len(), 6);
    let p02 = pairs.iter().find(|p| (p.from, p.to) == (0, 2)).unwrap();
    assert_eq!((p02.capacity_wh, p02.loss_bps, p02.fee), (300, 200, 2));
    let p10 = pairs.iter().find(|p| (p.from, p.to) == (1, 0)).unwrap();
    assert_eq!((p10.capacity_wh, p10.loss_bps, p10.fee), (500, 100, 0));
    // disconnected zones get no pair
    n.corridors.pop();
    assert_eq!(aip_matcher::pair_routes(&n).unwrap().len(), 2);
}

/// `flow` against the LP optimum over 500 seeded random gated books (radial and meshed,
/// with windows): never above it. Prints the ratio for docs/benchmarks.md
/// (`cargo test -p aip-matcher --test clearing flow_ratio -- --nocapture`).
#[test]
fn flow_ratio_to_the_optimum_on_gated_books() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = prop_oneof![arb_case_with(true, false), arb_case_with(true, true)];
    let (mut books, mut at_optimum, mut min_ratio) = (0usize, 0usize, f64::INFINITY);
    let (mut sum_flow, mut sum_opt) = (0.0, 0.0);
    for _ in 0..500 {
        let (n, b) = strategy.new_tree(&mut runner).unwrap().current();
        let opt = clear(&b, &n, Method::Exact).unwrap().lp_optimum.unwrap();
        let flow = clear(&b, &n, Method::Flow).unwrap();
        let w = welfare_of(&b, &n, &flow).unwrap();
        assert!(w <= opt + 1e-6 * opt.abs().max(1.0), "flow {w} > LP {opt}");
        if opt <= 1e-9 {
            continue;
        }
        books += 1;
        if opt - w <= 1e-6 * opt {
            at_optimum += 1;
        }
        min_ratio = min_ratio.min(w / opt);
        sum_flow += w;
        sum_opt += opt;
    }
    assert!(books > 100, "too few books with trades: {books}");
    println!(
        "flow vs LP optimum on {books} gated books with trades: at the optimum {at_optimum} \
         ({:.1} %), worst {:.4} %, total welfare {:.4} % of the total optimum",
        100.0 * at_optimum as f64 / books as f64,
        100.0 * min_ratio,
        100.0 * sum_flow / sum_opt
    );
}

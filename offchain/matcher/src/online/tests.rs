//! The chain <-> matcher conversion: routes, network and the fitted commit.
#![allow(clippy::unwrap_used)]
use super::*;
use crate::model::Order;

/// An order of the matcher's book, as the agent makes it from a screened intent.
fn order(id: u64, owner: &str, side: Side, zone: u32, wh: u64, price: u64) -> Order {
    Order {
        id,
        owner: owner.into(),
        side,
        zone,
        node: 0,
        wh,
        limit_price: price,
        premium_only: false,
        premium: false,
        trust: 0,
        window: None,
    }
}

fn book(orders: Vec<Order>) -> OrderBook {
    OrderBook { slot: 900, orders }
}

fn corridor(from: u32, to: u32, cap: &str, loss: u32, fee: &str) -> ChainCorridor {
    ChainCorridor {
        from_zone: from,
        to_zone: to,
        capacity_wh: cap.into(),
        loss_bps: loss,
        fee_per_kwh: fee.into(),
    }
}

fn net(corridors: Vec<ChainCorridor>) -> ChainNetwork {
    ChainNetwork {
        zones: (1..=3)
            .map(|id| ChainZone {
                id,
                name: format!("z{id}"),
            })
            .collect(),
        corridors,
    }
}

#[test]
fn routes_apply_fee_overrides_and_used_capacity() {
    let n = net(vec![
        corridor(1, 2, "5000", 100, "30"),
        corridor(2, 1, "4000", 50, "10"),
    ]);
    let fees = vec![
        ChainFee {
            from_zone: 1,
            to_zone: 2,
            fee_per_kwh: "70".into(),
        },
        ChainFee {
            from_zone: 3,
            to_zone: 3,
            fee_per_kwh: "5".into(),
        },
    ];
    let usage = vec![CorridorUsage {
        from_zone: 2,
        to_zone: 1,
        used_wh: "1000".into(),
    }];
    let r = to_routes(&n, &fees, &usage).unwrap();
    assert_eq!(
        r[&(1, 2)],
        Route {
            loss_bps: 100,
            fee: 70,
            capacity: Some(5000)
        }
    );
    assert_eq!(
        r[&(2, 1)],
        Route {
            loss_bps: 50,
            fee: 10,
            capacity: Some(3000)
        }
    );
    assert_eq!(
        r[&(3, 3)],
        Route {
            loss_bps: 0,
            fee: 5,
            capacity: None
        }
    );
    assert_eq!(
        r[&(1, 1)],
        Route {
            loss_bps: 0,
            fee: 0,
            capacity: None
        }
    );
    assert!(!r.contains_key(&(1, 3)));

    // the network: one undirected corridor, conservative in both directions
    let m = to_network(&n, &r, 123);
    assert_eq!(m.zones.len(), 3);
    assert_eq!(m.loss_price, 123);
    assert_eq!(m.corridors.len(), 1);
    let c = &m.corridors[0];
    assert_eq!(
        (c.from, c.to, c.capacity_wh, c.loss_bps, c.fee),
        (1, 2, 3000, 100, 70)
    );
}

#[test]
fn routes_errors_name_the_corridor_or_fee() {
    let e = to_routes(&net(vec![corridor(1, 2, "-1", 0, "0")]), &[], &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "corridor 1 -> 2: \"-1\" from the chain is not an integer up to 18446744073709551615"
    );
    let e = to_routes(
        &net(vec![corridor(1, 2, "1", 0, "1000000000001")]),
        &[],
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "corridor 1 -> 2: \"1000000000001\" from the chain is not an integer up to 1000000000000"
    );
    let fee = ChainFee {
        from_zone: 2,
        to_zone: 2,
        fee_per_kwh: "x".into(),
    };
    let e = to_routes(&net(vec![]), &[fee], &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "congestion fee 2 -> 2: \"x\" from the chain is not an integer up to 1000000000000"
    );
    let u = CorridorUsage {
        from_zone: 1,
        to_zone: 2,
        used_wh: "1e3".into(),
    };
    let e = to_routes(&net(vec![]), &[], &[u]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "corridor usage 1 -> 2: \"1e3\" from the chain is not an integer up to 18446744073709551615"
    );
}

fn trade(bid: u64, offer: u64, from: u32, to: u32, wh: u64, price: u64) -> Trade {
    Trade {
        bid,
        offer,
        buyer: "b".into(),
        seller: "s".into(),
        wh,
        price,
        fee: 0,
        from_zone: from,
        to_zone: to,
        loss_bps: 0,
    }
}

#[test]
fn commit_fits_trades_to_the_contract_rules() {
    // one-way corridor 1 -> 2 (cap 1500, fee 40); zone 3 is reachable only by two hops
    let n = net(vec![
        corridor(1, 2, "1500", 0, "40"),
        corridor(2, 3, "9000", 0, "0"),
    ]);
    let r = to_routes(&n, &[], &[]).unwrap();
    let book = OrderBook {
        slot: 900,
        orders: vec![
            Order {
                id: 1,
                owner: "s".into(),
                side: Side::Offer,
                zone: 1,
                node: 0,
                wh: 9000,
                limit_price: 100,
                premium_only: false,
                premium: false,
                trust: 0,
                window: None,
            },
            Order {
                id: 2,
                owner: "b".into(),
                side: Side::Bid,
                zone: 2,
                node: 0,
                wh: 9000,
                limit_price: 150,
                premium_only: false,
                premium: false,
                trust: 0,
                window: None,
            },
            Order {
                id: 3,
                owner: "b".into(),
                side: Side::Bid,
                zone: 3,
                node: 0,
                wh: 9000,
                limit_price: 150,
                premium_only: false,
                premium: false,
                trust: 0,
                window: None,
            },
            Order {
                id: 4,
                owner: "s".into(),
                side: Side::Offer,
                zone: 2,
                node: 0,
                wh: 9000,
                limit_price: 120,
                premium_only: false,
                premium: false,
                trust: 0,
                window: None,
            },
            Order {
                id: 5,
                owner: "b".into(),
                side: Side::Bid,
                zone: 1,
                node: 0,
                wh: 9000,
                limit_price: 130,
                premium_only: false,
                premium: false,
                trust: 0,
                window: None,
            },
        ],
    };
    let trades = vec![
        // 1 -> 2: cut to the capacity (1000 + 500), price capped at 150 - 40
        trade(2, 1, 1, 2, 1000, 125),
        trade(2, 1, 1, 2, 800, 100),
        // 1 -> 3: two hops, no direct corridor: dropped
        trade(3, 1, 1, 3, 100, 120),
        // 2 -> 1: wrong way on a one-way corridor: dropped
        trade(5, 4, 2, 1, 100, 125),
        // inside zone 2: no limit, price kept
        trade(2, 4, 2, 2, 7000, 135),
        // unknown order: dropped
        trade(9, 4, 2, 2, 1, 130),
    ];
    let (ok, dropped) = to_commit(&book, &trades, &r);
    let got: Vec<(u64, u64, &str, &str)> = ok
        .iter()
        .map(|t| (t.bid, t.offer, t.wh.as_str(), t.price.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, 1, "1000", "110"),
            (2, 1, "500", "100"),
            (2, 4, "7000", "135")
        ]
    );
    let d: Vec<(u64, u64, u64)> = dropped.iter().map(|t| (t.bid, t.offer, t.wh)).collect();
    assert_eq!(d, vec![(2, 1, 300), (3, 1, 100), (5, 4, 100), (9, 4, 1)]);
}

#[test]
fn commit_drops_a_trade_whose_fee_leaves_no_price() {
    // fee 60: 150 - 60 = 90 < the offer's 100
    let n = net(vec![corridor(1, 2, "1000", 0, "60")]);
    let r = to_routes(&n, &[], &[]).unwrap();
    let book = OrderBook {
        slot: 900,
        orders: vec![
            Order {
                id: 1,
                owner: "s".into(),
                side: Side::Offer,
                zone: 1,
                node: 0,
                wh: 10,
                limit_price: 100,
                premium_only: false,
                premium: false,
                trust: 0,
                window: None,
            },
            Order {
                id: 2,
                owner: "b".into(),
                side: Side::Bid,
                zone: 2,
                node: 0,
                wh: 10,
                limit_price: 150,
                premium_only: false,
                premium: false,
                trust: 0,
                window: None,
            },
        ],
    };
    let (ok, dropped) = to_commit(&book, &[trade(2, 1, 1, 2, 10, 120)], &r);
    assert!(ok.is_empty());
    assert_eq!(dropped.len(), 1);
}

#[test]
fn the_agents_clearing_of_a_chain_book_commits_within_the_contracts_rules() {
    // A book as the chain returns it, cleared the way the agent does.
    let n = net(vec![
        corridor(1, 2, "1500", 200, "10"),
        corridor(2, 1, "1500", 200, "10"),
    ]);
    let r = to_routes(&n, &[], &[]).unwrap();
    let book = book(vec![
        order(1, "s1", Side::Offer, 1, 3000, 100_000),
        order(2, "b1", Side::Bid, 2, 3000, 200_000),
        order(3, "b2", Side::Bid, 1, 1000, 150_000),
    ]);
    let c = clear(&book, &to_network(&n, &r, loss_price(&book)), Method::Auto).unwrap();
    let (ok, dropped) = to_commit(&book, &c.trades, &r);
    assert!(dropped.is_empty(), "{dropped:?}");
    let to2: u64 = ok
        .iter()
        .filter(|t| t.bid == 2)
        .map(|t| t.wh.parse::<u64>().unwrap())
        .sum();
    let to1: u64 = ok
        .iter()
        .filter(|t| t.bid == 3)
        .map(|t| t.wh.parse::<u64>().unwrap())
        .sum();
    assert_eq!((to2, to1), (1500, 1000));
    for t in &ok {
        let p: u64 = t.price.parse().unwrap();
        assert!(p >= 100_000);
        if t.bid == 2 {
            assert!(p + 10 <= 200_000);
        }
    }
}

#[test]
fn deployment_file_errors() {
    let dir = std::env::temp_dir().join(format!("aip-matcher-online-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("none.json");
    let e = Deployment::load(&missing).unwrap_err().to_string();
    assert!(e.starts_with(&format!("{}: ", missing.display())), "{e}");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{").unwrap();
    let e = Deployment::load(&bad).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}: not a deployment file: EOF", bad.display())),
        "{e}"
    );
    let ok = dir.join("ok.json");
    std::fs::write(
        &ok,
        r#"{"chain_id":"c","rpc_url":"http://x","prefix":"wasm","deployer":"d","codes":{},
            "contracts":{"settlement":{"address":"wasm1s","code_id":1,"label":"l"}}}"#,
    )
    .unwrap();
    let d = Deployment::load(&ok).unwrap();
    assert_eq!(d.address("settlement").unwrap(), "wasm1s");
    assert_eq!(
        MatcherError::from(d.address("reputation").unwrap_err()).to_string(),
        "unknown contract \"reputation\"; deployed: settlement"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_matching_slot_is_the_next_one_once_its_gate_closed() {
    // gate closes 300 s before the slot at 1800
    assert_eq!(matching_slot(900, 300), None);
    assert_eq!(matching_slot(1499, 300), None);
    assert_eq!(matching_slot(1500, 300), Some(1800));
    assert_eq!(matching_slot(1799, 300), Some(1800));
    // at the slot start, the next slot's gate is still open
    assert_eq!(matching_slot(1800, 300), None);
}

#[test]
fn losses_are_valued_at_the_median_offer_price() {
    let empty = book(vec![order(1, "a", Side::Bid, 1, 5, 900)]);
    assert_eq!(loss_price(&empty), 0);
    let book = book(vec![
        order(1, "a", Side::Offer, 1, 5, 300),
        order(2, "b", Side::Offer, 1, 5, 100),
        order(3, "c", Side::Bid, 1, 5, 900),
        order(4, "d", Side::Offer, 1, 5, 200),
    ]);
    assert_eq!(loss_price(&book), 200);
}

#[test]
fn failed_cycles_back_off_exponentially_up_to_a_minute() {
    let secs: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
    assert_eq!(secs, vec![2, 4, 8, 16, 32, 60, 60, 60]);
    assert_eq!(backoff(u32::MAX).as_secs(), 60);
}

/// Serves one canned HTTP answer on a loopback port; returns the base URL.
fn canned(answer: &'static str) -> String {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        s.write_all(answer.as_bytes()).unwrap();
    });
    url
}

#[tokio::test]
async fn the_frozen_book_is_read_or_its_absence_and_errors_name_the_url() {
    let book = r#"{"slot":900,"frozen_at":600,"book_hash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","intents":[]}"#;
    let ok: &'static str = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{book}",
            book.len()
        )
        .into_boxed_str(),
    );
    let got = fetch_frozen_book(&canned(ok), 900).await.unwrap().unwrap();
    assert_eq!((got.slot, got.intents.len()), (900, 0));

    let not_yet = "HTTP/1.1 404 Not Found\r\n\r\n{\"error\":\"not_frozen\",\"reason\":\"slot 900 freezes at 600\"}";
    assert!(fetch_frozen_book(&canned(not_yet), 900)
        .await
        .unwrap()
        .is_none());

    let gw = canned(ok);
    let e = fetch_frozen_book(&gw, 1800).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "the gateway's frozen book is for slot 900, not slot 1800"
    );

    let gw = canned("HTTP/1.1 400 Bad Request\r\n\r\n{\"error\":\"bad_slot\"}");
    let e = fetch_frozen_book(&gw, 901).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("gateway {gw}/v1/book/901/frozen: HTTP 400: {{\"error\":\"bad_slot\"}}")
    );

    let gw = canned("HTTP/1.1 200 OK\r\n\r\n\"nope\"");
    let e = fetch_frozen_book(&gw, 900).await.unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "gateway {gw}/v1/book/900/frozen: not a frozen book: invalid type: string \"nope\""
        )),
        "{e}"
    );

    // Nothing listens there.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let e = fetch_frozen_book(&closed, 900).await.unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("gateway {closed}/v1/book/900/frozen: ")),
        "{e}"
    );
}

fn status(trades: u64, settle_from: Option<u64>, fully_settled: bool) -> SlotStatus {
    SlotStatus {
        phase: "settlement".into(),
        gate_closes_at: 0,
        trades,
        corridor_usage: vec![],
        settle_from,
        fully_settled,
    }
}

#[test]
fn a_commit_carries_the_open_settlements_oldest_first_at_most_four() {
    let now = 100_000;
    let statuses = vec![
        (9_000, status(3, Some(now), false)),     // open now
        (8_100, status(0, None, false)),          // never committed
        (7_200, status(2, Some(now + 1), false)), // opens later
        (6_300, status(5, Some(now - 60), true)), // already settled
        (5_400, status(1, None, false)),          // delivery data not final
        (4_500, status(4, Some(now - 900), false)),
        (3_600, status(4, Some(now - 900), false)),
        (2_700, status(4, Some(now - 900), false)),
        (1_800, status(4, Some(now - 900), false)),
    ];
    let due = settlements_due(&statuses, now);
    assert_eq!(
        due,
        vec![SlotId(1_800), SlotId(2_700), SlotId(3_600), SlotId(4_500)],
        "the four oldest open ones (the contract takes at most four)"
    );
    assert_eq!(due.len(), settlement::rules::MAX_CARRIED_SETTLES);
    let two = settlements_due(&statuses[..2], now);
    assert_eq!(two, vec![SlotId(9_000)]);
    assert!(settlements_due(&[], now).is_empty());
}

#[test]
fn a_refused_carried_settlement_is_told_from_a_refused_trade() {
    for log in [
        "failed to execute message; message index: 0: settling slot 900 with the commit: slot 900 settles from 5 (now 4): execute wasm contract failed",
        "slot 900 is named twice in `settle`, or is the slot being committed",
        "a commit settles at most 4 earlier slots, got 5",
    ] {
        assert!(carried_settle_refused(log), "{log}");
    }
    for log in [
        "trade 3 rejected: corridor 1->2 has 2000 Wh left in the slot, the trade needs 4000",
        "intent 0 rejected: the intent expired at 5 (now 6)",
        "slot 900 is already committed: a slot takes one commit of intents",
    ] {
        assert!(!carried_settle_refused(log), "{log}");
    }
}

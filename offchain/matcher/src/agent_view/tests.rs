use serde_json::json;

use super::*;
use crate::verify::FrozenEntry;
use aip_types::intent::{IntentSignature, OrderIntent, Side, SignedIntent};

fn entry(owner: &str, nonce: u64, meter: u32) -> FrozenEntry {
    FrozenEntry {
        hash: format!("{owner}{nonce}"),
        seq: nonce,
        signed: SignedIntent {
            intent: OrderIntent {
                chain_id: "c".into(),
                contract: "s".into(),
                owner: owner.into(),
                nonce,
                slot_from: 3_600,
                slot_until: 7_200,
                side: Side::Buy,
                meter,
                wh: 100,
                limit_price: 100_000,
                premium_only: false,
                expires: 9_999,
            },
            signature: IntentSignature {
                kind: "cosmos_adr036".into(),
                pub_key: None,
                signature: String::new(),
            },
        },
    }
}

fn book(entries: Vec<FrozenEntry>) -> FrozenBook {
    FrozenBook {
        slot: 3_600,
        frozen_at: 3_000,
        book_hash: String::new(),
        intents: entries,
    }
}

fn sources(meter_oracle: bool, reputation: bool) -> ViewSources {
    ViewSources {
        slot: 3_600,
        zones: [1, 2].into(),
        default_collateral_bps: 2_000,
        collateral_floor_price: 100_000,
        meter_oracle,
        reputation,
    }
}

fn delivery(meter: u32, owner: &str) -> Value {
    json!({"meter": meter, "owner": owner, "node": 7, "status": "active", "finalized": false,
           "exported_wh": "0", "imported_wh": "0"})
}

fn fill(owner: &str, nonce: u64, filled: u64) -> Value {
    json!({"owner": owner, "nonce": nonce, "filled": filled, "hash_prefix": null, "cancelled": false})
}

fn balance(account: &str, free: u128) -> Value {
    json!({"account": account, "free": free.to_string(), "locked": "0", "claimable": "0",
           "locked_in_orders": "0"})
}

fn terms(account: &str, score: u16) -> Value {
    json!({"account": account, "registered": true, "score": score, "tier": "bronze",
           "collateral_ratio_bps": 1_500, "premium_eligible": false, "flagged": false})
}

/// A builder for a book of one intent of alice's.
fn alice_builder(meter_oracle: bool, reputation: bool) -> ViewBuilder {
    ViewBuilder::new(
        &book(vec![entry("alice", 1, 10)]),
        sources(meter_oracle, reputation),
        |_| true,
    )
}

/// Answers every query from a little chain: `nodes` node -> zone entries.
fn run(b: &mut ViewBuilder, nodes: u32) -> Vec<ViewQuery> {
    let mut asked = vec![];
    while let Some(q) = b.next_query() {
        let answer = match &q {
            ViewQuery::MeterOracle(MeterQueryHook::Deliveries { slot, meters }) => json!({
                "slot": slot,
                "deliveries": meters.iter().map(|m| delivery(*m, "alice")).collect::<Vec<_>>(),
            }),
            ViewQuery::Settlement(QueryMsg::NodeZones { start_after, limit }) => {
                let from = start_after.map_or(0, |n| n + 1);
                let to = (from + limit.unwrap()).min(nodes);
                json!({"nodes": (from..to).map(|n| json!({"node": n, "zone": n % 2 + 1})).collect::<Vec<_>>()})
            }
            ViewQuery::Settlement(QueryMsg::IntentFill { owner, nonce }) => {
                fill(owner, *nonce, *nonce)
            }
            ViewQuery::Settlement(QueryMsg::Balance { account }) => {
                balance(account, account.len() as u128 * 1_000)
            }
            ViewQuery::Reputation(ReputationQueryHook::TradingTermsBatch { accounts }) => {
                json!({"terms": accounts.iter().map(|a| terms(a, 500)).collect::<Vec<_>>()})
            }
            other => panic!("unexpected query {other:?}"),
        };
        b.answer(answer).unwrap();
        asked.push(q);
    }
    asked
}

#[test]
fn the_view_pages_node_zones_until_a_short_page_and_asks_each_fact_once() {
    let b0 = book(vec![
        entry("alice", 1, 10),
        entry("alice", 1, 10), // the same intent twice: one fill query
        entry("alice", 2, 11),
        entry("bob", 1, 12),
    ]);
    let mut b = ViewBuilder::new(&b0, sources(true, true), |_| true);
    let asked = run(&mut b, NODE_PAGE + 3);
    let node_pages: Vec<Option<u32>> = asked
        .iter()
        .filter_map(|q| match q {
            ViewQuery::Settlement(QueryMsg::NodeZones { start_after, .. }) => Some(*start_after),
            _ => None,
        })
        .collect();
    assert_eq!(node_pages, [None, Some(NODE_PAGE - 1)]);
    let view = b.finish();
    assert_eq!(view.node_zones.len(), NODE_PAGE as usize + 3);
    assert_eq!(view.node_zones[&(NODE_PAGE + 2)], (NODE_PAGE + 2) % 2 + 1);
    assert_eq!(view.meters.len(), 3);
    assert_eq!(view.fills.len(), 3);
    assert_eq!(view.fills[&("alice".to_string(), 2)].filled, 2);
    assert_eq!(view.free["bob"], 3_000);
    assert_eq!(
        view.terms.as_ref().unwrap()["alice"].collateral_ratio_bps,
        1_500
    );
    assert_eq!(view.zones, [1, 2].into());
    assert_eq!(
        (view.default_collateral_bps, view.collateral_floor_price),
        (2_000, 100_000)
    );
    // 1 deliveries + 2 node pages + 3 fills + 2 balances + 1 terms.
    assert_eq!(asked.len(), 9);
}

#[test]
fn a_page_exactly_full_asks_once_more_and_an_empty_one_ends() {
    let mut b = ViewBuilder::new(&book(vec![]), sources(false, false), |_| true);
    let asked = run(&mut b, NODE_PAGE);
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!(b.finish().node_zones.len(), NODE_PAGE as usize);
}

#[test]
fn without_meter_oracle_or_reputation_their_queries_are_left_out() {
    let mut b = alice_builder(false, false);
    let asked = run(&mut b, 2);
    assert!(
        asked.iter().all(|q| matches!(q, ViewQuery::Settlement(_))),
        "{asked:?}"
    );
    let view = b.finish();
    assert!(view.meters.is_empty());
    assert_eq!(view.terms, None);
    assert_eq!(view.free["alice"], 5_000);
}

#[test]
fn owners_that_are_not_addresses_get_no_queries() {
    let b0 = book(vec![entry("alice", 1, 10), entry("not an address", 1, 11)]);
    let mut b = ViewBuilder::new(&b0, sources(true, true), |o| !o.contains(' '));
    run(&mut b, 1);
    let view = b.finish();
    assert_eq!(view.fills.len(), 1);
    assert_eq!(view.free.keys().collect::<Vec<_>>(), ["alice"]);
    assert_eq!(view.terms.unwrap().len(), 1);
    // Its meter is still read: screening refuses the intent on the signature.
    assert_eq!(view.meters.len(), 2);
}

#[test]
fn a_wrong_answer_is_refused_and_the_query_stays_pending() {
    let mut b = alice_builder(true, true);
    let q = b.next_query();
    let e = b.answer(json!({"nodes": []})).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("unexpected answer to deliveries: missing field"),
        "{e}"
    );
    assert_eq!(b.next_query(), q);
    run(&mut b, 0);
    assert_eq!(
        b.answer(json!({})).unwrap_err().to_string(),
        "an answer with no query pending"
    );
}

#[test]
fn terms_for_another_number_of_accounts_are_refused() {
    let mut b = alice_builder(false, true);
    while !matches!(b.next_query(), Some(ViewQuery::Reputation(_))) {
        let answer = match b.next_query().unwrap() {
            ViewQuery::Settlement(QueryMsg::NodeZones { .. }) => json!({"nodes": []}),
            ViewQuery::Settlement(QueryMsg::IntentFill { .. }) => fill("alice", 1, 0),
            _ => balance("alice", 1),
        };
        b.answer(answer).unwrap();
    }
    let e = b
        .answer(json!({"terms": [terms("alice", 1), terms("bob", 2)]}))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "trading_terms_batch answered 2 terms for 1 accounts"
    );
}

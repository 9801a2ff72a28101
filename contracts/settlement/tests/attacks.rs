//! Each attack of the market-integrity review, performed against the real
//! token, settlement and meter-oracle contracts through the one order path
//! (deposits, intents placed on chain or signed, `commit_intents`): the
//! attack must now fail to do harm. Named by the review's items (C1, H1, H2, H3, M1, Low).
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

mod common;

use aip_testing::deployment::roles;
use aip_types::intent::Side as IntentSide;
use aip_types::{SlotId, MAX_ORDER_PRICE, MAX_ORDER_WH};
use common::*;
use cosmwasm_std::{Addr, Binary, Uint128, WasmMsg};
use cw_multi_test::{AppResponse, Executor};
use settlement::msg::{ExecuteMsg, MarketParams, NodeZone, NodeZonesResponse, QueryMsg};

const P: u128 = 200_000;

/// C1: a seller with one meter signs many offers on it; however they are
/// matched, the seller is paid for at most what the meter exported.
#[test]
fn c1_one_meter_in_many_offers_is_paid_at_most_its_export() {
    let mut s = Suite::new();
    let (alice, bob) = (s.user(0), s.user(1));
    s.before_gate();
    let bid = s.bid(&alice, ZONE_A, "m-alice", 40_000, P);
    // 20 offers of 2 kWh on Bob's one meter.
    let offers: Vec<u32> = (0..20)
        .map(|_| s.offer(&bob, ZONE_A, "m-bob", 2_000, P, 2_000))
        .collect();
    let (meter, _) = s.labelled("m-bob");
    for o in &offers {
        assert_eq!(s.book[*o as usize].meter, meter);
    }
    s.matching();
    s.commit(offers.iter().map(|o| trade(bid, *o, 2_000, P)).collect())
        .unwrap();
    // The one meter is one delivery record of the slot.
    assert_eq!(s.status().meters, 1);
    s.after_slot();
    // The meter exported 2 kWh.
    s.report("m-bob", 2_000).unwrap();
    s.after_dispute_window();
    s.settle(None).unwrap();
    let mut paid = 0u128;
    let mut delivered = 0u128;
    for id in 1..=20 {
        let st = s.trade(id).settlement.unwrap();
        paid += st.seller_paid.u128();
        delivered += st.delivered_wh.u128();
    }
    assert_eq!(delivered, 2_000, "the 2 kWh export is counted once");
    assert!(
        paid <= aip_types::payment(Uint128::new(2_000), Uint128::new(P))
            .unwrap()
            .u128()
    );
    // ...and the 38 kWh not delivered are penalized.
    let penalties: u128 = (1..=20)
        .map(|id| s.trade(id).settlement.unwrap().penalty.u128())
        .sum();
    assert!(penalties > 0);
    s.assert_holdings_match_balance();
}

/// The raw JSON `msg` executed on settlement by `who`.
fn raw(s: &mut Suite, who: &Addr, msg: String) -> anyhow::Result<AppResponse> {
    let m = WasmMsg::Execute {
        contract_addr: s.d.settlement.to_string(),
        msg: Binary::from(msg.into_bytes()),
        funds: vec![],
    };
    s.d.app.execute(who.clone(), m.into())
}

/// `n` as a varint of the compact intent form (LEB128).
fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// An unsigned sell intent of `owner` in the compact form
/// (`aip_types::intent::compact`), its meter and Wh spelled by the bytes given.
fn intent_compact_wh(s: &Suite, owner: &Addr, meter: &[u8], wh: &[u8]) -> String {
    let mut b = vec![1u8];
    for n in [1, s.slot.start(), s.slot.end()] {
        varint(&mut b, n);
    }
    b.extend_from_slice(meter);
    b.extend_from_slice(wh);
    for n in [P as u64, s.slot.start()] {
        varint(&mut b, n);
    }
    b.push(1); // flags: sell, owner as text, no signature
    varint(&mut b, owner.as_str().len() as u64);
    b.extend_from_slice(owner.as_str().as_bytes());
    format!("\"{}\"", Binary::from(b).to_base64())
}

/// The trades of a raw `commit_intents` in their wire form
/// (`settlement::compact_trades`): 1,000 Wh from intent 1 to intent 0 at `P`.
fn one_trade_wire() -> String {
    Binary::from(settlement::compact_trades::encode(&[itrade(
        0, 1, 1_000, P,
    )]))
    .to_base64()
}

/// [`intent_compact_wh`] of 1,000 Wh.
fn intent_compact(s: &Suite, owner: &Addr, meter: &[u8]) -> String {
    let mut wh = Vec::new();
    varint(&mut wh, 1_000);
    intent_compact_wh(s, owner, meter, &wh)
}

/// C1: a meter id has one spelling. In the compact form a meter is a
/// varint: its shortest form is the only one accepted, and a number above
/// u32 is not a meter id, whether an owner places the intent or the matcher
/// carries it in a batch; the JSON object of earlier versions is refused
/// too. Each names its rule; nothing is stored by the attempt.
#[test]
fn c1_non_canonical_meter_spellings_are_refused() {
    let mut s = Suite::new();
    let bob = s.user(1);
    let matcher = s.role(roles::MATCHER);
    s.before_gate();
    let m = s.meter("m-bob", &bob, ZONE_A);
    let slot = s.slot;
    let mut shortest = Vec::new();
    varint(&mut shortest, u64::from(m));
    // The canonical spelling is accepted by the decoder (placed below).
    let mut overlong = shortest.clone();
    *overlong.last_mut().unwrap() |= 0x80;
    overlong.push(0);
    let mut too_big = Vec::new();
    varint(&mut too_big, 1 << 32);
    let object = format!(
        r#"{{"owner":"{bob}","nonce":1,"slot_from":{},"slot_until":{},"side":"sell","meter":{m},"wh":1000,"limit_price":{P},"premium_only":false,"expires":{}}}"#,
        s.slot.start(),
        s.slot.end(),
        s.slot.start()
    );
    for (i, rule) in [
        (
            intent_compact(&s, &bob, &overlong),
            "intent encoding: meter is not in its shortest form",
        ),
        (
            intent_compact(&s, &bob, &too_big),
            "intent encoding: meter does not fit in 32 bits",
        ),
        // serde-json-wasm's words for a JSON object where a string belongs.
        (object, "Invalid type"),
    ] {
        let e = err(raw(
            &mut s,
            &bob,
            format!(r#"{{"place_intent":{{"intent":{i}}}}}"#),
        ));
        assert!(
            e.contains("Error parsing into type settlement::msg::ExecuteMsg") && e.contains(rule),
            "{rule}: {e}"
        );
        let batch = format!(
            r#"{{"commit_intents":{{"slot":{},"intents":[{i},{i}],"trades":"{}"}}}}"#,
            slot.0,
            one_trade_wire()
        );
        let e = err(raw(&mut s, &matcher, batch));
        assert!(
            e.contains("Error parsing into type settlement::msg::ExecuteMsg") && e.contains(rule),
            "{rule}: {e}"
        );
    }
    assert_eq!(s.holdings().total.u128(), 0);
    assert_eq!(s.status().trades, 0);
    // The shortest spelling of the same intent is read and placed.
    let i = intent_compact(&s, &bob, &shortest);
    raw(
        &mut s,
        &bob,
        format!(r#"{{"place_intent":{{"intent":{i}}}}}"#),
    )
    .unwrap();
}

/// A commit whose intents are not valid compact intents (bad base64, a
/// wrong version byte, truncated, trailing bytes) is refused with the
/// decoder's message and changes nothing.
#[test]
fn malformed_compact_intents_are_refused() {
    let mut s = Suite::new();
    let bob = s.user(1);
    let matcher = s.role(roles::MATCHER);
    s.before_gate();
    let m = s.meter("m-bob", &bob, ZONE_A);
    let mut meter = Vec::new();
    varint(&mut meter, u64::from(m));
    let good = intent_compact(&s, &bob, &meter);
    let bytes = Binary::from_base64(good.trim_matches('"'))
        .unwrap()
        .to_vec();
    let b64 = |b: &[u8]| format!("\"{}\"", Binary::from(b).to_base64());
    let mut wrong_version = bytes.clone();
    wrong_version[0] = 3;
    let mut trailing = bytes.clone();
    trailing.push(0);
    for (i, rule) in [
        (
            "\"not base64!\"".to_string(),
            "intent encoding is not valid base64: ".to_string(),
        ),
        (
            b64(&wrong_version),
            "intent encoding version 3 is not supported (expected 1 or 2)".to_string(),
        ),
        (
            b64(&bytes[..bytes.len() - 1]),
            format!(
                "intent encoding is truncated: owner needs 1 more bytes at byte {}",
                bytes.len() - bob.as_str().len()
            ),
        ),
        (
            b64(&trailing),
            "intent encoding has 1 trailing bytes after the signature".to_string(),
        ),
    ] {
        let batch = format!(
            r#"{{"commit_intents":{{"slot":{},"intents":[{good},{i}],"trades":"{}"}}}}"#,
            s.slot.0,
            one_trade_wire()
        );
        let e = err(raw(&mut s, &matcher, batch));
        assert!(
            e.contains("Error parsing into type settlement::msg::ExecuteMsg") && e.contains(&rule),
            "{rule}: {e}"
        );
    }
    assert_eq!(s.holdings().total.u128(), 0);
    assert_eq!(s.status().trades, 0);
}

/// C1: an intent on someone else's meter is refused at commit, naming the
/// intent and the meter's owner; the batch changes nothing.
#[test]
fn c1_an_offer_on_someone_elses_meter_is_refused() {
    let mut s = Suite::new();
    let (alice, bob, mallory) = (s.user(0), s.user(1), s.user(3));
    s.before_gate();
    let alices = s.meter("m-alice", &alice, ZONE_A);
    // Mallory's offer names Alice's meter (placement cannot know: the meter
    // is checked against the registry when the slot is committed).
    let bid = s.bid(&bob, ZONE_A, "m-bob", 1_000, P);
    s.deposit(&mallory, 1_000_000).unwrap();
    let mut evil = s.unsigned(&mallory, IntentSide::Sell, ZONE_A, "m-mal", 1_000, P as u64);
    evil.meter = alices;
    let evil = s.place_intent(&mallory, evil).unwrap();
    s.matching();
    let before = s.holdings();
    let e = err(s.commit(vec![trade(bid, evil, 1_000, P)]));
    assert_eq!(
        e,
        format!("intent 1 rejected: meter {alices} belongs to {alice}, not to the sender")
    );
    // Bids too: a buyer's zone comes from its meter.
    s.before_gate();
    let mut evil_bid = s.unsigned(&mallory, IntentSide::Buy, ZONE_A, "m-mal", 1_000, P as u64);
    evil_bid.meter = alices;
    let evil_bid = s.place_intent(&mallory, evil_bid).unwrap();
    let offer = s.offer(&bob, ZONE_A, "m-bob", 1_000, P, 2_000);
    s.matching();
    let e = err(s.commit(vec![trade(evil_bid, offer, 1_000, P)]));
    assert_eq!(
        e,
        format!("intent 0 rejected: meter {alices} belongs to {alice}, not to the sender")
    );
    assert_eq!(s.holdings().trades, before.trades);
    assert_eq!(s.status().trades, 0);
    // Without a meter registry no intent can be committed at all.
    s.before_gate();
    let ok_bid = s.bid(&alice, ZONE_A, "m-alice", 1_000, P);
    s.d.wire_settlement(None, None).unwrap();
    s.matching();
    let e = err(s.commit(vec![trade(ok_bid, offer, 1_000, P)]));
    assert_eq!(
        e,
        "no meter-oracle contract is configured: intents need its meter registry"
    );
    s.assert_holdings_match_balance();
}

/// H1: intents on pending (never approved) or deactivated meters are refused.
#[test]
fn h1_only_active_meters_trade() {
    let mut s = Suite::new();
    let (alice, mallory) = (s.user(0), s.user(3));
    s.before_gate();
    let mo = s.d.meter_oracle.clone();
    let r =
        s.d.app
            .execute_contract(
                mallory.clone(),
                mo.clone(),
                &meter_oracle::msg::ExecuteMsg::RequestMeter {
                    node: NODE_A,
                    pubkey: Binary::from(vec![9u8; 32]),
                },
                &[],
            )
            .unwrap();
    let pending: u32 = attr(&r, "meter").parse().unwrap();
    s.deposit(&mallory, 1_000_000).unwrap();
    let mut on_pending = s.unsigned(&mallory, IntentSide::Buy, ZONE_A, "m-mal", 1_000, P as u64);
    on_pending.meter = pending;
    let on_pending = s.place_intent(&mallory, on_pending).unwrap();
    let offer = s.offer(&alice, ZONE_A, "m-alice", 1_000, P, 2_000);
    s.matching();
    let e = err(s.commit(vec![trade(on_pending, offer, 1_000, P)]));
    assert_eq!(
        e,
        format!("intent 0 rejected: meter {pending} is pending: only active meters trade")
    );
    s.before_gate();
    let active = s.meter("m-mallory", &mallory, ZONE_A);
    s.d.app
        .execute_contract(
            mallory.clone(),
            mo,
            &meter_oracle::msg::ExecuteMsg::DeactivateMeter { meter: active },
            &[],
        )
        .unwrap();
    let bid = s.bid(&alice, ZONE_A, "m-alice", 1_000, P);
    let on_deactivated = s
        .place(&mallory, IntentSide::Sell, ZONE_A, "m-mallory", 1_000, P)
        .unwrap();
    s.matching();
    let e = err(s.commit(vec![trade(bid, on_deactivated, 1_000, P)]));
    assert_eq!(
        e,
        format!("intent 1 rejected: meter {active} is deactivated: only active meters trade")
    );
    assert_eq!(s.holdings().trades.u128(), 0);
    assert_eq!(s.status().trades, 0);
}

/// H1: a seller meter that never finalizes (here: deactivated after its offer
/// matched, and its id sorting first) cannot stall the fetching of the
/// others: each fetch moves on past it, and honest sellers are paid.
#[test]
fn h1_a_meter_that_never_finalizes_cannot_stall_delivery_data() {
    let mut s = Suite::new();
    let (alice, bob, mallory) = (s.user(0), s.user(1), s.user(3));
    s.before_gate();
    // Mallory's meter is registered first: the lowest id.
    let m_mallory = s.meter("m-mallory", &mallory, ZONE_A);
    let m_bob = s.meter("m-bob", &bob, ZONE_A);
    assert!(m_mallory < m_bob);
    let bid = s.bid(&alice, ZONE_A, "m-alice", 2_000, P);
    let evil = s.offer(&mallory, ZONE_A, "m-mallory", 1_000, P, 2_000);
    let honest = s.offer(&bob, ZONE_A, "m-bob", 1_000, P, 2_000);
    s.matching();
    s.commit(vec![
        trade(bid, evil, 1_000, P),
        trade(bid, honest, 1_000, P),
    ])
    .unwrap();
    let mo = s.d.meter_oracle.clone();
    s.d.app
        .execute_contract(
            mallory.clone(),
            mo,
            &meter_oracle::msg::ExecuteMsg::DeactivateMeter { meter: m_mallory },
            &[],
        )
        .unwrap();
    s.after_slot();
    s.readings("m-bob", 1_000).unwrap();
    // One meter per call: the first call asks about Mallory's meter only...
    let r = s.fetch(Some(1)).unwrap();
    assert_eq!(attr(&r, "meters"), "0");
    // ... the next moves past it to Bob's.
    let r = s.fetch(Some(1)).unwrap();
    assert_eq!(attr(&r, "meters"), "1");
    assert_eq!(s.status().meters_reported, 1);
    // At the deadline Mallory counts as zero; Bob is paid in full.
    let deadline = s.slot.end() + params().delivery_deadline_secs;
    s.set_time(deadline + params().dispute_window_secs);
    s.settle(None).unwrap();
    let t_evil = s.trade(1).settlement.unwrap();
    let t_honest = s.trade(2).settlement.unwrap();
    assert_eq!(t_evil.delivered_wh.u128(), 0);
    assert!(t_evil.penalty.u128() > 0);
    assert_eq!(t_honest.delivered_wh.u128(), 1_000);
    assert_eq!(t_honest.seller_paid.u128(), 200_000);
    assert_eq!(t_honest.penalty.u128(), 0);
}

/// H2: zero prices, zero quantities and values above the shared bounds (and
/// above 2^64) are refused on both sides, placed or signed, with their
/// messages; a zero deposit is refused, so no intent trades for free.
#[test]
fn h2_free_and_oversized_orders_are_refused() {
    let mut s = Suite::new();
    let (alice, bob) = (s.user(0), s.user(1));
    s.before_gate();
    // A zero deposit: a zero-amount Send.
    let e = err(s.deposit(&alice, 0));
    assert!(
        e == "a deposit needs an amount above zero" || e == "Invalid zero amount",
        "{e}"
    );
    // A zero-price or zero-quantity bid or offer placed on chain.
    for side in [IntentSide::Buy, IntentSide::Sell] {
        let e = err(s.place(&alice, side, ZONE_A, "m-alice", 1_000, 0));
        assert_eq!(e, "order price 0 uaip/kWh is below the minimum 1");
        let e = err(s.place(&alice, side, ZONE_A, "m-alice", 0, P));
        assert_eq!(e, "order quantity must be positive");
    }
    let e = err(s.place(
        &bob,
        IntentSide::Sell,
        ZONE_A,
        "m-bob",
        1_000,
        MAX_ORDER_PRICE + 1,
    ));
    assert_eq!(
        e,
        format!(
            "order price {} uaip/kWh is above the maximum {MAX_ORDER_PRICE}",
            MAX_ORDER_PRICE + 1
        )
    );
    // Signed: a free offer and an oversized one, refused in the batch.
    let h = s.household("h2 seller", 1_000_000, 1_000_000);
    let zero = s.intent(&h, 1, IntentSide::Sell, "m-h", ZONE_A, 1_000, 0);
    let bid = s.bid(&alice, ZONE_A, "m-alice", 1_000, P);
    let mut batch = vec![s.book[bid as usize].clone(), signed(&h, &zero)];
    s.matching();
    let e = err(s.commit_intents(batch.clone(), vec![itrade(0, 1, 1_000, P)]));
    assert_eq!(
        e,
        "intent 1 rejected: order price 0 uaip/kWh is below the minimum 1"
    );
    let mut big = zero.clone();
    big.limit_price = P as u64;
    big.wh = MAX_ORDER_WH as u64 + 1;
    batch[1] = signed(&h, &big);
    let e = err(s.commit_intents(batch, vec![itrade(0, 1, 1_000, P)]));
    assert_eq!(
        e,
        format!(
            "intent 1 rejected: order quantity {} Wh is above the maximum {MAX_ORDER_WH} Wh",
            MAX_ORDER_WH + 1
        )
    );
    // Above 2^64 (a varint of 2^64): not a number an intent can hold.
    let mut wh = vec![0x80; 9];
    wh.push(0x02);
    let i = intent_compact_wh(&s, &bob, &[1], &wh);
    let e = err(raw(
        &mut s,
        &bob,
        format!(r#"{{"place_intent":{{"intent":{i}}}}}"#),
    ));
    assert!(
        e.contains("Error parsing into type settlement::msg::ExecuteMsg")
            && e.contains("intent encoding: wh does not fit in 64 bits"),
        "{e}"
    );
    // A trade of 0 Wh between valid intents.
    s.before_gate();
    let offer = s.offer(&bob, ZONE_A, "m-bob", 1_000, P, 2_000);
    s.matching();
    let e = err(s.commit(vec![trade(bid, offer, 0, P)]));
    assert_eq!(e, "trade 0 rejected: zero quantity");
    assert_eq!(s.status().trades, 0);
    // At the bounds: placed.
    s.before_gate();
    s.place(&alice, IntentSide::Buy, ZONE_A, "m-alice", MAX_ORDER_WH, 1)
        .unwrap();
    s.place(
        &alice,
        IntentSide::Buy,
        ZONE_A,
        "m-alice",
        1,
        MAX_ORDER_PRICE,
    )
    .unwrap();
    s.assert_holdings_match_balance();
}

/// H3: an intent has no zone of its own: its zone is its meter's node's.
/// A seller in zone A who writes the buyer's zone B into its intent is
/// ignored (the field is not part of the intent, nor of its hash or
/// signature), and its trade to zone B crosses the A->B corridor
/// (capacity, losses, fees).
#[test]
fn h3_a_seller_cannot_declare_the_buyers_zone() {
    let mut s = Suite::new();
    let (alice, bob) = (s.user(0), s.user(1));
    s.before_gate();
    let mb = s.meter("m-bob", &bob, ZONE_A);
    // The compact form has no zone field at all: a declared zone has nowhere
    // to go. The JSON object of earlier versions, which could carry one, is
    // refused (c1_non_canonical_meter_spellings_are_refused).
    let mut meter = Vec::new();
    varint(&mut meter, u64::from(mb));
    let declared = intent_compact(&s, &bob, &meter);
    s.deposit(&bob, 40_000).unwrap();
    raw(
        &mut s,
        &bob,
        format!(r#"{{"place_intent":{{"intent":{declared}}}}}"#),
    )
    .unwrap();
    s.book
        .push(cosmwasm_std::from_json(declared.as_bytes()).unwrap());
    let offer = (s.book.len() - 1) as u32;
    let bid = s.bid(&alice, ZONE_B, "m-alice", 1_000, 300_000);
    // The trade to zone B crosses the A->B corridor.
    s.matching();
    s.commit(vec![trade(bid, offer, 1_000, P)]).unwrap();
    let t = s.trade(1);
    assert_eq!(t.net_wh.u128(), 980, "2 % corridor loss");
    assert_eq!(
        t.fee.u128(),
        9_800,
        "congestion fee on 980 Wh at 10_000 uaip/kWh"
    );
    let usage = s.status().corridor_usage;
    assert_eq!(usage.len(), 1);
    assert_eq!((usage[0].from_zone, usage[0].to_zone), (ZONE_A, ZONE_B));
    // A meter at a node the DSO has not placed in a zone cannot trade.
    s.slot = SlotId(s.slot.0 + 4 * 900);
    s.before_gate();
    let bid = s.bid(&alice, ZONE_B, "m-alice", 1_000, 300_000);
    let lost = s.offer(&bob, 7, "m-lost", 1_000, P, 2_000);
    let (lost_meter, _) = s.labelled("m-lost");
    s.matching();
    let e = err(s.commit(vec![trade(bid, lost, 1_000, P)]));
    assert_eq!(
        e,
        format!(
            "intent 1 rejected: meter {lost_meter} sits at node {}, which the grid operator has not placed in a zone",
            node_of(7)
        )
    );
}

/// H3: only the grid operator maps nodes, only to existing zones.
#[test]
fn h3_only_the_grid_operator_places_nodes_in_zones() {
    let mut s = Suite::new();
    let mallory = s.user(3);
    let nz = |node, zone| NodeZone { node, zone };
    let e = err(s.exec(
        &mallory,
        ExecuteMsg::SetNodeZones {
            nodes: vec![nz(NODE_A, ZONE_B)],
        },
    ));
    assert_eq!(
        e,
        format!("{mallory} may not place nodes in zones: only the grid operator")
    );
    let e = err(s.dso(ExecuteMsg::SetNodeZones {
        nodes: vec![nz(5, 9)],
    }));
    assert_eq!(e, "zone 9 does not exist");
    let e = err(s.dso(ExecuteMsg::SetNodeZones { nodes: vec![] }));
    assert_eq!(e, "invalid parameter nodes: must list 1 to 500 nodes");
    let r: NodeZonesResponse = s
        .q(&QueryMsg::NodeZones {
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(r.nodes, vec![nz(NODE_A, ZONE_A), nz(NODE_B, ZONE_B)]);
}

/// M1: a seller who sets a tiny minimum price still locks collateral valued
/// at the floor price, and loses it when it does not deliver.
#[test]
fn m1_collateral_is_valued_at_the_floor_price() {
    let mut s = Suite::new();
    let (alice, bob) = (s.user(0), s.user(1));
    s.before_gate();
    let floor = params().collateral_floor_price.u128();
    let bid = s.bid(&alice, ZONE_A, "m-alice", 2_000, 1);
    let offer = s.offer(&bob, ZONE_A, "m-bob", 2_000, 1, 2_000);
    s.matching();
    s.commit(vec![trade(bid, offer, 2_000, 1)]).unwrap();
    // 2 kWh valued at the floor, 20 %, locked from Bob's deposit.
    assert_eq!(s.account(&bob).locked.u128(), 2 * floor * 2_000 / 10_000);
    assert_eq!(s.trade(1).collateral.u128(), 2 * floor * 2_000 / 10_000);
    s.after_slot();
    s.report("m-bob", 0).unwrap();
    s.after_dispute_window();
    s.settle(None).unwrap();
    let st = s.trade(1).settlement.unwrap();
    // Penalty 2 kWh at 50_000 uaip/kWh = 100_000, capped by the 40_000
    // collateral: all of it goes to the buyer (with its 2 uaip payment back).
    // Valued at the seller's own 1 uaip/kWh it would have been 1 uaip.
    assert_eq!(st.penalty.u128(), 40_000);
    assert_eq!(s.claimable(&alice), 2 + 40_000);
}

/// Low: extreme market parameters are refused, each with its message.
#[test]
fn low_admin_parameters_are_bounded() {
    let mut s = Suite::new();
    let admin = s.d.admin.clone();
    let try_params = |s: &mut Suite, f: &dyn Fn(&mut MarketParams)| {
        let mut p = params();
        f(&mut p);
        err(s.exec(
            &admin,
            ExecuteMsg::UpdateConfig {
                roles: None,
                params: Some(p),
            },
        ))
    };
    assert_eq!(
        try_params(&mut s, &|p| p.delivery_deadline_secs = 0),
        "invalid parameter delivery_deadline_secs: must be 300 to 604800 s"
    );
    assert_eq!(
        try_params(&mut s, &|p| p.delivery_deadline_secs = 604_801),
        "invalid parameter delivery_deadline_secs: must be 300 to 604800 s"
    );
    assert_eq!(
        try_params(&mut s, &|p| p.dispute_window_secs = 604_801),
        "invalid parameter dispute_window_secs: must be at most 604800 s"
    );
    assert_eq!(
        try_params(&mut s, &|p| p.penalty_price = Uint128::MAX),
        format!("invalid parameter penalty_price: must be at most {MAX_ORDER_PRICE} uaip/kWh")
    );
    assert_eq!(
        try_params(&mut s, &|p| p.collateral_floor_price =
            Uint128::new(MAX_ORDER_PRICE + 1)),
        format!(
            "invalid parameter collateral_floor_price: must be at most {MAX_ORDER_PRICE} uaip/kWh"
        )
    );
    let c: settlement::msg::ConfigResponse = s.q(&QueryMsg::Config {}).unwrap();
    assert_eq!(c.params, params());
    // The grid operator's prices and capacities are bounded too.
    let e = err(s.dso(ExecuteMsg::SetCorridor {
        corridor: corridor(ZONE_A, ZONE_B, 10_000, 200, MAX_ORDER_PRICE + 1),
    }));
    assert_eq!(
        e,
        format!("invalid parameter fee_per_kwh: must be at most {MAX_ORDER_PRICE} uaip/kWh")
    );
    let e = err(s.dso(ExecuteMsg::SetCorridor {
        corridor: corridor(ZONE_A, ZONE_B, u64::MAX as u128 + 1, 200, 1),
    }));
    assert_eq!(
        e,
        format!(
            "invalid parameter capacity_wh: must be at most {} Wh",
            u64::MAX
        )
    );
    let slot = s.slot;
    let e = err(s.dso(ExecuteMsg::SetCongestionFees {
        slot,
        fees: vec![fee(ZONE_A, ZONE_A, MAX_ORDER_PRICE + 1)],
    }));
    assert_eq!(
        e,
        format!("invalid parameter fee_per_kwh: must be at most {MAX_ORDER_PRICE} uaip/kWh")
    );
    let _ = roles::ARBITER;
    let _ = SlotId(0);
}

/// A slot with one trade (Alice buys 1 kWh from Bob at P), delivered `exported` Wh,
/// delivery data final; disputes cost `bond`.
fn one_trade(bond: u128, exported: u128) -> Suite {
    let mut s = Suite::new();
    let mut p = params();
    p.dispute_bond = Uint128::new(bond);
    s.update_params(p);
    let (alice, bob) = (s.user(0), s.user(1));
    s.one_kwh(&alice, &bob, P);
    s.after_slot();
    s.report("m-b", exported).unwrap();
    s
}

/// M2: a dispute costs a bond; a dispute the ruling goes wholly against
/// (frivolous) loses it to the other party, an upheld one gets it back.
#[test]
fn m2_a_frivolous_dispute_loses_its_bond() {
    let bond = 50_000;
    let mut s = one_trade(bond, 1_000);
    let (alice, bob) = (s.user(0), s.user(1));
    let arbiter = s.role(roles::ARBITER);
    let e = err(s.exec(
        &alice,
        ExecuteMsg::OpenDispute {
            trade_id: 1,
            reason: "free".into(),
        },
    ));
    assert_eq!(
        e,
        "a dispute needs a bond of 50000 uaip: send it with the AIP token"
    );
    let msg = settlement::msg::ReceiveMsg::OpenDispute {
        trade_id: 1,
        reason: "cheap".into(),
    };
    let e = err(s.send(&alice, bond - 1, &msg));
    assert_eq!(
        e,
        "a dispute needs a bond of exactly 50000 uaip, 49999 were sent"
    );
    assert_eq!(s.holdings().bonds.u128(), 0);
    s.dispute(&alice, 1, "nothing arrived").unwrap();
    assert_eq!(s.holdings().bonds.u128(), bond);
    s.assert_holdings_match_balance();
    let d: settlement::msg::DisputeResponse = s.q(&QueryMsg::Dispute { trade_id: 1 }).unwrap();
    assert_eq!(d.bond.u128(), bond);
    // The meter shows full delivery: the arbiter pays the seller.
    s.exec(
        &arbiter,
        ExecuteMsg::ResolveDispute {
            trade_id: 1,
            ruling: aip_types::hooks::Ruling::PaySeller,
        },
    )
    .unwrap();
    assert_eq!(s.holdings().bonds.u128(), 0);
    // Bob: payment + collateral + Alice's bond; Alice: nothing back.
    assert_eq!(s.claimable(&bob), 200_000 + 40_000 + bond);
    assert_eq!(s.claimable(&alice), 0);
    s.assert_holdings_match_balance();

    // An upheld dispute: the bond comes back.
    let mut s = one_trade(bond, 0);
    let (alice, arbiter) = (s.user(0), s.role(roles::ARBITER));
    s.dispute(&alice, 1, "nothing arrived").unwrap();
    s.exec(
        &arbiter,
        ExecuteMsg::ResolveDispute {
            trade_id: 1,
            ruling: aip_types::hooks::Ruling::RefundBuyer,
        },
    )
    .unwrap();
    // Refund 200_000, penalty = all 40_000 collateral, and the bond.
    assert_eq!(s.claimable(&alice), 200_000 + 40_000 + bond);
    s.assert_holdings_match_balance();
}

/// M2: an arbiter who never rules cannot freeze a trade: after the ruling
/// deadline anyone applies the default (settle as metered, bond back).
#[test]
fn m2_an_unruled_dispute_settles_by_default_after_the_deadline() {
    let bond = 50_000;
    let mut s = one_trade(bond, 600);
    let (alice, bob, anyone) = (s.user(0), s.user(1), s.user(4));
    let arbiter = s.role(roles::ARBITER);
    s.dispute(&alice, 1, "short").unwrap();
    let d: settlement::msg::DisputeResponse = s.q(&QueryMsg::Dispute { trade_id: 1 }).unwrap();
    assert_eq!(
        d.ruling_due,
        d.opened_at.max(s.status().data_final_at.unwrap()) + 86_400
    );
    let e = err(s.exec(&anyone, ExecuteMsg::ApplyDefaultRuling { trade_id: 1 }));
    assert_eq!(
        e,
        format!(
            "the arbiter may still rule on trade 1 until {}",
            d.ruling_due
        )
    );
    // Settle skips the disputed trade meanwhile.
    s.after_dispute_window();
    s.settle(None).unwrap();
    assert_eq!(s.trade(1).status, settlement::msg::TradeStatus::Disputed);
    s.set_time(d.ruling_due);
    let e = err(s.exec(
        &arbiter,
        ExecuteMsg::ResolveDispute {
            trade_id: 1,
            ruling: aip_types::hooks::Ruling::RefundBuyer,
        },
    ));
    assert_eq!(
        e,
        format!(
            "the arbiter's deadline for trade 1 passed at {}: apply the default ruling",
            d.ruling_due
        )
    );
    let r = s
        .exec(&anyone, ExecuteMsg::ApplyDefaultRuling { trade_id: 1 })
        .unwrap();
    assert_eq!(attr(&r, "action"), "apply_default_ruling");
    let t = s.trade(1);
    assert_eq!(t.status, settlement::msg::TradeStatus::Ruled);
    let st = t.settlement.unwrap();
    // As metered: 600 of 1000 Wh delivered.
    assert_eq!(st.delivered_wh.u128(), 600);
    assert_eq!(st.seller_paid.u128(), 120_000);
    let d: settlement::msg::DisputeResponse = s.q(&QueryMsg::Dispute { trade_id: 1 }).unwrap();
    assert!(d.defaulted);
    assert_eq!(s.claimable(&alice), 80_000 + st.penalty.u128() + bond);
    assert_eq!(s.claimable(&bob), 120_000 + st.collateral_returned.u128());
    assert_eq!(s.holdings().bonds.u128(), 0);
    s.assert_holdings_match_balance();
    let e = err(s.exec(&anyone, ExecuteMsg::ApplyDefaultRuling { trade_id: 1 }));
    assert_eq!(e, "the dispute on trade 1 was already ruled");
}

//! Deposits and signed intents: the life of a slot committed from intents,
//! and every refusal of `CommitIntents`, `PlaceIntent`, `CancelIntent`,
//! deposits and withdrawals, each with its message and with nothing changed.
//! Real AIP token, settlement and meter-oracle; real secp256k1 signatures.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

mod common;

use aip_types::hooks::Eligibility;
use aip_types::intent::{BatchIntent, IntentSignature, Side as IntentSide};
use aip_types::SlotId;
use common::*;
use cosmwasm_std::Uint128;
use settlement::msg::{BalanceResponse, ExecuteMsg, TradeStatus};

const BUY: IntentSide = IntentSide::Buy;
const SELL: IntentSide = IntentSide::Sell;

/// A buyer and a seller in zone A, each with 100 AIP deposited.
fn pair(s: &mut Suite) -> (Household, Household) {
    let b = s.household("buyer", 200_000_000, 100_000_000);
    let k = s.household("seller", 200_000_000, 100_000_000);
    (b, k)
}

#[test]
fn a_slot_committed_from_signed_intents_settles_from_the_deposits() {
    let mut s = Suite::new();
    let (b, k) = pair(&mut s);
    assert_eq!(s.account(&b.addr).free.u128(), 100_000_000);
    s.matching();
    let (bid, offer) = s.bid_and_offer(&b, &k, 2_000, 2_000);
    let r = s.commits(one(&b, &bid, &k, &offer, 2_000, 220_000));
    assert_eq!(attr(&r, "trades"), "1");
    // 2 kWh at 0.22 AIP/kWh: the buyer locks 440,000; the seller locks its
    // collateral at the default ratio of its limit (50 % of 2 kWh × 0.2 AIP).
    let ba = s.account(&b.addr);
    assert_eq!(ba.locked.u128(), 440_000);
    assert_eq!(ba.free.u128(), 100_000_000 - 440_000);
    let ka = s.account(&k.addr);
    let collateral = ka.locked.u128();
    assert_eq!(
        collateral,
        aip_types::offer_collateral(
            Uint128::new(2_000),
            Uint128::new(200_000),
            params().collateral_floor_price,
            params().default_collateral_bps
        )
        .unwrap()
        .u128()
    );
    let t = s.trade(1);
    assert!(t.intents);
    assert_eq!((t.bid, t.offer), (1, 1), "intent trades keep the nonces");
    let fill = s.fill(&b.addr, 1);
    // The intent's window ends with this slot, which commits once: it can
    // never fill again, so it keeps no fill record (rules::fill_needs_record).
    assert_eq!((fill.filled, fill.hash_prefix), (0, None));
    s.assert_holdings_match_balance();

    // Delivery: the seller exports 1.5 of the 2 kWh.
    s.after_slot();
    s.report("k-meter", 1_500).unwrap();
    s.after_dispute_window();
    s.settle(None).unwrap();
    assert_eq!(s.trade(1).status, TradeStatus::Settled);
    let ba = s.account(&b.addr);
    let ka = s.account(&k.addr);
    assert_eq!(ba.locked.u128(), 0);
    assert_eq!(ka.locked.u128(), 0);
    // The buyer paid for 1.5 kWh and received the penalty on 0.5 kWh out of
    // the seller's collateral.
    let paid = 1_500 * 220_000 / 1_000;
    let penalty = 500 * params().penalty_price.u128() / 1_000;
    assert_eq!(ba.free.u128(), 100_000_000 - paid + penalty);
    assert_eq!(ka.free.u128(), 100_000_000 + paid - penalty);
    assert_eq!(ba.claimable, ba.free);
    s.assert_holdings_match_balance();

    // Withdraw pays the free balance out in AIP.
    let before = s.balance(&k.addr);
    s.withdraw(&k.addr).unwrap();
    assert_eq!(s.balance(&k.addr), before + ka.free.u128());
    assert_eq!(s.account(&k.addr).free.u128(), 0);
    s.assert_holdings_match_balance();
}

/// A suite whose slot ("A") has one committed trade of 2 kWh at 0.22
/// AIP/kWh between the buyer and the seller of [`pair`].
fn traded_in_a() -> (Suite, Household, Household) {
    let mut s = Suite::new();
    let (b, k) = pair(&mut s);
    s.matching();
    let (bid, offer) = s.bid_and_offer(&b, &k, 2_000, 2_000);
    s.commits(one(&b, &bid, &k, &offer, 2_000, 220_000));
    (s, b, k)
}

/// The same two households trade in slot A, then in a later slot B whose
/// commit settles A: the accounts end as if A had been settled on its own
/// first, and B's locks see A's payouts.
#[test]
fn a_commit_settles_earlier_slots_in_the_same_call() {
    let (mut s, b, k) = traded_in_a();
    let slot_a = s.slot;
    let collateral = s.account(&k.addr).locked.u128();
    s.after_slot();
    s.report("k-meter", 1_500).unwrap();
    s.after_dispute_window();
    let settle_from = s.now();

    // Slot B, six slots later: its matching phase is past A's dispute window.
    s.slot = SlotId(slot_a.0 + 6 * 900);
    s.matching();
    assert!(s.now() >= settle_from);
    let bid2 = s.intent(&b, 2, BUY, "b-meter", ZONE_A, 2_000, 250_000);
    let offer2 = s.intent(&k, 2, SELL, "k-meter", ZONE_A, 2_000, 200_000);
    let (intents, trades) = one(&b, &bid2, &k, &offer2, 2_000, 220_000);
    let r = s.commit_settling(intents, trades, vec![slot_a]).unwrap();
    assert_eq!(attr(&r, "settled_slots"), slot_a.to_string());
    assert_eq!(attr(&r, "already_settled_slots"), "");
    assert_eq!(s.trade(1).status, TradeStatus::Settled);
    let a: settlement::msg::SlotStatusResponse = s
        .q(&settlement::msg::QueryMsg::SlotStatus { slot: slot_a })
        .unwrap();
    assert!(a.fully_settled);
    // A's outcome (1.5 of 2 kWh, the penalty on 0.5 kWh), then B's locks.
    let paid = 1_500 * 220_000 / 1_000;
    let penalty = 500 * params().penalty_price.u128() / 1_000;
    let ba = s.account(&b.addr);
    assert_eq!(ba.locked.u128(), 440_000);
    assert_eq!(ba.free.u128(), 100_000_000 - paid + penalty - 440_000);
    let ka = s.account(&k.addr);
    assert_eq!(ka.locked.u128(), collateral);
    assert_eq!(ka.free.u128(), 100_000_000 + paid - penalty - collateral);
    s.assert_holdings_match_balance();

    // Settled already (here by the commit of B; a `Settle` racing ahead of
    // a commit is the same): a later commit carrying A skips it.
    s.slot = SlotId(slot_a.0 + 7 * 900);
    s.matching();
    let bid3 = s.intent(&b, 3, BUY, "b-meter", ZONE_A, 1_000, 250_000);
    let offer3 = s.intent(&k, 3, SELL, "k-meter", ZONE_A, 1_000, 200_000);
    let (intents, trades) = one(&b, &bid3, &k, &offer3, 1_000, 220_000);
    let r = s.commit_settling(intents, trades, vec![slot_a]).unwrap();
    assert_eq!(attr(&r, "settled_slots"), "");
    assert_eq!(attr(&r, "already_settled_slots"), slot_a.to_string());
    s.assert_holdings_match_balance();
}

/// Every refusal of `settle` in `CommitIntents`, each with its message and
/// nothing changed (neither slot nor any balance).
#[test]
fn a_commit_refuses_bad_slots_to_settle() {
    let (mut s, b, k) = traded_in_a();
    let slot_a = s.slot;
    s.after_slot();
    s.report("k-meter", 2_000).unwrap();
    let settle_from = s.status().settle_from.unwrap();

    // Slot B's matching phase, before A's dispute window closes.
    s.slot = SlotId(slot_a.0 + 3 * 900);
    s.matching();
    assert!(s.now() < settle_from);
    let bid2 = s.intent(&b, 2, BUY, "b-meter", ZONE_A, 2_000, 250_000);
    let offer2 = s.intent(&k, 2, SELL, "k-meter", ZONE_A, 2_000, 200_000);
    let batch = one(&b, &bid2, &k, &offer2, 2_000, 220_000);
    let slot_b = s.slot;
    let never = SlotId(slot_a.0 - 900);
    let refused = |s: &mut Suite, settle: Vec<SlotId>| -> String {
        let before = (
            s.holdings(),
            s.status(),
            s.account(&b.addr),
            s.account(&k.addr),
        );
        let e = err(s.commit_settling(batch.0.clone(), batch.1.clone(), settle));
        let after = (
            s.holdings(),
            s.status(),
            s.account(&b.addr),
            s.account(&k.addr),
        );
        assert_eq!(after, before, "a refused commit moves nothing");
        e
    };
    let five: Vec<SlotId> = (1..=5).map(|i| SlotId(slot_a.0 - i * 900)).collect();
    assert_eq!(
        refused(&mut s, five),
        "a commit settles at most 4 earlier slots, got 5"
    );
    assert_eq!(
        refused(&mut s, vec![slot_a, slot_a]),
        format!("slot {slot_a} is named twice in `settle`, or is the slot being committed")
    );
    assert_eq!(
        refused(&mut s, vec![slot_b]),
        format!("slot {slot_b} is named twice in `settle`, or is the slot being committed")
    );
    assert_eq!(
        refused(&mut s, vec![slot_a]),
        format!(
            "settling slot {slot_a} with the commit: slot {slot_a} settles from {settle_from} (now {})",
            s.now()
        )
    );
    assert_eq!(
        refused(&mut s, vec![never]),
        format!("settling slot {never} with the commit: slot {never} has nothing left to settle")
    );
    // The same batch without the bad slot commits.
    s.commits(batch);
    s.assert_holdings_match_balance();
}

fn hex_prefix(hash: &[u8; 32]) -> String {
    hash[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn an_ethereum_key_trades_as_the_same_account() {
    let mut s = Suite::new();
    let (b, k) = pair(&mut s);
    s.matching();
    let (bid, offer) = s.bid_and_offer(&b, &k, 1_000, 1_000);
    let eth = BatchIntent::from_signed(&b.key.sign_eth(&bid));
    s.commits((
        vec![eth, signed(&k, &offer)],
        vec![itrade(0, 1, 1_000, 210_000)],
    ));
    assert_eq!(s.account(&b.addr).locked.u128(), 210_000);
}

#[test]
fn forged_changed_rebound_and_malformed_signatures_are_refused() {
    let mut s = Suite::new();
    let (b, k) = pair(&mut s);
    s.matching();
    let (bid, offer) = s.bid_and_offer(&b, &k, 1_000, 1_000);
    let good_offer = signed(&k, &offer);
    let t = || vec![itrade(0, 1, 1_000, 210_000)];

    // Signed by another key (the seller's) in the buyer's name.
    let mut forged = signed(&k, &bid);
    forged.owner = b.addr.to_string();
    let e = s.refused((vec![forged, good_offer.clone()], t()));
    assert!(
        e.starts_with("intent 0 rejected: the signing key's account is"),
        "{e}"
    );

    // A field changed after signing.
    let mut changed = signed(&b, &bid);
    changed.wh = 2_000;
    s.refuses(
        (vec![changed, good_offer.clone()], t()),
        "intent 0 rejected: the cosmos_adr036 signature does not verify for this intent",
    );

    // Signed for another chain, and for another contract.
    let mut other_chain = bid.clone();
    other_chain.chain_id = "another-chain".into();
    s.refuses(
        (vec![signed(&b, &other_chain), good_offer.clone()], t()),
        "intent 0 rejected: the cosmos_adr036 signature does not verify for this intent",
    );
    let mut other_contract = bid.clone();
    other_contract.contract = s.d.token.to_string();
    s.refuses(
        (vec![signed(&b, &other_contract), good_offer.clone()], t()),
        "intent 0 rejected: the cosmos_adr036 signature does not verify for this intent",
    );

    // Unknown key type, malformed base64, malformed hex.
    let mut unknown = signed(&b, &bid);
    unknown.signature.as_mut().unwrap().kind = "passkey".into();
    s.refuses((vec![unknown, good_offer.clone()], t()), "intent 0 rejected: unknown key type \"passkey\": expected \"cosmos_adr036\" or \"eth_eip712\"");
    let mut bad64 = signed(&b, &bid);
    bad64.signature.as_mut().unwrap().signature = "not base64!".into();
    let e = s.refused((vec![bad64, good_offer.clone()], t()));
    assert!(
        e.starts_with("intent 0 rejected: signature is not valid base64"),
        "{e}"
    );
    let bad_hex = BatchIntent {
        signature: Some(IntentSignature {
            kind: "eth_eip712".into(),
            pub_key: None,
            signature: "0xzz".into(),
        }),
        ..signed(&b, &bid)
    };
    let e = s.refused((vec![bad_hex, good_offer.clone()], t()));
    assert!(
        e.starts_with("intent 0 rejected: signature is not valid hex"),
        "{e}"
    );
    // The good pair still commits afterwards.
    s.commit_intents(vec![signed(&b, &bid), good_offer], t())
        .unwrap();
}

#[test]
fn expired_and_out_of_window_intents_are_refused() {
    let mut s = Suite::new();
    let (b, k) = pair(&mut s);
    s.matching();
    let offer = signed(
        &k,
        &s.intent(&k, 1, SELL, "k-meter", ZONE_A, 1_000, 200_000),
    );
    let mut bid = s.intent(&b, 1, BUY, "b-meter", ZONE_A, 1_000, 250_000);
    bid.expires = s.now();
    s.refuses(
        (
            vec![signed(&b, &bid), offer.clone()],
            vec![itrade(0, 1, 1_000, 210_000)],
        ),
        &format!(
            "intent 0 rejected: the intent expired at {} (now {})",
            s.now(),
            s.now()
        ),
    );
    let mut later = s.intent(&b, 2, BUY, "b-meter", ZONE_A, 1_000, 250_000);
    later.slot_from = s.slot.end();
    later.slot_until = s.slot.end() + 900;
    let e = s.refused((
        vec![signed(&b, &later), offer],
        vec![itrade(0, 1, 1_000, 210_000)],
    ));
    assert_eq!(
        e,
        format!(
            "intent 0 rejected: the intent's slot window [{}, {}) does not contain slot {}",
            later.slot_from, later.slot_until, s.slot
        )
    );
}

#[test]
fn an_intent_never_fills_beyond_its_wh_in_a_batch_or_across_batches() {
    let mut s = Suite::new();
    let (b, k) = pair(&mut s);
    let k2 = s.household("seller 2", 200_000_000, 100_000_000);
    s.matching();
    // The buyer's intent covers this slot and the next.
    let mut bid = s.intent(&b, 1, BUY, "b-meter", ZONE_A, 1_500, 250_000);
    bid.slot_until = s.slot.end() + 900;
    bid.expires = s.slot.end();
    let o1 = s.intent(&k, 1, SELL, "k-meter", ZONE_A, 1_000, 200_000);
    let o2 = s.intent(&k2, 1, SELL, "k2-meter", ZONE_A, 1_000, 200_000);
    s.refuses(
        (
            vec![signed(&b, &bid), signed(&k, &o1), signed(&k2, &o2)],
            vec![itrade(0, 1, 1_000, 210_000), itrade(0, 2, 1_000, 210_000)],
        ),
        "trade 1 rejected: intent 0 has 500 Wh left, the trade needs 1000",
    );
    s.commits(one(&b, &bid, &k, &o1, 1_000, 210_000));
    // The next slot: the same intent has 500 Wh left.
    s.slot = aip_types::SlotId(s.slot.0 + 900);
    let o3 = s.intent(&k2, 2, SELL, "k2-meter", ZONE_A, 1_000, 200_000);
    s.refuses(
        one(&b, &bid, &k2, &o3, 600, 210_000),
        "trade 0 rejected: intent 0 has 500 Wh left, the trade needs 600",
    );
    s.commits(one(&b, &bid, &k2, &o3, 500, 210_000));
    let f = s.fill(&b.addr, 1);
    assert_eq!(f.filled, 1_500);
}

#[test]
fn a_slot_takes_one_commit_and_a_replayed_batch_is_refused() {
    let mut s = Suite::new();
    let (b, k) = pair(&mut s);
    s.matching();
    let bid = signed(&b, &s.intent(&b, 1, BUY, "b-meter", ZONE_A, 2_000, 250_000));
    let offer = signed(
        &k,
        &s.intent(&k, 1, SELL, "k-meter", ZONE_A, 2_000, 200_000),
    );
    s.commits((
        vec![bid.clone(), offer.clone()],
        vec![itrade(0, 1, 1_000, 210_000)],
    ));
    s.refuses(
        (vec![bid, offer], vec![itrade(0, 1, 1_000, 210_000)]),
        &format!(
            "slot {} is already committed: a slot takes one commit of intents",
            s.slot
        ),
    );
    // Nor can intents placed on chain add trades to it.
    let (alice, bob) = (s.user(0), s.user(1));
    let pb = s.bid(&alice, ZONE_A, "m-alice", 1_000, 250_000);
    let po = s.offer(&bob, ZONE_A, "m-bob", 1_000, 200_000, 2_000);
    let e = err(s.commit(vec![trade(pb, po, 1_000, 210_000)]));
    assert_eq!(
        e,
        format!(
            "slot {} is already committed: a slot takes one commit of intents",
            s.slot
        )
    );
}

#[test]
fn a_free_balance_too_small_is_refused_naming_the_trade() {
    let mut s = Suite::new();
    let b = s.household("poor buyer", 1_000_000, 300_000);
    let k = s.household("seller", 200_000_000, 100_000_000);
    let k2 = s.household("seller 2", 200_000_000, 100_000_000);
    s.matching();
    let bid = signed(&b, &s.intent(&b, 1, BUY, "b-meter", ZONE_A, 2_000, 250_000));
    let o1 = signed(
        &k,
        &s.intent(&k, 1, SELL, "k-meter", ZONE_A, 1_000, 200_000),
    );
    let o2 = signed(
        &k2,
        &s.intent(&k2, 1, SELL, "k2-meter", ZONE_A, 1_000, 200_000),
    );
    s.refuses((vec![bid, o1, o2], vec![itrade(0, 1, 1_000, 210_000), itrade(0, 2, 1_000, 210_000)]), &format!(
            "trade 1 rejected: account {} has 300000 uaip free; the batch needs 420000 up to this trade",
            b.addr
        ));
}

#[test]
fn batch_shape_errors_name_the_index() {
    let mut s = Suite::new();
    let (b, k) = pair(&mut s);
    s.matching();
    let bid = signed(&b, &s.intent(&b, 1, BUY, "b-meter", ZONE_A, 2_000, 250_000));
    let offer = signed(
        &k,
        &s.intent(&k, 1, SELL, "k-meter", ZONE_A, 2_000, 200_000),
    );
    s.refuses(
        (vec![bid.clone(), offer.clone()], vec![]),
        "a batch needs 1 to 500 trades, got 0",
    );
    s.refuses(
        (vec![bid.clone()], vec![itrade(0, 0, 1, 1)]),
        "a batch needs 2 to 1000 intents, got 1",
    );
    s.refuses(
        (
            vec![bid.clone(), offer.clone(), bid.clone()],
            vec![itrade(0, 1, 1_000, 210_000)],
        ),
        "intent 2 rejected: the same intent as intent 0 of the batch",
    );
    // One bad trade between the good pair.
    for (trade, message) in [
        (
            itrade(0, 7, 1_000, 210_000),
            "trade 0 rejected: intent index 7 is not in the batch",
        ),
        (
            itrade(1, 0, 1_000, 210_000),
            "trade 0 rejected: intent 1 is not a buy intent",
        ),
        (
            itrade(0, 1, 1_000, 260_000),
            "trade 0 rejected: price 260000 is above the bid's maximum 250000",
        ),
        (itrade(0, 1, 0, 210_000), "trade 0 rejected: zero quantity"),
    ] {
        s.refuses((vec![bid.clone(), offer.clone()], vec![trade]), message);
    }
    let k2 = s.household("seller 2", 200_000_000, 100_000_000);
    let spare = signed(
        &k2,
        &s.intent(&k2, 1, SELL, "k2-meter", ZONE_A, 2_000, 200_000),
    );
    s.refuses(
        (
            vec![bid.clone(), offer.clone(), spare],
            vec![itrade(0, 1, 1_000, 210_000)],
        ),
        "intent 2 rejected: no trade of the batch fills it",
    );
    // Only the matcher commits.
    let slot = s.slot;
    let e = err(s.exec(
        &b.addr,
        ExecuteMsg::CommitIntents {
            slot,
            intents: vec![bid, offer],
            trades: vec![itrade(0, 1, 1_000, 210_000)],
            settle: Vec::new(),
        },
    ));
    assert_eq!(
        e,
        format!("{} may not commit intents: only the matcher", b.addr)
    );
}

#[test]
fn meters_must_be_the_owners_active_meters() {
    let mut s = Suite::new();
    let (b, k) = pair(&mut s);
    s.matching();
    let bid = s.intent(&b, 1, BUY, "b-meter", ZONE_A, 1_000, 250_000);
    // The seller names the buyer's meter.
    let mut offer = s.intent(&k, 1, SELL, "k-meter", ZONE_A, 1_000, 200_000);
    offer.meter = bid.meter;
    s.refuses(
        one(&b, &bid, &k, &offer, 1_000, 210_000),
        &format!(
            "intent 1 rejected: meter {} belongs to {}, not to the sender",
            bid.meter, b.addr
        ),
    );
    offer.meter = 9_999;
    s.refuses(
        one(&b, &bid, &k, &offer, 1_000, 210_000),
        "intent 1 rejected: meter 9999 is not registered with the meter oracle",
    );
}

#[test]
fn cancelled_and_reused_nonces_are_refused() {
    let mut s = Suite::new();
    let (b, k) = pair(&mut s);
    let k2 = s.household("seller 2", 200_000_000, 100_000_000);
    s.matching();
    let (bid, offer) = s.bid_and_offer(&b, &k, 1_000, 1_000);
    s.exec(&b.addr, ExecuteMsg::CancelIntent { nonce: 1 })
        .unwrap();
    s.refuses(
        one(&b, &bid, &k, &offer, 1_000, 210_000),
        &format!(
            "intent 0 rejected: the intent with nonce 1 of {} is cancelled",
            b.addr
        ),
    );
    let e = err(s.exec(&b.addr, ExecuteMsg::CancelIntent { nonce: 1 }));
    assert_eq!(
        e,
        format!("the intent with nonce 1 of {} is cancelled", b.addr)
    );
    // Nonce 2 fills once; while its window is open another intent under
    // nonce 2 is refused.
    let mut bid2 = s.intent(&b, 2, BUY, "b-meter", ZONE_A, 2_000, 250_000);
    bid2.slot_until = s.slot.end() + 900;
    s.commits(one(&b, &bid2, &k, &offer, 1_000, 210_000));
    s.slot = aip_types::SlotId(s.slot.0 + 900);
    let mut other = s.intent(&b, 2, BUY, "b-meter", ZONE_A, 5_000, 250_000);
    other.expires = s.slot.start();
    let o2 = s.intent(&k2, 1, SELL, "k2-meter", ZONE_A, 1_000, 200_000);
    s.refuses(
        one(&b, &other, &k2, &o2, 1_000, 210_000),
        &format!(
            "intent 0 rejected: nonce 2 of {} names another intent",
            b.addr
        ),
    );
}

#[test]
fn a_contract_account_places_its_intent_on_chain() {
    let mut s = Suite::new();
    let (b, k) = pair(&mut s);
    s.matching();
    let (bid, offer) = s.bid_and_offer(&b, &k, 1_000, 1_000);
    let unsigned = BatchIntent::from_intent(&bid, None);
    s.refuses(
        (
            vec![unsigned.clone(), signed(&k, &offer)],
            vec![itrade(0, 1, 1_000, 210_000)],
        ),
        "intent 0 rejected: no signature, and its owner has not placed it on chain",
    );
    let e = err(s.exec(
        &k.addr,
        ExecuteMsg::PlaceIntent {
            intent: unsigned.clone(),
        },
    ));
    assert_eq!(
        e,
        format!("only the owner {} may place or cancel its intents", b.addr)
    );
    let e = err(s.exec(
        &b.addr,
        ExecuteMsg::PlaceIntent {
            intent: signed(&b, &bid),
        },
    ));
    assert_eq!(e, "an intent placed on chain carries no signature");
    s.exec(
        &b.addr,
        ExecuteMsg::PlaceIntent {
            intent: unsigned.clone(),
        },
    )
    .unwrap();
    let e = err(s.exec(
        &b.addr,
        ExecuteMsg::PlaceIntent {
            intent: unsigned.clone(),
        },
    ));
    assert_eq!(e, "this intent is already placed");
    s.commits((
        vec![unsigned, signed(&k, &offer)],
        vec![itrade(0, 1, 1_000, 210_000)],
    ));
    assert_eq!(s.account(&b.addr).locked.u128(), 210_000);
}

#[test]
fn deposits_and_withdrawals_refuse_bad_amounts() {
    let mut s = Suite::new();
    let b = s.household("buyer", 1_000_000, 0);
    let e = err(s.deposit(&b.addr, 0));
    assert_eq!(e, "a deposit needs an amount above zero");
    s.deposit(&b.addr, 400_000).unwrap();
    let e = err(s.exec(
        &b.addr,
        ExecuteMsg::Withdraw {
            amount: Some(Uint128::new(400_001)),
        },
    ));
    assert_eq!(e, "cannot withdraw 400001: 400000 claimable");
    let a: BalanceResponse = s.account(&b.addr);
    assert_eq!((a.free.u128(), a.locked.u128()), (400_000, 0));
    s.assert_holdings_match_balance();
}

#[test]
fn an_owner_without_a_valid_kyc_proof_trades_no_new_intents() {
    let mut s = Suite::new();
    let (b, k) = pair(&mut s);
    let rep = s.with_reputation();
    for h in [&b, &k] {
        s.set_terms(&rep, &h.addr, 2_000, true, false);
    }
    let kyc = s.with_kyc(&rep);
    s.set_kyc(&kyc, &b.addr, false, false, Eligibility::Expired);
    s.set_kyc(&kyc, &k.addr, true, true, Eligibility::Eligible);
    s.matching();
    let (bid, mut offer) = s.bid_and_offer(&b, &k, 1_000, 1_000);
    s.refuses(
        one(&b, &bid, &k, &offer, 1_000, 210_000),
        &format!(
            "intent 0 rejected: account {} may not trade: KYC expired",
            b.addr
        ),
    );
    // Proved again, but not recently enough for premium-only offers.
    s.set_kyc(&kyc, &b.addr, true, false, Eligibility::Eligible);
    offer.premium_only = true;
    s.refuses(
        one(&b, &bid, &k, &offer, 1_000, 210_000),
        "trade 0 rejected: sell intent 1 is premium-only and the buyer is not premium-eligible",
    );
    s.set_kyc(&kyc, &b.addr, true, true, Eligibility::Eligible);
    s.commits(one(&b, &bid, &k, &offer, 1_000, 210_000));
}

#[test]
fn an_intent_whose_window_ends_keeps_no_fill_record_and_still_cannot_fill_again() {
    let mut s = Suite::new();
    let (b, k) = pair(&mut s);
    let k2 = s.household("seller 2", 200_000_000, 100_000_000);
    // The bid covers this slot and the previous one; matching happens while
    // the previous slot is still open for commits (10 minutes before it).
    let mut bid = s.intent(&b, 1, BUY, "b-meter", ZONE_A, 3_000, 250_000);
    bid.slot_from = s.slot.start() - 900;
    bid.expires = s.slot.end();
    let mut offer = s.intent(&k, 1, SELL, "k-meter", ZONE_A, 1_000, 200_000);
    offer.expires = s.slot.end() + 3_600;
    let t = s.slot.start() - 900 - 600;
    s.set_time(t);
    s.commits(one(&b, &bid, &k, &offer, 1_000, 210_000));
    // The previous slot can still be committed: the bid keeps a record.
    let f = s.fill(&b.addr, 1);
    assert_eq!(
        (f.filled, f.hash_prefix),
        (1_000, Some(hex_prefix(&bid.hash())))
    );
    // The offer's window is this slot only: no record.
    assert_eq!(s.fill(&k.addr, 1).hash_prefix, None);
    // The same batch again: the slot takes one commit.
    s.refuses(
        one(&b, &bid, &k, &offer, 1_000, 210_000),
        &format!(
            "slot {} is already committed: a slot takes one commit of intents",
            s.slot
        ),
    );
    // The previous slot fills the rest of the bid; its record stays current.
    s.slot = aip_types::SlotId(s.slot.0 - 900);
    s.matching();
    let o2 = s.intent(&k2, 1, SELL, "k2-meter", ZONE_A, 3_000, 200_000);
    s.refuses(
        one(&b, &bid, &k2, &o2, 2_500, 210_000),
        "trade 0 rejected: intent 0 has 2000 Wh left, the trade needs 2500",
    );
    s.commits(one(&b, &bid, &k2, &o2, 2_000, 210_000));
    assert_eq!(s.fill(&b.addr, 1).filled, 3_000);
    // The offer (window: the later slot only, now committed) replayed in
    // the slot after it: refused by its window.
    s.slot = aip_types::SlotId(s.slot.0 + 1_800);
    s.matching();
    let o3 = s.intent(&b, 2, BUY, "b-meter", ZONE_A, 1_000, 250_000);
    let e = s.refused(one(&b, &o3, &k, &offer, 1_000, 210_000));
    assert_eq!(
        e,
        format!(
            "intent 1 rejected: the intent's slot window [{}, {}) does not contain slot {}",
            offer.slot_from, offer.slot_until, s.slot
        )
    );
}

//! verify-slot on a book of real signed intents.

use aip_types::intent::{
    adr036_digest, cosmos_address, IntentSignature, OrderIntent, KIND_COSMOS_ADR036,
};
use cosmwasm_std::Binary;
use k256::ecdsa::{signature::hazmat::PrehashSigner, Signature, SigningKey};

use super::*;
use crate::Zone;
use aip_types::intent::Side as IntentSide;

const CONTRACT: &str = "wasm1zgy3ew6xjuz7jmusr3lu5qmxljdmqw8thjtg4dzjf6n3zhyctugqkzu25f";
const SLOT: u64 = 1_764_003_600;

fn domain() -> IntentDomain {
    IntentDomain {
        chain_id: "aip-localnet-1".to_string(),
        contract: CONTRACT.to_string(),
    }
}

fn signed(label: &str, nonce: u64, side: IntentSide, wh: u64, price: u64) -> SignedIntent {
    let k = SigningKey::from_bytes(&Sha256::digest(label.as_bytes())).expect("key");
    let pk = k.verifying_key().to_encoded_point(true).as_bytes().to_vec();
    let intent = OrderIntent {
        chain_id: "aip-localnet-1".to_string(),
        contract: CONTRACT.to_string(),
        owner: cosmos_address("wasm", &pk).expect("address"),
        nonce,
        slot_from: SLOT,
        slot_until: SLOT + 900,
        side,
        meter: nonce as u32,
        wh,
        limit_price: price,
        premium_only: false,
        expires: SLOT + 900,
    };
    let sig: Signature = k.sign_prehash(&adr036_digest(&intent)).expect("sign");
    SignedIntent {
        intent,
        signature: IntentSignature {
            kind: KIND_COSMOS_ADR036.to_string(),
            pub_key: Some(Binary::from(pk).to_base64()),
            signature: Binary::from(sig.to_bytes().to_vec()).to_base64(),
        },
    }
}

fn frozen() -> FrozenBook {
    let intents: Vec<FrozenEntry> = [
        signed("buyer a", 1, IntentSide::Buy, 2000, 300_000),
        signed("buyer b", 2, IntentSide::Buy, 1000, 200_000),
        signed("seller c", 3, IntentSide::Sell, 2500, 100_000),
    ]
    .into_iter()
    .enumerate()
    .map(|(n, s)| FrozenEntry {
        hash: hex::encode(s.intent.hash()),
        seq: n as u64 + 1,
        signed: s,
    })
    .collect();
    let mut h = Sha256::new();
    for e in &intents {
        h.update(e.signed.intent.hash());
    }
    FrozenBook {
        slot: SLOT,
        frozen_at: SLOT - 300,
        book_hash: hex::encode(h.finalize()),
        intents,
    }
}

fn zones() -> HashMap<u32, u32> {
    [(1, 0), (2, 0), (3, 0)].into_iter().collect()
}

fn network() -> Network {
    Network {
        zones: vec![Zone {
            id: 0,
            name: "feeder".to_string(),
            loss_bps: 0,
        }],
        corridors: vec![],
        loss_price: 0,
    }
}

fn honest() -> Clearing {
    let book = book_from_frozen(&frozen(), &domain(), &zones()).expect("book");
    clear(&book, &network(), Method::Auto).expect("clear")
}

#[test]
fn an_honest_commit_verifies() {
    let c = honest();
    // 2000 Wh to a (surplus 200,000 uaip/kWh), 500 Wh to b (100,000):
    // 400,000 + 50,000 uaip.
    assert_eq!(c.traded_wh, 2500);
    let r = verify_slot(&frozen(), &domain(), &zones(), &network(), &c, 0.0).expect("verifies");
    assert_eq!(r.intents, 3);
    assert!((r.recomputed_welfare - 450_000.0).abs() < 1e-9, "{r:?}");
    assert!((r.ratio - 1.0).abs() < 1e-12);
}

#[test]
fn a_commit_below_the_rerun_welfare_is_refused() {
    let mut c = honest();
    c.trades.retain(|t| t.bid == 1); // drops the trade with b
    c.welfare = 400_000.0;
    let e =
        verify_slot(&frozen(), &domain(), &zones(), &network(), &c, 0.005).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "committed welfare 400000.000 is below the re-run's 450000.000 (tolerance 0.005)"
    );
}

#[test]
fn committed_trades_must_fit_the_book() {
    let mut c = honest();
    let t = c.trades[0].clone();
    c.trades.push(t);
    let e = verify_slot(&frozen(), &domain(), &zones(), &network(), &c, 0.0).expect_err("refused");
    assert!(matches!(e, VerifyError::Overfilled { .. }), "{e}");

    let mut c = honest();
    c.trades[0].bid = 99;
    let e = verify_slot(&frozen(), &domain(), &zones(), &network(), &c, 0.0).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "committed trade 0: order 99 is not in the frozen book"
    );

    let mut c = honest();
    c.trades[0].buyer = "wasm1someoneelse".to_string();
    let e = verify_slot(&frozen(), &domain(), &zones(), &network(), &c, 0.0).expect_err("refused");
    assert!(
        e.to_string()
            .starts_with("committed trade 0: order 1 is a Bid of wasm1"),
        "{e}"
    );
}

#[test]
fn a_tampered_book_is_refused() {
    let mut f = frozen();
    f.intents[1].signed.intent.wh += 1;
    let e = book_from_frozen(&f, &domain(), &zones()).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "entry 1: the cosmos_adr036 signature does not verify for this intent"
    );

    let mut f = frozen();
    f.intents.remove(2);
    let e = book_from_frozen(&f, &domain(), &zones()).expect_err("refused");
    assert!(
        e.to_string().starts_with("book hash mismatch: stated "),
        "{e}"
    );

    let mut f = frozen();
    f.intents[0].hash = "00".repeat(32);
    let e = book_from_frozen(&f, &domain(), &zones()).expect_err("refused");
    assert!(
        e.to_string().starts_with("entry 0: stated hash 0000"),
        "{e}"
    );

    let mut z = zones();
    z.remove(&3);
    let e = book_from_frozen(&frozen(), &domain(), &z).expect_err("refused");
    assert_eq!(e.to_string(), "entry 2: meter 3 has no zone");

    let other = IntentDomain {
        chain_id: "other-1".to_string(),
        ..domain()
    };
    let e = book_from_frozen(&frozen(), &other, &zones()).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "entry 0: the intent is for chain \"aip-localnet-1\", this is chain \"other-1\""
    );
}

/// The seller's meter (3) in zone 1, the buyers' in zone 0, joined by corridor 7.
fn two_zones() -> (HashMap<u32, u32>, Network) {
    let zones = [(1, 0), (2, 0), (3, 1)].into_iter().collect();
    let zone = |id| Zone {
        id,
        name: format!("zone {id}"),
        loss_bps: 0,
    };
    let network = Network {
        zones: vec![zone(0), zone(1)],
        corridors: vec![crate::Corridor {
            id: 7,
            from: 0,
            to: 1,
            capacity_wh: 10_000,
            loss_bps: 100,
            fee: 10,
        }],
        loss_price: 100_000,
    };
    (zones, network)
}

fn on_chain(id: u64, bid: u64, offer: u64, buyer: &str, seller: &str, wh: u128) -> TradeResponse {
    use cosmwasm_std::Uint128;
    TradeResponse {
        id,
        slot: aip_types::SlotId(SLOT),
        bid,
        offer,
        buyer: buyer.to_string(),
        seller: seller.to_string(),
        meter: 3,
        wh: Uint128::new(wh),
        net_wh: Uint128::new(wh),
        price: Uint128::new(150_000),
        payment: Uint128::zero(),
        fee: Uint128::zero(),
        collateral: Uint128::zero(),
        intents: true,
        status: settlement::msg::TradeStatus::Pending,
        settlement: None,
    }
}

#[test]
fn the_trades_on_chain_are_mapped_to_the_frozen_book_and_their_welfare_recomputed() {
    let (zones, network) = two_zones();
    let f = frozen();
    let book = book_from_frozen(&f, &domain(), &zones).expect("book");
    let owner = |n: usize| f.intents[n].signed.intent.owner.clone();
    // a: 2000 Wh (nonce 1), b: 500 Wh (nonce 2), both from c (nonce 3), across corridor 7.
    let trades = vec![
        on_chain(1, 1, 3, &owner(0), &owner(2), 2_000),
        on_chain(2, 2, 3, &owner(1), &owner(2), 500),
    ];
    let c = committed_from_chain(&f, &book, &network, &trades).expect("mapped");
    assert_eq!(
        c.trades
            .iter()
            .map(|t| (t.bid, t.offer, t.wh, t.from_zone, t.to_zone))
            .collect::<Vec<_>>(),
        vec![(1, 3, 2_000, 1, 0), (2, 3, 500, 1, 0)]
    );
    assert_eq!(
        c.corridor_flows,
        vec![CorridorFlow {
            corridor: 7,
            forward_wh: 0,
            backward_wh: 2_500
        }]
    );
    // 2000 × 200,000 + 500 × 100,000 uaip/kWh·Wh, minus 2500 Wh × (1 % of 100,000 + 10): 450,000 − 2,525.
    assert!((c.welfare - 447_475.0).abs() < 1e-9, "{}", c.welfare);
    let r = verify_book(&book, 3, &network, &c, 0.0).expect("verifies");
    assert!((r.ratio - 1.0).abs() < 1e-9, "{r:?}");
    assert_eq!(r.committed_trades, 2);
}

#[test]
fn a_trade_on_chain_outside_the_frozen_book_is_refused_naming_it() {
    let (zones, network) = two_zones();
    let f = frozen();
    let book = book_from_frozen(&f, &domain(), &zones).expect("book");
    let owner = |n: usize| f.intents[n].signed.intent.owner.clone();
    let e = committed_from_chain(
        &f,
        &book,
        &network,
        &[on_chain(1, 9, 3, &owner(0), &owner(2), 10)],
    )
    .expect_err("refused");
    assert_eq!(
        e.to_string(),
        format!(
            "committed trade 0: the buyer's intent (nonce 9 of {}) is not in the frozen book",
            owner(0)
        )
    );
    let mut t = on_chain(4, 1, 3, &owner(0), &owner(2), 10);
    t.intents = false;
    let e = committed_from_chain(&f, &book, &network, &[t]).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "committed trade 0: trade 4 was not committed from intents"
    );
    let mut cut = network.clone();
    cut.corridors.clear();
    let e = committed_from_chain(
        &f,
        &book,
        &cut,
        &[on_chain(1, 1, 3, &owner(0), &owner(2), 10)],
    )
    .expect_err("refused");
    assert_eq!(
        e.to_string(),
        "committed trade 0: no corridor joins zones 1 and 0"
    );
}

#[test]
fn an_intent_the_verifier_leaves_out_is_not_in_the_rerun() {
    let f = frozen();
    let book = book_from_frozen_with(&f, &domain(), |index, _, _| Ok((index != 1).then_some(0)))
        .expect("book");
    assert_eq!(
        book.orders.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![1, 3]
    );
}

// ---- the committer's screening record, re-checked on the chain's state ----

const NOW: u64 = SLOT - 300;

fn owner_of(n: usize) -> String {
    frozen().intents[n].signed.intent.owner.clone()
}

/// The chain as the committer read it: meters 1..=3 active, of their
/// intents' owners, at node 1 in zone 0; no reputation contract; every owner
/// 10 AIP free except buyer a (entry 0), who has 1 uaip.
fn chain() -> ChainView {
    use aip_types::hooks::{MeterDelivery, MeterStatus};
    let mut v = ChainView {
        zones: [0].into_iter().collect(),
        node_zones: [(1, 0)].into_iter().collect(),
        default_collateral_bps: 2_000,
        collateral_floor_price: 100_000,
        ..ChainView::default()
    };
    for (n, e) in frozen().intents.iter().enumerate() {
        let i = &e.signed.intent;
        v.meters.insert(
            i.meter,
            MeterDelivery {
                meter: i.meter,
                owner: i.owner.clone(),
                node: 1,
                status: MeterStatus::Active,
                finalized: false,
                exported_wh: cosmwasm_std::Uint128::zero(),
                imported_wh: cosmwasm_std::Uint128::zero(),
            },
        );
        v.free
            .insert(i.owner.clone(), if n == 0 { 1 } else { 10_000_000 });
    }
    v
}

/// What the committer publishes: its own screening of [`frozen`] on [`chain`].
fn record() -> Screening {
    let f = frozen();
    let (_, skipped) = screen(&f, &domain(), SLOT, NOW, &chain());
    Screening {
        slot: SLOT,
        book_hash: f.book_hash.clone(),
        height: 41,
        now: NOW,
        screened: skipped.iter().map(Into::into).collect(),
        refused: vec![],
    }
}

const UNFUNDED: &str = "has 1 uaip free; its intents need 600000 with this one";

#[test]
fn a_screened_out_intent_is_confirmed_and_the_rerun_matches_the_commit_exactly() {
    let f = frozen();
    let rec = record();
    assert_eq!(rec.screened.len(), 1);
    assert_eq!(
        rec.screened[0].reason,
        format!("{} {UNFUNDED}", owner_of(0))
    );
    let (kept, unchecked) = check_screening(&f, &domain(), &rec, &chain()).expect("confirmed");
    assert!(unchecked.is_empty());
    assert_eq!(
        kept.iter().map(|c| c.owner.clone()).collect::<Vec<_>>(),
        vec![owner_of(1), owner_of(2)]
    );
    // The committer clears the same book: buyer b takes 1000 Wh from seller c
    // (surplus 100,000 uaip/kWh): welfare 100,000 uaip, re-run equal to it.
    let book = book_from_candidates(&f, &domain(), &kept).expect("book");
    assert_eq!(
        book.orders.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![2, 3]
    );
    let committed = clear(&book, &network(), Method::Auto).expect("clear");
    let r = verify_book(&book, f.intents.len(), &network(), &committed, 0.0).expect("verifies");
    assert!((r.recomputed_welfare - 100_000.0).abs() < 1e-9, "{r:?}");
    assert_eq!(r.ratio, 1.0);
    // Without the record the whole book is re-cleared, buyer a included,
    // and the same honest commit looks 78 % short.
    let e = verify_slot(&f, &domain(), &zones(), &network(), &committed, 0.005)
        .expect_err("shortfall without the record");
    assert_eq!(
        e.to_string(),
        "committed welfare 100000.000 is below the re-run's 450000.000 (tolerance 0.005)"
    );
}

#[test]
fn an_intent_screened_out_for_a_reason_the_chain_does_not_give_is_reported() {
    let f = frozen();
    // Buyer b (funded, active meter) listed as screened out.
    let mut rec = record();
    rec.screened.push(ScreenedOut {
        hash: f.intents[1].hash.clone(),
        owner: owner_of(1),
        nonce: 2,
        reason: "meter 2 is suspended: only active meters trade".to_string(),
    });
    let e = check_screening(&f, &domain(), &rec, &chain()).expect_err("wrongly screened");
    assert_eq!(
        e.to_string(),
        format!(
            "intent {} ({}, nonce 2) was screened out for \"meter 2 is suspended: only active meters trade\", but at height 41 the rules say: the intent passes",
            f.intents[1].hash,
            owner_of(1)
        )
    );
    // Buyer a screened out, but for another reason than the chain's.
    let mut rec = record();
    rec.screened[0].reason = "no reputation token (KYC not done)".to_string();
    let e = check_screening(&f, &domain(), &rec, &chain()).expect_err("wrong reason");
    assert_eq!(
        e.to_string(),
        format!(
            "intent {} ({}, nonce 1) was screened out for \"no reputation token (KYC not done)\", but at height 41 the rules say: {} {UNFUNDED}",
            f.intents[0].hash,
            owner_of(0),
            owner_of(0)
        )
    );
}

#[test]
fn an_intent_the_rules_refuse_must_be_listed() {
    let f = frozen();
    let mut rec = record();
    rec.screened.clear();
    let e = check_screening(&f, &domain(), &rec, &chain()).expect_err("not listed");
    assert_eq!(
        e.to_string(),
        format!(
            "intent {} ({}, nonce 1) fails the screening at height 41 (\"{} {UNFUNDED}\") but the record does not list it",
            f.intents[0].hash,
            owner_of(0),
            owner_of(0)
        )
    );
}

#[test]
fn intents_the_contract_refused_are_left_out_unchecked() {
    let f = frozen();
    let mut rec = record();
    let refused = ScreenedOut {
        hash: f.intents[1].hash.clone(),
        owner: owner_of(1),
        nonce: 2,
        reason: "intent 0 rejected: ...".to_string(),
    };
    rec.refused.push(refused.clone());
    let (kept, unchecked) = check_screening(&f, &domain(), &rec, &chain()).expect("checked");
    assert_eq!(unchecked, vec![refused]);
    assert_eq!(
        kept.iter().map(|c| c.owner.clone()).collect::<Vec<_>>(),
        vec![owner_of(2)]
    );
}

#[test]
fn a_record_of_another_book_or_naming_unknown_intents_is_refused() {
    let f = frozen();
    let mut rec = record();
    rec.book_hash = "00".repeat(32);
    let e = check_screening(&f, &domain(), &rec, &chain()).expect_err("another book");
    assert_eq!(
        e.to_string(),
        format!(
            "the screening record is for slot {SLOT} and book {}, not this book (slot {SLOT}, {})",
            "00".repeat(32),
            f.book_hash
        )
    );
    let mut rec = record();
    rec.screened.push(ScreenedOut {
        hash: "ab".repeat(32),
        owner: "wasm1nobody".to_string(),
        nonce: 9,
        reason: "anything".to_string(),
    });
    let e = check_screening(&f, &domain(), &rec, &chain()).expect_err("unknown intent");
    assert_eq!(
        e.to_string(),
        format!(
            "the screening record names intent {} (wasm1nobody, nonce 9), which is not in the frozen book",
            "ab".repeat(32)
        )
    );
}

#[test]
fn the_record_is_published_as_a_file_and_read_back() {
    let dir = std::env::temp_dir().join(format!("aip-verify-publish-{}", std::process::id()));
    let rec = record();
    let path = write_screening(&dir, &rec).expect("written");
    assert_eq!(path, dir.join(format!("screening-{SLOT}.json")));
    let back: Screening =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("parsed");
    assert_eq!(back, rec);
    // A folder that is a file cannot take the record: the error names the path.
    let file = dir.join("not-a-dir");
    std::fs::write(&file, "x").expect("file");
    let e = write_screening(&file, &rec).expect_err("not a folder");
    assert!(
        e.to_string().starts_with(&format!(
            "could not publish the screening record {}: ",
            file.join(format!("screening-{SLOT}.json")).display()
        )),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

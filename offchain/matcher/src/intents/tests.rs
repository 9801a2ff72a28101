//! Screening a frozen book of real signed intents against the contract's
//! rules, the batch built from a clearing, and reading the contract's refusals.
#![allow(clippy::unwrap_used)]

use aip_types::hooks::{MeterStatus, Tier};
use aip_types::intent::sign::IntentKey;
use aip_types::intent::{OrderIntent, SignedIntent};
use sha2::{Digest, Sha256};

use super::*;
use crate::verify::FrozenEntry;
use crate::Side;

const CONTRACT: &str = "wasm1zgy3ew6xjuz7jmusr3lu5qmxljdmqw8thjtg4dzjf6n3zhyctugqkzu25f";
const CHAIN: &str = "aip-localnet-1";
const SLOT: u64 = 1_764_003_600;
const NOW: u64 = SLOT - 200;

fn domain() -> IntentDomain {
    IntentDomain {
        chain_id: CHAIN.to_string(),
        contract: CONTRACT.to_string(),
    }
}

fn key(n: u32) -> IntentKey {
    IntentKey::from_label(&format!("matcher intents test {n}"))
}

fn owner(n: u32) -> String {
    key(n).address("wasm")
}

/// Household `n` (meter `n`) signs: Cosmos keys for even `n`, Ethereum for odd.
fn intent(n: u32, side: IntentSide, wh: u64, price: u64) -> OrderIntent {
    OrderIntent {
        chain_id: CHAIN.to_string(),
        contract: CONTRACT.to_string(),
        owner: owner(n),
        nonce: 7,
        slot_from: SLOT,
        slot_until: SLOT + 900,
        side,
        meter: n,
        wh,
        limit_price: price,
        premium_only: false,
        expires: SLOT + 900,
    }
}

fn sign(n: u32, i: &OrderIntent) -> SignedIntent {
    if n.is_multiple_of(2) {
        key(n).sign_cosmos(i)
    } else {
        key(n).sign_eth(i)
    }
}

fn frozen(signed: Vec<SignedIntent>) -> FrozenBook {
    let intents: Vec<FrozenEntry> = signed
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
        h.update(hex::decode(&e.hash).unwrap());
    }
    FrozenBook {
        slot: SLOT,
        frozen_at: NOW,
        book_hash: hex::encode(h.finalize()),
        intents,
    }
}

fn terms(account: &str) -> TradingTermsResponse {
    TradingTermsResponse {
        account: account.to_string(),
        registered: true,
        score: 500,
        tier: Tier::Silver,
        collateral_ratio_bps: 2_000,
        premium_eligible: false,
        flagged: false,
    }
}

/// Meters 1..=20 of households 1..=20, active; meters on node 1 (zone 1)
/// for odd, node 2 (zone 2) for even households; 10 AIP free each.
fn view() -> ChainView {
    let mut v = ChainView {
        zones: [1, 2].into_iter().collect(),
        node_zones: [(1, 1), (2, 2)].into_iter().collect(),
        terms: Some(HashMap::new()),
        default_collateral_bps: 2_000,
        collateral_floor_price: 100_000,
        ..ChainView::default()
    };
    for n in 1..=20u32 {
        v.meters.insert(
            n,
            MeterDelivery {
                meter: n,
                owner: owner(n),
                node: 2 - n % 2,
                status: MeterStatus::Active,
                finalized: false,
                exported_wh: Uint128::zero(),
                imported_wh: Uint128::zero(),
            },
        );
        v.free.insert(owner(n), 10_000_000);
        v.terms.as_mut().unwrap().insert(owner(n), terms(&owner(n)));
    }
    v
}

fn reasons(skipped: &[SkippedIntent]) -> Vec<(String, String)> {
    skipped
        .iter()
        .map(|s| (s.owner.clone(), s.reason.clone()))
        .collect()
}

#[test]
fn good_intents_of_both_key_kinds_are_kept_with_their_zone_and_remainder() {
    let b = frozen(vec![
        sign(2, &intent(2, IntentSide::Buy, 2_000, 250_000)),
        sign(3, &intent(3, IntentSide::Sell, 3_000, 200_000)),
    ]);
    let mut v = view();
    v.fills.insert(
        (owner(3), 7),
        IntentFillResponse {
            owner: owner(3),
            nonce: 7,
            filled: 1_000,
            hash_prefix: Some(hex::encode(&b.intents[1].signed.intent.hash()[..8])),
            cancelled: false,
        },
    );
    let (kept, skipped) = screen(&b, &domain(), SLOT, NOW, &v);
    assert_eq!(skipped, vec![]);
    assert_eq!(kept.len(), 2);
    assert_eq!(
        (kept[0].zone, kept[0].remaining, kept[0].trust),
        (2, 2_000, 500)
    );
    assert_eq!((kept[1].zone, kept[1].remaining), (1, 2_000));
    assert!(kept[1].batch.signature.as_ref().unwrap().kind == "eth_eip712");
    let book = to_order_book(SLOT, &kept);
    assert_eq!(book.orders[0].side, Side::Bid);
    assert_eq!((book.orders[1].id, book.orders[1].wh), (1, 2_000));
}

#[test]
fn each_intent_the_contract_would_refuse_is_skipped_with_the_contracts_reason() {
    let mut forged = sign(4, &intent(4, IntentSide::Buy, 1_000, 250_000));
    forged.intent.wh = 5_000; // changed after signing
    let mut other_chain = intent(5, IntentSide::Sell, 1_000, 200_000);
    other_chain.chain_id = "other-1".to_string();
    let mut expired = intent(6, IntentSide::Buy, 1_000, 250_000);
    expired.expires = NOW;
    let mut later = intent(7, IntentSide::Sell, 1_000, 200_000);
    later.slot_from = SLOT + 900;
    later.slot_until = SLOT + 1_800;
    let mut not_mine = intent(8, IntentSide::Sell, 1_000, 200_000);
    not_mine.meter = 9;
    let mut unknown_meter = intent(10, IntentSide::Sell, 1_000, 200_000);
    unknown_meter.meter = 99;
    let good = sign(2, &intent(2, IntentSide::Buy, 1_000, 250_000));
    let b = frozen(vec![
        good.clone(),
        forged,
        sign(5, &other_chain),
        sign(6, &expired),
        sign(7, &later),
        sign(8, &not_mine),
        sign(10, &unknown_meter),
        sign(11, &intent(11, IntentSide::Sell, 1_000, 200_000)), // pending meter
        sign(12, &intent(12, IntentSide::Sell, 1_000, 200_000)), // node without zone
        sign(13, &intent(13, IntentSide::Sell, 1_000, 200_000)), // filled
        sign(14, &intent(14, IntentSide::Sell, 1_000, 200_000)), // cancelled
        sign(15, &intent(15, IntentSide::Buy, 2_000, 250_000)),  // escrow 500,000 > free
        sign(16, &intent(16, IntentSide::Sell, 5_000, 200_000)), // collateral 200,000 > free
        sign(17, &intent(17, IntentSide::Sell, 1_000, 200_000)), // no reputation token
        sign(18, &intent(18, IntentSide::Sell, 1_000, 200_000)), // flagged
        sign(19, &intent(19, IntentSide::Sell, 1_000, 0)),       // price below the bound
        good,                                                    // twice
    ]);
    let mut v = view();
    v.meters.get_mut(&11).unwrap().status = MeterStatus::Pending;
    v.meters.get_mut(&12).unwrap().node = 5;
    let fill = |filled, cancelled| IntentFillResponse {
        owner: String::new(),
        nonce: 7,
        filled,
        hash_prefix: None,
        cancelled,
    };
    // Filled in full by an earlier batch: the contract keeps its hash prefix.
    let mut filled = fill(1_000, false);
    filled.hash_prefix = Some(hex::encode(
        &intent(13, IntentSide::Sell, 1_000, 200_000).hash()[..8],
    ));
    v.fills.insert((owner(13), 7), filled);
    v.fills.insert((owner(14), 7), fill(0, true));
    // The chain answers `intent_fill` for every nonce: "never filled" is no
    // record, and the good intent stays in the book.
    v.fills.insert((owner(2), 7), fill(0, false));
    v.free.insert(owner(15), 499_999);
    v.free.insert(owner(16), 199_999);
    v.terms
        .as_mut()
        .unwrap()
        .get_mut(&owner(17))
        .unwrap()
        .registered = false;
    v.terms
        .as_mut()
        .unwrap()
        .get_mut(&owner(18))
        .unwrap()
        .flagged = true;
    let (kept, skipped) = screen(&b, &domain(), SLOT, NOW, &v);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].owner, owner(2));
    let o = owner;
    assert_eq!(
        reasons(&skipped),
        vec![
            (
                o(4),
                "the cosmos_adr036 signature does not verify for this intent".to_string()
            ),
            (
                o(5),
                format!("the intent is for chain \"other-1\", this is chain \"{CHAIN}\"")
            ),
            (o(6), format!("the intent expired at {NOW} (now {NOW})")),
            (
                o(7),
                format!(
                    "the intent's slot window [{}, {}) does not contain slot {SLOT}",
                    SLOT + 900,
                    SLOT + 1_800
                )
            ),
            (
                o(8),
                format!("meter 9 belongs to {}, not to the sender", o(9))
            ),
            (
                o(10),
                "meter 99 is not registered with the meter oracle".to_string()
            ),
            (
                o(11),
                "meter 11 is pending: only active meters trade".to_string()
            ),
            (
                o(12),
                "meter 12 sits at node 5, which the grid operator has not placed in a zone"
                    .to_string()
            ),
            (o(13), "the intent is filled (1000 Wh)".to_string()),
            (
                o(14),
                format!("the intent with nonce 7 of {} is cancelled", o(14))
            ),
            (
                o(15),
                format!(
                    "{} has 499999 uaip free; its intents need 500000 with this one",
                    o(15)
                )
            ),
            (
                o(16),
                format!(
                    "{} has 199999 uaip free; its intents need 200000 with this one",
                    o(16)
                )
            ),
            (
                o(17),
                format!(
                    "account {} may not trade: no reputation token (KYC not done)",
                    o(17)
                )
            ),
            (
                o(18),
                format!("account {} may not trade: flagged by the guardian", o(18))
            ),
            (
                o(19),
                "order price 0 uaip/kWh is below the minimum 1".to_string()
            ),
            (
                o(2),
                "the same intent appears twice in the book".to_string()
            ),
        ]
    );
}

#[test]
fn an_owners_intents_together_must_fit_its_free_balance() {
    let mut a = intent(2, IntentSide::Buy, 2_000, 250_000);
    let first = sign(2, &a);
    a.nonce = 8;
    let second = sign(2, &a);
    let b = frozen(vec![first, second]);
    let mut v = view();
    // Each bid escrows 500,000: the first fits, both do not.
    v.free.insert(owner(2), 999_999);
    let (kept, skipped) = screen(&b, &domain(), SLOT, NOW, &v);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].batch.nonce, 7);
    assert_eq!(
        skipped[0].reason,
        format!(
            "{} has 999999 uaip free; its intents need 1000000 with this one",
            owner(2)
        )
    );
}

#[test]
fn a_premium_only_offer_without_reputation_is_skipped() {
    let mut i = intent(3, IntentSide::Sell, 1_000, 200_000);
    i.premium_only = true;
    let b = frozen(vec![sign(3, &i)]);
    let mut v = view();
    v.terms = None;
    let (kept, skipped) = screen(&b, &domain(), SLOT, NOW, &v);
    assert!(kept.is_empty());
    assert_eq!(
        skipped[0].reason,
        "premium-only offers need the reputation contract to be configured"
    );
}

fn candidates(n: usize) -> Vec<Candidate> {
    // candidate 2k is a bid of household 2k+2 (zone 2), 2k+1 an offer (zone 1)
    (0..n)
        .map(|c| {
            let h = c as u32 + 2;
            let side = if c % 2 == 0 {
                IntentSide::Buy
            } else {
                IntentSide::Sell
            };
            let price = if c % 2 == 0 {
                250_000 + c as u64 * 1_000
            } else {
                200_000
            };
            let s = sign(h, &intent(h, side, 1_000, price));
            Candidate {
                hash: hex::encode(s.intent.hash()),
                owner: owner(h),
                batch: BatchIntent::from_signed(&s),
                zone: 2 - h % 2,
                remaining: 1_000,
                premium: false,
                trust: 0,
            }
        })
        .collect()
}

fn routes() -> BTreeMap<(u32, u32), Route> {
    let r = |fee| Route {
        loss_bps: 0,
        fee,
        capacity: None,
    };
    [
        ((1, 2), r(10)),
        ((2, 1), r(10)),
        ((1, 1), r(0)),
        ((2, 2), r(0)),
    ]
    .into_iter()
    .collect()
}

fn mt(bid: u64, offer: u64, wh: u64, price: u64) -> MatchedTrade {
    MatchedTrade {
        bid,
        offer,
        wh: wh.to_string(),
        price: price.to_string(),
    }
}

#[test]
fn the_batch_carries_each_used_intent_once_and_indexes_the_trades_into_it() {
    let c = candidates(6);
    // bids 0, 2, 4; offers 1, 3, 5. Offer 5 is unused.
    let trades = vec![
        mt(0, 1, 600, 220_000),
        mt(2, 1, 400, 220_000),
        mt(4, 3, 1_000, 220_000),
    ];
    let b = build_batch(&c, &trades, &routes(), 500);
    assert_eq!(b.candidates, vec![0, 1, 2, 3, 4]);
    assert_eq!(b.intents.len(), 5);
    assert_eq!(b.intents[3], c[3].batch);
    let got: Vec<(u32, u32, u128)> = b
        .trades
        .iter()
        .map(|t| (t.bid, t.offer, t.wh.u128()))
        .collect();
    // best welfare first: 1,000 Wh at a 54,000 spread, 600 at 50,000, 400 at 52,000
    assert_eq!(got, vec![(4, 3, 1_000), (0, 1, 600), (2, 1, 400)]);
    assert!(b.skipped.is_empty());
}

#[test]
fn beyond_max_batch_the_best_trades_by_welfare_are_kept_and_the_rest_reported() {
    let c = candidates(6);
    // welfare: bid 4 (254,000) > bid 2 (252,000) > bid 0 (250,000), same offers
    let trades = vec![
        mt(0, 1, 1_000, 220_000),
        mt(2, 3, 1_000, 220_000),
        mt(4, 5, 1_000, 220_000),
    ];
    let b = build_batch(&c, &trades, &routes(), 2);
    assert_eq!(b.candidates, vec![2, 3, 4, 5]);
    let got: Vec<(u32, u32)> = b.trades.iter().map(|t| (t.bid, t.offer)).collect();
    assert_eq!(got, vec![(2, 3), (0, 1)]);
    assert_eq!(b.skipped, vec![mt(0, 1, 1_000, 220_000)]);
}

#[test]
fn a_trade_breaking_the_contracts_price_rules_is_left_out() {
    let c = candidates(4);
    // bid 0 limit 250,000; offer 1 limit 200,000; zone 1 -> 2 fee 10
    let trades = vec![
        mt(0, 1, 500, 199_999),   // below the offer's limit
        mt(0, 1, 500, 249_995),   // price + fee above the bid's limit
        mt(2, 3, 1_000, 220_000), // fine
    ];
    let b = build_batch(&c, &trades, &routes(), 500);
    assert_eq!(b.trades.len(), 1);
    assert_eq!(b.candidates, vec![2, 3]);
    assert_eq!(b.skipped.len(), 2);
}

#[test]
fn the_contracts_refusals_are_read_from_the_raw_log() {
    let log = "failed to execute message; message index: 0: intent 3 rejected: the intent expired at 5 (now 6): execute wasm contract failed";
    assert_eq!(refused_index(log), Some(Refused::Intent(3)));
    let log = "failed to execute message; message index: 0: trade 12 rejected: account wasm1x has 5 uaip free; the batch needs 6 up to this trade: execute wasm contract failed";
    assert_eq!(refused_index(log), Some(Refused::Trade(12)));
    let log = "trade 1 rejected: intent 4 is filled beyond its Wh";
    assert_eq!(refused_index(log), Some(Refused::Trade(1)));
    let log = "slot 1764003600 is already committed: a slot takes one commit of intents";
    assert_eq!(refused_index(log), Some(Refused::SlotCommitted));
    assert_eq!(refused_index("out of gas"), None);
}

#[test]
fn a_commit_drops_the_intent_or_trade_the_contract_names_and_sends_the_rest() {
    let c = candidates(6);
    let routes = routes();
    // bids 0, 2, 4; offers 1, 3, 5.
    let trades = vec![
        mt(0, 1, 600, 220_000),
        mt(2, 1, 400, 220_000),
        mt(4, 3, 1_000, 220_000),
        mt(4, 5, 300, 220_000),
    ];
    let mut commit = Commit::new(&c, trades, &routes, 500);
    let first = commit.batch();
    assert_eq!(first.candidates, vec![0, 1, 2, 3, 4, 5]);
    // The contract refuses batch intent 1 (candidate 1, an offer): both of
    // its trades go, the others stay.
    let log = "message index: 0: intent 1 rejected: account flagged: execute wasm contract failed";
    assert_eq!(commit.refused(&first, log), Next::Retry);
    assert_eq!(
        commit.trades,
        vec![mt(4, 3, 1_000, 220_000), mt(4, 5, 300, 220_000)]
    );
    assert_eq!(commit.refused_intents.len(), 1);
    assert_eq!(commit.refused_intents[0].hash, c[1].hash);
    assert_eq!(commit.refused_intents[0].reason, log);
    let gone: Vec<&MatchedTrade> = commit.refused_trades.iter().map(|(t, _)| t).collect();
    assert_eq!(gone, vec![&mt(0, 1, 600, 220_000), &mt(2, 1, 400, 220_000)]);
    // Then it refuses the batch's trade naming offer 5.
    let second = commit.batch();
    assert_eq!(second.candidates, vec![3, 4, 5]);
    let at = second
        .trades
        .iter()
        .position(|t| second.candidates[t.offer as usize] == 5)
        .unwrap();
    let log = format!("trade {at} rejected: account has 5 uaip free");
    assert_eq!(commit.refused(&second, &log), Next::Retry);
    assert_eq!(commit.trades, vec![mt(4, 3, 1_000, 220_000)]);
    assert_eq!(commit.refused_trades.len(), 3);
    assert_eq!(commit.refused_trades[2], (mt(4, 5, 300, 220_000), log));
    let third = commit.batch();
    assert_eq!(third.candidates, vec![3, 4]);
    assert_eq!(third.trades.len(), 1);
}

#[test]
fn a_commit_stops_on_a_committed_slot_and_on_a_refusal_naming_nothing_it_holds() {
    let c = candidates(4);
    let routes = routes();
    let mut commit = Commit::new(&c, vec![mt(0, 1, 600, 220_000)], &routes, 500);
    let b = commit.batch();
    let done = "slot 1764003600 is already committed: a slot takes one commit of intents";
    assert_eq!(commit.refused(&b, done), Next::SlotCommitted);
    assert_eq!(commit.refused(&b, "out of gas"), Next::Fail);
    // An index beyond the batch names nothing of it.
    assert_eq!(commit.refused(&b, "intent 9 rejected: x"), Next::Fail);
    assert_eq!(commit.refused(&b, "trade 4 rejected: x"), Next::Fail);
    // Nothing was dropped by any of these.
    assert_eq!(commit.trades, vec![mt(0, 1, 600, 220_000)]);
    assert!(commit.refused_intents.is_empty() && commit.refused_trades.is_empty());
}

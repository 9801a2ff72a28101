//! The gateway's API in process: real signatures, the real SQLite store on
//! disk, a controlled clock. Every refusal is checked for its status, code
//! and reason, and for storing nothing.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aip_types::intent::{OrderIntent, Side, SignedIntent};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use gateway::{Config, FixedBalance, FrozenBook, Gateway, ROUTES};
use serde_json::{json, Value};
use tower::ServiceExt;

/// 2025-11-24 16:00 UTC, a slot start.
const T0: u64 = 1_764_000_000;
/// The slot the tests trade: an hour after T0; its gate closes at SLOT - 300.
const SLOT: u64 = T0 + 3600;

struct Harness {
    gw: Arc<Gateway>,
    clock: Arc<AtomicU64>,
    balance: Arc<FixedBalance>,
    _dir: tempfile::TempDir,
}

fn config(dir: &tempfile::TempDir) -> Config {
    let mut cfg = Config {
        contract: domain().contract,
        database: dir.path().join("gateway.sqlite"),
        rate_limit_per_minute: 6000,
        rate_limit_burst: 1000,
        max_body_bytes: 4096,
        ..Config::default()
    };
    cfg.chain.chain_id = CHAIN.to_string();
    cfg
}

fn harness_with(edit: impl FnOnce(&mut Config)) -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(&dir);
    edit(&mut cfg);
    let clock = Arc::new(AtomicU64::new(T0 * 1000));
    let c = clock.clone();
    let balance = Arc::new(FixedBalance::new(1_000_000_000));
    let gw = Gateway::new(
        cfg,
        balance.clone(),
        Arc::new(move || c.load(Ordering::SeqCst)),
    )
    .expect("gateway");
    Harness {
        gw,
        clock,
        balance,
        _dir: dir,
    }
}

fn harness() -> Harness {
    harness_with(|_| {})
}

impl Harness {
    async fn call(&self, method: &str, path: &str, body: Option<String>) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .expect("request");
        let resp = gateway::router(self.gw.clone())
            .oneshot(req)
            .await
            .expect("infallible");
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
            .await
            .expect("body");
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    async fn post(&self, s: &SignedIntent) -> (StatusCode, Value) {
        self.call(
            "POST",
            "/v1/intents",
            Some(serde_json::to_string(s).expect("json")),
        )
        .await
    }

    fn count(&self) -> u64 {
        self.gw.store.count().expect("count")
    }

    fn set_now(&self, secs: u64) {
        self.clock.store(secs * 1000, Ordering::SeqCst);
    }

    /// Posts and asserts the refusal: status, code, reason; nothing stored.
    async fn refused(&self, s: &SignedIntent, status: u16, code: &str, reason: &str) {
        let before = self.count();
        let (st, body) = self.post(s).await;
        assert_eq!(st.as_u16(), status, "{body}");
        assert_eq!(body["error"], code, "{body}");
        assert_eq!(body["reason"], reason, "{body}");
        assert_eq!(self.count(), before, "a refusal stores nothing");
    }
}

#[tokio::test]
async fn accepts_cosmos_and_eth_intents_and_serves_the_book() {
    let h = harness();
    let alice = key("alice");
    let bob = key("bob");
    let a = bid(&address_of(&alice), 1, SLOT);
    let mut b = bid(&address_of(&bob), 1, SLOT);
    b.side = Side::Sell;
    let (st, acc) = h.post(&sign_cosmos(&alice, &a)).await;
    assert_eq!(st, StatusCode::CREATED, "{acc}");
    assert_eq!(acc["hash"], hex::encode(a.hash()));
    assert_eq!(acc["owner"], a.owner);
    let (st, acc_b) = h.post(&sign_eth(&bob, &b)).await;
    assert_eq!(st, StatusCode::CREATED, "{acc_b}");
    assert!(acc_b["seq"].as_u64() > acc["seq"].as_u64());

    let (st, book) = h.call("GET", &format!("/v1/book/{SLOT}"), None).await;
    assert_eq!(st, StatusCode::OK);
    let hashes: Vec<&str> = book["intents"]
        .as_array()
        .expect("intents")
        .iter()
        .map(|e| e["hash"].as_str().expect("hash"))
        .collect();
    assert_eq!(hashes, [hex::encode(a.hash()), hex::encode(b.hash())]);
    assert_eq!(book["gate_at"], SLOT - 300);
    // Another slot's book does not hold them.
    let (_, other) = h
        .call("GET", &format!("/v1/book/{}", SLOT + 900), None)
        .await;
    assert_eq!(other["intents"], json!([]));

    let (st, one) = h
        .call(
            "GET",
            &format!("/v1/intents/{}", hex::encode(b.hash())),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let signed: SignedIntent = serde_json::from_value(one["signed"].clone()).expect("signed");
    assert_eq!(signed.intent, b);
}

#[tokio::test]
async fn forged_or_altered_intents_are_refused() {
    let h = harness();
    let alice = key("alice");
    let mallory = key("mallory");
    let i = bid(&address_of(&alice), 1, SLOT);

    let mut altered = sign_cosmos(&alice, &i);
    altered.intent.wh += 1;
    h.refused(
        &altered,
        401,
        "bad_signature",
        "the cosmos_adr036 signature does not verify for this intent",
    )
    .await;
    let mut altered = sign_eth(&alice, &i);
    altered.intent.limit_price += 1;
    h.refused(
        &altered,
        401,
        "bad_signature",
        "the eth_eip712 signature does not verify for this intent",
    )
    .await;
    h.refused(
        &sign_cosmos(&mallory, &i),
        401,
        "owner_mismatch",
        &format!(
            "the signing key's account is {}, not the intent's owner {}",
            address_of(&mallory),
            i.owner
        ),
    )
    .await;
}

#[tokio::test]
async fn other_chains_contracts_and_expired_intents_are_refused() {
    let h = harness();
    let alice = key("alice");
    let mut i = bid(&address_of(&alice), 1, SLOT);
    i.chain_id = "other-1".to_string();
    h.refused(
        &sign_cosmos(&alice, &i),
        400,
        "wrong_chain",
        "the intent is for chain \"other-1\", this is chain \"aip-localnet-1\"",
    )
    .await;
    let mut i = bid(&address_of(&alice), 1, SLOT);
    i.contract = contract_address("elsewhere");
    h.refused(
        &sign_eth(&alice, &i),
        400,
        "wrong_contract",
        &format!(
            "the intent is for contract {}, this is contract {}",
            i.contract,
            domain().contract
        ),
    )
    .await;
    let mut i = bid(&address_of(&alice), 1, SLOT);
    i.expires = T0;
    h.refused(
        &sign_cosmos(&alice, &i),
        400,
        "expired",
        &format!("the intent expired at {T0} (now {T0})"),
    )
    .await;
}

#[tokio::test]
async fn malformed_requests_are_refused() {
    let h = harness();
    let alice = key("alice");
    let i = bid(&address_of(&alice), 1, SLOT);
    let before = h.count();

    let (st, body) = h
        .call("POST", "/v1/intents", Some("{\"intent\":".to_string()))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "malformed_json");
    assert_eq!(
        body["reason"],
        "malformed JSON: EOF while parsing a value at line 1 column 10"
    );

    let (st, body) = h.call("POST", "/v1/intents", Some("x".repeat(5000))).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"], "too_large");
    assert_eq!(body["reason"], "request body above 4096 bytes");

    let mut s = sign_cosmos(&alice, &i);
    s.signature.kind = "passkey".to_string();
    h.refused(
        &s,
        400,
        "unknown_key_type",
        "unknown key type \"passkey\": expected \"cosmos_adr036\" or \"eth_eip712\"",
    )
    .await;
    let mut s = sign_cosmos(&alice, &i);
    s.signature.signature = "@@@@".to_string();
    let (st, body) = h.post(&s).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "malformed_base64");
    assert!(body["reason"]
        .as_str()
        .expect("reason")
        .starts_with("signature is not valid base64: "));
    let mut s = sign_eth(&alice, &i);
    s.signature.signature = "0xnothex".to_string();
    let (st, body) = h.post(&s).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "malformed_hex");
    let mut s = sign_cosmos(&alice, &i);
    s.signature.pub_key = None;
    h.refused(
        &s,
        400,
        "missing_pub_key",
        "a cosmos_adr036 signature needs its pub_key",
    )
    .await;
    let mut bad = i.clone();
    bad.wh = 0;
    h.refused(
        &sign_cosmos(&alice, &bad),
        400,
        "invalid_field",
        "wh is invalid: must be above zero",
    )
    .await;
    assert_eq!(h.count(), before);

    let (st, body) = h.call("GET", "/v1/book/1234", None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "bad_slot");
    assert_eq!(
        body["reason"],
        "slot \"1234\" is not a slot start (a multiple of 900)"
    );
    let (st, body) = h.call("GET", "/v1/intents/xyz", None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(body["reason"], "intent hash \"xyz\" is not 64 hex digits");
    let (st, body) = h
        .call("GET", &format!("/v1/intents/{}", "ab".repeat(32)), None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "unknown_intent");
    let (st, body) = h.call("GET", "/v2/nothing", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "no_route");
}

#[tokio::test]
async fn slot_and_gate_time_are_enforced() {
    let h = harness();
    let alice = key("alice");
    let owner = address_of(&alice);
    // At the gate of SLOT: closed.
    h.set_now(SLOT - 300);
    h.refused(
        &sign_cosmos(&alice, &bid(&owner, 1, SLOT)),
        409,
        "gate_closed",
        &format!(
            "gate closed for slot {SLOT} at {} (now {})",
            SLOT - 300,
            SLOT - 300
        ),
    )
    .await;
    // One second before: open.
    h.set_now(SLOT - 301);
    let (st, _) = h.post(&sign_cosmos(&alice, &bid(&owner, 2, SLOT))).await;
    assert_eq!(st, StatusCode::CREATED);
    // A window is open while its last slot's gate is.
    let mut w = bid(&owner, 3, SLOT - 900);
    w.slot_until = SLOT + 900;
    w.expires = SLOT + 900;
    let (st, _) = h.post(&sign_cosmos(&alice, &w)).await;
    assert_eq!(st, StatusCode::CREATED);
    // Too far ahead.
    h.set_now(T0);
    let far = T0 + 172_800 + 900;
    h.refused(
        &sign_cosmos(&alice, &bid(&owner, 4, far)),
        400,
        "too_far_ahead",
        &format!("slot_from {far} is more than 172800 s ahead (now {T0})"),
    )
    .await;
}

#[tokio::test]
async fn duplicates_and_nonce_reuse_are_refused() {
    let h = harness();
    let alice = key("alice");
    let i = bid(&address_of(&alice), 1, SLOT);
    let (st, _) = h.post(&sign_cosmos(&alice, &i)).await;
    assert_eq!(st, StatusCode::CREATED);
    let hash = hex::encode(i.hash());
    // The same intent again, even signed with the other key kind.
    h.refused(
        &sign_eth(&alice, &i),
        409,
        "duplicate",
        &format!("intent {hash} was already accepted"),
    )
    .await;
    let mut j = i.clone();
    j.wh = 2000;
    h.refused(
        &sign_cosmos(&alice, &j),
        409,
        "nonce_reused",
        &format!("nonce 1 of {} is already used by intent {hash}", i.owner),
    )
    .await;
    // Another owner may use the same nonce.
    let bob = key("bob");
    let (st, _) = h
        .post(&sign_cosmos(&bob, &bid(&address_of(&bob), 1, SLOT)))
        .await;
    assert_eq!(st, StatusCode::CREATED);
}

#[tokio::test]
async fn rate_limits_are_per_account() {
    let h = harness_with(|c| {
        c.rate_limit_burst = 2;
        c.rate_limit_per_minute = 60;
    });
    let alice = key("alice");
    let owner = address_of(&alice);
    for n in 0..2 {
        let (st, _) = h.post(&sign_cosmos(&alice, &bid(&owner, n, SLOT))).await;
        assert_eq!(st, StatusCode::CREATED);
    }
    h.refused(
        &sign_cosmos(&alice, &bid(&owner, 2, SLOT)),
        429,
        "rate_limited",
        &format!("{owner} is above its rate limit; retry in 1000 ms"),
    )
    .await;
    let bob = key("bob");
    let (st, _) = h
        .post(&sign_cosmos(&bob, &bid(&address_of(&bob), 0, SLOT)))
        .await;
    assert_eq!(st, StatusCode::CREATED, "bob has his own budget");
    h.set_now(T0 + 1);
    let (st, _) = h.post(&sign_cosmos(&alice, &bid(&owner, 2, SLOT))).await;
    assert_eq!(st, StatusCode::CREATED, "a token refilled after a second");
    // A forged post does not spend the owner's budget.
    let mallory = key("mallory");
    h.set_now(T0 + 2);
    let (st, _) = h.post(&sign_cosmos(&mallory, &bid(&owner, 9, SLOT))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = h.post(&sign_cosmos(&alice, &bid(&owner, 3, SLOT))).await;
    assert_eq!(st, StatusCode::CREATED);
}

#[tokio::test]
async fn bids_are_limited_by_the_free_balance() {
    let h = harness();
    let alice = key("alice");
    let owner = address_of(&alice);
    // A bid of 1000 Wh at 200000 uaip/kWh reserves 200000 uaip.
    h.balance.set(&owner, 350_000);
    let (st, _) = h.post(&sign_cosmos(&alice, &bid(&owner, 1, SLOT))).await;
    assert_eq!(st, StatusCode::CREATED);
    h.refused(
        &sign_cosmos(&alice, &bid(&owner, 2, SLOT)),
        402,
        "insufficient_balance",
        &format!(
            "{owner} needs 200000 uaip free for this bid on top of 200000 reserved by open bids, has 350000"
        ),
    )
    .await;
    // Escrow rounds up: 1 Wh at 1 uaip/kWh reserves 1 uaip.
    let mut tiny = bid(&owner, 3, SLOT);
    tiny.wh = 1;
    tiny.limit_price = 1;
    h.balance.set(&owner, 200_000);
    h.refused(
        &sign_cosmos(&alice, &tiny),
        402,
        "insufficient_balance",
        &format!(
            "{owner} needs 1 uaip free for this bid on top of 200000 reserved by open bids, has 200000"
        ),
    )
    .await;
    // Offers reserve nothing here (collateral is the contract's rule).
    let mut offer = bid(&owner, 4, SLOT);
    offer.side = Side::Sell;
    let (st, _) = h.post(&sign_cosmos(&alice, &offer)).await;
    assert_eq!(st, StatusCode::CREATED);
    // Cancelling the first bid frees its reservation.
    let first = bid(&owner, 1, SLOT);
    let (st, _) = h
        .call(
            "POST",
            &format!("/v1/intents/{}/cancel", hex::encode(first.hash())),
            Some(serde_json::to_string(&cancel_cosmos(&alice, &first)).expect("json")),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, body) = h.post(&sign_cosmos(&alice, &tiny)).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
}

async fn cancel(
    h: &Harness,
    i: &OrderIntent,
    sig: &aip_types::intent::IntentSignature,
) -> (StatusCode, Value) {
    h.call(
        "POST",
        &format!("/v1/intents/{}/cancel", hex::encode(i.hash())),
        Some(serde_json::to_string(sig).expect("json")),
    )
    .await
}

struct Unreachable;

impl gateway::BalanceSource for Unreachable {
    fn free<'a>(
        &'a self,
        account: &'a str,
    ) -> gateway::balance::BoxFuture<'a, Result<u128, gateway::GatewayError>> {
        Box::pin(async move {
            Err(gateway::GatewayError::BalanceUnavailable {
                account: account.to_string(),
                reason: "node down".to_string(),
            })
        })
    }
}

#[tokio::test]
async fn a_bid_is_refused_when_the_balance_cannot_be_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gw =
        Gateway::new(config(&dir), Arc::new(Unreachable), Arc::new(|| T0 * 1000)).expect("gateway");
    let alice = key("alice");
    let owner = address_of(&alice);
    let err = gw
        .accept(sign_cosmos(&alice, &bid(&owner, 1, SLOT)))
        .await
        .unwrap_err();
    assert_eq!(err.status().as_u16(), 503);
    assert_eq!(err.code(), "balance_unavailable");
    assert_eq!(
        err.to_string(),
        format!("cannot read free balance of {owner}: node down")
    );
    assert_eq!(gw.store.count().expect("count"), 0);
    // An offer needs no balance and is accepted.
    let mut offer = bid(&owner, 2, SLOT);
    offer.side = Side::Sell;
    gw.accept(sign_cosmos(&alice, &offer)).await.expect("offer");
}

#[tokio::test]
async fn only_the_owner_cancels_and_only_once() {
    let h = harness();
    let alice = key("alice");
    let mallory = key("mallory");
    let owner = address_of(&alice);
    let a = bid(&owner, 1, SLOT);
    let b = bid(&owner, 2, SLOT);
    for i in [&a, &b] {
        let (st, _) = h.post(&sign_eth(&alice, i)).await;
        assert_eq!(st, StatusCode::CREATED);
    }
    let (st, body) = cancel(&h, &a, &cancel_cosmos(&mallory, &a)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "owner_mismatch");
    // A cancel signed for b does not cancel a.
    let (st, body) = cancel(&h, &a, &cancel_eth(&alice, &b)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "bad_signature");

    let (st, body) = cancel(&h, &a, &cancel_eth(&alice, &a)).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (st, body) = cancel(&h, &a, &cancel_cosmos(&alice, &a)).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(body["error"], "already_cancelled");
    assert_eq!(
        body["reason"],
        format!("intent {} is already cancelled", hex::encode(a.hash()))
    );
    let (_, book) = h.call("GET", &format!("/v1/book/{SLOT}"), None).await;
    assert_eq!(book["intents"].as_array().expect("intents").len(), 1);
    assert_eq!(book["intents"][0]["hash"], hex::encode(b.hash()));

    let unknown = bid(&owner, 99, SLOT);
    let (st, body) = cancel(&h, &unknown, &cancel_cosmos(&alice, &unknown)).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "unknown_intent");
    // After the gate, the book is what it is.
    h.set_now(SLOT - 300);
    let (st, body) = cancel(&h, &b, &cancel_cosmos(&alice, &b)).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(body["error"], "gate_closed");
}

#[tokio::test]
async fn the_book_freezes_at_gate_closure_and_is_published() {
    let h = harness();
    let alice = key("alice");
    let owner = address_of(&alice);
    let a = bid(&owner, 1, SLOT);
    let mut b = bid(&owner, 2, SLOT);
    b.side = Side::Sell;
    let mut expired_by_gate = bid(&owner, 3, SLOT);
    expired_by_gate.expires = SLOT - 400;
    for i in [&a, &b, &expired_by_gate] {
        let (st, _) = h.post(&sign_cosmos(&alice, i)).await;
        assert_eq!(st, StatusCode::CREATED);
    }
    let (st, body) = h
        .call("GET", &format!("/v1/book/{SLOT}/frozen"), None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_frozen");
    assert_eq!(
        body["reason"],
        format!(
            "the book of slot {SLOT} is not frozen yet (gate closes at {})",
            SLOT - 300
        )
    );
    assert!(h
        .gw
        .freeze_due()
        .await
        .expect("freeze")
        .iter()
        .all(|s| *s < SLOT));

    h.set_now(SLOT - 300);
    let frozen_now = h.gw.freeze_due().await.expect("freeze");
    assert!(frozen_now.contains(&SLOT), "{frozen_now:?}");
    let (st, body) = h
        .call("GET", &format!("/v1/book/{SLOT}/frozen"), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    let book: FrozenBook = serde_json::from_value(body).expect("frozen book");
    let hashes: Vec<String> = book.intents.iter().map(|e| e.hash.clone()).collect();
    assert_eq!(hashes, [hex::encode(a.hash()), hex::encode(b.hash())]);
    assert_eq!(book.frozen_at, SLOT - 300);
    let mut concat = vec![];
    for e in &book.intents {
        // Each published intent verifies on its own, and its hash is its id.
        let v = aip_types::intent::verify_signed_intent(
            &cosmwasm_std::testing::MockApi::default(),
            &domain(),
            &e.signed,
            SLOT - 300,
        )
        .expect("verifies");
        assert_eq!(hex::encode(v.hash), e.hash);
        concat.extend_from_slice(&v.hash);
    }
    use sha2::Digest;
    assert_eq!(book.book_hash, hex::encode(sha2::Sha256::digest(&concat)));
    // Freezing again changes nothing.
    assert!(!h.gw.freeze_due().await.expect("freeze").contains(&SLOT));
    let (_, again) = h
        .call("GET", &format!("/v1/book/{SLOT}/frozen"), None)
        .await;
    assert_eq!(
        serde_json::from_value::<FrozenBook>(again).expect("book"),
        book
    );
}

#[tokio::test]
async fn an_intent_for_a_frozen_slot_is_refused_by_the_store_too() {
    // The writer re-checks against the frozen table, so a post that passed
    // the clock check just before the freeze cannot land outside every book.
    let h = harness();
    let alice = key("alice");
    let owner = address_of(&alice);
    h.set_now(SLOT - 300);
    h.gw.freeze_due().await.expect("freeze");
    h.set_now(SLOT - 400); // a clock that went back
    h.refused(
        &sign_cosmos(&alice, &bid(&owner, 1, SLOT)),
        409,
        "gate_closed",
        &format!(
            "gate closed for slot {SLOT} at {} (now {})",
            SLOT - 300,
            SLOT - 400
        ),
    )
    .await;
}

#[tokio::test]
async fn concurrent_posts_are_all_stored_in_group_commits() {
    let h = harness();
    let signed: Vec<SignedIntent> = (0..200)
        .map(|n| {
            let k = key(&format!("household {n}"));
            sign_cosmos(&k, &bid(&address_of(&k), n, SLOT))
        })
        .collect();
    let mut tasks = vec![];
    for s in signed.clone() {
        let gw = h.gw.clone();
        tasks.push(tokio::spawn(async move { gw.accept(s).await }));
    }
    let mut seqs = vec![];
    for t in tasks {
        seqs.push(t.await.expect("join").expect("accepted").seq);
    }
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 200);
    assert_eq!(h.count(), 200);
}

#[tokio::test]
async fn accepted_intents_survive_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(&dir);
    let alice = key("alice");
    let i = bid(&address_of(&alice), 1, SLOT);
    let clock: gateway::Clock = Arc::new(|| T0 * 1000);
    {
        let gw = Gateway::new(
            cfg.clone(),
            Arc::new(FixedBalance::new(u128::MAX)),
            clock.clone(),
        )
        .expect("gateway");
        gw.accept(sign_cosmos(&alice, &i)).await.expect("accepted");
        gw.store.shutdown();
    }
    let gw = Gateway::new(cfg, Arc::new(FixedBalance::new(u128::MAX)), clock).expect("reopen");
    let stored = gw
        .store
        .get(&hex::encode(i.hash()))
        .expect("read")
        .expect("kept");
    assert_eq!(stored.signed.intent, i);
    assert!(matches!(
        gw.accept(sign_cosmos(&alice, &i)).await,
        Err(gateway::GatewayError::Duplicate { .. })
    ));
}

#[tokio::test]
async fn every_route_is_in_the_openapi_document() {
    let h = harness();
    let (st, doc) = h.call("GET", "/openapi.json", None).await;
    assert_eq!(st, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("paths");
    for (method, path) in ROUTES {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} missing from openapi.json"
        );
    }
    let documented: usize = paths
        .values()
        .map(|p| p.as_object().expect("operations").len())
        .sum();
    assert_eq!(
        documented,
        ROUTES.len(),
        "openapi.json documents a route that does not exist"
    );
    // Every error code the API returns is documented.
    let text = doc.to_string();
    for code in [
        "malformed_json",
        "too_large",
        "bad_signature",
        "owner_mismatch",
        "wrong_chain",
        "wrong_contract",
        "expired",
        "unknown_key_type",
        "malformed_base64",
        "malformed_hex",
        "gate_closed",
        "too_far_ahead",
        "duplicate",
        "nonce_reused",
        "rate_limited",
        "insufficient_balance",
        "unknown_intent",
        "already_cancelled",
        "not_frozen",
        "bad_slot",
        "bad_hash",
        "balance_unavailable",
    ] {
        assert!(text.contains(code), "{code} not in openapi.json");
    }
    let (st, health) = h.call("GET", "/health", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(health["status"], "ok");
}

#[test]
fn config_defaults_and_refusals() {
    let cfg = Config::from_toml("contract = \"wasm1xyz\"").expect("minimal config");
    assert_eq!(cfg.listen, "127.0.0.1:8787");
    assert_eq!(cfg.gate_closure_seconds, 300);
    assert_eq!(cfg.balance, gateway::BalanceConfig::Chain);
    let cfg =
        Config::from_toml("contract = \"c\"\nbalance = { fixed = 5 }\n[chain]\nchain_id = \"x-1\"")
            .expect("config");
    assert_eq!(cfg.balance, gateway::BalanceConfig::Fixed(5));
    assert_eq!(cfg.chain.chain_id, "x-1");
    let e = Config::from_toml("contract = \"c\"\nlisten_port = 1")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("invalid configuration: ") && e.contains("unknown field `listen_port`"),
        "{e}"
    );
    assert_eq!(
        Config::from_toml("").unwrap_err().to_string(),
        "invalid configuration: contract is required (the settlement contract's address)"
    );
    assert_eq!(
        Config::from_toml("contract = \"c\"\nmax_batch = 0")
            .unwrap_err()
            .to_string(),
        "invalid configuration: max_batch must be above zero"
    );
}

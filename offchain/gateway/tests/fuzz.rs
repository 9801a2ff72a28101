//! HTTP fuzzing of the gateway's API in process (the real router, the real
//! SQLite store on disk, a controlled clock): random and mutated requests,
//! structure-aware from the OpenAPI document's shapes.
//!
//! Each request is one of: a valid signed intent or cancel (Cosmos ADR-036 or
//! Ethereum EIP-712, real keys) mutated at a random JSON path (a field
//! deleted, retyped, set to a boundary value, an unknown field added) and
//! re-signed by the owner half of the time so it reaches the checks behind the
//! signature; a body generated from the OpenAPI schema of the route
//! (`#/components/schemas/...`, every `$ref` resolved); raw bytes (truncated,
//! invalid UTF-8, oversized); any method on a known route or a random path,
//! with path parameters valid, malformed or out of range. The clock moves now
//! and then and due books are frozen, so gates close and books freeze under
//! the fuzzer.
//!
//! The oracle after every request:
//! - the status is 2xx or 4xx, never 5xx, and the router never panics;
//! - a 4xx body is JSON `{"error": <code>, "reason": <text>}`;
//! - nothing is stored for a refused request: the store's count grows by one
//!   exactly for a 201 on `POST /v1/intents`, and a refused cancel leaves the
//!   intent as it was; every intent acknowledged so far is still stored, with
//!   its cancellation as acknowledged (the count every 500 requests, every
//!   intent every 50,000 and at the end).
//!
//! Short run (the test command): `cargo test -p gateway --test fuzz`
//! (`AIP_GATEWAY_FUZZ_REQUESTS`, default 4,000; `AIP_GATEWAY_FUZZ_SEED`,
//! default 20261206). Long run, for the record in docs/benchmarks.md:
//!
//! ```sh
//! AIP_GATEWAY_FUZZ_REQUESTS=1000000 cargo test --release -p gateway --test fuzz -- --nocapture
//! ```
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use aip_types::intent::{OrderIntent, Side};
use axum::body::Body;
use axum::http::Request;
use common::*;
use gateway::{Config, FixedBalance, Gateway};
use k256::ecdsa::SigningKey;
use serde_json::{json, Map, Value};
use tower::ServiceExt;

/// 2025-11-24 16:00 UTC, a slot start.
const T0: u64 = 1_764_000_000;
const MAX_BODY: usize = 4096;

/// splitmix64: a small seeded generator, so a failing case replays by seed;
/// it also carries the slots valid intents trade (they follow the clock).
struct Rng {
    state: u64,
    slots: [u64; 3],
}

impl Rng {
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
    /// One of the three slots after the clock's next hour.
    fn slot(&mut self) -> u64 {
        let slots = self.slots;
        *self.pick(&slots)
    }
    /// Moves the traded slots to follow the clock (`now_ms`).
    fn follow(&mut self, now_ms: u64) {
        let hour = (now_ms / 1000 / 900 + 4) * 900;
        self.slots = [hour, hour + 900, hour + 3600];
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// A fuzz account: its key and whether it signs with Ethereum (EIP-712).
struct Account {
    key: SigningKey,
    owner: String,
    eth: bool,
}

/// Boundary and odd values for a JSON integer.
fn integer(r: &mut Rng) -> Value {
    match r.below(14) {
        0 => json!(0),
        1 => json!(1),
        2 => json!(-1),
        3 => json!(u64::MAX),
        4 => json!(u64::MAX as f64 * 2.0),
        5 => json!(i64::MIN),
        6 => json!(1u64 << 53),
        7 => json!(1.5),
        8 => json!(r.slot()),
        9 => json!(r.slot() + 1),
        10 => json!(1_000_000_000u64),
        11 => json!(10_000_000_000u64 + 1),
        12 => Value::String("12".into()),
        _ => json!(r.next() % 1_000_000),
    }
}

/// Odd and plausible values for a JSON string.
fn string(r: &mut Rng, accounts: &[Account]) -> Value {
    let s: String = match r.below(14) {
        0 => String::new(),
        1 => "x".repeat(1 + r.below(5000)),
        2 => hex::encode((0..32).map(|_| r.next() as u8).collect::<Vec<_>>()),
        3 => hex::encode(
            (0..1 + r.below(70))
                .map(|_| r.next() as u8)
                .collect::<Vec<_>>(),
        ),
        4 => {
            cosmwasm_std::Binary::from((0..r.below(80)).map(|_| r.next() as u8).collect::<Vec<_>>())
                .to_base64()
        }
        5 => r.pick(accounts).owner.clone(),
        6 => contract_address("another contract"),
        7 => domain().contract,
        8 => CHAIN.to_string(),
        9 => "cosmos_adr036".into(),
        10 => "eth_eip712".into(),
        11 => "\u{0}\u{feff}ü😀\\\"".into(),
        12 => "buy".into(),
        _ => "sell".into(),
    };
    Value::String(s)
}

/// A random value of any JSON type.
fn any(r: &mut Rng, accounts: &[Account], depth: u32) -> Value {
    match r.below(if depth > 2 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(r.chance(500)),
        2 => integer(r),
        3 | 4 => string(r, accounts),
        5 => Value::Array(
            (0..r.below(4))
                .map(|_| any(r, accounts, depth + 1))
                .collect(),
        ),
        _ => {
            let mut m = Map::new();
            for _ in 0..r.below(4) {
                let k = match string(r, accounts) {
                    Value::String(s) => s.chars().take(20).collect(),
                    _ => "k".into(),
                };
                m.insert(k, any(r, accounts, depth + 1));
            }
            Value::Object(m)
        }
    }
}

/// A value generated from an OpenAPI schema (`$ref`s resolved against `doc`).
fn from_schema(
    r: &mut Rng,
    doc: &Value,
    schema: &Value,
    accounts: &[Account],
    depth: u32,
) -> Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return from_schema(r, doc, &doc["components"]["schemas"][name], accounts, depth);
    }
    if r.chance(30) || depth > 6 {
        return any(r, accounts, depth);
    }
    if let Some(values) = schema["enum"].as_array() {
        return r.pick(values).clone();
    }
    match schema["type"].as_str() {
        Some("object") => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut m = Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (k, s) in props {
                    if required.contains(&k.as_str()) || r.chance(500) {
                        m.insert(k.clone(), from_schema(r, doc, s, accounts, depth + 1));
                    }
                }
            }
            Value::Object(m)
        }
        Some("integer") | Some("number") => integer(r),
        Some("boolean") => Value::Bool(r.chance(500)),
        Some("array") => Value::Array(
            (0..r.below(3))
                .map(|_| from_schema(r, doc, &schema["items"], accounts, depth + 1))
                .collect(),
        ),
        _ => string(r, accounts),
    }
}

/// Applies one structure-aware mutation at a random path of `v`.
fn mutate(r: &mut Rng, v: &mut Value, accounts: &[Account]) {
    // Walk down to a random node.
    let mut node = v;
    loop {
        let go_deeper = r.chance(600);
        let next_key = match node {
            Value::Object(m) if !m.is_empty() && go_deeper => {
                let keys: Vec<String> = m.keys().cloned().collect();
                Some(r.pick(&keys).clone())
            }
            _ => None,
        };
        match next_key {
            Some(k) => node = node.get_mut(&k).unwrap(),
            None => break,
        }
    }
    match node {
        Value::Object(m) if !m.is_empty() && r.chance(400) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            let k = r.pick(&keys).clone();
            match r.below(4) {
                0 => {
                    m.remove(&k);
                }
                1 => {
                    m.insert(format!("{k}_unknown"), any(r, accounts, 1));
                }
                2 => {
                    let val = any(r, accounts, 1);
                    m.insert(k, val);
                }
                _ => {
                    let val = m[&k].clone();
                    m.insert(k, Value::Array(vec![val]));
                }
            }
        }
        Value::Number(n) => {
            let x = n.as_u64().unwrap_or(0);
            *node = match r.below(6) {
                0 => json!(x.wrapping_add(1)),
                1 => json!(x.wrapping_sub(1)),
                2 => json!(x.wrapping_mul(2)),
                3 => json!(x.wrapping_add(900)),
                4 => Value::String(x.to_string()),
                _ => integer(r),
            };
        }
        Value::String(s) => {
            let mut bytes = s.clone().into_bytes();
            match r.below(5) {
                0 if !bytes.is_empty() => {
                    let i = r.below(bytes.len());
                    bytes[i] ^= 1 << r.below(7);
                }
                1 => bytes.truncate(r.below(bytes.len() + 1)),
                2 => bytes.extend_from_slice(b"A="),
                3 => bytes = bytes.to_ascii_uppercase(),
                _ => {
                    *node = any(r, accounts, 1);
                    return;
                }
            }
            *node = Value::String(String::from_utf8_lossy(&bytes).into_owned());
        }
        other => *other = any(r, accounts, 1),
    }
}

/// A valid intent of `a` for one of the slots.
fn intent(r: &mut Rng, a: &Account, nonce: u64) -> OrderIntent {
    let slot = r.slot();
    let mut i = bid(&a.owner, nonce, slot);
    if r.chance(500) {
        i.side = Side::Sell;
    }
    i.wh = 1 + r.next() % 5_000;
    i.limit_price = 100_000 + r.next() % 200_000;
    if r.chance(200) {
        i.slot_until = slot + 1800;
        i.expires = slot + 1800;
    }
    i
}

fn sign(a: &Account, i: &OrderIntent) -> Value {
    let s = if a.eth {
        sign_eth(&a.key, i)
    } else {
        sign_cosmos(&a.key, i)
    };
    serde_json::to_value(s).unwrap()
}

fn cancel_sig(a: &Account, i: &OrderIntent) -> Value {
    let s = if a.eth {
        cancel_eth(&a.key, i)
    } else {
        cancel_cosmos(&a.key, i)
    };
    serde_json::to_value(s).unwrap()
}

/// What the fuzzer believes is stored: hash → (owner index, intent, cancelled).
type Model = BTreeMap<String, (usize, OrderIntent, bool)>;

struct Case {
    method: String,
    path: String,
    content_type: Option<&'static str>,
    body: Option<Vec<u8>>,
    /// `Some(hash)` for a cancel of a stored intent.
    cancel_of: Option<String>,
}

fn path_hash(r: &mut Rng, model: &Model) -> String {
    match r.below(8) {
        0..=3 if !model.is_empty() => {
            let keys: Vec<&String> = model.keys().collect();
            let h = (*r.pick(&keys)).clone();
            if r.chance(200) {
                h.to_ascii_uppercase()
            } else {
                h
            }
        }
        4 => hex::encode((0..32).map(|_| r.next() as u8).collect::<Vec<_>>()),
        5 => "zz".repeat(32),
        6 => "%FF%FE%00".into(),
        _ => "0".repeat(r.below(130)),
    }
}

fn path_slot(r: &mut Rng) -> String {
    match r.below(7) {
        0..=2 => r.slot().to_string(),
        3 => (r.slot() + 1).to_string(),
        4 => "18446744073709551615".into(),
        5 => "-900".into(),
        _ => ["abc", "", "1e3", "%20", "%C3%28", "99999999999999999999999"][r.below(6)].into(),
    }
}

fn case(
    r: &mut Rng,
    doc: &Value,
    accounts: &[Account],
    model: &Model,
    nonces: &mut HashMap<usize, u64>,
) -> Case {
    let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];
    let method = if r.chance(900) {
        *r.pick(&methods[..2])
    } else {
        *r.pick(&methods)
    };
    let content_type = *r.pick(&[
        Some("application/json"),
        Some("application/json"),
        Some("text/plain"),
        None,
    ]);
    let schema = |name: &str| doc["components"]["schemas"][name].clone();
    match r.below(10) {
        // A signed intent, valid or mutated (re-signed half of the time).
        0..=3 => {
            let ai = r.below(accounts.len());
            let a = &accounts[ai];
            let n = nonces.entry(ai).or_insert(0);
            // Reuse a nonce now and then: duplicates and nonce reuse.
            let nonce = if *n > 0 && r.chance(150) {
                1 + r.next() % *n
            } else {
                *n += 1;
                *n
            };
            let mut i = intent(r, a, nonce);
            let mut v = sign(a, &i);
            if r.chance(600) {
                for _ in 0..1 + r.below(3) {
                    mutate(r, &mut v, accounts);
                }
                if r.chance(500) {
                    if let Ok(parsed) = serde_json::from_value::<OrderIntent>(v["intent"].clone()) {
                        i = parsed;
                        let owner = accounts.iter().find(|x| x.owner == i.owner).unwrap_or(a);
                        let sig = sign(owner, &i)["signature"].clone();
                        if v.is_object() {
                            v["signature"] = sig;
                        }
                    }
                }
            }
            Case {
                method: "POST".into(),
                path: "/v1/intents".into(),
                content_type,
                body: Some(serde_json::to_vec(&v).unwrap()),
                cancel_of: None,
            }
        }
        // A cancel of a stored intent, by its owner or someone else, maybe mutated.
        4 | 5 if !model.is_empty() => {
            let keys: Vec<&String> = model.keys().collect();
            let h = (*r.pick(&keys)).clone();
            let (owner, i, _) = &model[&h];
            let signer = if r.chance(800) {
                &accounts[*owner]
            } else {
                r.pick(accounts)
            };
            let mut v = cancel_sig(signer, i);
            if r.chance(500) {
                mutate(r, &mut v, accounts);
            }
            Case {
                method: "POST".into(),
                path: format!("/v1/intents/{h}/cancel"),
                content_type,
                body: Some(serde_json::to_vec(&v).unwrap()),
                cancel_of: Some(h),
            }
        }
        // A body from the OpenAPI schema.
        6 => {
            let (path, name) = if r.chance(500) {
                ("/v1/intents".to_string(), "SignedIntent")
            } else {
                (
                    format!("/v1/intents/{}/cancel", path_hash(r, model)),
                    "IntentSignature",
                )
            };
            let v = from_schema(r, doc, &schema(name), accounts, 0);
            let cancel_of = path
                .strip_suffix("/cancel")
                .and_then(|p| p.strip_prefix("/v1/intents/"))
                .map(str::to_string);
            Case {
                method: "POST".into(),
                path,
                content_type,
                body: Some(serde_json::to_vec(&v).unwrap()),
                cancel_of,
            }
        }
        // Raw bytes: truncated JSON, garbage, invalid UTF-8, oversized.
        7 => {
            let a = r.pick(accounts);
            let mut body = serde_json::to_vec(&sign(a, &intent(r, a, 1))).unwrap();
            match r.below(4) {
                0 => body.truncate(r.below(body.len())),
                1 => body = (0..r.below(300)).map(|_| r.next() as u8).collect(),
                2 => {
                    let i = r.below(body.len());
                    body.insert(i, 0xC3);
                    body.insert(i + 1, 0x28);
                }
                _ => body = vec![b' '; MAX_BODY + 1 + r.below(10_000)],
            }
            let path = if r.chance(700) {
                "/v1/intents".to_string()
            } else {
                format!("/v1/intents/{}/cancel", path_hash(r, model))
            };
            let cancel_of = path
                .strip_suffix("/cancel")
                .and_then(|p| p.strip_prefix("/v1/intents/"))
                .map(str::to_string);
            Case {
                method: "POST".into(),
                path,
                content_type,
                body: Some(body),
                cancel_of,
            }
        }
        // Any method on a route with parameters valid or not, or a random path.
        _ => {
            let path = match r.below(9) {
                0 => format!("/v1/intents/{}", path_hash(r, model)),
                1 => format!("/v1/book/{}", path_slot(r)),
                2 => format!("/v1/book/{}/frozen", path_slot(r)),
                3 => "/health".into(),
                4 => "/openapi.json".into(),
                5 => "/v1/stream".into(),
                6 => "/v1/intents".into(),
                7 => format!("/v1/intents/{}/cancel", path_hash(r, model)),
                _ => [
                    "/",
                    "/v2/intents",
                    "/v1//book",
                    "/v1/book/",
                    "/%2e%2e/etc",
                    "/v1/intents?x=1",
                    "/health/",
                ][r.below(7)]
                .into(),
            };
            let cancel_of = if method == "POST" {
                path.strip_suffix("/cancel")
                    .and_then(|p| p.strip_prefix("/v1/intents/"))
                    .map(str::to_string)
            } else {
                None
            };
            let body = r
                .chance(300)
                .then(|| serde_json::to_vec(&any(r, accounts, 0)).unwrap());
            Case {
                method: method.into(),
                path,
                content_type,
                body,
                cancel_of,
            }
        }
    }
}

/// Runs `n` requests from `seed` and checks the oracle after each one.
/// Returns the status counts and the 4xx answers without a JSON reason (by
/// status and route prefix, the first example of each).
async fn run(n: u64, seed: u64) -> (BTreeMap<u16, u64>, BTreeMap<(u16, String), String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config {
        contract: domain().contract,
        database: dir.path().join("gateway.sqlite"),
        rate_limit_per_minute: 600_000,
        rate_limit_burst: 100_000,
        max_body_bytes: MAX_BODY,
        ..Config::default()
    };
    cfg.chain.chain_id = CHAIN.to_string();
    let clock = Arc::new(AtomicU64::new(T0 * 1000));
    let c = clock.clone();
    let gw = Gateway::new(
        cfg,
        Arc::new(FixedBalance::new(1_000_000_000_000)),
        Arc::new(move || c.load(Ordering::SeqCst)),
    )
    .unwrap();
    let doc: Value = serde_json::from_str(gateway::api::OPENAPI).unwrap();
    let accounts: Vec<Account> = (0..6)
        .map(|i| {
            let key = key(&format!("gateway fuzz {i}"));
            let owner = address_of(&key);
            Account {
                key,
                owner,
                eth: i % 2 == 1,
            }
        })
        .collect();
    let mut r = Rng {
        state: seed,
        slots: [0; 3],
    };
    r.follow(T0 * 1000);
    let mut model: Model = BTreeMap::new();
    let mut nonces = HashMap::new();
    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    let mut findings: BTreeMap<(u16, String), String> = BTreeMap::new();
    let router = gateway::router(gw.clone());
    for k in 0..n {
        // Time moves: sometimes a few seconds, rarely past a gate; freeze what is due.
        if r.chance(20) {
            let step = if r.chance(100) {
                600_000
            } else {
                1_000 * (1 + r.next() % 30)
            };
            let now = clock.fetch_add(step, Ordering::SeqCst) + step;
            if r.chance(300) {
                r.follow(now);
            }
            gw.freeze_due().await.unwrap();
        }
        let case = case(&mut r, &doc, &accounts, &model, &mut nonces);
        let before = gw.store.count().unwrap();
        let target_before = case
            .cancel_of
            .as_ref()
            .and_then(|h| gw.store.get(&h.to_ascii_lowercase()).ok().flatten())
            .map(|s| s.cancelled_at);
        let mut req = Request::builder()
            .method(case.method.as_str())
            .uri(&case.path);
        if let Some(ct) = case.content_type {
            req = req.header("content-type", ct);
        }
        let Ok(req) = req.body(
            case.body
                .clone()
                .map(Body::from)
                .unwrap_or_else(Body::empty),
        ) else {
            continue; // not a valid HTTP request (the client library refuses it)
        };
        let resp = router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
            .await
            .unwrap();
        *statuses.entry(status).or_default() += 1;
        let what = || {
            format!(
                "case {k} (seed {seed}): {} {} body {:?} -> {status} {}",
                case.method,
                case.path,
                case.body
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(&b[..b.len().min(300)]).into_owned()),
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            )
        };
        assert!(
            (200..300).contains(&status) || (400..500).contains(&status),
            "{}",
            what()
        );
        if (400..500).contains(&status) && case.method != "HEAD" {
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            if !(v["error"].is_string() && v["reason"].is_string()) {
                let route = case.path.split('/').take(3).collect::<Vec<_>>().join("/");
                findings.entry((status, route)).or_insert_with(what);
            }
        }
        let after = gw.store.count().unwrap();
        let accepted = case.method == "POST" && case.path == "/v1/intents" && status == 201;
        assert_eq!(
            after,
            before + u64::from(accepted),
            "stored count: {}",
            what()
        );
        if accepted {
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            let hash = v["hash"].as_str().unwrap().to_string();
            let stored = gw.store.get(&hash).unwrap().unwrap();
            let owner = accounts
                .iter()
                .position(|a| a.owner == stored.signed.intent.owner)
                .unwrap();
            model.insert(hash, (owner, stored.signed.intent, false));
        }
        if let Some(h) = &case.cancel_of {
            let h = h.to_ascii_lowercase();
            let now = gw.store.get(&h).ok().flatten().map(|s| s.cancelled_at);
            if case.method == "POST" && status == 200 {
                let entry = model
                    .get_mut(&h)
                    .unwrap_or_else(|| panic!("cancelled an unknown intent: {}", what()));
                entry.2 = true;
                assert!(matches!(now, Some(Some(_))), "{}", what());
            } else {
                assert_eq!(
                    now,
                    target_before,
                    "a refused cancel changed the intent: {}",
                    what()
                );
            }
        }
        // Every acknowledged intent still stored as acknowledged: the count
        // every 500 requests, each intent every 50,000 and at the end (a full
        // pass every 500 made the long run quadratic).
        if k % 500 == 499 {
            assert_eq!(gw.store.count().unwrap(), model.len() as u64);
        }
        if k % 50_000 == 49_999 || k + 1 == n {
            assert_eq!(gw.store.count().unwrap(), model.len() as u64);
            for (h, (_, _, cancelled)) in &model {
                let s = gw
                    .store
                    .get(h)
                    .unwrap()
                    .unwrap_or_else(|| panic!("acknowledged intent {h} lost"));
                assert_eq!(s.cancelled_at.is_some(), *cancelled, "{h}");
            }
        }
    }
    gw.store.shutdown();
    (statuses, findings)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_and_mutated_requests_get_2xx_or_a_json_4xx_and_refusals_store_nothing() {
    let n: u64 = std::env::var("AIP_GATEWAY_FUZZ_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4_000);
    let seed: u64 = std::env::var("AIP_GATEWAY_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_206);
    let started = Instant::now();
    let (statuses, findings) = run(n, seed).await;
    let total: u64 = statuses.values().sum();
    eprintln!(
        "GATEWAY_FUZZ requests={n} sent={total} seed={seed} statuses={statuses:?} wall={:.1}s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        findings.is_empty(),
        "4xx answers without a JSON error and reason:\n{}",
        findings.values().cloned().collect::<Vec<_>>().join("\n")
    );
    // The run reached both sides: acceptances, cancels and refusals.
    assert!(statuses.get(&201).copied().unwrap_or(0) > 0, "{statuses:?}");
    assert!(statuses.get(&200).copied().unwrap_or(0) > 0, "{statuses:?}");
    assert!(
        statuses.keys().filter(|s| (400..500).contains(*s)).count() >= 4,
        "{statuses:?}"
    );
}

/// The three kinds of answer the fuzzer found in plain text or empty, each
/// with its exact JSON now; nothing stored.
#[tokio::test]
async fn refusals_axum_makes_itself_answer_json_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config {
        contract: domain().contract,
        database: dir.path().join("gateway.sqlite"),
        ..Config::default()
    };
    cfg.chain.chain_id = CHAIN.to_string();
    let gw = Gateway::new(cfg, Arc::new(FixedBalance::new(1)), Arc::new(|| T0 * 1000)).unwrap();
    let call = |method: &str, path: &str| {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let router = gateway::router(gw.clone());
        async move {
            let resp = router.oneshot(req).await.unwrap();
            let status = resp.status().as_u16();
            let allow = resp
                .headers()
                .get("allow")
                .map(|v| v.to_str().unwrap().to_string());
            let body: Value = serde_json::from_slice(
                &axum::body::to_bytes(resp.into_body(), 1 << 16)
                    .await
                    .unwrap(),
            )
            .unwrap();
            (status, body, allow)
        }
    };
    let (st, body, allow) = call("POST", "/health").await;
    assert_eq!(
        (st, body),
        (
            405,
            json!({"error": "method_not_allowed", "reason": "POST is not served on /health (see /openapi.json)"})
        )
    );
    assert_eq!(allow.as_deref(), Some("GET,HEAD"));
    let (st, body, _) = call("DELETE", "/v1/intents").await;
    assert_eq!(
        (st, body),
        (
            405,
            json!({"error": "method_not_allowed", "reason": "DELETE is not served on /v1/intents (see /openapi.json)"})
        )
    );
    let (st, body, _) = call("GET", "/v1/book/%C3%28").await;
    assert_eq!(
        (st, body),
        (
            400,
            json!({"error": "bad_request", "reason": "Invalid URL: Invalid UTF-8 in `slot`"})
        )
    );
    let (st, body, _) = call("POST", "/v1/intents/%FF/cancel").await;
    assert_eq!(
        (st, body),
        (
            400,
            json!({"error": "bad_request", "reason": "Invalid URL: Invalid UTF-8 in `hash`"})
        )
    );
    let (st, body, _) = call("GET", "/v1/stream").await;
    assert_eq!(
        (st, body),
        (
            400,
            json!({"error": "bad_request", "reason": "Connection header did not include 'upgrade'"})
        )
    );
    // Refusals made by the handlers keep their own codes.
    let (st, body, _) = call("GET", "/v1/book/901").await;
    assert_eq!((st, body["error"].as_str()), (400, Some("bad_slot")));
    assert_eq!(gw.store.count().unwrap(), 0);
    gw.store.shutdown();
}

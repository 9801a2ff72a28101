//! `aip-sentinel serve`'s routes over a real store (SQLite file) on a
//! loopback port: the evidence byte for byte (its sha256 is the hash in the
//! flag's reason), the flags with their state, and the errors.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use aip_matcher::verify::fetch;
use aip_sentinel::detect::DetectConfig;
use aip_sentinel::event::Event;
use aip_sentinel::evidence::{Code, Finding};
use aip_sentinel::store::Store;
use aip_sentinel::watch::{RateLimit, Watch};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

async fn get(base: &str, path: &str) -> Result<String, String> {
    let url = format!("{base}{path}");
    tokio::task::spawn_blocking(move || fetch(&url))
        .await
        .unwrap()
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_and_flags_are_served_from_the_store() {
    let dir = std::env::temp_dir().join(format!("sentinel-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("sentinel.db");

    // Two flags decided at block 7; one posted, the other then cleared.
    let mut w = Watch::new(DetectConfig::default(), RateLimit::default());
    for a in ["w1", "w2", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8"] {
        w.ingest(&Event::Registered {
            account: a.into(),
            kyc: false,
        });
    }
    let finding = |a: &str| Finding {
        account: a.into(),
        code: Code::Wash,
        evidence: json!({"cycle_members": ["w1", "w2"], "note": "é"}),
    };
    let d = w.decide(vec![finding("w1"), finding("w2")], 1_000);
    assert_eq!(d.flags.len(), 2);
    let mut s = Store::open(&db).unwrap();
    s.commit_block(7, &[], &d.flags).unwrap();
    s.mark_posted("w1").unwrap();
    s.clear("w2").unwrap();
    drop(s);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, aip_sentinel::serve::router(db))
            .await
            .unwrap()
    });

    let f = &d.flags[0];
    let body = get(&base, &format!("/v1/evidence/{}", f.hash()))
        .await
        .unwrap();
    assert_eq!(body, f.evidence);
    assert_eq!(hex::encode(Sha256::digest(body.as_bytes())), f.hash());
    assert!(f
        .reason
        .ends_with(&hex::encode(Sha256::digest(body.as_bytes()))));
    // Upper-case hex is the same hash.
    let upper = get(&base, &format!("/v1/evidence/{}", f.hash().to_uppercase()))
        .await
        .unwrap();
    assert_eq!(upper, body);

    let rows: Value = serde_json::from_str(&get(&base, "/v1/flags").await.unwrap()).unwrap();
    assert_eq!(
        rows,
        json!([
            {"account": "w1", "code": "wash", "reason": d.flags[0].reason, "hash": d.flags[0].hash(),
             "at": 1_000, "posted": true, "cleared": false},
            {"account": "w2", "code": "wash", "reason": d.flags[1].reason, "hash": d.flags[1].hash(),
             "at": 1_000, "posted": false, "cleared": true},
        ])
    );

    let unknown = "ab".repeat(32);
    let e = get(&base, &format!("/v1/evidence/{unknown}"))
        .await
        .unwrap_err();
    assert!(e.contains("HTTP 404"), "{e}");
    assert!(
        e.ends_with(&format!(
            r#"{{"error":"unknown_evidence","reason":"no flag with evidence {unknown}"}}"#
        )),
        "{e}"
    );
    let e = get(&base, "/v1/evidence/xyz").await.unwrap_err();
    assert!(e.contains("HTTP 400"), "{e}");
    assert!(
        e.ends_with(r#"{"error":"bad_hash","reason":"\"xyz\" is not a sha256 (64 hex digits)"}"#),
        "{e}"
    );
    server.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

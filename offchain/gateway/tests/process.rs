//! The real `aip-gateway` binary as a subprocess on loopback: SIGKILLed while
//! accepting intents and restarted on the same database, it has lost no
//! acknowledged intent; the WebSocket stream reports accepted intents; SIGTERM
//! shuts it down cleanly.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aip_types::intent::SignedIntent;
use common::*;
use futures_util::StreamExt;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// A slot whose gate is at least half an hour away.
fn future_slot() -> u64 {
    (now() / 900 + 4) * 900
}

fn write_config(dir: &Path) -> std::path::PathBuf {
    write_config_gate(dir, 300)
}

fn write_config_gate(dir: &Path, gate: u64) -> std::path::PathBuf {
    let path = dir.join("gateway.toml");
    let text = format!(
        "listen = \"127.0.0.1:0\"\ngate_closure_seconds = {gate}\nfreeze_interval_ms = 200\ndatabase = \"{}\"\ncontract = \"{}\"\nbalance = {{ fixed = 1000000000000 }}\nrate_limit_burst = 100000\nrate_limit_per_minute = 100000\n[chain]\nchain_id = \"{CHAIN}\"\n",
        dir.join("gateway.sqlite").display(),
        domain().contract
    );
    std::fs::write(&path, text).expect("write config");
    path
}

/// Starts the binary and returns it with the address it printed.
fn start(config: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aip-gateway"))
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn aip-gateway");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read address line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, addr)
}

fn intents(n: u64, slot: u64) -> Vec<SignedIntent> {
    (0..n)
        .map(|i| {
            let k = key(&format!("household {}", i % 50));
            let intent = bid(&address_of(&k), i, slot);
            if i % 2 == 0 {
                sign_cosmos(&k, &intent)
            } else {
                sign_eth(&k, &intent)
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_intent_is_lost_when_killed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path());
    let (child, addr) = start(&config);
    let child = Reaper(Some(child));
    let all = intents(2000, future_slot());
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();

    // 8 clients post as fast as they can; the gateway is killed once 300 are
    // acknowledged, with many posts in flight.
    let mut tasks = vec![];
    for c in 0..8 {
        let mine: Vec<SignedIntent> = all.iter().skip(c).step_by(8).cloned().collect();
        let addr = addr.clone();
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let Ok(mut http) = Http::connect(&addr).await else {
                return;
            };
            for s in mine {
                let body = serde_json::to_string(&s).expect("json");
                match http.request("POST", "/v1/intents", Some(&body)).await {
                    Ok((201, answer)) => {
                        let v: serde_json::Value = serde_json::from_str(&answer).expect("json");
                        acked
                            .lock()
                            .expect("lock")
                            .push(v["hash"].as_str().expect("hash").to_string());
                    }
                    Ok((status, answer)) => panic!("refused {status}: {answer}"),
                    Err(_) => return, // killed
                }
            }
        }));
    }
    loop {
        if acked.lock().expect("lock").len() >= 300 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // SIGKILL on unix: no chance to flush anything.
    drop(child);
    for t in tasks {
        t.await.expect("client task");
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() >= 300 && acked.len() < 2000,
        "killed mid-run: {}",
        acked.len()
    );

    let (child, addr) = start(&config);
    let mut child = Reaper(Some(child));
    let mut http = Http::connect(&addr).await.expect("connect");
    for hash in &acked {
        let (status, body) = http
            .request("GET", &format!("/v1/intents/{hash}"), None)
            .await
            .expect("get");
        assert_eq!(status, 200, "acknowledged intent {hash} lost: {body}");
    }
    // Every acknowledged intent is refused as a duplicate, the others can be posted again.
    let acked_set: std::collections::HashSet<&String> = acked.iter().collect();
    let mut reposted = 0;
    for s in &all {
        let hash = hex::encode(s.intent.hash());
        let body = serde_json::to_string(s).expect("json");
        let (status, answer) = http
            .request("POST", "/v1/intents", Some(&body))
            .await
            .expect("post");
        if acked_set.contains(&hash) {
            assert_eq!(status, 409, "{answer}");
            assert!(answer.contains("\"duplicate\""), "{answer}");
        } else if status == 201 {
            reposted += 1;
        } else {
            // Stored before the kill but not yet acknowledged: allowed.
            assert!(answer.contains("\"duplicate\""), "{status} {answer}");
        }
    }
    assert!(reposted > 0);
    let (_, health) = http.request("GET", "/health", None).await.expect("health");
    let health: serde_json::Value = serde_json::from_str(&health).expect("json");
    assert_eq!(health["intents"], 2000);

    // SIGTERM: graceful shutdown, exit status 0.
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.0.as_ref().expect("child").id().to_string())
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let exit = child.0.take().expect("child").wait().expect("wait");
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_reports_accepted_and_cancelled_intents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path());
    let (child, addr) = start(&config);
    let child = Reaper(Some(child));
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/v1/stream"))
        .await
        .expect("websocket");
    let alice = key("alice");
    let i = bid(&address_of(&alice), 1, future_slot());
    let mut http = Http::connect(&addr).await.expect("connect");
    let body = serde_json::to_string(&sign_eth(&alice, &i)).expect("json");
    let (status, _) = http
        .request("POST", "/v1/intents", Some(&body))
        .await
        .expect("post");
    assert_eq!(status, 201);
    let cancel = serde_json::to_string(&cancel_cosmos(&alice, &i)).expect("json");
    let (status, _) = http
        .request(
            "POST",
            &format!("/v1/intents/{}/cancel", hex::encode(i.hash())),
            Some(&cancel),
        )
        .await
        .expect("cancel");
    assert_eq!(status, 200);

    let accepted = next_event(&mut ws).await;
    assert_eq!(accepted["type"], "accepted");
    assert_eq!(accepted["hash"], hex::encode(i.hash()));
    assert_eq!(accepted["signed"]["intent"]["owner"], i.owner);
    let cancelled = next_event(&mut ws).await;
    assert_eq!(cancelled["type"], "cancelled");
    assert_eq!(cancelled["hash"], hex::encode(i.hash()));
    drop(child);
}

async fn next_event<S>(ws: &mut S) -> serde_json::Value
where
    S: futures_util::Stream<
            Item = Result<
                tokio_tungstenite::tungstenite::Message,
                tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("event in time")
            .expect("open")
            .expect("message");
        let v: serde_json::Value =
            serde_json::from_str(msg.to_text().expect("text")).expect("json");
        // Gate closures of past slots are frozen (and announced) at start.
        if v["type"] != "frozen" {
            return v;
        }
    }
}

/// Kills the child if a test panics before it does.
struct Reaper(Option<Child>);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_frozen_book_is_published_and_re_cleared_by_verify_slot() {
    use aip_types::intent::Side;
    // A gate that closes six seconds from now for the next slot.
    let mut slot = (now() / 900 + 1) * 900;
    if slot - now() < 10 {
        slot += 900;
    }
    let gate = slot - now() - 6;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config_gate(dir.path(), gate);
    let (child, addr) = start(&config);
    let _child = Reaper(Some(child));
    let mut http = Http::connect(&addr).await.expect("connect");
    let people = [
        ("buyer a", Side::Buy, 2000, 300_000),
        ("buyer b", Side::Buy, 1000, 200_000),
        ("seller c", Side::Sell, 2500, 100_000),
    ];
    for (n, (who, side, wh, price)) in people.into_iter().enumerate() {
        let k = key(who);
        let mut i = bid(&address_of(&k), n as u64, slot);
        i.side = side;
        i.wh = wh;
        i.limit_price = price;
        i.meter = n as u32 + 1;
        let s = if n == 1 {
            sign_eth(&k, &i)
        } else {
            sign_cosmos(&k, &i)
        };
        let (status, body) = http
            .request(
                "POST",
                "/v1/intents",
                Some(&serde_json::to_string(&s).expect("json")),
            )
            .await
            .expect("post");
        assert_eq!(status, 201, "{body}");
    }
    let url = format!("http://{addr}/v1/book/{slot}/frozen");
    let mut text = None;
    for _ in 0..100 {
        let u = url.clone();
        match tokio::task::spawn_blocking(move || aip_matcher::verify::fetch(&u))
            .await
            .expect("join")
        {
            Ok(t) => {
                text = Some(t);
                break;
            }
            Err(e) => assert!(e.to_string().contains("HTTP 404"), "{e}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let frozen: aip_matcher::verify::FrozenBook =
        serde_json::from_str(&text.expect("frozen within 20 s")).expect("frozen book");
    assert_eq!(frozen.intents.len(), 3);
    let zones = [(1, 0), (2, 0), (3, 0)].into_iter().collect();
    let network = aip_matcher::Network {
        zones: vec![aip_matcher::Zone {
            id: 0,
            name: "feeder".to_string(),
            loss_bps: 0,
        }],
        corridors: vec![],
        loss_price: 0,
    };
    let book = aip_matcher::verify::book_from_frozen(&frozen, &domain(), &zones).expect("book");
    let committed = aip_matcher::clear(&book, &network, aip_matcher::Method::Auto).expect("clear");
    let report =
        aip_matcher::verify::verify_slot(&frozen, &domain(), &zones, &network, &committed, 0.0)
            .expect("an honest commit verifies");
    assert_eq!(report.intents, 3);
    assert!(
        (report.recomputed_welfare - 450_000.0).abs() < 1e-6,
        "{report:?}"
    );
    // Posting for the frozen slot is now refused.
    let k = key("late");
    let late = sign_cosmos(&k, &bid(&address_of(&k), 1, slot));
    let (status, body) = http
        .request(
            "POST",
            "/v1/intents",
            Some(&serde_json::to_string(&late).expect("json")),
        )
        .await
        .expect("post");
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("gate_closed"), "{body}");
}

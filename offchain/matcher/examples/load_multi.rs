//! Load on a real wasmd network through the production path: households
//! deposit AIP, sign intents and post them to the gateway (library server on
//! loopback, SQLite, balances from the chain); the online matcher agent
//! (`Agent::run` with the gateway, as `aip-matcher run --gateway` runs it)
//! commits each slot; after the slot the sellers' meters report device-signed
//! readings (meter-oracle, batches of 500), settlement fetches the deliveries
//! and, after the dispute window, settles. Not a test: a measurement.
//!
//! ```sh
//! ci/build-wasm.sh && ci/localnet-multi.sh start --fresh
//! eval "$(ci/localnet-multi.sh env | sed 's/^/export /')"
//! cargo run -p aip-matcher --example load_multi -- 1000 8 > load.json   # households, slots
//! ```
//!
//! Figures, recomputed from the chain afterwards (CometBFT RPC of the first
//! endpoint): block interval (wall clock of the blocks' own header times, the
//! test clock's jumps left out), transactions and `gas_used` per block
//! (`block_results`), the mempool backlog (`num_unconfirmed_txs`, sampled every
//! 250 ms), inclusion latency of every transaction this program sent (broadcast
//! to inclusion as chain-client waits for it, gas simulation included), and
//! the gas of each slot's `commit_intents`, readings, fetch and settle
//! transactions. Printed as one JSON document on stdout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aip_cli::deploy::{deploy, DeployOptions, MarketParams};
use aip_cli::market::{self, DeviceKey};
use aip_matcher::http;
use aip_matcher::online::{Agent, Deployment};
use aip_matcher::Method;
use aip_testing::localnet::{
    addr, advance, chain, endpoints, household_signer, meter_seed, multi, onboard, one_zone_grid,
    root, trades_of, LocalGateway, NewHousehold,
};
use aip_types::intent::sign::IntentKey;
use aip_types::intent::{IntentDomain, OrderIntent, Side as IntentSide};
use aip_types::SlotId;
use chain_client::{testnet, ChainConfig, Signer};
use serde_json::{json, Value};
use settlement::msg::{ExecuteMsg, QueryMsg, SlotStatusResponse};

const DEPOSIT: u128 = 50_000_000;
const WH: u64 = 1_000;

/// The first RPC endpoint (node 0 of the 4-validator network).
fn rpc0() -> String {
    endpoints().swap_remove(0)
}

fn rpc_get(path: &str) -> Value {
    let url = format!("{}/{path}", rpc0());
    let (status, text) = http::request("GET", &url, None).unwrap();
    assert_eq!(status, 200, "{url}: {text}");
    serde_json::from_str(&text).unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

struct Household {
    label: String,
    key: IntentKey,
    address: String,
    sells: bool,
    meter: u32,
}

impl Household {
    fn signer(&self) -> Signer {
        household_signer(&self.label)
    }
}

/// Wall-clock latencies (s) of the transactions sent, by kind.
type Latencies = Arc<Mutex<BTreeMap<&'static str, Vec<f64>>>>;

async fn timed<T>(
    lat: &Latencies,
    kind: &'static str,
    f: impl std::future::Future<Output = T>,
) -> T {
    let t = Instant::now();
    let out = f.await;
    lat.lock()
        .unwrap()
        .entry(kind)
        .or_default()
        .push(t.elapsed().as_secs_f64());
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let slots: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(8);
    assert!(
        n >= 2 && n.is_multiple_of(2),
        "an even number of households"
    );
    let started = Instant::now();
    let lat: Latencies = Arc::default();
    let out =
        std::env::temp_dir().join(format!("load-multi-deployment-{}.json", std::process::id()));
    let db = tempfile::tempdir().unwrap();

    let admin = chain()
        .await
        .with_signer(testnet::signer("validator", "wasm").unwrap());
    let params = MarketParams {
        max_batch: 500,
        ..MarketParams::default()
    };
    let balances = vec![(addr("alice"), 1_000_000_000_000_000)];
    let opts = DeployOptions::localnet(
        root().join("artifacts"),
        out.clone(),
        balances,
        params.clone(),
    )
    .unwrap();
    let d = deploy(&admin, &opts).await.expect("deploy").deployment;
    let settlement = d.address("settlement").unwrap().to_string();
    let token = d.address("aip-token").unwrap().to_string();
    let mo = d.address("meter-oracle").unwrap().to_string();
    let rep = d.address("reputation").unwrap().to_string();
    let as_acc = |name: &str| {
        let name = name.to_string();
        async move {
            chain()
                .await
                .with_signer(testnet::signer(&name, "wasm").unwrap())
        }
    };
    let (alice, oracle) = (as_acc("alice").await, as_acc("oracle").await);
    one_zone_grid(&settlement, 1).await;

    // Households: gas, AIP, reputation tokens, meters (batches), deposits (own keys).
    let mut hh: Vec<Household> = (0..n)
        .map(|i| {
            let label = format!("load household {i} of {n}");
            let key = IntentKey::from_label(&label);
            let address = key.address("wasm");
            Household {
                label,
                key,
                address,
                sells: i < n / 2,
                meter: 0,
            }
        })
        .collect();
    let (h_start, _) = alice.latest_block().await.unwrap();
    let new: Vec<NewHousehold> = hh
        .iter()
        .map(|h| NewHousehold {
            label: h.label.clone(),
            node: 1,
            aip: DEPOSIT,
        })
        .collect();
    let meters = onboard(&new, &token, &rep, &mo, 200_000_000, 100, |t| {
        lat.lock()
            .unwrap()
            .entry("onboarding batch")
            .or_default()
            .push(t.as_secs_f64());
    })
    .await;
    for (h, meter) in hh.iter_mut().zip(meters) {
        h.meter = meter;
    }
    let devices: BTreeMap<u32, DeviceKey> = hh
        .iter()
        .map(|h| (h.meter, DeviceKey::from_seed(meter_seed(&h.label))))
        .collect();
    eprintln!("onboarded {n} households in {:?}", started.elapsed());

    // The mempool sampler (every 250 ms, first endpoint).
    let backlog: Arc<Mutex<Vec<u64>>> = Arc::default();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sampler = {
        let backlog = backlog.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            loop {
                let v = tokio::task::spawn_blocking(|| rpc_get("num_unconfirmed_txs"))
                    .await
                    .unwrap();
                let k = v["result"]["n_txs"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                backlog.lock().unwrap().push(k);
                tokio::select! {
                    _ = stop.changed() => return,
                    _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                }
            }
        })
    };

    // Deposits: every household its own cw20 Send, 100 in flight at a time.
    let base = chain().await;
    for chunk in hh.chunks(100) {
        let mut set = tokio::task::JoinSet::new();
        for h in chunk {
            let c = base.with_signer(h.signer());
            let call = market::deposit(&d, DEPOSIT).unwrap();
            let lat = lat.clone();
            set.spawn(async move {
                timed(&lat, "deposit", c.execute_multi(vec![call]))
                    .await
                    .map(|tx| tx.gas_used)
            });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap().expect("deposit");
        }
    }
    eprintln!("deposits done at {:?}", started.elapsed());

    // The gateway and the agent.
    let cfg = gateway::Config {
        listen: "127.0.0.1:0".into(),
        database: db.path().join("gateway.sqlite"),
        contract: settlement.clone(),
        gate_closure_seconds: params.gate_closure_secs,
        freeze_interval_ms: 200,
        rate_limit_per_minute: 1_000_000,
        rate_limit_burst: 100_000,
        balance: gateway::BalanceConfig::Chain,
        chain: ChainConfig::from_env(),
        ..gateway::Config::default()
    };
    let balance = LocalGateway::chain_balance(&settlement).await;
    let gateway = LocalGateway::start(cfg.clone(), balance).await;
    let url = gateway.url.clone();
    let file = Deployment::load(&out).unwrap();
    let agent = Agent::new(
        chain()
            .await
            .with_signer(testnet::signer("matcher", "wasm").unwrap()),
        &file,
        Method::Auto,
    )
    .await
    .unwrap()
    .with_gateway(url.clone());
    let mut agent_stop = stop_rx.clone();
    let agent_task = tokio::spawn(async move {
        agent
            .run(Duration::from_secs(1), async move {
                let _ = agent_stop.changed().await;
            })
            .await
    });

    let domain = IntentDomain {
        chain_id: d.chain_id.clone(),
        contract: settlement.clone(),
    };
    let mut per_slot = vec![];
    for k in 0..slots {
        let (_, now) = alice.latest_block().await.unwrap();
        let slot = market::next_open_slot(now as u64, params.gate_closure_secs, 120);
        // Every household signs and posts its intent (4 posting threads).
        let bodies: Vec<String> = hh
            .iter()
            .map(|h| {
                let side = if h.sells {
                    IntentSide::Sell
                } else {
                    IntentSide::Buy
                };
                let i = OrderIntent {
                    nonce: k as u64 + 1,
                    meter: h.meter,
                    wh: WH,
                    limit_price: if h.sells { 150_000 } else { 250_000 },
                    ..OrderIntent::for_slot(&domain, &h.address, slot, side)
                };
                serde_json::to_string(&h.key.sign_cosmos(&i)).unwrap()
            })
            .collect();
        let post_t = Instant::now();
        let mut posts = vec![];
        for part in bodies.chunks(bodies.len().div_ceil(4)) {
            let part = part.to_vec();
            let u = url.clone();
            posts.push(tokio::task::spawn_blocking(move || {
                part.iter()
                    .map(|b| {
                        http::request("POST", &format!("{u}/v1/intents"), Some(b))
                            .unwrap()
                            .0
                    })
                    .collect::<Vec<u16>>()
            }));
        }
        for p in posts {
            assert!(p.await.unwrap().iter().all(|s| *s == 201));
        }
        let post_secs = post_t.elapsed().as_secs_f64();
        // Gate closure: the agent commits.
        let (_, now) = alice.latest_block().await.unwrap();
        advance((slot - params.gate_closure_secs).saturating_sub(now as u64) + 2);
        let gate = Instant::now();
        let st = loop {
            let st: SlotStatusResponse = alice
                .query(&settlement, &QueryMsg::SlotStatus { slot: SlotId(slot) })
                .await
                .unwrap();
            if st.trades > 0 {
                break st;
            }
            assert!(
                gate.elapsed() < Duration::from_secs(300),
                "slot {slot} not committed: {st:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let commit_secs = gate.elapsed().as_secs_f64();
        let q = format!("\"wasm._contract_address='{settlement}' AND wasm.action='commit_intents' AND wasm.slot='{slot}'\"");
        let enc: String = q
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        // The transaction index may lag the state by a block: ask until it has it.
        let mut found = Value::Null;
        for _ in 0..100 {
            let e = enc.clone();
            found = tokio::task::spawn_blocking(move || rpc_get(&format!("tx_search?query={e}")))
                .await
                .unwrap();
            if found["result"]["txs"][0].is_object() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let commit = &found["result"]["txs"][0];
        let commit_gas: u64 = commit["tx_result"]["gas_used"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let commit_bytes = commit["tx"].as_str().map(|t| t.len() * 3 / 4).unwrap_or(0);
        // After the slot: readings (batches of 500), fetch, dispute window, settle.
        let (_, now) = alice.latest_block().await.unwrap();
        advance((slot + 900).saturating_sub(now as u64) + 2);
        let trades = trades_of(&alice, &settlement, slot).await;
        let mut sold: BTreeMap<u32, u128> = BTreeMap::new();
        for t in &trades {
            *sold.entry(t.meter).or_default() += t.wh.u128();
        }
        let readings: Vec<meter_oracle::msg::SignedReading> = sold
            .iter()
            .map(|(m, w)| {
                serde_json::from_value(devices[m].reading(&d, *m, slot, *w, 0).unwrap()).unwrap()
            })
            .collect();
        let mut readings_gas = 0;
        for batch in readings.chunks(500) {
            let tx = timed(
                &lat,
                "readings",
                oracle.execute(
                    &mo,
                    &meter_oracle::msg::ExecuteMsg::SubmitReadings {
                        slot: SlotId(slot),
                        readings: batch.to_vec(),
                    },
                    &[],
                ),
            )
            .await
            .unwrap();
            readings_gas += tx.gas_used;
        }
        let mut fetch_gas = 0;
        loop {
            let tx = timed(
                &lat,
                "fetch",
                alice.execute(
                    &settlement,
                    &ExecuteMsg::FetchDeliveries {
                        slot: SlotId(slot),
                        limit: Some(500),
                    },
                    &[],
                ),
            )
            .await
            .unwrap();
            fetch_gas += tx.gas_used;
            let st: SlotStatusResponse = alice
                .query(&settlement, &QueryMsg::SlotStatus { slot: SlotId(slot) })
                .await
                .unwrap();
            if st.meters_reported == st.meters {
                break;
            }
        }
        let st2: SlotStatusResponse = alice
            .query(&settlement, &QueryMsg::SlotStatus { slot: SlotId(slot) })
            .await
            .unwrap();
        let (_, now) = alice.latest_block().await.unwrap();
        advance(st2.settle_from.expect("final").saturating_sub(now as u64) + 2);
        let mut settle_gas = 0;
        loop {
            let tx = timed(
                &lat,
                "settle",
                alice.execute(
                    &settlement,
                    &ExecuteMsg::Settle {
                        slot: SlotId(slot),
                        limit: Some(500),
                    },
                    &[],
                ),
            )
            .await
            .unwrap();
            settle_gas += tx.gas_used;
            let st: SlotStatusResponse = alice
                .query(&settlement, &QueryMsg::SlotStatus { slot: SlotId(slot) })
                .await
                .unwrap();
            if st.fully_settled {
                break;
            }
        }
        let wh: u128 = trades.iter().map(|t| t.wh.u128()).sum();
        eprintln!("slot {k} ({slot}): {} trades {wh} Wh, posted {n} intents in {post_secs:.1} s, committed {commit_secs:.1} s after gate closure, gas commit {commit_gas} readings {readings_gas} fetch {fetch_gas} settle {settle_gas}", trades.len());
        per_slot.push(json!({
            "slot": slot, "trades": trades.len(), "wh": wh as u64, "sellers_metered": sold.len(),
            "intents_posted": n, "post_secs": post_secs, "commit_after_gate_secs": commit_secs,
            "commit_gas": commit_gas, "commit_tx_bytes": commit_bytes, "readings_gas": readings_gas,
            "fetch_gas": fetch_gas, "settle_gas": settle_gas, "trades_on_chain": st.trades,
        }));
    }
    let _ = stop_tx.send(true);
    agent_task.await.unwrap().unwrap();
    sampler.await.unwrap();
    gateway.stop().await;
    let (h_end, _) = alice.latest_block().await.unwrap();

    // Blocks from the chain: header times, txs, gas used.
    let mut times = vec![];
    let mut gas_per_block = vec![];
    let mut txs_per_block = vec![];
    for h in h_start..=h_end {
        let b = tokio::task::spawn_blocking(move || {
            (
                rpc_get(&format!("block?height={h}")),
                rpc_get(&format!("block_results?height={h}")),
            )
        })
        .await
        .unwrap();
        let t = b.0["result"]["block"]["header"]["time"]
            .as_str()
            .unwrap()
            .to_string();
        times.push(t);
        let results = b.1["result"]["txs_results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        txs_per_block.push(results.len() as f64);
        gas_per_block.push(
            results
                .iter()
                .map(|r| {
                    r["gas_used"]
                        .as_str()
                        .and_then(|s| s.parse::<u64>().ok())
                        .unwrap_or(0)
                })
                .sum::<u64>() as f64,
        );
    }
    let secs: Vec<f64> = times
        .iter()
        .map(|t| {
            let (date, rest) = t.split_once('T').unwrap();
            let ymd: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
            let hms = rest.trim_end_matches('Z');
            let parts: Vec<&str> = hms.split(':').collect();
            let days = days_from_civil(ymd[0], ymd[1], ymd[2]);
            (days * 86_400
                + parts[0].parse::<i64>().unwrap() * 3600
                + parts[1].parse::<i64>().unwrap() * 60) as f64
                + parts[2].parse::<f64>().unwrap()
        })
        .collect();
    let mut intervals: Vec<f64> = secs
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d < 60.0)
        .collect();
    let jumps = secs.windows(2).filter(|w| w[1] - w[0] >= 60.0).count();
    intervals.sort_by(f64::total_cmp);
    let mut gas_sorted = gas_per_block.clone();
    gas_sorted.sort_by(f64::total_cmp);
    let mut backlog_sorted: Vec<f64> = backlog.lock().unwrap().iter().map(|v| *v as f64).collect();
    backlog_sorted.sort_by(f64::total_cmp);
    let mut latency = serde_json::Map::new();
    for (kind, v) in lat.lock().unwrap().iter_mut() {
        v.sort_by(f64::total_cmp);
        latency.insert(kind.to_string(), json!({"n": v.len(), "p50": percentile(v, 0.5), "p99": percentile(v, 0.99), "max": v.last()}));
    }
    let params_v = rpc_get("consensus_params");
    let report = json!({
        "households": n, "slots": slots, "endpoints": if multi() { 4 } else { 1 },
        "heights": [h_start, h_end], "blocks": h_end - h_start + 1,
        "block_max_gas": params_v["result"]["consensus_params"]["block"]["max_gas"],
        "block_max_bytes": params_v["result"]["consensus_params"]["block"]["max_bytes"],
        "block_interval_s": {"n": intervals.len(), "p50": percentile(&intervals, 0.5), "p99": percentile(&intervals, 0.99), "max": intervals.last(), "mean": intervals.iter().sum::<f64>() / intervals.len().max(1) as f64, "clock_jumps_left_out": jumps},
        "gas_per_block": {"p50": percentile(&gas_sorted, 0.5), "p99": percentile(&gas_sorted, 0.99), "max": gas_sorted.last(), "total": gas_sorted.iter().sum::<f64>()},
        "txs_per_block_max": txs_per_block.iter().cloned().fold(0.0, f64::max),
        "txs_total": txs_per_block.iter().sum::<f64>(),
        "mempool_backlog": {"samples": backlog_sorted.len(), "p50": percentile(&backlog_sorted, 0.5), "p99": percentile(&backlog_sorted, 0.99), "max": backlog_sorted.last()},
        "inclusion_latency_s": latency,
        "per_slot": per_slot,
        "wall_s": started.elapsed().as_secs_f64(),
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    let _ = std::fs::remove_file(&out);
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

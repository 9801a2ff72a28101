//! Gas and latency on the real localnet (wasmd), printed as a markdown table
//! for docs/benchmarks.md:
//!
//! ```sh
//! ci/build-wasm.sh && ci/localnet.sh start
//! cargo bench -p aip-cli --features e2e --bench localnet
//! ```
//!
//! SDK gas as wasmd reports it (`gas_used` of the included transaction) for:
//! store of every artifact, instantiate, a cw20 transfer, one bid, commits of
//! 1/10/100 trades and settlements of the same, plus the median time from
//! broadcast to the client seeing the transaction in a block.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use aip_cli::deploy::{artifacts, deploy, DeployOptions, KycMode, MarketParams, Roles};
use aip_cli::market::{self, DeviceKey};
use chain_client::{testnet, ChainClient, ChainConfig, Execute, TxResponse};
use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn addr(name: &str) -> String {
    testnet::signer(name, "wasm").unwrap().address().to_string()
}

async fn as_account(chain: &ChainClient, name: &str) -> ChainClient {
    chain.with_signer(testnet::signer(name, "wasm").unwrap())
}

fn advance(secs: u64) {
    let st = std::process::Command::new(root().join("ci/localnet.sh"))
        .args(["advance", &secs.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

struct Rows(Vec<(String, u64, String)>);

impl Rows {
    fn add(&mut self, what: impl Into<String>, gas: u64, note: impl Into<String>) {
        let what = what.into();
        eprintln!("{what}: {gas}");
        self.0.push((what, gas, note.into()));
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let chain = ChainClient::connect(ChainConfig::from_env())
        .await
        .expect("the localnet is not running: ci/localnet.sh start");
    let admin = as_account(&chain, "validator").await;
    let mut rows = Rows(vec![]);
    let mut latencies: Vec<Duration> = vec![];
    let mut note = |tx: &TxResponse| latencies.push(tx.elapsed);

    // Store: every artifact, uploaded again (wasmd accepts duplicates).
    for art in artifacts(&root().join("artifacts")).unwrap() {
        let wasm = std::fs::read(&art.path).unwrap();
        let s = admin.store(&wasm).await.unwrap();
        note(&s.tx);
        rows.add(
            format!("store {}", art.name),
            s.tx.gas_used,
            format!("{} bytes", wasm.len()),
        );
    }

    // Instantiate: a fresh deployment (codes reused).
    let out = std::env::temp_dir().join(format!("aip-bench-{}.json", std::process::id()));
    let mut roles = Roles::all(&addr("validator"));
    roles.grid_operator = addr("dso");
    roles.matcher = addr("matcher");
    roles.oracle = addr("oracle");
    let market_params = MarketParams::default();
    let report = deploy(
        &admin,
        &DeployOptions {
            artifacts: root().join("artifacts"),
            out: out.clone(),
            roles,
            initial_balances: ["alice", "bob"]
                .iter()
                .map(|n| (addr(n), 1_000_000_000_000))
                .collect(),
            market: market_params.clone(),
            oracle_quorum: 1,
            // No KYC proofs here: the reputation admin mints.
            zk_verifying_key: None,
            kyc: KycMode::AdminMints,
        },
    )
    .await
    .unwrap();
    for (n, _, gas) in &report.instantiated {
        rows.add(format!("instantiate {n}"), *gas, "");
    }
    for (n, action, gas) in &report.wired {
        rows.add(format!("wire {n} {action}"), *gas, "");
    }
    let d = report.deployment;
    let token = d.address("aip-token").unwrap().to_string();
    let alice = as_account(&chain, "alice").await;
    let bob = as_account(&chain, "bob").await;

    // cw20 transfers (also the latency sample).
    let mut transfer_gas = vec![];
    for i in 0..20u32 {
        let tx = alice
            .execute(
                &token,
                &json!({"transfer": {"recipient": addr("carol"), "amount": (1000 + i).to_string()}}),
                &[],
            )
            .await
            .unwrap();
        transfer_gas.push(tx.gas_used);
        note(&tx);
    }
    transfer_gas.sort();
    rows.add(
        "cw20 transfer",
        transfer_gas[transfer_gas.len() / 2],
        "median of 20",
    );

    if d.contracts.contains_key("settlement") {
        let settlement = d.address("settlement").unwrap().to_string();
        let mo = d.address("meter-oracle").unwrap().to_string();
        let rep = d.address("reputation").unwrap().to_string();
        let dso = as_account(&chain, "dso").await;
        let matcher = as_account(&chain, "matcher").await;
        let oracle = as_account(&chain, "oracle").await;
        dso.execute(
            &settlement,
            &json!({"upsert_zone": {"zone": {"id": 1, "name": "feeder A"}}}),
            &[],
        )
        .await
        .unwrap();
        dso.execute(
            &settlement,
            &json!({"set_node_zones": {"nodes": [{"node": 1, "zone": 1}]}}),
            &[],
        )
        .await
        .unwrap();
        let ka = DeviceKey::from_seed([7; 32]);
        let kb = DeviceKey::from_seed([8; 32]);
        let mut meters = vec![];
        for (owner, key) in [(addr("alice"), &ka), (addr("bob"), &kb)] {
            let tx = dso
                .execute(&mo, &json!({"register_meter": {"owner": owner, "node": 1, "pubkey": key.public_key()}}), &[])
                .await
                .unwrap();
            meters.push(tx.wasm_attribute("meter").unwrap().parse::<u32>().unwrap());
        }
        for who in ["alice", "bob"] {
            let r: Value = chain
                .query(&rep, &json!({"reputation": {"account": addr(who)}}))
                .await
                .unwrap();
            if r["registered"] != true {
                admin
                    .execute(&rep, &json!({"mint_for": {"owner": addr(who)}}), &[])
                    .await
                    .unwrap();
            }
        }
        let terms: Value = chain
            .query(&rep, &json!({"trading_terms": {"account": addr("bob")}}))
            .await
            .unwrap();
        let ratio = terms["collateral_ratio_bps"].as_u64().unwrap() as u32;
        let (_, now) = chain.latest_block().await.unwrap();
        let slot = market::next_open_slot(now as u64, market_params.gate_closure_secs, 60);
        let (wh, max_price, min_price, price) = (1_000u128, 250_000u128, 200_000u128, 220_000u128);

        // One bid on its own, then the rest in batches.
        let one = alice
            .execute_multi(vec![market::place_bid(
                &d, slot, 1, meters[0], wh, max_price,
            )
            .unwrap()])
            .await
            .unwrap();
        note(&one);
        rows.add(
            "place a bid (cw20 send + hook)",
            one.gas_used,
            "one order per tx",
        );
        let mut bids = vec![one
            .wasm_attribute("order_id")
            .unwrap()
            .parse::<u64>()
            .unwrap()];
        let mut offers = vec![];
        let collateral = market::offer_collateral(
            wh,
            min_price,
            MarketParams::default().collateral_floor_price,
            ratio,
        )
        .unwrap();
        let one = bob
            .execute_multi(vec![market::place_offer(
                &d, slot, 1, meters[1], wh, min_price, collateral,
            )
            .unwrap()])
            .await
            .unwrap();
        rows.add(
            "place an offer (cw20 send + hook)",
            one.gas_used,
            "one order per tx",
        );
        offers.push(
            one.wasm_attribute("order_id")
                .unwrap()
                .parse::<u64>()
                .unwrap(),
        );
        for _ in 0..4 {
            let calls: Vec<Execute> = (0..28)
                .map(|_| market::place_bid(&d, slot, 1, meters[0], wh, max_price).unwrap())
                .collect();
            let tx = alice.execute_multi(calls).await.unwrap();
            bids.extend(
                tx.attributes("wasm", "order_id")
                    .iter()
                    .map(|s| s.parse::<u64>().unwrap()),
            );
            let calls: Vec<Execute> = (0..28)
                .map(|_| {
                    market::place_offer(&d, slot, 1, meters[1], wh, min_price, collateral).unwrap()
                })
                .collect();
            let tx = bob.execute_multi(calls).await.unwrap();
            offers.extend(
                tx.attributes("wasm", "order_id")
                    .iter()
                    .map(|s| s.parse::<u64>().unwrap()),
            );
        }
        assert!(
            bids.len() >= 111 && offers.len() >= 111,
            "{} {}",
            bids.len(),
            offers.len()
        );
        let mut next = 0usize;
        for n in [1usize, 10, 100] {
            let trades: Vec<market::Trade> = (next..next + n)
                .map(|i| (bids[i], offers[i], wh, price))
                .collect();
            next += n;
            let tx = matcher
                .execute_multi(vec![market::commit_matches(&d, slot, &trades).unwrap()])
                .await
                .unwrap();
            note(&tx);
            rows.add(
                format!("commit {n} trade(s)"),
                tx.gas_used,
                format!("{} per trade", tx.gas_used / n as u64),
            );
        }
        // Deliveries: every matched Wh delivered.
        let (_, now) = chain.latest_block().await.unwrap();
        advance(slot + 900 + 5 - now as u64);
        let total = wh * next as u128;
        let readings = vec![
            ka.reading(&d, meters[0], slot, 0, total).unwrap(),
            kb.reading(&d, meters[1], slot, total, 0).unwrap(),
        ];
        let tx = oracle
            .execute(
                &mo,
                &json!({"submit_readings": {"slot": slot, "readings": readings}}),
                &[],
            )
            .await
            .unwrap();
        rows.add(
            "submit 2 device-signed readings",
            tx.gas_used,
            "meter-oracle",
        );
        let tx = alice
            .execute(
                &settlement,
                &json!({"fetch_deliveries": {"slot": slot, "limit": null}}),
                &[],
            )
            .await
            .unwrap();
        rows.add(
            "fetch deliveries (2 meters)",
            tx.gas_used,
            "settlement ← meter-oracle",
        );
        advance(market_params.dispute_window_secs + 5);
        for n in [1u32, 10, 100] {
            let tx = alice
                .execute(
                    &settlement,
                    &json!({"settle": {"slot": slot, "limit": n}}),
                    &[],
                )
                .await
                .unwrap();
            note(&tx);
            rows.add(
                format!("settle {n} trade(s)"),
                tx.gas_used,
                format!("{} per trade", tx.gas_used / n as u64),
            );
        }
    }

    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let max = latencies[latencies.len() - 1];
    println!("| operation | SDK gas (wasmd) | note |");
    println!("| --- | ---: | --- |");
    for (what, gas, note) in &rows.0 {
        println!("| {what} | {gas} | {note} |");
    }
    println!();
    println!(
        "Broadcast to inclusion: median {:.2} s, max {:.2} s over {} transactions.",
        median.as_secs_f64(),
        max.as_secs_f64(),
        latencies.len()
    );
    let _ = std::fs::remove_file(out);
}

//! Gas and latency on the real localnet (wasmd), printed as a markdown table
//! for docs/benchmarks.md:
//!
//! ```sh
//! ci/build-wasm.sh && ci/localnet.sh start
//! cargo bench -p aip-cli --features e2e --bench localnet
//! ```
//!
//! SDK gas as wasmd reports it (`gas_used` of the included transaction) for:
//! store of every artifact, instantiate, a cw20 transfer, a deposit, one
//! `commit_intents` of 1, 10 and 100 trades between signed intents (one slot
//! each) and the settlements of the same, a `commit_intents` of 100 trades
//! that carries the settlement of an earlier slot of 100 (`settle`), a
//! withdrawal, plus the median time from broadcast to the client seeing the
//! transaction in a block.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use aip_cli::deploy::{artifacts, deploy, DeployOptions, MarketParams};
use aip_cli::market::{self, DeviceKey, OrderTerms, WalletKey};
use aip_testing::localnet::{addr, advance, one_zone_grid, root};
use aip_types::intent::Side;
use chain_client::{testnet, ChainClient, ChainConfig, TxResponse};
use serde_json::{json, Value};

/// The wallet key of the test account `name` (its transactions and intents).
fn wallet(name: &str) -> WalletKey {
    WalletKey::from_mnemonic(
        testnet::mnemonic(name).unwrap(),
        chain_client::COSMOS_HD_PATH,
        "wasm",
    )
    .unwrap()
}

async fn as_account(chain: &ChainClient, name: &str) -> ChainClient {
    chain.with_signer(testnet::signer(name, "wasm").unwrap())
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
    let market_params = MarketParams::default();
    let balances = ["alice", "bob"]
        .iter()
        .map(|n| (addr(n), 1_000_000_000_000))
        .collect();
    let report = deploy(
        &admin,
        &DeployOptions::localnet(
            root().join("artifacts"),
            out.clone(),
            balances,
            market_params.clone(),
        )
        .unwrap(),
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
        one_zone_grid(&settlement, 1).await;
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
        let (_, now) = chain.latest_block().await.unwrap();
        let first = market::next_open_slot(now as u64, market_params.gate_closure_secs, 60);
        let (wh, max_price, min_price, price) = (1_000u64, 250_000u64, 200_000u64, 220_000u128);

        // A deposit each (once a day in practice), then no transaction per order.
        for (c, who) in [(&alice, "alice"), (&bob, "bob")] {
            let tx = c
                .execute_multi(vec![market::deposit(&d, 100_000_000).unwrap()])
                .await
                .unwrap();
            note(&tx);
            rows.add(
                format!("deposit ({who}: cw20 send + hook)"),
                tx.gas_used,
                "once, not per order",
            );
        }
        // One commit per slot: 1, 10 and 100 trades, each between a bid
        // intent of Alice (ADR-036) and an offer intent of Bob (EIP-712).
        let (wa, wb) = (wallet("alice"), wallet("bob"));
        // The fourth slot (100 trades) is not settled on its own: a later
        // commit of 100 trades carries its settlement.
        let sizes = [1usize, 10, 100, 100];
        let carried = first + 900 * 3;
        let mut nonce = 0u64;
        let mut sign_slot = |slot: u64, n: usize| {
            let mut intents = vec![];
            for (w, side, m, p) in [
                (&wa, Side::Buy, meters[0], max_price),
                (&wb, Side::Sell, meters[1], min_price),
            ] {
                for _ in 0..n {
                    nonce += 1;
                    let terms = OrderTerms {
                        side,
                        slot,
                        meter: m,
                        wh,
                        limit_price: p,
                    };
                    let i = market::order_intent(&d, &w.address(), nonce, &terms).unwrap();
                    intents.push(w.sign(&i, side == Side::Sell));
                }
            }
            let trades: Vec<market::IntentTrade> = (0..n as u32)
                .map(|i| (i, n as u32 + i, u128::from(wh), price))
                .collect();
            (intents, trades)
        };
        for (k, &n) in sizes.iter().enumerate() {
            let slot = first + 900 * k as u64;
            let (intents, trades) = sign_slot(slot, n);
            let tx = matcher
                .execute_multi(vec![
                    market::commit_intents(&d, slot, &intents, &trades).unwrap()
                ])
                .await
                .unwrap();
            note(&tx);
            rows.add(
                format!("commit_intents: {n} trade(s), {} signed intents", 2 * n),
                tx.gas_used,
                format!("{} per trade", tx.gas_used / n as u64),
            );
        }
        // Deliveries: every matched Wh delivered.
        let last = first + 900 * (sizes.len() as u64 - 1);
        let (_, now) = chain.latest_block().await.unwrap();
        advance(last + 900 + 5 - now as u64);
        for (k, &n) in sizes.iter().enumerate() {
            let slot = first + 900 * k as u64;
            let total = u128::from(wh) * n as u128;
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
            let fetch = alice
                .execute(
                    &settlement,
                    &json!({"fetch_deliveries": {"slot": slot, "limit": null}}),
                    &[],
                )
                .await
                .unwrap();
            if k == 0 {
                rows.add(
                    "submit 2 device-signed readings",
                    tx.gas_used,
                    "meter-oracle",
                );
                rows.add(
                    "fetch deliveries (2 meters)",
                    fetch.gas_used,
                    "settlement ← meter-oracle",
                );
            }
        }
        advance(market_params.dispute_window_secs + 5);
        for (k, &n) in sizes.iter().enumerate() {
            let slot = first + 900 * k as u64;
            if slot == carried {
                continue;
            }
            let tx = alice
                .execute(
                    &settlement,
                    &json!({"settle": {"slot": slot, "limit": null}}),
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
        // A later slot's commit of 100 trades between the same two accounts
        // carries the fourth slot's settlement: against the commit of 100
        // and the settle of 100 above, one transaction instead of two.
        let (_, now) = chain.latest_block().await.unwrap();
        let later = market::next_open_slot(now as u64, market_params.gate_closure_secs, 60);
        let (intents, trades) = sign_slot(later, 100);
        let tx = matcher
            .execute_multi(vec![market::commit_intents_settling(
                &d,
                later,
                &intents,
                &trades,
                &[carried],
            )
            .unwrap()])
            .await
            .unwrap();
        note(&tx);
        let st: Value = chain
            .query(&settlement, &json!({"slot_status": {"slot": carried}}))
            .await
            .unwrap();
        assert_eq!(st["fully_settled"], true, "{st}");
        rows.add(
            "commit_intents: 100 trades carrying the settlement of 100 (an earlier slot)",
            tx.gas_used,
            format!("{} per trade", tx.gas_used / 100),
        );
        let tx = alice
            .execute_multi(vec![market::withdraw(&d, None).unwrap()])
            .await
            .unwrap();
        rows.add("withdraw (all free)", tx.gas_used, "");
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

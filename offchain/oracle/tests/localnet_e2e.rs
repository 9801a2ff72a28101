//! End to end on the wasmd localnet (`ci/localnet.sh start`, `ci/build-wasm.sh
//! meter-oracle`): deploy the contract, register 200 meters, let the agent
//! replay 200 households × 5 slots through `chain-client`, and measure
//! readings per second and the SDK gas per reading wasmd charged.
//! Behind the `e2e` feature (ci/test.sh runs it on its own localnet):
//!
//! ```sh
//! cargo test -p aip-oracle --features e2e --test localnet_e2e -- --nocapture
//! ```
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking
#![cfg(feature = "e2e")]

use std::sync::Arc;
use std::time::Instant;

use aip_oracle::keys::DeviceKeys;
use aip_oracle::queue::Queue;
use aip_oracle::submit::{ChainSubmitter, Submitter};
use aip_oracle::Config;
use aip_testing::localnet::{deploy_meter_oracle, device_key, register_meters};
use aip_types::SlotId;
use chain_client::{testnet, ChainClient, ChainConfig};
use meter_oracle::msg::Tolerance;

const FIRST_SLOT: u64 = 1_451_606_400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_replays_profiles_onto_the_localnet() {
    let (households, slots) = (200u32, 5u64);
    let chain = ChainClient::connect(ChainConfig::from_env())
        .await
        .expect("localnet (ci/localnet.sh start)");
    let prefix = chain.config().prefix.clone();
    let oracle_signer = testnet::signer("oracle", &prefix).expect("oracle");
    let operator = oracle_signer.address().to_string();

    let contract = deploy_meter_oracle(
        vec![operator.clone()],
        1,
        Tolerance::default(),
        "meter-oracle-e2e",
    )
    .await;
    let mut keys = DeviceKeys::default();
    for (m, key) in register_meters(&contract, &operator, households, 3, 50).await {
        keys.insert(m, key);
    }

    let dir = tempfile::tempdir().expect("tmp");
    let mut csv = String::from("slot");
    for h in 0..households {
        csv.push_str(&format!(",load_{h},pv_{h}"));
    }
    csv.push('\n');
    for s in 0..slots {
        csv.push_str(&(FIRST_SLOT + s * 900).to_string());
        for h in 0..households as u64 {
            csv.push_str(&format!(
                ",{},{}",
                50 + (h * 7 + s * 13) % 300,
                (h * s * 11) % 400
            ));
        }
        csv.push('\n');
    }
    std::fs::write(dir.path().join("p.csv"), csv).expect("csv");
    // The node of ChainConfig::from_env() (ci/test.sh runs its own localnet on
    // other ports), for the binary below as well.
    let chain_toml = format!(
        "[chain]\nrpc_url = \"{}\"\nchain_id = \"{}\"\nprefix = \"{prefix}\"\n",
        chain.config().rpc_url,
        chain.config().chain_id,
    );
    let cfg = Config::parse(&format!(
        r#"
        contract = "{contract}"
        operator = "oracle"
        {chain_toml}
        [queue]
        path = "{q}"
        [submit]
        min_slot_age_secs = 0
        progress_secs = 2
        exit_when_done = true
        [[source]]
        kind = "profiles"
        path = "{p}"
        "#,
        q = dir.path().join("q.sqlite").display(),
        p = dir.path().join("p.csv").display(),
    ))
    .expect("config");
    let client = chain.with_signer(oracle_signer);
    let submitter = Arc::new(ChainSubmitter::new(client, contract.clone()).expect("submitter"));

    let started = Instant::now();
    let stats = aip_oracle::run(&cfg, keys, submitter.clone(), std::future::pending())
        .await
        .expect("agent");
    let secs = started.elapsed().as_secs_f64();
    let total = u64::from(households) * slots;
    assert_eq!(stats.submitted, total);
    let c = Queue::open(&cfg.queue.path)
        .expect("queue")
        .counts()
        .expect("counts");
    assert_eq!((c.done, c.rejected), (total, 0));
    let meters: Vec<u32> = (1..=households).collect();
    for s in 0..slots {
        let got = submitter
            .reported(SlotId(FIRST_SLOT + s * 900), &meters)
            .await
            .expect("query");
        assert_eq!(got.len(), households as usize);
    }
    // The real binary, same chain and queue, one more slot from a JSON-lines
    // file of readings the devices signed themselves (the agent forwards them).
    let keys_path = dir.path().join("keys.toml");
    let jsonl = dir.path().join("r.jsonl");
    let extra_slot = FIRST_SLOT + slots * 900;
    let mut lines = String::new();
    for m in 1..=10u32 {
        let mut k = DeviceKeys::default();
        k.insert(m, device_key(3, m));
        let r = aip_oracle::Reading {
            meter: m,
            slot: SlotId(extra_slot),
            exported_wh: 0,
            imported_wh: 100 + u64::from(m),
            signature: None,
        };
        let sig = k
            .sign(&r, &chain.config().chain_id, &contract)
            .expect("key");
        let j = aip_oracle::reading::ReadingJson::from(&aip_oracle::Reading {
            signature: Some(sig),
            ..r
        });
        lines.push_str(&serde_json::to_string(&j).expect("json"));
        lines.push('\n');
    }
    std::fs::write(&jsonl, lines).expect("jsonl");
    std::fs::write(&keys_path, "").expect("no keys");
    let cfg_path = dir.path().join("oracle.toml");
    std::fs::write(
        &cfg_path,
        format!(
            "contract = \"{contract}\"\noperator = \"oracle\"\n{chain_toml}[queue]\npath = \"{q}\"\n\
             [submit]\nmin_slot_age_secs = 0\nexit_when_done = true\n[keys]\nfile = \"{k}\"\n\
             [[source]]\nkind = \"file\"\npath = \"{f}\"\n",
            q = cfg.queue.path.display(),
            k = keys_path.display(),
            f = jsonl.display(),
        ),
    )
    .expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aip-oracle"))
        .args(["run", "--config"])
        .arg(&cfg_path)
        .output()
        .expect("binary");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = submitter
        .reported(SlotId(extra_slot), &meters[..10])
        .await
        .expect("query");
    assert_eq!(got, meters[..10].to_vec());

    let gas = submitter.gas_log();
    let per_reading: Vec<u64> = gas.iter().map(|(n, g)| g / *n as u64).collect();
    println!(
        "E2E: {total} readings in {} transactions, {secs:.1} s, {:.1} readings/s; \
         SDK gas per reading per transaction (wasmd, whole tx): {per_reading:?}",
        gas.len(),
        total as f64 / secs
    );
}

//! Exactly once on the wasmd localnet: the real `aip-oracle` binary replays
//! 20 meters × 10 slots (200 readings, batches of 10) into a freshly deployed
//! meter-oracle, is killed with SIGKILL once the chain holds some but not all
//! of them, and is restarted on the same SQLite queue. Afterwards every
//! reading is on chain exactly once with its replayed values, the operator's
//! report count on chain is exactly 200, the queue has every reading `done`,
//! and neither run ever had a batch rejected (no "already reported").
//!
//! Behind the `e2e` feature (ci/test.sh runs it on its own localnet):
//!
//! ```sh
//! ci/build-wasm.sh meter-oracle && ci/localnet.sh start
//! cargo test -p aip-oracle --features e2e --test kill_restart_e2e -- --nocapture
//! ```
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking
#![cfg(feature = "e2e")]

use std::ffi::OsStr;
use std::path::Path;
use std::time::{Duration, Instant};

use aip_oracle::keys::DeviceKeys;
use aip_oracle::queue::Queue;
use aip_testing::localnet::{deploy_meter_oracle, register_meters, Agent, Log};
use aip_types::SlotId;
use chain_client::{testnet, ChainClient, ChainConfig};
use cosmwasm_std::Uint128;
use meter_oracle::msg::{
    OperatorsResponse, QueryMsg, ReadingStatus, ReadingsResponse, ReportedResponse, Tolerance,
};

const FIRST_SLOT: u64 = 1_451_606_400;
const METERS: u32 = 20;
const SLOTS: u64 = 10;
const BATCH: u64 = 10;

fn load(h: u64, s: u64) -> u64 {
    50 + (h * 7 + s * 13) % 300
}

fn pv(h: u64, s: u64) -> u64 {
    (h * s * 11 + h * 5) % 400
}

/// Starts `aip-oracle run --config cfg`, its log in `log`.
fn spawn(cfg: &Path, log: &Path) -> Agent {
    let args = [OsStr::new("run"), OsStr::new("--config"), cfg.as_os_str()];
    Agent::spawn(env!("CARGO_BIN_EXE_aip-oracle"), args, log, Log::Fresh)
}

async fn reports(chain: &ChainClient, contract: &str, operator: &str) -> u64 {
    let ops: OperatorsResponse = chain
        .query(contract, &QueryMsg::Operators {})
        .await
        .expect("operators query");
    ops.operators
        .iter()
        .find(|o| o.address == operator)
        .map(|o| o.reports)
        .expect("operator listed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_and_restarted_agent_submits_every_reading_exactly_once() {
    let total = u64::from(METERS) * SLOTS;
    let chain_cfg = ChainConfig::from_env();
    let chain = ChainClient::connect(chain_cfg.clone())
        .await
        .expect("localnet (ci/localnet.sh start)");
    let prefix = chain_cfg.prefix.clone();
    let operator = testnet::signer("oracle", &prefix)
        .expect("oracle")
        .address()
        .to_string();

    // A fresh contract: one operator, quorum 1 (a report finalizes).
    let contract = deploy_meter_oracle(
        vec![operator.clone()],
        1,
        Tolerance::default(),
        "meter-oracle-kill-restart-e2e",
    )
    .await;
    let mut keys = DeviceKeys::default();
    for (m, key) in register_meters(&contract, &operator, METERS, 7, METERS as usize).await {
        keys.insert(m, key);
    }

    // Replay source, device keys and config for the binary.
    let dir = tempfile::tempdir().expect("tmp");
    let mut csv = String::from("slot");
    for h in 0..METERS {
        csv.push_str(&format!(",load_{h},pv_{h}"));
    }
    csv.push('\n');
    for s in 0..SLOTS {
        csv.push_str(&(FIRST_SLOT + s * 900).to_string());
        for h in 0..u64::from(METERS) {
            csv.push_str(&format!(",{},{}", load(h, s), pv(h, s)));
        }
        csv.push('\n');
    }
    let (profiles, keys_path, queue_path, cfg_path) = (
        dir.path().join("p.csv"),
        dir.path().join("keys.toml"),
        dir.path().join("q.sqlite"),
        dir.path().join("oracle.toml"),
    );
    std::fs::write(&profiles, csv).expect("csv");
    std::fs::write(&keys_path, keys.to_toml()).expect("keys");
    std::fs::write(
        &cfg_path,
        format!(
            "contract = \"{contract}\"\noperator = \"oracle\"\n\
             [chain]\nrpc_url = \"{rpc}\"\nchain_id = \"{chain_id}\"\nprefix = \"{prefix}\"\n\
             [queue]\npath = \"{q}\"\n\
             [submit]\nbatch_size = {BATCH}\nmin_slot_age_secs = 0\nprogress_secs = 1\n\
             backoff_initial_ms = 200\nbackoff_max_ms = 2000\nexit_when_done = true\n\
             [keys]\nfile = \"{k}\"\n\
             [[source]]\nkind = \"profiles\"\npath = \"{p}\"\n",
            rpc = chain_cfg.rpc_url,
            chain_id = chain_cfg.chain_id,
            q = queue_path.display(),
            k = keys_path.display(),
            p = profiles.display(),
        ),
    )
    .expect("config");

    // Run 1: kill it (SIGKILL, no shutdown path) once the chain holds at least
    // three batches but not all of them.
    let log1 = dir.path().join("run1.log");
    let mut agent = spawn(&cfg_path, &log1);
    let child = agent.child();
    let started = Instant::now();
    let at_kill = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            panic!(
                "the agent ended ({status}) before it could be killed:\n{}",
                std::fs::read_to_string(&log1).unwrap_or_default()
            );
        }
        let n = reports(&chain, &contract, &operator).await;
        if n >= 3 * BATCH {
            child.kill().expect("SIGKILL");
            child.wait().expect("reap");
            break n;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no progress on chain after 60 s:\n{}",
            std::fs::read_to_string(&log1).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Let a transaction that was in flight at the kill land (or expire).
    let (height, _) = chain.latest_block().await.expect("height");
    chain
        .wait_for_height(height + 3, Duration::from_secs(20))
        .await
        .expect("blocks");
    let on_chain_after_kill = reports(&chain, &contract, &operator).await;
    let q_after_kill = Queue::open(&queue_path)
        .expect("queue")
        .counts()
        .expect("counts");
    assert!(
        on_chain_after_kill < total,
        "the agent was killed too late: {on_chain_after_kill} of {total} on chain"
    );
    assert!(q_after_kill.done < total);

    // Run 2: same config, same queue, until done.
    let log2 = dir.path().join("run2.log");
    let mut agent = spawn(&cfg_path, &log2);
    let child = agent.child();
    let restarted = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if restarted.elapsed() > Duration::from_secs(60) {
            child.kill().expect("SIGKILL");
            child.wait().expect("reap");
            panic!(
                "the restarted agent did not finish in 60 s:\n{}",
                std::fs::read_to_string(&log2).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let run2_secs = restarted.elapsed().as_secs_f64();
    let (text1, text2) = (
        std::fs::read_to_string(&log1).expect("log 1"),
        std::fs::read_to_string(&log2).expect("log 2"),
    );
    assert!(
        status.success(),
        "restarted agent failed ({status}):\n{text2}"
    );

    // The agent's side: everything done, nothing rejected, no refused batch.
    let q = Queue::open(&queue_path)
        .expect("queue")
        .counts()
        .expect("counts");
    assert_eq!(
        (q.queued, q.sending, q.done, q.rejected),
        (0, 0, total, 0),
        "queue after the restart:\n{text2}"
    );
    for (run, text) in [("run 1", &text1), ("run 2", &text2)] {
        assert!(
            !text.contains("already reported") && !text.contains("batch rejected"),
            "{run} had a batch rejected:\n{text}"
        );
        assert!(!text.contains("reading rejected"), "{run}:\n{text}");
    }
    assert!(
        text2.contains("rejected: 0") && text2.contains("every source ended"),
        "{text2}"
    );

    // The chain's side: exactly `total` reports by the operator, and every
    // (meter, slot) finalized once with the replayed values.
    assert_eq!(reports(&chain, &contract, &operator).await, total);
    let meters: Vec<u32> = (1..=METERS).collect();
    for s in 0..SLOTS {
        let slot = SlotId(FIRST_SLOT + s * 900);
        let r: ReadingsResponse = chain
            .query(
                &contract,
                &QueryMsg::Readings {
                    slot,
                    start_after: None,
                    limit: Some(500),
                },
            )
            .await
            .expect("readings");
        assert_eq!(
            r.readings.iter().map(|r| r.meter).collect::<Vec<_>>(),
            meters,
            "slot {slot}"
        );
        for reading in &r.readings {
            let h = u64::from(reading.meter - 1);
            let (l, p) = (load(h, s), pv(h, s));
            assert_eq!(reading.status, ReadingStatus::Finalized);
            assert_eq!(reading.reporters, vec![operator.clone()]);
            assert_eq!(
                (reading.exported_wh, reading.imported_wh),
                (
                    Uint128::from(p.saturating_sub(l)),
                    Uint128::from(l.saturating_sub(p))
                ),
                "meter {} slot {slot}",
                reading.meter
            );
        }
        let rep: ReportedResponse = chain
            .query(
                &contract,
                &QueryMsg::Reported {
                    slot,
                    operator: operator.clone(),
                    meters: meters.clone(),
                },
            )
            .await
            .expect("reported");
        assert_eq!(rep.meters, meters);
    }
    let resolved = text2
        .lines()
        .filter(|l| l.contains("resolved unfinished submissions"))
        .count();
    println!(
        "kill/restart e2e: killed with {at_kill} of {total} readings on chain \
         ({on_chain_after_kill} after 3 blocks; queue then: done {} sending {} queued {}); \
         restart resolved {resolved} slot(s) against the chain and finished in {run2_secs:.1} s; \
         {total} readings on chain exactly once, no rejection",
        q_after_kill.done, q_after_kill.sending, q_after_kill.queued
    );
}

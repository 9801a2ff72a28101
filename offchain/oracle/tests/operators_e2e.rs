//! Three oracle operators on a real wasmd network: one down, one lying. The
//! real `aip-oracle` binary runs once per operator (its own key, queue and
//! source) against a fresh meter-oracle with operators A, B, C, quorum 2 and a
//! tolerance of 1 % (at least 1 Wh); 10 meters, three past slots.
//!
//! 1. Slot 0, B down: A and C (at once) forward the devices' signed readings;
//!    every reading is final at the device's values with no outlier.
//! 2. Slot 1, C down, B lies: B holds the device keys (an operator trusted
//!    with them, or a compromised device) and signs values 30 % above the
//!    meters'. Its signatures verify, so the contract takes its reports, but
//!    with two reports 30 % apart nothing is within tolerance of both: no
//!    reading finalizes, and the `reading` query shows both operators' values.
//!    Then C comes back: A and C agree, every reading is final at the honest
//!    values, B is listed as the outlier of each reading, and the
//!    `operators` query counts its 10 outliers.
//! 3. Slot 2, B relays the devices' signed readings with the values raised by
//!    30 % (it holds no key): the contract refuses them ("invalid device
//!    signature for meter N", the batch split until each is isolated), B has
//!    no report for the slot on chain, and A's report stands alone (pending).
//!
//! Behind the `e2e` feature (runs on the single-validator localnet or the
//! 4-validator network; it needs no clock advance):
//!
//! ```sh
//! ci/build-wasm.sh meter-oracle && ci/localnet.sh start
//! cargo test -p aip-oracle --features e2e --test operators_e2e -- --nocapture
//! ```
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking
#![cfg(feature = "e2e")]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aip_oracle::keys::DeviceKeys;
use aip_oracle::queue::Queue;
use aip_oracle::reading::Reading;
use aip_testing::localnet::{deploy_meter_oracle, register_meters, Agent, Log};
use aip_types::SlotId;
use chain_client::{testnet, ChainClient, ChainConfig};
use cosmwasm_std::{Binary, Uint128};
use meter_oracle::msg::{
    ExecuteMsg, OperatorsResponse, QueryMsg, ReadingResponse, ReadingStatus, ReadingsResponse,
    ReportedResponse, SignedReading, Tolerance,
};

const FIRST_SLOT: u64 = 1_451_606_400;
const METERS: u32 = 10;
/// How far the liar's values are from the meters', percent.
const LIE_PCT: u64 = 30;

/// The meter's true energy in slot `k`: (exported, imported) Wh.
fn truth(meter: u32, k: u64) -> (u64, u64) {
    (
        1_000 + 37 * u64::from(meter) + 5 * k,
        200 + 11 * u64::from(meter) + k,
    )
}

fn lie(wh: u64) -> u64 {
    wh * (100 + LIE_PCT) / 100
}

fn slot(k: u64) -> u64 {
    FIRST_SLOT + 900 * k
}

/// One operator's agent process, SIGKILLed when dropped.
struct Operator {
    name: &'static str,
    cfg: PathBuf,
    queue: PathBuf,
    log: PathBuf,
    agent: Option<Agent>,
}

impl Operator {
    /// Writes the operator's config for `source` (JSON lines) and `keys`.
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: &'static str,
        account: &str,
        dir: &Path,
        contract: &str,
        chain: &ChainConfig,
        source: &Path,
        keys: Option<&Path>,
        run: &str,
    ) -> Self {
        let cfg = dir.join(format!("{name}-{run}.toml"));
        let queue = dir.join(format!("{name}-{run}.sqlite"));
        let log = dir.join(format!("{name}-{run}.log"));
        let keys = keys
            .map(|k| format!("[keys]\nfile = \"{}\"\n", k.display()))
            .unwrap_or_default();
        std::fs::write(
            &cfg,
            format!(
                "contract = \"{contract}\"\noperator = \"{account}\"\n\
                 [chain]\nrpc_url = \"{rpc}\"\nchain_id = \"{chain_id}\"\nprefix = \"{prefix}\"\n\
                 [queue]\npath = \"{q}\"\n\
                 [submit]\nbatch_size = 10\nmin_slot_age_secs = 0\nprogress_secs = 1\n\
                 backoff_initial_ms = 200\nbackoff_max_ms = 2000\nexit_when_done = true\n\
                 {keys}\
                 [[source]]\nkind = \"file\"\npath = \"{src}\"\n",
                rpc = chain.rpc_url,
                chain_id = chain.chain_id,
                prefix = chain.prefix,
                q = queue.display(),
                src = source.display(),
            ),
        )
        .unwrap();
        Operator {
            name,
            cfg,
            queue,
            log,
            agent: None,
        }
    }

    fn start(&mut self) {
        let args = [
            OsStr::new("run"),
            OsStr::new("--config"),
            self.cfg.as_os_str(),
        ];
        self.agent = Some(Agent::spawn(
            env!("CARGO_BIN_EXE_aip-oracle"),
            args,
            &self.log,
            Log::Fresh,
        ));
    }

    /// Waits for the agent to finish (`exit_when_done`) and returns its log.
    async fn finish(&mut self) -> String {
        let agent = self.agent.as_mut().expect("started");
        let child = agent.child();
        let started = Instant::now();
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if started.elapsed() > Duration::from_secs(120) {
                let _ = child.kill();
                panic!(
                    "operator {} did not finish in 120 s:\n{}",
                    self.name,
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        self.agent = None;
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        assert!(
            status.success(),
            "operator {} failed ({status}):\n{log}",
            self.name
        );
        log
    }
}

/// JSON lines of readings for slot `k`: `values` per meter, signed by
/// `signer` (the device keys) when given, then `alter` applied after signing.
fn readings_file(
    path: &Path,
    k: u64,
    values: impl Fn(u32) -> (u64, u64),
    signer: Option<(&DeviceKeys, &str, &str)>,
    alter: impl Fn(u64) -> u64,
) {
    let mut text = String::new();
    for m in 1..=METERS {
        let (e, i) = values(m);
        let r = Reading {
            meter: m,
            slot: SlotId(slot(k)),
            exported_wh: e,
            imported_wh: i,
            signature: None,
        };
        let sig = signer.map(|(keys, chain_id, contract)| {
            hex::encode(keys.sign(&r, chain_id, contract).unwrap())
        });
        let mut line = serde_json::json!({
            "meter": m, "slot": slot(k), "exported_wh": alter(e), "imported_wh": alter(i),
        });
        if let Some(s) = sig {
            line["signature"] = serde_json::Value::String(s);
        }
        text.push_str(&line.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

async fn readings(chain: &ChainClient, contract: &str, k: u64) -> Vec<ReadingResponse> {
    let r: ReadingsResponse = chain
        .query(
            contract,
            &QueryMsg::Readings {
                slot: SlotId(slot(k)),
                start_after: None,
                limit: Some(500),
            },
        )
        .await
        .unwrap();
    r.readings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quorum_of_three_operators_holds_with_one_down_and_one_lying() {
    let chain_cfg = ChainConfig::from_env();
    let chain = ChainClient::connect(chain_cfg.clone())
        .await
        .expect("localnet (ci/localnet.sh start)");
    let prefix = chain_cfg.prefix.clone();
    let (acc_a, acc_b, acc_c) = ("oracle", "bob", "dave");
    let addr = |n: &str| testnet::signer(n, &prefix).unwrap().address().to_string();
    let (a, b, c) = (addr(acc_a), addr(acc_b), addr(acc_c));

    let contract = deploy_meter_oracle(
        vec![a.clone(), b.clone(), c.clone()],
        2,
        Tolerance {
            wh: Uint128::new(1),
            bps: 100,
        },
        "meter-oracle-operators-e2e",
    )
    .await;
    let mut devices = DeviceKeys::default();
    for (m, key) in register_meters(&contract, &a, METERS, 9, METERS as usize).await {
        devices.insert(m, key);
    }

    let dir = tempfile::tempdir().unwrap();
    let keys_path = dir.path().join("device-keys.toml");
    std::fs::write(&keys_path, devices.to_toml()).unwrap();
    let dev = Some((&devices, chain_cfg.chain_id.as_str(), contract.as_str()));
    let same = |w: u64| w;
    let op = |name, account, src: &Path, keys: Option<&Path>, run| {
        Operator::new(
            name,
            account,
            dir.path(),
            &contract,
            &chain_cfg,
            src,
            keys,
            run,
        )
    };

    // 1. Slot 0, B down: A and C forward the devices' readings, at once.
    let honest0 = dir.path().join("slot0.jsonl");
    readings_file(&honest0, 0, |m| truth(m, 0), dev, same);
    let (mut op_a, mut op_c) = (
        op("A", acc_a, &honest0, None, "slot0"),
        op("C", acc_c, &honest0, None, "slot0"),
    );
    op_a.start();
    op_c.start();
    op_a.finish().await;
    op_c.finish().await;
    let r0 = readings(&chain, &contract, 0).await;
    assert_eq!(r0.len(), METERS as usize);
    for r in &r0 {
        let (e, i) = truth(r.meter, 0);
        assert_eq!(r.status, ReadingStatus::Finalized, "{r:?}");
        assert_eq!(
            (r.exported_wh.u128(), r.imported_wh.u128()),
            (u128::from(e), u128::from(i)),
            "{r:?}"
        );
        assert_eq!(r.reporters, vec![a.clone(), c.clone()]);
        assert!(r.outliers.is_empty(), "{r:?}");
    }

    // 2. Slot 1, C down, B lies with the device keys: nothing finalizes, both
    //    values are visible; C comes back and the honest values are final.
    let honest1 = dir.path().join("slot1.jsonl");
    let lies1 = dir.path().join("slot1-lies.jsonl");
    readings_file(&honest1, 1, |m| truth(m, 1), dev, same);
    readings_file(
        &lies1,
        1,
        |m| (lie(truth(m, 1).0), lie(truth(m, 1).1)),
        None,
        same,
    );
    let (mut op_a, mut op_b) = (
        op("A", acc_a, &honest1, None, "slot1"),
        op("B", acc_b, &lies1, Some(&keys_path), "slot1"),
    );
    op_a.start();
    op_b.start();
    op_a.finish().await;
    let log_b = op_b.finish().await;
    assert_eq!(
        Queue::open(&op_b.queue).unwrap().counts().unwrap().done,
        u64::from(METERS),
        "{log_b}"
    );
    let r1 = readings(&chain, &contract, 1).await;
    assert_eq!(r1.len(), METERS as usize);
    for r in &r1 {
        let (e, i) = truth(r.meter, 1);
        assert_eq!(r.status, ReadingStatus::Pending, "{r:?}");
        assert_eq!(
            (r.exported_wh, r.imported_wh),
            (Uint128::zero(), Uint128::zero()),
            "nothing final: {r:?}"
        );
        let mut seen: Vec<(String, u128, u128)> = r
            .reports
            .iter()
            .map(|p| {
                (
                    p.operator.clone(),
                    p.exported_wh.u128(),
                    p.imported_wh.u128(),
                )
            })
            .collect();
        seen.sort();
        let mut want = vec![
            (a.clone(), u128::from(e), u128::from(i)),
            (b.clone(), u128::from(lie(e)), u128::from(lie(i))),
        ];
        want.sort();
        assert_eq!(seen, want, "meter {}", r.meter);
    }
    let mut op_c = op("C", acc_c, &honest1, None, "slot1");
    op_c.start();
    op_c.finish().await;
    for r in readings(&chain, &contract, 1).await {
        let (e, i) = truth(r.meter, 1);
        assert_eq!(r.status, ReadingStatus::Finalized, "{r:?}");
        assert_eq!(
            (r.exported_wh.u128(), r.imported_wh.u128()),
            (u128::from(e), u128::from(i)),
            "{r:?}"
        );
        assert_eq!(r.reporters, vec![a.clone(), b.clone(), c.clone()]);
        assert_eq!(r.outliers, vec![b.clone()], "meter {}", r.meter);
    }
    let ops: OperatorsResponse = chain
        .query(&contract, &QueryMsg::Operators {})
        .await
        .unwrap();
    let count = |who: &str| {
        let o = ops.operators.iter().find(|o| o.address == who).unwrap();
        (o.reports, o.outliers)
    };
    let n = u64::from(METERS);
    assert_eq!(count(&a), (2 * n, 0));
    assert_eq!(count(&b), (n, n));
    assert_eq!(count(&c), (2 * n, 0));

    // 3. Slot 2, B without keys raises the device-signed values: refused.
    let honest2 = dir.path().join("slot2.jsonl");
    let altered2 = dir.path().join("slot2-altered.jsonl");
    readings_file(&honest2, 2, |m| truth(m, 2), dev, same);
    readings_file(&altered2, 2, |m| truth(m, 2), dev, lie);
    let (mut op_a, mut op_b) = (
        op("A", acc_a, &honest2, None, "slot2"),
        op("B", acc_b, &altered2, None, "slot2"),
    );
    op_a.start();
    op_b.start();
    op_a.finish().await;
    let log_b = op_b.finish().await;
    let counts = Queue::open(&op_b.queue).unwrap().counts().unwrap();
    assert_eq!((counts.done, counts.rejected), (0, n), "{log_b}");
    assert!(
        log_b.contains("invalid device signature for meter"),
        "{log_b}"
    );
    let reported: ReportedResponse = chain
        .query(
            &contract,
            &QueryMsg::Reported {
                slot: SlotId(slot(2)),
                operator: b.clone(),
                meters: (1..=METERS).collect(),
            },
        )
        .await
        .unwrap();
    assert!(reported.meters.is_empty(), "{reported:?}");
    for r in readings(&chain, &contract, 2).await {
        assert_eq!(r.status, ReadingStatus::Pending, "{r:?}");
        assert_eq!(r.reporters, vec![a.clone()], "{r:?}");
    }
    // The contract's own answer to one altered reading.
    let bob = chain.with_signer(testnet::signer(acc_b, &prefix).unwrap());
    let (e, i) = truth(1, 2);
    let honest = Reading {
        meter: 1,
        slot: SlotId(slot(2)),
        exported_wh: e,
        imported_wh: i,
        signature: None,
    };
    let sig = devices
        .sign(&honest, &chain_cfg.chain_id, &contract)
        .unwrap();
    let err = bob
        .execute(
            &contract,
            &ExecuteMsg::SubmitReadings {
                slot: SlotId(slot(2)),
                readings: vec![SignedReading {
                    meter: 1,
                    exported_wh: Uint128::from(lie(e)),
                    imported_wh: Uint128::from(i),
                    signature: Binary::from(sig.to_vec()),
                }],
            },
            &[],
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid device signature for meter 1"),
        "{err}"
    );
    let ops: OperatorsResponse = chain
        .query(&contract, &QueryMsg::Operators {})
        .await
        .unwrap();
    let o = ops.operators.iter().find(|o| o.address == b).unwrap();
    assert_eq!(
        (o.reports, o.outliers),
        (n, n),
        "nothing of slot 2 counted for B"
    );
}

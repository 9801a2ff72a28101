//! The agent against the real meter-oracle contract on cw-multi-test: crashes
//! at random points (including after a batch was committed but before the
//! agent recorded it), a node outage and lost answers; every reading ends up
//! on chain exactly once.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use std::time::Duration;

use aip_oracle::keys::DeviceKeys;
use aip_oracle::queue::{Queue, Queued};
use aip_oracle::submit::{reported_msg, submit_msg};
use aip_oracle::{Config, SubmitError, Submitter};
use aip_types::SlotId;
use cosmwasm_std::{Addr, Binary, Empty};
use cw_multi_test::{App, Contract, ContractWrapper, Executor};
use ed25519_dalek::SigningKey;
use meter_oracle::msg::{ExecuteMsg, InstantiateMsg, QueryMsg, ReportedResponse, Tolerance};
use tokio::sync::Notify;

fn meter_oracle() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        meter_oracle::contract::execute,
        meter_oracle::contract::instantiate,
        meter_oracle::contract::query,
    ))
}

/// The in-process chain: the real contract, one operator (quorum 1), meters
/// 1..=n. `App` is not `Send`, so it lives on its own thread and takes
/// requests over a channel.
struct Chain {
    tx: std::sync::mpsc::Sender<Request>,
    /// Every (slot, meter) the chain accepted, in order (kept by the chain
    /// thread, so a submission whose caller was killed is still counted).
    committed: Arc<Mutex<Vec<(u64, u32)>>>,
    contract: Addr,
    operator: Addr,
    chain_id: String,
}

enum Request {
    Submit(
        SlotId,
        Vec<u32>,
        ExecuteMsg,
        tokio::sync::oneshot::Sender<Result<(), String>>,
    ),
    Reported(
        QueryMsg,
        tokio::sync::oneshot::Sender<Result<Vec<u32>, String>>,
    ),
}

fn seed(meter: u32) -> [u8; 32] {
    let mut s = [7u8; 32];
    s[..4].copy_from_slice(&meter.to_be_bytes());
    s
}

impl Chain {
    fn new(meters: u32) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<Request>();
        let (info_tx, info_rx) = std::sync::mpsc::channel();
        let committed = Arc::new(Mutex::new(vec![]));
        let log = committed.clone();
        std::thread::spawn(move || {
            let mut app = App::default();
            let admin = app.api().addr_make("admin");
            let grid = app.api().addr_make("grid");
            let operator = app.api().addr_make("oracle");
            let code = app.store_code(meter_oracle());
            let contract = app
                .instantiate_contract(
                    code,
                    admin.clone(),
                    &InstantiateMsg {
                        admin: None,
                        grid_operator: grid.to_string(),
                        operators: vec![operator.to_string()],
                        quorum: 1,
                        tolerance: Tolerance::default(),
                    },
                    &[],
                    "meter-oracle",
                    None,
                )
                .expect("instantiate");
            for m in 1..=meters {
                let key = SigningKey::from_bytes(&seed(m));
                app.execute_contract(
                    grid.clone(),
                    contract.clone(),
                    &ExecuteMsg::RegisterMeter {
                        owner: app.api().addr_make(&format!("house{m}")).to_string(),
                        node: m,
                        pubkey: Binary::from(key.verifying_key().to_bytes().to_vec()),
                    },
                    &[],
                )
                .expect("register");
            }
            info_tx
                .send((
                    contract.clone(),
                    operator.clone(),
                    app.block_info().chain_id,
                ))
                .expect("info");
            while let Ok(req) = rx.recv() {
                match req {
                    Request::Submit(slot, meters, msg, resp) => {
                        let r = app
                            .execute_contract(operator.clone(), contract.clone(), &msg, &[])
                            .map(|_| ())
                            .map_err(|e| e.root_cause().to_string());
                        if r.is_ok() {
                            log.lock()
                                .expect("log")
                                .extend(meters.iter().map(|m| (slot.0, *m)));
                        }
                        let _ = resp.send(r);
                    }
                    Request::Reported(msg, resp) => {
                        let r: Result<ReportedResponse, _> =
                            app.wrap().query_wasm_smart(&contract, &msg);
                        let _ = resp.send(r.map(|r| r.meters).map_err(|e| e.to_string()));
                    }
                }
            }
        });
        let (contract, operator, chain_id) = info_rx.recv().expect("chain started");
        Chain {
            tx,
            committed,
            contract,
            operator,
            chain_id,
        }
    }

    async fn submit(&self, slot: SlotId, readings: &[Queued]) -> Result<(), String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let meters = readings.iter().map(|r| r.meter).collect();
        let msg = submit_msg(slot, readings);
        self.tx
            .send(Request::Submit(slot, meters, msg, tx))
            .expect("chain thread");
        rx.await.expect("chain answered")
    }

    async fn reported(&self, msg: QueryMsg) -> Result<Vec<u32>, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Request::Reported(msg, tx))
            .expect("chain thread");
        rx.await.expect("chain answered")
    }
}

/// Faults the test can switch on.
#[derive(Default)]
struct Faults {
    /// Node down: submissions and queries fail before reaching the chain.
    down: AtomicBool,
    /// Hang forever after committing submission number N (1-based); 0 = off.
    hang_after_commit: AtomicU64,
    /// Commit, then report the node as unavailable (the answer is lost) for the next N.
    lose_answers: AtomicU64,
}

/// A `Submitter` executing on the in-process chain, logging what it committed.
struct TestSubmitter {
    chain: Arc<Chain>,
    faults: Faults,
    hung: Notify,
    latency: Duration,
    submissions: AtomicU64,
    /// Every rejection message.
    rejections: Mutex<Vec<String>>,
}

impl TestSubmitter {
    fn new(chain: Arc<Chain>) -> Self {
        TestSubmitter {
            chain,
            faults: Faults::default(),
            hung: Notify::new(),
            latency: Duration::from_millis(2),
            submissions: AtomicU64::new(0),
            rejections: Mutex::new(vec![]),
        }
    }
}

impl Submitter for TestSubmitter {
    async fn submit(&self, slot: SlotId, readings: &[Queued]) -> Result<String, SubmitError> {
        tokio::time::sleep(self.latency).await;
        if self.faults.down.load(Ordering::SeqCst) {
            return Err(SubmitError::Unavailable("connection refused".into()));
        }
        let n = self.submissions.fetch_add(1, Ordering::SeqCst) + 1;
        let res = self.chain.submit(slot, readings).await;
        match res {
            Ok(_) => {
                if self.faults.hang_after_commit.load(Ordering::SeqCst) == n {
                    self.hung.notify_one();
                    std::future::pending::<()>().await;
                }
                if self
                    .faults
                    .lose_answers
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| v.checked_sub(1))
                    .is_ok()
                {
                    return Err(SubmitError::Unavailable(
                        "timed out waiting for inclusion".into(),
                    ));
                }
                // The answer travels back; a crash here loses it.
                tokio::time::sleep(self.latency).await;
                Ok(format!("TX{n}"))
            }
            Err(msg) => {
                self.rejections.lock().expect("log").push(msg.clone());
                Err(SubmitError::Rejected(msg))
            }
        }
    }

    async fn reported(&self, slot: SlotId, meters: &[u32]) -> Result<Vec<u32>, SubmitError> {
        tokio::time::sleep(self.latency).await;
        if self.faults.down.load(Ordering::SeqCst) {
            return Err(SubmitError::Unavailable("connection refused".into()));
        }
        self.chain
            .reported(reported_msg(slot, self.chain.operator.as_str(), meters))
            .await
            .map_err(SubmitError::Unavailable)
    }
}

const FIRST_SLOT: u64 = 1_451_606_400;

/// A SimBench-shaped profile file: `households` households, `slots` slots.
fn write_profiles(path: &Path, households: u32, slots: u64) {
    let mut text = String::from("slot");
    for h in 0..households {
        text.push_str(&format!(",load_{h},pv_{h}"));
    }
    text.push('\n');
    for s in 0..slots {
        text.push_str(&(FIRST_SLOT + s * 900).to_string());
        for h in 0..households {
            let load = 50 + (h as u64 * 7 + s * 13) % 300;
            let pv = if h % 3 == 0 { (s * 40) % 500 } else { 0 };
            text.push_str(&format!(",{load},{pv}"));
        }
        text.push('\n');
    }
    std::fs::write(path, text).expect("write profiles");
}

fn config(dir: &Path, chain: &Chain, households: u32) -> Config {
    let keys_path = dir.join("keys.toml");
    let mut keys = DeviceKeys::default();
    for m in 1..=households {
        keys.insert(m, SigningKey::from_bytes(&seed(m)));
    }
    std::fs::write(&keys_path, keys.to_toml()).expect("keys");
    let text = format!(
        r#"
        contract = "{contract}"
        chain_id = "{chain_id}"
        [queue]
        path = "{queue}"
        [submit]
        batch_size = 40
        backoff_initial_ms = 5
        backoff_max_ms = 40
        progress_secs = 1
        exit_when_done = true
        [keys]
        file = "{keys}"
        [[source]]
        kind = "profiles"
        path = "{profiles}"
        "#,
        contract = chain.contract,
        chain_id = chain.chain_id,
        queue = dir.join("queue.sqlite").display(),
        keys = keys_path.display(),
        profiles = dir.join("profiles.csv").display(),
    );
    Config::parse(&text).expect("config")
}

fn keys_of(cfg: &Config) -> DeviceKeys {
    DeviceKeys::load(cfg.keys.file.as_deref().expect("keys file")).expect("keys")
}

async fn run_to_end(cfg: &Config, sub: Arc<TestSubmitter>) -> aip_oracle::Stats {
    tokio::time::timeout(
        Duration::from_secs(120),
        aip_oracle::run(cfg, keys_of(cfg), sub, std::future::pending()),
    )
    .await
    .expect("agent finished in time")
    .expect("agent ran")
}

/// A tiny deterministic generator for crash times.
fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *state >> 33
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_and_restarted_agent_submits_every_reading_exactly_once() {
    let households = 60u32;
    let slots = 10u64;
    let dir = tempfile::tempdir().expect("tmp");
    write_profiles(&dir.path().join("profiles.csv"), households, slots);
    let chain = Arc::new(Chain::new(households));
    let cfg = config(dir.path(), &chain, households);
    let sub = Arc::new(TestSubmitter::new(chain.clone()));

    // 1. Crash right after the chain committed the 3rd batch, before the agent
    //    could record it.
    sub.faults.hang_after_commit.store(3, Ordering::SeqCst);
    let handle = tokio::spawn({
        let (cfg, sub) = (cfg.clone(), sub.clone());
        async move { aip_oracle::run(&cfg, keys_of(&cfg), sub, std::future::pending()).await }
    });
    tokio::time::timeout(Duration::from_secs(60), sub.hung.notified())
        .await
        .expect("third batch committed");
    handle.abort();
    assert!(handle.await.expect_err("killed").is_cancelled());
    sub.faults.hang_after_commit.store(0, Ordering::SeqCst);
    let in_doubt = Queue::open(&cfg.queue.path)
        .expect("queue")
        .counts()
        .expect("counts")
        .sending;
    assert_eq!(
        in_doubt, 40,
        "the committed batch is still `sending` in the queue"
    );

    // 2. Crashes at pseudo-random moments.
    let mut rng = 42u64;
    for _ in 0..6 {
        let handle = tokio::spawn({
            let (cfg, sub) = (cfg.clone(), sub.clone());
            async move { aip_oracle::run(&cfg, keys_of(&cfg), sub, std::future::pending()).await }
        });
        tokio::time::sleep(Duration::from_millis(5 + lcg(&mut rng) % 40)).await;
        handle.abort();
        let _ = handle.await;
    }

    // 3. The node goes down for a while, then answers get lost twice.
    sub.faults.down.store(true, Ordering::SeqCst);
    let handle = tokio::spawn({
        let (cfg, sub) = (cfg.clone(), sub.clone());
        async move { aip_oracle::run(&cfg, keys_of(&cfg), sub, std::future::pending()).await }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    sub.faults.lose_answers.store(2, Ordering::SeqCst);
    sub.faults.down.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(30)).await;
    handle.abort();
    let _ = handle.await;

    // 4. A clean run to the end.
    let stats = run_to_end(&cfg, sub.clone()).await;

    let committed = sub.chain.committed.lock().expect("log").clone();
    let mut counts: BTreeMap<(u64, u32), u32> = BTreeMap::new();
    for k in &committed {
        *counts.entry(*k).or_default() += 1;
    }
    let total = households as usize * slots as usize;
    assert_eq!(counts.len(), total, "every reading reached the chain");
    assert!(
        counts.values().all(|n| *n == 1),
        "no reading was committed twice"
    );
    assert_eq!(committed.len(), total);
    assert!(
        sub.rejections.lock().expect("log").is_empty(),
        "the agent never sent a reading the chain already had: {:?}",
        sub.rejections.lock().expect("log")
    );
    let q = Queue::open(&cfg.queue.path).expect("queue");
    let c = q.counts().expect("counts");
    assert_eq!(
        (c.done, c.queued, c.sending, c.rejected),
        (total as u64, 0, 0, 0)
    );
    assert_eq!(stats.rejected, 0);

    // The chain agrees: every meter of every slot was reported by the operator.
    let meters: Vec<u32> = (1..=households).collect();
    for s in 0..slots {
        let got = sub
            .reported(SlotId(FIRST_SLOT + s * 900), &meters)
            .await
            .expect("query");
        assert_eq!(got, meters);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_reading_is_rejected_alone_and_the_rest_lands() {
    let households = 30u32;
    let dir = tempfile::tempdir().expect("tmp");
    write_profiles(&dir.path().join("profiles.csv"), households, 2);
    let chain = Arc::new(Chain::new(households));
    let cfg = config(dir.path(), &chain, households);
    // Meter 7's key in the agent is not the registered one.
    let mut keys = keys_of(&cfg);
    keys.insert(7, SigningKey::from_bytes(&[1; 32]));
    std::fs::write(cfg.keys.file.as_deref().expect("file"), keys.to_toml()).expect("write");
    let sub = Arc::new(TestSubmitter::new(chain.clone()));
    let stats = run_to_end(&cfg, sub.clone()).await;
    assert_eq!(stats.rejected, 2);
    assert_eq!(stats.submitted, 58);
    let q = Queue::open(&cfg.queue.path).expect("queue");
    assert_eq!(
        q.rejection(SlotId(FIRST_SLOT), 7).expect("q").as_deref(),
        Some("invalid device signature for meter 7")
    );
    let c = q.counts().expect("counts");
    assert_eq!((c.done, c.rejected), (58, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_the_agent_gracefully_and_a_rerun_sends_nothing_again() {
    let households = 10u32;
    let dir = tempfile::tempdir().expect("tmp");
    write_profiles(&dir.path().join("profiles.csv"), households, 3);
    let chain = Arc::new(Chain::new(households));
    let mut cfg = config(dir.path(), &chain, households);
    cfg.submit.exit_when_done = false;
    let sub = Arc::new(TestSubmitter::new(chain.clone()));
    let stop = Arc::new(Notify::new());
    let handle = tokio::spawn({
        let (cfg, sub, stop) = (cfg.clone(), sub.clone(), stop.clone());
        async move {
            let keys = keys_of(&cfg);
            aip_oracle::run(&cfg, keys, sub, async move { stop.notified().await }).await
        }
    });
    // Wait until everything is on chain, then ask the agent to stop.
    for _ in 0..500 {
        if sub.chain.committed.lock().expect("log").len() == 30 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.notify_one();
    let stats = tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .expect("stopped in time")
        .expect("joined")
        .expect("ran");
    assert_eq!(stats.submitted, 30);
    // Replaying the same sources again queues nothing new and sends nothing.
    cfg.submit.exit_when_done = true;
    let again = run_to_end(&cfg, sub.clone()).await;
    assert_eq!(
        (again.queued, again.duplicates, again.submitted),
        (0, 30, 0)
    );
    assert_eq!(sub.chain.committed.lock().expect("log").len(), 30);
}

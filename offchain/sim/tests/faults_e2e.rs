//! Validator faults on the 4-validator network (`ci/localnet-multi.sh start`,
//! wasmd with the test clock hook, artifacts from ci/build-wasm.sh). Behind
//! the `e2e` feature: `AIP_RPC_URLS=… cargo test -p aip-sim --features e2e
//! --test faults_e2e -- --test-threads 1` (ci/test.sh sets the endpoints from
//! `ci/localnet-multi.sh env`).
//!
//! A short simulation (deploy, households, orders, the matcher's commit,
//! signed readings, settlement, the on-chain token audit) runs while
//! validators crash under it:
//! 1. a validator's chain data is wiped and it rejoins by state sync (first,
//!    before the test clock moves chain time ahead of the wall clock);
//! 2. the validator the simulation talks to is killed mid-run: the chain goes
//!    on with three of four, the client fails over to another endpoint (and
//!    re-sends a transaction the dead node had only in its mempool), every
//!    trade settles, tokens are conserved; the validator restarts and catches up;
//! 3. two of four are killed: no block is made (and no fork: every validator
//!    has the same hash at each height afterwards); they come back, the run
//!    goes on and settles everything exactly once; nobody was jailed.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking
#![cfg(feature = "e2e")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use aip_sim::cli::Args;
use aip_sim::report::Kpis;
use clap::Parser;

const SCRIPT: &str = "ci/localnet-multi.sh";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn multi(args: &[&str]) -> String {
    let out = Command::new(root().join(SCRIPT))
        .args(args)
        .output()
        .expect("run ci/localnet-multi.sh");
    assert!(
        out.status.success(),
        "{SCRIPT} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn height(i: usize) -> Option<u64> {
    let out = Command::new(root().join(SCRIPT))
        .args(["height", &i.to_string()])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn rpc(i: usize) -> String {
    let urls = std::env::var("AIP_RPC_URLS").expect("AIP_RPC_URLS (ci/localnet-multi.sh env)");
    urls.split(',').nth(i).expect("four endpoints").to_string()
}

/// The block hash at `h` as validator `i` has it.
fn block_hash(i: usize, h: u64) -> String {
    let out = Command::new("curl")
        .args([
            "-fsS",
            "--max-time",
            "3",
            &format!("{}/block?height={h}", rpc(i)),
        ])
        .output()
        .expect("curl");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("block json");
    v["result"]["block_id"]["hash"]
        .as_str()
        .expect("hash")
        .to_string()
}

fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(500));
    }
}

/// A short --node simulation through endpoint 0 with the others as fallbacks.
fn run_sim(out: &Path) -> Kpis {
    std::env::set_current_dir(root()).unwrap();
    std::env::set_var("AIP_LOCALNET_SCRIPT", SCRIPT);
    std::env::set_var("AIP_RPC_URL", rpc(0));
    let node = rpc(0);
    let args = Args::parse_from([
        "aip-sim",
        "--node",
        &node,
        "--no-twin",
        "--quiet",
        "--naive-forecast",
        "--slots",
        "4",
        "--out",
        out.to_str().unwrap(),
    ]);
    let mut e = aip_sim::build(&args).unwrap();
    e.run(|_| {}).unwrap();
    let k = Kpis::of(&e).unwrap();
    let audit = e.chain.audit().unwrap();
    assert!(audit.conserved(), "{audit:?}");
    let _ = std::fs::remove_dir_all(out);
    k
}

fn assert_settled(k: &Kpis) {
    assert!(k.offers > 0 && k.trades > 0, "{k:?}");
    assert_eq!(k.batches_rejected, 0, "{k:?}");
    assert_eq!(k.settlement_success, Some(1.0), "{k:?}");
    assert_eq!((k.audits_passed, k.audits), (1, 1), "{k:?}");
}

fn out_dir(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_TARGET_DIR").unwrap_or("target".into()))
        .join(format!("faults-{name}-{}", std::process::id()))
}

#[test]
fn faults_on_a_four_validator_network() {
    // One test, three faults in order: they share one network, and each
    // leaves it whole for the next.

    // 1. A validator wiped and rejoined by state sync agrees with the others.
    // First, while chain time is still wall-clock time (state sync's light
    // client refuses headers from the future, and the runs below move the
    // test clock ahead); snapshots are taken every 20 blocks.
    wait_until("two snapshots", Duration::from_secs(120), || {
        height(1).is_some_and(|x| x >= 45)
    });
    multi(&["wipe", "2"]);
    let top = height(1).unwrap();
    wait_until(
        "validator 2 after state sync",
        Duration::from_secs(120),
        || height(2).is_some_and(|x| x >= top),
    );
    assert_eq!(block_hash(2, top), block_hash(1, top));

    // 2. The validator the simulation talks to dies mid-run.
    let killer = thread::spawn(|| {
        thread::sleep(Duration::from_secs(25));
        multi(&["kill", "0"]);
        let h = height(1).expect("validator 1 answers");
        wait_until(
            "blocks with three of four validators",
            Duration::from_secs(30),
            || height(1).is_some_and(|x| x >= h + 3),
        );
    });
    let k = run_sim(&out_dir("one-down"));
    killer.join().unwrap();
    assert_settled(&k);
    assert!(
        height(0).is_none(),
        "validator 0 stays down until restarted"
    );
    multi(&["up", "0"]);
    let target = height(1).unwrap();
    wait_until("validator 0 catching up", Duration::from_secs(120), || {
        height(0).is_some_and(|h| h >= target)
    });

    // 3. Two of four down: the chain halts; back up, everything settles once.
    let halter = thread::spawn(|| {
        thread::sleep(Duration::from_secs(20));
        multi(&["kill", "2"]);
        multi(&["kill", "3"]);
        thread::sleep(Duration::from_secs(3));
        let h = height(1).unwrap();
        thread::sleep(Duration::from_secs(8));
        let after = height(1).unwrap();
        multi(&["up", "2"]);
        multi(&["up", "3"]);
        (h, after)
    });
    let k = run_sim(&out_dir("halt"));
    let (h, after) = halter.join().unwrap();
    assert_eq!(
        h, after,
        "no block may be made with two of four validators down"
    );
    assert_settled(&k);
    let top = height(1).unwrap();
    wait_until(
        "every validator at the same height",
        Duration::from_secs(120),
        || (0..4).all(|i| height(i).is_some_and(|x| x >= top)),
    );
    for probe in [h, h + 1, top] {
        let hashes: Vec<String> = (0..4).map(|i| block_hash(i, probe)).collect();
        assert!(
            hashes.windows(2).all(|w| w[0] == w[1]),
            "fork at {probe}: {hashes:?}"
        );
    }
    // Nobody was jailed for the outages: all four still sign.
    assert_eq!(active_validators(), 4);
}

/// Validators in the active set, as validator 1 sees it.
fn active_validators() -> usize {
    let out = Command::new("curl")
        .args(["-fsS", "--max-time", "3", &format!("{}/validators", rpc(1))])
        .output()
        .expect("curl");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("validators json");
    v["result"]["total"]
        .as_str()
        .expect("total")
        .parse()
        .expect("a number")
}

//! The offline mode end to end (files in, files out) and the SimBench data it reads.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking
use aip_matcher::{clear, simbench, Clearing, Method, OrderBook, Side};
use std::path::PathBuf;
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("aip-matcher-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

#[test]
fn simbench_export_is_consistent() {
    let dir = simbench::default_dir();
    let grid = simbench::load_grid(&dir).unwrap();
    let net = simbench::load_network(&dir).unwrap();
    let prof = simbench::load_profiles(&dir).unwrap();
    assert_eq!(grid.households.len(), 118);
    assert_eq!((net.zones.len(), net.corridors.len()), (13, 12));
    assert_eq!(prof.load.len(), grid.households.len());
    assert!(prof
        .load
        .iter()
        .chain(&prof.pv)
        .all(|s| s.len() == grid.slots));
    assert_eq!(prof.first_slot, 1_451_606_400);
    // every household sits in a zone of the network
    assert!(grid
        .households
        .iter()
        .all(|h| net.zones.iter().any(|z| z.id == h.zone)));
    // in the week from 2016-06-03 some slot has a PV surplus, and the market clears it
    let book = (14_784..14_784 + 672)
        .map(|t| simbench::book_for_slot(&grid, &prof, t, 7))
        .find(|b| b.orders.iter().any(|o| o.side == Side::Offer))
        .expect("a slot with PV surplus");
    assert!(book.orders.iter().any(|o| o.side == Side::Bid));
    let c = clear(&book, &net, Method::Flow).unwrap();
    assert!(c.traded_wh > 0 && c.capacity_excess_wh == 0);
}

#[test]
fn clear_reads_files_and_writes_the_clearing() {
    let net = simbench::load_network(&simbench::default_dir()).unwrap();
    let book = simbench::synthetic_book(200, &net, 3, 0.1);
    let (bp, np, op) = (tmp("book.json"), tmp("network.json"), tmp("trades.json"));
    std::fs::write(&bp, serde_json::to_string(&book).unwrap()).unwrap();
    std::fs::write(&np, serde_json::to_string(&net).unwrap()).unwrap();
    let exe = env!("CARGO_BIN_EXE_aip-matcher");
    let out = Command::new(exe)
        .args(["clear", "--method", "flow", "--book"])
        .arg(&bp)
        .arg("--network")
        .arg(&np)
        .arg("--out")
        .arg(&op)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written: Clearing = serde_json::from_slice(&std::fs::read(&op).unwrap()).unwrap();
    assert_eq!(written, clear(&book, &net, Method::Flow).unwrap());

    // a bad book fails with the reason and writes nothing
    let mut bad: OrderBook = book.clone();
    bad.orders[1].id = bad.orders[0].id;
    std::fs::write(&bp, serde_json::to_string(&bad).unwrap()).unwrap();
    std::fs::remove_file(&op).unwrap();
    let out = Command::new(exe)
        .args(["clear", "--book"])
        .arg(&bp)
        .arg("--network")
        .arg(&np)
        .arg("--out")
        .arg(&op)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("order 0 appears twice in the book"));
    assert!(!op.exists());

    let out = Command::new(exe)
        .args(["clear", "--book", "/nonexistent.json", "--network"])
        .arg(&np)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("reading /nonexistent.json"));
}

#[test]
fn report_rejects_a_grid_it_cannot_read() {
    let exe = env!("CARGO_BIN_EXE_aip-matcher");
    let missing = Command::new(exe)
        .args(["report", "--grid", "/nonexistent/network.json"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("reading /nonexistent/network.json"), "{err}");
    let not_network = tmp("not-a-network.json");
    std::fs::write(&not_network, r#"{"zones": 3}"#).unwrap();
    let bad = Command::new(exe)
        .args(["report", "--grid"])
        .arg(&not_network)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains(&format!("{}: not a network model", not_network.display())),
        "{err}"
    );
}

/// An empty frozen book of slot 900, written to `name` in the test folder.
fn empty_book(name: &str) -> PathBuf {
    let book = tmp(name);
    std::fs::write(
        &book,
        r#"{"slot": 900, "frozen_at": 600, "book_hash": "", "intents": []}"#,
    )
    .unwrap();
    book
}

#[test]
fn verify_slot_needs_a_deployment_or_the_committed_files() {
    let exe = env!("CARGO_BIN_EXE_aip-matcher");
    let book = empty_book("verify-book.json");
    let neither = Command::new(exe)
        .args(["verify-slot", "--book"])
        .arg(&book)
        .output()
        .unwrap();
    assert!(!neither.status.success());
    let err = String::from_utf8_lossy(&neither.stderr);
    assert!(
        err.contains("the following required arguments were not provided")
            && err.contains("--network <NETWORK>")
            && err.contains("--committed <COMMITTED>"),
        "{err}"
    );
    let both = Command::new(exe)
        .args(["verify-slot", "--book"])
        .arg(&book)
        .args(["--deployment", "d.json", "--network", "n.json"])
        .output()
        .unwrap();
    assert!(!both.status.success());
    let err = String::from_utf8_lossy(&both.stderr);
    assert!(
        err.contains(
            "the argument '--deployment <DEPLOYMENT>' cannot be used with '--network <NETWORK>'"
        ),
        "{err}"
    );
    let missing = Command::new(exe)
        .args(["verify-slot", "--book"])
        .arg(&book)
        .args(["--deployment", "/nonexistent/deployment.json"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("/nonexistent/deployment.json"), "{err}");
}

#[test]
fn verify_slot_reads_the_screening_record_with_a_deployment_only() {
    let exe = env!("CARGO_BIN_EXE_aip-matcher");
    let book = empty_book("verify-book-screening.json");
    let run = |args: &[&str]| {
        Command::new(exe)
            .args(["verify-slot", "--book"])
            .arg(&book)
            .args(args)
            .output()
            .unwrap()
    };
    // Without --deployment the record cannot be checked against the chain.
    let out = run(&["--screening", "s.json", "--network", "n.json"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the following required arguments were not provided")
            && err.contains("--deployment <DEPLOYMENT>"),
        "{err}"
    );
    // A record that cannot be read, or is not a record, is named.
    let out = run(&[
        "--deployment",
        "d.json",
        "--screening",
        "/nonexistent/screening.json",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("reading the screening record /nonexistent/screening.json"),
        "{err}"
    );
    let bad = tmp("screening-bad.json");
    std::fs::write(&bad, r#"{"slot": 900}"#).unwrap();
    let out = run(&[
        "--deployment",
        "d.json",
        "--screening",
        bad.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("parsing the screening record") && err.contains("missing field"),
        "{err}"
    );
}

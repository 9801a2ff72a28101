//! The attack evaluation end to end on the in-process chain (real contracts,
//! real SimBench data, the daylight hours of one day): the sentinel flags
//! every wash trader and ring member through the guardian and no honest
//! household; without it nobody is flagged; and in a market where the
//! adversaries are half the accounts, the rate limit holds the flags at its
//! share.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use std::path::PathBuf;

use aip_sim::cli::Args;
use clap::Parser;
use serde_json::Value;

fn run(attack: &str, households: &str, tag: &str) -> (Value, PathBuf) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::env::temp_dir().join(format!("sim-attack-{tag}-{}", std::process::id()));
    let data = root.join("data/simbench");
    let args = Args::parse_from([
        "aip-sim",
        "--attack",
        attack,
        "--households",
        households,
        "--first-slot",
        "28",
        "--slots",
        "32",
        "--naive-forecast",
        // the honest households on the default learner, the trained policy
        "--method",
        "price-only",
        "--quiet",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    aip_sim::attack::evaluate(&args).unwrap();
    let runs: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sentinel.json")).unwrap()).unwrap();
    (runs, out)
}

#[test]
fn the_sentinel_flags_every_adversary_and_no_honest_household() {
    let (runs, out) = run("wash,ring", "50", "flags");
    let (on, off) = (&runs[0], &runs[1]);
    assert_eq!(on["sentinel"], true);
    for kind in ["wash", "ring"] {
        let k = &on["kinds"][kind];
        assert_eq!(k["recall"], 1.0, "{kind}: {k}");
        assert_eq!(k["precision"], 1.0, "{kind}: {k}");
        // a flagged adversary's score is frozen and halved
        let (a, b) = (
            k["mean_score"].as_f64().unwrap(),
            off["kinds"][kind]["mean_score"].as_f64().unwrap(),
        );
        assert!(a < b, "{kind}: {a} vs {b}");
    }
    assert_eq!(on["false_flags"], 0, "{on}");
    assert_eq!(on["deferred"], 0, "{on}");
    assert_eq!(off["flags"].as_array().unwrap().len(), 0);
    // without the sentinel nothing refuses the adversaries: every trade they
    // planned fit the slot's one commit, next to the honest market's (which
    // with the trained policy fills the batch maximum)
    assert_eq!(off["refused"], 0, "{off}");
    // the sentinel's input and the labels are written for replay and training
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    assert!(events.lines().count() > 100);
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("truth.json")).unwrap()).unwrap();
    assert_eq!(truth.as_object().unwrap().len(), 4 + 5);
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_rate_limit_holds_flags_to_a_fifth_of_the_market() {
    // 20 households + 19 adversaries: at most 7 (20 % of 39) flagged at once
    let (runs, out) = run("wash,ring,sybil", "20", "limit");
    let on = &runs[0];
    let flags = on["flags"].as_array().unwrap().len();
    assert_eq!(flags, 7, "{on}");
    assert!(on["deferred"].as_u64().unwrap() > 0, "{on}");
    assert_eq!(on["false_flags"], 0, "{on}");
    std::fs::remove_dir_all(&out).unwrap();
}

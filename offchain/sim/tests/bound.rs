//! `aip-sim --bound` on the real data: the perfect-foresight bound of the
//! learning households' batteries against the rule and the policy.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use std::path::PathBuf;

use aip_sim::cli::Args;
use clap::Parser;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The late-November week of 6 households of the real data, seasonal-naive
/// forecasts (no ONNX Runtime), the committed policy.
fn args(out: &std::path::Path, step: &str) -> Args {
    let data = root().join("data/simbench");
    let policy = root().join("models/policy.json");
    Args::try_parse_from([
        "aip-sim",
        "--bound",
        "--households",
        "6",
        "--eval-weeks",
        "332",
        "--bound-step",
        step,
        "--naive-forecast",
        "--quiet",
        "--data",
        data.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap()
}

#[test]
fn the_bound_of_a_week_is_at_least_the_rule_and_the_policy_and_a_bad_step_is_refused() {
    let out = std::env::temp_dir().join(format!("aip-bound-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    aip_sim::evaluate::bound_command(&args(&out, "50")).unwrap();
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bound.json")).unwrap()).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["week"], "2016-11-28");
    assert_eq!(r["households"], 3, "half of the 6 learn");
    let f = |k: &str| r[k].as_f64().unwrap();
    assert!(f("grid_only_import_aip") > 0.0);
    assert!(f("bound_saving") >= f("rule_saving"), "{r}");
    assert!(f("bound_saving") >= f("policy_saving"), "{r}");
    assert!(f("bound_gain_pp") > 0.0, "{r}");
    // the bound's plan charges in the off-peak night and delivers at the peak
    let drawn = r["hours"]["bound"]["drawn_wh"].as_array().unwrap();
    let delivered = r["hours"]["bound"]["delivered_wh"].as_array().unwrap();
    assert_eq!(drawn.len(), 24);
    assert!(drawn[3].as_f64().unwrap() > 0.0, "{r}");
    assert!(delivered[18].as_f64().unwrap() > 0.0, "{r}");
    let md = std::fs::read_to_string(out.join("bound.md")).unwrap();
    assert!(md.contains("| 2016-11-28 | 3 |"), "{md}");

    // a step that does not divide the battery: refused, nothing written
    let bad = out.join("bad");
    let e = aip_sim::evaluate::bound_command(&args(&bad, "3")).unwrap_err();
    assert_eq!(
        format!("{e:#}"),
        "a state-of-charge step of 3 Wh must be at least 1 and divide the capacity (5000 Wh) and the starting charge (2500 Wh)"
    );
    assert!(!bad.join("bound.json").exists());
    let _ = std::fs::remove_dir_all(&out);
}

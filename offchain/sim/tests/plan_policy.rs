//! The plan policy (`models/policy-plan.json`): the committed file loads as a
//! policy with the day plan's action, and the learning households run it.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use std::path::PathBuf;

use aip_sim::cli::Args;
use aip_sim::policy::{Inputs, Policy, FOLLOW_PLAN, N_ACTIONS};
use clap::Parser;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A day of the real data from midnight: 6 households, the seasonal-naive
/// forecast, the price-only clearing, no ONNX Runtime needed.
fn args(policy: &str) -> Args {
    let data = root().join("data/simbench");
    Args::try_parse_from([
        "aip-sim",
        "--households",
        "6",
        "--days",
        "1",
        "--start-day",
        "332",
        "--naive-forecast",
        "--method",
        "price-only",
        "--no-twin",
        "--quiet",
        "--policy",
        policy,
        "--data",
        data.to_str().unwrap(),
    ])
    .unwrap()
}

#[test]
fn the_committed_plan_policy_loads_with_its_training_command_and_the_plan_action() {
    let p = Policy::load(&root().join("models/policy-plan.json")).unwrap();
    assert_eq!(p.inputs, Inputs::BandsPlan);
    assert_eq!(p.weights.len(), N_ACTIONS + 1);
    let command = p.training["command"].as_str().unwrap();
    assert!(
        command.starts_with("aip-sim --train-policy models/policy-plan.json "),
        "{command}"
    );
    assert!(command.contains("--train-start plan"), "{command}");
    // the policy before the plan still loads, as a bands policy
    let old = Policy::load(&root().join("models/policy.json")).unwrap();
    assert_eq!(old.inputs, Inputs::Bands);
    assert_eq!(old.weights.len(), N_ACTIONS);
}

#[test]
fn learning_households_on_the_plan_follower_end_the_day_elsewhere_than_on_the_rule() {
    // the follower written to a file, loaded through the CLI's path
    let dir = std::env::temp_dir().join(format!("aip-plan-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("follow.json");
    std::fs::write(
        &path,
        serde_json::to_string(&Policy::plan_follower()).unwrap(),
    )
    .unwrap();
    let mut e = aip_sim::build(&args(path.to_str().unwrap())).unwrap();
    assert_eq!(
        e.cfg.policy.as_ref().map(|p| p.inputs),
        Some(Inputs::BandsPlan)
    );
    e.run(|_| {}).unwrap();
    // the rule as a policy file: the same households self-consume
    let rule = dir.join("rule.json");
    std::fs::write(&rule, serde_json::to_string(&Policy::rule()).unwrap()).unwrap();
    let mut r = aip_sim::build(&args(rule.to_str().unwrap())).unwrap();
    r.run(|_| {}).unwrap();
    let soc = |e: &aip_sim::engine::Engine| {
        e.households
            .iter()
            .map(|h| h.battery.soc_wh)
            .collect::<Vec<_>>()
    };
    // the plan's night charge and evening discharge leave the learning
    // households' batteries elsewhere than self-consumption does
    assert_ne!(soc(&e), soc(&r));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(FOLLOW_PLAN, N_ACTIONS);
}

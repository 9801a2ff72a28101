//! Which learner the learning households run: the trained policy by default,
//! tabular Q-learning on request, the rule in the twin run.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use std::path::PathBuf;

use aip_sim::cli::Args;
use aip_sim::report::{summary, Kpis};
use clap::Parser;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A short run of the real data: 6 households, 8 slots from 11:00, the
/// price-only clearing, no ONNX Runtime needed.
fn args(extra: &[&str]) -> Args {
    let data = root().join("data/simbench");
    let mut v = vec![
        "aip-sim",
        "--households",
        "6",
        "--first-slot",
        "44",
        "--slots",
        "8",
        "--naive-forecast",
        "--method",
        "price-only",
        "--no-twin",
        "--quiet",
        "--data",
        data.to_str().unwrap(),
    ];
    v.extend_from_slice(extra);
    Args::try_parse_from(v).unwrap()
}

#[test]
fn the_trained_policy_is_the_default_learner_and_q_learning_is_chosen_by_name() {
    let a = args(&[]);
    assert_eq!(a.learner, "policy");
    assert_eq!(a.policy, PathBuf::from("models/policy-plan.json"));
    // the default path is found from the crate's folder (cargo test's working
    // directory) in the repository root, and loaded as the committed policy
    let mut e = aip_sim::build(&a).unwrap();
    let committed = aip_sim::policy::Policy::load(&root().join("models/policy-plan.json")).unwrap();
    assert_eq!(e.cfg.policy.as_ref(), Some(&committed));
    e.run(|_| {}).unwrap();
    let k = Kpis::of(&e).unwrap();
    let s = summary(&e, &k);
    assert!(
        s.contains("learning: trained battery policy, frozen"),
        "{s}"
    );
    // the summary shows peak import and the delivery rate
    assert!(s.contains("  grid              peak import "), "{s}");
    assert!(
        s.contains("of trades delivered in full; shortfall penalties"),
        "{s}"
    );
    // and the matched trades left out of their batch and the congestion
    // fees paid, as counted by the engine
    assert!(
        s.contains(&format!(
            "  skipped           {} matched trades left out of their batch",
            e.totals.trades_skipped
        )),
        "{s}"
    );
    assert_eq!(k.trades_skipped, e.totals.trades_skipped);
    assert_eq!(k.congestion_fees_aip, e.totals.fees_uaip as f64 / 1e6);
    assert!(
        s.contains(&format!(
            "  congestion fees   {:.3} AIP paid on the trades' routes",
            k.congestion_fees_aip
        )),
        "{s}"
    );

    let q = aip_sim::build(&args(&["--learner", "q"])).unwrap();
    assert_eq!(q.cfg.policy, None);
    // the twin run bids by the rule: no policy loaded
    let twin = aip_sim::build_with(&a, true).unwrap();
    assert_eq!(twin.cfg.policy, None);
}

#[test]
fn an_unknown_learner_or_a_missing_policy_file_is_refused_with_its_name() {
    let e = Args::try_parse_from(["aip-sim", "--learner", "sarsa"]).unwrap_err();
    assert!(
        e.to_string()
            .contains("invalid value 'sarsa' for '--learner <LEARNER>'"),
        "{e}"
    );
    let missing = std::env::temp_dir().join(format!("no-policy-{}.json", std::process::id()));
    let e = aip_sim::build(&args(&["--policy", missing.to_str().unwrap()]))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.starts_with(&format!("data: policy {}: ", missing.display())),
        "{e}"
    );
}

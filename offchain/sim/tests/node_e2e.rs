//! `--node` end to end: a short simulation on a running localnet
//! (`ci/localnet.sh start`, wasmd with the test clock hook from
//! ci/install-wasmd.sh, artifacts from ci/build-wasm.sh). Behind the `e2e`
//! feature: `cargo test -p aip-sim --features e2e --test node_e2e`.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking
#![cfg(feature = "e2e")]

use std::path::PathBuf;

use aip_sim::cli::Args;
use aip_sim::report::Kpis;
use clap::Parser;

#[test]
fn a_short_simulation_on_the_localnet_trades_settles_and_conserves_tokens() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    // ci/localnet.sh and artifacts/ are found from the repository root.
    std::env::set_current_dir(&root).unwrap();
    let out = PathBuf::from(std::env::var_os("CARGO_TARGET_DIR").unwrap_or("target".into()))
        .join(format!("sim-node-e2e-{}", std::process::id()));
    let rpc = std::env::var("AIP_RPC_URL").unwrap_or(chain_client::localnet::RPC_URL.into());
    let args = Args::parse_from([
        "aip-sim",
        "--node",
        &rpc,
        "--no-twin",
        "--quiet",
        "--naive-forecast",
        "--out",
        out.to_str().unwrap(),
    ]);
    let mut e = aip_sim::build(&args).unwrap();
    assert!(e.chain.label().contains(&rpc), "{}", e.chain.label());
    e.run(|_| {}).unwrap();
    let k = Kpis::of(&e).unwrap();

    // The --node defaults: 10 households, 8 slots from 11:00.
    assert_eq!((k.households, k.slots), (10, 8));
    // Sun is up: households offer and the matcher's trades go through.
    assert!(k.offers > 0 && k.trades > 0, "{k:?}");
    assert_eq!(k.batches_rejected, 0, "{k:?}");
    assert!(
        k.traded_kwh > 0.0 && k.delivered_kwh <= k.traded_kwh + 1e-9,
        "{k:?}"
    );
    // Every trade settles on chain (dispute window 0, readings in).
    assert_eq!(k.settlement_success, Some(1.0), "{k:?}");
    for r in [k.self_sufficiency, k.self_consumption, k.delivery_success] {
        assert!((0.0..=1.0).contains(&r), "{k:?}");
    }
    assert!((0.0..=0.5).contains(&k.loss_rate), "{k:?}");
    // Token conservation, on chain: cw20 supply = household + role balances
    // + what settlement holds, and its books match its balance; at the end
    // of the (short) day and again now.
    assert_eq!((k.audits_passed, k.audits), (1, 1), "{k:?}");
    let audit = e.chain.audit().unwrap();
    assert!(audit.conserved(), "{audit:?}");
    assert!(
        audit.participants > 0 && audit.total_supply > 0,
        "{audit:?}"
    );
    // Every household traded through signed intents from its deposit: each
    // trade on chain was committed from intents, no order was ever placed,
    // and settlement holds nothing for orders.
    assert!(e.chain.capabilities().signed_intents);
    let d = aip_cli::deployment::Deployment::load(&out.join("deployment.json")).unwrap();
    let settlement = d.address("settlement").unwrap().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let c = rt
        .block_on(chain_client::ChainClient::connect(
            chain_client::ChainConfig {
                rpc_url: rpc.clone(),
                ..chain_client::ChainConfig::from_env()
            },
        ))
        .unwrap();
    let trade: serde_json::Value = rt
        .block_on(c.query(&settlement, &serde_json::json!({"trade": {"id": 1}})))
        .unwrap();
    assert_eq!(trade["intents"], true, "{trade}");
    assert_eq!(trade["status"], "settled", "{trade}");
    let holdings: serde_json::Value = rt
        .block_on(c.query(&settlement, &serde_json::json!({"holdings": {}})))
        .unwrap();
    assert!(
        matches!(
            holdings.get("orders").and_then(|v| v.as_str()),
            None | Some("0")
        ),
        "{holdings}"
    );
    assert_ne!(holdings["claimable"], "0", "the deposits: {holdings}");
    let _ = std::fs::remove_dir_all(&out);
}

//! Helpers shared by the end-to-end tests (`e2e`, `e2e_kyc`, `e2e_upgrade`):
//! the deploy options of a test deployment, AIP balances and meter device
//! keys; the localnet's accounts, clients and test clock come from
//! `aip_testing::localnet`.
#![allow(dead_code)]

use std::path::PathBuf;

use aip_cli::deploy::{DeployOptions, MarketParams};
use chain_client::ChainClient;
use serde_json::{json, Value};

// Each test binary uses a different subset.
#[allow(unused_imports)]
pub use aip_testing::localnet::{addr, advance, as_account, chain, one_zone_grid, root, rt};

/// 1 AIP in uaip.
pub const AIP: u128 = 1_000_000;

/// A deployment of every artifact by `validator`, roles to the localnet's
/// `dso`, `matcher` and `oracle`, alice, bob, carol and dave funded with
/// 1,000,000 AIP, the reputation admin minting (no KYC proofs).
pub fn options(out: PathBuf) -> DeployOptions {
    let balances = ["alice", "bob", "carol", "dave"]
        .iter()
        .map(|n| (addr(n), 1_000_000 * AIP))
        .collect();
    DeployOptions::localnet(
        root().join("artifacts"),
        out,
        balances,
        MarketParams::default(),
    )
    .expect("the localnet's roles")
}

/// A deployment file under the target directory, unique to this process
/// and `tag` (a fresh file: `aip deploy` instantiates fresh contracts).
pub fn deployment_file(tag: &str) -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    dir.join(format!("e2e-{tag}-{}.json", std::process::id()))
}

/// The AIP balance of `who` in the token `token`, uaip.
pub async fn aip_balance(c: &ChainClient, token: &str, who: &str) -> u128 {
    let v: Value = c
        .query(token, &json!({"balance": {"address": who}}))
        .await
        .unwrap();
    v["balance"].as_str().unwrap().parse().unwrap()
}

/// A meter device key derived from a name.
pub fn device(name: &str) -> aip_cli::market::DeviceKey {
    use sha2::Digest;
    aip_cli::market::DeviceKey::from_seed(sha2::Sha256::digest(name.as_bytes()).into())
}

//! Helpers shared by the end-to-end tests (`e2e`, `e2e_kyc`, `e2e_upgrade`):
//! the localnet's accounts, a client per account, the deploy options of a
//! test deployment, AIP balances, the test clock and meter device keys.
#![allow(dead_code)]

use std::path::PathBuf;

use aip_cli::deploy::{DeployOptions, KycMode, MarketParams, Roles};
use chain_client::{testnet, ChainClient, ChainConfig};
use serde_json::{json, Value};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A single-threaded tokio runtime for one test.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A client of the localnet (`ChainConfig::from_env`), without a signer.
pub async fn chain() -> ChainClient {
    ChainClient::connect(ChainConfig::from_env())
        .await
        .expect("the localnet is not running: ci/localnet.sh start")
}

/// A client signing as the test account `name` (`ci/localnet-accounts.txt`).
pub async fn as_account(name: &str) -> ChainClient {
    let c = chain().await;
    let prefix = c.config().prefix.clone();
    c.with_signer(testnet::signer(name, &prefix).unwrap())
}

/// The address of the test account `name`.
pub fn addr(name: &str) -> String {
    testnet::signer(name, "wasm").unwrap().address().to_string()
}

/// 1 AIP in uaip.
pub const AIP: u128 = 1_000_000;

/// A deployment of every artifact by `validator`, roles to the localnet's
/// `dso`, `matcher` and `oracle`, alice, bob, carol and dave funded with
/// 1,000,000 AIP, the reputation admin minting (no KYC proofs).
pub fn options(out: PathBuf) -> DeployOptions {
    let deployer = addr("validator");
    let mut roles = Roles::all(&deployer);
    roles.grid_operator = addr("dso");
    roles.matcher = addr("matcher");
    roles.oracle = addr("oracle");
    DeployOptions {
        artifacts: root().join("artifacts"),
        out,
        roles,
        initial_balances: ["alice", "bob", "carol", "dave"]
            .iter()
            .map(|n| (addr(n), 1_000_000 * AIP))
            .collect(),
        market: MarketParams::default(),
        oracle_quorum: 1,
        // No KYC proofs here: the reputation admin mints.
        zk_verifying_key: None,
        kyc: KycMode::AdminMints,
    }
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

/// Moves chain time forward by `secs` (the localnet's test clock hook).
pub fn advance(secs: u64) {
    let st = std::process::Command::new(root().join("ci/localnet.sh"))
        .args(["advance", &secs.to_string()])
        .status()
        .expect("ci/localnet.sh");
    assert!(st.success(), "ci/localnet.sh advance {secs} failed");
}

/// A meter device key derived from a name.
pub fn device(name: &str) -> aip_cli::market::DeviceKey {
    use sha2::Digest;
    aip_cli::market::DeviceKey::from_seed(sha2::Sha256::digest(name.as_bytes()).into())
}

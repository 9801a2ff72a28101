//! The client against a running wasmd localnet (`ci/localnet.sh start`).
//! Behind the `e2e` feature (ci/test.sh runs it on its own localnet):
//!
//! ```sh
//! cargo test -p chain-client --features e2e --test localnet_e2e
//! ```
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking
#![cfg(feature = "e2e")]

use std::time::{SystemTime, UNIX_EPOCH};

use chain_client::{testnet, ChainClient, ChainConfig};
use cosmrs::{AccountId, Coin};

/// A fresh address nobody has used: sending to it creates the account, the
/// most expensive kind of bank send.
fn fresh_address(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut bytes = [0u8; 20];
    bytes[..16].copy_from_slice(&nanos.to_be_bytes());
    bytes[16..].copy_from_slice(b"aipc");
    AccountId::new(prefix, &bytes).unwrap().to_string()
}

/// Regression: the simulated transaction carried a zero fee, so the fee
/// deduction was not simulated and a bank send with the default gas
/// adjustment ran out of gas (82,521 used, 82,480 given, to a new account). The default
/// configuration must get a plain send included, to a new account and again
/// to the same one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bank_send_with_the_default_configuration_is_included() {
    let chain = ChainClient::connect(ChainConfig::from_env())
        .await
        .expect("localnet (ci/localnet.sh start)");
    let cfg = chain.config().clone();
    assert_eq!(
        cfg.gas_adjustment, 1.3,
        "this test is about the default adjustment"
    );
    let dave = chain.with_signer(testnet::signer("dave", &cfg.prefix).unwrap());
    let to = fresh_address(&cfg.prefix);
    for round in 0..2 {
        let coin = Coin::new(1_000, &cfg.fee_denom).unwrap();
        let res = dave
            .send(&to, vec![coin])
            .await
            .unwrap_or_else(|e| panic!("send {round} to {to}: {e}"));
        assert!(
            res.gas_used <= res.gas_wanted,
            "send {round}: used {} > wanted {}",
            res.gas_used,
            res.gas_wanted
        );
        println!(
            "bank send {round} ({}): gas_wanted {} gas_used {}",
            if round == 0 {
                "new account"
            } else {
                "existing account"
            },
            res.gas_wanted,
            res.gas_used
        );
    }
}

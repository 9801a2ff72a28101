//! `aip intent post` against the real order gateway (library server on
//! loopback, SQLite, the system clock; balances fixed, no chain): the signed
//! intent is accepted and stored; a second post of it, a post bound to
//! another chain, and an unreachable gateway are refused with the gateway's
//! reason, and nothing more is stored.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use aip_cli::cli::SignArgs;
use aip_cli::deployment::{ContractRecord, Deployment};
use aip_cli::market::{post_intent, WalletKey};
use gateway::{Config, FixedBalance, Gateway};
use sha2::{Digest, Sha256};

const CHAIN: &str = "aip-localnet-1";

fn settlement_address() -> String {
    // Any 32-byte bech32 address: the gateway binds intents to it.
    let words = Sha256::digest(b"intent_post settlement");
    let hrp = bech32::Hrp::parse("wasm").unwrap();
    bech32::encode::<bech32::Bech32>(hrp, &words).unwrap()
}

fn deployment(chain_id: &str) -> Deployment {
    let mut contracts = BTreeMap::new();
    contracts.insert(
        "settlement".to_string(),
        ContractRecord {
            address: settlement_address(),
            code_id: 1,
            label: "settlement".into(),
        },
    );
    Deployment {
        chain_id: chain_id.into(),
        rpc_url: "http://127.0.0.1:1".into(),
        prefix: "wasm".into(),
        contracts,
        ..Deployment::default()
    }
}

fn args(slot: u64, nonce: u64) -> SignArgs {
    SignArgs {
        side: "sell".into(),
        slot,
        meter: 3,
        wh: 1_500,
        price: 180_000,
        nonce,
        eth: false,
    }
}

/// `post_intent` is blocking (a plain HTTP client): run it off the runtime.
async fn post(url: &str, signed: &aip_types::intent::SignedIntent) -> aip_cli::Result<String> {
    let (url, signed) = (url.to_string(), signed.clone());
    tokio::task::spawn_blocking(move || post_intent(&url, &signed))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posted_intent_is_stored_and_refusals_carry_the_gateways_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config {
        contract: settlement_address(),
        database: dir.path().join("gateway.sqlite"),
        ..Config::default()
    };
    cfg.chain.chain_id = CHAIN.into();
    let gw = Gateway::new(
        cfg,
        Arc::new(FixedBalance::new(1_000_000_000)),
        gateway::system_clock(),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gateway::serve(listener, gw.clone(), async move {
        let _ = stopped.await;
    }));

    let alice = WalletKey::from_mnemonic(
        chain_client::testnet::mnemonic("alice").unwrap(),
        chain_client::COSMOS_HD_PATH,
        "wasm",
    )
    .unwrap();
    // A slot two hours ahead: its gate is open.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let slot = (now / 900 + 8) * 900;
    let d = deployment(CHAIN);
    let signed = args(slot, 1).sign(&d, &alice).unwrap();

    let answer = post(&url, &signed).await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let hash = v["hash"].as_str().unwrap().to_string();
    assert_eq!(hash, hex::encode(signed.intent.hash()), "{answer}");
    assert_eq!(gw.store.count().unwrap(), 1);

    // The same intent again: refused, not stored twice.
    let err = post(&url, &signed).await.unwrap_err().to_string();
    assert!(
        err.starts_with("the gateway refused the intent (HTTP 409, duplicate): "),
        "{err}"
    );

    // Signed for another chain: refused with the gateway's reason.
    let other = args(slot, 2).sign(&deployment("other-1"), &alice).unwrap();
    let err = post(&url, &other).await.unwrap_err().to_string();
    assert!(err.contains("HTTP 4"), "{err}");
    assert!(err.contains("other-1"), "{err}");
    assert_eq!(gw.store.count().unwrap(), 1);

    let _ = stop.send(());
    server.await.unwrap().unwrap();

    // Nobody listening any more: the URL and the I/O error are named.
    let err = post(&url, &signed).await.unwrap_err().to_string();
    assert!(err.starts_with("order gateway http://127.0.0.1:"), "{err}");
}

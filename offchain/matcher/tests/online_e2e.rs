//! The online matcher against the real localnet (wasmd), behind the `e2e` feature:
//!
//! ```sh
//! ci/build-wasm.sh && ci/localnet.sh start
//! cargo test -p aip-matcher --features e2e --test online_e2e
//! ```
//!
//! Deploys the contracts (`aip deploy`'s code), places orders in two zones joined by
//! a capacity-limited corridor, moves chain time to the gate closure and runs the
//! agent's own cycle: the trades appear on chain, within the corridor's capacity, and
//! a second cycle (or a restarted agent) commits nothing more.
#![cfg(feature = "e2e")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use aip_cli::deploy::{deploy, DeployOptions, KycMode, MarketParams, Roles};
use aip_cli::market::{self, DeviceKey};
use aip_matcher::online::{Agent, CycleOutcome, DeploymentFile};
use aip_matcher::Method;
use chain_client::{testnet, ChainClient, ChainConfig};
use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn as_account(name: &str) -> ChainClient {
    let c = ChainClient::connect(ChainConfig::from_env())
        .await
        .expect("the localnet is not running: ci/localnet.sh start");
    let prefix = c.config().prefix.clone();
    c.with_signer(testnet::signer(name, &prefix).unwrap())
}

fn addr(name: &str) -> String {
    testnet::signer(name, "wasm").unwrap().address().to_string()
}

/// Moves chain time forward by `secs` (the localnet's test clock hook).
fn advance(secs: u64) {
    let st = std::process::Command::new(root().join("ci/localnet.sh"))
        .args(["advance", &secs.to_string()])
        .status()
        .expect("ci/localnet.sh");
    assert!(st.success(), "ci/localnet.sh advance {secs} failed");
}

fn device(name: &str) -> DeviceKey {
    use sha2::Digest;
    DeviceKey::from_seed(sha2::Sha256::digest(name.as_bytes()).into())
}

#[test]
fn the_agent_clears_a_slot_at_gate_closure_and_commits_once() {
    let out = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join(format!(
            "e2e-matcher-deployment-{}.json",
            std::process::id()
        ));
    let _ = std::fs::remove_file(&out);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let admin = as_account("validator").await;
        let mut roles = Roles::all(&addr("validator"));
        roles.grid_operator = addr("dso");
        roles.matcher = addr("matcher");
        roles.oracle = addr("oracle");
        let opts = DeployOptions {
            artifacts: root().join("artifacts"),
            out: out.clone(),
            roles,
            initial_balances: ["alice", "bob", "carol"]
                .iter()
                .map(|n| (addr(n), 1_000_000_000_000))
                .collect(),
            market: MarketParams::default(),
            oracle_quorum: 1,
            zk_verifying_key: None,
            kyc: KycMode::AdminMints,
        };
        let d = deploy(&admin, &opts).await.expect("deploy").deployment;
        let settlement = d.address("settlement").unwrap().to_string();
        let mo = d.address("meter-oracle").unwrap().to_string();
        let rep = d.address("reputation").unwrap().to_string();
        let (dso, alice, bob, carol) = (
            as_account("dso").await,
            as_account("alice").await,
            as_account("bob").await,
            as_account("carol").await,
        );

        // Two zones; 1 -> 2 carries 1500 Wh per slot at a 10 uaip/kWh fee.
        for (id, name) in [(1, "feeder A"), (2, "feeder B")] {
            dso.execute(&settlement, &json!({"upsert_zone": {"zone": {"id": id, "name": name}}}), &[])
                .await
                .unwrap();
        }
        dso.execute(
            &settlement,
            &json!({"set_corridor": {"corridor": {"from_zone": 1, "to_zone": 2,
                "capacity_wh": "1500", "loss_bps": 100, "fee_per_kwh": "10"}}}),
            &[],
        )
        .await
        .unwrap();
        let mut meters = vec![];
        // Node 1 is in zone 1, node 2 in zone 2: Bob's meter at node 1, Alice's and Carol's at node 2.
        dso.execute(&settlement, &json!({"set_node_zones": {"nodes": [{"node": 1, "zone": 1}, {"node": 2, "zone": 2}]}}), &[])
            .await
            .unwrap();
        for (who, node) in [("alice", 2), ("bob", 1), ("carol", 2)] {
            let key = device(&format!("matcher e2e {who} meter"));
            let tx = dso
                .execute(&mo, &json!({"register_meter": {"owner": addr(who), "node": node, "pubkey": key.public_key()}}), &[])
                .await
                .unwrap();
            meters.push(tx.wasm_attribute("meter").unwrap().parse::<u32>().unwrap());
            admin
                .execute(&rep, &json!({"mint_for": {"owner": addr(who)}}), &[])
                .await
                .unwrap();
        }
        let ratio = |v: Value| v["collateral_ratio_bps"].as_u64().unwrap() as u32;
        let bob_ratio = ratio(alice.query(&rep, &json!({"trading_terms": {"account": addr("bob")}})).await.unwrap());
        let carol_ratio = ratio(alice.query(&rep, &json!({"trading_terms": {"account": addr("carol")}})).await.unwrap());

        // Alice (zone 2) bids 3000 Wh; Bob (zone 1) offers 2000 cheap, Carol (zone 2) 2000 dearer.
        let gate = MarketParams::default().gate_closure_secs;
        let (_, now) = alice.latest_block().await.unwrap();
        let slot = market::next_open_slot(now as u64, gate, 60);
        let id = |tx: chain_client::TxResponse| -> u64 { tx.wasm_attribute("order_id").unwrap().parse().unwrap() };
        let bid = id(alice
            .execute_multi(vec![market::place_bid(&d, slot, 2, meters[0], 3_000, 250_000).unwrap()])
            .await
            .unwrap());
        let cheap = id(bob
            .execute_multi(vec![market::place_offer(&d, slot, 1, meters[1], 2_000, 200_000,
                market::offer_collateral(2_000, 200_000, MarketParams::default().collateral_floor_price, bob_ratio).unwrap()).unwrap()])
            .await
            .unwrap());
        let dear = id(carol
            .execute_multi(vec![market::place_offer(&d, slot, 2, meters[2], 2_000, 230_000,
                market::offer_collateral(2_000, 230_000, MarketParams::default().collateral_floor_price, carol_ratio).unwrap()).unwrap()])
            .await
            .unwrap());

        let file = DeploymentFile::load(&out).unwrap();
        // Only the matcher role may run the agent.
        let err = Agent::new(alice.clone(), &file, Method::Auto).await.err().unwrap();
        assert_eq!(
            err.to_string(),
            format!("signer {} is not the settlement contract's matcher ({})", addr("alice"), addr("matcher"))
        );
        let agent = Agent::new(as_account("matcher").await, &file, Method::Auto).await.unwrap();

        // Before gate closure the agent leaves the slot alone.
        assert_eq!(agent.cycle(slot).await.unwrap(), CycleOutcome::NotMatching { phase: "open".into() });

        // At gate closure: one cycle commits the clearing.
        let (_, now) = alice.latest_block().await.unwrap();
        advance(slot - gate - now as u64 + 2);
        let outcome = agent.cycle(slot).await.unwrap();
        let CycleOutcome::Committed { trades, wh, dropped, .. } = outcome.clone() else {
            panic!("{outcome:?}");
        };
        assert_eq!((trades, wh, dropped), (2, 3_000, 0), "{outcome:?}");

        let on_chain: Value = alice
            .query(&settlement, &json!({"trades_by_slot": {"slot": slot, "start_after": null, "limit": null}}))
            .await
            .unwrap();
        let mut got: Vec<(u64, u64, u64, u64)> = on_chain["trades"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (
                t["bid"].as_u64().unwrap(),
                t["offer"].as_u64().unwrap(),
                t["wh"].as_str().unwrap().parse().unwrap(),
                t["price"].as_str().unwrap().parse().unwrap(),
            ))
            .collect();
        got.sort();
        assert_eq!(got.len(), 2, "{on_chain}");
        // the cheap offer across the corridor up to its capacity, the rest in zone 2
        assert_eq!((got[0].0, got[0].1, got[0].2), (bid, cheap, 1_500));
        assert_eq!((got[1].0, got[1].1, got[1].2), (bid, dear, 1_500));
        assert!(got[0].3 >= 200_000 && got[0].3 + 10 <= 250_000, "{got:?}");
        assert!(got[1].3 >= 230_000 && got[1].3 <= 250_000, "{got:?}");
        let status: Value = alice
            .query(&settlement, &json!({"slot_status": {"slot": slot}}))
            .await
            .unwrap();
        assert_eq!(status["trades"], 2);
        assert_eq!(status["phase"], "matching");

        // Idempotent: the same cycle again, a restarted agent, and the run loop
        // (stopped after a few polls, as ctrl-c stops it) commit nothing more.
        assert_eq!(agent.cycle(slot).await.unwrap(), CycleOutcome::AlreadyCommitted { trades: 2 });
        let restarted = Agent::new(as_account("matcher").await, &file, Method::Auto).await.unwrap();
        restarted
            .run(Duration::from_millis(500), tokio::time::sleep(Duration::from_secs(3)))
            .await
            .unwrap();
        // The binary: one cycle of `aip-matcher run --once`, and a refused signer.
        let bin = |key: &str| {
            std::process::Command::new(env!("CARGO_BIN_EXE_aip-matcher"))
                .args(["run", "--deployment"])
                .arg(&out)
                .args(["--key", key, "--once", &slot.to_string()])
                .output()
                .unwrap()
        };
        let o = bin("matcher");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "AlreadyCommitted { trades: 2 }");
        let o = bin("bob");
        assert!(!o.status.success());
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(&format!("signer {} is not the settlement contract's matcher", addr("bob"))), "{stderr}");
        let status: Value = alice
            .query(&settlement, &json!({"slot_status": {"slot": slot}}))
            .await
            .unwrap();
        assert_eq!(status["trades"], 2);

        // The run loop commits the next slot by itself once its gate closes.
        let (_, now) = alice.latest_block().await.unwrap();
        let next = market::next_open_slot(now as u64, gate, 60);
        let bid2 = id(alice
            .execute_multi(vec![market::place_bid(&d, next, 2, meters[0], 1_000, 250_000).unwrap()])
            .await
            .unwrap());
        let offer2 = id(carol
            .execute_multi(vec![market::place_offer(&d, next, 2, meters[2], 1_000, 230_000,
                market::offer_collateral(1_000, 230_000, MarketParams::default().collateral_floor_price, carol_ratio).unwrap()).unwrap()])
            .await
            .unwrap());
        let (_, now) = alice.latest_block().await.unwrap();
        advance(next - gate - now as u64 + 2);
        restarted
            .run(Duration::from_millis(500), tokio::time::sleep(Duration::from_secs(8)))
            .await
            .unwrap();
        let on_chain: Value = alice
            .query(&settlement, &json!({"trades_by_slot": {"slot": next, "start_after": null, "limit": null}}))
            .await
            .unwrap();
        let t = &on_chain["trades"].as_array().unwrap();
        assert_eq!(t.len(), 1, "{on_chain}");
        assert_eq!((t[0]["bid"].as_u64(), t[0]["offer"].as_u64(), t[0]["wh"].as_str()), (Some(bid2), Some(offer2), Some("1000")));
    });
    let _ = std::fs::remove_file(&out);
}

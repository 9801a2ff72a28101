//! End-to-end tests against the real localnet (wasmd), behind the `e2e` feature:
//!
//! ```sh
//! ci/build-wasm.sh && ci/localnet.sh start
//! cargo test -p aip-cli --features e2e --test e2e
//! ```
//!
//! Each run deploys a fresh set of contracts (codes already on chain are
//! reused) into a deployment file under the target directory. The tests
//! share accounts and check exact balances, so they run one at a time (a
//! process-wide lock), whatever `--test-threads` says.
#![cfg(feature = "e2e")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use aip_cli::deploy::{deploy, DeployReport, MarketParams};
use aip_cli::deployment::Deployment;
use chain_client::cosmrs::cosmwasm::MsgExecuteContract;
use chain_client::cosmrs::tx::Msg;
use chain_client::{Error, Execute};
use common::*;
use serde_json::{json, Value};

fn deployment_path() -> PathBuf {
    deployment_file("deployment")
}

/// Held for the whole of each test: they share accounts and balances.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The run's deployment, made once by whichever test gets here first.
fn deployed() -> (Deployment, DeployReport) {
    static D: OnceLock<(Deployment, DeployReport)> = OnceLock::new();
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    D.get_or_init(|| {
        let path = deployment_path();
        let _ = std::fs::remove_file(&path);
        rt().block_on(async {
            let c = as_account("validator").await;
            let r = deploy(&c, &options(path)).await.expect("deploy");
            (r.deployment.clone(), r)
        })
    })
    .clone()
}

#[test]
fn deploy_records_every_contract_and_a_rerun_changes_nothing() {
    let _serial = serial();
    let (d, first) = deployed();
    assert_eq!(d.chain_id, "aip-localnet-1");
    let token = d.address("aip-token").unwrap().to_string();
    assert!(token.starts_with("wasm1"));
    assert!(first
        .instantiated
        .iter()
        .any(|(n, a, _)| n == "aip-token" && *a == token));
    // Every artifact has a code id and the artifact's checksum.
    for art in aip_cli::deploy::artifacts(&root().join("artifacts")).unwrap() {
        assert_eq!(d.codes[&art.name].checksum, art.checksum, "{}", art.name);
    }
    rt().block_on(async {
        let c = as_account("validator").await;
        let again = deploy(&c, &options(deployment_path())).await.unwrap();
        assert!(again.stored.is_empty(), "{:?}", again.stored);
        assert!(again.instantiated.is_empty(), "{:?}", again.instantiated);
        assert!(again.wired.is_empty(), "{:?}", again.wired);
        assert_eq!(again.deployment.contracts, d.contracts);
        let info = c.contract_info(&token).await.unwrap();
        assert_eq!(info.code_id, d.codes["aip-token"].code_id);
        assert_eq!(info.admin.as_deref(), Some(addr("validator").as_str()));
    });
}

#[test]
fn a_token_transfer_moves_exactly_the_amount() {
    let _serial = serial();
    let (d, _) = deployed();
    let token = d.address("aip-token").unwrap().to_string();
    rt().block_on(async {
        let alice = as_account("alice").await;
        let (a0, c0) = (
            aip_balance(&alice, &token, &addr("alice")).await,
            aip_balance(&alice, &token, &addr("carol")).await,
        );
        let tx = alice
            .execute(
                &token,
                &json!({"transfer": {"recipient": addr("carol"), "amount": "1234567"}}),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(tx.wasm_attribute("action"), Some("transfer"));
        assert!(tx.gas_used > 0 && tx.gas_used <= tx.gas_wanted);
        assert_eq!(
            aip_balance(&alice, &token, &addr("alice")).await,
            a0 - 1_234_567
        );
        assert_eq!(
            aip_balance(&alice, &token, &addr("carol")).await,
            c0 + 1_234_567
        );
    });
}

#[test]
fn a_wrong_signer_is_refused_with_the_chains_error_and_changes_nothing() {
    let _serial = serial();
    let (d, _) = deployed();
    let token = d.address("aip-token").unwrap().to_string();
    rt().block_on(async {
        let bob = as_account("bob").await;
        let supply = |v: Value| v["total_supply"].as_str().unwrap().to_string();
        let before = supply(bob.query(&token, &json!({"token_info": {}})).await.unwrap());

        // Only the minter may mint: the contract's error comes back verbatim.
        let err = bob
            .execute(
                &token,
                &json!({"mint": {"recipient": addr("bob"), "amount": "1"}}),
                &[],
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Simulation { .. }), "{err:?}");
        assert!(err.raw_log().unwrap().contains("Unauthorized"), "{err}");

        // A message claiming alice as sender, signed by bob: the chain refuses the signature.
        let forged = MsgExecuteContract {
            sender: addr("alice").parse().unwrap(),
            contract: token.parse().unwrap(),
            msg: serde_json::to_vec(
                &json!({"transfer": {"recipient": addr("bob"), "amount": "1"}}),
            )
            .unwrap(),
            funds: vec![],
        }
        .to_any()
        .unwrap();
        let err = bob.broadcast(vec![forged], "").await.unwrap_err();
        let log = err.raw_log().unwrap_or_default().to_string();
        assert!(
            log.contains("pubKey does not match signer address")
                || log.contains("invalid pubkey")
                || log.contains("unauthorized"),
            "{err}"
        );

        let after = supply(bob.query(&token, &json!({"token_info": {}})).await.unwrap());
        assert_eq!(before, after);
    });
}

#[test]
fn a_replayed_transaction_is_refused_and_pays_once() {
    let _serial = serial();
    let (d, _) = deployed();
    let token = d.address("aip-token").unwrap().to_string();
    rt().block_on(async {
        let dave = as_account("dave").await;
        let to = addr("oracle");
        let b0 = aip_balance(&dave, &token, &to).await;
        let msg = json!({"transfer": {"recipient": to, "amount": "1000"}});
        let msgs = dave
            .execute_any(vec![Execute::new(&token, &msg, &[]).unwrap()])
            .unwrap();
        let signed = dave.sign_tx(msgs.clone(), "").await.unwrap();
        let first = dave.broadcast_signed(&signed).await.unwrap();
        assert_eq!(first.hash, signed.hash);

        // The same bytes again: the node refuses them.
        let err = dave.broadcast_signed(&signed).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::DuplicateTx { .. } | Error::SequenceMismatch { .. }
            ),
            "{err:?}"
        );
        // The same sequence with different bytes: the chain's replay protection.
        let acct = dave.account(&addr("dave")).await.unwrap();
        let stale = chain_client::AccountState {
            sequence: signed.sequence,
            ..acct
        };
        let replay = dave
            .sign_with_sequence(msgs, "replay", stale, 500_000)
            .unwrap();
        let err = dave.broadcast_signed(&replay).await.unwrap_err();
        match &err {
            Error::SequenceMismatch { expected, got, log } => {
                assert_eq!(*got, signed.sequence);
                assert!(*expected > signed.sequence);
                assert!(log.contains("account sequence mismatch"), "{log}");
            }
            other => panic!("expected a sequence mismatch, got {other:?}"),
        }
        assert_eq!(aip_balance(&dave, &token, &to).await, b0 + 1000);
    });
}

#[test]
fn two_clients_of_one_key_recover_from_sequence_mismatches() {
    let _serial = serial();
    let (d, _) = deployed();
    let token = d.address("aip-token").unwrap().to_string();
    rt().block_on(async {
        // Separate clients track the sequence separately: the second one's
        // cached sequence goes stale and it must re-sign.
        let a = as_account("carol").await;
        let b = as_account("carol").await;
        let to = addr("matcher");
        let b0 = aip_balance(&a, &token, &to).await;
        let msg = json!({"transfer": {"recipient": to, "amount": "7"}});
        for _ in 0..2 {
            a.execute(&token, &msg, &[]).await.unwrap();
            b.execute(&token, &msg, &[]).await.unwrap();
        }
        assert_eq!(aip_balance(&a, &token, &to).await, b0 + 28);
    });
}

#[test]
fn queries_of_unknown_contracts_and_bad_messages_fail_clearly() {
    let _serial = serial();
    let (d, _) = deployed();
    let token = d.address("aip-token").unwrap().to_string();
    rt().block_on(async {
        let c = chain().await;
        let err = c
            .query::<Value>(&token, &json!({"no_such_query": {}}))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Query { .. }), "{err:?}");
        assert!(err.raw_log().unwrap().contains("unknown variant"), "{err}");
        let err = c
            .query::<Value>("cosmos1xyz", &json!({"token_info": {}}))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidAddress { .. }), "{err:?}");
    });
}

#[test]
fn one_trade_from_orders_to_settlement_on_chain() {
    let _serial = serial();
    use aip_cli::market::{self, DeviceKey};
    let (d, _) = deployed();
    if !d.contracts.contains_key("settlement") {
        assert!(
            !root().join("contracts/settlement/Cargo.toml").exists(),
            "settlement exists but was not deployed: run ci/build-wasm.sh"
        );
        return;
    }
    let token = d.address("aip-token").unwrap().to_string();
    let settlement = d.address("settlement").unwrap().to_string();
    let mo = d.address("meter-oracle").unwrap().to_string();
    let rep = d.address("reputation").unwrap().to_string();
    rt().block_on(async {
        let (admin, dso, buyer, seller, matcher, oracle) = (
            as_account("validator").await,
            as_account("dso").await,
            as_account("alice").await,
            as_account("bob").await,
            as_account("matcher").await,
            as_account("oracle").await,
        );
        // Grid, meters, KYC'd participants.
        dso.execute(&settlement, &json!({"upsert_zone": {"zone": {"id": 1, "name": "feeder A"}}}), &[])
            .await
            .unwrap();
        let (ka, kb): (DeviceKey, DeviceKey) = (device("e2e alice meter"), device("e2e bob meter"));
        let mut meters = vec![];
        for (owner, key) in [(addr("alice"), &ka), (addr("bob"), &kb)] {
            let tx = dso
                .execute(&mo, &json!({"register_meter": {"owner": owner, "node": 1, "pubkey": key.public_key()}}), &[])
                .await
                .unwrap();
            meters.push(tx.wasm_attribute("meter").unwrap().parse::<u32>().unwrap());
        }
        let (meter_a, meter_b) = (meters[0], meters[1]);
        // Node 1 is in zone 1: orders on these meters are in zone 1.
        dso.execute(&settlement, &json!({"set_node_zones": {"nodes": [{"node": 1, "zone": 1}]}}), &[])
            .await
            .unwrap();
        for who in ["alice", "bob"] {
            admin
                .execute(&rep, &json!({"mint_for": {"owner": addr(who)}}), &[])
                .await
                .unwrap();
        }
        let terms: Value = buyer
            .query(&rep, &json!({"trading_terms": {"account": addr("bob")}}))
            .await
            .unwrap();
        let ratio = terms["collateral_ratio_bps"].as_u64().unwrap() as u32;

        // Orders for the next open slot.
        let (_, now) = buyer.latest_block().await.unwrap();
        let slot = market::next_open_slot(now as u64, 300, 60);
        let (wh, max_price, min_price, price) = (2_000u128, 250_000u128, 200_000u128, 220_000u128);
        let a0 = aip_balance(&buyer, &token, &addr("alice")).await;
        let b0 = aip_balance(&buyer, &token, &addr("bob")).await;
        let bid = buyer
            .execute_multi(vec![market::place_bid(&d, slot, 1, meter_a, wh, max_price).unwrap()])
            .await
            .unwrap();
        let bid_id: u64 = bid.wasm_attribute("order_id").unwrap().parse().unwrap();
        let collateral =
            market::offer_collateral(wh, min_price, MarketParams::default().collateral_floor_price, ratio).unwrap();
        let offer = seller
            .execute_multi(vec![market::place_offer(&d, slot, 1, meter_b, wh, min_price, collateral).unwrap()])
            .await
            .unwrap();
        let offer_id: u64 = offer.wasm_attribute("order_id").unwrap().parse().unwrap();
        assert_eq!(
            aip_balance(&buyer, &token, &addr("alice")).await,
            a0 - market::bid_escrow(wh, max_price).unwrap()
        );

        // The matcher commits; only the matcher may.
        let commit = market::commit_matches(&d, slot, &[(bid_id, offer_id, wh, price)]).unwrap();
        let err = buyer.execute_multi(vec![commit.clone()]).await.unwrap_err();
        assert!(
            err.raw_log()
                .unwrap()
                .contains("may not commit matches: only the matcher"),
            "{err}"
        );
        matcher.execute_multi(vec![commit]).await.unwrap();

        // After the slot: device-signed readings, then settlement after the dispute window.
        let (_, now) = buyer.latest_block().await.unwrap();
        advance(slot + 900 + 5 - now as u64);
        let readings = vec![
            ka.reading(&d, meter_a, slot, 0, wh).unwrap(),
            kb.reading(&d, meter_b, slot, wh, 0).unwrap(),
        ];
        oracle
            .execute(&mo, &json!({"submit_readings": {"slot": slot, "readings": readings}}), &[])
            .await
            .unwrap();
        buyer
            .execute(&settlement, &json!({"fetch_deliveries": {"slot": slot, "limit": null}}), &[])
            .await
            .unwrap();
        let err = buyer
            .execute(&settlement, &json!({"settle": {"slot": slot, "limit": null}}), &[])
            .await
            .unwrap_err();
        assert!(err.raw_log().unwrap().contains("settle"), "{err}");
        advance(3_600 + 5);
        buyer
            .execute(&settlement, &json!({"settle": {"slot": slot, "limit": null}}), &[])
            .await
            .unwrap();

        // Money: the seller is paid floor(wh * price / 1000) plus the collateral
        // back; the buyer gets the rest of the escrow back.
        let paid = market::payment(wh, price).unwrap();
        for (who, c) in [("alice", &buyer), ("bob", &seller)] {
            c.execute(&settlement, &json!({"withdraw": {"amount": null}}), &[])
                .await
                .unwrap();
            let bal: Value = c
                .query(&settlement, &json!({"balance": {"account": addr(who)}}))
                .await
                .unwrap();
            assert_eq!(bal["claimable"], "0", "{who}");
            assert_eq!(bal["locked_in_orders"], "0", "{who}");
        }
        assert_eq!(aip_balance(&buyer, &token, &addr("alice")).await, a0 - paid);
        assert_eq!(aip_balance(&buyer, &token, &addr("bob")).await, b0 + paid);

        // Reputation recorded the delivered trade for both parties.
        for who in ["alice", "bob"] {
            let r: Value = buyer
                .query(&rep, &json!({"reputation": {"account": addr(who)}}))
                .await
                .unwrap();
            assert_eq!(r["history"]["trades"], 1, "{who}: {r}");
            // A purchase is not a success (only sales raise the seller terms).
            let successes = if who == "bob" { 1 } else { 0 };
            assert_eq!(r["history"]["successful_trades"], successes, "{who}: {r}");
        }
    });
}

/// An AIP `Send` to settlement carrying `hook` as raw JSON text (so that
/// spellings a typed message could not produce reach the contract).
fn raw_send(d: &Deployment, amount: u128, hook: &str) -> Execute {
    let msg = json!({"send": {
        "contract": d.address("settlement").unwrap(),
        "amount": amount.to_string(),
        "msg": cosmwasm_std::Binary::from(hook.as_bytes().to_vec()).to_base64(),
    }});
    Execute::new(d.address("aip-token").unwrap(), &msg, &[]).unwrap()
}

/// The market-integrity attacks C1 (one meter under many spellings, someone
/// else's meter) and H2 (free and oversized orders) on the real chain: every
/// attempt is refused with the contract's message and moves no token.
#[test]
fn integrity_attacks_are_refused_on_chain() {
    let _serial = serial();
    use aip_cli::market;
    let (d, _) = deployed();
    if !d.contracts.contains_key("settlement") {
        return;
    }
    let token = d.address("aip-token").unwrap().to_string();
    let settlement = d.address("settlement").unwrap().to_string();
    let mo = d.address("meter-oracle").unwrap().to_string();
    let rep = d.address("reputation").unwrap().to_string();
    rt().block_on(async {
        let (admin, dso, carol, dave) = (
            as_account("validator").await,
            as_account("dso").await,
            as_account("carol").await,
            as_account("dave").await,
        );
        dso.execute(&settlement, &json!({"upsert_zone": {"zone": {"id": 1, "name": "feeder A"}}}), &[])
            .await
            .unwrap();
        dso.execute(&settlement, &json!({"set_node_zones": {"nodes": [{"node": 1, "zone": 1}]}}), &[])
            .await
            .unwrap();
        let mut meters = vec![];
        for who in ["carol", "dave"] {
            let key = device(&format!("e2e integrity {who} meter"));
            let tx = dso
                .execute(&mo, &json!({"register_meter": {"owner": addr(who), "node": 1, "pubkey": key.public_key()}}), &[])
                .await
                .unwrap();
            meters.push(tx.wasm_attribute("meter").unwrap().parse::<u32>().unwrap());
            let has: Value = admin
                .query(&rep, &json!({"trading_terms": {"account": addr(who)}}))
                .await
                .unwrap();
            if has["registered"] != true {
                admin.execute(&rep, &json!({"mint_for": {"owner": addr(who)}}), &[]).await.unwrap();
            }
        }
        let (m_carol, m_dave) = (meters[0], meters[1]);
        let (_, now) = carol.latest_block().await.unwrap();
        let slot = market::next_open_slot(now as u64, 300, 60);
        let c0 = aip_balance(&carol, &token, &addr("carol")).await;
        let d0 = aip_balance(&carol, &token, &addr("dave")).await;
        let refused = |e: Error| e.raw_log().unwrap_or_default().to_string();

        // C1: the meter id has one spelling; strings, leading zeros and signs do not parse.
        for spelling in [format!("\"{m_dave}\""), format!("0{m_dave}"), format!("\"+{m_dave}\"")] {
            let hook = format!(
                r#"{{"place_offer":{{"slot":{slot},"zone":1,"meter":{spelling},"wh":"1000","min_price":"200000","premium_only":false}}}}"#
            );
            let e = dave.execute_multi(vec![raw_send(&d, 100_000, &hook)]).await.unwrap_err();
            let log = refused(e);
            assert!(log.contains("Error parsing into type settlement::msg::ReceiveMsg"), "{spelling}: {log}");
        }
        // C1: Carol cannot sell on Dave's meter.
        let e = carol
            .execute_multi(vec![market::place_offer(&d, slot, 1, m_dave, 1_000, 200_000, 100_000).unwrap()])
            .await
            .unwrap_err();
        let log = refused(e);
        assert!(log.contains(&format!("meter {m_dave} belongs to {}, not to the sender", addr("dave"))), "{log}");

        // H2: a free bid (price 0) and an oversized offer are refused.
        let hook = format!(r#"{{"place_bid":{{"slot":{slot},"zone":1,"meter":{m_carol},"wh":"1000","max_price":"0"}}}}"#);
        let e = carol.execute_multi(vec![raw_send(&d, 1, &hook)]).await.unwrap_err();
        let log = refused(e);
        assert!(log.contains("order price 0 uaip/kWh is below the minimum 1"), "{log}");
        let over = aip_types::MAX_ORDER_WH + 1;
        let e = dave
            .execute_multi(vec![market::place_offer(&d, slot, 1, m_dave, over, 200_000, 1).unwrap()])
            .await
            .unwrap_err();
        let log = refused(e);
        assert!(
            log.contains(&format!("order quantity {over} Wh is above the maximum {} Wh", aip_types::MAX_ORDER_WH)),
            "{log}"
        );

        // Nothing moved.
        assert_eq!(aip_balance(&carol, &token, &addr("carol")).await, c0);
        assert_eq!(aip_balance(&carol, &token, &addr("dave")).await, d0);
        let open: Value = carol
            .query(&settlement, &json!({"open_orders": {"slot": slot, "zone": null, "side": null, "start_after": null, "limit": null}}))
            .await
            .unwrap();
        assert_eq!(open["orders"].as_array().unwrap().len(), 0, "{open}");
    });
}

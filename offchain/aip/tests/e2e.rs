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

/// Runs `test` with the address of the run's deployed token, on a runtime
/// of its own, holding the serial lock.
fn on_token<F, Fut>(test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let _serial = serial();
    let (d, _) = deployed();
    let token = d.address("aip-token").unwrap().to_string();
    rt().block_on(test(token));
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
    on_token(|token| async move {
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
    on_token(|token| async move {
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
    on_token(|token| async move {
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
    on_token(|token| async move {
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
    on_token(|token| async move {
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

/// The wallet key of the test account `name` (its transactions and intents).
fn wallet(name: &str) -> aip_cli::market::WalletKey {
    aip_cli::market::WalletKey::from_mnemonic(
        chain_client::testnet::mnemonic(name).unwrap(),
        chain_client::COSMOS_HD_PATH,
        "wasm",
    )
    .unwrap()
}

/// The settlement balance (free, locked) of `who`, uaip.
async fn ledger(c: &chain_client::ChainClient, settlement: &str, who: &str) -> (u128, u128) {
    let b: Value = c
        .query(settlement, &json!({"balance": {"account": who}}))
        .await
        .unwrap();
    let n = |k: &str| b[k].as_str().unwrap().parse::<u128>().unwrap();
    (n("free"), n("locked"))
}

#[test]
fn one_trade_from_signed_intents_to_settlement_on_chain() {
    let _serial = serial();
    use aip_cli::market::{self, DeviceKey, OrderTerms};
    use aip_types::intent::Side;
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
        one_zone_grid(&settlement, 1).await;
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
        // Node 1 is in zone 1: intents on these meters are in zone 1.
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

        // Each deposits once: 1 AIP into its free balance.
        let a0 = aip_balance(&buyer, &token, &addr("alice")).await;
        let b0 = aip_balance(&buyer, &token, &addr("bob")).await;
        let (fa0, _) = ledger(&buyer, &settlement, &addr("alice")).await;
        let (fb0, _) = ledger(&buyer, &settlement, &addr("bob")).await;
        buyer.execute_multi(vec![market::deposit(&d, AIP).unwrap()]).await.unwrap();
        seller.execute_multi(vec![market::deposit(&d, AIP).unwrap()]).await.unwrap();
        assert_eq!(aip_balance(&buyer, &token, &addr("alice")).await, a0 - AIP);
        assert_eq!(ledger(&buyer, &settlement, &addr("alice")).await.0, fa0 + AIP);

        // Intents for the next open slot, signed off chain: Alice as Keplr
        // does (ADR-036), Bob as MetaMask does (EIP-712). No transaction.
        let (_, now) = buyer.latest_block().await.unwrap();
        let slot = open_slot(now as u64, EVEN);
        let (wh, max_price, min_price, price) = (2_000u64, 250_000u64, 200_000u64, 220_000u128);
        let (wa, wb) = (wallet("alice"), wallet("bob"));
        assert_eq!((wa.address(), wb.address()), (addr("alice"), addr("bob")));
        let bid = market::order_intent(&d, &wa.address(), slot, &OrderTerms {
            side: Side::Buy, slot, meter: meter_a, wh, limit_price: max_price,
        })
        .unwrap();
        let offer = market::order_intent(&d, &wb.address(), slot, &OrderTerms {
            side: Side::Sell, slot, meter: meter_b, wh, limit_price: min_price,
        })
        .unwrap();
        let intents = vec![wa.sign(&bid, false), wb.sign(&offer, true)];
        let trade = [(0u32, 1u32, u128::from(wh), price)];

        // The matcher commits; only the matcher may.
        let commit = market::commit_intents(&d, slot, &intents, &trade).unwrap();
        let err = buyer.execute_multi(vec![commit.clone()]).await.unwrap_err();
        assert!(
            err.raw_log().unwrap().contains("may not commit intents: only the matcher"),
            "{err}"
        );
        matcher.execute_multi(vec![commit.clone()]).await.unwrap();
        // Payment and collateral are locked from the deposits.
        let paid = market::payment(u128::from(wh), price).unwrap();
        let collateral = market::offer_collateral(
            u128::from(wh),
            u128::from(min_price),
            MarketParams::default().collateral_floor_price.u128(),
            ratio,
        )
        .unwrap();
        assert_eq!(ledger(&buyer, &settlement, &addr("alice")).await, (fa0 + AIP - paid, paid));
        assert_eq!(
            ledger(&buyer, &settlement, &addr("bob")).await,
            (fb0 + AIP - collateral, collateral)
        );
        // A replay of the same batch is refused: a slot takes one commit.
        let err = matcher.execute_multi(vec![commit]).await.unwrap_err();
        assert!(
            err.raw_log().unwrap().contains(&format!("slot {slot} is already committed")),
            "{err}"
        );
        // A one-slot intent keeps no fill record once its slot is committed
        // (`rules::fill_needs_record`): the slot commits once, so it cannot
        // fill again; the trade itself records the fill.
        let fill: Value = buyer
            .query(&settlement, &json!({"intent_fill": {"owner": addr("alice"), "nonce": slot}}))
            .await
            .unwrap();
        assert_eq!(fill["filled"], 0, "{fill}");
        assert_eq!(fill["hash_prefix"], Value::Null, "{fill}");

        // After the slot: device-signed readings, then settlement after the dispute window.
        let (_, now) = buyer.latest_block().await.unwrap();
        advance(slot + 900 + 5 - now as u64);
        let readings = vec![
            ka.reading(&d, meter_a, slot, 0, u128::from(wh)).unwrap(),
            kb.reading(&d, meter_b, slot, u128::from(wh), 0).unwrap(),
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

        // Money: the seller is paid floor(wh * price / 1000) and its
        // collateral is freed; the buyer's free balance paid exactly that.
        assert_eq!(ledger(&buyer, &settlement, &addr("alice")).await, (fa0 + AIP - paid, 0));
        assert_eq!(ledger(&buyer, &settlement, &addr("bob")).await, (fb0 + AIP + paid, 0));
        // Withdrawing everything brings it back to the wallets.
        for c in [&buyer, &seller] {
            c.execute_multi(vec![market::withdraw(&d, None).unwrap()]).await.unwrap();
        }
        assert_eq!(ledger(&buyer, &settlement, &addr("alice")).await, (0, 0));
        assert_eq!(aip_balance(&buyer, &token, &addr("alice")).await, a0 + fa0 - paid);
        assert_eq!(aip_balance(&buyer, &token, &addr("bob")).await, b0 + fb0 + paid);
        // Nothing left to withdraw: refused with the reason.
        let err = buyer.execute_multi(vec![market::withdraw(&d, None).unwrap()]).await.unwrap_err();
        assert!(err.raw_log().unwrap().contains("nothing to withdraw"), "{err}");

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

/// A `commit_intents` whose JSON is given as text (so that spellings a
/// typed message could not produce reach the contract).
/// Slot parities: the two tests that commit on the shared deployment take
/// slots of different parity, so neither can take the other's (a slot takes
/// one commit). Taking "the next open slot" and "the one after" instead
/// collided when the second test ran first and a slot boundary passed
/// before the first read the clock: both then named the same slot and the
/// later commit failed with "slot … is already committed".
const EVEN: u64 = 0;
const ODD: u64 = 1;

/// The first slot open for intents at `now` (gate 300 s, 60 s margin) whose
/// index (start / 900) has the parity `parity`.
fn open_slot(now: u64, parity: u64) -> u64 {
    let s = aip_cli::market::next_open_slot(now, 300, 60);
    if (s / aip_types::SLOT_SECONDS) % 2 == parity {
        s
    } else {
        s + aip_types::SLOT_SECONDS
    }
}

#[test]
fn open_slots_of_the_two_parities_never_meet() {
    for now in (1_796_600_000..1_796_600_000 + 3 * 900).step_by(7) {
        let (a, b) = (open_slot(now, EVEN), open_slot(now + 60, ODD));
        assert_ne!(a, b);
        assert!(a >= now + 360 && b >= now + 420, "{now}: {a} {b}");
        assert_eq!(((a / 900) % 2, (b / 900) % 2), (0, 1));
    }
}

fn raw_commit(d: &Deployment, json_text: &str) -> Execute {
    let msg: Value = serde_json::from_str(json_text).unwrap_or(Value::String(json_text.into()));
    Execute::new(d.address("settlement").unwrap(), &msg, &[]).unwrap()
}

/// The market-integrity attacks C1 (one meter under many spellings, someone
/// else's meter) and H2 (free and oversized orders) on the real chain, now
/// as signed intents in a matcher's batch: every attempt is refused with the
/// contract's message naming the intent, and moves no token.
#[test]
fn integrity_attacks_are_refused_on_chain() {
    let _serial = serial();
    use aip_cli::market::{self, OrderTerms};
    use aip_types::intent::Side;
    let (d, _) = deployed();
    if !d.contracts.contains_key("settlement") {
        return;
    }
    let token = d.address("aip-token").unwrap().to_string();
    let settlement = d.address("settlement").unwrap().to_string();
    let mo = d.address("meter-oracle").unwrap().to_string();
    let rep = d.address("reputation").unwrap().to_string();
    rt().block_on(async {
        let (admin, dso, carol, dave, matcher) = (
            as_account("validator").await,
            as_account("dso").await,
            as_account("carol").await,
            as_account("dave").await,
            as_account("matcher").await,
        );
        one_zone_grid(&settlement, 1).await;
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
        for c in [&carol, &dave] {
            c.execute_multi(vec![market::deposit(&d, AIP).unwrap()]).await.unwrap();
        }
        let (_, now) = carol.latest_block().await.unwrap();
        let slot = open_slot(now as u64, ODD);
        let held0 = aip_balance(&carol, &token, &settlement).await;
        let l0 = [
            ledger(&carol, &settlement, &addr("carol")).await,
            ledger(&carol, &settlement, &addr("dave")).await,
        ];
        let refused = |e: Error| e.raw_log().unwrap_or_default().to_string();
        let (wc, wd) = (wallet("carol"), wallet("dave"));
        let terms = |side, meter, wh, limit_price| OrderTerms { side, slot, meter, wh, limit_price };
        let bid = market::order_intent(&d, &wc.address(), slot, &terms(Side::Buy, m_carol, 1_000, 250_000)).unwrap();
        let offer = market::order_intent(&d, &wd.address(), slot, &terms(Side::Sell, m_dave, 1_000, 200_000)).unwrap();
        let good = [wc.sign(&bid, false), wd.sign(&offer, false)];

        // C1: the meter id has one spelling. An intent travels as one base64
        // string of its compact bytes (version, nonce, slot_from, slot_until,
        // meter, … as varints): the meter in a longer form than its shortest,
        // or beyond 32 bits, does not parse.
        let compact = match serde_json::to_value(&good[1]).unwrap() {
            Value::String(text) => cosmwasm_std::Binary::from_base64(&text).unwrap().to_vec(),
            other => panic!("an intent travels as a string, got {other}"),
        };
        let varint_end = |bytes: &[u8], mut at: usize| {
            while bytes[at] & 0x80 != 0 {
                at += 1;
            }
            at + 1
        };
        // after the version byte: nonce, slot_from, slot_until, then the meter
        let meter_at = (0..3).fold(1, |at, _| varint_end(&compact, at));
        let meter_end = varint_end(&compact, meter_at);
        let respelled = |meter: &[u8]| {
            let mut bytes = compact[..meter_at].to_vec();
            bytes.extend_from_slice(meter);
            bytes.extend_from_slice(&compact[meter_end..]);
            format!("\"{}\"", cosmwasm_std::Binary::from(bytes).to_base64())
        };
        let mut overlong = compact[meter_at..meter_end].to_vec();
        *overlong.last_mut().unwrap() |= 0x80;
        overlong.push(0);
        let beyond_32_bits = [0x80, 0x80, 0x80, 0x80, 0x10]; // 2^32
        for (bad, rule) in [
            (respelled(&overlong), "intent encoding: meter is not in its shortest form"),
            (respelled(&beyond_32_bits), "intent encoding: meter does not fit in 32 bits"),
        ] {
            let text = format!(
                r#"{{"commit_intents":{{"slot":{slot},"intents":[{},{bad}],"trades":"{}"}}}}"#,
                serde_json::to_string(&good[0]).unwrap(),
                cosmwasm_std::Binary::from(settlement::compact_trades::encode(&[settlement::msg::IntentTrade {
                    bid: 0,
                    offer: 1,
                    wh: 1_000u128.into(),
                    price: 220_000u128.into(),
                }]))
                .to_base64()
            );
            let e = matcher.execute_multi(vec![raw_commit(&d, &text)]).await.unwrap_err();
            let log = refused(e);
            assert!(
                log.contains("Error parsing into type settlement::msg::ExecuteMsg") && log.contains(rule),
                "{rule}: {log}"
            );
        }
        // The shortest spelling, re-encoded by the same code, is the intent itself.
        assert_eq!(respelled(&compact[meter_at..meter_end]), serde_json::to_string(&good[1]).unwrap());
        let trade = [(0u32, 1u32, 1_000u128, 220_000u128)];
        // C1: Carol cannot sell on Dave's meter, even with her own signature.
        let theft = market::order_intent(&d, &wc.address(), slot + 1, &terms(Side::Sell, m_dave, 1_000, 200_000)).unwrap();
        let bid_d = market::order_intent(&d, &wd.address(), slot + 1, &terms(Side::Buy, m_dave, 1_000, 250_000)).unwrap();
        let e = matcher
            .execute_multi(vec![market::commit_intents(&d, slot, &[wd.sign(&bid_d, false), wc.sign(&theft, false)], &trade).unwrap()])
            .await
            .unwrap_err();
        let log = refused(e);
        let stolen = format!("intent 1 rejected: meter {m_dave} belongs to {}, not to the sender", addr("dave"));
        assert!(log.contains(&stolen), "{log}");

        // H2: a free bid (price 0) and an oversized offer, signed by their
        // owners, are refused (the CLI refuses to build them at all).
        let mut free = bid.clone();
        free.limit_price = 0;
        free.nonce = slot + 2;
        let e = matcher
            .execute_multi(vec![market::commit_intents(&d, slot, &[wc.sign(&free, false), good[1].clone()], &trade).unwrap()])
            .await
            .unwrap_err();
        let log = refused(e);
        assert!(log.contains("intent 0 rejected: order price 0 uaip/kWh is below the minimum 1"), "{log}");
        let over = aip_types::MAX_ORDER_WH + 1;
        let mut big = offer.clone();
        big.wh = u64::try_from(over).unwrap();
        big.nonce = slot + 3;
        let e = matcher
            .execute_multi(vec![market::commit_intents(&d, slot, &[good[0].clone(), wd.sign(&big, true)], &trade).unwrap()])
            .await
            .unwrap_err();
        let log = refused(e);
        assert!(
            log.contains(&format!(
                "intent 1 rejected: order quantity {over} Wh is above the maximum {} Wh",
                aip_types::MAX_ORDER_WH
            )),
            "{log}"
        );
        // A field changed after signing: the signature no longer verifies.
        let mut forged = good[1].clone();
        forged.limit_price = 1;
        let e = matcher
            .execute_multi(vec![market::commit_intents(&d, slot, &[good[0].clone(), forged], &trade).unwrap()])
            .await
            .unwrap_err();
        let log = refused(e);
        assert!(log.contains("intent 1 rejected:"), "{log}");

        // Nothing moved: no balance, no fill, and the slot is still open
        // for a valid commit.
        assert_eq!(aip_balance(&carol, &token, &settlement).await, held0);
        assert_eq!(ledger(&carol, &settlement, &addr("carol")).await, l0[0]);
        assert_eq!(ledger(&carol, &settlement, &addr("dave")).await, l0[1]);
        let fill: Value = carol
            .query(&settlement, &json!({"intent_fill": {"owner": addr("carol"), "nonce": slot}}))
            .await
            .unwrap();
        assert_eq!(fill["filled"], 0, "{fill}");
        matcher
            .execute_multi(vec![market::commit_intents(&d, slot, &good, &trade).unwrap()])
            .await
            .unwrap();
        let (free_c, locked_c) = ledger(&carol, &settlement, &addr("carol")).await;
        let paid = market::payment(1_000, 220_000).unwrap();
        assert_eq!((free_c, locked_c), (l0[0].0 - paid, l0[0].1 + paid));
    });
}

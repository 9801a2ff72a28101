//! Contract upgrade with live state on the real localnet (wasmd), behind the
//! `e2e` feature:
//!
//! ```sh
//! ci/build-wasm.sh && ci/localnet.sh start
//! cargo test -p aip-cli --features e2e --test e2e_upgrade
//! ```
//!
//! Two identical deployments trade the same slots, every step of both in the
//! same transaction (so in the same block, at the same time). With deposits,
//! payments and collateral locked by committed, unsettled trades, a
//! cancelled intent and open signed intents for the next slot, the first
//! deployment's settlement and reputation are migrated to new code ids (the
//! same artifacts with their cw2 version raised a patch level: a new
//! release); the second is the control run. The open intents are then
//! committed, the cancelled one stays refused, and both slots finish on both
//! deployments: balances, trades, fills and reputation records must be
//! identical to the control and to the payment rule, and nothing may stay
//! behind in settlement.
//! Refused migrations (another contract's code; a downgrade) must change
//! nothing and name the reason.
#![cfg(feature = "e2e")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aip_cli::deploy::deploy;
use aip_cli::deployment::Deployment;
use aip_cli::market::{self, DeviceKey, OrderTerms, WalletKey};
use aip_types::intent::{BatchIntent, Side};
use chain_client::cosmrs::cosmwasm::MsgMigrateContract;
use chain_client::cosmrs::tx::Msg;
use chain_client::{ChainClient, Error, Execute, TxResponse};
use common::*;
use serde_json::{json, Value};

const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];
/// The intent nonces the test uses: 1 in slot S, 2 in the next slot, 9 cancelled.
const NONCES: [u64; 3] = [1, 2, 9];

/// The wallet key of the test account `name` (its transactions and intents).
fn wallet(name: &str) -> WalletKey {
    WalletKey::from_mnemonic(
        chain_client::testnet::mnemonic(name).unwrap(),
        chain_client::COSMOS_HD_PATH,
        "wasm",
    )
    .unwrap()
}

/// The artifact `name` with its cw2 version (stored next to its contract
/// name, `crates.io:<name><version>`) raised by one patch level, the same
/// length: the code of a newer release that the migrate guard accepts.
/// Returns the bytes and the new version.
fn newer_release(name: &str) -> (Vec<u8>, String) {
    let wasm = std::fs::read(root().join(format!("artifacts/{name}.wasm")))
        .expect("artifacts: run ci/build-wasm.sh");
    let version = env!("CARGO_PKG_VERSION");
    let (head, patch) = version.rsplit_once('.').unwrap();
    let patch: u32 = patch.parse().unwrap();
    let newer = format!("{head}.{}", patch + 1);
    assert_eq!(newer.len(), version.len(), "bump {version} by hand");
    let from = format!("crates.io:{name}{version}").into_bytes();
    let to = format!("crates.io:{name}{newer}").into_bytes();
    let at: Vec<usize> = wasm
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from.as_slice())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        at.len(),
        1,
        "{name}.wasm: the cw2 name and version not found once"
    );
    let mut out = wasm;
    out[at[0]..at[0] + to.len()].copy_from_slice(&to);
    (out, newer)
}

/// `MsgMigrateContract` of `contract` to `code_id` with `{}`, from `c`.
async fn migrate(c: &ChainClient, contract: &str, code_id: u64) -> Result<TxResponse, Error> {
    let msg = MsgMigrateContract {
        sender: c.address().unwrap().clone(),
        contract: contract.parse().unwrap(),
        code_id,
        msg: b"{}".to_vec(),
    }
    .to_any()
    .unwrap();
    c.broadcast(vec![msg], "").await
}

/// The market state of a deployment that a migration must keep.
async fn state(c: &ChainClient, d: &Deployment, slots: &[u64]) -> Value {
    let settlement = d.address("settlement").unwrap();
    let rep = d.address("reputation").unwrap();
    let token = d.address("aip-token").unwrap();
    let mut s = json!({
        "holdings": c.query::<Value>(settlement, &json!({"holdings": {}})).await.unwrap(),
        "held": aip_balance(c, token, settlement).await.to_string(),
    });
    for slot in slots {
        let q = json!({"trades_by_slot": {"slot": slot, "start_after": null, "limit": 100}});
        s[format!("trades {slot}")] = c.query(settlement, &q).await.unwrap();
    }
    for who in USERS {
        let a = addr(who);
        for nonce in NONCES {
            // The fill and cancellation (its hash prefix names the
            // deployment's contract, so it differs between the two).
            let q = json!({"intent_fill": {"owner": a, "nonce": nonce}});
            let f: Value = c.query(settlement, &q).await.unwrap();
            s[format!("fill {who} {nonce}")] = json!([f["filled"], f["cancelled"]]);
        }
        let q = json!({"balance": {"account": a}});
        s[format!("ledger {who}")] = c.query(settlement, &q).await.unwrap();
        let q = json!({"reputation": {"account": a}});
        s[format!("reputation {who}")] = c.query(rep, &q).await.unwrap();
        s[format!("aip {who}")] = json!(aip_balance(c, token, &a).await.to_string());
    }
    s
}

async fn code_of(c: &ChainClient, contract: &str) -> u64 {
    c.contract_info(contract).await.unwrap().code_id
}

/// Runs the same calls on both deployments in one transaction.
async fn both(c: &ChainClient, calls: Vec<Execute>) -> TxResponse {
    c.execute_multi(calls).await.unwrap()
}

fn exec(contract: &str, msg: Value) -> Execute {
    Execute::new(contract, &msg, &[]).unwrap()
}

#[test]
fn settlement_and_reputation_migrate_with_live_trades_and_settle_as_if_not() {
    let (a, b) = rt().block_on(async {
        let admin = as_account("validator").await;
        let a = deploy(&admin, &options(deployment_file("upgrade-migrated")))
            .await
            .expect("deploy");
        let b = deploy(&admin, &options(deployment_file("upgrade-control")))
            .await
            .expect("deploy");
        (a.deployment, b.deployment)
    });
    let ds = [&a, &b];
    let addr_of = |d: &Deployment, n: &str| d.address(n).unwrap().to_string();
    assert_ne!(addr_of(&a, "settlement"), addr_of(&b, "settlement"));
    rt().block_on(async {
        let (admin, dso, matcher, oracle) = (
            as_account("validator").await,
            as_account("dso").await,
            as_account("matcher").await,
            as_account("oracle").await,
        );
        let mut users = vec![];
        for who in USERS {
            users.push(as_account(who).await);
        }
        let (alice, carol) = (&users[0], &users[2]);

        // Grid, meters and participants, alike on both.
        let zone = |d: &Deployment| {
            exec(
                &addr_of(d, "settlement"),
                json!({"upsert_zone": {"zone": {"id": 1, "name": "feeder A"}}}),
            )
        };
        both(&dso, ds.iter().map(|d| zone(d)).collect()).await;
        // Node 1 is in zone 1: orders on meters at node 1 are in zone 1.
        let nodes = |d: &Deployment| {
            exec(
                &addr_of(d, "settlement"),
                json!({"set_node_zones": {"nodes": [{"node": 1, "zone": 1}]}}),
            )
        };
        both(&dso, ds.iter().map(|d| nodes(d)).collect()).await;
        let keys: Vec<DeviceKey> = USERS
            .iter()
            .map(|u| device(&format!("upgrade {u} meter")))
            .collect();
        let mut meters: Vec<u32> = vec![];
        for (who, key) in USERS.iter().zip(&keys) {
            let register = |d: &Deployment| {
                exec(
                    &addr_of(d, "meter-oracle"),
                    json!({"register_meter": {"owner": addr(who), "node": 1, "pubkey": key.public_key()}}),
                )
            };
            let tx = both(&dso, ds.iter().map(|d| register(d)).collect()).await;
            let ids = tx.attributes("wasm", "meter");
            assert_eq!(ids.len(), 2);
            assert_eq!(ids[0], ids[1], "both deployments number meters alike");
            meters.push(ids[0].parse().unwrap());
        }
        let mint = |d: &Deployment, who: &str| {
            exec(&addr_of(d, "reputation"), json!({"mint_for": {"owner": addr(who)}}))
        };
        both(
            &admin,
            ds.iter()
                .flat_map(|d| USERS.iter().map(move |u| mint(d, u)))
                .collect(),
        )
        .await;
        // Every user deposits 1 AIP on both.
        let (_, now) = alice.latest_block().await.unwrap();
        let s = market::next_open_slot(now as u64, 300, 120);
        let next = s + 900;
        let mut start = vec![];
        for who in USERS {
            start.push(aip_balance(alice, &addr_of(&a, "aip-token"), &addr(who)).await);
        }
        for c in &users {
            both(c, ds.iter().map(|d| market::deposit(d, AIP).unwrap()).collect()).await;
        }

        // Intents, signed off chain for each deployment (an intent names its
        // settlement contract): two pairs in slot S, a pair for S + 900 that
        // stays open across the migration, and one Carol cancels.
        let wallets: Vec<WalletKey> = USERS.iter().map(|u| wallet(u)).collect();
        let intent = |d: &Deployment, u: usize, nonce: u64, side, slot, wh, limit_price| -> BatchIntent {
            let terms = OrderTerms { side, slot, meter: meters[u], wh, limit_price };
            let i = market::order_intent(d, &wallets[u].address(), nonce, &terms).unwrap();
            wallets[u].sign(&i, u % 2 == 1)
        };
        let batch_s = |d: &Deployment| {
            vec![
                intent(d, 0, 1, Side::Buy, s, 2_000, 250_000),
                intent(d, 1, 1, Side::Sell, s, 2_000, 200_000),
                intent(d, 2, 1, Side::Buy, s, 1_000, 240_000),
                intent(d, 3, 1, Side::Sell, s, 1_500, 210_000),
            ]
        };
        let (pair1, pair2) = ((0u32, 1u32, 2_000u128, 220_000u128), (2u32, 3u32, 1_000u128, 215_000u128));
        let commit = |d: &Deployment| market::commit_intents(d, s, &batch_s(d), &[pair1, pair2]).unwrap();
        both(&matcher, ds.iter().map(|d| commit(d)).collect()).await;
        let batch_next = |d: &Deployment| {
            vec![intent(d, 0, 2, Side::Buy, next, 1_000, 230_000), intent(d, 1, 2, Side::Sell, next, 1_000, 210_000)]
        };
        let cancelled = |d: &Deployment| intent(d, 2, 9, Side::Buy, next, 500, 240_000);
        both(carol, ds.iter().map(|d| market::cancel_intent(d, 9).unwrap()).collect()).await;

        // Live state: payments and collateral locked from the deposits, two
        // committed trades not yet settled, a cancelled intent.
        let slots = [s, next];
        let before = state(alice, &a, &slots).await;
        assert_eq!(before, state(alice, &b, &slots).await);
        let h = &before["holdings"];
        assert_ne!(h["trades"], "0", "{h}");
        assert_ne!(h["claimable"], "0", "the deposits' free part: {h}");
        // One-slot intents keep no fill record once their slot is committed
        // (`rules::fill_needs_record`); the trades record the fill.
        assert_eq!(before["fill alice 1"], json!([0, false]));
        assert_eq!(before["fill carol 9"], json!([0, true]));
        let trades = before[format!("trades {s}")]["trades"].as_array().unwrap();
        assert_eq!(trades.len(), 2);
        assert!(trades.iter().all(|t| t["status"] == "pending"), "{trades:?}");

        let (settlement_a, rep_a) = (addr_of(&a, "settlement"), addr_of(&a, "reputation"));
        let (old_settlement_code, old_rep_code) = (code_of(&admin, &settlement_a).await, code_of(&admin, &rep_a).await);
        assert_eq!(old_settlement_code, a.codes["settlement"].code_id);

        // Refused: another contract's code. Nothing changes.
        let err = migrate(&admin, &settlement_a, old_rep_code).await.unwrap_err();
        let log = err.raw_log().unwrap_or_default().to_string();
        assert!(
            log.contains("cannot migrate from crates.io:settlement (this is crates.io:reputation)"),
            "{err}"
        );
        let err = migrate(&admin, &rep_a, old_settlement_code).await.unwrap_err();
        let log = err.raw_log().unwrap_or_default().to_string();
        assert!(
            log.contains("cannot migrate from crates.io:reputation (this is crates.io:settlement)"),
            "{err}"
        );
        // Refused: not the admin.
        let err = migrate(alice, &settlement_a, old_settlement_code).await.unwrap_err();
        assert!(err.raw_log().unwrap_or_default().contains("unauthorized"), "{err}");
        assert_eq!(code_of(&admin, &settlement_a).await, old_settlement_code);
        assert_eq!(code_of(&admin, &rep_a).await, old_rep_code);
        assert_eq!(state(alice, &a, &slots).await, before);

        // The upgrade: new code ids, the newer release of each.
        let mut new_codes = vec![];
        for (name, contract) in [("settlement", &settlement_a), ("reputation", &rep_a)] {
            let (wasm, newer) = newer_release(name);
            let stored = admin.store(&wasm).await.unwrap();
            assert_ne!(stored.code_id, a.codes[name].code_id);
            let tx = migrate(&admin, contract, stored.code_id).await.unwrap();
            assert_eq!(tx.wasm_attribute("from_version"), Some(env!("CARGO_PKG_VERSION")));
            assert_eq!(tx.wasm_attribute("to_version"), Some(newer.as_str()));
            assert_eq!(code_of(&admin, contract).await, stored.code_id);
            new_codes.push(stored.code_id);
        }
        // Refused: back to the older release. Nothing changes.
        let err = migrate(&admin, &settlement_a, old_settlement_code).await.unwrap_err();
        let log = err.raw_log().unwrap_or_default().to_string();
        let older = format!(
            "cannot migrate from version {} to the older {}",
            newer_release("settlement").1,
            env!("CARGO_PKG_VERSION")
        );
        assert!(log.contains(&older), "{err}");
        assert_eq!(code_of(&admin, &settlement_a).await, new_codes[0]);
        assert_eq!(code_of(&admin, &rep_a).await, new_codes[1]);
        // The migration kept every order, trade, ledger and record.
        assert_eq!(state(alice, &a, &slots).await, before);

        // Finish on both. The cancelled intent stays refused on the
        // migrated contract; the open intents signed before the migration
        // commit for the next slot.
        let err = matcher
            .execute_multi(vec![market::commit_intents(&a, next, &[cancelled(&a), batch_next(&a)[1].clone()], &[(0, 1, 500, 220_000)]).unwrap()])
            .await
            .unwrap_err();
        let log = err.raw_log().unwrap_or_default().to_string();
        assert!(
            log.contains(&format!("intent 0 rejected: the intent with nonce 9 of {} is cancelled", addr("carol"))),
            "{err}"
        );
        let commit_next = |d: &Deployment| market::commit_intents(d, next, &batch_next(d), &[(0, 1, 1_000, 220_000)]).unwrap();
        both(&matcher, ds.iter().map(|d| commit_next(d)).collect()).await;
        // Both slots delivered (dave short in S: 600 of 1000 Wh), settled
        // after the dispute window, everything withdrawn.
        let (_, now) = alice.latest_block().await.unwrap();
        advance(next + 900 + 5 - now as u64);
        let delivered = [(s, [0u128, 2_000, 0, 600], [2_000u128, 0, 600, 0]), (next, [0, 1_000, 0, 0], [1_000, 0, 0, 0])];
        let readings = |d: &Deployment, slot: u64, exported: [u128; 4], imported: [u128; 4]| {
            let r: Vec<Value> = (0..4)
                .map(|i| keys[i].reading(d, meters[i], slot, exported[i], imported[i]).unwrap())
                .collect();
            exec(&addr_of(d, "meter-oracle"), json!({"submit_readings": {"slot": slot, "readings": r}}))
        };
        both(
            &oracle,
            ds.iter().flat_map(|d| delivered.iter().map(|(slot, e, i)| readings(d, *slot, *e, *i))).collect(),
        )
        .await;
        let settlement_call = |d: &Deployment, m: Value| exec(&addr_of(d, "settlement"), m);
        both(
            alice,
            ds.iter()
                .flat_map(|d| [s, next].map(|slot| settlement_call(d, json!({"fetch_deliveries": {"slot": slot, "limit": null}}))))
                .collect(),
        )
        .await;
        advance(3_600 + 5);
        both(
            alice,
            ds.iter()
                .flat_map(|d| [s, next].map(|slot| settlement_call(d, json!({"settle": {"slot": slot, "limit": null}}))))
                .collect(),
        )
        .await;
        for c in &users {
            both(c, ds.iter().map(|d| market::withdraw(d, None).unwrap()).collect()).await;
        }

        // Identical to the control run.
        let after = state(alice, &a, &slots).await;
        assert_eq!(after, state(alice, &b, &slots).await);
        for slot in slots {
            let trades = after[format!("trades {slot}")]["trades"].as_array().unwrap();
            assert!(!trades.is_empty() && trades.iter().all(|t| t["status"] == "settled"), "{trades:?}");
            assert!(trades.iter().all(|t| t["intents"] == true), "{trades:?}");
        }
        assert_eq!(after["fill alice 2"], json!([0, false]));
        assert_eq!(after["fill carol 9"], json!([0, true]));

        // And to the payment rule: pair 1 delivered in full, pair 2 600 of
        // 1000 Wh with the shortfall penalised from the seller's collateral.
        let cfg: Value = alice.query(&settlement_a, &json!({"config": {}})).await.unwrap();
        let penalty_price: u128 = cfg["params"]["penalty_price"].as_str().unwrap().parse().unwrap();
        let collateral2: u128 = before[format!("trades {s}")]["trades"][1]["collateral"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let paid1 = market::payment(2_000, 220_000).unwrap();
        let paid3 = market::payment(1_000, 220_000).unwrap();
        let paid2 = market::payment(600, 215_000).unwrap();
        let penalty = market::payment(400, penalty_price).unwrap().min(collateral2);
        let expected = [
            start[0] - paid1 - paid3,
            start[1] + paid1 + paid3,
            start[2] - paid2 + penalty,
            start[3] + paid2 - penalty,
        ];
        for (i, who) in USERS.iter().enumerate() {
            assert_eq!(after[format!("aip {who}")], expected[i].to_string(), "{who}");
            assert_eq!(after[format!("ledger {who}")]["free"], "0", "{who}");
            assert_eq!(after[format!("ledger {who}")]["locked"], "0", "{who}");
            let history = &after[format!("reputation {who}")]["history"];
            let trades = if i < 2 { 2 } else { 1 };
            assert_eq!(history["trades"], trades, "{who}: {history}");
        }
        // Nothing left behind in the migrated settlement.
        assert_eq!(after["held"], "0");
        assert_eq!(after["holdings"]["total"], "0", "{}", after["holdings"]);
    });
}

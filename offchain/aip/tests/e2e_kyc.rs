//! Private KYC end to end on the real localnet (wasmd), behind the `e2e`
//! feature:
//!
//! ```sh
//! ci/build-wasm.sh && ci/localnet.sh start
//! cargo test -p aip-cli --features e2e --test e2e_kyc -- --nocapture
//! ```
//!
//! Everything off chain goes through the `aip-kyc` command (its library
//! entry point, the same arguments a user types): trusted setup, the
//! provider's credential tree and revocation set, the compliance role's
//! sanctions set, the users' identities and the Groth16 proofs. On chain:
//! a fresh deployment in which reputation names the zk-verifier as its
//! minter (`KycMode::ZkVerifier`, what `aip deploy` does by default). The
//! SDK gas of each step is printed (`--nocapture`) for docs/benchmarks.md.
//!
//! The second test trades: in that deployment settlement names the
//! zk-verifier as its KYC verifier (what `aip deploy` wires in
//! `KycMode::ZkVerifier`). Three households prove and deposit; a trade is
//! committed from signed intents before erin's credential expires; the test
//! clock moves past the expiry, and `commit_intents` refuses her next intent
//! ("KYC expired") with no balance changed, while the earlier trade is
//! delivered and settles. The provider revokes rita: after the grace period
//! she cannot prove, and her intent is refused ("KYC needs_reproof"). Erin,
//! whose credential the provider renewed, proves again and trades again. The
//! regulator's `stats` counts follow each step. The two tests share accounts
//! and the second moves the chain's clock: they run one at a time.
#![cfg(feature = "e2e")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use aip_cli::deploy::{deploy, DeployOptions, KycMode, MarketParams, Roles};
use aip_cli::deployment::Deployment;
use aip_cli::market;
use aip_kyc::cli::Cli;
use aip_kyc::ProofFile;
use aip_types::intent::sign::IntentKey;
use aip_types::intent::{BatchIntent, OrderIntent, Side};
use chain_client::cosmrs::crypto::secp256k1::SigningKey;
use chain_client::cosmrs::tx::Msg;
use chain_client::{ChainClient, Coin, Error, Signer};
use clap::Parser;
use common::{addr, advance, as_account, one_zone_grid, root, rt};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Runs `aip-kyc ARGS...` in-process; returns what the command prints.
fn kyc(args: &[&str]) -> String {
    let cli = Cli::try_parse_from(std::iter::once("aip-kyc").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("aip-kyc {args:?}: {e}"));
    aip_kyc::run(cli).unwrap_or_else(|e| panic!("aip-kyc {args:?}: {e}"))
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `aip-kyc ARGS...` in-process and expects it to fail; returns the error.
fn kyc_err(args: &[&str]) -> String {
    let cli = Cli::try_parse_from(std::iter::once("aip-kyc").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("aip-kyc {args:?}: {e}"));
    match aip_kyc::run(cli) {
        Ok(out) => panic!("aip-kyc {args:?} should fail, printed {out}"),
        Err(e) => e.to_string(),
    }
}

/// Credentials issued in this test expire in 2096.
const EXPIRY: &str = "4000000000";

/// A new identity for `who` and the provider's credential for it.
fn enrol(dir: &Path, who: &str) {
    let c = kyc(&[
        "identity",
        "new",
        "--out",
        p(&dir.join(format!("{who}.json"))),
    ]);
    kyc(&[
        "tree",
        "add",
        "--tree",
        p(&dir.join("tree.json")),
        "--commitment",
        &c,
        "--reference",
        &format!("passport:{who}"),
        "--expiry",
        EXPIRY,
        "--credential-out",
        p(&dir.join(format!("{who}.cred.json"))),
    ]);
}

fn prove_args(dir: &Path, who: &str, address: &str, chain_id: &str, zk: &str) -> Vec<String> {
    let f = |name: &str| dir.join(name).display().to_string();
    [
        "prove",
        "--identity",
        &f(&format!("{who}.json")),
        "--credential",
        &f(&format!("{who}.cred.json")),
        "--tree",
        &f("tree.json"),
        "--sanctions",
        &f("sanctions.json"),
        "--revocations",
        &f("revocations.json"),
        "--proving-key",
        &f("keys/proving.key"),
        "--address",
        address,
        "--chain-id",
        chain_id,
        "--contract",
        zk,
    ]
    .map(String::from)
    .to_vec()
}

/// `aip-kyc prove` for `who`'s identity and `address` against the deployed
/// verifier and the current list files.
fn prove(dir: &Path, who: &str, address: &str, chain_id: &str, zk: &str) -> ProofFile {
    let args = prove_args(dir, who, address, chain_id, zk);
    let out = kyc(&args.iter().map(String::as_str).collect::<Vec<_>>());
    serde_json::from_str(&out).unwrap()
}

/// The tests of this file share the localnet's accounts (and the second
/// moves the chain's clock): one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn a_kyc_proof_registers_once_and_mints_the_reputation_token() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join(format!("e2e-kyc-deployment-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&out);

    // Off chain: trusted setup (single party: fine for a test; the seeded
    // development key, whose prepared form zk-verifier compiles in, so
    // `register` takes the production path), the provider's tree with
    // credentials for alice, carol, mallory, trudy and others; compliance
    // sanctions mallory; nobody is revoked yet.
    kyc(&[
        "setup",
        "--out-dir",
        p(&d.join("keys")),
        "--insecure-seed",
        "2026",
    ]);
    let tree = d.join("tree.json");
    kyc(&["tree", "new", "--tree", p(&tree)]);
    for who in ["alice", "other0", "carol", "other1", "mallory", "trudy"] {
        enrol(d, who);
    }
    let tree_root = kyc(&["tree", "root", "--tree", p(&tree)]);
    let (sanctions, revocations) = (d.join("sanctions.json"), d.join("revocations.json"));
    kyc(&["set", "new", "--set", p(&sanctions)]);
    kyc(&["set", "new", "--set", p(&revocations)]);
    kyc(&[
        "set",
        "add",
        "--set",
        p(&sanctions),
        "passport:mallory",
        "passport:eve",
    ]);
    let sanctions_root = kyc(&["set", "root", "--set", p(&sanctions)]);
    let vk_hex = std::fs::read_to_string(d.join("keys/verifying_key.hex")).unwrap();

    rt().block_on(async {
        let (admin, provider, alice, carol) = (
            as_account("validator").await,
            as_account("dave").await,
            as_account("alice").await,
            as_account("carol").await,
        );
        let mut roles = Roles::all(&addr("validator"));
        roles.kyc_provider = addr("dave");
        let opts = DeployOptions {
            artifacts: root().join("artifacts"),
            out,
            roles,
            initial_balances: vec![],
            market: MarketParams::default(),
            oracle_quorum: 1,
            // Set below, so that its gas is measured.
            zk_verifying_key: None,
            kyc: KycMode::ZkVerifier,
        };
        let dep = deploy(&admin, &opts).await.expect("deploy").deployment;
        let zk = dep.address("zk-verifier").unwrap().to_string();
        let rep = dep.address("reputation").unwrap().to_string();
        let chain_id = dep.chain_id.clone();

        // The verifier's scope is the one the prover computes from chain id and address.
        let config: Value = alice.query(&zk, &json!({"config": {}})).await.unwrap();
        assert_eq!(config["verifying_key_set"], false);
        assert_eq!(config["reputation"], rep.as_str());

        // Admin sets the key; the provider publishes the tree's root.
        let set_key = admin
            .execute(
                &zk,
                &json!({"set_verifying_key": {"verifying_key": vk_hex.trim()}}),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(set_key.wasm_attribute("action"), Some("set_verifying_key"));
        assert_eq!(set_key.wasm_attribute("in_code"), Some("true"));
        let err = alice
            .execute(&zk, &json!({"publish_root": {"root": tree_root}}), &[])
            .await
            .unwrap_err();
        assert!(
            err.raw_log()
                .unwrap()
                .contains("may not publish an identity root: only the provider"),
            "{err}"
        );
        let publish = provider
            .execute(&zk, &json!({"publish_root": {"root": tree_root}}), &[])
            .await
            .unwrap();
        assert_eq!(publish.wasm_attribute("root"), Some(tree_root.as_str()));
        // The compliance role (the admin here) publishes the sanctions root.
        let publish_sanctions = admin
            .execute(
                &zk,
                &json!({"publish_sanctions_root": {"root": sanctions_root}}),
                &[],
            )
            .await
            .unwrap();
        let roots: Value = alice.query(&zk, &json!({"roots": {}})).await.unwrap();
        assert_eq!(roots["identity"], tree_root.as_str());
        assert_eq!(roots["sanctions"], sanctions_root.as_str());

        // Alice proves membership, expiry and non-membership for her address and registers.
        let proof = prove(d, "alice", &addr("alice"), &chain_id, &zk);
        assert_eq!(proof.identity_root, tree_root);
        assert_eq!(roots["context"], proof.context.as_str());
        assert_eq!(
            config["external_nullifier"],
            proof.external_nullifier.as_str()
        );
        let before: Value = alice
            .query(&rep, &json!({"reputation": {"account": addr("alice")}}))
            .await
            .unwrap();
        assert_eq!(before["registered"], false, "{before}");
        let register = alice.execute(&zk, &proof.register, &[]).await.unwrap();
        assert_eq!(register.wasm_attribute("action"), Some("register"));
        assert_eq!(
            register.wasm_attribute("nullifier_hash"),
            Some(proof.nullifier_hash.as_str())
        );

        // The soulbound reputation token appeared, and the verifier recorded the nullifier.
        let after: Value = alice
            .query(&rep, &json!({"reputation": {"account": addr("alice")}}))
            .await
            .unwrap();
        assert_eq!(after["registered"], true, "{after}");
        assert_eq!(after["token_id"], addr("alice").as_str(), "{after}");
        let owner: Value = alice
            .query(
                &rep,
                &json!({"owner_of": {"token_id": addr("alice"), "include_expired": null}}),
            )
            .await
            .unwrap();
        assert_eq!(owner["owner"], addr("alice").as_str());
        let null: Value = alice
            .query(
                &zk,
                &json!({"nullifier": {"nullifier_hash": proof.nullifier_hash}}),
            )
            .await
            .unwrap();
        assert_eq!(null["used"], true);
        let tokens = |v: Value| v["count"].as_u64().unwrap();
        let count = tokens(alice.query(&rep, &json!({"num_tokens": {}})).await.unwrap());
        assert_eq!(count, 1);

        // Another identity from the tree, proved for alice's address: the proof
        // is valid, but reputation refuses a second token and the whole
        // registration reverts (that identity stays unspent).
        let second = prove(d, "other0", &addr("alice"), &chain_id, &zk);
        let held = format!("{} already holds a reputation token", addr("alice"));
        refused(&alice, &zk, &second, &[&held]).await;
        assert!(!nullifier_used(&alice, &zk, &second.nullifier_hash).await);

        // The same identity and account again (a fresh proof): a renewal, no new token.
        let again = prove(d, "alice", &addr("alice"), &chain_id, &zk);
        let renew = alice.execute(&zk, &again.register, &[]).await.unwrap();
        assert_eq!(renew.wasm_attribute("action"), Some("renew"));
        let eligibility = |who: &str| json!({"eligibility": {"account": addr(who)}});
        let e: Value = alice.query(&zk, &eligibility("alice")).await.unwrap();
        assert_eq!(e["status"], "eligible", "{e}");
        assert_eq!(e["premium"], true, "{e}");
        // The same identity from another account: refused clearly.
        let stolen = prove(d, "alice", &addr("carol"), &chain_id, &zk);
        let used = format!(
            "nullifier {} was already used by {}: this identity has registered another account",
            proof.nullifier_hash,
            addr("alice")
        );
        let err = refused(&carol, &zk, &stolen, &[&used]).await;
        assert!(matches!(err, Error::Simulation { .. }), "{err:?}");

        // Mallory is sanctioned: the prover has no proof for her, and a proof
        // against a sanctions list without her names a context this verifier
        // never had.
        let mallory_args = prove_args(d, "mallory", &addr("dso"), &chain_id, &zk);
        let e = kyc_err(&mallory_args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(e.contains("is on the sanctions list"), "{e}");
        let clean = d.join("sanctions.json.bak");
        std::fs::copy(&sanctions, &clean).unwrap();
        kyc(&["set", "remove", "--set", p(&sanctions), "passport:mallory"]);
        let evading = prove(d, "mallory", &addr("dso"), &chain_id, &zk);
        std::fs::copy(&clean, &sanctions).unwrap();
        let dso = as_account("dso").await;
        let unknown = format!("unknown context {}", evading.context);
        refused(&dso, &zk, &evading, &[&unknown]).await;
        assert!(!nullifier_used(&dso, &zk, &evading.nullifier_hash).await);

        // Carol's valid membership proof, made for bob's address and sent by carol:
        // the address binding refuses it, and nothing changes.
        let for_bob = prove(d, "carol", &addr("bob"), &chain_id, &zk);
        refused(&carol, &zk, &for_bob, &["proof rejected", &addr("carol")]).await;
        assert!(!nullifier_used(&carol, &zk, &for_bob.nullifier_hash).await);
        let rep_carol: Value = carol
            .query(&rep, &json!({"reputation": {"account": addr("carol")}}))
            .await
            .unwrap();
        assert_eq!(rep_carol["registered"], false);
        let count = tokens(carol.query(&rep, &json!({"num_tokens": {}})).await.unwrap());
        assert_eq!(count, 1);

        // Carol's proof for her own address registers her.
        let own = prove(d, "carol", &addr("carol"), &chain_id, &zk);
        let carol_reg = carol.execute(&zk, &own.register, &[]).await.unwrap();
        let count = tokens(carol.query(&rep, &json!({"num_tokens": {}})).await.unwrap());
        assert_eq!(count, 2);

        // Trudy registers, then the provider revokes her. With a short grace
        // period she loses eligibility, cannot prove against the new list, and
        // her old proof is refused as stale.
        let trudy = as_account("bob").await;
        let trudy_proof = prove(d, "trudy", &addr("bob"), &chain_id, &zk);
        trudy
            .execute(&zk, &trudy_proof.register, &[])
            .await
            .unwrap();
        let revoke = revoke(&admin, &provider, &zk, &revocations, "trudy", 3).await;
        let trudy_args = prove_args(d, "trudy", &addr("bob"), &chain_id, &zk);
        let e = kyc_err(&trudy_args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(e.contains("is on the revocation list"), "{e}");
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        let e: Value = trudy.query(&zk, &eligibility("bob")).await.unwrap();
        assert_eq!(e["status"], "needs_reproof", "{e}");
        assert_eq!(e["eligible"], false, "{e}");
        let stale = format!(
            "stale context {}: its revocation root was replaced",
            trudy_proof.context
        );
        refused(&trudy, &zk, &trudy_proof, &[&stale]).await;
        // Alice proves against the new lists and stays eligible.
        let fresh = prove(d, "alice", &addr("alice"), &chain_id, &zk);
        alice.execute(&zk, &fresh.register, &[]).await.unwrap();
        let e: Value = alice.query(&zk, &eligibility("alice")).await.unwrap();
        assert_eq!(e["status"], "eligible", "{e}");
        // The regulator's counts: three accounts; carol proved against the lists
        // before the revocation and has not proved again, so she too must.
        let stats: Value = alice
            .query(&zk, &json!({"stats": {"start_after": null, "limit": null}}))
            .await
            .unwrap();
        assert_eq!(stats["registered"], 3, "{stats}");
        assert_eq!(stats["eligible"], 1, "{stats}");
        assert_eq!(stats["needs_reproof"], 2, "{stats}");

        // Whole-transaction SDK gas (signature, tx bytes, both contract
        // instances and reputation's MintFor included), for docs/benchmarks.md.
        for (what, tx) in [
            ("set_verifying_key", &set_key),
            ("publish_root", &publish),
            ("publish_sanctions_root", &publish_sanctions),
            ("publish_revocation_root", &revoke),
            ("register (alice)", &register),
            ("register again (alice, renewal)", &renew),
            ("register (carol)", &carol_reg),
        ] {
            assert!(tx.gas_used > 0 && tx.gas_used <= tx.gas_wanted);
            eprintln!("kyc gas: {what}: {} SDK gas used", tx.gas_used);
        }
    });
}

/// A household of the KYC trading test: a wallet key that signs its intents
/// and its transactions, and its meter.
struct Trader {
    who: &'static str,
    key: IntentKey,
    address: String,
    client: ChainClient,
    meter: u32,
}

/// Each trader's deposit in settlement, uaip (10 AIP).
const DEPOSIT: u128 = 10_000_000;

/// `who` sends `proof`'s registration; the zk-verifier refuses it with a log
/// that contains every one of `expected`. The error.
async fn refused(who: &ChainClient, zk: &str, proof: &ProofFile, expected: &[&str]) -> Error {
    let err = who.execute(zk, &proof.register, &[]).await.unwrap_err();
    let log = err.raw_log().unwrap_or_default().to_string();
    for e in expected {
        assert!(log.contains(e), "{e:?} not in: {err}");
    }
    err
}

/// Whether the zk-verifier has recorded `nullifier_hash` as used.
async fn nullifier_used(c: &ChainClient, zk: &str, nullifier_hash: &str) -> bool {
    let v: Value = c
        .query(
            zk,
            &json!({"nullifier": {"nullifier_hash": nullifier_hash}}),
        )
        .await
        .unwrap();
    v["used"].as_bool().unwrap()
}

/// The admin sets the KYC grace period to `grace` seconds, then the provider
/// revokes `who`'s credential: `passport:<who>` joins the revocation set
/// `revocations` and its new root is published. The publishing transaction.
async fn revoke(
    admin: &ChainClient,
    provider: &ChainClient,
    zk: &str,
    revocations: &Path,
    who: &str,
    grace: u64,
) -> chain_client::TxResponse {
    admin
        .execute(
            zk,
            &json!({"update_config": {"admin": null, "provider": null, "compliance": null,
                "reputation": null, "grace_period": grace, "premium_max_age_days": null}}),
            &[],
        )
        .await
        .unwrap();
    kyc(&[
        "set",
        "add",
        "--set",
        p(revocations),
        &format!("passport:{who}"),
    ]);
    let root = kyc(&["set", "root", "--set", p(revocations)]);
    provider
        .execute(zk, &json!({"publish_revocation_root": {"root": root}}), &[])
        .await
        .unwrap()
}

/// A new identity for `who`, its credential expiring at `expiry`; returns the
/// identity commitment (for a renewed credential later).
fn enrol_until(dir: &Path, who: &str, expiry: u64) -> String {
    let c = kyc(&[
        "identity",
        "new",
        "--out",
        p(&dir.join(format!("{who}.json"))),
    ]);
    issue(dir, who, &c, expiry);
    c
}

/// The provider issues `who` a credential for commitment `c`, expiring at `expiry`.
fn issue(dir: &Path, who: &str, c: &str, expiry: u64) {
    kyc(&[
        "tree",
        "add",
        "--tree",
        p(&dir.join("tree.json")),
        "--commitment",
        c,
        "--reference",
        &format!("passport:{who}"),
        "--expiry",
        &expiry.to_string(),
        "--credential-out",
        p(&dir.join(format!("{who}.cred.json"))),
        "--force",
    ]);
}

/// `who`'s signed intent for `slot`, in its batch form.
fn intent(
    d: &Deployment,
    t: &Trader,
    nonce: u64,
    slot: u64,
    side: Side,
    wh: u64,
    limit_price: u64,
) -> BatchIntent {
    let i = OrderIntent {
        chain_id: d.chain_id.clone(),
        contract: d.address("settlement").unwrap().to_string(),
        owner: t.address.clone(),
        nonce,
        slot_from: slot,
        slot_until: slot + 900,
        side,
        meter: t.meter,
        wh,
        limit_price,
        premium_only: false,
        expires: slot + 900,
    };
    BatchIntent::from_signed(&t.key.sign_cosmos(&i))
}

/// The matcher's `commit_intents` of one trade: `wh` from `seller`'s intent
/// (index 0) to `buyer`'s (index 1) at `price`.
fn commit(slot: u64, seller: &BatchIntent, buyer: &BatchIntent, wh: u64, price: u64) -> Value {
    json!({"commit_intents": {
        "slot": slot,
        "intents": [seller, buyer],
        "trades": cosmwasm_std::Binary::from(settlement::compact_trades::encode(&[
            settlement::msg::IntentTrade { bid: 1, offer: 0, wh: wh.into(), price: price.into() },
        ]))
        .to_base64(),
    }})
}

/// `account`'s (free, locked) balance in settlement, uaip.
async fn balance(c: &ChainClient, settlement: &str, account: &str) -> (u128, u128) {
    let b: Value = c
        .query(settlement, &json!({"balance": {"account": account}}))
        .await
        .unwrap();
    let n = |k: &str| b[k].as_str().unwrap().parse::<u128>().unwrap();
    (n("free"), n("locked"))
}

async fn trades(c: &ChainClient, settlement: &str, slot: u64) -> Vec<Value> {
    let v: Value = c
        .query(
            settlement,
            &json!({"trades_by_slot": {"slot": slot, "start_after": null, "limit": 100}}),
        )
        .await
        .unwrap();
    v["trades"].as_array().unwrap().clone()
}

async fn stats(c: &ChainClient, zk: &str) -> (u64, u64, u64, u64) {
    let s: Value = c
        .query(zk, &json!({"stats": {"start_after": null, "limit": null}}))
        .await
        .unwrap();
    let n = |k: &str| s[k].as_u64().unwrap();
    (
        n("registered"),
        n("eligible"),
        n("expired"),
        n("needs_reproof"),
    )
}

async fn now(c: &ChainClient) -> u64 {
    c.latest_block().await.unwrap().1 as u64
}

/// Moves chain time to at least `t` (the localnet's test clock).
async fn advance_to(c: &ChainClient, t: u64) {
    let n = now(c).await;
    if t > n {
        advance(t - n);
    }
}

#[test]
fn settlement_refuses_intents_of_expired_and_revoked_accounts_until_they_prove_again() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    rt().block_on(async {
        let (admin, provider, alice, faucet, dso, matcher, oracle) = (
            as_account("validator").await,
            as_account("dave").await,
            as_account("alice").await,
            as_account("faucet").await,
            as_account("dso").await,
            as_account("matcher").await,
            as_account("oracle").await,
        );
        // `aip deploy` in its default KYC mode: the zk-verifier mints the
        // reputation tokens and is settlement's KYC verifier.
        let mut opts = common::options(common::deployment_file("kyc-trading"));
        opts.roles.kyc_provider = addr("dave");
        opts.kyc = KycMode::ZkVerifier;
        let report = deploy(&admin, &opts).await.expect("deploy");
        assert!(
            report
                .wired
                .iter()
                .any(|(c, a, _)| c == "settlement" && a == "update_config"),
            "{:?}",
            report.wired
        );
        let dep = report.deployment;
        let (zk, settlement, token, mo) = (
            dep.address("zk-verifier").unwrap().to_string(),
            dep.address("settlement").unwrap().to_string(),
            dep.address("aip-token").unwrap().to_string(),
            dep.address("meter-oracle").unwrap().to_string(),
        );
        let config: Value = alice.query(&settlement, &json!({"config": {}})).await.unwrap();
        assert_eq!(config["roles"]["kyc_verifier"], zk.as_str(), "{config}");

        // Off chain: the seeded key; erin's credential expires two hours from
        // now, the others' in 2096; mallory is sanctioned, nobody revoked.
        kyc(&["setup", "--out-dir", p(&d.join("keys")), "--insecure-seed", "2026"]);
        kyc(&["tree", "new", "--tree", p(&d.join("tree.json"))]);
        let t0 = now(&alice).await;
        let erin_expiry = t0 + 7_200;
        let long: u64 = EXPIRY.parse().unwrap();
        let mut commitments = std::collections::BTreeMap::new();
        for (who, expiry) in [("sam", long), ("erin", erin_expiry), ("rita", long)] {
            commitments.insert(who, enrol_until(d, who, expiry));
        }
        let (sanctions, revocations) = (d.join("sanctions.json"), d.join("revocations.json"));
        kyc(&["set", "new", "--set", p(&sanctions)]);
        kyc(&["set", "new", "--set", p(&revocations)]);
        kyc(&["set", "add", "--set", p(&sanctions), "passport:mallory"]);
        let vk_hex = std::fs::read_to_string(d.join("keys/verifying_key.hex")).unwrap();
        admin
            .execute(&zk, &json!({"set_verifying_key": {"verifying_key": vk_hex.trim()}}), &[])
            .await
            .unwrap();
        let tree_root = kyc(&["tree", "root", "--tree", p(&d.join("tree.json"))]);
        provider
            .execute(&zk, &json!({"publish_root": {"root": tree_root}}), &[])
            .await
            .unwrap();
        let sanctions_root = kyc(&["set", "root", "--set", p(&sanctions)]);
        admin
            .execute(&zk, &json!({"publish_sanctions_root": {"root": sanctions_root}}), &[])
            .await
            .unwrap();

        // Settlement's grid: node 1 in zone 1.
        one_zone_grid(&settlement, 1).await;

        // Three households, each with its own wallet key: gas, AIP, a meter,
        // a KYC proof (which mints its reputation token) and a deposit.
        let base = common::chain().await;
        let labels = ["sam", "erin", "rita"].map(|who| (who, format!("e2e kyc trading {who}")));
        // Gas coins for the three in one transaction.
        let gas = labels
            .iter()
            .map(|(_, label)| {
                chain_client::cosmrs::bank::MsgSend {
                    from_address: faucet.address().unwrap().clone(),
                    to_address: IntentKey::from_label(label).address("wasm").parse().unwrap(),
                    amount: vec![Coin { denom: "ustake".parse().unwrap(), amount: 50_000_000 }],
                }
                .to_any()
                .unwrap()
            })
            .collect();
        faucet.broadcast(gas, "").await.unwrap();
        let mut traders = vec![];
        for (who, label) in labels {
            let key = IntentKey::from_label(&label);
            let address = key.address("wasm");
            let secret: [u8; 32] = Sha256::digest(label.as_bytes()).into();
            let signer = Signer::from_signing_key(SigningKey::from_slice(&secret).unwrap(), "wasm").unwrap();
            assert_eq!(signer.address().to_string(), address);
            alice
                .execute(&token, &json!({"transfer": {"recipient": address, "amount": DEPOSIT.to_string()}}), &[])
                .await
                .unwrap();
            let dev = common::device(&label);
            let reg = dso
                .execute(&mo, &json!({"register_meter": {"owner": address, "node": 1, "pubkey": dev.public_key()}}), &[])
                .await
                .unwrap();
            let meter = reg.wasm_attribute("meter").unwrap().parse().unwrap();
            let client = base.with_signer(signer);
            let proof = prove(d, who, &address, &dep.chain_id, &zk);
            let r = client.execute(&zk, &proof.register, &[]).await.unwrap();
            assert_eq!(r.wasm_attribute("action"), Some("register"));
            let deposit = json!({"send": {"contract": settlement, "amount": DEPOSIT.to_string(),
                "msg": cosmwasm_std::to_json_binary(&json!({"deposit": {}})).unwrap()}});
            client.execute(&token, &deposit, &[]).await.unwrap();
            assert_eq!(balance(&alice, &settlement, &address).await, (DEPOSIT, 0));
            traders.push(Trader { who, key, address, client, meter });
        }
        let (sam, erin, rita) = (&traders[0], &traders[1], &traders[2]);
        assert_eq!(stats(&alice, &zk).await, (3, 3, 0, 0));

        // Slot A, before erin's credential expires: sam sells her 1,000 Wh.
        let gate = opts.market.gate_closure_secs;
        let slot_a = market::next_open_slot(now(&alice).await, gate, 60);
        assert!(slot_a + 900 < erin_expiry);
        let (sell_a, buy_a) = (
            intent(&dep, sam, 1, slot_a, Side::Sell, 2_000, 100_000),
            intent(&dep, erin, 1, slot_a, Side::Buy, 1_000, 150_000),
        );
        matcher
            .execute(&settlement, &commit(slot_a, &sell_a, &buy_a, 1_000, 120_000), &[])
            .await
            .expect("a trade committed while erin's credential is valid");
        let traded = trades(&alice, &settlement, slot_a).await;
        assert_eq!(traded.len(), 1);
        let pay: u128 = traded[0]["payment"].as_str().unwrap().parse().unwrap();
        assert_eq!(pay, 120_000, "1,000 Wh at 120,000 uaip/kWh");
        let collateral: u128 = traded[0]["collateral"].as_str().unwrap().parse().unwrap();
        assert_eq!(balance(&alice, &settlement, &erin.address).await, (DEPOSIT - pay, pay));

        // The slot passes; sam's meter reports the 1,000 Wh; settlement fetches it.
        advance_to(&alice, slot_a + 900 + 2).await;
        let reading = common::device(&format!("e2e kyc trading {}", sam.who))
            .reading(&dep, sam.meter, slot_a, 1_000, 0)
            .unwrap();
        oracle
            .execute(&mo, &json!({"submit_readings": {"slot": slot_a, "readings": [reading]}}), &[])
            .await
            .unwrap();
        alice
            .execute(&settlement, &json!({"fetch_deliveries": {"slot": slot_a, "limit": null}}), &[])
            .await
            .unwrap();
        let st: Value = alice.query(&settlement, &json!({"slot_status": {"slot": slot_a}})).await.unwrap();
        let settle_from = st["settle_from"].as_u64().expect("delivery data final");

        // Erin's credential expires.
        advance_to(&alice, erin_expiry.max(settle_from) + 2).await;
        let e: Value = alice.query(&zk, &json!({"eligibility": {"account": erin.address}})).await.unwrap();
        assert_eq!(e["status"], "expired", "{e}");
        assert_eq!(stats(&alice, &zk).await, (3, 2, 1, 0));

        // Her new intent is refused with the contract's reason; nothing changes.
        let before = (
            balance(&alice, &settlement, &sam.address).await,
            balance(&alice, &settlement, &erin.address).await,
        );
        let slot_b = market::next_open_slot(now(&alice).await, gate, 60);
        let (sell_b, buy_b) = (
            intent(&dep, sam, 2, slot_b, Side::Sell, 2_000, 100_000),
            intent(&dep, erin, 2, slot_b, Side::Buy, 1_000, 150_000),
        );
        let err = matcher
            .execute(&settlement, &commit(slot_b, &sell_b, &buy_b, 1_000, 120_000), &[])
            .await
            .unwrap_err();
        assert!(
            err.raw_log().unwrap().contains(&format!(
                "intent 1 rejected: account {} may not trade: KYC expired",
                erin.address
            )),
            "{err}"
        );
        assert!(trades(&alice, &settlement, slot_b).await.is_empty());
        let after = (
            balance(&alice, &settlement, &sam.address).await,
            balance(&alice, &settlement, &erin.address).await,
        );
        assert_eq!(before, after);

        // The trade committed before the expiry still settles: delivered in
        // full, sam is paid, erin's payment unlocked.
        alice
            .execute(&settlement, &json!({"settle": {"slot": slot_a, "limit": null}}), &[])
            .await
            .expect("the committed trade settles after the expiry");
        let settled = &trades(&alice, &settlement, slot_a).await[0]["settlement"];
        assert_eq!(settled["delivered_wh"], "1000", "{settled}");
        assert_eq!(settled["seller_paid"], pay.to_string(), "{settled}");
        assert_eq!(settled["collateral_returned"], collateral.to_string(), "{settled}");
        assert_eq!(balance(&alice, &settlement, &erin.address).await, (DEPOSIT - pay, 0));
        assert_eq!(balance(&alice, &settlement, &sam.address).await, (DEPOSIT + pay, 0));

        // The provider revokes rita (one-minute grace period) and renews
        // erin's credential (a new leaf for the same identity).
        revoke(&admin, &provider, &zk, &revocations, "rita", 60).await;
        issue(d, "erin", &commitments["erin"], long);
        let tree_root = kyc(&["tree", "root", "--tree", p(&d.join("tree.json"))]);
        provider
            .execute(&zk, &json!({"publish_root": {"root": tree_root}}), &[])
            .await
            .unwrap();
        advance(61);
        // The regulator's view: counts only. Sam and rita proved against the
        // replaced revocation list, erin's registration expired.
        assert_eq!(stats(&alice, &zk).await, (3, 0, 1, 2));

        // Rita cannot prove against the new list; sam and erin prove again.
        let rita_args = prove_args(d, "rita", &rita.address, &dep.chain_id, &zk);
        let e = kyc_err(&rita_args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(e.contains("is on the revocation list"), "{e}");
        for t in [sam, erin] {
            let proof = prove(d, t.who, &t.address, &dep.chain_id, &zk);
            let r = t.client.execute(&zk, &proof.register, &[]).await.unwrap();
            assert_eq!(r.wasm_attribute("action"), Some("renew"), "{}", t.who);
        }
        assert_eq!(stats(&alice, &zk).await, (3, 2, 0, 1));

        // Rita's intent is refused, nothing changes.
        let slot_c = market::next_open_slot(now(&alice).await, gate, 60);
        let sell_c = intent(&dep, sam, 3, slot_c, Side::Sell, 2_000, 100_000);
        let rita_c = intent(&dep, rita, 1, slot_c, Side::Buy, 1_000, 150_000);
        let before = balance(&alice, &settlement, &rita.address).await;
        let err = matcher
            .execute(&settlement, &commit(slot_c, &sell_c, &rita_c, 1_000, 120_000), &[])
            .await
            .unwrap_err();
        assert!(
            err.raw_log().unwrap().contains(&format!(
                "intent 1 rejected: account {} may not trade: KYC needs_reproof",
                rita.address
            )),
            "{err}"
        );
        assert_eq!(balance(&alice, &settlement, &rita.address).await, before);
        assert_eq!(before, (DEPOSIT, 0));
        assert!(trades(&alice, &settlement, slot_c).await.is_empty());

        // Erin proved again: she trades again.
        let erin_c = intent(&dep, erin, 3, slot_c, Side::Buy, 1_000, 150_000);
        matcher
            .execute(&settlement, &commit(slot_c, &sell_c, &erin_c, 1_000, 120_000), &[])
            .await
            .expect("erin trades again after proving again");
        let traded = trades(&alice, &settlement, slot_c).await;
        assert_eq!(traded.len(), 1);
        assert_eq!(traded[0]["buyer"], erin.address.as_str());
        assert_eq!(
            balance(&alice, &settlement, &erin.address).await,
            (DEPOSIT - 2 * pay, pay)
        );
    });
}

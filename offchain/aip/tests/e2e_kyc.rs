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
#![cfg(feature = "e2e")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use aip_cli::deploy::{deploy, DeployOptions, KycMode, MarketParams, Roles};
use aip_kyc::cli::Cli;
use aip_kyc::ProofFile;
use chain_client::Error;
use clap::Parser;
use common::{addr, as_account, root, rt};
use serde_json::{json, Value};

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

#[test]
fn a_kyc_proof_registers_once_and_mints_the_reputation_token() {
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
        let err = alice.execute(&zk, &second.register, &[]).await.unwrap_err();
        assert!(
            err.raw_log().unwrap().contains(&format!(
                "{} already holds a reputation token",
                addr("alice")
            )),
            "{err}"
        );
        let null: Value = alice
            .query(
                &zk,
                &json!({"nullifier": {"nullifier_hash": second.nullifier_hash}}),
            )
            .await
            .unwrap();
        assert_eq!(null["used"], false);

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
        let err = carol.execute(&zk, &stolen.register, &[]).await.unwrap_err();
        assert!(matches!(err, Error::Simulation { .. }), "{err:?}");
        assert!(
            err.raw_log().unwrap().contains(&format!(
                "nullifier {} was already used by {}: this identity has registered another account",
                proof.nullifier_hash,
                addr("alice")
            )),
            "{err}"
        );

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
        let err = dso.execute(&zk, &evading.register, &[]).await.unwrap_err();
        assert!(
            err.raw_log()
                .unwrap()
                .contains(&format!("unknown context {}", evading.context)),
            "{err}"
        );

        // Carol's valid membership proof, made for bob's address and sent by carol:
        // the address binding refuses it, and nothing changes.
        let for_bob = prove(d, "carol", &addr("bob"), &chain_id, &zk);
        let err = carol
            .execute(&zk, &for_bob.register, &[])
            .await
            .unwrap_err();
        let log = err.raw_log().unwrap();
        assert!(
            log.contains("proof rejected") && log.contains(&addr("carol")),
            "{err}"
        );
        let null: Value = carol
            .query(
                &zk,
                &json!({"nullifier": {"nullifier_hash": for_bob.nullifier_hash}}),
            )
            .await
            .unwrap();
        assert_eq!(null["used"], false);
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
        admin
            .execute(
                &zk,
                &json!({"update_config": {"admin": null, "provider": null, "compliance": null,
                    "reputation": null, "grace_period": 3, "premium_max_age_days": null}}),
                &[],
            )
            .await
            .unwrap();
        kyc(&["set", "add", "--set", p(&revocations), "passport:trudy"]);
        let revocation_root = kyc(&["set", "root", "--set", p(&revocations)]);
        let revoke = provider
            .execute(
                &zk,
                &json!({"publish_revocation_root": {"root": revocation_root}}),
                &[],
            )
            .await
            .unwrap();
        let trudy_args = prove_args(d, "trudy", &addr("bob"), &chain_id, &zk);
        let e = kyc_err(&trudy_args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(e.contains("is on the revocation list"), "{e}");
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        let e: Value = trudy.query(&zk, &eligibility("bob")).await.unwrap();
        assert_eq!(e["status"], "needs_reproof", "{e}");
        assert_eq!(e["eligible"], false, "{e}");
        let err = trudy
            .execute(&zk, &trudy_proof.register, &[])
            .await
            .unwrap_err();
        assert!(
            err.raw_log().unwrap().contains(&format!(
                "stale context {}: its revocation root was replaced",
                trudy_proof.context
            )),
            "{err}"
        );
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

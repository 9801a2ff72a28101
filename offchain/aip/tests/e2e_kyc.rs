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
//! provider's tree, the users' identities and the Groth16 proofs. On chain:
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

/// `aip-kyc prove` for `address` against the deployed verifier.
fn prove(dir: &Path, identity: &Path, address: &str, chain_id: &str, zk: &str) -> ProofFile {
    let out = kyc(&[
        "prove",
        "--identity",
        p(identity),
        "--tree",
        p(&dir.join("tree.json")),
        "--proving-key",
        p(&dir.join("keys/proving.key")),
        "--address",
        address,
        "--chain-id",
        chain_id,
        "--contract",
        zk,
    ]);
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

    // Off chain: trusted setup (single party: fine for a test), the
    // provider's tree with two users' commitments among others.
    kyc(&["setup", "--out-dir", p(&d.join("keys"))]);
    let tree = d.join("tree.json");
    kyc(&["tree", "new", "--tree", p(&tree)]);
    let (alice_id, carol_id) = (d.join("alice.json"), d.join("carol.json"));
    let mut commitments = vec![];
    for (i, id) in [&alice_id, &carol_id].into_iter().enumerate() {
        commitments.push(kyc(&["identity", "new", "--out", p(id)]));
        let other = d.join(format!("other{i}.json"));
        commitments.push(kyc(&["identity", "new", "--out", p(&other)]));
    }
    let mut add = vec!["tree", "add", "--tree", p(&tree)];
    add.extend(commitments.iter().map(String::as_str));
    kyc(&add);
    let tree_root = kyc(&["tree", "root", "--tree", p(&tree)]);
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
        let err = alice
            .execute(&zk, &json!({"publish_root": {"root": tree_root}}), &[])
            .await
            .unwrap_err();
        assert!(
            err.raw_log().unwrap().contains("only the provider may"),
            "{err}"
        );
        let publish = provider
            .execute(&zk, &json!({"publish_root": {"root": tree_root}}), &[])
            .await
            .unwrap();
        assert_eq!(publish.wasm_attribute("root"), Some(tree_root.as_str()));
        let roots: Value = alice.query(&zk, &json!({"roots": {}})).await.unwrap();
        assert_eq!(roots["current"], tree_root.as_str());

        // Alice proves membership for her address and registers.
        let proof = prove(d, &alice_id, &addr("alice"), &chain_id, &zk);
        assert_eq!(proof.root, tree_root);
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
        let second = prove(d, &d.join("other0.json"), &addr("alice"), &chain_id, &zk);
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

        // The same identity again (a fresh proof, same nullifier): refused clearly.
        let again = prove(d, &alice_id, &addr("alice"), &chain_id, &zk);
        let err = alice.execute(&zk, &again.register, &[]).await.unwrap_err();
        assert!(matches!(err, Error::Simulation { .. }), "{err:?}");
        let log = err.raw_log().unwrap();
        assert!(
            log.contains(&format!(
                "nullifier {} was already used: this identity has registered",
                proof.nullifier_hash
            )),
            "{err}"
        );
        // ... also from another account (the identity, not the address, is spent).
        let stolen = prove(d, &alice_id, &addr("carol"), &chain_id, &zk);
        let err = carol.execute(&zk, &stolen.register, &[]).await.unwrap_err();
        assert!(
            err.raw_log()
                .unwrap()
                .contains("this identity has registered"),
            "{err}"
        );

        // Carol's valid membership proof, made for bob's address and sent by carol:
        // the address binding refuses it, and nothing changes.
        let for_bob = prove(d, &carol_id, &addr("bob"), &chain_id, &zk);
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
        let own = prove(d, &carol_id, &addr("carol"), &chain_id, &zk);
        let carol_reg = carol.execute(&zk, &own.register, &[]).await.unwrap();
        let count = tokens(carol.query(&rep, &json!({"num_tokens": {}})).await.unwrap());
        assert_eq!(count, 2);

        // Whole-transaction SDK gas (signature, tx bytes, both contract
        // instances and reputation's MintFor included), for docs/benchmarks.md.
        for (what, tx) in [
            ("set_verifying_key", &set_key),
            ("publish_root", &publish),
            ("register (alice)", &register),
            ("register (carol)", &carol_reg),
        ] {
            assert!(tx.gas_used > 0 && tx.gas_used <= tx.gas_wanted);
            eprintln!("kyc gas: {what}: {} SDK gas used", tx.gas_used);
        }
    });
}

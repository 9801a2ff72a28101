//! The provider and user flow through the CLI, on real files.

use std::path::Path;

use aip_kyc::cli::Cli;
use aip_kyc::{run, Error, ProofFile};
use clap::Parser;

fn cmd(args: &[&str]) -> Result<String, Error> {
    let mut v = vec!["aip-kyc"];
    v.extend_from_slice(args);
    run(Cli::try_parse_from(v).expect("valid command line"))
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

#[test]
fn provider_and_user_flow() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let keys = p(d, "keys");
    let out = cmd(&["setup", "--out-dir", &keys, "--insecure-seed", "1"]).unwrap();
    assert!(out.contains("multi-party ceremony"), "{out}");
    let e = cmd(&["setup", "--out-dir", &keys]).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{} exists: refusing to overwrite it (pass --force)",
            d.join("keys/proving.key").display()
        )
    );
    let vk_hex = std::fs::read_to_string(d.join("keys/verifying_key.hex")).unwrap();
    assert_eq!(vk_hex.trim().len(), 2 * (48 + 3 * 96 + 8 + 2 * 48));

    let tree = p(d, "tree.json");
    let out = cmd(&["tree", "new", "--tree", &tree]).unwrap();
    assert!(out.starts_with("created"));
    let empty_root = cmd(&["tree", "root", "--tree", &tree]).unwrap();

    let alice = p(d, "alice.json");
    let bob = p(d, "bob.json");
    let ca = cmd(&["identity", "new", "--out", &alice]).unwrap();
    let cb = cmd(&["identity", "new", "--out", &bob]).unwrap();
    assert_eq!(ca.len(), 64);
    assert_ne!(ca, cb);

    let out = cmd(&["tree", "add", "--tree", &tree, &ca]).unwrap();
    assert!(out.starts_with(&format!("leaf 0: {ca}")), "{out}");
    let e = cmd(&["tree", "add", "--tree", &tree, &ca]).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("commitment {ca} is already in the tree at index 0")
    );
    let e = cmd(&["tree", "add", "--tree", &tree, "zz"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "commitment: expected 64 hex digits encoding a scalar below the modulus, got \"zz\""
    );
    let root = cmd(&["tree", "root", "--tree", &tree]).unwrap();
    assert_ne!(root, empty_root);

    let pk = p(d, "keys/proving.key");
    let proof = p(d, "proof.json");
    let addr = "wasm1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqsd5ph9m";
    let out = cmd(&[
        "prove",
        "--identity",
        &alice,
        "--tree",
        &tree,
        "--proving-key",
        &pk,
        "--address",
        addr,
        "--chain-id",
        "aipchain-1",
        "--contract",
        "wasm1verifier",
        "--out",
        &proof,
    ])
    .unwrap();
    let pf: ProofFile = serde_json::from_str(&out).unwrap();
    assert_eq!(pf.root, root);
    assert_eq!(pf.proof.len(), 2 * 192);
    assert_eq!(pf.register["register"]["root"], root);
    assert_eq!(
        pf.external_nullifier,
        aip_kyc::hex_fr(zk_kyc::external_nullifier::<ark_bls12_381::Fr>(
            "aipchain-1",
            "wasm1verifier"
        ))
    );
    let vk = p(d, "keys/verifying.key");
    assert_eq!(
        cmd(&["verify", "--verifying-key", &vk, "--proof", &proof]).unwrap(),
        "valid"
    );

    // the same proof claimed for another address does not verify
    let mut other: ProofFile =
        serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    other.address = "wasm1mallory".into();
    let other_path = p(d, "other.json");
    std::fs::write(&other_path, serde_json::to_string(&other).unwrap()).unwrap();
    assert_eq!(
        cmd(&["verify", "--verifying-key", &vk, "--proof", &other_path]).unwrap(),
        "INVALID"
    );

    // bob is not in the tree yet
    let e = cmd(&[
        "prove",
        "--identity",
        &bob,
        "--tree",
        &tree,
        "--proving-key",
        &pk,
        "--address",
        addr,
        "--external-nullifier",
        &pf.external_nullifier,
    ])
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("commitment {cb} is not in the tree {tree}")
    );
    // no scope
    cmd(&["tree", "add", "--tree", &tree, &cb]).unwrap();
    let e = cmd(&[
        "prove",
        "--identity",
        &bob,
        "--tree",
        &tree,
        "--proving-key",
        &pk,
        "--address",
        addr,
    ])
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "give either --external-nullifier, or --chain-id and --contract"
    );
}

#[test]
fn files_of_the_wrong_curve_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let tree = p(d, "tree.json");
    let id = p(d, "id.json");
    cmd(&["tree", "new", "--tree", &tree, "--curve", "bn254"]).unwrap();
    let c = cmd(&["identity", "new", "--out", &id, "--insecure-seed", "3"]).unwrap();
    // a BLS12-381 commitment is usually not even a BN254 scalar; either way the
    // prover refuses the tree
    let _ = cmd(&["tree", "add", "--tree", &tree, &c]);
    let e = cmd(&[
        "prove",
        "--identity",
        &id,
        "--tree",
        &tree,
        "--proving-key",
        "x",
        "--address",
        "a",
        "--external-nullifier",
        &c,
    ])
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{tree}: made for curve bn254, this command uses bls12-381")
    );
    let e = cmd(&["tree", "root", "--tree", &p(d, "missing.json")]).unwrap_err();
    assert!(e.to_string().contains("missing.json: No such file"), "{e}");
}

#[test]
fn bn254_keys_and_proofs_work_too() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let keys = p(d, "keys");
    cmd(&[
        "setup",
        "--out-dir",
        &keys,
        "--curve",
        "bn254",
        "--insecure-seed",
        "2",
    ])
    .unwrap();
    let tree = p(d, "tree.json");
    let id = p(d, "id.json");
    cmd(&["tree", "new", "--tree", &tree, "--curve", "bn254"]).unwrap();
    let c = cmd(&["identity", "new", "--out", &id, "--curve", "bn254"]).unwrap();
    cmd(&["tree", "add", "--tree", &tree, &c]).unwrap();
    let proof = p(d, "proof.json");
    cmd(&[
        "prove",
        "--identity",
        &id,
        "--tree",
        &tree,
        "--proving-key",
        &p(d, "keys/proving.key"),
        "--address",
        "wasm1alice",
        "--chain-id",
        "c",
        "--contract",
        "v",
        "--out",
        &proof,
    ])
    .unwrap();
    assert_eq!(
        cmd(&[
            "verify",
            "--verifying-key",
            &p(d, "keys/verifying.key"),
            "--proof",
            &proof
        ])
        .unwrap(),
        "valid"
    );
}

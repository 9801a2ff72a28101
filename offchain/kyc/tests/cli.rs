//! The provider, compliance and user flow through the CLI, on real files.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

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

const ADDR: &str = "wasm1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqsd5ph9m";
const EXPIRY: &str = "2000000000";

/// `prove` for `who` (identity and credential files `<who>.json`,
/// `<who>.cred.json`) with the folder's tree and sets, plus `extra` arguments.
fn prove(d: &Path, who: &str, extra: &[&str]) -> Result<String, Error> {
    let (id, cred) = (
        p(d, &format!("{who}.json")),
        p(d, &format!("{who}.cred.json")),
    );
    let (tree, sanctions, revocations, pk) = (
        p(d, "tree.json"),
        p(d, "sanctions.json"),
        p(d, "revocations.json"),
        p(d, "keys/proving.key"),
    );
    let mut args = vec![
        "prove",
        "--identity",
        &id,
        "--credential",
        &cred,
        "--tree",
        &tree,
        "--sanctions",
        &sanctions,
        "--revocations",
        &revocations,
        "--proving-key",
        &pk,
    ];
    args.extend_from_slice(extra);
    cmd(&args)
}

/// Identity for `who`, credential issued by the provider; returns the commitment.
fn enrol(d: &Path, who: &str, seed: &str) -> String {
    let c = cmd(&[
        "identity",
        "new",
        "--out",
        &p(d, &format!("{who}.json")),
        "--insecure-seed",
        seed,
    ])
    .unwrap();
    cmd(&[
        "tree",
        "add",
        "--tree",
        &p(d, "tree.json"),
        "--commitment",
        &c,
        "--reference",
        &format!("passport:{who}"),
        "--expiry",
        EXPIRY,
        "--credential-out",
        &p(d, &format!("{who}.cred.json")),
    ])
    .unwrap();
    c
}

#[test]
fn provider_compliance_and_user_flow() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let keys = p(d, "keys");
    let out = cmd(&["setup", "--out-dir", &keys, "--insecure-seed", "1"]).unwrap();
    assert!(out.contains("multi-party ceremony"), "{out}");
    assert!(
        out.starts_with("circuit: ") && out.contains(" R1CS constraints"),
        "{out}"
    );
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
    assert!(cmd(&["tree", "new", "--tree", &tree])
        .unwrap()
        .starts_with("created"));
    let empty_root = cmd(&["tree", "root", "--tree", &tree]).unwrap();
    let (sanctions, revocations) = (p(d, "sanctions.json"), p(d, "revocations.json"));
    let out = cmd(&["set", "new", "--set", &sanctions]).unwrap();
    let empty_set = cmd(&["set", "root", "--set", &sanctions]).unwrap();
    assert!(out.ends_with(&format!("(empty root {empty_set})")), "{out}");
    cmd(&["set", "new", "--set", &revocations]).unwrap();

    let ca = enrol(d, "alice", "1");
    enrol(d, "mallory", "2");
    enrol(d, "trudy", "3");
    let root = cmd(&["tree", "root", "--tree", &tree]).unwrap();
    assert_ne!(root, empty_root);
    // the same credential twice, and a malformed commitment
    let e = cmd(&[
        "tree",
        "add",
        "--tree",
        &tree,
        "--commitment",
        &ca,
        "--reference",
        "passport:alice",
        "--expiry",
        EXPIRY,
        "--credential-out",
        &p(d, "dup.json"),
    ])
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("a credential for commitment {ca} with this identifier and expiry is already in the tree at index 0")
    );
    let e = cmd(&[
        "tree",
        "add",
        "--tree",
        &tree,
        "--commitment",
        "zz",
        "--reference",
        "x",
        "--expiry",
        "1",
        "--credential-out",
        &p(d, "zz.json"),
    ])
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "commitment: expected 64 hex digits encoding a scalar below the modulus, got \"zz\""
    );

    // compliance sanctions mallory, the provider revokes trudy
    let out = cmd(&[
        "set",
        "add",
        "--set",
        &sanctions,
        "passport:mallory",
        "passport:eve",
    ])
    .unwrap();
    assert!(out.starts_with("added: "), "{out}");
    let sroot = cmd(&["set", "root", "--set", &sanctions]).unwrap();
    assert!(out.ends_with(&format!("root {sroot}")));
    assert_ne!(sroot, empty_set);
    cmd(&["set", "add", "--set", &revocations, "passport:trudy"]).unwrap();

    let proof = p(d, "proof.json");
    let out = prove(
        d,
        "alice",
        &[
            "--address",
            ADDR,
            "--chain-id",
            "aipchain-1",
            "--contract",
            "wasm1verifier",
            "--out",
            &proof,
        ],
    )
    .unwrap();
    let pf: ProofFile = serde_json::from_str(&out).unwrap();
    assert_eq!(pf.identity_root, root);
    assert_eq!(pf.sanctions_root, sroot);
    assert_eq!(pf.valid_until, 2_000_000_000);
    assert_eq!(pf.proof.len(), 2 * 192);
    assert_eq!(pf.register["register"]["context"], pf.context);
    assert_eq!(pf.register["register"]["valid_until"], 2_000_000_000u64);
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

    // that proof used the matrices `setup` wrote; without them `prove` still
    // proves (synthesizing them), and a file that does not fit is refused
    let matrices = d.join("keys/circuit.matrices");
    let m = std::fs::read(&matrices).unwrap();
    assert!(m.starts_with(zk_kyc::prover::MATRICES_MAGIC));
    let proof2 = p(d, "proof2.json");
    let with_out = [
        "--address",
        ADDR,
        "--chain-id",
        "aipchain-1",
        "--contract",
        "wasm1verifier",
        "--out",
        &proof2,
    ];
    std::fs::remove_file(&matrices).unwrap();
    prove(d, "alice", &with_out).unwrap();
    assert_eq!(
        cmd(&["verify", "--verifying-key", &vk, "--proof", &proof2]).unwrap(),
        "valid"
    );
    std::fs::write(&matrices, &m[..m.len() - 1]).unwrap();
    let e = prove(d, "alice", &with_out).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: not valid constraint matrices for this proving key: truncated (delete the file to prove without it)",
            matrices.display()
        )
    );
    std::fs::write(&matrices, &m).unwrap();

    // the same proof claimed for another address or another valid_until does not verify
    let orig: ProofFile = serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    for edit in [
        |f: &mut ProofFile| f.address = "wasm1mallory".into(),
        |f: &mut ProofFile| f.valid_until -= 1,
    ] {
        let mut other = orig.clone();
        edit(&mut other);
        let other_path = p(d, "other.json");
        std::fs::write(&other_path, serde_json::to_string(&other).unwrap()).unwrap();
        assert_eq!(
            cmd(&["verify", "--verifying-key", &vk, "--proof", &other_path]).unwrap(),
            "INVALID"
        );
    }

    let scope = [
        "--address",
        ADDR,
        "--external-nullifier",
        &pf.external_nullifier,
    ];
    // a valid_until after the credential's expiry
    let e = prove(
        d,
        "alice",
        &[&scope[..], &["--valid-until", "2000000001"]].concat(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the credential expires at 2000000000, before valid_until 2000000001: ask the provider for a renewed credential or prove for an earlier valid_until"
    );
    // sanctioned and revoked identities cannot prove
    let e = prove(d, "mallory", &scope).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("the credential's identifier is on the sanctions list {sanctions}: no proof of non-membership exists")
    );
    let e = prove(d, "trudy", &scope).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("the credential's identifier is on the revocation list {revocations}: no proof of non-membership exists")
    );
    // once trudy is reinstated she proves again
    let out = cmd(&[
        "set",
        "remove",
        "--set",
        &revocations,
        "passport:trudy",
        "passport:nobody",
    ])
    .unwrap();
    assert!(
        out.contains("removed: ") && out.contains("not listed: "),
        "{out}"
    );
    prove(d, "trudy", &scope).unwrap();

    // bob has an identity but only alice's credential
    let cb = cmd(&["identity", "new", "--out", &p(d, "bob.json")]).unwrap();
    std::fs::copy(d.join("alice.cred.json"), d.join("bob.cred.json")).unwrap();
    let e = prove(d, "bob", &scope).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{} was issued for another identity than {} (its leaf is not Poseidon(commitment, identifier, expiry) of this identity)",
            p(d, "bob.cred.json"),
            p(d, "bob.json")
        ),
        "{cb}"
    );
    // alice's credential against a tree that does not hold it
    std::fs::copy(d.join("tree.json"), d.join("tree.kept.json")).unwrap();
    cmd(&["tree", "new", "--tree", &tree, "--force"]).unwrap();
    let e = prove(d, "alice", &scope).unwrap_err();
    assert!(
        e.to_string().starts_with("credential leaf ")
            && e.to_string()
                .contains(&format!("is not in the tree {tree}")),
        "{e}"
    );
    std::fs::copy(d.join("tree.kept.json"), d.join("tree.json")).unwrap();
    // no scope
    let e = prove(d, "alice", &["--address", ADDR]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "give either --external-nullifier, or --chain-id and --contract"
    );
}

#[test]
fn files_of_the_wrong_curve_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    cmd(&[
        "tree",
        "new",
        "--tree",
        &p(d, "tree.json"),
        "--curve",
        "bn254",
    ])
    .unwrap();
    cmd(&["set", "new", "--set", &p(d, "sanctions.json")]).unwrap();
    cmd(&["set", "new", "--set", &p(d, "revocations.json")]).unwrap();
    let c = cmd(&[
        "identity",
        "new",
        "--out",
        &p(d, "id.json"),
        "--insecure-seed",
        "3",
    ])
    .unwrap();
    std::fs::write(
        d.join("id.cred.json"),
        format!("{{\"curve\":\"bls12-381\",\"identifier\":\"{c}\",\"expiry\":1,\"leaf\":\"{c}\"}}"),
    )
    .unwrap();
    let e = prove(d, "id", &["--address", "a", "--external-nullifier", &c]).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: made for curve bn254, this command uses bls12-381",
            p(d, "tree.json")
        )
    );
    let e = cmd(&["tree", "root", "--tree", &p(d, "missing.json")]).unwrap_err();
    assert!(e.to_string().contains("missing.json: No such file"), "{e}");
    let e = cmd(&["set", "root", "--set", &p(d, "tree.json")]).unwrap_err();
    assert!(e.to_string().contains("not a valid set file"), "{e}");
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
    cmd(&[
        "tree",
        "new",
        "--tree",
        &p(d, "tree.json"),
        "--curve",
        "bn254",
    ])
    .unwrap();
    for s in ["sanctions.json", "revocations.json"] {
        cmd(&["set", "new", "--set", &p(d, s), "--curve", "bn254"]).unwrap();
    }
    let c = cmd(&[
        "identity",
        "new",
        "--out",
        &p(d, "id.json"),
        "--curve",
        "bn254",
    ])
    .unwrap();
    cmd(&[
        "tree",
        "add",
        "--tree",
        &p(d, "tree.json"),
        "--commitment",
        &c,
        "--reference",
        "r",
        "--expiry",
        EXPIRY,
        "--credential-out",
        &p(d, "id.cred.json"),
    ])
    .unwrap();
    let proof = p(d, "proof.json");
    prove(
        d,
        "id",
        &[
            "--address",
            "wasm1alice",
            "--chain-id",
            "c",
            "--contract",
            "v",
            "--out",
            &proof,
        ],
    )
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

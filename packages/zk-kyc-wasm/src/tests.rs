use std::sync::OnceLock;

use ark_groth16::VerifyingKey;
use serde_json::json;
use zk_kyc::prover;
use zk_kyc::witness::WitnessFile;
use zk_kyc::{ExclusionSet, IdentityTree, Statement};

use super::*;

fn keys() -> &'static (ProvingKey<Bls12_381>, VerifyingKey<Bls12_381>) {
    static KEYS: OnceLock<(ProvingKey<Bls12_381>, VerifyingKey<Bls12_381>)> = OnceLock::new();
    KEYS.get_or_init(|| {
        // The key goes through aip-kyc's byte format, as the browser gets it.
        let (pk, vk) = Bls12_381::kyc_setup(&mut ChaCha20Rng::seed_from_u64(7));
        let bytes = Bls12_381::kyc_write_proving_key(&pk);
        (read_proving_key(&bytes).unwrap(), vk)
    })
}

const ALICE: &str = "wasm1alice";
const CHAIN: &str = "aip-localnet-1";
const VERIFIER: &str = "wasm1verifier";

fn set_file(references: &[&str]) -> SetFile {
    let mut set = ExclusionSet::<Fr>::new();
    for r in references {
        set.insert(zk_kyc::identifier(r)).unwrap();
    }
    SetFile {
        curve: CURVE.into(),
        depth: zk_kyc::SET_DEPTH as u32,
        identifiers: set.values().iter().map(|v| hex_fr(*v)).collect(),
    }
}

/// The provider's side: issues `identity` the credential for `reference` in a
/// tree that also holds two other credentials.
fn request(identity: &IdentityFile, reference: &str, expiry: u64) -> ProveRequest {
    let rng = &mut ChaCha20Rng::seed_from_u64(1);
    let commitment = parse_fr("commitment", &identity.commitment).unwrap();
    let identifier = zk_kyc::identifier::<Fr>(reference);
    let leaf = zk_kyc::credential_leaf(commitment, identifier, expiry);
    let mut other = |r: &str| {
        let c = parse_fr("c", &new_identity(rng).commitment).unwrap();
        hex_fr(zk_kyc::credential_leaf(c, zk_kyc::identifier(r), expiry))
    };
    let leaves = vec![other("passport:o1"), hex_fr(leaf), other("passport:o2")];
    ProveRequest {
        identity: identity.clone(),
        credential: CredentialFile {
            curve: CURVE.into(),
            identifier: hex_fr(identifier),
            expiry,
            leaf: hex_fr(leaf),
        },
        tree: TreeFile {
            curve: CURVE.into(),
            depth: zk_kyc::DEPTH as u32,
            leaves,
        },
        sanctions: set_file(&["passport:mallory", "passport:eve"]),
        revocations: set_file(&["passport:revoked"]),
        address: ALICE.into(),
        chain_id: CHAIN.into(),
        contract: VERIFIER.into(),
        valid_until: None,
    }
}

fn statement(p: &ProofFile, address: &str) -> Statement<Fr> {
    let f = |name: &str, v: &str| parse_fr(name, v).unwrap();
    Statement {
        identity_root: f("identity_root", &p.identity_root),
        sanctions_root: f("sanctions_root", &p.sanctions_root),
        revocation_root: f("revocation_root", &p.revocation_root),
        external_nullifier: f("external_nullifier", &p.external_nullifier),
        nullifier_hash: f("nullifier_hash", &p.nullifier_hash),
        signal: zk_kyc::signal(address),
        valid_until: p.valid_until,
    }
}

fn prove_err(req: &ProveRequest) -> String {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut stages = vec![];
    let err = prove_request(&keys().0, req, &mut rng, |s| stages.push(s)).unwrap_err();
    // Refused before the long part.
    assert!(!stages.contains(&Stage::Proving), "{stages:?}");
    err.to_string()
}

#[test]
fn identities_are_fresh_and_their_commitment_is_checked() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let (a, b) = (new_identity(&mut rng), new_identity(&mut rng));
    assert_ne!(a.secret, b.secret);
    assert_ne!(a.commitment, b.commitment);
    let id = parse_identity(&a).unwrap();
    assert_eq!(
        hex_fr(zk_kyc::commitment(id.secret, id.trapdoor)),
        a.commitment
    );
    let mut forged = a.clone();
    forged.commitment = b.commitment.clone();
    let err = parse_identity(&forged).unwrap_err().to_string();
    assert!(
        err.contains("does not match the secret and trapdoor"),
        "{err}"
    );
    let mut other_curve = a;
    other_curve.curve = "bn254".into();
    assert_eq!(
        parse_identity(&other_curve).unwrap_err().to_string(),
        "the identity is for curve bn254, the browser prover needs bls12-381"
    );
}

#[test]
fn a_proof_verifies_for_its_address_only_and_carries_the_register_message() {
    let (pk, vk) = keys();
    let identity = new_identity(&mut ChaCha20Rng::seed_from_u64(11));
    let req = request(&identity, "passport:alice", 4_000_000_000);
    let mut stages = vec![];
    let p = prove_request(pk, &req, &mut ChaCha20Rng::seed_from_u64(5), |s| {
        stages.push(s)
    })
    .unwrap();
    assert_eq!(stages, [Stage::Witness, Stage::Proving, Stage::Done]);
    assert_eq!(
        p.valid_until, 4_000_000_000,
        "defaults to the credential's expiry"
    );
    assert_eq!(p.address, ALICE);
    assert_eq!(
        p.external_nullifier,
        external_nullifier_hex(CHAIN, VERIFIER)
    );
    let proof = prover::from_bytes(&hex::decode(&p.proof).unwrap()).unwrap();
    let st = statement(&p, ALICE);
    assert_eq!(hex_fr(st.context()), p.context);
    assert_eq!(hex_fr(st.public_input()), p.public_input);
    assert!(Bls12_381::kyc_verify(vk, &proof, &st));
    // Bound to the address: the same proof does not verify for another sender.
    assert!(!Bls12_381::kyc_verify(
        vk,
        &proof,
        &statement(&p, "wasm1mallory")
    ));
    // The roots are the provider's and the compliance role's.
    let tree_root = {
        let leaves = req.tree.leaves.iter().map(|l| parse_fr("l", l).unwrap());
        IdentityTree::<Fr>::from_leaves(leaves.collect())
            .unwrap()
            .root()
    };
    assert_eq!(p.identity_root, hex_fr(tree_root));
    assert_eq!(
        p.sanctions_root,
        hex_fr(
            zk_kyc::witness::set_from_file::<Fr>(WitnessFile::Sanctions, &req.sanctions)
                .unwrap()
                .root()
        )
    );
    assert_eq!(
        p.register,
        json!({"register": {"proof": p.proof, "context": p.context,
            "nullifier_hash": p.nullifier_hash, "valid_until": 4_000_000_000u64}})
    );
    // An earlier valid_until is allowed and is what the proof states.
    let mut earlier = req.clone();
    earlier.valid_until = Some(3_000_000_000);
    let p2 = prove_request(pk, &earlier, &mut ChaCha20Rng::seed_from_u64(6), |_| {}).unwrap();
    assert_eq!(p2.valid_until, 3_000_000_000);
    // Same identity and verifier: same nullifier (one registration per identity).
    assert_eq!(p2.nullifier_hash, p.nullifier_hash);
}

#[test]
fn unprovable_inputs_are_refused_with_the_reason() {
    let identity = new_identity(&mut ChaCha20Rng::seed_from_u64(12));
    let req = request(&identity, "passport:mallory", 4_000_000_000);
    assert_eq!(
        prove_err(&req),
        "the credential's identifier is on the sanctions list: no proof of non-membership exists"
    );
    let req = request(&identity, "passport:revoked", 4_000_000_000);
    assert_eq!(
        prove_err(&req),
        "the credential's identifier is on the revocation list: no proof of non-membership exists"
    );

    let good = request(&identity, "passport:alice", 2_000_000_000);
    let mut late = good.clone();
    late.valid_until = Some(2_000_000_001);
    assert!(
        prove_err(&late)
            .starts_with("the credential expires at 2000000000, before valid_until 2000000001"),
        "{}",
        prove_err(&late)
    );

    let mut missing = good.clone();
    missing.tree.leaves.remove(1);
    assert!(
        prove_err(&missing).contains("is not in the provider's tree"),
        "{}",
        prove_err(&missing)
    );

    let mut someone_else = good.clone();
    someone_else.identity = new_identity(&mut ChaCha20Rng::seed_from_u64(13));
    assert!(prove_err(&someone_else).starts_with("the credential was issued for another identity"));

    let mut bad_hex = good.clone();
    bad_hex.credential.identifier = "zz".into();
    assert_eq!(
        prove_err(&bad_hex),
        "credential identifier: \"zz\" is not 64 hex digits of a field element"
    );

    let mut bn = good;
    bn.sanctions.curve = "bn254".into();
    assert_eq!(
        prove_err(&bn),
        "the sanctions list is for curve bn254, the browser prover needs bls12-381"
    );
}

#[test]
fn a_request_is_the_aip_kyc_files_as_json() {
    let identity = new_identity(&mut ChaCha20Rng::seed_from_u64(14));
    let req = request(&identity, "passport:alice", 4_000_000_000);
    let text = serde_json::to_string(&req).unwrap();
    let back: ProveRequest = serde_json::from_str(&text).unwrap();
    assert_eq!(back.identity, req.identity);
    let unknown = text.replacen("{", "{\"extra\":1,", 1);
    let err = serde_json::from_str::<ProveRequest>(&unknown).unwrap_err();
    assert!(err.to_string().contains("unknown field `extra`"), "{err}");
    assert!(read_proving_key(&[1, 2, 3])
        .unwrap_err()
        .to_string()
        .starts_with("the proving key could not be read"));
}

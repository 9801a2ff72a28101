use std::sync::OnceLock;

use ark_bls12_381::{Bls12_381, Fr};
use ark_crypto_primitives::sponge::poseidon::PoseidonSponge;
use ark_crypto_primitives::sponge::{Absorb, CryptographicSponge, FieldBasedCryptographicSponge};
use ark_ff::{BigInteger, PrimeField, UniformRand};
use ark_groth16::{PreparedVerifyingKey, ProvingKey};
use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystem};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::circuit::KycCircuit;
use crate::params::{self, PoseidonField};
use crate::prover::{self, Identity};
use crate::tree::{zeros, IdentityTree, TreeError, DEPTH};
use crate::{external_nullifier, fr_from_bytes, fr_to_bytes, poseidon, signal, Statement};

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(7)
}

fn check_params<F: PoseidonField>() {
    let (ark, mds) = params::generate::<F>();
    let embedded_ark: Vec<Vec<F>> = F::ARK.iter().map(|r| r.to_vec()).collect();
    let embedded_mds: Vec<Vec<F>> = F::MDS.iter().map(|r| r.to_vec()).collect();
    assert_eq!(
        embedded_ark, ark,
        "round constants differ: regenerate (examples/poseidon-constants.rs)"
    );
    assert_eq!(
        embedded_mds, mds,
        "MDS differs: regenerate (examples/poseidon-constants.rs)"
    );
}

#[test]
fn params_match_grain_lfsr() {
    check_params::<Fr>();
    check_params::<ark_bn254::Fr>();
}

fn check_poseidon_matches_arkworks<F: PoseidonField + Absorb>() {
    let mut r = rng();
    let cfg = params::config::<F>();
    for _ in 0..3 {
        let v: Vec<F> = (0..4).map(|_| F::rand(&mut r)).collect();
        let mut s = PoseidonSponge::new(&cfg);
        s.absorb(&vec![v[0], v[1]]);
        assert_eq!(
            poseidon::hash2(v[0], v[1]),
            s.squeeze_native_field_elements(1)[0]
        );
        let mut s = PoseidonSponge::new(&cfg);
        s.absorb(&v);
        assert_eq!(
            poseidon::hash4(v[0], v[1], v[2], v[3]),
            s.squeeze_native_field_elements(1)[0]
        );
    }
}

#[test]
fn native_poseidon_equals_arkworks_sponge() {
    check_poseidon_matches_arkworks::<Fr>();
    check_poseidon_matches_arkworks::<ark_bn254::Fr>();
}

#[test]
fn field_bytes_are_canonical_little_endian() {
    let x = Fr::from(0x0102u64);
    let b = fr_to_bytes(x);
    assert_eq!(&b[..3], &[2, 1, 0]);
    assert_eq!(fr_from_bytes::<Fr>(&b), Some(x));
    // the modulus itself and anything longer or shorter is refused
    let mut modulus = [0u8; 32];
    modulus.copy_from_slice(&Fr::MODULUS.to_bytes_le());
    assert_eq!(fr_from_bytes::<Fr>(&modulus), None);
    assert_eq!(fr_from_bytes::<Fr>(&[0xff; 32]), None);
    assert_eq!(fr_from_bytes::<Fr>(&b[..31]), None);
    assert_eq!(fr_from_bytes::<Fr>(&[0u8; 33]), None);
}

#[test]
fn domain_hashes_differ_by_every_input() {
    let a = external_nullifier::<Fr>("aipchain-1", "contract-a");
    assert_ne!(a, external_nullifier::<Fr>("aipchain-2", "contract-a"));
    assert_ne!(a, external_nullifier::<Fr>("aipchain-1", "contract-b"));
    // the separator keeps (chain, contract) splits apart
    assert_ne!(
        external_nullifier::<Fr>("ab", "c"),
        external_nullifier::<Fr>("a", "bc")
    );
    assert_ne!(signal::<Fr>("alice"), signal::<Fr>("bob"));
    assert_ne!(signal::<Fr>("alice"), Fr::from(0u64));
}

#[test]
fn tree_roots_and_paths_agree() {
    let empty = IdentityTree::<Fr>::new();
    assert_eq!(empty.root(), zeros::<Fr>()[DEPTH]);
    let mut tree = IdentityTree::<Fr>::new();
    let mut r = rng();
    let leaves: Vec<Fr> = (0..5).map(|_| Fr::rand(&mut r)).collect();
    for (i, l) in leaves.iter().enumerate() {
        assert_eq!(tree.insert(*l).unwrap(), i as u32);
    }
    let root = tree.root();
    assert_ne!(root, empty.root());
    for (i, l) in leaves.iter().enumerate() {
        let path = tree.path(i as u32).unwrap();
        assert_eq!(path.root(*l), root, "leaf {i}");
        assert_ne!(path.root(Fr::from(1u64)), root);
    }
    assert_eq!(tree.position(leaves[3]), Some(3));
    assert_eq!(
        tree.path(5).unwrap_err(),
        TreeError::NoLeaf {
            index: 5,
            leaves: 5
        }
    );
    assert_eq!(
        tree.path(5).unwrap_err().to_string(),
        "no leaf at index 5: the tree has 5 leaves"
    );
    // a single leaf: root = fold with zero siblings
    let one = IdentityTree::from_leaves(vec![leaves[0]]).unwrap();
    let z = zeros::<Fr>();
    let mut node = leaves[0];
    for zd in z.iter().take(DEPTH) {
        node = poseidon::hash2(node, *zd);
    }
    assert_eq!(one.root(), node);
}

#[test]
fn full_tree_refuses_more_leaves() {
    let mut tree = IdentityTree::from_leaves(vec![Fr::from(1u64); 1 << DEPTH]).unwrap();
    assert_eq!(tree.insert(Fr::from(2u64)), Err(TreeError::Full));
    assert_eq!(
        TreeError::Full.to_string(),
        "the identity tree is full (2^20 leaves)"
    );
    assert_eq!(
        IdentityTree::from_leaves(vec![Fr::from(1u64); (1 << DEPTH) + 1]),
        Err(TreeError::Full)
    );
}

struct Fixture {
    pk: ProvingKey<Bls12_381>,
    pvk: PreparedVerifyingKey<Bls12_381>,
    alice: Identity<Fr>,
    tree: IdentityTree<Fr>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut r = rng();
        let (pk, vk) = prover::setup::<Bls12_381, _>(&mut r);
        let alice = Identity::random(&mut r);
        let mut tree = IdentityTree::new();
        for _ in 0..3 {
            tree.insert(Identity::<Fr>::random(&mut r).commitment())
                .unwrap();
        }
        tree.insert(alice.commitment()).unwrap();
        tree.insert(Fr::rand(&mut r)).unwrap();
        Fixture {
            pk,
            pvk: prover::prepare(&vk),
            alice,
            tree,
        }
    })
}

#[test]
fn circuit_has_one_public_input_and_is_satisfied_only_by_members() {
    let f = fixture();
    let ext = external_nullifier::<Fr>("aipchain-1", "verifier");
    let path = f.tree.path(3).unwrap();
    let st = f.alice.statement(&path, ext, signal("alice"));
    assert_eq!(st.root, f.tree.root());
    let ok = KycCircuit {
        secret: f.alice.secret,
        trapdoor: f.alice.trapdoor,
        path: path.clone(),
        statement: st,
    };
    let cs = ConstraintSystem::<Fr>::new_ref();
    ok.clone().generate_constraints(cs.clone()).unwrap();
    assert!(cs.is_satisfied().unwrap());
    assert_eq!(
        cs.num_instance_variables(),
        2,
        "the constant one and one public input"
    );
    assert!(
        cs.num_constraints() < 7_000,
        "{} constraints",
        cs.num_constraints()
    );

    // a wrong trapdoor, a wrong leaf index, or statement values that do not match
    let mut bad = vec![];
    let mut c = ok.clone();
    c.trapdoor += Fr::from(1u64);
    bad.push(("trapdoor", c));
    let mut c = ok.clone();
    c.path.index = 2;
    bad.push(("index", c));
    let mut c = ok.clone();
    c.statement.root += Fr::from(1u64);
    bad.push(("root", c));
    let mut c = ok.clone();
    c.statement.nullifier_hash += Fr::from(1u64);
    bad.push(("nullifier", c));
    let mut c = ok;
    c.statement.external_nullifier += Fr::from(1u64);
    bad.push(("external nullifier", c));
    for (what, c) in bad {
        let cs = ConstraintSystem::<Fr>::new_ref();
        c.generate_constraints(cs.clone()).unwrap();
        assert!(!cs.is_satisfied().unwrap(), "{what}");
    }
}

#[test]
fn valid_proof_is_accepted_and_every_tampered_input_rejected() {
    let f = fixture();
    let mut r = rng();
    let ext = external_nullifier::<Fr>("aipchain-1", "verifier");
    let path = f.tree.path(3).unwrap();
    let (proof, st) = prover::prove(&f.pk, &f.alice, &path, ext, signal("alice"), &mut r);
    assert!(prover::verify(&f.pvk, &proof, &st));
    assert_eq!(st.nullifier_hash, f.alice.nullifier_hash(ext));

    let one = Fr::from(1u64);
    let tampered = [
        (
            "root",
            Statement {
                root: st.root + one,
                ..st
            },
        ),
        (
            "nullifier hash",
            Statement {
                nullifier_hash: st.nullifier_hash + one,
                ..st
            },
        ),
        (
            "external nullifier",
            Statement {
                external_nullifier: external_nullifier("aipchain-1", "other"),
                ..st
            },
        ),
        (
            "signal (another address)",
            Statement {
                signal: signal("bob"),
                ..st
            },
        ),
    ];
    for (what, t) in tampered {
        assert!(
            !prover::verify(&f.pvk, &proof, &t),
            "tampered {what} accepted"
        );
    }
    // a proof for bob's address does not verify as alice's, and vice versa
    let (bob_proof, bob_st) = prover::prove(&f.pk, &f.alice, &path, ext, signal("bob"), &mut r);
    assert!(prover::verify(&f.pvk, &bob_proof, &bob_st));
    assert!(!prover::verify(&f.pvk, &bob_proof, &st));
    assert_eq!(
        bob_st.nullifier_hash, st.nullifier_hash,
        "one identity, one nullifier"
    );

    // proofs survive the byte encoding the contract reads
    let bytes = prover::to_bytes(&proof);
    assert_eq!(bytes.len(), prover::BLS12_381_PROOF_LEN);
    let back: ark_groth16::Proof<Bls12_381> = prover::from_bytes(&bytes).unwrap();
    assert!(prover::verify(&f.pvk, &back, &st));
    // a flipped byte either fails to parse or fails to verify
    let mut flipped = bytes.clone();
    flipped[60] ^= 1;
    if let Ok(p) = prover::from_bytes::<ark_groth16::Proof<Bls12_381>>(&flipped) {
        assert!(!prover::verify(&f.pvk, &p, &st));
    }
}

#[test]
fn same_circuit_proves_on_bn254() {
    use ark_bn254::{Bn254, Fr as BnFr};
    let mut r = rng();
    let (pk, vk) = prover::setup::<Bn254, _>(&mut r);
    let id = Identity::<BnFr>::random(&mut r);
    let mut tree = IdentityTree::new();
    tree.insert(BnFr::from(9u64)).unwrap();
    tree.insert(id.commitment()).unwrap();
    let ext = external_nullifier::<BnFr>("aipchain-1", "verifier");
    let (proof, st) = prover::prove(
        &pk,
        &id,
        &tree.path(1).unwrap(),
        ext,
        signal("alice"),
        &mut r,
    );
    let pvk = prover::prepare(&vk);
    assert!(prover::verify(&pvk, &proof, &st));
    assert!(!prover::verify(
        &pvk,
        &proof,
        &Statement {
            signal: signal("bob"),
            ..st
        }
    ));
}

use std::sync::OnceLock;

use ark_bls12_381::{Bls12_381, Fr};
use ark_crypto_primitives::sponge::poseidon::PoseidonSponge;
use ark_crypto_primitives::sponge::{Absorb, CryptographicSponge, FieldBasedCryptographicSponge};
use ark_ff::{BigInteger, Field, PrimeField, UniformRand, Zero};
use ark_groth16::{PreparedVerifyingKey, ProvingKey};
use ark_relations::r1cs::{ConstraintSynthesizer, ConstraintSystem};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::circuit::KycCircuit;
use crate::params::{self, PoseidonField};
use crate::prover::{self, Credential, Identity, ProofInput, ProveError};
use crate::set::{empty_root, ExclusionSet, NonMembership, SetError, IDENTIFIER_BITS};
use crate::tree::{zeros, IdentityTree, MerkleTree, TreeError, DEPTH, SET_DEPTH};
use crate::{
    external_nullifier, fr_from_bytes, fr_to_bytes, identifier, poseidon, signal, Statement,
};

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
        for n in 0..8 {
            let v: Vec<F> = (0..n).map(|_| F::rand(&mut r)).collect();
            let mut s = PoseidonSponge::new(&cfg);
            if n > 0 {
                s.absorb(&v);
            }
            assert_eq!(
                poseidon::hash(&v),
                s.squeeze_native_field_elements(1)[0],
                "{n} inputs"
            );
        }
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
    // identifiers are below 2^248 and domain-separated from signals
    let id = identifier::<Fr>("passport:alice");
    assert!(id.into_bigint().num_bits() as usize <= IDENTIFIER_BITS);
    assert_ne!(id, signal::<Fr>("passport:alice"));
    assert_ne!(id, identifier::<Fr>("passport:bob"));
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
    assert_eq!(
        tree.insert(Fr::from(2u64)),
        Err(TreeError::Full { depth: DEPTH })
    );
    assert_eq!(
        TreeError::Full { depth: DEPTH }.to_string(),
        "the tree is full (2^20 leaves)"
    );
    assert_eq!(
        IdentityTree::from_leaves(vec![Fr::from(1u64); (1 << DEPTH) + 1]),
        Err(TreeError::Full { depth: DEPTH })
    );
    let small = MerkleTree::<Fr, SET_DEPTH>::from_leaves(vec![Fr::from(1u64); 1 << SET_DEPTH]);
    assert!(small.is_ok());
}

#[test]
fn exclusion_set_proves_non_members_and_refuses_members() {
    let empty = ExclusionSet::<Fr>::new();
    assert_eq!(empty.root(), empty_root::<Fr>());
    // the empty set is the single leaf Poseidon(0, 0)
    let single = MerkleTree::<Fr, SET_DEPTH>::from_leaves(vec![poseidon::hash2(
        Fr::from(0u64),
        Fr::from(0u64),
    )])
    .unwrap();
    assert_eq!(empty.root(), single.root());

    let (a, b, c) = (Fr::from(10u64), Fr::from(20u64), Fr::from(30u64));
    let mut set = ExclusionSet::from_values([c, a, b, a]).unwrap();
    assert_eq!(set.values(), &[a, b, c], "sorted, duplicates dropped");
    let root = set.root();
    assert_ne!(root, empty.root());
    for (x, low, next) in [(5u64, 0u64, 10u64), (11, 10, 20), (29, 20, 30), (31, 30, 0)] {
        let x = Fr::from(x);
        let w = set.non_membership(x).unwrap();
        assert_eq!((w.low, w.next), (Fr::from(low), Fr::from(next)));
        assert_eq!(w.root(), root);
        assert!(w.excludes(x));
        // a witness only excludes its own gap
        assert!(!w.excludes(w.low));
        if !w.next.is_zero() {
            assert!(!w.excludes(w.next));
        }
    }
    for m in [a, b, c] {
        assert_eq!(set.non_membership(m), Err(SetError::Member));
        assert!(set.contains(m));
    }
    let too_big = Fr::from(2u64).pow([IDENTIFIER_BITS as u64]);
    for bad in [Fr::from(0u64), too_big] {
        assert_eq!(set.non_membership(bad), Err(SetError::NotAnIdentifier));
        assert_eq!(set.insert(bad), Err(SetError::NotAnIdentifier));
    }
    assert_eq!(
        SetError::NotAnIdentifier.to_string(),
        "not an identifier: set values are non-zero and below 2^248"
    );
    // removing restores the previous root
    assert_eq!(set.insert(Fr::from(15u64)), Ok(true));
    assert_ne!(set.root(), root);
    assert!(set.remove(Fr::from(15u64)));
    assert!(!set.remove(Fr::from(15u64)));
    assert_eq!(set.root(), root);
}

/// Alice holds a clean credential; mallory's identifier is sanctioned; trudy's
/// is revoked; all three credentials are in the provider's tree.
struct Fixture {
    pk: ProvingKey<Bls12_381>,
    pvk: PreparedVerifyingKey<Bls12_381>,
    tree: IdentityTree<Fr>,
    sanctions: ExclusionSet<Fr>,
    revocations: ExclusionSet<Fr>,
    alice: (Identity<Fr>, Credential<Fr>, u32),
    mallory: (Identity<Fr>, Credential<Fr>, u32),
    trudy: (Identity<Fr>, Credential<Fr>, u32),
}

const EXPIRY: u64 = 2_000_000_000;

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut r = rng();
        let (pk, vk) = prover::setup::<Bls12_381, _>(&mut r);
        let mut tree = IdentityTree::new();
        let mut issue = |name: &str| {
            let id = Identity::random(&mut r);
            let cred = Credential {
                identifier: identifier(&format!("passport:{name}")),
                expiry: EXPIRY,
            };
            let index = tree.insert(cred.leaf(&id)).unwrap();
            (id, cred, index)
        };
        let _bob = issue("bob");
        let alice = issue("alice");
        let mallory = issue("mallory");
        let trudy = issue("trudy");
        let sanctions = ExclusionSet::from_values(
            ["mallory", "eve", "oscar"].map(|n| identifier(&format!("passport:{n}"))),
        )
        .unwrap();
        let revocations = ExclusionSet::from_values(
            ["trudy", "victor"].map(|n| identifier(&format!("passport:{n}"))),
        )
        .unwrap();
        Fixture {
            pk,
            pvk: prover::prepare(&vk),
            tree,
            sanctions,
            revocations,
            alice,
            mallory,
            trudy,
        }
    })
}

/// A proof input for `who` with honest witnesses where they exist; for a
/// listed identifier, the given low leaf of that set is used instead.
fn input(
    f: &Fixture,
    who: &(Identity<Fr>, Credential<Fr>, u32),
    sanctions: Option<NonMembership<Fr>>,
    revocation: Option<NonMembership<Fr>>,
) -> ProofInput<Fr> {
    let (id, cred, index) = who;
    ProofInput {
        identity: *id,
        credential: *cred,
        path: f.tree.path(*index).unwrap(),
        sanctions: sanctions
            .unwrap_or_else(|| f.sanctions.non_membership(cred.identifier).unwrap()),
        revocation: revocation
            .unwrap_or_else(|| f.revocations.non_membership(cred.identifier).unwrap()),
        external_nullifier: external_nullifier("aipchain-1", "verifier"),
        signal: signal("alice"),
        valid_until: EXPIRY - 86_400,
    }
}

fn satisfied(c: KycCircuit<Fr>) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    c.generate_constraints(cs.clone()).unwrap();
    cs.is_satisfied().unwrap()
}

/// Every low leaf a set's tree holds: `(low, next)` for consecutive values of
/// the chain `0 → v1 → … → vn → 0`, with its path.
fn all_low_leaves(set: &ExclusionSet<Fr>) -> Vec<NonMembership<Fr>> {
    let mut chain = vec![Fr::from(0u64)];
    chain.extend_from_slice(set.values());
    chain.push(Fr::from(0u64));
    let leaves: Vec<Fr> = chain
        .windows(2)
        .map(|w| poseidon::hash2(w[0], w[1]))
        .collect();
    let tree = MerkleTree::<Fr, SET_DEPTH>::from_leaves(leaves).unwrap();
    chain
        .windows(2)
        .enumerate()
        .map(|(i, w)| NonMembership {
            low: w[0],
            next: w[1],
            path: tree.path(i as u32).unwrap(),
        })
        .collect()
}

#[test]
fn circuit_has_one_public_input_and_accepts_a_clean_credential() {
    let f = fixture();
    let inp = input(f, &f.alice, None, None);
    let st = inp.statement();
    assert_eq!(st.identity_root, f.tree.root());
    assert_eq!(st.sanctions_root, f.sanctions.root());
    assert_eq!(st.revocation_root, f.revocations.root());
    let ok = inp.circuit();
    let cs = ConstraintSystem::<Fr>::new_ref();
    ok.clone().generate_constraints(cs.clone()).unwrap();
    assert!(cs.is_satisfied().unwrap());
    assert_eq!(
        cs.num_instance_variables(),
        2,
        "the constant one and one public input"
    );
    assert_eq!(prover::num_constraints::<Fr>(), cs.num_constraints());
    assert!(
        cs.num_constraints() < 17_500,
        "{} constraints",
        cs.num_constraints()
    );
    // valid_until = expiry is still accepted
    let mut at_expiry = inp.clone();
    at_expiry.valid_until = EXPIRY;
    assert!(satisfied(at_expiry.circuit()));

    // a wrong trapdoor, leaf index, identifier or expiry, or statement values
    // that do not match the witness
    let one = Fr::from(1u64);
    let mut bad = vec![];
    let mut c = ok.clone();
    c.trapdoor += one;
    bad.push(("trapdoor", c));
    let mut c = ok.clone();
    c.path.index ^= 1;
    bad.push(("index", c));
    let mut c = ok.clone();
    c.identifier += one;
    bad.push(("identifier", c));
    let mut c = ok.clone();
    c.expiry += 1;
    bad.push(("expiry", c));
    let mut c = ok.clone();
    c.statement.identity_root += one;
    bad.push(("identity root", c));
    let mut c = ok.clone();
    c.statement.sanctions_root = empty_root();
    bad.push(("sanctions root", c));
    let mut c = ok.clone();
    c.statement.revocation_root = empty_root();
    bad.push(("revocation root", c));
    let mut c = ok.clone();
    c.statement.nullifier_hash += one;
    bad.push(("nullifier", c));
    let mut c = ok;
    c.statement.external_nullifier += one;
    bad.push(("external nullifier", c));
    for (what, c) in bad {
        assert!(!satisfied(c), "{what}");
    }
}

#[test]
fn circuit_is_unsatisfiable_past_the_credential_expiry() {
    let f = fixture();
    let mut inp = input(f, &f.alice, None, None);
    inp.valid_until = EXPIRY + 1;
    assert_eq!(
        inp.check(),
        Err(ProveError::Expired {
            expiry: EXPIRY,
            valid_until: EXPIRY + 1
        })
    );
    assert!(!satisfied(inp.circuit()));
    // far past the expiry too (the difference must not wrap into range)
    inp.valid_until = u64::MAX;
    assert!(!satisfied(inp.circuit()));
    let mut r = rng();
    let err = prover::prove(&f.pk, &inp, &mut r).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the credential expires at {EXPIRY}, before valid_until {}: ask the provider for a \
             renewed credential or prove for an earlier valid_until",
            u64::MAX
        )
    );
}

#[test]
fn circuit_is_unsatisfiable_for_a_sanctioned_identity() {
    let f = fixture();
    let id = f.mallory.1.identifier;
    assert_eq!(f.sanctions.non_membership(id), Err(SetError::Member));
    // try every low leaf the sanctions tree holds: none brackets mallory
    let leaves = all_low_leaves(&f.sanctions);
    assert_eq!(leaves.len(), 4);
    for w in &leaves {
        assert_eq!(w.root(), f.sanctions.root());
        let inp = input(f, &f.mallory, Some(w.clone()), None);
        assert!(!satisfied(inp.circuit()), "low leaf {:?}", w.low);
    }
    // a forged leaf that skips mallory (low and next around her) is not in the tree
    let pos = f.sanctions.values().iter().position(|v| *v == id).unwrap();
    let low = if pos == 0 {
        Fr::from(0u64)
    } else {
        f.sanctions.values()[pos - 1]
    };
    let next = f
        .sanctions
        .values()
        .get(pos + 1)
        .copied()
        .unwrap_or(Fr::from(0u64));
    let forged = NonMembership {
        low,
        next,
        path: leaves[pos].path.clone(),
    };
    assert!(forged.excludes(id));
    let inp = input(f, &f.mallory, Some(forged), None);
    // it leads to a root nobody published; against the published root it fails
    assert_ne!(inp.statement().sanctions_root, f.sanctions.root());
    let mut c = inp.circuit();
    c.statement.sanctions_root = f.sanctions.root();
    assert!(!satisfied(c));
    // and the prover refuses before proving
    let mut r = rng();
    let inp = input(f, &f.mallory, Some(leaves[pos].clone()), None);
    assert_eq!(
        prover::prove(&f.pk, &inp, &mut r).unwrap_err(),
        ProveError::Sanctioned
    );
}

#[test]
fn circuit_is_unsatisfiable_for_a_revoked_identity() {
    let f = fixture();
    let id = f.trudy.1.identifier;
    assert_eq!(f.revocations.non_membership(id), Err(SetError::Member));
    let leaves = all_low_leaves(&f.revocations);
    for w in &leaves {
        let inp = input(f, &f.trudy, None, Some(w.clone()));
        assert!(!satisfied(inp.circuit()), "low leaf {:?}", w.low);
    }
    // the same identity proves against the revocation list before trudy was added
    let before =
        ExclusionSet::from_values(f.revocations.values().iter().copied().filter(|v| *v != id))
            .unwrap();
    let inp = input(f, &f.trudy, None, Some(before.non_membership(id).unwrap()));
    assert!(satisfied(inp.circuit()));
    assert_ne!(inp.statement().revocation_root, f.revocations.root());
    let mut r = rng();
    let inp = input(f, &f.trudy, None, Some(leaves[1].clone()));
    assert_eq!(
        prover::prove(&f.pk, &inp, &mut r).unwrap_err(),
        ProveError::Revoked
    );
}

#[test]
fn valid_proof_is_accepted_and_every_tampered_input_rejected() {
    let f = fixture();
    let mut r = rng();
    let inp = input(f, &f.alice, None, None);
    let (proof, st) = prover::prove(&f.pk, &inp, &mut r).unwrap();
    assert!(prover::verify(&f.pvk, &proof, &st));
    assert_eq!(
        st.nullifier_hash,
        f.alice.0.nullifier_hash(inp.external_nullifier)
    );

    let one = Fr::from(1u64);
    let tampered = [
        (
            "identity root",
            Statement {
                identity_root: st.identity_root + one,
                ..st
            },
        ),
        (
            "sanctions root",
            Statement {
                sanctions_root: empty_root(),
                ..st
            },
        ),
        (
            "revocation root",
            Statement {
                revocation_root: empty_root(),
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
        (
            "valid_until",
            Statement {
                valid_until: st.valid_until + 1,
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
    let mut for_bob = inp.clone();
    for_bob.signal = signal("bob");
    let (bob_proof, bob_st) = prover::prove(&f.pk, &for_bob, &mut r).unwrap();
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
    let cred = Credential {
        identifier: identifier::<BnFr>("passport:alice"),
        expiry: EXPIRY,
    };
    let mut tree = IdentityTree::new();
    tree.insert(BnFr::from(9u64)).unwrap();
    tree.insert(cred.leaf(&id)).unwrap();
    let empty = ExclusionSet::<BnFr>::new();
    let inp = ProofInput {
        identity: id,
        credential: cred,
        path: tree.path(1).unwrap(),
        sanctions: empty.non_membership(cred.identifier).unwrap(),
        revocation: empty.non_membership(cred.identifier).unwrap(),
        external_nullifier: external_nullifier::<BnFr>("aipchain-1", "verifier"),
        signal: signal("alice"),
        valid_until: EXPIRY,
    };
    let (proof, st) = prover::prove(&pk, &inp, &mut r).unwrap();
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

#[test]
fn prover_with_precomputed_matrices_makes_the_same_proofs_and_refuses_bad_witnesses() {
    let f = fixture();
    let mut r = rng();
    // the matrices survive their file format
    let bytes = prover::Prover::new(f.pk.clone()).matrices_to_bytes();
    let p = prover::Prover::from_parts(f.pk.clone(), &bytes).unwrap();
    assert_eq!(p.matrices_to_bytes(), bytes);
    let refused = |b: &[u8]| prover::Prover::from_parts(f.pk.clone(), b).err();
    use prover::MatricesError as M;
    assert_eq!(refused(&bytes[1..]), Some(M::NotMatrices));
    assert_eq!(refused(&bytes[..bytes.len() - 1]), Some(M::Truncated));
    assert_eq!(
        refused(&[&bytes[..], &[0]].concat()),
        Some(M::Trailing { bytes: 1 })
    );
    let mut other = bytes.clone();
    other[16..24].copy_from_slice(&1u64.to_le_bytes()); // one witness variable
    let key = f.pk.a_query.len();
    assert_eq!(refused(&other), Some(M::KeyMismatch { key, matrices: 3 }));
    assert_eq!(
        refused(&other).unwrap().to_string(),
        format!("written for a circuit of 3 variables, the proving key has {key}: they come from different setups or circuit versions (run `aip-kyc setup` again)")
    );
    let palette = u32::from_le_bytes(bytes[32..36].try_into().unwrap()) as usize;
    let first_entry = 36 + 32 * palette + 4; // the first row's first entry
    let mut bad = bytes.clone();
    bad[first_entry + 4..first_entry + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        refused(&bad),
        Some(M::BadCoefficient {
            index: u32::MAX as usize,
            palette
        })
    );
    let mut bad = bytes.clone();
    bad[first_entry..first_entry + 4].copy_from_slice(&(key as u32).to_le_bytes());
    assert_eq!(
        refused(&bad),
        Some(M::BadIndex {
            index: key,
            vars: key
        })
    );
    let mut bad = bytes.clone();
    bad[36..68].copy_from_slice(&[0xff; 32]);
    assert_eq!(refused(&bad), Some(M::BadScalar));
    for (e, text) in [
        (M::NotMatrices, "not a matrices file (no AIPKYCM1 header)"),
        (M::Truncated, "truncated"),
        (M::Trailing { bytes: 1 }, "1 bytes after the last row"),
        (M::BadScalar, "a coefficient is not a canonical scalar"),
        (
            M::BadCoefficient {
                index: 9,
                palette: 3,
            },
            "coefficient 9, the palette has 3",
        ),
        (
            M::BadIndex { index: 9, vars: 3 },
            "variable index 9, the circuit has 3 variables",
        ),
    ] {
        assert_eq!(e.to_string(), text);
    }

    let inp = input(f, &f.alice, None, None);
    let (proof, st) = p.prove(&inp, &mut r).unwrap();
    assert_eq!(st, inp.statement());
    assert!(prover::verify(&f.pvk, &proof, &st));
    // bound to its statement like any proof
    let other = Statement {
        signal: signal("bob"),
        ..st
    };
    assert!(!prover::verify(&f.pvk, &proof, &other));
    // the native checks come first, as in `prove`
    let sanctioned = all_low_leaves(&f.sanctions);
    let pos = f
        .sanctions
        .values()
        .iter()
        .position(|v| *v == f.mallory.1.identifier)
        .unwrap();
    let inp = input(f, &f.mallory, Some(sanctioned[pos].clone()), None);
    assert_eq!(p.prove(&inp, &mut r).unwrap_err(), ProveError::Sanctioned);
    // a witness the native checks cannot see (mallory's honest witness named
    // against the published sanctions root) is refused, not proved
    let forged = NonMembership {
        low: sanctioned[pos].low,
        next: sanctioned[pos + 1].next,
        path: sanctioned[pos].path.clone(),
    };
    let mut c = input(f, &f.mallory, Some(forged), None).circuit();
    c.statement.sanctions_root = f.sanctions.root();
    match p.prove_circuit(c, &mut r).unwrap_err() {
        ProveError::Prover { reason } => assert!(
            reason.starts_with("the witness does not satisfy constraint"),
            "{reason}"
        ),
        e => panic!("expected a constraint failure, got {e:?}"),
    }
}

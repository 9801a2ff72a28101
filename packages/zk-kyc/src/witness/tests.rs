use ark_bls12_381::Fr;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::*;
use crate::{credential_leaf, identifier, DEPTH, SET_DEPTH};

const CURVE: &str = "bls12-381";

struct Files {
    identity: IdentityFile,
    credential: CredentialFile,
    tree: TreeFile,
    sanctions: SetFile,
    revocations: SetFile,
}

impl Files {
    fn get(&self) -> WitnessFiles<'_> {
        WitnessFiles {
            identity: &self.identity,
            credential: &self.credential,
            tree: &self.tree,
            sanctions: &self.sanctions,
            revocations: &self.revocations,
        }
    }

    fn input(&self) -> Result<ProofInput<Fr>, WitnessError> {
        proof_input(CURVE, self.get(), scope())
    }

    fn err(&self) -> String {
        self.input().unwrap_err().to_string()
    }
}

fn scope() -> Scope<Fr> {
    Scope {
        external_nullifier: Fr::from(5u64),
        signal: Fr::from(6u64),
        valid_until: None,
    }
}

fn set_file(references: &[&str]) -> SetFile {
    let mut set = ExclusionSet::<Fr>::new();
    for r in references {
        set.insert(identifier(r)).unwrap();
    }
    SetFile {
        curve: CURVE.into(),
        depth: SET_DEPTH as u32,
        identifiers: set.values().iter().map(|v| hex_fr(*v)).collect(),
    }
}

/// An identity, its credential for `reference` in a tree of three, and the lists.
fn files(reference: &str) -> Files {
    let rng = &mut ChaCha20Rng::seed_from_u64(3);
    let id = Identity::<Fr>::random(rng);
    let other = Identity::<Fr>::random(rng);
    let expiry = 4_000_000_000;
    let leaf = credential_leaf(id.commitment(), identifier(reference), expiry);
    let decoy = credential_leaf(other.commitment(), identifier("passport:o"), expiry);
    Files {
        identity: IdentityFile {
            curve: CURVE.into(),
            secret: hex_fr(id.secret),
            trapdoor: hex_fr(id.trapdoor),
            commitment: hex_fr(id.commitment()),
        },
        credential: CredentialFile {
            curve: CURVE.into(),
            identifier: hex_fr(identifier::<Fr>(reference)),
            expiry,
            leaf: hex_fr(leaf),
        },
        tree: TreeFile {
            curve: CURVE.into(),
            depth: DEPTH as u32,
            leaves: vec![hex_fr(decoy), hex_fr(leaf)],
        },
        sanctions: set_file(&["passport:mallory"]),
        revocations: set_file(&["passport:revoked"]),
    }
}

#[test]
fn the_files_give_the_input_whose_roots_are_the_files_roots() {
    let f = files("passport:alice");
    let input = f.input().unwrap();
    input.check().unwrap();
    let st = input.statement();
    let tree: IdentityTree<Fr> = tree_from_file(&f.tree).unwrap();
    assert_eq!(st.identity_root, tree.root());
    let s: ExclusionSet<Fr> = set_from_file(WitnessFile::Sanctions, &f.sanctions).unwrap();
    let r: ExclusionSet<Fr> = set_from_file(WitnessFile::Revocations, &f.revocations).unwrap();
    assert_eq!(
        (st.sanctions_root, st.revocation_root),
        (s.root(), r.root())
    );
    assert_eq!(input.valid_until, 4_000_000_000, "the credential's expiry");
    assert_eq!(
        (input.external_nullifier, input.signal),
        (Fr::from(5u64), Fr::from(6u64))
    );
    let until = proof_input(
        CURVE,
        f.get(),
        Scope {
            valid_until: Some(7),
            ..scope()
        },
    )
    .unwrap();
    assert_eq!(until.valid_until, 7);
}

#[test]
fn listed_identifiers_have_no_input() {
    assert_eq!(
        files("passport:mallory").err(),
        "the credential's identifier is on the sanctions list: no proof of non-membership exists"
    );
    assert_eq!(
        files("passport:revoked").err(),
        "the credential's identifier is on the revocation list: no proof of non-membership exists"
    );
}

#[test]
fn every_file_problem_is_refused_with_its_reason() {
    let good = files("passport:alice");

    let mut f = files("passport:alice");
    f.revocations.curve = "bn254".into();
    assert_eq!(
        f.input().unwrap_err(),
        WitnessError::Curve {
            file: WitnessFile::Revocations,
            found: "bn254".into(),
            expected: CURVE.into()
        }
    );
    assert_eq!(
        f.err(),
        "the revocation list is for curve bn254, this proof is on bls12-381"
    );

    let mut f = files("passport:alice");
    f.identity.commitment = good.credential.leaf.clone();
    assert!(
        f.err()
            .starts_with("identity commitment (does not match the secret and trapdoor)"),
        "{}",
        f.err()
    );

    let mut f = files("passport:alice");
    f.identity.secret = "zz".into();
    assert_eq!(
        f.err(),
        "identity secret: \"zz\" is not 64 hex digits of a field element"
    );

    let mut f = files("passport:alice");
    f.credential.expiry += 1;
    assert_eq!(f.input().unwrap_err(), WitnessError::WrongIdentity);
    assert!(f
        .err()
        .starts_with("the credential was issued for another identity"));

    let mut f = files("passport:alice");
    f.tree.leaves.remove(1);
    assert_eq!(
        f.err(),
        format!(
            "the credential (leaf {}) is not in the provider's tree",
            good.credential.leaf
        )
    );

    let mut f = files("passport:alice");
    f.tree.leaves[0] = "00".into();
    assert_eq!(
        f.err(),
        "tree: leaf 0: \"00\" is not 64 hex digits of a field element"
    );

    let mut f = files("passport:alice");
    f.sanctions.identifiers.push(hex_fr(Fr::from(0u64)));
    assert_eq!(
        f.input().unwrap_err(),
        WitnessError::Set {
            list: WitnessFile::Sanctions,
            source: SetError::NotAnIdentifier
        }
    );
    assert!(
        f.err()
            .starts_with("the sanctions list file is invalid: not an identifier"),
        "{}",
        f.err()
    );
}

//! A proof's input from the KYC files, written once for `aip-kyc prove` and
//! the browser prover (`zk-kyc-wasm`): the files' curve, the identity and
//! its commitment, the credential and its leaf, the leaf's Merkle path in the
//! provider's tree and the identifier's two non-membership witnesses
//! (sanctions and revocations).

use core::fmt;

use crate::files::{fr_from_hex, hex_fr, CredentialFile, IdentityFile, SetFile, TreeFile};
use crate::prover::{Credential, Identity, ProofInput};
use crate::{ExclusionSet, IdentityTree, PoseidonField, SetError, TreeError};

/// One of the files a proof reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WitnessFile {
    /// The user's identity file.
    Identity,
    /// The credential the provider issued.
    Credential,
    /// The provider's identity tree.
    Tree,
    /// The compliance role's sanctions list.
    Sanctions,
    /// The provider's revocation list.
    Revocations,
}

impl WitnessFile {
    /// How messages name it: `identity`, `credential`, `tree`,
    /// `sanctions list`, `revocation list`.
    pub fn name(self) -> &'static str {
        match self {
            WitnessFile::Identity => "identity",
            WitnessFile::Credential => "credential",
            WitnessFile::Tree => "tree",
            WitnessFile::Sanctions => "sanctions list",
            WitnessFile::Revocations => "revocation list",
        }
    }
}

/// Why the files give no proof input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WitnessError {
    /// A file is for another curve than the proof's.
    Curve {
        /// The file.
        file: WitnessFile,
        /// Its curve.
        found: String,
        /// The proof's curve.
        expected: String,
    },
    /// A value is not 64 hex digits of a field element (or, for the
    /// identity's commitment, not the one of its secret and trapdoor).
    Scalar {
        /// The file holding it.
        file: WitnessFile,
        /// Which value, e.g. `tree: leaf 3`.
        what: String,
        /// The value as written.
        value: String,
    },
    /// The credential's leaf is not `Poseidon(commitment, identifier,
    /// expiry)` of this identity: it was issued for another identity.
    WrongIdentity,
    /// The credential's leaf is not in the provider's tree.
    NotInTree {
        /// The leaf, hex.
        leaf: String,
    },
    /// The tree file does not make a tree (too many leaves).
    Tree(TreeError),
    /// The identifier is on a list: no non-membership proof exists.
    Listed {
        /// The list.
        list: WitnessFile,
    },
    /// A list file is invalid (a value that is not an identifier, too many).
    Set {
        /// The list.
        list: WitnessFile,
        /// The set's refusal.
        source: SetError,
    },
}

impl fmt::Display for WitnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WitnessError::Curve {
                file,
                found,
                expected,
            } => write!(
                f,
                "the {} is for curve {found}, this proof is on {expected}",
                file.name()
            ),
            WitnessError::Scalar { what, value, .. } => write!(
                f,
                "{what}: {value:?} is not 64 hex digits of a field element"
            ),
            WitnessError::WrongIdentity => write!(
                f,
                "the credential was issued for another identity (its leaf is not Poseidon(commitment, identifier, expiry) of this identity)"
            ),
            WitnessError::NotInTree { leaf } => {
                write!(f, "the credential (leaf {leaf}) is not in the provider's tree")
            }
            WitnessError::Tree(e) => write!(f, "the provider's tree file is invalid: {e}"),
            WitnessError::Listed { list } => write!(
                f,
                "the credential's identifier is on the {}: no proof of non-membership exists",
                list.name()
            ),
            WitnessError::Set { list, source } => {
                write!(f, "the {} file is invalid: {source}", list.name())
            }
        }
    }
}

impl std::error::Error for WitnessError {}

/// The files one proof reads.
#[derive(Clone, Copy, Debug)]
pub struct WitnessFiles<'a> {
    /// The user's identity.
    pub identity: &'a IdentityFile,
    /// The credential the provider issued to it.
    pub credential: &'a CredentialFile,
    /// The provider's identity tree.
    pub tree: &'a TreeFile,
    /// The sanctions list.
    pub sanctions: &'a SetFile,
    /// The revocation list.
    pub revocations: &'a SetFile,
}

/// What the proof binds besides the files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope<F> {
    /// [`crate::external_nullifier`] of the chain id and verifier contract.
    pub external_nullifier: F,
    /// [`crate::signal`] of the registering address.
    pub signal: F,
    /// The registration's end; the credential's expiry when `None`.
    pub valid_until: Option<u64>,
}

fn expect_curve(file: WitnessFile, found: &str, expected: &str) -> Result<(), WitnessError> {
    if found != expected {
        return Err(WitnessError::Curve {
            file,
            found: found.to_string(),
            expected: expected.to_string(),
        });
    }
    Ok(())
}

fn scalar<F: PoseidonField>(file: WitnessFile, what: &str, value: &str) -> Result<F, WitnessError> {
    fr_from_hex(value).ok_or_else(|| WitnessError::Scalar {
        file,
        what: what.to_string(),
        value: value.to_string(),
    })
}

/// The identity of `file`, its commitment checked against its secret and trapdoor.
pub fn identity_from_file<F: PoseidonField>(
    file: &IdentityFile,
) -> Result<Identity<F>, WitnessError> {
    let id = Identity {
        secret: scalar(WitnessFile::Identity, "identity secret", &file.secret)?,
        trapdoor: scalar(WitnessFile::Identity, "identity trapdoor", &file.trapdoor)?,
    };
    if hex_fr(id.commitment()) != file.commitment.trim() {
        return Err(WitnessError::Scalar {
            file: WitnessFile::Identity,
            what: "identity commitment (does not match the secret and trapdoor)".into(),
            value: file.commitment.clone(),
        });
    }
    Ok(id)
}

/// The identity tree of `file`.
pub fn tree_from_file<F: PoseidonField>(file: &TreeFile) -> Result<IdentityTree<F>, WitnessError> {
    let leaves = file
        .leaves
        .iter()
        .enumerate()
        .map(|(i, l)| scalar(WitnessFile::Tree, &format!("tree: leaf {i}"), l))
        .collect::<Result<Vec<F>, _>>()?;
    IdentityTree::from_leaves(leaves).map_err(WitnessError::Tree)
}

/// The set of `list`'s `file`.
pub fn set_from_file<F: PoseidonField>(
    list: WitnessFile,
    file: &SetFile,
) -> Result<ExclusionSet<F>, WitnessError> {
    let values = file
        .identifiers
        .iter()
        .enumerate()
        .map(|(i, v)| scalar(list, &format!("{}: identifier {i}", list.name()), v))
        .collect::<Result<Vec<F>, _>>()?;
    ExclusionSet::from_values(values).map_err(|source| WitnessError::Set { list, source })
}

/// The proof input of `files` on `curve` (every file must be for it), bound
/// to `scope`. Checks everything the files can get wrong before the long
/// proving part; [`ProofInput::check`] then checks the circuit's own
/// conditions (expiry).
pub fn proof_input<F: PoseidonField>(
    curve: &str,
    files: WitnessFiles<'_>,
    scope: Scope<F>,
) -> Result<ProofInput<F>, WitnessError> {
    expect_curve(WitnessFile::Identity, &files.identity.curve, curve)?;
    expect_curve(WitnessFile::Credential, &files.credential.curve, curve)?;
    expect_curve(WitnessFile::Tree, &files.tree.curve, curve)?;
    expect_curve(WitnessFile::Sanctions, &files.sanctions.curve, curve)?;
    expect_curve(WitnessFile::Revocations, &files.revocations.curve, curve)?;
    let identity = identity_from_file(files.identity)?;
    let credential = Credential {
        identifier: scalar(
            WitnessFile::Credential,
            "credential identifier",
            &files.credential.identifier,
        )?,
        expiry: files.credential.expiry,
    };
    let leaf = credential.leaf(&identity);
    if hex_fr(leaf) != files.credential.leaf.trim() {
        return Err(WitnessError::WrongIdentity);
    }
    let tree = tree_from_file(files.tree)?;
    let index = tree
        .position(leaf)
        .ok_or_else(|| WitnessError::NotInTree { leaf: hex_fr(leaf) })?;
    let path = tree.path(index).map_err(WitnessError::Tree)?;
    let witness = |list: WitnessFile, file: &SetFile| {
        set_from_file(list, file)?
            .non_membership(credential.identifier)
            .map_err(|source| match source {
                SetError::Member => WitnessError::Listed { list },
                source => WitnessError::Set { list, source },
            })
    };
    Ok(ProofInput {
        identity,
        credential,
        path,
        sanctions: witness(WitnessFile::Sanctions, files.sanctions)?,
        revocation: witness(WitnessFile::Revocations, files.revocations)?,
        external_nullifier: scope.external_nullifier,
        signal: scope.signal,
        valid_until: scope.valid_until.unwrap_or(credential.expiry),
    })
}

#[cfg(test)]
mod tests;

//! Errors of the KYC CLI.

use std::path::PathBuf;

/// Everything that can go wrong in an `aip-kyc` command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A JSON file does not have the expected shape.
    #[error("{path}: not a valid {what} file: {source}")]
    Json {
        path: PathBuf,
        what: &'static str,
        source: serde_json::Error,
    },
    /// A key file does not hold a valid arkworks key.
    #[error("{path}: not a valid {what}: {source}")]
    Key {
        path: PathBuf,
        what: &'static str,
        source: ark_serialize::SerializationError,
    },
    /// The constraint matrices next to the proving key do not fit it.
    #[error("{path}: not valid constraint matrices for this proving key: {source} (delete the file to prove without it)")]
    Matrices {
        path: PathBuf,
        source: zk_kyc::prover::MatricesError,
    },
    /// A hex field element is malformed.
    #[error("{what}: expected 64 hex digits encoding a scalar below the modulus, got {value:?}")]
    Scalar { what: String, value: String },
    /// The files were made for another curve.
    #[error("{path}: made for curve {found}, this command uses {expected}")]
    CurveMismatch {
        path: PathBuf,
        found: String,
        expected: String,
    },
    /// The credential's leaf is not in the tree.
    #[error("credential leaf {commitment} is not in the tree {tree}: the provider has not issued it (or the identity and credential files do not match)")]
    NotInTree { commitment: String, tree: PathBuf },
    /// The credential was issued for another identity.
    #[error("{credential} was issued for another identity than {identity} (its leaf is not Poseidon(commitment, identifier, expiry) of this identity)")]
    WrongIdentity {
        credential: PathBuf,
        identity: PathBuf,
    },
    /// The credential is already in the tree.
    #[error("a credential for commitment {commitment} with this identifier and expiry is already in the tree at index {index}")]
    Duplicate { commitment: String, index: u32 },
    /// A file would be overwritten.
    #[error("{path} exists: refusing to overwrite it (pass --force)")]
    Exists { path: PathBuf },
    /// Neither an external nullifier nor chain id and contract were given.
    #[error("give either --external-nullifier, or --chain-id and --contract")]
    Scope,
    /// A set file is invalid or full.
    #[error("{path}: {source}")]
    Set {
        path: PathBuf,
        source: zk_kyc::SetError,
    },
    /// The identifier is on a list: no proof exists.
    #[error(
        "the credential's identifier is on the {kind} {path}: no proof of non-membership exists"
    )]
    Listed { kind: &'static str, path: PathBuf },
    /// The prover refused (expired credential, listed identifier).
    #[error(transparent)]
    Prove(#[from] zk_kyc::prover::ProveError),
    /// The identity tree refused the operation.
    #[error(transparent)]
    Tree(#[from] zk_kyc::TreeError),
}

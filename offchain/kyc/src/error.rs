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
    /// The identity's commitment is not in the tree.
    #[error("commitment {commitment} is not in the tree {tree}")]
    NotInTree { commitment: String, tree: PathBuf },
    /// The commitment is already in the tree.
    #[error("commitment {commitment} is already in the tree at index {index}")]
    Duplicate { commitment: String, index: u32 },
    /// A file would be overwritten.
    #[error("{path} exists: refusing to overwrite it (pass --force)")]
    Exists { path: PathBuf },
    /// Neither an external nullifier nor chain id and contract were given.
    #[error("give either --external-nullifier, or --chain-id and --contract")]
    Scope,
    /// The identity tree refused the operation.
    #[error(transparent)]
    Tree(#[from] zk_kyc::TreeError),
}

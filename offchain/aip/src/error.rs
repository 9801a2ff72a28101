//! Errors of the `aip` tool.

use std::path::PathBuf;

/// What can go wrong in `aip`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The chain refused or could not be reached (carries the chain's raw log).
    #[error(transparent)]
    Chain(#[from] chain_client::Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A deployment file is missing or malformed, or lacks a contract.
    #[error(transparent)]
    Deployment(#[from] chain_client::DeploymentError),
    /// The deployment file belongs to another chain.
    #[error("{path} is a deployment on chain {file_chain}, but the node serves {node_chain}")]
    WrongChain {
        /// The file.
        path: PathBuf,
        /// Chain id in the file.
        file_chain: String,
        /// Chain id of the node.
        node_chain: String,
    },
    /// No `.wasm` files to deploy.
    #[error("no .wasm artifacts in {0}: run ci/build-wasm.sh first")]
    NoArtifacts(PathBuf),
    /// A contract needed by another one is missing.
    #[error("{contract} needs {needs}, which is not in the artifacts or the deployment")]
    MissingDependency {
        /// The contract being deployed.
        contract: String,
        /// The contract it needs.
        needs: String,
    },
    /// `--with-ics20` without the bridge endpoint's code.
    #[error("--with-ics20: no aip-ics20 code stored; build it with ci/build-wasm.sh aip-ics20 (artifacts/aip-ics20.wasm)")]
    NoIcs20Code,
    /// The order gateway could not be reached.
    #[error("order gateway {url}: {source}")]
    Gateway {
        /// The URL posted to.
        url: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The order gateway refused the intent (nothing was stored).
    #[error("the gateway refused the intent (HTTP {status}, {error}): {reason}")]
    GatewayRefused {
        /// HTTP status.
        status: u16,
        /// The gateway's error code.
        error: String,
        /// The gateway's reason.
        reason: String,
    },
    /// Invalid command-line input.
    #[error("{0}")]
    Usage(String),
    /// JSON encoding or decoding.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

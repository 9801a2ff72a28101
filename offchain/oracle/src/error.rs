//! Errors of the agent.

use std::path::PathBuf;

/// Everything that can go wrong in the agent (outside `main`, which uses anyhow).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file could not be read.
    #[error("reading config {path}: {source}")]
    ConfigRead {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML for [`crate::Config`].
    #[error("config {path}: {message}")]
    ConfigParse {
        /// The file.
        path: PathBuf,
        /// The parser's message (names the offending key).
        message: String,
    },
    /// A configuration value is out of range or inconsistent.
    #[error("config: {0}")]
    ConfigInvalid(String),
    /// The durable queue (SQLite) failed.
    #[error("queue: {0}")]
    Queue(#[from] rusqlite::Error),
    /// The households' energy file could not be read (`aip_data` names the
    /// file, the line and the column).
    #[error("source {0}")]
    Profiles(#[from] aip_data::DataError),
    /// A source file could not be read.
    #[error("source {path}: {message}")]
    Source {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A reading could not be parsed.
    #[error("bad reading: {0}")]
    BadReading(String),
    /// The device-key file is malformed.
    #[error("device keys {path}: {message}")]
    Keys {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The chain could not be reached or refused the setup.
    #[error("chain: {0}")]
    Chain(String),
    /// An I/O error.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

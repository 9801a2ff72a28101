//! `aip-sentinel`: explainable anomaly detection for the AIPCHAIN market.
//!
//! Events (trades, reviews, transfers, registrations, meter readings) come
//! from a [`source::EventSource`] (the chain through `chain-client`, with
//! the orders of the gateway's frozen books, [`gateway`]) into a
//! [`ledger::Ledger`]; the
//! [`detect`]ors find wash trading, review rings, Sybil clusters and meter
//! fraud, each [`evidence::Finding`] carrying what it saw; the
//! [`watch::Watch`] turns findings into flags under a rate limit; the agent
//! posts them with the reputation guardian's `flag { account, reason }`,
//! the reason being `<code>:sha256:<hash of the canonical evidence JSON>`,
//! and keeps the evidence for review ([`store::Store`]).
#![warn(missing_docs)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod agent;
pub mod config;
pub mod detect;
pub mod event;
pub mod evidence;
pub mod features;
pub mod gateway;
pub mod ledger;
pub mod ml;
pub mod replay;
pub mod serve;
pub mod source;
pub mod store;
pub mod watch;

use thiserror::Error;

/// What can go wrong in the sentinel.
#[derive(Error, Debug)]
pub enum Error {
    /// The SQLite store failed.
    #[error("store: {0}")]
    Store(#[from] rusqlite::Error),
    /// The chain could not be read or written.
    #[error("chain: {0}")]
    Chain(#[from] chain_client::Error),
    /// A stored or served document is not valid JSON.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// A block cannot be had (pruned, or beyond the node's history): the
    /// agent logs it and moves on.
    #[error("block {height} unavailable: {reason}")]
    Unavailable {
        /// The block.
        height: u64,
        /// What the node said.
        reason: String,
    },
    /// The gateway could not be reached (the block is read again).
    #[error("gateway {url}: {reason}")]
    Gateway {
        /// What was asked.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The node's RPC failed (retried).
    #[error("rpc: {0}")]
    Rpc(String),
    /// The guardian's transaction failed.
    #[error("guardian could not {action} {account}: {reason}")]
    Guardian {
        /// `flag` or `unflag`.
        action: &'static str,
        /// The account.
        account: String,
        /// Why.
        reason: String,
    },
    /// The ONNX model could not be loaded or run.
    #[error("onnx: {0}")]
    Onnx(String),
    /// The configuration is invalid.
    #[error("config: {0}")]
    Config(String),
    /// An appeal for an account the sentinel holds no open flag on.
    #[error("{account} is not flagged by the sentinel")]
    NotFlagged {
        /// The account named in the appeal.
        account: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// The sentinel's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

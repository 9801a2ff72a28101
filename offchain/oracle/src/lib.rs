//! # aip-oracle
//!
//! The AIPCHAIN oracle agent. It reads meters from pluggable [`sources`]
//! (replay of real SimBench profiles, an MQTT topic, a JSON-lines file, a
//! readings CSV), signs each reading with the device key it holds
//! ([`keys`]) or forwards readings that devices already signed, keeps every
//! reading in a durable SQLite [`queue`], and submits batches to the
//! meter-oracle contract through a [`submit::Submitter`] (the chain one uses
//! `chain-client`).
//!
//! Exactly once: a reading is marked *sending* in the queue before its
//! batch goes out and *done* after the chain accepted it. A crash in between
//! leaves it *sending*; before sending anything again the agent asks the
//! contract which of those meters this operator has already reported
//! (`Reported` query) and marks them done, so nothing is lost and nothing is
//! sent twice. While the node is down the agent backs off exponentially;
//! ctrl-c stops it between two steps.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking
#![warn(missing_docs)]
#![deny(clippy::unwrap_used)]

pub mod agent;
pub mod cli;
pub mod config;
pub mod error;
pub mod keys;
pub mod queue;
pub mod reading;
pub mod sources;
pub mod submit;

pub use agent::{run, Stats};
pub use config::Config;
pub use error::{Error, Result};
pub use reading::Reading;
pub use submit::{SubmitError, Submitter};

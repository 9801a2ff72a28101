//! # aip-cli
//!
//! The `aip` command: deploys the AIPCHAIN contracts to a wasmd chain
//! ([`deploy::deploy`]), and queries and transacts through
//! [`chain_client`]. The deployment file it writes ([`deployment::Deployment`],
//! `artifacts/deployment.<chain-id>.json` by default) is what the agents and
//! the dApp read to find the contracts.
#![warn(missing_docs, clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod cli;
pub mod deploy;
pub mod deployment;
pub mod error;
pub mod ics20;
pub mod market;

pub use error::{Error, Result};

//! Test support shared by the contracts' multitests, the simulation and the
//! benchmarks: one factory per contract (the real contract code behind a
//! `ContractWrapper`) and [`Deployment`], every contract instantiated and wired
//! on an in-process chain.
#![cfg_attr(test, allow(clippy::unwrap_used))]
// tests report failures by panicking

pub mod contracts;
pub mod deployment;
#[cfg(feature = "localnet")]
pub mod localnet;
pub mod response;

pub use deployment::{Deployment, DeploymentConfig};

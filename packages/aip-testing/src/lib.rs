//! Test support shared by the contracts' multitests, the simulation and the
//! benchmarks: one factory per contract (the real contract code behind a
//! `ContractWrapper`) and [`Deployment`], every contract instantiated and wired
//! on an in-process chain.
#![cfg_attr(test, allow(clippy::unwrap_used))]
// tests report failures by panicking
// Documentation debt: 3 public items had no doc comment when the workspace
// lints came in (2026-12-06); new items are documented, and this allow goes
// when the count reaches 0.
#![allow(missing_docs)]

pub mod contracts;
pub mod deployment;
#[cfg(feature = "localnet")]
pub mod localnet;

pub use deployment::{Deployment, DeploymentConfig};

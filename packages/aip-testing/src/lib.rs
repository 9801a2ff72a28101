//! Test support shared by the contracts' multitests, the simulation and the
//! benchmarks: one factory per contract (the real contract code behind a
//! `ContractWrapper`) and [`Deployment`], every contract instantiated and wired
//! on an in-process chain.

pub mod contracts;
pub mod deployment;

pub use deployment::{Deployment, DeploymentConfig};

//! The deployment file `aip deploy` writes and the agents and the dApp read.
//!
//! The type lives in [`chain_client::deployment`] (one type for every crate
//! that reads the file); this module re-exports it under its old path.

pub use chain_client::deployment::{CodeRecord, ContractRecord, Deployment, DeploymentError};

//! The deployment file `aip deploy` writes (`artifacts/deployment.<chain-id>.json`).
//! Its one type lives in `chain_client::deployment`, shared with every agent
//! and the simulation; re-exported here for the CLI's users.

pub use chain_client::deployment::{CodeRecord, ContractRecord, Deployment, DeploymentError};

//! Gas benchmarks of the optimized AIPCHAIN contracts.
//!
//! The contracts run unchanged (`artifacts/<name>.wasm`, built by
//! `ci/build-wasm.sh`) in cosmwasm-vm 3.0, the VM inside wasmd's libwasmvm,
//! on a small in-process chain ([`chain::Chain`]) that charges storage, events
//! and instances the way wasmd v0.61 does ([`gas`]). Scenarios
//! ([`scenarios`]) drive each contract and produce markdown tables
//! ([`report`]); [`check`] runs the VM's static checks with wasmd's
//! capabilities. The binary is `aip-gas`.
#![cfg_attr(test, allow(clippy::unwrap_used))]
// tests report failures by panicking

pub mod backend;
pub mod chain;
pub mod check;
pub mod gas;
pub mod report;
pub mod scenarios;

pub use chain::Chain;
pub use gas::CallGas;
pub use report::Row;

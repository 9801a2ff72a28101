//! `aip-fuzz`: a schema-driven fuzzer for the AIPCHAIN contracts.
//!
//! It reads each contract's committed schema (`schema/<contract>/<contract>.json`,
//! the `write_api!` output) at run time and generates structure-aware JSON from
//! it: valid messages with values from a dictionary the runs learn (addresses,
//! ids and amounts seen in events and errors, the current slots) and edge cases,
//! plus mutations (wrong types, nulls, missing and extra fields, numbers beyond
//! u64/u128, non-canonical numbers, unicode, broken documents). The messages go
//! to the real contracts wired by `aip-testing` on cw-multi-test: executes from
//! every role, user and contract (with and without native funds), cw20 hooks
//! through the token's `Send`, queries and migrations. Every call runs under
//! `catch_unwind`; a panic, or a holdings invariant broken after an accepted
//! message ([`world::World::check`]), is a failure reported with the JSON that
//! caused it and a shrunk reproducer.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking

pub mod fuzz;
pub mod gen;
pub mod json;
pub mod rng;
pub mod target;
pub mod world;

pub use fuzz::{Config, Failure, Fuzzer, Stats};
pub use target::Target;

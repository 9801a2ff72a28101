//! The AIP token: the CW20 in which every AIPCHAIN payment, escrow and
//! collateral is held (6 decimals, `uaip`).
//!
//! It is cw20-base used as a library, unchanged in behaviour: transfer, send
//! (the hook through which bids and offers reach the settlement contract),
//! burn, allowances, a minter with an optional cap, and marketing info. This
//! crate adds only AIP's own instantiate checks (6 decimals) and its own cw2
//! contract name for migrations.
#![cfg_attr(test, allow(clippy::unwrap_used))]
// tests report failures by panicking

pub mod contract;
mod error;
pub mod msg;

#[cfg(test)]
mod testing;

pub use crate::error::ContractError;

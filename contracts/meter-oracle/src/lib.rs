//! The AIPCHAIN meter oracle: which energy each meter really exported and
//! imported in a delivery slot.
//!
//! * **Registry.** A meter has an owner, a grid node and an ed25519 device
//!   public key. The owner requests a meter ([`msg::ExecuteMsg::RequestMeter`])
//!   and the grid operator (the DSO, who certifies the device) approves it, or
//!   the grid operator registers it directly. An owner's key rotation puts the
//!   meter back to pending until the grid operator approves the new key; a
//!   rotation by the grid operator is effective at once. Owner or grid
//!   operator can deactivate a meter for good.
//! * **Operators.** An admin-managed set of oracle operators and a quorum M.
//! * **Readings.** An operator submits a batch of device-signed readings for
//!   one slot. Every signature covers the canonical payload of
//!   [`payload::reading_payload`] (domain tag, chain id, contract address,
//!   meter, slot, values) and the whole batch is checked with one
//!   `ed25519_batch_verify` call. A meter's values for a slot are finalized
//!   once at least M reports lie within the tolerance of the reports' median;
//!   the final values are the medians, and every report outside the tolerance
//!   is recorded against its operator.
//! * **Settlement** reads finalized values through
//!   [`aip_types::hooks::meter::MeterQueryHook::Deliveries`], which is a
//!   variant of this contract's [`msg::QueryMsg`] with identical JSON.
//!
//! Storage is paged to keep gas per reading low: registry entries live in
//! pages of [`state::REGISTRY_PAGE`] meters and readings in one compact record
//! per (slot, page of [`state::READINGS_PAGE`] meters), so a batch of 200
//! readings costs a handful of store reads and writes instead of hundreds.
#![cfg_attr(test, allow(clippy::unwrap_used))]
// tests report failures by panicking

pub mod codec;
pub mod contract;
mod error;
pub mod execute;
pub mod msg;
pub mod payload;
pub mod query;
pub mod state;

#[cfg(test)]
mod testing;

pub use crate::error::ContractError;
pub use crate::payload::{reading_payload, READING_DOMAIN};

//! AIPCHAIN reputation: one soulbound CW721 token per verified participant,
//! carrying its on-chain trading reputation.
//!
//! * **Soulbound cw721-base 0.22.** Transfers, sends and approvals are refused;
//!   queries and the remaining messages go to cw721-base. The token id is the
//!   owner's address, so an address holds at most one token. Minting: the
//!   zk-verifier (after a KYC proof), or the admin before a verifier is set.
//! * **Score.** Settlement reports every settled trade (`record_outcomes`) and
//!   every dispute ruling (`record_ruling`); parties review each other once per
//!   trade. A documented integer formula ([`score`], the README) turns the
//!   history into a score 0..=1000 and a tier, exposed as the NFT's metadata.
//! * **Uses.** Settlement asks `trading_terms` for an account's collateral
//!   ratio and premium eligibility; the matcher asks `priority_scores`.
//! * **Guardian flags** freeze and penalize a score and suspend the flagged
//!   account's reviews of others, until unflagged.
#![cfg_attr(test, allow(clippy::unwrap_used))]
// tests report failures by panicking

pub mod contract;
mod error;
pub mod execute;
pub mod msg;
pub mod query;
pub mod score;
pub mod state;

#[cfg(test)]
mod testing;

pub use crate::error::ContractError;

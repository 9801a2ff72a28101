//! AIPCHAIN settlement: the market's deposits, signed-intent commits,
//! escrow and settlement.
//!
//! * Households deposit AIP once (the token's cw20 `Send` hook) and sign
//!   order intents off chain; the matcher commits each slot's trades between
//!   them once, before the slot starts. Every rule is re-checked and any
//!   violation rejects the whole batch; payment, fee and collateral are
//!   locked from the deposits, netted per account.
//! * The grid operator publishes zones, corridors (capacity, loss) and
//!   per-slot congestion fees.
//! * After the slot, the seller meters' finalized exports come from the
//!   meter-oracle contract and settle the trades in pages: the seller is paid
//!   for delivered energy, the buyer refunded the rest plus a penalty out of
//!   the seller's collateral. Payouts go to the free balances, withdrawn
//!   with `Withdraw`.
//! * Disputes freeze a trade until the arbiter (or, after its deadline, the
//!   default ruling) settles it. Outcomes and rulings go to reputation.
//!
//! Layout: [`contract`] dispatches, [`execute`] holds one file per phase,
//! [`query`] the queries, and [`rules`] every market rule as a pure function.
#![cfg_attr(test, allow(clippy::unwrap_used))]
// tests report failures by panicking

pub mod compact_trades;
pub mod contract;
mod error;
pub mod execute;
pub mod ledger;
pub mod msg;
pub mod query;
pub mod rules;
pub mod state;

pub use crate::error::{ContractError, Rule};

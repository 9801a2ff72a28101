//! Shared domain types of AIPCHAIN.
//!
//! Every contract and every off-chain agent speaks in these units:
//!
//! * energy in integer watt-hours ([`Wh`], `Uint128` on chain),
//! * money in `uaip` (the AIP CW20 token, 6 decimals), prices in `uaip` per kWh,
//! * time in 15-minute delivery slots aligned to UTC ([`SlotId`]),
//! * location as a grid node ([`NodeId`]) inside a zone ([`ZoneId`]).
//!
//! The payment rule lives here and nowhere else: paying for `wh` at `price`
//! costs `wh * price / 1000` rounded down ([`payment`]); escrow is locked
//! rounded up ([`escrow_for`]) so it always covers every payment, and whatever
//! is left after all payments goes back to the payer.
//!
//! The [`hooks`] module holds the messages one contract sends another, so both
//! sides compile against one definition.
#![cfg_attr(test, allow(clippy::unwrap_used))]
// tests report failures by panicking

pub mod auth;
pub mod bounds;
pub mod error;
pub mod hooks;
pub mod ids;
pub mod intent;
pub mod migrate;
pub mod pages;
pub mod slot;
pub mod store;
pub mod units;

pub use bounds::{check_order, BoundsError, MAX_ORDER_PRICE, MAX_ORDER_WH, MIN_ORDER_PRICE};
pub use error::TypesError;
pub use ids::{MeterId, NodeId, OrderId, TradeId, ZoneId};
pub use slot::{SlotId, SLOT_SECONDS};
pub use units::{
    apply_bps, collateral_for, collateral_price, delivered_pro_rata, escrow_for, net_of_loss,
    offer_collateral, payment, PaymentSplit, Price, Wh, BPS_DENOMINATOR, WH_PER_KWH,
};

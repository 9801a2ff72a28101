//! AIPCHAIN matcher: forecasts and network-aware clearing of one delivery slot.
//!
//! - [`clear`] clears an [`OrderBook`] for one 15-minute slot on a [`Network`] of
//!   zones and corridors: it maximises welfare (bid value minus offer cost)
//!   minus the value of network losses minus congestion fees, subject to order
//!   quantities, price limits, time windows, corridor capacities and reputation
//!   gates (premium-only offers), with trust as the priority among equal prices.
//!   [`Method::Flow`] is our own successive-shortest-path min-cost flow on the
//!   zone graph (exact without premium-only offers, fast at any size),
//!   [`Method::Exact`] an LP solved with `good_lp`/`microlp` (exact with gates),
//!   [`Method::PriceOnly`] the baseline that ignores the network, and
//!   [`Method::Auto`] picks (see [`Method`]). [`welfare_of`] recomputes a clearing's
//!   welfare from its published trades and corridor flows.
//! - [`features`] builds the day-ahead forecast features, bit-for-bit as the
//!   training script does; `forecast::Forecaster` (feature `onnx`) runs the ONNX
//!   models with ONNX Runtime.
//! - [`online`]: the agent that clears each slot at gate closure and commits the
//!   trades (`aip-matcher run --gateway`): from the gateway's frozen book of
//!   signed intents, one `CommitIntents` per slot ([`intents`]).
//! - [`verify`]: `aip-matcher verify-slot` re-runs a slot's clearing from the
//!   gateway's frozen book of signed intents and checks a committed clearing.
//! - [`simbench`] reads the exported SimBench grid and profiles (`data/simbench`)
//!   and turns a slot of real profiles into an order book.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking
#![warn(missing_docs)]
#![deny(clippy::unwrap_used)]

pub mod agent_view;
mod clearing;
mod error;
pub mod features;
mod flow;
#[cfg(feature = "onnx")]
pub mod forecast;
mod graph;
#[cfg(feature = "onnx")]
pub mod household;
/// The gateway's HTTP client (shared with the `aip` CLI).
pub use chain_client::http;
pub mod intents;
mod lp;
mod model;
pub mod online;
pub mod simbench;
pub mod verify;
mod welfare;

pub use clearing::{clear, pair_routes, PairRoute};
pub use error::MatcherError;
#[cfg(feature = "onnx")]
pub use forecast::Forecaster;
pub use model::{
    Clearing, Corridor, CorridorFlow, Method, Network, Order, OrderBook, Side, Trade, Zone,
    MAX_PRICE, MAX_WH,
};
pub use welfare::welfare_of;

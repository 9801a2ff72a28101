//! Identifiers. Plain integers on the wire (JSON numbers), named for meaning.
//!
//! Being integers, every id has exactly one spelling: `7`, `07`, `+7` or
//! `"7"` cannot name three different things on chain, because JSON numbers
//! with a leading zero or a sign, and strings, are refused where an id is
//! expected.

/// A grid zone published by the DSO (a feeder, a substation area).
pub type ZoneId = u32;

/// A grid node (bus) inside a zone; every meter sits at one node.
pub type NodeId = u32;

/// A meter, as numbered by the meter-oracle registry (from 1, in order of
/// registration). The one meter id of the system: settlement orders, delivery
/// records, the oracle agents and the simulation all use this number.
pub type MeterId = u32;

/// An order (bid or offer) in the settlement contract, assigned in sequence from 1.
pub type OrderId = u64;

/// A matched trade in the settlement contract, assigned in sequence from 1.
pub type TradeId = u64;

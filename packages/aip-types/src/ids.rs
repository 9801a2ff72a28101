//! Identifiers. Plain integers on the wire (JSON numbers), named for meaning.

/// A grid zone published by the DSO (a feeder, a substation area).
pub type ZoneId = u32;

/// A grid node (bus) inside a zone; every meter sits at one node.
pub type NodeId = u32;

/// An order (bid or offer) in the settlement contract, assigned in sequence from 1.
pub type OrderId = u64;

/// A matched trade in the settlement contract, assigned in sequence from 1.
pub type TradeId = u64;

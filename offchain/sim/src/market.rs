//! The order book of one slot as the simulation's engine sees it, and the
//! matcher's clearing method behind a trait.

use aip_types::{NodeId, ZoneId};

use crate::scenario::Corridor;

/// Bid or offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Bid,
    Offer,
}

/// An open order.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Its local id: the nonce of the intent its owner signed.
    pub id: u64,
    /// Household index.
    pub owner: usize,
    pub side: Side,
    pub wh: u64,
    /// Bid: highest price; offer: lowest price. uaip/kWh.
    pub price: u64,
    pub zone: ZoneId,
    pub node: NodeId,
    /// Reputation score 0..=1000 (trust priority among equal prices).
    pub priority: u16,
}

/// A matched pair, as committed to the settlement contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    pub bid: u64,
    pub offer: u64,
    /// Energy the seller sends, Wh (the buyer receives it less corridor losses).
    pub wh: u64,
    /// uaip/kWh.
    pub price: u64,
}

/// What the matcher needs of the grid.
#[derive(Debug, Clone, Default)]
pub struct Network {
    pub corridors: Vec<Corridor>,
}

impl Network {
    /// The corridor used from `a` to `b` (None within a zone or without a link).
    pub fn corridor(&self, a: ZoneId, b: ZoneId) -> Option<&Corridor> {
        self.corridors.iter().find(|c| c.from == a && c.to == b)
    }
}

/// How the matcher clears a slot's book: `aip-matcher`'s method, which the
/// online agent's path ([`crate::protocol::Market::commit_with`]) runs on the
/// contract's network and the slot's fees and capacities.
pub trait Clearing {
    /// Label printed in the summary.
    fn label(&self) -> String;
    /// The method the matcher clears with.
    fn method(&self) -> aip_matcher::Method;
}

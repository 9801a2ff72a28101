//! The public data types: orders, the network model, trades and the clearing result.
//! Units everywhere: energy in Wh (integers), prices in uaip per kWh.
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Largest accepted price (uaip/kWh), fee or loss price: keeps every cost in `i64`.
pub const MAX_PRICE: u64 = 1_000_000_000_000;
/// Largest accepted order quantity (Wh).
pub const MAX_WH: u64 = 1_000_000_000_000;

/// Bid (buy) or offer (sell).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// buys up to `wh` at most at `limit_price`
    Bid,
    /// sells up to `wh` at least at `limit_price`
    Offer,
}

/// The book's side of an intent's: a buy is a bid, a sell an offer.
impl From<aip_types::intent::Side> for Side {
    fn from(side: aip_types::intent::Side) -> Side {
        match side {
            aip_types::intent::Side::Buy => Side::Bid,
            aip_types::intent::Side::Sell => Side::Offer,
        }
    }
}

/// One order of the book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// order id (unique in the book)
    pub id: u64,
    /// owner address
    pub owner: String,
    /// bid or offer
    pub side: Side,
    /// grid zone of the owner's meter
    pub zone: u32,
    /// grid node (bus) of the owner's meter; informational
    #[serde(default)]
    pub node: u32,
    /// quantity in Wh
    pub wh: u64,
    /// uaip per kWh: the most a bid pays, the least an offer accepts
    pub limit_price: u64,
    /// offers only: sell only to buyers with the premium reputation tier
    #[serde(default)]
    pub premium_only: bool,
    /// the owner holds the premium reputation tier (may take premium-only offers)
    #[serde(default)]
    pub premium: bool,
    /// reputation priority score: higher goes first among equal prices
    #[serde(default)]
    pub trust: u32,
    /// time window (slot starts, unix seconds): eligible when `from <= slot < until`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<[u64; 2]>,
}

/// The orders for one delivery slot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderBook {
    /// slot start, unix seconds
    #[serde(default)]
    pub slot: u64,
    /// bids and offers
    pub orders: Vec<Order>,
}

/// A grid zone (e.g. a feeder section).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// zone id
    pub id: u32,
    /// display name
    #[serde(default)]
    pub name: String,
    /// loss factor (basis points) of energy injected in this zone, even when consumed in it
    #[serde(default)]
    pub loss_bps: u32,
}

/// A link between two zones, usable in both directions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corridor {
    /// corridor id
    pub id: u32,
    /// one end
    pub from: u32,
    /// the other end
    pub to: u32,
    /// capacity per direction, Wh per slot
    pub capacity_wh: u64,
    /// loss factor of energy crossing it (basis points)
    #[serde(default)]
    pub loss_bps: u32,
    /// congestion fee, uaip per kWh crossing it
    #[serde(default)]
    pub fee: u64,
}

/// The DSO's network model for a slot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// zones
    pub zones: Vec<Zone>,
    /// corridors between zones
    #[serde(default)]
    pub corridors: Vec<Corridor>,
    /// value of lost energy, uaip per kWh (what the DSO pays to replace losses)
    #[serde(default)]
    pub loss_price: u64,
}

/// Which algorithm clears the slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// `Flow` when the book has no premium-only offers (it is then exact) or more than
    /// [`Method::AUTO_EXACT_MAX_ORDERS`] orders; otherwise `Exact`.
    Auto,
    /// LP over order quantities and per-commodity corridor flows (`good_lp` + `microlp`):
    /// the exact optimum with reputation gates. Trades are the optimum split into
    /// (offer, route, bid) paths, each rounded down to whole Wh (less than 1 Wh per path),
    /// with what the rounding freed matched again.
    Exact,
    /// Successive shortest paths on the zone graph (own code): the exact optimum without
    /// premium-only offers; with them it routes without re-routing (a greedy heuristic).
    Flow,
    /// Merit order by price and trust, ignoring zones, losses and capacities (the baseline).
    PriceOnly,
}

impl Method {
    /// Books with premium-only offers up to this size go to the LP under `Auto`.
    pub const AUTO_EXACT_MAX_ORDERS: usize = 2_000;
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Auto => "auto",
            Method::Exact => "exact",
            Method::Flow => "flow",
            Method::PriceOnly => "price-only",
        })
    }
}

impl FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Method::Auto),
            "exact" | "lp" => Ok(Method::Exact),
            "flow" => Ok(Method::Flow),
            "price-only" | "price_only" => Ok(Method::PriceOnly),
            other => Err(format!(
                "unknown method {other:?} (auto, exact, flow, price-only)"
            )),
        }
    }
}

/// One matched pair, as committed on chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// bid order id
    pub bid: u64,
    /// offer order id
    pub offer: u64,
    /// buyer address
    pub buyer: String,
    /// seller address
    pub seller: String,
    /// energy, Wh
    pub wh: u64,
    /// uaip per kWh paid to the seller: at least the offer's limit and, when the
    /// trade is worth its route, at most the bid's limit minus `fee`
    pub price: u64,
    /// congestion fees of the route, uaip per kWh, paid by the buyer on top of `price`
    pub fee: u64,
    /// seller zone
    pub from_zone: u32,
    /// buyer zone
    pub to_zone: u32,
    /// loss factor of the route (seller zone plus corridors), basis points
    pub loss_bps: u32,
}

/// Use of one corridor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorridorFlow {
    /// corridor id
    pub corridor: u32,
    /// Wh from `from` to `to`
    pub forward_wh: u64,
    /// Wh from `to` to `from`
    pub backward_wh: u64,
}

/// The result of clearing one slot. Money in uaip (fractional: sums of Wh x uaip/kWh).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clearing {
    /// the slot
    pub slot: u64,
    /// the algorithm that ran
    pub method: Method,
    /// matched pairs, sorted by (bid, offer)
    pub trades: Vec<Trade>,
    /// welfare: `gross_surplus - loss_cost - congestion_fees`
    pub welfare: f64,
    /// sum over trades of (bid limit - offer limit) x Wh / 1000
    pub gross_surplus: f64,
    /// losses valued at the network's loss price
    pub loss_cost: f64,
    /// congestion fees on corridors
    pub congestion_fees: f64,
    /// energy lost in the network, Wh
    pub losses_wh: f64,
    /// energy traded, Wh
    pub traded_wh: u64,
    /// of which bought in the seller's zone, Wh
    pub local_wh: u64,
    /// eligible demand in the book, Wh
    pub demand_wh: u64,
    /// eligible supply in the book, Wh
    pub supply_wh: u64,
    /// corridor use
    pub corridor_flows: Vec<CorridorFlow>,
    /// Wh above corridor capacities (only the price-only baseline can exceed them)
    pub capacity_excess_wh: u64,
    /// the LP optimum (welfare before rounding to whole Wh), `Exact` only
    pub lp_optimum: Option<f64>,
}

impl Clearing {
    /// Share of the eligible demand met by trades (0..1).
    pub fn self_sufficiency(&self) -> f64 {
        if self.demand_wh == 0 {
            0.0
        } else {
            self.traded_wh as f64 / self.demand_wh as f64
        }
    }
}

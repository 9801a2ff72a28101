//! The welfare of a clearing recomputed from what it publishes, independently of the
//! solver that produced it and of the accounting inside [`crate::clear`].
use crate::model::{Clearing, Network, OrderBook, Side};
use crate::MatcherError;
use std::collections::HashMap;

/// Welfare (uaip) of `clearing` recomputed from its trades and corridor flows alone:
/// Σ Wh × (bid limit − offer limit) / 1000, minus the losses of the seller's zone
/// (its `loss_bps` of every traded Wh) and of every corridor crossed (its `loss_bps`
/// of the Wh in [`crate::CorridorFlow`], both directions) valued at the network's
/// `loss_price`, minus the corridors' fees on the same Wh. Limits and zones come from
/// `book` and `network`, not from the trades. Summed exactly in integers, divided once.
///
/// Corridor flows carry the route information: a pair of orders may be served along
/// more than one route on a meshed network, and a [`crate::Trade`] is per pair.
///
/// Errors: a trade naming an order the book does not hold, a trade whose `bid` is not
/// a bid or whose `offer` is not an offer, an order in a zone or a flow on a corridor
/// the network does not define.
pub fn welfare_of(
    book: &OrderBook,
    network: &Network,
    clearing: &Clearing,
) -> Result<f64, MatcherError> {
    let orders: HashMap<u64, _> = book.orders.iter().map(|o| (o.id, o)).collect();
    let zone_bps: HashMap<u32, u32> = network.zones.iter().map(|z| (z.id, z.loss_bps)).collect();
    let corridors: HashMap<u32, _> = network.corridors.iter().map(|c| (c.id, c)).collect();
    let price = network.loss_price as i128;
    // gross and fees in uaip/kWh x Wh; losses in bps x uaip/kWh x Wh
    let (mut gross, mut fees, mut losses) = (0i128, 0i128, 0i128);
    for t in &clearing.trades {
        let find = |id: u64| {
            orders
                .get(&id)
                .copied()
                .ok_or(MatcherError::TradeUnknownOrder(id))
        };
        let (bid, offer) = (find(t.bid)?, find(t.offer)?);
        if bid.side != Side::Bid || offer.side != Side::Offer {
            return Err(MatcherError::TradeSides {
                bid: t.bid,
                offer: t.offer,
            });
        }
        let bps = zone_bps
            .get(&offer.zone)
            .copied()
            .ok_or(MatcherError::OrderUnknownZone {
                id: offer.id,
                zone: offer.zone,
            })?;
        let wh = t.wh as i128;
        gross += wh * (bid.limit_price as i128 - offer.limit_price as i128);
        losses += wh * bps as i128 * price;
    }
    for f in &clearing.corridor_flows {
        let c = corridors
            .get(&f.corridor)
            .ok_or(MatcherError::FlowUnknownCorridor(f.corridor))?;
        let wh = f.forward_wh as i128 + f.backward_wh as i128;
        losses += wh * c.loss_bps as i128 * price;
        fees += wh * c.fee as i128;
    }
    Ok(((gross - fees) * 10_000 - losses) as f64 / 1e7)
}

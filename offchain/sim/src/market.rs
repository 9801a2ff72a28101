//! The order book of one slot as the simulation sees it, and the clearing
//! step behind a trait so the real matcher (`aip-matcher`) plugs in.

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
    /// The id the settlement contract gave it (or a local sequence number
    /// when the contract is not deployed).
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

/// Clears one slot's book into trades.
pub trait Clearing {
    /// Label printed in the summary.
    fn label(&self) -> String;
    /// Trades for the slot starting at `slot` (unix seconds). Must respect
    /// quantities, price limits and corridor capacities.
    fn clear(&mut self, slot: u64, bids: &[Order], offers: &[Order]) -> anyhow::Result<Vec<Trade>>;
}

/// Price-only merit order with corridor capacity and loss awareness: the
/// highest bid meets the cheapest reachable offer (same zone first at equal
/// price, higher trust first at equal zone), trading at the midpoint.
///
/// A labelled baseline used when `aip-matcher` is not available; it is not
/// the project's matcher.
#[derive(Debug, Default, Clone)]
pub struct MeritOrder {
    /// Direct corridors only (either direction of a listed pair is not assumed).
    pub net: Network,
}

impl Clearing for MeritOrder {
    fn label(&self) -> String {
        "greedy merit order (sim baseline; aip-matcher not linked)".into()
    }

    fn clear(
        &mut self,
        _slot: u64,
        bids: &[Order],
        offers: &[Order],
    ) -> anyhow::Result<Vec<Trade>> {
        let net = &self.net;
        let mut bids: Vec<&Order> = bids.iter().collect();
        bids.sort_by(|a, b| {
            b.price
                .cmp(&a.price)
                .then(b.priority.cmp(&a.priority))
                .then(a.id.cmp(&b.id))
        });
        let mut offer_left: Vec<u64> = offers.iter().map(|o| o.wh).collect();
        let mut cap_used: Vec<u64> = vec![0; net.corridors.len()];
        let mut trades = Vec::new();
        for bid in bids {
            let mut need = bid.wh;
            // candidates: offers the bid can pay for, cheapest effective price first
            let mut cands: Vec<(u64, bool, u16, u64, usize)> = offers
                .iter()
                .enumerate()
                .filter(|(i, o)| offer_left[*i] > 0 && o.price <= bid.price && o.owner != bid.owner)
                .filter_map(|(i, o)| {
                    if o.zone == bid.zone {
                        Some((o.price, false, o.priority, o.id, i))
                    } else {
                        let c = net.corridor(o.zone, bid.zone)?;
                        // price per delivered kWh after the loss
                        let eff = o.price * 10_000 / (10_000 - u64::from(c.loss_bps.min(9_999)));
                        (eff <= bid.price).then_some((eff, true, o.priority, o.id, i))
                    }
                })
                .collect();
            cands.sort_by(|a, b| {
                a.0.cmp(&b.0)
                    .then(a.1.cmp(&b.1))
                    .then(b.2.cmp(&a.2))
                    .then(a.3.cmp(&b.3))
            });
            for (_, cross, _, _, i) in cands {
                if need == 0 {
                    break;
                }
                let o = &offers[i];
                let mut wh = need.min(offer_left[i]);
                if cross {
                    let ci = net
                        .corridors
                        .iter()
                        .position(|c| c.from == o.zone && c.to == bid.zone)
                        .expect("candidate has a corridor");
                    wh = wh.min(net.corridors[ci].capacity_wh - cap_used[ci]);
                    cap_used[ci] += wh;
                }
                if wh == 0 {
                    continue;
                }
                offer_left[i] -= wh;
                need -= wh;
                trades.push(Trade {
                    bid: bid.id,
                    offer: o.id,
                    wh,
                    price: (bid.price + o.price) / 2,
                });
            }
        }
        Ok(trades)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: u64, owner: usize, side: Side, wh: u64, price: u64, zone: ZoneId) -> Order {
        Order {
            id,
            owner,
            side,
            wh,
            price,
            zone,
            node: owner as NodeId,
            priority: 500,
        }
    }

    #[test]
    fn merit_order_respects_prices_quantities_and_corridors() {
        let net = Network {
            corridors: vec![Corridor {
                from: 2,
                to: 1,
                capacity_wh: 100,
                loss_bps: 500,
            }],
        };
        let bids = vec![
            order(1, 0, Side::Bid, 300, 200, 1),
            order(2, 1, Side::Bid, 100, 50, 1),
        ];
        let offers = vec![
            order(3, 2, Side::Offer, 150, 100, 1),
            order(4, 3, Side::Offer, 500, 90, 2),
        ];
        let trades = MeritOrder { net }.clear(0, &bids, &offers).unwrap();
        // cross-zone offer 4 costs 90/0.95 = 94 per delivered kWh: cheaper, used first up to capacity
        assert_eq!(
            trades,
            vec![
                Trade {
                    bid: 1,
                    offer: 4,
                    wh: 100,
                    price: 145
                },
                Trade {
                    bid: 1,
                    offer: 3,
                    wh: 150,
                    price: 150
                },
            ]
        );
        // bid 2 (limit 50) is below every offer: unmatched
    }
}

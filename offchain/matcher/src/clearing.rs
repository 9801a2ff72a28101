//! `clear`: method selection, the price-only baseline and the result accounting.
use crate::flow::{self, RawTrade};
use crate::graph::{Book, Graph, SCALE};
use crate::lp;
use crate::model::{Clearing, CorridorFlow, Method, Network, OrderBook, Side, Trade};
use crate::MatcherError;
use std::collections::BTreeMap;

/// Clears one delivery slot.
///
/// Validates the network and the book (errors leave nothing half done: the result is
/// only built at the end), drops orders that are empty or outside their time window,
/// then runs `method` (see [`Method`]). Welfare, losses and fees in the result are
/// computed from the returned trades, the same way for every method.
pub fn clear(
    book: &OrderBook,
    network: &Network,
    method: Method,
) -> Result<Clearing, MatcherError> {
    let g = Graph::new(network)?;
    let b = Book::new(book, &g)?;
    let method = match method {
        Method::Auto if b.gated && b.orders.len() <= Method::AUTO_EXACT_MAX_ORDERS => Method::Exact,
        Method::Auto => Method::Flow,
        m => m,
    };
    let (raw, lp_optimum) = match method {
        Method::Exact => {
            let r = lp::solve(&g, &b)?;
            (r.trades, Some(r.optimum))
        }
        Method::Flow => (flow::solve(&g, &b), None),
        Method::PriceOnly => (price_only(&g, &b), None),
        Method::Auto => unreachable!("resolved above"),
    };
    Ok(summarize(book.slot, method, &g, &b, raw, lp_optimum))
}

/// Merit order ignoring the network: bids by price desc, offers by price asc (trust
/// first among equal prices), matched while the bid price covers the offer price;
/// premium-only offers still go to premium buyers only. Energy then flows along the
/// lowest-loss route, capacities notwithstanding.
fn price_only(g: &Graph, b: &Book) -> Vec<RawTrade> {
    let mut offers: Vec<usize> = (0..b.orders.len())
        .filter(|&i| b.orders[i].side == Side::Offer)
        .collect();
    let key = |i: &usize, desc: bool| {
        let o = b.orders[*i];
        let p = if desc {
            u64::MAX - o.limit_price
        } else {
            o.limit_price
        };
        (p, std::cmp::Reverse(o.trust), o.id)
    };
    offers.sort_unstable_by_key(|i| key(i, false));
    let mut bids: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for i in 0..b.orders.len() {
        if b.orders[i].side == Side::Bid {
            bids[b.orders[i].premium as usize].push(i);
        }
    }
    for list in bids.iter_mut() {
        list.sort_unstable_by_key(|i| key(i, true));
    }
    let mut rem: Vec<u64> = b.orders.iter().map(|o| o.wh).collect();
    let mut ptr = [0usize; 2];
    let next = g.min_loss_routes();
    let mut out = Vec::new();
    for &o in &offers {
        let offer = b.orders[o];
        while rem[o] > 0 {
            // the best remaining compatible bid
            let mut best: Option<usize> = None;
            for class in 0..2 {
                if class == 0 && offer.premium_only {
                    continue;
                }
                while ptr[class] < bids[class].len() && rem[bids[class][ptr[class]]] == 0 {
                    ptr[class] += 1;
                }
                if let Some(&i) = bids[class].get(ptr[class]) {
                    if best.is_none_or(|j| key(&i, true) < key(&j, true)) {
                        best = Some(i);
                    }
                }
            }
            let Some(bid) = best else { break };
            if b.orders[bid].limit_price < offer.limit_price {
                break;
            }
            let q = rem[o].min(rem[bid]);
            rem[o] -= q;
            rem[bid] -= q;
            out.push(RawTrade {
                bid,
                offer: o,
                wh: q,
                route: route(g, &next, b.zone[o], b.zone[bid]),
            });
        }
    }
    out
}

fn route(g: &Graph, next: &[Option<usize>], from: usize, to: usize) -> Vec<usize> {
    let mut r = Vec::new();
    let mut cur = from;
    while cur != to {
        match next[cur * g.nz + to] {
            Some(a) if r.len() < g.nz => {
                r.push(a);
                cur = g.arcs[a].to;
            }
            // zones not connected: the baseline trades anyway, with no corridor
            _ => break,
        }
    }
    r
}

fn summarize(
    slot: u64,
    method: Method,
    g: &Graph,
    b: &Book,
    raw: Vec<RawTrade>,
    lp_optimum: Option<f64>,
) -> Clearing {
    let mut arc_flow = vec![0u64; g.arcs.len()];
    // (bid id, offer id) -> (bid index, offer index, Wh, route bps, loss value, fee)
    type Merged = (usize, usize, u64, u32, i64, u64);
    let mut merged: BTreeMap<(u64, u64), Merged> = BTreeMap::new();
    let (mut gross, mut loss_cost, mut fees, mut losses) = (0i128, 0i128, 0i128, 0i128);
    let (mut traded, mut local) = (0u64, 0u64);
    for t in raw.iter().filter(|t| t.wh > 0) {
        let (bid, offer) = (b.orders[t.bid], b.orders[t.offer]);
        let zb = g.zone_bps[b.zone[t.offer]];
        let bps = zb + t.route.iter().map(|&a| g.arcs[a].bps).sum::<u32>();
        let fee: u64 = t.route.iter().map(|&a| g.arcs[a].fee).sum();
        for &a in &t.route {
            arc_flow[a] += t.wh;
        }
        let wh = t.wh as i128;
        gross += wh * (bid.limit_price as i128 - offer.limit_price as i128);
        loss_cost += wh * bps as i128 * g.loss_price as i128;
        fees += wh * fee as i128;
        losses += wh * bps as i128;
        traded += t.wh;
        if b.zone[t.bid] == b.zone[t.offer] {
            local += t.wh;
        }
        // loss value per kWh of this route, SCALE units
        let loss_value = bps as i64 * g.loss_price as i64;
        let e = merged
            .entry((bid.id, offer.id))
            .or_insert((t.bid, t.offer, 0, 0, 0, 0));
        e.2 += t.wh;
        e.3 = e.3.max(bps);
        e.4 = e.4.max(loss_value);
        e.5 = e.5.max(fee);
    }
    let trades = merged
        .into_values()
        .map(|(bi, oi, wh, bps, loss_value, fee)| {
            let (bid, offer) = (b.orders[bi], b.orders[oi]);
            // the buyer pays price + fee (as the settlement contract charges it); split
            // what is left after the loss value: midpoint of
            // [offer limit + loss value, bid limit - fee]
            let lo = offer.limit_price + (loss_value as u64).div_ceil(SCALE as u64);
            let hi = bid.limit_price.saturating_sub(fee);
            let price = if lo <= hi {
                lo + (hi - lo) / 2
            } else {
                hi.max(offer.limit_price).min(bid.limit_price)
            };
            Trade {
                bid: bid.id,
                offer: offer.id,
                buyer: bid.owner.clone(),
                seller: offer.owner.clone(),
                wh,
                price,
                fee,
                from_zone: offer.zone,
                to_zone: bid.zone,
                loss_bps: bps,
            }
        })
        .collect();
    let mut corridor_flows = Vec::with_capacity(g.corridor_ids.len());
    let mut excess = 0u64;
    for (c, &id) in g.corridor_ids.iter().enumerate() {
        let (f, bk) = (arc_flow[2 * c], arc_flow[2 * c + 1]);
        // opposite flows on one corridor cancel physically
        let net = f.abs_diff(bk);
        excess += net.saturating_sub(g.arcs[2 * c].cap);
        corridor_flows.push(CorridorFlow {
            corridor: id,
            forward_wh: f,
            backward_wh: bk,
        });
    }
    let gross = gross as f64 / 1000.0;
    let loss_cost = loss_cost as f64 / (SCALE as f64 * 1000.0);
    let fees = fees as f64 / 1000.0;
    Clearing {
        slot,
        method,
        trades,
        welfare: gross - loss_cost - fees,
        gross_surplus: gross,
        loss_cost,
        congestion_fees: fees,
        losses_wh: losses as f64 / 10_000.0,
        traded_wh: traded,
        local_wh: local,
        demand_wh: b.demand_wh,
        supply_wh: b.supply_wh,
        corridor_flows,
        capacity_excess_wh: excess,
        lp_optimum,
    }
}

/// A direct route between two zones, as the settlement contract models corridors
/// (one `(from_zone, to_zone)` entry per ordered zone pair).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PairRoute {
    /// seller zone
    pub from: u32,
    /// buyer zone
    pub to: u32,
    /// the smallest corridor capacity on the lowest-loss route, Wh per slot
    pub capacity_wh: u64,
    /// corridor loss factors along the route, summed (bps)
    pub loss_bps: u32,
    /// corridor fees along the route, summed (uaip/kWh)
    pub fee: u64,
}

/// The lowest-loss route between every ordered pair of connected zones, flattened
/// into direct pair corridors for contracts that only know zone pairs. On a radial
/// (tree) network, as LV grids are operated, a clearing by `flow` or `exact` never
/// uses more of a pair than its `capacity_wh`: all trades of the pair cross the same
/// corridors, and those respect their capacity.
pub fn pair_routes(network: &Network) -> Result<Vec<PairRoute>, MatcherError> {
    let g = Graph::new(network)?;
    let next = g.min_loss_routes();
    let ids: Vec<u32> = network.zones.iter().map(|z| z.id).collect();
    let mut out = Vec::new();
    for a in 0..g.nz {
        for b in 0..g.nz {
            if a == b || next[a * g.nz + b].is_none() {
                continue;
            }
            let r = route(&g, &next, a, b);
            out.push(PairRoute {
                from: ids[a],
                to: ids[b],
                capacity_wh: r.iter().map(|&k| g.arcs[k].cap).min().unwrap_or(0),
                loss_bps: r.iter().map(|&k| g.arcs[k].bps).sum(),
                fee: r.iter().map(|&k| g.arcs[k].fee).sum(),
            });
        }
    }
    Ok(out)
}

//! The exact optimum as a linear program (`good_lp` with the pure-Rust `microlp`, or
//! HiGHS with the `highs` feature).
//!
//! Variables: the taken quantity `x_i` of every eligible order (0..=wh), the flow
//! `y[k][arc]` of each commodity `k` on each directed corridor arc, and per zone `u_z`,
//! the open energy delivered to premium buyers. Commodity 0 is energy from open
//! offers (any buyer), commodity 1 energy from premium-only offers (premium buyers
//! only). Constraints: zone balance per commodity, `sum_k y[k][arc] <= capacity`.
//! Objective: bid values minus offer costs (price plus the seller zone's loss value)
//! minus corridor loss value and fees.
//!
//! Trades: [`to_trades`] splits the optimum into (offer, route, bid) paths across both
//! commodities, open energy handed to premium bids included, and rounds each path down
//! to whole Wh (less than 1 Wh lost per path); [`fill`] then matches what the rounding
//! freed. The trades' welfare is at least the optimum minus that rounding.
use crate::flow::{acyclic_net_flow, fill, RawTrade};
use crate::graph::{Book, Graph, SCALE};
use crate::model::Side;
use crate::MatcherError;
#[cfg(feature = "highs")]
use good_lp::highs as solver;
#[cfg(not(feature = "highs"))]
use good_lp::microlp as solver;
use good_lp::{variable, Expression, ProblemVariables, Solution, SolverModel};
use std::collections::{HashMap, VecDeque};

pub(crate) struct LpResult {
    pub trades: Vec<RawTrade>,
    /// the optimum, uaip
    pub optimum: f64,
}

pub(crate) fn solve(g: &Graph, book: &Book) -> Result<LpResult, MatcherError> {
    let n = g.nz;
    let kinds = if book.gated { 2 } else { 1 };
    let mut vars = ProblemVariables::new();
    let x: Vec<_> = book
        .orders
        .iter()
        .map(|o| vars.add(variable().min(0.0).max(o.wh as f64)))
        .collect();
    let y: Vec<Vec<_>> = (0..kinds)
        .map(|_| {
            g.arcs
                .iter()
                .map(|a| vars.add(variable().min(0.0).max(a.cap as f64)))
                .collect()
        })
        .collect();
    let u: Vec<_> = (0..if book.gated { n } else { 0 })
        .map(|_| vars.add(variable().min(0.0)))
        .collect();

    let per_kwh = |v: i64| v as f64 / SCALE as f64;
    let mut objective = Expression::from(0.0);
    for (i, o) in book.orders.iter().enumerate() {
        let c = per_kwh(book.unit(i, g));
        match o.side {
            Side::Bid => objective += c * x[i],
            Side::Offer => objective -= c * x[i],
        }
    }
    for yk in &y {
        for (k, a) in g.arcs.iter().enumerate() {
            objective -= per_kwh(a.cost) * yk[k];
        }
    }
    // zone balances: supply + inflow - outflow - demand = 0
    let mut balance: Vec<Vec<Expression>> = (0..kinds)
        .map(|_| (0..n).map(|_| Expression::from(0.0)).collect())
        .collect();
    for (i, o) in book.orders.iter().enumerate() {
        let z = book.zone[i];
        match o.side {
            Side::Offer => balance[(o.premium_only && book.gated) as usize][z] += x[i],
            Side::Bid if book.gated && o.premium => balance[1][z] -= x[i],
            Side::Bid => balance[0][z] -= x[i],
        }
    }
    for (k, yk) in y.iter().enumerate() {
        for (e, a) in g.arcs.iter().enumerate() {
            balance[k][a.to] += yk[e];
            balance[k][a.from] -= yk[e];
        }
    }
    if book.gated {
        for z in 0..n {
            // open energy u_z leaves commodity 0 and serves premium bids of commodity 1
            balance[0][z] -= u[z];
            balance[1][z] += u[z];
        }
    }
    let mut model = vars.maximise(objective.clone()).using(solver);
    for bk in balance {
        for e in bk {
            model = model.with(e.eq(0.0));
        }
    }
    if kinds == 2 {
        for (e, a) in g.arcs.iter().enumerate() {
            model = model.with((y[0][e] + y[1][e]).leq(a.cap as f64));
        }
    }
    let sol = model
        .solve()
        .map_err(|e| MatcherError::Solver(e.to_string()))?;
    let optimum = sol.eval(&objective) / 1000.0;

    let read = |v: good_lp::Variable| sub_units(sol.value(v));
    let lp = LpFlow {
        taken: x.iter().map(|&v| read(v)).collect(),
        arcs: y
            .iter()
            .map(|yk| yk.iter().map(|&v| read(v)).collect())
            .collect(),
        open_to_premium: u.iter().map(|&v| read(v)).collect(),
    };
    let mut trades = to_trades(g, book, &lp);
    // whatever the rounding left (orders not filled, capacity not used) is matched again
    // by the exact single-commodity flows on the rest: never worse, often back to the
    // optimum's whole Wh
    fill(g, book, &book.queues(g), &mut trades);
    Ok(LpResult { trades, optimum })
}

/// LP values are split into paths in units of 1/`SUB` Wh, so that the paths of a
/// fractional optimum (two commodities sharing capacities need not have an integral
/// one) are exact before they are rounded down to whole Wh.
const SUB: u64 = 1024;

/// An LP value in `SUB` units, rounded to the nearest (the solver's float noise is far
/// below one unit).
fn sub_units(v: f64) -> u64 {
    (v * SUB as f64).round().max(0.0) as u64
}

/// The LP solution in `SUB` units.
pub(crate) struct LpFlow {
    /// taken quantity per eligible order
    pub taken: Vec<u64>,
    /// `arcs[k][arc]`: flow of commodity `k` (0 open, 1 premium-only) on each arc
    pub arcs: Vec<Vec<u64>>,
    /// per zone: open energy handed to premium bids (commodity 0 -> 1), gated books only
    pub open_to_premium: Vec<u64>,
}

/// Splits the LP flow into (offer, route, bid) paths and rounds each down to whole Wh.
///
/// The flow network has one node per (zone, commodity). Offers inject into their
/// zone's node of their commodity; plain bids take from commodity 0, premium bids
/// (gated books) from commodity 1; open energy may pass from commodity 0 to 1 in any
/// zone (`open_to_premium`) and then travel on as commodity 1, so a path can cross a
/// zone boundary on either side of that hand-over. Per commodity, opposite flows on a
/// corridor are netted and circulations cancelled (both only cost), which leaves an
/// acyclic flow; hand-overs only go 0 -> 1, so visiting commodity 0's zones in
/// topological order and then commodity 1's visits every node after all its inflows.
/// At each node the energy present (local offers and inflows, as chunks of one offer
/// with their route so far) first serves the node's bids, then leaves along the
/// outgoing flows. Conservation makes this exact: every unit of flow ends in a bid,
/// so the paths' welfare is the LP objective.
///
/// Rounding bound: each (bid, offer, route) path is rounded down to whole Wh once, so
/// it loses less than 1 Wh. Every path is created by a bid being served or a chunk
/// being split by an outgoing flow, so there are at most `orders + commodities x arcs
/// + zones` of them. What the rounding frees is matched again by [`fill`].
pub(crate) fn to_trades(g: &Graph, book: &Book, lp: &LpFlow) -> Vec<RawTrade> {
    let n = g.nz;
    let kinds = lp.arcs.len();
    struct Chunk {
        offer: usize,
        amount: u64,
        route: Vec<usize>,
    }
    // node = commodity * n + zone
    let node_of = |i: usize| -> usize {
        let o = book.orders[i];
        let k = match o.side {
            Side::Offer => o.premium_only,
            Side::Bid => o.premium,
        };
        (k && kinds == 2) as usize * n + book.zone[i]
    };
    let mut pools: Vec<VecDeque<Chunk>> = (0..kinds * n).map(|_| VecDeque::new()).collect();
    let mut sinks: Vec<Vec<(usize, u64)>> = vec![Vec::new(); kinds * n];
    let queues = book.queues(g);
    for z in 0..n {
        for class in 0..2 {
            for &i in &queues.offers[z][class] {
                if lp.taken[i] > 0 {
                    pools[node_of(i)].push_back(Chunk {
                        offer: i,
                        amount: lp.taken[i],
                        route: Vec::new(),
                    });
                }
            }
        }
        // bids in priority order, premium first
        for class in [1, 0] {
            for &i in &queues.bids[z][class] {
                if lp.taken[i] > 0 {
                    sinks[node_of(i)].push((i, lp.taken[i]));
                }
            }
        }
    }
    let mut paths: HashMap<(usize, usize, Vec<usize>), u64> = HashMap::new();
    for k in 0..kinds {
        let (net, order) = acyclic_net_flow(g, &lp.arcs[k]);
        for z in order {
            let v = k * n + z;
            for (bid, need) in sinks[v].iter_mut() {
                while *need > 0 {
                    let Some(ch) = pools[v].front_mut() else {
                        break;
                    };
                    let q = ch.amount.min(*need);
                    *paths.entry((*bid, ch.offer, ch.route.clone())).or_default() += q;
                    ch.amount -= q;
                    *need -= q;
                    if ch.amount == 0 {
                        pools[v].pop_front();
                    }
                }
            }
            // outgoing: corridor arcs of this commodity, then the hand-over to premium
            let mut out: Vec<(Option<usize>, usize, u64)> = net
                .iter()
                .filter(|&&(a, _)| g.arcs[a].from == z)
                .map(|&(a, f)| (Some(a), k * n + g.arcs[a].to, f))
                .collect();
            if k == 0 && kinds == 2 {
                out.push((None, n + z, lp.open_to_premium[z]));
            }
            for (arc, to, mut left) in out {
                while left > 0 {
                    let Some(mut ch) = pools[v].pop_front() else {
                        break;
                    };
                    let q = ch.amount.min(left);
                    left -= q;
                    let mut route = ch.route.clone();
                    route.extend(arc);
                    pools[to].push_back(Chunk {
                        offer: ch.offer,
                        amount: q,
                        route,
                    });
                    ch.amount -= q;
                    if ch.amount > 0 {
                        pools[v].push_front(ch);
                    }
                }
            }
        }
    }
    let mut trades: Vec<RawTrade> = paths
        .into_iter()
        .map(|((bid, offer, route), amount)| RawTrade {
            bid,
            offer,
            wh: amount / SUB,
            route,
        })
        .filter(|t| t.wh > 0)
        .collect();
    trades.sort_unstable_by(|a, b| (a.bid, a.offer, &a.route).cmp(&(b.bid, b.offer, &b.route)));
    trades
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::{Corridor, Network, Order, OrderBook, Zone};

    /// zones 0 - 1 - 2 in a line; arcs 0: 0->1, 1: 1->0, 2: 1->2, 3: 2->1
    fn line() -> Network {
        let corridor = |id, from, to| Corridor {
            id,
            from,
            to,
            capacity_wh: 1_000,
            loss_bps: 0,
            fee: 0,
        };
        Network {
            zones: (0..3)
                .map(|id| Zone {
                    id,
                    name: String::new(),
                    loss_bps: 0,
                })
                .collect(),
            corridors: vec![corridor(0, 0, 1), corridor(1, 1, 2)],
            loss_price: 0,
        }
    }

    fn order(id: u64, side: Side, zone: u32, wh: u64, premium_only: bool, premium: bool) -> Order {
        Order {
            id,
            owner: format!("o{id}"),
            side,
            zone,
            node: 0,
            wh,
            limit_price: if side == Side::Bid { 300 } else { 100 },
            premium_only,
            premium,
            trust: 0,
            window: None,
        }
    }

    /// Open energy handed to the premium commodity in the seller's zone and carried on
    /// as premium energy for two corridors still reaches the premium bid (the step
    /// that used to lose it only looked for it in the zone of the hand-over).
    #[test]
    fn open_energy_handed_over_upstream_reaches_the_premium_bid() {
        let net = line();
        let book = OrderBook {
            slot: 0,
            orders: vec![
                order(0, Side::Offer, 0, 100, false, false),
                order(1, Side::Bid, 2, 100, false, true),
                // makes the book gated (two commodities); not taken
                order(2, Side::Offer, 1, 50, true, false),
            ],
        };
        let g = Graph::new(&net).unwrap();
        let b = Book::new(&book, &g).unwrap();
        let s = SUB;
        let lp = LpFlow {
            taken: vec![100 * s, 100 * s, 0],
            arcs: vec![vec![0; 4], vec![100 * s, 0, 100 * s, 0]],
            open_to_premium: vec![100 * s, 0, 0],
        };
        let trades = to_trades(&g, &b, &lp);
        assert_eq!(trades.len(), 1);
        let t = &trades[0];
        assert_eq!(
            (t.bid, t.offer, t.wh, t.route.clone()),
            (1, 0, 100, vec![0, 2])
        );
    }

    /// A fractional optimum: every path is rounded down once, losing less than 1 Wh.
    #[test]
    fn fractional_paths_lose_less_than_one_wh_each() {
        let net = line();
        let book = OrderBook {
            slot: 0,
            orders: vec![
                order(0, Side::Offer, 0, 10, false, false),
                order(1, Side::Bid, 1, 10, false, false),
                order(2, Side::Bid, 2, 10, false, false),
            ],
        };
        let g = Graph::new(&net).unwrap();
        let b = Book::new(&book, &g).unwrap();
        let s = SUB;
        // 9.5 Wh offered: 3.5 to the bid in zone 1, 6 on to zone 2
        let lp = LpFlow {
            taken: vec![9 * s + s / 2, 3 * s + s / 2, 6 * s],
            arcs: vec![vec![9 * s + s / 2, 0, 6 * s, 0]],
            open_to_premium: vec![],
        };
        let trades = to_trades(&g, &b, &lp);
        let got: Vec<_> = trades
            .iter()
            .map(|t| (t.bid, t.wh, t.route.clone()))
            .collect();
        assert_eq!(got, vec![(1, 3, vec![0]), (2, 6, vec![0, 2])]);
    }
}

//! The exact optimum as a linear program (`good_lp` with the pure-Rust `microlp`).
//!
//! Variables: the taken quantity `x_i` of every eligible order (0..=wh), the flow
//! `y[k][arc]` of each commodity `k` on each directed corridor arc, and per zone `u_z`,
//! the open energy delivered to premium buyers. Commodity 0 is energy from open
//! offers (any buyer), commodity 1 energy from premium-only offers (premium buyers
//! only). Constraints: zone balance per commodity, `sum_k y[k][arc] <= capacity`.
//! Objective: bid values minus offer costs (price plus the seller zone's loss value)
//! minus corridor loss value and fees. Trades are the optimum rounded down to whole Wh
//! and paired per commodity along its flows.
use crate::flow::{decompose, RawTrade};
use crate::graph::{Book, Graph, SCALE};
use crate::model::Side;
use crate::MatcherError;
use good_lp::{microlp, variable, Expression, ProblemVariables, Solution, SolverModel};

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
    let mut model = vars.maximise(objective.clone()).using(microlp);
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

    // round down to whole Wh (plus a tolerance for the solver's float noise)
    let fl = |v: f64| (v + 1e-6).floor().max(0.0) as u64;
    let taken: Vec<u64> = x
        .iter()
        .zip(&book.orders)
        .map(|(v, o)| fl(sol.value(*v)).min(o.wh))
        .collect();
    let queues = book.queues(g);
    let mut trades = Vec::new();
    // demand per zone, premium bids first (they can take both commodities)
    let mut prem_demand: Vec<Vec<(usize, u64)>> = vec![Vec::new(); n];
    let mut plain_demand: Vec<Vec<(usize, u64)>> = vec![Vec::new(); n];
    for z in 0..n {
        for &i in &queues.bids[z][1] {
            if taken[i] > 0 {
                prem_demand[z].push((i, taken[i]));
            }
        }
        for &i in &queues.bids[z][0] {
            if taken[i] > 0 {
                plain_demand[z].push((i, taken[i]));
            }
        }
    }
    let supply_of = |gated: usize| -> Vec<Vec<(usize, u64)>> {
        (0..n)
            .map(|z| {
                queues.offers[z][gated]
                    .iter()
                    .filter(|&&i| taken[i] > 0)
                    .map(|&i| (i, taken[i]))
                    .collect()
            })
            .collect()
    };
    let flows = |k: usize| -> Vec<u64> { y[k].iter().map(|v| fl(sol.value(*v))).collect() };
    if book.gated {
        // gated energy delivered in zone z: what premium bids take minus the open part u_z
        let mut gated_demand: Vec<Vec<(usize, u64)>> = vec![Vec::new(); n];
        for z in 0..n {
            let total: u64 = prem_demand[z].iter().map(|(_, w)| w).sum();
            let mut w_z = total.saturating_sub(fl(sol.value(u[z])));
            for (i, want) in prem_demand[z].iter_mut() {
                let q = (*want).min(w_z);
                if q > 0 {
                    gated_demand[z].push((*i, q));
                    *want -= q;
                    w_z -= q;
                }
            }
        }
        let before: Vec<Vec<(usize, u64)>> = gated_demand.clone();
        trades.extend(decompose(
            g,
            &mut supply_of(1),
            &mut gated_demand,
            &flows(1),
            None,
        ));
        // what the gated flow could not deliver goes back to the premium bids' open demand
        for z in 0..n {
            for (k, (_, left)) in gated_demand[z].iter().enumerate() {
                let i = before[z][k].0;
                if let Some(p) = prem_demand[z].iter_mut().find(|(j, _)| *j == i) {
                    p.1 += left;
                }
            }
        }
        // open energy serves plain bids, then what premium bids still need
        let mut open_demand: Vec<Vec<(usize, u64)>> = (0..n)
            .map(|z| {
                let mut v = plain_demand[z].clone();
                v.extend(prem_demand[z].iter().filter(|(_, w)| *w > 0).copied());
                v
            })
            .collect();
        trades.extend(decompose(
            g,
            &mut supply_of(0),
            &mut open_demand,
            &flows(0),
            None,
        ));
    } else {
        let mut all: Vec<Vec<(usize, u64)>> = (0..n)
            .map(|z| {
                let mut v = prem_demand[z].clone();
                v.extend(plain_demand[z].iter().copied());
                v
            })
            .collect();
        let mut supply = supply_of(0);
        for (z, s) in supply_of(1).into_iter().enumerate() {
            supply[z].extend(s);
        }
        trades.extend(decompose(g, &mut supply, &mut all, &flows(0), None));
    }
    Ok(LpResult { trades, optimum })
}

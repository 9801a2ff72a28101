//! Successive shortest paths on the zone graph.
//!
//! The flow network is: source -> offer -> its zone -> corridor arcs -> zone -> bid -> sink,
//! with cost = offer cost (price plus the seller zone's loss value), corridor arc cost
//! (loss value plus fee) and value = bid price. Because orders only touch the source,
//! the sink and their zone, a shortest source-sink path in the residual graph is the best
//! pair (cheapest remaining offer of zone `a`, dearest remaining bid of zone `b`) over the
//! residual zone distances `d(a, b)`. The zone distances are all-pairs Floyd-Warshall
//! on the residual corridor arcs (reverse arcs at negative cost), recomputed only when
//! an arc appears or disappears, so one augmentation costs `O(zones^2)`. Augmenting while
//! the best path has non-negative gain is the classic successive-shortest-path algorithm
//! for a maximum-weight flow: exact, and integral because capacities are integers.
//!
//! Premium-only offers make it a two-commodity problem (gated energy may only reach
//! premium buyers). Then the search pairs gated offers with premium bids only and never
//! re-routes earlier flow (no reverse arcs), which keeps every trade feasible but is a
//! heuristic; `Method::Exact` solves that case exactly.
use crate::graph::{floyd_warshall, Book, Graph, INF};

/// A matched quantity with its route (arc indices).
#[derive(Clone, Debug)]
pub(crate) struct RawTrade {
    pub bid: usize,
    pub offer: usize,
    pub wh: u64,
    pub route: Vec<usize>,
}

const NONE: u32 = u32::MAX;

pub(crate) fn solve(g: &Graph, book: &Book) -> Vec<RawTrade> {
    let n = g.nz;
    let reverse = !book.gated;
    let q = book.queues(g);
    let unit: Vec<i64> = (0..book.orders.len()).map(|i| book.unit(i, g)).collect();
    let trust: Vec<u64> = book.orders.iter().map(|o| o.trust as u64).collect();
    let mut rem: Vec<u64> = book.orders.iter().map(|o| o.wh).collect();
    let mut off_ptr = vec![[0usize; 2]; n];
    let mut bid_ptr = vec![[0usize; 2]; n];
    let mut flow = vec![0u64; g.arcs.len()];
    let mut d = vec![INF; n * n];
    let mut next = vec![NONE; n * n];
    let mut dirty = true;
    let mut trades = Vec::new();

    let head = |list: &[usize], ptr: &mut usize, rem: &[u64]| -> Option<usize> {
        while *ptr < list.len() && rem[list[*ptr]] == 0 {
            *ptr += 1;
        }
        list.get(*ptr).copied()
    };

    loop {
        if dirty {
            residual_distances(g, &flow, reverse, &mut d, &mut next);
            dirty = false;
        }
        // heads of every queue
        let mut offer_heads = vec![[None; 2]; n];
        let mut bid_heads = vec![[None; 2]; n];
        for z in 0..n {
            for c in 0..2 {
                offer_heads[z][c] = head(&q.offers[z][c], &mut off_ptr[z][c], &rem);
                bid_heads[z][c] = head(&q.bids[z][c], &mut bid_ptr[z][c], &rem);
            }
        }
        // best (gain, trust, offer, bid, a, b)
        let mut best: Option<(i64, u64, usize, usize, usize, usize)> = None;
        for a in 0..n {
            for gated in 0..2 {
                let Some(o) = offer_heads[a][gated] else {
                    continue;
                };
                for b in 0..n {
                    let dab = d[a * n + b];
                    if dab >= INF {
                        continue;
                    }
                    // a premium-only offer only reaches premium bids
                    let bid = match (gated, bid_heads[b][0], bid_heads[b][1]) {
                        (1, _, p) => p,
                        (_, Some(x), Some(y)) => {
                            if (unit[y], trust[y]) >= (unit[x], trust[x]) {
                                Some(y)
                            } else {
                                Some(x)
                            }
                        }
                        (_, x, y) => x.or(y),
                    };
                    let Some(bid) = bid else { continue };
                    let gain = unit[bid] - unit[o] - dab;
                    let cand = (gain, trust[o] + trust[bid], o, bid, a, b);
                    let better = match best {
                        None => true,
                        Some(bst) => (cand.0, cand.1) > (bst.0, bst.1),
                    };
                    if better {
                        best = Some(cand);
                    }
                }
            }
        }
        let Some((gain, _, o, bid, a, b)) = best else {
            break;
        };
        if gain < 0 {
            break;
        }
        // the route and its residual capacity
        let mut route = Vec::new();
        let mut cur = a;
        let mut amount = rem[o].min(rem[bid]);
        while cur != b {
            let e = next[cur * n + b];
            debug_assert!(e != NONE && route.len() < 2 * n, "broken route");
            if e == NONE || route.len() >= 2 * n {
                break;
            }
            let (arc, rev) = ((e >> 1) as usize, e & 1 == 1);
            amount = amount.min(if rev {
                flow[arc]
            } else {
                g.arcs[arc].cap - flow[arc]
            });
            cur = if rev {
                g.arcs[arc].from
            } else {
                g.arcs[arc].to
            };
            route.push(e);
        }
        if cur != b || amount == 0 {
            // cannot happen with consistent distances; stop rather than loop
            break;
        }
        for &e in &route {
            let (arc, rev) = ((e >> 1) as usize, e & 1 == 1);
            let before = flow[arc];
            if rev {
                flow[arc] -= amount;
            } else {
                flow[arc] += amount;
            }
            let cap = g.arcs[arc].cap;
            // an arc appears or disappears in the residual graph
            if (before == cap) != (flow[arc] == cap)
                || (reverse && ((before == 0) != (flow[arc] == 0)))
            {
                dirty = true;
            }
        }
        rem[o] -= amount;
        rem[bid] -= amount;
        if !reverse {
            trades.push(RawTrade {
                bid,
                offer: o,
                wh: amount,
                route: route.iter().map(|e| (e >> 1) as usize).collect(),
            });
        }
    }
    if !reverse {
        return trades;
    }
    // pair the taken quantities along the corridor flows
    let mut supply = vec![Vec::new(); n];
    let mut demand = vec![Vec::new(); n];
    for z in 0..n {
        for c in 0..2 {
            for &i in &q.offers[z][c] {
                let taken = book.orders[i].wh - rem[i];
                if taken > 0 {
                    supply[z].push((i, taken));
                }
            }
            for &i in &q.bids[z][c] {
                let taken = book.orders[i].wh - rem[i];
                if taken > 0 {
                    demand[z].push((i, taken));
                }
            }
        }
    }
    decompose(g, supply, &mut demand, &flow)
}

/// Residual all-pairs distances; `next` holds the first residual edge `arc << 1 | reverse`.
fn residual_distances(g: &Graph, flow: &[u64], reverse: bool, d: &mut [i64], next: &mut [u32]) {
    let n = g.nz;
    d.fill(INF);
    next.fill(NONE);
    for i in 0..n {
        d[i * n + i] = 0;
    }
    for (k, a) in g.arcs.iter().enumerate() {
        if flow[k] < a.cap && a.cost < d[a.from * n + a.to] {
            d[a.from * n + a.to] = a.cost;
            next[a.from * n + a.to] = (k as u32) << 1;
        }
        if reverse && flow[k] > 0 && -a.cost < d[a.to * n + a.from] {
            d[a.to * n + a.from] = -a.cost;
            next[a.to * n + a.from] = (k as u32) << 1 | 1;
        }
    }
    floyd_warshall(n, d, next);
}

/// Turns per-zone supplies, demands and corridor arc flows into bilateral trades.
/// Tolerant: a zone that receives less than its flows promise sends and serves less
/// (only the LP's rounding to whole Wh causes that).
pub(crate) fn decompose(
    g: &Graph,
    supply: Vec<Vec<(usize, u64)>>,
    demand: &mut [Vec<(usize, u64)>],
    arc_flow: &[u64],
) -> Vec<RawTrade> {
    let n = g.nz;
    // net flow per corridor, as (arc in the net direction, amount)
    let mut net: Vec<(usize, u64)> = Vec::new();
    for c in 0..g.corridor_ids.len() {
        let (f, b) = (arc_flow[2 * c], arc_flow[2 * c + 1]);
        if f > b {
            net.push((2 * c, f - b));
        } else if b > f {
            net.push((2 * c + 1, b - f));
        }
    }
    cancel_cycles(g, &mut net);
    // topological order of zones along the net flows (Kahn)
    let mut indeg = vec![0usize; n];
    for &(a, _) in &net {
        indeg[g.arcs[a].to] += 1;
    }
    let mut order: Vec<usize> = (0..n).filter(|&z| indeg[z] == 0).collect();
    let mut i = 0;
    while i < order.len() {
        let z = order[i];
        for &(a, _) in &net {
            if g.arcs[a].from == z {
                let t = g.arcs[a].to;
                indeg[t] -= 1;
                if indeg[t] == 0 {
                    order.push(t);
                }
            }
        }
        i += 1;
    }
    struct Chunk {
        offer: usize,
        wh: u64,
        route: Vec<usize>,
    }
    let mut pools: Vec<std::collections::VecDeque<Chunk>> = supply
        .into_iter()
        .map(|s| {
            s.into_iter()
                .map(|(offer, wh)| Chunk {
                    offer,
                    wh,
                    route: Vec::new(),
                })
                .collect()
        })
        .collect();
    let mut trades = Vec::new();
    for &z in &order {
        // serve this zone's bids
        for (bid, need) in demand[z].iter_mut() {
            while *need > 0 {
                let Some(ch) = pools[z].front_mut() else {
                    break;
                };
                let q = ch.wh.min(*need);
                trades.push(RawTrade {
                    bid: *bid,
                    offer: ch.offer,
                    wh: q,
                    route: ch.route.clone(),
                });
                ch.wh -= q;
                *need -= q;
                if ch.wh == 0 {
                    pools[z].pop_front();
                }
            }
        }
        // forward the rest along the outgoing flows
        for &(a, amount) in &net {
            if g.arcs[a].from != z {
                continue;
            }
            let mut left = amount;
            while left > 0 {
                let Some(mut ch) = pools[z].pop_back() else {
                    break;
                };
                let q = ch.wh.min(left);
                left -= q;
                if q < ch.wh {
                    let mut route = ch.route.clone();
                    route.push(a);
                    pools[g.arcs[a].to].push_back(Chunk {
                        offer: ch.offer,
                        wh: q,
                        route,
                    });
                    ch.wh -= q;
                    pools[z].push_back(ch);
                } else {
                    ch.route.push(a);
                    pools[g.arcs[a].to].push_back(ch);
                }
            }
        }
    }
    trades
}

/// Removes directed cycles of positive net flow (they only move energy in a circle).
fn cancel_cycles(g: &Graph, net: &mut Vec<(usize, u64)>) {
    loop {
        let n = g.nz;
        // DFS for a cycle over the net edges
        let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        let mut stack_edges: Vec<usize> = Vec::new();
        let mut found: Option<Vec<usize>> = None;
        fn dfs(
            u: usize,
            g: &Graph,
            net: &[(usize, u64)],
            state: &mut [u8],
            path: &mut Vec<usize>,
            found: &mut Option<Vec<usize>>,
        ) {
            state[u] = 1;
            for (k, &(a, _)) in net.iter().enumerate() {
                if found.is_some() {
                    return;
                }
                if g.arcs[a].from != u {
                    continue;
                }
                let v = g.arcs[a].to;
                path.push(k);
                if state[v] == 1 {
                    // the cycle is the suffix of path starting at the edge leaving v
                    let start = path
                        .iter()
                        .position(|&e| g.arcs[net[e].0].from == v)
                        .unwrap_or(0);
                    *found = Some(path[start..].to_vec());
                    return;
                } else if state[v] == 0 {
                    dfs(v, g, net, state, path, found);
                }
                path.pop();
            }
            state[u] = 2;
        }
        for s in 0..n {
            if state[s] == 0 && found.is_none() {
                dfs(s, g, net, &mut state, &mut stack_edges, &mut found);
            }
        }
        let Some(cycle) = found else { return };
        let m = cycle.iter().map(|&k| net[k].1).min().unwrap_or(0);
        for &k in &cycle {
            net[k].1 -= m;
        }
        net.retain(|&(_, f)| f > 0);
    }
}

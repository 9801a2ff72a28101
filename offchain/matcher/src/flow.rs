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
//! premium buyers). Then it runs in two phases, each an exact single-commodity flow:
//! premium-only offers with premium bids first (they have no other buyers), then open
//! offers with all remaining bids on the corridor capacity left. The split is a
//! heuristic; `Method::Exact` solves that case exactly.
use crate::graph::{floyd_warshall, Book, Graph, Queues, INF};
use std::collections::VecDeque;

/// Predicates (offer is premium-only, bid is premium) for a gate-aware decomposition.
pub(crate) type Gates<'a> = (&'a dyn Fn(usize) -> bool, &'a dyn Fn(usize) -> bool);

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
    let q = book.queues(g);
    let mut rem: Vec<u64> = book.orders.iter().map(|o| o.wh).collect();
    let caps: Vec<u64> = g.arcs.iter().map(|a| a.cap).collect();
    let all = [true, true];
    if !book.gated {
        let (mut supply, mut demand, flow) = phase(g, book, &q, &mut rem, &caps, all, all);
        return decompose(g, &mut supply, &mut demand, &flow, None);
    }
    // 1. the optimum without the gates (an upper bound), paired so that premium-only
    //    energy only reaches premium bids; often every unit finds such a pairing
    let gated = |i: usize| book.orders[i].premium_only;
    let premium = |i: usize| book.orders[i].premium;
    let (mut supply, mut demand, flow) = phase(g, book, &q, &mut rem, &caps, all, all);
    let mut trades = decompose(g, &mut supply, &mut demand, &flow, Some((&gated, &premium)));
    // 2. what could not be paired is matched again on the capacity left
    fill(g, book, &q, &mut trades);
    trades
}

/// Matches what `trades` left (order quantities not filled, arc capacity not used) by
/// exact single-commodity flows on the rest, without re-routing `trades`: premium-only
/// offers with premium bids first (they have no other buyers), then open offers with
/// all bids; without premium-only offers one flow. Every augmentation has a
/// non-negative gain, so the welfare never decreases.
pub(crate) fn fill(g: &Graph, book: &Book, q: &Queues, trades: &mut Vec<RawTrade>) {
    let mut rem: Vec<u64> = book.orders.iter().map(|o| o.wh).collect();
    let mut left: Vec<u64> = g.arcs.iter().map(|a| a.cap).collect();
    for t in trades.iter() {
        rem[t.bid] = rem[t.bid].saturating_sub(t.wh);
        rem[t.offer] = rem[t.offer].saturating_sub(t.wh);
        for &a in &t.route {
            left[a] = left[a].saturating_sub(t.wh);
        }
    }
    let all = [true, true];
    let phases: &[([bool; 2], [bool; 2])] = if book.gated {
        &[([false, true], [false, true]), ([true, false], all)]
    } else {
        &[(all, all)]
    };
    for &(offers, bids) in phases {
        let (mut s2, mut d2, f2) = phase(g, book, q, &mut rem, &left, offers, bids);
        for (l, f) in left.iter_mut().zip(&f2) {
            *l -= f;
        }
        trades.extend(decompose(g, &mut s2, &mut d2, &f2, None));
    }
}

type Taken = Vec<Vec<(usize, u64)>>;

/// One successive-shortest-path run over the offer classes `offers` ([open, premium-only])
/// and bid classes `bids` ([plain, premium]) with arc capacities `caps`. Returns what each
/// zone's offers and bids took (premium bids first) and the arc flows.
fn phase(
    g: &Graph,
    book: &Book,
    q: &Queues,
    rem: &mut [u64],
    caps: &[u64],
    offers: [bool; 2],
    bids: [bool; 2],
) -> (Taken, Taken, Vec<u64>) {
    let n = g.nz;
    let start: Vec<u64> = rem.to_vec();
    let unit: Vec<i64> = (0..book.orders.len()).map(|i| book.unit(i, g)).collect();
    let trust: Vec<u64> = book.orders.iter().map(|o| o.trust as u64).collect();
    let mut off_ptr = vec![[0usize; 2]; n];
    let mut bid_ptr = vec![[0usize; 2]; n];
    let mut flow = vec![0u64; g.arcs.len()];
    let mut d = vec![INF; n * n];
    let mut next = vec![NONE; n * n];
    let mut dirty = true;
    let mut offer_heads = vec![None; n];
    let mut bid_heads = vec![None; n];

    let head = |list: &[usize], ptr: &mut usize, rem: &[u64]| -> Option<usize> {
        while *ptr < list.len() && rem[list[*ptr]] == 0 {
            *ptr += 1;
        }
        list.get(*ptr).copied()
    };
    // the better of two candidates: higher value, then more trust (queues are sorted, so
    // each queue head is its class's best)
    let pick = |x: Option<usize>, y: Option<usize>, key: &dyn Fn(usize) -> (i64, u64)| match (x, y)
    {
        (Some(a), Some(b)) => Some(if key(b) > key(a) { b } else { a }),
        (a, b) => a.or(b),
    };

    loop {
        if dirty {
            residual_distances(g, caps, &flow, &mut d, &mut next);
            dirty = false;
        }
        for z in 0..n {
            let mut h = [None, None];
            let mut k = [None, None];
            for c in 0..2 {
                if offers[c] {
                    h[c] = head(&q.offers[z][c], &mut off_ptr[z][c], rem);
                }
                if bids[c] {
                    k[c] = head(&q.bids[z][c], &mut bid_ptr[z][c], rem);
                }
            }
            offer_heads[z] = pick(h[0], h[1], &|i| (-unit[i], trust[i]));
            bid_heads[z] = pick(k[0], k[1], &|i| (unit[i], trust[i]));
        }
        // best (gain, trust, offer, bid, a, b)
        let mut best: Option<(i64, u64, usize, usize, usize, usize)> = None;
        for a in 0..n {
            let Some(o) = offer_heads[a] else { continue };
            for b in 0..n {
                let dab = d[a * n + b];
                let Some(bid) = bid_heads[b] else { continue };
                if dab >= INF {
                    continue;
                }
                let cand = (
                    unit[bid] - unit[o] - dab,
                    trust[o] + trust[bid],
                    o,
                    bid,
                    a,
                    b,
                );
                if best.is_none_or(|bst| (cand.0, cand.1) > (bst.0, bst.1)) {
                    best = Some(cand);
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
            if e == NONE || route.len() >= 2 * n {
                break;
            }
            let (arc, rev) = ((e >> 1) as usize, e & 1 == 1);
            amount = amount.min(if rev {
                flow[arc]
            } else {
                caps[arc] - flow[arc]
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
            debug_assert!(false, "broken route");
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
            // an arc appears or disappears in the residual graph
            if (before == caps[arc]) != (flow[arc] == caps[arc])
                || (before == 0) != (flow[arc] == 0)
            {
                dirty = true;
            }
        }
        rem[o] -= amount;
        rem[bid] -= amount;
    }
    // pair the taken quantities along the corridor flows
    let mut supply = vec![Vec::new(); n];
    let mut demand = vec![Vec::new(); n];
    for z in 0..n {
        for c in 0..2 {
            for &i in &q.offers[z][c] {
                if start[i] > rem[i] {
                    supply[z].push((i, start[i] - rem[i]));
                }
            }
            for &i in &q.bids[z][1 - c] {
                if start[i] > rem[i] {
                    demand[z].push((i, start[i] - rem[i]));
                }
            }
        }
    }
    (supply, demand, flow)
}

/// Residual all-pairs distances; `next` holds the first residual edge `arc << 1 | reverse`.
fn residual_distances(g: &Graph, caps: &[u64], flow: &[u64], d: &mut [i64], next: &mut [u32]) {
    let n = g.nz;
    d.fill(INF);
    next.fill(NONE);
    for i in 0..n {
        d[i * n + i] = 0;
    }
    for (k, a) in g.arcs.iter().enumerate() {
        if flow[k] < caps[k] && a.cost < d[a.from * n + a.to] {
            d[a.from * n + a.to] = a.cost;
            next[a.from * n + a.to] = (k as u32) << 1;
        }
        if flow[k] > 0 && -a.cost < d[a.to * n + a.from] {
            d[a.to * n + a.from] = -a.cost;
            next[a.to * n + a.from] = (k as u32) << 1 | 1;
        }
    }
    floyd_warshall(n, d, next);
}

/// Turns per-zone supplies, demands and corridor arc flows into bilateral trades.
/// Tolerant: a zone that receives less than its flows promise sends and serves less
/// (only the LP's rounding to whole Wh causes that).
/// With `gates` (is the offer premium-only, is the bid premium) premium-only energy goes
/// to premium bids only: premium bids take it first, plain bids take open energy only,
/// and what finds no valid buyer stays unpaired. `demand` lists premium bids first.
pub(crate) fn decompose(
    g: &Graph,
    supply: &mut [Vec<(usize, u64)>],
    demand: &mut [Vec<(usize, u64)>],
    arc_flow: &[u64],
    gates: Option<Gates>,
) -> Vec<RawTrade> {
    let n = g.nz;
    let (net, order) = acyclic_net_flow(g, arc_flow);
    struct Chunk {
        offer: usize,
        wh: u64,
        route: Vec<usize>,
    }
    let is_gated = |o: usize| gates.is_some_and(|(gf, _)| gf(o));
    let is_premium = |b: usize| gates.is_none_or(|(_, pf)| pf(b));
    // per zone: [open, premium-only] chunk queues
    let mut pools: Vec<[VecDeque<Chunk>; 2]> =
        (0..n).map(|_| [VecDeque::new(), VecDeque::new()]).collect();
    for (z, s) in supply.iter_mut().enumerate() {
        for (offer, wh) in s.drain(..) {
            pools[z][is_gated(offer) as usize].push_back(Chunk {
                offer,
                wh,
                route: Vec::new(),
            });
        }
    }
    let mut trades = Vec::new();
    for &z in &order {
        // serve this zone's bids: premium bids take premium-only energy first
        for (bid, need) in demand[z].iter_mut() {
            let classes: &[usize] = if is_premium(*bid) { &[1, 0] } else { &[0] };
            for &c in classes {
                while *need > 0 {
                    let Some(ch) = pools[z][c].front_mut() else {
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
                        pools[z][c].pop_front();
                    }
                }
            }
        }
        // forward the rest along the outgoing flows, premium-only energy first
        for &(a, amount) in &net {
            if g.arcs[a].from != z {
                continue;
            }
            let mut left = amount;
            for c in [1, 0] {
                while left > 0 {
                    let Some(mut ch) = pools[z][c].pop_back() else {
                        break;
                    };
                    let q = ch.wh.min(left);
                    left -= q;
                    let to = g.arcs[a].to;
                    if q < ch.wh {
                        let mut route = ch.route.clone();
                        route.push(a);
                        pools[to][c].push_back(Chunk {
                            offer: ch.offer,
                            wh: q,
                            route,
                        });
                        ch.wh -= q;
                        pools[z][c].push_back(ch);
                    } else {
                        ch.route.push(a);
                        pools[to][c].push_back(ch);
                    }
                }
            }
        }
    }
    trades
}

/// The net flow per corridor (opposite arc flows cancelled) as (arc in the net
/// direction, amount), with directed cycles removed, and the zones in a topological
/// order of it (every zone after all zones that send it energy).
pub(crate) fn acyclic_net_flow(g: &Graph, arc_flow: &[u64]) -> (Vec<(usize, u64)>, Vec<usize>) {
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
    (net, order)
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

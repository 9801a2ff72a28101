//! The detectors. Each reads the [`Ledger`] and returns [`Finding`]s whose
//! evidence says what it saw; none flags on a single weak signal.
//!
//! | detector | flags | when |
//! | --- | --- | --- |
//! | [`wash`] | wash trading, self-dealing | trades go round (A→B→A, A→B→C→A: a cycle of the trade graph) between accounts linked by private funding, or at prices far from the slot's clearing price |
//! | [`ring`] | review rings | a dense group of mutual high ratings, or ratings that ignore delivery (5 stars for a short delivery) |
//! | [`sybil`] | Sybil clusters | many accounts funded by one private wallet, corroborated by trading among themselves, ordering in the same slots, or low trust from the KYC seeds (SybilRank) |
//! | [`meter`] | meter fraud | exports the meter cannot make: above its clear-sky PV envelope plus storage (PV at night, above rated power), or a jump in its yield against the other meters under the same sun |

pub mod meter;
pub mod ring;
pub mod sybil;
pub mod wash;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::event::Account;
use crate::evidence::Finding;
use crate::ledger::Ledger;

/// Detector thresholds. Every field has a default; unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectConfig {
    /// Accounts whose transfers do not link others (the minter, treasury,
    /// contracts, exchanges).
    pub infrastructure: BTreeSet<Account>,
    /// KYC-verified seeds of the trust propagation (besides accounts
    /// registered through a KYC proof).
    pub seeds: BTreeSet<Account>,
    /// Wash: trades along a directed edge before it counts in a cycle.
    pub wash_min_edge_trades: usize,
    /// Wash: an unlinked cycle counts when its mean price deviates from the
    /// slots' clearing prices by at least this share.
    pub wash_price_deviation: f64,
    /// Ring: smallest group of mutual reviewers.
    pub ring_min_size: usize,
    /// Ring: mutual pairs / possible pairs in the group.
    pub ring_min_density: f64,
    /// Ring: share of the group's traded energy that stays inside it.
    pub ring_min_internal_share: f64,
    /// Ring: a rating at or above this is "high".
    pub ring_high_rating: u8,
    /// Ring: a delivery below this share is short.
    pub ring_short_delivery: f64,
    /// Ring: high ratings of short deliveries that flag a reviewer alone.
    pub ring_min_inflated: usize,
    /// Sybil: smallest cluster funded by one private wallet.
    pub sybil_min_cluster: usize,
    /// Sybil: share of the cluster's traded energy that stays inside it.
    pub sybil_min_internal_share: f64,
    /// Sybil: mean Jaccard similarity of the members' order slots.
    pub sybil_min_timing: f64,
    /// Sybil: a member's degree-normalised trust below this share of the
    /// median trader's is "low".
    pub sybil_trust_floor: f64,
    /// Meter: PV envelope = rated power x clear-sky GHI / 1000 x this factor.
    pub meter_envelope_factor: f64,
    /// Meter: slots over the envelope before a meter is flagged.
    pub meter_min_violations: usize,
    /// Meter: a meter whose daily yield relative to its neighbours rose by
    /// at least this share over its own earlier days is flagged.
    pub meter_step: f64,
    /// Meter: days of history before the neighbour comparison counts.
    pub meter_baseline_days: usize,
    /// Grid location (lat, lon) for the clear-sky model.
    pub location: (f64, f64),
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            infrastructure: BTreeSet::new(),
            seeds: BTreeSet::new(),
            wash_min_edge_trades: 3,
            wash_price_deviation: 0.5,
            ring_min_size: 3,
            ring_min_density: 0.3,
            ring_min_internal_share: 0.5,
            ring_high_rating: 4,
            ring_short_delivery: 0.95,
            ring_min_inflated: 3,
            sybil_min_cluster: 4,
            sybil_min_internal_share: 0.5,
            sybil_min_timing: 0.5,
            sybil_trust_floor: 0.1,
            meter_envelope_factor: 1.1,
            meter_min_violations: 3,
            meter_step: 0.2,
            meter_baseline_days: 1,
            // SimBench's LV grids carry no location; the simulation's (central Germany).
            location: (51.0, 10.0),
        }
    }
}

/// Share of the Wh traded by a group's members that stayed inside it
/// (seller and buyer both members); 0 when the group traded nothing.
pub(crate) fn internal_share(l: &Ledger, members: &BTreeSet<&str>) -> f64 {
    let (mut inside, mut total) = (0u64, 0u64);
    for t in &l.trades {
        let (s, b) = (
            members.contains(t.seller.as_str()),
            members.contains(t.buyer.as_str()),
        );
        if s || b {
            total += t.wh;
            if s && b {
                inside += t.wh;
            }
        }
    }
    if total > 0 {
        inside as f64 / total as f64
    } else {
        0.0
    }
}

/// Runs every detector; an account may appear under several codes.
pub fn run_all(l: &Ledger, cfg: &DetectConfig) -> Vec<Finding> {
    let mut out = sybil::detect(l, cfg);
    out.extend(wash::detect(l, cfg));
    out.extend(ring::detect(l, cfg));
    out.extend(meter::detect(l, cfg));
    out
}

/// Strongly connected components of a directed graph on `0..n` (Tarjan,
/// iterative), each sorted.
pub(crate) fn strongly_connected(n: usize, adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on = vec![false; n];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work = vec![(root, 0usize)];
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if *i == 0 {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on[v] = true;
            }
            if let Some(&w) = adj[v].get(*i) {
                *i += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(u, _)) = work.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == index[v] {
                let mut c = Vec::new();
                while let Some(w) = stack.pop() {
                    on[w] = false;
                    c.push(w);
                    if w == v {
                        break;
                    }
                }
                c.sort_unstable();
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scc_finds_cycles_and_leaves_chains_apart() {
        // 0->1->2->0 cycle, 3->4 chain, 5<->6 pair
        let adj = vec![vec![1], vec![2], vec![0], vec![4], vec![], vec![6], vec![5]];
        let mut c = strongly_connected(7, &adj);
        c.sort();
        assert_eq!(c, vec![vec![0, 1, 2], vec![3], vec![4], vec![5, 6]]);
    }
}

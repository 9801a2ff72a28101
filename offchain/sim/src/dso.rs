//! The grid operator (DSO) in the simulation: what it publishes in
//! settlement. At setup, one settlement corridor per ordered zone pair of the
//! radial grid ([`routes`]) and the node → zone map ([`node_zones`]); every
//! slot, congestion fees from the slot's forecast zone flows
//! ([`congestion_fee`], [`slot_fees`]), which the matcher reads from the chain
//! as the online agent does.

use std::collections::{BTreeMap, VecDeque};

use aip_types::ZoneId;
use cosmwasm_std::Uint128;
use settlement::msg::{CongestionFee, Corridor as SCorridor, NodeZone};

use crate::chain::Participant;
use aip_matcher::Corridor;

/// The congestion fee of a route whose forecast flow reaches its capacity,
/// uaip/kWh (0.02 AIP/kWh: a tenth of a daytime bid-offer spread, so a full
/// route still trades but a local seller at the same price comes first).
pub const FEE_AT_CAPACITY: u64 = 20_000;

/// The DSO's congestion fee of a route for a slot: proportional to the share
/// of its capacity the slot's forecast flow would use, [`FEE_AT_CAPACITY`] at
/// or above capacity, rounded down to whole uaip/kWh; 0 without forecast
/// flow. A route without capacity carries nothing and costs the full fee.
///
/// `congestion_fee(250, 1_000) == 5_000`; `congestion_fee(3_000, 1_000) == 20_000`.
pub fn congestion_fee(forecast_wh: u64, capacity_wh: u64) -> u64 {
    if forecast_wh == 0 {
        return 0;
    }
    if capacity_wh == 0 {
        return FEE_AT_CAPACITY;
    }
    let used = u128::from(forecast_wh.min(capacity_wh));
    // used <= capacity, so the quotient is at most FEE_AT_CAPACITY.
    (u128::from(FEE_AT_CAPACITY) * used / u128::from(capacity_wh)) as u64
}

/// The forecast of one zone for a slot: what its households plan to sell
/// and to buy (their offers and bids, made from their load and PV
/// forecasts and battery plans), Wh.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZoneForecast {
    /// Wh offered.
    pub offered_wh: u64,
    /// Wh bid for.
    pub bid_wh: u64,
}

/// The slot's fee of every route with forecast flow: a route from zone `a`
/// to zone `b` would carry at most what `a` has left after its own demand and
/// what `b` lacks after its own supply; its fee is [`congestion_fee`] of that
/// against the route's capacity. Routes without flow keep their published
/// fee (none in the simulation) and get no override.
pub fn slot_fees(
    zones: &BTreeMap<ZoneId, ZoneForecast>,
    routes: &[SCorridor],
) -> Vec<CongestionFee> {
    let f = |z: ZoneId| zones.get(&z).copied().unwrap_or_default();
    routes
        .iter()
        .filter_map(|r| {
            let (a, b) = (f(r.from_zone), f(r.to_zone));
            let surplus = a.offered_wh.saturating_sub(a.bid_wh);
            let deficit = b.bid_wh.saturating_sub(b.offered_wh);
            let capacity = u64::try_from(r.capacity_wh.u128()).unwrap_or(u64::MAX);
            let fee = congestion_fee(surplus.min(deficit), capacity);
            (fee > 0).then(|| CongestionFee {
                from_zone: r.from_zone,
                to_zone: r.to_zone,
                fee_per_kwh: Uint128::from(fee),
            })
        })
        .collect()
}

/// The grid operator's node -> zone map of the participants' meters.
pub fn node_zones(people: &[Participant]) -> Vec<NodeZone> {
    people
        .iter()
        .map(|p| (p.node, p.zone))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .map(|(node, zone)| NodeZone { node, zone })
        .collect()
}

/// Every route between two zones of a radial grid: the corridors on the tree
/// path, their losses added and the smallest capacity, as one directed
/// settlement corridor per ordered zone pair (settlement prices one corridor
/// per trade), published without a standing fee (the fees are per slot,
/// [`slot_fees`]).
pub fn routes(zones: &[ZoneId], corridors: &[Corridor]) -> Vec<SCorridor> {
    let mut adj: BTreeMap<ZoneId, Vec<(ZoneId, u64, u32)>> = BTreeMap::new();
    for c in corridors {
        adj.entry(c.from)
            .or_default()
            .push((c.to, c.capacity_wh, c.loss_bps));
        adj.entry(c.to)
            .or_default()
            .push((c.from, c.capacity_wh, c.loss_bps));
    }
    let mut out = Vec::new();
    for &a in zones {
        // BFS from a, carrying (min capacity, summed loss)
        let mut seen: BTreeMap<ZoneId, (u64, u32)> = BTreeMap::new();
        seen.insert(a, (u64::MAX, 0));
        let mut q = VecDeque::from([a]);
        while let Some(z) = q.pop_front() {
            let (cap, loss) = seen[&z];
            for &(n, c, l) in adj.get(&z).map(|v| v.as_slice()).unwrap_or(&[]) {
                if let std::collections::btree_map::Entry::Vacant(e) = seen.entry(n) {
                    e.insert((cap.min(c), (loss + l).min(10_000)));
                    q.push_back(n);
                }
            }
        }
        for (&b, &(cap, loss)) in &seen {
            if b != a {
                out.push(SCorridor {
                    from_zone: a,
                    to_zone: b,
                    capacity_wh: Uint128::from(cap),
                    loss_bps: loss,
                    fee_per_kwh: Uint128::zero(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fee_grows_with_the_forecast_use_of_the_route_and_stops_at_capacity() {
        assert_eq!(congestion_fee(0, 1_000), 0);
        assert_eq!(congestion_fee(250, 1_000), 5_000);
        assert_eq!(congestion_fee(333, 1_000), 6_660);
        // rounded down: 20_000 * 1 / 3 = 6_666.67
        assert_eq!(congestion_fee(1, 3), 6_666);
        assert_eq!(congestion_fee(1_000, 1_000), FEE_AT_CAPACITY);
        assert_eq!(congestion_fee(3_000, 1_000), FEE_AT_CAPACITY);
        assert_eq!(congestion_fee(1, 0), FEE_AT_CAPACITY);
        assert_eq!(congestion_fee(u64::MAX, u64::MAX), FEE_AT_CAPACITY);
    }

    fn corridor(from_zone: ZoneId, to_zone: ZoneId, capacity: u64) -> SCorridor {
        SCorridor {
            from_zone,
            to_zone,
            capacity_wh: Uint128::from(capacity),
            loss_bps: 100,
            fee_per_kwh: Uint128::zero(),
        }
    }

    #[test]
    fn a_route_is_priced_by_what_its_seller_zone_has_left_and_its_buyer_zone_lacks() {
        let zones = BTreeMap::from([
            // zone 1 offers 3 kWh and needs 1: 2 kWh to spare
            (
                1,
                ZoneForecast {
                    offered_wh: 3_000,
                    bid_wh: 1_000,
                },
            ),
            // zone 2 lacks 500 Wh
            (
                2,
                ZoneForecast {
                    offered_wh: 0,
                    bid_wh: 500,
                },
            ),
            // zone 3 lacks 4 kWh
            (
                3,
                ZoneForecast {
                    offered_wh: 0,
                    bid_wh: 4_000,
                },
            ),
        ]);
        let routes = [
            corridor(1, 2, 1_000),
            corridor(1, 3, 1_000),
            corridor(2, 1, 1_000),
            corridor(3, 2, 1_000),
        ];
        let fees: Vec<(ZoneId, ZoneId, u128)> = slot_fees(&zones, &routes)
            .into_iter()
            .map(|f| (f.from_zone, f.to_zone, f.fee_per_kwh.u128()))
            .collect();
        // 1 -> 2: min(2000, 500) of 1000 = half; 1 -> 3: min(2000, 4000) >= capacity;
        // 2 -> 1 and 3 -> 2: nothing to spare in the seller zone, no override.
        assert_eq!(fees, vec![(1, 2, 10_000), (1, 3, 20_000)]);
    }

    #[test]
    fn routes_of_a_radial_grid_add_losses_and_take_the_smallest_capacity() {
        let c = |from, to, capacity_wh, loss_bps| Corridor {
            id: from,
            from,
            to,
            capacity_wh,
            loss_bps,
            fee: 0,
        };
        let r = routes(&[1, 2, 3], &[c(1, 2, 500, 100), c(2, 3, 300, 50)]);
        let got: Vec<(ZoneId, ZoneId, u128, u32)> = r
            .iter()
            .map(|r| (r.from_zone, r.to_zone, r.capacity_wh.u128(), r.loss_bps))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 2, 500, 100),
                (1, 3, 300, 150),
                (2, 1, 500, 100),
                (2, 3, 300, 50),
                (3, 1, 300, 150),
                (3, 2, 300, 50),
            ]
        );
        assert!(r.iter().all(|r| r.fee_per_kwh.is_zero()));
    }
}

//! The matcher's answers equal the contract's rules on random inputs, where
//! the matcher computes from the chain's JSON instead of calling the rule:
//! * its routes (`aip_matcher::online::to_routes`) are `settlement::rules::route`
//!   with the capacity left after the slot's use;
//! * its matching slot (`aip_matcher::online::matching_slot`) is the slot in
//!   the `matching` phase of `settlement::rules::timeline`;
//! * every trade it fits for a commit (`aip_matcher::online::to_commit`)
//!   passes the contract's trade rules (`check_limits`, `check_fee`,
//!   `check_capacity` on the route).
//!
//! `rule_homes.rs` checks that the other callers call the rule functions
//! themselves.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use std::collections::BTreeMap;

use aip_matcher::online::{
    matching_slot, to_commit, to_routes, ChainCorridor, ChainFee, ChainNetwork, ChainZone,
    CorridorUsage,
};
use aip_matcher::{Order, OrderBook, Side, Trade};
use aip_testing::deployment::default_settlement_params;
use aip_types::SlotId;
use cosmwasm_std::Uint128;
use proptest::prelude::*;
use settlement::msg::{Corridor, MarketParams, SlotPhase};
use settlement::rules;

const ZONES: u32 = 4;
/// The contract's bound on fees and prices (uaip/kWh).
const MAX_FEE: u64 = 10_000_000_000;

/// A random network: zones 1..=4, a directed corridor on some ordered pairs,
/// fee overrides on some pairs (zone to itself included), some use.
#[derive(Clone, Debug)]
struct Net {
    corridors: Vec<Corridor>,
    overrides: BTreeMap<(u32, u32), u64>,
    used: BTreeMap<(u32, u32), u64>,
}

fn net() -> impl Strategy<Value = Net> {
    let pair = (1..=ZONES, 1..=ZONES);
    let corridor = (pair.clone(), 0..=u64::MAX, 0..=10_000u32, 0..=MAX_FEE);
    (
        prop::collection::vec(corridor, 0..8),
        prop::collection::btree_map(pair.clone(), 0..=MAX_FEE, 0..6),
        prop::collection::btree_map(pair, 0..=u64::MAX, 0..6),
    )
        .prop_map(|(cs, overrides, used)| {
            let mut by_pair = BTreeMap::new();
            for ((from, to), cap, loss, fee) in cs {
                if from != to {
                    by_pair.insert(
                        (from, to),
                        Corridor {
                            from_zone: from,
                            to_zone: to,
                            capacity_wh: Uint128::from(cap),
                            loss_bps: loss,
                            fee_per_kwh: Uint128::from(fee),
                        },
                    );
                }
            }
            let corridors: Vec<Corridor> = by_pair.into_values().collect();
            // The contract takes fees only for a zone itself or an existing
            // corridor, and records use only on corridors.
            let exists = |&(a, b): &(u32, u32)| {
                a == b || corridors.iter().any(|c| (c.from_zone, c.to_zone) == (a, b))
            };
            let overrides = overrides.into_iter().filter(|(k, _)| exists(k)).collect();
            let used = used
                .into_iter()
                .filter(|(k, _)| k.0 != k.1 && exists(k))
                .collect();
            Net {
                corridors,
                overrides,
                used,
            }
        })
}

/// The network as the chain's queries answer it (`network`,
/// `congestion_fees`, `slot_status.corridor_usage`).
fn chain_json(n: &Net) -> (ChainNetwork, Vec<ChainFee>, Vec<CorridorUsage>) {
    let net = ChainNetwork {
        zones: (1..=ZONES)
            .map(|id| ChainZone {
                id,
                name: format!("z{id}"),
            })
            .collect(),
        corridors: n
            .corridors
            .iter()
            .map(|c| ChainCorridor {
                from_zone: c.from_zone,
                to_zone: c.to_zone,
                capacity_wh: c.capacity_wh.to_string(),
                loss_bps: c.loss_bps,
                fee_per_kwh: c.fee_per_kwh.to_string(),
            })
            .collect(),
    };
    let fees = n
        .overrides
        .iter()
        .map(|(&(from_zone, to_zone), fee)| ChainFee {
            from_zone,
            to_zone,
            fee_per_kwh: fee.to_string(),
        })
        .collect();
    let usage = n
        .used
        .iter()
        .map(|(&(from_zone, to_zone), used)| CorridorUsage {
            from_zone,
            to_zone,
            used_wh: used.to_string(),
        })
        .collect();
    (net, fees, usage)
}

/// The contract's route from `from` to `to` with the capacity left.
fn contract_route(n: &Net, from: u32, to: u32) -> Option<(u32, u64, Option<u64>)> {
    let corridor = n
        .corridors
        .iter()
        .find(|c| (c.from_zone, c.to_zone) == (from, to));
    let fee = n.overrides.get(&(from, to)).map(|f| Uint128::from(*f));
    let r = rules::route(from, to, corridor.filter(|_| from != to), fee)?;
    let left = r.capacity.map(|cap| {
        let used = Uint128::from(n.used.get(&(from, to)).copied().unwrap_or(0));
        // What a trade may still take: the largest `wh` check_capacity accepts.
        u64::try_from(cap.saturating_sub(used).u128()).unwrap()
    });
    Some((r.loss_bps, u64::try_from(r.fee.u128()).unwrap(), left))
}

/// The deployment's market parameters with a gate closure of `gate_closure_secs`.
fn params(gate_closure_secs: u64) -> MarketParams {
    MarketParams {
        gate_closure_secs,
        ..default_settlement_params()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_matchers_routes_are_the_contracts(n in net()) {
        let (net, fees, usage) = chain_json(&n);
        let routes = to_routes(&net, &fees, &usage).unwrap();
        for from in 1..=ZONES {
            for to in 1..=ZONES {
                let matcher = routes
                    .get(&(from, to))
                    .map(|r| (r.loss_bps, r.fee, r.capacity));
                prop_assert_eq!(matcher, contract_route(&n, from, to), "route {}->{}", from, to);
            }
        }
    }

    #[test]
    fn the_matchers_slot_is_the_one_the_timeline_puts_in_matching(
        now in 0u64..4_000_000_000,
        gate in 0u64..=900,
    ) {
        let next = SlotId::containing(now).next().unwrap();
        let phase = rules::timeline(next, &params(gate), None).phase(now, false);
        let expected = (phase == SlotPhase::Matching).then_some(next.start());
        prop_assert_eq!(matching_slot(now, gate), expected);
    }

    #[test]
    fn every_trade_the_matcher_fits_passes_the_contracts_trade_rules(
        n in net(),
        orders in prop::collection::vec(
            (any::<bool>(), 1..=ZONES, 1u64..=5_000, 1u64..=1_000_000),
            2..12,
        ),
        picks in prop::collection::vec((0usize..12, 0usize..12, 1u64..=6_000, 0u64..=1_200_000), 0..16),
    ) {
        let (net, fees, usage) = chain_json(&n);
        let routes = to_routes(&net, &fees, &usage).unwrap();
        let book = OrderBook {
            slot: 9_000,
            orders: orders
                .iter()
                .enumerate()
                .map(|(i, &(bid, zone, wh, limit))| Order {
                    id: i as u64,
                    owner: format!("owner{i}"),
                    side: if bid { Side::Bid } else { Side::Offer },
                    zone,
                    node: 0,
                    wh,
                    limit_price: limit,
                    premium_only: false,
                    premium: false,
                    trust: 0,
                    window: None,
                })
                .collect(),
        };
        // Trades as a clearing might propose them, right or wrong: the
        // fitting must leave only what the contract accepts.
        let bids: Vec<&Order> = book.orders.iter().filter(|o| o.side == Side::Bid).collect();
        let offers: Vec<&Order> = book.orders.iter().filter(|o| o.side == Side::Offer).collect();
        prop_assume!(!bids.is_empty() && !offers.is_empty());
        let proposed: Vec<Trade> = picks
            .iter()
            .map(|&(b, o, wh, price)| {
                let (b, o) = (bids[b % bids.len()], offers[o % offers.len()]);
                Trade {
                    bid: b.id,
                    offer: o.id,
                    buyer: b.owner.clone(),
                    seller: o.owner.clone(),
                    wh,
                    price,
                    fee: 0,
                    from_zone: o.zone,
                    to_zone: b.zone,
                    loss_bps: 0,
                }
            })
            .collect();
        let (fitted, _dropped) = to_commit(&book, &proposed, &routes);
        let limit = |id: u64| Uint128::from(book.orders[id as usize].limit_price);
        let zone = |id: u64| book.orders[id as usize].zone;
        let mut used: BTreeMap<(u32, u32), Uint128> = BTreeMap::new();
        for t in &fitted {
            let key = (zone(t.offer), zone(t.bid));
            let wh = Uint128::new(t.wh.parse().unwrap());
            let price = Uint128::new(t.price.parse().unwrap());
            let corridor = n.corridors.iter().find(|c| (c.from_zone, c.to_zone) == key);
            let fee = n.overrides.get(&key).map(|f| Uint128::from(*f));
            let route = rules::route(key.0, key.1, corridor.filter(|_| key.0 != key.1), fee);
            prop_assert!(route.is_some(), "a fitted trade {:?} has no route {:?}", t, key);
            let route = route.unwrap();
            prop_assert_eq!(rules::check_quantity(wh), Ok(()));
            prop_assert_eq!(rules::check_limits(price, limit(t.bid), limit(t.offer)), Ok(()));
            prop_assert_eq!(rules::check_fee(price, route.fee, limit(t.bid)), Ok(()));
            if let Some(capacity) = route.capacity {
                let before = *used.entry(key).or_insert_with(|| {
                    Uint128::from(n.used.get(&key).copied().unwrap_or(0))
                });
                let after = rules::check_capacity(key, capacity, before, wh);
                prop_assert!(after.is_ok(), "{:?}", after);
                used.insert(key, after.unwrap());
            }
        }
    }
}

//! The in-process chain on deposits and signed intents, step by step: real
//! contracts (cw-multi-test), real secp256k1 keys, and the online matcher's
//! own commit path (screen, plan on the contract's routes with the DSO's
//! congestion fees, one `CommitIntents`).
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use std::collections::{BTreeMap, BTreeSet};

use aip_matcher::agent_view::{ViewBuilder, ViewQuery, ViewSources};
use aip_matcher::intents::{screen, ChainView, Commit};
use aip_matcher::online::{plan, to_routes, ChainNetwork, FeesResponse, SlotStatus};
use aip_matcher::Method;
use aip_sim::chain::{market_deposit, MarketChain, NewOrder, Participant, Reading};
use aip_sim::inprocess::{sim_settlement_params, InProcessChain};
use aip_sim::market::{Corridor, Network, Order, Side};
use aip_testing::deployment::roles;
use aip_types::intent::sign::IntentKey;
use aip_types::intent::{KIND_COSMOS_ADR036, KIND_ETH_EIP712};
use aip_types::{SlotId, ZoneId, SLOT_SECONDS};
use cosmwasm_std::Addr;
use cw_multi_test::Executor;
use serde::de::DeserializeOwned;
use settlement::msg::{
    ConfigResponse, ExecuteMsg, MarketParams, QueryMsg, SlotStatusResponse, TradesResponse,
};

/// `n` households `h0..`; household `i` in `zone(i)`.
fn people(n: usize, zone: impl Fn(usize) -> ZoneId) -> Vec<Participant> {
    (0..n)
        .map(|i| Participant {
            name: format!("h{i}"),
            zone: zone(i),
            node: zone(i),
        })
        .collect()
}

/// A chain set up for `people` funded with `funding` uaip each on `net`,
/// and a slot an hour ahead of its clock.
fn chain_on(
    people: &[Participant],
    net: &Network,
    funding: u128,
    params: Option<MarketParams>,
) -> (InProcessChain, SlotId) {
    let mut c = InProcessChain::new().expect("deploy");
    if let Some(p) = params {
        let admin = c.d.admin.clone();
        let settlement = c.d.settlement.clone();
        c.d.app
            .execute_contract(
                admin,
                settlement,
                &ExecuteMsg::UpdateConfig {
                    roles: None,
                    params: Some(p),
                },
                &[],
            )
            .expect("update params");
    }
    c.setup(people, net, funding).expect("setup");
    let now = c.d.app.block_info().time.seconds();
    let slot = SlotId(SlotId::containing(now).0 + 4 * SLOT_SECONDS);
    c.set_time(now).expect("clock");
    (c, slot)
}

/// `n` households in one zone.
fn chain(n: usize, funding: u128, params: Option<MarketParams>) -> (InProcessChain, SlotId) {
    chain_on(&people(n, |_| 1), &Network::default(), funding, params)
}

fn order(owner: usize, side: Side, wh: u64, price: u64) -> NewOrder {
    NewOrder {
        owner,
        side,
        wh,
        price,
    }
}

/// Places `orders` and returns the book as the engine keeps it (ids: the
/// local ids; zone 1 unless `zone` says otherwise).
fn place(
    c: &mut InProcessChain,
    slot: SlotId,
    orders: &[NewOrder],
    zone: impl Fn(usize) -> ZoneId,
) -> (Vec<Order>, Vec<Order>) {
    let ids = c.place_orders(slot, orders).expect("place");
    let (mut bids, mut offers) = (vec![], vec![]);
    for (o, id) in orders.iter().zip(ids) {
        let book = Order {
            id: id.expect("taken"),
            owner: format!("h{}", o.owner),
            side: o.side.into(),
            zone: zone(o.owner),
            node: zone(o.owner),
            wh: o.wh,
            limit_price: o.price,
            premium_only: false,
            premium: false,
            trust: 0,
            window: None,
        };
        match o.side {
            Side::Buy => bids.push(book),
            Side::Sell => offers.push(book),
        }
    }
    (bids, offers)
}

fn q<T: DeserializeOwned>(c: &InProcessChain, to: &Addr, msg: &impl serde::Serialize) -> T {
    c.d.app.wrap().query_wasm_smart(to.clone(), msg).unwrap()
}

fn status(c: &InProcessChain, slot: SlotId) -> SlotStatusResponse {
    q(c, &c.d.settlement, &QueryMsg::SlotStatus { slot })
}

/// Wh committed per household, as buyer and as seller.
fn committed_wh(c: &InProcessChain, slot: SlotId) -> BTreeMap<String, u128> {
    let page: TradesResponse = q(
        c,
        &c.d.settlement,
        &QueryMsg::TradesBySlot {
            slot,
            start_after: None,
            limit: Some(500),
        },
    );
    let mut out = BTreeMap::new();
    for t in page.trades {
        *out.entry(t.buyer).or_default() += t.wh.u128();
        *out.entry(t.seller).or_default() += t.wh.u128();
    }
    out
}

#[test]
fn households_sign_intents_of_both_kinds_and_a_slot_commits_and_settles_from_deposits() {
    let funding = 100_000_000;
    let (mut c, slot) = chain(4, funding, None);
    let prefix = c.intent_domain().unwrap().prefix().expect("prefix");
    for i in 0..4 {
        // Each household's account is its own key's address, and half its
        // funding is deposited.
        let key = IntentKey::from_label(&format!("h{i}"));
        assert_eq!(c.addr(i), key.address(&prefix));
        let l = c.ledger(c.addr(i)).expect("ledger");
        assert_eq!(l.free.u128(), market_deposit(funding));
        assert_eq!(
            c.d.balance(&Addr::unchecked(c.addr(i))).unwrap(),
            funding - market_deposit(funding)
        );
    }
    let holdings_before = c.holdings().expect("holdings");

    let (bids, offers) = place(
        &mut c,
        slot,
        &[
            order(0, Side::Buy, 1_000, 200_000),
            order(1, Side::Buy, 500, 200_000),
            order(2, Side::Sell, 1_000, 100_000),
            order(3, Side::Sell, 500, 100_000),
        ],
        |_| 1,
    );
    let ids: Vec<u64> = bids.iter().chain(&offers).map(|o| o.id).collect();
    // Nothing went on chain: no order, nothing locked.
    assert_eq!(c.holdings().expect("holdings"), holdings_before);
    let held = c.held_intents(slot).unwrap();
    assert_eq!(held.len(), 4);
    for (i, id) in ids.iter().enumerate() {
        let bi = &held[id];
        assert_eq!(bi.owner, c.addr(i));
        assert_eq!(bi.nonce, *id, "the local id is the nonce");
        let kind = &bi.signature.as_ref().expect("signed").kind;
        // The fourth household signs EIP-712, the others ADR-036.
        let want = if i == 3 {
            KIND_ETH_EIP712
        } else {
            KIND_COSMOS_ADR036
        };
        assert_eq!(kind, want, "household {i}");
    }

    let done = c.commit(slot, &bids, &offers, Method::Auto).unwrap();
    assert!(done.skipped.is_empty(), "{:?}", done.skipped);
    assert!(done.screened_out.is_empty(), "{:?}", done.screened_out);
    assert_eq!(done.rejected, None);
    // One zone, no fee: every bid is filled at the midpoint of the limits,
    // each household's Wh in full.
    assert!(done.trades.iter().all(|t| t.price == 150_000), "{done:?}");
    let wh = committed_wh(&c, slot);
    for (i, want) in [1_000u128, 500, 1_000, 500].into_iter().enumerate() {
        assert_eq!(wh[c.addr(i)], want, "household {i}");
    }
    assert_eq!(status(&c, slot).trades as usize, done.trades.len());
    let (intents, trades) = done.batch.clone().expect("the batch sent");
    assert_eq!(intents.len(), 4);
    assert_eq!(trades.len(), done.trades.len());
    // The buyer's payment is locked from its free balance.
    let b0 = c.ledger(c.addr(0)).expect("ledger");
    let pay = aip_types::payment(1_000u128.into(), 150_000u128.into())
        .unwrap()
        .u128();
    assert_eq!(b0.locked.u128(), pay);
    assert_eq!(b0.free.u128(), market_deposit(funding) - pay);

    // The slot runs; the sellers deliver in full; it settles.
    c.set_time(slot.end() + 60).expect("clock");
    c.sweep(slot).expect("nothing to sweep");
    let readings: Vec<Reading> = [(0, 0, 1_000), (1, 0, 500), (2, 1_000, 0), (3, 500, 0)]
        .into_iter()
        .map(|(owner, exported_wh, imported_wh)| Reading {
            owner,
            exported_wh,
            imported_wh,
        })
        .collect();
    c.report(slot, &readings).expect("report");
    let rep = c.settle(slot).expect("settle");
    assert_eq!((rep.settled, rep.unsettled), (done.trades.len() as u64, 0));
    for t in &rep.trades {
        assert_eq!(t.delivered_wh, t.wh, "{t:?}");
        assert!(ids[..2].contains(&t.bid) && ids[2..].contains(&t.offer));
        assert_eq!((ids[t.buyer], ids[t.seller]), (t.bid, t.offer));
    }
    // Payouts went to the free balances; nothing stays locked; the day's
    // end withdraws nothing.
    c.end_of_day().expect("end of day");
    let s2 = c.ledger(c.addr(2)).expect("ledger");
    assert_eq!(s2.locked.u128(), 0);
    assert_eq!(s2.free.u128(), market_deposit(funding) + pay);
    let b0 = c.ledger(c.addr(0)).expect("ledger");
    assert_eq!(b0.locked.u128(), 0);
    assert_eq!(b0.free.u128(), market_deposit(funding) - pay);
    let balances = c.balances().expect("balances");
    assert_eq!(balances[0], funding - pay);
    assert_eq!(balances[2], funding + pay);
    assert!(c.audit().expect("audit").conserved());
}

#[test]
fn intents_the_contract_would_refuse_are_screened_out_and_trades_beyond_the_maximum_skipped() {
    // 2 AIP deposited each; at most 1 trade per batch.
    let (mut c, slot) = chain(
        6,
        4_000_000,
        Some(MarketParams {
            max_batch: 1,
            ..sim_settlement_params()
        }),
    );
    let (bids, offers) = place(
        &mut c,
        slot,
        &[
            order(0, Side::Buy, 10_000, 300_000), // 3 AIP: more than its deposit
            order(1, Side::Buy, 2_000, 200_000),
            order(2, Side::Buy, 1_000, 200_000), // flagged before the commit
            order(3, Side::Sell, 10_000, 150_000),
            order(4, Side::Sell, 1_000, 100_000),
            order(5, Side::Sell, 1_000, 100_000),
        ],
        |_| 1,
    );
    let guardian = c.d.addr(roles::GUARDIAN);
    let rep = c.d.reputation.clone();
    let flagged = c.addr(2).to_string();
    c.d.app
        .execute_contract(
            guardian,
            rep,
            &reputation::msg::ExecuteMsg::Flag {
                account: flagged.clone(),
                reason: "test".into(),
            },
            &[],
        )
        .expect("flag");
    let done = c.commit(slot, &bids, &offers, Method::Auto).unwrap();
    assert_eq!(done.rejected, None);
    // The matcher screened out the flagged buyer and the underfunded one,
    // with the contract's reasons.
    let out: BTreeMap<u64, &str> = done
        .screened_out
        .iter()
        .map(|(id, why)| (*id, why.as_str()))
        .collect();
    assert_eq!(
        out.keys().copied().collect::<Vec<_>>(),
        vec![bids[0].id, bids[2].id],
        "{out:?}"
    );
    assert!(
        out[&bids[2].id].contains(&flagged) && out[&bids[2].id].contains("flagged"),
        "{out:?}"
    );
    assert!(out[&bids[0].id].contains("uaip free"), "{out:?}");
    // Bid 1 takes the two cheap offers: two trades, one fits the batch.
    assert_eq!(done.trades.len(), 1, "{done:?}");
    assert_eq!(done.skipped.len(), 1, "{done:?}");
    assert!(
        done.skipped[0].1.contains("batch maximum of 1"),
        "{:?}",
        done.skipped
    );
    let both: BTreeSet<u64> = [&done.trades[0], &done.skipped[0].0]
        .iter()
        .map(|t| t.offer)
        .collect();
    assert_eq!(both, BTreeSet::from([offers[1].id, offers[2].id]));
    assert_eq!(status(&c, slot).trades, 1);
    assert_eq!(
        c.ledger(c.addr(1)).unwrap().locked.u128(),
        aip_types::payment(1_000u128.into(), 150_000u128.into())
            .unwrap()
            .u128()
    );
    assert_eq!(c.ledger(c.addr(0)).unwrap().locked.u128(), 0);
    assert!(c.audit().expect("audit").conserved());
}

#[test]
fn forced_trades_take_their_room_in_the_one_commit_and_the_matchers_best_fill_the_rest() {
    // at most 2 trades per batch; the book makes 2 trades, a colluding pair
    // outside it forces 1 (the attack evaluation's adversaries)
    let (mut c, slot) = chain(
        6,
        4_000_000,
        Some(MarketParams {
            max_batch: 2,
            ..sim_settlement_params()
        }),
    );
    let (bids, offers) = place(
        &mut c,
        slot,
        &[
            order(0, Side::Buy, 1_000, 250_000),
            order(1, Side::Buy, 1_000, 200_000),
            order(2, Side::Sell, 1_000, 100_000),
            order(3, Side::Sell, 1_000, 100_000),
        ],
        |_| 1,
    );
    let (pair_bid, pair_offer) = place(
        &mut c,
        slot,
        &[
            order(4, Side::Buy, 500, 150_000),
            order(5, Side::Sell, 500, 150_000),
        ],
        |_| 1,
    );
    let forced = aip_matcher::online::MatchedTrade {
        bid: pair_bid[0].id,
        offer: pair_offer[0].id,
        wh: "500".to_string(),
        price: "150000".to_string(),
    };
    let is_forced = |t: &aip_sim::market::Trade| {
        (t.bid, t.offer, t.wh, t.price) == (pair_bid[0].id, pair_offer[0].id, 500, 150_000)
    };
    c.publish_fees(slot, &bids, &offers).unwrap();
    let done = c
        .commit_with(
            slot,
            &bids,
            &offers,
            Method::Auto,
            std::slice::from_ref(&forced),
        )
        .unwrap();
    assert_eq!(done.rejected, None);
    // one commit of 2 trades: the forced one and the book's best (bid 0,
    // the higher limit); the book's other trade is beyond the maximum
    assert_eq!(status(&c, slot).trades, 2);
    assert_eq!(done.trades.len(), 2, "{done:?}");
    assert!(done.trades.iter().any(is_forced), "{done:?}");
    let honest: Vec<_> = done.trades.iter().filter(|t| !is_forced(t)).collect();
    assert_eq!(honest[0].bid, bids[0].id, "{done:?}");
    assert_eq!(done.skipped.len(), 1, "{done:?}");
    assert_eq!(done.skipped[0].0.bid, bids[1].id);
    assert_eq!(done.skipped[0].1, "beyond the batch maximum of 2 trades");
    assert!(c.audit().expect("audit").conserved());
}

/// What the online agent reads before it screens `frozen`: its builder
/// (`aip_matcher::agent_view`, which `Agent::chain_view` drives over RPC),
/// driven here straight on the in-process chain.
fn agent_view(
    c: &InProcessChain,
    slot: SlotId,
    frozen: &aip_matcher::verify::FrozenBook,
) -> ChainView {
    let cfg: ConfigResponse = q(c, &c.d.settlement, &QueryMsg::Config {});
    let net: ChainNetwork = q(c, &c.d.settlement, &QueryMsg::Network {});
    let sources = ViewSources {
        slot: slot.0,
        zones: net.zones.iter().map(|z| z.id).collect(),
        default_collateral_bps: cfg.params.default_collateral_bps,
        collateral_floor_price: cfg.params.collateral_floor_price.u128(),
        meter_oracle: true,
        reputation: true,
    };
    let mut b = ViewBuilder::new(frozen, sources, |_| true);
    while let Some(query) = b.next_query() {
        let answer: serde_json::Value = match &query {
            ViewQuery::MeterOracle(m) => q(c, &c.d.meter_oracle, m),
            ViewQuery::Settlement(m) => q(c, &c.d.settlement, m),
            ViewQuery::Reputation(m) => q(c, &c.d.reputation, m),
        };
        b.answer(answer).unwrap();
    }
    b.finish()
}

#[test]
fn the_sims_commit_is_what_the_online_matcher_commits_for_the_same_book_with_fees_and_capacity() {
    // Sellers in zone 1, buyers in zone 2, one corridor of 2 kWh a slot.
    let zone = |i: usize| if i < 2 { 1 } else { 2 };
    let net = Network {
        corridors: vec![Corridor {
            id: 1,
            from: 1,
            to: 2,
            capacity_wh: 2_000,
            loss_bps: 100,
            fee: 0,
        }],
        ..Network::default()
    };
    let (mut c, slot) = chain_on(&people(4, zone), &net, 100_000_000, None);
    let (bids, offers) = place(
        &mut c,
        slot,
        &[
            order(0, Side::Sell, 3_000, 100_000),
            order(1, Side::Sell, 3_000, 110_000),
            order(2, Side::Buy, 2_500, 250_000),
            order(3, Side::Buy, 2_500, 240_000),
        ],
        zone,
    );
    // The DSO prices the slot: 6 kWh on offer in zone 1, 5 kWh wanted in
    // zone 2, through a route of 2 kWh: the full fee from 1 to 2.
    let fees = c.publish_fees(slot, &bids, &offers).unwrap();
    assert_eq!(fees.len(), 1, "{fees:?}");
    assert_eq!((fees[0].from_zone, fees[0].to_zone), (1, 2));
    assert_eq!(
        fees[0].fee_per_kwh.u128(),
        u128::from(aip_sim::dso::FEE_AT_CAPACITY)
    );

    // The online agent's path, from the chain as the agent reads it.
    let frozen = c.frozen_book(slot, None).unwrap();
    assert_eq!(frozen.intents.len(), 4);
    let view = agent_view(&c, slot, &frozen);
    let now = c.d.app.block_info().time.seconds() + aip_matcher::online::EXPIRY_MARGIN_SECS;
    let domain = c.intent_domain().unwrap();
    let (candidates, skipped) = screen(&frozen, &domain, slot.0, now, &view);
    assert!(skipped.is_empty(), "{skipped:?}");
    let chain_net: ChainNetwork = q(&c, &c.d.settlement, &QueryMsg::Network {});
    let chain_fees: FeesResponse = q(&c, &c.d.settlement, &QueryMsg::CongestionFees { slot });
    let st: SlotStatus = q(&c, &c.d.settlement, &QueryMsg::SlotStatus { slot });
    let routes = to_routes(&chain_net, &chain_fees.fees, &st.corridor_usage).unwrap();
    let cfg: ConfigResponse = q(&c, &c.d.settlement, &QueryMsg::Config {});
    let p = plan(slot.0, &candidates, &chain_net, &routes, Method::Auto).unwrap();
    let agent = Commit::new(
        &candidates,
        p.trades,
        &routes,
        cfg.params.max_batch as usize,
    )
    .batch();

    // The simulation's commit of the same book.
    let done = c
        .commit_with(slot, &bids, &offers, Method::Auto, &[])
        .unwrap();
    assert_eq!(done.rejected, None);
    let (intents, trades) = done.batch.expect("committed");
    assert_eq!(intents, agent.intents);
    assert_eq!(trades, agent.trades);
    // Only the corridor's 2 kWh crossed, each trade paying the fee on top
    // of a price within both limits.
    let sent: u128 = trades.iter().map(|t| t.wh.u128()).sum();
    assert_eq!(sent, 2_000);
    let page: TradesResponse = q(
        &c,
        &c.d.settlement,
        &QueryMsg::TradesBySlot {
            slot,
            start_after: None,
            limit: Some(500),
        },
    );
    assert_eq!(page.trades.len(), trades.len());
    for t in &page.trades {
        assert!(t.fee.u128() > 0, "{t:?}");
        assert!(t.price.u128() + u128::from(aip_sim::dso::FEE_AT_CAPACITY) <= 250_000);
    }
    let used: SlotStatusResponse = status(&c, slot);
    assert_eq!(used.corridor_usage.len(), 1);
    assert_eq!(used.corridor_usage[0].used_wh.u128(), 2_000);
}

//! The in-process chain on deposits and signed intents, step by step: real
//! contracts (cw-multi-test), real secp256k1 keys.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use aip_sim::chain::{market_deposit, MarketChain, NewOrder, Participant, Reading};
use aip_sim::inprocess::{sim_settlement_params, InProcessChain};
use aip_sim::market::{Network, Side, Trade};
use aip_testing::deployment::roles;
use aip_types::intent::sign::IntentKey;
use aip_types::intent::{KIND_COSMOS_ADR036, KIND_ETH_EIP712};
use aip_types::{SlotId, SLOT_SECONDS};
use cw_multi_test::Executor;
use settlement::msg::{ExecuteMsg, MarketParams, QueryMsg, SlotStatusResponse};

/// `n` households `h0..` in one zone.
fn people(n: usize) -> Vec<Participant> {
    (0..n)
        .map(|i| Participant {
            name: format!("h{i}"),
            zone: 1,
            node: 1,
        })
        .collect()
}

/// A chain set up for `n` households funded with `funding` uaip each, and a
/// slot an hour ahead of its clock.
fn chain(n: usize, funding: u128, params: Option<MarketParams>) -> (InProcessChain, SlotId) {
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
    c.setup(&people(n), &Network { corridors: vec![] }, funding)
        .expect("setup");
    let now = c.d.app.block_info().time.seconds();
    let slot = SlotId(SlotId::containing(now).0 + 4 * SLOT_SECONDS);
    c.set_time(now).expect("clock");
    (c, slot)
}

fn order(owner: usize, side: Side, wh: u64, price: u64) -> NewOrder {
    NewOrder {
        owner,
        side,
        wh,
        price,
    }
}

fn status(c: &InProcessChain, slot: SlotId) -> SlotStatusResponse {
    c.d.app
        .wrap()
        .query_wasm_smart(c.d.settlement.clone(), &QueryMsg::SlotStatus { slot })
        .expect("slot status")
}

#[test]
fn households_sign_intents_of_both_kinds_and_a_slot_commits_and_settles_from_deposits() {
    let funding = 100_000_000;
    let (mut c, slot) = chain(4, funding, None);
    let prefix = c.intent_domain().prefix().expect("prefix");
    for i in 0..4 {
        // Each household's account is its own key's address, and half its
        // funding is deposited.
        let key = IntentKey::from_label(&format!("h{i}"));
        assert_eq!(c.addr(i).as_str(), key.address(&prefix));
        let l = c.ledger(c.addr(i)).expect("ledger");
        assert_eq!(l.free.u128(), market_deposit(funding));
        assert_eq!(
            c.d.balance(c.addr(i)).unwrap(),
            funding - market_deposit(funding)
        );
    }
    let holdings_before = c.holdings().expect("holdings");

    let ids = c
        .place_orders(
            slot,
            &[
                order(0, Side::Bid, 1_000, 200_000),
                order(1, Side::Bid, 500, 200_000),
                order(2, Side::Offer, 1_000, 100_000),
                order(3, Side::Offer, 500, 100_000),
            ],
        )
        .expect("place");
    let ids: Vec<u64> = ids.into_iter().map(|r| r.expect("taken")).collect();
    // Nothing went on chain: no order, nothing locked.
    assert_eq!(c.holdings().expect("holdings"), holdings_before);
    let held = c.held_intents(slot);
    assert_eq!(held.len(), 4);
    for (i, id) in ids.iter().enumerate() {
        let bi = &held[id];
        assert_eq!(bi.owner, c.addr(i).as_str());
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

    let trades = [
        Trade {
            bid: ids[0],
            offer: ids[2],
            wh: 1_000,
            price: 150_000,
        },
        Trade {
            bid: ids[1],
            offer: ids[3],
            wh: 500,
            price: 150_000,
        },
    ];
    let done = c.commit(slot, &trades);
    assert_eq!(done.taken, vec![0, 1]);
    assert!(done.skipped.is_empty(), "{:?}", done.skipped);
    assert_eq!(done.rejected, None);
    assert_eq!(status(&c, slot).trades, 2);
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
    assert_eq!((rep.settled, rep.unsettled), (2, 0));
    let mut parties: Vec<(u64, u64, usize, usize, u64)> = rep
        .trades
        .iter()
        .map(|t| (t.bid, t.offer, t.buyer, t.seller, t.delivered_wh))
        .collect();
    parties.sort();
    assert_eq!(
        parties,
        vec![(ids[0], ids[2], 0, 2, 1_000), (ids[1], ids[3], 1, 3, 500)]
    );
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
fn refused_intents_and_trades_and_those_beyond_the_maximum_are_skipped_and_the_rest_commits_once() {
    // 2 AIP deposited each; at most 3 trades per batch.
    let (mut c, slot) = chain(
        6,
        4_000_000,
        Some(MarketParams {
            max_batch: 3,
            ..sim_settlement_params()
        }),
    );
    let ids: Vec<u64> = c
        .place_orders(
            slot,
            &[
                order(0, Side::Bid, 10_000, 300_000), // 3 AIP: more than its deposit
                order(1, Side::Bid, 2_000, 200_000),
                order(2, Side::Bid, 1_000, 200_000), // flagged before the commit
                order(3, Side::Offer, 10_000, 100_000),
                order(4, Side::Offer, 2_000, 100_000),
                order(5, Side::Offer, 1_000, 100_000),
            ],
        )
        .expect("place")
        .into_iter()
        .map(|r| r.expect("taken"))
        .collect();
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
    let t = |bid: usize, offer: usize, wh: u64| Trade {
        bid: ids[bid],
        offer: ids[offer],
        wh,
        price: 150_000,
    };
    let trades = [
        t(2, 5, 1_000),
        Trade {
            price: 300_000,
            ..t(0, 3, 10_000)
        },
        t(1, 4, 1_500),
        t(1, 4, 500),
    ];
    let done = c.commit(slot, &trades);
    assert_eq!(done.taken, vec![2], "{done:?}");
    assert_eq!(done.rejected, None);
    let skipped: Vec<usize> = done.skipped.iter().map(|(i, _)| *i).collect();
    assert_eq!(skipped, vec![0, 1, 3], "{:?}", done.skipped);
    let why = |i: usize| &done.skipped.iter().find(|(k, _)| *k == i).unwrap().1;
    assert!(
        why(0).contains(&flagged) && why(0).contains("flagged"),
        "{}",
        why(0)
    );
    assert!(why(1).contains("uaip free"), "{}", why(1));
    assert!(why(3).contains("batch maximum of 3"), "{}", why(3));
    // One batch, with the one trade left.
    let st = status(&c, slot);
    assert_eq!(st.trades, 1);
    assert_eq!(
        c.ledger(c.addr(1)).unwrap().locked.u128(),
        aip_types::payment(1_500u128.into(), 150_000u128.into())
            .unwrap()
            .u128()
    );
    assert_eq!(c.ledger(c.addr(0)).unwrap().locked.u128(), 0);
    assert!(c.audit().expect("audit").conserved());
}

//! Multitests of the settlement contract with the real AIP token.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

mod common;

use aip_testing::deployment::roles;
use aip_types::hooks::{Ruling, TradeOutcome};
use aip_types::intent::Side as IntentSide;
use aip_types::SlotId;
use common::*;
use cosmwasm_std::Uint128;
use cw_multi_test::Executor;
use settlement::msg::{DisputeResponse, ExecuteMsg, QueryMsg, SlotPhase, TradeStatus, Zone};

const P: u128 = 200_000; // 0.2 AIP per kWh

#[test]
fn a_trade_end_to_end_pays_the_seller_and_refunds_price_improvement() {
    let mut s = Suite::new();
    let (alice, bob) = (s.user(0), s.user(1));
    s.before_gate();
    // Alice buys 2 kWh at up to 0.25 AIP/kWh: escrow 500_000 uaip.
    let bid = s.bid(&alice, ZONE_A, "m-alice", 2_000, 250_000);
    // Bob sells 2 kWh at least 0.2 AIP/kWh: collateral 20 % of 400_000 = 80_000.
    let offer = s.offer(&bob, ZONE_A, "m-bob", 2_000, P, 2_000);
    // Deposited, nothing locked before the commit.
    assert_eq!(s.account(&alice).free.u128(), 500_000);
    assert_eq!(s.account(&bob).free.u128(), 80_000);
    assert_eq!(s.account(&alice).locked.u128(), 0);
    s.assert_holdings_match_balance();

    s.matching();
    let r = s.commit(vec![trade(bid, offer, 2_000, 210_000)]).unwrap();
    assert_eq!(attr(&r, "first_trade_id"), "1");
    // Only the payment is locked: the price improvement (0.04 AIP/kWh *
    // 2 kWh) never leaves Alice's free balance.
    assert_eq!(s.claimable(&alice), 80_000);
    assert_eq!(s.account(&alice).locked.u128(), 420_000);
    assert_eq!(s.account(&bob).locked.u128(), 80_000);
    let t = s.trade(1);
    assert_eq!(t.payment.u128(), 420_000);
    assert_eq!(t.collateral.u128(), 80_000);
    assert_eq!(t.status, TradeStatus::Pending);
    assert!(t.intents);
    s.assert_holdings_match_balance();

    s.after_slot();
    s.report("m-bob", 2_500).unwrap();
    assert_eq!(s.status().phase, SlotPhase::DisputeWindow);
    s.after_dispute_window();
    let r = s.settle(None).unwrap();
    assert_eq!(attr(&r, "done"), "true");
    assert_eq!(s.status().phase, SlotPhase::Settlement);
    let t = s.trade(1);
    assert_eq!(t.status, TradeStatus::Settled);
    let st = t.settlement.unwrap();
    assert_eq!(st.delivered_wh.u128(), 2_000);
    assert_eq!(st.seller_paid.u128(), 420_000);
    assert_eq!(st.penalty.u128(), 0);
    assert_eq!(s.claimable(&bob), 420_000 + 80_000);
    assert_eq!(s.claimable(&alice), 80_000);
    s.assert_holdings_match_balance();

    s.withdraw(&alice).unwrap();
    s.withdraw(&bob).unwrap();
    assert_eq!(s.balance(&alice), START_BALANCE - 420_000);
    assert_eq!(s.balance(&bob), START_BALANCE + 420_000);
    assert_eq!(s.balance(&s.d.settlement.clone()), 0);
    assert_eq!(s.holdings().total.u128(), 0);
    // Settling again finds nothing.
    assert_eq!(
        err(s.settle(None)),
        format!("slot {} has nothing left to settle", s.slot)
    );
}

#[test]
fn corridor_trades_lose_energy_consume_capacity_and_pay_congestion_fees() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.user(0), s.user(1), s.user(2));
    let treasury = s.role(roles::TREASURY);
    s.before_gate();
    let slot = s.slot;
    // Per-slot fee override for A->B: 20_000 uaip/kWh.
    s.dso(ExecuteMsg::SetCongestionFees {
        slot,
        fees: vec![fee(ZONE_A, ZONE_B, 20_000)],
    })
    .unwrap();
    let bid = s.bid(&alice, ZONE_B, "m-a", 12_000, 300_000); // 3_600_000
    let offer = s.offer(&bob, ZONE_A, "m-b", 8_000, P, 2_000);
    let offer2 = s.offer(&carol, ZONE_A, "m-c", 4_000, P, 2_000);
    s.matching();
    // Capacity is 10 kWh per slot: after 8 kWh, 2 kWh are left.
    let e = err(s.commit(vec![
        trade(bid, offer, 8_000, 250_000),
        trade(bid, offer2, 4_000, 250_000),
    ]));
    assert_eq!(
        e,
        "trade 1 rejected: corridor 1->2 has 2000 Wh left in the slot, the trade needs 4000"
    );
    s.commit(vec![
        trade(bid, offer, 8_000, 250_000),
        trade(bid, offer2, 2_000, 250_000),
    ])
    .unwrap();
    let t = s.trade(1);
    // 2 % loss: 7_840 Wh arrive; buyer pays for those plus the fee.
    assert_eq!(t.net_wh.u128(), 7_840);
    assert_eq!(t.payment.u128(), 7_840 * 250);
    assert_eq!(t.fee.u128(), 7_840 * 20);
    let t2 = s.trade(2);
    assert_eq!(t2.net_wh.u128(), 1_960);
    assert_eq!(t2.fee.u128(), 1_960 * 20);
    // The fees go to the treasury's free balance at once.
    assert_eq!(s.claimable(&treasury), 156_800 + 39_200);
    // Alice deposited 3_600_000; the payments and fees left it, the rest
    // (price improvement, lost energy, the unfilled 2 kWh) stays free.
    assert_eq!(
        s.claimable(&alice),
        3_600_000 - 1_960_000 - 156_800 - 490_000 - 39_200
    );
    assert_eq!(s.account(&alice).locked.u128(), 1_960_000 + 490_000);
    let st = s.status();
    assert_eq!(st.corridor_usage[0].used_wh.u128(), 10_000);
    s.assert_holdings_match_balance();
    let fees: settlement::msg::CongestionFeesResponse =
        s.q(&QueryMsg::CongestionFees { slot }).unwrap();
    assert_eq!(fees.fees, vec![fee(ZONE_A, ZONE_B, 20_000)]);
}

#[test]
fn intra_zone_congestion_fee_applies_without_losses() {
    let mut s = Suite::new();
    let (alice, bob) = (s.user(0), s.user(1));
    let treasury = s.role(roles::TREASURY);
    s.before_gate();
    let slot = s.slot;
    s.dso(ExecuteMsg::SetCongestionFees {
        slot,
        fees: vec![fee(ZONE_A, ZONE_A, 5_000)],
    })
    .unwrap();
    let bid = s.bid(&alice, ZONE_A, "m-a", 1_000, 250_000);
    let offer = s.offer(&bob, ZONE_A, "m-b", 1_000, P, 2_000);
    s.matching();
    s.commit(vec![trade(bid, offer, 1_000, P)]).unwrap();
    assert_eq!(s.trade(1).net_wh.u128(), 1_000);
    assert_eq!(s.claimable(&treasury), 5_000);
    assert_eq!(s.claimable(&alice), 250_000 - 200_000 - 5_000);
}

#[test]
fn grid_operator_controls_the_network_model() {
    let mut s = Suite::new();
    let alice = s.user(0);
    let slot = s.slot;
    let z = Zone {
        id: 3,
        name: "feeder C".into(),
    };
    let e = err(s.exec(&alice, ExecuteMsg::UpsertZone { zone: z.clone() }));
    assert_eq!(
        e,
        format!("{alice} may not change zones: only the grid operator")
    );
    let e = err(s.dso(ExecuteMsg::UpsertZone {
        zone: Zone {
            id: 3,
            name: String::new(),
        },
    }));
    assert_eq!(e, "invalid parameter zone.name: must be 1 to 64 bytes");
    s.dso(ExecuteMsg::UpsertZone { zone: z }).unwrap();
    let e = err(s.dso(ExecuteMsg::SetCorridor {
        corridor: corridor(3, 3, 1, 0, 0),
    }));
    assert_eq!(
        e,
        "corridor endpoints must be two different existing zones (3, 3)"
    );
    let e = err(s.dso(ExecuteMsg::SetCorridor {
        corridor: corridor(3, 4, 1, 0, 0),
    }));
    assert_eq!(
        e,
        "corridor endpoints must be two different existing zones (3, 4)"
    );
    let e = err(s.dso(ExecuteMsg::SetCorridor {
        corridor: corridor(3, 1, 1, 10_001, 0),
    }));
    assert_eq!(e, "invalid parameter loss_bps: 10001 exceeds 10000");
    let e = err(s.exec(
        &alice,
        ExecuteMsg::SetCorridor {
            corridor: corridor(3, 1, 1, 0, 0),
        },
    ));
    assert_eq!(
        e,
        format!("{alice} may not set corridors: only the grid operator")
    );
    s.dso(ExecuteMsg::SetCorridor {
        corridor: corridor(3, 1, 5_000, 100, 0),
    })
    .unwrap();
    let net: settlement::msg::NetworkResponse = s.q(&QueryMsg::Network {}).unwrap();
    assert_eq!(net.zones.len(), 3);
    assert_eq!(net.corridors.len(), 2);
    let e = err(s.dso(ExecuteMsg::SetCongestionFees {
        slot,
        fees: vec![fee(2, 1, 1)],
    }));
    assert_eq!(
        e,
        "corridor endpoints must be two different existing zones (2, 1)"
    );
    let e = err(s.dso(ExecuteMsg::SetCongestionFees {
        slot: SlotId(slot.0 + 5),
        fees: vec![],
    }));
    assert_eq!(e, format!("slot {} is not aligned to 900 s", slot.0 + 5));
    s.dso(ExecuteMsg::RemoveCorridor {
        from_zone: 3,
        to_zone: 1,
    })
    .unwrap();
    let e = err(s.dso(ExecuteMsg::RemoveCorridor {
        from_zone: 3,
        to_zone: 1,
    }));
    assert_eq!(
        e,
        "corridor endpoints must be two different existing zones (3, 1)"
    );
    s.set_time(slot.start());
    let e = err(s.dso(ExecuteMsg::SetCongestionFees { slot, fees: vec![] }));
    assert_eq!(
        e,
        format!("congestion fees for slot {slot} can only change before the slot starts")
    );
}

#[test]
fn a_short_seller_is_paid_pro_rata_and_pays_a_penalty_from_collateral() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.user(0), s.user(1), s.user(2));
    // Bob sells 4 kWh from one meter in two trades; collateral 20 % = 160_000.
    s.two_buyers_one_meter(3_000, 1_000, P);
    assert_eq!(s.trade(1).collateral.u128(), 120_000);
    assert_eq!(s.trade(2).collateral.u128(), 40_000);
    s.after_slot();
    // Only 3 kWh of 4 exported: each trade delivered 75 %.
    s.report("m-b", 3_000).unwrap();
    s.after_dispute_window();
    s.settle(Some(1)).unwrap();
    assert_eq!(s.trade(1).status, TradeStatus::Settled);
    assert_eq!(s.trade(2).status, TradeStatus::Pending);
    s.settle(Some(1)).unwrap();
    let t1 = s.trade(1).settlement.unwrap();
    let t2 = s.trade(2).settlement.unwrap();
    assert_eq!(t1.delivered_wh.u128(), 2_250);
    assert_eq!(t2.delivered_wh.u128(), 750);
    assert_eq!(t1.seller_paid.u128(), 450_000);
    assert_eq!(t1.buyer_refund.u128(), 150_000);
    // Penalty 50_000 uaip/kWh short: 750 Wh short -> 37_500.
    assert_eq!(t1.penalty.u128(), 37_500);
    assert_eq!(t1.collateral_returned.u128(), 120_000 - 37_500);
    assert_eq!(t2.penalty.u128(), 12_500);
    assert_eq!(s.claimable(&alice), 150_000 + 37_500);
    assert_eq!(s.claimable(&carol), 50_000 + 12_500);
    assert_eq!(s.claimable(&bob), 450_000 + 150_000 + 160_000 - 50_000);
    assert!(s.status().fully_settled);
    assert_eq!(s.status().settled, 2);
    s.assert_holdings_match_balance();
}

#[test]
fn penalty_is_capped_by_the_collateral() {
    let mut s = Suite::new();
    let (alice, bob) = (s.user(0), s.user(1));
    s.before_gate();
    let bid = s.bid(&alice, ZONE_A, "m-a", 1_000, P);
    // 1 % collateral: 2_000 uaip, less than the 50_000 penalty for 1 kWh short.
    let mut p = params();
    p.default_collateral_bps = 100;
    s.update_params(p);
    let offer = s.offer(&bob, ZONE_A, "m-b", 1_000, P, 100);
    s.matching();
    s.commit(vec![trade(bid, offer, 1_000, P)]).unwrap();
    s.after_slot();
    s.report("m-b", 0).unwrap();
    s.after_dispute_window();
    s.settle(None).unwrap();
    let st = s.trade(1).settlement.unwrap();
    assert_eq!(st.penalty.u128(), 2_000);
    assert_eq!(st.collateral_returned.u128(), 0);
    assert_eq!(s.claimable(&alice), 200_000 + 2_000);
    assert_eq!(s.claimable(&bob), 0);
}

#[test]
fn deliveries_are_fetched_from_the_meter_oracle_within_their_window() {
    let mut s = Suite::new();
    let (alice, bob) = (s.user(0), s.user(1));
    let slot = s.slot;
    s.one_kwh(&alice, &bob, P);
    let e = err(s.fetch(None));
    let deadline = slot.end() + 3_600;
    assert_eq!(
        e,
        format!(
            "delivery reports for slot {slot} are accepted from {} to {deadline} (now {})",
            slot.end(),
            s.now()
        )
    );
    s.after_slot();
    // Nothing finalized yet: the call moves its cursor on, stores nothing.
    let r = s.fetch(None).unwrap();
    assert_eq!(attr(&r, "asked"), "1");
    assert_eq!(attr(&r, "meters"), "0");
    assert_eq!(s.status().meters_reported, 0);
    // The buyer's meter is finalized too, but it has no trade to deliver:
    // only the seller meter is recorded.
    s.readings("m-a", 5_000).unwrap();
    s.readings("m-b", 1_000).unwrap();
    let r = s.fetch(Some(0)).unwrap();
    assert_eq!(attr(&r, "meters"), "1");
    assert_eq!(attr(&r, "complete"), "true");
    assert_eq!(s.status().meters_reported, 1);
    // Complete: further fetches are outside the window.
    let e = err(s.fetch(None));
    assert!(e.starts_with(&format!("delivery reports for slot {slot} are accepted")));
    // Without a meter-oracle there is nothing to fetch from.
    s.d.wire_settlement(None, None).unwrap();
    let e = err(s.exec(&alice, ExecuteMsg::FetchDeliveries { slot, limit: None }));
    assert_eq!(
        e,
        "no meter-oracle contract is configured: deliveries cannot be fetched"
    );
}

#[test]
fn unreported_meters_count_as_zero_after_the_deadline() {
    let mut s = Suite::new();
    let (alice, bob) = (s.user(0), s.user(1));
    let slot = s.slot;
    s.one_kwh(&alice, &bob, P);
    s.after_slot();
    let from = slot.end() + 3_600 + 3_600;
    let e = err(s.settle(None));
    assert_eq!(
        e,
        format!("slot {slot} settles from {from} (now {})", s.now())
    );
    s.set_time(slot.end() + 3_600);
    s.readings("m-b", 1_000).unwrap();
    assert!(err(s.fetch(None)).starts_with("delivery reports for slot"));
    s.set_time(from);
    s.settle(None).unwrap();
    let st = s.trade(1).settlement.unwrap();
    assert_eq!(st.delivered_wh.u128(), 0);
    assert_eq!(s.claimable(&alice), 200_000 + 40_000);
    assert_eq!(s.claimable(&bob), 0);
}

#[test]
fn disputes_freeze_a_trade_until_the_arbiter_rules() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.user(0), s.user(1), s.user(2));
    let arbiter = s.role(roles::ARBITER);
    s.two_buyers_one_meter(1_000, 1_000, P);
    let e = err(s.dispute(&carol, 1, "x"));
    assert_eq!(e, "only the buyer or the seller of trade 1 may dispute it");
    let e = err(s.dispute(&alice, 9, "x"));
    assert_eq!(e, "trade 9 does not exist");
    let e = err(s.dispute(&alice, 1, &"x".repeat(281)));
    assert_eq!(e, "dispute reason must be at most 280 characters");
    s.after_slot();
    s.report("m-b", 2_000).unwrap();
    s.dispute(&alice, 1, "nothing arrived").unwrap();
    let e = err(s.dispute(&bob, 1, "x"));
    assert_eq!(e, "trade 1 is already disputed");
    let d: DisputeResponse = s.q(&QueryMsg::Dispute { trade_id: 1 }).unwrap();
    assert_eq!(d.opened_by, alice.to_string());
    assert_eq!(d.ruling, None);
    s.after_dispute_window();
    let closed = s.now();
    let e = err(s.dispute(&carol, 2, "late"));
    assert_eq!(
        e,
        format!("the dispute window of trade 2 closed at {closed}")
    );
    // Settlement skips the disputed trade.
    s.settle(None).unwrap();
    assert_eq!(s.trade(1).status, TradeStatus::Disputed);
    assert_eq!(s.trade(2).status, TradeStatus::Settled);
    assert_eq!(s.claimable(&alice), 0);
    let frozen = s.holdings().trades.u128();
    assert_eq!(frozen, 200_000 + 40_000);

    let e = err(s.exec(
        &alice,
        ExecuteMsg::ResolveDispute {
            trade_id: 1,
            ruling: Ruling::RefundBuyer,
        },
    ));
    assert_eq!(
        e,
        format!("{alice} may not rule on disputes: only the arbiter")
    );
    let e = err(s.exec(
        &arbiter,
        ExecuteMsg::ResolveDispute {
            trade_id: 2,
            ruling: Ruling::RefundBuyer,
        },
    ));
    assert_eq!(e, "trade 2 is not disputed");
    let e = err(s.exec(
        &arbiter,
        ExecuteMsg::ResolveDispute {
            trade_id: 1,
            ruling: Ruling::Split { seller_bps: 10_001 },
        },
    ));
    assert_eq!(e, "invalid parameter seller_bps: 10001 exceeds 10000");
    s.exec(
        &arbiter,
        ExecuteMsg::ResolveDispute {
            trade_id: 1,
            ruling: Ruling::Split { seller_bps: 2_500 },
        },
    )
    .unwrap();
    let t = s.trade(1);
    assert_eq!(t.status, TradeStatus::Ruled);
    let st = t.settlement.unwrap();
    assert_eq!(st.seller_paid.u128(), 50_000);
    assert_eq!(st.buyer_refund.u128(), 150_000);
    assert_eq!(s.claimable(&alice), 150_000);
    let e = err(s.exec(
        &arbiter,
        ExecuteMsg::ResolveDispute {
            trade_id: 1,
            ruling: Ruling::PaySeller,
        },
    ));
    assert_eq!(e, "the dispute on trade 1 was already ruled");
    assert_eq!(
        err(s.settle(None)),
        format!("slot {} has nothing left to settle", s.slot)
    );
    s.assert_holdings_match_balance();
    assert_eq!(s.holdings().trades.u128(), 0);
}

#[test]
fn rulings_wait_for_final_delivery_data() {
    let mut s = Suite::new();
    let (alice, bob) = (s.user(0), s.user(1));
    let arbiter = s.role(roles::ARBITER);
    let slot = s.slot;
    s.one_kwh(&alice, &bob, P);
    s.dispute(&bob, 1, "buyer claims non-delivery in advance")
        .unwrap();
    let e = err(s.exec(
        &arbiter,
        ExecuteMsg::ResolveDispute {
            trade_id: 1,
            ruling: Ruling::PaySeller,
        },
    ));
    assert_eq!(
        e,
        format!(
            "trade 1 cannot be ruled before its delivery data is final at {}",
            slot.end() + 3_600
        )
    );
    s.after_slot();
    s.report("m-b", 1_000).unwrap();
    s.exec(
        &arbiter,
        ExecuteMsg::ResolveDispute {
            trade_id: 1,
            ruling: Ruling::RefundBuyer,
        },
    )
    .unwrap();
    // Refunded in full; the seller delivered, so no penalty and collateral back.
    assert_eq!(s.claimable(&alice), 200_000);
    assert_eq!(s.claimable(&bob), 40_000);
}

#[test]
fn withdraw_sends_the_claimable_balance() {
    let mut s = Suite::new();
    let (alice, bob) = (s.user(0), s.user(1));
    assert_eq!(err(s.withdraw(&alice)), "nothing to withdraw");
    s.before_gate();
    let bid = s.bid(&alice, ZONE_A, "m-a", 1_000, 300_000);
    let offer = s.offer(&bob, ZONE_A, "m-b", 1_000, P, 2_000);
    s.matching();
    s.commit(vec![trade(bid, offer, 1_000, P)]).unwrap();
    assert_eq!(s.claimable(&alice), 100_000);
    let e = err(s.exec(
        &alice,
        ExecuteMsg::Withdraw {
            amount: Some(Uint128::new(100_001)),
        },
    ));
    assert_eq!(e, "cannot withdraw 100001: 100000 claimable");
    s.exec(
        &alice,
        ExecuteMsg::Withdraw {
            amount: Some(Uint128::new(40_000)),
        },
    )
    .unwrap();
    assert_eq!(s.claimable(&alice), 60_000);
    s.withdraw(&alice).unwrap();
    assert_eq!(s.claimable(&alice), 0);
    assert_eq!(s.balance(&alice), START_BALANCE - 200_000);
    s.assert_holdings_match_balance();
}

#[test]
fn reputation_sets_collateral_and_eligibility_and_records_outcomes() {
    let mut s = Suite::new();
    let (alice, bob, carol, dave) = (s.user(0), s.user(1), s.user(2), s.user(3));
    let arbiter = s.role(roles::ARBITER);
    let rep = s.with_reputation();
    s.before_gate();
    // Not registered: refused at commit, naming the intent.
    let bid = s.bid(&alice, ZONE_A, "m-a", 1_000, 250);
    let offer = s.offer(&bob, ZONE_A, "m-b", 1_000, P, 500);
    s.matching();
    let e = err(s.commit(vec![trade(bid, offer, 1_000, 250)]));
    assert_eq!(
        e,
        format!(
            "intent 0 rejected: account {alice} may not trade: no reputation token (KYC not done)"
        )
    );
    s.before_gate();
    s.set_terms(&rep, &dave, 1_000, false, true);
    s.set_terms(&rep, &bob, 500, false, false);
    let bid = s.bid(&dave, ZONE_A, "m-d", 1_000, 250);
    s.matching();
    let e = err(s.commit(vec![trade(bid, offer, 1_000, 250)]));
    assert_eq!(
        e,
        format!("intent 0 rejected: account {dave} may not trade: flagged by the guardian")
    );
    s.before_gate();
    s.set_terms(&rep, &alice, 3_000, true, false);
    s.set_terms(&rep, &carol, 500, false, false);
    let mut p = s.unsigned(&bob, IntentSide::Sell, ZONE_A, "m-b", 1_000, P as u64);
    p.premium_only = true;
    let premium = s.place_intent(&bob, p).unwrap();
    let plain = s.offer(&bob, ZONE_A, "m-b", 1_000, P, 500);
    let bid_alice = s.bid(&alice, ZONE_A, "m-a", 1_000, P);
    let bid_carol = s.bid(&carol, ZONE_A, "m-c", 1_000, P);
    s.matching();
    let e = err(s.commit(vec![trade(bid_carol, premium, 1_000, P)]));
    assert_eq!(
        e,
        "trade 0 rejected: sell intent 1 is premium-only and the buyer is not premium-eligible"
    );
    s.commit(vec![
        trade(bid_alice, premium, 1_000, P),
        trade(bid_carol, plain, 1_000, P),
    ])
    .unwrap();
    // Bob's collateral ratio is 5 %: 1 kWh valued at 0.2 AIP -> 10_000 uaip.
    assert_eq!(s.trade(1).collateral.u128(), 10_000);
    assert_eq!(s.account(&bob).locked.u128(), 20_000);
    s.after_slot();
    s.report("m-b", 1_500).unwrap();
    s.dispute(&carol, 2, "short").unwrap();
    s.after_dispute_window();
    s.settle(None).unwrap();
    let outcomes: Vec<TradeOutcome> =
        s.d.app
            .wrap()
            .query_wasm_smart(&rep, &MockRepQuery::Outcomes {})
            .unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].trade_id, 1);
    assert_eq!(outcomes[0].buyer, alice.to_string());
    assert_eq!(outcomes[0].contracted_wh.u128(), 1_000);
    assert_eq!(outcomes[0].delivered_wh.u128(), 750);
    s.exec(
        &arbiter,
        ExecuteMsg::ResolveDispute {
            trade_id: 2,
            ruling: Ruling::PaySeller,
        },
    )
    .unwrap();
    let rulings: Vec<(u64, Ruling)> =
        s.d.app
            .wrap()
            .query_wasm_smart(&rep, &MockRepQuery::Rulings {})
            .unwrap();
    assert_eq!(rulings, vec![(2, Ruling::PaySeller)]);
    let outcomes: Vec<TradeOutcome> =
        s.d.app
            .wrap()
            .query_wasm_smart(&rep, &MockRepQuery::Outcomes {})
            .unwrap();
    assert_eq!(outcomes.len(), 2);
    s.assert_holdings_match_balance();
}

#[test]
fn queries_page_through_trades_balances_and_fills() {
    let mut s = Suite::new();
    let (alice, bob, carol) = (s.user(0), s.user(1), s.user(2));
    s.before_gate();
    let slot = s.slot;
    let b1 = s.bid(&alice, ZONE_B, "m-a", 1_000, P);
    let o1 = s.offer(&bob, ZONE_A, "m-b", 1_000, P, 2_000);
    let b2 = s.bid(&carol, ZONE_A, "m-c", 1_000, P);
    let o2 = s.offer(&bob, ZONE_B, "m-b2", 1_000, P, 2_000);
    assert_eq!(s.status().phase, SlotPhase::Open);
    s.matching();
    assert_eq!(s.status().phase, SlotPhase::Matching);
    s.commit(vec![trade(b1, o2, 1_000, P), trade(b2, o1, 500, P)])
        .unwrap();
    // Newest first, paged with start_after along the account's list.
    let ids =
        |r: settlement::msg::TradesResponse| r.trades.iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(ids(s.trades_of(&bob)), vec![2, 1]);
    assert_eq!(ids(s.trades_of(&alice)), vec![1]);
    let page = |start_after: Option<u64>, limit: Option<u32>| {
        s.q::<settlement::msg::TradesResponse>(&QueryMsg::TradesByAccount {
            account: bob.to_string(),
            start_after,
            limit,
        })
    };
    assert_eq!(ids(page(None, Some(1)).unwrap()), vec![2]);
    assert_eq!(ids(page(Some(2), Some(1)).unwrap()), vec![1]);
    assert_eq!(ids(page(Some(1), None).unwrap()), Vec::<u64>::new());
    let e = page(Some(9), None).unwrap_err();
    assert!(e.to_string().contains("trade 9 does not exist"), "{e}");
    let e = s
        .q::<settlement::msg::TradesResponse>(&QueryMsg::TradesByAccount {
            account: alice.to_string(),
            start_after: Some(2),
            limit: None,
        })
        .unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "trade 2 is not a trade of {alice}: start_after must be one of its trades"
        )),
        "{e}"
    );
    let by_slot: settlement::msg::TradesResponse = s
        .q(&QueryMsg::TradesBySlot {
            slot,
            start_after: Some(1),
            limit: None,
        })
        .unwrap();
    assert_eq!(by_slot.trades.len(), 1);
    assert_eq!(by_slot.trades[0].id, 2);
    let bal: settlement::msg::BalanceResponse = s
        .q(&QueryMsg::Balance {
            account: bob.to_string(),
        })
        .unwrap();
    // Bob's two collaterals (1 kWh and 0.5 kWh at 20 % of 0.2 AIP/kWh).
    assert_eq!(bal.locked.u128(), 40_000 + 20_000);
    assert_eq!(bal.locked_in_orders.u128(), 0);
    let fill: settlement::msg::IntentFillResponse = s
        .q(&QueryMsg::IntentFill {
            owner: bob.to_string(),
            nonce: s.book[o1 as usize].nonce,
        })
        .unwrap();
    // A one-slot intent committed in its slot can never fill again: it keeps
    // no fill record (settlement::rules::fill_needs_record).
    assert_eq!((fill.filled, fill.hash_prefix), (0, None));
    let e = s
        .q::<settlement::msg::TradeResponse>(&QueryMsg::Trade { id: 9 })
        .unwrap_err();
    assert!(e.to_string().contains("trade 9 does not exist"), "{e}");
    s.after_slot();
    assert_eq!(s.status().phase, SlotPhase::Delivery);
}

#[test]
fn only_the_admin_changes_the_config_and_params_are_checked() {
    let mut s = Suite::new();
    let alice = s.user(0);
    let e = err(s.exec(
        &alice,
        ExecuteMsg::UpdateConfig {
            roles: None,
            params: None,
        },
    ));
    assert_eq!(
        e,
        format!("{alice} may not update the config: only the admin")
    );
    let admin = s.d.admin.clone();
    let mut p = params();
    p.max_batch = 0;
    let e = err(s.exec(
        &admin,
        ExecuteMsg::UpdateConfig {
            roles: None,
            params: Some(p),
        },
    ));
    assert_eq!(e, "invalid parameter max_batch: must be 1 to 1000");
    let mut p = params();
    p.gate_closure_secs = p.max_horizon_secs + 1;
    let e = err(s.exec(
        &admin,
        ExecuteMsg::UpdateConfig {
            roles: None,
            params: Some(p),
        },
    ));
    assert_eq!(
        e,
        "invalid parameter gate_closure_secs: must not exceed max_horizon_secs"
    );
    let mut p = params();
    p.default_collateral_bps = 100_001;
    let e = err(s.exec(
        &admin,
        ExecuteMsg::UpdateConfig {
            roles: None,
            params: Some(p),
        },
    ));
    assert_eq!(
        e,
        "invalid parameter default_collateral_bps: must be at most 100000 (10x the offer value)"
    );
    let mut roles = s.roles();
    roles.matcher = alice.to_string();
    s.exec(
        &admin,
        ExecuteMsg::UpdateConfig {
            roles: Some(roles),
            params: None,
        },
    )
    .unwrap();
    assert_eq!(s.roles().matcher, alice.to_string());
}

#[test]
fn migrate_accepts_settlement_and_refuses_other_contracts() {
    let mut s = Suite::new();
    let admin = s.d.admin.clone();
    let code = s.d.app.store_code(aip_testing::contracts::settlement());
    let settlement = s.d.settlement.clone();
    s.d.app
        .migrate_contract(
            admin.clone(),
            settlement,
            &settlement::msg::MigrateMsg {},
            code,
        )
        .unwrap();
    // The AIP token's storage is not a settlement contract's.
    let token = s.d.token.clone();
    let e =
        s.d.app
            .migrate_contract(admin, token, &settlement::msg::MigrateMsg {}, code)
            .unwrap_err();
    assert_eq!(
        e.root_cause().to_string(),
        "cannot migrate from crates.io:aip-token (this is crates.io:settlement)"
    );
}

#[test]
fn settle_limit_zero_still_makes_progress() {
    let mut s = Suite::new();
    let (alice, bob) = (s.user(0), s.user(1));
    s.one_kwh(&alice, &bob, P);
    s.after_slot();
    s.report("m-b", 1_000).unwrap();
    s.after_dispute_window();
    let r = s.settle(Some(0)).unwrap();
    assert_eq!(attr(&r, "considered"), "1");
    assert!(s.status().fully_settled);
}

#[test]
fn a_failing_reputation_hook_is_bypassed_by_unsetting_reputation() {
    let mut s = Suite::new();
    let (alice, bob) = (s.user(0), s.user(1));
    let rep = s.with_reputation();
    s.set_terms(&rep, &alice, 2_000, false, false);
    s.set_terms(&rep, &bob, 2_000, false, false);
    s.one_kwh(&alice, &bob, P);
    s.after_slot();
    s.report("m-b", 1_000).unwrap();
    s.after_dispute_window();
    let admin = s.d.admin.clone();
    s.d.app
        .execute_contract(admin, rep.clone(), &MockRepExec::Break {}, &[])
        .unwrap();
    // The hook fails, so the whole settle call fails and changes nothing.
    let e = err(s.settle(None));
    assert!(e.contains("reputation is broken"), "{e}");
    assert_eq!(s.trade(1).status, TradeStatus::Pending);
    // The admin unsets reputation: settlement goes on without it.
    s.d.wire_settlement(None, None).unwrap();
    s.settle(None).unwrap();
    assert_eq!(s.trade(1).status, TradeStatus::Settled);
    assert_eq!(s.claimable(&bob), 200_000 + 40_000);
}

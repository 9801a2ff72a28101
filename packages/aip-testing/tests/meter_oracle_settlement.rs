//! Meter oracle and settlement wired together: three oracle operators submit
//! device-signed readings, the quorum finalizes them, settlement fetches the
//! deliveries through the `Deliveries` hook and settles the slot from them.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use aip_testing::deployment::roles;
use aip_testing::response::attr;
use aip_testing::{Deployment, DeploymentConfig};
use aip_types::intent::Side as IntentSide;
use aip_types::{escrow_for, SlotId, SLOT_SECONDS};
use cosmwasm_std::{to_json_binary, Addr, Uint128};
use cw_multi_test::{AppResponse, Executor};
use ed25519_dalek::SigningKey;
use settlement::msg::{ExecuteMsg, IntentTrade, QueryMsg, ReceiveMsg, SlotStatusResponse, Zone};

const ZONE: u32 = 1;
const PRICE: u128 = 200_000;
const WH: u128 = 1_000;

fn send(d: &mut Deployment, who: &Addr, amount: u128, msg: &ReceiveMsg) -> AppResponse {
    let m = cw20::Cw20ExecuteMsg::Send {
        contract: d.settlement.to_string(),
        amount: Uint128::new(amount),
        msg: to_json_binary(msg).unwrap(),
    };
    let token = d.token.clone();
    d.app.execute_contract(who.clone(), token, &m, &[]).unwrap()
}

#[test]
fn readings_from_three_operators_settle_a_slot() {
    let cfg = DeploymentConfig {
        initial_balances: vec![
            ("seller".into(), 1_000_000_000_000),
            ("buyer".into(), 1_000_000_000_000),
        ],
        ..DeploymentConfig::default()
    };
    let mut d = Deployment::new(&cfg).unwrap();
    let mo = d.meter_oracle.clone();
    d.wire_settlement(None, Some(&mo)).unwrap();
    let (seller, buyer) = (d.addr("seller"), d.addr("buyer"));
    let dso = d.addr(roles::GRID_OPERATOR);
    let settlement = d.settlement.clone();
    d.app
        .execute_contract(
            dso,
            settlement.clone(),
            &ExecuteMsg::UpsertZone {
                zone: Zone {
                    id: ZONE,
                    name: "feeder".into(),
                },
            },
            &[],
        )
        .unwrap();
    let seller_dev = SigningKey::from_bytes(&[11; 32]);
    let buyer_dev = SigningKey::from_bytes(&[12; 32]);
    let seller_meter = d.register_meter(&seller, 4, &seller_dev).unwrap();
    let buyer_meter = d.register_meter(&buyer, 9, &buyer_dev).unwrap();
    // The grid operator places both nodes in the zone: orders take their zone from it.
    d.set_node_zones(&[(4, ZONE), (9, ZONE)]).unwrap();

    // Offer and bid name the meters by id; settlement checks their owners.
    let now = d.app.block_info().time.seconds();
    let slot = SlotId(SlotId::containing(now).0 + 4 * SLOT_SECONDS);
    d.set_time(slot.start() - 600);
    let collateral = settlement::rules::offer_collateral(
        Uint128::new(WH),
        Uint128::new(PRICE),
        aip_testing::deployment::default_settlement_params().collateral_floor_price,
        2_000,
    )
    .unwrap()
    .u128();
    // Each deposits what its side locks, then places its intent on chain.
    send(&mut d, &seller, collateral, &ReceiveMsg::Deposit {});
    let offer = d
        .place_intent(&seller, IntentSide::Sell, slot, seller_meter, WH, PRICE, 1)
        .unwrap();
    let escrow = escrow_for(Uint128::new(WH), Uint128::new(PRICE)).unwrap();
    send(&mut d, &buyer, escrow.u128(), &ReceiveMsg::Deposit {});
    let bid = d
        .place_intent(&buyer, IntentSide::Buy, slot, buyer_meter, WH, PRICE, 1)
        .unwrap();
    d.set_time(slot.start() - 60);
    let matcher = d.addr(roles::MATCHER);
    d.app
        .execute_contract(
            matcher,
            settlement.clone(),
            &ExecuteMsg::CommitIntents {
                slot,
                intents: vec![bid, offer],
                trades: vec![IntentTrade {
                    bid: 0,
                    offer: 1,
                    wh: Uint128::new(WH),
                    price: Uint128::new(PRICE),
                }],
                settle: Vec::new(),
            },
            &[],
        )
        .unwrap();

    // After the slot: the seller's device measured 800 Wh exported; one
    // operator forwards a wrong value (the device signed two), the quorum of
    // the other two wins.
    d.set_time(slot.end() + 10);
    for (op, exported) in [(0, 800u128), (1, 5_000), (2, 801)] {
        let readings = vec![
            d.sign_reading(&seller_dev, seller_meter, slot, exported, 0),
            d.sign_reading(&buyer_dev, buyer_meter, slot, 0, 950),
        ];
        d.submit_readings(op, slot, readings).unwrap();
    }
    let reading: meter_oracle::msg::ReadingResponse = d
        .app
        .wrap()
        .query_wasm_smart(
            &mo,
            &meter_oracle::msg::QueryMsg::Reading {
                slot,
                meter: seller_meter,
            },
        )
        .unwrap();
    assert_eq!(reading.exported_wh, Uint128::new(801));
    assert_eq!(
        reading.outliers,
        vec![d.addr(roles::METER_ORACLES[1]).to_string()]
    );

    // Settlement pulls the finalized deliveries and settles the slot.
    let anyone = d.addr("anyone");
    let r = d
        .app
        .execute_contract(
            anyone.clone(),
            settlement.clone(),
            &ExecuteMsg::FetchDeliveries { slot, limit: None },
            &[],
        )
        .unwrap();
    assert_eq!(attr(&r, "complete"), "true");
    let st: SlotStatusResponse = d
        .app
        .wrap()
        .query_wasm_smart(&settlement, &QueryMsg::SlotStatus { slot })
        .unwrap();
    let t = st.settle_from.expect("slot has trades");
    d.set_time(t);
    let r = d
        .app
        .execute_contract(
            anyone,
            settlement.clone(),
            &ExecuteMsg::Settle { slot, limit: None },
            &[],
        )
        .unwrap();
    assert_eq!(attr(&r, "action"), "settle");
    let trade: settlement::msg::TradeResponse = d
        .app
        .wrap()
        .query_wasm_smart(&settlement, &QueryMsg::Trade { id: 1 })
        .unwrap();
    assert_eq!(trade.status, settlement::msg::TradeStatus::Settled);
    let s = trade.settlement.expect("settled");
    assert_eq!(s.delivered_wh, Uint128::new(801));
    assert!(
        s.penalty > Uint128::zero(),
        "a 199 Wh shortfall is penalized"
    );
}

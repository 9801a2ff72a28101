//! Reputation with settlement wired in: real trades, escrow, meter reports,
//! settlement and disputes drive the score, and the score drives the
//! collateral settlement asks for.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use aip_testing::deployment::roles;
use aip_testing::response::{attr, err};
use aip_testing::{Deployment, DeploymentConfig};
use aip_types::hooks::{Ruling, Tier};
use aip_types::intent::Side as IntentSide;
use aip_types::MeterId;
use aip_types::{escrow_for, SlotId, SLOT_SECONDS};
use cosmwasm_std::{to_json_binary, Addr, Uint128};
use cw_multi_test::{AppResponse, Executor};
use ed25519_dalek::SigningKey;
use settlement::msg::{ExecuteMsg, IntentTrade, QueryMsg, ReceiveMsg, SlotStatusResponse, Zone};

const ZONE: u32 = 1;
/// The grid node of every meter here (in [`ZONE`]).
const NODE: u32 = 3;
const PRICE: u128 = 200_000; // 0.2 AIP per kWh
const WH: u128 = 1_000;

struct Market {
    d: Deployment,
    seller: Addr,
    buyer: Addr,
    /// The seller's meter and its device key.
    seller_meter: (MeterId, SigningKey),
    buyer_meter: MeterId,
}

impl Market {
    /// Token, settlement and reputation deployed; settlement wired to
    /// reputation; seller and buyer registered (their KYC token minted).
    fn new() -> Self {
        let cfg = DeploymentConfig {
            initial_balances: vec![
                ("seller".into(), 1_000_000_000_000),
                ("buyer".into(), 1_000_000_000_000),
                ("stranger".into(), 1_000_000_000_000),
            ],
            ..DeploymentConfig::default()
        };
        let mut d = Deployment::new(&cfg).unwrap();
        let rep = d.reputation.clone();
        let mo = d.meter_oracle.clone();
        d.wire_settlement(Some(&rep), Some(&mo)).unwrap();
        let (seller, buyer) = (d.addr("seller"), d.addr("buyer"));
        d.register(&seller).unwrap();
        d.register(&buyer).unwrap();
        let dso = d.addr(roles::GRID_OPERATOR);
        let m = ExecuteMsg::UpsertZone {
            zone: Zone {
                id: ZONE,
                name: "feeder".into(),
            },
        };
        let settlement = d.settlement.clone();
        d.app.execute_contract(dso, settlement, &m, &[]).unwrap();
        d.set_node_zones(&[(NODE, ZONE)]).unwrap();
        let key = SigningKey::from_bytes(&[21; 32]);
        let seller_meter = (d.register_meter(&seller, NODE, &key).unwrap(), key);
        let buyer_meter = d
            .register_meter(&buyer, NODE, &SigningKey::from_bytes(&[22; 32]))
            .unwrap();
        Market {
            d,
            seller,
            buyer,
            seller_meter,
            buyer_meter,
        }
    }

    fn set_time(&mut self, t: u64) {
        self.d.set_time(t);
    }

    fn now(&self) -> u64 {
        self.d.now()
    }

    fn exec(&mut self, who: &Addr, msg: &ExecuteMsg) -> anyhow::Result<AppResponse> {
        let s = self.d.settlement.clone();
        self.d.app.execute_contract(who.clone(), s, msg, &[])
    }

    fn send(&mut self, who: &Addr, amount: u128, msg: &ReceiveMsg) -> anyhow::Result<AppResponse> {
        let m = cw20::Cw20ExecuteMsg::Send {
            contract: self.d.settlement.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(msg).unwrap(),
        };
        let token = self.d.token.clone();
        self.d.app.execute_contract(who.clone(), token, &m, &[])
    }

    /// The collateral settlement asks of `who` for an offer of `WH` at `PRICE`.
    fn collateral(&self, who: &Addr) -> u128 {
        let ratio = self.d.trading_terms(who).unwrap().collateral_ratio_bps;
        settlement::rules::offer_collateral(
            Uint128::new(WH),
            Uint128::new(PRICE),
            aip_testing::deployment::default_settlement_params().collateral_floor_price,
            ratio,
        )
        .unwrap()
        .u128()
    }

    /// One slot: the seller offers `WH`, the buyer bids, the matcher matches,
    /// the meter shows `delivered` Wh. Returns the trade id, its slot and the
    /// offer's locked collateral. Not yet settled.
    fn trade(&mut self, delivered: u128) -> (u64, SlotId, u128) {
        let slot = SlotId(SlotId::containing(self.now()).0 + 4 * SLOT_SECONDS);
        self.set_time(slot.start() - 300 - 60);
        let (seller, buyer) = (self.seller.clone(), self.buyer.clone());
        let collateral = self.collateral(&seller);
        let r = self.commit(slot, &seller, &buyer, self.seller_meter.0, collateral);
        let id: u64 = attr(&r.unwrap(), "first_trade_id").parse().unwrap();
        let t: settlement::msg::TradeResponse = self
            .d
            .app
            .wrap()
            .query_wasm_smart(&self.d.settlement, &QueryMsg::Trade { id })
            .unwrap();
        self.set_time(slot.end() + 10);
        let (meter, key) = self.seller_meter.clone();
        self.d.deliver(slot, &[(meter, &key, delivered)]).unwrap();
        (id, slot, t.collateral.u128())
    }

    /// `seller` deposits `collateral` and places an offer of `WH` at `PRICE`
    /// on `meter`, the buyer deposits the escrow and places its bid (both on
    /// chain, nonce = the slot), and the matcher commits the one trade.
    fn commit(
        &mut self,
        slot: SlotId,
        seller: &Addr,
        buyer: &Addr,
        meter: MeterId,
        collateral: u128,
    ) -> anyhow::Result<AppResponse> {
        self.send(seller, collateral, &ReceiveMsg::Deposit {})
            .unwrap();
        let offer = self
            .d
            .place_intent(seller, IntentSide::Sell, slot, meter, WH, PRICE, slot.0)
            .unwrap();
        let escrow = escrow_for(Uint128::new(WH), Uint128::new(PRICE)).unwrap();
        self.send(buyer, escrow.u128(), &ReceiveMsg::Deposit {})
            .unwrap();
        let bm = self.buyer_meter;
        let bid = self
            .d
            .place_intent(buyer, IntentSide::Buy, slot, bm, WH, PRICE, slot.0)
            .unwrap();
        self.set_time(slot.start() - 60);
        let matcher = self.d.addr(roles::MATCHER);
        self.exec(
            &matcher,
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
        )
    }

    /// Past the dispute window, settle the slot (outcomes go to reputation).
    fn settle(&mut self, slot: SlotId) {
        let st: SlotStatusResponse = self
            .d
            .app
            .wrap()
            .query_wasm_smart(&self.d.settlement, &QueryMsg::SlotStatus { slot })
            .unwrap();
        let t = st.settle_from.expect("slot has trades").max(self.now());
        self.set_time(t);
        let who = self.buyer.clone();
        self.exec(&who, &ExecuteMsg::Settle { slot, limit: None })
            .unwrap();
    }

    fn round(&mut self, delivered: u128) -> (u64, u128) {
        let (id, slot, locked) = self.trade(delivered);
        self.settle(slot);
        (id, locked)
    }

    fn score(&self, who: &Addr) -> u16 {
        self.d.reputation_of(who).unwrap().score
    }
}

#[test]
fn well_delivered_trades_raise_the_score_and_the_tier_lowers_collateral() {
    let mut m = Market::new();
    let seller = m.seller.clone();
    let t = m.d.trading_terms(&seller).unwrap();
    assert_eq!((t.registered, t.tier, t.score), (true, Tier::Newcomer, 550));
    assert_eq!(t.collateral_ratio_bps, 5_000);

    let mut last = m.score(&seller);
    for i in 0..5 {
        let (_, locked) = m.round(WH);
        // Newcomer terms while the history is short: 50 % of 0.2 AIP.
        assert_eq!(locked, 100_000, "round {i}");
        let now = m.score(&seller);
        assert!(now > last, "round {i}: {now} > {last}");
        last = now;
    }
    let r = m.d.reputation_of(&seller).unwrap();
    assert_eq!(r.history.trades, 5);
    assert_eq!(r.history.delivered_wh, 5 * WH as u64);
    let t = m.d.trading_terms(&seller).unwrap();
    assert_eq!((t.tier, t.score), (Tier::Silver, 646));
    assert_eq!(t.collateral_ratio_bps, 3_000);
    assert!(t.premium_eligible);
    // The next offer locks the silver collateral: 30 % of 0.2 AIP.
    let (_, locked) = m.round(WH);
    assert_eq!(locked, 60_000);
    // The buyer's record grew too.
    assert_eq!(
        m.d.reputation_of(&m.buyer.clone()).unwrap().history.trades,
        6
    );
}

#[test]
fn a_shortfall_lowers_the_score() {
    let mut m = Market::new();
    let seller = m.seller.clone();
    for _ in 0..5 {
        m.round(WH);
    }
    let before = m.d.reputation_of(&seller).unwrap();
    assert_eq!(before.tier, Tier::Silver);
    m.round(WH / 2);
    let after = m.d.reputation_of(&seller).unwrap();
    assert!(
        after.score < before.score,
        "{} < {}",
        after.score,
        before.score
    );
    assert!(after.components.success_rate < before.components.success_rate);
    assert!(after.components.delivery_accuracy < before.components.delivery_accuracy);
    assert_eq!(
        after.history.contracted_wh - after.history.delivered_wh,
        500
    );
    // Repeated shortfalls push the seller down to bronze and back to 50 % collateral.
    for _ in 0..3 {
        m.round(0);
    }
    let t = m.d.trading_terms(&seller).unwrap();
    assert_eq!(t.tier, Tier::Bronze);
    assert_eq!(t.collateral_ratio_bps, 5_000);
    assert!(!t.premium_eligible);
}

#[test]
fn a_lost_dispute_lowers_the_score() {
    let mut m = Market::new();
    let (seller, buyer) = (m.seller.clone(), m.buyer.clone());
    for _ in 0..5 {
        m.round(WH);
    }
    let before = m.d.reputation_of(&seller).unwrap();
    let (id, slot, _) = m.trade(WH);
    m.exec(
        &buyer,
        &ExecuteMsg::OpenDispute {
            trade_id: id,
            reason: "nothing arrived".into(),
        },
    )
    .unwrap();
    m.settle(slot); // skips the disputed trade
    assert_eq!(m.d.reputation_of(&seller).unwrap().history.trades, 5);
    let arbiter = m.d.addr(roles::ARBITER);
    m.exec(
        &arbiter,
        &ExecuteMsg::ResolveDispute {
            trade_id: id,
            ruling: Ruling::RefundBuyer,
        },
    )
    .unwrap();
    let after = m.d.reputation_of(&seller).unwrap();
    assert_eq!(after.history.trades, 6);
    assert_eq!(after.history.disputes, 1);
    assert_eq!(after.history.dispute_loss_bps, 10_000);
    assert!(
        after.score < before.score,
        "{} < {}",
        after.score,
        before.score
    );
    assert!(after.components.dispute_record < 1000);
    // The buyer won: its dispute record is clean.
    let b = m.d.reputation_of(&buyer).unwrap();
    assert_eq!((b.history.disputes, b.history.dispute_loss_bps), (1, 0));
    assert_eq!(b.components.dispute_record, 1000);
}

#[test]
fn parties_review_each_other_after_settlement() {
    let mut m = Market::new();
    let (seller, buyer) = (m.seller.clone(), m.buyer.clone());
    let (id, _) = m.round(WH);
    let rep = m.d.reputation.clone();
    let review = |counterparty: &Addr, rating| reputation::msg::ExecuteMsg::Review {
        trade_id: id,
        counterparty: counterparty.to_string(),
        rating,
    };
    let stranger = m.d.addr("stranger");
    let e =
        m.d.app
            .execute_contract(stranger.clone(), rep.clone(), &review(&seller, 1), &[])
            .unwrap_err()
            .root_cause()
            .to_string();
    assert_eq!(
        e,
        format!("trade {id}: {stranger} and {seller} are not its seller and buyer")
    );
    let before = m.d.reputation_of(&seller).unwrap();
    m.d.app
        .execute_contract(buyer.clone(), rep.clone(), &review(&seller, 5), &[])
        .unwrap();
    m.d.app
        .execute_contract(seller.clone(), rep.clone(), &review(&buyer, 4), &[])
        .unwrap();
    let after = m.d.reputation_of(&seller).unwrap();
    assert_eq!(after.history.reviews_received, 1);
    assert!(after.components.peer_reviews > before.components.peer_reviews);
    assert_eq!(
        m.d.reputation_of(&buyer).unwrap().history.reviews_received,
        1
    );
}

#[test]
fn settlement_refuses_unregistered_and_flagged_sellers() {
    let mut m = Market::new();
    let stranger = m.d.addr("stranger");
    let slot = SlotId(SlotId::containing(m.now()).0 + 4 * SLOT_SECONDS);
    let stranger_meter =
        m.d.register_meter(&stranger, NODE, &SigningKey::from_bytes(&[23; 32]))
            .unwrap();
    m.set_time(slot.start() - 360);
    let buyer = m.buyer.clone();
    let e = err(m.commit(slot, &stranger, &buyer, stranger_meter, 100_000));
    assert!(e.contains("intent 1 rejected: account"), "{e}");
    assert!(e.contains("no reputation token"), "{e}");

    let seller = m.seller.clone();
    let guardian = m.d.addr(roles::GUARDIAN);
    let rep = m.d.reputation.clone();
    m.d.app
        .execute_contract(
            guardian,
            rep,
            &reputation::msg::ExecuteMsg::Flag {
                account: seller.to_string(),
                reason: "wash trading".into(),
            },
            &[],
        )
        .unwrap();
    let t = m.d.trading_terms(&seller).unwrap();
    assert!(t.flagged && !t.premium_eligible);
    let next = SlotId(slot.0 + SLOT_SECONDS);
    m.set_time(next.start() - 360);
    let sm = m.seller_meter.0;
    let e = err(m.commit(next, &seller, &buyer, sm, 100_000));
    assert!(e.contains("flagged by the guardian"), "{e}");
}

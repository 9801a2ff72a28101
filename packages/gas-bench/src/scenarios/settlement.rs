//! settlement: order placement through the cw20 hook, `CommitMatches`,
//! `FetchDeliveries` and `Settle` for batches of 1, 10, 100 and 500 trades.
//!
//! The AIP token is the real artifact (placements are real cw20 `Send`s whose
//! `Receive` sub-message runs on settlement; withdrawals are real transfers).
//! Reputation and meter-oracle are the real contracts when their artifacts are
//! built (tokens minted for every participant; meters registered with device
//! keys and device-signed readings submitted by two operators), otherwise mocks
//! answering `TradingTerms` and `Deliveries` with the aip-types hook responses.
//! Either way settlement runs in its production configuration (both neighbours set).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aip_types::hooks::{
    DeliveriesResponse, MeterDelivery, MeterStatus, Tier, TradingTermsResponse,
};
use aip_types::SlotId;
use anyhow::{ensure, Context, Result};
use cosmwasm_std::Binary;
use serde_json::{json, Value};

use super::{Ctx, Measured};
use crate::report::Row;
use crate::{CallGas, Chain};

/// Batch sizes the issue asks for.
pub const BATCHES: [u64; 4] = [1, 10, 100, 500];
/// Target (docs/design.md): SDK gas per trade in a batch of 500, instance cost included.
pub const TARGET_PER_TRADE: u64 = 8_000;

const WH: u128 = 2_000;
const MAX_PRICE: u128 = 250_000;
const MIN_PRICE: u128 = 200_000;
/// Settlement's default collateral floor price (its parameters omit it here).
const COLLATERAL_FLOOR: u128 = 100_000;
const PRICE: u128 = 220_000;
const COLLATERAL_BPS: u32 = 2_000;
const GATE_CLOSURE: u64 = 300;
const DISPUTE_WINDOW: u64 = 600;

/// Sum of several calls (message bytes included).
pub fn total(calls: &[CallGas]) -> CallGas {
    let mut t = CallGas::default();
    for c in calls {
        t.absorb(c);
        t.msg_bytes += c.msg_bytes;
    }
    t
}

/// What the mock meter-oracle knows: meter id → (owner, exported Wh once finalized).
/// Mock registry: meter id -> (owner, node, exported once finalized).
type MeterBook = Arc<Mutex<HashMap<u32, (String, u32, Option<u128>)>>>;

/// The real meter-oracle: its address, operators and the device keys of the meters registered.
pub(super) struct RealOracle {
    addr: String,
    operators: Vec<String>,
    keys: std::cell::RefCell<HashMap<u32, ed25519_zebra::SigningKey>>,
}

pub(super) struct Market {
    pub(super) chain: Chain,
    grid: String,
    pub(super) oracle: Option<RealOracle>,
    pub(super) real_reputation: bool,
    pub(super) collateral_bps: u32,
    pub(super) token: String,
    pub(super) settlement: String,
    pub(super) matcher: String,
    meters: MeterBook,
}

fn ceil_div(a: u128, b: u128) -> u128 {
    a.div_ceil(b)
}

fn setup(ctx: &Ctx, accounts: u64) -> Result<Market> {
    let chain = Chain::new()?;
    let addrs = (0..accounts)
        .flat_map(|i| [format!("buyer-{i}"), format!("seller-{i}")])
        .map(|name| chain.addr(&name))
        .collect();
    setup_for(ctx, chain, addrs)
}

/// The market with `addrs` funded (1,000,000 AIP each) and holding a
/// reputation token.
pub(super) fn setup_for(ctx: &Ctx, chain: Chain, addrs: Vec<String>) -> Result<Market> {
    let token_code = ctx.store(&chain, "aip-token")?;
    let settlement_code = ctx.store(&chain, "settlement")?;
    let admin = chain.addr("admin");
    let balances: Vec<Value> = addrs
        .iter()
        .map(|a| json!({ "address": a, "amount": "1000000000000" }))
        .collect();
    let (token, _) = chain.instantiate(
        &token_code,
        "aip-token",
        &admin,
        &json!({
            "name": "AIP", "symbol": "AIP", "decimals": 6,
            "initial_balances": balances, "mint": null, "marketing": null,
        }),
    )?;

    // Reputation: the real contract when its artifact is built (every account
    // minted its token by the admin, settlement as the outcome source), else a
    // mock answering `TradingTerms` with the aip-types response.
    let settlement_addr = chain.addr("settlement");
    let (reputation, real_reputation) = if ctx.artifact("reputation").is_ok() {
        let code = ctx.store(&chain, "reputation")?;
        let (rep, _) = chain.instantiate(
            &code,
            "reputation",
            &admin,
            &json!({
                "name": "AIPCHAIN reputation", "symbol": "AIPREP", "admin": admin,
                "settlement": settlement_addr, "zk_verifier": null, "guardian": null,
                "terms": null, "review_window_secs": null,
            }),
        )?;
        for a in &addrs {
            chain.execute(&rep, &admin, &json!({ "mint_for": { "owner": a } }))?;
        }
        (rep, true)
    } else {
        let rep = chain.addr("reputation");
        chain.mock_contract(
            &rep,
            Box::new(|msg: &Value| {
                let account = msg
                    .pointer("/trading_terms/account")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("reputation mock: unexpected query {msg}"))?;
                serde_json::to_value(TradingTermsResponse {
                    account: account.to_string(),
                    registered: true,
                    score: 700,
                    tier: Tier::Silver,
                    collateral_ratio_bps: COLLATERAL_BPS,
                    premium_eligible: true,
                    flagged: false,
                })
                .map_err(|e| e.to_string())
            }),
        );
        (rep, false)
    };
    let terms = chain.query(
        &reputation,
        &json!({ "trading_terms": { "account": addrs.first().context("no accounts")? } }),
    );
    let collateral_bps = match terms {
        Ok(t) if real_reputation => t["collateral_ratio_bps"]
            .as_u64()
            .context("trading_terms has no ratio")? as u32,
        _ => COLLATERAL_BPS,
    };
    // Meter-oracle: the real contract when its artifact is built (meters
    // registered with device keys, two operators, quorum 2), else a mock.
    let grid = chain.addr("grid-operator");
    let meters: MeterBook = Arc::default();
    let (meter_oracle, oracle) = if ctx.artifact("meter-oracle").is_ok() {
        let code = ctx.store(&chain, "meter-oracle")?;
        let operators: Vec<String> = (0..2).map(|i| chain.addr(&format!("oracle-{i}"))).collect();
        let (addr, _) = chain.instantiate(
            &code,
            "meter-oracle",
            &admin,
            &json!({
                "admin": admin, "grid_operator": grid, "operators": operators, "quorum": 2,
                "tolerance": { "wh": "10", "bps": 100 },
            }),
        )?;
        (
            addr.clone(),
            Some(RealOracle {
                addr,
                operators,
                keys: Default::default(),
            }),
        )
    } else {
        let meter_oracle = chain.addr("meter-oracle");
        let book = meters.clone();
        chain.mock_contract(
            &meter_oracle,
            Box::new(move |msg: &Value| {
                let q = msg
                    .get("deliveries")
                    .ok_or_else(|| format!("meter-oracle mock: unexpected query {msg}"))?;
                let slot: SlotId =
                    serde_json::from_value(q["slot"].clone()).map_err(|e| e.to_string())?;
                let ids: Vec<u32> =
                    serde_json::from_value(q["meters"].clone()).map_err(|e| e.to_string())?;
                let book = book.lock().map_err(|e| e.to_string())?;
                let deliveries = ids
                    .iter()
                    .filter_map(|m| {
                        book.get(m).map(|(owner, node, exported)| MeterDelivery {
                            meter: *m,
                            owner: owner.clone(),
                            node: *node,
                            status: MeterStatus::Active,
                            finalized: exported.is_some(),
                            exported_wh: exported.unwrap_or(0).into(),
                            imported_wh: 0u128.into(),
                        })
                    })
                    .collect();
                serde_json::to_value(DeliveriesResponse { slot, deliveries })
                    .map_err(|e| e.to_string())
            }),
        );
        (meter_oracle, None)
    };

    let matcher = chain.addr("matcher");
    let (settlement, _) = chain.instantiate(
        &settlement_code,
        "settlement",
        &admin,
        &json!({
            "token": token,
            "roles": {
                "admin": admin, "grid_operator": grid, "matcher": matcher,
                "arbiter": chain.addr("arbiter"), "treasury": chain.addr("treasury"),
                "reputation": reputation, "meter_oracle": meter_oracle,
            },
            "params": {
                "gate_closure_secs": GATE_CLOSURE, "max_horizon_secs": 172_800,
                "default_collateral_bps": COLLATERAL_BPS, "penalty_price": "50000",
                "dispute_window_secs": DISPUTE_WINDOW, "delivery_deadline_secs": 1_800,
                "max_batch": 500,
            },
        }),
    )?;
    for (id, name) in [(1, "feeder A"), (2, "feeder B")] {
        chain.execute(
            &settlement,
            &grid,
            &json!({ "upsert_zone": { "zone": { "id": id, "name": name } } }),
        )?;
    }
    // Meters at node 1 are in zone 1, at node 2 in zone 2.
    chain.execute(
        &settlement,
        &grid,
        &json!({ "set_node_zones": { "nodes": [{ "node": 1, "zone": 1 }, { "node": 2, "zone": 2 }] } }),
    )?;
    chain.execute(
        &settlement,
        &grid,
        &json!({ "set_corridor": { "corridor": {
            "from_zone": 2, "to_zone": 1, "capacity_wh": "100000000", "loss_bps": 200, "fee_per_kwh": "1000",
        } } }),
    )?;
    Ok(Market {
        chain,
        grid,
        oracle,
        real_reputation,
        collateral_bps,
        token,
        settlement,
        matcher,
        meters,
    })
}

impl Market {
    /// Registers a meter for `owner` at `node` on the real meter-oracle; returns its id.
    pub(super) fn register_meter(&self, owner: &str, node: u32) -> Result<u32> {
        let oracle = self.oracle.as_ref().context("no meter-oracle")?;
        let mut keys = oracle.keys.borrow_mut();
        let key = super::meter_oracle::device_key(10_000 + keys.len() as u64);
        let pubkey =
            Binary::from(<[u8; 32]>::from(ed25519_zebra::VerificationKey::from(&key)).to_vec());
        let (resp, _) = self.chain.execute(
            &oracle.addr,
            &self.grid,
            &json!({ "register_meter": { "owner": owner, "node": node, "pubkey": pubkey } }),
        )?;
        let id: u32 = crate::chain::attribute(&resp, "meter")
            .context("register_meter has no `meter` attribute")?
            .parse()?;
        keys.insert(id, key);
        Ok(id)
    }

    /// Both operators submit device-signed readings of `meters` (batches of 200).
    pub(super) fn submit_readings(
        &self,
        slot: u64,
        meters: &[u32],
        exported: impl Fn(usize) -> u128,
    ) -> Result<()> {
        let oracle = self.oracle.as_ref().context("no meter-oracle")?;
        let keys = oracle.keys.borrow();
        let readings: Vec<Value> = meters
            .iter()
            .enumerate()
            .map(|(i, &id)| {
                let key = keys.get(&id).context("unknown meter key")?;
                let wh = exported(i);
                let payload = super::meter_oracle::reading_payload(crate::chain::CHAIN_ID, &oracle.addr, id, slot, wh, 0);
                let sig = <[u8; 64]>::from(key.sign(&payload));
                Ok(json!({ "meter": id, "exported_wh": wh.to_string(), "imported_wh": "0", "signature": Binary::from(sig.to_vec()) }))
            })
            .collect::<Result<_>>()?;
        for op in &oracle.operators {
            for chunk in readings.chunks(200) {
                self.chain
                    .execute(
                        &oracle.addr,
                        op,
                        &json!({ "submit_readings": { "slot": slot, "readings": chunk } }),
                    )
                    .context("SubmitReadings")?;
            }
        }
        Ok(())
    }

    pub(super) fn send(&self, from: &str, amount: u128, hook: &Value) -> Result<(Value, CallGas)> {
        let msg = Binary::from(serde_json::to_vec(hook)?).to_base64();
        self.chain.execute(
            &self.token,
            from,
            &json!({ "send": { "contract": self.settlement, "amount": amount.to_string(), "msg": msg } }),
        )
    }

    /// The order id placed by a response (settlement's `order_id` attribute,
    /// found in the sub-call's response: we re-query the owner's orders instead).
    fn last_order_of(&self, owner: &str) -> Result<u64> {
        let r = self.chain.query(
            &self.settlement,
            &json!({ "orders_by_owner": { "owner": owner, "start_after": null, "limit": 100 } }),
        )?;
        r["orders"]
            .as_array()
            .and_then(|o| o.last())
            .and_then(|o| o["id"].as_u64())
            .context("no order found")
    }
}

/// Placements measured in one round of `n` bids and `n` offers.
struct Placements {
    seller_meters: Vec<u32>,
    bids: Vec<CallGas>,
    offers: Vec<CallGas>,
    pairs: Vec<(u64, u64)>,
}

fn place_round(m: &Market, slot: u64, n: u64, round: u64) -> Result<Placements> {
    let (mut bids, mut offers, mut pairs) = (Vec::new(), Vec::new(), Vec::new());
    let mut seller_meters = Vec::new();
    for i in 0..n {
        let buyer = m.chain.addr(&format!("buyer-{i}"));
        let seller = m.chain.addr(&format!("seller-{i}"));
        // Every fifth seller sits behind the corridor from zone 2 (its
        // meter at node 2, which the grid operator placed in zone 2).
        let offer_zone: u32 = if i % 5 == 4 { 2 } else { 1 };
        let (buyer_meter, seller_meter) = if m.oracle.is_some() {
            (
                m.register_meter(&buyer, 1)?,
                m.register_meter(&seller, offer_zone)?,
            )
        } else {
            let b = (1_000_000 + round * 10_000 + i) as u32;
            let s = (2_000_000 + round * 10_000 + i) as u32;
            let mut book = m.meters.lock().map_err(|e| anyhow::anyhow!("{e}"))?;
            book.insert(b, (buyer.clone(), 1, None));
            book.insert(s, (seller.clone(), offer_zone, None));
            (b, s)
        };
        seller_meters.push(seller_meter);
        let escrow = ceil_div(WH * MAX_PRICE, 1_000);
        let (_, g) = m.send(
            &buyer,
            escrow,
            &json!({ "place_bid": { "slot": slot, "zone": 1, "meter": buyer_meter, "wh": WH.to_string(), "max_price": MAX_PRICE.to_string() } }),
        )?;
        bids.push(g);
        // Collateral valued at max(min price, the 100_000 uaip/kWh floor).
        let collateral = ceil_div(
            WH * MIN_PRICE.max(COLLATERAL_FLOOR) * m.collateral_bps as u128,
            10_000_000,
        );
        let (_, g) = m.send(
            &seller,
            collateral,
            &json!({ "place_offer": { "slot": slot, "zone": offer_zone, "meter": seller_meter, "wh": WH.to_string(), "min_price": MIN_PRICE.to_string(), "premium_only": false } }),
        )?;
        offers.push(g);
        pairs.push((m.last_order_of(&buyer)?, m.last_order_of(&seller)?));
    }
    Ok(Placements {
        seller_meters,
        bids,
        offers,
        pairs,
    })
}

/// Measures placements, then commit, delivery fetch and settlement of `n`-trade batches.
pub fn run(ctx: &Ctx) -> Result<Measured> {
    let max = *BATCHES.iter().max().unwrap_or(&1);
    let m = setup(ctx, max)?;
    // Slots far enough apart that each round has its own; orders placed an hour ahead.
    let base = (m.chain.time() / 900 + 8) * 900;
    let mut rows = Vec::new();
    let mut placement_rows = Vec::new();
    let mut per_trade_rows = Vec::new();

    for (round, &n) in BATCHES.iter().enumerate() {
        let slot = base + round as u64 * 4 * 3_600;
        m.chain.set_time(slot - 3_600);
        let placed = place_round(&m, slot, n, round as u64)?;
        if n == 100 {
            placement_rows.push(Row::new(
                "PlaceBid: AIP `Send` → settlement `Receive` (avg of 100)",
                100,
                total(&placed.bids),
            ));
            placement_rows.push(Row::new(
                "PlaceOffer: AIP `Send` → settlement `Receive` (avg of 100)",
                100,
                total(&placed.offers),
            ));
        }

        // The matcher commits after gate closure, before the slot starts.
        m.chain.set_time(slot - GATE_CLOSURE + 100);
        let trades: Vec<Value> = placed
            .pairs
            .iter()
            .map(|(bid, offer)| json!({ "bid": bid, "offer": offer, "wh": WH.to_string(), "price": PRICE.to_string() }))
            .collect();
        let (_, commit) = m
            .chain
            .execute(
                &m.settlement,
                &m.matcher,
                &json!({ "commit_matches": { "slot": slot, "trades": trades } }),
            )
            .with_context(|| format!("CommitMatches of {n}"))?;

        // After the slot: the meter-oracle finalizes every seller meter
        // (every tenth delivered only 75 %).
        let exported = |i: usize| if i % 10 == 9 { WH * 3 / 4 } else { WH };
        m.chain.set_time(slot + 900 + 30);
        if m.oracle.is_some() {
            m.submit_readings(slot, &placed.seller_meters, exported)?;
        } else {
            let mut book = m.meters.lock().map_err(|e| anyhow::anyhow!("{e}"))?;
            for (i, meter) in placed.seller_meters.iter().enumerate() {
                if let Some(entry) = book.get_mut(meter) {
                    entry.2 = Some(exported(i));
                }
            }
        }
        m.chain.set_time(slot + 900 + 60);
        let anyone = m.chain.addr("keeper");
        let (_, fetch) = m
            .chain
            .execute(
                &m.settlement,
                &anyone,
                &json!({ "fetch_deliveries": { "slot": slot, "limit": n } }),
            )
            .with_context(|| format!("FetchDeliveries of {n}"))?;
        m.chain.set_time(slot + 900 + 60 + DISPUTE_WINDOW + 1);
        let (_, settle) = m
            .chain
            .execute(
                &m.settlement,
                &anyone,
                &json!({ "settle": { "slot": slot, "limit": n } }),
            )
            .with_context(|| format!("Settle of {n}"))?;
        let status = m
            .chain
            .query(&m.settlement, &json!({ "slot_status": { "slot": slot } }))?;
        ensure!(
            status["fully_settled"] == true,
            "slot not fully settled: {status}"
        );

        let label = if n == 1 {
            "trade".to_string()
        } else {
            "trades".to_string()
        };
        rows.push(Row::new(format!("CommitMatches ({n} {label})"), n, commit));
        rows.push(Row::new(
            format!("FetchDeliveries ({n} seller meters)"),
            n,
            fetch,
        ));
        rows.push(Row::new(format!("Settle ({n} {label})"), n, settle));
        let mut row = Row::new(
            format!("commit + fetch + settle, {n} {label}"),
            n,
            total(&[commit, fetch, settle]),
        );
        if n == 500 {
            row = row.target(TARGET_PER_TRADE);
        }
        per_trade_rows.push(row);
    }

    // A seller withdraws its proceeds: one cw20 transfer.
    let seller = m.chain.addr("seller-0");
    let (_, withdraw) = m.chain.execute(
        &m.settlement,
        &seller,
        &json!({ "withdraw": { "amount": null } }),
    )?;
    placement_rows.push(Row::new(
        "Withdraw (settlement → AIP transfer)",
        1,
        withdraw,
    ));

    rows.extend(per_trade_rows);
    rows.extend(placement_rows);
    let reputation = if m.real_reputation {
        format!(
            "the real reputation contract (every participant holds its token; newcomer terms: \
             collateral {} bps; settlement's `RecordOutcomes` runs on it)",
            m.collateral_bps
        )
    } else {
        format!(
            "a mock reputation answering `TradingTerms` (collateral {} bps)",
            m.collateral_bps
        )
    };
    let oracle = if m.oracle.is_some() {
        "the real meter-oracle (every order's meter registered with its own ed25519 device key; \
         two operators, quorum 2, submit device-signed readings after the slot)"
    } else {
        "a mock meter-oracle answering `Deliveries` (a query costs its instance only)"
    };
    Ok(Measured {
        name: "settlement",
        title: "Settlement",
        command: "cargo run -p aip-gas-bench --bin aip-gas -- settlement".into(),
        setup: format!(
            "Production configuration: settlement with the real AIP token, {reputation} and {oracle}. For each batch size n: n buyers and n sellers each place one order for the \
             same slot through a real AIP `Send` (bids lock {WH} Wh × {MAX_PRICE} uaip/kWh, offers \
             the collateral); every fifth offer sits in zone 2 behind a corridor (2 % loss, congestion \
             fee). The matcher commits n trades in one `CommitMatches`; after the slot, one \
             `FetchDeliveries` pulls the n seller meters' finalized readings (every tenth short by \
             25 %), and after the dispute window one `Settle` settles all n. Payouts go to an internal \
             ledger (`Withdraw` pays out)."
        ),
        rows,
        artifacts: Vec::new(),
    })
}

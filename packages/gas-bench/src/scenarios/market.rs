//! The market the `intents` scenario measures: the AIP token, settlement,
//! reputation and meter-oracle deployed and wired as in production.
//! (The per-order scenario that lived here went with the per-order path.)
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
use anyhow::{Context, Result};
use cosmwasm_std::Binary;
use serde_json::{json, Value};

use super::Ctx;
use crate::{CallGas, Chain};

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
    pub(super) token: String,
    pub(super) settlement: String,
    pub(super) matcher: String,
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
        token,
        settlement,
        matcher,
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
}

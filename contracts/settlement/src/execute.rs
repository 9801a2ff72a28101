//! Execute handlers.

use std::collections::{BTreeMap, BTreeSet};

use aip_types::hooks::{
    DeliveriesResponse, MeterQueryHook, ReputationExecuteHook, Ruling, TradeOutcome,
};
use aip_types::{apply_bps, payment, MeterId, Price, SlotId, TradeId, Wh, ZoneId, MAX_ORDER_PRICE};
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Binary, CosmosMsg, Deps, DepsMut, Env, MessageInfo,
    Order as IterOrder, Response, StdResult, Storage, Uint128, WasmMsg,
};
use cw2::set_contract_version;
use cw_storage_plus::Bound;

use crate::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use crate::ledger::{self, Delta};
use crate::msg::{
    CongestionFee, Corridor, MarketParams, NodeZone, ReceiveMsg, Roles, TradeSettlement, Zone,
    DEFAULT_LIMIT,
};
use crate::rules;
use crate::state::{
    Config, Dispute, MeterSlot, SlotState, State, TradeRec, CONFIG, CORRIDORS, DISPUTES, FEES,
    METERS, NODE_ZONES, SLOTS, SLOT_BATCHES, STATE, TRADES, ZONES,
};
use crate::ContractError;

/// Longest zone name accepted.
pub const MAX_NAME_LEN: usize = 64;
/// Most node -> zone entries in one `SetNodeZones`.
pub const MAX_NODE_ZONES: usize = 500;
/// Longest time the parameters may give for delivery data or disputes: 7 days.
pub const MAX_WINDOW_SECS: u64 = 7 * 86_400;
/// Largest dispute bond the parameters may ask: 1,000,000 AIP.
pub const MAX_DISPUTE_BOND: u128 = 1_000_000_000_000;
/// Shortest delivery deadline: 5 minutes after the slot ends, so the oracles
/// always have time to report (a 0 deadline would settle every seller as 0).
pub const MIN_DELIVERY_DEADLINE_SECS: u64 = 300;
/// Longest dispute reason accepted.
pub const MAX_REASON_LEN: usize = 280;
/// Largest batch the parameters may allow.
pub const MAX_BATCH_CAP: u32 = 1_000;

// ---------------------------------------------------------------- instantiate

pub fn execute_instantiate(
    deps: DepsMut,
    info: MessageInfo,
    token: String,
    roles: Roles,
    params: MarketParams,
) -> Result<Response, ContractError> {
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    validate_params(&params)?;
    let token = deps.api.addr_validate(&token)?;
    let cfg = config_from(deps.as_ref(), token, roles, params)?;
    CONFIG.save(deps.storage, &cfg)?;
    STATE.save(
        deps.storage,
        &State {
            next_trade: 1,
            ..State::default()
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("token", cfg.token)
        .add_attribute("admin", cfg.admin)
        .add_attribute("sender", info.sender))
}

pub fn execute_migrate(deps: DepsMut) -> Result<Response, ContractError> {
    let from_version =
        aip_types::migrate::check_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from_version)
        .add_attribute("to_version", CONTRACT_VERSION))
}

fn config_from(
    deps: Deps,
    token: Addr,
    roles: Roles,
    params: MarketParams,
) -> Result<Config, ContractError> {
    let api = deps.api;
    let opt = |a: Option<String>| -> StdResult<Option<Addr>> {
        a.map(|a| api.addr_validate(&a)).transpose()
    };
    Ok(Config {
        token,
        admin: api.addr_validate(&roles.admin)?,
        grid_operator: api.addr_validate(&roles.grid_operator)?,
        matcher: api.addr_validate(&roles.matcher)?,
        arbiter: api.addr_validate(&roles.arbiter)?,
        treasury: api.addr_validate(&roles.treasury)?,
        reputation: opt(roles.reputation)?,
        meter_oracle: opt(roles.meter_oracle)?,
        params,
        kyc_verifier: opt(roles.kyc_verifier)?,
    })
}

fn validate_params(p: &MarketParams) -> Result<(), ContractError> {
    if p.max_batch == 0 || p.max_batch > MAX_BATCH_CAP {
        return Err(ContractError::InvalidParam {
            name: "max_batch",
            reason: format!("must be 1 to {MAX_BATCH_CAP}"),
        });
    }
    if p.gate_closure_secs > p.max_horizon_secs {
        return Err(ContractError::InvalidParam {
            name: "gate_closure_secs",
            reason: "must not exceed max_horizon_secs".into(),
        });
    }
    if p.default_collateral_bps > 100_000 {
        return Err(ContractError::InvalidParam {
            name: "default_collateral_bps",
            reason: "must be at most 100000 (10x the offer value)".into(),
        });
    }
    let max_price = Uint128::new(MAX_ORDER_PRICE);
    for (name, price) in [
        ("penalty_price", p.penalty_price),
        ("collateral_floor_price", p.collateral_floor_price),
    ] {
        if price > max_price {
            return Err(ContractError::InvalidParam {
                name,
                reason: format!("must be at most {max_price} uaip/kWh"),
            });
        }
    }
    if p.delivery_deadline_secs < MIN_DELIVERY_DEADLINE_SECS
        || p.delivery_deadline_secs > MAX_WINDOW_SECS
    {
        return Err(ContractError::InvalidParam {
            name: "delivery_deadline_secs",
            reason: format!("must be {MIN_DELIVERY_DEADLINE_SECS} to {MAX_WINDOW_SECS} s"),
        });
    }
    if p.ruling_deadline_secs < 60 || p.ruling_deadline_secs > MAX_WINDOW_SECS {
        return Err(ContractError::InvalidParam {
            name: "ruling_deadline_secs",
            reason: format!("must be 60 to {MAX_WINDOW_SECS} s"),
        });
    }
    if p.dispute_bond > Uint128::new(MAX_DISPUTE_BOND) {
        return Err(ContractError::InvalidParam {
            name: "dispute_bond",
            reason: format!("must be at most {MAX_DISPUTE_BOND} uaip"),
        });
    }
    if p.dispute_window_secs > MAX_WINDOW_SECS {
        return Err(ContractError::InvalidParam {
            name: "dispute_window_secs",
            reason: format!("must be at most {MAX_WINDOW_SECS} s"),
        });
    }
    Ok(())
}

pub fn execute_update_config(
    deps: DepsMut,
    info: MessageInfo,
    roles: Option<Roles>,
    params: Option<MarketParams>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(&info, &cfg.admin, "update the config", "admin")?;
    let params = params.unwrap_or(cfg.params.clone());
    validate_params(&params)?;
    let new = match roles {
        Some(roles) => config_from(deps.as_ref(), cfg.token.clone(), roles, params)?,
        None => Config { params, ..cfg },
    };
    CONFIG.save(deps.storage, &new)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}

/// Refuses unless the caller holds `role` (`aip_types::auth`).
pub(crate) fn only(
    info: &MessageInfo,
    who: &Addr,
    action: &str,
    role: &str,
) -> Result<(), ContractError> {
    Ok(aip_types::auth::ensure_role(
        &info.sender,
        who,
        action,
        role,
    )?)
}

// ---------------------------------------------------------------- cw20 hook

pub fn execute_receive(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    sender: String,
    amount: Uint128,
    msg: Binary,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    if info.sender != cfg.token {
        return Err(ContractError::WrongToken {
            expected: cfg.token.to_string(),
            got: info.sender.to_string(),
        });
    }
    let owner = deps.api.addr_validate(&sender)?;
    match from_json::<ReceiveMsg>(&msg)? {
        ReceiveMsg::OpenDispute { trade_id, reason } => {
            open_dispute(deps, &env, &cfg, owner, trade_id, reason, Some(amount))
        }
        ReceiveMsg::Deposit {} => crate::intents::deposit(deps, owner, amount),
    }
}

/// Gate closure of a slot: the gateway takes intents while `now < gate_closes_at`.
pub fn gate_closes_at(slot: SlotId, params: &MarketParams) -> u64 {
    slot.start().saturating_sub(params.gate_closure_secs)
}

fn transfer(cfg: &Config, to: &Addr, amount: Uint128) -> StdResult<CosmosMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: cfg.token.to_string(),
        msg: to_json_binary(&cw20::Cw20ExecuteMsg::Transfer {
            recipient: to.to_string(),
            amount,
        })?,
        funds: vec![],
    }
    .into())
}

// ---------------------------------------------------------------- matching

/// Loss and congestion fee of a trade from `from` to `to` in `slot`.
pub(crate) struct Route {
    pub(crate) loss_bps: u32,
    pub(crate) fee: Price,
    pub(crate) capacity: Option<Wh>,
}

pub(crate) fn load_route(
    store: &dyn Storage,
    slot: SlotId,
    (from, to): (ZoneId, ZoneId),
) -> StdResult<Option<Route>> {
    let fee = FEES.may_load(store, (slot.0, from, to))?;
    if from == to {
        return Ok(Some(Route {
            loss_bps: 0,
            fee: fee.unwrap_or_default(),
            capacity: None,
        }));
    }
    Ok(CORRIDORS.may_load(store, (from, to))?.map(|c| Route {
        loss_bps: c.loss_bps,
        fee: fee.unwrap_or(c.fee_per_kwh),
        capacity: Some(c.capacity_wh),
    }))
}

/// The ledger changes of settling `t` by `s`: payouts to the free balances,
/// and for a trade committed from intents, the payment and collateral
/// leave the parties' locked balances.
fn settle_deltas(deltas: &mut BTreeMap<Vec<u8>, Delta>, t: &TradeRec, s: &TradeSettlement) {
    ledger::credit(deltas, &t.seller, s.seller_paid + s.collateral_returned);
    ledger::credit(deltas, &t.buyer, s.buyer_refund + s.penalty);
    if t.intents {
        ledger::unlock(deltas, &t.buyer, t.payment);
        ledger::unlock(deltas, &t.seller, t.collateral);
    }
}

// ---------------------------------------------------------------- delivery data

/// When a slot's delivery data is final: every seller meter reported, or the
/// delivery deadline passed (unreported meters then count as zero).
pub fn data_final_at(ss: &SlotState, slot: SlotId, params: &MarketParams) -> u64 {
    let deadline = slot.end().saturating_add(params.delivery_deadline_secs);
    match ss.all_reported_at {
        Some(t) => t.min(deadline),
        None => deadline,
    }
}

fn check_report_window(
    slot: SlotId,
    params: &MarketParams,
    ss: &SlotState,
    now: u64,
) -> Result<(), ContractError> {
    let until = slot.end().saturating_add(params.delivery_deadline_secs);
    if now < slot.end() || now >= until || ss.all_reported_at.is_some() {
        return Err(ContractError::ReportWindow {
            slot,
            from: slot.end(),
            until: data_final_at(ss, slot, params),
            now,
        });
    }
    Ok(())
}

pub fn execute_fetch_deliveries(
    deps: DepsMut,
    env: Env,
    slot: SlotId,
    limit: Option<u32>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let mo = cfg
        .meter_oracle
        .clone()
        .ok_or(ContractError::NoMeterOracle)?;
    let now = env.block.time.seconds();
    let mut ss = SLOTS.may_load(deps.storage, slot.0)?.unwrap_or_default();
    check_report_window(slot, &cfg.params, &ss, now)?;
    let limit = limit
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, cfg.params.max_batch) as usize;
    // The next `limit` unreported meters after the cursor, wrapping around:
    // every call moves on, so meters that never finalize (a deactivated
    // meter, a device that stopped) cannot hold back the others (H1).
    let unreported = |from: Option<Bound<MeterId>>, n: usize| -> StdResult<Vec<MeterId>> {
        METERS
            .prefix(slot.0)
            .range(deps.storage, from, None, IterOrder::Ascending)
            .filter_map(|r| match r {
                Ok((m, ms)) if ms.exported.is_none() => Some(Ok(m)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .take(n)
            .collect()
    };
    let mut pending = unreported(Some(Bound::exclusive(ss.fetch_after)), limit)?;
    let cursor = rules::next_fetch_cursor(pending.len(), limit, pending.last().copied());
    if pending.len() < limit && ss.fetch_after != 0 {
        for m in unreported(None, limit - pending.len())? {
            if m > ss.fetch_after {
                break;
            }
            pending.push(m);
        }
    }
    if pending.is_empty() {
        return Err(ContractError::NothingToFetch { slot });
    }
    let r: DeliveriesResponse = deps.querier.query_wasm_smart(
        mo,
        &MeterQueryHook::Deliveries {
            slot,
            meters: pending.clone(),
        },
    )?;
    let wanted: BTreeSet<MeterId> = pending.iter().copied().collect();
    let mut stored = 0u32;
    for d in r.deliveries.iter().filter(|d| d.finalized) {
        if !wanted.contains(&d.meter) {
            continue;
        }
        let mut ms = METERS.load(deps.storage, (slot.0, d.meter))?;
        if ms.exported.is_some() {
            continue; // listed twice in the answer
        }
        ms.exported = Some(d.exported_wh);
        METERS.save(deps.storage, (slot.0, d.meter), &ms)?;
        ss.meters_reported += 1;
        stored += 1;
    }
    if ss.meters_reported == ss.meters {
        ss.all_reported_at = Some(now);
    }
    ss.fetch_after = cursor;
    SLOTS.save(deps.storage, slot.0, &ss)?;
    Ok(Response::new()
        .add_attribute("action", "fetch_deliveries")
        .add_attribute("slot", slot.to_string())
        .add_attribute("asked", pending.len().to_string())
        .add_attribute("meters", stored.to_string())
        .add_attribute("complete", (ss.all_reported_at.is_some()).to_string()))
}

// ---------------------------------------------------------------- settlement

/// How a trade's held funds split when settled as metered.
pub fn metered(
    t: &TradeRec,
    ms: &MeterSlot,
    penalty_price: Price,
) -> Result<TradeSettlement, ContractError> {
    let exported = ms.exported.unwrap_or_default();
    let delivered_wh = if exported >= ms.contracted {
        t.wh
    } else {
        t.wh.multiply_ratio(exported, ms.contracted)
    };
    let net_delivered = if delivered_wh == t.wh {
        t.net_wh
    } else {
        t.net_wh.multiply_ratio(delivered_wh, t.wh)
    };
    let seller_paid = payment(net_delivered, t.price)?.min(t.payment);
    let penalty = payment(t.wh - delivered_wh, penalty_price)?.min(t.collateral);
    Ok(TradeSettlement {
        delivered_wh,
        seller_paid,
        buyer_refund: t.payment - seller_paid,
        penalty,
        collateral_returned: t.collateral - penalty,
    })
}

/// How a disputed trade's held funds split by the arbiter's ruling.
pub fn ruled(
    t: &TradeRec,
    ms: &MeterSlot,
    penalty_price: Price,
    ruling: Ruling,
) -> Result<TradeSettlement, ContractError> {
    let m = metered(t, ms, penalty_price)?;
    let seller_paid = match ruling {
        Ruling::PaySeller => m.seller_paid,
        Ruling::RefundBuyer => Uint128::zero(),
        Ruling::Split { seller_bps } => apply_bps(t.payment, seller_bps)?,
    };
    Ok(TradeSettlement {
        seller_paid,
        buyer_refund: t.payment - seller_paid,
        ..m
    })
}

fn outcome(
    api: &dyn cosmwasm_std::Api,
    id: TradeId,
    t: &TradeRec,
    s: &TradeSettlement,
) -> StdResult<TradeOutcome> {
    Ok(TradeOutcome {
        trade_id: id,
        slot: SlotId(t.slot),
        seller: api.addr_humanize(&t.seller)?.to_string(),
        buyer: api.addr_humanize(&t.buyer)?.to_string(),
        contracted_wh: t.wh,
        delivered_wh: s.delivered_wh,
    })
}

/// A hook to reputation. A plain message: if reputation fails, the settlement
/// call fails with it (and the admin can unset `reputation` to settle without
/// it). A `reply_on_error` sub-message would avoid that, but the reply entry
/// point's `Reply` parsing costs ~17 KB of wasm, over the 500 KB budget.
fn reputation_msg(rep: &Addr, hook: &ReputationExecuteHook) -> StdResult<CosmosMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: rep.to_string(),
        msg: to_json_binary(hook)?,
        funds: vec![],
    }
    .into())
}

pub fn execute_settle(
    deps: DepsMut,
    env: Env,
    slot: SlotId,
    limit: Option<u32>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let mut ss = SLOTS
        .may_load(deps.storage, slot.0)?
        .ok_or(ContractError::NothingToSettle { slot })?;
    if ss.trades == 0 || ss.cursor > ss.last_trade {
        return Err(ContractError::NothingToSettle { slot });
    }
    let now = env.block.time.seconds();
    let from = data_final_at(&ss, slot, &cfg.params).saturating_add(cfg.params.dispute_window_secs);
    if now < from {
        return Err(ContractError::SettleTooEarly { slot, from, now });
    }
    let limit = limit
        .unwrap_or(cfg.params.max_batch)
        .clamp(1, cfg.params.max_batch) as usize;
    let disputed: BTreeSet<TradeId> = if ss.disputes == 0 {
        BTreeSet::new()
    } else {
        DISPUTES
            .prefix(slot.0)
            .keys(deps.storage, None, None, IterOrder::Ascending)
            .collect::<StdResult<_>>()?
    };
    let batches: Vec<(TradeId, TradeId)> = SLOT_BATCHES
        .prefix(slot.0)
        .range(deps.storage, None, None, IterOrder::Ascending)
        .collect::<StdResult<_>>()?;
    // A slot with few seller meters: one range read (30 + 3/byte each) beats
    // a point read per meter (1000 + 3/byte each).
    let mut meter_cache: BTreeMap<MeterId, MeterSlot> = if (ss.meters as usize) <= 2 * limit {
        METERS
            .prefix(slot.0)
            .range(deps.storage, None, None, IterOrder::Ascending)
            .collect::<StdResult<_>>()?
    } else {
        BTreeMap::new()
    };
    let mut credits: BTreeMap<Vec<u8>, Delta> = BTreeMap::new();
    let mut outcomes: Vec<TradeOutcome> = Vec::new();
    let mut released = Uint128::zero();
    let mut considered = 0usize;
    let mut next = ss.cursor;
    'batches: for (first, last) in batches {
        if last < next {
            continue;
        }
        let start = first.max(next);
        for item in TRADES.range(
            deps.storage,
            Some(Bound::inclusive(start)),
            Some(Bound::inclusive(last)),
            IterOrder::Ascending,
        ) {
            if considered == limit {
                break 'batches;
            }
            let (id, t) = item?;
            considered += 1;
            next = id + 1;
            if disputed.contains(&id) {
                continue;
            }
            if let std::collections::btree_map::Entry::Vacant(e) = meter_cache.entry(t.meter) {
                e.insert(METERS.load(deps.storage, (slot.0, t.meter))?);
            }
            let s = metered(&t, &meter_cache[&t.meter], cfg.params.penalty_price)?;
            settle_deltas(&mut credits, &t, &s);
            released += t.payment + t.collateral;
            if cfg.reputation.is_some() {
                outcomes.push(outcome(deps.api, id, &t, &s)?);
            }
            ss.settled += 1;
        }
        if next <= last {
            break;
        }
    }
    // Past the last trade of a batch, `next` may sit in a gap between batches:
    // harmless, ranges start from the next batch's first id.
    ss.cursor = next;
    ledger::apply_all(deps.storage, &credits)?;
    SLOTS.save(deps.storage, slot.0, &ss)?;
    let mut st = STATE.load(deps.storage)?;
    st.trades -= released;
    st.claimable += released;
    STATE.save(deps.storage, &st)?;
    let settled = outcomes.len();
    let mut res = Response::new()
        .add_attribute("action", "settle")
        .add_attribute("slot", slot.to_string())
        .add_attribute("considered", considered.to_string())
        .add_attribute("released", released)
        .add_attribute("done", (ss.cursor > ss.last_trade).to_string());
    if let Some(rep) = &cfg.reputation {
        if settled > 0 {
            res = res.add_message(reputation_msg(
                rep,
                &ReputationExecuteHook::RecordOutcomes { outcomes },
            )?);
        }
    }
    Ok(res)
}

// ---------------------------------------------------------------- disputes

pub fn execute_open_dispute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    trade_id: TradeId,
    reason: String,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    open_dispute(deps, &env, &cfg, info.sender, trade_id, reason, None)
}

/// Opens a dispute by `who` with `sent` uaip (None: no token sent).
fn open_dispute(
    deps: DepsMut,
    env: &Env,
    cfg: &Config,
    who: Addr,
    trade_id: TradeId,
    reason: String,
    sent: Option<Uint128>,
) -> Result<Response, ContractError> {
    let bond = cfg.params.dispute_bond;
    match sent {
        Some(sent) if sent != bond => {
            return Err(ContractError::WrongBond {
                required: bond,
                sent,
            })
        }
        None if !bond.is_zero() => return Err(ContractError::BondRequired { bond }),
        _ => {}
    }
    let t = TRADES
        .may_load(deps.storage, trade_id)?
        .ok_or(ContractError::TradeNotFound { id: trade_id })?;
    let sender = deps.api.addr_canonicalize(who.as_str())?;
    if sender != t.buyer && sender != t.seller {
        return Err(ContractError::NotTradeParty { id: trade_id });
    }
    if reason.chars().count() > MAX_REASON_LEN {
        return Err(ContractError::ReasonTooLong);
    }
    let slot = SlotId(t.slot);
    let mut ss = SLOTS.load(deps.storage, slot.0)?;
    let closes =
        data_final_at(&ss, slot, &cfg.params).saturating_add(cfg.params.dispute_window_secs);
    let now = env.block.time.seconds();
    if now >= closes {
        return Err(ContractError::DisputeWindowClosed {
            id: trade_id,
            closed_at: closes,
        });
    }
    if let Some(d) = DISPUTES.may_load(deps.storage, (slot.0, trade_id))? {
        return Err(match d.ruling {
            Some(_) => ContractError::AlreadyRuled { id: trade_id },
            None => ContractError::AlreadyDisputed { id: trade_id },
        });
    }
    DISPUTES.save(
        deps.storage,
        (slot.0, trade_id),
        &Dispute {
            opened_by: who.clone(),
            opened_at: now,
            reason,
            ruling: None,
            bond,
            defaulted: false,
        },
    )?;
    ss.disputes += 1;
    SLOTS.save(deps.storage, slot.0, &ss)?;
    if !bond.is_zero() {
        let mut st = STATE.load(deps.storage)?;
        st.bonds += bond;
        STATE.save(deps.storage, &st)?;
    }
    Ok(Response::new()
        .add_attribute("action", "open_dispute")
        .add_attribute("trade_id", trade_id.to_string())
        .add_attribute("opened_by", who)
        .add_attribute("bond", bond))
}

/// A disputed trade with its dispute, once its delivery data is final.
struct OpenCase {
    t: TradeRec,
    d: Dispute,
    due: u64,
}

fn load_case(
    deps: Deps,
    cfg: &Config,
    trade_id: TradeId,
    now: u64,
) -> Result<OpenCase, ContractError> {
    let t = TRADES
        .may_load(deps.storage, trade_id)?
        .ok_or(ContractError::TradeNotFound { id: trade_id })?;
    let slot = SlotId(t.slot);
    let d = DISPUTES
        .may_load(deps.storage, (slot.0, trade_id))?
        .ok_or(ContractError::NotDisputed { id: trade_id })?;
    if d.ruling.is_some() {
        return Err(ContractError::AlreadyRuled { id: trade_id });
    }
    let ss = SLOTS.load(deps.storage, slot.0)?;
    let final_at = data_final_at(&ss, slot, &cfg.params);
    if now < final_at {
        return Err(ContractError::RulingTooEarly {
            id: trade_id,
            from: final_at,
        });
    }
    let due = rules::ruling_due(final_at, d.opened_at, cfg.params.ruling_deadline_secs);
    Ok(OpenCase { t, d, due })
}

pub fn execute_resolve_dispute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    trade_id: TradeId,
    ruling: Ruling,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(&info, &cfg.arbiter, "rule on disputes", "arbiter")?;
    if let Ruling::Split { seller_bps } = ruling {
        if seller_bps > aip_types::BPS_DENOMINATOR {
            return Err(ContractError::InvalidParam {
                name: "seller_bps",
                reason: format!("{seller_bps} exceeds 10000"),
            });
        }
    }
    let case = load_case(deps.as_ref(), &cfg, trade_id, env.block.time.seconds())?;
    if env.block.time.seconds() >= case.due {
        return Err(ContractError::RulingDeadlinePassed {
            id: trade_id,
            due: case.due,
        });
    }
    close_dispute(deps, &cfg, trade_id, case, ruling, false)
}

pub fn execute_apply_default_ruling(
    deps: DepsMut,
    env: Env,
    trade_id: TradeId,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let case = load_case(deps.as_ref(), &cfg, trade_id, env.block.time.seconds())?;
    if env.block.time.seconds() < case.due {
        return Err(ContractError::RulingNotDue {
            id: trade_id,
            due: case.due,
        });
    }
    // The default: the trade settles as metered.
    close_dispute(deps, &cfg, trade_id, case, Ruling::PaySeller, true)
}

/// Settles a disputed trade by `ruling` and returns or forfeits the bond.
fn close_dispute(
    deps: DepsMut,
    cfg: &Config,
    trade_id: TradeId,
    case: OpenCase,
    ruling: Ruling,
    defaulted: bool,
) -> Result<Response, ContractError> {
    let OpenCase { t, mut d, .. } = case;
    let slot = SlotId(t.slot);
    let ms = METERS.load(deps.storage, (slot.0, t.meter))?;
    let s = ruled(&t, &ms, cfg.params.penalty_price, ruling)?;
    d.ruling = Some(ruling);
    d.defaulted = defaulted;
    let opener = deps.api.addr_canonicalize(d.opened_by.as_str())?;
    let opened_by_buyer = opener == t.buyer;
    let bond_to = if defaulted || rules::dispute_upheld(opened_by_buyer, ruling) {
        opener
    } else if opened_by_buyer {
        t.seller.clone()
    } else {
        t.buyer.clone()
    };
    DISPUTES.save(deps.storage, (slot.0, trade_id), &d)?;
    let mut credits: BTreeMap<Vec<u8>, Delta> = BTreeMap::new();
    settle_deltas(&mut credits, &t, &s);
    ledger::credit(&mut credits, &bond_to, d.bond);
    ledger::apply_all(deps.storage, &credits)?;
    let released = t.payment + t.collateral;
    let mut st = STATE.load(deps.storage)?;
    st.trades -= released;
    st.bonds -= d.bond;
    st.claimable += released + d.bond;
    STATE.save(deps.storage, &st)?;
    let mut res = Response::new()
        .add_attribute(
            "action",
            if defaulted {
                "apply_default_ruling"
            } else {
                "resolve_dispute"
            },
        )
        .add_attribute("trade_id", trade_id.to_string())
        .add_attribute("seller_paid", s.seller_paid)
        .add_attribute("buyer_refund", s.buyer_refund)
        .add_attribute("penalty", s.penalty)
        .add_attribute("bond_to", deps.api.addr_humanize(&bond_to)?);
    if let Some(rep) = &cfg.reputation {
        res = res.add_message(reputation_msg(
            rep,
            &ReputationExecuteHook::RecordOutcomes {
                outcomes: vec![outcome(deps.api, trade_id, &t, &s)?],
            },
        )?);
        if !defaulted {
            res = res.add_message(reputation_msg(
                rep,
                &ReputationExecuteHook::RecordRuling {
                    trade_id,
                    seller: deps.api.addr_humanize(&t.seller)?.to_string(),
                    buyer: deps.api.addr_humanize(&t.buyer)?.to_string(),
                    ruling,
                },
            )?);
        }
    }
    Ok(res)
}

// ---------------------------------------------------------------- ledger

pub fn execute_withdraw(
    deps: DepsMut,
    info: MessageInfo,
    amount: Option<Uint128>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let raw = deps.api.addr_canonicalize(info.sender.as_str())?;
    let mut acc = ledger::load(deps.storage, raw.as_slice())?;
    let available = acc.free;
    let amount = amount.unwrap_or(available);
    if amount.is_zero() {
        return Err(ContractError::NothingToWithdraw);
    }
    if amount > available {
        return Err(ContractError::InsufficientClaimable {
            requested: amount,
            available,
        });
    }
    acc.free = available - amount;
    ledger::save(deps.storage, raw.as_slice(), &acc)?;
    let mut st = STATE.load(deps.storage)?;
    st.claimable -= amount;
    STATE.save(deps.storage, &st)?;
    Ok(Response::new()
        .add_message(transfer(&cfg, &info.sender, amount)?)
        .add_attribute("action", "withdraw")
        .add_attribute("account", info.sender)
        .add_attribute("amount", amount))
}

// ---------------------------------------------------------------- grid operator

pub fn execute_upsert_zone(
    deps: DepsMut,
    info: MessageInfo,
    zone: Zone,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(&info, &cfg.grid_operator, "change zones", "grid operator")?;
    if zone.name.is_empty() || zone.name.len() > MAX_NAME_LEN {
        return Err(ContractError::InvalidParam {
            name: "zone.name",
            reason: format!("must be 1 to {MAX_NAME_LEN} bytes"),
        });
    }
    ZONES.save(deps.storage, zone.id, &zone.name)?;
    Ok(Response::new()
        .add_attribute("action", "upsert_zone")
        .add_attribute("zone", zone.id.to_string()))
}

pub fn execute_set_corridor(
    deps: DepsMut,
    info: MessageInfo,
    c: Corridor,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(&info, &cfg.grid_operator, "set corridors", "grid operator")?;
    if c.from_zone == c.to_zone
        || !ZONES.has(deps.storage, c.from_zone)
        || !ZONES.has(deps.storage, c.to_zone)
    {
        return Err(ContractError::BadCorridor {
            from: c.from_zone,
            to: c.to_zone,
        });
    }
    if c.loss_bps > aip_types::BPS_DENOMINATOR {
        return Err(ContractError::InvalidParam {
            name: "loss_bps",
            reason: format!("{} exceeds 10000", c.loss_bps),
        });
    }
    check_fee(c.fee_per_kwh)?;
    if c.capacity_wh > Uint128::new(u64::MAX.into()) {
        return Err(ContractError::InvalidParam {
            name: "capacity_wh",
            reason: format!("must be at most {} Wh", u64::MAX),
        });
    }
    CORRIDORS.save(deps.storage, (c.from_zone, c.to_zone), &c)?;
    Ok(Response::new()
        .add_attribute("action", "set_corridor")
        .add_attribute("from_zone", c.from_zone.to_string())
        .add_attribute("to_zone", c.to_zone.to_string()))
}

/// A congestion fee is a price: at most the largest order price (a bid pays
/// price plus fee, so a larger fee could never be paid; the matcher reads it
/// in u64).
fn check_fee(fee: Price) -> Result<(), ContractError> {
    if fee > Uint128::new(MAX_ORDER_PRICE) {
        return Err(ContractError::InvalidParam {
            name: "fee_per_kwh",
            reason: format!("must be at most {MAX_ORDER_PRICE} uaip/kWh"),
        });
    }
    Ok(())
}

pub fn execute_remove_corridor(
    deps: DepsMut,
    info: MessageInfo,
    from_zone: ZoneId,
    to_zone: ZoneId,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(
        &info,
        &cfg.grid_operator,
        "remove corridors",
        "grid operator",
    )?;
    if !CORRIDORS.has(deps.storage, (from_zone, to_zone)) {
        return Err(ContractError::BadCorridor {
            from: from_zone,
            to: to_zone,
        });
    }
    CORRIDORS.remove(deps.storage, (from_zone, to_zone));
    Ok(Response::new()
        .add_attribute("action", "remove_corridor")
        .add_attribute("from_zone", from_zone.to_string())
        .add_attribute("to_zone", to_zone.to_string()))
}

pub fn execute_set_node_zones(
    deps: DepsMut,
    info: MessageInfo,
    nodes: Vec<NodeZone>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(
        &info,
        &cfg.grid_operator,
        "place nodes in zones",
        "grid operator",
    )?;
    if nodes.is_empty() || nodes.len() > MAX_NODE_ZONES {
        return Err(ContractError::InvalidParam {
            name: "nodes",
            reason: format!("must list 1 to {MAX_NODE_ZONES} nodes"),
        });
    }
    for n in &nodes {
        if !ZONES.has(deps.storage, n.zone) {
            return Err(ContractError::UnknownZone { zone: n.zone });
        }
        NODE_ZONES.save(deps.storage, n.node, &n.zone)?;
    }
    Ok(Response::new()
        .add_attribute("action", "set_node_zones")
        .add_attribute("nodes", nodes.len().to_string()))
}

pub fn execute_set_congestion_fees(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    slot: SlotId,
    fees: Vec<CongestionFee>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(
        &info,
        &cfg.grid_operator,
        "set congestion fees",
        "grid operator",
    )?;
    if !slot.is_aligned() {
        return Err(ContractError::UnalignedSlot { slot });
    }
    if env.block.time.seconds() >= slot.start() {
        return Err(ContractError::FeesFrozen { slot });
    }
    for f in &fees {
        let ok = if f.from_zone == f.to_zone {
            ZONES.has(deps.storage, f.from_zone)
        } else {
            CORRIDORS.has(deps.storage, (f.from_zone, f.to_zone))
        };
        if !ok {
            return Err(ContractError::BadCorridor {
                from: f.from_zone,
                to: f.to_zone,
            });
        }
        check_fee(f.fee_per_kwh)?;
        FEES.save(
            deps.storage,
            (slot.0, f.from_zone, f.to_zone),
            &f.fee_per_kwh,
        )?;
    }
    Ok(Response::new()
        .add_attribute("action", "set_congestion_fees")
        .add_attribute("slot", slot.to_string())
        .add_attribute("fees", fees.len().to_string()))
}

//! Query handlers.

use std::collections::BTreeMap;

use aip_types::{NodeId, SlotId, TradeId};
use cosmwasm_std::{Deps, Env, Order as IterOrder, StdResult, Uint128};
use cw_storage_plus::Bound;

use crate::msg::{
    BalanceResponse, ConfigResponse, CongestionFee, CongestionFeesResponse, CorridorUsage,
    DisputeResponse, HoldingsResponse, IntentFillResponse, NetworkResponse, NodeZone,
    NodeZonesResponse, Roles, SlotStatusResponse, TradeResponse, TradeStatus, TradesResponse, Zone,
    DEFAULT_LIMIT, MAX_LIMIT,
};
use crate::rules::{metered, ruled, timeline};
use crate::state::{
    load_meter, load_trade, may_load_trade, trades_between, Config, SlotState, TradeRec,
    ACCOUNT_TRADES, CONFIG, CORRIDORS, DISPUTES, FEES, FILLS, NODE_ZONES, SLOTS, SLOT_BATCHES,
    STATE, USAGE, ZONES,
};
use crate::ContractError;

fn page(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize
}

/// The token, the roles and the parameters.
pub fn query_config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    let c = CONFIG.load(deps.storage)?;
    let s = |a: &Option<cosmwasm_std::Addr>| a.as_ref().map(|a| a.to_string());
    Ok(ConfigResponse {
        token: c.token.to_string(),
        roles: Roles {
            admin: c.admin.to_string(),
            grid_operator: c.grid_operator.to_string(),
            matcher: c.matcher.to_string(),
            arbiter: c.arbiter.to_string(),
            treasury: c.treasury.to_string(),
            reputation: s(&c.reputation),
            meter_oracle: s(&c.meter_oracle),
            kyc_verifier: s(&c.kyc_verifier),
        },
        params: c.params,
    })
}

/// Every zone and corridor.
pub fn query_network(deps: Deps) -> Result<NetworkResponse, ContractError> {
    let zones = ZONES
        .range(deps.storage, None, None, IterOrder::Ascending)
        .map(|r| r.map(|(id, name)| Zone { id, name }))
        .collect::<StdResult<_>>()?;
    let corridors = CORRIDORS
        .range(deps.storage, None, None, IterOrder::Ascending)
        .map(|r| r.map(|(_, c)| c))
        .collect::<StdResult<_>>()?;
    Ok(NetworkResponse { zones, corridors })
}

/// A page of the node -> zone map, by node id.
pub fn query_node_zones(
    deps: Deps,
    start_after: Option<NodeId>,
    limit: Option<u32>,
) -> Result<NodeZonesResponse, ContractError> {
    let nodes = NODE_ZONES
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            IterOrder::Ascending,
        )
        .take(page(limit))
        .map(|r| r.map(|(node, zone)| NodeZone { node, zone }))
        .collect::<StdResult<_>>()?;
    Ok(NodeZonesResponse { nodes })
}

/// The congestion-fee overrides of a slot.
pub fn query_congestion_fees(
    deps: Deps,
    slot: SlotId,
) -> Result<CongestionFeesResponse, ContractError> {
    let fees = FEES
        .sub_prefix(slot.0)
        .range(deps.storage, None, None, IterOrder::Ascending)
        .map(|r| {
            r.map(|((from_zone, to_zone), fee_per_kwh)| CongestionFee {
                from_zone,
                to_zone,
                fee_per_kwh,
            })
        })
        .collect::<StdResult<_>>()?;
    Ok(CongestionFeesResponse { slot, fees })
}

/// The slot's phase (from the block time), counts, settlement progress and corridor usage.
pub fn query_slot_status(
    deps: Deps,
    env: Env,
    slot: SlotId,
) -> Result<SlotStatusResponse, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let ss = SLOTS.may_load(deps.storage, slot.0)?.unwrap_or_default();
    let now = env.block.time.seconds();
    let tl = timeline(slot, &cfg.params, ss.all_reported_at);
    let has_trades = ss.trades > 0;
    let final_at = has_trades.then_some(tl.data_final_at);
    let settle_from = has_trades.then_some(tl.settle_from);
    let phase = tl.phase(now, has_trades);
    let corridor_usage = USAGE
        .sub_prefix(slot.0)
        .range(deps.storage, None, None, IterOrder::Ascending)
        .map(|r| {
            r.map(|((from_zone, to_zone), used_wh)| CorridorUsage {
                from_zone,
                to_zone,
                used_wh,
            })
        })
        .collect::<StdResult<_>>()?;
    Ok(SlotStatusResponse {
        slot,
        phase,
        gate_closes_at: tl.gate_closes_at,
        trades: ss.trades,
        meters: ss.meters,
        meters_reported: ss.meters_reported,
        data_final_at: final_at.filter(|f| now >= *f),
        settle_from,
        settled: ss.settled,
        fully_settled: has_trades && ss.cursor > ss.last_trade,
        disputes: ss.disputes,
        corridor_usage,
    })
}

/// Builds trade responses, loading each slot's state once.
struct TradeView<'a> {
    deps: Deps<'a>,
    cfg: Config,
    slots: BTreeMap<u64, SlotState>,
}

impl<'a> TradeView<'a> {
    fn new(deps: Deps<'a>) -> StdResult<Self> {
        Ok(TradeView {
            deps,
            cfg: CONFIG.load(deps.storage)?,
            slots: BTreeMap::new(),
        })
    }

    fn response(&mut self, id: TradeId, t: TradeRec) -> Result<TradeResponse, ContractError> {
        let storage = self.deps.storage;
        if let std::collections::btree_map::Entry::Vacant(e) = self.slots.entry(t.slot) {
            e.insert(SLOTS.load(storage, t.slot)?);
        }
        let ss = &self.slots[&t.slot];
        let dispute = if ss.disputes > 0 {
            DISPUTES.may_load(storage, (t.slot, id))?
        } else {
            None
        };
        let penalty = self.cfg.params.penalty_price;
        let (status, settlement) = match dispute {
            Some(d) => match d.ruling {
                Some(r) => {
                    let ms = load_meter(storage, t.slot, t.meter)?;
                    (TradeStatus::Ruled, Some(ruled(&t, &ms, penalty, r)?))
                }
                None => (TradeStatus::Disputed, None),
            },
            None if id < ss.cursor => {
                let ms = load_meter(storage, t.slot, t.meter)?;
                (TradeStatus::Settled, Some(metered(&t, &ms, penalty)?))
            }
            None => (TradeStatus::Pending, None),
        };
        Ok(TradeResponse {
            id,
            slot: SlotId(t.slot),
            bid: t.bid,
            offer: t.offer,
            buyer: self.deps.api.addr_humanize(&t.buyer)?.to_string(),
            seller: self.deps.api.addr_humanize(&t.seller)?.to_string(),
            meter: t.meter,
            wh: t.wh,
            net_wh: t.net_wh,
            price: t.price,
            payment: t.payment,
            fee: t.fee,
            collateral: t.collateral,
            intents: t.intents,
            status,
            settlement,
        })
    }
}

/// One trade, with its status and, once settled, its split.
pub fn query_trade(deps: Deps, id: TradeId) -> Result<TradeResponse, ContractError> {
    let t = may_load_trade(deps.storage, id)?.ok_or(ContractError::TradeNotFound { id })?;
    TradeView::new(deps)?.response(id, t)
}

/// A page of the trades where `account` is buyer or seller, newest first:
/// the account's list ([`crate::state::Account::last`], each trade naming
/// the party's previous one), then the index of trades committed before the
/// lists existed. `start_after` continues with the trades older than it.
pub fn query_trades_by_account(
    deps: Deps,
    account: String,
    start_after: Option<TradeId>,
    limit: Option<u32>,
) -> Result<TradesResponse, ContractError> {
    let account = deps.api.addr_validate(&account)?;
    let raw = deps.api.addr_canonicalize(account.as_str())?;
    let limit = page(limit);
    let prev_of = |id: TradeId, t: &TradeRec| -> Result<TradeId, ContractError> {
        if t.buyer == raw {
            Ok(t.prev_buyer)
        } else if t.seller == raw {
            Ok(t.prev_seller)
        } else {
            Err(ContractError::NotAccountTrade {
                id,
                account: account.to_string(),
            })
        }
    };
    // Where the walk starts: the account's latest trade, or the one before
    // `start_after` (which must be one of the account's trades).
    let mut next = match start_after {
        None => crate::ledger::load(deps.storage, raw.as_slice())?.last,
        Some(id) => {
            let t = may_load_trade(deps.storage, id)?.ok_or(ContractError::TradeNotFound { id })?;
            prev_of(id, &t)?
        }
    };
    let mut view = TradeView::new(deps)?;
    let mut trades = Vec::new();
    let mut oldest = start_after;
    while next != 0 && trades.len() < limit {
        let t = load_trade(deps.storage, next)?;
        let prev = prev_of(next, &t)?;
        oldest = Some(next);
        trades.push(view.response(next, t)?);
        next = prev;
    }
    if next == 0 && trades.len() < limit {
        // Older trades, indexed per party before the lists existed.
        let ids: Vec<TradeId> = ACCOUNT_TRADES
            .prefix(raw.as_slice())
            .keys(
                deps.storage,
                None,
                oldest.map(Bound::exclusive),
                IterOrder::Descending,
            )
            .take(limit - trades.len())
            .collect::<StdResult<_>>()?;
        for id in ids {
            let t = load_trade(deps.storage, id)?;
            trades.push(view.response(id, t)?);
        }
    }
    Ok(TradesResponse { trades })
}

/// A page of the slot's trades, by id.
pub fn query_trades_by_slot(
    deps: Deps,
    slot: SlotId,
    start_after: Option<TradeId>,
    limit: Option<u32>,
) -> Result<TradesResponse, ContractError> {
    let limit = page(limit);
    // After the largest id there is nothing: an empty page, not an overflow.
    let from = match start_after {
        None => 0,
        Some(s) => match s.checked_add(1) {
            Some(f) => f,
            None => return Ok(TradesResponse { trades: vec![] }),
        },
    };
    let batches: Vec<(TradeId, TradeId)> = SLOT_BATCHES
        .prefix(slot.0)
        .range(deps.storage, None, None, IterOrder::Ascending)
        .collect::<StdResult<_>>()?;
    let mut view = TradeView::new(deps)?;
    let mut trades = Vec::new();
    for (first, last) in batches {
        if last < from || trades.len() == limit {
            continue;
        }
        let start = first.max(from);
        let upto = last.min(start + (limit - trades.len()) as u64 - 1);
        for (id, t) in trades_between(deps.storage, start, upto)? {
            trades.push(view.response(id, t)?);
        }
    }
    Ok(TradesResponse { trades })
}

/// An account's free, locked and claimable deposit balance (zeros if it never deposited).
pub fn query_balance(deps: Deps, account: String) -> Result<BalanceResponse, ContractError> {
    let addr = deps.api.addr_validate(&account)?;
    let raw = deps.api.addr_canonicalize(addr.as_str())?;
    let acc = crate::ledger::load(deps.storage, raw.as_slice())?;
    Ok(BalanceResponse {
        account,
        free: acc.free,
        locked: acc.locked,
        claimable: acc.free,
        locked_in_orders: Uint128::zero(),
    })
}

/// How much of an intent has filled and whether it is cancelled.
pub fn query_intent_fill(
    deps: Deps,
    owner: String,
    nonce: u64,
) -> Result<IntentFillResponse, ContractError> {
    let addr = deps.api.addr_validate(&owner)?;
    let raw = deps.api.addr_canonicalize(addr.as_str())?;
    let f = FILLS.may_load(deps.storage, (raw.as_slice(), nonce))?;
    Ok(IntentFillResponse {
        owner: addr.into_string(),
        nonce,
        filled: f.as_ref().map_or(0, |f| f.filled),
        hash_prefix: f
            .as_ref()
            .filter(|f| f.hash != [0; 8])
            .map(|f| f.hash.iter().map(|b| format!("{b:02x}")).collect()),
        cancelled: f.is_some_and(|f| f.cancelled),
    })
}

/// The contract's AIP holdings by purpose.
pub fn query_holdings(deps: Deps) -> Result<HoldingsResponse, ContractError> {
    let st = STATE.load(deps.storage)?;
    Ok(HoldingsResponse {
        orders: st.orders,
        trades: st.trades,
        claimable: st.claimable,
        bonds: st.bonds,
        total: st.orders + st.trades + st.claimable + st.bonds,
    })
}

/// The dispute on a trade.
pub fn query_dispute(deps: Deps, trade_id: TradeId) -> Result<DisputeResponse, ContractError> {
    let t = may_load_trade(deps.storage, trade_id)?
        .ok_or(ContractError::TradeNotFound { id: trade_id })?;
    let d = DISPUTES
        .may_load(deps.storage, (t.slot, trade_id))?
        .ok_or(ContractError::NotDisputed { id: trade_id })?;
    let cfg = CONFIG.load(deps.storage)?;
    let ss = SLOTS.load(deps.storage, t.slot)?;
    let final_at = timeline(SlotId(t.slot), &cfg.params, ss.all_reported_at).data_final_at;
    Ok(DisputeResponse {
        trade_id,
        slot: SlotId(t.slot),
        opened_by: d.opened_by.to_string(),
        opened_at: d.opened_at,
        reason: d.reason,
        ruling: d.ruling,
        bond: d.bond,
        ruling_due: crate::rules::ruling_due(
            final_at,
            d.opened_at,
            cfg.params.ruling_deadline_secs,
        ),
        defaulted: d.defaulted,
    })
}

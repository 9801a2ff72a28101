//! Settlement: after the dispute window anyone settles a slot's trades in
//! pages (`settle`), as metered ([`rules::metered`]); disputed trades wait
//! for their ruling ([`super::dispute`]). Payouts go to the free balances,
//! one write per account per page, and outcomes to reputation.

use std::collections::{BTreeMap, BTreeSet};

use aip_types::hooks::{ReputationExecuteHook, TradeOutcome};
use aip_types::{SlotId, TradeId};
use cosmwasm_std::{
    to_json_binary, Addr, Api, CosmosMsg, DepsMut, Env, Order as IterOrder, Response, StdResult,
    Storage, Uint128, WasmMsg,
};

use crate::ledger::{self, Delta, Ledger};
use crate::msg::TradeSettlement;
use crate::rules;
use crate::state::{
    trades_between, Config, SlotMeters, State, TradeRec, CONFIG, DISPUTES, SLOTS, SLOT_BATCHES,
    STATE,
};
use crate::ContractError;

/// Settles up to `limit` of `slot`'s trades after its cursor.
pub fn execute_settle(
    deps: DepsMut,
    env: Env,
    slot: SlotId,
    limit: Option<u32>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let mut led = Ledger::open(deps.storage)?;
    let mut st = STATE.load(deps.storage)?;
    let mut outcomes: Vec<TradeOutcome> = Vec::new();
    let done = settle_slot(
        deps.storage,
        deps.api,
        &cfg,
        env.block.time.seconds(),
        slot,
        limit,
        (&mut led, &mut st),
        &mut outcomes,
    )?;
    led.flush(deps.storage)?;
    STATE.save(deps.storage, &st)?;
    let mut res = Response::new()
        .add_attribute("action", "settle")
        .add_attribute("slot", slot.to_string())
        .add_attribute("considered", done.considered.to_string())
        .add_attribute("released", done.released)
        .add_attribute("done", done.finished.to_string());
    if let Some(msg) = outcomes_msg(&cfg, outcomes)? {
        res = res.add_message(msg);
    }
    Ok(res)
}

/// What one [`settle_slot`] did.
pub(crate) struct Settled {
    /// Trade ids considered (settled or skipped as disputed).
    pub considered: usize,
    /// Escrow and collateral released to the parties, uaip.
    pub released: Uint128,
    /// Every trade of the slot is now settled or disputed.
    pub finished: bool,
}

/// Whether `slot` has committed trades that all are settled (or disputed):
/// a commit that carries it in `settle` skips it.
pub(crate) fn fully_settled(storage: &dyn Storage, slot: SlotId) -> StdResult<bool> {
    Ok(SLOTS
        .may_load(storage, slot.0)?
        .is_some_and(|ss| ss.trades > 0 && ss.cursor > ss.last_trade))
}

/// Settles up to `limit` of `slot`'s trades after its cursor into `led`
/// and the contract totals `st` (which the caller writes: `Settle` on its
/// own, or `CommitIntents` carrying earlier slots, which writes both anyway)
/// and appends their outcomes for reputation. Saves the slot's cursor.
#[allow(clippy::too_many_arguments)]
pub(crate) fn settle_slot(
    storage: &mut dyn Storage,
    api: &dyn Api,
    cfg: &Config,
    now: u64,
    slot: SlotId,
    limit: Option<u32>,
    (led, st): (&mut Ledger, &mut State),
    outcomes: &mut Vec<TradeOutcome>,
) -> Result<Settled, ContractError> {
    let mut ss = SLOTS
        .may_load(storage, slot.0)?
        .ok_or(ContractError::NothingToSettle { slot })?;
    if ss.trades == 0 || ss.cursor > ss.last_trade {
        return Err(ContractError::NothingToSettle { slot });
    }
    rules::timeline(slot, &cfg.params, ss.all_reported_at).check_settle_open(now)?;
    let limit = limit
        .unwrap_or(cfg.params.max_batch)
        .clamp(1, cfg.params.max_batch) as usize;
    let disputed: BTreeSet<TradeId> = if ss.disputes == 0 {
        BTreeSet::new()
    } else {
        DISPUTES
            .prefix(slot.0)
            .keys(storage, None, None, IterOrder::Ascending)
            .collect::<StdResult<_>>()?
    };
    let batches: Vec<(TradeId, TradeId)> = SLOT_BATCHES
        .prefix(slot.0)
        .range(storage, None, None, IterOrder::Ascending)
        .collect::<StdResult<_>>()?;
    // Every seller meter's record: one iterator over the slot's chunks.
    let meters = SlotMeters::load(storage, slot.0)?;
    let mut credits: BTreeMap<Vec<u8>, Delta> = BTreeMap::new();
    let mut released = Uint128::zero();
    let mut considered = 0usize;
    let mut next = ss.cursor;
    for (first, last) in batches {
        if last < next {
            continue;
        }
        if considered == limit {
            break;
        }
        let start = first.max(next);
        // Only what this call can consider: every id counts, disputed or not.
        let upto = last.min(start + (limit - considered) as u64 - 1);
        for (id, t) in trades_between(storage, start, upto)? {
            considered += 1;
            next = id + 1;
            if disputed.contains(&id) {
                continue;
            }
            let ms = meters.get(t.meter)?;
            let s = rules::metered(&t, ms, cfg.params.penalty_price)?;
            settle_deltas(&mut credits, &t, &s);
            released += t.payment + t.collateral;
            if cfg.reputation.is_some() {
                outcomes.push(outcome(api, id, &t, &s)?);
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
    ledger::apply_into(led, storage, &credits)?;
    SLOTS.save(storage, slot.0, &ss)?;
    st.trades -= released;
    st.claimable += released;
    Ok(Settled {
        considered,
        released,
        finished: ss.cursor > ss.last_trade,
    })
}

/// The one `RecordOutcomes` message to reputation for `outcomes` (none
/// without reputation or without outcomes).
pub(crate) fn outcomes_msg(
    cfg: &Config,
    outcomes: Vec<TradeOutcome>,
) -> StdResult<Option<CosmosMsg>> {
    match &cfg.reputation {
        Some(rep) if !outcomes.is_empty() => Ok(Some(reputation_msg(
            rep,
            &ReputationExecuteHook::RecordOutcomes { outcomes },
        )?)),
        _ => Ok(None),
    }
}

/// The ledger changes of settling `t` by `s`: payouts to the free balances,
/// and for a trade committed from intents, the payment and collateral
/// leave the parties' locked balances.
pub(crate) fn settle_deltas(
    deltas: &mut BTreeMap<Vec<u8>, Delta>,
    t: &TradeRec,
    s: &TradeSettlement,
) {
    ledger::credit(deltas, &t.seller, s.seller_paid + s.collateral_returned);
    ledger::credit(deltas, &t.buyer, s.buyer_refund + s.penalty);
    if t.intents {
        ledger::unlock(deltas, &t.buyer, t.payment);
        ledger::unlock(deltas, &t.seller, t.collateral);
    }
}

/// The outcome of trade `id` as reputation records it.
pub(crate) fn outcome(
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
pub(crate) fn reputation_msg(rep: &Addr, hook: &ReputationExecuteHook) -> StdResult<CosmosMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: rep.to_string(),
        msg: to_json_binary(hook)?,
        funds: vec![],
    }
    .into())
}

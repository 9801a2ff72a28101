//! Disputes: a party opens one with the bond before the dispute window
//! closes (`open_dispute`, or through the AIP `Send` hook); the arbiter rules
//! before its deadline (`resolve_dispute`), else anyone applies the default
//! ruling, as metered (`apply_default_ruling`). The bond goes back to the
//! opener or to the other party ([`rules::bond_to_opener`]).

use std::collections::BTreeMap;

use aip_types::hooks::{ReputationExecuteHook, Ruling};
use aip_types::{SlotId, TradeId};
use cosmwasm_std::{Addr, Deps, DepsMut, Env, MessageInfo, Response, Uint128};

use super::only;
use super::settle::{outcome, reputation_msg, settle_deltas};
use crate::ledger::{self, Delta};
use crate::rules;
use crate::state::{
    load_meter, may_load_trade, Config, Dispute, TradeRec, CONFIG, DISPUTES, SLOTS, STATE,
};
use crate::ContractError;

/// A party opens a dispute without sending a token (only while the bond is 0).
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
pub(crate) fn open_dispute(
    deps: DepsMut,
    env: &Env,
    cfg: &Config,
    who: Addr,
    trade_id: TradeId,
    reason: String,
    sent: Option<Uint128>,
) -> Result<Response, ContractError> {
    let bond = cfg.params.dispute_bond;
    rules::check_bond(bond, sent)?;
    let t = may_load_trade(deps.storage, trade_id)?
        .ok_or(ContractError::TradeNotFound { id: trade_id })?;
    let sender = deps.api.addr_canonicalize(who.as_str())?;
    if sender != t.buyer && sender != t.seller {
        return Err(ContractError::NotTradeParty { id: trade_id });
    }
    rules::check_reason(&reason)?;
    let slot = SlotId(t.slot);
    let mut ss = SLOTS.load(deps.storage, slot.0)?;
    let now = env.block.time.seconds();
    rules::timeline(slot, &cfg.params, ss.all_reported_at).check_dispute_open(trade_id, now)?;
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
    let t = may_load_trade(deps.storage, trade_id)?
        .ok_or(ContractError::TradeNotFound { id: trade_id })?;
    let slot = SlotId(t.slot);
    let d = DISPUTES
        .may_load(deps.storage, (slot.0, trade_id))?
        .ok_or(ContractError::NotDisputed { id: trade_id })?;
    if d.ruling.is_some() {
        return Err(ContractError::AlreadyRuled { id: trade_id });
    }
    let ss = SLOTS.load(deps.storage, slot.0)?;
    let timeline = rules::timeline(slot, &cfg.params, ss.all_reported_at);
    timeline.check_ruling_open(trade_id, now)?;
    let due = rules::ruling_due(
        timeline.data_final_at,
        d.opened_at,
        cfg.params.ruling_deadline_secs,
    );
    Ok(OpenCase { t, d, due })
}

/// The arbiter rules on a dispute before its deadline.
pub fn execute_resolve_dispute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    trade_id: TradeId,
    ruling: Ruling,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(&info, &cfg.arbiter, "rule on disputes", "arbiter")?;
    rules::check_ruling(ruling)?;
    let case = load_case(deps.as_ref(), &cfg, trade_id, env.block.time.seconds())?;
    if env.block.time.seconds() >= case.due {
        return Err(ContractError::RulingDeadlinePassed {
            id: trade_id,
            due: case.due,
        });
    }
    close_dispute(deps, &cfg, trade_id, case, ruling, false)
}

/// Anyone, after the arbiter's deadline: the trade settles as metered.
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
    let ms = load_meter(deps.storage, slot.0, t.meter)?;
    let s = rules::ruled(&t, &ms, cfg.params.penalty_price, ruling)?;
    d.ruling = Some(ruling);
    d.defaulted = defaulted;
    let opener = deps.api.addr_canonicalize(d.opened_by.as_str())?;
    let opened_by_buyer = opener == t.buyer;
    let bond_to = if rules::bond_to_opener(defaulted, opened_by_buyer, ruling) {
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

//! Execute handlers, one file per phase of a slot's life:
//!
//! | file | messages |
//! | --- | --- |
//! | [`admin`] | instantiate, migrate, `update_config`, the grid operator's zones, corridors, node zones and congestion fees |
//! | [`deposit`] | deposits (the AIP `Send` hook) and `withdraw` |
//! | [`intents`] | `place_intent`, `cancel_intent` |
//! | [`commit`] | `commit_intents` |
//! | [`delivery`] | `fetch_deliveries` |
//! | [`settle`] | `settle` |
//! | [`dispute`] | `open_dispute` (also through the AIP `Send` hook), `resolve_dispute`, `apply_default_ruling` |
//!
//! The handlers load and store; every market rule they apply is a pure
//! function of [`crate::rules`].

pub mod admin;
pub mod commit;
pub mod delivery;
pub mod deposit;
pub mod dispute;
pub mod intents;
pub mod settle;

use cosmwasm_std::{from_json, Addr, Binary, DepsMut, Env, MessageInfo, Response, Uint128};

use crate::msg::{ExecuteMsg, ReceiveMsg};
use crate::state::CONFIG;
use crate::ContractError;

/// Routes an execute message to its handler.
pub fn dispatch(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    use ExecuteMsg::*;
    match msg {
        Receive(r) => execute_receive(deps, env, info, r.sender, r.amount, r.msg),
        CommitIntents {
            slot,
            intents,
            trades,
            settle,
        } => commit::execute_commit_intents(deps, env, info, slot, intents, trades, settle),
        PlaceIntent { intent } => intents::execute_place_intent(deps, env, info, intent),
        CancelIntent { nonce } => intents::execute_cancel_intent(deps, info, nonce),
        FetchDeliveries { slot, limit } => {
            delivery::execute_fetch_deliveries(deps, env, slot, limit)
        }
        Settle { slot, limit } => settle::execute_settle(deps, env, slot, limit),
        OpenDispute { trade_id, reason } => {
            dispute::execute_open_dispute(deps, env, info, trade_id, reason)
        }
        ApplyDefaultRuling { trade_id } => {
            dispute::execute_apply_default_ruling(deps, env, trade_id)
        }
        ResolveDispute { trade_id, ruling } => {
            dispute::execute_resolve_dispute(deps, env, info, trade_id, ruling)
        }
        Withdraw { amount } => deposit::execute_withdraw(deps, info, amount),
        UpsertZone { zone } => admin::execute_upsert_zone(deps, info, zone),
        SetCorridor { corridor } => admin::execute_set_corridor(deps, info, corridor),
        RemoveCorridor { from_zone, to_zone } => {
            admin::execute_remove_corridor(deps, info, from_zone, to_zone)
        }
        SetNodeZones { nodes } => admin::execute_set_node_zones(deps, info, nodes),
        SetCongestionFees { slot, fees } => {
            admin::execute_set_congestion_fees(deps, env, info, slot, fees)
        }
        UpdateConfig { roles, params } => admin::execute_update_config(deps, info, roles, params),
    }
}

/// The cw20 hook: only the AIP token's `Send` is accepted; it carries a
/// deposit or a dispute with its bond.
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
            dispute::open_dispute(deps, &env, &cfg, owner, trade_id, reason, Some(amount))
        }
        ReceiveMsg::Deposit {} => deposit::deposit(deps, owner, amount),
    }
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

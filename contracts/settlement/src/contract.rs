//! Entry points: dispatch only. The handlers live in [`crate::execute`] (one
//! file per phase, routed by [`crate::execute::dispatch`]) and [`crate::query`].
//!
//! Plain CosmWasm entry points rather than sylvia: sylvia 1.3 routes every
//! message through `serde_cw_value` (a second, generic deserializer for each
//! message type), which cost about 90 KB of optimized wasm here and pushed the
//! contract past the 500 KB artifact limit. The JSON interface is the one the
//! sylvia version had.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};

use crate::execute as ex;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::query as q;
use crate::ContractError;

/// The cw2 contract name; `migrate` refuses code stored under another name.
pub const CONTRACT_NAME: &str = "crates.io:settlement";
/// The cw2 version: the crate version; `migrate` refuses downgrades.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Creates the market: checks the roles and parameters, stores them with the cw2 version.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    ex::admin::execute_instantiate(deps, info, msg.token, msg.roles, msg.params)
}

/// Dispatches an execute message to its phase's handler in [`crate::execute`].
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    ex::dispatch(deps, env, info, msg)
}

/// Dispatches a query to its handler in [`crate::query`] and serializes the answer.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    use QueryMsg::*;
    Ok(match msg {
        Config {} => to_json_binary(&q::query_config(deps)?),
        Network {} => to_json_binary(&q::query_network(deps)?),
        NodeZones { start_after, limit } => {
            to_json_binary(&q::query_node_zones(deps, start_after, limit)?)
        }
        CongestionFees { slot } => to_json_binary(&q::query_congestion_fees(deps, slot)?),
        SlotStatus { slot } => to_json_binary(&q::query_slot_status(deps, env, slot)?),
        Trade { id } => to_json_binary(&q::query_trade(deps, id)?),
        TradesByAccount {
            account,
            start_after,
            limit,
        } => to_json_binary(&q::query_trades_by_account(
            deps,
            account,
            start_after,
            limit,
        )?),
        TradesBySlot {
            slot,
            start_after,
            limit,
        } => to_json_binary(&q::query_trades_by_slot(deps, slot, start_after, limit)?),
        Balance { account } => to_json_binary(&q::query_balance(deps, account)?),
        IntentFill { owner, nonce } => to_json_binary(&q::query_intent_fill(deps, owner, nonce)?),
        Holdings {} => to_json_binary(&q::query_holdings(deps)?),
        Dispute { trade_id } => to_json_binary(&q::query_dispute(deps, trade_id)?),
    }?)
}

/// Upgrades the code: the shared guard (`aip_types::migrate`) refuses another
/// contract's code and downgrades, then records the new version.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    ex::admin::execute_migrate(deps)
}

//! Entry points: checks of instantiate and migrate, dispatch of the rest.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};
use cw2::set_contract_version;

use crate::execute::{self, add_operator, check_quorum, check_tolerance};
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::query;
use crate::state::{Config, CONFIG};
use crate::ContractError;

/// The cw2 contract name; `migrate` refuses code stored under another name.
pub const CONTRACT_NAME: &str = "crates.io:meter-oracle";
/// The cw2 version: the crate version; `migrate` refuses downgrades.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Creates the oracle: validates roles, operators, quorum and tolerance; stores them with the cw2 version.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    check_tolerance(&msg.tolerance)?;
    let admin = match msg.admin {
        Some(a) => deps.api.addr_validate(&a)?,
        None => info.sender,
    };
    let mut cfg = Config {
        admin,
        grid_operator: deps.api.addr_validate(&msg.grid_operator)?,
        quorum: msg.quorum,
        tolerance_wh: msg.tolerance.wh,
        tolerance_bps: msg.tolerance.bps,
        active_operators: 0,
        meters: 0,
    };
    for op in &msg.operators {
        let addr = deps.api.addr_validate(op)?;
        add_operator(deps.storage, &mut cfg, &addr)?;
    }
    check_quorum(&cfg)?;
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("admin", cfg.admin)
        .add_attribute("grid_operator", cfg.grid_operator)
        .add_attribute("quorum", cfg.quorum.to_string())
        .add_attribute("operators", cfg.active_operators.to_string()))
}

/// Dispatches an execute message to its handler.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::RequestMeter { node, pubkey } => {
            execute::execute_request_meter(deps, info, node, pubkey)
        }
        ExecuteMsg::RegisterMeter {
            owner,
            node,
            pubkey,
        } => execute::execute_register_meter(deps, info, owner, node, pubkey),
        ExecuteMsg::ApproveMeter { meter } => execute::execute_approve_meter(deps, info, meter),
        ExecuteMsg::RotateMeterKey { meter, pubkey } => {
            execute::execute_rotate_meter_key(deps, info, meter, pubkey)
        }
        ExecuteMsg::DeactivateMeter { meter } => {
            execute::execute_deactivate_meter(deps, info, meter)
        }
        ExecuteMsg::UpdateOperators {
            add,
            remove,
            quorum,
        } => execute::execute_update_operators(deps, info, add, remove, quorum),
        ExecuteMsg::UpdateConfig {
            admin,
            grid_operator,
            tolerance,
        } => execute::execute_update_config(deps, info, admin, grid_operator, tolerance),
        ExecuteMsg::SubmitReadings { slot, readings } => {
            execute::execute_submit_readings(deps, env, info, slot, readings)
        }
    }
}

/// Dispatches a query and serializes the answer.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => to_json_binary(&query::query_config(deps)?),
        QueryMsg::Meter { meter } => to_json_binary(&query::query_meter(deps, meter)?),
        QueryMsg::Meters {
            owner,
            status,
            start_after,
            limit,
        } => to_json_binary(&query::query_meters(
            deps,
            owner,
            status,
            start_after,
            limit,
        )?),
        QueryMsg::Operators {} => to_json_binary(&query::query_operators(deps)?),
        QueryMsg::Reading { slot, meter } => {
            to_json_binary(&query::query_reading(deps, slot, meter)?)
        }
        QueryMsg::Readings {
            slot,
            start_after,
            limit,
        } => to_json_binary(&query::query_readings(deps, slot, start_after, limit)?),
        QueryMsg::Reported {
            slot,
            operator,
            meters,
        } => to_json_binary(&query::query_reported(deps, slot, operator, meters)?),
        QueryMsg::Deliveries { slot, meters } => {
            to_json_binary(&query::query_deliveries(deps, slot, meters)?)
        }
    }
}

/// Upgrades the code: the shared guard (`aip_types::migrate`) refuses another
/// contract's code and downgrades, then records the new version.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    Ok(aip_types::migrate::upgrade(
        deps.storage,
        CONTRACT_NAME,
        CONTRACT_VERSION,
    )?)
}

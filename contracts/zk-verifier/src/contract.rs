//! Entry points: dispatch only.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};

use crate::error::ContractError;
use crate::execute as ex;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::query as q;

pub const CONTRACT_NAME: &str = "crates.io:zk-verifier";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    ex::instantiate(deps, env, info, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::SetVerifyingKey { verifying_key } => {
            ex::execute_set_verifying_key(deps, info, verifying_key)
        }
        ExecuteMsg::UpdateConfig {
            admin,
            provider,
            reputation,
            root_history,
        } => ex::execute_update_config(deps, info, admin, provider, reputation, root_history),
        ExecuteMsg::PublishRoot { root } => ex::execute_publish_root(deps, info, root),
        ExecuteMsg::Register {
            proof,
            root,
            nullifier_hash,
        } => ex::execute_register(deps, info, proof, root, nullifier_hash),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => cosmwasm_std::to_json_binary(&q::query_config(deps)?),
        QueryMsg::Roots {} => cosmwasm_std::to_json_binary(&q::query_roots(deps)?),
        QueryMsg::Nullifier { nullifier_hash } => {
            cosmwasm_std::to_json_binary(&q::query_nullifier(deps, nullifier_hash)?)
        }
        QueryMsg::VerifyingKey {} => cosmwasm_std::to_json_binary(&q::query_verifying_key(deps)?),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from_version =
        aip_types::migrate::check_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    // Earlier versions kept the prepared key as JSON under "vk": prepare it
    // again from the key as sent, into the raw layout `Register` reads.
    if crate::state::PreparedKey::load(deps.storage)?.is_none() {
        if let Some(raw) = crate::state::VK_RAW.may_load(deps.storage)? {
            crate::groth16::prepare_key(deps.api, raw.as_slice())?.save(deps.storage);
            deps.storage.remove(b"vk");
        }
    }
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from_version)
        .add_attribute("version", CONTRACT_VERSION))
}

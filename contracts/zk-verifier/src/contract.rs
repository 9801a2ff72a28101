//! Entry points: dispatch only.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};

use crate::error::ContractError;
use crate::execute as ex;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, RootKind};
use crate::query as q;

/// The contract name stored with cw2 (migrations check it).
pub const CONTRACT_NAME: &str = "crates.io:zk-verifier";
/// This code's version, stored with cw2.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Creates the verifier ([`crate::msg::InstantiateMsg`]).
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

/// Routes an execute message to its handler in [`crate::execute`].
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
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
            compliance,
            reputation,
            grace_period,
            premium_max_age_days,
        } => ex::execute_update_config(
            deps,
            info,
            ex::ConfigUpdate {
                admin,
                provider,
                compliance,
                reputation,
                grace_period,
                premium_max_age_days,
            },
        ),
        ExecuteMsg::PublishRoot { root } => {
            ex::execute_publish(deps, env, info, RootKind::Identity, root)
        }
        ExecuteMsg::PublishSanctionsRoot { root } => {
            ex::execute_publish(deps, env, info, RootKind::Sanctions, root)
        }
        ExecuteMsg::PublishRevocationRoot { root } => {
            ex::execute_publish(deps, env, info, RootKind::Revocation, root)
        }
        ExecuteMsg::Register {
            proof,
            context,
            nullifier_hash,
            valid_until,
        } => ex::execute_register(
            deps,
            env,
            info,
            ex::Registration {
                proof,
                context,
                nullifier_hash,
                valid_until,
            },
        ),
    }
}

/// Routes a query to its handler in [`crate::query`].
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    use cosmwasm_std::to_json_binary as json;
    match msg {
        QueryMsg::Config {} => json(&q::query_config(deps)?),
        QueryMsg::Roots {} => json(&q::query_roots(deps)?),
        QueryMsg::Context { context } => json(&q::query_context(deps, context)?),
        QueryMsg::Nullifier { nullifier_hash } => json(&q::query_nullifier(deps, nullifier_hash)?),
        QueryMsg::VerifyingKey {} => json(&q::query_verifying_key(deps)?),
        QueryMsg::Eligibility { account } => json(&q::query_eligibility(deps, env, account)?),
        QueryMsg::Eligibilities { accounts } => json(
            &q::query_eligibilities(deps, env, accounts)
                .map_err(|e| cosmwasm_std::StdError::generic_err(e.to_string()))?,
        ),
        QueryMsg::Stats { start_after, limit } => {
            json(&q::query_stats(deps, env, start_after, limit)?)
        }
    }
}

/// Migrates to this version: same contract, no downgrade, and a verifier
/// of the current layout.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from_version =
        aip_types::migrate::check_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    // A verifier from before the AML circuit (no compliance role, no contexts)
    // cannot be migrated in place: its proofs and key are for another circuit.
    crate::state::CONFIG.load(deps.storage)?;
    // This code may compile in other keys than the old one: re-derive where
    // `Register` finds the key, and drop the layout before the register record.
    ex::rebuild_register_record(deps.storage, deps.api)?;
    for key in crate::state::LEGACY_KEYS {
        deps.storage.remove(key);
    }
    Ok(aip_types::migrate::migrated(
        deps.storage,
        CONTRACT_NAME,
        CONTRACT_VERSION,
        from_version,
    )?)
}

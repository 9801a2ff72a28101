//! Entry points. Dispatch to cw20-base; AIP's own checks come first.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};
use cw2::set_contract_version;

use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, AIP_DECIMALS};
use crate::ContractError;

/// The cw2 contract name; `migrate` refuses code stored under another name.
pub const CONTRACT_NAME: &str = "crates.io:aip-token";
/// The cw2 version: the crate version; `migrate` refuses downgrades.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Creates the token: cw20-base's instantiation, with 6 decimals enforced.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    if msg.decimals != AIP_DECIMALS {
        return Err(ContractError::WrongDecimals {
            expected: AIP_DECIMALS,
            got: msg.decimals,
        });
    }
    let symbol = msg.symbol.clone();
    let res = cw20_base::contract::instantiate(deps.branch(), env, info, msg)?;
    // cw20-base wrote its own name; the deployed contract is the AIP token.
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(res
        .add_attribute("action", "instantiate")
        .add_attribute("symbol", symbol))
}

/// cw20-base's execute messages, with checked supply and allowance arithmetic.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    if let ExecuteMsg::Mint { amount, .. } = &msg {
        // cw20-base 2.0 adds to the supply with `+=` before it checks the
        // cap: an amount that overflows u128 would abort the contract
        // instead of being refused. Refuse it first, with the figures.
        let supply = cw20_base::state::TOKEN_INFO
            .load(deps.storage)?
            .total_supply;
        if supply.checked_add(*amount).is_err() {
            return Err(ContractError::SupplyOverflow {
                supply,
                amount: *amount,
            });
        }
    }
    if let ExecuteMsg::IncreaseAllowance {
        spender, amount, ..
    } = &msg
    {
        // The same in cw20-base 2.0's `execute_increase_allowance`
        // (`allowance += amount`): refuse an allowance beyond u128 first.
        let spender_addr = deps.api.addr_validate(spender)?;
        let allowance = cw20_base::state::ALLOWANCES
            .may_load(deps.storage, (&info.sender, &spender_addr))?
            .map(|a| a.allowance)
            .unwrap_or_default();
        if allowance.checked_add(*amount).is_err() {
            return Err(ContractError::AllowanceOverflow {
                spender: spender.clone(),
                allowance,
                amount: *amount,
            });
        }
    }
    Ok(cw20_base::contract::execute(deps, env, info, msg)?)
}

/// cw20-base's queries.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    cw20_base::contract::query(deps, env, msg)
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

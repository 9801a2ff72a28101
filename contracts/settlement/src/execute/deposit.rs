//! The deposit account a household trades from: deposits (an AIP `Send`
//! with `{"deposit":{}}`, routed here by the cw20 hook) and `withdraw`.

use cosmwasm_std::{
    to_json_binary, Addr, CosmosMsg, DepsMut, MessageInfo, Response, StdResult, Uint128, WasmMsg,
};

use crate::ledger;
use crate::rules;
use crate::state::{Config, CONFIG, STATE};
use crate::ContractError;

/// Credits `amount` (an AIP `Send` to this contract) to `owner`'s free balance.
pub fn deposit(deps: DepsMut, owner: Addr, amount: Uint128) -> Result<Response, ContractError> {
    if amount.is_zero() {
        return Err(ContractError::NothingDeposited);
    }
    let raw = deps.api.addr_canonicalize(owner.as_str())?;
    let mut led = ledger::Ledger::open(deps.storage)?;
    let mut acc = led.get(deps.storage, raw.as_slice())?;
    acc.free = acc
        .free
        .checked_add(amount)
        .map_err(cosmwasm_std::StdError::from)?;
    led.put(deps.storage, raw.as_slice(), acc)?;
    led.flush(deps.storage)?;
    let mut st = STATE.load(deps.storage)?;
    st.claimable += amount;
    STATE.save(deps.storage, &st)?;
    Ok(Response::new()
        .add_attribute("action", "deposit")
        .add_attribute("account", owner)
        .add_attribute("amount", amount)
        .add_attribute("free", acc.free))
}

/// Pays `amount` (`None`: all) of the sender's free balance out in AIP
/// ([`rules::withdrawal`]).
pub fn execute_withdraw(
    deps: DepsMut,
    info: MessageInfo,
    amount: Option<Uint128>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let raw = deps.api.addr_canonicalize(info.sender.as_str())?;
    let mut led = ledger::Ledger::open(deps.storage)?;
    let mut acc = led.get(deps.storage, raw.as_slice())?;
    let amount = rules::withdrawal(amount, acc.free)?;
    acc.free -= amount;
    led.put(deps.storage, raw.as_slice(), acc)?;
    led.flush(deps.storage)?;
    let mut st = STATE.load(deps.storage)?;
    st.claimable -= amount;
    STATE.save(deps.storage, &st)?;
    Ok(Response::new()
        .add_message(transfer(&cfg, &info.sender, amount)?)
        .add_attribute("action", "withdraw")
        .add_attribute("account", info.sender)
        .add_attribute("amount", amount))
}

/// An AIP transfer of `amount` from this contract to `to`.
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

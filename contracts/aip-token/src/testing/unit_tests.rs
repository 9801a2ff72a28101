use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};
use cosmwasm_std::{from_json, Uint128};
use cw20::{Cw20Coin, MinterResponse, TokenInfoResponse};
use cw20_base::msg::InstantiateMsg;

use crate::contract::{execute, instantiate, migrate, query, CONTRACT_NAME};
use crate::msg::{ExecuteMsg, MigrateMsg, QueryMsg};
use crate::ContractError;

fn msg(decimals: u8, cap: Option<u128>, initial: &[(&str, u128)]) -> InstantiateMsg {
    let deps = mock_dependencies();
    let minter = deps.api.addr_make("minter").to_string();
    InstantiateMsg {
        name: "AIPCHAIN energy token".to_string(),
        symbol: "AIP".to_string(),
        decimals,
        initial_balances: initial
            .iter()
            .map(|(who, amount)| Cw20Coin {
                address: deps.api.addr_make(who).to_string(),
                amount: Uint128::new(*amount),
            })
            .collect(),
        mint: Some(MinterResponse {
            minter,
            cap: cap.map(Uint128::new),
        }),
        marketing: None,
    }
}

#[test]
fn instantiate_refuses_decimals_other_than_six() {
    let mut deps = mock_dependencies();
    let info = message_info(&deps.api.addr_make("creator"), &[]);
    let err = instantiate(deps.as_mut(), mock_env(), info, msg(18, None, &[])).unwrap_err();
    assert_eq!(
        err,
        ContractError::WrongDecimals {
            expected: 6,
            got: 18
        }
    );
    assert_eq!(err.to_string(), "the AIP token has 6 decimals, not 18");
    // nothing was written
    assert!(cw2::get_contract_version(&deps.storage).is_err());
}

#[test]
fn instantiate_keeps_cw20_base_validation() {
    let mut deps = mock_dependencies();
    let info = message_info(&deps.api.addr_make("creator"), &[]);
    let mut bad_symbol = msg(6, None, &[]);
    bad_symbol.symbol = "A1".to_string();
    let err = instantiate(deps.as_mut(), mock_env(), info.clone(), bad_symbol).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Generic error: Ticker symbol is not in expected format [a-zA-Z\\-]{3,12}"
    );

    let mut bad_name = msg(6, None, &[]);
    bad_name.name = "AI".to_string();
    let err = instantiate(deps.as_mut(), mock_env(), info.clone(), bad_name).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Generic error: Name is not in the expected format (3-50 UTF-8 bytes)"
    );

    let dup = msg(6, None, &[("alice", 1), ("alice", 2)]);
    let err = instantiate(deps.as_mut(), mock_env(), info.clone(), dup).unwrap_err();
    assert_eq!(err.to_string(), "Duplicate initial balance addresses");

    let over_cap = msg(6, Some(100), &[("alice", 60), ("bob", 41)]);
    let err = instantiate(deps.as_mut(), mock_env(), info, over_cap).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Generic error: Initial supply greater than cap"
    );
}

#[test]
fn instantiate_records_aip_name_and_supply() {
    let mut deps = mock_dependencies();
    let info = message_info(&deps.api.addr_make("creator"), &[]);
    let res = instantiate(
        deps.as_mut(),
        mock_env(),
        info,
        msg(6, Some(1_000), &[("alice", 600)]),
    )
    .unwrap();
    assert_eq!(res.attributes[0].key, "action");
    assert_eq!(res.attributes[0].value, "instantiate");
    let version = cw2::get_contract_version(&deps.storage).unwrap();
    assert_eq!(version.contract, CONTRACT_NAME);
    let info: TokenInfoResponse =
        from_json(query(deps.as_ref(), mock_env(), QueryMsg::TokenInfo {}).unwrap()).unwrap();
    assert_eq!(info.total_supply, Uint128::new(600));
    assert_eq!(info.decimals, 6);
}

#[test]
fn minter_cannot_exceed_the_cap_and_others_cannot_mint() {
    let mut deps = mock_dependencies();
    let creator = message_info(&deps.api.addr_make("creator"), &[]);
    instantiate(
        deps.as_mut(),
        mock_env(),
        creator,
        msg(6, Some(1_000), &[("alice", 600)]),
    )
    .unwrap();
    let minter = message_info(&deps.api.addr_make("minter"), &[]);
    let bob = deps.api.addr_make("bob").to_string();

    // up to the cap exactly
    execute(
        deps.as_mut(),
        mock_env(),
        minter.clone(),
        ExecuteMsg::Mint {
            recipient: bob.clone(),
            amount: Uint128::new(400),
        },
    )
    .unwrap();
    // one more is refused, and the supply stays at the cap
    let err = execute(
        deps.as_mut(),
        mock_env(),
        minter,
        ExecuteMsg::Mint {
            recipient: bob.clone(),
            amount: Uint128::new(1),
        },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "Minting cannot exceed the cap");

    let stranger = message_info(&deps.api.addr_make("stranger"), &[]);
    let err = execute(
        deps.as_mut(),
        mock_env(),
        stranger,
        ExecuteMsg::Mint {
            recipient: bob,
            amount: Uint128::new(1),
        },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "Unauthorized");

    let info: TokenInfoResponse =
        from_json(query(deps.as_ref(), mock_env(), QueryMsg::TokenInfo {}).unwrap()).unwrap();
    assert_eq!(info.total_supply, Uint128::new(1_000));
}

#[test]
fn minting_beyond_u128_is_refused_not_an_abort() {
    // Found by aip-fuzz: cw20-base adds before it checks, so an uncapped
    // token would overflow (a panic, an abort on chain).
    let mut deps = mock_dependencies();
    let creator = message_info(&deps.api.addr_make("creator"), &[]);
    instantiate(
        deps.as_mut(),
        mock_env(),
        creator,
        msg(6, None, &[("alice", 600)]),
    )
    .unwrap();
    let minter = message_info(&deps.api.addr_make("minter"), &[]);
    let bob = deps.api.addr_make("bob").to_string();
    let err = execute(
        deps.as_mut(),
        mock_env(),
        minter,
        ExecuteMsg::Mint {
            recipient: bob,
            amount: Uint128::MAX,
        },
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "minting 340282366920938463463374607431768211455 would overflow the total supply of 600"
    );
    let info: TokenInfoResponse =
        from_json(query(deps.as_ref(), mock_env(), QueryMsg::TokenInfo {}).unwrap()).unwrap();
    assert_eq!(info.total_supply, Uint128::new(600));
}

#[test]
fn migrate_refuses_another_contract_and_downgrades() {
    let mut deps = mock_dependencies();
    cw2::set_contract_version(&mut deps.storage, "crates.io:cw20-base", "2.0.0").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot migrate from crates.io:cw20-base (this is crates.io:aip-token)"
    );

    cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, "99.0.0").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
    assert!(err
        .to_string()
        .starts_with("cannot migrate from version 99.0.0"));

    cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, "0.0.1").unwrap();
    let res = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    assert_eq!(res.attributes[0].value, "migrate");
}

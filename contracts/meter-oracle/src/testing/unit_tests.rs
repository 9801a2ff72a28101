//! Instantiate and migrate checks on mock dependencies.

use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};
use cosmwasm_std::Uint128;

use crate::contract::{instantiate, migrate};
use crate::msg::{InstantiateMsg, MigrateMsg, Tolerance, MAX_OPERATORS};
use crate::ContractError;

fn msg(api: &cosmwasm_std::testing::MockApi, ops: usize, quorum: u32) -> InstantiateMsg {
    InstantiateMsg {
        admin: None,
        grid_operator: api.addr_make("grid").to_string(),
        operators: (0..ops)
            .map(|i| api.addr_make(&format!("op{i}")).to_string())
            .collect(),
        quorum,
        tolerance: Tolerance {
            wh: Uint128::new(10),
            bps: 0,
        },
    }
}

#[test]
fn instantiate_checks_quorum_tolerance_and_operators() {
    let mut deps = mock_dependencies();
    let info = message_info(&deps.api.addr_make("admin"), &[]);
    let m = msg(&deps.api, 2, 3);
    let err = instantiate(deps.as_mut(), mock_env(), info.clone(), m).unwrap_err();
    assert_eq!(
        err.to_string(),
        "quorum 3 must be between 1 and the 2 active operators"
    );
    let mut m = msg(&deps.api, 2, 1);
    m.tolerance.bps = 20_000;
    let err = instantiate(deps.as_mut(), mock_env(), info.clone(), m).unwrap_err();
    assert_eq!(err.to_string(), "tolerance of 20000 bps exceeds 10000");
    let mut m = msg(&deps.api, 1, 1);
    m.operators.push(m.operators[0].clone());
    let err = instantiate(deps.as_mut(), mock_env(), info.clone(), m).unwrap_err();
    assert!(matches!(err, ContractError::AlreadyOperator { .. }));

    let mut deps = mock_dependencies();
    let m = msg(&deps.api, MAX_OPERATORS + 1, 1);
    let err = instantiate(deps.as_mut(), mock_env(), info.clone(), m).unwrap_err();
    assert_eq!(
        err.to_string(),
        "at most 64 oracle operators can ever be added"
    );
    let mut deps = mock_dependencies();
    let m = msg(&deps.api, 3, 2);
    let res = instantiate(deps.as_mut(), mock_env(), info, m).unwrap();
    assert_eq!(res.attributes[0].value, "instantiate");
}

#[test]
fn migrate_refuses_other_contracts_and_downgrades() {
    let mut deps = mock_dependencies();
    cw2::set_contract_version(&mut deps.storage, "crates.io:other", "0.1.0").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot migrate from crates.io:other (this is crates.io:meter-oracle)"
    );
    cw2::set_contract_version(&mut deps.storage, "crates.io:meter-oracle", "99.0.0").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot migrate from version 99.0.0 to the older {}",
            env!("CARGO_PKG_VERSION")
        )
    );
    cw2::set_contract_version(&mut deps.storage, "crates.io:meter-oracle", "0.0.1").unwrap();
    let res = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    assert_eq!(res.attributes[0].value, "migrate");
}

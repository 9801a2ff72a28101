//! The token on the in-process chain: transfers, the `send` hook that carries
//! bids and offers, burn, allowances and marketing, through real messages.

use cosmwasm_std::{
    to_json_binary, Addr, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdResult,
    Uint128,
};
use cw20::{BalanceResponse, Cw20Coin, Cw20ReceiveMsg, MarketingInfoResponse, MinterResponse};
use cw20_base::msg::InstantiateMsg;
use cw_multi_test::{App, ContractWrapper, Executor};

use crate::msg::{ExecuteMsg, QueryMsg};

/// A receiver that stores the last hook it got, to prove `send` calls it.
mod receiver {
    use super::*;
    use cw_storage_plus::Item;
    pub const LAST: Item<Cw20ReceiveMsg> = Item::new("last");

    pub fn instantiate(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
        Ok(Response::new())
    }
    #[cosmwasm_schema::cw_serde]
    pub enum Hook {
        Receive(Cw20ReceiveMsg),
    }

    pub fn execute(deps: DepsMut, _: Env, _: MessageInfo, msg: Hook) -> StdResult<Response> {
        let Hook::Receive(msg) = msg;
        LAST.save(deps.storage, &msg)?;
        Ok(Response::new().add_attribute("action", "received"))
    }
    pub fn query(deps: Deps, _: Env, _: Empty) -> StdResult<Binary> {
        to_json_binary(&LAST.load(deps.storage)?)
    }
}

struct Suite {
    app: App,
    token: Addr,
    alice: Addr,
    bob: Addr,
}

impl Suite {
    fn new() -> Self {
        let mut app = App::default();
        let alice = app.api().addr_make("alice");
        let bob = app.api().addr_make("bob");
        let minter = app.api().addr_make("minter");
        let code = app.store_code(Box::new(ContractWrapper::new(
            crate::contract::execute,
            crate::contract::instantiate,
            crate::contract::query,
        )));
        let token = app
            .instantiate_contract(
                code,
                minter.clone(),
                &InstantiateMsg {
                    name: "AIPCHAIN energy token".into(),
                    symbol: "AIP".into(),
                    decimals: 6,
                    initial_balances: vec![Cw20Coin {
                        address: alice.to_string(),
                        amount: Uint128::new(1_000_000),
                    }],
                    mint: Some(MinterResponse {
                        minter: minter.to_string(),
                        cap: Some(Uint128::new(10_000_000)),
                    }),
                    marketing: Some(cw20_base::msg::InstantiateMarketingInfo {
                        project: Some("AIPCHAIN".into()),
                        description: Some("P2P energy market".into()),
                        marketing: Some(minter.to_string()),
                        logo: None,
                    }),
                },
                &[],
                "aip-token",
                None,
            )
            .unwrap();
        Suite {
            app,
            token,
            alice,
            bob,
        }
    }

    fn balance(&self, who: &Addr) -> u128 {
        let r: BalanceResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.token,
                &QueryMsg::Balance {
                    address: who.to_string(),
                },
            )
            .unwrap();
        r.balance.u128()
    }
}

#[test]
fn transfer_moves_tokens_and_overdraft_is_refused() {
    let mut s = Suite::new();
    let (alice, bob, token) = (s.alice.clone(), s.bob.clone(), s.token.clone());
    s.app
        .execute_contract(
            alice.clone(),
            token.clone(),
            &ExecuteMsg::Transfer {
                recipient: bob.to_string(),
                amount: Uint128::new(250_000),
            },
            &[],
        )
        .unwrap();
    assert_eq!(s.balance(&alice), 750_000);
    assert_eq!(s.balance(&bob), 250_000);

    let err = s
        .app
        .execute_contract(
            bob.clone(),
            token,
            &ExecuteMsg::Transfer {
                recipient: alice.to_string(),
                amount: Uint128::new(250_001),
            },
            &[],
        )
        .unwrap_err();
    assert!(
        err.root_cause()
            .to_string()
            .contains("Cannot Sub with given operands"),
        "{err:?}"
    );
    assert_eq!(s.balance(&bob), 250_000);
}

#[test]
fn send_calls_the_receiving_contract_with_the_hook() {
    let mut s = Suite::new();
    let code = s.app.store_code(Box::new(ContractWrapper::new(
        receiver::execute,
        receiver::instantiate,
        receiver::query,
    )));
    let rx = s
        .app
        .instantiate_contract(code, s.alice.clone(), &Empty {}, &[], "rx", None)
        .unwrap();
    let payload = to_json_binary(&"deposit").unwrap();
    s.app
        .execute_contract(
            s.alice.clone(),
            s.token.clone(),
            &ExecuteMsg::Send {
                contract: rx.to_string(),
                amount: Uint128::new(42),
                msg: payload.clone(),
            },
            &[],
        )
        .unwrap();
    let last: Cw20ReceiveMsg = s.app.wrap().query_wasm_smart(&rx, &Empty {}).unwrap();
    assert_eq!(last.sender, s.alice.to_string());
    assert_eq!(last.amount, Uint128::new(42));
    assert_eq!(last.msg, payload);
    assert_eq!(s.balance(&rx), 42);
}

#[test]
fn burn_and_allowances_follow_cw20_base() {
    let mut s = Suite::new();
    let (alice, bob, token) = (s.alice.clone(), s.bob.clone(), s.token.clone());
    s.app
        .execute_contract(
            alice.clone(),
            token.clone(),
            &ExecuteMsg::Burn {
                amount: Uint128::new(100_000),
            },
            &[],
        )
        .unwrap();
    assert_eq!(s.balance(&alice), 900_000);

    s.app
        .execute_contract(
            alice.clone(),
            token.clone(),
            &ExecuteMsg::IncreaseAllowance {
                spender: bob.to_string(),
                amount: Uint128::new(5_000),
                expires: None,
            },
            &[],
        )
        .unwrap();
    s.app
        .execute_contract(
            bob.clone(),
            token.clone(),
            &ExecuteMsg::TransferFrom {
                owner: alice.to_string(),
                recipient: bob.to_string(),
                amount: Uint128::new(5_000),
            },
            &[],
        )
        .unwrap();
    assert_eq!(s.balance(&bob), 5_000);
    let err = s
        .app
        .execute_contract(
            bob.clone(),
            token,
            &ExecuteMsg::TransferFrom {
                owner: alice.to_string(),
                recipient: bob.to_string(),
                amount: Uint128::new(1),
            },
            &[],
        )
        .unwrap_err();
    assert!(err.root_cause().to_string().contains("Overflow"), "{err:?}");
}

#[test]
fn only_the_marketing_account_updates_marketing() {
    let mut s = Suite::new();
    let token = s.token.clone();
    let err = s
        .app
        .execute_contract(
            s.alice.clone(),
            token.clone(),
            &ExecuteMsg::UpdateMarketing {
                project: Some("hijack".into()),
                description: None,
                marketing: None,
            },
            &[],
        )
        .unwrap_err();
    assert_eq!(err.root_cause().to_string(), "Unauthorized");
    let info: MarketingInfoResponse = s
        .app
        .wrap()
        .query_wasm_smart(&token, &QueryMsg::MarketingInfo {})
        .unwrap();
    assert_eq!(info.project.as_deref(), Some("AIPCHAIN"));
}

#[test]
fn an_allowance_beyond_u128_is_refused_with_the_figures() {
    let mut s = Suite::new();
    let (alice, bob, token) = (s.alice.clone(), s.bob.clone(), s.token.clone());
    let raise = |s: &mut Suite, amount: u128| {
        s.app.execute_contract(
            alice.clone(),
            token.clone(),
            &ExecuteMsg::IncreaseAllowance {
                spender: bob.to_string(),
                amount: Uint128::new(amount),
                expires: None,
            },
            &[],
        )
    };
    raise(&mut s, 3).unwrap();
    let err = raise(&mut s, u128::MAX).unwrap_err();
    assert_eq!(
        err.root_cause().to_string(),
        format!(
            "raising {bob}'s allowance of 3 by {} would overflow",
            u128::MAX
        )
    );
    // Nothing changed: the allowance is still 3.
    let a: cw20::AllowanceResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &token,
            &QueryMsg::Allowance {
                owner: alice.to_string(),
                spender: bob.to_string(),
            },
        )
        .unwrap();
    assert_eq!(a.allowance, Uint128::new(3));
    raise(&mut s, u128::MAX - 3).unwrap();
}

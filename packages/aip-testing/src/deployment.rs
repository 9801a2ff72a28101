//! Every AIPCHAIN contract deployed and wired on an in-process chain.

use anyhow::{Context, Result};
use cosmwasm_std::{Addr, Uint128};
use cw20::{BalanceResponse, Cw20Coin, MinterResponse, TokenInfoResponse};
use cw_multi_test::{App, AppResponse, Executor};

use crate::contracts;

/// Who does what in a deployment.
#[derive(Debug, Clone)]
pub struct DeploymentConfig {
    /// Name of the admin account (instantiates, holds every admin role).
    pub admin: String,
    /// Total AIP supply cap, uaip.
    pub token_cap: u128,
    /// Initial balances, by account name, uaip.
    pub initial_balances: Vec<(String, u128)>,
}

impl Default for DeploymentConfig {
    fn default() -> Self {
        DeploymentConfig {
            admin: "admin".into(),
            token_cap: 1_000_000_000_000_000, // 1e9 AIP
            initial_balances: vec![],
        }
    }
}

/// The deployed contracts and the chain they live on.
pub struct Deployment {
    pub app: App,
    pub admin: Addr,
    pub token: Addr,
}

impl Deployment {
    /// Stores and instantiates every contract, and wires their addresses and roles.
    pub fn new(cfg: &DeploymentConfig) -> Result<Self> {
        let mut app = App::default();
        let admin = app.api().addr_make(&cfg.admin);
        let initial_balances = cfg
            .initial_balances
            .iter()
            .map(|(name, amount)| Cw20Coin {
                address: app.api().addr_make(name).to_string(),
                amount: Uint128::new(*amount),
            })
            .collect();
        let token_code = app.store_code(contracts::aip_token());
        let token = app
            .instantiate_contract(
                token_code,
                admin.clone(),
                &cw20_base::msg::InstantiateMsg {
                    name: "AIPCHAIN energy token".into(),
                    symbol: "AIP".into(),
                    decimals: 6,
                    initial_balances,
                    mint: Some(MinterResponse {
                        minter: admin.to_string(),
                        cap: Some(Uint128::new(cfg.token_cap)),
                    }),
                    marketing: None,
                },
                &[],
                "aip-token",
                Some(admin.to_string()),
            )
            .context("instantiate aip-token")?;
        Ok(Deployment { app, admin, token })
    }

    /// The address of a named test account.
    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    /// AIP balance of an account, uaip.
    pub fn balance(&self, who: &Addr) -> Result<u128> {
        let r: BalanceResponse = self.app.wrap().query_wasm_smart(
            &self.token,
            &cw20::Cw20QueryMsg::Balance {
                address: who.to_string(),
            },
        )?;
        Ok(r.balance.u128())
    }

    /// Total AIP supply, uaip.
    pub fn total_supply(&self) -> Result<u128> {
        let r: TokenInfoResponse = self
            .app
            .wrap()
            .query_wasm_smart(&self.token, &cw20::Cw20QueryMsg::TokenInfo {})?;
        Ok(r.total_supply.u128())
    }

    /// Mints `amount` uaip to `to` (the admin is the minter).
    pub fn mint(&mut self, to: &Addr, amount: u128) -> Result<AppResponse> {
        let msg = cw20::Cw20ExecuteMsg::Mint {
            recipient: to.to_string(),
            amount: Uint128::new(amount),
        };
        self.app
            .execute_contract(self.admin.clone(), self.token.clone(), &msg, &[])
            .context("mint")
    }

    /// Transfers `amount` uaip from `from` to `to`.
    pub fn transfer(&mut self, from: &Addr, to: &Addr, amount: u128) -> Result<AppResponse> {
        let msg = cw20::Cw20ExecuteMsg::Transfer {
            recipient: to.to_string(),
            amount: Uint128::new(amount),
        };
        self.app
            .execute_contract(from.clone(), self.token.clone(), &msg, &[])
            .context("transfer")
    }
}

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
    /// Settlement market parameters (roles go to the named accounts in [`roles`]).
    pub settlement_params: settlement::msg::MarketParams,
}

/// Names of the accounts holding the market roles in a deployment.
pub mod roles {
    /// The grid operator (DSO) of the settlement contract.
    pub const GRID_OPERATOR: &str = "dso";
    /// The matcher that commits trade batches.
    pub const MATCHER: &str = "matcher";
    /// A keeper account that fetches deliveries and settles slots (any
    /// account may; settlement gives it no role).
    pub const ORACLE: &str = "oracle";
    /// Rules on settlement disputes.
    pub const ARBITER: &str = "arbiter";
    /// Receives congestion fees.
    pub const TREASURY: &str = "treasury";
    /// Flags and unflags accounts in reputation (the sentinel's on-chain voice).
    pub const GUARDIAN: &str = "guardian";
    /// The KYC provider: publishes identity-tree roots to the zk-verifier.
    pub const KYC_PROVIDER: &str = "kyc-provider";
    /// The meter-oracle's oracle operators (quorum [`METER_QUORUM`] of them).
    pub const METER_ORACLES: [&str; 3] = ["meter-oracle-0", "meter-oracle-1", "meter-oracle-2"];
    /// Reports that must agree to finalize a meter reading.
    pub const METER_QUORUM: u32 = 2;
}

/// The settlement parameters of a test deployment: the market's defaults
/// (`settlement::msg::MarketParams::default()`) with two overrides the
/// contract tests are written against: no dispute bond (the tests of bonds
/// set one) and a penalty of 50,000 uaip per kWh short. The simulation does
/// not deploy with these: it starts from the market's defaults, as `aip
/// deploy` does.
pub fn default_settlement_params() -> settlement::msg::MarketParams {
    settlement::msg::MarketParams {
        dispute_bond: Uint128::zero(),
        penalty_price: Uint128::new(50_000),
        ..settlement::msg::MarketParams::default()
    }
}

impl Default for DeploymentConfig {
    fn default() -> Self {
        DeploymentConfig {
            admin: "admin".into(),
            token_cap: 1_000_000_000_000_000, // 1e9 AIP
            initial_balances: vec![],
            settlement_params: default_settlement_params(),
        }
    }
}

/// The deployed contracts and the chain they live on.
pub struct Deployment {
    /// The in-process chain.
    pub app: App,
    /// Instantiated every contract and holds their admin roles.
    pub admin: Addr,
    /// The AIP CW20 token (the admin is its minter).
    pub token: Addr,
    /// The settlement contract (order book, escrow, settlement).
    pub settlement: Addr,
    /// The soulbound reputation CW721; its settlement role is `settlement`.
    pub reputation: Addr,
    /// The meter oracle: grid operator [`roles::GRID_OPERATOR`], operators
    /// [`roles::METER_ORACLES`], quorum 2, tolerance 10 Wh. Settlement reads
    /// deliveries from it once wired with [`Deployment::wire_settlement`].
    pub meter_oracle: Addr,
    /// The KYC verifier: mints reputation tokens on a valid proof; provider
    /// [`roles::KYC_PROVIDER`], no verifying key until the admin sets one
    /// (`ExecuteMsg::SetVerifyingKey`, keys from `aip-kyc setup`).
    pub zk_verifier: Addr,
}

/// Stores and instantiates the meter oracle with the role accounts of [`roles`].
fn instantiate_meter_oracle(app: &mut App, admin: &Addr) -> Result<Addr> {
    let code = app.store_code(contracts::meter_oracle());
    let msg = meter_oracle::msg::InstantiateMsg {
        admin: Some(admin.to_string()),
        grid_operator: app.api().addr_make(roles::GRID_OPERATOR).to_string(),
        operators: roles::METER_ORACLES
            .iter()
            .map(|n| app.api().addr_make(n).to_string())
            .collect(),
        quorum: roles::METER_QUORUM,
        tolerance: meter_oracle::msg::Tolerance {
            wh: Uint128::new(10),
            bps: 0,
        },
    };
    app.instantiate_contract(
        code,
        admin.clone(),
        &msg,
        &[],
        "meter-oracle",
        Some(admin.to_string()),
    )
    .context("instantiate meter-oracle")
}

/// Stores and instantiates the zk-verifier, pointed at reputation, and makes it
/// reputation's minter (`UpdateConfig { zk_verifier }`).
fn instantiate_zk_verifier(app: &mut App, admin: &Addr, reputation: &Addr) -> Result<Addr> {
    let code = app.store_code(contracts::zk_verifier());
    let msg = zk_verifier::msg::InstantiateMsg {
        admin: Some(admin.to_string()),
        provider: app.api().addr_make(roles::KYC_PROVIDER).to_string(),
        reputation: Some(reputation.to_string()),
        verifying_key: None,
        compliance: None,
        grace_period: None,
        premium_max_age_days: None,
    };
    let zk = app
        .instantiate_contract(
            code,
            admin.clone(),
            &msg,
            &[],
            "zk-verifier",
            Some(admin.to_string()),
        )
        .context("instantiate zk-verifier")?;
    app.execute_contract(
        admin.clone(),
        reputation.clone(),
        &reputation::msg::ExecuteMsg::UpdateConfig {
            admin: None,
            settlement: None,
            zk_verifier: Some(zk.to_string()),
            guardian: None,
            review_window_secs: None,
        },
        &[],
    )
    .context("make the zk-verifier reputation's minter")?;
    Ok(zk)
}

/// Stores and instantiates reputation: settlement may record outcomes and
/// rulings, the [`roles::GUARDIAN`] account flags, the admin mints until a
/// zk-verifier is configured; default tier terms.
fn instantiate_reputation(app: &mut App, admin: &Addr, settlement: &Addr) -> Result<Addr> {
    let code = app.store_code(contracts::reputation());
    let msg = reputation::msg::InstantiateMsg {
        name: "AIPCHAIN reputation".into(),
        symbol: "AIPREP".into(),
        admin: Some(admin.to_string()),
        settlement: Some(settlement.to_string()),
        zk_verifier: None,
        guardian: Some(app.api().addr_make(roles::GUARDIAN).to_string()),
        terms: None,
        review_window_secs: None,
    };
    app.instantiate_contract(
        code,
        admin.clone(),
        &msg,
        &[],
        "reputation",
        Some(admin.to_string()),
    )
    .context("instantiate reputation")
}

/// Stores and instantiates settlement with the AIP token and the role accounts
/// of [`roles`]. Reputation and meter-oracle are wired afterwards with
/// [`Deployment::wire_settlement`] (they need settlement's address first).
fn instantiate_settlement(
    app: &mut App,
    admin: &Addr,
    token: &Addr,
    cfg: &DeploymentConfig,
) -> Result<Addr> {
    let code = app.store_code(contracts::settlement());
    let msg = settlement::msg::InstantiateMsg {
        token: token.to_string(),
        roles: settlement_roles(app, admin, None, None),
        params: cfg.settlement_params.clone(),
    };
    app.instantiate_contract(
        code,
        admin.clone(),
        &msg,
        &[],
        "settlement",
        Some(admin.to_string()),
    )
    .context("instantiate settlement")
}

fn settlement_roles(
    app: &App,
    admin: &Addr,
    reputation: Option<&Addr>,
    meter_oracle: Option<&Addr>,
) -> settlement::msg::Roles {
    let a = |n: &str| app.api().addr_make(n).to_string();
    settlement::msg::Roles {
        admin: admin.to_string(),
        grid_operator: a(roles::GRID_OPERATOR),
        matcher: a(roles::MATCHER),
        arbiter: a(roles::ARBITER),
        treasury: a(roles::TREASURY),
        reputation: reputation.map(|r| r.to_string()),
        meter_oracle: meter_oracle.map(|m| m.to_string()),
        kyc_verifier: None,
    }
}

impl Deployment {
    /// Points settlement at the reputation and meter-oracle contracts (either
    /// may be `None`): collateral ratios and eligibility then come from
    /// reputation, and deliveries from the meter-oracle (`FetchDeliveries`).
    pub fn wire_settlement(
        &mut self,
        reputation: Option<&Addr>,
        meter_oracle: Option<&Addr>,
    ) -> Result<AppResponse> {
        let roles = settlement_roles(&self.app, &self.admin, reputation, meter_oracle);
        let msg = settlement::msg::ExecuteMsg::UpdateConfig {
            roles: Some(roles),
            params: None,
        };
        self.app
            .execute_contract(self.admin.clone(), self.settlement.clone(), &msg, &[])
            .context("wire settlement")
    }

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
        let settlement = instantiate_settlement(&mut app, &admin, &token, cfg)?;
        let reputation = instantiate_reputation(&mut app, &admin, &settlement)?;
        let meter_oracle = instantiate_meter_oracle(&mut app, &admin)?;
        let zk_verifier = instantiate_zk_verifier(&mut app, &admin, &reputation)?;
        Ok(Deployment {
            app,
            admin,
            token,
            settlement,
            reputation,
            meter_oracle,
            zk_verifier,
        })
    }

    /// The address of a named test account.
    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    /// Block time, unix seconds.
    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    /// Sets block time to `unix` seconds, in a new block.
    pub fn set_time(&mut self, unix: u64) {
        self.app.update_block(|b| {
            b.time = cosmwasm_std::Timestamp::from_seconds(unix);
            b.height += 1;
        });
    }

    /// Mints `who`'s soulbound reputation token, as the configured zk-verifier
    /// (or the admin while none is set): the step a KYC proof performs.
    pub fn register(&mut self, who: &Addr) -> Result<AppResponse> {
        let cfg: reputation::msg::ContractConfigResponse = self
            .app
            .wrap()
            .query_wasm_smart(&self.reputation, &reputation::msg::QueryMsg::Config {})?;
        let minter = cfg.zk_verifier.unwrap_or(cfg.admin);
        let msg = reputation::msg::ExecuteMsg::MintFor {
            owner: who.to_string(),
        };
        self.app
            .execute_contract(minter, self.reputation.clone(), &msg, &[])
            .context("register (mint reputation token)")
    }

    /// Collateral ratio, premium eligibility, score and tier of an account.
    pub fn trading_terms(
        &self,
        who: &Addr,
    ) -> Result<aip_types::hooks::reputation::TradingTermsResponse> {
        Ok(self.app.wrap().query_wasm_smart(
            &self.reputation,
            &reputation::msg::QueryMsg::TradingTerms {
                account: who.to_string(),
            },
        )?)
    }

    /// An account's full reputation record (score, components, history, flag).
    pub fn reputation_of(&self, who: &Addr) -> Result<reputation::msg::ReputationResponse> {
        Ok(self.app.wrap().query_wasm_smart(
            &self.reputation,
            &reputation::msg::QueryMsg::Reputation {
                account: who.to_string(),
            },
        )?)
    }

    /// Registers an active meter of `owner` at grid `node` with a device key
    /// (as the grid operator); returns the meter id (the same number in
    /// settlement orders).
    pub fn register_meter(
        &mut self,
        owner: &Addr,
        node: aip_types::NodeId,
        device: &ed25519_dalek::SigningKey,
    ) -> Result<meter_oracle::msg::MeterId> {
        let msg = meter_oracle::msg::ExecuteMsg::RegisterMeter {
            owner: owner.to_string(),
            node,
            pubkey: cosmwasm_std::Binary::from(device.verifying_key().to_bytes().to_vec()),
        };
        let grid = self.addr(roles::GRID_OPERATOR);
        let res = self
            .app
            .execute_contract(grid, self.meter_oracle.clone(), &msg, &[])
            .context("register meter")?;
        let id = res
            .events
            .iter()
            .flat_map(|e| e.attributes.iter())
            .find(|a| a.key == "meter")
            .context("no meter attribute")?
            .value
            .parse()?;
        Ok(id)
    }

    /// A reading of `meter` for `slot` signed by its device for this deployment.
    pub fn sign_reading(
        &self,
        device: &ed25519_dalek::SigningKey,
        meter: meter_oracle::msg::MeterId,
        slot: aip_types::SlotId,
        exported_wh: u128,
        imported_wh: u128,
    ) -> meter_oracle::msg::SignedReading {
        use ed25519_dalek::Signer;
        let payload = meter_oracle::reading_payload(
            &self.app.block_info().chain_id,
            self.meter_oracle.as_str(),
            meter,
            slot.0,
            exported_wh,
            imported_wh,
        );
        meter_oracle::msg::SignedReading {
            meter,
            exported_wh: Uint128::new(exported_wh),
            imported_wh: Uint128::new(imported_wh),
            signature: cosmwasm_std::Binary::from(device.sign(&payload).to_bytes().to_vec()),
        }
    }

    /// Oracle operator `operator` (an index into [`roles::METER_ORACLES`])
    /// submits device-signed readings for an ended slot.
    pub fn submit_readings(
        &mut self,
        operator: usize,
        slot: aip_types::SlotId,
        readings: Vec<meter_oracle::msg::SignedReading>,
    ) -> Result<AppResponse> {
        let op = self.addr(roles::METER_ORACLES[operator]);
        let msg = meter_oracle::msg::ExecuteMsg::SubmitReadings { slot, readings };
        self.app
            .execute_contract(op, self.meter_oracle.clone(), &msg, &[])
            .context("submit readings")
    }

    /// The grid operator places grid nodes in settlement zones (the zone of
    /// an order is the zone of its meter's node).
    pub fn set_node_zones(
        &mut self,
        nodes: &[(aip_types::NodeId, aip_types::ZoneId)],
    ) -> Result<AppResponse> {
        let msg = settlement::msg::ExecuteMsg::SetNodeZones {
            nodes: nodes
                .iter()
                .map(|&(node, zone)| settlement::msg::NodeZone { node, zone })
                .collect(),
        };
        let grid = self.addr(roles::GRID_OPERATOR);
        self.app
            .execute_contract(grid, self.settlement.clone(), &msg, &[])
            .context("set node zones")
    }

    /// A quorum of oracle operators (the first [`roles::METER_QUORUM`])
    /// submits each meter's device-signed export for `slot`, then the
    /// [`roles::ORACLE`] keeper pulls the finalized values into settlement.
    pub fn deliver(
        &mut self,
        slot: aip_types::SlotId,
        exports: &[(meter_oracle::msg::MeterId, &ed25519_dalek::SigningKey, u128)],
    ) -> Result<AppResponse> {
        for op in 0..roles::METER_QUORUM as usize {
            let readings = exports
                .iter()
                .map(|(m, key, wh)| self.sign_reading(key, *m, slot, *wh, 0))
                .collect();
            self.submit_readings(op, slot, readings)?;
        }
        let keeper = self.addr(roles::ORACLE);
        let msg = settlement::msg::ExecuteMsg::FetchDeliveries { slot, limit: None };
        self.app
            .execute_contract(keeper, self.settlement.clone(), &msg, &[])
            .context("fetch deliveries")
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

    /// `who` places an unsigned intent on chain for the whole of `slot`
    /// (`place_intent`, the way in for accounts that do not sign; it expires
    /// at the slot's start) and gets its batch form back. `wh` and `price`
    /// must fit the intent's `u64` fields.
    #[allow(clippy::too_many_arguments)]
    pub fn place_intent(
        &mut self,
        who: &Addr,
        side: aip_types::intent::Side,
        slot: aip_types::SlotId,
        meter: u32,
        wh: u128,
        price: u128,
        nonce: u64,
    ) -> Result<aip_types::intent::BatchIntent> {
        let intent = aip_types::intent::BatchIntent {
            owner: who.to_string(),
            nonce,
            slot_from: slot.start(),
            slot_until: slot.end(),
            side,
            meter,
            wh: u64::try_from(wh).with_context(|| format!("wh {wh} does not fit an intent"))?,
            limit_price: u64::try_from(price)
                .with_context(|| format!("price {price} does not fit an intent"))?,
            premium_only: false,
            expires: slot.start(),
            signature: None,
        };
        let msg = settlement::msg::ExecuteMsg::PlaceIntent {
            intent: intent.clone(),
        };
        self.app
            .execute_contract(who.clone(), self.settlement.clone(), &msg, &[])
            .context("place_intent")?;
        Ok(intent)
    }
}

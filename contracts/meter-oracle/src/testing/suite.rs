//! A multitest suite: the real contract on cw-multi-test, a grid operator,
//! three oracle operators (quorum 2) and device keys that sign readings.

use aip_types::SlotId;
use cosmwasm_std::{Addr, Binary, Empty, Uint128};
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use ed25519_dalek::{Signer, SigningKey};

use crate::msg::{
    ExecuteMsg, InstantiateMsg, MeterId, QueryMsg, ReadingResponse, SignedReading, Tolerance,
};
use crate::reading_payload;
use crate::ContractError;

pub fn contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            crate::contract::execute,
            crate::contract::instantiate,
            crate::contract::query,
        )
        .with_migrate(crate::contract::migrate),
    )
}

/// A slot that ended long before the multitest block time (2019).
pub const SLOT: SlotId = SlotId(1_500_000_000 - 1_500_000_000 % 900);

/// A deterministic device key.
pub fn device(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

pub fn pubkey(key: &SigningKey) -> Binary {
    Binary::from(key.verifying_key().to_bytes().to_vec())
}

pub struct Suite {
    pub app: App,
    pub contract: Addr,
    pub admin: Addr,
    pub grid: Addr,
    pub operators: Vec<Addr>,
}

pub struct SuiteBuilder {
    operators: usize,
    quorum: u32,
    tolerance: Tolerance,
}

impl Default for SuiteBuilder {
    fn default() -> Self {
        SuiteBuilder {
            operators: 3,
            quorum: 2,
            tolerance: Tolerance {
                wh: Uint128::new(20),
                bps: 0,
            },
        }
    }
}

impl SuiteBuilder {
    pub fn operators(mut self, n: usize, quorum: u32) -> Self {
        self.operators = n;
        self.quorum = quorum;
        self
    }

    pub fn tolerance(mut self, wh: u128, bps: u16) -> Self {
        self.tolerance = Tolerance {
            wh: Uint128::new(wh),
            bps,
        };
        self
    }

    pub fn build(self) -> Suite {
        let mut app = App::default();
        let admin = app.api().addr_make("admin");
        let grid = app.api().addr_make("grid");
        let operators: Vec<Addr> = (0..self.operators)
            .map(|i| app.api().addr_make(&format!("oracle{i}")))
            .collect();
        let code = app.store_code(contract());
        let contract = app
            .instantiate_contract(
                code,
                admin.clone(),
                &InstantiateMsg {
                    admin: None,
                    grid_operator: grid.to_string(),
                    operators: operators.iter().map(Addr::to_string).collect(),
                    quorum: self.quorum,
                    tolerance: self.tolerance,
                },
                &[],
                "meter-oracle",
                Some(admin.to_string()),
            )
            .unwrap();
        Suite {
            app,
            contract,
            admin,
            grid,
            operators,
        }
    }
}

impl Suite {
    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg) -> Result<AppResponse, ContractError> {
        self.app
            .execute_contract(sender.clone(), self.contract.clone(), msg, &[])
            .map_err(|e| e.downcast().expect("a ContractError"))
    }

    pub fn query<T: cosmwasm_schema::serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(&self.contract, msg)
            .unwrap()
    }

    /// Registers an active meter owned by `owner` with `key` (by the grid operator).
    pub fn register(&mut self, owner: &str, node: u32, key: &SigningKey) -> MeterId {
        let owner = self.addr(owner);
        let grid = self.grid.clone();
        let res = self
            .exec(
                &grid,
                &ExecuteMsg::RegisterMeter {
                    owner: owner.to_string(),
                    node,
                    pubkey: pubkey(key),
                },
            )
            .unwrap();
        attr(&res, "meter").parse().unwrap()
    }

    /// A reading signed by `key` for this deployment.
    pub fn sign(
        &self,
        key: &SigningKey,
        meter: MeterId,
        slot: SlotId,
        exported: u128,
        imported: u128,
    ) -> SignedReading {
        let payload = reading_payload(
            &self.app.block_info().chain_id,
            self.contract.as_str(),
            meter,
            slot.0,
            exported,
            imported,
        );
        SignedReading {
            meter,
            exported_wh: Uint128::new(exported),
            imported_wh: Uint128::new(imported),
            signature: Binary::from(key.sign(&payload).to_bytes().to_vec()),
        }
    }

    pub fn submit(
        &mut self,
        operator: usize,
        slot: SlotId,
        readings: Vec<SignedReading>,
    ) -> Result<AppResponse, ContractError> {
        let op = self.operators[operator].clone();
        self.exec(&op, &ExecuteMsg::SubmitReadings { slot, readings })
    }

    /// `sender` replaces the device key of `meter` with `pubkey`.
    pub fn rotate(
        &mut self,
        sender: &Addr,
        meter: MeterId,
        pubkey: Binary,
    ) -> Result<AppResponse, ContractError> {
        self.exec(sender, &ExecuteMsg::RotateMeterKey { meter, pubkey })
    }

    /// `sender` approves a pending meter (or key).
    pub fn approve(&mut self, sender: &Addr, meter: MeterId) -> Result<AppResponse, ContractError> {
        self.exec(sender, &ExecuteMsg::ApproveMeter { meter })
    }

    /// `sender` deactivates `meter`.
    pub fn deactivate(
        &mut self,
        sender: &Addr,
        meter: MeterId,
    ) -> Result<AppResponse, ContractError> {
        self.exec(sender, &ExecuteMsg::DeactivateMeter { meter })
    }

    /// `sender` adds and removes operators and sets the quorum.
    pub fn update_operators(
        &mut self,
        sender: &Addr,
        add: &[&Addr],
        remove: &[&Addr],
        quorum: Option<u32>,
    ) -> Result<AppResponse, ContractError> {
        let names = |a: &[&Addr]| a.iter().map(|a| a.to_string()).collect();
        self.exec(
            sender,
            &ExecuteMsg::UpdateOperators {
                add: names(add),
                remove: names(remove),
                quorum,
            },
        )
    }

    pub fn reading(&self, slot: SlotId, meter: MeterId) -> ReadingResponse {
        self.query(&QueryMsg::Reading { slot, meter })
    }
}

/// The value of the first wasm event attribute named `key`.
pub fn attr(res: &AppResponse, key: &str) -> String {
    res.events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no attribute {key}"))
        .value
        .clone()
}

//! A chain with a stand-in reputation contract (it records `MintFor` calls and
//! refuses a second token for the same owner) and the zk-verifier, plus the
//! committed proof fixture (`testdata/fixture.json`, written by the ignored test
//! `write_fixture`).

use aip_types::hooks::ReputationExecuteHook;
use anyhow::Result as AnyResult;
use cosmwasm_std::{
    to_json_binary, Addr, Binary, Deps, DepsMut, Empty, Env, HexBinary, MessageInfo, Order,
    Response, StdError, StdResult,
};
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use cw_storage_plus::Map;
use serde::{Deserialize, Serialize};

use crate::msg::{
    ConfigResponse, ExecuteMsg, InstantiateMsg, NullifierResponse, QueryMsg, RootsResponse,
    VerifyingKeyResponse,
};
use crate::ContractError;

const MINTED: Map<&str, ()> = Map::new("minted");

fn rep_instantiate(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
    Ok(Response::new())
}

fn rep_execute(
    deps: DepsMut,
    _: Env,
    _: MessageInfo,
    msg: ReputationExecuteHook,
) -> StdResult<Response> {
    match msg {
        ReputationExecuteHook::MintFor { owner } => {
            if MINTED.has(deps.storage, &owner) {
                return Err(StdError::generic_err(format!(
                    "{owner} already has a token"
                )));
            }
            MINTED.save(deps.storage, &owner, &())?;
            Ok(Response::new().add_attribute("action", "mint_for"))
        }
        _ => Err(StdError::generic_err("unexpected hook")),
    }
}

fn rep_query(deps: Deps, _: Env, _: Empty) -> StdResult<Binary> {
    let owners: Vec<String> = MINTED
        .keys(deps.storage, None, None, Order::Ascending)
        .collect::<StdResult<_>>()?;
    to_json_binary(&owners)
}

fn mock_reputation() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        rep_execute,
        rep_instantiate,
        rep_query,
    ))
}

pub fn zk_verifier() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            crate::contract::execute,
            crate::contract::instantiate,
            crate::contract::query,
        )
        .with_migrate(crate::contract::migrate),
    )
}

/// Proofs made by `zk-kyc` for this suite's chain id and contract address.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Fixture {
    pub verifying_key: HexBinary,
    pub root: HexBinary,
    /// Alice's identity, proof for alice's address.
    pub alice: ProofFixture,
    /// Bob's identity, proof for bob's address.
    pub bob: ProofFixture,
    /// Alice's identity again, proof for carol's address (same nullifier as `alice`).
    pub alice_for_carol: ProofFixture,
    /// Bob's identity, proof for carol's address (same nullifier as `bob`).
    pub bob_for_carol: ProofFixture,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ProofFixture {
    pub proof: HexBinary,
    pub nullifier_hash: HexBinary,
}

pub const FIXTURE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/fixture.json");

pub fn fixture() -> Fixture {
    let text = std::fs::read_to_string(FIXTURE_PATH).expect("testdata/fixture.json");
    serde_json::from_str(&text).expect("fixture json")
}

pub struct Suite {
    pub app: App,
    pub admin: Addr,
    pub provider: Addr,
    pub reputation: Addr,
    pub verifier: Addr,
}

impl Suite {
    /// Reputation stand-in and zk-verifier, no key, no root yet.
    pub fn new() -> Self {
        Self::with_key(None)
    }

    pub fn with_key(verifying_key: Option<HexBinary>) -> Self {
        let mut app = App::default();
        let admin = app.api().addr_make("admin");
        let provider = app.api().addr_make("provider");
        let rep_code = app.store_code(mock_reputation());
        let reputation = app
            .instantiate_contract(rep_code, admin.clone(), &Empty {}, &[], "reputation", None)
            .unwrap();
        let code = app.store_code(zk_verifier());
        let verifier = app
            .instantiate_contract(
                code,
                admin.clone(),
                &InstantiateMsg {
                    admin: None,
                    provider: provider.to_string(),
                    reputation: Some(reputation.to_string()),
                    verifying_key,
                    root_history: Some(2),
                },
                &[],
                "zk-verifier",
                Some(admin.to_string()),
            )
            .unwrap();
        Suite {
            app,
            admin,
            provider,
            reputation,
            verifier,
        }
    }

    /// With the fixture's key set and its root published.
    pub fn ready(f: &Fixture) -> Self {
        let mut s = Self::with_key(Some(f.verifying_key.clone()));
        s.publish_root(&s.provider.clone(), f.root.clone()).unwrap();
        s
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg) -> AnyResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.verifier.clone(), msg, &[])
    }

    pub fn publish_root(&mut self, sender: &Addr, root: HexBinary) -> AnyResult<AppResponse> {
        self.exec(sender, &ExecuteMsg::PublishRoot { root })
    }

    pub fn register(
        &mut self,
        sender: &Addr,
        p: &ProofFixture,
        root: &HexBinary,
    ) -> AnyResult<AppResponse> {
        self.exec(
            sender,
            &ExecuteMsg::Register {
                proof: p.proof.clone(),
                root: root.clone(),
                nullifier_hash: p.nullifier_hash.clone(),
            },
        )
    }

    pub fn config(&self) -> ConfigResponse {
        self.query(&QueryMsg::Config {})
    }

    pub fn roots(&self) -> RootsResponse {
        self.query(&QueryMsg::Roots {})
    }

    pub fn nullifier(&self, n: &HexBinary) -> NullifierResponse {
        self.query(&QueryMsg::Nullifier {
            nullifier_hash: n.clone(),
        })
    }

    pub fn verifying_key(&self) -> VerifyingKeyResponse {
        self.query(&QueryMsg::VerifyingKey {})
    }

    pub fn minted(&self) -> Vec<String> {
        self.app
            .wrap()
            .query_wasm_smart(&self.reputation, &Empty {})
            .unwrap()
    }

    fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(&self.verifier, msg)
            .unwrap()
    }

    /// Everything a failed call must leave unchanged.
    pub fn snapshot(&self, f: &Fixture) -> String {
        let nul = [&f.alice, &f.bob].map(|p| self.nullifier(&p.nullifier_hash));
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}",
            self.config(),
            self.roots(),
            self.verifying_key(),
            nul,
            self.minted()
        )
    }
}

/// The contract error behind a failed execute.
pub fn err(r: AnyResult<AppResponse>) -> ContractError {
    r.expect_err("the call should fail")
        .downcast::<ContractError>()
        .expect("a ContractError")
}

//! A chain with a stand-in reputation contract (it records `MintFor` calls and
//! refuses a second token for the same owner) and the zk-verifier, plus real
//! Groth16 proofs made at test time by `zk-kyc` for this suite's chain id and
//! contract address (one seeded trusted setup per test binary).

use std::sync::OnceLock;

use aip_types::hooks::ReputationExecuteHook;
use anyhow::Result as AnyResult;
use ark_bls12_381::{Bls12_381, Fr};
use ark_groth16::ProvingKey;
use cosmwasm_std::{
    to_json_binary, Addr, Binary, Deps, DepsMut, Empty, Env, HexBinary, MessageInfo, Order,
    Response, StdError, StdResult,
};
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use cw_storage_plus::Map;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zk_kyc::prover::{self, Credential, Identity, KycCurve, ProofInput, ProveError};
use zk_kyc::{ExclusionSet, IdentityTree};

use crate::msg::{
    ConfigResponse, ContextResponse, EligibilityResponse, ExecuteMsg, InstantiateMsg,
    NullifierResponse, QueryMsg, RootsResponse, StatsResponse, VerifyingKeyResponse,
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

/// Credentials issued in the suite expire at this time (the suite's block time
/// starts at cw-multi-test's 1,571,797,419).
pub const EXPIRY: u64 = 1_600_000_000;

/// A person with an identity and a credential.
#[derive(Clone, Copy, Debug)]
pub struct Person {
    pub identity: Identity<Fr>,
    pub credential: Credential<Fr>,
}

impl Person {
    pub fn leaf(&self) -> Fr {
        self.credential.leaf(&self.identity)
    }

    /// The same identity with a credential renewed to `expiry`.
    pub fn renewed(&self, expiry: u64) -> Person {
        Person {
            credential: Credential {
                expiry,
                ..self.credential
            },
            ..*self
        }
    }
}

/// The seeded setup and the cast: alice, bob, carol are clean; mallory will be
/// sanctioned; trudy will be revoked.
pub struct Kyc {
    pub pk: ProvingKey<Bls12_381>,
    pub verifying_key: HexBinary,
    pub alice: Person,
    pub bob: Person,
    pub carol: Person,
    pub mallory: Person,
    pub trudy: Person,
}

pub fn kyc() -> &'static Kyc {
    static K: OnceLock<Kyc> = OnceLock::new();
    K.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(2026);
        // through KycCurve: the Groth16 code is compiled (optimized) inside zk-kyc
        let (pk, vk) = Bls12_381::kyc_setup(&mut rng);
        let mut person = |name: &str| Person {
            identity: Identity::random(&mut rng),
            credential: Credential {
                identifier: zk_kyc::identifier(&format!("passport:{name}")),
                expiry: EXPIRY,
            },
        };
        Kyc {
            verifying_key: hex(&prover::to_bytes(&vk)),
            alice: person("alice"),
            bob: person("bob"),
            carol: person("carol"),
            mallory: person("mallory"),
            trudy: person("trudy"),
            pk,
        }
    })
}

/// A second seeded setup of the same circuit: a key this code does not
/// compile in, so the verifier prepares and stores it.
pub struct OtherKey {
    pub pk: ProvingKey<Bls12_381>,
    pub verifying_key: HexBinary,
}

pub fn other_key() -> &'static OtherKey {
    static K: OnceLock<OtherKey> = OnceLock::new();
    K.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let (pk, vk) = Bls12_381::kyc_setup(&mut rng);
        OtherKey {
            verifying_key: hex(&prover::to_bytes(&vk)),
            pk,
        }
    })
}

impl Kyc {
    /// The provider's tree holding these people's credentials.
    pub fn tree(&self, people: &[&Person]) -> IdentityTree<Fr> {
        IdentityTree::from_leaves(people.iter().map(|p| p.leaf()).collect()).unwrap()
    }

    /// The everyday tree: every person's credential.
    pub fn everyone(&self) -> IdentityTree<Fr> {
        self.tree(&[
            &self.alice,
            &self.bob,
            &self.carol,
            &self.mallory,
            &self.trudy,
        ])
    }

    /// A sanctions or revocation set of these people's identifiers.
    pub fn set(&self, people: &[&Person]) -> ExclusionSet<Fr> {
        ExclusionSet::from_values(people.iter().map(|p| p.credential.identifier)).unwrap()
    }
}

/// The lists and tree a proof is made against.
pub struct Lists<'a> {
    pub tree: &'a IdentityTree<Fr>,
    pub sanctions: &'a ExclusionSet<Fr>,
    pub revocations: &'a ExclusionSet<Fr>,
}

/// A tree with its sanction and revocation lists, owned ([`Lists`] borrows
/// them for a proof).
pub struct Published {
    pub tree: IdentityTree<Fr>,
    pub sanctions: ExclusionSet<Fr>,
    pub revocations: ExclusionSet<Fr>,
}

impl Published {
    /// Everyone of the fixture in the tree, nobody sanctioned or revoked.
    pub fn everyone() -> Self {
        Published {
            tree: kyc().everyone(),
            sanctions: ExclusionSet::new(),
            revocations: ExclusionSet::new(),
        }
    }

    /// The lists to prove against.
    pub fn lists(&self) -> Lists<'_> {
        Lists {
            tree: &self.tree,
            sanctions: &self.sanctions,
            revocations: &self.revocations,
        }
    }
}

/// One `Register`'s values.
#[derive(Clone, Debug)]
pub struct Reg {
    pub proof: HexBinary,
    pub context: HexBinary,
    pub nullifier_hash: HexBinary,
    pub valid_until: u64,
}

pub fn hex(b: &[u8]) -> HexBinary {
    HexBinary::from(b)
}

pub fn fr_hex(x: Fr) -> HexBinary {
    hex(&zk_kyc::fr_to_bytes(x))
}

/// Proves for `who` and `address` against `lists`, scoped to `external_nullifier`.
pub fn prove_for(
    who: &Person,
    address: &Addr,
    lists: &Lists,
    external_nullifier: Fr,
    valid_until: u64,
) -> Result<Reg, ProveError> {
    prove_with(
        &kyc().pk,
        who,
        address,
        lists,
        external_nullifier,
        valid_until,
    )
}

/// [`prove_for`] with another proving key.
pub fn prove_with(
    pk: &ProvingKey<Bls12_381>,
    who: &Person,
    address: &Addr,
    lists: &Lists,
    external_nullifier: Fr,
    valid_until: u64,
) -> Result<Reg, ProveError> {
    let index = lists
        .tree
        .position(who.leaf())
        .expect("credential in the tree");
    let id = who.credential.identifier;
    let input = ProofInput {
        identity: who.identity,
        credential: who.credential,
        path: lists.tree.path(index).unwrap(),
        sanctions: lists
            .sanctions
            .non_membership(id)
            .map_err(|_| ProveError::Sanctioned)?,
        revocation: lists
            .revocations
            .non_membership(id)
            .map_err(|_| ProveError::Revoked)?,
        external_nullifier,
        signal: zk_kyc::signal(address.as_str()),
        valid_until,
    };
    let mut rng = ChaCha20Rng::seed_from_u64(valid_until ^ index as u64);
    let (proof, st) = Bls12_381::kyc_prove(pk, &input, &mut rng)?;
    Ok(Reg {
        proof: hex(&prover::to_bytes(&proof)),
        context: fr_hex(st.context()),
        nullifier_hash: fr_hex(st.nullifier_hash),
        valid_until,
    })
}

pub struct Suite {
    pub app: App,
    pub admin: Addr,
    pub provider: Addr,
    pub compliance: Addr,
    pub reputation: Addr,
    pub verifier: Addr,
}

/// The suite's grace period: one hour.
pub const GRACE: u64 = 3_600;

impl Suite {
    /// Reputation stand-in and zk-verifier, no key, no root yet.
    pub fn new() -> Self {
        Self::with_key(None)
    }

    pub fn instantiate_msg(app: &App, verifying_key: Option<HexBinary>) -> InstantiateMsg {
        InstantiateMsg {
            admin: None,
            provider: app.api().addr_make("provider").to_string(),
            compliance: Some(app.api().addr_make("compliance").to_string()),
            reputation: None,
            verifying_key,
            grace_period: Some(GRACE),
            premium_max_age_days: Some(7),
        }
    }

    pub fn with_key(verifying_key: Option<HexBinary>) -> Self {
        let mut app = App::default();
        let admin = app.api().addr_make("admin");
        let provider = app.api().addr_make("provider");
        let compliance = app.api().addr_make("compliance");
        let rep_code = app.store_code(mock_reputation());
        let reputation = app
            .instantiate_contract(rep_code, admin.clone(), &Empty {}, &[], "reputation", None)
            .unwrap();
        let code = app.store_code(zk_verifier());
        let msg = InstantiateMsg {
            reputation: Some(reputation.to_string()),
            ..Self::instantiate_msg(&app, verifying_key)
        };
        let verifier = app
            .instantiate_contract(
                code,
                admin.clone(),
                &msg,
                &[],
                "zk-verifier",
                Some(admin.to_string()),
            )
            .unwrap();
        Suite {
            app,
            admin,
            provider,
            compliance,
            reputation,
            verifier,
        }
    }

    /// With the key set and the everyday tree's root published (empty lists).
    pub fn ready() -> Self {
        let mut s = Self::with_key(Some(kyc().verifying_key.clone()));
        s.publish_root(&kyc().everyone()).unwrap();
        s
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    pub fn advance(&mut self, seconds: u64) {
        self.app.update_block(|b| {
            b.time = b.time.plus_seconds(seconds);
            b.height += 1;
        });
    }

    pub fn external_nullifier(&self) -> Fr {
        zk_kyc::fr_from_bytes(self.config().external_nullifier.as_slice()).unwrap()
    }

    /// A proof for `who`, sent from `address`, against `lists`, for this verifier.
    pub fn prove(&self, who: &Person, address: &Addr, lists: &Lists) -> Reg {
        prove_for(who, address, lists, self.external_nullifier(), EXPIRY).unwrap()
    }

    pub fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg) -> AnyResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.verifier.clone(), msg, &[])
    }

    pub fn publish_root(&mut self, tree: &IdentityTree<Fr>) -> AnyResult<AppResponse> {
        let p = self.provider.clone();
        self.exec(
            &p,
            &ExecuteMsg::PublishRoot {
                root: fr_hex(tree.root()),
            },
        )
    }

    pub fn publish_sanctions(&mut self, set: &ExclusionSet<Fr>) -> AnyResult<AppResponse> {
        let c = self.compliance.clone();
        self.exec(
            &c,
            &ExecuteMsg::PublishSanctionsRoot {
                root: fr_hex(set.root()),
            },
        )
    }

    pub fn publish_revocations(&mut self, set: &ExclusionSet<Fr>) -> AnyResult<AppResponse> {
        let p = self.provider.clone();
        self.exec(
            &p,
            &ExecuteMsg::PublishRevocationRoot {
                root: fr_hex(set.root()),
            },
        )
    }

    pub fn register(&mut self, sender: &Addr, r: &Reg) -> AnyResult<AppResponse> {
        self.exec(
            sender,
            &ExecuteMsg::Register {
                proof: r.proof.clone(),
                context: r.context.clone(),
                nullifier_hash: r.nullifier_hash.clone(),
                valid_until: r.valid_until,
            },
        )
    }

    /// A `Register` that must fail: its error, once checked that the call
    /// changed nothing ([`Suite::snapshot`]).
    pub fn refused(&mut self, sender: &Addr, r: &Reg) -> ContractError {
        let before = self.snapshot();
        let e = err(self.register(sender, r));
        assert_eq!(
            self.snapshot(),
            before,
            "a refused registration changes nothing"
        );
        e
    }

    pub fn config(&self) -> ConfigResponse {
        self.query(&QueryMsg::Config {})
    }

    pub fn roots(&self) -> RootsResponse {
        self.query(&QueryMsg::Roots {})
    }

    pub fn context(&self, context: &HexBinary) -> ContextResponse {
        self.query(&QueryMsg::Context {
            context: context.clone(),
        })
    }

    pub fn nullifier(&self, n: &HexBinary) -> NullifierResponse {
        self.query(&QueryMsg::Nullifier {
            nullifier_hash: n.clone(),
        })
    }

    pub fn verifying_key(&self) -> VerifyingKeyResponse {
        self.query(&QueryMsg::VerifyingKey {})
    }

    pub fn eligibility(&self, account: &Addr) -> EligibilityResponse {
        self.query(&QueryMsg::Eligibility {
            account: account.to_string(),
        })
    }

    pub fn stats(&self) -> StatsResponse {
        self.query(&QueryMsg::Stats {
            start_after: None,
            limit: None,
        })
    }

    pub fn minted(&self) -> Vec<String> {
        self.app
            .wrap()
            .query_wasm_smart(&self.reputation, &Empty {})
            .unwrap()
    }

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(&self.verifier, msg)
            .unwrap()
    }

    /// Everything a failed call must leave unchanged: the contract's whole
    /// storage and the reputation stand-in's mints.
    pub fn snapshot(&self) -> String {
        let st = self.app.contract_storage(&self.verifier);
        let all: Vec<(Vec<u8>, Vec<u8>)> = st.range(None, None, Order::Ascending).collect();
        format!("{all:?}|{:?}", self.minted())
    }
}

/// The contract error behind a failed execute.
pub fn err(r: AnyResult<AppResponse>) -> ContractError {
    r.expect_err("the call should fail")
        .downcast::<ContractError>()
        .expect("a ContractError")
}

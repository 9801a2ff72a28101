//! Instantiate and migrate checks on mock dependencies.

use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};
use cosmwasm_std::{CanonicalAddr, RecoverPubkeyError, Uint128, VerificationError};

use crate::contract::{instantiate, migrate};
use crate::msg::{InstantiateMsg, MigrateMsg, Tolerance, ED25519_BATCH_LIMIT, MAX_OPERATORS};
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

/// `MockApi` with the VM's limit on `ed25519_batch_verify` (at most
/// [`ED25519_BATCH_LIMIT`] signatures per call; the real VM aborts the
/// transaction beyond it, which cw-multi-test's `MockApi` does not model).
struct VmLimitedApi(cosmwasm_std::testing::MockApi);

impl cosmwasm_std::Api for VmLimitedApi {
    fn addr_validate(&self, human: &str) -> cosmwasm_std::StdResult<cosmwasm_std::Addr> {
        self.0.addr_validate(human)
    }
    fn addr_canonicalize(&self, human: &str) -> cosmwasm_std::StdResult<CanonicalAddr> {
        self.0.addr_canonicalize(human)
    }
    fn addr_humanize(&self, c: &CanonicalAddr) -> cosmwasm_std::StdResult<cosmwasm_std::Addr> {
        self.0.addr_humanize(c)
    }
    fn secp256k1_verify(&self, h: &[u8], s: &[u8], k: &[u8]) -> Result<bool, VerificationError> {
        self.0.secp256k1_verify(h, s, k)
    }
    fn secp256k1_recover_pubkey(
        &self,
        h: &[u8],
        s: &[u8],
        r: u8,
    ) -> Result<Vec<u8>, RecoverPubkeyError> {
        self.0.secp256k1_recover_pubkey(h, s, r)
    }
    fn ed25519_verify(&self, m: &[u8], s: &[u8], k: &[u8]) -> Result<bool, VerificationError> {
        self.0.ed25519_verify(m, s, k)
    }
    fn ed25519_batch_verify(
        &self,
        m: &[&[u8]],
        s: &[&[u8]],
        k: &[&[u8]],
    ) -> Result<bool, VerificationError> {
        if s.len() > ED25519_BATCH_LIMIT {
            return Err(VerificationError::GenericErr);
        }
        self.0.ed25519_batch_verify(m, s, k)
    }
    fn debug(&self, message: &str) {
        self.0.debug(message)
    }
}

#[test]
fn a_full_batch_of_readings_verifies_in_chunks_the_vm_accepts() {
    use crate::contract::execute;
    use crate::msg::{ExecuteMsg, SignedReading, MAX_BATCH};
    use crate::payload::reading_payload;
    use aip_types::SlotId;
    use cosmwasm_std::testing::{MockQuerier, MockStorage};
    use cosmwasm_std::{Binary, OwnedDeps};
    use ed25519_dalek::{Signer, SigningKey};
    use std::marker::PhantomData;

    let mock = cosmwasm_std::testing::MockApi::default();
    let admin = mock.addr_make("admin");
    let m = msg(&mock, 1, 1);
    let grid = m.grid_operator.clone();
    let op = m.operators[0].clone();
    let mut deps = OwnedDeps {
        storage: MockStorage::default(),
        api: VmLimitedApi(mock),
        querier: MockQuerier::default(),
        custom_query_type: PhantomData::<cosmwasm_std::Empty>,
    };
    let env = mock_env();
    instantiate(deps.as_mut(), env.clone(), message_info(&admin, &[]), m).unwrap();

    let keys: Vec<SigningKey> = (0..MAX_BATCH)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            SigningKey::from_bytes(&seed)
        })
        .collect();
    let mut meters = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let owner = deps.api.0.addr_make(&format!("owner{i}")).to_string();
        let res = execute(
            deps.as_mut(),
            env.clone(),
            message_info(&cosmwasm_std::Addr::unchecked(&grid), &[]),
            ExecuteMsg::RegisterMeter {
                owner,
                node: 1,
                pubkey: Binary::from(key.verifying_key().to_bytes().to_vec()),
            },
        )
        .unwrap();
        let id = res.attributes.iter().find(|a| a.key == "meter").unwrap();
        meters.push(id.value.parse::<u32>().unwrap());
    }
    let slot = (env.block.time.seconds() / 900 - 2) * 900;
    let contract = env.contract.address.to_string();
    let sign = |i: usize, exported: u128| {
        let p = reading_payload(&env.block.chain_id, &contract, meters[i], slot, exported, 0);
        SignedReading {
            meter: meters[i],
            exported_wh: exported.into(),
            imported_wh: 0u128.into(),
            signature: Binary::from(keys[i].sign(&p).to_bytes().to_vec()),
        }
    };
    let submit = |deps: &mut OwnedDeps<MockStorage, VmLimitedApi, MockQuerier>,
                  readings: Vec<SignedReading>| {
        execute(
            deps.as_mut(),
            env.clone(),
            message_info(&cosmwasm_std::Addr::unchecked(&op), &[]),
            ExecuteMsg::SubmitReadings {
                slot: SlotId(slot),
                readings,
            },
        )
    };

    // A bad signature in the second chunk is named, nothing is stored.
    let mut bad: Vec<SignedReading> = (0..MAX_BATCH).map(|i| sign(i, 1_000 + i as u128)).collect();
    bad[300].exported_wh = 1u128.into();
    let err = submit(&mut deps, bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("invalid device signature for meter {}", meters[300])
    );

    // All 500 (two chunks: 256 + 244) are accepted and finalize (quorum 1).
    let all: Vec<SignedReading> = (0..MAX_BATCH).map(|i| sign(i, 1_000 + i as u128)).collect();
    let res = submit(&mut deps, all).unwrap();
    let finalized = res
        .attributes
        .iter()
        .find(|a| a.key == "finalized")
        .unwrap();
    assert_eq!(finalized.value, MAX_BATCH.to_string());
}

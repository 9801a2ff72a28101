use aip_types::hooks::ReputationExecuteHook;
use ark_bls12_381::Fr;
use cosmwasm_std::{
    to_json_binary, Addr, Binary, DepsMut, Env, HexBinary, MessageInfo, Response, WasmMsg,
};

use crate::error::ContractError;
use crate::groth16;
use crate::msg::{InstantiateMsg, DEFAULT_ROOT_HISTORY, MAX_ROOT_HISTORY};
use crate::state::{Config, PreparedKey, CONFIG, NULLIFIERS, ROOTS, VK_RAW};

fn check_history(root_history: u32) -> Result<u32, ContractError> {
    if root_history > MAX_ROOT_HISTORY {
        return Err(ContractError::RootHistoryTooLong {
            max: MAX_ROOT_HISTORY,
            got: root_history,
        });
    }
    Ok(root_history)
}

/// A 32-byte canonical scalar, or a `MalformedScalar` error naming the field.
pub fn scalar(field: &str, bytes: &[u8]) -> Result<Fr, ContractError> {
    zk_kyc::fr_from_bytes::<Fr>(bytes).ok_or_else(|| ContractError::MalformedScalar {
        field: field.into(),
        len: bytes.len(),
    })
}

fn only(who: &Addr, sender: &Addr, action: &str, role: &str) -> Result<(), ContractError> {
    if who != sender {
        return Err(ContractError::Unauthorized {
            sender: sender.to_string(),
            action: action.into(),
            role: role.into(),
        });
    }
    Ok(())
}

pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let admin = match msg.admin {
        Some(a) => deps.api.addr_validate(&a)?,
        None => info.sender,
    };
    let provider = deps.api.addr_validate(&msg.provider)?;
    let reputation = msg
        .reputation
        .map(|r| deps.api.addr_validate(&r))
        .transpose()?;
    let root_history = check_history(msg.root_history.unwrap_or(DEFAULT_ROOT_HISTORY))?;
    let ext: Fr = zk_kyc::external_nullifier(&env.block.chain_id, env.contract.address.as_str());
    let config = Config {
        admin,
        provider,
        reputation,
        root_history,
        chain_id: env.block.chain_id.clone(),
        external_nullifier: Binary::from(zk_kyc::fr_to_bytes(ext)),
    };
    if let Some(vk) = msg.verifying_key {
        let key = groth16::prepare_key(deps.api, vk.as_slice())?;
        key.save(deps.storage);
        VK_RAW.save(deps.storage, &Binary::from(vk.as_slice()))?;
    }
    CONFIG.save(deps.storage, &config)?;
    ROOTS.save(deps.storage, &vec![])?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("admin", config.admin)
        .add_attribute("provider", config.provider)
        .add_attribute(
            "external_nullifier",
            HexBinary::from(config.external_nullifier.as_slice()).to_hex(),
        ))
}

pub fn execute_set_verifying_key(
    deps: DepsMut,
    info: MessageInfo,
    verifying_key: HexBinary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    only(
        &config.admin,
        &info.sender,
        "set the verifying key",
        "admin",
    )?;
    let key = groth16::prepare_key(deps.api, verifying_key.as_slice())?;
    key.save(deps.storage);
    VK_RAW.save(deps.storage, &Binary::from(verifying_key.as_slice()))?;
    Ok(Response::new().add_attribute("action", "set_verifying_key"))
}

pub fn execute_update_config(
    deps: DepsMut,
    info: MessageInfo,
    admin: Option<String>,
    provider: Option<String>,
    reputation: Option<String>,
    root_history: Option<u32>,
) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?;
    only(&config.admin, &info.sender, "update the config", "admin")?;
    if let Some(a) = admin {
        config.admin = deps.api.addr_validate(&a)?;
    }
    if let Some(p) = provider {
        config.provider = deps.api.addr_validate(&p)?;
    }
    if let Some(r) = reputation {
        config.reputation = Some(deps.api.addr_validate(&r)?);
    }
    if let Some(h) = root_history {
        config.root_history = check_history(h)?;
        let mut roots = ROOTS.load(deps.storage)?;
        roots.truncate(h as usize + 1);
        ROOTS.save(deps.storage, &roots)?;
    }
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "update_config")
        .add_attribute("admin", config.admin)
        .add_attribute("provider", config.provider))
}

pub fn execute_publish_root(
    deps: DepsMut,
    info: MessageInfo,
    root: HexBinary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    only(&config.provider, &info.sender, "publish a root", "provider")?;
    scalar("root", root.as_slice())?;
    let mut roots = ROOTS.load(deps.storage)?;
    if roots.first().map(|r| r.as_slice()) == Some(root.as_slice()) {
        return Err(ContractError::RootAlreadyCurrent {
            root: root.to_hex(),
        });
    }
    // a root published again moves to the front instead of appearing twice
    roots.retain(|r| r.as_slice() != root.as_slice());
    roots.insert(0, Binary::from(root.as_slice()));
    roots.truncate(config.root_history as usize + 1);
    ROOTS.save(deps.storage, &roots)?;
    Ok(Response::new()
        .add_attribute("action", "publish_root")
        .add_attribute("root", root.to_hex()))
}

pub fn execute_register(
    deps: DepsMut,
    info: MessageInfo,
    proof: HexBinary,
    root: HexBinary,
    nullifier_hash: HexBinary,
) -> Result<Response, ContractError> {
    if proof.len() != groth16::PROOF_LEN {
        return Err(ContractError::ProofLength {
            expected: groth16::PROOF_LEN,
            got: proof.len(),
        });
    }
    let root_fr = scalar("root", root.as_slice())?;
    let nullifier_fr = scalar("nullifier_hash", nullifier_hash.as_slice())?;
    let config = CONFIG.load(deps.storage)?;
    let key = PreparedKey::load(deps.storage)?.ok_or(ContractError::NoVerifyingKey)?;
    let reputation = config
        .reputation
        .clone()
        .ok_or(ContractError::NoReputationContract)?;
    let roots = ROOTS.load(deps.storage)?;
    if !roots.iter().any(|r| r.as_slice() == root.as_slice()) {
        return Err(ContractError::UnknownRoot {
            root: root.to_hex(),
            history: config.root_history,
        });
    }
    if NULLIFIERS.has(deps.storage, nullifier_hash.as_slice()) {
        return Err(ContractError::NullifierUsed {
            nullifier_hash: nullifier_hash.to_hex(),
        });
    }
    // An account that already holds a token is refused by reputation's
    // `MintFor` ("… already holds a reputation token"), which reverts this
    // call: no account → nullifier index needed here.

    let ext = scalar("external_nullifier", config.external_nullifier.as_slice())?;
    let signal: Fr = zk_kyc::signal(info.sender.as_str());
    let x = zk_kyc::public_input(root_fr, nullifier_fr, ext, signal);
    if !groth16::verify(deps.api, &key, proof.as_slice(), x)? {
        return Err(ContractError::InvalidProof {
            sender: info.sender.to_string(),
            root: root.to_hex(),
            nullifier_hash: nullifier_hash.to_hex(),
        });
    }

    NULLIFIERS.save(deps.storage, nullifier_hash.as_slice(), &info.sender)?;
    let mint = WasmMsg::Execute {
        contract_addr: reputation.to_string(),
        msg: to_json_binary(&ReputationExecuteHook::MintFor {
            owner: info.sender.to_string(),
        })?,
        funds: vec![],
    };
    Ok(Response::new()
        .add_message(mint)
        .add_attribute("action", "register")
        .add_attribute("account", info.sender)
        .add_attribute("root", root.to_hex())
        .add_attribute("nullifier_hash", nullifier_hash.to_hex()))
}

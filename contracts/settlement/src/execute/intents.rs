//! Intents placed on chain (contract accounts cannot sign) and cancelled by
//! their owner. Signed intents never come here: the matcher commits them
//! ([`super::commit`]).

use aip_types::check_order;
use aip_types::intent::{BatchIntent, IntentDomain, IntentError};
use cosmwasm_std::{Binary, DepsMut, Env, MessageInfo, Response};

use crate::state::{Fill, FILLS, PLACED};
use crate::ContractError;

/// The domain intents are bound to: this chain and this contract.
pub(crate) fn domain(env: &Env) -> IntentDomain {
    IntentDomain {
        chain_id: env.block.chain_id.clone(),
        contract: env.contract.address.to_string(),
    }
}

/// The owner (a contract account, typically) places an intent on chain
/// instead of signing it. It is checked as a signed one is, except for the
/// signature: the sender is the owner.
pub fn execute_place_intent(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    intent: BatchIntent,
) -> Result<Response, ContractError> {
    if intent.signature.is_some() {
        return Err(ContractError::PlacedIntentSigned);
    }
    if info.sender.as_str() != intent.owner {
        return Err(ContractError::NotIntentOwner {
            owner: intent.owner,
        });
    }
    check_order(u128::from(intent.wh), u128::from(intent.limit_price))?;
    let full = intent.intent(&domain(&env));
    full.validate()?;
    let now = env.block.time.seconds();
    if now >= full.expires {
        return Err(IntentError::Expired {
            expires: full.expires,
            now,
        }
        .into());
    }
    let hash = full.hash();
    if PLACED.has(deps.storage, &hash) {
        return Err(ContractError::AlreadyPlaced);
    }
    PLACED.save(deps.storage, &hash, &())?;
    Ok(Response::new()
        .add_attribute("action", "place_intent")
        .add_attribute("owner", info.sender)
        .add_attribute("nonce", intent.nonce.to_string())
        .add_attribute("intent_hash", Binary::from(hash.as_slice()).to_base64()))
}

/// The owner withdraws the intent with `nonce`: nothing more of it fills.
pub fn execute_cancel_intent(
    deps: DepsMut,
    info: MessageInfo,
    nonce: u64,
) -> Result<Response, ContractError> {
    let raw = deps.api.addr_canonicalize(info.sender.as_str())?;
    let mut fill = FILLS
        .may_load(deps.storage, (raw.as_slice(), nonce))?
        .unwrap_or(Fill {
            filled: 0,
            hash: [0; 8],
            cancelled: false,
        });
    if fill.cancelled {
        return Err(ContractError::IntentCancelled {
            owner: info.sender.to_string(),
            nonce,
        });
    }
    fill.cancelled = true;
    FILLS.save(deps.storage, (raw.as_slice(), nonce), &fill)?;
    Ok(Response::new()
        .add_attribute("action", "cancel_intent")
        .add_attribute("owner", info.sender)
        .add_attribute("nonce", nonce.to_string())
        .add_attribute("filled", fill.filled.to_string()))
}

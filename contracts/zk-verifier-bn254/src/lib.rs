//! Bench-only: the KYC circuit of `zk-verifier`, verified over BN254 with
//! ark-groth16 entirely in wasm (pairings included), to measure what the
//! BLS12-381 pairing host function saves. Same circuit, same single public
//! input `Poseidon(context, nullifier_hash, signal(sender), valid_until)`
//! (Poseidon over the BN254 scalar field); the context is taken as sent: no
//! roots, contexts, nullifiers or minting.
//! Not part of any deployment.
#![cfg_attr(test, allow(clippy::unwrap_used))]
// tests report failures by panicking

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Binary, Deps, DepsMut, Env, HexBinary, MessageInfo, Response, StdError, StdResult,
};
use cw_storage_plus::Item;

use ark_bn254::{Bn254, Fr};
use ark_ec::pairing::Pairing;
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use cosmwasm_schema::cw_serde;

/// Stores the verifying key.
#[cw_serde]
pub struct InstantiateMsg {
    /// arkworks-compressed `VerifyingKey<Bn254>` (`aip-kyc setup --curve bn254`).
    pub verifying_key: HexBinary,
}

/// The one message: verify a proof.
#[cw_serde]
pub enum ExecuteMsg {
    /// Verify a compressed BN254 proof for the sender; fails when it does not verify.
    Verify {
        /// The compressed Groth16 proof A|B|C.
        proof: HexBinary,
        /// The context the proof names (taken as sent).
        context: HexBinary,
        /// The identity's nullifier hash.
        nullifier_hash: HexBinary,
        /// The proof's end, unix seconds.
        valid_until: u64,
    },
}

/// No queries: every query is refused.
#[cw_serde]
pub struct QueryMsg {}

/// Uncompressed key (read without validation: it was validated at instantiation).
const VK: Item<Binary> = Item::new("vk");
/// e(α, β), uncompressed.
const ALPHA_BETA: Item<Binary> = Item::new("ab");

fn err(msg: impl Into<String>) -> StdError {
    StdError::generic_err(msg)
}

/// Validates the key once and stores it uncompressed with `e(α, β)`.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> StdResult<Response> {
    let vk = VerifyingKey::<Bn254>::deserialize_compressed(msg.verifying_key.as_slice())
        .map_err(|e| err(format!("verifying key: {e}")))?;
    let ab = Bn254::pairing(vk.alpha_g1, vk.beta_g2).0;
    let mut vk_bytes = Vec::new();
    vk.serialize_uncompressed(&mut vk_bytes)
        .map_err(|e| err(e.to_string()))?;
    let mut ab_bytes = Vec::new();
    ab.serialize_uncompressed(&mut ab_bytes)
        .map_err(|e| err(e.to_string()))?;
    VK.save(deps.storage, &Binary::new(vk_bytes))?;
    ALPHA_BETA.save(deps.storage, &Binary::new(ab_bytes))?;
    Ok(Response::new().add_attribute("action", "instantiate"))
}

/// Verifies the proof entirely in wasm (pairings included).
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> StdResult<Response> {
    let ExecuteMsg::Verify {
        proof,
        context,
        nullifier_hash,
        valid_until,
    } = msg;
    let scalar = |name: &str, b: &[u8]| {
        zk_kyc::fr_from_bytes::<Fr>(b).ok_or_else(|| err(format!("malformed {name}")))
    };
    let context = scalar("context", context.as_slice())?;
    let nullifier = scalar("nullifier_hash", nullifier_hash.as_slice())?;
    let x = zk_kyc::public_input(
        context,
        nullifier,
        zk_kyc::signal(info.sender.as_str()),
        valid_until,
    );
    let proof = Proof::<Bn254>::deserialize_compressed(proof.as_slice())
        .map_err(|e| err(format!("proof: {e}")))?;
    let vk = VerifyingKey::<Bn254>::deserialize_uncompressed_unchecked(
        VK.load(deps.storage)?.as_slice(),
    )
    .map_err(|e| err(e.to_string()))?;
    let ab = <Bn254 as Pairing>::TargetField::deserialize_uncompressed_unchecked(
        ALPHA_BETA.load(deps.storage)?.as_slice(),
    )
    .map_err(|e| err(e.to_string()))?;
    let pvk = PreparedVerifyingKey {
        alpha_g1_beta_g2: ab,
        gamma_g2_neg_pc: (-vk.gamma_g2).into(),
        delta_g2_neg_pc: (-vk.delta_g2).into(),
        vk,
    };
    let ok = Groth16::<Bn254>::verify_proof(&pvk, &proof, &[x]).map_err(|e| err(e.to_string()))?;
    if !ok {
        return Err(err("proof rejected"));
    }
    Ok(Response::new().add_attribute("action", "verify"))
}

/// Refuses: the bench contract answers no queries.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(_deps: Deps, _env: Env, _msg: QueryMsg) -> StdResult<Binary> {
    Err(err("no queries"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr as BnFr;
    use cw_multi_test::{App, ContractWrapper, Executor};
    use rand::SeedableRng;
    use zk_kyc::prover::{self, KycCurve};

    #[test]
    fn verifies_a_real_proof_for_its_sender_only() {
        let mut app = App::default();
        let admin = app.api().addr_make("admin");
        let alice = app.api().addr_make("alice");
        let code = app.store_code(Box::new(ContractWrapper::new(execute, instantiate, query)));
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let (pk, vk) = Bn254::kyc_setup(&mut rng);
        let contract = app
            .instantiate_contract(
                code,
                admin.clone(),
                &InstantiateMsg {
                    verifying_key: HexBinary::from(prover::to_bytes(&vk)),
                },
                &[],
                "bn254",
                None,
            )
            .unwrap();
        let ext = zk_kyc::external_nullifier::<BnFr>(&app.block_info().chain_id, contract.as_str());
        let input =
            zk_kyc::prover::clean_input::<BnFr>(&mut rng, ext, zk_kyc::signal(alice.as_str()));
        let (proof, st) = Bn254::kyc_prove(&pk, &input, &mut rng).unwrap();
        let msg = ExecuteMsg::Verify {
            proof: HexBinary::from(prover::to_bytes(&proof)),
            context: HexBinary::from(zk_kyc::fr_to_bytes(st.context())),
            nullifier_hash: HexBinary::from(zk_kyc::fr_to_bytes(st.nullifier_hash)),
            valid_until: st.valid_until,
        };
        app.execute_contract(alice, contract.clone(), &msg, &[])
            .unwrap();
        let e = app
            .execute_contract(admin, contract, &msg, &[])
            .unwrap_err();
        assert!(e.root_cause().to_string().contains("proof rejected"), "{e}");
    }
}

//! zk-verifier: one Groth16 KYC proof verified on chain (BLS12-381 through the
//! pairing host function), with a proof made here for this chain id, contract
//! and sender by the project's own prover (`zk-kyc`).

use anyhow::{anyhow, Context, Result};
use ark_bls12_381::{Bls12_381, Fr};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::json;
use zk_kyc::prover::{self, Identity};
use zk_kyc::IdentityTree;

use super::{Ctx, Measured};
use crate::report::Row;
use crate::Chain;

/// Target (docs/design.md): SDK gas of one KYC proof verification.
pub const TARGET_VERIFY: u64 = 40_000;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(s.get(i..i + 2).unwrap_or("zz"), 16).map_err(|e| anyhow!("hex: {e}"))
        })
        .collect()
}

/// Measures instantiate (verifying key validation), `PublishRoot` and `Register`.
pub fn run(ctx: &Ctx) -> Result<Measured> {
    let chain = Chain::new()?;
    let code = ctx.store(&chain, "zk-verifier")?;
    let admin = chain.addr("admin");
    let provider = chain.addr("kyc-provider");
    let alice = chain.addr("alice");
    let reputation = chain.addr("reputation");

    // Trusted setup and the provider's tree (test keys, seeded: reproducible).
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let (pk, vk) = prover::setup::<Bls12_381, _>(&mut rng);
    let identity = Identity::<Fr>::random(&mut rng);
    let mut tree = IdentityTree::new();
    for _ in 0..5 {
        tree.insert(Identity::<Fr>::random(&mut rng).commitment())
            .map_err(|e| anyhow!("tree: {e:?}"))?;
    }
    let index = tree
        .insert(identity.commitment())
        .map_err(|e| anyhow!("tree: {e:?}"))?;

    let (verifier, inst) = chain.instantiate(
        &code,
        "zk-verifier",
        &admin,
        &json!({
            "admin": admin, "provider": provider, "reputation": reputation,
            "verifying_key": hex(&prover::to_bytes(&vk)), "root_history": null,
        }),
    )?;
    let (_, publish) = chain.execute(
        &verifier,
        &provider,
        &json!({ "publish_root": { "root": hex(&zk_kyc::fr_to_bytes(tree.root())) } }),
    )?;

    // The proof binds the contract's external nullifier and alice's address.
    let cfg = chain.query(&verifier, &json!({ "config": {} }))?;
    let ext_bytes = unhex(
        cfg["external_nullifier"]
            .as_str()
            .context("config has no external_nullifier")?,
    )?;
    let ext = zk_kyc::fr_from_bytes::<Fr>(&ext_bytes)
        .context("external nullifier is not a field element")?;
    let path = tree.path(index).map_err(|e| anyhow!("tree path: {e:?}"))?;
    let signal = zk_kyc::signal::<Fr>(&alice);
    let (proof, statement) = prover::prove(&pk, &identity, &path, ext, signal, &mut rng);
    let register_msg = json!({ "register": {
        "proof": hex(&prover::to_bytes(&proof)),
        "root": hex(&zk_kyc::fr_to_bytes(statement.root)),
        "nullifier_hash": hex(&zk_kyc::fr_to_bytes(statement.nullifier_hash)),
    } });
    let (_, register) = chain
        .execute(&verifier, &alice, &register_msg)
        .context("Register")?;
    // The same identity again is refused (nullifier used): measured as a failed call.
    let (again, _) = chain.try_execute(&verifier, &alice, &register_msg)?;
    anyhow::ensure!(
        again.is_err(),
        "a second registration with the same identity was accepted"
    );

    let mut rows = vec![
        Row::new("instantiate (verifying key validated)", 1, inst),
        Row::new("PublishRoot", 1, publish),
        Row::new("Register (one proof verification)", 1, register)
            .target_without_instance(TARGET_VERIFY),
    ];
    // Comparison: the same circuit over BN254, verified entirely in wasm by
    // ark-groth16 (bench-only contract zk-verifier-bn254), when its artifact exists.
    if ctx.artifact("zk-verifier-bn254").is_ok() {
        rows.push(bn254_comparison(ctx, &chain, &alice, &admin)?);
    }

    Ok(Measured {
        name: "zk-verifier",
        title: "KYC proofs",
        command: "cargo run -p aip-gas-bench --bin aip-gas -- zk".into(),
        setup: "zk-verifier with a verifying key from `zk_kyc::prover::setup` (seeded test setup), \
                the provider publishes the root of a tree of 6 identities, and alice registers with a \
                Groth16 proof (BLS12-381, depth 20) made by `zk_kyc::prover::prove` for this chain id, \
                contract and her address. `Register` verifies the proof with the \
                `bls12_381_pairing_equality` host function, records the nullifier and sends `MintFor` \
                to reputation (a contract the harness does not run: its instance is counted). \
                The comparison row is `zk-verifier-bn254` (bench only): the same circuit and \
                statement over BN254, verified by ark-groth16 entirely in wasm (pairings included), \
                with a proof made the same way for BN254."
            .into(),
        rows,
        artifacts: Vec::new(),
    })
}

/// One `Verify` on `zk-verifier-bn254`: a BN254 proof of the same circuit for
/// alice, checked with ark-groth16 in wasm (pairings included, no host function).
fn bn254_comparison(ctx: &Ctx, chain: &Chain, alice: &str, admin: &str) -> Result<Row> {
    use ark_bn254::{Bn254, Fr as BnFr};
    use zk_kyc::prover::KycCurve;
    let code = ctx.store(chain, "zk-verifier-bn254")?;
    let mut rng = ChaCha20Rng::seed_from_u64(254);
    let (pk, vk) = Bn254::kyc_setup(&mut rng);
    let identity = Identity::<BnFr>::random(&mut rng);
    let mut tree = IdentityTree::new();
    let index = tree
        .insert(identity.commitment())
        .map_err(|e| anyhow!("tree: {e:?}"))?;
    let (contract, _) = chain.instantiate(
        &code,
        "zk-verifier-bn254",
        admin,
        &json!({ "verifying_key": hex(&prover::to_bytes(&vk)) }),
    )?;
    let ext = zk_kyc::external_nullifier::<BnFr>(crate::chain::CHAIN_ID, &contract);
    let path = tree.path(index).map_err(|e| anyhow!("tree path: {e:?}"))?;
    let signal = zk_kyc::signal::<BnFr>(alice);
    let (proof, st) = Bn254::kyc_prove(&pk, &identity, &path, ext, signal, &mut rng);
    let (_, gas) = chain
        .execute(
            &contract,
            alice,
            &json!({ "verify": {
                "proof": hex(&prover::to_bytes(&proof)),
                "root": hex(&zk_kyc::fr_to_bytes(st.root)),
                "nullifier_hash": hex(&zk_kyc::fr_to_bytes(st.nullifier_hash)),
            } }),
        )
        .context("zk-verifier-bn254 Verify")?;
    Ok(Row::new(
        "comparison: BN254, ark-groth16 all in wasm (zk-verifier-bn254 Verify)",
        1,
        gas,
    ))
}

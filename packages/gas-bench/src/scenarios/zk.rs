//! zk-verifier: one Groth16 KYC/AML proof verified on chain (BLS12-381 through
//! the pairing host function), with a proof made here for this chain id,
//! contract and sender by the project's own prover (`zk-kyc`): credential in
//! the provider's tree, unexpired, not on the sanctions list, not revoked.

use anyhow::{anyhow, Context, Result};
use ark_bls12_381::{Bls12_381, Fr};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::json;
use zk_kyc::prover::{self, Credential, Identity, KycCurve, ProofInput};
use zk_kyc::{ExclusionSet, IdentityTree};

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

    let compliance = chain.addr("compliance");
    let carol = chain.addr("carol");

    // Trusted setup, the provider's tree of credentials and the sanctions list
    // (test keys, seeded: reproducible).
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let (pk, vk) = Bls12_381::kyc_setup(&mut rng);
    let expiry = 4_000_000_000u64;
    let credential = |name: &str| Credential {
        identifier: zk_kyc::identifier::<Fr>(&format!("passport:{name}")),
        expiry,
    };
    let identity = Identity::<Fr>::random(&mut rng);
    let alice_cred = credential("alice");
    let mut tree = IdentityTree::new();
    for i in 0..5 {
        let other = Identity::<Fr>::random(&mut rng);
        tree.insert(credential(&format!("other-{i}")).leaf(&other))
            .map_err(|e| anyhow!("tree: {e:?}"))?;
    }
    let index = tree
        .insert(alice_cred.leaf(&identity))
        .map_err(|e| anyhow!("tree: {e:?}"))?;
    let sanctions = ExclusionSet::from_values(
        ["mallory", "eve", "oscar"].map(|n| zk_kyc::identifier::<Fr>(&format!("passport:{n}"))),
    )
    .map_err(|e| anyhow!("sanctions: {e:?}"))?;
    let revocations = ExclusionSet::<Fr>::new();

    let (verifier, inst) = chain.instantiate(
        &code,
        "zk-verifier",
        &admin,
        &json!({
            "admin": admin, "provider": provider, "compliance": compliance,
            "reputation": reputation, "verifying_key": hex(&prover::to_bytes(&vk)),
            "grace_period": null, "premium_max_age_days": null,
        }),
    )?;
    let (_, publish) = chain.execute(
        &verifier,
        &provider,
        &json!({ "publish_root": { "root": hex(&zk_kyc::fr_to_bytes(tree.root())) } }),
    )?;
    let (_, publish_sanctions) = chain.execute(
        &verifier,
        &compliance,
        &json!({ "publish_sanctions_root": {
            "root": hex(&zk_kyc::fr_to_bytes(sanctions.root()))
        } }),
    )?;

    anyhow::ensure!(
        chain.query(&verifier, &json!({ "config": {} }))?["verifying_key_in_code"] == true,
        "the seeded setup's key is not the one compiled into zk-verifier"
    );
    // The proof binds the contract's external nullifier and alice's address.
    let cfg = chain.query(&verifier, &json!({ "config": {} }))?;
    let ext_bytes = unhex(
        cfg["external_nullifier"]
            .as_str()
            .context("config has no external_nullifier")?,
    )?;
    let ext = zk_kyc::fr_from_bytes::<Fr>(&ext_bytes)
        .context("external nullifier is not a field element")?;
    let id = alice_cred.identifier;
    let input = ProofInput {
        identity,
        credential: alice_cred,
        path: tree.path(index).map_err(|e| anyhow!("tree path: {e:?}"))?,
        sanctions: sanctions
            .non_membership(id)
            .map_err(|e| anyhow!("sanctions: {e:?}"))?,
        revocation: revocations
            .non_membership(id)
            .map_err(|e| anyhow!("revocations: {e:?}"))?,
        external_nullifier: ext,
        signal: zk_kyc::signal::<Fr>(&alice),
        valid_until: expiry,
    };
    let (proof, statement) =
        Bls12_381::kyc_prove(&pk, &input, &mut rng).map_err(|e| anyhow!("{e}"))?;
    let register_msg = json!({ "register": {
        "proof": hex(&prover::to_bytes(&proof)),
        "context": hex(&zk_kyc::fr_to_bytes(statement.context())),
        "nullifier_hash": hex(&zk_kyc::fr_to_bytes(statement.nullifier_hash)),
        "valid_until": statement.valid_until,
    } });
    let (_, register) = chain
        .execute(&verifier, &alice, &register_msg)
        .context("Register")?;
    // The same identity and account again: a renewal (no mint).
    let (_, renew) = chain
        .execute(&verifier, &alice, &register_msg)
        .context("Register (renewal)")?;
    // The same proof from another sender is refused.
    let (again, _) = chain.try_execute(&verifier, &carol, &register_msg)?;
    anyhow::ensure!(
        again.is_err(),
        "alice's proof was accepted from another sender"
    );

    // Settlement's batch check: alice (registered) and 199 accounts that are
    // not, in one smart query.
    let batch: Vec<String> = std::iter::once(alice.clone())
        .chain((1..200).map(|i| chain.addr(&format!("trader-{i}"))))
        .collect();
    let (answer, eligibilities) = chain
        .query_metered(
            &verifier,
            &json!({ "eligibilities": { "accounts": batch } }),
        )
        .context("eligibilities")?;
    anyhow::ensure!(
        answer["eligibilities"][0]["eligible"] == true
            && answer["eligibilities"][199]["reason"] == "unregistered",
        "unexpected eligibilities answer: {answer}"
    );

    // The same registration on a verifier whose key is not compiled into the
    // code (another seeded setup): the key is read from storage.
    let stored = {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let (pk, vk) = Bls12_381::kyc_setup(&mut rng);
        let (v2, _) = chain.instantiate(
            &code,
            "zk-verifier (stored key)",
            &admin,
            &json!({
                "admin": admin, "provider": provider, "compliance": compliance,
                "reputation": reputation, "verifying_key": hex(&prover::to_bytes(&vk)),
                "grace_period": null, "premium_max_age_days": null,
            }),
        )?;
        chain.execute(
            &v2,
            &provider,
            &json!({ "publish_root": { "root": hex(&zk_kyc::fr_to_bytes(tree.root())) } }),
        )?;
        chain.execute(
            &v2,
            &compliance,
            &json!({ "publish_sanctions_root": {
                "root": hex(&zk_kyc::fr_to_bytes(sanctions.root()))
            } }),
        )?;
        anyhow::ensure!(
            chain.query(&v2, &json!({ "config": {} }))?["verifying_key_in_code"] == false,
            "the second setup's key should not be compiled in"
        );
        let input = ProofInput {
            external_nullifier: zk_kyc::external_nullifier::<Fr>(crate::chain::CHAIN_ID, &v2),
            ..input.clone()
        };
        let (proof, st) =
            Bls12_381::kyc_prove(&pk, &input, &mut rng).map_err(|e| anyhow!("{e}"))?;
        let (_, gas) = chain
            .execute(
                &v2,
                &alice,
                &json!({ "register": {
                    "proof": hex(&prover::to_bytes(&proof)),
                    "context": hex(&zk_kyc::fr_to_bytes(st.context())),
                    "nullifier_hash": hex(&zk_kyc::fr_to_bytes(st.nullifier_hash)),
                    "valid_until": st.valid_until,
                } }),
            )
            .context("Register (stored key)")?;
        gas
    };

    let mut rows = vec![
        Row::new("instantiate (verifying key validated)", 1, inst),
        Row::new("PublishRoot (identity tree)", 1, publish),
        Row::new("PublishSanctionsRoot", 1, publish_sanctions),
        Row::new(
            "Register (membership, expiry, sanctions and revocation in one proof)",
            1,
            register,
        )
        .target_without_instance(TARGET_VERIFY),
        Row::new(
            "Register again (renewal: same identity and account, no mint)",
            1,
            renew,
        ),
        Row::new(
            "Register with a key not compiled in (prepared key read from storage)",
            1,
            stored,
        ),
        Row::new(
            "eligibilities query (settlement's batch check), 200 accounts",
            200,
            eligibilities,
        ),
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
        setup: "zk-verifier with a verifying key from `zk_kyc::prover::setup` (seeded test setup: \
                `aip-kyc setup --insecure-seed 2026`, the key compiled into the code), \
                the provider publishes the root of a tree of 6 credentials, the compliance role the \
                root of a sanctions set of 3 identifiers (the revocation set stays empty), and alice \
                registers with one Groth16 proof (BLS12-381; identity tree depth 20, set trees depth \
                16) made by `zk_kyc::prover` for this chain id, contract and her address: credential \
                in the tree, unexpired at `valid_until`, identifier in neither set. `Register` checks \
                `valid_until` against block time and the context's standing, verifies the proof with \
                the `bls12_381_pairing_equality` host function (public-input term by the compiled \
                key's 8-tooth fixed-base comb), reads one register record (key source and \
                reputation address), records the nullifier and the account and sends `MintFor` to \
                reputation (a contract the harness does not run: its instance is counted). The \
                renewal row is the same message again (same identity and account: no mint). The \
                stored-key row is the same registration on a second verifier set up with another \
                seeded key, which the code does not compile in (prepared key with a 3-tooth comb \
                read from storage). The eligibilities row is one smart query for 200 accounts \
                (alice and 199 never registered), as settlement would send it (its instance is \
                counted once). The \
                comparison row is `zk-verifier-bn254` (bench only): the same circuit over BN254, \
                verified by ark-groth16 entirely in wasm (pairings included), without the \
                contract's context, nullifier or account bookkeeping."
            .into(),
        rows,
        artifacts: Vec::new(),
    })
}

/// One `Verify` on `zk-verifier-bn254`: a BN254 proof of the same circuit for
/// alice, checked with ark-groth16 in wasm (pairings included, no host function).
fn bn254_comparison(ctx: &Ctx, chain: &Chain, alice: &str, admin: &str) -> Result<Row> {
    use ark_bn254::{Bn254, Fr as BnFr};
    let code = ctx.store(chain, "zk-verifier-bn254")?;
    let mut rng = ChaCha20Rng::seed_from_u64(254);
    let (pk, vk) = Bn254::kyc_setup(&mut rng);
    let (contract, _) = chain.instantiate(
        &code,
        "zk-verifier-bn254",
        admin,
        &json!({ "verifying_key": hex(&prover::to_bytes(&vk)) }),
    )?;
    let ext = zk_kyc::external_nullifier::<BnFr>(crate::chain::CHAIN_ID, &contract);
    let input = prover::clean_input::<BnFr>(&mut rng, ext, zk_kyc::signal::<BnFr>(alice));
    let (proof, st) = Bn254::kyc_prove(&pk, &input, &mut rng).map_err(|e| anyhow!("{e}"))?;
    let (_, gas) = chain
        .execute(
            &contract,
            alice,
            &json!({ "verify": {
                "proof": hex(&prover::to_bytes(&proof)),
                "context": hex(&zk_kyc::fr_to_bytes(st.context())),
                "nullifier_hash": hex(&zk_kyc::fr_to_bytes(st.nullifier_hash)),
                "valid_until": st.valid_until,
            } }),
        )
        .context("zk-verifier-bn254 Verify")?;
    Ok(Row::new(
        "comparison: BN254, ark-groth16 all in wasm (zk-verifier-bn254 Verify)",
        1,
        gas,
    ))
}

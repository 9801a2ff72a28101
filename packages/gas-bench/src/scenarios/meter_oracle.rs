//! meter-oracle: `SubmitReadings` batches of 1, 50 and 200 device-signed
//! readings (real ed25519 signatures), first report and quorum-completing
//! report, and the `Deliveries` query settlement makes.

use anyhow::{Context, Result};
use cosmwasm_std::Binary;
use ed25519_zebra::{SigningKey, VerificationKey};
use serde_json::{json, Value};

use super::{Ctx, Measured};
use crate::chain::{attribute, CHAIN_ID};
use crate::report::Row;
use crate::Chain;

/// Batch sizes the issue asks for.
pub const BATCHES: [u64; 3] = [1, 50, 200];
/// Target (docs/design.md): SDK gas per reading in a batch of 200, instance cost included.
pub const TARGET_PER_READING: u64 = 2_000;

/// The bytes a device signs: the same layout as `contracts/meter-oracle/src/payload.rs`
/// (`reading_payload`); a mismatch makes every submission fail its signature check.
pub fn reading_payload(
    chain_id: &str,
    contract: &str,
    meter: u32,
    slot: u64,
    exported: u128,
    imported: u128,
) -> Vec<u8> {
    const DOMAIN: &[u8] = b"aipchain/meter-oracle/reading/v1";
    let mut out = DOMAIN.to_vec();
    for s in [chain_id, contract] {
        out.extend_from_slice(&(s.len() as u16).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    out.extend_from_slice(&meter.to_be_bytes());
    out.extend_from_slice(&slot.to_be_bytes());
    out.extend_from_slice(&exported.to_be_bytes());
    out.extend_from_slice(&imported.to_be_bytes());
    out
}

/// A deterministic device key.
pub(crate) fn device_key(i: u64) -> SigningKey {
    let mut seed = [7u8; 32];
    seed[..8].copy_from_slice(&i.to_be_bytes());
    SigningKey::from(seed)
}

/// Measures registration, readings batches from two of three operators (quorum 2), and the hook query.
pub fn run(ctx: &Ctx) -> Result<Measured> {
    let chain = Chain::new()?;
    let code = ctx.store(&chain, "meter-oracle")?;
    let admin = chain.addr("admin");
    let grid = chain.addr("grid-operator");
    let operators: Vec<String> = (0..3).map(|i| chain.addr(&format!("oracle-{i}"))).collect();
    let (oracle, _) = chain.instantiate(
        &code,
        "meter-oracle",
        &admin,
        &json!({
            "admin": admin, "grid_operator": grid, "operators": operators, "quorum": 2,
            "tolerance": { "wh": "10", "bps": 100 },
        }),
    )?;

    let max = *BATCHES.iter().max().unwrap_or(&1);
    let mut meters: Vec<(u32, SigningKey)> = Vec::new();
    let mut register = Vec::new();
    for i in 0..max {
        let key = device_key(i);
        let pubkey = Binary::from(<[u8; 32]>::from(VerificationKey::from(&key)).to_vec());
        let (resp, g) = chain.execute(
            &oracle,
            &grid,
            &json!({ "register_meter": { "owner": chain.addr(&format!("prosumer-{i}")), "node": 1 + i % 40, "pubkey": pubkey } }),
        )?;
        let id: u32 = attribute(&resp, "meter")
            .context("register_meter has no `meter` attribute")?
            .parse()?;
        register.push(g);
        meters.push((id, key));
    }

    let mut rows = vec![Row::new(
        "RegisterMeter (grid operator)",
        1,
        register[register.len() / 2],
    )];
    let base = (chain.time() / 900 + 1) * 900;
    let mut hook_row = None;
    for (round, &n) in BATCHES.iter().enumerate() {
        let slot = base + round as u64 * 900;
        chain.set_time(slot + 900 + 30);
        let mut reports = Vec::new();
        for (op_index, op) in operators.iter().take(2).enumerate() {
            let readings: Vec<Value> = meters
                .iter()
                .take(n as usize)
                .enumerate()
                .map(|(i, (id, key))| {
                    // Operators read slightly different values (within tolerance).
                    let exported = 1_000 + (i as u128 * 37) % 900 + op_index as u128;
                    let imported = (i as u128 * 11) % 300;
                    let payload = reading_payload(CHAIN_ID, &oracle, *id, slot, exported, imported);
                    let sig = <[u8; 64]>::from(key.sign(&payload));
                    json!({
                        "meter": id, "exported_wh": exported.to_string(), "imported_wh": imported.to_string(),
                        "signature": Binary::from(sig.to_vec()),
                    })
                })
                .collect();
            let (_, g) = chain
                .execute(
                    &oracle,
                    op,
                    &json!({ "submit_readings": { "slot": slot, "readings": readings } }),
                )
                .with_context(|| format!("SubmitReadings of {n} by operator {op_index}"))?;
            reports.push(g);
        }
        let unit = if n == 1 { "reading" } else { "readings" };
        let mut first = Row::new(
            format!("SubmitReadings, {n} {unit}, 1st operator"),
            n,
            reports[0],
        );
        let mut quorum = Row::new(
            format!("SubmitReadings, {n} {unit}, 2nd operator (quorum: finalizes)"),
            n,
            reports[1],
        );
        if n == 200 {
            first = first.target(TARGET_PER_READING);
            quorum = quorum.target(TARGET_PER_READING);
        }
        rows.push(first);
        rows.push(quorum);
        if n == 50 {
            let names: Vec<String> = meters
                .iter()
                .take(50)
                .map(|(id, _)| id.to_string())
                .collect();
            let (resp, g) = chain.query_metered(
                &oracle,
                &json!({ "deliveries": { "slot": slot, "meters": names } }),
            )?;
            let finalized = resp["deliveries"]
                .as_array()
                .map_or(0, |d| d.iter().filter(|d| d["finalized"] == true).count());
            anyhow::ensure!(
                finalized == 50,
                "expected 50 finalized deliveries, got {finalized}: {resp}"
            );
            hook_row = Some(Row::new(
                "Deliveries query, 50 meters (settlement's hook)",
                50,
                g,
            ));
        }
    }
    rows.extend(hook_row);

    Ok(Measured {
        name: "meter-oracle",
        title: "Meter oracle",
        command: "cargo run -p aip-gas-bench --bin aip-gas -- meter-oracle".into(),
        setup: "Three oracle operators, quorum 2, tolerance 10 Wh or 1 %. 200 meters registered by the \
                grid operator, each with its own ed25519 device key. For each batch size n, after the \
                slot ends, operator 1 then operator 2 submit n device-signed readings (real ed25519 \
                signatures over the contract's canonical payload; the two operators' values differ by \
                1 Wh); the second submission reaches the quorum and finalizes each meter's median. The \
                `Deliveries` query is what settlement's `FetchDeliveries` pays for (plus its instance)."
            .into(),
        rows,
        artifacts: Vec::new(),
    })
}

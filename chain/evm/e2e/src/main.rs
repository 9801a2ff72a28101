//! `aip-evm-e2e`: the helpers of the EVM user's end-to-end test
//! (`ci/evm-bridge/bridge.test.mjs`). See the crate's lib docs.
#![cfg_attr(test, allow(clippy::unwrap_used))]

use std::path::PathBuf;
use std::process::ExitCode;

use aip_cli::deployment::Deployment;
use aip_cli::market::DeviceKey;
use aip_evm_e2e::order_typed_data;
use aip_types::intent::sign::IntentKey;
use aip_types::intent::OrderIntent;
use clap::{Parser, Subcommand};
use sha2::Digest;

/// Helpers of the EVM user's end-to-end test.
#[derive(Parser, Debug)]
#[command(name = "aip-evm-e2e")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// The EIP-712 typed data of the intent given as JSON (`eth_signTypedData_v4`
    /// form), with its digest and hash.
    TypedData {
        /// the intent, JSON (`OrderIntent`)
        intent: String,
    },
    /// A Cosmos (secp256k1) key whose secret is SHA-256(label): its AIPCHAIN
    /// address and its secret in hex (for `wasmd keys import-hex`), JSON.
    CosmosKey {
        #[arg(long)]
        label: String,
    },
    /// The intent given as JSON signed with the Cosmos key of `label` as
    /// Keplr's `signArbitrary` does (ADR-036): a `SignedIntent`, JSON.
    SignCosmos {
        #[arg(long)]
        label: String,
        /// the intent, JSON (`OrderIntent`)
        intent: String,
    },
    /// A meter device's ed25519 public key (base64); its seed is SHA-256(label).
    DeviceKey {
        #[arg(long)]
        label: String,
    },
    /// A device-signed meter reading (JSON, as `submit_readings` takes it).
    Reading {
        #[arg(long)]
        label: String,
        /// deployment file (`aip deploy`): chain id and meter-oracle address
        #[arg(long)]
        deployment: PathBuf,
        #[arg(long)]
        meter: u32,
        #[arg(long)]
        slot: u64,
        /// exported energy, Wh
        #[arg(long)]
        wh: u128,
    },
}

fn secret(label: &str) -> [u8; 32] {
    sha2::Sha256::digest(label.as_bytes()).into()
}

fn intent_key(label: &str) -> Result<IntentKey, String> {
    IntentKey::from_bytes(&secret(label)).map_err(|e| e.to_string())
}

fn parse_intent(json: &str) -> Result<OrderIntent, String> {
    serde_json::from_str(json).map_err(|e| format!("bad intent JSON: {e}"))
}

fn device(label: &str) -> DeviceKey {
    DeviceKey::from_seed(sha2::Sha256::digest(label.as_bytes()).into())
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.cmd {
        Cmd::TypedData { intent } => {
            let i = parse_intent(&intent)?;
            let td = order_typed_data(&i).map_err(|e| e.to_string())?;
            println!("{td}");
        }
        Cmd::CosmosKey { label } => {
            let k = intent_key(&label)?;
            let out = serde_json::json!({
                "address": k.address("wasm"),
                "secret_hex": hex::encode(secret(&label)),
            });
            println!("{out}");
        }
        Cmd::SignCosmos { label, intent } => {
            let signed = intent_key(&label)?.sign_cosmos(&parse_intent(&intent)?);
            println!(
                "{}",
                serde_json::to_string(&signed).map_err(|e| e.to_string())?
            );
        }
        Cmd::DeviceKey { label } => println!("{}", device(&label).public_key()),
        Cmd::Reading {
            label,
            deployment,
            meter,
            slot,
            wh,
        } => {
            let d = Deployment::load(&deployment).map_err(|e| e.to_string())?;
            let r = device(&label)
                .reading(&d, meter, slot, wh, 0)
                .map_err(|e| e.to_string())?;
            println!("{r}");
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aip-evm-e2e: {e}");
            ExitCode::FAILURE
        }
    }
}

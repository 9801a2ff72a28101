//! `aip-oracle`: parse the command line, start logging, load the config, run.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking

use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;

use aip_oracle::cli::{Cli, Command};
use aip_oracle::keys::DeviceKeys;
use aip_oracle::queue::Queue;
use aip_oracle::submit::ChainSubmitter;
use aip_oracle::Config;

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Keygen { first, count, out } => {
            let keys = DeviceKeys::generate(first, count)?;
            std::fs::write(&out, keys.to_toml())
                .with_context(|| format!("writing {}", out.display()))?;
            for (meter, pk) in keys.public_keys() {
                println!("{meter} {}", hex::encode(pk));
            }
            Ok(())
        }
        Command::Status { config } => {
            let cfg = Config::load(&config)?;
            let c = Queue::open(&cfg.queue.path)?.counts()?;
            println!(
                "queued {} sending {} done {} rejected {}",
                c.queued, c.sending, c.done, c.rejected
            );
            Ok(())
        }
        Command::Run { config } => {
            let cfg = Config::load(&config)?;
            let keys = match &cfg.keys.file {
                Some(p) => DeviceKeys::load(p)?,
                None => DeviceKeys::default(),
            };
            let signer = match (&cfg.operator_mnemonic_file, &cfg.operator) {
                (Some(file), _) => {
                    let phrase = std::fs::read_to_string(file)
                        .with_context(|| format!("reading {}", file.display()))?;
                    chain_client::Signer::from_mnemonic(phrase.trim(), &cfg.chain.prefix)?
                }
                (None, Some(name)) => chain_client::testnet::signer(name, &cfg.chain.prefix)?,
                (None, None) => {
                    anyhow::bail!("config needs `operator` or `operator_mnemonic_file`")
                }
            };
            let client = chain_client::ChainClient::connect(cfg.chain.clone())
                .await
                .context("connecting to the node")?
                .with_signer(signer);
            let submitter = Arc::new(ChainSubmitter::new(client, cfg.contract.clone())?);
            tracing::info!(operator = submitter.operator(), contract = %cfg.contract, keys = keys.len(), "oracle agent starting");
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            let stats = aip_oracle::run(&cfg, keys, submitter, shutdown).await?;
            tracing::info!(?stats, "stopped");
            Ok(())
        }
    }
}

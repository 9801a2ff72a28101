//! `aip-sentinel`: follow the chain, flag abuse through the reputation guardian.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use aip_sentinel::agent::{Agent, ChainGuardian};
use aip_sentinel::config::Config;
use aip_sentinel::source::ChainSource;
use aip_sentinel::store::Store;
use aip_sentinel::watch::Watch;

/// AIPCHAIN sentinel: explainable anomaly detection, flags through the reputation guardian.
#[derive(Parser)]
#[command(name = "aip-sentinel", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Follow the chain from the stored cursor and flag what the detectors find.
    Run {
        #[arg(long)]
        config: PathBuf,
        /// Stop when caught up with the chain (tests, cron).
        #[arg(long)]
        once: bool,
    },
    /// Run the detectors over an events file (JSON lines, e.g. `aip-sim --attack`'s
    /// events.jsonl) and print every finding with its reason.
    Replay { events: PathBuf },
    /// Print the evidence document behind a flag's hash.
    Evidence {
        #[arg(long)]
        config: PathBuf,
        hash: String,
    },
    /// Grant an appeal: unflag the account on chain and never flag it on the same evidence.
    Clear {
        #[arg(long)]
        config: PathBuf,
        account: String,
    },
}

async fn agent(cfg: &Config) -> Result<Agent<ChainSource, ChainGuardian>> {
    let signer = match (&cfg.guardian_mnemonic_file, &cfg.guardian) {
        (Some(f), _) => {
            let phrase =
                std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
            chain_client::Signer::from_mnemonic(phrase.trim(), &cfg.chain.prefix)?
        }
        (None, Some(name)) => chain_client::testnet::signer(name, &cfg.chain.prefix)?,
        (None, None) => anyhow::bail!("config needs `guardian` or `guardian_mnemonic_file`"),
    };
    let client = chain_client::ChainClient::connect(cfg.chain.clone())
        .await
        .context("connecting to the node")?;
    let source = ChainSource::new(client.clone(), cfg.contracts.clone(), cfg.meters.clone())?;
    let guardian = ChainGuardian {
        client: client.with_signer(signer),
        reputation: cfg.contracts.reputation.clone(),
    };
    let store = Store::open(&cfg.agent.db)?;
    let mut a = Agent::new(
        source,
        guardian,
        store,
        Watch::new(cfg.detect.clone(), cfg.limit.clone()),
    )?;
    a.evidence_dir = Some(cfg.agent.evidence_dir.clone());
    a.start_height = cfg.agent.start_height;
    a.max_blocks = cfg.agent.max_blocks;
    Ok(a)
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().cmd {
        Command::Run { config, once } => {
            let cfg = Config::load(&config)?;
            let mut a = agent(&cfg).await?;
            loop {
                match a.step().await {
                    Ok(p) => {
                        tracing::info!(
                            blocks = p.blocks,
                            events = p.events,
                            flags = p.flagged.len(),
                            deferred = p.deferred,
                            "step"
                        );
                        if p.blocks == 0 {
                            if once {
                                return Ok(());
                            }
                            tokio::time::sleep(std::time::Duration::from_millis(cfg.agent.poll_ms))
                                .await;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "step failed; retrying");
                        if once {
                            return Err(e.into());
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(cfg.agent.poll_ms))
                            .await;
                    }
                }
            }
        }
        Command::Replay { events } => {
            let n = aip_sentinel::replay::replay_file(&events, &mut std::io::stdout())?;
            eprintln!("{n} findings");
            Ok(())
        }
        Command::Evidence { config, hash } => {
            let cfg = Config::load(&config)?;
            let s = Store::open(&cfg.agent.db)?;
            match s.evidence(&hash)? {
                Some(doc) => {
                    println!("{doc}");
                    Ok(())
                }
                None => anyhow::bail!("no evidence with hash {hash}"),
            }
        }
        Command::Clear { config, account } => {
            let cfg = Config::load(&config)?;
            let mut a = agent(&cfg).await?;
            let f = a.clear(&account).await?;
            println!("cleared {account} (was {})", f.reason);
            Ok(())
        }
    }
}

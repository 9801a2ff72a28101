//! `aip-sentinel`: follow the chain, flag abuse through the reputation guardian.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use aip_sentinel::agent::{Agent, ChainGuardian};
use aip_sentinel::config::Config;
use aip_sentinel::detect::DetectConfig;
use aip_sentinel::gateway::GatewayBooks;
use aip_sentinel::ml::MlScorer;
use aip_sentinel::replay::{feature_table, replay_file};
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
    Replay {
        events: PathBuf,
        /// Also the ML scorer (an ONNX isolation forest, e.g. offchain/sentinel/models/iforest.onnx).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Scores below this become `ml` findings.
        #[arg(long, default_value_t = -0.05)]
        threshold: f32,
        /// Detector settings as JSON (`aip-sim --attack`'s detect.json: thresholds,
        /// infrastructure accounts, seeds); default: the built-in thresholds.
        #[arg(long)]
        detect: Option<PathBuf>,
    },
    /// Write the per-account feature table (CSV) of an events file: the ML scorer's training data.
    Features {
        events: PathBuf,
        /// JSON object account -> attack kind (`aip-sim --attack`'s truth.json).
        #[arg(long)]
        truth: Option<PathBuf>,
        /// Detector settings as JSON (see `replay`).
        #[arg(long)]
        detect: Option<PathBuf>,
    },
    /// Print the evidence document behind a flag's hash.
    Evidence {
        #[arg(long)]
        config: PathBuf,
        hash: String,
    },
    /// Serve the evidence and the flags over HTTP for review
    /// (`GET /v1/evidence/{sha256}`, `GET /v1/flags`), read from the store.
    Serve {
        #[arg(long)]
        config: PathBuf,
        /// Address to listen on; port 0 picks a free one (printed on stdout).
        #[arg(long, default_value = "127.0.0.1:8790")]
        listen: String,
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
    let mut source = ChainSource::new(client.clone(), cfg.contracts.clone(), cfg.meters.clone())?;
    if let Some(g) = &cfg.gateway {
        let domain = aip_types::intent::IntentDomain {
            chain_id: cfg.chain.chain_id.clone(),
            contract: cfg.contracts.settlement.clone(),
        };
        source = source.with_gateway(GatewayBooks::new(&g.url, domain)?);
    }
    let guardian = ChainGuardian {
        client: client.with_signer(signer),
        reputation: cfg.contracts.reputation.clone(),
    };
    let store = Store::open(&cfg.agent.db)?;
    let mut a = Agent::new(
        source,
        guardian,
        store,
        Watch::new(cfg.detect_config(), cfg.limit.clone()),
    )?;
    a.evidence_dir = Some(cfg.agent.evidence_dir.clone());
    a.start_height = cfg.agent.start_height;
    a.max_blocks = cfg.agent.max_blocks;
    if let Some(m) = &cfg.ml.model {
        a.scorer = Some(MlScorer::load(m, cfg.ml.threshold)?);
    }
    Ok(a)
}

fn detect_config(path: Option<PathBuf>) -> Result<DetectConfig> {
    let Some(p) = path else {
        return Ok(DetectConfig::default());
    };
    let text = std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not detector settings", p.display()))
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
        Command::Replay {
            events,
            model,
            threshold,
            detect,
        } => {
            let cfg = detect_config(detect)?;
            let mut scorer = match model {
                Some(m) => Some(MlScorer::load(&m, threshold)?),
                None => None,
            };
            let n = replay_file(&events, &cfg, scorer.as_mut(), &mut std::io::stdout())?;
            eprintln!("{n} findings");
            Ok(())
        }
        Command::Features {
            events,
            truth,
            detect,
        } => {
            let cfg = detect_config(detect)?;
            let labels: BTreeMap<String, String> = match truth {
                Some(t) => serde_json::from_str(
                    &std::fs::read_to_string(&t)
                        .with_context(|| format!("reading {}", t.display()))?,
                )
                .with_context(|| format!("{}: expected an object account -> kind", t.display()))?,
                None => BTreeMap::new(),
            };
            let n = feature_table(&events, &cfg, &labels, &mut std::io::stdout())?;
            eprintln!("{n} accounts");
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
        Command::Serve { config, listen } => {
            let cfg = Config::load(&config)?;
            // Fails here, not at the first request, when the store cannot be opened.
            Store::open(&cfg.agent.db)?;
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            println!("listening on {}", listener.local_addr()?);
            axum::serve(listener, aip_sentinel::serve::router(cfg.agent.db.clone())).await?;
            Ok(())
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

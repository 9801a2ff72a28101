//! `aip-matcher`: clears order books offline (files in, files out), makes books from
//! the SimBench data, and runs the ONNX forecasters.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking
use aip_matcher::{clear, simbench, Method, Network, OrderBook};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Instant;

mod report;

#[derive(Parser)]
#[command(
    name = "aip-matcher",
    version,
    about = "AIPCHAIN matcher: forecasts and network-aware clearing"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Re-run a slot's clearing from the gateway's frozen book and check what was
    /// committed: on chain (`--deployment`: the slot's trades, meters, zones and
    /// network from the chain), or a clearing file (`--committed`, `--network`, `--meters`).
    VerifySlot {
        /// frozen book: a file, or the gateway URL `http://HOST:PORT/v1/book/SLOT/frozen`
        #[arg(long)]
        book: String,
        /// deployment file (`aip deploy`): compare with the trades on chain
        #[arg(long, conflicts_with_all = ["network", "meters", "committed", "contract"])]
        deployment: Option<PathBuf>,
        /// CometBFT RPC endpoint with `--deployment` (default: the deployment's)
        #[arg(long, requires = "deployment")]
        rpc: Option<String>,
        /// network JSON (as for `clear`), without `--deployment`
        #[arg(long, required_unless_present = "deployment")]
        network: Option<PathBuf>,
        /// meter → zone JSON object, e.g. `{"42": 3}`, without `--deployment`
        #[arg(long, required_unless_present = "deployment")]
        meters: Option<PathBuf>,
        /// the committed clearing (JSON in `clear`'s output format), without `--deployment`
        #[arg(long, required_unless_present = "deployment")]
        committed: Option<PathBuf>,
        /// chain id the intents must be bound to (default: the deployment's)
        #[arg(long, required_unless_present = "deployment")]
        chain_id: Option<String>,
        /// settlement contract the intents must be bound to, without `--deployment`
        #[arg(long, required_unless_present = "deployment")]
        contract: Option<String>,
        /// the committer's screening record (`run --publish-dir`: a file, or an
        /// `http://` URL), with `--deployment`: its screened-out intents are
        /// re-checked on the chain's state at its height and left out of the re-run
        #[arg(long, requires = "deployment")]
        screening: Option<String>,
        /// allowed relative welfare shortfall of the commit
        #[arg(long, default_value_t = 0.005)]
        tolerance: f64,
    },
    /// Clear one slot: read an order book and a network model (JSON), write the clearing (JSON).
    Clear {
        /// order book JSON (`{"slot": .., "orders": [..]}`)
        #[arg(long)]
        book: PathBuf,
        /// network JSON (`{"zones": [..], "corridors": [..], "loss_price": ..}`)
        #[arg(long)]
        network: PathBuf,
        /// auto, exact, flow or price-only
        #[arg(long, default_value = "auto")]
        method: Method,
        /// output file (default: stdout)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write an order book: a real slot of the SimBench households, or a synthetic one.
    Book {
        /// SimBench export folder
        #[arg(long, default_value_os_t = simbench::default_dir())]
        data: PathBuf,
        /// slot index in the year (0 = 2016-01-01 00:00 UTC); ignored with --synthetic
        #[arg(long, default_value_t = 16_000)]
        slot: usize,
        /// a synthetic book of this many orders on the grid's network instead
        #[arg(long)]
        synthetic: Option<usize>,
        /// share of premium-only offers in a synthetic book
        #[arg(long, default_value_t = 0.0)]
        gated: f64,
        /// random seed for prices and trust
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// output file
        #[arg(long)]
        out: PathBuf,
    },
    /// Measure welfare, losses and time: synthetic books (1k/10k/100k orders) against the
    /// LP optimum, and the real LV grid (a week of real slots) against the price-only baseline.
    Report {
        /// SimBench export folder
        #[arg(long, default_value_os_t = simbench::default_dir())]
        data: PathBuf,
        /// network.json files (e.g. from `data/export_simbench.py --grid CODE`) for the
        /// integrator-book table; each is named by its parent folder or file stem
        #[arg(long = "grid")]
        grids: Vec<PathBuf>,
        /// largest synthetic book to solve with the LP too
        #[arg(long, default_value_t = 10_000)]
        exact_max: usize,
        /// first slot of the real-grid period (default 2016-06-03 00:00 UTC)
        #[arg(long, default_value_t = 14_784)]
        from_slot: usize,
        /// number of real slots (default one week)
        #[arg(long, default_value_t = 672)]
        slots: usize,
        /// write the figures as JSON here too
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Online mode: clear each slot at gate closure from the gateway's frozen book of
    /// signed intents and commit the trades with one `CommitIntents`, signing as the
    /// settlement contract's matcher.
    #[command(group(clap::ArgGroup::new("signer").required(true).args(["mnemonic_file", "key"])))]
    Run {
        /// deployment file written by `aip deploy` (artifacts/deployment.<chain-id>.json)
        #[arg(long)]
        deployment: PathBuf,
        /// CometBFT RPC endpoint (default: the deployment's)
        #[arg(long)]
        rpc: Option<String>,
        /// file holding the matcher key's mnemonic
        #[arg(long)]
        mnemonic_file: Option<PathBuf>,
        /// a localnet test account instead (e.g. `matcher`; public mnemonics, test only)
        #[arg(long)]
        key: Option<String>,
        /// auto, exact, flow or price-only
        #[arg(long, default_value = "auto")]
        method: Method,
        /// seconds between looks at the chain time
        #[arg(long, default_value_t = 2)]
        poll_secs: u64,
        /// run one cycle for this slot (unix seconds) and exit
        #[arg(long)]
        once: Option<u64>,
        /// the order gateway whose frozen books of signed intents the agent clears
        /// (e.g. http://127.0.0.1:8787)
        #[arg(long)]
        gateway: String,
        /// folder where each committed slot's screening record is written
        /// (`screening-<slot>.json`), for `verify-slot --screening`
        #[arg(long)]
        publish_dir: Option<PathBuf>,
    },
    /// Day-ahead forecast of one normalised profile column of data/simbench/profiles.csv.gz.
    #[cfg(feature = "onnx")]
    Forecast {
        /// ONNX model (offchain/matcher/models/load.onnx or pv.onnx)
        #[arg(long)]
        model: PathBuf,
        /// JSON file `{"history": [672 values], "day_start": unix, "lat": .., "lon": ..}`
        #[arg(long)]
        input: PathBuf,
        /// the model forecasts PV (zero at night)
        #[arg(long)]
        pv: bool,
    },
}

fn read_json<T: serde::de::DeserializeOwned>(p: &PathBuf) -> Result<T> {
    let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", p.display()))
}

/// Prints to stdout; a closed pipe (`| head`) is not an error.
fn print_out(s: &str) -> Result<()> {
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{s}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

/// `verify-slot --deployment`: the committed side, meters, zones and network
/// from the chain (no key needed).
fn verify_on_chain(
    deployment: &std::path::Path,
    rpc: Option<String>,
    chain_id: Option<String>,
    frozen: &aip_matcher::verify::FrozenBook,
    screening: Option<&aip_matcher::verify::Screening>,
    tolerance: f64,
) -> Result<aip_matcher::verify::Report> {
    use aip_matcher::online::{Agent, Deployment};
    use chain_client::{ChainClient, ChainConfig};
    let d = Deployment::load(deployment)?;
    let mut cfg = ChainConfig::from_env();
    cfg.rpc_url = rpc.unwrap_or_else(|| d.rpc_url.clone());
    cfg.chain_id = chain_id.unwrap_or_else(|| d.chain_id.clone());
    cfg.prefix = d.prefix.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let agent = Agent::reader(ChainClient::connect(cfg).await?, &d).await?;
        Ok(agent
            .verify_slot(frozen.slot, frozen, screening, tolerance)
            .await?)
    })
}

/// What `aip-matcher run` does once connected.
struct RunMode {
    method: Method,
    poll_secs: u64,
    once: Option<u64>,
    gateway: String,
    publish_dir: Option<PathBuf>,
}

/// `aip-matcher run`: connects, checks the matcher role, then runs the agent until
/// ctrl-c (or one cycle with `--once SLOT`).
fn run_online(
    deployment: &std::path::Path,
    rpc: Option<String>,
    mnemonic_file: Option<&std::path::Path>,
    key: Option<&str>,
    mode: RunMode,
) -> Result<()> {
    let RunMode {
        method,
        poll_secs,
        once,
        gateway,
        publish_dir,
    } = mode;
    use aip_matcher::online::{Agent, Deployment};
    use chain_client::{ChainClient, ChainConfig, Signer};
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let d = Deployment::load(deployment)?;
    let mut cfg = ChainConfig::from_env();
    cfg.rpc_url = rpc.unwrap_or_else(|| d.rpc_url.clone());
    cfg.chain_id = d.chain_id.clone();
    cfg.prefix = d.prefix.clone();
    let signer = match (mnemonic_file, key) {
        (Some(p), _) => {
            let phrase =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Signer::from_mnemonic(phrase.trim(), &d.prefix)?
        }
        (None, Some(name)) => chain_client::testnet::signer(name, &d.prefix)?,
        (None, None) => anyhow::bail!("give --mnemonic-file or --key"),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let chain = ChainClient::connect(cfg).await?.with_signer(signer);
        let mut agent = Agent::new(chain, &d, method).await?.with_gateway(gateway);
        if let Some(dir) = publish_dir {
            agent = agent.with_publish_dir(dir);
        }
        tracing::info!(settlement = %d.address("settlement")?, %method, "matcher agent ready");
        match once {
            Some(slot) => {
                let outcome = agent.cycle(slot).await?;
                print_out(&format!("{outcome:?}"))?;
            }
            None => {
                agent
                    .run(std::time::Duration::from_secs(poll_secs.max(1)), async {
                        let _ = tokio::signal::ctrl_c().await;
                    })
                    .await?
            }
        }
        Ok(())
    })
}

fn main() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::VerifySlot {
            book,
            deployment,
            rpc,
            network,
            meters,
            committed,
            chain_id,
            contract,
            screening,
            tolerance,
        } => {
            let text = aip_matcher::verify::fetch(&book)
                .with_context(|| format!("reading the frozen book {book}"))?;
            let frozen: aip_matcher::verify::FrozenBook =
                serde_json::from_str(&text).context("parsing the frozen book")?;
            let report = match (deployment, network, meters, committed, contract) {
                (Some(d), ..) => {
                    let screening = match screening {
                        Some(src) => {
                            let text = aip_matcher::verify::fetch(&src)
                                .with_context(|| format!("reading the screening record {src}"))?;
                            Some(
                                serde_json::from_str(&text)
                                    .context("parsing the screening record")?,
                            )
                        }
                        None => None,
                    };
                    verify_on_chain(&d, rpc, chain_id, &frozen, screening.as_ref(), tolerance)?
                }
                (None, Some(network), Some(meters), Some(committed), Some(contract)) => {
                    let network: Network = read_json(&network)?;
                    let meters: std::collections::HashMap<u32, u32> = read_json(&meters)?;
                    let committed: aip_matcher::Clearing = read_json(&committed)?;
                    let chain_id = chain_id.context("--chain-id is required")?;
                    let domain = aip_types::intent::IntentDomain { chain_id, contract };
                    aip_matcher::verify::verify_slot(
                        &frozen, &domain, &meters, &network, &committed, tolerance,
                    )?
                }
                _ => anyhow::bail!(
                    "give --deployment, or all of --network, --meters, --committed, --contract"
                ),
            };
            print_out(&serde_json::to_string_pretty(&report)?)?;
        }
        Cmd::Clear {
            book,
            network,
            method,
            out,
        } => {
            let book: OrderBook = read_json(&book)?;
            let network: Network = read_json(&network)?;
            let t = Instant::now();
            let c = clear(&book, &network, method)?;
            eprintln!(
                "{} orders, method {}: {} trades, {} Wh traded, welfare {:.1} uaip, losses {:.1} Wh, {:.1} ms",
                book.orders.len(),
                c.method,
                c.trades.len(),
                c.traded_wh,
                c.welfare,
                c.losses_wh,
                t.elapsed().as_secs_f64() * 1e3
            );
            let json = serde_json::to_string_pretty(&c)?;
            match out {
                Some(p) => {
                    std::fs::write(&p, json).with_context(|| format!("writing {}", p.display()))?
                }
                None => print_out(&json)?,
            }
        }
        Cmd::Book {
            data,
            slot,
            synthetic,
            gated,
            seed,
            out,
        } => {
            let book = match synthetic {
                Some(n) => {
                    simbench::synthetic_book(n, &simbench::load_network(&data)?, seed, gated)
                }
                None => {
                    let grid = simbench::load_grid(&data)?;
                    let profiles = simbench::load_profiles(&data)?;
                    anyhow::ensure!(
                        slot < grid.slots,
                        "slot {slot} is beyond the {} slots of the year",
                        grid.slots
                    );
                    simbench::book_for_slot(&grid, &profiles, slot, seed)
                }
            };
            std::fs::write(&out, serde_json::to_string_pretty(&book)?)
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!("{} orders -> {}", book.orders.len(), out.display());
        }
        Cmd::Report {
            data,
            grids,
            exact_max,
            from_slot,
            slots,
            json,
        } => {
            let grids = grids
                .iter()
                .map(|p| report::load_named_network(p))
                .collect::<Result<Vec<_>>>()?;
            report::run(&data, &grids, exact_max, from_slot, slots, json.as_deref())?
        }
        Cmd::Run {
            deployment,
            rpc,
            mnemonic_file,
            key,
            method,
            poll_secs,
            once,
            gateway,
            publish_dir,
        } => run_online(
            &deployment,
            rpc,
            mnemonic_file.as_deref(),
            key.as_deref(),
            RunMode {
                method,
                poll_secs,
                once,
                gateway,
                publish_dir,
            },
        )?,
        #[cfg(feature = "onnx")]
        Cmd::Forecast { model, input, pv } => {
            #[derive(serde::Deserialize)]
            struct Input {
                history: Vec<f32>,
                day_start: u64,
                lat: f64,
                lon: f64,
            }
            let i: Input = read_json(&input)?;
            let mut f = aip_matcher::Forecaster::load(&model)?;
            let kind = if pv {
                aip_matcher::forecast::Kind::Pv
            } else {
                aip_matcher::forecast::Kind::Load
            };
            let out = f.forecast_day(kind, &i.history, i.day_start, i.lat, i.lon)?;
            print_out(&serde_json::to_string(&out)?)?;
        }
    }
    Ok(())
}

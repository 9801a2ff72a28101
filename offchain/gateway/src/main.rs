//! `aip-gateway`: the order gateway binary.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking

use std::path::PathBuf;
use std::sync::Arc;

use aip_types::SLOT_SECONDS;
use anyhow::Context;
use clap::Parser;
use gateway::{
    offset_clock, serve, system_clock, BalanceConfig, BalanceSource, ChainBalance, Config,
    FixedBalance, ForecastService, Gateway,
};

/// AIPCHAIN order gateway: signed intents in, durable per-slot books out.
#[derive(Parser, Debug)]
#[command(name = "aip-gateway", version)]
struct Cli {
    /// TOML configuration file (see the crate README for every field).
    #[arg(long, short, env = "AIP_GATEWAY_CONFIG")]
    config: PathBuf,
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let cfg = Config::load(&cli.config)?;
    let balance: Arc<dyn BalanceSource> = match cfg.balance {
        BalanceConfig::Fixed(free) => Arc::new(FixedBalance::new(u128::from(free))),
        BalanceConfig::Chain => {
            let client = chain_client::ChainClient::connect(cfg.chain.clone())
                .await
                .context("connecting to the chain for balances")?;
            Arc::new(ChainBalance::new(client, cfg.contract.clone()))
        }
    };
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| format!("binding {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let clock = match &cfg.test_clock_offset_file {
        Some(file) => offset_clock(file.clone()),
        None => system_clock(),
    };
    let forecast = match &cfg.forecast {
        Some(f) => {
            let (f, now) = (f.clone(), clock() / 1000);
            // Slots asked for start after the gate and run `max_slots` on.
            let ahead = cfg
                .gate_closure_seconds
                .saturating_add(SLOT_SECONDS.saturating_mul(f.max_slots as u64 + 1));
            let service =
                tokio::task::spawn_blocking(move || ForecastService::load(&f, now, ahead))
                    .await
                    .context("loading the forecast data and models")??;
            tracing::info!(
                slot_offset_seconds = service.slot_offset_seconds(),
                "household forecasts served at /v1/forecast/{{meter}}"
            );
            Some(Arc::new(service))
        }
        None => None,
    };
    let gw = Gateway::with_forecast(cfg, balance, clock, forecast)?;
    // The one line on stdout: tests and scripts read the bound address here.
    println!("listening on {addr}");
    tracing::info!(%addr, "aip-gateway listening");
    serve(listener, gw, shutdown_signal()).await?;
    tracing::info!("stopped; every acknowledged intent is committed");
    Ok(())
}

//! `aip`: see `aip --help`.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AIP_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    aip_cli::cli::run(aip_cli::cli::Cli::parse()).await?;
    Ok(())
}

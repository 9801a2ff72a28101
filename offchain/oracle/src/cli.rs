//! Command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The AIPCHAIN oracle agent.
#[derive(Debug, Parser)]
#[command(name = "aip-oracle", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read the sources, queue and submit readings until ctrl-c (or until done
    /// with `submit.exit_when_done`).
    Run {
        /// Config file (TOML).
        #[arg(short, long, default_value = "oracle.toml")]
        config: PathBuf,
    },
    /// Generate device keys for meters `first..first+count` (simulation) and
    /// print their public keys (hex) for registration.
    Keygen {
        /// First meter id.
        #[arg(long, default_value_t = 1)]
        first: u32,
        /// How many meters.
        #[arg(long)]
        count: u32,
        /// Where to write the seeds (TOML; keep secret).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the queue's counts by state.
    Status {
        /// Config file (TOML).
        #[arg(short, long, default_value = "oracle.toml")]
        config: PathBuf,
    },
}

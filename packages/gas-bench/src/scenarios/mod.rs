//! Benchmark scenarios, one per contract. Each loads the artifacts it needs,
//! drives the contract through a realistic sequence and returns the measured rows.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use cosmwasm_std::Checksum;

use crate::chain::Chain;
use crate::report::Row;

pub mod intents;
pub mod market;
pub mod meter_oracle;
pub mod token;
pub mod zk;

/// Where the artifacts are; records which ones a scenario loaded.
pub struct Ctx {
    /// The folder with the optimized `.wasm` artifacts.
    pub artifacts: PathBuf,
    /// (file name, bytes, sha256 hex) of every artifact stored so far.
    pub loaded: std::cell::RefCell<Vec<(String, u64, String)>>,
}

impl Ctx {
    /// The path of `artifacts/<name>.wasm`, or an error telling how to build it.
    pub fn artifact(&self, name: &str) -> Result<PathBuf> {
        let p = self.artifacts.join(format!("{name}.wasm"));
        if !p.exists() {
            bail!(
                "{} is missing: run `ci/build-wasm.sh {name}` first",
                p.display()
            );
        }
        Ok(p)
    }

    /// A context for the artifacts in `dir`.
    pub fn new(dir: PathBuf) -> Self {
        Ctx {
            artifacts: dir,
            loaded: Default::default(),
        }
    }

    /// Stores `artifacts/<name>.wasm` on the chain.
    pub fn store(&self, chain: &Chain, name: &str) -> Result<Checksum> {
        let path = self.artifact(name)?;
        let checksum = chain.store_code_file(&path)?;
        let bytes = std::fs::metadata(&path)?.len();
        let file = format!("{name}.wasm");
        let mut loaded = self.loaded.borrow_mut();
        if !loaded.iter().any(|(f, _, _)| *f == file) {
            loaded.push((file, bytes, checksum.to_hex()));
        }
        Ok(checksum)
    }

    /// Forgets the recorded artifacts (between scenarios).
    pub fn take_loaded(&self) -> Vec<(String, u64, String)> {
        std::mem::take(&mut *self.loaded.borrow_mut())
    }
}

/// A measured scenario: its rows, and the markdown it renders to.
pub struct Measured {
    /// Marker name in docs/benchmarks.md.
    pub name: &'static str,
    /// Section title in docs/benchmarks.md.
    pub title: &'static str,
    /// The command that reproduces the figures.
    pub command: String,
    /// What the scenario does, in a sentence or two.
    pub setup: String,
    /// The measured calls.
    pub rows: Vec<Row>,
    /// (file name, bytes, sha256 hex) of the artifacts measured; filled by [`run`].
    pub artifacts: Vec<(String, u64, String)>,
}

impl Measured {
    /// Markdown: command, setup, table, notes.
    pub fn markdown(&self) -> String {
        format!(
            "Command: `{}` (cosmwasm-vm 3.0.10 on the optimized artifacts: {}).\n\n{}\n\n{}\n{}\nWhere the gas goes:\n\n{}",
            self.command,
            self.artifacts
                .iter()
                .map(|(f, bytes, sha)| format!(
                    "`{f}` {} bytes, sha256 {}…",
                    crate::report::thousands(*bytes),
                    sha.get(..12).unwrap_or(sha)
                ))
                .collect::<Vec<_>>()
                .join(", "),
            self.setup.trim(),
            crate::report::gas_table(&self.rows),
            crate::report::gas_notes(),
            crate::report::details_table(&self.rows)
        )
    }
}

/// Paths relative to the repository root for the docs.
pub fn display_path(p: &Path) -> String {
    p.display().to_string()
}

/// Every scenario, in the order `all` runs them.
pub const ALL: &[&str] = &["token", "intents", "meter-oracle", "zk"];

/// Runs one scenario by name.
pub fn run(ctx: &Ctx, name: &str) -> Result<Measured> {
    ctx.take_loaded();
    let mut measured = match name {
        "token" | "aip-token" => token::run(ctx),
        "intents" => intents::run(ctx),
        "meter-oracle" => meter_oracle::run(ctx),
        "zk" | "zk-verifier" => zk::run(ctx),
        other => bail!("unknown scenario {other}; known: {}", ALL.join(", ")),
    }?;
    measured.artifacts = ctx.take_loaded();
    Ok(measured)
}

//! `aip-kyc`: the KYC provider's tree, user identities, Groth16 setup and proofs.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = aip_kyc::cli::Cli::parse();
    let out = aip_kyc::run(cli)?;
    if !out.is_empty() {
        println!("{out}");
    }
    Ok(())
}

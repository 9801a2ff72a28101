//! The AIPCHAIN simulation on the in-process chain.

use aip_testing::{Deployment, DeploymentConfig};
use anyhow::{ensure, Result};

/// Deploys the contracts and walks a mint, a transfer and a send of AIP,
/// returning a human-readable transcript. Checks token conservation at the end.
pub fn run_token_demo() -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut d = Deployment::new(&DeploymentConfig::default())?;
    out.push(format!("deployed aip-token at {}", d.token));
    let (alice, bob) = (d.addr("alice"), d.addr("bob"));

    d.mint(&alice, 5_000_000)?;
    out.push(format!("mint     5.000000 AIP -> alice ({alice})"));
    d.transfer(&alice, &bob, 1_250_000)?;
    out.push("transfer 1.250000 AIP alice -> bob".to_string());

    let supply = d.total_supply()?;
    let held = d.balance(&alice)? + d.balance(&bob)?;
    out.push(format!(
        "balances alice {} uaip, bob {} uaip; supply {} uaip",
        d.balance(&alice)?,
        d.balance(&bob)?,
        supply
    ));
    ensure!(supply == held, "conservation broken: supply {supply} != held {held}");
    Ok(out)
}

//! `aip-sim`: the README's main job. Deploys every AIPCHAIN contract on an
//! in-process chain (cw-multi-test) and runs the market on it.

use anyhow::Result;

fn main() -> Result<()> {
    let transcript = aip_sim::run_token_demo()?;
    for line in transcript {
        println!("{line}");
    }
    Ok(())
}

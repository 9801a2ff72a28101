//! `aip-sentinel`: follow the chain, flag abuse through the reputation guardian.

fn main() -> anyhow::Result<()> {
    Ok(())
}

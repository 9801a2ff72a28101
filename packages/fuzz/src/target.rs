//! The contracts under test and their schemas, read at run time from the
//! committed `schema/<contract>/<contract>.json` (the `write_api!` output).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

/// A contract of the deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// The AIP CW20.
    Token,
    /// Order book, escrow, settlement.
    Settlement,
    /// Soulbound reputation CW721.
    Reputation,
    /// Meter registry and readings.
    MeterOracle,
    /// Groth16 KYC verifier.
    ZkVerifier,
}

impl Target {
    /// Every contract, in deployment order.
    pub const ALL: [Target; 5] = [
        Target::Token,
        Target::Settlement,
        Target::Reputation,
        Target::MeterOracle,
        Target::ZkVerifier,
    ];

    /// The contract's crate name, also its schema folder.
    pub fn name(self) -> &'static str {
        match self {
            Target::Token => "aip-token",
            Target::Settlement => "settlement",
            Target::Reputation => "reputation",
            Target::MeterOracle => "meter-oracle",
            Target::ZkVerifier => "zk-verifier",
        }
    }

    /// The target named `name` (crate name).
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// The message schemas of one contract.
#[derive(Debug, Clone)]
pub struct ContractSchema {
    /// `ExecuteMsg`.
    pub execute: Value,
    /// `QueryMsg`.
    pub query: Value,
    /// `MigrateMsg`.
    pub migrate: Value,
    /// The payload of its cw20 hook (`receive`), when it has one.
    pub hook: Option<Value>,
}

impl ContractSchema {
    /// True when the execute message has a cw20 `receive` variant.
    pub fn has_receive(&self) -> bool {
        self.execute
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|alts| {
                alts.iter().any(|a| {
                    a.get("required")
                        .and_then(Value::as_array)
                        .is_some_and(|r| r.iter().any(|k| k == "receive"))
                })
            })
    }
}

/// The committed schema folder of this repository.
pub fn default_schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema")
}

/// The schema of the payload a contract expects inside a cw20 `Send`: the
/// committed schemas describe `receive` only as an opaque `Binary`, so it is
/// derived from the contract's own `ReceiveMsg` type.
fn hook_schema(t: Target) -> Result<Option<Value>> {
    Ok(match t {
        Target::Settlement => Some(serde_json::to_value(cosmwasm_schema::schema_for!(
            settlement::msg::ReceiveMsg
        ))?),
        _ => None,
    })
}

/// Reads `dir/<contract>/<contract>.json` and picks its message schemas.
pub fn load(dir: &Path, t: Target) -> Result<ContractSchema> {
    let path = dir.join(t.name()).join(format!("{}.json", t.name()));
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
    let api: Value =
        serde_json::from_str(&text).with_context(|| format!("parse {}", path.display()))?;
    let part = |k: &str| -> Result<Value> {
        api.get(k)
            .filter(|v| !v.is_null())
            .cloned()
            .with_context(|| format!("{} has no `{k}` schema", path.display()))
    };
    Ok(ContractSchema {
        execute: part("execute")?,
        query: part("query")?,
        migrate: part("migrate")?,
        hook: hook_schema(t)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_committed_schema_loads_and_settlement_has_its_hook() {
        for t in Target::ALL {
            let s = load(&default_schema_dir(), t).unwrap();
            assert!(s.execute.get("oneOf").is_some(), "{}", t.name());
            assert_eq!(Target::from_name(t.name()), Some(t));
            assert_eq!(s.has_receive(), t == Target::Settlement, "{}", t.name());
        }
        let hook = load(&default_schema_dir(), Target::Settlement)
            .unwrap()
            .hook
            .unwrap();
        assert!(hook.to_string().contains("deposit"));
    }
}

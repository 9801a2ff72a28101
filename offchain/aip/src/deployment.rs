//! The deployment file: what `aip deploy` wrote, read by the agents and the dApp.
//!
//! ```json
//! {
//!   "chain_id": "aip-localnet-1",
//!   "rpc_url": "http://127.0.0.1:26757",
//!   "prefix": "wasm",
//!   "deployer": "wasm1…",
//!   "codes": { "aip-token": { "code_id": 1, "checksum": "<sha256 hex>" } },
//!   "contracts": { "aip-token": { "address": "wasm1…", "code_id": 1, "label": "aipchain aip-token" } },
//!   "roles": { "grid_operator": "wasm1…", "matcher": "wasm1…", … }
//! }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A stored code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRecord {
    /// Code id on chain.
    pub code_id: u64,
    /// sha256 of the wasm (lower-case hex), as wasmd reports it.
    pub checksum: String,
}

/// An instantiated contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractRecord {
    /// Its address.
    pub address: String,
    /// The code it was instantiated from.
    pub code_id: u64,
    /// Its label.
    pub label: String,
}

/// Everything deployed on one chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// Chain id.
    pub chain_id: String,
    /// RPC endpoint used for the deployment.
    pub rpc_url: String,
    /// Bech32 prefix.
    pub prefix: String,
    /// Who deployed (the contracts' admin).
    pub deployer: String,
    /// Stored codes by contract name (the artifact's file stem).
    pub codes: BTreeMap<String, CodeRecord>,
    /// Instantiated contracts by name.
    pub contracts: BTreeMap<String, ContractRecord>,
    /// Accounts holding roles (`admin`, `grid_operator`, `matcher`, `oracle`, ...).
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
}

impl Deployment {
    /// The default file of a chain: `artifacts/deployment.<chain_id>.json`.
    pub fn default_path(chain_id: &str) -> PathBuf {
        PathBuf::from(format!("artifacts/deployment.{chain_id}.json"))
    }

    /// Reads a deployment file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| Error::BadDeploymentFile {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads `path` if it exists.
    pub fn load_optional(path: &Path) -> Result<Option<Self>> {
        if path.exists() {
            Self::load(path).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Writes the file atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("json.tmp");
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        std::fs::write(&tmp, text).map_err(|source| Error::Io {
            path: tmp.clone(),
            source,
        })?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Address of contract `name`.
    pub fn address(&self, name: &str) -> Result<&str> {
        self.contracts
            .get(name)
            .map(|c| c.address.as_str())
            .ok_or_else(|| Error::UnknownContract {
                name: name.to_string(),
                known: self
                    .contracts
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployment_survives_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/deployment.json");
        let mut d = Deployment {
            chain_id: "c".into(),
            ..Deployment::default()
        };
        d.codes.insert(
            "aip-token".into(),
            CodeRecord {
                code_id: 1,
                checksum: "ab".into(),
            },
        );
        d.contracts.insert(
            "aip-token".into(),
            ContractRecord {
                address: "wasm1x".into(),
                code_id: 1,
                label: "l".into(),
            },
        );
        d.save(&path).unwrap();
        assert_eq!(Deployment::load(&path).unwrap(), d);
        assert_eq!(d.address("aip-token").unwrap(), "wasm1x");
        assert_eq!(
            d.address("nope").unwrap_err().to_string(),
            "unknown contract \"nope\"; deployed: aip-token"
        );
    }

    #[test]
    fn malformed_files_are_refused_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.json");
        std::fs::write(&path, "{\"chain\": 1}").unwrap();
        let err = Deployment::load(&path).unwrap_err().to_string();
        assert!(err.contains("d.json: not a deployment file"), "{err}");
        assert!(Deployment::load_optional(&dir.path().join("none.json"))
            .unwrap()
            .is_none());
    }
}

//! The deployment file: what `aip deploy` writes and every agent reads — the
//! one type of `artifacts/deployment.<chain_id>.json`.
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
//!
//! [`Deployment::load`] reads it with one error per cause
//! ([`DeploymentError`]): a missing or unreadable file, a file that is not a
//! deployment, and [`Deployment::address`] a contract the deployment lacks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What can go wrong reading or writing a deployment file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeploymentError {
    /// The file could not be read or written (missing, unreadable, ...).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not JSON of a deployment.
    #[error("{path}: not a deployment file: {source}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A contract name the deployment does not know.
    #[error("unknown contract {name:?}; deployed: {known}")]
    UnknownContract {
        /// The name asked for.
        name: String,
        /// The names known, comma-separated.
        known: String,
    },
}

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
    pub fn load(path: &Path) -> Result<Self, DeploymentError> {
        let text = std::fs::read_to_string(path).map_err(|source| DeploymentError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| DeploymentError::Malformed {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads `path` if it exists.
    pub fn load_optional(path: &Path) -> Result<Option<Self>, DeploymentError> {
        if path.exists() {
            Self::load(path).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Writes the file atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<(), DeploymentError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DeploymentError::Io { path, source }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let tmp = path.with_extension("json.tmp");
        let mut text =
            serde_json::to_string_pretty(self).map_err(|source| DeploymentError::Malformed {
                path: path.to_path_buf(),
                source,
            })?;
        text.push('\n');
        std::fs::write(&tmp, text).map_err(io(&tmp))?;
        std::fs::rename(&tmp, path).map_err(io(path))
    }

    /// Address of contract `name`.
    pub fn address(&self, name: &str) -> Result<&str, DeploymentError> {
        self.contracts
            .get(name)
            .map(|c| c.address.as_str())
            .ok_or_else(|| DeploymentError::UnknownContract {
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

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "chain-client-deployment-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_deployment_survives_a_save_and_load() {
        let dir = tempdir("roundtrip");
        let path = dir.join("sub/deployment.json");
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
        assert!(!path.with_extension("json.tmp").exists());
        assert_eq!(d.address("aip-token").unwrap(), "wasm1x");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let dir = tempdir("missing");
        let missing = dir.join("none.json");
        let e = Deployment::load(&missing).unwrap_err();
        assert!(matches!(e, DeploymentError::Io { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with(&format!("{}: ", missing.display())),
            "{e}"
        );
        assert!(Deployment::load_optional(&missing).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_json_and_foreign_files_are_refused_with_the_path() {
        let dir = tempdir("bad");
        let bad = dir.join("bad.json");
        std::fs::write(&bad, "{").unwrap();
        let e = Deployment::load(&bad).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}: not a deployment file: EOF", bad.display())),
            "{e}"
        );
        let foreign = dir.join("foreign.json");
        std::fs::write(&foreign, "{\"chain\": 1}").unwrap();
        let e = Deployment::load(&foreign).unwrap_err().to_string();
        assert!(e.contains("foreign.json: not a deployment file"), "{e}");
        // load_optional does not hide a malformed file.
        assert!(Deployment::load_optional(&foreign).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_contract_lists_the_deployed_ones() {
        let text = r#"{"chain_id":"c","rpc_url":"http://x","prefix":"wasm","deployer":"d","codes":{},
            "contracts":{"settlement":{"address":"wasm1s","code_id":1,"label":"l"},
                         "aip-token":{"address":"wasm1t","code_id":2,"label":"t"}}}"#;
        let d: Deployment = serde_json::from_str(text).unwrap();
        assert!(d.roles.is_empty());
        assert_eq!(d.address("settlement").unwrap(), "wasm1s");
        assert_eq!(
            d.address("reputation").unwrap_err().to_string(),
            "unknown contract \"reputation\"; deployed: aip-token, settlement"
        );
    }
}

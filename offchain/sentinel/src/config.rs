//! The agent's configuration (TOML). Every section has defaults; unknown
//! fields are refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chain_client::ChainConfig;
use serde::{Deserialize, Serialize};

use crate::detect::DetectConfig;
use crate::source::{Contracts, MeterData};
use crate::watch::RateLimit;
use crate::{Error, Result};

/// `aip-sentinel run --config <file>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The contracts to follow.
    pub contracts: Contracts,
    /// Guardian key: a localnet test account name (`chain_client::testnet`) ...
    #[serde(default)]
    pub guardian: Option<String>,
    /// ... or a file holding its mnemonic.
    #[serde(default)]
    pub guardian_mnemonic_file: Option<PathBuf>,
    /// The node.
    #[serde(default)]
    pub chain: ChainConfig,
    /// The store, evidence folder and polling.
    #[serde(default)]
    pub agent: AgentConfig,
    /// Detector thresholds.
    #[serde(default)]
    pub detect: DetectConfig,
    /// Flag limits.
    #[serde(default)]
    pub limit: RateLimit,
    /// Meters' physical data by owner account (the grid operator's register).
    #[serde(default)]
    pub meters: BTreeMap<String, MeterData>,
    /// The ML scorer (off without a model).
    #[serde(default)]
    pub ml: MlConfig,
    /// The order gateway whose frozen books give the orders (signed
    /// intents); None: orders only from settlement's order events.
    #[serde(default)]
    pub gateway: Option<GatewayConfig>,
}

/// Where the gateway serves its frozen books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// `http://host:port` (`aip-gateway`'s `listen`).
    pub url: String,
}

/// The ML scorer's model and threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MlConfig {
    /// The ONNX isolation forest (`offchain/sentinel/models/iforest.onnx`); None: off.
    pub model: Option<PathBuf>,
    /// Scores below this become `ml` findings (`models/iforest.metrics.json`'s threshold).
    pub threshold: f32,
}

impl Default for MlConfig {
    fn default() -> Self {
        MlConfig {
            model: None,
            threshold: -0.05,
        }
    }
}

/// Where the agent keeps its state and how often it polls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentConfig {
    /// The SQLite store.
    pub db: PathBuf,
    /// Evidence documents, `<sha256>.json`.
    pub evidence_dir: PathBuf,
    /// First block to read on a fresh store.
    pub start_height: u64,
    /// Pause between polls when caught up, ms.
    pub poll_ms: u64,
    /// Most blocks per step.
    pub max_blocks: u64,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            db: "sentinel.db".into(),
            evidence_dir: "evidence".into(),
            start_height: 1,
            poll_ms: 2_000,
            max_blocks: 100,
        }
    }
}

impl Config {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text)
    }

    /// Parses and checks a config.
    pub fn parse(text: &str) -> Result<Config> {
        let c: Config = toml::from_str(text).map_err(|e| Error::Config(e.to_string()))?;
        if c.guardian.is_none() && c.guardian_mnemonic_file.is_none() {
            return Err(Error::Config(
                "needs `guardian` (a test account name) or `guardian_mnemonic_file`".into(),
            ));
        }
        if !(0.0..=1.0).contains(&c.limit.max_share) {
            return Err(Error::Config(format!(
                "limit.max_share {} is not a share in 0..=1",
                c.limit.max_share
            )));
        }
        Ok(c)
    }

    /// The detector settings the agent runs with: `[detect]`, with every
    /// contract of `[contracts]` added to the infrastructure. Settlement pays
    /// out and refunds everyone and the token mints: as funders they would
    /// link every participant to every other.
    pub fn detect_config(&self) -> DetectConfig {
        let mut d = self.detect.clone();
        let c = &self.contracts;
        d.infrastructure.extend(
            [&c.token, &c.settlement, &c.reputation]
                .into_iter()
                .chain(c.meter_oracle.iter())
                .chain(c.zk_verifier.iter())
                .cloned(),
        );
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = r#"
guardian = "validator"
[contracts]
token = "t"
settlement = "s"
reputation = "r"
"#;

    #[test]
    fn a_minimal_config_takes_the_defaults() {
        let c = Config::parse(MIN).unwrap();
        assert_eq!(c.agent, AgentConfig::default());
        assert_eq!(c.detect, DetectConfig::default());
        assert_eq!(c.limit, RateLimit::default());
    }

    #[test]
    fn the_contracts_are_infrastructure() {
        let c = Config::parse(&format!(
            "{MIN}meter_oracle = \"m\"\n[detect]\ninfrastructure = [\"minter\"]\n"
        ))
        .unwrap();
        let d = c.detect_config();
        let infra: Vec<&str> = d.infrastructure.iter().map(String::as_str).collect();
        assert_eq!(infra, ["m", "minter", "r", "s", "t"]);
        // Everything else is `[detect]` as written.
        assert_eq!(
            DetectConfig {
                infrastructure: c.detect.infrastructure.clone(),
                ..d
            },
            c.detect
        );
    }

    #[test]
    fn bad_configs_say_what_is_wrong() {
        let e = Config::parse(&format!("{MIN}\n[detect]\nwash_min_trades = 2\n")).unwrap_err();
        assert!(
            e.to_string().contains("unknown field `wash_min_trades`"),
            "{e}"
        );
        let e =
            Config::parse("[contracts]\ntoken = \"t\"\nsettlement = \"s\"\nreputation = \"r\"\n")
                .unwrap_err();
        assert_eq!(
            e.to_string(),
            "config: needs `guardian` (a test account name) or `guardian_mnemonic_file`"
        );
        let e = Config::parse(&format!("{MIN}\n[limit]\nmax_share = 2.0\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "config: limit.max_share 2 is not a share in 0..=1"
        );
    }
}

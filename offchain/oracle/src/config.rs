//! The agent's configuration file (TOML). Unknown keys are errors; every key
//! has a documented default, so a file names only what differs.
//!
//! ```toml
//! # oracle.toml
//! contract = "wasm1…"                 # meter-oracle address (required)
//! chain_id = "aip-localnet-1"          # signed into every reading (default: chain.chain_id)
//! operator = "alice"                    # testnet account name, or
//! # operator_mnemonic_file = "op.mnemonic"
//!
//! [chain]                               # chain-client settings (defaults: the localnet)
//! rpc_url = "http://127.0.0.1:26757"
//!
//! [queue]
//! path = "oracle-queue.sqlite"          # default
//!
//! [submit]
//! batch_size = 200                      # readings per transaction (default 200, max 500)
//! min_slot_age_secs = 5                 # wait this long after a slot ends (default 5)
//! backoff_initial_ms = 500              # first retry delay while the node is down (default 500)
//! backoff_max_ms = 30000                # cap of the doubling delay (default 30000)
//! progress_secs = 5                     # progress line interval (default 5)
//! exit_when_done = false                # stop once every source ended and the queue is empty
//!
//! [keys]
//! file = "device-keys.toml"             # meter id -> 32-byte seed (hex); optional
//!
//! [[source]]
//! kind = "profiles"                     # SimBench households_wh.csv(.gz)
//! path = "data/simbench/households_wh.csv.gz"
//! first_meter = 1                       # household i is meter first_meter + i (default 1)
//! households = 10                       # default: all in the file
//! slots = 96                            # default: all rows
//! scale = 1.0                           # default 1.0
//!
//! [[source]]
//! kind = "mqtt"
//! host = "127.0.0.1"                    # default
//! port = 1883                           # default
//! topic = "aip/readings"                # default
//! client_id = "aip-oracle"              # default
//!
//! [[source]]
//! kind = "file"                         # JSON lines, see `reading::ReadingJson`
//! path = "readings.jsonl"
//!
//! [[source]]
//! kind = "csv"                          # slot,meter,exported_wh,imported_wh[,signature]
//! path = "readings.csv"
//! ```

use std::path::{Path, PathBuf};

use chain_client::ChainConfig;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The whole configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address of the meter-oracle contract.
    pub contract: String,
    /// Chain id signed into readings; defaults to `chain.chain_id`.
    #[serde(default)]
    pub chain_id: Option<String>,
    /// Testnet account name of the operator key (see chain-client `testnet`).
    #[serde(default)]
    pub operator: Option<String>,
    /// File holding the operator's mnemonic (wins over `operator`).
    #[serde(default)]
    pub operator_mnemonic_file: Option<PathBuf>,
    /// Node connection (chain-client).
    #[serde(default)]
    pub chain: ChainConfig,
    /// Durable queue.
    #[serde(default)]
    pub queue: QueueConfig,
    /// Submission behaviour.
    #[serde(default)]
    pub submit: SubmitConfig,
    /// Device keys held by this agent.
    #[serde(default)]
    pub keys: KeysConfig,
    /// Where readings come from.
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceConfig>,
}

/// `[queue]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// SQLite file. Default `oracle-queue.sqlite`.
    pub path: PathBuf,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            path: PathBuf::from("oracle-queue.sqlite"),
        }
    }
}

/// `[submit]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubmitConfig {
    /// Readings per transaction. Default 200, at most 500 (the contract's limit).
    pub batch_size: usize,
    /// Seconds to wait after a slot ends before submitting it. Default 5.
    pub min_slot_age_secs: u64,
    /// First delay after a failed submission, ms. Default 500.
    pub backoff_initial_ms: u64,
    /// Largest delay, ms. Default 30,000.
    pub backoff_max_ms: u64,
    /// Seconds between progress lines. Default 5.
    pub progress_secs: u64,
    /// Exit once every source has ended and nothing is left to send. Default false.
    pub exit_when_done: bool,
}

impl Default for SubmitConfig {
    fn default() -> Self {
        SubmitConfig {
            batch_size: 200,
            min_slot_age_secs: 5,
            backoff_initial_ms: 500,
            backoff_max_ms: 30_000,
            progress_secs: 5,
            exit_when_done: false,
        }
    }
}

/// `[keys]`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeysConfig {
    /// TOML file mapping meter ids to device seeds (`"12" = "<64 hex digits>"`).
    pub file: Option<PathBuf>,
}

/// One `[[source]]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceConfig {
    /// Replay of SimBench household energy (`households_wh.csv[.gz]`: column
    /// `slot`, then `load_<i>` and `pv_<i>` in Wh per slot). Per slot and
    /// household the meter reads imported = max(load − pv, 0) and
    /// exported = max(pv − load, 0), times `scale`.
    Profiles {
        /// The CSV file (gzip if it ends in `.gz`).
        path: PathBuf,
        /// Meter id of household 0. Default 1.
        #[serde(default = "one")]
        first_meter: u32,
        /// Households to replay (the first N). Default: all.
        #[serde(default)]
        households: Option<usize>,
        /// Rows (slots) to replay. Default: all.
        #[serde(default)]
        slots: Option<usize>,
        /// Factor on every value. Default 1.0.
        #[serde(default = "unit")]
        scale: f64,
    },
    /// Readings CSV with header `slot,meter,exported_wh,imported_wh[,signature]`.
    Csv {
        /// The file.
        path: PathBuf,
    },
    /// JSON lines of [`crate::reading::ReadingJson`].
    File {
        /// The file.
        path: PathBuf,
    },
    /// An MQTT topic whose messages are [`crate::reading::ReadingJson`]. A
    /// message is acknowledged (QoS 1) only after it is in the queue.
    Mqtt {
        /// Broker host. Default `127.0.0.1`.
        #[serde(default = "localhost")]
        host: String,
        /// Broker port. Default 1883.
        #[serde(default = "mqtt_port")]
        port: u16,
        /// Topic (wildcards allowed). Default `aip/readings`.
        #[serde(default = "topic")]
        topic: String,
        /// Client id; keep it stable so the broker keeps the session. Default `aip-oracle`.
        #[serde(default = "client_id")]
        client_id: String,
    },
}

fn one() -> u32 {
    1
}
fn unit() -> f64 {
    1.0
}
fn localhost() -> String {
    "127.0.0.1".into()
}
fn mqtt_port() -> u16 {
    1883
}
fn topic() -> String {
    "aip/readings".into()
}
fn client_id() -> String {
    "aip-oracle".into()
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|e| match e {
            Error::ConfigParse { message, .. } => Error::ConfigParse {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Parses and validates config text.
    pub fn parse(text: &str) -> Result<Self> {
        let cfg: Config = toml::from_str(text).map_err(|e| Error::ConfigParse {
            path: PathBuf::from("<text>"),
            message: e.message().to_string(),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Range checks.
    pub fn validate(&self) -> Result<()> {
        let s = &self.submit;
        if s.batch_size == 0 || s.batch_size > meter_oracle::msg::MAX_BATCH {
            return Err(Error::ConfigInvalid(format!(
                "submit.batch_size must be between 1 and {}, got {}",
                meter_oracle::msg::MAX_BATCH,
                s.batch_size
            )));
        }
        if s.backoff_initial_ms == 0 || s.backoff_max_ms < s.backoff_initial_ms {
            return Err(Error::ConfigInvalid(
                "submit.backoff_initial_ms must be > 0 and <= submit.backoff_max_ms".into(),
            ));
        }
        for src in &self.sources {
            if let SourceConfig::Profiles { scale, .. } = src {
                if !(scale.is_finite() && *scale >= 0.0) {
                    return Err(Error::ConfigInvalid(format!(
                        "source scale must be a non-negative number, got {scale}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The chain id signed into readings.
    pub fn signing_chain_id(&self) -> &str {
        self.chain_id.as_deref().unwrap_or(&self.chain.chain_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_file_gets_the_documented_defaults() {
        let cfg = Config::parse(r#"contract = "wasm1xyz""#).expect("valid");
        assert_eq!(cfg.queue.path, PathBuf::from("oracle-queue.sqlite"));
        assert_eq!(cfg.submit.batch_size, 200);
        assert_eq!(cfg.submit.min_slot_age_secs, 5);
        assert_eq!(cfg.submit.backoff_initial_ms, 500);
        assert_eq!(cfg.submit.backoff_max_ms, 30_000);
        assert!(!cfg.submit.exit_when_done);
        assert!(cfg.sources.is_empty());
        assert_eq!(cfg.signing_chain_id(), "aip-localnet-1");
    }

    #[test]
    fn sources_parse_with_defaults() {
        let cfg = Config::parse(
            r#"
            contract = "c"
            [[source]]
            kind = "profiles"
            path = "p.csv.gz"
            households = 3
            [[source]]
            kind = "mqtt"
            topic = "t"
            "#,
        )
        .expect("valid");
        assert_eq!(
            cfg.sources[0],
            SourceConfig::Profiles {
                path: "p.csv.gz".into(),
                first_meter: 1,
                households: Some(3),
                slots: None,
                scale: 1.0
            }
        );
        assert_eq!(
            cfg.sources[1],
            SourceConfig::Mqtt {
                host: "127.0.0.1".into(),
                port: 1883,
                topic: "t".into(),
                client_id: "aip-oracle".into()
            }
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let e = Config::parse("contract = \"c\"\nbatch = 3").expect_err("unknown");
        assert!(e.to_string().contains("unknown field `batch`"), "{e}");
        let e = Config::parse("contract = \"c\"\n[submit]\nbatchsize = 3").expect_err("unknown");
        assert!(e.to_string().contains("unknown field `batchsize`"), "{e}");
        let e = Config::parse("contract = \"c\"\n[submit]\nbatch_size = 501").expect_err("range");
        assert_eq!(
            e.to_string(),
            "config: submit.batch_size must be between 1 and 500, got 501"
        );
        let e = Config::parse("contract = \"c\"\n[[source]]\nkind = \"carrier-pigeon\"")
            .expect_err("kind");
        assert!(e.to_string().contains("carrier-pigeon"), "{e}");
        let e = Config::parse("[queue]\npath = \"q\"").expect_err("contract missing");
        assert!(e.to_string().contains("missing field `contract`"), "{e}");
    }
}

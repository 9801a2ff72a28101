//! Configuration (TOML). Every field has a default; unknown fields are refused.
//!
//! ```toml
//! listen = "127.0.0.1:8787"          # address:port; port 0 picks a free one
//! database = "gateway.sqlite"        # SQLite file (WAL); created if missing
//! contract = "wasm1..."              # the settlement contract (required)
//! gate_closure_seconds = 300         # a slot's book freezes this long before it starts
//! max_ahead_seconds = 172800         # refuse intents whose window starts later than this
//! rate_limit_per_minute = 600        # accepted posts per account per minute (sustained)
//! rate_limit_burst = 120             # ... and in a burst
//! max_batch = 1024                   # most writes in one group commit (one fsync)
//! max_body_bytes = 16384             # largest request body
//! freeze_interval_ms = 1000          # how often gate closures are checked
//! balance = "chain"                  # or { fixed = 1000000000 } (uaip, for tests)
//! # test_clock_offset_file = "…/clock-offset"  # test networks only: seconds added to the clock
//!
//! [chain]                            # chain-client's ChainConfig (rpc_url, chain_id, prefix, ...)
//! chain_id = "aip-localnet-1"
//!
//! [forecast]                         # optional: GET /v1/forecast/{meter} (households' own forecasts)
//! data = "data/simbench/households_wh.csv.gz"   # household i reports as meter first_meter + i
//! models = "offchain/matcher/models"  # load.onnx and pv.onnx
//! first_meter = 1                    # the oracle's replay default
//! # slot_offset_seconds = 315705600  # chain time − data time (whole days); default: chosen at start
//! # site = [53.6483, 11.4098]        # lat, lon; default: grid.json beside the data file
//! max_slots = 96                     # most slots one request may ask for
//! ```

use std::path::{Path, PathBuf};

use chain_client::ChainConfig;
use serde::{Deserialize, Serialize};

/// Where free balances come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceConfig {
    /// Query the settlement contract: `{"balance":{"account":...}}` → `{"free": "..."}`.
    Chain,
    /// Every account has this free balance (uaip): for tests and load runs.
    Fixed(u64),
}

/// The gateway's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Listen address.
    pub listen: String,
    /// SQLite database file.
    pub database: PathBuf,
    /// Bech32 address of the settlement contract intents are bound to.
    pub contract: String,
    /// Seconds before a slot's start at which its book freezes.
    pub gate_closure_seconds: u64,
    /// Farthest ahead (seconds from now) an intent's window may start.
    pub max_ahead_seconds: u64,
    /// Sustained accepted posts per account per minute.
    pub rate_limit_per_minute: u32,
    /// Burst of accepted posts per account.
    pub rate_limit_burst: u32,
    /// Most writes in one group commit.
    pub max_batch: usize,
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// Period of the gate-closure check, milliseconds.
    pub freeze_interval_ms: u64,
    /// Source of free balances.
    pub balance: BalanceConfig,
    /// Test networks only: a file holding a whole number of seconds added to
    /// the system clock (the localnet's `clock-offset`, which
    /// `ci/localnet.sh advance` writes), so gate closures follow a chain whose
    /// time was moved forward. Re-read at every tick; a missing file is 0.
    pub test_clock_offset_file: Option<PathBuf>,
    /// The chain (its id binds intents; its RPC serves balances).
    pub chain: ChainConfig,
    /// Households' own forecasts (`GET /v1/forecast/{meter}`); none when absent.
    pub forecast: Option<ForecastConfig>,
}

/// Where the households' forecasts come from (the `[forecast]` section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastConfig {
    /// The households' energy per slot (`households_wh.csv[.gz]`, read by
    /// `aip_data`): household `i` of the file (ascending ids) reports as meter
    /// `first_meter + i`, as in the oracle's replay source.
    pub data: PathBuf,
    /// The folder of the ONNX models `load.onnx` and `pv.onnx`.
    pub models: PathBuf,
    /// The meter of household 0.
    #[serde(default = "default_first_meter")]
    pub first_meter: u32,
    /// Chain time minus data time, seconds, a whole number of days; `None`:
    /// chosen at start, whole weeks (`aip_matcher::household::week_offset`),
    /// and chosen again when the clock runs past the data's end.
    #[serde(default)]
    pub slot_offset_seconds: Option<i64>,
    /// Latitude and longitude of the households (clear-sky features);
    /// `None`: the `location` of `grid.json` in the data file's folder.
    #[serde(default)]
    pub site: Option<(f64, f64)>,
    /// Most slots one request may ask for.
    #[serde(default = "default_max_slots")]
    pub max_slots: usize,
}

fn default_first_meter() -> u32 {
    1
}

fn default_max_slots() -> usize {
    96
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8787".to_string(),
            database: PathBuf::from("gateway.sqlite"),
            contract: String::new(),
            gate_closure_seconds: 300,
            max_ahead_seconds: 172_800,
            rate_limit_per_minute: 600,
            rate_limit_burst: 120,
            max_batch: 1024,
            max_body_bytes: 16_384,
            freeze_interval_ms: 1000,
            balance: BalanceConfig::Chain,
            test_clock_offset_file: None,
            chain: ChainConfig::default(),
            forecast: None,
        }
    }
}

/// The most slots `forecast.max_slots` may allow: a week.
pub const MAX_FORECAST_SLOTS: usize = 7 * 96;

/// Why a configuration was refused. Each variant's message is its documentation.
#[allow(missing_docs)]
#[derive(thiserror::Error, Debug)]
pub enum ConfigError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("invalid configuration: {0}")]
    Parse(String),
    #[error("invalid configuration: {field} {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl Config {
    /// Parses TOML text and validates it.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads and validates a TOML file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_toml(&text)
    }

    /// Checks values that would otherwise fail later.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.contract.is_empty() {
            return Err(ConfigError::Invalid {
                field: "contract",
                reason: "is required (the settlement contract's address)".to_string(),
            });
        }
        if self.rate_limit_per_minute == 0 || self.rate_limit_burst == 0 {
            return Err(ConfigError::Invalid {
                field: "rate_limit_per_minute/rate_limit_burst",
                reason: "must be above zero".to_string(),
            });
        }
        if self.max_batch == 0 {
            return Err(ConfigError::Invalid {
                field: "max_batch",
                reason: "must be above zero".to_string(),
            });
        }
        if self.freeze_interval_ms == 0 {
            return Err(ConfigError::Invalid {
                field: "freeze_interval_ms",
                reason: "must be above zero".to_string(),
            });
        }
        if let Some(f) = &self.forecast {
            if f.max_slots == 0 || f.max_slots > MAX_FORECAST_SLOTS {
                return Err(ConfigError::Invalid {
                    field: "forecast.max_slots",
                    reason: format!("must be 1 ..= {MAX_FORECAST_SLOTS}, is {}", f.max_slots),
                });
            }
            if let Some(offset) = f.slot_offset_seconds {
                if offset % 86_400 != 0 {
                    return Err(ConfigError::Invalid {
                        field: "forecast.slot_offset_seconds",
                        reason: format!("must be a whole number of days (86400 s), is {offset}"),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_clock_offset_file_is_optional() {
        let plain = Config::from_toml(r#"contract = "wasm1settlement""#).unwrap();
        assert_eq!(plain.test_clock_offset_file, None);
        let shifted = Config::from_toml(
            "contract = \"wasm1settlement\"\ntest_clock_offset_file = \"/tmp/localnet/clock-offset\"",
        )
        .unwrap();
        assert_eq!(
            shifted.test_clock_offset_file,
            Some(PathBuf::from("/tmp/localnet/clock-offset"))
        );
        // A misspelt key is refused, not ignored.
        let e = Config::from_toml("contract = \"wasm1settlement\"\ntest_clock_offset = \"x\"")
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("invalid configuration: TOML parse error")
                && msg.contains("unknown field `test_clock_offset`"),
            "{msg}"
        );
    }

    #[test]
    fn the_forecast_section_is_optional_with_defaults_and_checked() {
        let plain = Config::from_toml(r#"contract = "wasm1settlement""#).unwrap();
        assert_eq!(plain.forecast, None);
        let with = Config::from_toml(
            "contract = \"c\"\n[forecast]\ndata = \"d/households_wh.csv.gz\"\nmodels = \"m\"",
        )
        .unwrap();
        assert_eq!(
            with.forecast,
            Some(ForecastConfig {
                data: PathBuf::from("d/households_wh.csv.gz"),
                models: PathBuf::from("m"),
                first_meter: 1,
                slot_offset_seconds: None,
                site: None,
                max_slots: 96,
            })
        );
        let refused = |extra: &str| {
            Config::from_toml(&format!(
                "contract = \"c\"\n[forecast]\ndata = \"d\"\nmodels = \"m\"\n{extra}"
            ))
            .unwrap_err()
            .to_string()
        };
        assert_eq!(
            refused("max_slots = 0"),
            "invalid configuration: forecast.max_slots must be 1 ..= 672, is 0"
        );
        assert_eq!(
            refused("max_slots = 673"),
            "invalid configuration: forecast.max_slots must be 1 ..= 672, is 673"
        );
        assert_eq!(
            refused("slot_offset_seconds = 3600"),
            "invalid configuration: forecast.slot_offset_seconds must be a whole number of days (86400 s), is 3600"
        );
        let e = refused("model = \"x\"");
        assert!(e.contains("unknown field `model`"), "{e}");
        let e = Config::from_toml("contract = \"c\"\n[forecast]\nmodels = \"m\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing field `data`"), "{e}");
    }
}

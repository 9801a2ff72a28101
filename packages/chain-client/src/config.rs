//! Client configuration.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How to reach a chain and how to pay for transactions.
///
/// Every field has a default (the local chain started by `ci/localnet.sh`),
/// so a JSON/TOML file only names what differs. Durations are in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChainConfig {
    /// CometBFT RPC endpoint, e.g. `http://127.0.0.1:26757`.
    pub rpc_url: String,
    /// More endpoints of the same chain (other validators or full nodes).
    /// When the endpoint in use stops answering, the client fails over to the
    /// next one, round robin, before each retry. Empty: `rpc_url` only.
    pub fallback_rpc_urls: Vec<String>,
    /// Expected chain id; `connect` refuses a node serving another chain.
    pub chain_id: String,
    /// Bech32 account prefix (`wasm` for wasmd).
    pub prefix: String,
    /// Fee denom.
    pub fee_denom: String,
    /// Gas price in `fee_denom` per unit of gas (the fee is rounded up).
    pub gas_price: f64,
    /// Gas limit = simulated gas × this factor (≥ 1.0).
    pub gas_adjustment: f64,
    /// How long to wait for a broadcast transaction to appear in a block.
    #[serde(with = "millis")]
    pub inclusion_timeout: Duration,
    /// How often to poll for inclusion.
    #[serde(with = "millis")]
    pub poll_interval: Duration,
    /// Per-request HTTP timeout.
    #[serde(with = "millis")]
    pub request_timeout: Duration,
    /// Retries of RPC calls when the node is unreachable.
    pub retry: RetryPolicy,
}

/// Exponential backoff for RPC calls that fail at the transport level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryPolicy {
    /// Attempts in total (1 = no retry).
    pub attempts: u32,
    /// Delay before the first retry; doubled after each failure.
    #[serde(with = "millis")]
    pub initial_backoff: Duration,
    /// Upper bound of the delay.
    #[serde(with = "millis")]
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 6,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt number `attempt` (0-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(30)).unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

/// Defaults of the localnet (`ci/localnet.sh`).
pub mod localnet {
    /// RPC URL.
    pub const RPC_URL: &str = "http://127.0.0.1:26757";
    /// REST (LCD) URL.
    pub const REST_URL: &str = "http://127.0.0.1:1417";
    /// Chain id.
    pub const CHAIN_ID: &str = "aip-localnet-1";
    /// Bech32 prefix.
    pub const PREFIX: &str = "wasm";
    /// Native denom for fees and staking.
    pub const DENOM: &str = "ustake";
    /// Minimum gas price the node accepts.
    pub const GAS_PRICE: f64 = 0.0025;
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            rpc_url: localnet::RPC_URL.to_string(),
            fallback_rpc_urls: Vec::new(),
            chain_id: localnet::CHAIN_ID.to_string(),
            prefix: localnet::PREFIX.to_string(),
            fee_denom: localnet::DENOM.to_string(),
            gas_price: localnet::GAS_PRICE,
            gas_adjustment: 1.3,
            inclusion_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(100),
            request_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }
}

impl ChainConfig {
    /// The localnet configuration (same as `Default`).
    pub fn localnet() -> Self {
        Self::default()
    }

    /// The localnet configuration, with the RPC URL, chain id and prefix
    /// overridden by `AIP_RPC_URL`, `AIP_CHAIN_ID` and `AIP_PREFIX` when set.
    /// `AIP_RPC_URLS` (comma-separated, as `ci/localnet-multi.sh env` prints
    /// it) adds the other endpoints as fallbacks.
    pub fn from_env() -> Self {
        let mut cfg = Self::default();
        if let Ok(v) = std::env::var("AIP_RPC_URL") {
            cfg.rpc_url = v;
        }
        if let Ok(v) = std::env::var("AIP_RPC_URLS") {
            cfg.fallback_rpc_urls = v
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty() && *u != cfg.rpc_url)
                .map(str::to_string)
                .collect();
        }
        if let Ok(v) = std::env::var("AIP_CHAIN_ID") {
            cfg.chain_id = v;
        }
        if let Ok(v) = std::env::var("AIP_PREFIX") {
            cfg.prefix = v;
        }
        cfg
    }

    /// Every endpoint, the preferred one first.
    pub fn rpc_urls(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.rpc_url.as_str()).chain(self.fallback_rpc_urls.iter().map(String::as_str))
    }

    /// Checks the values that would otherwise fail later and obscurely.
    pub fn validate(&self) -> Result<()> {
        if !(self.gas_adjustment.is_finite() && self.gas_adjustment >= 1.0) {
            return Err(Error::Config(format!(
                "gas_adjustment must be at least 1.0, got {}",
                self.gas_adjustment
            )));
        }
        if !(self.gas_price.is_finite() && self.gas_price >= 0.0) {
            return Err(Error::Config(format!(
                "gas_price must be a non-negative number, got {}",
                self.gas_price
            )));
        }
        if self.retry.attempts == 0 {
            return Err(Error::Config("retry.attempts must be at least 1".into()));
        }
        if self.chain_id.is_empty() || self.prefix.is_empty() || self.fee_denom.is_empty() {
            return Err(Error::Config(
                "chain_id, prefix and fee_denom must not be empty".into(),
            ));
        }
        if self.poll_interval.is_zero() {
            return Err(Error::Config("poll_interval must not be zero".into()));
        }
        Ok(())
    }

    /// Gas limit for a simulated gas use: `ceil(simulated × gas_adjustment)`.
    pub fn gas_limit(&self, simulated: u64) -> u64 {
        (simulated as f64 * self.gas_adjustment).ceil() as u64
    }

    /// Fee amount for a gas limit: `ceil(gas_limit × gas_price)`.
    pub fn fee_amount(&self, gas_limit: u64) -> u128 {
        (gas_limit as f64 * self.gas_price).ceil() as u128
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
        };
        let d: Vec<u64> = (0..6).map(|i| p.backoff(i).as_millis() as u64).collect();
        assert_eq!(d, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.backoff(u32::MAX), Duration::from_millis(1000));
    }

    #[test]
    fn gas_limit_and_fee_round_up() {
        let cfg = ChainConfig {
            gas_adjustment: 1.3,
            gas_price: 0.0025,
            ..ChainConfig::default()
        };
        assert_eq!(cfg.gas_limit(100_000), 130_000);
        assert_eq!(cfg.gas_limit(1), 2);
        assert_eq!(cfg.fee_amount(130_000), 325);
        assert_eq!(cfg.fee_amount(1), 1);
        assert_eq!(
            ChainConfig {
                gas_price: 0.0,
                ..cfg
            }
            .fee_amount(1_000),
            0
        );
    }

    #[test]
    fn invalid_configurations_are_refused_with_the_reason() {
        let bad = ChainConfig {
            gas_adjustment: 0.9,
            ..ChainConfig::default()
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "invalid configuration: gas_adjustment must be at least 1.0, got 0.9"
        );
        let bad = ChainConfig {
            retry: RetryPolicy {
                attempts: 0,
                ..RetryPolicy::default()
            },
            ..ChainConfig::default()
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "invalid configuration: retry.attempts must be at least 1"
        );
        assert!(ChainConfig::default().validate().is_ok());
    }

    #[test]
    fn config_files_name_only_what_differs_and_reject_typos() {
        let cfg: ChainConfig =
            serde_json::from_str(r#"{"rpc_url":"http://10.0.0.1:26657","inclusion_timeout":5000}"#)
                .unwrap();
        assert_eq!(cfg.rpc_url, "http://10.0.0.1:26657");
        assert_eq!(cfg.inclusion_timeout, Duration::from_secs(5));
        assert_eq!(cfg.chain_id, localnet::CHAIN_ID);
        let err = serde_json::from_str::<ChainConfig>(r#"{"rpc":"x"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `rpc`"), "{err}");
    }
}

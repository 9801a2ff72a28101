//! Free balances: how much an account may still commit to bids.
//!
//! The settlement contract answers `{"balance":{"account":"<addr>"}}` with
//! `{"free": "<uint>", ...}` (other fields ignored). [`ChainBalance`] asks it
//! through `chain-client`; [`FixedBalance`] is an in-memory source for tests
//! and load runs.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use chain_client::ChainClient;
use cosmwasm_std::Uint128;
use serde::Deserialize;

use crate::error::GatewayError;

/// A boxed future (the trait is used as `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where free balances come from.
pub trait BalanceSource: Send + Sync {
    /// The free balance of `account`, in uaip.
    fn free<'a>(&'a self, account: &'a str) -> BoxFuture<'a, Result<u128, GatewayError>>;
}

/// A fixed free balance for every account, with per-account overrides.
#[derive(Debug, Default)]
pub struct FixedBalance {
    default: u128,
    overrides: Mutex<HashMap<String, u128>>,
}

impl FixedBalance {
    /// Every account has `default` free.
    pub fn new(default: u128) -> Self {
        FixedBalance {
            default,
            overrides: Mutex::new(HashMap::new()),
        }
    }

    /// Sets one account's free balance.
    pub fn set(&self, account: &str, free: u128) {
        if let Ok(mut m) = self.overrides.lock() {
            m.insert(account.to_string(), free);
        }
    }
}

impl BalanceSource for FixedBalance {
    fn free<'a>(&'a self, account: &'a str) -> BoxFuture<'a, Result<u128, GatewayError>> {
        let v = self
            .overrides
            .lock()
            .ok()
            .and_then(|m| m.get(account).copied())
            .unwrap_or(self.default);
        Box::pin(async move { Ok(v) })
    }
}

/// The free balance as the settlement contract reports it.
pub struct ChainBalance {
    client: ChainClient,
    contract: String,
}

impl ChainBalance {
    /// Queries `contract` through `client`.
    pub fn new(client: ChainClient, contract: String) -> Self {
        ChainBalance { client, contract }
    }
}

#[derive(Deserialize)]
struct BalanceResponse {
    free: Uint128,
}

/// Parses the contract's `balance` answer.
pub fn parse_balance_response(account: &str, bytes: &[u8]) -> Result<u128, GatewayError> {
    serde_json::from_slice::<BalanceResponse>(bytes)
        .map(|r| r.free.u128())
        .map_err(|e| GatewayError::BalanceUnavailable {
            account: account.to_string(),
            reason: format!("unexpected answer: {e}"),
        })
}

impl BalanceSource for ChainBalance {
    fn free<'a>(&'a self, account: &'a str) -> BoxFuture<'a, Result<u128, GatewayError>> {
        Box::pin(async move {
            let msg = serde_json::json!({ "balance": { "account": account } });
            let bytes = self
                .client
                .query_raw(&self.contract, msg.to_string().as_bytes())
                .await
                .map_err(|e| GatewayError::BalanceUnavailable {
                    account: account.to_string(),
                    reason: e.to_string(),
                })?;
            parse_balance_response(account, &bytes)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_contract_answer_and_refuses_others() {
        assert_eq!(
            parse_balance_response("a", br#"{"free":"123","locked":"5"}"#),
            Ok(123)
        );
        assert_eq!(
            parse_balance_response("a", br#"{"locked":"5"}"#)
                .unwrap_err()
                .to_string(),
            "cannot read free balance of a: unexpected answer: missing field `free` at line 1 column 14"
        );
    }

    #[tokio::test]
    async fn fixed_balance_has_overrides() {
        let b = FixedBalance::new(10);
        b.set("x", 3);
        assert_eq!(b.free("x").await, Ok(3));
        assert_eq!(b.free("y").await, Ok(10));
    }
}

//! # chain-client
//!
//! The one crate in AIPCHAIN that talks to a wasmd node: keys from a
//! mnemonic, account number and sequence tracking (with recovery from a
//! sequence mismatch), gas simulation with an adjustment factor, broadcast and
//! wait for inclusion with a timeout, typed CosmWasm store / instantiate /
//! execute / query helpers, retries with exponential backoff while the node is
//! unreachable, and errors that carry the chain's raw log. It is built on
//! cosmrs 0.22 (CometBFT RPC through `cosmrs::rpc`, no gRPC).
//!
//! ```no_run
//! use chain_client::{ChainClient, ChainConfig, Execute, Signer, testnet};
//! use serde_json::json;
//!
//! # async fn run() -> chain_client::Result<()> {
//! // The localnet of `ci/localnet.sh` (or ChainConfig::from_env / a config file).
//! let cfg = ChainConfig::localnet();
//! let chain = ChainClient::connect(cfg).await?;
//! let alice = chain.with_signer(testnet::signer("alice", "wasm")?);
//! // or: chain.with_signer(Signer::from_mnemonic("word1 … word24", "wasm")?)
//!
//! let stored = alice.store(&std::fs::read("artifacts/aip_token.wasm").unwrap()).await?;
//! let token = alice
//!     .instantiate(stored.code_id, &json!({ /* InstantiateMsg */ }), "aip-token", None)
//!     .await?;
//! let tx = alice
//!     .execute(&token.address, &json!({"transfer": {"recipient": "wasm1…", "amount": "5"}}), &[])
//!     .await?;
//! println!("gas {} included after {:?}", tx.gas_used, tx.elapsed);
//!
//! // Several calls, one atomic transaction:
//! alice.execute_multi(vec![
//!     Execute::new(&token.address, &json!({"burn": {"amount": "1"}}), &[])?,
//!     Execute::new(&token.address, &json!({"burn": {"amount": "2"}}), &[])?,
//! ]).await?;
//!
//! #[derive(serde::Deserialize)]
//! struct Balance { balance: String }
//! let b: Balance = chain
//!     .query(&token.address, &json!({"balance": {"address": alice.address().unwrap().to_string()}}))
//!     .await?;
//! # let _ = b.balance; Ok(()) }
//! ```
//!
//! ## Behaviour
//! - [`ChainClient::connect`] retries until the node answers (see
//!   [`RetryPolicy`]) and refuses a node of another chain
//!   ([`Error::ChainIdMismatch`]).
//! - Every transaction is simulated first; a transaction that would fail is
//!   not broadcast ([`Error::Simulation`] with the contract's error in `log`).
//!   Gas limit = `ceil(simulated × gas_adjustment)`, fee =
//!   `ceil(gas_limit × gas_price)` in `fee_denom`.
//! - The account number and sequence are read once and then tracked locally.
//!   When the chain reports "account sequence mismatch" (another process used
//!   the key), the client adopts the sequence the chain expects and re-signs,
//!   up to 3 times. After an inclusion timeout or a lost connection it reads
//!   the sequence from the chain again. Clones of a client share the tracked
//!   sequence and serialize their transactions.
//! - After `broadcast_tx_sync` the client polls `/tx` every `poll_interval`
//!   until the transaction is in a block (then [`TxResponse`], or
//!   [`Error::TxFailed`] with the raw log when it failed on chain) or
//!   `inclusion_timeout` passes ([`Error::InclusionTimeout`]).
//! - Transport errors (connection refused, timeouts) are retried with
//!   exponential backoff; errors the node returns are not.
//!   [`Error::is_transient`] tells a caller whether retrying later may help.
//! - A replayed transaction is refused: [`Error::DuplicateTx`] when the node
//!   still has the same bytes, [`Error::SequenceMismatch`] when the chain has
//!   moved past its sequence.
//!
//! ## Test accounts
//! [`testnet`] has the localnet's funded accounts (public mnemonics, test
//! only): `validator`, `alice`, `bob`, `carol`, `dave`, `oracle`, `matcher`,
//! `dso`, `faucet`.
#![warn(missing_docs, clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod client;
mod config;
pub mod deployment;
mod error;
pub mod http;
mod key;
pub mod testnet;
mod types;

pub use client::{tx_hash, ChainClient};
pub use config::{localnet, ChainConfig, RetryPolicy};
pub use deployment::{CodeRecord, ContractRecord, Deployment, DeploymentError};
pub use error::{Error, Result};
pub use key::{Signer, COSMOS_HD_PATH};
pub use types::{
    AccountState, CodeInfo, ContractInfo, Execute, Instantiated, SignedTx, Stored, TxEvent,
    TxResponse,
};

/// Re-exports of cosmrs for callers that build their own messages.
pub use cosmrs::{self, AccountId, Any, Coin};

//! The error type of the chain client.

use std::time::Duration;

/// Everything that can go wrong when talking to a node.
///
/// Variants that come from the chain carry its raw log (`log`), the ABCI
/// `code` and `codespace`, so a caller can show the contract's own error text
/// (for example `Unauthorized` or `insufficient funds`) without guessing.
/// [`Error::raw_log`] returns it for any variant that has one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The node did not answer after every retry (it is down, or the URL is wrong).
    #[error("node {url} unreachable after {attempts} attempts: {last_error}")]
    NodeUnreachable {
        /// The RPC URL that was tried.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last transport error.
        last_error: String,
    },
    /// The node refused the HTTP request itself (4xx, e.g. a body above its
    /// `max_body_bytes`); not retried.
    #[error("node {url} refused the request: {message}")]
    Rpc {
        /// The RPC URL.
        url: String,
        /// What the node said.
        message: String,
    },
    /// The node serves another chain than the configuration names.
    #[error("chain id mismatch: configured {expected}, node reports {actual}")]
    ChainIdMismatch {
        /// The configured chain id.
        expected: String,
        /// The chain id the node reports.
        actual: String,
    },
    /// The configuration is invalid (bad URL, zero gas adjustment, ...).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The mnemonic or the derivation path is invalid.
    #[error("invalid key: {0}")]
    Key(String),
    /// A transaction helper was called on a client without a signer.
    #[error("this client has no signer: use ChainClient::with_signer")]
    NoSigner,
    /// The account does not exist on chain yet (it has never received funds).
    #[error("account {address} not found on chain: fund it first")]
    AccountNotFound {
        /// The bech32 address.
        address: String,
    },
    /// An address is not valid bech32 for the chain's prefix.
    #[error("invalid address {address}: {reason}")]
    InvalidAddress {
        /// The offending address.
        address: String,
        /// Why it was rejected.
        reason: String,
    },
    /// Simulating the transaction failed: it would fail on chain. Nothing was broadcast.
    #[error("simulation failed (code {code}, {codespace}): {log}")]
    Simulation {
        /// ABCI code.
        code: u32,
        /// Module codespace (`sdk`, `wasm`, ...).
        codespace: String,
        /// The chain's raw log, including the contract error.
        log: String,
    },
    /// The account sequence in a transaction is not the one the chain expects:
    /// a replayed or out-of-order transaction. The client recovers from this by
    /// itself for transactions it signs; it is returned for pre-signed ones.
    #[error("account sequence mismatch: chain expects {expected}, transaction has {got}: {log}")]
    SequenceMismatch {
        /// The sequence the chain expects.
        expected: u64,
        /// The sequence in the transaction.
        got: u64,
        /// The chain's raw log.
        log: String,
    },
    /// The node already has this exact transaction (a replay of signed bytes).
    #[error("transaction {hash} refused: the node has already seen it (replay)")]
    DuplicateTx {
        /// The transaction hash (hex, upper case).
        hash: String,
    },
    /// The mempool (CheckTx) refused the transaction.
    #[error("transaction {hash} refused by the node (code {code}, {codespace}): {log}")]
    CheckTx {
        /// The transaction hash.
        hash: String,
        /// ABCI code.
        code: u32,
        /// Module codespace.
        codespace: String,
        /// The chain's raw log.
        log: String,
    },
    /// The transaction was included in a block but failed; its fee and
    /// sequence are spent, its messages changed nothing.
    #[error("transaction {hash} failed at height {height} (code {code}, {codespace}, gas {gas_used}/{gas_wanted}): {log}")]
    TxFailed {
        /// The transaction hash.
        hash: String,
        /// The block height.
        height: u64,
        /// ABCI code.
        code: u32,
        /// Module codespace.
        codespace: String,
        /// The chain's raw log, including the contract error.
        log: String,
        /// Gas limit of the transaction.
        gas_wanted: u64,
        /// Gas used before the failure.
        gas_used: u64,
    },
    /// The transaction was accepted into the mempool but not seen in a block in time.
    /// It may still be included later.
    #[error("transaction {hash} not included within {waited:?}")]
    InclusionTimeout {
        /// The transaction hash.
        hash: String,
        /// How long the client waited.
        waited: Duration,
    },
    /// A query was refused by the node (unknown contract, contract query error, ...).
    #[error("query {path} failed (code {code}, {codespace}): {log}")]
    Query {
        /// The gRPC path of the query.
        path: String,
        /// ABCI code.
        code: u32,
        /// Module codespace.
        codespace: String,
        /// The chain's raw log, including the contract error.
        log: String,
    },
    /// A transaction result lacks an event the helper needs (for example the code id of a store).
    #[error("event {kind}.{key} missing from transaction {hash}")]
    MissingEvent {
        /// The event type.
        kind: String,
        /// The attribute key.
        key: String,
        /// The transaction hash.
        hash: String,
    },
    /// A contract message could not be encoded, or a response decoded, as JSON.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A protobuf answer from the node could not be decoded.
    #[error("could not decode {what}: {reason}")]
    Decode {
        /// What was being decoded.
        what: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// Building or signing a transaction failed.
    #[error("building the transaction: {0}")]
    Tx(String),
}

impl Error {
    /// The chain's raw log, when the error came from the chain.
    pub fn raw_log(&self) -> Option<&str> {
        match self {
            Error::Simulation { log, .. }
            | Error::SequenceMismatch { log, .. }
            | Error::CheckTx { log, .. }
            | Error::TxFailed { log, .. }
            | Error::Query { log, .. } => Some(log),
            _ => None,
        }
    }

    /// True when retrying the same call later may succeed (node down, timeout).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::NodeUnreachable { .. } | Error::InclusionTimeout { .. }
        )
    }
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The sequence numbers in an SDK "account sequence mismatch" log:
/// `account sequence mismatch, expected 5, got 4: incorrect account sequence`.
pub(crate) fn parse_sequence_mismatch(log: &str) -> Option<(u64, u64)> {
    let rest = &log[log.find("account sequence mismatch")?..];
    let expected = number_after(rest, "expected ")?;
    let got = number_after(rest, "got ")?;
    Some((expected, got))
}

fn number_after(s: &str, key: &str) -> Option<u64> {
    let start = s.find(key)? + key.len();
    let digits: String = s[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_sdk_sequence_mismatch_log() {
        let log = "account sequence mismatch, expected 7, got 5: incorrect account sequence";
        assert_eq!(parse_sequence_mismatch(log), Some((7, 5)));
        let wrapped = "failed to execute message; message index: 0: account sequence mismatch, expected 12, got 3: incorrect account sequence";
        assert_eq!(parse_sequence_mismatch(wrapped), Some((12, 3)));
        assert_eq!(parse_sequence_mismatch("out of gas"), None);
        assert_eq!(
            parse_sequence_mismatch("account sequence mismatch, expected x"),
            None
        );
    }

    #[test]
    fn chain_errors_carry_the_raw_log() {
        let e = Error::TxFailed {
            hash: "AB".into(),
            height: 9,
            code: 5,
            codespace: "wasm".into(),
            log: "Unauthorized: execute wasm contract failed".into(),
            gas_wanted: 200_000,
            gas_used: 120_000,
        };
        assert_eq!(
            e.raw_log(),
            Some("Unauthorized: execute wasm contract failed")
        );
        assert_eq!(
            e.to_string(),
            "transaction AB failed at height 9 (code 5, wasm, gas 120000/200000): Unauthorized: execute wasm contract failed"
        );
        assert!(!e.is_transient());
        assert!(Error::NoSigner.raw_log().is_none());
    }
}

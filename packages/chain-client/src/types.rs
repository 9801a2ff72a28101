//! Values the client returns.

use std::time::Duration;

use cosmrs::Coin;
use serde::Serialize;

use crate::error::Result;

/// Account number and next sequence of an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountState {
    /// The account number (fixed when the account is created).
    pub account_number: u64,
    /// The sequence the next transaction must carry.
    pub sequence: u64,
}

impl AccountState {
    /// The state after one more transaction.
    pub fn next(self) -> Self {
        AccountState {
            sequence: self.sequence + 1,
            ..self
        }
    }
}

/// One contract call for [`crate::ChainClient::execute_multi`].
#[derive(Clone, Debug)]
pub struct Execute {
    /// Contract address.
    pub contract: String,
    /// The JSON message.
    pub msg: Vec<u8>,
    /// Native funds sent with the call.
    pub funds: Vec<Coin>,
}

impl Execute {
    /// A call of `contract` with `msg` serialized to JSON.
    pub fn new(contract: &str, msg: &impl Serialize, funds: &[Coin]) -> Result<Self> {
        Ok(Execute {
            contract: contract.to_string(),
            msg: serde_json::to_vec(msg)?,
            funds: funds.to_vec(),
        })
    }
}

/// One event of an included transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxEvent {
    /// Event type (`wasm`, `instantiate`, `store_code`, `transfer`, ...).
    pub kind: String,
    /// `(key, value)` pairs in order.
    pub attributes: Vec<(String, String)>,
}

impl From<&cosmrs::tendermint::abci::Event> for TxEvent {
    /// Keys and values as text (lossy UTF-8), in order.
    fn from(e: &cosmrs::tendermint::abci::Event) -> Self {
        TxEvent {
            kind: e.kind.clone(),
            attributes: e
                .attributes
                .iter()
                .map(|a| {
                    (
                        String::from_utf8_lossy(a.key_bytes()).into_owned(),
                        String::from_utf8_lossy(a.value_bytes()).into_owned(),
                    )
                })
                .collect(),
        }
    }
}

/// An included, successful transaction.
#[derive(Clone, Debug)]
pub struct TxResponse {
    /// Hash (upper-case hex).
    pub hash: String,
    /// Block height.
    pub height: u64,
    /// Gas limit.
    pub gas_wanted: u64,
    /// SDK gas used.
    pub gas_used: u64,
    /// Result data (protobuf `TxMsgData`).
    pub data: Vec<u8>,
    /// Raw log (empty on success in recent SDKs).
    pub log: String,
    /// Events.
    pub events: Vec<TxEvent>,
    /// Time from broadcast to the client seeing the transaction in a block.
    pub elapsed: Duration,
}

impl TxResponse {
    /// The first value of attribute `key` in an event of type `kind`.
    pub fn attribute(&self, kind: &str, key: &str) -> Option<&str> {
        self.attributes(kind, key).into_iter().next()
    }

    /// Every value of attribute `key` in events of type `kind`, in order.
    pub fn attributes(&self, kind: &str, key: &str) -> Vec<&str> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .flat_map(|e| e.attributes.iter())
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of a contract attribute (event type `wasm`).
    pub fn wasm_attribute(&self, key: &str) -> Option<&str> {
        self.attribute("wasm", key)
    }
}

/// Result of [`crate::ChainClient::store`].
#[derive(Clone, Debug)]
pub struct Stored {
    /// The new code id.
    pub code_id: u64,
    /// sha256 of the uploaded wasm, lower-case hex (what wasmd calls the checksum).
    pub checksum: String,
    /// The transaction.
    pub tx: TxResponse,
}

/// Result of [`crate::ChainClient::instantiate`].
#[derive(Clone, Debug)]
pub struct Instantiated {
    /// The contract address.
    pub address: String,
    /// The transaction.
    pub tx: TxResponse,
}

/// A stored code as [`crate::ChainClient::codes`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// Code id.
    pub code_id: u64,
    /// Who uploaded it.
    pub creator: String,
    /// sha256 of the wasm, lower-case hex.
    pub checksum: String,
}

/// A contract as [`crate::ChainClient::contract_info`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractInfo {
    /// Its address.
    pub address: String,
    /// The code it runs.
    pub code_id: u64,
    /// Who instantiated it.
    pub creator: String,
    /// Who may migrate it.
    pub admin: Option<String>,
    /// Its label.
    pub label: String,
}

/// A signed transaction not yet broadcast ([`crate::ChainClient::sign_tx`]).
#[derive(Clone, Debug)]
pub struct SignedTx {
    /// The `TxRaw` bytes.
    pub bytes: Vec<u8>,
    /// Their hash.
    pub hash: String,
    /// The sequence it was signed with.
    pub sequence: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx() -> TxResponse {
        TxResponse {
            hash: "H".into(),
            height: 1,
            gas_wanted: 0,
            gas_used: 0,
            data: vec![],
            log: String::new(),
            events: vec![
                TxEvent {
                    kind: "wasm".into(),
                    attributes: vec![
                        ("action".into(), "transfer".into()),
                        ("amount".into(), "5".into()),
                    ],
                },
                TxEvent {
                    kind: "wasm".into(),
                    attributes: vec![("action".into(), "bid".into())],
                },
            ],
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn attributes_are_found_by_event_type_and_key() {
        let t = tx();
        assert_eq!(t.wasm_attribute("action"), Some("transfer"));
        assert_eq!(t.attributes("wasm", "action"), vec!["transfer", "bid"]);
        assert_eq!(t.attribute("transfer", "amount"), None);
    }

    #[test]
    fn execute_serializes_the_message_as_json() {
        let e = Execute::new("wasm1x", &serde_json::json!({"ping": {}}), &[]).unwrap();
        assert_eq!(e.msg, br#"{"ping":{}}"#);
        assert_eq!(
            AccountState {
                account_number: 3,
                sequence: 9
            }
            .next(),
            AccountState {
                account_number: 3,
                sequence: 10
            }
        );
    }
}

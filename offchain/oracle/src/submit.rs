//! How batches reach the chain.

use std::future::Future;

use aip_types::SlotId;
use cosmwasm_std::{Binary, Uint128};
use meter_oracle::msg::{ExecuteMsg, QueryMsg, ReportedResponse, SignedReading};

use crate::queue::Queued;

/// Why a submission failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The node could not be reached or did not answer in time: the batch may
    /// or may not be on chain. Retry later, after asking the chain.
    #[error("node unavailable: {0}")]
    Unavailable(String),
    /// The contract refused the transaction (nothing of it was applied). The
    /// message is the contract's error.
    #[error("rejected: {0}")]
    Rejected(String),
}

/// The chain, as far as the agent needs it.
pub trait Submitter: Send + Sync {
    /// Submits one batch (`SubmitReadings`); the transaction hash on success.
    fn submit(
        &self,
        slot: SlotId,
        readings: &[Queued],
    ) -> impl Future<Output = Result<String, SubmitError>> + Send;

    /// Which of `meters` this operator has already reported for `slot`.
    fn reported(
        &self,
        slot: SlotId,
        meters: &[u32],
    ) -> impl Future<Output = Result<Vec<u32>, SubmitError>> + Send;
}

/// The `SubmitReadings` message of a batch.
pub fn submit_msg(slot: SlotId, readings: &[Queued]) -> ExecuteMsg {
    ExecuteMsg::SubmitReadings {
        slot,
        readings: readings
            .iter()
            .map(|r| SignedReading {
                meter: r.meter,
                exported_wh: Uint128::from(r.exported_wh),
                imported_wh: Uint128::from(r.imported_wh),
                signature: Binary::from(r.signature.to_vec()),
            })
            .collect(),
    }
}

/// The `Reported` query of a batch.
pub fn reported_msg(slot: SlotId, operator: &str, meters: &[u32]) -> QueryMsg {
    QueryMsg::Reported {
        slot,
        operator: operator.to_string(),
        meters: meters.to_vec(),
    }
}

/// The real chain, through `chain-client` (simulate, sign, broadcast, wait).
pub struct ChainSubmitter {
    client: chain_client::ChainClient,
    contract: String,
    operator: String,
    /// (readings, SDK gas used) of every accepted transaction.
    gas: std::sync::Mutex<Vec<(usize, u64)>>,
}

impl ChainSubmitter {
    /// A submitter for `contract` with a client that has the operator's signer.
    pub fn new(client: chain_client::ChainClient, contract: String) -> crate::Result<Self> {
        let operator = client
            .address()
            .ok_or_else(|| crate::Error::Chain("the chain client has no signer".into()))?
            .to_string();
        Ok(ChainSubmitter {
            client,
            contract,
            operator,
            gas: std::sync::Mutex::new(vec![]),
        })
    }

    /// The operator's address.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// (readings, SDK gas used) of every transaction accepted so far.
    pub fn gas_log(&self) -> Vec<(usize, u64)> {
        self.gas.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

fn classify(e: chain_client::Error) -> SubmitError {
    if e.is_transient() {
        return SubmitError::Unavailable(e.to_string());
    }
    match e.raw_log() {
        // Simulation / CheckTx / DeliverTx failures: the contract refused.
        Some(log) => SubmitError::Rejected(log.to_string()),
        None => SubmitError::Unavailable(e.to_string()),
    }
}

impl Submitter for ChainSubmitter {
    async fn submit(&self, slot: SlotId, readings: &[Queued]) -> Result<String, SubmitError> {
        let tx = self
            .client
            .execute(&self.contract, &submit_msg(slot, readings), &[])
            .await
            .map_err(classify)?;
        tracing::debug!(hash = %tx.hash, gas_used = tx.gas_used, n = readings.len(), "batch included");
        if let Ok(mut g) = self.gas.lock() {
            g.push((readings.len(), tx.gas_used));
        }
        Ok(tx.hash)
    }

    async fn reported(&self, slot: SlotId, meters: &[u32]) -> Result<Vec<u32>, SubmitError> {
        let r: ReportedResponse = self
            .client
            .query(&self.contract, &reported_msg(slot, &self.operator, meters))
            .await
            .map_err(|e| SubmitError::Unavailable(e.to_string()))?;
        Ok(r.meters)
    }
}

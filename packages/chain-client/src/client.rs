//! [`ChainClient`]: queries, transactions and the CosmWasm helpers.

use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cosmrs::cosmwasm::{MsgExecuteContract, MsgInstantiateContract, MsgStoreCode};
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmrs::proto::cosmwasm::wasm::v1::{
    QueryCodesRequest, QueryCodesResponse, QueryContractInfoRequest, QueryContractInfoResponse,
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmrs::proto::traits::Message;
use cosmrs::rpc::client::CompatMode;
use cosmrs::rpc::error::ErrorDetail;
use cosmrs::rpc::{Client, HttpClient, HttpClientUrl};
use cosmrs::tendermint::chain;
use cosmrs::tx::{Body, Fee, Msg, Raw, SignDoc, SignerInfo};
use cosmrs::{AccountId, Any, Coin};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::config::ChainConfig;
use crate::error::{parse_sequence_mismatch, Error, Result};
use crate::key::Signer;
use crate::types::{
    AccountState, CodeInfo, ContractInfo, Execute, Instantiated, SignedTx, Stored, TxEvent,
    TxResponse,
};

/// How many times one transaction is re-signed after a sequence mismatch.
const SEQUENCE_RECOVERIES: u32 = 3;

/// Gas limit written into the transaction that is only simulated. The node
/// simulates with an unmetered gas meter, so the limit itself does not bound
/// anything; it matters because the fee is `ceil(limit × gas_price)`. With a
/// limit of 0 the simulated transaction paid no fee, so the fee deduction
/// (balance reads and writes of the payer and the fee collector) was never
/// simulated: a plain bank send to a new account was given 82,480 gas
/// (simulated × 1.3) and ran out at 82,521 on the localnet
/// (`tests/localnet_e2e.rs`; with this limit it is given 122,977 and uses
/// 98,126). A limit of 1 makes the
/// simulated fee the smallest non-zero amount, so the fee path is simulated
/// as the real transaction will run it.
const SIMULATION_GAS_LIMIT: u64 = 1;

/// While a broadcast transaction is not in a block, it is sent again this
/// often (same bytes, same hash).
const REBROADCAST_EVERY: Duration = Duration::from_secs(5);

/// A connection to a chain through one or more nodes, optionally with a signer.
///
/// Cheap to clone; clones share the connections, the endpoint in use and the
/// signer's account sequence, so concurrent transactions from clones are
/// serialized correctly.
#[derive(Clone)]
pub struct ChainClient {
    cfg: Arc<ChainConfig>,
    /// One client per endpoint (`rpc_url`, then `fallback_rpc_urls`).
    rpcs: Arc<[(String, HttpClient)]>,
    /// Index of the endpoint in use; moves on when it stops answering.
    active: Arc<AtomicUsize>,
    chain_id: chain::Id,
    signer: Option<Arc<Signer>>,
    account: Arc<Mutex<Option<AccountState>>>,
}

impl std::fmt::Debug for ChainClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainClient")
            .field("rpc_url", &self.url())
            .field("chain_id", &self.cfg.chain_id)
            .field(
                "signer",
                &self.signer.as_ref().map(|s| s.address().to_string()),
            )
            .finish()
    }
}

impl ChainClient {
    /// Connects to the node at `cfg.rpc_url` (retrying with backoff while it
    /// is unreachable, failing over to `cfg.fallback_rpc_urls`) and checks
    /// that it serves `cfg.chain_id`.
    pub async fn connect(cfg: ChainConfig) -> Result<Self> {
        cfg.validate()?;
        let mut rpcs = Vec::new();
        for u in cfg.rpc_urls() {
            let url = HttpClientUrl::from_str(u)
                .map_err(|e| Error::Config(format!("invalid rpc_url {u:?}: {e}")))?;
            let rpc = HttpClient::builder(url)
                .compat_mode(CompatMode::V0_38)
                .timeout(cfg.request_timeout)
                .build()
                .map_err(|e| Error::Config(format!("cannot build an RPC client: {e}")))?;
            rpcs.push((u.to_string(), rpc));
        }
        let chain_id = chain::Id::try_from(cfg.chain_id.clone())
            .map_err(|e| Error::Config(format!("invalid chain id {:?}: {e}", cfg.chain_id)))?;
        let client = ChainClient {
            cfg: Arc::new(cfg),
            rpcs: rpcs.into(),
            active: Arc::new(AtomicUsize::new(0)),
            chain_id,
            signer: None,
            account: Arc::new(Mutex::new(None)),
        };
        let status = client.with_retry(|| client.rpc().status()).await?;
        let actual = status.node_info.network.to_string();
        if actual != client.cfg.chain_id {
            return Err(Error::ChainIdMismatch {
                expected: client.cfg.chain_id.clone(),
                actual,
            });
        }
        Ok(client)
    }

    /// A client on the same connection that signs with `signer`. It tracks
    /// the signer's account number and sequence from the first transaction.
    pub fn with_signer(&self, signer: Signer) -> Self {
        ChainClient {
            cfg: self.cfg.clone(),
            rpcs: self.rpcs.clone(),
            active: self.active.clone(),
            chain_id: self.chain_id.clone(),
            signer: Some(Arc::new(signer)),
            account: Arc::new(Mutex::new(None)),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ChainConfig {
        &self.cfg
    }

    /// The signer's address, if there is a signer.
    pub fn address(&self) -> Option<&AccountId> {
        self.signer.as_deref().map(Signer::address)
    }

    fn signer(&self) -> Result<&Signer> {
        self.signer.as_deref().ok_or(Error::NoSigner)
    }

    /// Parses a bech32 address and checks its prefix.
    pub fn parse_address(&self, address: &str) -> Result<AccountId> {
        let id = AccountId::from_str(address).map_err(|e| Error::InvalidAddress {
            address: address.to_string(),
            reason: e.to_string(),
        })?;
        if id.prefix() != self.cfg.prefix {
            return Err(Error::InvalidAddress {
                address: address.to_string(),
                reason: format!("prefix {:?} expected", self.cfg.prefix),
            });
        }
        Ok(id)
    }

    // ---------------------------------------------------------------- RPC plumbing

    /// The endpoint in use.
    fn rpc(&self) -> &HttpClient {
        &self.rpcs[self.active.load(Ordering::Relaxed) % self.rpcs.len()].1
    }

    /// The URL of the endpoint in use.
    pub fn url(&self) -> &str {
        &self.rpcs[self.active.load(Ordering::Relaxed) % self.rpcs.len()].0
    }

    /// After a transport failure: the next endpoint, if there is another.
    fn fail_over(&self) {
        if self.rpcs.len() > 1 {
            let from = self.url().to_string();
            self.active.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(from = %from, to = %self.url(), "RPC endpoint failed: failing over");
        }
    }

    /// Runs an RPC call, retrying transport failures with exponential backoff.
    /// Errors the node itself returned (JSON-RPC error responses) are not retried.
    async fn with_retry<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = std::result::Result<T, cosmrs::rpc::Error>>,
    {
        self.with_retry_raw(call).await.map_err(|e| match e {
            RetryError::Unreachable(e) => e,
            RetryError::Response(msg) => Error::Query {
                path: "rpc".into(),
                code: 0,
                codespace: String::new(),
                log: msg,
            },
        })
    }

    async fn with_retry_raw<T, F, Fut>(&self, call: F) -> std::result::Result<T, RetryError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = std::result::Result<T, cosmrs::rpc::Error>>,
    {
        let policy = &self.cfg.retry;
        let mut last = String::new();
        for attempt in 0..policy.attempts {
            match call().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    match e.detail() {
                        ErrorDetail::Response(r) => {
                            return Err(RetryError::Response(r.source.to_string()))
                        }
                        // 4xx: the request itself is refused (too large, malformed):
                        // retrying cannot help.
                        ErrorDetail::HttpRequestFailed(h) if h.status.is_client_error() => {
                            return Err(RetryError::Unreachable(Error::Rpc {
                                url: self.url().to_string(),
                                message: e.detail().to_string(),
                            }))
                        }
                        _ => {}
                    }
                    // The detail only: the full error also carries a backtrace.
                    last = e.detail().to_string();
                    tracing::debug!(attempt, url = %self.url(), error = %last, "RPC call failed");
                    self.fail_over();
                    if attempt + 1 < policy.attempts {
                        tokio::time::sleep(policy.backoff(attempt)).await;
                    }
                }
            }
        }
        Err(RetryError::Unreachable(Error::NodeUnreachable {
            url: self.cfg.rpc_urls().collect::<Vec<_>>().join(","),
            attempts: policy.attempts,
            last_error: last,
        }))
    }

    /// A protobuf gRPC query through ABCI (`abci_query` with the gRPC path).
    pub async fn abci_query<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        request: &Req,
    ) -> Result<Resp> {
        self.abci_query_at(path, request, None).await
    }

    /// [`Self::abci_query`] against the state after block `height` (`None`:
    /// the latest). A node that pruned that state answers with an error.
    pub async fn abci_query_at<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        request: &Req,
        height: Option<u64>,
    ) -> Result<Resp> {
        let data = request.encode_to_vec();
        let height = height
            .map(cosmrs::tendermint::block::Height::try_from)
            .transpose()
            .map_err(|e| Error::Decode {
                what: "query height",
                reason: e.to_string(),
            })?;
        let res = self
            .with_retry(|| {
                self.rpc()
                    .abci_query(Some(path.to_string()), data.clone(), height, false)
            })
            .await?;
        if res.code.is_err() {
            return Err(Error::Query {
                path: path.to_string(),
                code: res.code.value(),
                codespace: res.codespace,
                log: res.log,
            });
        }
        Resp::decode(res.value.as_slice()).map_err(|e| Error::Decode {
            what: "query response",
            reason: e.to_string(),
        })
    }

    // ---------------------------------------------------------------- queries

    /// Latest block height and time (unix seconds) the node knows.
    pub async fn latest_block(&self) -> Result<(u64, i64)> {
        let s = self.with_retry(|| self.rpc().status()).await?;
        let secs = s.sync_info.latest_block_time.unix_timestamp();
        Ok((s.sync_info.latest_block_height.value(), secs))
    }

    /// The time of block `height`, unix seconds.
    pub async fn block_time(&self, height: u64) -> Result<i64> {
        let h = cosmrs::tendermint::block::Height::try_from(height).map_err(|e| Error::Decode {
            what: "block height",
            reason: e.to_string(),
        })?;
        let b = self.with_retry(|| self.rpc().block(h)).await?;
        Ok(b.block.header.time.unix_timestamp())
    }

    /// Waits until the chain has produced a block at least `height`.
    pub async fn wait_for_height(&self, height: u64, timeout: Duration) -> Result<u64> {
        let start = Instant::now();
        loop {
            let (h, _) = self.latest_block().await?;
            if h >= height {
                return Ok(h);
            }
            if start.elapsed() > timeout {
                return Err(Error::InclusionTimeout {
                    hash: format!("height {height}"),
                    waited: start.elapsed(),
                });
            }
            tokio::time::sleep(self.cfg.poll_interval).await;
        }
    }

    /// Account number and sequence of `address` as the chain has them now.
    pub async fn account(&self, address: &str) -> Result<AccountState> {
        let req = QueryAccountRequest {
            address: address.to_string(),
        };
        let res: QueryAccountResponse = match self
            .abci_query("/cosmos.auth.v1beta1.Query/Account", &req)
            .await
        {
            Ok(r) => r,
            Err(Error::Query { log, .. }) if log.contains("not found") => {
                return Err(Error::AccountNotFound {
                    address: address.to_string(),
                })
            }
            Err(e) => return Err(e),
        };
        let any = res.account.ok_or_else(|| Error::AccountNotFound {
            address: address.to_string(),
        })?;
        let acc = BaseAccount::decode(any.value.as_slice()).map_err(|e| Error::Decode {
            what: "BaseAccount",
            reason: format!("{} ({e})", any.type_url),
        })?;
        Ok(AccountState {
            account_number: acc.account_number,
            sequence: acc.sequence,
        })
    }

    /// Native balance of `address` in `denom`.
    pub async fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        let req = QueryBalanceRequest {
            address: address.to_string(),
            denom: denom.to_string(),
        };
        let res: QueryBalanceResponse = self
            .abci_query("/cosmos.bank.v1beta1.Query/Balance", &req)
            .await?;
        let amount = res.balance.map(|c| c.amount).unwrap_or_default();
        amount.parse().map_err(|e| Error::Decode {
            what: "balance amount",
            reason: format!("{amount:?}: {e}"),
        })
    }

    /// A smart query: `msg` is serialized to JSON, the answer deserialized into `T`.
    /// A contract error comes back as [`Error::Query`] with the contract's message in `log`.
    pub async fn query<T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &impl Serialize,
    ) -> Result<T> {
        self.query_at(contract, msg, None).await
    }

    /// [`Self::query`] against the state after block `height` (`None`: the latest).
    pub async fn query_at<T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &impl Serialize,
        height: Option<u64>,
    ) -> Result<T> {
        let data = self
            .query_raw_at(contract, &serde_json::to_vec(msg)?, height)
            .await?;
        Ok(serde_json::from_slice(&data)?)
    }

    /// A smart query with raw JSON bytes in and out.
    pub async fn query_raw(&self, contract: &str, msg: &[u8]) -> Result<Vec<u8>> {
        self.query_raw_at(contract, msg, None).await
    }

    /// [`Self::query_raw`] against the state after block `height` (`None`: the latest).
    pub async fn query_raw_at(
        &self,
        contract: &str,
        msg: &[u8],
        height: Option<u64>,
    ) -> Result<Vec<u8>> {
        self.parse_address(contract)?;
        let req = QuerySmartContractStateRequest {
            address: contract.to_string(),
            query_data: msg.to_vec(),
        };
        let res: QuerySmartContractStateResponse = self
            .abci_query_at("/cosmwasm.wasm.v1.Query/SmartContractState", &req, height)
            .await?;
        Ok(res.data)
    }

    /// Every stored code (id, creator, checksum), in id order.
    pub async fn codes(&self) -> Result<Vec<CodeInfo>> {
        let mut out = Vec::new();
        let mut key = Vec::new();
        loop {
            let req = QueryCodesRequest {
                pagination: Some(PageRequest {
                    key: key.clone(),
                    offset: 0,
                    limit: 100,
                    count_total: false,
                    reverse: false,
                }),
            };
            let res: QueryCodesResponse = self
                .abci_query("/cosmwasm.wasm.v1.Query/Codes", &req)
                .await?;
            out.extend(res.code_infos.into_iter().map(|c| CodeInfo {
                code_id: c.code_id,
                creator: c.creator,
                checksum: hex::encode(c.data_hash),
            }));
            match res.pagination {
                Some(p) if !p.next_key.is_empty() => key = p.next_key,
                _ => return Ok(out),
            }
        }
    }

    /// Code id, creator, admin and label of a contract.
    pub async fn contract_info(&self, contract: &str) -> Result<ContractInfo> {
        self.parse_address(contract)?;
        let req = QueryContractInfoRequest {
            address: contract.to_string(),
        };
        let res: QueryContractInfoResponse = self
            .abci_query("/cosmwasm.wasm.v1.Query/ContractInfo", &req)
            .await?;
        let info = res.contract_info.ok_or_else(|| Error::Query {
            path: "/cosmwasm.wasm.v1.Query/ContractInfo".into(),
            code: 0,
            codespace: String::new(),
            log: format!("no contract at {contract}"),
        })?;
        Ok(ContractInfo {
            address: contract.to_string(),
            code_id: info.code_id,
            creator: info.creator,
            admin: (!info.admin.is_empty()).then_some(info.admin),
            label: info.label,
        })
    }

    // ---------------------------------------------------------------- transactions

    /// Uploads wasm code. Returns the code id and the checksum (sha256, hex).
    pub async fn store(&self, wasm: &[u8]) -> Result<Stored> {
        let sender = self.signer()?.address().clone();
        // wasmd accepts gzip-compressed code (and hashes the uncompressed
        // bytes): a third of the size through RPC limits and the mempool.
        let msg = MsgStoreCode {
            sender,
            wasm_byte_code: gzip(wasm)?,
            instantiate_permission: None,
        };
        let tx = self.broadcast(vec![to_any(&msg)?], "").await?;
        let code_id = tx
            .attribute("store_code", "code_id")
            .ok_or_else(|| missing(&tx, "store_code", "code_id"))?;
        let code_id = code_id
            .parse()
            .map_err(|_| missing(&tx, "store_code", "code_id"))?;
        Ok(Stored {
            code_id,
            checksum: hex::encode(Sha256::digest(wasm)),
            tx,
        })
    }

    /// Instantiates `code_id` with the JSON of `msg`. `admin` may migrate it later.
    pub async fn instantiate(
        &self,
        code_id: u64,
        msg: &impl Serialize,
        label: &str,
        admin: Option<&str>,
    ) -> Result<Instantiated> {
        self.instantiate_with_funds(code_id, msg, label, admin, &[])
            .await
    }

    /// [`ChainClient::instantiate`], sending native `funds` along.
    pub async fn instantiate_with_funds(
        &self,
        code_id: u64,
        msg: &impl Serialize,
        label: &str,
        admin: Option<&str>,
        funds: &[Coin],
    ) -> Result<Instantiated> {
        let sender = self.signer()?.address().clone();
        let admin = admin.map(|a| self.parse_address(a)).transpose()?;
        let msg = MsgInstantiateContract {
            sender,
            admin,
            code_id,
            label: Some(label.to_string()),
            msg: serde_json::to_vec(msg)?,
            funds: funds.to_vec(),
        };
        let tx = self.broadcast(vec![to_any(&msg)?], "").await?;
        let address = tx
            .attribute("instantiate", "_contract_address")
            .ok_or_else(|| missing(&tx, "instantiate", "_contract_address"))?
            .to_string();
        Ok(Instantiated { address, tx })
    }

    /// Executes `msg` (as JSON) on `contract`, sending native `funds`.
    pub async fn execute(
        &self,
        contract: &str,
        msg: &impl Serialize,
        funds: &[Coin],
    ) -> Result<TxResponse> {
        self.execute_multi(vec![Execute::new(contract, msg, funds)?])
            .await
    }

    /// Executes several contract calls atomically in one transaction, in order.
    pub async fn execute_multi(&self, calls: Vec<Execute>) -> Result<TxResponse> {
        let msgs = self.execute_msgs(calls)?;
        self.broadcast(msgs, "").await
    }

    fn execute_msgs(&self, calls: Vec<Execute>) -> Result<Vec<Any>> {
        let sender = self.signer()?.address().clone();
        calls
            .into_iter()
            .map(|c| {
                to_any(&MsgExecuteContract {
                    sender: sender.clone(),
                    contract: self.parse_address(&c.contract)?,
                    msg: c.msg,
                    funds: c.funds,
                })
            })
            .collect()
    }

    /// Sends native coins.
    pub async fn send(&self, to: &str, amount: Vec<Coin>) -> Result<TxResponse> {
        let msg = cosmrs::bank::MsgSend {
            from_address: self.signer()?.address().clone(),
            to_address: self.parse_address(to)?,
            amount,
        };
        self.broadcast(vec![to_any(&msg)?], "").await
    }

    /// Simulates `msgs` signed by this client's signer; returns the gas used.
    pub async fn simulate(&self, msgs: Vec<Any>) -> Result<u64> {
        let mut guard = self.account.lock().await;
        let acct = self.current_account(&mut guard).await?;
        let raw = self.sign(&msgs, "", acct, SIMULATION_GAS_LIMIT)?;
        self.simulate_raw(&raw).await
    }

    /// Signs and broadcasts arbitrary messages and waits for inclusion.
    ///
    /// Gas is simulated and multiplied by `gas_adjustment`. On an account
    /// sequence mismatch (another process used the same key) the client takes
    /// the sequence the chain expects and re-signs, up to 3 times. Transport
    /// errors are retried with backoff. The result is the included
    /// transaction, or an error carrying the chain's raw log.
    pub async fn broadcast(&self, msgs: Vec<Any>, memo: &str) -> Result<TxResponse> {
        let (hash, started, bytes) = {
            let mut guard = self.account.lock().await;
            let mut recoveries = 0;
            loop {
                let acct = self.current_account(&mut guard).await?;
                let attempt = async {
                    let gas = self
                        .simulate_raw(&self.sign(&msgs, memo, acct, SIMULATION_GAS_LIMIT)?)
                        .await?;
                    let raw = self.sign(&msgs, memo, acct, self.cfg.gas_limit(gas))?;
                    let started = Instant::now();
                    let bytes = raw.to_bytes().map_err(tx_err)?;
                    let hash = self.broadcast_sync(&bytes).await?;
                    Ok::<_, Error>((hash, started, bytes))
                }
                .await;
                match attempt {
                    Ok(ok) => {
                        *guard = Some(acct.next());
                        break ok;
                    }
                    Err(Error::SequenceMismatch { expected, got, .. })
                        if recoveries < SEQUENCE_RECOVERIES =>
                    {
                        recoveries += 1;
                        tracing::info!(expected, got, "account sequence mismatch: re-signing");
                        *guard = Some(AccountState {
                            sequence: expected,
                            ..acct
                        });
                    }
                    Err(e) => {
                        if matches!(e, Error::NodeUnreachable { .. }) {
                            // The transaction may or may not have reached the node.
                            *guard = None;
                        }
                        return Err(e);
                    }
                }
            }
        };
        let res = self.wait_included(&hash, started, Some(&bytes)).await;
        if matches!(res, Err(Error::InclusionTimeout { .. })) {
            // Unknown outcome: read the sequence from the chain next time.
            *self.account.lock().await = None;
        }
        res
    }

    /// Signs `msgs` with the next sequence and a simulated gas limit, without
    /// broadcasting, and advances the tracked sequence. For tools that hold
    /// signed transactions (and for replay tests).
    pub async fn sign_tx(&self, msgs: Vec<Any>, memo: &str) -> Result<SignedTx> {
        let mut guard = self.account.lock().await;
        let acct = self.current_account(&mut guard).await?;
        let gas = self
            .simulate_raw(&self.sign(&msgs, memo, acct, SIMULATION_GAS_LIMIT)?)
            .await?;
        let raw = self.sign(&msgs, memo, acct, self.cfg.gas_limit(gas))?;
        *guard = Some(acct.next());
        let bytes = raw.to_bytes().map_err(tx_err)?;
        Ok(SignedTx {
            hash: tx_hash(&bytes),
            sequence: acct.sequence,
            bytes,
        })
    }

    /// Signs `msgs` with an explicit sequence number (no simulation; `gas_limit`
    /// given). Does not touch the tracked sequence. For replay tests and tools.
    pub fn sign_with_sequence(
        &self,
        msgs: Vec<Any>,
        memo: &str,
        account: AccountState,
        gas_limit: u64,
    ) -> Result<SignedTx> {
        let bytes = self
            .sign(&msgs, memo, account, gas_limit)?
            .to_bytes()
            .map_err(tx_err)?;
        Ok(SignedTx {
            hash: tx_hash(&bytes),
            sequence: account.sequence,
            bytes,
        })
    }

    /// Broadcasts already-signed bytes and waits for inclusion. No sequence
    /// recovery: a replay is refused with [`Error::DuplicateTx`] (the node has
    /// the bytes) or [`Error::SequenceMismatch`] (the chain has moved on).
    pub async fn broadcast_signed(&self, tx: &SignedTx) -> Result<TxResponse> {
        let started = Instant::now();
        let hash = self.broadcast_sync(&tx.bytes).await?;
        self.wait_included(&hash, started, Some(&tx.bytes)).await
    }

    /// Builds the contract-call messages of this client's signer, for
    /// [`ChainClient::broadcast`], [`ChainClient::simulate`] or [`ChainClient::sign_tx`].
    pub fn execute_any(&self, calls: Vec<Execute>) -> Result<Vec<Any>> {
        self.execute_msgs(calls)
    }

    async fn current_account(&self, slot: &mut Option<AccountState>) -> Result<AccountState> {
        if let Some(a) = *slot {
            return Ok(a);
        }
        let a = self.account(self.signer()?.address().as_ref()).await?;
        *slot = Some(a);
        Ok(a)
    }

    fn sign(&self, msgs: &[Any], memo: &str, acct: AccountState, gas_limit: u64) -> Result<Raw> {
        let signer = self.signer()?;
        let body = Body::new(msgs.to_vec(), memo, 0u32);
        let fee_coin =
            Coin::new(self.cfg.fee_amount(gas_limit), &self.cfg.fee_denom).map_err(tx_err)?;
        let fee = Fee::from_amount_and_gas(fee_coin, gas_limit);
        let auth_info =
            SignerInfo::single_direct(Some(signer.public_key()), acct.sequence).auth_info(fee);
        let doc =
            SignDoc::new(&body, &auth_info, &self.chain_id, acct.account_number).map_err(tx_err)?;
        doc.sign(signer.signing_key()).map_err(tx_err)
    }

    async fn simulate_raw(&self, raw: &Raw) -> Result<u64> {
        #[allow(deprecated)]
        let req = SimulateRequest {
            tx: None,
            tx_bytes: raw.to_bytes().map_err(tx_err)?,
        };
        let res: SimulateResponse = match self
            .abci_query("/cosmos.tx.v1beta1.Service/Simulate", &req)
            .await
        {
            Ok(r) => r,
            Err(Error::Query {
                code,
                codespace,
                log,
                ..
            }) => {
                if let Some((expected, got)) = parse_sequence_mismatch(&log) {
                    return Err(Error::SequenceMismatch { expected, got, log });
                }
                return Err(Error::Simulation {
                    code,
                    codespace,
                    log,
                });
            }
            Err(e) => return Err(e),
        };
        Ok(res.gas_info.map(|g| g.gas_used).unwrap_or_default())
    }

    /// `broadcast_tx_sync`: returns the hash once CheckTx accepted the transaction.
    async fn broadcast_sync(&self, bytes: &[u8]) -> Result<String> {
        let hash = tx_hash(bytes);
        let tries = std::sync::atomic::AtomicU32::new(0);
        let res = self
            .with_retry_raw(|| {
                tries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.rpc().broadcast_tx_sync(bytes.to_vec())
            })
            .await;
        let res = match res {
            Ok(r) => r,
            Err(RetryError::Response(msg)) if msg.contains("already exists in cache") => {
                // After a transport error our first attempt may have arrived: it is ours.
                if tries.load(std::sync::atomic::Ordering::Relaxed) > 1 {
                    return Ok(hash);
                }
                return Err(Error::DuplicateTx { hash });
            }
            Err(RetryError::Response(msg)) => {
                return Err(Error::CheckTx {
                    hash,
                    code: 0,
                    codespace: String::new(),
                    log: msg,
                })
            }
            Err(RetryError::Unreachable(e)) => return Err(e),
        };
        if res.code.is_err() {
            if let Some((expected, got)) = parse_sequence_mismatch(&res.log) {
                return Err(Error::SequenceMismatch {
                    expected,
                    got,
                    log: res.log,
                });
            }
            return Err(Error::CheckTx {
                hash,
                code: res.code.value(),
                codespace: res.codespace,
                log: res.log,
            });
        }
        Ok(hash)
    }

    /// Polls `/tx` until the transaction is in a block or the timeout passes.
    pub async fn wait_for_inclusion(&self, hash: &str, started: Instant) -> Result<TxResponse> {
        self.wait_included(hash, started, None).await
    }

    /// [`ChainClient::wait_for_inclusion`], re-sending `bytes` (the same
    /// signed transaction, so the same hash: it can be included once only)
    /// every [`REBROADCAST_EVERY`] while it is not found, and at once after a
    /// failover: a node that accepted it into its mempool may have died
    /// before passing it on.
    async fn wait_included(
        &self,
        hash: &str,
        started: Instant,
        bytes: Option<&[u8]>,
    ) -> Result<TxResponse> {
        let h = cosmrs::tendermint::Hash::from_str(hash)
            .map_err(|e| Error::Tx(format!("bad hash {hash}: {e}")))?;
        let mut last_sent = Instant::now();
        let mut resend = false;
        loop {
            if let Some(b) = bytes {
                if resend || last_sent.elapsed() >= REBROADCAST_EVERY {
                    // Refusals (already in the cache, sequence already used by
                    // this very transaction) are expected: the poll decides.
                    match self.rpc().broadcast_tx_sync(b.to_vec()).await {
                        Ok(r) => {
                            tracing::debug!(hash, code = r.code.value(), log = %r.log, "re-sent")
                        }
                        Err(e) => tracing::debug!(hash, error = %e.detail(), "re-send failed"),
                    }
                    last_sent = Instant::now();
                    resend = false;
                }
            }
            match self.rpc().tx(h, false).await {
                Ok(res) => {
                    let r = res.tx_result;
                    let height = res.height.value();
                    if r.code.is_err() {
                        return Err(Error::TxFailed {
                            hash: hash.to_string(),
                            height,
                            code: r.code.value(),
                            codespace: r.codespace,
                            log: r.log,
                            gas_wanted: r.gas_wanted.max(0) as u64,
                            gas_used: r.gas_used.max(0) as u64,
                        });
                    }
                    let events = r.events.iter().map(TxEvent::from).collect();
                    return Ok(TxResponse {
                        hash: hash.to_string(),
                        height,
                        gas_wanted: r.gas_wanted.max(0) as u64,
                        gas_used: r.gas_used.max(0) as u64,
                        data: r.data.to_vec(),
                        log: r.log,
                        events,
                        elapsed: started.elapsed(),
                    });
                }
                Err(e) => {
                    // "not found" while pending, or the node is away: keep polling
                    // (on another endpoint if this one no longer answers).
                    tracing::trace!(error = %e, "waiting for inclusion");
                    if !matches!(e.detail(), ErrorDetail::Response(_)) {
                        self.fail_over();
                        resend = true;
                    }
                }
            }
            if started.elapsed() >= self.cfg.inclusion_timeout {
                return Err(Error::InclusionTimeout {
                    hash: hash.to_string(),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(self.cfg.poll_interval).await;
        }
    }
}

enum RetryError {
    Unreachable(Error),
    Response(String),
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).map_err(tx_err)?;
    enc.finish().map_err(tx_err)
}

fn to_any<M: Msg>(msg: &M) -> Result<Any> {
    msg.to_any().map_err(tx_err)
}

fn tx_err(e: impl std::fmt::Display) -> Error {
    Error::Tx(e.to_string())
}

fn missing(tx: &TxResponse, kind: &str, key: &str) -> Error {
    Error::MissingEvent {
        kind: kind.to_string(),
        key: key.to_string(),
        hash: tx.hash.clone(),
    }
}

/// The CometBFT hash of transaction bytes: upper-case hex of their sha256.
pub fn tx_hash(bytes: &[u8]) -> String {
    hex::encode_upper(Sha256::digest(bytes))
}

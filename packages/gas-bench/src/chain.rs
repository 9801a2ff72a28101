//! A minimal in-process chain on cosmwasm-vm: contracts from optimized `.wasm`
//! files, one fresh VM instance per call (as wasmd does), each contract's storage
//! kept between calls, sub-messages to loaded contracts executed, smart queries
//! answered by loaded contracts or by mock handlers, and every call's gas
//! recorded the way wasmd charges it.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::{anyhow, bail, Context, Result};
use cosmwasm_std::{Binary, Checksum};
use cosmwasm_vm::{
    call_execute_raw, call_instantiate_raw, call_query_raw, capabilities_from_csv, Backend, Cache,
    CacheOptions, InstanceOptions, Size,
};
use serde_json::{json, Value};

use crate::backend::{ChainQuerier, GasStorage, MockHandler, WasmdApi};
use crate::gas::{self, CallGas};

/// The capabilities wasmd v0.61 offers (`x/wasm/keeper/capabilities.go`, `BuiltInCapabilities`).
pub const WASMD_CAPABILITIES: &str =
    "iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2,ibc2";

/// wasmd's default memory limit of one contract instance (32 MiB).
const INSTANCE_MEMORY_LIMIT: Size = Size::mebi(32);
/// Per-call gas limit: 1,000,000,000 SDK gas, far above any block; the report says
/// what was used.
const CALL_GAS_LIMIT_SDK: u64 = 1_000_000_000;

/// The chain id the benchmark's contracts see in `env.block.chain_id`.
pub const CHAIN_ID: &str = "aipchain-bench-1";

struct Contract {
    checksum: Checksum,
    /// None while the contract runs (a call back into it is refused).
    storage: Option<GasStorage>,
}

struct State {
    contracts: HashMap<String, Contract>,
    mocks: HashMap<String, MockHandler>,
    height: u64,
    time_nanos: u64,
    /// Gas of the smart queries made so far; a call drains the ones it caused.
    query_log: Vec<CallGas>,
}

/// Shared part of the chain, reachable from the VM's querier.
pub struct Inner {
    cache: Cache<WasmdApi, GasStorage, ChainQuerier>,
    state: Mutex<State>,
    api: WasmdApi,
    _dir: tempfile::TempDir,
}

/// What a call returned: the contract's JSON result or its error message.
pub type ContractOutcome = std::result::Result<Value, String>;

/// The in-process chain.
pub struct Chain {
    inner: Arc<Inner>,
}

impl Chain {
    /// A chain at height 1, time 2026-01-01T00:00:00Z.
    pub fn new() -> Result<Self> {
        let dir = tempfile::tempdir().context("creating the VM cache folder")?;
        let options = CacheOptions::new(
            dir.path(),
            capabilities_from_csv(WASMD_CAPABILITIES),
            Size::mebi(512),
            INSTANCE_MEMORY_LIMIT,
        );
        // SAFETY: the cache folder is a fresh temporary folder only this process uses.
        // cosmwasm-vm's only constructor is unsafe for that reason.
        #[allow(unsafe_code)]
        let cache =
            unsafe { Cache::new(options) }.map_err(|e| anyhow!("creating the VM cache: {e}"))?;
        let state = State {
            contracts: HashMap::new(),
            mocks: HashMap::new(),
            height: 1,
            time_nanos: 1_767_225_600 * 1_000_000_000,
            query_log: Vec::new(),
        };
        Ok(Chain {
            inner: Arc::new(Inner {
                cache,
                state: Mutex::new(state),
                api: WasmdApi::default(),
                _dir: dir,
            }),
        })
    }

    /// A deterministic account address for a name.
    pub fn addr(&self, name: &str) -> String {
        self.inner.api.addr(name)
    }

    /// Stores a wasm file (runs the VM's static checks with wasmd's capabilities).
    pub fn store_code_file(&self, path: &Path) -> Result<Checksum> {
        let wasm = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        self.inner
            .cache
            .store_code(&wasm, true, true)
            .map_err(|e| anyhow!("{} rejected by the VM: {e}", path.display()))
    }

    /// What the VM found in stored code: required capabilities, entry points.
    pub fn analyze(&self, code: &Checksum) -> Result<cosmwasm_vm::AnalysisReport> {
        self.inner
            .cache
            .analyze(code)
            .map_err(|e| anyhow!("analyzing code: {e}"))
    }

    /// Block time, unix seconds.
    pub fn time(&self) -> u64 {
        self.inner.lock().time_nanos / 1_000_000_000
    }

    /// Sets the block time (unix seconds) and moves one block forward.
    pub fn set_time(&self, unix_seconds: u64) {
        let mut s = self.inner.lock();
        s.time_nanos = unix_seconds * 1_000_000_000;
        s.height += 1;
    }

    /// Answers smart queries to `addr` with `handler` (for contracts not loaded).
    pub fn mock_contract(&self, addr: &str, handler: MockHandler) {
        self.inner.lock().mocks.insert(addr.to_string(), handler);
    }

    /// Instantiates stored code at the address derived from `label`.
    pub fn instantiate(
        &self,
        code: &Checksum,
        label: &str,
        sender: &str,
        msg: &Value,
    ) -> Result<(String, CallGas)> {
        let addr = self.addr(label);
        {
            let mut s = self.inner.lock();
            if s.contracts.contains_key(&addr) {
                bail!("contract {label} already exists");
            }
            s.contracts.insert(
                addr.clone(),
                Contract {
                    checksum: *code,
                    storage: Some(GasStorage::default()),
                },
            );
        }
        let msg = serde_json::to_vec(msg)?;
        let info = json!({ "sender": sender, "funds": [] });
        let (outcome, gas) = self.inner.run(&addr, Entry::Instantiate(info), &msg)?;
        let response = outcome.map_err(|e| anyhow!("instantiate {label}: {e}"))?;
        let gas = self.dispatch(&addr, &response, gas)?;
        Ok((addr, gas))
    }

    /// Executes a message as `sender`, then the sub-messages it emits. Fails on a
    /// contract error anywhere (the transaction would revert).
    pub fn execute(&self, contract: &str, sender: &str, msg: &Value) -> Result<(Value, CallGas)> {
        match self.try_execute(contract, sender, msg)? {
            (Ok(response), gas) => Ok((response, gas)),
            (Err(e), _) => Err(anyhow!("execute on {contract}: {e}")),
        }
    }

    /// Like [`Chain::execute`], returning a contract error as a value. State
    /// changes made before an error are not rolled back: use it for calls
    /// expected to fail before writing.
    pub fn try_execute(
        &self,
        contract: &str,
        sender: &str,
        msg: &Value,
    ) -> Result<(ContractOutcome, CallGas)> {
        let bytes = serde_json::to_vec(msg)?;
        let info = json!({ "sender": sender, "funds": [] });
        let (outcome, gas) = self.inner.run(contract, Entry::Execute(info), &bytes)?;
        match outcome {
            Ok(response) => {
                let gas = self.dispatch(contract, &response, gas)?;
                Ok((Ok(response), gas))
            }
            Err(e) => Ok((Err(e), gas)),
        }
    }

    /// A smart query, not metered (for checks between steps).
    pub fn query(&self, contract: &str, msg: &Value) -> Result<Value> {
        let bytes = serde_json::to_vec(msg)?;
        let (outcome, _) = self.inner.run(contract, Entry::Query, &bytes)?;
        let encoded = outcome.map_err(|e| anyhow!("query {contract}: {e}"))?;
        decode_query_result(&encoded)
    }

    /// A smart query with its gas (as a query from another contract costs it).
    pub fn query_metered(&self, contract: &str, msg: &Value) -> Result<(Value, CallGas)> {
        let bytes = serde_json::to_vec(msg)?;
        let (outcome, gas) = self.inner.run(contract, Entry::Query, &bytes)?;
        let encoded = outcome.map_err(|e| anyhow!("query {contract}: {e}"))?;
        Ok((decode_query_result(&encoded)?, gas))
    }

    /// Entries and bytes in a contract's storage.
    pub fn storage_size(&self, contract: &str) -> Option<(usize, usize)> {
        let s = self.inner.lock();
        let storage = s.contracts.get(contract)?.storage.as_ref()?;
        Some((storage.len(), storage.bytes()))
    }

    /// Executes the response's messages; adds their gas and the response's event gas.
    fn dispatch(&self, from: &str, response: &Value, mut gas: CallGas) -> Result<CallGas> {
        gas.events_sdk += response_event_cost(response);
        let messages = response["messages"].as_array().cloned().unwrap_or_default();
        for sub in messages {
            let reply_on = sub["reply_on"].as_str().unwrap_or("never");
            let Some(exec) = sub.pointer("/msg/wasm/execute") else {
                gas.unexecuted_messages += 1;
                continue;
            };
            if reply_on != "never" {
                bail!("{from} asked for a reply (reply_on = {reply_on}); the harness does not simulate replies");
            }
            let target = exec["contract_addr"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let loaded = self.inner.lock().contracts.contains_key(&target);
            if !loaded {
                // wasmd would load that contract too: count its instance, not its work.
                gas.unexecuted_messages += 1;
                gas.instances += 1;
                continue;
            }
            let msg = exec["msg"]
                .as_str()
                .and_then(|b| Binary::from_base64(b).ok())
                .ok_or_else(|| anyhow!("{from} sent a wasm message without a valid msg"))?;
            let msg: Value = serde_json::from_slice(msg.as_slice())?;
            let (_, sub_gas) = self
                .execute(&target, from, &msg)
                .with_context(|| format!("sub-message from {from}"))?;
            gas.absorb(&sub_gas);
            gas.submessages += 1;
        }
        Ok(gas)
    }
}

enum Entry {
    Instantiate(Value),
    Execute(Value),
    Query,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One call into one contract, in a fresh instance. Returns the contract's
    /// result and the gas of this instance plus the queries it made.
    fn run(
        self: &Arc<Self>,
        contract: &str,
        entry: Entry,
        msg: &[u8],
    ) -> Result<(ContractOutcome, CallGas)> {
        let (checksum, storage, env, mark) = {
            let mut s = self.lock();
            let env = json!({
                "block": { "height": s.height, "time": s.time_nanos.to_string(), "chain_id": CHAIN_ID },
                "transaction": { "index": 0, "hash": Binary::from([0u8; 32]).to_base64() },
                "contract": { "address": contract },
            });
            let mark = s.query_log.len();
            let c = s
                .contracts
                .get_mut(contract)
                .ok_or_else(|| anyhow!("no contract at {contract}"))?;
            let storage = c
                .storage
                .take()
                .ok_or_else(|| anyhow!("re-entrant call into {contract}"))?;
            (c.checksum, storage, serde_json::to_vec(&env)?, mark)
        };
        let backend = Backend {
            api: self.api,
            storage,
            querier: ChainQuerier {
                chain: Arc::downgrade(self),
            },
        };
        let options = InstanceOptions {
            gas_limit: CALL_GAS_LIMIT_SDK * gas::GAS_MULTIPLIER,
        };
        let mut instance = match self.cache.get_instance(&checksum, backend, options) {
            Ok(i) => i,
            Err(e) => bail!("loading {contract}: {e}"),
        };
        let raw = match &entry {
            Entry::Instantiate(info) => {
                call_instantiate_raw(&mut instance, &env, &serde_json::to_vec(info)?, msg)
            }
            Entry::Execute(info) => {
                call_execute_raw(&mut instance, &env, &serde_json::to_vec(info)?, msg)
            }
            Entry::Query => call_query_raw(&mut instance, &env, msg),
        };
        let report = instance.create_gas_report();
        let mut backend = instance
            .recycle()
            .ok_or_else(|| anyhow!("could not recycle the instance of {contract}"))?;
        backend.storage.close_iterators();
        let ops = backend.storage.take_ops();
        let queries: Vec<CallGas> = {
            let mut s = self.lock();
            if let Some(c) = s.contracts.get_mut(contract) {
                c.storage = Some(backend.storage);
            }
            s.query_log.drain(mark..).collect()
        };
        let raw = raw.map_err(|e| anyhow!("VM error in {contract}: {e}"))?;

        let query_external: u64 = queries.iter().map(CallGas::sdk_with_instance).sum();
        let mut gas = CallGas {
            vm_cosmwasm: report.used_internally,
            vm_sdk: gas::to_sdk(report.used_internally),
            storage_sdk: report.used_externally.saturating_sub(query_external),
            instances: 1,
            msg_bytes: msg.len() as u64,
            ops,
            ..Default::default()
        };
        for q in &queries {
            gas.absorb(q);
        }
        let result: Value = serde_json::from_slice(&raw).context("contract result is not JSON")?;
        let outcome = if let Some(ok) = result.get("ok") {
            Ok(ok.clone())
        } else if let Some(err) = result.get("error") {
            Err(err.as_str().unwrap_or_default().to_string())
        } else {
            bail!("unexpected contract result {result}");
        };
        Ok((outcome, gas))
    }

    /// A smart query from a running contract. Its gas is logged for the caller.
    pub(crate) fn smart_query(
        self: &Arc<Self>,
        contract: &str,
        msg: &[u8],
    ) -> (Result<ContractOutcomeBytes>, CallGas) {
        let mocked = {
            let s = self.lock();
            s.mocks.get(contract).map(|handler| {
                serde_json::from_slice::<Value>(msg)
                    .map_err(|e| e.to_string())
                    .and_then(|m| handler(&m))
                    .map(|v| serde_json::to_vec(&v).unwrap_or_default())
            })
        };
        let (result, mut gas) = match mocked {
            Some(answer) => (
                Ok(answer),
                // The instance cost is certain; the mocked contract's own work is not counted.
                CallGas {
                    instances: 1,
                    ..Default::default()
                },
            ),
            None => match self.run(contract, Entry::Query, msg) {
                Ok((outcome, gas)) => {
                    let bytes = outcome.and_then(|encoded| {
                        encoded
                            .as_str()
                            .and_then(|b| Binary::from_base64(b).ok())
                            .map(|b| b.to_vec())
                            .ok_or_else(|| "query result is not base64".to_string())
                    });
                    (Ok(bytes), gas)
                }
                Err(e) => (Err(e), CallGas::default()),
            },
        };
        gas.queries += 1;
        self.lock().query_log.push(gas);
        (result, gas)
    }
}

/// A query's result bytes or the queried contract's error.
pub type ContractOutcomeBytes = std::result::Result<Vec<u8>, String>;

fn decode_query_result(encoded: &Value) -> Result<Value> {
    let b64 = encoded
        .as_str()
        .ok_or_else(|| anyhow!("query result is not base64"))?;
    let bytes = Binary::from_base64(b64).map_err(|e| anyhow!("query result: {e}"))?;
    Ok(serde_json::from_slice(bytes.as_slice())?)
}

fn pairs(attrs: &Value) -> Vec<(String, String)> {
    attrs
        .as_array()
        .map(|a| {
            a.iter()
                .map(|kv| {
                    (
                        kv["key"].as_str().unwrap_or_default().to_string(),
                        kv["value"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// wasmd's event gas for a contract response (JSON).
pub fn response_event_cost(response: &Value) -> u64 {
    let attrs = pairs(&response["attributes"]);
    let events: Vec<(String, Vec<(String, String)>)> = response["events"]
        .as_array()
        .map(|evs| {
            evs.iter()
                .map(|e| {
                    (
                        e["type"].as_str().unwrap_or_default().to_string(),
                        pairs(&e["attributes"]),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    gas::event_cost(&attrs, &events)
}

/// The attribute `key` of a response, if present.
pub fn attribute<'a>(response: &'a Value, key: &str) -> Option<&'a str> {
    response["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .and_then(|a| a["value"].as_str())
}

/// The capability set of [`WASMD_CAPABILITIES`].
pub fn wasmd_capabilities() -> HashSet<String> {
    capabilities_from_csv(WASMD_CAPABILITIES)
}

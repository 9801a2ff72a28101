//! The VM backend: a storage that charges wasmd's KV gas, an address API with
//! wasmd's costs, and a querier that routes smart queries to other contracts
//! (run for real) or to mock answers.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use cosmwasm_std::{Binary, ContractResult, Order, Record, SystemError, SystemResult};
use cosmwasm_vm::testing::MockApi;
use cosmwasm_vm::{BackendApi, BackendError, BackendResult, GasInfo, Querier, Storage};

use crate::gas::{self, kv, StorageOps};

/// A contract's key-value store that charges the Cosmos SDK KV gas wasmd's
/// `gaskv` store charges, on the full key (`0x03 ‖ contract address ‖ key`).
///
/// The gas is reported to the VM as externally used, in SDK gas, as wasmvm does;
/// the chain reads it back from the instance's gas report.
#[derive(Clone, Debug, Default)]
pub struct GasStorage {
    data: BTreeMap<Vec<u8>, Vec<u8>>,
    iterators: HashMap<u32, ScanIter>,
    next_iterator: u32,
    ops: Cell<StorageOps>,
}

#[derive(Clone, Debug)]
struct ScanIter {
    records: Vec<Record>,
    position: usize,
}

impl GasStorage {
    fn charge(sdk: u64) -> GasInfo {
        GasInfo::with_externally_used(sdk)
    }

    fn seek_cost(record: Option<&Record>) -> u64 {
        let bytes = record.map_or(0, |(k, v)| {
            kv::CONTRACT_PREFIX_LEN + (k.len() + v.len()) as u64
        });
        bytes * kv::READ_PER_BYTE + kv::ITER_NEXT_FLAT
    }

    fn count(&self, f: impl FnOnce(&mut StorageOps)) {
        let mut o = self.ops.get();
        f(&mut o);
        self.ops.set(o);
    }

    /// Returns and resets the operation counts.
    pub fn take_ops(&mut self) -> StorageOps {
        self.ops.take()
    }

    /// Number of entries stored.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Total bytes of keys and values (without wasmd's prefix).
    pub fn bytes(&self) -> usize {
        self.data.iter().map(|(k, v)| k.len() + v.len()).sum()
    }

    /// Drops open iterators (wasmd's iterators live for one call).
    pub fn close_iterators(&mut self) {
        self.iterators.clear();
    }
}

impl Storage for GasStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let value = self.data.get(key).cloned();
        let bytes = kv::CONTRACT_PREFIX_LEN
            + key.len() as u64
            + value.as_ref().map_or(0, |v| v.len() as u64);
        let sdk = kv::READ_FLAT + bytes * kv::READ_PER_BYTE;
        self.count(|o| o.reads += 1);
        (Ok(value), Self::charge(sdk))
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        let lower = start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec()));
        let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        let records: Vec<Record> = if matches!((&lower, &upper), (Bound::Included(s), Bound::Excluded(e)) if s >= e)
        {
            Vec::new()
        } else {
            let range = self
                .data
                .range((lower, upper))
                .map(|(k, v)| (k.clone(), v.clone()));
            match order {
                Order::Ascending => range.collect(),
                Order::Descending => range.rev().collect(),
            }
        };
        // The SDK's gas iterator charges for the first item when it is created.
        let cost = Self::seek_cost(records.first());
        let id = self.next_iterator;
        self.next_iterator += 1;
        self.iterators.insert(
            id,
            ScanIter {
                records,
                position: 0,
            },
        );
        let info = Self::charge(cost);
        (Ok(id), info)
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let Some(iter) = self.iterators.get_mut(&iterator_id) else {
            return (
                Err(BackendError::iterator_does_not_exist(iterator_id)),
                GasInfo::free(),
            );
        };
        // wasmvm reads the current item, then calls Next(), which charges for the
        // item after it; at the end it returns nothing for free.
        let Some(record) = iter.records.get(iter.position).cloned() else {
            return (Ok(None), GasInfo::free());
        };
        iter.position += 1;
        let cost = Self::seek_cost(iter.records.get(iter.position));
        self.count(|o| o.iter_items += 1);
        (Ok(Some(record)), Self::charge(cost))
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        let bytes = kv::CONTRACT_PREFIX_LEN + (key.len() + value.len()) as u64;
        let info = Self::charge(kv::WRITE_FLAT + bytes * kv::WRITE_PER_BYTE);
        self.count(|o| {
            o.writes += 1;
            o.write_bytes += (key.len() + value.len()) as u64;
        });
        self.data.insert(key.to_vec(), value.to_vec());
        (Ok(()), info)
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        let info = Self::charge(kv::DELETE);
        self.count(|o| o.deletes += 1);
        self.data.remove(key);
        (Ok(()), info)
    }
}

/// cosmwasm-vm's bech32 mock API with wasmd's address costs.
#[derive(Clone, Copy, Default)]
pub struct WasmdApi(pub MockApi);

impl WasmdApi {
    fn with_cost<T>(result: BackendResult<T>, sdk: u64) -> BackendResult<T> {
        (result.0, GasInfo::with_cost(sdk * gas::GAS_MULTIPLIER))
    }

    /// A deterministic bech32 address for a name.
    pub fn addr(&self, name: &str) -> String {
        self.0.addr_make(name)
    }
}

impl BackendApi for WasmdApi {
    fn addr_validate(&self, input: &str) -> BackendResult<()> {
        Self::with_cost(self.0.addr_validate(input), gas::api::VALIDATE)
    }

    fn addr_canonicalize(&self, human: &str) -> BackendResult<Vec<u8>> {
        Self::with_cost(self.0.addr_canonicalize(human), gas::api::CANONICALIZE)
    }

    fn addr_humanize(&self, canonical: &[u8]) -> BackendResult<String> {
        Self::with_cost(self.0.addr_humanize(canonical), gas::api::HUMANIZE)
    }
}

/// Answers a smart query in place of a contract the harness does not run.
/// Gets the query message as JSON and returns the response as JSON, or an
/// error string (which the calling contract sees as a failed query).
pub type MockHandler =
    Box<dyn Fn(&serde_json::Value) -> Result<serde_json::Value, String> + Send + Sync>;

/// Routes the VM's queries. Holds a handle to the chain so a smart query to a
/// loaded contract runs that contract's `query` entry point.
pub struct ChainQuerier {
    pub(crate) chain: std::sync::Weak<crate::chain::Inner>,
}

impl Querier for ChainQuerier {
    fn query_raw(
        &self,
        request: &[u8],
        _gas_limit: u64,
    ) -> BackendResult<SystemResult<ContractResult<Binary>>> {
        let unsupported = |kind: &str| {
            SystemResult::Err(SystemError::UnsupportedRequest {
                kind: kind.to_string(),
            })
        };
        let Some(chain) = self.chain.upgrade() else {
            return (Err(BackendError::unknown("chain dropped")), GasInfo::free());
        };
        let request: serde_json::Value = match serde_json::from_slice(request) {
            Ok(v) => v,
            Err(e) => {
                return (
                    Ok(SystemResult::Err(SystemError::InvalidRequest {
                        error: e.to_string(),
                        request: Binary::from(request),
                    })),
                    GasInfo::free(),
                )
            }
        };
        let Some(smart) = request.pointer("/wasm/smart") else {
            return (Ok(unsupported(&request.to_string())), GasInfo::free());
        };
        let contract = smart["contract_addr"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let msg = smart["msg"]
            .as_str()
            .and_then(|b| Binary::from_base64(b).ok())
            .unwrap_or_default();
        let (result, gas) = chain.smart_query(&contract, msg.as_slice());
        let used = gas.sdk_with_instance();
        let result = match result {
            Ok(Ok(bytes)) => SystemResult::Ok(ContractResult::Ok(Binary::from(bytes))),
            Ok(Err(contract_error)) => SystemResult::Ok(ContractResult::Err(contract_error)),
            Err(_) => SystemResult::Err(SystemError::NoSuchContract { addr: contract }),
        };
        (Ok(result), GasInfo::with_externally_used(used))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_charges_sdk_kv_gas_on_the_prefixed_key() {
        let mut s = GasStorage::default();
        let (r, info) = s.set(b"key", b"value");
        r.unwrap();
        // 2000 + 30 * (33 + 3 + 5)
        assert_eq!(info.externally_used, 2_000 + 30 * 41);
        let (v, info) = s.get(b"key");
        assert_eq!(v.unwrap().unwrap(), b"value");
        assert_eq!(info.externally_used, 1_000 + 3 * 41);
        let (_, info) = s.get(b"nope");
        assert_eq!(info.externally_used, 1_000 + 3 * 37);
        let (_, info) = s.remove(b"key");
        assert_eq!(info.externally_used, 1_000);
        assert!(s.is_empty());
    }

    #[test]
    fn iteration_charges_each_item_once_plus_a_flat_step() {
        let mut s = GasStorage::default();
        s.set(b"a", b"1").0.unwrap();
        s.set(b"b", b"22").0.unwrap();
        s.set(b"c", b"3").0.unwrap();
        let (id, info) = s.scan(Some(b"a"), Some(b"c"), Order::Ascending);
        let id = id.unwrap();
        assert_eq!(info.externally_used, 3 * (33 + 2) + 30);
        let (r, info) = s.next(id);
        assert_eq!(r.unwrap().unwrap(), (b"a".to_vec(), b"1".to_vec()));
        assert_eq!(info.externally_used, 3 * (33 + 3) + 30);
        let (r, info) = s.next(id);
        assert_eq!(r.unwrap().unwrap().0, b"b".to_vec());
        assert_eq!(info.externally_used, 30);
        let (r, info) = s.next(id);
        assert!(r.unwrap().is_none());
        assert_eq!(info.externally_used, 0);

        let (id, _) = s.scan(None, None, Order::Descending);
        let (r, _) = s.next(id.unwrap());
        assert_eq!(r.unwrap().unwrap().0, b"c".to_vec());
        let (id, info) = s.scan(Some(b"c"), Some(b"a"), Order::Ascending);
        assert_eq!(info.externally_used, 30);
        assert!(s.next(id.unwrap()).0.unwrap().is_none());
    }
}

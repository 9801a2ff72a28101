//! wasmd's gas schedule (v0.61, Cosmos SDK store v1.1) and the per-call gas record.
//!
//! Every constant names the Go source it mirrors, so a reader can check it.

/// CosmWasm gas per SDK gas (`x/wasm/types/gas_register.go`, `DefaultGasMultiplier`).
pub const GAS_MULTIPLIER: u64 = 140_000;
/// SDK gas charged each time wasmd loads a contract instance (`DefaultInstanceCost`).
pub const INSTANCE_COST: u64 = 60_000;
/// SDK gas charged instead when the code is pinned in memory (`DefaultInstanceCostDiscount`).
pub const INSTANCE_COST_PINNED: u64 = 2_000;

/// Cosmos SDK `KVGasConfig()` (`store/types/gas.go`), charged by the gas KV store under
/// wasmd's per-contract prefix store.
pub mod kv {
    /// SDK gas of a `Has`.
    pub const HAS: u64 = 1_000;
    /// SDK gas of a `Delete`.
    pub const DELETE: u64 = 1_000;
    /// SDK gas of a read, flat.
    pub const READ_FLAT: u64 = 1_000;
    /// SDK gas per byte read (key and value).
    pub const READ_PER_BYTE: u64 = 3;
    /// SDK gas of a write, flat.
    pub const WRITE_FLAT: u64 = 2_000;
    /// SDK gas per byte written (key and value).
    pub const WRITE_PER_BYTE: u64 = 30;
    /// SDK gas per item an iterator yields, flat.
    pub const ITER_NEXT_FLAT: u64 = 30;
    /// wasmd stores a contract's keys under `0x03 ‖ contract address (32 bytes)`;
    /// the gas store sees the full key.
    pub const CONTRACT_PREFIX_LEN: u64 = 33;
}

/// wasmd's event costs (`EventCosts` in `gas_register.go`).
pub mod events {
    /// SDK gas per event attribute.
    pub const PER_ATTRIBUTE: u64 = 10;
    /// SDK gas per event byte beyond the free ones.
    pub const PER_BYTE: u64 = 1;
    /// Event bytes free of charge.
    pub const FREE_BYTES: u64 = 100;
    /// SDK gas per custom event.
    pub const PER_CUSTOM_EVENT: u64 = 20;
}

/// wasmd's address API costs (`x/wasm/keeper/api.go`), SDK gas; charged as VM gas.
pub mod api {
    /// SDK gas of `addr_humanize`.
    pub const HUMANIZE: u64 = 5;
    /// SDK gas of `addr_canonicalize`.
    pub const CANONICALIZE: u64 = 4;
    /// SDK gas of `addr_validate` (canonicalize, then humanize).
    pub const VALIDATE: u64 = HUMANIZE + CANONICALIZE;
}

/// The ante handler charges this much SDK gas per byte of the signed transaction
/// (`TxSizeCostPerByte`, auth params default). Reported as a note, not part of the
/// contract's gas.
pub const TX_SIZE_COST_PER_BYTE: u64 = 10;

/// CosmWasm gas to SDK gas, rounded down, the way wasmd converts (`FromWasmVMGas`).
pub fn to_sdk(cosmwasm_gas: u64) -> u64 {
    cosmwasm_gas / GAS_MULTIPLIER
}

/// SDK gas wasmd charges for a response's attributes and custom events.
/// `attrs` and each event's attributes are `(key, value)` pairs.
pub fn event_cost(
    attrs: &[(String, String)],
    custom_events: &[(String, Vec<(String, String)>)],
) -> u64 {
    fn attr_cost(attrs: &[(String, String)], free: &mut u64) -> u64 {
        if attrs.is_empty() {
            return 0;
        }
        let bytes: u64 = attrs.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum();
        let charged = bytes.saturating_sub(*free);
        *free = free.saturating_sub(bytes);
        charged * events::PER_BYTE + attrs.len() as u64 * events::PER_ATTRIBUTE
    }
    let mut free = events::FREE_BYTES;
    let mut gas = attr_cost(attrs, &mut free);
    for (ty, attrs) in custom_events {
        gas += events::PER_CUSTOM_EVENT + ty.len() as u64 * events::PER_BYTE;
        gas += attr_cost(attrs, &mut free);
    }
    gas
}

/// Everything one transaction message cost, including the contract calls it caused
/// (sub-messages executed on other loaded contracts, smart queries).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallGas {
    /// CosmWasm gas metered inside the VMs (wasm execution and host functions).
    pub vm_cosmwasm: u64,
    /// The same as SDK gas, converted per instance the way wasmd does.
    pub vm_sdk: u64,
    /// SDK gas of storage reads, writes, deletes and iteration.
    pub storage_sdk: u64,
    /// SDK gas of the emitted attributes and events.
    pub events_sdk: u64,
    /// Contract instances loaded: the called contract, plus one per executed
    /// sub-message and per smart query to another contract.
    pub instances: u64,
    /// Smart queries to other contracts (mock answers included).
    pub queries: u64,
    /// Sub-messages executed on other loaded contracts.
    pub submessages: u64,
    /// Messages emitted to contracts the harness does not run (counted, not executed:
    /// their own gas is missing from the totals).
    pub unexecuted_messages: u64,
    /// Bytes of the JSON message sent to the contract.
    pub msg_bytes: u64,
    /// Storage operations, for finding where storage gas goes.
    pub ops: StorageOps,
}

/// Counts of storage operations (all contracts involved in a call).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageOps {
    /// Storage reads.
    pub reads: u64,
    /// Storage writes.
    pub writes: u64,
    /// Key + value bytes written (without wasmd's prefix).
    pub write_bytes: u64,
    /// Storage deletes.
    pub deletes: u64,
    /// Items read by iteration.
    pub iter_items: u64,
}

impl StorageOps {
    /// Adds `o`'s counts to these.
    pub fn add(&mut self, o: &StorageOps) {
        self.reads += o.reads;
        self.writes += o.writes;
        self.write_bytes += o.write_bytes;
        self.deletes += o.deletes;
        self.iter_items += o.iter_items;
    }
}

impl CallGas {
    /// SDK gas without instance costs: VM + storage + events.
    pub fn sdk_without_instance(&self) -> u64 {
        self.vm_sdk + self.storage_sdk + self.events_sdk
    }

    /// SDK gas with an unpinned instance cost for every instance loaded.
    pub fn sdk_with_instance(&self) -> u64 {
        self.sdk_without_instance() + self.instances * INSTANCE_COST
    }

    /// SDK gas when every contract involved is pinned.
    pub fn sdk_pinned(&self) -> u64 {
        self.sdk_without_instance() + self.instances * INSTANCE_COST_PINNED
    }

    /// Adds the cost of a nested call (sub-message or query).
    pub fn absorb(&mut self, other: &CallGas) {
        self.vm_cosmwasm += other.vm_cosmwasm;
        self.vm_sdk += other.vm_sdk;
        self.storage_sdk += other.storage_sdk;
        self.events_sdk += other.events_sdk;
        self.instances += other.instances;
        self.queries += other.queries;
        self.submessages += other.submessages;
        self.unexecuted_messages += other.unexecuted_messages;
        self.ops.add(&other.ops);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_conversion_rounds_down_like_wasmd() {
        assert_eq!(to_sdk(0), 0);
        assert_eq!(to_sdk(139_999), 0);
        assert_eq!(to_sdk(140_000), 1);
        assert_eq!(to_sdk(1_400_000_000), 10_000);
        assert_eq!(to_sdk(1_400_139_999), 10_000);
    }

    #[test]
    fn totals_add_instance_costs_per_instance() {
        let g = CallGas {
            vm_cosmwasm: 14_000_000,
            vm_sdk: 100,
            storage_sdk: 5_000,
            events_sdk: 30,
            instances: 2,
            ..Default::default()
        };
        assert_eq!(g.sdk_without_instance(), 5_130);
        assert_eq!(g.sdk_with_instance(), 125_130);
        assert_eq!(g.sdk_pinned(), 9_130);
    }

    #[test]
    fn event_cost_has_a_shared_free_tier() {
        let a = |k: &str, v: &str| (k.to_string(), v.to_string());
        // 60 bytes of attributes: inside the free tier, 10 per attribute.
        assert_eq!(event_cost(&[a("action", "x".repeat(54).as_str())], &[]), 10);
        // 150 bytes: 50 over the free tier.
        assert_eq!(event_cost(&[a("k", &"v".repeat(149))], &[]), 50 + 10);
        // A custom event pays 20 + its type length; the free tier is already used up.
        let ev = ("wasm-x".to_string(), vec![a("ab", "cd")]);
        assert_eq!(
            event_cost(&[a("k", &"v".repeat(149))], &[ev]),
            60 + 20 + 6 + 4 + 10
        );
    }
}

//! Storage. Roles and operators are ordinary `cw-storage-plus` items; meters
//! and readings are compact binary pages under short raw keys (see
//! [`crate::codec`]).

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, StdResult, Storage, Uint128};
use cw_storage_plus::{Item, Map};

use crate::codec::{ReadingsPage, RegistryPage};
use crate::msg::MeterId;

/// Meters per registry page.
pub const REGISTRY_PAGE: u32 = 32;
/// Meters per readings page (per slot).
pub const READINGS_PAGE: u32 = 64;

/// Roles, quorum, tolerance and counters.
#[cw_serde]
pub struct Config {
    /// Manages operators, quorum, tolerance and roles.
    pub admin: Addr,
    /// The grid operator: approves and registers meters.
    pub grid_operator: Addr,
    /// Reports that must agree to finalize a reading.
    pub quorum: u32,
    /// Absolute tolerance, Wh.
    pub tolerance_wh: Uint128,
    /// Relative tolerance, basis points of the median.
    pub tolerance_bps: u16,
    /// Operators currently allowed to submit.
    pub active_operators: u32,
    /// Meters ever created; the next meter id is `meters + 1`.
    pub meters: u32,
}

/// An oracle operator's record.
#[cw_serde]
pub struct Operator {
    /// Stable index in reading records (0..64).
    pub index: u8,
    /// Allowed to submit.
    pub active: bool,
    /// Readings it reported.
    pub reports: u64,
    /// Reports that disagreed with the final value.
    pub outliers: u64,
}

/// The configuration.
pub const CONFIG: Item<Config> = Item::new("c");
/// Operators by address.
pub const OPERATORS: Map<&Addr, Operator> = Map::new("o");
/// Operator addresses by index.
pub const OPERATOR_BY_INDEX: Map<u8, Addr> = Map::new("i");

const REGISTRY_PREFIX: u8 = b'm';
const READINGS_PREFIX: u8 = b'r';

/// Storage key of registry page `page`.
pub fn registry_key(page: u32) -> [u8; 5] {
    let mut k = [REGISTRY_PREFIX; 5];
    k[1..].copy_from_slice(&page.to_be_bytes());
    k
}

/// Storage key of the readings page `page` of `slot`.
pub fn readings_key(slot: u64, page: u32) -> [u8; 13] {
    let mut k = [READINGS_PREFIX; 13];
    k[1..9].copy_from_slice(&slot.to_be_bytes());
    k[9..].copy_from_slice(&page.to_be_bytes());
    k
}

/// (page, offset) of a meter in the registry.
pub fn registry_pos(meter: MeterId) -> (u32, u8) {
    (meter / REGISTRY_PAGE, (meter % REGISTRY_PAGE) as u8)
}

/// (page, offset) of a meter in a slot's readings.
pub fn readings_pos(meter: MeterId) -> (u32, u8) {
    (meter / READINGS_PAGE, (meter % READINGS_PAGE) as u8)
}

/// Registry page `page` (empty if never written).
pub fn load_registry(store: &dyn Storage, page: u32) -> StdResult<RegistryPage> {
    match aip_types::store::read(store, &registry_key(page)) {
        Some(bytes) => RegistryPage::decode(&bytes),
        None => Ok(RegistryPage::default()),
    }
}

/// Writes registry page `page`.
pub fn save_registry(store: &mut dyn Storage, page: u32, p: &RegistryPage) {
    store.set(&registry_key(page), &p.encode());
}

/// Readings page `page` of `slot` (empty if never written).
pub fn load_readings(store: &dyn Storage, slot: u64, page: u32) -> StdResult<ReadingsPage> {
    match aip_types::store::read(store, &readings_key(slot, page)) {
        Some(bytes) => ReadingsPage::decode(&bytes),
        None => Ok(ReadingsPage::default()),
    }
}

/// Writes readings page `page` of `slot`.
pub fn save_readings(store: &mut dyn Storage, slot: u64, page: u32, p: &ReadingsPage) {
    store.set(&readings_key(slot, page), &p.encode());
}

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary};
use cw_storage_plus::{Item, Map};

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    pub provider: Addr,
    pub reputation: Option<Addr>,
    pub root_history: u32,
    pub chain_id: String,
    /// 32 bytes, little-endian scalar.
    pub external_nullifier: Binary,
}

/// The verifying key in the form verification needs.
#[cw_serde]
pub struct PreparedKey {
    /// α (G1, compressed, 48 bytes).
    pub alpha_g1: Binary,
    /// β | γ | δ (G2, compressed, 3 × 96 bytes): the `qs` of the pairing check.
    pub g2s: Binary,
    /// IC0 and IC1 (G1, uncompressed, 96 bytes each): read without re-validation.
    pub ic0: Binary,
    pub ic1: Binary,
}

pub const CONFIG: Item<Config> = Item::new("config");
/// The key as the admin sent it (for the query).
pub const VK_RAW: Item<Binary> = Item::new("vk_raw");
pub const VK: Item<PreparedKey> = Item::new("vk");
/// Valid roots, newest first: the current one, then up to `root_history` older ones.
pub const ROOTS: Item<Vec<Binary>> = Item::new("roots");
/// Nullifier hash → the account that used it.
pub const NULLIFIERS: Map<&[u8], Addr> = Map::new("nul");
/// Account → its nullifier hash.
pub const REGISTERED: Map<&Addr, Binary> = Map::new("reg");

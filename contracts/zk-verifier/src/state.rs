use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary, StdError, StdResult, Storage};
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

/// The verifying key in the form verification needs. Stored as its fixed
/// 528-byte layout under [`VK_KEY`] (no JSON or base64 to decode in `Register`).
#[derive(Clone, Debug, PartialEq)]
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
/// Storage key of the prepared key's raw bytes: α | β γ δ | IC0 | IC1.
pub const VK_KEY: &[u8] = b"vkp";
const ALPHA: usize = 48;
const G2S: usize = 3 * 96;
const IC: usize = 96;
/// Length of the stored prepared key.
pub const PREPARED_LEN: usize = ALPHA + G2S + 2 * IC;

impl PreparedKey {
    pub fn save(&self, storage: &mut dyn Storage) {
        let mut v = Vec::with_capacity(PREPARED_LEN);
        for part in [&self.alpha_g1, &self.g2s, &self.ic0, &self.ic1] {
            v.extend_from_slice(part.as_slice());
        }
        debug_assert_eq!(v.len(), PREPARED_LEN);
        storage.set(VK_KEY, &v);
    }

    /// `Ok(None)` when no key has been set.
    pub fn load(storage: &dyn Storage) -> StdResult<Option<Self>> {
        let Some(v) = storage.get(VK_KEY) else {
            return Ok(None);
        };
        if v.len() != PREPARED_LEN {
            return Err(StdError::generic_err(format!(
                "stored verifying key: {} bytes, expected {PREPARED_LEN}",
                v.len()
            )));
        }
        let (alpha, rest) = v.split_at(ALPHA);
        let (g2s, ics) = rest.split_at(G2S);
        let (ic0, ic1) = ics.split_at(IC);
        Ok(Some(PreparedKey {
            alpha_g1: Binary::from(alpha),
            g2s: Binary::from(g2s),
            ic0: Binary::from(ic0),
            ic1: Binary::from(ic1),
        }))
    }
}
/// Valid roots, newest first: the current one, then up to `root_history` older ones.
pub const ROOTS: Item<Vec<Binary>> = Item::new("roots");
/// Nullifier hash → the account that used it. (No account → nullifier index:
/// reputation refuses a second token for an account, which reverts `Register`.)
pub const NULLIFIERS: Map<&[u8], Addr> = Map::new("nul");

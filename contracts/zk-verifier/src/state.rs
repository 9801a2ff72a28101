//! Storage. `Register` reads only what it needs: the context record, the
//! nullifier, the prepared key and (on a first registration) the reputation
//! address; it writes the nullifier and the account record.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Api, Binary, CanonicalAddr, Order, StdError, StdResult, Storage};
use cw_storage_plus::{Item, Map};

use crate::msg::RootKind;

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    pub provider: Addr,
    pub compliance: Addr,
    pub reputation: Option<Addr>,
    pub grace_period: u64,
    pub premium_max_age_days: u32,
    pub chain_id: String,
    /// 32 bytes, little-endian scalar.
    pub external_nullifier: Binary,
}

/// The current roots (32-byte little-endian scalars).
#[cw_serde]
pub struct Roots {
    pub identity: Option<Binary>,
    pub sanctions: Binary,
    pub revocation: Binary,
    /// The context of the three roots, once there is an identity root.
    pub context: Option<Binary>,
    pub lists_generation: u32,
}

/// One context a proof may name.
#[cw_serde]
pub struct ContextRecord {
    /// The lists generation of its sanctions and revocation roots.
    #[serde(rename = "g")]
    pub lists_generation: u32,
    /// Set when a publication replaced it: which root, when, and the end of its grace.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<Replaced>,
}

#[cw_serde]
pub struct Replaced {
    #[serde(rename = "k")]
    pub by: RootKind,
    #[serde(rename = "t")]
    pub at: u64,
    #[serde(rename = "u")]
    pub accepted_until: u64,
}

/// A registered account.
#[cw_serde]
pub struct Account {
    /// The proof's `valid_until`.
    #[serde(rename = "v")]
    pub valid_until: u64,
    /// Block time of the last successful proof.
    #[serde(rename = "p")]
    pub proved_at: u64,
    /// The lists generation of the context it proved against.
    #[serde(rename = "g")]
    pub lists_generation: u32,
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
    /// The fixed-base comb table of IC1 ([`crate::groth16::COMB_POINTS`] points,
    /// uncompressed, 96 bytes each): entry `m - 1` is `Σ 2^(t·SPAN)·IC1` over the
    /// set bits `t` of `m`.
    pub comb: Binary,
}

pub const CONFIG: Item<Config> = Item::new("config");
/// The reputation contract, on its own: the only config `Register` reads.
pub const REPUTATION: Item<Addr> = Item::new("rep");
pub const ROOTS: Item<Roots> = Item::new("roots2");
/// Context → its record (current, or replaced with a grace end).
pub const CONTEXTS: Map<&[u8], ContextRecord> = Map::new("ctx");
/// Lists generation → block time it started (its sanctions or revocation root was published).
pub const LIST_GENERATIONS: Map<u32, u64> = Map::new("lgen");
/// Raw-key prefix of the account records: `a` | canonical address → 20 bytes
/// (`valid_until`, `proved_at` as u64 LE, `lists_generation` as u32 LE). Raw
/// rather than JSON under the bech32 string: `Register` writes one per call,
/// and every byte written costs 30 SDK gas.
const ACCOUNT_PREFIX: &[u8] = b"a";
/// Raw-key prefix of the nullifiers: `n` | nullifier hash → canonical address.
const NULLIFIER_PREFIX: &[u8] = b"n";
const ACCOUNT_LEN: usize = 20;

fn key(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    [prefix, rest].concat()
}

impl Account {
    fn to_bytes(&self) -> [u8; ACCOUNT_LEN] {
        let mut b = [0u8; ACCOUNT_LEN];
        b[..8].copy_from_slice(&self.valid_until.to_le_bytes());
        b[8..16].copy_from_slice(&self.proved_at.to_le_bytes());
        b[16..].copy_from_slice(&self.lists_generation.to_le_bytes());
        b
    }

    fn from_bytes(b: &[u8]) -> StdResult<Self> {
        if b.len() != ACCOUNT_LEN {
            return Err(StdError::generic_err(format!(
                "stored account record: {} bytes, expected {ACCOUNT_LEN}",
                b.len()
            )));
        }
        let u64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(a)
        };
        let mut g = [0u8; 4];
        g.copy_from_slice(&b[16..]);
        Ok(Account {
            valid_until: u64_at(0),
            proved_at: u64_at(8),
            lists_generation: u32::from_le_bytes(g),
        })
    }
}

/// The account records.
pub struct Accounts;

impl Accounts {
    pub fn save(storage: &mut dyn Storage, canonical: &CanonicalAddr, acc: &Account) {
        storage.set(&key(ACCOUNT_PREFIX, canonical.as_slice()), &acc.to_bytes());
    }

    pub fn load(storage: &dyn Storage, canonical: &CanonicalAddr) -> StdResult<Option<Account>> {
        storage
            .get(&key(ACCOUNT_PREFIX, canonical.as_slice()))
            .map(|b| Account::from_bytes(&b))
            .transpose()
    }

    /// Up to `limit` records after `start_after`, ascending by canonical address.
    pub fn page(
        storage: &dyn Storage,
        start_after: Option<&CanonicalAddr>,
        limit: usize,
    ) -> StdResult<Vec<(CanonicalAddr, Account)>> {
        let start = match start_after {
            // the smallest key after `a | start_after`
            Some(c) => key(ACCOUNT_PREFIX, &[c.as_slice(), &[0u8]].concat()),
            None => ACCOUNT_PREFIX.to_vec(),
        };
        let end = [ACCOUNT_PREFIX[0] + 1];
        storage
            .range(Some(&start), Some(&end), Order::Ascending)
            .take(limit)
            .map(|(k, v)| {
                Ok((
                    CanonicalAddr::from(&k[ACCOUNT_PREFIX.len()..]),
                    Account::from_bytes(&v)?,
                ))
            })
            .collect()
    }
}

/// The nullifiers: nullifier hash → the account that used it.
pub struct Nullifiers;

impl Nullifiers {
    pub fn save(storage: &mut dyn Storage, nullifier: &[u8], canonical: &CanonicalAddr) {
        storage.set(&key(NULLIFIER_PREFIX, nullifier), canonical.as_slice());
    }

    /// The canonical address that used `nullifier`, if any.
    pub fn load(storage: &dyn Storage, nullifier: &[u8]) -> Option<CanonicalAddr> {
        storage
            .get(&key(NULLIFIER_PREFIX, nullifier))
            .map(CanonicalAddr::from)
    }

    /// The same, as an address.
    pub fn account(
        storage: &dyn Storage,
        api: &dyn Api,
        nullifier: &[u8],
    ) -> StdResult<Option<Addr>> {
        Self::load(storage, nullifier)
            .map(|c| api.addr_humanize(&c))
            .transpose()
    }
}
/// The key as the admin sent it (for the query).
pub const VK_RAW: Item<Binary> = Item::new("vk_raw");
/// Storage key of the prepared key's raw bytes: α | β γ δ | IC0 | IC1.
pub const VK_KEY: &[u8] = b"vkp";
const ALPHA: usize = 48;
const G2S: usize = 3 * 96;
const IC: usize = 96;
/// Length of the stored prepared key.
pub const PREPARED_LEN: usize = ALPHA + G2S + IC + crate::groth16::COMB_POINTS * IC;

impl PreparedKey {
    pub fn save(&self, storage: &mut dyn Storage) {
        let mut v = Vec::with_capacity(PREPARED_LEN);
        for part in [&self.alpha_g1, &self.g2s, &self.ic0, &self.comb] {
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
        let (ic0, comb) = ics.split_at(IC);
        Ok(Some(PreparedKey {
            alpha_g1: Binary::from(alpha),
            g2s: Binary::from(g2s),
            ic0: Binary::from(ic0),
            comb: Binary::from(comb),
        }))
    }
}
// (No account → nullifier index: reputation refuses a second token for an
// account, which reverts `Register` for a second identity; the same identity
// renews its own account.)

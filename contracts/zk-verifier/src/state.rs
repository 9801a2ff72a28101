//! Storage. `Register` reads three records: the context record, the
//! nullifier and the register record (where the verifying key is, and the
//! reputation contract); it writes the account record and, on a first
//! registration, the nullifier.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Api, Binary, CanonicalAddr, Order, StdError, StdResult, Storage};
use cw_storage_plus::{Item, Map};

use crate::msg::RootKind;

/// Roles and policy.
#[cw_serde]
pub struct Config {
    /// Sets the verifying key, the roles and the policy.
    pub admin: Addr,
    /// Publishes the identity and revocation roots.
    pub provider: Addr,
    /// Publishes the sanctions root.
    pub compliance: Addr,
    /// Mints the soulbound token on a first registration.
    pub reputation: Option<Addr>,
    /// Seconds a replaced root stays accepted.
    pub grace_period: u64,
    /// Largest age of the proof behind a premium trade, days.
    pub premium_max_age_days: u32,
    /// The chain the external nullifier is bound to.
    pub chain_id: String,
    /// 32 bytes, little-endian scalar.
    pub external_nullifier: Binary,
}

/// The current roots (32-byte little-endian scalars).
#[cw_serde]
pub struct Roots {
    /// The provider's identity tree (None before its first root).
    pub identity: Option<Binary>,
    /// The compliance role's sanctions set.
    pub sanctions: Binary,
    /// The provider's revocation set.
    pub revocation: Binary,
    /// The context of the three roots, once there is an identity root.
    pub context: Option<Binary>,
    /// Increases with every sanctions or revocation root.
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

/// How a context was replaced.
#[cw_serde]
pub struct Replaced {
    /// The root whose publication replaced it.
    #[serde(rename = "k")]
    pub by: RootKind,
    /// When, unix seconds.
    #[serde(rename = "t")]
    pub at: u64,
    /// Proofs against it are refused from this time on.
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

/// Roles and policy.
pub const CONFIG: Item<Config> = Item::new("config");
/// The current roots and context.
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
    /// Stores `acc` for the account `canonical`.
    pub fn save(storage: &mut dyn Storage, canonical: &CanonicalAddr, acc: &Account) {
        storage.set(&key(ACCOUNT_PREFIX, canonical.as_slice()), &acc.to_bytes());
    }

    /// The record of `canonical`, if it registered.
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
    /// Records that `canonical` used `nullifier`.
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
/// The key as the admin sent it (for the `verifying_key` query and `migrate`).
pub const VK_RAW: Item<Binary> = Item::new("vk_raw");

/// Keys of the layout before the register record (removed by `migrate`): the
/// reputation address and the stored prepared key.
pub const LEGACY_KEYS: [&[u8]; 2] = [b"rep", b"vkp"];

/// Raw storage key of the register record.
const REGISTER_KEY: &[u8] = b"r";
const SOURCE_NONE: u8 = 0;
const SOURCE_EMBEDDED: u8 = 1;
const SOURCE_STORED: u8 = 2;

/// Where `Register` finds the verifying key.
#[derive(Clone, Debug, PartialEq)]
pub enum KeySource {
    /// Compiled into the code: index into [`crate::keys::EMBEDDED`].
    Embedded(u8),
    /// Prepared and kept in the register record (comb of
    /// [`crate::groth16::STORED_TEETH`] teeth).
    Stored(Vec<u8>),
}

/// Everything `Register` needs besides the context and the nullifier, in one
/// record (one read: 1,000 SDK gas flat, 3 per byte), kept in step with the
/// config and the key by `instantiate`, `set_verifying_key`, `update_config`
/// and `migrate`. Layout: source (0 none, 1 compiled, 2 stored) | compiled key
/// index | reputation address length | canonical reputation address | stored
/// prepared key.
#[derive(Clone, Debug, PartialEq)]
pub struct RegisterRecord {
    /// Where the verifying key is (None before the admin sets one).
    pub key: Option<KeySource>,
    /// The reputation contract, canonical.
    pub reputation: Option<CanonicalAddr>,
}

impl RegisterRecord {
    /// Writes the record (one storage write).
    pub fn save(&self, storage: &mut dyn Storage) {
        let rep = self
            .reputation
            .as_ref()
            .map(|r| r.as_slice())
            .unwrap_or(&[]);
        let (source, index, stored): (u8, u8, &[u8]) = match &self.key {
            None => (SOURCE_NONE, 0, &[]),
            Some(KeySource::Embedded(i)) => (SOURCE_EMBEDDED, *i, &[]),
            Some(KeySource::Stored(p)) => (SOURCE_STORED, 0, p),
        };
        let mut v = Vec::with_capacity(3 + rep.len() + stored.len());
        v.extend_from_slice(&[source, index, rep.len() as u8]);
        v.extend_from_slice(rep);
        v.extend_from_slice(stored);
        storage.set(REGISTER_KEY, &v);
    }

    /// The raw record (`None` before the first save); [`Self::parse`] reads it.
    pub fn load_raw(storage: &dyn Storage) -> Option<Vec<u8>> {
        storage.get(REGISTER_KEY)
    }

    /// Splits a raw record into its key source (stored keys borrowed, not
    /// copied) and reputation address.
    pub fn parse(raw: &[u8]) -> StdResult<(Option<RawKeySource<'_>>, Option<CanonicalAddr>)> {
        let bad = || {
            StdError::generic_err(format!(
                "stored register record: {} bytes, malformed",
                raw.len()
            ))
        };
        let [source, index, rep_len, rest @ ..] = raw else {
            return Err(bad());
        };
        let rep_len = usize::from(*rep_len);
        if rest.len() < rep_len {
            return Err(bad());
        }
        let (rep, stored) = rest.split_at(rep_len);
        let key = match (*source, stored.is_empty()) {
            (SOURCE_NONE, true) => None,
            (SOURCE_EMBEDDED, true) => Some(RawKeySource::Embedded(*index)),
            (SOURCE_STORED, false) => Some(RawKeySource::Stored(stored)),
            _ => return Err(bad()),
        };
        let reputation = (rep_len > 0).then(|| CanonicalAddr::from(rep));
        Ok((key, reputation))
    }

    /// The whole record, owned.
    pub fn load(storage: &dyn Storage) -> StdResult<Option<Self>> {
        let Some(raw) = Self::load_raw(storage) else {
            return Ok(None);
        };
        let (key, reputation) = Self::parse(&raw)?;
        Ok(Some(RegisterRecord {
            key: key.map(|k| match k {
                RawKeySource::Embedded(i) => KeySource::Embedded(i),
                RawKeySource::Stored(p) => KeySource::Stored(p.to_vec()),
            }),
            reputation,
        }))
    }
}

/// [`KeySource`] borrowing the stored prepared key from the raw record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RawKeySource<'a> {
    /// Compiled into the code: index into [`crate::keys::EMBEDDED`].
    Embedded(u8),
    /// The stored prepared key, borrowed from the record.
    Stored(&'a [u8]),
}

// (No account → nullifier index: reputation refuses a second token for an
// account, which reverts `Register` for a second identity; the same identity
// renews its own account.)

//! Storage. Per-account history is kept apart from the cw721 token (whose
//! stored extension is empty): outcomes update only this compact record, and
//! the NFT metadata is computed from it when queried, so it is always live.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, StdResult, Storage};
use cw_storage_plus::{Item, Map};
use sha2::{Digest, Sha256};

use crate::msg::TierTerms;

/// Roles and settings.
#[cw_serde]
pub struct Config {
    /// Changes roles and tier terms; mints before a zk-verifier is set; may burn any token.
    pub admin: Addr,
    /// The only sender of `record_outcomes` and `record_ruling`.
    pub settlement: Option<Addr>,
    /// The only minter once set.
    pub zk_verifier: Option<Addr>,
    /// May flag and unflag accounts.
    pub guardian: Option<Addr>,
    /// Reviews are accepted for this many seconds after the outcome was recorded.
    pub review_window_secs: u64,
}

/// One account's recorded history. Short field names: this record is written
/// for every party of every settled trade, and each stored byte costs gas.
#[cw_serde]
#[derive(Default, Copy, Eq)]
pub struct Stats {
    /// Settled trades, as seller or buyer.
    #[serde(rename = "n")]
    pub trades: u64,
    /// Successful ones (a buyer's always: its payment is escrowed; a seller's
    /// when it delivered at least 95 % of the contracted energy).
    #[serde(rename = "k")]
    pub successful: u64,
    /// Trades as seller.
    #[serde(rename = "s")]
    pub sold: u64,
    /// Wh contracted as seller.
    #[serde(rename = "c")]
    pub contracted_wh: u64,
    /// Wh delivered as seller (`<= contracted_wh`).
    #[serde(rename = "d")]
    pub delivered_wh: u64,
    /// Distinct delivery slots with a settled trade.
    #[serde(rename = "a")]
    pub active_slots: u64,
    /// The slot of the last recorded trade.
    #[serde(rename = "l")]
    pub last_slot: u64,
    /// Rulings on disputes this account was party to.
    #[serde(rename = "x")]
    pub disputes: u64,
    /// Lost share of those rulings, summed, basis points (10_000 = one dispute fully lost).
    #[serde(rename = "y")]
    pub dispute_loss_bps: u64,
    /// Reviews received (all, counted or not).
    #[serde(rename = "r")]
    pub reviews_received: u64,
    /// Counted review weight (pair-capped, unflagged reviewers only).
    #[serde(rename = "w")]
    pub review_weight: u64,
    /// Counted Σ weight × rating.
    #[serde(rename = "v")]
    pub review_weighted_sum: u64,
}

/// All-time reviews from one reviewer to one reviewed account.
#[cw_serde]
#[derive(Default, Copy, Eq)]
pub struct PairReviews {
    pub count: u32,
    /// Σ reviewer weight.
    pub weight: u64,
    /// Σ reviewer weight × rating.
    pub weighted_sum: u64,
}

/// A guardian flag.
#[cw_serde]
pub struct Flag {
    pub reason: String,
    /// Block time of flagging, seconds.
    pub since: u64,
    /// The unflagged score when flagged: a flagged score cannot rise above it.
    pub score_at_flag: u16,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const TERMS: Item<TierTerms> = Item::new("terms");
pub const STATS: Map<&Addr, Stats> = Map::new("stats");
pub const FLAGS: Map<&Addr, Flag> = Map::new("flags");
/// (reviewer, reviewed) → all-time reviews.
pub const PAIRS: Map<(&Addr, &Addr), PairReviews> = Map::new("pairs");

// --- Trade records: raw bytes, the cheapest possible per-trade write. ---
//
// key   "tr" ++ trade_id (8 bytes big endian)
// value parties (16 bytes: sha256(seller ++ 0x00 ++ buyer)[..16])
//       ++ recorded_at (8 bytes big endian, seconds) ++ reviewed flags (1 byte:
//       bit 0 the seller has reviewed, bit 1 the buyer has)
//
// A ruling: key "ru" ++ trade_id, value one byte.

const TRADE_PREFIX: &[u8] = b"tr";
const RULING_PREFIX: &[u8] = b"ru";
pub const REVIEWED_BY_SELLER: u8 = 1;
pub const REVIEWED_BY_BUYER: u8 = 2;

/// The parties of a recorded trade, in compact form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeRecord {
    pub parties: [u8; 16],
    pub recorded_at: u64,
    pub reviewed: u8,
}

fn key(prefix: &[u8], id: u64) -> [u8; 10] {
    let mut k = [0u8; 10];
    k[..2].copy_from_slice(prefix);
    k[2..].copy_from_slice(&id.to_be_bytes());
    k
}

/// The 16-byte fingerprint of an ordered (seller, buyer) pair.
pub fn parties_hash(seller: &str, buyer: &str) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(seller.as_bytes());
    h.update([0u8]);
    h.update(buyer.as_bytes());
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

pub fn trade_exists(storage: &dyn Storage, id: u64) -> bool {
    storage.get(&key(TRADE_PREFIX, id)).is_some()
}

pub fn load_trade(storage: &dyn Storage, id: u64) -> Option<TradeRecord> {
    let v = storage.get(&key(TRADE_PREFIX, id))?;
    if v.len() != 25 {
        return None;
    }
    let mut parties = [0u8; 16];
    parties.copy_from_slice(&v[..16]);
    let mut t = [0u8; 8];
    t.copy_from_slice(&v[16..24]);
    Some(TradeRecord {
        parties,
        recorded_at: u64::from_be_bytes(t),
        reviewed: v[24],
    })
}

pub fn save_trade(storage: &mut dyn Storage, id: u64, r: &TradeRecord) {
    let mut v = [0u8; 25];
    v[..16].copy_from_slice(&r.parties);
    v[16..24].copy_from_slice(&r.recorded_at.to_be_bytes());
    v[24] = r.reviewed;
    storage.set(&key(TRADE_PREFIX, id), &v);
}

pub fn ruling_recorded(storage: &dyn Storage, id: u64) -> bool {
    storage.get(&key(RULING_PREFIX, id)).is_some()
}

pub fn save_ruling(storage: &mut dyn Storage, id: u64) {
    storage.set(&key(RULING_PREFIX, id), &[1]);
}

pub fn load_stats(storage: &dyn Storage, who: &Addr) -> StdResult<Stats> {
    Ok(STATS.may_load(storage, who)?.unwrap_or_default())
}

//! Storage. Per-account history is kept apart from the cw721 token (whose
//! stored extension is empty): outcomes update only this compact record, and
//! the NFT metadata is computed from it when queried, so it is always live.

use std::collections::BTreeMap;

use aip_types::pages::{self, put_uvarint, take_uvarint_strict, Book, Paged, Pages};
use aip_types::SLOT_SECONDS;
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Api, StdError, StdResult, Storage};
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

/// One account's recorded history. Written for every party of every settled
/// trade, so it is stored compactly (see [`Stats::encode`]), keyed by the
/// canonical address: each stored byte costs 30 SDK gas.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Settled trades, as seller or buyer.
    pub trades: u64,
    /// Successful sales (delivered at least 95 % of the contracted energy).
    /// Purchases are not counted: buying does not raise a seller's terms.
    pub successful: u64,
    /// Trades as seller.
    pub sold: u64,
    /// Wh contracted as seller.
    pub contracted_wh: u64,
    /// Wh delivered as seller (`<= contracted_wh`).
    pub delivered_wh: u64,
    /// Distinct delivery slots with a settled trade.
    pub active_slots: u64,
    /// The slot of the last recorded trade.
    pub last_slot: u64,
    /// Rulings on disputes this account was party to.
    pub disputes: u64,
    /// Lost share of those rulings, summed, basis points (10_000 = one dispute fully lost).
    pub dispute_loss_bps: u64,
    /// Reviews received (all, counted or not).
    pub reviews_received: u64,
    /// Counted review weight (pair-capped, unflagged reviewers only).
    pub review_weight: u64,
    /// Counted Σ weight × rating.
    pub review_weighted_sum: u64,
    /// The part of `review_weight` from reciprocated pairs (reviewers this
    /// account has reviewed too): together capped by `score::counted_reviews`.
    pub mutual_review_weight: u64,
    /// The part of `review_weighted_sum` from reciprocated pairs.
    pub mutual_review_weighted_sum: u64,
    /// Holds the soulbound token: set at mint, cleared at burn, so that the
    /// trading-terms queries need not read the token. `false` also for an
    /// account minted before the flag existed: readers then check the token
    /// itself, and its next recorded outcome sets the flag.
    pub token: bool,
}

/// Format byte of the encoded [`Stats`]: twelve fields (no reciprocated
/// reviews). Written before format 3; still read.
const STATS_V1: u8 = 1;
/// Format byte of the encoded [`Stats`]: fourteen fields. Still read.
const STATS_V2: u8 = 2;
/// Format 3: the byte is `STATS_COUNTED + k` (plus [`STATS_TOKEN`]), then
/// the first `k` fields (0 to 14); the fields after them are zero.
const STATS_COUNTED: u8 = 0x10;
/// Bit of a format-3 byte: the account holds its token ([`Stats::token`]).
const STATS_TOKEN: u8 = 0x20;
/// Bit of a format-3 byte: `last_slot` is stored as a slot number (its
/// Unix seconds divided by [`SLOT_SECONDS`]), three bytes instead of five.
const STATS_SLOTS: u8 = 0x40;

impl Stats {
    fn fields(&self) -> [u64; 14] {
        [
            self.trades,
            self.successful,
            self.sold,
            self.contracted_wh,
            self.delivered_wh,
            self.active_slots,
            self.last_slot,
            self.disputes,
            self.dispute_loss_bps,
            self.reviews_received,
            self.review_weight,
            self.review_weighted_sum,
            self.mutual_review_weight,
            self.mutual_review_weighted_sum,
        ]
    }

    /// Format 3: a byte naming how many fields follow, then the fields up to
    /// the last non-zero one as LEB128 varints, in declaration order. An
    /// account without disputes or reviews (most of them) stores seven
    /// fields, about 14 bytes; the five zero fields formats 1 and 2 wrote
    /// cost 150 SDK gas at every write of the account's page.
    pub fn encode(&self) -> Vec<u8> {
        let mut fields = self.fields();
        let mut flags = if self.token { STATS_TOKEN } else { 0 };
        if self.last_slot != 0 && self.last_slot.is_multiple_of(SLOT_SECONDS) {
            fields[6] = self.last_slot / SLOT_SECONDS;
            flags |= STATS_SLOTS;
        }
        let n = fields.iter().rposition(|&v| v != 0).map_or(0, |i| i + 1);
        let mut out = Vec::with_capacity(1 + 3 * n);
        out.push(STATS_COUNTED + n as u8 + flags);
        for mut v in fields.into_iter().take(n) {
            loop {
                let byte = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    out.push(byte);
                    break;
                }
                out.push(byte | 0x80);
            }
        }
        out
    }

    /// Reads a history written by [`Stats::encode`]; refuses corrupt bytes.
    pub fn decode(bytes: &[u8]) -> StdResult<Stats> {
        let corrupt = || StdError::generic_err("corrupt reputation record");
        let (&version, mut rest) = bytes.split_first().ok_or_else(corrupt)?;
        let counted = version & !(STATS_TOKEN | STATS_SLOTS);
        let n = match version {
            STATS_V1 => 12,
            STATS_V2 => 14,
            _ if (STATS_COUNTED..=STATS_COUNTED + 14).contains(&counted) => {
                usize::from(counted - STATS_COUNTED)
            }
            _ => return Err(corrupt()),
        };
        let token = version & STATS_TOKEN != 0;
        let in_slots = version & STATS_SLOTS != 0;
        let mut f = [0u64; 14];
        for slot in f.iter_mut().take(n) {
            let mut v: u64 = 0;
            let mut shift = 0u32;
            loop {
                let (&b, r) = rest.split_first().ok_or_else(corrupt)?;
                rest = r;
                if shift >= 64 || (shift == 63 && b > 1) {
                    return Err(corrupt());
                }
                v |= ((b & 0x7f) as u64) << shift;
                shift += 7;
                if b & 0x80 == 0 {
                    break;
                }
            }
            *slot = v;
        }
        if !rest.is_empty() {
            return Err(corrupt());
        }
        if in_slots {
            f[6] = f[6].checked_mul(SLOT_SECONDS).ok_or_else(corrupt)?;
        }
        Ok(Stats {
            trades: f[0],
            successful: f[1],
            sold: f[2],
            contracted_wh: f[3],
            delivered_wh: f[4],
            active_slots: f[5],
            last_slot: f[6],
            disputes: f[7],
            dispute_loss_bps: f[8],
            reviews_received: f[9],
            review_weight: f[10],
            review_weighted_sum: f[11],
            mutual_review_weight: f[12],
            mutual_review_weighted_sum: f[13],
            token,
        })
    }
}

/// All-time reviews from one reviewer to one reviewed account.
#[cw_serde]
#[derive(Default, Copy, Eq)]
pub struct PairReviews {
    /// Reviews given.
    pub count: u32,
    /// Σ reviewer weight.
    pub weight: u64,
    /// Σ reviewer weight × rating.
    pub weighted_sum: u64,
}

/// A guardian flag.
#[cw_serde]
pub struct Flag {
    /// The guardian's reason.
    pub reason: String,
    /// Block time of flagging, seconds.
    pub since: u64,
    /// The unflagged score when flagged: a flagged score cannot rise above it.
    pub score_at_flag: u16,
}

/// Roles and settings.
pub const CONFIG: Item<Config> = Item::new("config");
/// Tier thresholds and terms.
pub const TERMS: Item<TierTerms> = Item::new("terms");
/// Guardian flags by account.
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
/// Bit of [`TradeRecord::reviewed`]: the seller has reviewed.
pub const REVIEWED_BY_SELLER: u8 = 1;
/// Bit of [`TradeRecord::reviewed`]: the buyer has reviewed.
pub const REVIEWED_BY_BUYER: u8 = 2;

/// The parties of a recorded trade, in compact form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeRecord {
    /// First 16 bytes of sha256(seller ++ 0x00 ++ buyer).
    pub parties: [u8; 16],
    /// When the outcome was recorded, Unix seconds (the review window counts from it).
    pub recorded_at: u64,
    /// Review bits: [`REVIEWED_BY_SELLER`], [`REVIEWED_BY_BUYER`].
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

impl TradeRecord {
    fn encode(&self) -> [u8; 25] {
        let mut v = [0u8; 25];
        v[..16].copy_from_slice(&self.parties);
        v[16..24].copy_from_slice(&self.recorded_at.to_be_bytes());
        v[24] = self.reviewed;
        v
    }

    fn decode(v: &[u8]) -> Option<Self> {
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
}

// Trade records, 16 to a storage entry: key "tj" ++ (trade id / 16), value
// a 2-byte mask (bit i: trade 16k + i is recorded, big-endian), the least
// `recorded_at` of the chunk's records as a varint, then per recorded trade
// in id order its parties (16 bytes), its `recorded_at` minus that least
// one (a varint: one byte for the trades of one `record_outcomes` call) and
// its review bits: 18 bytes a trade instead of 25. Chunks written before
// (key "tk", the same mask then 25-byte records) still read and move to
// "tj" at their next write. Records written before chunks (key "tr" ++
// trade id) still read and are rewritten in place; they are looked up only
// below [`LEGACY_END`].
const CHUNK_PREFIX: &[u8] = b"tj";
const CHUNK_PREFIX_V1: &[u8] = b"tk";
const PER_CHUNK: u64 = 16;
/// Raw key of the trade id past the last record written before chunks
/// (set by `migrate` from the highest "tr" key); absent: there are none.
const LEGACY_END: &[u8] = b"tl";

#[derive(Default, Clone)]
struct Chunk([Option<TradeRecord>; PER_CHUNK as usize]);

/// The error for a stored trade chunk or record that does not decode: a
/// damaged entry is refused, never read as trades that were not recorded.
fn damaged(what: &str, c: u64, why: &str) -> StdError {
    StdError::generic_err(format!("reputation {what} {c} is damaged: {why}"))
}

impl Chunk {
    /// The chunk `c` and whether it was read from the layout before ("tk").
    fn load(storage: &dyn Storage, c: u64) -> StdResult<(Chunk, bool)> {
        if let Some(v) = aip_types::store::read(storage, &key(CHUNK_PREFIX, c)) {
            return Ok((
                Self::decode(&v).map_err(|e| damaged("trade chunk", c, e))?,
                false,
            ));
        }
        match aip_types::store::read(storage, &key(CHUNK_PREFIX_V1, c)) {
            Some(v) => Ok((
                Self::decode_v1(&v).map_err(|e| damaged("trade chunk", c, e))?,
                true,
            )),
            None => Ok((Chunk::default(), false)),
        }
    }

    fn decode_v1(v: &[u8]) -> Result<Chunk, &'static str> {
        let mut out = Chunk::default();
        let mask = v.get(..2).ok_or("shorter than its mask")?;
        let mask = u16::from_be_bytes([mask[0], mask[1]]);
        let mut at = 2;
        for i in 0..PER_CHUNK as usize {
            if mask & (1 << i) != 0 {
                let r = v.get(at..at + 25).ok_or("a record is cut short")?;
                out.0[i] = TradeRecord::decode(r);
                at += 25;
            }
        }
        if at != v.len() {
            return Err("bytes after the last record");
        }
        Ok(out)
    }

    fn decode(v: &[u8]) -> Result<Chunk, &'static str> {
        let mut out = Chunk::default();
        let mask = v.get(..2).ok_or("shorter than its mask")?;
        let mask = u16::from_be_bytes([mask[0], mask[1]]);
        let (base, used) =
            take_uvarint_strict(&v[2..], 64).map_err(|_| "its least time is not a varint")?;
        let mut at = 2 + used;
        for i in 0..PER_CHUNK as usize {
            if mask & (1 << i) == 0 {
                continue;
            }
            let parties = v.get(at..at + 16).ok_or("a record is cut short")?;
            let (d, used) = take_uvarint_strict(&v[at + 16..], 64)
                .map_err(|_| "a record's time is not a varint")?;
            let &reviewed = v.get(at + 16 + used).ok_or("a record is cut short")?;
            let recorded_at = u64::try_from(base)
                .ok()
                .zip(u64::try_from(d).ok())
                .and_then(|(b, d)| b.checked_add(d))
                .ok_or("a record's time is past u64")?;
            let mut p = [0u8; 16];
            p.copy_from_slice(parties);
            out.0[i] = Some(TradeRecord {
                parties: p,
                recorded_at,
                reviewed,
            });
            at += 16 + used + 1;
        }
        if at != v.len() {
            return Err("bytes after the last record");
        }
        Ok(out)
    }

    fn encode(&self) -> Vec<u8> {
        let base = self
            .0
            .iter()
            .flatten()
            .map(|r| r.recorded_at)
            .min()
            .unwrap_or(0);
        let mut mask = 0u16;
        let mut v = vec![0u8, 0u8];
        put_uvarint(&mut v, u128::from(base));
        for (i, r) in self.0.iter().enumerate() {
            if let Some(r) = r {
                mask |= 1 << i;
                v.extend_from_slice(&r.parties);
                put_uvarint(&mut v, u128::from(r.recorded_at - base));
                v.push(r.reviewed);
            }
        }
        v[..2].copy_from_slice(&mask.to_be_bytes());
        v
    }
}

/// The trade records one call reads and writes: each chunk read once and
/// written once, at [`TradeBook::flush`]. A record from before chunks is
/// looked up only for ids below [`LEGACY_END`] (read once per book).
#[derive(Default)]
pub struct TradeBook {
    /// chunk number → (chunk, changed, read from the layout before)
    chunks: BTreeMap<u64, (Chunk, bool, bool)>,
    legacy_end: Option<u64>,
}

impl TradeBook {
    fn chunk(&mut self, storage: &dyn Storage, id: u64) -> StdResult<&mut (Chunk, bool, bool)> {
        Ok(match self.chunks.entry(id / PER_CHUNK) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let (chunk, v1) = Chunk::load(storage, *e.key())?;
                e.insert((chunk, false, v1))
            }
        })
    }

    /// The record of trade `id` written before chunks, if any.
    fn legacy(&mut self, storage: &dyn Storage, id: u64) -> StdResult<Option<TradeRecord>> {
        let end = *self.legacy_end.get_or_insert_with(|| {
            aip_types::store::read(storage, LEGACY_END)
                .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
                .map_or(0, u64::from_be_bytes)
        });
        if id >= end {
            return Ok(None);
        }
        aip_types::store::read(storage, &key(TRADE_PREFIX, id))
            .map(|v| {
                TradeRecord::decode(&v).ok_or_else(|| damaged("trade record", id, "not 25 bytes"))
            })
            .transpose()
    }

    /// The record of trade `id`, if its outcome was recorded.
    pub fn get(&mut self, storage: &dyn Storage, id: u64) -> StdResult<Option<TradeRecord>> {
        let slot = (id % PER_CHUNK) as usize;
        match self.chunk(storage, id)?.0 .0[slot] {
            Some(r) => Ok(Some(r)),
            None => self.legacy(storage, id),
        }
    }

    /// Records trade `id` (written at [`TradeBook::flush`]); a record from
    /// before chunks is rewritten in place at once.
    pub fn put(&mut self, storage: &mut dyn Storage, id: u64, r: TradeRecord) -> StdResult<()> {
        let slot = (id % PER_CHUNK) as usize;
        if self.chunk(storage, id)?.0 .0[slot].is_none() && self.legacy(storage, id)?.is_some() {
            storage.set(&key(TRADE_PREFIX, id), &r.encode());
            return Ok(());
        }
        let c = self.chunk(storage, id)?;
        c.0 .0[slot] = Some(r);
        c.1 = true;
        Ok(())
    }

    /// Writes every changed chunk (in the current layout; one read from the
    /// layout before leaves it).
    pub fn flush(self, storage: &mut dyn Storage) {
        for (c, (chunk, dirty, v1)) in self.chunks {
            if dirty {
                storage.set(&key(CHUNK_PREFIX, c), &chunk.encode());
                if v1 {
                    storage.remove(&key(CHUNK_PREFIX_V1, c));
                }
            }
        }
    }
}

/// Called by `migrate`: notes where the records written before chunks end
/// (the highest "tr" key), so that newer trades skip looking them up.
pub fn note_legacy_trades(storage: &mut dyn Storage) {
    let last = storage
        .range(
            Some(TRADE_PREFIX),
            Some(b"ts".as_slice()),
            cosmwasm_std::Order::Descending,
        )
        .next();
    if let Some((k, _)) = last.filter(|(k, _)| k.len() == 10) {
        if let Ok(id) = <[u8; 8]>::try_from(&k[2..]) {
            let end = u64::from_be_bytes(id).saturating_add(1);
            storage.set(LEGACY_END, &end.to_be_bytes());
        }
    }
}

/// The record of trade `id`, if its outcome was recorded.
pub fn load_trade(storage: &dyn Storage, id: u64) -> StdResult<Option<TradeRecord>> {
    TradeBook::default().get(storage, id)
}

/// Writes the record of trade `id`.
pub fn save_trade(storage: &mut dyn Storage, id: u64, r: &TradeRecord) -> StdResult<()> {
    let mut book = TradeBook::default();
    book.put(storage, id, *r)?;
    book.flush(storage);
    Ok(())
}

/// Whether a ruling on trade `id` was recorded.
pub fn ruling_recorded(storage: &dyn Storage, id: u64) -> bool {
    storage.get(&key(RULING_PREFIX, id)).is_some()
}

/// Marks trade `id` as ruled.
pub fn save_ruling(storage: &mut dyn Storage, id: u64) {
    storage.set(&key(RULING_PREFIX, id), &[1]);
}

// Stats: in pages (`aip_types::pages`, raw prefix "sp", about eight accounts
// per page), keyed by canonical address, value `Stats::encode`. An account
// whose page is full, or recorded before pages, has an entry of its own:
// key "st" ++ canonical address (the layout before pages).
const STATS_PREFIX: &[u8] = b"st";

fn own_key(canonical: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(STATS_PREFIX.len() + canonical.len());
    k.extend_from_slice(STATS_PREFIX);
    k.extend_from_slice(canonical);
    k
}

impl Paged for Stats {
    /// Raw key prefix `sp`; about eight accounts per page, at most 32
    /// (as settlement's ledger).
    const PAGES: Pages = Pages {
        ns: b"sp",
        load: 8,
        cap: 32,
    };

    fn encode(&self) -> Vec<u8> {
        Stats::encode(self)
    }

    fn decode(bytes: &[u8]) -> StdResult<Self> {
        Stats::decode(bytes)
    }

    fn load_own(storage: &dyn Storage, key: &[u8]) -> StdResult<Option<Self>> {
        aip_types::store::read(storage, &own_key(key))
            .map(|v| Stats::decode(&v))
            .transpose()
    }

    fn save_own(storage: &mut dyn Storage, key: &[u8], value: &Self) -> StdResult<()> {
        storage.set(&own_key(key), &Stats::encode(value));
        Ok(())
    }

    fn remove_own(storage: &mut dyn Storage, key: &[u8]) {
        storage.remove(&own_key(key))
    }
}

/// An account's history (empty if none was recorded).
pub fn load_stats(storage: &dyn Storage, api: &dyn Api, who: &Addr) -> StdResult<Stats> {
    pages::load(storage, api.addr_canonicalize(who.as_str())?.as_slice())
}

/// Changes the statistics of `who` by `f`: its page read once, written once.
pub fn update_stats(
    storage: &mut dyn Storage,
    api: &dyn Api,
    who: &Addr,
    f: impl FnOnce(&mut Stats),
) -> StdResult<()> {
    let key = api.addr_canonicalize(who.as_str())?;
    let mut book = Book::<Stats>::open(storage)?;
    let mut s = book.get(storage, key.as_slice())?;
    f(&mut s);
    book.put(storage, key.as_slice(), s)?;
    book.flush(storage)
}

/// Writes an account's history (a call writing several goes through a
/// [`Book`] and writes each page once).
pub fn save_stats(
    storage: &mut dyn Storage,
    api: &dyn Api,
    who: &Addr,
    s: &Stats,
) -> StdResult<()> {
    let key = api.addr_canonicalize(who.as_str())?;
    let mut book = Book::<Stats>::open(storage)?;
    book.put(storage, key.as_slice(), *s)?;
    book.flush(storage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{MockApi, MockStorage};

    #[test]
    fn a_slot_start_is_stored_as_a_slot_number() {
        let s = Stats {
            trades: 2,
            active_slots: 2,
            last_slot: 1_767_225_600, // 2026-01-01T00:00Z, a slot start
            token: true,
            ..Stats::default()
        };
        let bytes = s.encode();
        // format byte, trades, 0, 0, 0, 0, active slots, slot 1,963,584 (3 bytes)
        assert_eq!(bytes.len(), 1 + 6 + 3);
        assert_eq!(bytes[0], STATS_COUNTED + 7 + STATS_TOKEN + STATS_SLOTS);
        assert_eq!(Stats::decode(&bytes).unwrap(), s);
        // Seconds that are not a slot start stay seconds.
        let odd = Stats {
            last_slot: 1_767_225_601,
            ..s
        };
        let bytes = odd.encode();
        assert_eq!(bytes.len(), 1 + 6 + 5);
        assert_eq!(bytes[0] & STATS_SLOTS, 0);
        assert_eq!(Stats::decode(&bytes).unwrap(), odd);
        // A slot number whose seconds overflow is a corrupt record.
        let mut bad = vec![STATS_COUNTED + 7 + STATS_SLOTS, 0, 0, 0, 0, 0, 0];
        bad.extend_from_slice(&[0xff; 9]);
        bad.push(0x01);
        let e = Stats::decode(&bad).unwrap_err().to_string();
        assert!(e.contains("corrupt reputation record"), "{e}");
    }

    #[test]
    fn statistics_live_in_pages_and_older_entries_move_in_at_their_next_write() {
        let api = MockApi::default();
        let mut st = MockStorage::new();
        let old = api.addr_make("old");
        let new = api.addr_make("new");
        let raw = api.addr_canonicalize(old.as_str()).unwrap();
        // Recorded by the version before pages: key "st" ++ canonical address.
        let s = Stats {
            trades: 3,
            sold: 2,
            ..Stats::default()
        };
        st.set(&own_key(raw.as_slice()), &s.encode());
        assert_eq!(load_stats(&st, &api, &old).unwrap(), s);
        let more = Stats { trades: 4, ..s };
        save_stats(&mut st, &api, &old, &more).unwrap();
        assert!(
            st.get(&own_key(raw.as_slice())).is_none(),
            "moved into its page"
        );
        assert_eq!(load_stats(&st, &api, &old).unwrap(), more);
        // A new account goes straight to its page; no history reads as empty.
        save_stats(&mut st, &api, &new, &s).unwrap();
        assert_eq!(load_stats(&st, &api, &new).unwrap(), s);
        assert_eq!(
            load_stats(&st, &api, &api.addr_make("none")).unwrap(),
            Stats::default()
        );
        assert_eq!(Book::<Stats>::open(&st).unwrap().meta().count, 2);
    }

    fn tr(n: u8) -> TradeRecord {
        TradeRecord {
            parties: [n; 16],
            recorded_at: 1_000 + u64::from(n),
            reviewed: 0,
        }
    }

    #[test]
    fn trade_records_are_kept_sixteen_to_an_entry_and_older_ones_still_read() {
        let mut st = MockStorage::new();
        // Recorded before chunks: key "tr" ++ id; `migrate` notes where they end.
        st.set(&key(TRADE_PREFIX, 17), &tr(17).encode());
        note_legacy_trades(&mut st);
        assert_eq!(st.get(LEGACY_END), Some(18u64.to_be_bytes().to_vec()));
        let mut book = TradeBook::default();
        for id in [3u64, 5, 16, 31, 32] {
            assert!(book.get(&st, id).unwrap().is_none());
            book.put(&mut st, id, tr(id as u8)).unwrap();
        }
        book.flush(&mut st);
        // Ids 3 and 5 share chunk 0; 16 and 31 chunk 1; 32 chunk 2. Chunk 1:
        // the mask, the least time (1,016: two varint bytes), then per trade
        // 16 bytes of parties, the time's difference (one byte) and the
        // review bits.
        let chunk1 = st.get(&key(CHUNK_PREFIX, 1)).unwrap();
        assert_eq!(chunk1.len(), 2 + 2 + 2 * 18);
        assert_eq!(u16::from_be_bytes([chunk1[0], chunk1[1]]), 1 | 1 << 15);
        for id in [3u64, 5, 16, 31, 32, 17] {
            assert_eq!(
                load_trade(&st, id).unwrap(),
                Some(tr(id as u8)),
                "trade {id}"
            );
        }
        assert!(load_trade(&st, 4).unwrap().is_none());
        // A review rewrites the record where it lives.
        let reviewed = TradeRecord {
            reviewed: REVIEWED_BY_BUYER,
            ..tr(17)
        };
        save_trade(&mut st, 17, &reviewed).unwrap();
        assert_eq!(
            TradeRecord::decode(&st.get(&key(TRADE_PREFIX, 17)).unwrap()),
            Some(reviewed)
        );
        let reviewed = TradeRecord {
            reviewed: REVIEWED_BY_SELLER,
            ..tr(5)
        };
        save_trade(&mut st, 5, &reviewed).unwrap();
        assert_eq!(load_trade(&st, 5).unwrap(), Some(reviewed));
        assert_eq!(load_trade(&st, 3).unwrap(), Some(tr(3)));
    }

    #[test]
    fn chunks_of_the_layout_before_read_and_move_at_their_next_write() {
        let mut st = MockStorage::new();
        // Chunk 2 as the layout before wrote it: mask, then 25-byte records.
        let mut v1 = (1u16 << 1 | 1 << 4).to_be_bytes().to_vec();
        v1.extend_from_slice(&tr(33).encode());
        v1.extend_from_slice(&tr(36).encode());
        st.set(&key(CHUNK_PREFIX_V1, 2), &v1);
        assert_eq!(load_trade(&st, 33).unwrap(), Some(tr(33)));
        assert_eq!(load_trade(&st, 36).unwrap(), Some(tr(36)));
        assert!(load_trade(&st, 34).unwrap().is_none());
        save_trade(&mut st, 40, &tr(40)).unwrap();
        assert!(st.get(&key(CHUNK_PREFIX_V1, 2)).is_none(), "moved");
        assert!(st.get(&key(CHUNK_PREFIX, 2)).is_some());
        for id in [33u64, 36, 40] {
            assert_eq!(
                load_trade(&st, id).unwrap(),
                Some(tr(id as u8)),
                "trade {id}"
            );
        }
        // Without a legacy end, "tr" records are not looked up (there are
        // none on a contract that never ran the layout before chunks).
        st.set(&key(TRADE_PREFIX, 7), &tr(7).encode());
        assert!(load_trade(&st, 7).unwrap().is_none());
        note_legacy_trades(&mut st);
        assert_eq!(load_trade(&st, 7).unwrap(), Some(tr(7)));
        // Times far apart in one chunk: differences take more bytes.
        let late = TradeRecord {
            recorded_at: u64::MAX,
            ..tr(41)
        };
        save_trade(&mut st, 41, &late).unwrap();
        assert_eq!(load_trade(&st, 41).unwrap(), Some(late));
        assert_eq!(load_trade(&st, 40).unwrap(), Some(tr(40)));
    }

    #[test]
    fn a_damaged_trade_chunk_or_record_is_refused_not_read_as_unrecorded() {
        let err = |st: &MockStorage, id: u64| load_trade(st, id).unwrap_err().to_string();
        let mut good = TradeBook::default();
        let mut st = MockStorage::new();
        good.put(&mut st, 1, tr(1)).unwrap();
        good.put(&mut st, 2, tr(2)).unwrap();
        good.flush(&mut st);
        let whole = st.get(&key(CHUNK_PREFIX, 0)).unwrap();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![0x01], "shorter than its mask"),
            (vec![0, 0, 0x80], "its least time is not a varint"),
            (whole[..whole.len() - 1].to_vec(), "a record is cut short"),
            (
                [whole.clone(), vec![0]].concat(),
                "bytes after the last record",
            ),
            // Least time u64::MAX and a record one second later.
            (
                [
                    vec![0, 1],
                    vec![0xff; 9],
                    vec![0x01],
                    vec![7; 16],
                    vec![1, 0],
                ]
                .concat(),
                "a record's time is past u64",
            ),
        ];
        for (bytes, why) in cases {
            st.set(&key(CHUNK_PREFIX, 0), &bytes);
            assert_eq!(
                err(&st, 2),
                format!("Generic error: reputation trade chunk 0 is damaged: {why}"),
                "{bytes:?}"
            );
        }
        // The layout before: a record cut short; a legacy record of the wrong length.
        st.remove(&key(CHUNK_PREFIX, 0));
        st.set(&key(CHUNK_PREFIX_V1, 0), &[0, 2, 1, 2, 3]);
        assert_eq!(
            err(&st, 1),
            "Generic error: reputation trade chunk 0 is damaged: a record is cut short"
        );
        st.set(&key(TRADE_PREFIX, 20), &[1, 2, 3]);
        note_legacy_trades(&mut st);
        assert_eq!(
            err(&st, 20),
            "Generic error: reputation trade record 20 is damaged: not 25 bytes"
        );
    }
}

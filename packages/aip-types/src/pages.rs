//! Paged account storage: the small per-account entries of a contract share
//! storage entries ("pages"), so a call that touches many accounts pays
//! wasmd's flat cost of a storage write once per page, not once per account.
//!
//! ## Why
//! wasmd charges a write 2,000 SDK gas plus 30 per byte of key and value.
//! A deposit account of its own is about 16 bytes of value under a 57-byte
//! key (wasmd's 33-byte contract prefix included): 4,190 to write, almost
//! all of it the flat part and the key. A batch of 500 trades between 1,000
//! accounts touches each of them twice (lock at commit, pay at settlement).
//! A page of about four accounts is about 112 bytes under a 39-byte key:
//! 6,530 to write and, read as an iterator step ([`crate::store::read`]),
//! 483 to read, shared by the accounts on it (about 1,750 per account
//! against 5,400 for an entry of its own read with a `Get`). At eight
//! accounts a page (what settlement and reputation use) the flat part and
//! the key are shared by twice as many.
//!
//! The price: a call that touches one account of a page writes the whole
//! page (about 2,300 SDK gas more than an entry of its own at four a page,
//! about 6,000 at eight). Large batches, the market's operating point,
//! gain; a batch of a few trades between scattered accounts pays more
//! (docs/benchmarks.md, "Paged accounts").
//!
//! ## How accounts are spread: linear hashing
//! An account's key (its canonical address) is hashed, `h` = the first four
//! bytes of `sha256(key)`, big-endian. With `2^level + split` pages, the
//! account lives in page `h mod 2^level`, or `h mod 2^(level+1)` when that is
//! below `split` (that page was already split at this level). When the
//! accounts outnumber `load` per page, page `split` is split: its accounts
//! whose `h mod 2^(level+1)` is not `split` move to the new page
//! `split + 2^level`. Pages so keep about `load` accounts each, however
//! many accounts there are, and a split rewrites one page.
//!
//! ## Bounded pages
//! A page takes at most `cap` accounts. Addresses can be ground to fall into
//! a chosen page; a full page refuses newcomers ([`PageCache::set`] returns
//! `false`) and such an account keeps an entry of its own. So nobody can
//! make another account's page more than `cap` entries long. Full pages are
//! rare by chance: 0 of 1,000 and 7 of 10,000 random addresses at `load` 4
//! and `cap` 16 (settlement and reputation use `load` 8 and `cap` 32).
//!
//! ## Using it
//! A contract implements [`Paged`] for its per-account value (its encoding,
//! and where an entry of its own lives: the layout it used before pages, so
//! values stored then still read) and goes through a [`Book`] per call:
//! `get`, `put`, then one `flush`. Settlement's deposit ledger and
//! reputation's statistics both do.
//!
//! ## Layout
//! `ns` is a raw key prefix no `cw-storage-plus` name can collide with
//! (those start with a zero byte or are whole words). The metadata lives
//! under `ns` itself: `level` (1 byte), `split` (4 bytes BE), the number of
//! accounts in pages (8 bytes BE). Page `b` lives under `ns ++ b` (4 bytes
//! BE) as entries `[key length][key][value length][value]`, sorted by key;
//! an empty page has no entry.

use std::collections::BTreeMap;

use cosmwasm_std::{StdError, StdResult, Storage};
use sha2::{Digest, Sha256};

use crate::store::read;

/// Where a paged map lives and how full its pages get.
#[derive(Clone, Copy, Debug)]
pub struct Pages {
    /// Raw key prefix of the metadata and the pages.
    pub ns: &'static [u8],
    /// Average accounts per page: a page is split when there are more.
    pub load: u32,
    /// Most accounts one page takes.
    pub cap: usize,
}

/// The linear-hashing state: how many pages there are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Every page below `2^level` exists.
    pub level: u8,
    /// Pages below this one are already split at `level`.
    pub split: u32,
    /// Accounts held in pages.
    pub count: u64,
}

impl Meta {
    /// Pages in use: `2^level + split`.
    pub fn pages(&self) -> u64 {
        (1u64 << self.level) + u64::from(self.split)
    }

    /// The page of an account whose key hashes to `h`.
    pub fn page_of(&self, h: u32) -> u32 {
        let low = h & mask(self.level);
        if low < self.split {
            h & mask(self.level + 1)
        } else {
            low
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(13);
        v.push(self.level);
        v.extend_from_slice(&self.split.to_be_bytes());
        v.extend_from_slice(&self.count.to_be_bytes());
        v
    }

    fn decode(b: &[u8]) -> StdResult<Self> {
        if b.len() != 13 || b[0] > 31 {
            return Err(StdError::generic_err("account pages: metadata is corrupt"));
        }
        let mut split = [0u8; 4];
        split.copy_from_slice(&b[1..5]);
        let mut count = [0u8; 8];
        count.copy_from_slice(&b[5..13]);
        Ok(Meta {
            level: b[0],
            split: u32::from_be_bytes(split),
            count: u64::from_be_bytes(count),
        })
    }
}

/// `2^bits - 1` (all ones for 32).
fn mask(bits: u8) -> u32 {
    if bits >= 32 {
        u32::MAX
    } else {
        (1u32 << bits) - 1
    }
}

/// The hash that places `key`: the first four bytes of `sha256(key)`.
pub fn key_hash(key: &[u8]) -> u32 {
    let d = Sha256::digest(key);
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

type Page = Vec<(Vec<u8>, Vec<u8>)>;

fn page_key(ns: &[u8], page: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(ns.len() + 4);
    k.extend_from_slice(ns);
    k.extend_from_slice(&page.to_be_bytes());
    k
}

fn encode_page(p: &Page) -> Vec<u8> {
    let mut out = Vec::with_capacity(p.iter().map(|(k, v)| 2 + k.len() + v.len()).sum());
    for (k, v) in p {
        out.push(k.len() as u8);
        out.extend_from_slice(k);
        out.push(v.len() as u8);
        out.extend_from_slice(v);
    }
    out
}

fn decode_page(b: &[u8]) -> StdResult<Page> {
    let corrupt = || StdError::generic_err("account pages: a page is corrupt");
    let mut p = Page::new();
    let mut i = 0;
    while i < b.len() {
        let kl = b[i] as usize;
        let k = b.get(i + 1..i + 1 + kl).ok_or_else(corrupt)?;
        let vl = *b.get(i + 1 + kl).ok_or_else(corrupt)? as usize;
        let v = b.get(i + 2 + kl..i + 2 + kl + vl).ok_or_else(corrupt)?;
        p.push((k.to_vec(), v.to_vec()));
        i += 2 + kl + vl;
    }
    Ok(p)
}

/// A page as one call holds it: its number, its entries, changed or not.
struct Loaded {
    n: u32,
    page: Page,
    dirty: bool,
}

/// The pages one call reads and writes: each page is read at most once and
/// written at most once, at [`PageCache::flush`]. Until then nothing is
/// stored, so a call that fails half-way changes nothing. (Sorted vectors
/// rather than B-tree maps: the same lookups in less contract code.)
pub struct PageCache {
    cfg: Pages,
    meta: Meta,
    loaded: Vec<Loaded>,
    meta_dirty: bool,
}

impl PageCache {
    /// Reads the metadata (none yet: one empty page).
    pub fn open(cfg: Pages, storage: &dyn Storage) -> StdResult<Self> {
        let meta = match read(storage, cfg.ns) {
            Some(b) => Meta::decode(&b)?,
            None => Meta::default(),
        };
        Ok(PageCache {
            cfg,
            meta,
            loaded: Vec::new(),
            meta_dirty: false,
        })
    }

    /// The linear-hashing state as this call sees it.
    pub fn meta(&self) -> Meta {
        self.meta
    }

    /// Page `n`, read from storage the first time.
    fn load(&mut self, storage: &dyn Storage, n: u32) -> StdResult<&mut Loaded> {
        let i = match self.loaded.binary_search_by_key(&n, |l| l.n) {
            Ok(i) => i,
            Err(i) => {
                let page = match read(storage, &page_key(self.cfg.ns, n)) {
                    Some(b) => decode_page(&b)?,
                    None => Page::new(),
                };
                self.loaded.insert(
                    i,
                    Loaded {
                        n,
                        page,
                        dirty: false,
                    },
                );
                i
            }
        };
        Ok(&mut self.loaded[i])
    }

    fn page(&mut self, storage: &dyn Storage, key: &[u8]) -> StdResult<&mut Loaded> {
        let n = self.meta.page_of(key_hash(key));
        self.load(storage, n)
    }

    /// The value of `key` if its page holds it.
    pub fn get(&mut self, storage: &dyn Storage, key: &[u8]) -> StdResult<Option<Vec<u8>>> {
        let l = self.page(storage, key)?;
        Ok(l.page
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone()))
    }

    /// Stores `value` under `key` in its page: `false` (and no account
    /// changed) when the key is not there yet and its page is full. Keys and
    /// values are at most 255 bytes.
    ///
    /// A newcomer first splits pages until there is room for it at `load`
    /// accounts per page (even when its page then refuses it). So a call
    /// that brings many new accounts at once (reputation's first
    /// `RecordOutcomes` of a batch) spreads them over new pages instead of
    /// filling the old ones to `cap`.
    pub fn set(&mut self, storage: &dyn Storage, key: &[u8], value: &[u8]) -> StdResult<bool> {
        if key.len() > 255 || value.len() > 255 {
            return Err(StdError::generic_err(
                "account pages: key or value over 255 bytes",
            ));
        }
        let cap = self.cfg.cap;
        let l = self.page(storage, key)?;
        if let Ok(i) = l.page.binary_search_by(|(k, _)| k.as_slice().cmp(key)) {
            if l.page[i].1 != value {
                l.page[i].1 = value.to_vec();
                l.dirty = true;
            }
            return Ok(true);
        }
        self.grow(storage, self.meta.count + 1)?;
        let l = self.page(storage, key)?;
        match l.page.binary_search_by(|(k, _)| k.as_slice().cmp(key)) {
            Err(i) if l.page.len() < cap => {
                l.page.insert(i, (key.to_vec(), value.to_vec()));
                l.dirty = true;
                self.meta.count += 1;
                self.meta_dirty = true;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Splits pages until `accounts` fit at `load` per page.
    fn grow(&mut self, storage: &dyn Storage, accounts: u64) -> StdResult<()> {
        while accounts > u64::from(self.cfg.load) * self.meta.pages() && self.meta.level < 31 {
            self.split_one(storage)?;
        }
        Ok(())
    }

    /// Removes `key` from its page: `false` when the page does not hold it.
    pub fn remove(&mut self, storage: &dyn Storage, key: &[u8]) -> StdResult<bool> {
        let l = self.page(storage, key)?;
        match l.page.binary_search_by(|(k, _)| k.as_slice().cmp(key)) {
            Ok(i) => {
                l.page.remove(i);
                l.dirty = true;
                self.meta.count -= 1;
                self.meta_dirty = true;
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    /// Writes every changed page (an empty one is removed) and the metadata.
    pub fn flush(self, storage: &mut dyn Storage) -> StdResult<()> {
        for l in self.loaded.iter().filter(|l| l.dirty) {
            let key = page_key(self.cfg.ns, l.n);
            if l.page.is_empty() {
                storage.remove(&key);
            } else {
                storage.set(&key, &encode_page(&l.page));
            }
        }
        if self.meta_dirty {
            storage.set(self.cfg.ns, &self.meta.encode());
        }
        Ok(())
    }

    /// Splits page `split` into itself and page `split + 2^level`.
    fn split_one(&mut self, storage: &dyn Storage) -> StdResult<()> {
        let Meta { level, split, .. } = self.meta;
        let new = split + (1u32 << level);
        let keep = mask(level + 1);
        let old = self.load(storage, split)?;
        let all = std::mem::take(&mut old.page);
        let (stay, go): (Page, Page) = all
            .into_iter()
            .partition(|(k, _)| key_hash(k) & keep == split);
        old.page = stay;
        old.dirty = true;
        let moved = self.load(storage, new)?;
        moved.page = go;
        moved.dirty = true;
        self.meta.split += 1;
        if self.meta.split == 1u32 << level {
            self.meta.level += 1;
            self.meta.split = 0;
        }
        self.meta_dirty = true;
        Ok(())
    }
}

/// A value kept in pages, with an entry of its own as the fallback: when
/// its page is full, and for values stored before the contract used pages.
/// A value equal to `Default` is not stored at all.
pub trait Paged: Sized + Copy + Default + PartialEq {
    /// The pages of this kind of value.
    const PAGES: Pages;
    /// The bytes a page holds (at most 255).
    fn encode(&self) -> Vec<u8>;
    /// The value from [`Paged::encode`]'s bytes.
    fn decode(bytes: &[u8]) -> StdResult<Self>;
    /// The value's own entry, if it has one.
    fn load_own(storage: &dyn Storage, key: &[u8]) -> StdResult<Option<Self>>;
    /// Writes the value's own entry.
    fn save_own(storage: &mut dyn Storage, key: &[u8], value: &Self) -> StdResult<()>;
    /// Removes the value's own entry.
    fn remove_own(storage: &mut dyn Storage, key: &[u8]);
}

struct Entry<V> {
    value: V,
    /// Held in an entry of its own, not in its page.
    own: bool,
    changed: bool,
}

/// The values one call reads and writes: each page and each own entry is
/// read at most once and written once, at [`Book::flush`]; nothing is stored
/// before, so a call refused half-way changes nothing.
pub struct Book<V: Paged> {
    pages: PageCache,
    entries: BTreeMap<Vec<u8>, Entry<V>>,
}

impl<V: Paged> Book<V> {
    /// Opens the book for one call.
    pub fn open(storage: &dyn Storage) -> StdResult<Self> {
        Ok(Book {
            pages: PageCache::open(V::PAGES, storage)?,
            entries: BTreeMap::new(),
        })
    }

    /// The linear-hashing state as this call sees it.
    pub fn meta(&self) -> Meta {
        self.pages.meta()
    }

    fn entry(&mut self, storage: &dyn Storage, key: &[u8]) -> StdResult<&mut Entry<V>> {
        if !self.entries.contains_key(key) {
            let (value, own) = match self.pages.get(storage, key)? {
                Some(b) => (V::decode(&b)?, false),
                None => match V::load_own(storage, key)? {
                    Some(v) => (v, true),
                    None => (V::default(), false),
                },
            };
            self.entries.insert(
                key.to_vec(),
                Entry {
                    value,
                    own,
                    changed: false,
                },
            );
        }
        self.entries
            .get_mut(key)
            .ok_or_else(|| StdError::generic_err("account pages: entry"))
    }

    /// The value under `key`: from its page, else its own entry, else `Default`.
    pub fn get(&mut self, storage: &dyn Storage, key: &[u8]) -> StdResult<V> {
        Ok(self.entry(storage, key)?.value)
    }

    /// Sets the value under `key` (stored at [`Book::flush`]).
    pub fn put(&mut self, storage: &dyn Storage, key: &[u8], value: V) -> StdResult<()> {
        let e = self.entry(storage, key)?;
        if e.value != value {
            e.value = value;
            e.changed = true;
        }
        Ok(())
    }

    /// Stores every changed value: in its page (a `Default` value leaves
    /// it), or in an entry of its own when the page is full; a value that
    /// had its own entry moves into its page when there is room.
    pub fn flush(mut self, storage: &mut dyn Storage) -> StdResult<()> {
        for (key, e) in self.entries.iter().filter(|(_, e)| e.changed) {
            if e.value == V::default() {
                if !self.pages.remove(storage, key)? && e.own {
                    V::remove_own(storage, key);
                }
            } else if self.pages.set(storage, key, &e.value.encode())? {
                if e.own {
                    V::remove_own(storage, key);
                }
            } else {
                V::save_own(storage, key, &e.value)?;
            }
        }
        self.pages.flush(storage)
    }
}

/// The value under `key`, read-only (queries).
pub fn load<V: Paged>(storage: &dyn Storage, key: &[u8]) -> StdResult<V> {
    Book::<V>::open(storage)?.get(storage, key)
}

/// Appends `n` as an unsigned LEB128 varint (7 bits per byte, low first).
pub fn put_uvarint(out: &mut Vec<u8>, mut n: u128) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads an unsigned LEB128 varint from the front of `b`: the number and the
/// bytes it took; `None` when it is cut short or does not fit in 128 bits.
pub fn take_uvarint(b: &[u8]) -> Option<(u128, usize)> {
    let mut n: u128 = 0;
    for (i, byte) in b.iter().enumerate() {
        if i >= 19 {
            return None;
        }
        let part = u128::from(byte & 0x7f);
        let shift = 7 * i as u32;
        if shift == 126 && part > 3 {
            return None;
        }
        n |= part << shift;
        if byte & 0x80 == 0 {
            return Some((n, i + 1));
        }
    }
    None
}

/// Why [`take_uvarint_strict`] refused a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarintError {
    /// The bytes end before the number's last byte.
    Short,
    /// Not the shortest form: a last byte of zero after the first.
    Overlong,
    /// More bits than the field takes.
    Overflow,
}

/// Reads an unsigned LEB128 varint of at most `bits` bits (1 to 128) from
/// the front of `b`, accepting only its shortest form: the number and the
/// bytes it took. The wire forms a matcher or a wallet sends (compact
/// intents, compact trades) read through it, so one number has one spelling.
pub fn take_uvarint_strict(b: &[u8], bits: u32) -> Result<(u128, usize), VarintError> {
    let mut n = 0u128;
    for i in 0..bits.div_ceil(7) {
        let &byte = b.get(i as usize).ok_or(VarintError::Short)?;
        let part = byte & 0x7f;
        // The last byte may only hold the bits left of the field.
        let left = bits - 7 * i;
        if left < 7 && part >> left != 0 {
            return Err(VarintError::Overflow);
        }
        n |= u128::from(part) << (7 * i);
        if byte & 0x80 == 0 {
            if byte == 0 && i > 0 {
                return Err(VarintError::Overlong);
            }
            return Ok((n, i as usize + 1));
        }
    }
    Err(VarintError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use proptest::prelude::*;

    #[test]
    fn a_strict_varint_has_one_spelling_and_its_width() {
        let mut v = Vec::new();
        put_uvarint(&mut v, 300);
        assert_eq!(take_uvarint_strict(&v, 32), Ok((300, 2)));
        assert_eq!(take_uvarint_strict(&[0x80], 32), Err(VarintError::Short));
        assert_eq!(take_uvarint_strict(&[], 8), Err(VarintError::Short));
        assert_eq!(
            take_uvarint_strict(&[0x81, 0x00], 32),
            Err(VarintError::Overlong)
        );
        assert_eq!(take_uvarint_strict(&[0x00], 8), Ok((0, 1)));
        // 32 bits: five bytes, the last holding four bits at most.
        let mut max = Vec::new();
        put_uvarint(&mut max, u128::from(u32::MAX));
        assert_eq!(take_uvarint_strict(&max, 32), Ok((u128::from(u32::MAX), 5)));
        let mut over = Vec::new();
        put_uvarint(&mut over, 1 << 32);
        assert_eq!(take_uvarint_strict(&over, 32), Err(VarintError::Overflow));
        let mut top = Vec::new();
        put_uvarint(&mut top, u128::MAX);
        assert_eq!(take_uvarint_strict(&top, 128), Ok((u128::MAX, 19)));
        assert_eq!(
            take_uvarint_strict(&[0xff; 20], 128),
            Err(VarintError::Overflow)
        );
    }

    const CFG: Pages = Pages {
        ns: b"lp",
        load: 4,
        cap: 16,
    };

    fn key(i: u32) -> Vec<u8> {
        let mut k = vec![7u8; 20];
        k[..4].copy_from_slice(&i.to_be_bytes());
        k
    }

    /// Every page in storage, decoded, by number.
    fn stored_pages(st: &MockStorage) -> BTreeMap<u32, Page> {
        let m = Meta::decode(&st.get(CFG.ns).unwrap_or_else(|| Meta::default().encode())).unwrap();
        (0..m.pages() as u32)
            .filter_map(|n| {
                st.get(&page_key(CFG.ns, n))
                    .map(|b| (n, decode_page(&b).unwrap()))
            })
            .collect()
    }

    #[test]
    fn pages_are_split_to_keep_about_load_accounts_each() {
        let mut st = MockStorage::new();
        let mut refused = 0;
        for i in 0..1000 {
            let mut c = PageCache::open(CFG, &st).unwrap();
            if !c.set(&st, &key(i), &[1]).unwrap() {
                refused += 1;
            }
            c.flush(&mut st).unwrap();
        }
        let c = PageCache::open(CFG, &st).unwrap();
        let m = c.meta();
        // A page not yet split in this round holds about twice the load: now
        // and then one is full (16) and refuses a newcomer.
        assert!(refused <= 10, "{refused} of 1000 refused");
        assert_eq!(m.count, 1000 - refused);
        // The accounts at 4 per page: 2^7 + split pages.
        assert_eq!(m.pages(), m.count.div_ceil(4));
        assert_eq!(m.level, 7);
        assert_layout(&st, m);
    }

    /// The pages hold `m.count` accounts, each on the page its hash names,
    /// none over the cap.
    fn assert_layout(st: &MockStorage, m: Meta) {
        let pages = stored_pages(st);
        let held: usize = pages.values().map(Vec::len).sum();
        assert_eq!(held as u64, m.count);
        for (n, p) in &pages {
            for (k, _) in p {
                assert_eq!(m.page_of(key_hash(k)), *n);
            }
            assert!(p.len() <= CFG.cap, "page {n} holds {}", p.len());
        }
    }

    #[test]
    fn one_call_bringing_many_newcomers_splits_as_it_goes() {
        // Reputation's first RecordOutcomes of a 500-trade batch brings up
        // to 1,000 new accounts in one call: they go to pages of about
        // `load`, not to the few pages there were when the call began.
        let mut st = MockStorage::new();
        let mut c = PageCache::open(CFG, &st).unwrap();
        let refused = (0..1000)
            .filter(|&i| !c.set(&st, &key(i), &[1]).unwrap())
            .count();
        c.flush(&mut st).unwrap();
        let m = PageCache::open(CFG, &st).unwrap().meta();
        assert!(refused <= 10, "{refused} of 1000 refused");
        assert_eq!(m.count, 1000 - refused as u64);
        assert_eq!(m.pages(), m.count.div_ceil(4));
        assert_layout(&st, m);
    }

    #[test]
    fn a_full_page_refuses_a_newcomer_and_changes_nothing() {
        let cfg = Pages {
            cap: 2,
            load: 100,
            ..CFG
        };
        let mut st = MockStorage::new();
        let mut c = PageCache::open(cfg, &st).unwrap();
        // One page while load is 100: every key lands on page 0.
        assert!(c.set(&st, &key(1), &[1]).unwrap());
        assert!(c.set(&st, &key(2), &[2]).unwrap());
        assert!(!c.set(&st, &key(3), &[3]).unwrap());
        // An update of a key already there still fits.
        assert!(c.set(&st, &key(1), &[9]).unwrap());
        assert_eq!(c.meta().count, 2);
        c.flush(&mut st).unwrap();
        let mut c = PageCache::open(cfg, &st).unwrap();
        assert_eq!(c.get(&st, &key(1)).unwrap(), Some(vec![9]));
        assert_eq!(c.get(&st, &key(3)).unwrap(), None);
    }

    #[test]
    fn nothing_is_stored_before_flush_and_empty_pages_are_removed() {
        let mut st = MockStorage::new();
        let mut c = PageCache::open(CFG, &st).unwrap();
        c.set(&st, &key(1), &[1]).unwrap();
        drop(c);
        assert!(st.get(CFG.ns).is_none());
        let mut c = PageCache::open(CFG, &st).unwrap();
        c.set(&st, &key(1), &[1]).unwrap();
        c.flush(&mut st).unwrap();
        assert!(st.get(&page_key(CFG.ns, 0)).is_some());
        let mut c = PageCache::open(CFG, &st).unwrap();
        assert!(c.remove(&st, &key(1)).unwrap());
        assert!(!c.remove(&st, &key(2)).unwrap());
        c.flush(&mut st).unwrap();
        assert!(st.get(&page_key(CFG.ns, 0)).is_none());
        assert_eq!(PageCache::open(CFG, &st).unwrap().meta().count, 0);
    }

    #[test]
    fn corrupt_metadata_and_pages_are_errors() {
        let mut st = MockStorage::new();
        st.set(CFG.ns, b"xx");
        let err = PageCache::open(CFG, &st).err().unwrap();
        assert!(
            err.to_string()
                .contains("account pages: metadata is corrupt"),
            "{err}"
        );
        let mut st = MockStorage::new();
        st.set(&page_key(CFG.ns, 0), &[20, 1, 2]);
        let mut c = PageCache::open(CFG, &st).unwrap();
        let err = c.get(&st, &key(1)).err().unwrap();
        assert!(
            err.to_string().contains("account pages: a page is corrupt"),
            "{err}"
        );
    }

    #[test]
    fn varints_round_trip_and_refuse_bad_input() {
        for n in [
            0u128,
            1,
            127,
            128,
            300,
            100_000_000,
            u64::MAX as u128,
            u128::MAX,
        ] {
            let mut b = Vec::new();
            put_uvarint(&mut b, n);
            assert_eq!(take_uvarint(&b), Some((n, b.len())));
        }
        assert_eq!(take_uvarint(&[0x80]), None);
        assert_eq!(take_uvarint(&[]), None);
        let mut over = vec![0xffu8; 18];
        over.push(0x04);
        assert_eq!(take_uvarint(&over), None);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Set(u32, u8),
        Remove(u32),
        Flush,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u32..300, any::<u8>()).prop_map(|(k, v)| Op::Set(k, v)),
            1 => (0u32..300).prop_map(Op::Remove),
            1 => Just(Op::Flush),
        ]
    }

    proptest! {
        /// Any sequence of sets, removes and flushes leaves the pages holding
        /// exactly what a plain map holds (full pages keep their refusals in
        /// the model too), every key on the page its hash names.
        #[test]
        fn pages_agree_with_a_map(ops in proptest::collection::vec(op(), 1..400)) {
            let cfg = Pages { cap: 6, ..CFG };
            let mut st = MockStorage::new();
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            let mut c = PageCache::open(cfg, &st).unwrap();
            for o in ops {
                match o {
                    Op::Set(k, v) => {
                        if c.set(&st, &key(k), &[v]).unwrap() {
                            model.insert(key(k), vec![v]);
                        } else {
                            prop_assert!(!model.contains_key(&key(k)));
                        }
                    }
                    Op::Remove(k) => {
                        let had = c.remove(&st, &key(k)).unwrap();
                        prop_assert_eq!(had, model.remove(&key(k)).is_some());
                    }
                    Op::Flush => {
                        c.flush(&mut st).unwrap();
                        c = PageCache::open(cfg, &st).unwrap();
                    }
                }
            }
            c.flush(&mut st).unwrap();
            let m = PageCache::open(cfg, &st).unwrap().meta();
            prop_assert_eq!(m.count as usize, model.len());
            let mut seen = BTreeMap::new();
            for (n, p) in stored_pages(&st) {
                prop_assert!(p.len() <= cfg.cap);
                for (k, v) in p {
                    prop_assert_eq!(m.page_of(key_hash(&k)), n);
                    seen.insert(k, v);
                }
            }
            prop_assert_eq!(seen, model);
        }
    }
}

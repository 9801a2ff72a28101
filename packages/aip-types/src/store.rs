//! Point reads at the price of an iterator step.
//!
//! The Cosmos SDK charges a `Get` 1,000 SDK gas flat plus 3 per byte of key
//! and value, but an iterator only 30 per item plus the same 3 per byte
//! (`store/gaskv`: `ReadCostFlat` against `IterNextCostFlat`), and wasmd
//! passes both through unchanged. A range from `key` to `key ++ [0]` holds
//! `key` and nothing else, so [`read`] returns what `storage.get(key)`
//! returns for about 970 SDK gas less (a missing key: 30 instead of about
//! 1,000 + 3 × its bytes). The hot paths (a batch's accounts, intents,
//! meters and statistics) read through it; wasmd's `gas_used` on the
//! localnet confirms the figures (docs/benchmarks.md).
//!
//! This leans on the SDK's gas schedule, not on a documented promise: if a
//! later SDK charged iterators a flat seek cost, these reads would cost what
//! a `Get` costs, and nothing else would change.

use cosmwasm_std::{from_json, Order, StdResult, Storage};
use serde::de::DeserializeOwned;

/// The value under `key`, as `storage.get(key)` would return it.
pub fn read(storage: &dyn Storage, key: &[u8]) -> Option<Vec<u8>> {
    last_up_to(storage, key, key).map(|(_, v)| v)
}

/// The entry with the greatest key from `from` up to `key` (both included),
/// if any: one descending iterator step. Finds the chunk that holds an id
/// when chunks are keyed by their first id.
pub fn last_up_to(storage: &dyn Storage, from: &[u8], key: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut end = Vec::with_capacity(key.len() + 1);
    end.extend_from_slice(key);
    end.push(0);
    storage
        .range(Some(from), Some(&end), Order::Descending)
        .next()
}

/// The JSON value under `key` (a `cw-storage-plus` key, e.g. `MAP.key(k)`),
/// as `may_load` would return it.
pub fn may_load<T: DeserializeOwned>(storage: &dyn Storage, key: &[u8]) -> StdResult<Option<T>> {
    read(storage, key).map(|v| from_json(&v)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    #[test]
    fn read_returns_exactly_the_key_and_never_a_neighbour() {
        let mut st = MockStorage::new();
        st.set(b"ab", b"1");
        st.set(b"ab\0", b"2");
        st.set(b"abc", b"3");
        st.set(b"a", b"4");
        assert_eq!(read(&st, b"ab"), Some(b"1".to_vec()));
        assert_eq!(read(&st, b"ab\0"), Some(b"2".to_vec()));
        assert_eq!(read(&st, b"a"), Some(b"4".to_vec()));
        assert_eq!(read(&st, b"ab\x01"), None);
        assert_eq!(read(&st, b"b"), None);
        st.remove(b"ab");
        assert_eq!(read(&st, b"ab"), None);
    }

    #[test]
    fn last_up_to_finds_the_greatest_key_in_the_range() {
        let mut st = MockStorage::new();
        st.set(b"c\x00\x05", b"five");
        st.set(b"c\x00\x09", b"nine");
        st.set(b"d\x00\x01", b"other");
        let get = |k: &[u8]| last_up_to(&st, b"c", k).map(|(_, v)| v);
        assert_eq!(get(b"c\x00\x05"), Some(b"five".to_vec()));
        assert_eq!(get(b"c\x00\x08"), Some(b"five".to_vec()));
        assert_eq!(get(b"c\x00\x09"), Some(b"nine".to_vec()));
        assert_eq!(get(b"c\x00\xff"), Some(b"nine".to_vec()));
        assert_eq!(get(b"c\x00\x04"), None);
    }

    #[test]
    fn may_load_reads_json_like_cw_storage_plus() {
        let mut st = MockStorage::new();
        let m: cw_storage_plus::Map<u64, String> = cw_storage_plus::Map::new("m");
        m.save(&mut st, 7, &"seven".to_string()).unwrap();
        assert_eq!(
            may_load::<String>(&st, &m.key(7)).unwrap(),
            Some("seven".to_string())
        );
        assert_eq!(may_load::<String>(&st, &m.key(8)).unwrap(), None);
        st.set(&m.key(9), b"not json");
        assert!(may_load::<String>(&st, &m.key(9)).is_err());
    }
}

//! The deposit ledger: one [`Account`] per address, kept in shared pages
//! ([`aip_types::pages`], about eight accounts per storage entry), read and
//! written at most once per call through a [`Ledger`].
//!
//! An account whose page is full (32 accounts), or that was stored before
//! pages existed, has an entry of its own in [`CLAIMABLE`]; the next write
//! of such an account moves it into its page when there is room.

use std::collections::BTreeMap;

use aip_types::pages::{put_uvarint, take_uvarint, Book, Paged, Pages};
use cosmwasm_std::{StdError, StdResult, Storage, Uint128};

use crate::state::{Account, CLAIMABLE};
use crate::ContractError;

/// The accounts of one call ([`Book::get`], [`Book::put`], one [`Book::flush`]).
pub type Ledger = Book<Account>;

/// What one call does to one account: `credit` is added to its free balance,
/// `unlock` leaves its locked balance (where that money goes is what the
/// credits of the parties say).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delta {
    /// Added to the account's free balance, uaip.
    pub credit: Uint128,
    /// Taken out of the account's locked balance, uaip.
    pub unlock: Uint128,
}

impl Paged for Account {
    /// Raw key prefix `lp`; about eight accounts per page, at most 32
    /// (docs/benchmarks.md, "Paged accounts": eight rather than four makes
    /// a batch of 500 trades cheaper and one of 10 dearer).
    const PAGES: Pages = Pages {
        ns: b"lp",
        load: 8,
        cap: 32,
    };

    /// `free`, `locked` and `last` as LEB128 varints.
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(12);
        put_uvarint(&mut v, self.free.u128());
        put_uvarint(&mut v, self.locked.u128());
        put_uvarint(&mut v, u128::from(self.last));
        v
    }

    fn decode(b: &[u8]) -> StdResult<Self> {
        let corrupt = || StdError::generic_err("deposit ledger: an account entry is corrupt");
        let mut nums = [0u128; 3];
        let mut at = 0;
        for n in &mut nums {
            let (x, used) = take_uvarint(&b[at..]).ok_or_else(corrupt)?;
            *n = x;
            at += used;
        }
        if at != b.len() {
            return Err(corrupt());
        }
        Ok(Account {
            free: Uint128::new(nums[0]),
            locked: Uint128::new(nums[1]),
            last: u64::try_from(nums[2]).map_err(|_| corrupt())?,
        })
    }

    /// The entry under `cl` (the layout before pages, a JSON string).
    fn load_own(storage: &dyn Storage, key: &[u8]) -> StdResult<Option<Self>> {
        aip_types::store::may_load(storage, &CLAIMABLE.key(key))
    }

    fn save_own(storage: &mut dyn Storage, key: &[u8], value: &Self) -> StdResult<()> {
        CLAIMABLE.save(storage, key, value)
    }

    fn remove_own(storage: &mut dyn Storage, key: &[u8]) {
        CLAIMABLE.remove(storage, key)
    }
}

/// The account of `raw` (a canonical address); empty if it never held anything.
pub fn load(storage: &dyn Storage, raw: &[u8]) -> StdResult<Account> {
    aip_types::pages::load(storage, raw)
}

/// Applies every delta: one read and one write per page of accounts.
pub fn apply_all(
    storage: &mut dyn Storage,
    deltas: &BTreeMap<Vec<u8>, Delta>,
) -> Result<(), ContractError> {
    let mut led = Ledger::open(storage)?;
    apply_into(&mut led, storage, deltas)?;
    led.flush(storage)?;
    Ok(())
}

/// Applies every delta to the accounts held by `led`, which the caller
/// flushes (so that a call doing more than this writes each page once).
pub fn apply_into(
    led: &mut Ledger,
    storage: &dyn Storage,
    deltas: &BTreeMap<Vec<u8>, Delta>,
) -> Result<(), ContractError> {
    for (who, d) in deltas {
        if d.credit.is_zero() && d.unlock.is_zero() {
            continue;
        }
        let mut acc = led.get(storage, who)?;
        acc.free = acc.free.checked_add(d.credit).map_err(StdError::from)?;
        acc.locked = acc.locked.checked_sub(d.unlock).map_err(StdError::from)?;
        led.put(storage, who, acc)?;
    }
    Ok(())
}

/// Adds `credit` to the free balance of `who` in `deltas`.
pub fn credit(deltas: &mut BTreeMap<Vec<u8>, Delta>, who: &[u8], credit: Uint128) {
    if !credit.is_zero() {
        deltas.entry(who.to_vec()).or_default().credit += credit;
    }
}

/// Releases `amount` from the locked balance of `who` in `deltas`.
pub fn unlock(deltas: &mut BTreeMap<Vec<u8>, Delta>, who: &[u8], amount: Uint128) {
    if !amount.is_zero() {
        deltas.entry(who.to_vec()).or_default().unlock += amount;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::{from_json, to_json_vec};

    #[test]
    fn account_is_stored_as_one_string_and_reads_legacy_balances() {
        let a = Account {
            free: Uint128::new(12),
            locked: Uint128::zero(),
            last: 0,
        };
        assert_eq!(to_json_vec(&a).unwrap(), b"\"12\"");
        let b = Account {
            free: Uint128::new(12),
            locked: Uint128::new(5),
            last: 0,
        };
        assert_eq!(to_json_vec(&b).unwrap(), b"\"12/5\"");
        assert_eq!(from_json::<Account>(b"\"12/5\"").unwrap(), b);
        // A claimable balance written by the version before deposits.
        assert_eq!(from_json::<Account>(b"\"12\"").unwrap(), a);
        assert!(from_json::<Account>(b"\"12/x\"").is_err());
        assert!(from_json::<Account>(b"12").is_err());
        // With a latest trade: three parts.
        let c = Account { last: 41, ..b };
        assert_eq!(to_json_vec(&c).unwrap(), b"\"12/5/41\"");
        assert_eq!(from_json::<Account>(b"\"12/5/41\"").unwrap(), c);
        assert!(from_json::<Account>(b"\"1/2/3/4\"").is_err());
    }

    fn acc(free: u128, locked: u128) -> Account {
        Account {
            free: Uint128::new(free),
            locked: Uint128::new(locked),
            last: 0,
        }
    }

    fn set(st: &mut MockStorage, raw: &[u8], a: Account) {
        let mut led = Ledger::open(st).unwrap();
        led.put(st, raw, a).unwrap();
        led.flush(st).unwrap();
    }

    #[test]
    fn apply_all_credits_unlocks_and_removes_empty_accounts() {
        let mut st = MockStorage::new();
        set(&mut st, b"a", acc(10, 7));
        let mut d = BTreeMap::new();
        credit(&mut d, b"a", Uint128::new(3));
        unlock(&mut d, b"a", Uint128::new(7));
        credit(&mut d, b"b", Uint128::new(4));
        apply_all(&mut st, &d).unwrap();
        assert_eq!(load(&st, b"a").unwrap(), acc(13, 0));
        assert_eq!(load(&st, b"b").unwrap().free, Uint128::new(4));
        // Both live in the (only) page, none in an entry of its own.
        assert!(CLAIMABLE.may_load(&st, b"a").unwrap().is_none());
        assert_eq!(Ledger::open(&st).unwrap().meta().count, 2);
        // Unlocking more than is locked is an error, and nothing is half-applied
        // by the caller's transaction (the whole call fails).
        let mut d = BTreeMap::new();
        unlock(&mut d, b"b", Uint128::new(1));
        assert!(apply_all(&mut st, &d).is_err());
        set(&mut st, b"a", Account::default());
        set(&mut st, b"b", Account::default());
        assert_eq!(load(&st, b"a").unwrap(), Account::default());
        assert_eq!(Ledger::open(&st).unwrap().meta().count, 0);
        assert!(st.get(b"lp\0\0\0\0").is_none(), "an empty page is removed");
    }

    #[test]
    fn an_own_entry_moves_into_its_page_at_its_next_write() {
        let mut st = MockStorage::new();
        // Written by the version before pages: a JSON string under "cl".
        CLAIMABLE.save(&mut st, b"old", &acc(12, 5)).unwrap();
        assert_eq!(load(&st, b"old").unwrap(), acc(12, 5));
        let mut d = BTreeMap::new();
        credit(&mut d, b"old", Uint128::new(1));
        apply_all(&mut st, &d).unwrap();
        assert!(CLAIMABLE.may_load(&st, b"old").unwrap().is_none());
        assert_eq!(load(&st, b"old").unwrap(), acc(13, 5));
        // Emptied while still in its own entry: the entry goes.
        CLAIMABLE.save(&mut st, b"gone", &acc(2, 0)).unwrap();
        set(&mut st, b"gone", Account::default());
        assert!(CLAIMABLE.may_load(&st, b"gone").unwrap().is_none());
    }

    #[test]
    fn a_full_page_keeps_newcomers_in_entries_of_their_own() {
        // cap + 1 keys ground to share the low 8 bits of their hash: on the
        // same page however the pages split (up to 256 pages).
        let Pages {
            load: per_page,
            cap,
            ..
        } = Account::PAGES;
        let mut st = MockStorage::new();
        let keys: Vec<Vec<u8>> = (0u32..)
            .map(|i| {
                let mut k = vec![0u8; 20];
                k[..4].copy_from_slice(&i.to_be_bytes());
                k
            })
            .filter(|k| aip_types::pages::key_hash(k) & 0xff == 0)
            .take(cap + 1)
            .collect();
        let mut led = Ledger::open(&st).unwrap();
        for (i, k) in keys.iter().enumerate() {
            led.put(&st, k, acc(i as u128 + 1, 0)).unwrap();
        }
        led.flush(&mut st).unwrap();
        let own: Vec<_> = keys
            .iter()
            .filter(|k| CLAIMABLE.may_load(&st, k).unwrap().is_some())
            .collect();
        assert_eq!(
            own,
            vec![&keys[cap]],
            "the last account has an entry of its own"
        );
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(load(&st, k).unwrap(), acc(i as u128 + 1, 0));
        }
        // `cap` accounts in pages; the last one split pages to make room
        // for cap + 1 at `load` each before its own page refused it.
        let meta = Ledger::open(&st).unwrap().meta();
        assert_eq!(meta.count, cap as u64);
        assert_eq!(meta.pages(), (cap as u64 + 1).div_ceil(per_page.into()));
    }

    #[test]
    fn a_corrupt_page_entry_is_an_error() {
        assert_eq!(
            Account::decode(&acc(100_000_000, 7).encode()).unwrap(),
            acc(100_000_000, 7)
        );
        let with_last = Account {
            last: 1 << 40,
            ..acc(3, 0)
        };
        assert_eq!(Account::decode(&with_last.encode()).unwrap(), with_last);
        for bad in [&[][..], &[0x80][..], &[1, 2][..], &[1, 2, 3, 4][..]] {
            let err = Account::decode(bad).unwrap_err();
            assert!(err
                .to_string()
                .contains("deposit ledger: an account entry is corrupt"));
        }
    }
}

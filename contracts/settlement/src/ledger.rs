//! The deposit ledger: one [`Account`] per address, written at most once per
//! call (changes are gathered per account first, then applied).

use std::collections::BTreeMap;

use cosmwasm_std::{StdError, StdResult, Storage, Uint128};

use crate::state::{Account, CLAIMABLE};
use crate::ContractError;

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

/// The account of `raw` (a canonical address); empty if it never held anything.
pub fn load(storage: &dyn Storage, raw: &[u8]) -> StdResult<Account> {
    Ok(CLAIMABLE.may_load(storage, raw)?.unwrap_or_default())
}

/// Stores `acc`, or removes the entry when nothing is left in it.
pub fn save(storage: &mut dyn Storage, raw: &[u8], acc: &Account) -> StdResult<()> {
    if acc.is_empty() {
        CLAIMABLE.remove(storage, raw);
        Ok(())
    } else {
        CLAIMABLE.save(storage, raw, acc)
    }
}

/// Applies every delta, one read and one write per account.
pub fn apply_all(
    storage: &mut dyn Storage,
    deltas: &BTreeMap<Vec<u8>, Delta>,
) -> Result<(), ContractError> {
    for (who, d) in deltas {
        if d.credit.is_zero() && d.unlock.is_zero() {
            continue;
        }
        let mut acc = load(storage, who)?;
        acc.free = acc.free.checked_add(d.credit).map_err(StdError::from)?;
        acc.locked = acc.locked.checked_sub(d.unlock).map_err(StdError::from)?;
        save(storage, who, &acc)?;
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
        };
        assert_eq!(to_json_vec(&a).unwrap(), b"\"12\"");
        let b = Account {
            free: Uint128::new(12),
            locked: Uint128::new(5),
        };
        assert_eq!(to_json_vec(&b).unwrap(), b"\"12/5\"");
        assert_eq!(from_json::<Account>(b"\"12/5\"").unwrap(), b);
        // A claimable balance written by the version before deposits.
        assert_eq!(from_json::<Account>(b"\"12\"").unwrap(), a);
        assert!(from_json::<Account>(b"\"12/x\"").is_err());
        assert!(from_json::<Account>(b"12").is_err());
    }

    #[test]
    fn apply_all_credits_unlocks_and_removes_empty_accounts() {
        let mut st = MockStorage::new();
        save(
            &mut st,
            b"a",
            &Account {
                free: Uint128::new(10),
                locked: Uint128::new(7),
            },
        )
        .unwrap();
        let mut d = BTreeMap::new();
        credit(&mut d, b"a", Uint128::new(3));
        unlock(&mut d, b"a", Uint128::new(7));
        credit(&mut d, b"b", Uint128::new(4));
        apply_all(&mut st, &d).unwrap();
        assert_eq!(
            load(&st, b"a").unwrap(),
            Account {
                free: Uint128::new(13),
                locked: Uint128::zero()
            }
        );
        assert_eq!(load(&st, b"b").unwrap().free, Uint128::new(4));
        // Unlocking more than is locked is an error, and nothing is half-applied
        // by the caller's transaction (the whole call fails).
        let mut d = BTreeMap::new();
        unlock(&mut d, b"b", Uint128::new(1));
        assert!(apply_all(&mut st, &d).is_err());
        save(&mut st, b"a", &Account::default()).unwrap();
        assert!(CLAIMABLE.may_load(&st, b"a").unwrap().is_none());
    }
}

//! The localnet's funded test accounts (TEST ONLY: these mnemonics are public).
//!
//! The list lives in `ci/localnet-accounts.txt`, which `ci/localnet.sh` reads to
//! fund the same accounts in genesis. Names: `validator`, `alice`, `bob`,
//! `carol`, `dave`, `oracle`, `matcher`, `dso`, `faucet`.

use crate::error::{Error, Result};
use crate::key::Signer;

const ACCOUNTS: &str = include_str!("../../../ci/localnet-accounts.txt");

/// `(name, mnemonic)` of every test account, in file order.
pub fn accounts() -> impl Iterator<Item = (&'static str, &'static str)> {
    ACCOUNTS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
}

/// The mnemonic of the test account `name`.
pub fn mnemonic(name: &str) -> Result<&'static str> {
    accounts()
        .find(|(n, _)| *n == name)
        .map(|(_, m)| m)
        .ok_or_else(|| {
            let names: Vec<_> = accounts().map(|(n, _)| n).collect();
            Error::Key(format!(
                "no test account {name:?}; known: {}",
                names.join(", ")
            ))
        })
}

/// The signer of the test account `name` with the given bech32 prefix.
pub fn signer(name: &str, prefix: &str) -> Result<Signer> {
    Signer::from_mnemonic(mnemonic(name)?, prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_account_derives_a_distinct_address() {
        let names: Vec<_> = accounts().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "validator",
                "alice",
                "bob",
                "carol",
                "dave",
                "oracle",
                "matcher",
                "dso",
                "faucet"
            ]
        );
        let mut addrs: Vec<String> = names
            .iter()
            .map(|n| signer(n, "wasm").unwrap().address().to_string())
            .collect();
        assert!(addrs.iter().all(|a| a.starts_with("wasm1")));
        addrs.sort();
        addrs.dedup();
        assert_eq!(addrs.len(), names.len());
    }

    #[test]
    fn unknown_names_and_bad_mnemonics_are_refused() {
        let err = mnemonic("mallory").unwrap_err().to_string();
        assert!(
            err.starts_with("invalid key: no test account \"mallory\"; known: validator, alice"),
            "{err}"
        );
        let err = Signer::from_mnemonic("not a mnemonic", "wasm")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("invalid key: invalid mnemonic"), "{err}");
        let err = Signer::from_mnemonic_with_path(mnemonic("alice").unwrap(), "m/x", "wasm")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid key: invalid derivation path"),
            "{err}"
        );
    }

    #[test]
    fn debug_output_hides_the_key() {
        let s = signer("alice", "wasm").unwrap();
        let dbg = format!("{s:?}");
        assert!(dbg.contains("wasm1") && !dbg.contains("key:"), "{dbg}");
    }
}

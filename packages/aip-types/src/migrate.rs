//! The migration guard every contract runs before migrating: the stored cw2
//! record must name the same contract, at a version no newer than the code.

use cosmwasm_std::{Response, StdError, Storage};
use thiserror::Error;

/// Why a migration was refused.
#[derive(Error, Debug, PartialEq)]
pub enum MigrateError {
    /// A storage error reading the cw2 record.
    #[error("{0}")]
    Std(#[from] StdError),

    /// The stored contract is another one.
    #[error("cannot migrate from {from_name} (this is {to_name})")]
    WrongContract {
        /// The stored contract name.
        from_name: String,
        /// This code's contract name.
        to_name: String,
    },

    /// The stored version is newer than the code's.
    #[error("cannot migrate from version {from} to the older {to}")]
    Downgrade {
        /// The stored version.
        from: String,
        /// This code's version.
        to: String,
    },
}

/// Checks the stored cw2 version against `name` and `version` and returns the
/// stored version. Writes nothing: the caller migrates its state, then calls
/// `cw2::set_contract_version`.
pub fn check_upgrade(
    storage: &dyn Storage,
    name: &str,
    version: &str,
) -> Result<String, MigrateError> {
    let stored = cw2::get_contract_version(storage)?;
    if stored.contract != name {
        return Err(MigrateError::WrongContract {
            from_name: stored.contract,
            to_name: name.to_string(),
        });
    }
    if version_key(&stored.version) > version_key(version) {
        return Err(MigrateError::Downgrade {
            from: stored.version,
            to: version.to_string(),
        });
    }
    Ok(stored.version)
}

/// Ends every contract's migration the same way, after its state is migrated:
/// records `name`/`version` in cw2 and answers with the attributes `action`
/// = `migrate`, `from_version` (what [`check_upgrade`] returned) and
/// `to_version`.
pub fn migrated(
    storage: &mut dyn Storage,
    name: &str,
    version: &str,
    from_version: String,
) -> Result<Response, MigrateError> {
    cw2::set_contract_version(storage, name, version)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from_version)
        .add_attribute("to_version", version))
}

/// The whole migration of a contract with no state to migrate:
/// [`check_upgrade`], then [`migrated`]. A contract that rebuilds state calls
/// the two itself, with its work in between.
pub fn upgrade(
    storage: &mut dyn Storage,
    name: &str,
    version: &str,
) -> Result<Response, MigrateError> {
    let from_version = check_upgrade(storage, name, version)?;
    migrated(storage, name, version, from_version)
}

/// `major.minor.patch` as numbers (pre-release and build suffixes ignored;
/// a part that is not a number counts as 0).
fn version_key(v: &str) -> (u64, u64, u64) {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let mut it = core.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    #[test]
    fn refuses_another_contract_and_a_downgrade() {
        let mut store = MockStorage::new();
        assert!(matches!(
            check_upgrade(&store, "crates.io:a", "1.0.0"),
            Err(MigrateError::Std(_))
        ));
        cw2::set_contract_version(&mut store, "crates.io:b", "1.0.0").unwrap();
        assert_eq!(
            check_upgrade(&store, "crates.io:a", "1.0.0")
                .unwrap_err()
                .to_string(),
            "cannot migrate from crates.io:b (this is crates.io:a)"
        );
        cw2::set_contract_version(&mut store, "crates.io:a", "1.10.0").unwrap();
        assert_eq!(
            check_upgrade(&store, "crates.io:a", "1.9.9")
                .unwrap_err()
                .to_string(),
            "cannot migrate from version 1.10.0 to the older 1.9.9"
        );
        assert_eq!(
            check_upgrade(&store, "crates.io:a", "1.10.0").unwrap(),
            "1.10.0"
        );
        assert_eq!(
            check_upgrade(&store, "crates.io:a", "2.0.0-rc.1").unwrap(),
            "1.10.0"
        );
    }

    #[test]
    fn migrated_records_the_version_and_names_both_in_its_attributes() {
        let mut store = MockStorage::new();
        cw2::set_contract_version(&mut store, "crates.io:a", "1.0.0").unwrap();
        let from = check_upgrade(&store, "crates.io:a", "1.1.0").unwrap();
        let res = migrated(&mut store, "crates.io:a", "1.1.0", from).unwrap();
        let attrs: Vec<(&str, &str)> = res
            .attributes
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str()))
            .collect();
        assert_eq!(
            attrs,
            [
                ("action", "migrate"),
                ("from_version", "1.0.0"),
                ("to_version", "1.1.0")
            ]
        );
        let stored = cw2::get_contract_version(&store).unwrap();
        assert_eq!(
            (stored.contract.as_str(), stored.version.as_str()),
            ("crates.io:a", "1.1.0")
        );
    }

    #[test]
    fn upgrade_checks_then_records_and_refuses_leaving_the_record_as_it_was() {
        let mut store = MockStorage::new();
        cw2::set_contract_version(&mut store, "crates.io:a", "1.2.0").unwrap();
        let e = upgrade(&mut store, "crates.io:a", "1.1.0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot migrate from version 1.2.0 to the older 1.1.0"
        );
        let e = upgrade(&mut store, "crates.io:b", "9.0.0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot migrate from crates.io:a (this is crates.io:b)"
        );
        let stored = cw2::get_contract_version(&store).unwrap();
        assert_eq!(stored.version, "1.2.0");

        let res = upgrade(&mut store, "crates.io:a", "1.3.0").unwrap();
        assert!(res
            .attributes
            .iter()
            .any(|a| a.key == "from_version" && a.value == "1.2.0"));
        let stored = cw2::get_contract_version(&store).unwrap();
        assert_eq!(stored.version, "1.3.0");
    }
}

//! Reading a multitest call's outcome: an attribute of its response, the
//! message of its error.

use cw_multi_test::AppResponse;

/// The value of the first attribute named `key` in any event of `r`.
///
/// # Panics
/// When no event has it (a test failure naming the key).
pub fn attr(r: &AppResponse, key: &str) -> String {
    r.events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no attribute {key}"))
        .value
        .clone()
}

/// The message of the error a call must have failed with: the root cause,
/// which is the contract's own error (cw-multi-test wraps it in context).
///
/// # Panics
/// When the call succeeded (a test failure).
pub fn err<T: std::fmt::Debug>(r: anyhow::Result<T>) -> String {
    r.expect_err("expected an error").root_cause().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{Attribute, Event};

    #[test]
    fn attr_finds_the_first_attribute_in_any_event() {
        let r = AppResponse {
            events: vec![
                Event::new("execute").add_attribute("_contract_address", "c"),
                Event::new("wasm")
                    .add_attributes([Attribute::new("action", "deposit")])
                    .add_attribute("amount", "5"),
                Event::new("wasm").add_attribute("amount", "6"),
            ],
            ..AppResponse::default()
        };
        assert_eq!(attr(&r, "action"), "deposit");
        assert_eq!(attr(&r, "amount"), "5");
        let missing = std::panic::catch_unwind(|| attr(&r, "nonce"));
        assert!(missing.is_err());
    }

    #[test]
    fn err_is_the_root_cause() {
        let r: anyhow::Result<()> =
            Err(anyhow::anyhow!("slot 900 is already committed").context("execute wasm contract"));
        assert_eq!(err(r), "slot 900 is already committed");
    }
}

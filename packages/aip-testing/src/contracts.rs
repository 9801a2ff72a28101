//! Contract factories for cw-multi-test: the real entry points of each contract.

use cosmwasm_std::Empty;
use cw_multi_test::{Contract, ContractWrapper};

/// The AIP CW20 token.
pub fn aip_token() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            aip_token::contract::execute,
            aip_token::contract::instantiate,
            aip_token::contract::query,
        )
        .with_migrate(aip_token::contract::migrate),
    )
}

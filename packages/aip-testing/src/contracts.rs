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

/// The settlement contract (sylvia; its generated message enums behind plain entry points).
pub fn settlement() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            settlement::contract::execute,
            settlement::contract::instantiate,
            settlement::contract::query,
        )
        .with_migrate(settlement::contract::migrate),
    )
}

/// The soulbound reputation CW721 (cw721-base 0.22 as a library).
pub fn reputation() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            reputation::contract::execute,
            reputation::contract::instantiate,
            reputation::contract::query,
        )
        .with_migrate(reputation::contract::migrate),
    )
}

/// The meter oracle (meter registry, oracle operators, quorum-finalized readings).
pub fn meter_oracle() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            meter_oracle::contract::execute,
            meter_oracle::contract::instantiate,
            meter_oracle::contract::query,
        )
        .with_migrate(meter_oracle::contract::migrate),
    )
}

/// The KYC verifier: Groth16 (BLS12-381) membership proofs, nullifiers, `MintFor`.
pub fn zk_verifier() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            zk_verifier::contract::execute,
            zk_verifier::contract::instantiate,
            zk_verifier::contract::query,
        )
        .with_migrate(zk_verifier::contract::migrate),
    )
}

use cosmwasm_std::StdError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    /// Every error of the underlying cw20-base implementation, unchanged.
    #[error("{0}")]
    Cw20(#[from] cw20_base::ContractError),

    #[error("minting {amount} would overflow the total supply of {supply}")]
    SupplyOverflow {
        supply: cosmwasm_std::Uint128,
        amount: cosmwasm_std::Uint128,
    },

    #[error("raising {spender}'s allowance of {allowance} by {amount} would overflow")]
    AllowanceOverflow {
        spender: String,
        allowance: cosmwasm_std::Uint128,
        amount: cosmwasm_std::Uint128,
    },

    #[error("the AIP token has {expected} decimals, not {got}")]
    WrongDecimals { expected: u8, got: u8 },
    /// A migration refused by the shared guard (wrong contract, or a downgrade).
    #[error("{0}")]
    Migrate(#[from] aip_types::migrate::MigrateError),
}

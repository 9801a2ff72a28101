use cosmwasm_std::StdError;
use thiserror::Error;

/// Why the AIP token refused a message. The message changes nothing.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    /// A storage or serialization error from cosmwasm-std.
    #[error("{0}")]
    Std(#[from] StdError),

    /// Every error of the underlying cw20-base implementation, unchanged.
    #[error("{0}")]
    Cw20(#[from] cw20_base::ContractError),

    /// A mint that would take the total supply above 2^128 - 1 uaip.
    #[error("minting {amount} would overflow the total supply of {supply}")]
    SupplyOverflow {
        /// The total supply before the mint, uaip.
        supply: cosmwasm_std::Uint128,
        /// The amount to mint, uaip.
        amount: cosmwasm_std::Uint128,
    },

    /// An allowance increase that would overflow.
    #[error("raising {spender}'s allowance of {allowance} by {amount} would overflow")]
    AllowanceOverflow {
        /// The spender.
        spender: String,
        /// Its allowance now, uaip.
        allowance: cosmwasm_std::Uint128,
        /// The increase asked for, uaip.
        amount: cosmwasm_std::Uint128,
    },

    /// An instantiation with decimals other than 6.
    #[error("the AIP token has {expected} decimals, not {got}")]
    WrongDecimals {
        /// 6.
        expected: u8,
        /// The decimals given.
        got: u8,
    },
    /// A migration refused by the shared guard (wrong contract, or a downgrade).
    #[error("{0}")]
    Migrate(#[from] aip_types::migrate::MigrateError),
}

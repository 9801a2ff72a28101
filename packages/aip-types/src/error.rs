//! Errors of the shared types ([`TypesError`]).

use thiserror::Error;

/// Errors of the shared types: every one names the values that caused it.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum TypesError {
    /// A checked arithmetic operation overflowed.
    #[error("arithmetic overflow: {what} ({a} and {b})")]
    Overflow {
        /// The operation.
        what: &'static str,
        /// First operand.
        a: u128,
        /// Second operand.
        b: u128,
    },

    /// A slot start that is not a multiple of the slot length.
    #[error("slot start {start} is not aligned to {slot_seconds} s")]
    UnalignedSlot {
        /// The slot start given, Unix seconds.
        start: u64,
        /// Slot length, seconds (900).
        slot_seconds: u64,
    },

    /// Basis points above 10,000 (100 %).
    #[error("basis points {bps} exceed 10000")]
    BpsOutOfRange {
        /// The basis points given.
        bps: u32,
    },

    /// A payment larger than the amount it is paid from.
    #[error("cannot pay {paid} out of {available}")]
    Insufficient {
        /// The amount to pay.
        paid: u128,
        /// The amount available.
        available: u128,
    },
}

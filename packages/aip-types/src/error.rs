use thiserror::Error;

/// Errors of the shared types: every one names the values that caused it.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum TypesError {
    #[error("arithmetic overflow: {what} ({a} and {b})")]
    Overflow {
        what: &'static str,
        a: u128,
        b: u128,
    },

    #[error("slot start {start} is not aligned to {slot_seconds} s")]
    UnalignedSlot { start: u64, slot_seconds: u64 },

    #[error("basis points {bps} exceed 10000")]
    BpsOutOfRange { bps: u32 },

    #[error("cannot pay {paid} out of {available}")]
    Insufficient { paid: u128, available: u128 },
}

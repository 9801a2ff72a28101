use cosmwasm_std::StdError;
use thiserror::Error;

use crate::msg::{MeterId, MeterStatus};

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    /// The caller lacks the role (`aip_types::auth`, the same message in every contract).
    #[error(transparent)]
    Unauthorized(#[from] aip_types::auth::Unauthorized),

    #[error("{sender} may not manage meter {meter}: only its owner or the grid operator")]
    NotMeterManager { sender: String, meter: MeterId },

    #[error("device public key must be 32 bytes, got {len}")]
    InvalidPubkey { len: usize },

    #[error("meter {meter} is not registered")]
    UnknownMeter { meter: MeterId },

    #[error("meter {meter} is {status}, expected {expected}")]
    WrongMeterStatus {
        meter: MeterId,
        status: MeterStatus,
        expected: MeterStatus,
    },

    #[error("meter {meter} is deactivated")]
    MeterDeactivated { meter: MeterId },

    #[error("meter id space is exhausted")]
    TooManyMeters {},

    #[error("{sender} is not an active oracle operator")]
    NotOperator { sender: String },

    #[error("{address} is already an active oracle operator")]
    AlreadyOperator { address: String },

    #[error("{address} is not an active oracle operator")]
    UnknownOperator { address: String },

    #[error("at most {max} oracle operators can ever be added")]
    TooManyOperators { max: usize },

    #[error("quorum {quorum} must be between 1 and the {operators} active operators")]
    InvalidQuorum { quorum: u32, operators: u32 },

    #[error("tolerance of {bps} bps exceeds 10000")]
    InvalidTolerance { bps: u16 },

    #[error("slot {slot} is not aligned to 900 s")]
    UnalignedSlot { slot: u64 },

    #[error("slot {slot} has not ended: it ends at {ends_at}, block time is {now}")]
    SlotNotEnded { slot: u64, ends_at: u64, now: u64 },

    #[error("a batch needs at least one reading")]
    EmptyBatch {},

    #[error("batch of {len} readings exceeds the maximum of {max}")]
    BatchTooLarge { len: usize, max: usize },

    #[error("meter {meter} appears twice in the batch")]
    DuplicateMeterInBatch { meter: MeterId },

    #[error("reading of meter {meter}: energy does not fit in 64 bits")]
    ValueTooLarge { meter: MeterId },

    #[error("signature of meter {meter} must be 64 bytes, got {len}")]
    InvalidSignatureLength { meter: MeterId, len: usize },

    #[error("invalid device signature for meter {meter}")]
    InvalidSignature { meter: MeterId },

    #[error("operator {operator} already reported meter {meter} for slot {slot}")]
    AlreadyReported {
        operator: String,
        meter: MeterId,
        slot: u64,
    },
    /// A migration refused by the shared guard (wrong contract, or a downgrade).
    #[error("{0}")]
    Migrate(#[from] aip_types::migrate::MigrateError),
}

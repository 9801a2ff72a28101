use cosmwasm_std::StdError;
use thiserror::Error;

use crate::msg::{MeterId, MeterStatus};

/// Why the meter-oracle refused a message. The message changes nothing.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    /// A storage or serialization error from cosmwasm-std.
    #[error("{0}")]
    Std(#[from] StdError),

    /// The caller lacks the role (`aip_types::auth`, the same message in every contract).
    #[error(transparent)]
    Unauthorized(#[from] aip_types::auth::Unauthorized),

    /// Someone other than the meter's owner or the grid operator tried to manage it.
    #[error("{sender} may not manage meter {meter}: only its owner or the grid operator")]
    NotMeterManager {
        /// The sender.
        sender: String,
        /// The meter id.
        meter: MeterId,
    },

    /// A device public key that is not 32 bytes.
    #[error("device public key must be 32 bytes, got {len}")]
    InvalidPubkey {
        /// The length given, bytes.
        len: usize,
    },

    /// No meter has this id.
    #[error("meter {meter} is not registered")]
    UnknownMeter {
        /// The meter id.
        meter: MeterId,
    },

    /// The meter is not in the status the action needs.
    #[error("meter {meter} is {status}, expected {expected}")]
    WrongMeterStatus {
        /// The meter id.
        meter: MeterId,
        /// Its status.
        status: MeterStatus,
        /// The status needed.
        expected: MeterStatus,
    },

    /// The meter is deactivated for good.
    #[error("meter {meter} is deactivated")]
    MeterDeactivated {
        /// The meter id.
        meter: MeterId,
    },

    /// No meter ids are left.
    #[error("meter id space is exhausted")]
    TooManyMeters {},

    /// The sender is not an active oracle operator.
    #[error("{sender} is not an active oracle operator")]
    NotOperator {
        /// The sender.
        sender: String,
    },

    /// Adding an operator that is already active.
    #[error("{address} is already an active oracle operator")]
    AlreadyOperator {
        /// The address.
        address: String,
    },

    /// Removing an address that is not an active operator.
    #[error("{address} is not an active oracle operator")]
    UnknownOperator {
        /// The address.
        address: String,
    },

    /// The operator set would exceed 64 operators ever added.
    #[error("at most {max} oracle operators can ever be added")]
    TooManyOperators {
        /// 64.
        max: usize,
    },

    /// A quorum outside 1..=active operators.
    #[error("quorum {quorum} must be between 1 and the {operators} active operators")]
    InvalidQuorum {
        /// The quorum asked for.
        quorum: u32,
        /// Active operators.
        operators: u32,
    },

    /// A relative tolerance above 10,000 bps.
    #[error("tolerance of {bps} bps exceeds 10000")]
    InvalidTolerance {
        /// The tolerance given, basis points.
        bps: u16,
    },

    /// A slot id that is not the start of a 15-minute slot.
    #[error("slot {slot} is not aligned to 900 s")]
    UnalignedSlot {
        /// Slot start, Unix seconds.
        slot: u64,
    },

    /// Readings for a slot that has not ended.
    #[error("slot {slot} has not ended: it ends at {ends_at}, block time is {now}")]
    SlotNotEnded {
        /// Slot start, Unix seconds.
        slot: u64,
        /// Slot end, Unix seconds.
        ends_at: u64,
        /// Block time, Unix seconds.
        now: u64,
    },

    /// A batch without readings.
    #[error("a batch needs at least one reading")]
    EmptyBatch {},

    /// A batch above 500 readings.
    #[error("batch of {len} readings exceeds the maximum of {max}")]
    BatchTooLarge {
        /// Readings in the batch.
        len: usize,
        /// 500.
        max: usize,
    },

    /// The same meter twice in a batch.
    #[error("meter {meter} appears twice in the batch")]
    DuplicateMeterInBatch {
        /// The meter id.
        meter: MeterId,
    },

    /// An energy value above 2^64 - 1 Wh.
    #[error("reading of meter {meter}: energy does not fit in 64 bits")]
    ValueTooLarge {
        /// The meter id.
        meter: MeterId,
    },

    /// A signature that is not 64 bytes.
    #[error("signature of meter {meter} must be 64 bytes, got {len}")]
    InvalidSignatureLength {
        /// The meter id.
        meter: MeterId,
        /// The signature's length, bytes.
        len: usize,
    },

    /// A signature that does not verify with the meter's device key.
    #[error("invalid device signature for meter {meter}")]
    InvalidSignature {
        /// The meter id.
        meter: MeterId,
    },

    /// The operator already reported this meter for this slot.
    #[error("operator {operator} already reported meter {meter} for slot {slot}")]
    AlreadyReported {
        /// The operator.
        operator: String,
        /// The meter id.
        meter: MeterId,
        /// Slot start, Unix seconds.
        slot: u64,
    },
    /// A migration refused by the shared guard (wrong contract, or a downgrade).
    #[error("{0}")]
    Migrate(#[from] aip_types::migrate::MigrateError),
}

//! Messages of the meter-oracle contract.

use aip_types::{NodeId, SlotId};
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Binary, Uint128};

/// A meter's id: assigned by the contract in sequence from 1 when the meter is
/// requested or registered. The same number names the meter in settlement
/// orders and in the settlement hook ([`QueryMsg::Deliveries`]).
pub use aip_types::MeterId;

/// Lifecycle of a meter (shared with settlement through the hook types).
pub use aip_types::hooks::meter::MeterStatus;

/// Most readings accepted in one `SubmitReadings`.
pub const MAX_BATCH: usize = 500;

/// The most signatures one `ed25519_batch_verify` host call takes (the VM's
/// own limit, cosmwasm-vm `MAX_COUNT_ED25519_BATCH`): `SubmitReadings`
/// verifies a batch in chunks of this size.
pub const ED25519_BATCH_LIMIT: usize = 256;

/// Most oracle operators ever added (each keeps a stable index 0..64 used in
/// the compact reading records; a removed operator keeps its index).
pub const MAX_OPERATORS: usize = 64;

#[cw_serde]
pub struct InstantiateMsg {
    /// Manages the operator set, quorum, tolerance and roles. Defaults to the sender.
    pub admin: Option<String>,
    /// The grid operator (DSO): approves and registers meters, rotates keys.
    pub grid_operator: String,
    /// Initial oracle operators.
    pub operators: Vec<String>,
    /// Reports that must agree to finalize a reading (M of N, 1 ≤ M ≤ N).
    pub quorum: u32,
    /// How far a report may be from the median and still agree with it.
    pub tolerance: Tolerance,
}

/// A report agrees with the median `m` when it is within
/// `max(wh, m * bps / 10_000)` of it, for exported and imported energy alike.
#[cw_serde]
#[derive(Copy, Default)]
pub struct Tolerance {
    /// Absolute tolerance, Wh.
    pub wh: Uint128,
    /// Relative tolerance, basis points of the median (at most 10,000).
    pub bps: u16,
}

/// One device-signed reading of one meter for the batch's slot.
#[cw_serde]
pub struct SignedReading {
    pub meter: MeterId,
    /// Energy exported to the grid during the slot, Wh.
    pub exported_wh: Uint128,
    /// Energy imported from the grid during the slot, Wh.
    pub imported_wh: Uint128,
    /// ed25519 signature (64 bytes) by the meter's device key over
    /// [`crate::reading_payload`].
    pub signature: Binary,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// The sender requests a meter it owns; it is pending until the grid
    /// operator approves it. The new meter id is in the `meter` attribute.
    RequestMeter {
        node: NodeId,
        /// ed25519 device public key, 32 bytes.
        pubkey: Binary,
    },
    /// Grid operator only: registers an active meter for `owner` directly.
    RegisterMeter {
        owner: String,
        node: NodeId,
        pubkey: Binary,
    },
    /// Grid operator only: activates a pending meter.
    ApproveMeter { meter: MeterId },
    /// Owner or grid operator: replaces the device key. From the owner the
    /// meter goes back to pending until the grid operator approves; from the
    /// grid operator it takes effect at once.
    RotateMeterKey { meter: MeterId, pubkey: Binary },
    /// Owner or grid operator: retires the meter for good.
    DeactivateMeter { meter: MeterId },
    /// Admin only: adds and removes oracle operators and sets the quorum, in
    /// one step (the quorum must stay between 1 and the active operators).
    UpdateOperators {
        add: Vec<String>,
        remove: Vec<String>,
        quorum: Option<u32>,
    },
    /// Admin only: changes the admin, the grid operator or the tolerance.
    UpdateConfig {
        admin: Option<String>,
        grid_operator: Option<String>,
        tolerance: Option<Tolerance>,
    },
    /// Oracle operator only: device-signed readings of distinct meters for one
    /// ended slot. All signatures are verified in one batch; one bad reading
    /// (unknown or inactive meter, bad signature, a meter this operator already
    /// reported for the slot) rejects the whole batch.
    SubmitReadings {
        slot: SlotId,
        readings: Vec<SignedReading>,
    },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// Roles, quorum, tolerance.
    #[returns(ConfigResponse)]
    Config {},
    /// One meter.
    #[returns(MeterResponse)]
    Meter { meter: MeterId },
    /// Meters in id order, optionally only one owner's or one status.
    #[returns(MetersResponse)]
    Meters {
        owner: Option<String>,
        status: Option<MeterStatus>,
        start_after: Option<MeterId>,
        /// Default 30, at most 100.
        limit: Option<u32>,
    },
    /// Every operator ever added, with its report and outlier counts.
    #[returns(OperatorsResponse)]
    Operators {},
    /// One meter's reading state for one slot.
    #[returns(ReadingResponse)]
    Reading { slot: SlotId, meter: MeterId },
    /// Reading states of one slot in meter order (only meters with reports).
    #[returns(ReadingsResponse)]
    Readings {
        slot: SlotId,
        start_after: Option<MeterId>,
        /// Default 100, at most 500.
        limit: Option<u32>,
    },
    /// Which of `meters` the operator has already reported for the slot
    /// (the oracle agent asks this before resubmitting after a crash).
    #[returns(ReportedResponse)]
    Reported {
        slot: SlotId,
        operator: String,
        meters: Vec<MeterId>,
    },
    /// Settlement's hook ([`aip_types::hooks::meter::MeterQueryHook`]):
    /// registry entry (owner, node, status) and finalized energy of several
    /// meters for one slot. Ids that are not registered meters are left out
    /// of the answer; a registered meter without a quorum yet has
    /// `finalized: false`. At most [`MAX_BATCH`] ids per query.
    #[returns(aip_types::hooks::meter::DeliveriesResponse)]
    Deliveries { slot: SlotId, meters: Vec<MeterId> },
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
pub struct ConfigResponse {
    pub admin: String,
    pub grid_operator: String,
    pub quorum: u32,
    pub tolerance: Tolerance,
    /// Operators currently allowed to submit.
    pub active_operators: u32,
    /// Meters ever requested or registered.
    pub meters: u32,
}

#[cw_serde]
pub struct MeterResponse {
    pub meter: MeterId,
    pub owner: String,
    pub node: NodeId,
    pub pubkey: Binary,
    pub status: MeterStatus,
}

#[cw_serde]
pub struct MetersResponse {
    pub meters: Vec<MeterResponse>,
}

#[cw_serde]
pub struct OperatorInfo {
    pub address: String,
    /// Stable index of the operator in reading records.
    pub index: u8,
    pub active: bool,
    /// Readings this operator reported.
    pub reports: u64,
    /// Reports that disagreed with the final value.
    pub outliers: u64,
}

#[cw_serde]
pub struct OperatorsResponse {
    pub quorum: u32,
    pub operators: Vec<OperatorInfo>,
}

/// Where a meter's reading for a slot stands.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum ReadingStatus {
    /// No operator reported yet.
    None,
    /// Some reports, no quorum yet.
    Pending,
    /// Quorum reached; values final.
    Finalized,
}

#[cw_serde]
pub struct OperatorReport {
    pub operator: String,
    pub exported_wh: Uint128,
    pub imported_wh: Uint128,
}

#[cw_serde]
pub struct ReadingResponse {
    pub slot: SlotId,
    pub meter: MeterId,
    pub status: ReadingStatus,
    /// Final values (0 unless finalized).
    pub exported_wh: Uint128,
    pub imported_wh: Uint128,
    /// Operators that reported, in index order.
    pub reporters: Vec<String>,
    /// Operators whose report disagreed with the final value.
    pub outliers: Vec<String>,
    /// The individual reports while pending (empty once finalized: only the
    /// final values are kept).
    pub reports: Vec<OperatorReport>,
}

#[cw_serde]
pub struct ReadingsResponse {
    pub readings: Vec<ReadingResponse>,
}

#[cw_serde]
pub struct ReportedResponse {
    pub meters: Vec<MeterId>,
}

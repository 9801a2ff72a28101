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

/// Most meter ids one `Deliveries` query takes: both meters of every trade
/// of settlement's largest batch (1,000 trades), so settlement asks once
/// per commit (one contract instance, not one per 500 meters).
pub const MAX_DELIVERIES_METERS: usize = 2_000;

/// The most signatures one `ed25519_batch_verify` host call takes (the VM's
/// own limit, cosmwasm-vm `MAX_COUNT_ED25519_BATCH`): `SubmitReadings`
/// verifies a batch in chunks of this size.
pub const ED25519_BATCH_LIMIT: usize = 256;

/// Most oracle operators ever added (each keeps a stable index 0..64 used in
/// the compact reading records; a removed operator keeps its index).
pub const MAX_OPERATORS: usize = 64;

/// Creates the oracle: roles, the first operators, the quorum and the tolerance.
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
    /// The meter the reading is for (registered and active).
    pub meter: MeterId,
    /// Energy exported to the grid during the slot, Wh.
    pub exported_wh: Uint128,
    /// Energy imported from the grid during the slot, Wh.
    pub imported_wh: Uint128,
    /// ed25519 signature (64 bytes) by the meter's device key over
    /// [`crate::reading_payload`].
    pub signature: Binary,
}

/// What the meter-oracle executes. A refused message changes nothing.
#[cw_serde]
pub enum ExecuteMsg {
    /// The sender requests a meter it owns; it is pending until the grid
    /// operator approves it. The new meter id is in the `meter` attribute.
    RequestMeter {
        /// Grid node the meter sits at.
        node: NodeId,
        /// ed25519 device public key, 32 bytes.
        pubkey: Binary,
    },
    /// Grid operator only: registers an active meter for `owner` directly.
    RegisterMeter {
        /// The meter's owner.
        owner: String,
        /// Grid node the meter sits at.
        node: NodeId,
        /// ed25519 device public key, 32 bytes.
        pubkey: Binary,
    },
    /// Grid operator only: activates a pending meter.
    ApproveMeter {
        /// A pending meter.
        meter: MeterId,
    },
    /// Owner or grid operator: replaces the device key. From the owner the
    /// meter goes back to pending until the grid operator approves; from the
    /// grid operator it takes effect at once.
    RotateMeterKey {
        /// The meter.
        meter: MeterId,
        /// The new ed25519 device public key, 32 bytes.
        pubkey: Binary,
    },
    /// Owner or grid operator: retires the meter for good.
    DeactivateMeter {
        /// The meter.
        meter: MeterId,
    },
    /// Admin only: adds and removes oracle operators and sets the quorum, in
    /// one step (the quorum must stay between 1 and the active operators).
    UpdateOperators {
        /// Operators to add (or re-activate).
        add: Vec<String>,
        /// Operators to deactivate.
        remove: Vec<String>,
        /// New quorum; `null` keeps it.
        quorum: Option<u32>,
    },
    /// Admin only: changes the admin, the grid operator or the tolerance.
    UpdateConfig {
        /// New admin; `null` keeps it.
        admin: Option<String>,
        /// New grid operator; `null` keeps it.
        grid_operator: Option<String>,
        /// New tolerance; `null` keeps it.
        tolerance: Option<Tolerance>,
    },
    /// Oracle operator only: device-signed readings of distinct meters for one
    /// ended slot. All signatures are verified in one batch; one bad reading
    /// (unknown or inactive meter, bad signature, a meter this operator already
    /// reported for the slot) rejects the whole batch.
    SubmitReadings {
        /// Slot start, Unix seconds (a multiple of 900); the slot must have ended.
        slot: SlotId,
        /// 1 to 500 readings of distinct meters.
        readings: Vec<SignedReading>,
    },
}

/// What the meter-oracle answers.
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// Roles, quorum, tolerance.
    #[returns(ConfigResponse)]
    Config {},
    /// One meter.
    #[returns(MeterResponse)]
    Meter {
        /// Meter id.
        meter: MeterId,
    },
    /// Meters in id order, optionally only one owner's or one status.
    #[returns(MetersResponse)]
    Meters {
        /// Only this owner's meters.
        owner: Option<String>,
        /// Only meters with this status.
        status: Option<MeterStatus>,
        /// Page after this meter id (exclusive).
        start_after: Option<MeterId>,
        /// Default 30, at most 100.
        limit: Option<u32>,
    },
    /// Every operator ever added, with its report and outlier counts.
    #[returns(OperatorsResponse)]
    Operators {},
    /// One meter's reading state for one slot.
    #[returns(ReadingResponse)]
    Reading {
        /// Slot start, Unix seconds.
        slot: SlotId,
        /// Meter id.
        meter: MeterId,
    },
    /// Reading states of one slot in meter order (only meters with reports).
    #[returns(ReadingsResponse)]
    Readings {
        /// Slot start, Unix seconds.
        slot: SlotId,
        /// Page after this meter id (exclusive).
        start_after: Option<MeterId>,
        /// Default 100, at most 500.
        limit: Option<u32>,
    },
    /// Which of `meters` the operator has already reported for the slot
    /// (the oracle agent asks this before resubmitting after a crash).
    #[returns(ReportedResponse)]
    Reported {
        /// Slot start, Unix seconds.
        slot: SlotId,
        /// The operator.
        operator: String,
        /// Meters to ask about.
        meters: Vec<MeterId>,
    },
    /// Settlement's hook ([`aip_types::hooks::meter::MeterQueryHook`]):
    /// registry entry (owner, node, status) and finalized energy of several
    /// meters for one slot. Ids that are not registered meters are left out
    /// of the answer; a registered meter without a quorum yet has
    /// `finalized: false`. At most [`MAX_DELIVERIES_METERS`] ids per query.
    #[returns(aip_types::hooks::meter::DeliveriesResponse)]
    Deliveries {
        /// Slot start, Unix seconds.
        slot: SlotId,
        /// Meter ids, at most 2,000.
        meters: Vec<MeterId>,
    },
}

/// Checks the stored contract name and refuses downgrades.
#[cw_serde]
pub struct MigrateMsg {}

/// Roles and settings.
#[cw_serde]
pub struct ConfigResponse {
    /// Manages operators, quorum, tolerance and roles.
    pub admin: String,
    /// The grid operator (DSO): approves and registers meters.
    pub grid_operator: String,
    /// Reports that must agree to finalize a reading.
    pub quorum: u32,
    /// How far a report may be from the median and still agree.
    pub tolerance: Tolerance,
    /// Operators currently allowed to submit.
    pub active_operators: u32,
    /// Meters ever requested or registered.
    pub meters: u32,
}

/// One meter of the registry.
#[cw_serde]
pub struct MeterResponse {
    /// Meter id.
    pub meter: MeterId,
    /// The owner's address: only the owner's intents may name the meter.
    pub owner: String,
    /// Grid node the meter sits at (its zone comes from settlement's node -> zone map).
    pub node: NodeId,
    /// ed25519 device public key, 32 bytes.
    pub pubkey: Binary,
    /// Pending, active or deactivated: only active meters trade and report.
    pub status: MeterStatus,
}

/// A page of meters in id order.
#[cw_serde]
pub struct MetersResponse {
    /// The meters of the page.
    pub meters: Vec<MeterResponse>,
}

/// An oracle operator.
#[cw_serde]
pub struct OperatorInfo {
    /// Its address.
    pub address: String,
    /// Stable index of the operator in reading records.
    pub index: u8,
    /// Allowed to submit (removed operators stay listed, inactive).
    pub active: bool,
    /// Readings this operator reported.
    pub reports: u64,
    /// Reports that disagreed with the final value.
    pub outliers: u64,
}

/// The operator set.
#[cw_serde]
pub struct OperatorsResponse {
    /// Reports that must agree to finalize a reading.
    pub quorum: u32,
    /// Every operator ever added.
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

/// One operator's report of a meter for a slot.
#[cw_serde]
pub struct OperatorReport {
    /// The operator.
    pub operator: String,
    /// Exported energy it reported, Wh.
    pub exported_wh: Uint128,
    /// Imported energy it reported, Wh.
    pub imported_wh: Uint128,
}

/// A meter's reading state for a slot.
#[cw_serde]
pub struct ReadingResponse {
    /// Slot start, Unix seconds.
    pub slot: SlotId,
    /// The meter.
    pub meter: MeterId,
    /// None, pending or finalized.
    pub status: ReadingStatus,
    /// Final exported energy, Wh (0 unless finalized).
    pub exported_wh: Uint128,
    /// Final imported energy, Wh (0 unless finalized).
    pub imported_wh: Uint128,
    /// Operators that reported, in index order.
    pub reporters: Vec<String>,
    /// Operators whose report disagreed with the final value.
    pub outliers: Vec<String>,
    /// The individual reports while pending (empty once finalized: only the
    /// final values are kept).
    pub reports: Vec<OperatorReport>,
}

/// Reading states of a slot, in meter order.
#[cw_serde]
pub struct ReadingsResponse {
    /// The readings of the page.
    pub readings: Vec<ReadingResponse>,
}

/// The meters of the query the operator already reported for the slot.
#[cw_serde]
pub struct ReportedResponse {
    /// Those meters, in the order asked.
    pub meters: Vec<MeterId>,
}

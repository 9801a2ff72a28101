//! The meter-oracle contract's interface to settlement.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Uint128;

use crate::{MeterId, NodeId, SlotId};

/// Queries the meter-oracle contract answers for settlement.
#[cw_serde]
#[derive(QueryResponses)]
pub enum MeterQueryHook {
    /// Registry entry and finalized (quorum-agreed) energy of several meters
    /// for one slot. Meters that are not registered are left out of the answer.
    #[returns(DeliveriesResponse)]
    Deliveries {
        /// Slot start, Unix seconds.
        slot: SlotId,
        /// Meter ids, at most 2,000.
        meters: Vec<MeterId>,
    },
}

/// Lifecycle of a meter in the registry.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum MeterStatus {
    /// Requested by its owner (or its key rotated by its owner); awaits the grid operator.
    Pending,
    /// Readings accepted; the meter may trade.
    Active,
    /// Retired for good; readings refused.
    Deactivated,
}

impl std::fmt::Display for MeterStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MeterStatus::Pending => "pending",
            MeterStatus::Active => "active",
            MeterStatus::Deactivated => "deactivated",
        })
    }
}

/// A meter's registry entry and its finalized energy in one slot.
#[cw_serde]
pub struct MeterDelivery {
    /// Meter id.
    pub meter: MeterId,
    /// The meter's owner account.
    pub owner: String,
    /// The grid node the DSO registered the meter at.
    pub node: NodeId,
    /// The meter's registry status: only active meters may trade.
    pub status: MeterStatus,
    /// True once a quorum of oracles agreed on the values.
    pub finalized: bool,
    /// Energy exported to the grid in the slot, Wh (0 until finalized).
    pub exported_wh: Uint128,
    /// Energy imported from the grid in the slot, Wh (0 until finalized).
    pub imported_wh: Uint128,
}

/// The answer to [`MeterQueryHook::Deliveries`].
#[cw_serde]
pub struct DeliveriesResponse {
    /// Slot start, Unix seconds.
    pub slot: SlotId,
    /// Registered meters among those asked (unregistered ids are left out).
    pub deliveries: Vec<MeterDelivery>,
}

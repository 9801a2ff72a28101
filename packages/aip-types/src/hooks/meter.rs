//! The meter-oracle contract's interface to settlement.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Uint128;

use crate::{NodeId, SlotId};

/// Queries the meter-oracle contract answers for settlement.
#[cw_serde]
#[derive(QueryResponses)]
pub enum MeterQueryHook {
    /// Finalized (quorum-agreed) energy of several meters for one slot.
    #[returns(DeliveriesResponse)]
    Deliveries { slot: SlotId, meters: Vec<String> },
}

#[cw_serde]
pub struct MeterDelivery {
    pub meter: String,
    /// The meter's owner account.
    pub owner: String,
    pub node: NodeId,
    /// True once a quorum of oracles agreed on the values.
    pub finalized: bool,
    /// Energy exported to the grid in the slot, Wh (0 until finalized).
    pub exported_wh: Uint128,
    /// Energy imported from the grid in the slot, Wh (0 until finalized).
    pub imported_wh: Uint128,
}

#[cw_serde]
pub struct DeliveriesResponse {
    pub slot: SlotId,
    pub deliveries: Vec<MeterDelivery>,
}

//! The sylvia contract: one method per message, dispatch only. The handlers
//! live in [`crate::execute`] and [`crate::query`].

use aip_types::hooks::Ruling;
use aip_types::{OrderId, SlotId, TradeId, ZoneId};
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response, Uint128};
use sylvia::contract;
use sylvia::ctx::{ExecCtx, InstantiateCtx, MigrateCtx, QueryCtx};

use crate::msg::{
    BalanceResponse, ConfigResponse, CongestionFee, CongestionFeesResponse, Corridor,
    DisputeResponse, HoldingsResponse, MarketParams, MatchedTrade, NetworkResponse, OfferParams,
    OrderResponse, OrdersResponse, Roles, Side, SlotStatusResponse, TradeResponse, TradesResponse,
    Zone,
};
use crate::{execute as ex, query as q, ContractError};

pub const CONTRACT_NAME: &str = "crates.io:settlement";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The settlement contract (stateless handle; state lives in [`crate::state`]).
pub struct SettlementContract;

impl Default for SettlementContract {
    fn default() -> Self {
        Self::new()
    }
}

#[contract]
#[sv::error(ContractError)]
impl SettlementContract {
    pub const fn new() -> Self {
        SettlementContract
    }

    /// Creates the market: the AIP token, the roles and the market parameters.
    #[sv::msg(instantiate)]
    pub fn instantiate(
        &self,
        ctx: InstantiateCtx,
        token: String,
        roles: Roles,
        params: MarketParams,
    ) -> Result<Response, ContractError> {
        ex::execute_instantiate(ctx.deps, ctx.info, token, roles, params)
    }

    /// Checks the stored contract name and refuses downgrades.
    #[sv::msg(migrate)]
    pub fn migrate(&self, ctx: MigrateCtx) -> Result<Response, ContractError> {
        ex::execute_migrate(ctx.deps)
    }

    /// The cw20 hook: an AIP `Send` carrying a [`crate::msg::ReceiveMsg`]
    /// (place a bid with its escrow, or an offer with its collateral).
    #[sv::msg(exec)]
    #[sv::attr(
        doc = "The cw20 hook: an AIP `Send` carrying a [`crate::msg::ReceiveMsg`] (place a bid with its escrow, or an offer with its collateral)."
    )]
    pub fn receive(
        &self,
        ctx: ExecCtx,
        sender: String,
        amount: Uint128,
        msg: Binary,
    ) -> Result<Response, ContractError> {
        ex::execute_receive(ctx.deps, ctx.env, ctx.info, sender, amount, msg)
    }

    /// Places an offer whose required collateral is zero (no token `Send` needed).
    #[sv::msg(exec)]
    #[sv::attr(doc = "Places an offer whose required collateral is zero (no token `Send` needed).")]
    pub fn place_offer(&self, ctx: ExecCtx, offer: OfferParams) -> Result<Response, ContractError> {
        ex::execute_place_offer(ctx.deps, ctx.env, ctx.info, offer)
    }

    /// The owner cancels an order before gate closure; the unmatched remainder is refunded.
    #[sv::msg(exec)]
    #[sv::attr(
        doc = "The owner cancels an order before gate closure; the unmatched remainder is refunded."
    )]
    pub fn cancel_order(&self, ctx: ExecCtx, id: OrderId) -> Result<Response, ContractError> {
        ex::execute_cancel_order(ctx.deps, ctx.env, ctx.info, id)
    }

    /// Anyone, from the slot start: refunds up to `limit` unmatched order remainders to their owners.
    #[sv::msg(exec)]
    #[sv::attr(
        doc = "Anyone, from the slot start: refunds up to `limit` unmatched order remainders to their owners."
    )]
    pub fn sweep(
        &self,
        ctx: ExecCtx,
        slot: SlotId,
        limit: Option<u32>,
    ) -> Result<Response, ContractError> {
        ex::execute_sweep(ctx.deps, ctx.env, slot, limit)
    }

    /// The matcher commits a batch of trades for one slot. Every constraint is
    /// re-checked; any violation rejects the whole batch.
    #[sv::msg(exec)]
    #[sv::attr(
        doc = "The matcher commits a batch of trades for one slot. Every constraint is re-checked; any violation rejects the whole batch."
    )]
    pub fn commit_matches(
        &self,
        ctx: ExecCtx,
        slot: SlotId,
        trades: Vec<MatchedTrade>,
    ) -> Result<Response, ContractError> {
        ex::execute_commit_matches(ctx.deps, ctx.env, ctx.info, slot, trades)
    }

    /// The oracle role reports finalized seller-meter deliveries (only when no
    /// meter-oracle contract is configured).
    #[sv::msg(exec)]
    #[sv::attr(
        doc = "The oracle role reports finalized seller-meter deliveries (only when no meter-oracle contract is configured)."
    )]
    pub fn report_deliveries(
        &self,
        ctx: ExecCtx,
        slot: SlotId,
        deliveries: Vec<aip_types::hooks::MeterDelivery>,
    ) -> Result<Response, ContractError> {
        ex::execute_report_deliveries(ctx.deps, ctx.env, ctx.info, slot, deliveries)
    }

    /// Anyone: pulls finalized deliveries of up to `limit` seller meters from the meter-oracle contract.
    #[sv::msg(exec)]
    #[sv::attr(
        doc = "Anyone: pulls finalized deliveries of up to `limit` seller meters from the meter-oracle contract."
    )]
    pub fn fetch_deliveries(
        &self,
        ctx: ExecCtx,
        slot: SlotId,
        limit: Option<u32>,
    ) -> Result<Response, ContractError> {
        ex::execute_fetch_deliveries(ctx.deps, ctx.env, slot, limit)
    }

    /// Anyone, after the dispute window: settles the next `limit` trades of the slot.
    #[sv::msg(exec)]
    #[sv::attr(
        doc = "Anyone, after the dispute window: settles the next `limit` trades of the slot."
    )]
    pub fn settle(
        &self,
        ctx: ExecCtx,
        slot: SlotId,
        limit: Option<u32>,
    ) -> Result<Response, ContractError> {
        ex::execute_settle(ctx.deps, ctx.env, slot, limit)
    }

    /// The buyer or seller freezes a trade until the arbiter rules.
    #[sv::msg(exec)]
    #[sv::attr(doc = "The buyer or seller freezes a trade until the arbiter rules.")]
    pub fn open_dispute(
        &self,
        ctx: ExecCtx,
        trade_id: TradeId,
        reason: String,
    ) -> Result<Response, ContractError> {
        ex::execute_open_dispute(ctx.deps, ctx.env, ctx.info, trade_id, reason)
    }

    /// The arbiter rules on a disputed trade; its funds settle by the ruling.
    #[sv::msg(exec)]
    #[sv::attr(doc = "The arbiter rules on a disputed trade; its funds settle by the ruling.")]
    pub fn resolve_dispute(
        &self,
        ctx: ExecCtx,
        trade_id: TradeId,
        ruling: Ruling,
    ) -> Result<Response, ContractError> {
        ex::execute_resolve_dispute(ctx.deps, ctx.env, ctx.info, trade_id, ruling)
    }

    /// Sends the caller's claimable balance (all of it, or `amount`) in AIP.
    #[sv::msg(exec)]
    #[sv::attr(doc = "Sends the caller's claimable balance (all of it, or `amount`) in AIP.")]
    pub fn withdraw(
        &self,
        ctx: ExecCtx,
        amount: Option<Uint128>,
    ) -> Result<Response, ContractError> {
        ex::execute_withdraw(ctx.deps, ctx.info, amount)
    }

    /// Grid operator: adds or renames a zone.
    #[sv::msg(exec)]
    #[sv::attr(doc = "Grid operator: adds or renames a zone.")]
    pub fn upsert_zone(&self, ctx: ExecCtx, zone: Zone) -> Result<Response, ContractError> {
        ex::execute_upsert_zone(ctx.deps, ctx.info, zone)
    }

    /// Grid operator: adds or updates a directed corridor.
    #[sv::msg(exec)]
    #[sv::attr(doc = "Grid operator: adds or updates a directed corridor.")]
    pub fn set_corridor(
        &self,
        ctx: ExecCtx,
        corridor: Corridor,
    ) -> Result<Response, ContractError> {
        ex::execute_set_corridor(ctx.deps, ctx.info, corridor)
    }

    /// Grid operator: removes a corridor (committed trades keep their terms).
    #[sv::msg(exec)]
    #[sv::attr(doc = "Grid operator: removes a corridor (committed trades keep their terms).")]
    pub fn remove_corridor(
        &self,
        ctx: ExecCtx,
        from_zone: ZoneId,
        to_zone: ZoneId,
    ) -> Result<Response, ContractError> {
        ex::execute_remove_corridor(ctx.deps, ctx.info, from_zone, to_zone)
    }

    /// Grid operator: per-slot congestion fees, before the slot starts.
    #[sv::msg(exec)]
    #[sv::attr(doc = "Grid operator: per-slot congestion fees, before the slot starts.")]
    pub fn set_congestion_fees(
        &self,
        ctx: ExecCtx,
        slot: SlotId,
        fees: Vec<CongestionFee>,
    ) -> Result<Response, ContractError> {
        ex::execute_set_congestion_fees(ctx.deps, ctx.env, ctx.info, slot, fees)
    }

    /// Admin: replaces the roles and/or the market parameters.
    #[sv::msg(exec)]
    #[sv::attr(doc = "Admin: replaces the roles and/or the market parameters.")]
    pub fn update_config(
        &self,
        ctx: ExecCtx,
        roles: Option<Roles>,
        params: Option<MarketParams>,
    ) -> Result<Response, ContractError> {
        ex::execute_update_config(ctx.deps, ctx.info, roles, params)
    }

    /// Token, roles and parameters.
    #[sv::msg(query)]
    #[sv::attr(doc = "Token, roles and parameters.")]
    pub fn config(&self, ctx: QueryCtx) -> Result<ConfigResponse, ContractError> {
        q::query_config(ctx.deps)
    }

    /// Zones and corridors.
    #[sv::msg(query)]
    #[sv::attr(doc = "Zones and corridors.")]
    pub fn network(&self, ctx: QueryCtx) -> Result<NetworkResponse, ContractError> {
        q::query_network(ctx.deps)
    }

    /// Per-slot congestion fee overrides.
    #[sv::msg(query)]
    #[sv::attr(doc = "Per-slot congestion fee overrides.")]
    pub fn congestion_fees(
        &self,
        ctx: QueryCtx,
        slot: SlotId,
    ) -> Result<CongestionFeesResponse, ContractError> {
        q::query_congestion_fees(ctx.deps, slot)
    }

    /// Phase, trade and delivery counts, settlement progress, corridor usage of a slot.
    #[sv::msg(query)]
    #[sv::attr(
        doc = "Phase, trade and delivery counts, settlement progress, corridor usage of a slot."
    )]
    pub fn slot_status(
        &self,
        ctx: QueryCtx,
        slot: SlotId,
    ) -> Result<SlotStatusResponse, ContractError> {
        q::query_slot_status(ctx.deps, ctx.env, slot)
    }

    /// One order.
    #[sv::msg(query)]
    #[sv::attr(doc = "One order.")]
    pub fn order(&self, ctx: QueryCtx, id: OrderId) -> Result<OrderResponse, ContractError> {
        q::query_order(ctx.deps, id)
    }

    /// Open orders of a slot, ordered by (zone, id); optionally one zone and one side.
    #[sv::msg(query)]
    #[sv::attr(
        doc = "Open orders of a slot, ordered by (zone, id); optionally one zone and one side."
    )]
    pub fn open_orders(
        &self,
        ctx: QueryCtx,
        slot: SlotId,
        zone: Option<ZoneId>,
        side: Option<Side>,
        start_after: Option<OrderId>,
        limit: Option<u32>,
    ) -> Result<OrdersResponse, ContractError> {
        q::query_open_orders(ctx.deps, slot, zone, side, start_after, limit)
    }

    /// Orders of an owner, by id.
    #[sv::msg(query)]
    #[sv::attr(doc = "Orders of an owner, by id.")]
    pub fn orders_by_owner(
        &self,
        ctx: QueryCtx,
        owner: String,
        start_after: Option<OrderId>,
        limit: Option<u32>,
    ) -> Result<OrdersResponse, ContractError> {
        q::query_orders_by_owner(ctx.deps, owner, start_after, limit)
    }

    /// One trade with its status and, once settled, how its funds were split.
    #[sv::msg(query)]
    #[sv::attr(doc = "One trade with its status and, once settled, how its funds were split.")]
    pub fn trade(&self, ctx: QueryCtx, id: TradeId) -> Result<TradeResponse, ContractError> {
        q::query_trade(ctx.deps, id)
    }

    /// Trades where the account is buyer or seller, by id.
    #[sv::msg(query)]
    #[sv::attr(doc = "Trades where the account is buyer or seller, by id.")]
    pub fn trades_by_account(
        &self,
        ctx: QueryCtx,
        account: String,
        start_after: Option<TradeId>,
        limit: Option<u32>,
    ) -> Result<TradesResponse, ContractError> {
        q::query_trades_by_account(ctx.deps, account, start_after, limit)
    }

    /// Trades of a slot, by id.
    #[sv::msg(query)]
    #[sv::attr(doc = "Trades of a slot, by id.")]
    pub fn trades_by_slot(
        &self,
        ctx: QueryCtx,
        slot: SlotId,
        start_after: Option<TradeId>,
        limit: Option<u32>,
    ) -> Result<TradesResponse, ContractError> {
        q::query_trades_by_slot(ctx.deps, slot, start_after, limit)
    }

    /// Claimable balance and the amount locked in open orders of an account.
    #[sv::msg(query)]
    #[sv::attr(doc = "Claimable balance and the amount locked in open orders of an account.")]
    pub fn balance(
        &self,
        ctx: QueryCtx,
        account: String,
    ) -> Result<BalanceResponse, ContractError> {
        q::query_balance(ctx.deps, account)
    }

    /// Everything the contract holds, by purpose (sums to its AIP balance).
    #[sv::msg(query)]
    #[sv::attr(doc = "Everything the contract holds, by purpose (sums to its AIP balance).")]
    pub fn holdings(&self, ctx: QueryCtx) -> Result<HoldingsResponse, ContractError> {
        q::query_holdings(ctx.deps)
    }

    /// The dispute on a trade.
    #[sv::msg(query)]
    #[sv::attr(doc = "The dispute on a trade.")]
    pub fn dispute(
        &self,
        ctx: QueryCtx,
        trade_id: TradeId,
    ) -> Result<DisputeResponse, ContractError> {
        q::query_dispute(ctx.deps, trade_id)
    }
}

const CONTRACT: SettlementContract = SettlementContract::new();

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: sv::InstantiateMsg,
) -> Result<Response, ContractError> {
    msg.dispatch(&CONTRACT, (deps, env, info))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: sv::ContractExecMsg,
) -> Result<Response, ContractError> {
    msg.dispatch(&CONTRACT, (deps, env, info))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: sv::ContractQueryMsg) -> Result<Binary, ContractError> {
    msg.dispatch(&CONTRACT, (deps, env))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, env: Env, msg: sv::MigrateMsg) -> Result<Response, ContractError> {
    msg.dispatch(&CONTRACT, (deps, env))
}

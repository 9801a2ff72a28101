//! Message and response types of the settlement contract.
//!
//! The JSON shapes at a glance (every variant is documented below):
//!
//! ```text
//! instantiate  {"token":"<aip cw20>","roles":Roles,"params":MarketParams}
//!
//! execute (sent to the AIP token, not to settlement):
//!   {"send":{"contract":"<settlement>","amount":"<amount>","msg":base64(ReceiveMsg)}}
//!     ReceiveMsg {"deposit":{}}                                 credits the sender's free balance
//!     ReceiveMsg {"open_dispute":{"trade_id":3,"reason":".."}}  with the dispute bond
//! execute (to settlement):
//!   {"commit_intents":{"slot":S,"intents":[BatchIntent],"trades":"<compact trades>"}}
//!     trades: one base64 string, per trade bid, offer, wh, price as varints (crate::compact_trades)
//!   {"place_intent":{"intent":BatchIntent}}                  owner (contract accounts), no signature
//!     BatchIntent: one base64 string, the intent's compact form (aip_types::intent::compact)
//!   {"cancel_intent":{"nonce":7}}                            owner
//!   {"fetch_deliveries":{"slot":S,"limit":50}}                anyone, from the slot end
//!   {"settle":{"slot":S,"limit":500}}                         anyone, after the dispute window
//!   {"open_dispute":{"trade_id":3,"reason":"meter was offline"}}  only while dispute_bond is 0
//!   {"apply_default_ruling":{"trade_id":3}}                  anyone, after the ruling deadline
//!   {"resolve_dispute":{"trade_id":3,"ruling":"pay_seller"|"refund_buyer"|{"split":{"seller_bps":5000}}}}
//!   {"withdraw":{"amount":null}}
//!   {"upsert_zone":{"zone":{"id":1,"name":"feeder A"}}}       grid operator
//!   {"set_corridor":{"corridor":Corridor}}                    grid operator
//!   {"remove_corridor":{"from_zone":1,"to_zone":2}}           grid operator
//!   {"set_node_zones":{"nodes":[{"node":4,"zone":1}]}}        grid operator
//!   {"set_congestion_fees":{"slot":S,"fees":[CongestionFee]}} grid operator
//!   {"update_config":{"roles":Roles|null,"params":MarketParams|null}}  admin
//! query:
//!   {"config":{}} {"network":{}} {"congestion_fees":{"slot":S}} {"slot_status":{"slot":S}}
//!   {"node_zones":{"start_after":null,"limit":null}}
//!   {"trade":{"id":1}} {"trades_by_account":{"account":"..","start_after":null,"limit":null}}
//!   {"trades_by_slot":{"slot":S,"start_after":null,"limit":null}}
//!   {"balance":{"account":".."}} {"intent_fill":{"owner":"..","nonce":7}} {"holdings":{}} {"dispute":{"trade_id":1}}
//! ```

use aip_types::hooks::Ruling;
use aip_types::intent::BatchIntent;
use aip_types::{MeterId, NodeId, Price, SlotId, TradeId, Wh, ZoneId};
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Uint128;
use cw20::Cw20ReceiveMsg;

/// Creates the market: the AIP token, the roles and the market parameters.
#[cw_serde]
pub struct InstantiateMsg {
    /// The AIP CW20: the only token accepted.
    pub token: String,
    /// Who administers the market, operates the grid, matches, arbitrates and receives fees.
    pub roles: Roles,
    /// Timing, collateral, penalty, dispute and batch-size parameters (checked at instantiation).
    pub params: MarketParams,
}

/// Checks the stored contract name and refuses downgrades.
#[cw_serde]
pub struct MigrateMsg {}

// A message is parsed once per call and dropped: boxing `UpdateConfig`'s
// parameters would only complicate every caller.
/// What settlement executes. A refused message fails with an error naming the
/// rule it breaks (and the intent or trade index), and changes nothing.
#[allow(clippy::large_enum_variant)]
#[cw_serde]
pub enum ExecuteMsg {
    /// The cw20 hook: an AIP `Send` carrying a [`ReceiveMsg`] (a deposit, or
    /// a dispute with its bond). Any other token is refused.
    Receive(Cw20ReceiveMsg),
    /// The matcher commits a slot's trades between signed intents, once per
    /// slot and before it starts. Each intent appears once and is checked
    /// once (signature bound to this chain and contract, expiry, slot window,
    /// meter, eligibility); each trade is checked (limits, premium gate,
    /// corridor and capacity, fees, free balances), and an intent never fills beyond its Wh, in this batch or
    /// across batches. The buyer's payment and fee and the seller's
    /// collateral are locked from their free balances, netted per account.
    /// Any violation rejects the whole batch with an error naming the intent
    /// or trade index and the rule.
    CommitIntents {
        /// The delivery slot the batch trades in: its start, Unix seconds, a multiple of 900.
        /// Every intent's slot window must contain it; open until the slot starts.
        slot: SlotId,
        /// The signed (or placed) intents the trades fill, each at most once: 2 to
        /// `2 * max_batch`. Trades refer to them by index in this list.
        intents: Vec<BatchIntent>,
        /// The trades, 1 to `max_batch`: each fills a buy and a sell intent of `intents`.
        /// In JSON one string, the standard base64 of version 1 of the layout in
        /// `contracts/settlement/src/compact_trades.rs`: a version byte (1), then
        /// per trade four LEB128 varints, `bid`, `offer`, `wh`, `price`.
        #[serde(with = "crate::compact_trades")]
        #[schemars(with = "String")]
        trades: Vec<IntentTrade>,
        /// Earlier slots to settle in the same call, before the trades are
        /// checked (at most 4, each once, not `slot`; each as `Settle` with
        /// the default limit would). An account both settled and locked
        /// here has its ledger page written once instead of twice. A slot
        /// already fully settled is skipped (attribute
        /// `already_settled_slots`); any other refusal of its settlement
        /// refuses the commit, naming the slot. Absent: none.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        settle: Vec<SlotId>,
    },
    /// The owner places an intent on chain instead of signing it (contract
    /// accounts cannot sign): a batch may then carry it without a signature.
    /// Checked as a signed intent is (fields, expiry); `signature` must be absent.
    PlaceIntent {
        /// The intent, with `signature` absent; its `owner` must be the sender.
        intent: BatchIntent,
    },
    /// The owner withdraws the intent with this nonce: nothing more of it
    /// fills (what already filled stays committed).
    CancelIntent {
        /// The sender's nonce naming the intent.
        nonce: u64,
    },
    /// Anyone, between the slot end and the delivery deadline: asks the
    /// meter-oracle contract about the next `limit` unreported seller meters of
    /// the slot (after a cursor that wraps around, so meters that never
    /// finalize cannot hold back the others) and records the finalized ones.
    FetchDeliveries {
        /// Slot start, Unix seconds (a multiple of 900).
        slot: SlotId,
        /// Meters to ask about in this call: default 50, at most `max_batch`.
        limit: Option<u32>,
    },
    /// Anyone, once the slot's delivery data is final and its dispute window
    /// closed: settles the next `limit` trades (default and maximum `max_batch`).
    Settle {
        /// Slot start, Unix seconds (a multiple of 900).
        slot: SlotId,
        /// Trades to settle in this call: default and at most `max_batch`.
        limit: Option<u32>,
    },
    /// The buyer or the seller freezes a trade until the arbiter rules; open
    /// until the dispute window after the slot's delivery data closes. Only
    /// while the dispute bond is 0: otherwise the dispute is opened with an AIP
    /// `Send` of the bond ([`ReceiveMsg::OpenDispute`]).
    OpenDispute {
        /// The trade to dispute.
        trade_id: TradeId,
        /// Why, for the arbiter: at most 280 characters.
        reason: String,
    },
    /// Anyone, once the arbiter's ruling deadline passed without a ruling:
    /// the trade settles as metered (the default ruling) and the bond goes
    /// back to the party that opened the dispute.
    ApplyDefaultRuling {
        /// The disputed trade whose ruling deadline passed.
        trade_id: TradeId,
    },
    /// The arbiter rules on a disputed trade once delivery data is final and
    /// before the ruling deadline; its funds settle by the ruling, which is
    /// reported to reputation. The bond goes back to the party that opened
    /// the dispute unless the ruling goes wholly against it (a frivolous
    /// dispute), then to the other party.
    ResolveDispute {
        /// The disputed trade.
        trade_id: TradeId,
        /// `pay_seller`: the trade settles as metered; `refund_buyer`: the buyer gets
        /// the payment back; `split`: the seller keeps `seller_bps` / 10000 of the payment.
        ruling: Ruling,
    },
    /// Sends the caller's claimable balance (all of it, or `amount`) in AIP.
    Withdraw {
        /// uaip to pay out; `null` pays out the whole free balance. More than the
        /// free balance is refused.
        amount: Option<Uint128>,
    },
    /// Grid operator: adds or renames a zone.
    UpsertZone {
        /// The zone; an existing id is renamed.
        zone: Zone,
    },
    /// Grid operator: adds or updates a directed corridor between two zones.
    SetCorridor {
        /// The corridor; an existing (from, to) pair is replaced.
        corridor: Corridor,
    },
    /// Grid operator: removes a corridor (committed trades keep their terms).
    RemoveCorridor {
        /// Seller's zone of the corridor.
        from_zone: ZoneId,
        /// Buyer's zone of the corridor.
        to_zone: ZoneId,
    },
    /// Grid operator: places grid nodes in zones. An intent's zone is the
    /// zone of its meter's registered node (never the intent's own say-so),
    /// read when its slot is committed; committed trades keep their zones.
    SetNodeZones {
        /// Node -> zone assignments; a node listed again moves to the new zone.
        nodes: Vec<NodeZone>,
    },
    /// Grid operator: per-slot congestion fees, before the slot starts.
    SetCongestionFees {
        /// Slot start, Unix seconds (a multiple of 900); the fees apply to this slot only.
        slot: SlotId,
        /// The fees that replace the corridors' `fee_per_kwh` in this slot (the previous
        /// overrides of the slot are replaced, not merged).
        fees: Vec<CongestionFee>,
    },
    /// Admin: replaces the roles and/or the market parameters.
    UpdateConfig {
        /// New roles; `null` keeps the current ones.
        roles: Option<Roles>,
        /// New market parameters, checked as at instantiation; `null` keeps the current ones.
        params: Option<MarketParams>,
    },
}

/// What settlement answers. Paginated queries take `limit` (default 50, at most 500).
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// Token, roles and parameters.
    #[returns(ConfigResponse)]
    Config {},
    /// Zones and corridors.
    #[returns(NetworkResponse)]
    Network {},
    /// The grid operator's node -> zone map, by node.
    #[returns(NodeZonesResponse)]
    NodeZones {
        /// Page after this node id (exclusive); `null` starts at the lowest.
        start_after: Option<NodeId>,
        /// Page size, default 50, at most 500.
        limit: Option<u32>,
    },
    /// Per-slot congestion fee overrides.
    #[returns(CongestionFeesResponse)]
    CongestionFees {
        /// Slot start, Unix seconds (a multiple of 900).
        slot: SlotId,
    },
    /// Phase, trade and delivery counts, settlement progress and corridor usage of a slot.
    #[returns(SlotStatusResponse)]
    SlotStatus {
        /// Slot start, Unix seconds (a multiple of 900).
        slot: SlotId,
    },
    /// One trade with its status and, once settled, how its funds were split.
    #[returns(TradeResponse)]
    Trade {
        /// Trade id.
        id: TradeId,
    },
    /// Trades where the account is buyer or seller, newest first.
    #[returns(TradesResponse)]
    TradesByAccount {
        /// Buyer or seller address (bech32).
        account: String,
        /// Continue with the account's trades older than this one (which
        /// must be one of them); `null` starts at the newest.
        start_after: Option<TradeId>,
        /// Page size, default 50, at most 500.
        limit: Option<u32>,
    },
    /// Trades of a slot, by id.
    #[returns(TradesResponse)]
    TradesBySlot {
        /// Slot start, Unix seconds (a multiple of 900).
        slot: SlotId,
        /// Page after this trade id (exclusive); `null` starts at the lowest.
        start_after: Option<TradeId>,
        /// Page size, default 50, at most 500.
        limit: Option<u32>,
    },
    /// Free, locked and claimable balance of an account's deposit.
    #[returns(BalanceResponse)]
    Balance {
        /// Account address (bech32).
        account: String,
    },
    /// How much of the intent (owner, nonce) is filled, and whether it is cancelled.
    #[returns(IntentFillResponse)]
    IntentFill {
        /// The intent owner's address.
        owner: String,
        /// The owner's nonce naming the intent.
        nonce: u64,
    },
    /// Everything the contract holds, by purpose (sums to its AIP balance).
    #[returns(HoldingsResponse)]
    Holdings {},
    /// The dispute on a trade.
    #[returns(DisputeResponse)]
    Dispute {
        /// The disputed trade.
        trade_id: TradeId,
    },
}

/// Default and maximum page sizes of paginated queries and batches.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page a paginated query returns.
pub const MAX_LIMIT: u32 = 500;

/// Accounts holding the contract's roles.
#[cw_serde]
pub struct Roles {
    /// Changes roles and parameters.
    pub admin: String,
    /// The DSO: zones, corridors, congestion fees.
    pub grid_operator: String,
    /// Commits matched trades.
    pub matcher: String,
    /// Rules on disputes.
    pub arbiter: String,
    /// Receives congestion fees.
    pub treasury: String,
    /// Reputation contract: trading terms (collateral ratio, eligibility) and outcome records.
    pub reputation: Option<String>,
    /// Meter-oracle contract: the meter registry (owner, node, status) and
    /// finalized deliveries. Without it no order can be placed: a meter id
    /// would be tied to no owner and no node.
    pub meter_oracle: Option<String>,
    /// KYC verifier (zk-verifier): with it, an intent's owner must hold an
    /// unexpired, unrevoked KYC proof (`eligibilities`), and a premium-only
    /// offer's buyer a recent one. Without it, the reputation token alone
    /// stands for KYC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kyc_verifier: Option<String>,
}

/// Market parameters.
#[cw_serde]
pub struct MarketParams {
    /// The gateway closes a slot's book this many seconds before the slot
    /// starts (`slot_status` reports it; the commit itself is open until the
    /// slot starts).
    pub gate_closure_secs: u64,
    /// How far ahead the off-chain book takes intents, seconds (kept for the
    /// gateway and the UIs; the contract does not check it).
    pub max_horizon_secs: u64,
    /// Offer collateral in basis points of the offer's value at its collateral
    /// price, when no reputation contract is set.
    pub default_collateral_bps: u32,
    /// Floor of the collateral price, uaip/kWh: an offer's collateral is
    /// valued at `max(min_price, collateral_floor_price)`, so a seller cannot
    /// shrink its collateral (and the penalty it covers) with a tiny limit.
    #[serde(default = "default_collateral_floor_price")]
    pub collateral_floor_price: Price,
    /// Penalty paid to the buyer out of the seller's collateral, uaip per kWh short.
    pub penalty_price: Price,
    /// Disputes may be opened until this many seconds after a slot's delivery data is final.
    pub dispute_window_secs: u64,
    /// Deliveries not reported this many seconds after the slot ends count as zero.
    pub delivery_deadline_secs: u64,
    /// Bond the party opening a dispute locks, uaip (lost on a frivolous dispute).
    #[serde(default = "default_dispute_bond")]
    pub dispute_bond: Uint128,
    /// The arbiter rules within this many seconds of a dispute being opened
    /// (counted from the slot's final delivery data if later); then anyone may
    /// apply the default ruling.
    #[serde(default = "default_ruling_deadline_secs")]
    pub ruling_deadline_secs: u64,
    /// Most trades in one `CommitIntents` (and twice as many intents), most
    /// trades settled in one `Settle`.
    pub max_batch: u32,
}

/// The market's defaults, the one set every deployment starts from (`aip
/// deploy`, the in-process `aip_testing::Deployment` and both modes of the
/// simulation); a deployment that wants other values names them as
/// overrides (`MarketParams { penalty_price: .., ..MarketParams::default() }`).
/// Gate closure 5 min, intents up to 2 days ahead, 20 % collateral valued at
/// no less than 0.1 AIP/kWh, a penalty of 0.3 AIP per kWh short, 1 h
/// dispute window and delivery deadline, a 1 AIP dispute bond, a 1-day
/// ruling deadline, batches of up to 500 trades.
impl Default for MarketParams {
    fn default() -> Self {
        MarketParams {
            gate_closure_secs: 300,
            max_horizon_secs: 2 * 86_400,
            default_collateral_bps: 2_000,
            collateral_floor_price: default_collateral_floor_price(),
            penalty_price: Uint128::new(300_000),
            dispute_window_secs: 3_600,
            delivery_deadline_secs: 3_600,
            dispute_bond: default_dispute_bond(),
            ruling_deadline_secs: default_ruling_deadline_secs(),
            max_batch: 500,
        }
    }
}

/// The collateral floor when a parameter set omits it: 100,000 uaip/kWh (0.1 AIP/kWh).
pub fn default_collateral_floor_price() -> Price {
    Uint128::new(100_000)
}

/// The dispute bond when a parameter set omits it: 1 AIP.
pub fn default_dispute_bond() -> Uint128 {
    Uint128::new(1_000_000)
}

/// The ruling deadline when a parameter set omits it: 1 day.
pub fn default_ruling_deadline_secs() -> u64 {
    86_400
}

/// The cw20 hook message: what an AIP `Send` to settlement asks for.
#[cw_serde]
pub enum ReceiveMsg {
    /// Opens a dispute on a trade (as [`ExecuteMsg::OpenDispute`]); the `Send`
    /// amount must be exactly the market's `dispute_bond`.
    OpenDispute {
        /// The trade to dispute.
        trade_id: TradeId,
        /// Why, for the arbiter: at most 280 characters.
        reason: String,
    },
    /// Credits the whole `Send` amount (above zero) to the sender's free
    /// balance, from which its signed intents trade.
    Deposit {},
}

/// One trade of a `CommitIntents` batch: `wh` from the sell intent at index
/// `offer` to the buy intent at index `bid` of the batch's `intents`, at
/// `price` uaip/kWh.
#[cw_serde]
pub struct IntentTrade {
    /// Index in the batch's `intents` of the buy intent this trade fills.
    pub bid: u32,
    /// Index in the batch's `intents` of the sell intent this trade fills.
    pub offer: u32,
    /// Energy the seller injects, Wh (above zero; the buyer receives it less the corridor's loss).
    pub wh: Wh,
    /// Clearing price, uaip/kWh: at least the offer's limit and, plus the route's congestion fee,
    /// at most the bid's. The buyer pays `net_wh * price / 1000` uaip, rounded down.
    pub price: Price,
}

/// A zone of the grid.
#[cw_serde]
pub struct Zone {
    /// Zone id, chosen by the grid operator.
    pub id: ZoneId,
    /// Display name (a feeder, a substation area).
    pub name: String,
}

/// A grid node's zone, published by the grid operator.
#[cw_serde]
pub struct NodeZone {
    /// Grid node (bus) id, as the meter-oracle registry records it for each meter.
    pub node: NodeId,
    /// Zone the node belongs to; it must exist.
    pub zone: ZoneId,
}

/// The node -> zone map, one page.
#[cw_serde]
pub struct NodeZonesResponse {
    /// Nodes in ascending id order.
    pub nodes: Vec<NodeZone>,
}

/// A directed corridor between two zones.
#[cw_serde]
pub struct Corridor {
    /// Zone the energy comes from (the seller's).
    pub from_zone: ZoneId,
    /// Zone the energy goes to (the buyer's).
    pub to_zone: ZoneId,
    /// Energy it carries per slot, Wh.
    pub capacity_wh: Wh,
    /// Energy lost in transit, basis points of the traded energy.
    pub loss_bps: u32,
    /// Congestion fee charged to the buyer, uaip per delivered kWh, unless a
    /// per-slot fee overrides it.
    pub fee_per_kwh: Price,
}

/// A per-slot congestion fee. `from_zone == to_zone` prices trades inside a zone.
#[cw_serde]
pub struct CongestionFee {
    /// Zone of the seller.
    pub from_zone: ZoneId,
    /// Zone of the buyer (equal to `from_zone` for trades inside a zone).
    pub to_zone: ZoneId,
    /// Fee charged to the buyer, uaip per delivered kWh; at most the largest order price.
    pub fee_per_kwh: Price,
}

/// The contract's configuration.
#[cw_serde]
pub struct ConfigResponse {
    /// Address of the AIP CW20, the only token accepted.
    pub token: String,
    /// Current role holders.
    pub roles: Roles,
    /// Current market parameters.
    pub params: MarketParams,
}

/// The grid as the grid operator published it.
#[cw_serde]
pub struct NetworkResponse {
    /// Every zone, by id.
    pub zones: Vec<Zone>,
    /// Every directed corridor, by (from, to).
    pub corridors: Vec<Corridor>,
}

/// The congestion-fee overrides of one slot.
#[cw_serde]
pub struct CongestionFeesResponse {
    /// Slot start, Unix seconds.
    pub slot: SlotId,
    /// Per-slot overrides; corridors without one charge their `fee_per_kwh`.
    pub fees: Vec<CongestionFee>,
}

/// Where a committed trade stands.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum TradeStatus {
    /// Waiting for delivery data and the dispute window.
    Pending,
    /// Frozen until the arbiter rules.
    Disputed,
    /// Settled as metered.
    Settled,
    /// Settled by the arbiter's ruling.
    Ruled,
}

/// How a settled (or ruled) trade's funds were split.
#[cw_serde]
pub struct TradeSettlement {
    /// Seller's energy counted as delivered for this trade, Wh (pro-rata when short).
    pub delivered_wh: Wh,
    /// Paid to the seller, uaip.
    pub seller_paid: Uint128,
    /// Returned to the buyer from the trade's payment, uaip.
    pub buyer_refund: Uint128,
    /// Paid to the buyer from the seller's collateral, uaip.
    pub penalty: Uint128,
    /// Collateral returned to the seller, uaip.
    pub collateral_returned: Uint128,
}

/// One committed trade.
#[cw_serde]
pub struct TradeResponse {
    /// Trade id, assigned in sequence from 1.
    pub id: TradeId,
    /// Delivery slot start, Unix seconds.
    pub slot: SlotId,
    /// The buy intent's nonce (of the buyer).
    pub bid: u64,
    /// The sell intent's nonce (of the seller).
    pub offer: u64,
    /// Buyer's address.
    pub buyer: String,
    /// Seller's address.
    pub seller: String,
    /// The seller's meter.
    pub meter: MeterId,
    /// Energy traded (what the seller injects), Wh.
    pub wh: Wh,
    /// Energy the buyer receives after corridor losses, Wh.
    pub net_wh: Wh,
    /// Clearing price, uaip/kWh (the congestion fee comes on top).
    pub price: Price,
    /// Payment held for the seller: `payment(net_wh, price)`, uaip.
    pub payment: Uint128,
    /// Congestion fee paid to the treasury at commit, uaip.
    pub fee: Uint128,
    /// Seller collateral held for this trade, uaip.
    pub collateral: Uint128,
    /// Committed from signed intents: `bid` and `offer` are then the
    /// intents' nonces (of the buyer and the seller), and the payment and
    /// collateral are locked in the parties' deposit accounts.
    #[serde(default)]
    pub intents: bool,
    /// Pending, disputed, settled or ruled.
    pub status: TradeStatus,
    /// How the funds were split; `null` until the trade is settled or ruled.
    pub settlement: Option<TradeSettlement>,
}

/// A page of trades, in ascending id order.
#[cw_serde]
pub struct TradesResponse {
    /// The trades of the page (empty past the last one).
    pub trades: Vec<TradeResponse>,
}

/// An account's deposit. All amounts in uaip.
#[cw_serde]
pub struct BalanceResponse {
    /// The account asked about.
    pub account: String,
    /// Usable for new trades, uaip: deposits and settlement payouts, minus
    /// what committed trades locked and what was withdrawn.
    pub free: Uint128,
    /// Locked by the account's committed, unsettled intent trades (a buyer's
    /// payment, a seller's collateral), uaip.
    pub locked: Uint128,
    /// Withdrawable now, uaip: the free balance (payouts are credited to it).
    pub claimable: Uint128,
    /// Always 0: orders no longer hold funds (kept so that clients reading
    /// the field still parse the answer).
    #[serde(default)]
    pub locked_in_orders: Uint128,
}

/// The fill state of the intent (owner, nonce).
#[cw_serde]
pub struct IntentFillResponse {
    /// The intent's owner (its signer's address).
    pub owner: String,
    /// The owner's nonce naming the intent.
    pub nonce: u64,
    /// Wh filled so far by committed trades. 0 for an intent filled in the
    /// last slot its window can still reach: such an intent keeps no record
    /// (`rules::fill_needs_record`).
    pub filled: u64,
    /// Hex of the first 8 bytes of the filled intent's hash (`null` before any fill).
    pub hash_prefix: Option<String>,
    /// The owner cancelled it.
    pub cancelled: bool,
}

/// Everything the contract holds, by purpose. `total` equals its AIP balance.
#[cw_serde]
pub struct HoldingsResponse {
    /// Always 0: orders no longer hold funds (kept so that clients reading
    /// the field still parse the answer).
    #[serde(default)]
    pub orders: Uint128,
    /// Payments and collateral of trades not yet settled (including disputed ones).
    pub trades: Uint128,
    /// Credited to accounts, waiting for `Withdraw`.
    pub claimable: Uint128,
    /// Dispute bonds of open disputes.
    #[serde(default)]
    pub bonds: Uint128,
    /// Sum of the above, uaip: equals the contract's AIP balance.
    pub total: Uint128,
}

/// Where a slot is in its timeline (`rules::timeline`).
#[cw_serde]
#[derive(Copy, Eq)]
pub enum SlotPhase {
    /// The gateway takes intents for the slot.
    Open,
    /// Gate closed: the matcher commits.
    Matching,
    /// The slot is running or waiting for delivery data.
    Delivery,
    /// Delivery data final; disputes may be opened.
    DisputeWindow,
    /// Settling (or settled, when `settled_through` passed the last trade).
    Settlement,
}

/// Energy committed on one corridor in a slot.
#[cw_serde]
pub struct CorridorUsage {
    /// Seller's zone.
    pub from_zone: ZoneId,
    /// Buyer's zone.
    pub to_zone: ZoneId,
    /// Energy committed on it so far in the slot, Wh (of its `capacity_wh`).
    pub used_wh: Wh,
}

/// A slot's progress.
#[cw_serde]
pub struct SlotStatusResponse {
    /// Slot start, Unix seconds.
    pub slot: SlotId,
    /// Phase at the current block time.
    pub phase: SlotPhase,
    /// The gateway takes intents until this time.
    pub gate_closes_at: u64,
    /// Trades committed in the slot.
    pub trades: u64,
    /// Seller meters with trades in the slot, and how many have delivery data.
    pub meters: u32,
    /// Of those meters, how many have delivery data.
    pub meters_reported: u32,
    /// When delivery data became final (all reported, or the deadline passed).
    pub data_final_at: Option<u64>,
    /// Settlement may start at this time, once the data is final.
    pub settle_from: Option<u64>,
    /// Trades settled by `Settle` so far (disputed ones excluded).
    pub settled: u64,
    /// Every trade of the slot is settled or ruled.
    pub fully_settled: bool,
    /// Disputes opened in the slot.
    pub disputes: u32,
    /// Energy used per corridor in the slot.
    pub corridor_usage: Vec<CorridorUsage>,
}

/// The dispute on a trade.
#[cw_serde]
pub struct DisputeResponse {
    /// The disputed trade.
    pub trade_id: TradeId,
    /// Slot start of the trade, Unix seconds.
    pub slot: SlotId,
    /// Buyer or seller who opened it.
    pub opened_by: String,
    /// When it was opened, Unix seconds.
    pub opened_at: u64,
    /// The opener's reason (at most 280 characters).
    pub reason: String,
    /// The arbiter's (or the default) ruling; `null` while open.
    pub ruling: Option<Ruling>,
    /// Bond locked by the party that opened the dispute, uaip.
    pub bond: Uint128,
    /// The arbiter must rule before this time; then the default ruling applies.
    pub ruling_due: u64,
    /// The ruling is the default one (the arbiter did not rule in time).
    pub defaulted: bool,
}

use aip_types::intent::IntentError;
use aip_types::{BoundsError, MeterId, NodeId, SlotId, TradeId, TypesError, ZoneId};
use cosmwasm_std::{StdError, Uint128};
use thiserror::Error;

/// Why a trade in a `CommitIntents` batch was refused. The whole batch is
/// rejected with [`ContractError::TradeRejected`], naming the trade's index.
#[derive(Error, Debug, PartialEq)]
pub enum Rule {
    #[error("zero quantity")]
    ZeroQuantity,
    #[error("buyer and seller are the same account")]
    SelfTrade,
    #[error("price {price} is below the offer's minimum {min_price}")]
    BelowOfferMin { price: Uint128, min_price: Uint128 },
    #[error("price {price} is above the bid's maximum {max_price}")]
    AboveBidMax { price: Uint128, max_price: Uint128 },
    #[error("price {price} plus congestion fee {fee} is above the bid's maximum {max_price}")]
    FeeAboveBidMax {
        price: Uint128,
        fee: Uint128,
        max_price: Uint128,
    },
    #[error("no corridor from zone {from} to zone {to}")]
    NoCorridor { from: ZoneId, to: ZoneId },
    #[error("corridor {from}->{to} has {available} Wh left in the slot, the trade needs {wh}")]
    CorridorFull {
        from: ZoneId,
        to: ZoneId,
        available: Uint128,
        wh: Uint128,
    },
    #[error("intent index {index} is not in the batch")]
    UnknownIntent { index: u32 },
    #[error("intent {index} is not a buy intent")]
    NotABuyIntent { index: u32 },
    #[error("intent {index} is not a sell intent")]
    NotASellIntent { index: u32 },
    #[error("intent {index} has {remaining} Wh left, the trade needs {wh}")]
    IntentOverfilled {
        index: u32,
        remaining: u64,
        wh: Uint128,
    },
    #[error("sell intent {index} is premium-only and the buyer is not premium-eligible")]
    IntentNotPremiumEligible { index: u32 },
    #[error("account {account} has {free} uaip free; the batch needs {needed} up to this trade")]
    InsufficientFree {
        account: String,
        free: Uint128,
        needed: Uint128,
    },
    #[error("{0}")]
    Arithmetic(#[from] TypesError),
}

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Types(#[from] TypesError),

    /// The caller lacks the role (`aip_types::auth`, the same message in every contract).
    #[error(transparent)]
    Unauthorized(#[from] aip_types::auth::Unauthorized),

    #[error("only the AIP token {expected} is accepted, not {got}")]
    WrongToken { expected: String, got: String },

    #[error("a dispute needs a bond of exactly {required} uaip, {sent} were sent")]
    WrongBond { required: Uint128, sent: Uint128 },

    /// Quantity or price outside the shared order bounds (`aip_types::bounds`).
    #[error("{0}")]
    Bounds(#[from] BoundsError),

    #[error("slot {slot} is not aligned to 900 s")]
    UnalignedSlot { slot: SlotId },

    #[error("zone {zone} does not exist")]
    UnknownZone { zone: ZoneId },

    #[error("no meter-oracle contract is configured: intents need its meter registry")]
    NoMeterRegistry,

    #[error("meter {meter} is not registered with the meter oracle")]
    MeterNotRegistered { meter: MeterId },

    #[error("meter {meter} belongs to {owner}, not to the sender")]
    NotMeterOwner { meter: MeterId, owner: String },

    #[error("meter {meter} is {status}: only active meters trade")]
    MeterNotActive { meter: MeterId, status: String },

    #[error("meter {meter} sits at node {node}, which the grid operator has not placed in a zone")]
    NodeWithoutZone { meter: MeterId, node: NodeId },

    #[error("account {account} may not trade: {reason}")]
    NotEligible { account: String, reason: String },

    #[error("premium-only offers need the reputation contract to be configured")]
    PremiumNeedsReputation,

    #[error("intent {index} rejected: {reason}")]
    IntentRejected {
        index: usize,
        reason: Box<ContractError>,
    },
    /// A signed intent refused by `aip_types::intent` (fields, binding, expiry, signature).
    #[error("{0}")]
    Intent(#[from] IntentError),
    #[error("a batch needs 2 to {max} intents, got {got}")]
    BadIntentCount { max: u32, got: usize },
    #[error("slot {slot} is already committed: a slot takes one commit of intents")]
    SlotAlreadyCommitted { slot: SlotId },
    #[error("no signature, and its owner has not placed it on chain")]
    IntentNotPlaced,
    #[error("an intent placed on chain carries no signature")]
    PlacedIntentSigned,
    #[error("only the owner {owner} may place or cancel its intents")]
    NotIntentOwner { owner: String },
    #[error("this intent is already placed")]
    AlreadyPlaced,
    #[error("the same intent as intent {first} of the batch")]
    DuplicateIntent { first: usize },
    #[error("nonce {nonce} of {owner} names another intent")]
    NonceReused { owner: String, nonce: u64 },
    #[error("the intent with nonce {nonce} of {owner} is cancelled")]
    IntentCancelled { owner: String, nonce: u64 },
    #[error("the intent's slot window [{from}, {until}) does not contain slot {slot}")]
    SlotNotCovered { slot: SlotId, from: u64, until: u64 },
    #[error("no trade of the batch fills it")]
    UnusedIntent,
    #[error("a deposit needs an amount above zero")]
    NothingDeposited,
    #[error("trade {index} rejected: {rule}")]
    TradeRejected { index: usize, rule: Rule },

    #[error("a batch needs 1 to {max} trades, got {got}")]
    BadBatchSize { max: u32, got: usize },

    #[error("matching for slot {slot} closed at its start (now {now})")]
    MatchingClosed { slot: SlotId, now: u64 },

    #[error("delivery reports for slot {slot} are accepted from {from} to {until} (now {now})")]
    ReportWindow {
        slot: SlotId,
        from: u64,
        until: u64,
        now: u64,
    },

    #[error("no meter-oracle contract is configured: deliveries cannot be fetched")]
    NoMeterOracle,

    #[error("every seller meter of slot {slot} is reported: nothing to fetch")]
    NothingToFetch { slot: SlotId },

    #[error("slot {slot} settles from {from} (now {now})")]
    SettleTooEarly { slot: SlotId, from: u64, now: u64 },

    #[error("slot {slot} has nothing left to settle")]
    NothingToSettle { slot: SlotId },

    #[error("trade {id} does not exist")]
    TradeNotFound { id: TradeId },

    #[error("only the buyer or the seller of trade {id} may dispute it")]
    NotTradeParty { id: TradeId },

    #[error("the dispute window of trade {id} closed at {closed_at}")]
    DisputeWindowClosed { id: TradeId, closed_at: u64 },

    #[error("trade {id} is already disputed")]
    AlreadyDisputed { id: TradeId },

    #[error("trade {id} is not disputed")]
    NotDisputed { id: TradeId },

    #[error("the dispute on trade {id} was already ruled")]
    AlreadyRuled { id: TradeId },

    #[error("trade {id} cannot be ruled before its delivery data is final at {from}")]
    RulingTooEarly { id: TradeId, from: u64 },

    #[error("dispute reason must be at most 280 characters")]
    ReasonTooLong,

    #[error("a dispute needs a bond of {bond} uaip: send it with the AIP token")]
    BondRequired { bond: Uint128 },

    #[error("the arbiter's deadline for trade {id} passed at {due}: apply the default ruling")]
    RulingDeadlinePassed { id: TradeId, due: u64 },

    #[error("the arbiter may still rule on trade {id} until {due}")]
    RulingNotDue { id: TradeId, due: u64 },

    #[error("nothing to withdraw")]
    NothingToWithdraw,

    #[error("cannot withdraw {requested}: {available} claimable")]
    InsufficientClaimable {
        requested: Uint128,
        available: Uint128,
    },

    #[error("invalid parameter {name}: {reason}")]
    InvalidParam { name: &'static str, reason: String },

    #[error("corridor endpoints must be two different existing zones ({from}, {to})")]
    BadCorridor { from: ZoneId, to: ZoneId },

    #[error("congestion fees for slot {slot} can only change before the slot starts")]
    FeesFrozen { slot: SlotId },
    /// A migration refused by the shared guard (wrong contract, or a downgrade).
    #[error("{0}")]
    Migrate(#[from] aip_types::migrate::MigrateError),
}

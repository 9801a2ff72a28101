use aip_types::intent::IntentError;
use aip_types::{BoundsError, MeterId, NodeId, SlotId, TradeId, TypesError, ZoneId};
use cosmwasm_std::{StdError, Uint128};
use thiserror::Error;

/// Why a trade in a `CommitIntents` batch was refused. The whole batch is
/// rejected with [`ContractError::TradeRejected`], naming the trade's index.
#[derive(Error, Debug, PartialEq)]
pub enum Rule {
    /// The trade is for 0 Wh.
    #[error("zero quantity")]
    ZeroQuantity,
    /// The buy and the sell intent have the same owner.
    #[error("buyer and seller are the same account")]
    SelfTrade,
    /// The clearing price is below the sell intent's limit.
    #[error("price {price} is below the offer's minimum {min_price}")]
    BelowOfferMin {
        /// Clearing price, uaip/kWh.
        price: Uint128,
        /// The sell intent's limit, uaip/kWh.
        min_price: Uint128,
    },
    /// The clearing price is above the buy intent's limit.
    #[error("price {price} is above the bid's maximum {max_price}")]
    AboveBidMax {
        /// Clearing price, uaip/kWh.
        price: Uint128,
        /// The buy intent's limit, uaip/kWh.
        max_price: Uint128,
    },
    /// The clearing price plus the route's congestion fee is above the buy intent's limit.
    #[error("price {price} plus congestion fee {fee} is above the bid's maximum {max_price}")]
    FeeAboveBidMax {
        /// Clearing price, uaip/kWh.
        price: Uint128,
        /// Congestion fee of the route, uaip/kWh.
        fee: Uint128,
        /// The buy intent's limit, uaip/kWh.
        max_price: Uint128,
    },
    /// The buyer's zone cannot be reached from the seller's: no corridor.
    #[error("no corridor from zone {from} to zone {to}")]
    NoCorridor {
        /// Seller's zone.
        from: ZoneId,
        /// Buyer's zone.
        to: ZoneId,
    },
    /// The corridor's capacity left in the slot is smaller than the trade.
    #[error("corridor {from}->{to} has {available} Wh left in the slot, the trade needs {wh}")]
    CorridorFull {
        /// Seller's zone.
        from: ZoneId,
        /// Buyer's zone.
        to: ZoneId,
        /// Capacity left in the slot, Wh.
        available: Uint128,
        /// Energy the trade needs, Wh.
        wh: Uint128,
    },
    /// A trade names an intent index past the end of the batch's `intents`.
    #[error("intent index {index} is not in the batch")]
    UnknownIntent {
        /// Position of the intent in the batch's `intents`.
        index: u32,
    },
    /// The trade's `bid` index names a sell intent.
    #[error("intent {index} is not a buy intent")]
    NotABuyIntent {
        /// Position of the intent in the batch's `intents`.
        index: u32,
    },
    /// The trade's `offer` index names a buy intent.
    #[error("intent {index} is not a sell intent")]
    NotASellIntent {
        /// Position of the intent in the batch's `intents`.
        index: u32,
    },
    /// The trade would fill the intent beyond its Wh (this batch and earlier ones counted).
    #[error("intent {index} has {remaining} Wh left, the trade needs {wh}")]
    IntentOverfilled {
        /// Position of the intent in the batch's `intents`.
        index: u32,
        /// Wh the intent can still fill.
        remaining: u64,
        /// Energy the trade needs, Wh.
        wh: Uint128,
    },
    /// A premium-only sell intent is matched with a buyer that is not premium-eligible.
    #[error("sell intent {index} is premium-only and the buyer is not premium-eligible")]
    IntentNotPremiumEligible {
        /// Position of the intent in the batch's `intents`.
        index: u32,
    },
    /// The account's free balance does not cover what the batch locks from it up to this trade.
    #[error("account {account} has {free} uaip free; the batch needs {needed} up to this trade")]
    InsufficientFree {
        /// The account's address.
        account: String,
        /// Its free balance, uaip.
        free: Uint128,
        /// What the batch locks from it up to and including this trade, uaip.
        needed: Uint128,
    },
    /// An amount overflowed or a basis-point value was out of range.
    #[error("{0}")]
    Arithmetic(#[from] TypesError),
}

/// Why settlement refused a message. The message changes nothing.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    /// A storage or serialization error from cosmwasm-std.
    #[error("{0}")]
    Std(#[from] StdError),

    /// An amount overflowed or a parameter was out of range (`aip_types` arithmetic).
    #[error("{0}")]
    Types(#[from] TypesError),

    /// The caller lacks the role (`aip_types::auth`, the same message in every contract).
    #[error(transparent)]
    Unauthorized(#[from] aip_types::auth::Unauthorized),

    /// A cw20 `Send` came from a token other than the configured AIP token.
    #[error("only the AIP token {expected} is accepted, not {got}")]
    WrongToken {
        /// The configured AIP token.
        expected: String,
        /// The token that sent.
        got: String,
    },

    /// The `Send` opening a dispute did not carry exactly the market's dispute bond.
    #[error("a dispute needs a bond of exactly {required} uaip, {sent} were sent")]
    WrongBond {
        /// The market's dispute bond, uaip.
        required: Uint128,
        /// The amount sent, uaip.
        sent: Uint128,
    },

    /// Quantity or price outside the shared order bounds (`aip_types::bounds`).
    #[error("{0}")]
    Bounds(#[from] BoundsError),

    /// A slot id that is not the start of a 15-minute slot.
    #[error("slot {slot} is not aligned to 900 s")]
    UnalignedSlot {
        /// Slot start, Unix seconds.
        slot: SlotId,
    },

    /// A zone id the grid operator has not created.
    #[error("zone {zone} does not exist")]
    UnknownZone {
        /// The zone id.
        zone: ZoneId,
    },

    /// Intents need the meter-oracle contract, and none is configured.
    #[error("no meter-oracle contract is configured: intents need its meter registry")]
    NoMeterRegistry,

    /// The intent's meter is unknown to the meter oracle.
    #[error("meter {meter} is not registered with the meter oracle")]
    MeterNotRegistered {
        /// The meter id.
        meter: MeterId,
    },

    /// The intent's meter belongs to another account.
    #[error("meter {meter} belongs to {owner}, not to the sender")]
    NotMeterOwner {
        /// The meter id.
        meter: MeterId,
        /// The intent's owner.
        owner: String,
    },

    /// The intent's meter is suspended or retired.
    #[error("meter {meter} is {status}: only active meters trade")]
    MeterNotActive {
        /// The meter id.
        meter: MeterId,
        /// The meter's status in the registry.
        status: String,
    },

    /// The meter's grid node is in no zone, so the intent has no zone.
    #[error("meter {meter} sits at node {node}, which the grid operator has not placed in a zone")]
    NodeWithoutZone {
        /// The meter id.
        meter: MeterId,
        /// The meter's grid node.
        node: NodeId,
    },

    /// Reputation (or the KYC verifier) says the account may not trade (no token,
    /// suspended, expired KYC, ...).
    #[error("account {account} may not trade: {reason}")]
    NotEligible {
        /// The account's address.
        account: String,
        /// Why, as the reputation or KYC contract put it.
        reason: String,
    },

    /// A premium-only intent needs the reputation contract, and none is configured.
    #[error("premium-only offers need the reputation contract to be configured")]
    PremiumNeedsReputation,

    /// An intent of the batch was refused; `index` is its position in `intents`.
    #[error("intent {index} rejected: {reason}")]
    IntentRejected {
        /// Position of the intent in the batch's `intents`.
        index: usize,
        /// Why it was refused.
        reason: Box<ContractError>,
    },
    /// A signed intent refused by `aip_types::intent` (fields, binding, expiry, signature).
    #[error("{0}")]
    Intent(#[from] IntentError),
    /// The batch has too few or too many intents.
    #[error("a batch needs 2 to {max} intents, got {got}")]
    BadIntentCount {
        /// Most intents a batch may carry (`2 * max_batch`).
        max: u32,
        /// Intents in the batch.
        got: usize,
    },
    /// The slot already has its commit.
    #[error("slot {slot} is already committed: a slot takes one commit of intents")]
    SlotAlreadyCommitted {
        /// Slot start, Unix seconds.
        slot: SlotId,
    },
    /// An intent without a signature that its owner has not placed with `PlaceIntent`.
    #[error("no signature, and its owner has not placed it on chain")]
    IntentNotPlaced,
    /// `PlaceIntent` was given an intent that carries a signature.
    #[error("an intent placed on chain carries no signature")]
    PlacedIntentSigned,
    /// Someone other than the owner tried to place or cancel an intent.
    #[error("only the owner {owner} may place or cancel its intents")]
    NotIntentOwner {
        /// The intent's owner, the only account that may place or cancel it.
        owner: String,
    },
    /// `PlaceIntent` for an intent that is already placed.
    #[error("this intent is already placed")]
    AlreadyPlaced,
    /// The same intent appears twice in the batch.
    #[error("the same intent as intent {first} of the batch")]
    DuplicateIntent {
        /// Position of its first occurrence in the batch's `intents`.
        first: usize,
    },
    /// The owner's nonce already names a different intent (another hash).
    #[error("nonce {nonce} of {owner} names another intent")]
    NonceReused {
        /// The intent's owner.
        owner: String,
        /// The owner's nonce.
        nonce: u64,
    },
    /// The intent was cancelled by its owner.
    #[error("the intent with nonce {nonce} of {owner} is cancelled")]
    IntentCancelled {
        /// The intent's owner.
        owner: String,
        /// The owner's nonce.
        nonce: u64,
    },
    /// The intent's slot window does not contain the batch's slot.
    #[error("the intent's slot window [{from}, {until}) does not contain slot {slot}")]
    SlotNotCovered {
        /// Slot start, Unix seconds.
        slot: SlotId,
        /// First slot of the intent's window, Unix seconds.
        from: u64,
        /// End of the intent's window (exclusive), Unix seconds.
        until: u64,
    },
    /// An intent of the batch that no trade fills.
    #[error("no trade of the batch fills it")]
    UnusedIntent,
    /// A deposit of 0 uaip.
    #[error("a deposit needs an amount above zero")]
    NothingDeposited,
    /// A trade of the batch broke a market rule; `index` is its position in `trades`.
    #[error("trade {index} rejected: {rule}")]
    TradeRejected {
        /// Position of the trade in the batch's `trades`.
        index: usize,
        /// The rule it broke.
        rule: Rule,
    },

    /// The batch has no trades or more than `max_batch`.
    #[error("a batch needs 1 to {max} trades, got {got}")]
    BadBatchSize {
        /// `max_batch`.
        max: u32,
        /// Trades in the batch.
        got: usize,
    },

    /// The slot has started: it can no longer be committed.
    #[error("matching for slot {slot} closed at its start (now {now})")]
    MatchingClosed {
        /// Slot start, Unix seconds.
        slot: SlotId,
        /// Block time, Unix seconds.
        now: u64,
    },

    /// `FetchDeliveries` outside the slot's delivery-report window.
    #[error("delivery reports for slot {slot} are accepted from {from} to {until} (now {now})")]
    ReportWindow {
        /// Slot start, Unix seconds.
        slot: SlotId,
        /// Window opens (the slot end), Unix seconds.
        from: u64,
        /// Window closes, Unix seconds.
        until: u64,
        /// Block time, Unix seconds.
        now: u64,
    },

    /// Deliveries cannot be fetched: no meter-oracle contract is configured.
    #[error("no meter-oracle contract is configured: deliveries cannot be fetched")]
    NoMeterOracle,

    /// Every seller meter of the slot already has its delivery data.
    #[error("every seller meter of slot {slot} is reported: nothing to fetch")]
    NothingToFetch {
        /// Slot start, Unix seconds.
        slot: SlotId,
    },

    /// `Settle` before the slot's delivery data is final and its dispute window closed.
    #[error("slot {slot} settles from {from} (now {now})")]
    SettleTooEarly {
        /// Slot start, Unix seconds.
        slot: SlotId,
        /// Settlement opens, Unix seconds.
        from: u64,
        /// Block time, Unix seconds.
        now: u64,
    },

    /// `CommitIntents` names more earlier slots to settle than it may.
    #[error("a commit settles at most {max} earlier slots, got {got}")]
    TooManyCarriedSettles {
        /// Most slots in `settle`.
        max: usize,
        /// Slots named.
        got: usize,
    },
    /// `CommitIntents` names a slot in `settle` twice, or the slot it commits.
    #[error("slot {slot} is named twice in `settle`, or is the slot being committed")]
    BadCarriedSettle {
        /// Slot start, Unix seconds.
        slot: SlotId,
    },
    /// The settlement of a slot a `CommitIntents` carries was refused: so is the commit.
    #[error("settling slot {slot} with the commit: {reason}")]
    CarriedSettle {
        /// Slot start, Unix seconds.
        slot: SlotId,
        /// Why its settlement was refused.
        reason: Box<ContractError>,
    },

    /// Every trade of the slot is already settled (or disputed).
    #[error("slot {slot} has nothing left to settle")]
    NothingToSettle {
        /// Slot start, Unix seconds.
        slot: SlotId,
    },

    /// No trade has this id.
    #[error("trade {id} does not exist")]
    TradeNotFound {
        /// The trade id.
        id: TradeId,
    },

    /// `trades_by_account` was asked to continue after a trade of another account.
    #[error("trade {id} is not a trade of {account}: start_after must be one of its trades")]
    NotAccountTrade {
        /// The trade id.
        id: TradeId,
        /// The account asked about.
        account: String,
    },

    /// The sender is neither the trade's buyer nor its seller.
    #[error("only the buyer or the seller of trade {id} may dispute it")]
    NotTradeParty {
        /// The trade id.
        id: TradeId,
    },

    /// The trade's dispute window has closed.
    #[error("the dispute window of trade {id} closed at {closed_at}")]
    DisputeWindowClosed {
        /// The trade id.
        id: TradeId,
        /// When the window closed, Unix seconds.
        closed_at: u64,
    },

    /// The trade already has a dispute.
    #[error("trade {id} is already disputed")]
    AlreadyDisputed {
        /// The trade id.
        id: TradeId,
    },

    /// The trade has no dispute to rule on.
    #[error("trade {id} is not disputed")]
    NotDisputed {
        /// The trade id.
        id: TradeId,
    },

    /// The trade's dispute already has a ruling.
    #[error("the dispute on trade {id} was already ruled")]
    AlreadyRuled {
        /// The trade id.
        id: TradeId,
    },

    /// The arbiter ruled before the trade's delivery data is final.
    #[error("trade {id} cannot be ruled before its delivery data is final at {from}")]
    RulingTooEarly {
        /// The trade id.
        id: TradeId,
        /// When the trade's delivery data becomes final, Unix seconds.
        from: u64,
    },

    /// The dispute reason is longer than 280 characters.
    #[error("dispute reason must be at most 280 characters")]
    ReasonTooLong,

    /// A dispute opened with `OpenDispute` while the market asks for a bond: send it with the AIP token.
    #[error("a dispute needs a bond of {bond} uaip: send it with the AIP token")]
    BondRequired {
        /// The market's dispute bond, uaip.
        bond: Uint128,
    },

    /// The arbiter ruled after the ruling deadline; the default ruling applies.
    #[error("the arbiter's deadline for trade {id} passed at {due}: apply the default ruling")]
    RulingDeadlinePassed {
        /// The trade id.
        id: TradeId,
        /// The ruling deadline, Unix seconds.
        due: u64,
    },

    /// `ApplyDefaultRuling` before the arbiter's deadline passed.
    #[error("the arbiter may still rule on trade {id} until {due}")]
    RulingNotDue {
        /// The trade id.
        id: TradeId,
        /// The ruling deadline, Unix seconds.
        due: u64,
    },

    /// `Withdraw` with nothing free.
    #[error("nothing to withdraw")]
    NothingToWithdraw,

    /// `Withdraw` of more than the free balance.
    #[error("cannot withdraw {requested}: {available} claimable")]
    InsufficientClaimable {
        /// The amount asked for, uaip.
        requested: Uint128,
        /// The free balance, uaip.
        available: Uint128,
    },

    /// A market parameter or role is out of range or malformed.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParam {
        /// The parameter's name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A corridor whose ends are the same zone or a zone that does not exist.
    #[error("corridor endpoints must be two different existing zones ({from}, {to})")]
    BadCorridor {
        /// Seller's zone.
        from: ZoneId,
        /// Buyer's zone.
        to: ZoneId,
    },

    /// Congestion fees of a slot that has already started.
    #[error("congestion fees for slot {slot} can only change before the slot starts")]
    FeesFrozen {
        /// Slot start, Unix seconds.
        slot: SlotId,
    },
    /// A migration refused by the shared guard (wrong contract, or a downgrade).
    #[error("{0}")]
    Migrate(#[from] aip_types::migrate::MigrateError),
}

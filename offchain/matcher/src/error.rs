//! Errors of the matcher library.
use thiserror::Error;

/// Everything that can go wrong when clearing, forecasting or reading files.
#[derive(Debug, Error)]
pub enum MatcherError {
    /// Two zones share an id.
    #[error("zone {0} is defined twice")]
    DuplicateZone(u32),
    /// Two corridors share an id.
    #[error("corridor {0} is defined twice")]
    DuplicateCorridor(u32),
    /// A corridor names a zone the network does not define.
    #[error("corridor {corridor} refers to unknown zone {zone}")]
    CorridorUnknownZone {
        /// the corridor
        corridor: u32,
        /// the missing zone
        zone: u32,
    },
    /// A corridor starts and ends in the same zone.
    #[error("corridor {0} connects zone {1} to itself")]
    CorridorLoop(u32, u32),
    /// A loss factor of 100 % or more.
    #[error("loss factor {bps} bps of {what} must be below 10000")]
    LossTooLarge {
        /// "zone N" or "corridor N"
        what: String,
        /// the value given
        bps: u32,
    },
    /// A price (limit, fee, loss price) above [`crate::MAX_PRICE`].
    #[error("price {price} of {what} is above the maximum {max}")]
    PriceTooLarge {
        /// where
        what: String,
        /// the value given
        price: u64,
        /// the maximum
        max: u64,
    },
    /// An order quantity above [`crate::MAX_WH`].
    #[error("order {id}: {wh} Wh is above the maximum {max}")]
    QuantityTooLarge {
        /// the order
        id: u64,
        /// the value given
        wh: u64,
        /// the maximum
        max: u64,
    },
    /// Two orders share an id.
    #[error("order {0} appears twice in the book")]
    DuplicateOrder(u64),
    /// An order names a zone the network does not define.
    #[error("order {id} is in unknown zone {zone}")]
    OrderUnknownZone {
        /// the order
        id: u64,
        /// the missing zone
        zone: u32,
    },
    /// `premium_only` is a gate on offers; a bid cannot carry it.
    #[error("order {0}: premium_only applies to offers, not bids")]
    PremiumOnlyBid(u64),
    /// A time window whose end is not after its start.
    #[error("order {id}: empty time window [{from}, {until})")]
    EmptyWindow {
        /// the order
        id: u64,
        /// window start (slot, unix seconds)
        from: u64,
        /// window end (exclusive)
        until: u64,
    },
    /// A trade (checked by [`crate::welfare_of`]) names an order the book does not hold.
    #[error("trade names order {0}, which is not in the book")]
    TradeUnknownOrder(u64),
    /// A trade's `bid` is not a bid or its `offer` is not an offer.
    #[error("trade of bid {bid} and offer {offer}: the sides do not match")]
    TradeSides {
        /// the trade's bid id
        bid: u64,
        /// the trade's offer id
        offer: u64,
    },
    /// A corridor flow names a corridor the network does not define.
    #[error("corridor flow on unknown corridor {0}")]
    FlowUnknownCorridor(u32),
    /// The LP solver failed (it should not on a valid book).
    #[error("LP solver failed: {0}")]
    Solver(String),
    /// A forecast feature row of the wrong width.
    #[error("feature row has {got} values, the model expects {expected}")]
    FeatureWidth {
        /// expected width
        expected: usize,
        /// width given
        got: usize,
    },
    /// Too little history to build forecast features.
    #[error("need {needed} history values (7 days of 15-min slots), got {got}")]
    ShortHistory {
        /// needed
        needed: usize,
        /// given
        got: usize,
    },
    /// A forecast day that does not start at midnight UTC.
    #[error("day start {0} is not midnight UTC")]
    NotMidnight(u64),
    /// ONNX Runtime could not be loaded or run.
    #[error("ONNX Runtime: {0}")]
    Onnx(String),
    /// Reading or writing a file.
    #[error("{path}: {source}")]
    Io {
        /// the file
        path: String,
        /// the cause
        source: std::io::Error,
    },
    /// Malformed JSON or CSV.
    #[error("{path}: {msg}")]
    Parse {
        /// the file
        path: String,
        /// what was wrong
        msg: String,
    },
    /// A number from the chain that does not fit the matcher's integer types.
    #[error("{what}: {value:?} from the chain is not an integer up to {max}")]
    ChainValue {
        /// which field of which object
        what: String,
        /// the value as the chain sent it
        value: String,
        /// the largest accepted value
        max: u64,
    },
    /// The screening record of a committed slot could not be written.
    #[error("could not publish the screening record {path}: {reason}")]
    Publish {
        /// the file
        path: String,
        /// the writer's message
        reason: String,
    },
    /// The agent was started without the order gateway it clears from.
    #[error("no order gateway: the matcher clears the gateway's frozen book of signed intents (give --gateway URL)")]
    NoGateway,
    /// A deployment file is missing or malformed, or lacks a contract the agent needs.
    #[error(transparent)]
    Deployment(#[from] chain_client::DeploymentError),
    /// The agent's key does not hold the settlement contract's matcher role.
    #[error("signer {signer} is not the settlement contract's matcher ({matcher})")]
    NotMatcher {
        /// the agent's address
        signer: String,
        /// the matcher role's address
        matcher: String,
    },
    /// The chain client failed (node down, transaction rejected, ...).
    #[error("chain: {0}")]
    Chain(#[from] chain_client::Error),

    /// A chain answer the chain view could not read.
    #[error("chain view: {0}")]
    ChainView(#[from] crate::agent_view::ViewError),

    /// The gateway could not be reached or its answer could not be read.
    #[error("gateway {url}: {reason}")]
    Gateway {
        /// the URL asked
        url: String,
        /// what went wrong
        reason: String,
    },

    /// The gateway answered with an HTTP error.
    #[error("gateway {url}: HTTP {status}: {body}")]
    GatewayStatus {
        /// the URL asked
        url: String,
        /// HTTP status
        status: u16,
        /// the answer's body (the gateway's JSON error)
        body: String,
    },

    /// The gateway served the frozen book of another slot.
    #[error("the gateway's frozen book is for slot {got}, not slot {slot}")]
    FrozenBookSlot {
        /// slot asked
        slot: u64,
        /// slot in the answer
        got: u64,
    },

    /// The contract kept refusing the commit after dropping what it named.
    #[error("slot {slot}: the commit was still refused after {attempts} attempts: {last}")]
    CommitRefused {
        /// the slot
        slot: u64,
        /// commits tried
        attempts: usize,
        /// the contract's last answer
        last: String,
    },
}

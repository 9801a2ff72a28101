use cosmwasm_std::StdError;
use thiserror::Error;

/// Why the reputation contract refused a message. The message changes nothing.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    /// A storage or serialization error from cosmwasm-std.
    #[error("{0}")]
    Std(#[from] StdError),

    /// Every error of the underlying cw721-base implementation, unchanged.
    #[error("{0}")]
    Cw721(#[from] cw721::error::Cw721ContractError),

    /// A transfer, send or approval: reputation tokens cannot change hands.
    #[error("reputation tokens are soulbound: {action} is not allowed")]
    Soulbound {
        /// The refused cw721 action.
        action: String,
    },

    /// The caller lacks the role (`aip_types::auth`, the same message in every contract).
    #[error(transparent)]
    Unauthorized(#[from] aip_types::auth::Unauthorized),

    /// The message needs a role (settlement, guardian, ...) that is not configured.
    #[error("no {role} is configured")]
    RoleNotSet {
        /// The missing role.
        role: String,
    },

    /// The account already has a token (one per account).
    #[error("{owner} already holds a reputation token")]
    AlreadyRegistered {
        /// The account.
        owner: String,
    },

    /// A cw721 `mint` whose token id is not the owner's address.
    #[error("the token id of {owner} is its address, not {token_id}")]
    TokenIdMismatch {
        /// The owner to mint for.
        owner: String,
        /// The token id given.
        token_id: String,
    },

    /// A cw721 `mint` with an extension: the metadata is computed, not set.
    #[error("reputation metadata is computed from the record and cannot be set at mint")]
    ExtensionNotAllowed {},

    /// A token URI longer than 512 bytes or containing whitespace.
    #[error("token_uri must be at most 512 bytes without whitespace")]
    InvalidTokenUri {},

    /// No token has this id.
    #[error("no reputation token {token_id}")]
    TokenNotFound {
        /// The token id.
        token_id: String,
    },

    /// Settlement reported the same trade twice.
    #[error("trade {trade_id}: outcome already recorded")]
    OutcomeAlreadyRecorded {
        /// The trade id (settlement's).
        trade_id: u64,
    },

    /// An outcome whose seller and buyer are the same account.
    #[error("trade {trade_id}: seller and buyer are the same account")]
    SelfTrade {
        /// The trade id (settlement's).
        trade_id: u64,
    },

    /// An outcome with 0 Wh contracted.
    #[error("trade {trade_id}: nothing was contracted")]
    EmptyTrade {
        /// The trade id (settlement's).
        trade_id: u64,
    },

    /// An outcome delivering more than was contracted.
    #[error("trade {trade_id}: delivered {delivered_wh} Wh exceeds contracted {contracted_wh} Wh")]
    DeliveredExceedsContracted {
        /// The trade id (settlement's).
        trade_id: u64,
        /// Energy delivered, Wh.
        delivered_wh: u128,
        /// Energy contracted, Wh.
        contracted_wh: u128,
    },

    /// A second ruling for the same trade.
    #[error("trade {trade_id}: ruling already recorded")]
    RulingAlreadyRecorded {
        /// The trade id (settlement's).
        trade_id: u64,
    },

    /// A split ruling giving the seller more than 10,000 bps.
    #[error("split ruling gives the seller {seller_bps} bps, more than 10000")]
    InvalidSplit {
        /// The seller's share, basis points.
        seller_bps: u32,
    },

    /// A rating outside 1..=5.
    #[error("rating must be 1..=5, got {rating}")]
    InvalidRating {
        /// The rating given.
        rating: u8,
    },

    /// A review of oneself.
    #[error("an account cannot review itself")]
    SelfReview {},

    /// A review of a trade whose outcome was never recorded.
    #[error("trade {trade_id} is unknown (no settled outcome recorded)")]
    UnknownTrade {
        /// The trade id (settlement's).
        trade_id: u64,
    },

    /// A review by someone who is not the trade's seller or buyer, or of someone who is not the other party.
    #[error("trade {trade_id}: {reviewer} and {counterparty} are not its seller and buyer")]
    NotAParty {
        /// The trade id (settlement's).
        trade_id: u64,
        /// The reviewer.
        reviewer: String,
        /// The account it reviewed.
        counterparty: String,
    },

    /// A second review of the same trade by the same party.
    #[error("trade {trade_id}: {reviewer} has already reviewed it")]
    AlreadyReviewed {
        /// The trade id (settlement's).
        trade_id: u64,
        /// The reviewer.
        reviewer: String,
    },

    /// A review after the review window closed.
    #[error("trade {trade_id}: the review window closed at {closed_at}")]
    ReviewWindowClosed {
        /// The trade id (settlement's).
        trade_id: u64,
        /// When the window closed, Unix seconds.
        closed_at: u64,
    },

    /// `flag` on an account already flagged.
    #[error("{account} is already flagged")]
    AlreadyFlagged {
        /// The account.
        account: String,
    },

    /// `unflag` on an account that is not flagged.
    #[error("{account} is not flagged")]
    NotFlagged {
        /// The account.
        account: String,
    },

    /// Tier terms out of range (thresholds out of order, ratio above 10,000 bps, ...).
    #[error("invalid tier terms: {reason}")]
    InvalidTerms {
        /// What is wrong.
        reason: String,
    },

    /// A batch query with more than 1000 accounts.
    #[error("at most {max} accounts per query, got {got}")]
    TooManyAccounts {
        /// Most accounts one query takes (1000).
        max: usize,
        /// Accounts asked for.
        got: usize,
    },

    /// A counter in the history would overflow.
    #[error("{what} overflows")]
    Overflow {
        /// The counter.
        what: String,
    },
    /// A migration refused by the shared guard (wrong contract, or a downgrade).
    #[error("{0}")]
    Migrate(#[from] aip_types::migrate::MigrateError),
}

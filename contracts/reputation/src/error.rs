use cosmwasm_std::StdError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    /// Every error of the underlying cw721-base implementation, unchanged.
    #[error("{0}")]
    Cw721(#[from] cw721::error::Cw721ContractError),

    #[error("reputation tokens are soulbound: {action} is not allowed")]
    Soulbound { action: String },

    /// The caller lacks the role (`aip_types::auth`, the same message in every contract).
    #[error(transparent)]
    Unauthorized(#[from] aip_types::auth::Unauthorized),

    #[error("no {role} is configured")]
    RoleNotSet { role: String },

    #[error("{owner} already holds a reputation token")]
    AlreadyRegistered { owner: String },

    #[error("the token id of {owner} is its address, not {token_id}")]
    TokenIdMismatch { owner: String, token_id: String },

    #[error("reputation metadata is computed from the record and cannot be set at mint")]
    ExtensionNotAllowed {},

    #[error("token_uri must be at most 512 bytes without whitespace")]
    InvalidTokenUri {},

    #[error("no reputation token {token_id}")]
    TokenNotFound { token_id: String },

    #[error("trade {trade_id}: outcome already recorded")]
    OutcomeAlreadyRecorded { trade_id: u64 },

    #[error("trade {trade_id}: seller and buyer are the same account")]
    SelfTrade { trade_id: u64 },

    #[error("trade {trade_id}: nothing was contracted")]
    EmptyTrade { trade_id: u64 },

    #[error("trade {trade_id}: delivered {delivered_wh} Wh exceeds contracted {contracted_wh} Wh")]
    DeliveredExceedsContracted {
        trade_id: u64,
        delivered_wh: u128,
        contracted_wh: u128,
    },

    #[error("trade {trade_id}: ruling already recorded")]
    RulingAlreadyRecorded { trade_id: u64 },

    #[error("split ruling gives the seller {seller_bps} bps, more than 10000")]
    InvalidSplit { seller_bps: u32 },

    #[error("rating must be 1..=5, got {rating}")]
    InvalidRating { rating: u8 },

    #[error("an account cannot review itself")]
    SelfReview {},

    #[error("trade {trade_id} is unknown (no settled outcome recorded)")]
    UnknownTrade { trade_id: u64 },

    #[error("trade {trade_id}: {reviewer} and {counterparty} are not its seller and buyer")]
    NotAParty {
        trade_id: u64,
        reviewer: String,
        counterparty: String,
    },

    #[error("trade {trade_id}: {reviewer} has already reviewed it")]
    AlreadyReviewed { trade_id: u64, reviewer: String },

    #[error("trade {trade_id}: the review window closed at {closed_at}")]
    ReviewWindowClosed { trade_id: u64, closed_at: u64 },

    #[error("{account} is already flagged")]
    AlreadyFlagged { account: String },

    #[error("{account} is not flagged")]
    NotFlagged { account: String },

    #[error("invalid tier terms: {reason}")]
    InvalidTerms { reason: String },

    #[error("at most {max} accounts per query, got {got}")]
    TooManyAccounts { max: usize, got: usize },

    #[error("{what} overflows")]
    Overflow { what: String },
    /// A migration refused by the shared guard (wrong contract, or a downgrade).
    #[error("{0}")]
    Migrate(#[from] aip_types::migrate::MigrateError),
}

//! Messages. `ExecuteMsg` and `QueryMsg` are flat enums holding
//!
//! * the cw721 messages (same JSON as cw721-base 0.22): transfers, sends and
//!   approvals are accepted by the parser and refused (soulbound); the others
//!   are delegated to cw721-base;
//! * the cross-contract hook variants of `aip_types::hooks::reputation`
//!   (`record_outcomes`, `record_ruling`, `mint_for`, `trading_terms`,
//!   `priority_scores`), with exactly the same JSON (a unit test holds them
//!   together);
//! * the reputation contract's own messages (reviews, flags, configuration).

// Response types appear only in `#[returns]`, which the wasm build does not expand.
#[allow(unused_imports)]
use aip_types::hooks::reputation::{
    PriorityScoresResponse, TradingTermsBatchResponse, TradingTermsResponse,
};
use aip_types::hooks::reputation::{Ruling, Tier, TradeOutcome};
use aip_types::TradeId;
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, Empty};
#[allow(unused_imports)]
use cw721::msg::{
    AllInfoResponse, AllNftInfoResponse, ApprovalResponse, ApprovalsResponse,
    CollectionInfoAndExtensionResponse, CollectionInfoMsg, ConfigResponse as Cw721ConfigResponse,
    NftInfoResponse, NumTokensResponse, OperatorResponse, OperatorsResponse, OwnerOfResponse,
    TokensResponse,
};
#[allow(unused_imports)]
use cw721::{
    EmptyOptionalCollectionExtension, EmptyOptionalCollectionExtensionMsg, Expiration, Ownership,
};

pub use aip_types::hooks::reputation::{AccountScore, ReputationExecuteHook, ReputationQueryHook};

/// The answer to `get_config`: cw721's `ConfigResponse` for this collection,
/// under a name of its own. The JSON is the inner value's (transparent, same
/// schema); only the name differs: generic names such as
/// `ConfigResponse_for_Nullable_Empty` are spelled differently by TypeScript
/// generators in the type and in the client, which then does not compile.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
#[serde(transparent)]
pub struct CollectionConfigResponse(pub Cw721ConfigResponse<EmptyOptionalCollectionExtension>);

/// The answer to `get_collection_info_and_extension`, named for the same reason.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
#[serde(transparent)]
pub struct CollectionInfoResponse(
    pub CollectionInfoAndExtensionResponse<EmptyOptionalCollectionExtension>,
);

/// The inner type's schema under the wrapper's own name.
macro_rules! named_schema {
    ($name:ident, $inner:ty) => {
        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_string()
            }
            fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
                <$inner as schemars::JsonSchema>::json_schema(gen)
            }
        }
    };
}
named_schema!(
    CollectionConfigResponse,
    Cw721ConfigResponse<EmptyOptionalCollectionExtension>
);
named_schema!(
    CollectionInfoResponse,
    CollectionInfoAndExtensionResponse<EmptyOptionalCollectionExtension>
);

/// Terms of one tier.
#[cw_serde]
#[derive(Copy, Eq)]
pub struct TermsEntry {
    /// Offer collateral, basis points of the offer's value at its min price (`<= 10_000`).
    pub collateral_ratio_bps: u32,
    /// May buy premium-only offers.
    pub premium_eligible: bool,
}

/// How scores map to tiers, and what each tier may do. Set by the admin.
#[cw_serde]
#[derive(Copy, Eq)]
pub struct TierTerms {
    /// Settled trades below which a registered account stays `newcomer`.
    pub min_trades: u32,
    /// Lowest score of `silver` (below it: `bronze`).
    pub silver_min_score: u16,
    /// Lowest score of `gold` (`> silver_min_score`, `<= 1000`).
    pub gold_min_score: u16,
    /// Terms of registered accounts with fewer than `min_trades` settled trades.
    pub newcomer: TermsEntry,
    /// Terms below `silver_min_score`.
    pub bronze: TermsEntry,
    /// Terms from `silver_min_score` up to `gold_min_score`.
    pub silver: TermsEntry,
    /// Terms from `gold_min_score`.
    pub gold: TermsEntry,
}

impl Default for TierTerms {
    fn default() -> Self {
        TierTerms {
            min_trades: 5,
            silver_min_score: 600,
            gold_min_score: 800,
            newcomer: TermsEntry {
                collateral_ratio_bps: 5_000,
                premium_eligible: false,
            },
            bronze: TermsEntry {
                collateral_ratio_bps: 5_000,
                premium_eligible: false,
            },
            silver: TermsEntry {
                collateral_ratio_bps: 3_000,
                premium_eligible: true,
            },
            gold: TermsEntry {
                collateral_ratio_bps: 1_500,
                premium_eligible: true,
            },
        }
    }
}

impl TierTerms {
    /// The terms of `tier`.
    pub fn for_tier(&self, tier: Tier) -> TermsEntry {
        match tier {
            Tier::Newcomer => self.newcomer,
            Tier::Bronze => self.bronze,
            Tier::Silver => self.silver,
            Tier::Gold => self.gold,
        }
    }
}

/// Default review window: 30 days.
pub const DEFAULT_REVIEW_WINDOW_SECS: u64 = 30 * 24 * 3600;

/// Creates the soulbound reputation collection with its roles and tier terms.
#[cw_serde]
pub struct InstantiateMsg {
    /// Collection name, e.g. "AIPCHAIN reputation".
    pub name: String,
    /// Collection symbol, e.g. "AIPREP".
    pub symbol: String,
    /// Admin; the instantiating sender when unset.
    pub admin: Option<String>,
    /// The settlement contract (may be set later with `update_config`).
    pub settlement: Option<String>,
    /// The zk-verifier contract; until set, the admin mints.
    pub zk_verifier: Option<String>,
    /// The guardian (anomaly detection's on-chain voice).
    pub guardian: Option<String>,
    /// Tier thresholds and terms; the defaults when unset.
    pub terms: Option<TierTerms>,
    /// Seconds after settlement during which the parties may review; 30 days when unset.
    pub review_window_secs: Option<u64>,
}

/// What the reputation contract executes: cw721 (soulbound), the hooks other
/// contracts call, and its own messages. A refused message changes nothing.
#[cw_serde]
pub enum ExecuteMsg {
    // ----- cw721, soulbound -----
    /// Refused: reputation tokens are soulbound.
    TransferNft {
        /// Ignored: refused.
        recipient: String,
        /// Ignored: refused.
        token_id: String,
    },
    /// Refused: reputation tokens are soulbound.
    SendNft {
        /// Ignored: refused.
        contract: String,
        /// Ignored: refused.
        token_id: String,
        /// Ignored: refused.
        msg: Binary,
    },
    /// Refused: reputation tokens are soulbound.
    Approve {
        /// Ignored: refused.
        spender: String,
        /// Ignored: refused.
        token_id: String,
        /// Ignored: refused.
        expires: Option<Expiration>,
    },
    /// Refused: reputation tokens are soulbound.
    Revoke {
        /// Ignored: refused.
        spender: String,
        /// Ignored: refused.
        token_id: String,
    },
    /// Refused: reputation tokens are soulbound.
    ApproveAll {
        /// Ignored: refused.
        operator: String,
        /// Ignored: refused.
        expires: Option<Expiration>,
    },
    /// Refused: reputation tokens are soulbound.
    RevokeAll {
        /// Ignored: refused.
        operator: String,
    },

    // ----- cw721, delegated under this contract's rules -----
    /// cw721 mint, under the `mint_for` rules; `token_id` must be the owner's
    /// address (the derived id) and `extension` empty (metadata is computed).
    /// `token_uri`: at most 512 bytes, no whitespace; empty means none.
    Mint {
        /// Must equal `owner`.
        token_id: String,
        /// The account to mint for (one token per account).
        owner: String,
        /// Optional URI, at most 512 bytes, no whitespace.
        token_uri: Option<String>,
        /// Must be null.
        extension: Option<Empty>,
    },
    /// Burn a token: its owner or the admin. The account's history stays, so
    /// burning and re-minting cannot wash a record.
    Burn {
        /// The token (its owner's address).
        token_id: String,
    },
    /// cw721: the creator (the admin) renames the collection (`name`,
    /// `symbol`; the collection has no extension: `extension` must be null).
    UpdateCollectionInfo {
        /// New `name` and `symbol`; `extension` must be null.
        collection_info: CollectionInfoMsg<EmptyOptionalCollectionExtensionMsg>,
    },

    // ----- hooks (aip_types::hooks::reputation::ReputationExecuteHook) -----
    /// From settlement only: outcomes of settled trades (each trade id once).
    RecordOutcomes {
        /// Settled trades: parties, contracted and delivered Wh.
        outcomes: Vec<TradeOutcome>,
    },
    /// From settlement only: the arbiter's ruling on a disputed trade (each trade id once).
    RecordRuling {
        /// The disputed trade.
        trade_id: TradeId,
        /// Its seller.
        seller: String,
        /// Its buyer.
        buyer: String,
        /// The ruling (pay seller, refund buyer, or split).
        ruling: Ruling,
    },
    /// From the zk-verifier (or the admin before one is set): mint `owner`'s
    /// soulbound token, id = `owner`.
    MintFor {
        /// The account that passed KYC.
        owner: String,
    },

    // ----- reputation -----
    /// A party of a recorded trade rates its counterparty, 1..=5, once per
    /// trade, within the review window. Weighted by the reviewer's score.
    Review {
        /// A trade whose outcome was recorded.
        trade_id: TradeId,
        /// The other party of the trade.
        counterparty: String,
        /// 1 (worst) to 5 (best).
        rating: u8,
    },
    /// Guardian only: flag an account. Its score is frozen and penalized, its
    /// reviews of others stop counting.
    Flag {
        /// The account to flag.
        account: String,
        /// Why (shown in `reputation`).
        reason: String,
    },
    /// Guardian only: lift a flag; everything it suspended counts again.
    Unflag {
        /// The flagged account.
        account: String,
    },
    /// Admin only: change roles. Unset fields stay as they are.
    UpdateConfig {
        /// New admin; `null` keeps it.
        admin: Option<String>,
        /// New settlement contract; `null` keeps it.
        settlement: Option<String>,
        /// New zk-verifier contract; `null` keeps it.
        zk_verifier: Option<String>,
        /// New guardian; `null` keeps it.
        guardian: Option<String>,
        /// New review window, seconds; `null` keeps it.
        review_window_secs: Option<u64>,
    },
    /// Admin only: replace the tier thresholds and terms.
    UpdateTerms {
        /// The new thresholds and per-tier terms (checked).
        terms: TierTerms,
    },
}

/// What the reputation contract answers: cw721 queries, the hooks, and reputation.
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    // ----- cw721 -----
    /// Owner of a token (approvals are always empty).
    #[returns(OwnerOfResponse)]
    OwnerOf {
        /// The token id (its owner's address).
        token_id: String,
        /// cw721 field; nothing here expires.
        include_expired: Option<bool>,
    },
    /// cw721: approvals are always empty (soulbound).
    #[returns(ApprovalResponse)]
    Approval {
        /// The token id (its owner's address).
        token_id: String,
        /// The spender asked about.
        spender: String,
        /// cw721 field; nothing here expires.
        include_expired: Option<bool>,
    },
    /// cw721: approvals are always empty (soulbound).
    #[returns(ApprovalsResponse)]
    Approvals {
        /// The token id (its owner's address).
        token_id: String,
        /// cw721 field; nothing here expires.
        include_expired: Option<bool>,
    },
    /// cw721: operators are always empty (soulbound).
    #[returns(OperatorResponse)]
    Operator {
        /// The token owner.
        owner: String,
        /// The operator asked about.
        operator: String,
        /// cw721 field; nothing here expires.
        include_expired: Option<bool>,
    },
    /// cw721: operators are always empty (soulbound).
    #[returns(OperatorsResponse)]
    AllOperators {
        /// The token owner.
        owner: String,
        /// cw721 field; nothing here expires.
        include_expired: Option<bool>,
        /// Page after this id (exclusive).
        start_after: Option<String>,
        /// Page size (cw721's defaults).
        limit: Option<u32>,
    },
    /// Tokens in existence.
    #[returns(NumTokensResponse)]
    NumTokens {},
    /// cw721's configuration (same JSON as cw721-base).
    #[returns(CollectionConfigResponse)]
    GetConfig {},
    /// cw721's collection info (same JSON as cw721-base).
    #[returns(CollectionInfoResponse)]
    GetCollectionInfoAndExtension {},
    /// cw721: collection info, config and token count in one answer.
    #[returns(AllInfoResponse)]
    GetAllInfo {},
    /// The cw721 minter: this contract itself (minting follows `mint_for`'s rules).
    #[returns(Ownership<Addr>)]
    GetMinterOwnership {},
    /// The cw721 creator (edits collection info): the admin.
    #[returns(Ownership<Addr>)]
    GetCreatorOwnership {},
    /// Token URI and the live reputation metadata as the extension.
    #[returns(NftInfoResponse<ReputationMetadata>)]
    NftInfo {
        /// The token id (its owner's address).
        token_id: String,
    },
    /// Owner and NFT info of a token (approvals always empty).
    #[returns(AllNftInfoResponse<ReputationMetadata>)]
    AllNftInfo {
        /// The token id (its owner's address).
        token_id: String,
        /// cw721 field; nothing here expires.
        include_expired: Option<bool>,
    },
    /// Tokens of an owner (at most one).
    #[returns(TokensResponse)]
    Tokens {
        /// The owner.
        owner: String,
        /// Page after this id (exclusive).
        start_after: Option<String>,
        /// Page size (cw721's defaults).
        limit: Option<u32>,
    },
    /// Every token, by id (the owners' addresses).
    #[returns(TokensResponse)]
    AllTokens {
        /// Page after this id (exclusive).
        start_after: Option<String>,
        /// Page size (cw721's defaults).
        limit: Option<u32>,
    },

    // ----- hooks (aip_types::hooks::reputation::ReputationQueryHook) -----
    /// Collateral ratio and premium eligibility of one account (Newcomer terms
    /// and `registered: false` for an account without a token).
    #[returns(TradingTermsResponse)]
    TradingTerms {
        /// The account (bech32).
        account: String,
    },
    /// Scores of many accounts (at most 1000) for the matcher's trust
    /// priority; accounts without a token score 0.
    #[returns(PriorityScoresResponse)]
    PriorityScores {
        /// Up to 1000 accounts.
        accounts: Vec<String>,
    },
    /// Trading terms of many accounts (at most 1000), in the order asked:
    /// settlement checks a whole batch of signed intents with one query.
    #[returns(TradingTermsBatchResponse)]
    TradingTermsBatch {
        /// Up to 1000 accounts.
        accounts: Vec<String>,
    },

    // ----- reputation -----
    /// Everything about one account: score, tier, components, raw history, flag.
    #[returns(ReputationResponse)]
    Reputation {
        /// The account (bech32).
        account: String,
    },
    /// Reviews from one reviewer to one reviewed account, and what counts of them.
    #[returns(PairReviewsResponse)]
    PairReviews {
        /// The reviewer.
        reviewer: String,
        /// The reviewed account.
        reviewed: String,
    },
    /// Roles and settings.
    #[returns(ContractConfigResponse)]
    Config {},
    /// Tier thresholds and terms.
    #[returns(TierTerms)]
    Terms {},
}

/// Checks the stored contract name and refuses downgrades.
#[cw_serde]
pub struct MigrateMsg {}

/// The five score components, per mille (0..=1000), newcomer priors blended in.
#[cw_serde]
#[derive(Copy, Eq, Default)]
pub struct ScoreComponents {
    /// Successful trades / trades.
    pub success_rate: u16,
    /// Delivered / contracted Wh as a seller.
    pub delivery_accuracy: u16,
    /// Weighted, pair-capped average peer rating, mapped 1..5 → 0..1000.
    pub peer_reviews: u16,
    /// Active delivery slots, saturating at 96.
    pub participation: u16,
    /// 1000 minus the lost-dispute rate penalty.
    pub dispute_record: u16,
}

/// The NFT extension: the account's live reputation.
#[cw_serde]
pub struct ReputationMetadata {
    /// Effective score 0..=1000 (after a flag's penalty).
    pub score: u16,
    /// Tier from the score and the settled trades (`TierTerms`).
    pub tier: Tier,
    /// The guardian flagged the account.
    pub flagged: bool,
    /// The five components the score is made of.
    pub components: ScoreComponents,
    /// Settled trades.
    pub trades: u64,
}

/// The raw recorded history of an account.
#[cw_serde]
#[derive(Default)]
pub struct History {
    /// Settled trades, as seller or buyer.
    pub trades: u64,
    /// Of those, sales delivered well (purchases never count as successes).
    pub successful_trades: u64,
    /// Trades as seller.
    pub trades_as_seller: u64,
    /// Energy contracted as seller, Wh.
    pub contracted_wh: u64,
    /// Energy delivered as seller, Wh (at most `contracted_wh`).
    pub delivered_wh: u64,
    /// Delivery slots with a trade.
    pub active_slots: u64,
    /// Start of the last such slot, Unix seconds.
    pub last_slot: u64,
    /// Rulings on disputed trades of the account (as seller or buyer).
    pub disputes: u64,
    /// Sum over rulings of the share the account lost, basis points (10,000 per
    /// dispute wholly lost).
    pub dispute_loss_bps: u64,
    /// Reviews received.
    pub reviews_received: u64,
    /// Σ weight of the reviews received, each (reviewer → this account) pair
    /// capped at one pair's weight (3000); flagged reviewers left out.
    pub counted_review_weight: u64,
    /// Σ weight × rating over the same pairs, scaled like the weight.
    pub counted_review_weighted_sum: u64,
    /// The weight the score uses: `counted_review_weight` after the ring cap
    /// (pairs this account reviewed back count together as at most one pair,
    /// `score::counted_reviews`).
    pub scored_review_weight: u64,
    /// Σ weight × rating the score uses, after the ring cap.
    pub scored_review_weighted_sum: u64,
}

/// Why and since when an account is flagged.
#[cw_serde]
pub struct FlagInfo {
    /// The guardian's reason.
    pub reason: String,
    /// When it was flagged, Unix seconds.
    pub since: u64,
    /// The score when flagged: the effective score is at most this, less the flag penalty.
    pub score_at_flag: u16,
}

/// Everything about one account.
#[cw_serde]
pub struct ReputationResponse {
    /// The account asked about.
    pub account: String,
    /// It holds a reputation token.
    pub registered: bool,
    /// The token id (the account address) when registered.
    pub token_id: Option<String>,
    /// Effective score (0 without a token).
    pub score: u16,
    /// Score from the history alone, ignoring registration and flags.
    pub base_score: u16,
    /// Tier from the effective score.
    pub tier: Tier,
    /// The score's components.
    pub components: ScoreComponents,
    /// The raw recorded history.
    pub history: History,
    /// The guardian's flag, if any.
    pub flag: Option<FlagInfo>,
}

/// Reviews from one reviewer to one reviewed account.
#[cw_serde]
pub struct PairReviewsResponse {
    /// The reviewer.
    pub reviewer: String,
    /// The reviewed account.
    pub reviewed: String,
    /// Reviews given.
    pub count: u32,
    /// Sum of their weights (the reviewer's score when reviewing).
    pub total_weight: u64,
    /// Sum of weight × rating.
    pub total_weighted_rating: u64,
    /// The capped weight that counts (0 while the reviewer is flagged).
    pub counted_weight: u64,
}

/// Roles and settings (`config` query).
#[cw_serde]
pub struct ContractConfigResponse {
    /// Changes roles and terms.
    pub admin: Addr,
    /// Settlement contract: records outcomes and rulings.
    pub settlement: Option<Addr>,
    /// zk-verifier contract: mints tokens after KYC.
    pub zk_verifier: Option<Addr>,
    /// The guardian: flags and unflags accounts.
    pub guardian: Option<Addr>,
    /// Seconds after a trade's settlement during which its parties may review.
    pub review_window_secs: u64,
}

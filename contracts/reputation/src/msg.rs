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
    pub newcomer: TermsEntry,
    pub bronze: TermsEntry,
    pub silver: TermsEntry,
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

#[cw_serde]
pub enum ExecuteMsg {
    // ----- cw721, soulbound -----
    /// Refused: reputation tokens are soulbound.
    TransferNft { recipient: String, token_id: String },
    /// Refused: reputation tokens are soulbound.
    SendNft {
        contract: String,
        token_id: String,
        msg: Binary,
    },
    /// Refused: reputation tokens are soulbound.
    Approve {
        spender: String,
        token_id: String,
        expires: Option<Expiration>,
    },
    /// Refused: reputation tokens are soulbound.
    Revoke { spender: String, token_id: String },
    /// Refused: reputation tokens are soulbound.
    ApproveAll {
        operator: String,
        expires: Option<Expiration>,
    },
    /// Refused: reputation tokens are soulbound.
    RevokeAll { operator: String },

    // ----- cw721, delegated under this contract's rules -----
    /// cw721 mint, under the `mint_for` rules; `token_id` must be the owner's
    /// address (the derived id) and `extension` empty (metadata is computed).
    /// `token_uri`: at most 512 bytes, no whitespace; empty means none.
    Mint {
        token_id: String,
        owner: String,
        token_uri: Option<String>,
        extension: Option<Empty>,
    },
    /// Burn a token: its owner or the admin. The account's history stays, so
    /// burning and re-minting cannot wash a record.
    Burn { token_id: String },
    /// cw721: the creator (the admin) renames the collection (`name`,
    /// `symbol`; the collection has no extension: `extension` must be null).
    UpdateCollectionInfo {
        collection_info: CollectionInfoMsg<EmptyOptionalCollectionExtensionMsg>,
    },

    // ----- hooks (aip_types::hooks::reputation::ReputationExecuteHook) -----
    /// From settlement only: outcomes of settled trades (each trade id once).
    RecordOutcomes { outcomes: Vec<TradeOutcome> },
    /// From settlement only: the arbiter's ruling on a disputed trade (each trade id once).
    RecordRuling {
        trade_id: TradeId,
        seller: String,
        buyer: String,
        ruling: Ruling,
    },
    /// From the zk-verifier (or the admin before one is set): mint `owner`'s
    /// soulbound token, id = `owner`.
    MintFor { owner: String },

    // ----- reputation -----
    /// A party of a recorded trade rates its counterparty, 1..=5, once per
    /// trade, within the review window. Weighted by the reviewer's score.
    Review {
        trade_id: TradeId,
        counterparty: String,
        rating: u8,
    },
    /// Guardian only: flag an account. Its score is frozen and penalized, its
    /// reviews of others stop counting.
    Flag { account: String, reason: String },
    /// Guardian only: lift a flag; everything it suspended counts again.
    Unflag { account: String },
    /// Admin only: change roles. Unset fields stay as they are.
    UpdateConfig {
        admin: Option<String>,
        settlement: Option<String>,
        zk_verifier: Option<String>,
        guardian: Option<String>,
        review_window_secs: Option<u64>,
    },
    /// Admin only: replace the tier thresholds and terms.
    UpdateTerms { terms: TierTerms },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    // ----- cw721 -----
    /// Owner of a token (approvals are always empty).
    #[returns(OwnerOfResponse)]
    OwnerOf {
        token_id: String,
        include_expired: Option<bool>,
    },
    #[returns(ApprovalResponse)]
    Approval {
        token_id: String,
        spender: String,
        include_expired: Option<bool>,
    },
    #[returns(ApprovalsResponse)]
    Approvals {
        token_id: String,
        include_expired: Option<bool>,
    },
    #[returns(OperatorResponse)]
    Operator {
        owner: String,
        operator: String,
        include_expired: Option<bool>,
    },
    #[returns(OperatorsResponse)]
    AllOperators {
        owner: String,
        include_expired: Option<bool>,
        start_after: Option<String>,
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
    NftInfo { token_id: String },
    #[returns(AllNftInfoResponse<ReputationMetadata>)]
    AllNftInfo {
        token_id: String,
        include_expired: Option<bool>,
    },
    /// Tokens of an owner (at most one).
    #[returns(TokensResponse)]
    Tokens {
        owner: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(TokensResponse)]
    AllTokens {
        start_after: Option<String>,
        limit: Option<u32>,
    },

    // ----- hooks (aip_types::hooks::reputation::ReputationQueryHook) -----
    /// Collateral ratio and premium eligibility of one account (Newcomer terms
    /// and `registered: false` for an account without a token).
    #[returns(TradingTermsResponse)]
    TradingTerms { account: String },
    /// Scores of many accounts (at most 1000) for the matcher's trust
    /// priority; accounts without a token score 0.
    #[returns(PriorityScoresResponse)]
    PriorityScores { accounts: Vec<String> },
    /// Trading terms of many accounts (at most 1000), in the order asked:
    /// settlement checks a whole batch of signed intents with one query.
    #[returns(TradingTermsBatchResponse)]
    TradingTermsBatch { accounts: Vec<String> },

    // ----- reputation -----
    /// Everything about one account: score, tier, components, raw history, flag.
    #[returns(ReputationResponse)]
    Reputation { account: String },
    /// Reviews from one reviewer to one reviewed account, and what counts of them.
    #[returns(PairReviewsResponse)]
    PairReviews { reviewer: String, reviewed: String },
    /// Roles and settings.
    #[returns(ContractConfigResponse)]
    Config {},
    /// Tier thresholds and terms.
    #[returns(TierTerms)]
    Terms {},
}

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
    pub tier: Tier,
    pub flagged: bool,
    pub components: ScoreComponents,
    /// Settled trades.
    pub trades: u64,
}

/// The raw recorded history of an account.
#[cw_serde]
#[derive(Default)]
pub struct History {
    pub trades: u64,
    pub successful_trades: u64,
    pub trades_as_seller: u64,
    pub contracted_wh: u64,
    pub delivered_wh: u64,
    pub active_slots: u64,
    pub last_slot: u64,
    pub disputes: u64,
    pub dispute_loss_bps: u64,
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

#[cw_serde]
pub struct FlagInfo {
    pub reason: String,
    pub since: u64,
    pub score_at_flag: u16,
}

#[cw_serde]
pub struct ReputationResponse {
    pub account: String,
    pub registered: bool,
    /// The token id (the account address) when registered.
    pub token_id: Option<String>,
    /// Effective score (0 without a token).
    pub score: u16,
    /// Score from the history alone, ignoring registration and flags.
    pub base_score: u16,
    pub tier: Tier,
    pub components: ScoreComponents,
    pub history: History,
    pub flag: Option<FlagInfo>,
}

#[cw_serde]
pub struct PairReviewsResponse {
    pub reviewer: String,
    pub reviewed: String,
    pub count: u32,
    pub total_weight: u64,
    pub total_weighted_rating: u64,
    /// The capped weight that counts (0 while the reviewer is flagged).
    pub counted_weight: u64,
}

/// Roles and settings (`config` query).
#[cw_serde]
pub struct ContractConfigResponse {
    pub admin: Addr,
    pub settlement: Option<Addr>,
    pub zk_verifier: Option<Addr>,
    pub guardian: Option<Addr>,
    pub review_window_secs: u64,
}

//! The reputation contract's interface to settlement, the zk-verifier and the matcher.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Uint128;

use crate::{SlotId, TradeId};

/// Reputation tier. Sets the offer collateral ratio and access to premium trades.
#[cw_serde]
#[derive(Copy, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// No token, or too little history to judge.
    Newcomer,
    /// Score below `silver_min_score` (with enough history).
    Bronze,
    /// Score from `silver_min_score` up to `gold_min_score`.
    Silver,
    /// Score from `gold_min_score`.
    Gold,
}

/// What happened to one settled trade, reported by settlement.
#[cw_serde]
pub struct TradeOutcome {
    /// Settlement's trade id.
    pub trade_id: TradeId,
    /// Delivery slot start, Unix seconds.
    pub slot: SlotId,
    /// Seller's address.
    pub seller: String,
    /// Buyer's address.
    pub buyer: String,
    /// Energy the trade contracted, Wh.
    pub contracted_wh: Uint128,
    /// Energy the seller's meter showed delivered for this trade, Wh (`<= contracted_wh`).
    pub delivered_wh: Uint128,
}

/// How the arbiter ruled a dispute.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum Ruling {
    /// The seller delivered: the frozen funds settle as metered.
    PaySeller,
    /// The seller is at fault: the buyer gets the trade's payment back.
    RefundBuyer,
    /// Split: the seller keeps `seller_bps` / 10000 of the payment.
    Split {
        /// The seller's share of the payment, basis points (at most 10,000).
        seller_bps: u32,
    },
}

/// Execute messages the reputation contract accepts from other contracts.
#[cw_serde]
pub enum ReputationExecuteHook {
    /// From settlement only: outcomes of settled trades.
    RecordOutcomes {
        /// Settled trades: parties, contracted and delivered Wh.
        outcomes: Vec<TradeOutcome>,
    },
    /// From settlement only: the arbiter's ruling on a disputed trade.
    RecordRuling {
        /// The disputed trade.
        trade_id: TradeId,
        /// Its seller.
        seller: String,
        /// Its buyer.
        buyer: String,
        /// The arbiter's (or the default) ruling.
        ruling: Ruling,
    },
    /// From the zk-verifier only (or the admin before one is set): mint the
    /// soulbound token for a newly verified participant.
    MintFor {
        /// The verified account.
        owner: String,
    },
}

/// Queries the reputation contract answers for settlement and the matcher.
#[cw_serde]
#[derive(QueryResponses)]
pub enum ReputationQueryHook {
    /// Collateral ratio and premium eligibility of one account.
    #[returns(TradingTermsResponse)]
    TradingTerms {
        /// The account (bech32).
        account: String,
    },
    /// Priority scores of many accounts at once (the matcher's trust priority).
    #[returns(PriorityScoresResponse)]
    PriorityScores {
        /// Up to 1000 accounts.
        accounts: Vec<String>,
    },
    /// Trading terms of many accounts at once (at most 1000), in the order
    /// asked: settlement checks every account of a batch of signed intents
    /// with one query.
    #[returns(TradingTermsBatchResponse)]
    TradingTermsBatch {
        /// Up to 1000 accounts.
        accounts: Vec<String>,
    },
}

/// An account's trading terms.
#[cw_serde]
pub struct TradingTermsResponse {
    /// The account asked about.
    pub account: String,
    /// True when the account holds a reputation token (passed KYC).
    pub registered: bool,
    /// Score 0..=1000.
    pub score: u16,
    /// Tier from the score and history.
    pub tier: Tier,
    /// Offer collateral, basis points of the offer's value at its min price.
    pub collateral_ratio_bps: u32,
    /// May buy premium-only offers.
    pub premium_eligible: bool,
    /// Flagged by the guardian.
    pub flagged: bool,
}

/// The answer to [`ReputationQueryHook::TradingTermsBatch`].
#[cw_serde]
pub struct TradingTermsBatchResponse {
    /// One entry per account asked, in the same order.
    pub terms: Vec<TradingTermsResponse>,
}

/// An account's priority score.
#[cw_serde]
pub struct AccountScore {
    /// The account.
    pub account: String,
    /// Score 0..=1000 (0 without a token).
    pub score: u16,
    /// Its tier.
    pub tier: Tier,
}

/// The answer to [`ReputationQueryHook::PriorityScores`].
#[cw_serde]
pub struct PriorityScoresResponse {
    /// One entry per account asked, in the same order.
    pub scores: Vec<AccountScore>,
}

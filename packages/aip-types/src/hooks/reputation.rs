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
    Bronze,
    Silver,
    Gold,
}

/// What happened to one settled trade, reported by settlement.
#[cw_serde]
pub struct TradeOutcome {
    pub trade_id: TradeId,
    pub slot: SlotId,
    pub seller: String,
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
    Split { seller_bps: u32 },
}

/// Execute messages the reputation contract accepts from other contracts.
#[cw_serde]
pub enum ReputationExecuteHook {
    /// From settlement only: outcomes of settled trades.
    RecordOutcomes { outcomes: Vec<TradeOutcome> },
    /// From settlement only: the arbiter's ruling on a disputed trade.
    RecordRuling {
        trade_id: TradeId,
        seller: String,
        buyer: String,
        ruling: Ruling,
    },
    /// From the zk-verifier only (or the admin before one is set): mint the
    /// soulbound token for a newly verified participant.
    MintFor { owner: String },
}

/// Queries the reputation contract answers for settlement and the matcher.
#[cw_serde]
#[derive(QueryResponses)]
pub enum ReputationQueryHook {
    /// Collateral ratio and premium eligibility of one account.
    #[returns(TradingTermsResponse)]
    TradingTerms { account: String },
    /// Priority scores of many accounts at once (the matcher's trust priority).
    #[returns(PriorityScoresResponse)]
    PriorityScores { accounts: Vec<String> },
    /// Trading terms of many accounts at once (at most 1000), in the order
    /// asked: settlement checks every account of a batch of signed intents
    /// with one query.
    #[returns(TradingTermsBatchResponse)]
    TradingTermsBatch { accounts: Vec<String> },
}

#[cw_serde]
pub struct TradingTermsResponse {
    pub account: String,
    /// True when the account holds a reputation token (passed KYC).
    pub registered: bool,
    /// Score 0..=1000.
    pub score: u16,
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

#[cw_serde]
pub struct AccountScore {
    pub account: String,
    pub score: u16,
    pub tier: Tier,
}

#[cw_serde]
pub struct PriorityScoresResponse {
    pub scores: Vec<AccountScore>,
}

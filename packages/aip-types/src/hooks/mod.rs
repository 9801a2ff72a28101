//! Messages one contract sends another.
//!
//! The receiving contract includes these variants in its own `ExecuteMsg` /
//! `QueryMsg` with the same names and fields (the JSON must be identical); the
//! sending contract serializes these types. Multitests wire both sides, so a
//! mismatch fails a test.

pub mod kyc;
pub mod meter;
pub mod reputation;

pub use kyc::{AccountEligibility, EligibilitiesResponse, Eligibility, KycQueryHook};
pub use meter::{DeliveriesResponse, MeterDelivery, MeterQueryHook, MeterStatus};
pub use reputation::{
    AccountScore, PriorityScoresResponse, ReputationExecuteHook, ReputationQueryHook, Ruling, Tier,
    TradeOutcome, TradingTermsBatchResponse, TradingTermsResponse,
};

//! The zk-verifier's interface to settlement: the KYC/AML eligibility of every
//! account of a batch in one smart query (each extra query costs a contract
//! instance).
//!
//! Settlement sends `{"eligibilities":{"accounts":["wasm1…","wasm1…"]}}` to the
//! zk-verifier and gets one answer per account, in the order given:
//! `{"eligibilities":[{"account":"wasm1…","eligible":true,"premium_eligible":false,"reason":"eligible"}]}`.
//! It refuses new intents from accounts whose `eligible` is false and premium
//! trades from accounts whose `premium_eligible` is false; existing trades
//! settle.

use cosmwasm_schema::{cw_serde, QueryResponses};

/// Most accounts one `eligibilities` query may name (two per trade of a
/// 500-trade batch). A longer list is refused with an error naming the limit.
pub const MAX_ELIGIBILITY_ACCOUNTS: usize = 1_000;

/// Queries the zk-verifier answers for settlement.
#[cw_serde]
#[derive(QueryResponses)]
pub enum KycQueryHook {
    /// The standing of each account (bech32 addresses, at most
    /// [`MAX_ELIGIBILITY_ACCOUNTS`]), in the order given; a repeated account is
    /// answered each time. An invalid address fails the whole query, naming it.
    #[returns(EligibilitiesResponse)]
    Eligibilities {
        /// Accounts to check, at most 1000.
        accounts: Vec<String>,
    },
}

/// An account's standing.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum Eligibility {
    /// Never registered.
    Unregistered,
    /// Registered, credential valid, proved against lists still accepted.
    Eligible,
    /// `valid_until` has passed: the account must prove again with a renewed credential.
    Expired,
    /// The sanctions or revocation root it proved against was replaced more than
    /// the grace period ago: the account must prove against the current lists. A
    /// revoked or newly sanctioned identity cannot, so this is how revocation and
    /// sanctions reach registered accounts (without saying which identity is
    /// whose).
    NeedsReproof,
}

impl std::fmt::Display for Eligibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Eligibility::Unregistered => "unregistered",
            Eligibility::Eligible => "eligible",
            Eligibility::Expired => "expired",
            Eligibility::NeedsReproof => "needs_reproof",
        })
    }
}

/// One account's answer.
#[cw_serde]
pub struct AccountEligibility {
    /// The address as asked.
    pub account: String,
    /// May place new intents (`reason` is `eligible`).
    pub eligible: bool,
    /// May trade premium: eligible, and proved at most the verifier's
    /// `premium_max_age_days` ago.
    pub premium_eligible: bool,
    /// The standing behind `eligible`: `eligible`, or why not (`unregistered`,
    /// `expired`, `needs_reproof`).
    pub reason: Eligibility,
}

/// The answer to the kyc verifier's `eligibilities` query.
#[cw_serde]
pub struct EligibilitiesResponse {
    /// One entry per account asked, in the same order.
    pub eligibilities: Vec<AccountEligibility>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{from_json, to_json_string};

    #[test]
    fn wire_format_is_the_documented_one() {
        let q = KycQueryHook::Eligibilities {
            accounts: vec!["a".into(), "b".into()],
        };
        assert_eq!(
            to_json_string(&q).unwrap(),
            r#"{"eligibilities":{"accounts":["a","b"]}}"#
        );
        let r: EligibilitiesResponse = from_json(
            r#"{"eligibilities":[{"account":"a","eligible":false,"premium_eligible":false,"reason":"needs_reproof"}]}"#,
        )
        .unwrap();
        assert_eq!(r.eligibilities[0].reason, Eligibility::NeedsReproof);
        assert_eq!(r.eligibilities[0].reason.to_string(), "needs_reproof");
        assert_eq!(
            to_json_string(&Eligibility::Unregistered).unwrap(),
            r#""unregistered""#
        );
    }
}

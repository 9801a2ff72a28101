//! The eligibility rule, as a pure function: the `eligibility` and `stats`
//! queries both call it (and settlement reads its answer).

use crate::msg::{Eligibility, EligibilityResponse};
use crate::state::Account;

const DAY: u64 = 86_400;

/// What the rule needs besides the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Block time, unix seconds.
    pub now: u64,
    /// The current lists generation.
    pub lists_generation: u32,
    /// Seconds an account proved against replaced lists stays eligible.
    pub grace_period: u64,
    /// Largest age of the proof behind a premium trade, days.
    pub premium_max_age_days: u32,
}

/// An account's standing at `policy.now`. `replaced_at` is when the lists
/// generation after the account's started (None if the account's is current).
///
/// - no record: `unregistered`;
/// - `valid_until <= now`: `expired`;
/// - its lists were replaced at `t` and `now >= t + grace_period`: `needs_reproof`;
/// - otherwise `eligible`, and `premium` while `now < proved_at + premium_max_age_days`.
pub fn eligibility(
    account: Option<&Account>,
    replaced_at: Option<u64>,
    policy: &Policy,
) -> EligibilityResponse {
    let Some(acc) = account else {
        return EligibilityResponse {
            status: Eligibility::Unregistered,
            eligible: false,
            premium: false,
            proved_at: None,
            valid_until: None,
            reproof_by: None,
            premium_until: None,
        };
    };
    let reproof_by = if acc.lists_generation < policy.lists_generation {
        replaced_at.map(|t| t.saturating_add(policy.grace_period))
    } else {
        None
    };
    let status = if acc.valid_until <= policy.now {
        Eligibility::Expired
    } else if reproof_by.is_some_and(|t| policy.now >= t) {
        Eligibility::NeedsReproof
    } else {
        Eligibility::Eligible
    };
    let eligible = status == Eligibility::Eligible;
    let premium_until = acc
        .proved_at
        .saturating_add(u64::from(policy.premium_max_age_days) * DAY)
        .min(acc.valid_until)
        .min(reproof_by.unwrap_or(u64::MAX));
    EligibilityResponse {
        status,
        eligible,
        premium: eligible && policy.now < premium_until,
        proved_at: Some(acc.proved_at),
        valid_until: Some(acc.valid_until),
        reproof_by,
        premium_until: Some(premium_until),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        now: 1_000_000,
        lists_generation: 3,
        grace_period: 3_600,
        premium_max_age_days: 7,
    };

    fn acc(valid_until: u64, proved_at: u64, gen: u32) -> Account {
        Account {
            valid_until,
            proved_at,
            lists_generation: gen,
        }
    }

    #[test]
    fn unregistered_accounts_are_not_eligible() {
        let e = eligibility(None, None, &POLICY);
        assert_eq!(e.status, Eligibility::Unregistered);
        assert!(!e.eligible && !e.premium);
    }

    #[test]
    fn expiry_ends_eligibility_at_valid_until() {
        let a = acc(POLICY.now + 1, POLICY.now - 10, 3);
        assert_eq!(
            eligibility(Some(&a), None, &POLICY).status,
            Eligibility::Eligible
        );
        let a = acc(POLICY.now, POLICY.now - 10, 3);
        let e = eligibility(Some(&a), None, &POLICY);
        assert_eq!(e.status, Eligibility::Expired);
        assert!(!e.eligible && !e.premium);
    }

    #[test]
    fn replaced_lists_leave_a_grace_period_then_need_a_new_proof() {
        let a = acc(POLICY.now + DAY, POLICY.now - 100, 2);
        // generation 3 started 10 s ago: still in grace, due at +3,590
        let e = eligibility(Some(&a), Some(POLICY.now - 10), &POLICY);
        assert_eq!(e.status, Eligibility::Eligible);
        assert_eq!(e.reproof_by, Some(POLICY.now - 10 + 3_600));
        assert_eq!(e.premium_until, Some(POLICY.now - 10 + 3_600));
        // started exactly one grace period ago: needs a new proof
        let e = eligibility(Some(&a), Some(POLICY.now - 3_600), &POLICY);
        assert_eq!(e.status, Eligibility::NeedsReproof);
        assert!(!e.eligible && !e.premium);
        // expiry wins when both apply
        let b = acc(POLICY.now, POLICY.now - 100, 2);
        let e = eligibility(Some(&b), Some(POLICY.now - 3_600), &POLICY);
        assert_eq!(e.status, Eligibility::Expired);
    }

    #[test]
    fn premium_needs_a_proof_younger_than_the_limit() {
        let fresh = acc(POLICY.now + 30 * DAY, POLICY.now - 7 * DAY + 1, 3);
        let e = eligibility(Some(&fresh), None, &POLICY);
        assert!(e.eligible && e.premium);
        assert_eq!(e.premium_until, Some(POLICY.now + 1));
        let old = acc(POLICY.now + 30 * DAY, POLICY.now - 7 * DAY, 3);
        let e = eligibility(Some(&old), None, &POLICY);
        assert!(e.eligible && !e.premium);
    }
}

//! The score: a deterministic integer formula over an account's recorded
//! history. Pure functions only, so the contract, the tests and any off-chain
//! reader compute the same number. The formula is documented, with a worked
//! example, in the contract's README.
//!
//! Every component is a per-mille value (`0..=1000`) blended with a prior, so
//! a newcomer starts from sensible defaults and a handful of events cannot
//! swing the score to an extreme:
//!
//! | component | value | prior |
//! | --- | --- | --- |
//! | success rate `S` | `(1000*ok + K_T*500) / (sold + K_T)`, seller trades only | 500 over `K_T = 10` trades |
//! | delivery accuracy `A` | `(1000*delivered + K_WH*500) / (contracted + K_WH)` | 500 over `K_WH = 10_000` Wh |
//! | peer reviews `R` | `1000*(num - den) / (4*den)`, `num = Σw·rating + K_R*3`, `den = Σw + K_R` | rating 3 over `K_R = 3_000` weight |
//! | participation `P` | `1000 * min(active_slots, 96) / 96` | 0 |
//! | dispute record `D` | `1000 - min(1000, lost_bps / (trades + K_T))` | 1000 |
//!
//! `W` and `W·rating` sum each reviewer's pair capped at [`PAIR_WEIGHT_CAP`];
//! the pairs the account reviewed back (a ring's) count together as at most
//! one pair ([`counted_reviews`]).
//!
//! `score = (250*S + 300*A + 150*R + 100*P + 200*D) / 1000`, all divisions
//! rounding down, so `0 <= score <= 1000`. `S` and `A` (what protects a
//! buyer) come from selling only: buying cannot raise them. A tier above
//! newcomer needs `min_trades` sales *and* `min_trades` kWh sold
//! ([`EXPERIENCE_WH_PER_TRADE`]), so tiny sales do not buy a tier. A flagged account's effective score
//! is `min(score, score_at_flag) * (10_000 - FLAG_PENALTY_BPS) / 10_000`.

use aip_types::hooks::reputation::Tier;

use crate::msg::{ScoreComponents, TierTerms};
use crate::state::Stats;

/// Upper bound of every component and of the score.
pub const MAX_SCORE: u16 = 1000;

/// Pseudo-trades of the success-rate and dispute priors.
pub const K_TRADES: u128 = 10;
/// Prior success rate, per mille.
pub const PRIOR_SUCCESS: u128 = 500;
/// Pseudo-Wh of the delivery-accuracy prior.
pub const K_WH: u128 = 10_000;
/// Prior delivery accuracy, per mille.
pub const PRIOR_ACCURACY: u128 = 500;
/// Pseudo-weight of the review prior (three reviews from a top-score reviewer).
pub const K_REVIEW_WEIGHT: u128 = 3_000;
/// Prior rating (1..=5).
pub const PRIOR_RATING: u128 = 3;
/// Active delivery slots at which the participation component saturates (one day of slots).
pub const PARTICIPATION_TARGET_SLOTS: u64 = 96;

/// Weights of `S`, `A`, `R`, `P`, `D`; they sum to 1000.
pub const W_SUCCESS: u128 = 250;
/// Weight of `A` (delivery accuracy), per mille.
pub const W_ACCURACY: u128 = 300;
/// Weight of `R` (peer reviews), per mille.
pub const W_REVIEWS: u128 = 150;
/// Weight of `P` (participation), per mille.
pub const W_PARTICIPATION: u128 = 100;
/// Weight of `D` (dispute record), per mille.
pub const W_DISPUTES: u128 = 200;

/// Wh sold per required trade before an account leaves the newcomer tier: a
/// tier is earned by volume, not by a count of tiny sales.
pub const EXPERIENCE_WH_PER_TRADE: u64 = 1_000;

/// A seller's trade counts as successful when it delivered at least this share
/// of the contracted energy, in basis points.
pub const SUCCESS_THRESHOLD_BPS: u128 = 9_500;
/// Share of the score a flagged account loses, in basis points.
pub const FLAG_PENALTY_BPS: u128 = 5_000;
/// A pair's (reviewer → reviewed) counted review weight is capped at this.
pub const PAIR_WEIGHT_CAP: u64 = 3_000;
/// All reciprocated pairs of an account together count at most this weight
/// (one pair's cap): see [`counted_reviews`].
pub const RING_WEIGHT_CAP: u64 = PAIR_WEIGHT_CAP;

/// The five components, per mille.
pub fn components(s: &Stats) -> ScoreComponents {
    let trades = s.trades as u128;
    let sold = s.sold as u128;
    let ok = (s.successful as u128).min(sold);
    let success = (1000 * ok + K_TRADES * PRIOR_SUCCESS) / (sold + K_TRADES);

    let contracted = s.contracted_wh as u128;
    let delivered = (s.delivered_wh as u128).min(contracted);
    let accuracy = (1000 * delivered + K_WH * PRIOR_ACCURACY) / (contracted + K_WH);

    let (w, wr) = counted_reviews(
        s.review_weight,
        s.review_weighted_sum,
        s.mutual_review_weight,
        s.mutual_review_weighted_sum,
    );
    let (w, wr) = (w as u128, wr as u128);
    let wr = wr.clamp(w, 5 * w);
    let num = wr + K_REVIEW_WEIGHT * PRIOR_RATING;
    let den = w + K_REVIEW_WEIGHT;
    let reviews = 1000 * (num - den) / (4 * den);

    let participation = 1000 * (s.active_slots.min(PARTICIPATION_TARGET_SLOTS) as u128)
        / PARTICIPATION_TARGET_SLOTS as u128;

    let disputes = 1000 - (s.dispute_loss_bps as u128 / (trades + K_TRADES)).min(1000);

    ScoreComponents {
        success_rate: success.min(1000) as u16,
        delivery_accuracy: accuracy.min(1000) as u16,
        peer_reviews: reviews.min(1000) as u16,
        participation: participation as u16,
        dispute_record: disputes as u16,
    }
}

/// The weighted sum of the components, `0..=1000`.
pub fn combine(c: &ScoreComponents) -> u16 {
    let total = W_SUCCESS * c.success_rate as u128
        + W_ACCURACY * c.delivery_accuracy as u128
        + W_REVIEWS * c.peer_reviews as u128
        + W_PARTICIPATION * c.participation as u128
        + W_DISPUTES * c.dispute_record as u128;
    (total / 1000).min(MAX_SCORE as u128) as u16
}

/// The unflagged score of a history.
pub fn base_score(s: &Stats) -> u16 {
    combine(&components(s))
}

/// The score after a guardian flag: frozen at its value when flagged (it cannot
/// rise while flagged) and reduced by [`FLAG_PENALTY_BPS`].
pub fn flagged_score(base: u16, score_at_flag: u16) -> u16 {
    let frozen = base.min(score_at_flag) as u128;
    (frozen * (10_000 - FLAG_PENALTY_BPS) / 10_000) as u16
}

/// The tier of a registered account with `sold` settled sales of
/// `sold_wh` Wh in all, and effective `score`. Buying does not count: the
/// tier sets the collateral a seller locks for its buyers.
pub fn tier(terms: &TierTerms, sold: u64, sold_wh: u64, score: u16) -> Tier {
    let needed = terms.min_trades as u64;
    if sold < needed || sold_wh < needed.saturating_mul(EXPERIENCE_WH_PER_TRADE) {
        Tier::Newcomer
    } else if score >= terms.gold_min_score {
        Tier::Gold
    } else if score >= terms.silver_min_score {
        Tier::Silver
    } else {
        Tier::Bronze
    }
}

/// Counted contribution `(weight, weight * rating)` of one reviewer → reviewed
/// pair with all-time sums `sum_w` and `sum_wr`: the pair's weighted average
/// rating at a weight of at most [`PAIR_WEIGHT_CAP`].
pub fn pair_contribution(sum_w: u64, sum_wr: u64) -> (u64, u64) {
    if sum_w == 0 {
        return (0, 0);
    }
    let w = sum_w.min(PAIR_WEIGHT_CAP);
    let wr = (sum_wr as u128 * w as u128 / sum_w as u128) as u64;
    (w, wr)
}

/// The review weight and Σ weight × rating that count towards `R`, from an
/// account's pair-capped sums (`total_w`, `total_wr`, every unflagged
/// reviewer) and the part of them from reciprocated pairs (`mutual_w`,
/// `mutual_wr`: reviewers the account has reviewed too).
///
/// A review ring is a group whose members review each other: every pair in
/// it is reciprocated. Each pair is capped ([`pair_contribution`]), but `k`
/// members would still add `k` capped pairs. So the reciprocated pairs count
/// *together* as at most one pair: their weight is capped at
/// [`RING_WEIGHT_CAP`], their weighted average rating kept (`mutual_wr` scaled
/// by `cap / mutual_w`, rounded down). Pairs the account has not reviewed
/// back count in full, as before.
///
/// Worked example (ratings 5, every pair at its cap of 3,000): in a
/// 4-account ring each member has three reciprocated pairs, `W = 9,000`,
/// `WR = 45,000`, which made `R = 1000·(45,000 + 9,000 − 12,000) / (4·12,000)
/// = 875`; counted now as `W = 3,000`, `WR = 15,000`, `R = 1000·(15,000 +
/// 9,000 − 6,000) / (4·6,000) = 750`, what one pair gives, and the same for
/// a 3-account ring (two reciprocated pairs: 833 before). A seller reviewed by
/// three buyers it did not review back keeps `R = 875`. The price: reviews
/// between two accounts that review each other count as one pair however
/// many such partners an account has.
pub fn counted_reviews(total_w: u64, total_wr: u64, mutual_w: u64, mutual_wr: u64) -> (u64, u64) {
    let mutual_w = mutual_w.min(total_w);
    let mutual_wr = mutual_wr.min(total_wr);
    let (open_w, open_wr) = (total_w - mutual_w, total_wr - mutual_wr);
    if mutual_w <= RING_WEIGHT_CAP {
        return (total_w, total_wr);
    }
    let capped_wr = (mutual_wr as u128 * RING_WEIGHT_CAP as u128 / mutual_w as u128) as u64;
    (open_w + RING_WEIGHT_CAP, open_wr + capped_wr)
}

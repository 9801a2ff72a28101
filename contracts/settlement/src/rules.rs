//! The settlement rules that are pure functions of their inputs, unit-tested
//! here without a chain; the handlers in [`crate::execute`] call them.

use aip_types::hooks::{MeterDelivery, MeterStatus, Ruling, TradingTermsResponse};
use aip_types::{MeterId, NodeId, Price, SlotId, ZoneId};

use crate::state::Fill;
use crate::{ContractError, Rule};

/// The collateral rules (M1: valued at `max(min_price, floor)`) live in
/// aip-types, next to the escrow rule, so agents compute the same amounts.
pub use aip_types::{collateral_price, offer_collateral};

/// Checks the meter an intent names against its registry entry (`None`: not
/// registered): it must be `owner`'s, and active. Returns its grid node.
pub fn check_meter(
    owner: &str,
    meter: MeterId,
    entry: Option<&MeterDelivery>,
) -> Result<NodeId, ContractError> {
    let e = entry.ok_or(ContractError::MeterNotRegistered { meter })?;
    if e.owner != owner {
        return Err(ContractError::NotMeterOwner {
            meter,
            owner: e.owner.clone(),
        });
    }
    if e.status != MeterStatus::Active {
        return Err(ContractError::MeterNotActive {
            meter,
            status: e.status.to_string(),
        });
    }
    Ok(e.node)
}

/// An intent's zone: the zone the grid operator placed its meter's node in
/// (`node_zone`). Intents carry no zone of their own, so a seller cannot
/// declare the buyer's zone to skip a corridor (H3).
pub fn meter_zone(
    meter: MeterId,
    node: NodeId,
    node_zone: Option<ZoneId>,
) -> Result<ZoneId, ContractError> {
    node_zone.ok_or(ContractError::NodeWithoutZone { meter, node })
}

/// The slot-window rule of an intent: its window `[from, until)` contains the
/// slot's start.
pub fn check_slot_window(slot: SlotId, from: u64, until: u64) -> Result<(), ContractError> {
    if from <= slot.start() && slot.start() < until {
        Ok(())
    } else {
        Err(ContractError::SlotNotCovered { slot, from, until })
    }
}

/// What the record of an (owner, nonce) allows an intent with this `hash`:
/// nothing once cancelled, nothing if another intent already filled under the
/// nonce; otherwise the Wh filled before (0 without a record).
pub fn check_fill(
    owner: &str,
    nonce: u64,
    hash: &[u8; 32],
    fill: Option<&Fill>,
) -> Result<u64, ContractError> {
    let Some(f) = fill else { return Ok(0) };
    if f.cancelled {
        return Err(ContractError::IntentCancelled {
            owner: owner.to_string(),
            nonce,
        });
    }
    if f.hash != hash[..8] {
        return Err(ContractError::NonceReused {
            owner: owner.to_string(),
            nonce,
        });
    }
    Ok(f.filled)
}

/// The reputation side of eligibility: an account trades only with a
/// reputation token and while not flagged.
pub fn check_terms(account: &str, terms: &TradingTermsResponse) -> Result<(), ContractError> {
    let reason = if !terms.registered {
        "no reputation token (KYC not done)"
    } else if terms.flagged {
        "flagged by the guardian"
    } else {
        return Ok(());
    };
    Err(ContractError::NotEligible {
        account: account.to_string(),
        reason: reason.to_string(),
    })
}

/// Whether an intent filled while committing `slot` at time `now` needs a
/// fill record: only if another slot of its window `[from, until)` can still
/// be committed. A slot commits once, and only before its start; so when the
/// committed slot is the last one the window covers, and every earlier slot
/// of the window has started (or there is none), the intent can never fill
/// again and its record would only cost gas. Without a record, a later
/// commit of the same intent is refused by the slot-window rule (later
/// slots) or the one-commit-per-slot rule (this slot).
pub fn fill_needs_record(slot: SlotId, from: u64, until: u64, now: u64) -> bool {
    let later_slot_open = slot.end() < until;
    let previous = slot.start().saturating_sub(aip_types::SLOT_SECONDS);
    let earlier_slot_open =
        slot.start() >= aip_types::SLOT_SECONDS && from <= previous && now < previous;
    later_slot_open || earlier_slot_open
}

/// The limit-price rule of a trade: the price is at least the seller's
/// limit and at most the buyer's. The matcher and the simulation call the
/// same function before they commit.
pub fn check_limits(price: Price, bid_max: Price, offer_min: Price) -> Result<(), Rule> {
    if price < offer_min {
        return Err(Rule::BelowOfferMin {
            price,
            min_price: offer_min,
        });
    }
    if price > bid_max {
        return Err(Rule::AboveBidMax {
            price,
            max_price: bid_max,
        });
    }
    Ok(())
}

/// The congestion-fee rule of a trade: the price plus the route's fee per
/// kWh stays within the buyer's limit (the buyer pays both).
pub fn check_fee(price: Price, fee: Price, bid_max: Price) -> Result<(), Rule> {
    if price.checked_add(fee).map_or(true, |p| p > bid_max) {
        return Err(Rule::FeeAboveBidMax {
            price,
            fee,
            max_price: bid_max,
        });
    }
    Ok(())
}

/// Where `FetchDeliveries` resumes after scanning `scanned` meters of at most
/// `limit`, the last being `last`: after `last` while the scan filled its
/// batch, else from the start again (the scan reached the end).
pub fn next_fetch_cursor(scanned: usize, limit: usize, last: Option<MeterId>) -> MeterId {
    match last {
        Some(m) if scanned >= limit => m,
        _ => 0,
    }
}

/// When the arbiter's ruling on a dispute opened at `opened_at` is due: the
/// deadline counts from the slot's final delivery data if that comes later
/// (the arbiter cannot rule before it).
pub fn ruling_due(final_at: u64, opened_at: u64, deadline_secs: u64) -> u64 {
    final_at.max(opened_at).saturating_add(deadline_secs)
}

/// Whether a ruling upholds the dispute of the party that opened it: a buyer's
/// dispute fails only when the seller is paid in full, a seller's only when
/// the buyer is refunded in full. A failed (frivolous) dispute costs its
/// opener the bond, which goes to the other party; a split upholds it.
pub fn dispute_upheld(opened_by_buyer: bool, ruling: Ruling) -> bool {
    match ruling {
        Ruling::PaySeller => !opened_by_buyer,
        Ruling::RefundBuyer => opened_by_buyer,
        Ruling::Split { .. } => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Uint128;

    #[test]
    fn a_fill_record_is_kept_only_while_another_slot_of_the_window_can_commit() {
        let slot = SlotId(9_000);
        let (start, end) = (slot.start(), slot.end());
        // One-slot window, matching just before the slot: never again.
        assert!(!fill_needs_record(slot, start, end, start - 60));
        // The next slot is in the window: it may fill there.
        assert!(fill_needs_record(slot, start, end + 1, start - 60));
        // The previous slot is in the window and still open for commits.
        assert!(fill_needs_record(slot, start - 900, end, start - 901));
        // ...but not once it has started.
        assert!(!fill_needs_record(slot, start - 900, end, start - 900));
        // A window starting inside the previous slot does not cover its start.
        assert!(!fill_needs_record(slot, start - 899, end, 0));
        // Slot 0 has no previous slot.
        assert!(!fill_needs_record(SlotId(0), 0, 900, 0));
    }

    fn entry(owner: &str, status: MeterStatus) -> MeterDelivery {
        MeterDelivery {
            meter: 7,
            owner: owner.into(),
            node: 4,
            status,
            finalized: false,
            exported_wh: Uint128::zero(),
            imported_wh: Uint128::zero(),
        }
    }

    #[test]
    fn collateral_is_valued_at_the_floor_when_the_limit_is_below_it() {
        let u = Uint128::new;
        assert_eq!(collateral_price(u(1), u(100_000)), u(100_000));
        assert_eq!(collateral_price(u(250_000), u(100_000)), u(250_000));
        // 2 kWh offered at 1 uaip/kWh with a 20 % ratio: valued at the floor.
        assert_eq!(
            offer_collateral(u(2_000), u(1), u(100_000), 2_000).unwrap(),
            u(40_000)
        );
    }

    #[test]
    fn only_the_owner_of_an_active_meter_may_use_it() {
        let active = entry("alice", MeterStatus::Active);
        assert_eq!(check_meter("alice", 7, Some(&active)).unwrap(), 4);
        assert_eq!(
            check_meter("mallory", 7, Some(&active))
                .unwrap_err()
                .to_string(),
            "meter 7 belongs to alice, not to the sender"
        );
        assert_eq!(
            check_meter("alice", 7, None).unwrap_err().to_string(),
            "meter 7 is not registered with the meter oracle"
        );
        for (status, word) in [
            (MeterStatus::Pending, "pending"),
            (MeterStatus::Deactivated, "deactivated"),
        ] {
            assert_eq!(
                check_meter("alice", 7, Some(&entry("alice", status)))
                    .unwrap_err()
                    .to_string(),
                format!("meter 7 is {word}: only active meters trade")
            );
        }
    }

    #[test]
    fn the_zone_comes_from_the_meters_node() {
        assert_eq!(meter_zone(7, 4, Some(2)).unwrap(), 2);
        assert_eq!(
            meter_zone(7, 4, None).unwrap_err().to_string(),
            "meter 7 sits at node 4, which the grid operator has not placed in a zone"
        );
    }

    #[test]
    fn a_dispute_the_ruling_goes_wholly_against_is_frivolous() {
        assert!(!dispute_upheld(true, Ruling::PaySeller));
        assert!(dispute_upheld(true, Ruling::RefundBuyer));
        assert!(dispute_upheld(false, Ruling::PaySeller));
        assert!(!dispute_upheld(false, Ruling::RefundBuyer));
        assert!(dispute_upheld(true, Ruling::Split { seller_bps: 9_999 }));
        assert!(dispute_upheld(false, Ruling::Split { seller_bps: 1 }));
    }

    #[test]
    fn the_ruling_deadline_counts_from_the_later_of_opening_and_final_data() {
        assert_eq!(ruling_due(1_000, 400, 100), 1_100);
        assert_eq!(ruling_due(1_000, 4_000, 100), 4_100);
        assert_eq!(ruling_due(u64::MAX, 0, 100), u64::MAX);
    }

    #[test]
    fn a_trade_price_sits_between_the_limits_and_the_fee_within_the_buyers() {
        let u = Uint128::new;
        assert_eq!(check_limits(u(200), u(250), u(200)), Ok(()));
        assert_eq!(check_limits(u(250), u(250), u(200)), Ok(()));
        assert_eq!(
            check_limits(u(199), u(250), u(200))
                .unwrap_err()
                .to_string(),
            "price 199 is below the offer's minimum 200"
        );
        assert_eq!(
            check_limits(u(251), u(250), u(200))
                .unwrap_err()
                .to_string(),
            "price 251 is above the bid's maximum 250"
        );
        assert_eq!(check_fee(u(240), u(10), u(250)), Ok(()));
        assert_eq!(
            check_fee(u(241), u(10), u(250)).unwrap_err().to_string(),
            "price 241 plus congestion fee 10 is above the bid's maximum 250"
        );
        assert!(check_fee(u(1), Uint128::MAX, Uint128::MAX).is_err());
    }

    #[test]
    fn the_fetch_cursor_wraps_after_a_short_scan() {
        assert_eq!(next_fetch_cursor(3, 3, Some(9)), 9);
        assert_eq!(next_fetch_cursor(2, 3, Some(9)), 0);
        assert_eq!(next_fetch_cursor(0, 3, None), 0);
    }

    #[test]
    fn an_intent_trades_only_in_its_window() {
        let slot = SlotId(1_800);
        assert!(check_slot_window(slot, 1_800, 2_700).is_ok());
        assert!(check_slot_window(slot, 900, 2_700).is_ok());
        assert_eq!(
            check_slot_window(slot, 2_700, 3_600)
                .unwrap_err()
                .to_string(),
            "the intent's slot window [2700, 3600) does not contain slot 1800"
        );
        assert!(check_slot_window(slot, 900, 1_800).is_err());
    }

    #[test]
    fn a_nonce_fills_one_intent_until_cancelled() {
        let hash = [7u8; 32];
        assert_eq!(check_fill("alice", 3, &hash, None).unwrap(), 0);
        let mut f = Fill {
            filled: 400,
            hash: [7u8; 8],
            cancelled: false,
        };
        assert_eq!(check_fill("alice", 3, &hash, Some(&f)).unwrap(), 400);
        assert_eq!(
            check_fill("alice", 3, &[8u8; 32], Some(&f))
                .unwrap_err()
                .to_string(),
            "nonce 3 of alice names another intent"
        );
        f.cancelled = true;
        assert_eq!(
            check_fill("alice", 3, &hash, Some(&f))
                .unwrap_err()
                .to_string(),
            "the intent with nonce 3 of alice is cancelled"
        );
    }

    #[test]
    fn only_registered_unflagged_accounts_trade() {
        let t = |registered, flagged| TradingTermsResponse {
            account: "alice".into(),
            registered,
            score: 500,
            tier: aip_types::hooks::Tier::Newcomer,
            collateral_ratio_bps: 5_000,
            premium_eligible: false,
            flagged,
        };
        assert!(check_terms("alice", &t(true, false)).is_ok());
        assert_eq!(
            check_terms("alice", &t(false, false))
                .unwrap_err()
                .to_string(),
            "account alice may not trade: no reputation token (KYC not done)"
        );
        assert_eq!(
            check_terms("alice", &t(true, true))
                .unwrap_err()
                .to_string(),
            "account alice may not trade: flagged by the guardian"
        );
    }
}

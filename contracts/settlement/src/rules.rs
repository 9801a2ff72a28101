//! The settlement rules as pure functions of their inputs, unit-tested here
//! without a chain. The handlers in [`crate::execute`] and the queries in
//! [`crate::query`] load what a rule needs from storage and call it; the
//! matcher's screening calls the same functions off chain (`docs/rules.md`
//! lists every rule with the code that calls it).
//!
//! The sections follow a slot's life: market parameters, the slot timeline,
//! intents, trades (limits, route, capacity, amounts), delivery, payouts,
//! disputes.

use aip_types::hooks::{MeterDelivery, MeterStatus, Ruling, TradingTermsResponse};
use aip_types::intent::Side as IntentSide;
use aip_types::{
    apply_bps, delivered_pro_rata, net_of_loss, payment, MeterId, NodeId, Price, SlotId, TradeId,
    TypesError, Wh, ZoneId, BPS_DENOMINATOR, MAX_ORDER_PRICE,
};
use cosmwasm_std::Uint128;

use crate::msg::{Corridor, MarketParams, SlotPhase, TradeSettlement};
use crate::state::{Fill, MeterSlot, TradeRec};
use crate::{ContractError, Rule};

/// The collateral rules (M1: valued at `max(min_price, floor)`) live in
/// aip-types, next to the escrow rule, so agents compute the same amounts.
pub use aip_types::{collateral_price, offer_collateral};

// ---------------------------------------------------------------- parameters

/// Longest zone name accepted.
pub const MAX_NAME_LEN: usize = 64;
/// Most node -> zone entries in one `SetNodeZones`.
pub const MAX_NODE_ZONES: usize = 500;
/// Longest time the parameters may give for delivery data or disputes: 7 days.
pub const MAX_WINDOW_SECS: u64 = 7 * 86_400;
/// Largest dispute bond the parameters may ask: 1,000,000 AIP.
pub const MAX_DISPUTE_BOND: u128 = 1_000_000_000_000;
/// Shortest delivery deadline: 5 minutes after the slot ends, so the oracles
/// always have time to report (a 0 deadline would settle every seller as 0).
pub const MIN_DELIVERY_DEADLINE_SECS: u64 = 300;
/// Shortest time the arbiter is given to rule.
pub const MIN_RULING_DEADLINE_SECS: u64 = 60;
/// Largest default collateral ratio: 10x the offer's value.
pub const MAX_DEFAULT_COLLATERAL_BPS: u32 = 100_000;
/// Longest dispute reason accepted.
pub const MAX_REASON_LEN: usize = 280;
/// Largest batch the parameters may allow.
pub const MAX_BATCH_CAP: u32 = 1_000;

/// The bounds of the market parameters (admin at instantiation and in
/// `UpdateConfig`): each parameter that could halt or drain the market is
/// bounded, and the first one out of bounds is named.
pub fn check_params(p: &MarketParams) -> Result<(), ContractError> {
    if p.max_batch == 0 || p.max_batch > MAX_BATCH_CAP {
        return Err(ContractError::InvalidParam {
            name: "max_batch",
            reason: format!("must be 1 to {MAX_BATCH_CAP}"),
        });
    }
    if p.gate_closure_secs > p.max_horizon_secs {
        return Err(ContractError::InvalidParam {
            name: "gate_closure_secs",
            reason: "must not exceed max_horizon_secs".into(),
        });
    }
    if p.default_collateral_bps > MAX_DEFAULT_COLLATERAL_BPS {
        return Err(ContractError::InvalidParam {
            name: "default_collateral_bps",
            reason: format!("must be at most {MAX_DEFAULT_COLLATERAL_BPS} (10x the offer value)"),
        });
    }
    let max_price = Uint128::new(MAX_ORDER_PRICE);
    for (name, price) in [
        ("penalty_price", p.penalty_price),
        ("collateral_floor_price", p.collateral_floor_price),
    ] {
        if price > max_price {
            return Err(ContractError::InvalidParam {
                name,
                reason: format!("must be at most {max_price} uaip/kWh"),
            });
        }
    }
    if p.delivery_deadline_secs < MIN_DELIVERY_DEADLINE_SECS
        || p.delivery_deadline_secs > MAX_WINDOW_SECS
    {
        return Err(ContractError::InvalidParam {
            name: "delivery_deadline_secs",
            reason: format!("must be {MIN_DELIVERY_DEADLINE_SECS} to {MAX_WINDOW_SECS} s"),
        });
    }
    if p.ruling_deadline_secs < MIN_RULING_DEADLINE_SECS || p.ruling_deadline_secs > MAX_WINDOW_SECS
    {
        return Err(ContractError::InvalidParam {
            name: "ruling_deadline_secs",
            reason: format!("must be {MIN_RULING_DEADLINE_SECS} to {MAX_WINDOW_SECS} s"),
        });
    }
    if p.dispute_bond > Uint128::new(MAX_DISPUTE_BOND) {
        return Err(ContractError::InvalidParam {
            name: "dispute_bond",
            reason: format!("must be at most {MAX_DISPUTE_BOND} uaip"),
        });
    }
    if p.dispute_window_secs > MAX_WINDOW_SECS {
        return Err(ContractError::InvalidParam {
            name: "dispute_window_secs",
            reason: format!("must be at most {MAX_WINDOW_SECS} s"),
        });
    }
    Ok(())
}

/// A congestion fee is a price: at most the largest order price (a bid pays
/// price plus fee, so a larger fee could never be paid; the matcher reads it
/// in u64).
pub fn check_fee_bound(fee: Price) -> Result<(), ContractError> {
    if fee > Uint128::new(MAX_ORDER_PRICE) {
        return Err(ContractError::InvalidParam {
            name: "fee_per_kwh",
            reason: format!("must be at most {MAX_ORDER_PRICE} uaip/kWh"),
        });
    }
    Ok(())
}

/// The terms of a corridor the grid operator sets (its endpoints are checked
/// against the zones first): loss at most 100 %, fee at most the largest
/// order price, capacity within `u64` (the matcher reads it in u64).
pub fn check_corridor_terms(c: &Corridor) -> Result<(), ContractError> {
    if c.loss_bps > BPS_DENOMINATOR {
        return Err(ContractError::InvalidParam {
            name: "loss_bps",
            reason: format!("{} exceeds 10000", c.loss_bps),
        });
    }
    check_fee_bound(c.fee_per_kwh)?;
    if c.capacity_wh > Uint128::new(u64::MAX.into()) {
        return Err(ContractError::InvalidParam {
            name: "capacity_wh",
            reason: format!("must be at most {} Wh", u64::MAX),
        });
    }
    Ok(())
}

/// A zone's name: 1 to [`MAX_NAME_LEN`] bytes.
pub fn check_zone_name(name: &str) -> Result<(), ContractError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(ContractError::InvalidParam {
            name: "zone.name",
            reason: format!("must be 1 to {MAX_NAME_LEN} bytes"),
        });
    }
    Ok(())
}

/// One `SetNodeZones` places 1 to [`MAX_NODE_ZONES`] nodes.
pub fn check_node_count(n: usize) -> Result<(), ContractError> {
    if n == 0 || n > MAX_NODE_ZONES {
        return Err(ContractError::InvalidParam {
            name: "nodes",
            reason: format!("must list 1 to {MAX_NODE_ZONES} nodes"),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------- slot timeline

/// The timeline of one slot, from its parameters and (once every seller
/// meter reported) the time the last report came in. Every time guard of the
/// contract reads it, and so does `slot_status`.
///
/// ```text
/// gate_closes_at  start        end          data_final_at    settle_from
///   | open       | matching   | delivery    | reports ...   | dispute window | settlement
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// The slot.
    pub slot: SlotId,
    /// Intents are taken while `now < gate_closes_at` (the slot's start minus
    /// `gate_closure_secs`); from then to the start the matcher commits.
    pub gate_closes_at: u64,
    /// The delivery deadline: slot end + `delivery_deadline_secs`. Reports
    /// are fetched from the slot's end until then; unreported meters then
    /// count as zero.
    pub report_until: u64,
    /// When the delivery data is final: when every seller meter reported, or
    /// at the delivery deadline, whichever comes first.
    pub data_final_at: u64,
    /// The end of the dispute window (`data_final_at + dispute_window_secs`):
    /// settlement from here.
    pub settle_from: u64,
}

/// The timeline of `slot` (`all_reported_at`: when its last seller meter
/// reported, if all did).
pub fn timeline(slot: SlotId, params: &MarketParams, all_reported_at: Option<u64>) -> Timeline {
    let report_until = slot.end().saturating_add(params.delivery_deadline_secs);
    let data_final_at = match all_reported_at {
        Some(t) => t.min(report_until),
        None => report_until,
    };
    Timeline {
        slot,
        gate_closes_at: slot.start().saturating_sub(params.gate_closure_secs),
        report_until,
        data_final_at,
        settle_from: data_final_at.saturating_add(params.dispute_window_secs),
    }
}

impl Timeline {
    /// The phase at `now` (`has_trades`: the slot has committed trades; a
    /// slot without trades goes from delivery straight to settlement at its end).
    pub fn phase(&self, now: u64, has_trades: bool) -> SlotPhase {
        let slot = self.slot;
        if now < self.gate_closes_at {
            SlotPhase::Open
        } else if now < slot.start() {
            SlotPhase::Matching
        } else if has_trades && now >= self.data_final_at && now < self.settle_from {
            SlotPhase::DisputeWindow
        } else if (has_trades && now >= self.settle_from) || (!has_trades && now >= slot.end()) {
            // Settling (or nothing to settle: a slot without trades).
            SlotPhase::Settlement
        } else {
            SlotPhase::Delivery
        }
    }

    /// The matcher commits only before the slot starts.
    pub fn check_matching_open(&self, now: u64) -> Result<(), ContractError> {
        if now >= self.slot.start() {
            return Err(ContractError::MatchingClosed {
                slot: self.slot,
                now,
            });
        }
        Ok(())
    }

    /// Congestion fees change only before the slot starts (committed trades
    /// keep the fee they were priced at).
    pub fn check_fees_open(&self, now: u64) -> Result<(), ContractError> {
        if now >= self.slot.start() {
            return Err(ContractError::FeesFrozen { slot: self.slot });
        }
        Ok(())
    }

    /// Delivery reports are fetched from the slot's end until the delivery
    /// deadline, and only while some seller meter has not reported.
    pub fn check_report_window(&self, now: u64, all_reported: bool) -> Result<(), ContractError> {
        let end = self.slot.end();
        if now < end || now >= self.report_until || all_reported {
            return Err(ContractError::ReportWindow {
                slot: self.slot,
                from: end,
                until: self.data_final_at,
                now,
            });
        }
        Ok(())
    }

    /// A dispute opens only before the dispute window closes.
    pub fn check_dispute_open(&self, id: TradeId, now: u64) -> Result<(), ContractError> {
        if now >= self.settle_from {
            return Err(ContractError::DisputeWindowClosed {
                id,
                closed_at: self.settle_from,
            });
        }
        Ok(())
    }

    /// A ruling (the arbiter's or the default one) waits for final delivery data.
    pub fn check_ruling_open(&self, id: TradeId, now: u64) -> Result<(), ContractError> {
        if now < self.data_final_at {
            return Err(ContractError::RulingTooEarly {
                id,
                from: self.data_final_at,
            });
        }
        Ok(())
    }

    /// Settlement starts when the dispute window closes.
    pub fn check_settle_open(&self, now: u64) -> Result<(), ContractError> {
        if now < self.settle_from {
            return Err(ContractError::SettleTooEarly {
                slot: self.slot,
                from: self.settle_from,
                now,
            });
        }
        Ok(())
    }
}

/// Most earlier slots one `CommitIntents` settles (`settle`): each settles
/// up to `max_batch` trades, so four keep the call within a few batches' gas.
pub const MAX_CARRIED_SETTLES: usize = 4;

/// The earlier slots a commit of `slot` carries to settle: at most
/// [`MAX_CARRIED_SETTLES`], none twice, not `slot` itself.
pub fn check_carried_settles(slot: SlotId, settle: &[SlotId]) -> Result<(), ContractError> {
    if settle.len() > MAX_CARRIED_SETTLES {
        return Err(ContractError::TooManyCarriedSettles {
            max: MAX_CARRIED_SETTLES,
            got: settle.len(),
        });
    }
    for (i, s) in settle.iter().enumerate() {
        if *s == slot || settle[..i].contains(s) {
            return Err(ContractError::BadCarriedSettle { slot: *s });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- intents

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

// ---------------------------------------------------------------- trades

/// A trade moves energy: its quantity is above zero.
pub fn check_quantity(wh: Wh) -> Result<(), Rule> {
    if wh.is_zero() {
        return Err(Rule::ZeroQuantity);
    }
    Ok(())
}

/// A trade's bid is a buy intent and its offer a sell intent (`bid` and
/// `offer` are their indices in the batch), of two different accounts.
pub fn check_sides(
    (bid, bid_side): (u32, IntentSide),
    (offer, offer_side): (u32, IntentSide),
    same_account: bool,
) -> Result<(), Rule> {
    if bid_side != IntentSide::Buy {
        return Err(Rule::NotABuyIntent { index: bid });
    }
    if offer_side != IntentSide::Sell {
        return Err(Rule::NotASellIntent { index: offer });
    }
    if same_account {
        return Err(Rule::SelfTrade);
    }
    Ok(())
}

/// An intent (index `index` in the batch) of `intent_wh` never fills beyond
/// its Wh: `filled_before` by earlier batches plus `fill_now` by earlier
/// trades of this batch plus this trade's `wh`.
pub fn check_room(
    index: u32,
    intent_wh: u64,
    filled_before: u64,
    fill_now: u64,
    wh: Wh,
) -> Result<(), Rule> {
    let remaining = intent_wh - filled_before.min(intent_wh) - fill_now;
    if wh > Uint128::from(remaining) {
        return Err(Rule::IntentOverfilled {
            index,
            remaining,
            wh,
        });
    }
    Ok(())
}

/// A premium-only sell intent (index `offer` in the batch) sells only to a
/// premium-eligible buyer.
pub fn check_premium(offer: u32, premium_only: bool, buyer_premium: bool) -> Result<(), Rule> {
    if premium_only && !buyer_premium {
        return Err(Rule::IntentNotPremiumEligible { index: offer });
    }
    Ok(())
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

/// Loss, congestion fee and capacity of a trade from one zone to another in
/// a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// Share of the energy lost on the way, bps (0 inside a zone).
    pub loss_bps: u32,
    /// Fee the buyer pays on top of the price, uaip/kWh.
    pub fee: Price,
    /// Corridor capacity per slot, Wh (`None`: inside a zone, unlimited).
    pub capacity: Option<Wh>,
}

/// The route rule: a trade inside a zone has no loss, no capacity limit and
/// the slot's fee for the zone (0 without one); between two zones it needs
/// the direct corridor from the seller's zone `from` to the buyer's zone `to`
/// (`None` without one), with the corridor's loss and capacity and the
/// slot's fee for the pair (`fee_override`), else the corridor's own fee.
pub fn route(
    from: ZoneId,
    to: ZoneId,
    corridor: Option<&Corridor>,
    fee_override: Option<Price>,
) -> Option<Route> {
    if from == to {
        return Some(Route {
            loss_bps: 0,
            fee: fee_override.unwrap_or_default(),
            capacity: None,
        });
    }
    corridor.map(|c| Route {
        loss_bps: c.loss_bps,
        fee: fee_override.unwrap_or(c.fee_per_kwh),
        capacity: Some(c.capacity_wh),
    })
}

/// The capacity rule of a corridor `from -> to`: `used` Wh of its `capacity`
/// are taken in the slot, and the trade needs `wh`. Returns the use with the
/// trade.
pub fn check_capacity(
    (from, to): (ZoneId, ZoneId),
    capacity: Wh,
    used: Wh,
    wh: Wh,
) -> Result<Wh, Rule> {
    let available = capacity.saturating_sub(used);
    if wh > available {
        return Err(Rule::CorridorFull {
            from,
            to,
            available,
            wh,
        });
    }
    Ok(used + wh)
}

/// What a trade moves, fixed when it is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeAmounts {
    /// Energy the buyer receives: `aip_types::net_of_loss(wh, loss_bps)`.
    pub net_wh: Wh,
    /// The buyer's payment, locked for the seller: `payment(net_wh, price)`.
    pub payment: Uint128,
    /// The congestion fee, to the treasury: `payment(net_wh, route fee)`.
    pub fee: Uint128,
    /// The seller's collateral: [`offer_collateral`] of the offer's limit.
    pub collateral: Uint128,
}

/// The amounts of a trade of `wh` at `price` over `route`, sold by an offer
/// with limit `offer_min` (collateral valued at no less than `floor`, at the
/// seller's `ratio_bps`). Rounding: the buyer pays for the net energy,
/// rounded down (`aip_types::payment`); collateral is rounded up.
pub fn trade_amounts(
    wh: Wh,
    price: Price,
    route: &Route,
    offer_min: Price,
    floor: Price,
    ratio_bps: u32,
) -> Result<TradeAmounts, TypesError> {
    let net_wh = net_of_loss(wh, route.loss_bps)?;
    Ok(TradeAmounts {
        net_wh,
        payment: payment(net_wh, price)?,
        fee: payment(net_wh, route.fee)?,
        collateral: offer_collateral(wh, offer_min, floor, ratio_bps)?,
    })
}

/// The balance rule: an account's free balance covers everything the batch
/// takes from it up to this trade (`needed`: payments and fees of a buyer,
/// collateral of a seller).
pub fn check_free(account: &str, free: Uint128, needed: Uint128) -> Result<(), Rule> {
    if needed > free {
        return Err(Rule::InsufficientFree {
            account: account.to_string(),
            free,
            needed,
        });
    }
    Ok(())
}

/// What a `Withdraw` of `amount` pays from a free balance of `free`
/// (`None`: all of it): more than zero, at most the free balance.
pub fn withdrawal(amount: Option<Uint128>, free: Uint128) -> Result<Uint128, ContractError> {
    let amount = amount.unwrap_or(free);
    if amount.is_zero() {
        return Err(ContractError::NothingToWithdraw);
    }
    if amount > free {
        return Err(ContractError::InsufficientClaimable {
            requested: amount,
            available: free,
        });
    }
    Ok(amount)
}

// ---------------------------------------------------------------- delivery

/// Where `FetchDeliveries` resumes after scanning `scanned` meters of at most
/// `limit`, the last being `last`: after `last` while the scan filled its
/// batch, else from the start again (the scan reached the end).
pub fn next_fetch_cursor(scanned: usize, limit: usize, last: Option<MeterId>) -> MeterId {
    match last {
        Some(m) if scanned >= limit => m,
        _ => 0,
    }
}

// ---------------------------------------------------------------- payouts

/// How a trade's held funds split when settled as metered. If the seller's
/// meter exported less than its trades in the slot (`ms.contracted`), every
/// trade of the meter is delivered pro rata, `floor(wh * exported /
/// contracted)`, and its net energy in the same ratio. The seller gets
/// `payment(delivered net energy, price)` (at most the payment held), the
/// buyer the rest; the penalty is `payment(Wh short, penalty_price)` out of
/// the collateral (capped at it), the rest of which goes back to the seller.
pub fn metered(
    t: &TradeRec,
    ms: &MeterSlot,
    penalty_price: Price,
) -> Result<TradeSettlement, ContractError> {
    let exported = ms.exported.unwrap_or_default();
    let delivered_wh = delivered_pro_rata(t.wh, exported, ms.contracted)?;
    let net_delivered = if delivered_wh == t.wh {
        t.net_wh
    } else {
        t.net_wh.multiply_ratio(delivered_wh, t.wh)
    };
    let seller_paid = payment(net_delivered, t.price)?.min(t.payment);
    let penalty = payment(t.wh - delivered_wh, penalty_price)?.min(t.collateral);
    Ok(TradeSettlement {
        delivered_wh,
        seller_paid,
        buyer_refund: t.payment - seller_paid,
        penalty,
        collateral_returned: t.collateral - penalty,
    })
}

/// How a disputed trade's held funds split by the arbiter's ruling: delivery
/// and penalty as metered; the payment to the seller as metered
/// (`pay_seller`), nothing (`refund_buyer`) or `seller_bps` of it (`split`,
/// rounded down); the buyer gets the rest.
pub fn ruled(
    t: &TradeRec,
    ms: &MeterSlot,
    penalty_price: Price,
    ruling: Ruling,
) -> Result<TradeSettlement, ContractError> {
    let m = metered(t, ms, penalty_price)?;
    let seller_paid = match ruling {
        Ruling::PaySeller => m.seller_paid,
        Ruling::RefundBuyer => Uint128::zero(),
        Ruling::Split { seller_bps } => apply_bps(t.payment, seller_bps)?,
    };
    Ok(TradeSettlement {
        seller_paid,
        buyer_refund: t.payment - seller_paid,
        ..m
    })
}

// ---------------------------------------------------------------- disputes

/// The bond a dispute carries: exactly the market's `bond`, sent with the
/// AIP token (`sent`; `None`: opened without a token, allowed only while the
/// bond is 0).
pub fn check_bond(bond: Uint128, sent: Option<Uint128>) -> Result<(), ContractError> {
    match sent {
        Some(sent) if sent != bond => Err(ContractError::WrongBond {
            required: bond,
            sent,
        }),
        None if !bond.is_zero() => Err(ContractError::BondRequired { bond }),
        _ => Ok(()),
    }
}

/// A dispute's reason: at most [`MAX_REASON_LEN`] characters.
pub fn check_reason(reason: &str) -> Result<(), ContractError> {
    if reason.chars().count() > MAX_REASON_LEN {
        return Err(ContractError::ReasonTooLong);
    }
    Ok(())
}

/// A split ruling gives the seller at most all of the payment (10,000 bps).
pub fn check_ruling(ruling: Ruling) -> Result<(), ContractError> {
    if let Ruling::Split { seller_bps } = ruling {
        if seller_bps > BPS_DENOMINATOR {
            return Err(ContractError::InvalidParam {
                name: "seller_bps",
                reason: format!("{seller_bps} exceeds 10000"),
            });
        }
    }
    Ok(())
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

/// Whether the dispute bond goes back to the opener: when the dispute is
/// upheld ([`dispute_upheld`]), or settled by the default ruling (the
/// arbiter never ruled, which is not the opener's fault). Otherwise it goes
/// to the other party.
pub fn bond_to_opener(defaulted: bool, opened_by_buyer: bool, ruling: Ruling) -> bool {
    defaulted || dispute_upheld(opened_by_buyer, ruling)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Uint128;

    #[test]
    fn the_default_market_parameters_pass_their_bounds() {
        check_params(&MarketParams::default()).unwrap();
    }

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

    fn params() -> MarketParams {
        MarketParams {
            gate_closure_secs: 300,
            max_horizon_secs: 86_400,
            default_collateral_bps: 2_000,
            collateral_floor_price: Uint128::new(100_000),
            penalty_price: Uint128::new(300_000),
            dispute_window_secs: 600,
            delivery_deadline_secs: 900,
            dispute_bond: Uint128::new(1_000_000),
            ruling_deadline_secs: 86_400,
            max_batch: 500,
        }
    }

    #[test]
    fn the_timeline_runs_gate_start_end_final_data_settlement() {
        let slot = SlotId(9_000);
        let p = params();
        let t = timeline(slot, &p, None);
        assert_eq!(t.gate_closes_at, 9_000 - 300);
        assert_eq!(t.report_until, 9_900 + 900);
        assert_eq!(t.data_final_at, 10_800);
        assert_eq!(t.settle_from, 10_800 + 600);
        // Every meter reported 10 s after the end: final then, not at the deadline.
        let early = timeline(slot, &p, Some(9_910));
        assert_eq!((early.data_final_at, early.settle_from), (9_910, 10_510));
        // A report time past the deadline cannot push the final time later.
        assert_eq!(timeline(slot, &p, Some(20_000)).data_final_at, 10_800);
        // Slot 0 with a gate longer than the time since the epoch saturates.
        assert_eq!(timeline(SlotId(0), &p, None).gate_closes_at, 0);
    }

    #[test]
    fn the_phase_follows_the_timeline() {
        let slot = SlotId(9_000);
        let t = timeline(slot, &params(), None);
        let phase = |now, trades| t.phase(now, trades);
        assert_eq!(phase(8_699, true), SlotPhase::Open);
        assert_eq!(phase(8_700, true), SlotPhase::Matching);
        assert_eq!(phase(8_999, false), SlotPhase::Matching);
        assert_eq!(phase(9_000, true), SlotPhase::Delivery);
        assert_eq!(phase(10_799, true), SlotPhase::Delivery);
        assert_eq!(phase(10_800, true), SlotPhase::DisputeWindow);
        assert_eq!(phase(11_399, true), SlotPhase::DisputeWindow);
        assert_eq!(phase(11_400, true), SlotPhase::Settlement);
        // Without trades: delivery while it runs, then settlement (nothing to do).
        assert_eq!(phase(9_899, false), SlotPhase::Delivery);
        assert_eq!(phase(9_900, false), SlotPhase::Settlement);
    }

    #[test]
    fn each_time_guard_names_its_bound() {
        let slot = SlotId(9_000);
        let t = timeline(slot, &params(), None);
        assert!(t.check_matching_open(8_999).is_ok());
        assert_eq!(
            t.check_matching_open(9_000).unwrap_err().to_string(),
            "matching for slot 9000 closed at its start (now 9000)"
        );
        assert!(t.check_fees_open(8_999).is_ok());
        assert_eq!(
            t.check_fees_open(9_000).unwrap_err().to_string(),
            "congestion fees for slot 9000 can only change before the slot starts"
        );
        assert!(t.check_report_window(9_900, false).is_ok());
        for (now, all) in [(9_899, false), (10_800, false), (9_950, true)] {
            assert_eq!(
                t.check_report_window(now, all).unwrap_err().to_string(),
                format!(
                    "delivery reports for slot 9000 are accepted from 9900 to 10800 (now {now})"
                )
            );
        }
        assert!(t.check_dispute_open(4, 11_399).is_ok());
        assert_eq!(
            t.check_dispute_open(4, 11_400).unwrap_err().to_string(),
            "the dispute window of trade 4 closed at 11400"
        );
        assert!(t.check_ruling_open(4, 10_800).is_ok());
        assert_eq!(
            t.check_ruling_open(4, 10_799).unwrap_err().to_string(),
            "trade 4 cannot be ruled before its delivery data is final at 10800"
        );
        assert!(t.check_settle_open(11_400).is_ok());
        assert_eq!(
            t.check_settle_open(11_399).unwrap_err().to_string(),
            "slot 9000 settles from 11400 (now 11399)"
        );
    }

    #[test]
    fn parameters_out_of_bounds_are_named() {
        assert!(check_params(&params()).is_ok());
        type Change = fn(&mut MarketParams);
        let cases: [(Change, &str); 9] = [
            (|p| p.max_batch = 0, "max_batch: must be 1 to 1000"),
            (|p| p.max_batch = 1_001, "max_batch: must be 1 to 1000"),
            (
                |p| p.gate_closure_secs = p.max_horizon_secs + 1,
                "gate_closure_secs: must not exceed max_horizon_secs",
            ),
            (
                |p| p.default_collateral_bps = 100_001,
                "default_collateral_bps: must be at most 100000 (10x the offer value)",
            ),
            (
                |p| p.penalty_price = Uint128::new(MAX_ORDER_PRICE + 1),
                "penalty_price: must be at most 10000000000 uaip/kWh",
            ),
            (
                |p| p.delivery_deadline_secs = 299,
                "delivery_deadline_secs: must be 300 to 604800 s",
            ),
            (
                |p| p.ruling_deadline_secs = 59,
                "ruling_deadline_secs: must be 60 to 604800 s",
            ),
            (
                |p| p.dispute_bond = Uint128::new(MAX_DISPUTE_BOND + 1),
                "dispute_bond: must be at most 1000000000000 uaip",
            ),
            (
                |p| p.dispute_window_secs = MAX_WINDOW_SECS + 1,
                "dispute_window_secs: must be at most 604800 s",
            ),
        ];
        for (change, msg) in cases {
            let mut p = params();
            change(&mut p);
            assert_eq!(
                check_params(&p).unwrap_err().to_string(),
                format!("invalid parameter {msg}")
            );
        }
    }

    #[test]
    fn network_terms_are_bounded() {
        let c = |loss_bps, fee: u128, capacity: u128| Corridor {
            from_zone: 1,
            to_zone: 2,
            capacity_wh: Uint128::new(capacity),
            loss_bps,
            fee_per_kwh: Uint128::new(fee),
        };
        assert!(check_corridor_terms(&c(10_000, MAX_ORDER_PRICE, u64::MAX.into())).is_ok());
        let err = |c: Corridor| check_corridor_terms(&c).unwrap_err().to_string();
        assert_eq!(
            err(c(10_001, 0, 0)),
            "invalid parameter loss_bps: 10001 exceeds 10000"
        );
        assert_eq!(
            err(c(0, MAX_ORDER_PRICE + 1, 0)),
            "invalid parameter fee_per_kwh: must be at most 10000000000 uaip/kWh"
        );
        assert_eq!(
            err(c(0, 0, u128::from(u64::MAX) + 1)),
            "invalid parameter capacity_wh: must be at most 18446744073709551615 Wh"
        );
        assert!(check_zone_name("feeder A").is_ok());
        for name in [String::new(), "x".repeat(MAX_NAME_LEN + 1)] {
            assert_eq!(
                check_zone_name(&name).unwrap_err().to_string(),
                "invalid parameter zone.name: must be 1 to 64 bytes"
            );
        }
        assert!(check_node_count(MAX_NODE_ZONES).is_ok());
        for n in [0, MAX_NODE_ZONES + 1] {
            assert_eq!(
                check_node_count(n).unwrap_err().to_string(),
                "invalid parameter nodes: must list 1 to 500 nodes"
            );
        }
    }

    fn corridor(capacity: u128, loss_bps: u32, fee: u128) -> Corridor {
        Corridor {
            from_zone: 1,
            to_zone: 2,
            capacity_wh: Uint128::new(capacity),
            loss_bps,
            fee_per_kwh: Uint128::new(fee),
        }
    }

    #[test]
    fn a_route_is_the_zone_itself_or_the_direct_corridor_with_the_slots_fee() {
        let u = Uint128::new;
        let c = corridor(5_000, 300, 7);
        // Inside a zone: free unless the slot prices it, no loss, no capacity.
        assert_eq!(
            route(3, 3, None, None),
            Some(Route {
                loss_bps: 0,
                fee: u(0),
                capacity: None
            })
        );
        assert_eq!(route(3, 3, Some(&c), Some(u(4))).unwrap().fee, u(4));
        // Across zones: the corridor, its fee unless the slot overrides it.
        let r = route(1, 2, Some(&c), None).unwrap();
        assert_eq!((r.loss_bps, r.fee, r.capacity), (300, u(7), Some(u(5_000))));
        assert_eq!(route(1, 2, Some(&c), Some(u(0))).unwrap().fee, u(0));
        assert_eq!(route(1, 2, None, Some(u(4))), None);
    }

    #[test]
    fn a_corridor_carries_at_most_its_capacity_per_slot() {
        let u = Uint128::new;
        assert_eq!(
            check_capacity((1, 2), u(5_000), u(1_000), u(4_000)),
            Ok(u(5_000))
        );
        assert_eq!(
            check_capacity((1, 2), u(5_000), u(3_000), u(4_000))
                .unwrap_err()
                .to_string(),
            "corridor 1->2 has 2000 Wh left in the slot, the trade needs 4000"
        );
        // Capacity lowered below the use: nothing left, no underflow.
        assert_eq!(
            check_capacity((1, 2), u(1_000), u(3_000), u(1)),
            Err(Rule::CorridorFull {
                from: 1,
                to: 2,
                available: u(0),
                wh: u(1)
            })
        );
    }

    #[test]
    fn trade_amounts_pay_the_net_energy_and_lock_the_collateral() {
        let u = Uint128::new;
        let r = route(1, 2, Some(&corridor(10_000, 500, 10_000)), None).unwrap();
        // 2,000 Wh with 5 % loss: 1,900 Wh arrive; 1,900 * 210,000 / 1000.
        let a = trade_amounts(u(2_000), u(210_000), &r, u(200_000), u(100_000), 2_000).unwrap();
        assert_eq!(
            a,
            TradeAmounts {
                net_wh: u(1_900),
                payment: u(399_000),
                fee: u(19_000),
                collateral: u(80_000),
            }
        );
        // Rounding: 1 Wh at 999 uaip/kWh pays 0 (down); collateral rounds up.
        let inside = route(1, 1, None, None).unwrap();
        let a = trade_amounts(u(1), u(999), &inside, u(999), u(0), 1).unwrap();
        assert_eq!((a.payment, a.fee, a.collateral), (u(0), u(0), u(1)));
        assert_eq!(
            trade_amounts(Uint128::MAX, u(2), &inside, u(1), u(0), 1)
                .unwrap_err()
                .to_string(),
            TypesError::Overflow {
                what: "wh * price",
                a: u128::MAX,
                b: 2
            }
            .to_string()
        );
    }

    #[test]
    fn a_trade_pairs_a_buy_and_a_sell_intent_of_two_accounts_within_their_wh() {
        use aip_types::intent::Side::{Buy, Sell};
        assert_eq!(check_quantity(Uint128::new(1)), Ok(()));
        assert_eq!(check_quantity(Uint128::zero()), Err(Rule::ZeroQuantity));
        assert_eq!(check_sides((0, Buy), (1, Sell), false), Ok(()));
        assert_eq!(
            check_sides((0, Sell), (1, Sell), false)
                .unwrap_err()
                .to_string(),
            "intent 0 is not a buy intent"
        );
        assert_eq!(
            check_sides((0, Buy), (1, Buy), false)
                .unwrap_err()
                .to_string(),
            "intent 1 is not a sell intent"
        );
        assert_eq!(
            check_sides((0, Buy), (1, Sell), true)
                .unwrap_err()
                .to_string(),
            "buyer and seller are the same account"
        );
        let u = Uint128::new;
        assert_eq!(check_room(0, 1_000, 400, 100, u(500)), Ok(()));
        assert_eq!(
            check_room(0, 1_000, 400, 100, u(501))
                .unwrap_err()
                .to_string(),
            "intent 0 has 500 Wh left, the trade needs 501"
        );
        // Filled beyond its Wh before (an older rule): nothing left, no underflow.
        assert_eq!(
            check_room(2, 1_000, 1_200, 0, u(1))
                .unwrap_err()
                .to_string(),
            "intent 2 has 0 Wh left, the trade needs 1"
        );
        assert_eq!(check_premium(1, true, true), Ok(()));
        assert_eq!(check_premium(1, false, false), Ok(()));
        assert_eq!(
            check_premium(1, true, false).unwrap_err().to_string(),
            "sell intent 1 is premium-only and the buyer is not premium-eligible"
        );
        assert_eq!(check_free("alice", u(420), u(420)), Ok(()));
        assert_eq!(
            check_free("alice", u(300), u(420)).unwrap_err().to_string(),
            "account alice has 300 uaip free; the batch needs 420 up to this trade"
        );
    }

    #[test]
    fn a_withdrawal_takes_at_most_the_free_balance() {
        let u = Uint128::new;
        assert_eq!(withdrawal(None, u(70)), Ok(u(70)));
        assert_eq!(withdrawal(Some(u(30)), u(70)), Ok(u(30)));
        assert_eq!(
            withdrawal(None, u(0)).unwrap_err().to_string(),
            "nothing to withdraw"
        );
        assert_eq!(
            withdrawal(Some(u(0)), u(70)).unwrap_err().to_string(),
            "nothing to withdraw"
        );
        assert_eq!(
            withdrawal(Some(u(71)), u(70)).unwrap_err().to_string(),
            "cannot withdraw 71: 70 claimable"
        );
    }

    fn trade(wh: u128, net_wh: u128, price: u128, collateral: u128) -> TradeRec {
        let net = Uint128::new(net_wh);
        let price = Uint128::new(price);
        TradeRec {
            slot: 9_000,
            bid: 1,
            offer: 2,
            buyer: vec![1u8; 20].into(),
            seller: vec![2u8; 20].into(),
            meter: 7,
            wh: Uint128::new(wh),
            net_wh: net,
            price,
            payment: payment(net, price).unwrap(),
            fee: Uint128::zero(),
            collateral: Uint128::new(collateral),
            intents: true,
            prev_buyer: 0,
            prev_seller: 0,
        }
    }

    #[test]
    fn a_short_meter_delivers_pro_rata_and_pays_the_penalty_from_collateral() {
        let u = Uint128::new;
        let t = trade(2_000, 1_900, 210_000, 80_000);
        let ms = |contracted, exported| MeterSlot {
            contracted: u(contracted),
            exported,
        };
        // In full: the seller gets the payment, the collateral back.
        let full = metered(&t, &ms(2_000, Some(u(2_500))), u(300_000)).unwrap();
        assert_eq!(
            full,
            TradeSettlement {
                delivered_wh: u(2_000),
                seller_paid: u(399_000),
                buyer_refund: u(0),
                penalty: u(0),
                collateral_returned: u(80_000),
            }
        );
        // The meter sold 4,000 Wh over its trades and exported 3,000: this
        // trade delivers 1,500 Wh (net 1,425); 500 Wh short at 300,000
        // uaip/kWh is 150,000, capped at the 80,000 collateral.
        let short = metered(&t, &ms(4_000, Some(u(3_000))), u(300_000)).unwrap();
        assert_eq!(
            short,
            TradeSettlement {
                delivered_wh: u(1_500),
                seller_paid: u(299_250),
                buyer_refund: u(99_750),
                penalty: u(80_000),
                collateral_returned: u(0),
            }
        );
        // Never reported: nothing delivered.
        let none = metered(&t, &ms(2_000, None), u(10_000)).unwrap();
        assert_eq!(
            (none.delivered_wh, none.seller_paid, none.penalty),
            (u(0), u(0), u(20_000))
        );
        // Rulings move only the payment.
        let m = &ms(4_000, Some(u(3_000)));
        assert_eq!(ruled(&t, m, u(300_000), Ruling::PaySeller).unwrap(), short);
        let refund = ruled(&t, m, u(300_000), Ruling::RefundBuyer).unwrap();
        assert_eq!(
            (refund.seller_paid, refund.buyer_refund),
            (u(0), u(399_000))
        );
        assert_eq!(refund.penalty, u(80_000));
        let split = ruled(&t, m, u(300_000), Ruling::Split { seller_bps: 2_500 }).unwrap();
        assert_eq!(
            (split.seller_paid, split.buyer_refund),
            (u(99_750), u(299_250))
        );
    }

    #[test]
    fn a_dispute_carries_the_exact_bond_a_short_reason_and_a_bounded_split() {
        let u = Uint128::new;
        assert!(check_bond(u(5), Some(u(5))).is_ok());
        assert!(check_bond(u(0), None).is_ok());
        assert_eq!(
            check_bond(u(5), Some(u(4))).unwrap_err().to_string(),
            "a dispute needs a bond of exactly 5 uaip, 4 were sent"
        );
        assert_eq!(
            check_bond(u(5), None).unwrap_err().to_string(),
            "a dispute needs a bond of 5 uaip: send it with the AIP token"
        );
        assert!(check_reason(&"é".repeat(MAX_REASON_LEN)).is_ok());
        assert_eq!(
            check_reason(&"x".repeat(MAX_REASON_LEN + 1))
                .unwrap_err()
                .to_string(),
            "dispute reason must be at most 280 characters"
        );
        assert!(check_ruling(Ruling::Split { seller_bps: 10_000 }).is_ok());
        assert_eq!(
            check_ruling(Ruling::Split { seller_bps: 10_001 })
                .unwrap_err()
                .to_string(),
            "invalid parameter seller_bps: 10001 exceeds 10000"
        );
        // The default ruling returns the bond whoever opened the dispute.
        assert!(bond_to_opener(true, true, Ruling::PaySeller));
        assert!(!bond_to_opener(false, true, Ruling::PaySeller));
        assert!(bond_to_opener(false, false, Ruling::PaySeller));
    }
}

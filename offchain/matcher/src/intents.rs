//! The gateway's frozen book of signed intents as the matcher's [`OrderBook`],
//! and the one `CommitIntents` batch per slot built from a clearing.
//!
//! Pure functions (no chain, no network): the online agent
//! ([`crate::online::Agent`] with a gateway) reads the chain and the gateway,
//! then calls, in order:
//! 1. [`screen`]: every intent of the frozen book that the contract would
//!    refuse is skipped with its reason (bounds, signature and binding,
//!    expiry, slot window, duplicates, fills and cancellation, meter owner and
//!    status, zone of the meter's node, eligibility, free balance for the full
//!    escrow or collateral of what remains). The rules are the contract's own
//!    functions (`aip_types` bounds and units, `aip_types::intent`, and
//!    `settlement::rules::{check_slot_window, check_fill, check_meter,
//!    meter_zone, check_terms}`), called here with the chain's data, so a
//!    skipped intent's reason is the contract's refusal word for word.
//! 2. [`to_order_book`]: the screened intents as orders (order id = index
//!    into the screened list, quantity = the unfilled remainder).
//! 3. [`build_batch`]: the trades (fitted to the contract's routes by
//!    [`crate::online::to_commit`]) with the intents they fill, each intent
//!    once, referenced by index; with more trades than `max_batch` the best
//!    `max_batch` by welfare are kept and the rest reported as skipped.
//! 4. [`refused_index`]: when the contract still refuses a batch, the intent
//!    or trade its error names, so the agent drops it and retries; [`Commit`]
//!    holds that loop's state (what is still planned, what was refused), for
//!    the agent and the simulation alike.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aip_types::hooks::{MeterDelivery, TradingTermsResponse};
use aip_types::intent::{verify_signed_intent, BatchIntent, IntentDomain, Side as IntentSide};
use aip_types::{check_order, escrow_for, offer_collateral};
use cosmwasm_std::testing::MockApi;
use cosmwasm_std::Uint128;
use settlement::msg::{IntentFillResponse, IntentTrade};

use crate::online::{MatchedTrade, Route};
use crate::verify::FrozenBook;
use crate::{Order, OrderBook};

/// What the chain says about the accounts and meters of a frozen book.
#[derive(Clone, Debug, Default)]
pub struct ChainView {
    /// The meter-oracle registry entry of each meter the book names (absent: not registered).
    pub meters: HashMap<u32, MeterDelivery>,
    /// The grid operator's node → zone map (settlement `node_zones`).
    pub node_zones: HashMap<u32, u32>,
    /// The zones settlement knows (`network`).
    pub zones: BTreeSet<u32>,
    /// Fill state per (owner, nonce) (settlement `intent_fill`; absent: never filled).
    pub fills: HashMap<(String, u64), IntentFillResponse>,
    /// Free deposit balance per owner, uaip (settlement `balance`).
    pub free: HashMap<String, u128>,
    /// Trading terms per owner (reputation `trading_terms_batch`); `None`:
    /// the market has no reputation contract.
    pub terms: Option<HashMap<String, TradingTermsResponse>>,
    /// Collateral ratio without reputation, bps (market parameter).
    pub default_collateral_bps: u32,
    /// Floor price of offer collateral, uaip/kWh (market parameter).
    pub collateral_floor_price: u128,
}

/// An intent of the frozen book the contract would accept.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Hex of the intent hash.
    pub hash: String,
    /// The proven owner.
    pub owner: String,
    /// The intent as a batch carries it (with its signature).
    pub batch: BatchIntent,
    /// Zone of its meter's node.
    pub zone: u32,
    /// Wh not filled by earlier batches.
    pub remaining: u64,
    /// May take premium-only offers (buyers).
    pub premium: bool,
    /// Reputation score, the clearing's trust priority.
    pub trust: u32,
}

/// An intent of the frozen book left out, and why (the contract's rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedIntent {
    /// Hex of the intent hash.
    pub hash: String,
    /// Its owner as signed.
    pub owner: String,
    /// Its nonce.
    pub nonce: u64,
    /// Why the contract would refuse it.
    pub reason: String,
}

/// Keeps every intent of `frozen` the contract would accept in a commit of
/// `slot` at chain time `now`, and returns the others with their reasons.
/// Funds are checked in book order per owner: an owner's intents together
/// may lock at most its free balance (a buyer's escrow `escrow_for(remaining,
/// limit)`, which covers payment and fee; a seller's collateral at its ratio).
pub fn screen(
    frozen: &FrozenBook,
    domain: &IntentDomain,
    slot: u64,
    now: u64,
    view: &ChainView,
) -> (Vec<Candidate>, Vec<SkippedIntent>) {
    let api = MockApi::default();
    let mut kept = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = BTreeSet::new();
    let mut reserved: HashMap<String, u128> = HashMap::new();
    for e in &frozen.intents {
        let i = &e.signed.intent;
        let skip = |reason: String| SkippedIntent {
            hash: e.hash.clone(),
            owner: i.owner.clone(),
            nonce: i.nonce,
            reason,
        };
        match check(&api, domain, slot, now, view, e, &mut seen, &reserved) {
            Ok((c, lock)) => {
                *reserved.entry(c.owner.clone()).or_default() += lock;
                kept.push(c);
            }
            Err(reason) => {
                tracing::warn!(slot, hash = %e.hash, owner = %i.owner, nonce = i.nonce, %reason, "intent skipped");
                skipped.push(skip(reason));
            }
        }
    }
    (kept, skipped)
}

/// One intent against the contract's rules; returns it and what it locks.
#[allow(clippy::too_many_arguments)]
fn check(
    api: &MockApi,
    domain: &IntentDomain,
    slot: u64,
    now: u64,
    view: &ChainView,
    e: &crate::verify::FrozenEntry,
    seen: &mut BTreeSet<[u8; 32]>,
    reserved: &HashMap<String, u128>,
) -> Result<(Candidate, u128), String> {
    let i = &e.signed.intent;
    check_order(u128::from(i.wh), u128::from(i.limit_price)).map_err(|e| e.to_string())?;
    let v = verify_signed_intent(api, domain, &e.signed, now).map_err(|e| e.to_string())?;
    settlement::rules::check_slot_window(aip_types::SlotId(slot), i.slot_from, i.slot_until)
        .map_err(|e| e.to_string())?;
    if !seen.insert(v.hash) {
        return Err("the same intent appears twice in the book".to_string());
    }
    // The contract's record of (owner, nonce) as it stores it. The
    // `intent_fill` query answers for every nonce: no hash prefix and not
    // cancelled means no record; a nonce cancelled before any fill is stored
    // with an all-zero prefix.
    let fill = view.fills.get(&(v.owner.clone(), i.nonce)).and_then(|f| {
        let prefix = f.hash_prefix.as_deref();
        if prefix.is_none() && !f.cancelled {
            return None;
        }
        let mut hash = [0u8; 8];
        if let Some(bytes) = prefix.and_then(|p| hex::decode(p).ok()) {
            if bytes.len() == 8 {
                hash.copy_from_slice(&bytes);
            }
        }
        Some(settlement::state::Fill {
            filled: f.filled,
            hash,
            cancelled: f.cancelled,
        })
    });
    let filled = settlement::rules::check_fill(&v.owner, i.nonce, &v.hash, fill.as_ref())
        .map_err(|e| e.to_string())?;
    let remaining = i.wh.saturating_sub(filled);
    if remaining == 0 {
        return Err(format!("the intent is filled ({} Wh)", i.wh));
    }
    let node = settlement::rules::check_meter(&v.owner, i.meter, view.meters.get(&i.meter))
        .map_err(|e| e.to_string())?;
    let zone = settlement::rules::meter_zone(i.meter, node, view.node_zones.get(&node).copied())
        .map_err(|e| e.to_string())?;
    if !view.zones.contains(&zone) {
        return Err(settlement::ContractError::UnknownZone { zone }.to_string());
    }
    let (ratio, premium, trust) = match &view.terms {
        None => {
            if i.premium_only && i.side == IntentSide::Sell {
                return Err(settlement::ContractError::PremiumNeedsReputation.to_string());
            }
            (view.default_collateral_bps, false, 0)
        }
        Some(terms) => {
            let t = terms.get(&v.owner).ok_or_else(|| {
                settlement::ContractError::NotEligible {
                    account: v.owner.clone(),
                    reason: "no reputation token (KYC not done)".to_string(),
                }
                .to_string()
            })?;
            settlement::rules::check_terms(&v.owner, t).map_err(|e| e.to_string())?;
            (
                t.collateral_ratio_bps,
                t.premium_eligible,
                u32::from(t.score),
            )
        }
    };
    let (wh, limit) = (Uint128::from(remaining), Uint128::from(i.limit_price));
    let lock = match i.side {
        IntentSide::Buy => escrow_for(wh, limit),
        IntentSide::Sell => {
            offer_collateral(wh, limit, Uint128::new(view.collateral_floor_price), ratio)
        }
    }
    .map_err(|e| e.to_string())?
    .u128();
    let free = view.free.get(&v.owner).copied().unwrap_or(0);
    let before = reserved.get(&v.owner).copied().unwrap_or(0);
    if before.saturating_add(lock) > free {
        return Err(format!(
            "{} has {free} uaip free; its intents need {} with this one",
            v.owner,
            before.saturating_add(lock)
        ));
    }
    Ok((
        Candidate {
            hash: e.hash.clone(),
            owner: v.owner,
            batch: BatchIntent::from_signed(&e.signed),
            zone,
            remaining,
            premium: premium && i.side == IntentSide::Buy,
            trust,
        },
        lock,
    ))
}

/// The screened intents as the matcher's order book: order id = index into
/// `candidates`, quantity = the unfilled remainder.
pub fn to_order_book(slot: u64, candidates: &[Candidate]) -> OrderBook {
    let orders = candidates
        .iter()
        .enumerate()
        .map(|(n, c)| Order {
            id: n as u64,
            owner: c.owner.clone(),
            side: c.batch.side.into(),
            zone: c.zone,
            node: 0,
            wh: c.remaining,
            limit_price: c.batch.limit_price,
            premium_only: c.batch.premium_only && c.batch.side == IntentSide::Sell,
            premium: c.premium,
            trust: c.trust,
            window: None,
        })
        .collect();
    OrderBook { slot, orders }
}

/// A `CommitIntents` batch: the intents (each once) and the trades between them.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Index into the candidates of each batch intent.
    pub candidates: Vec<usize>,
    /// The intents, in batch order.
    pub intents: Vec<BatchIntent>,
    /// The trades, `bid`/`offer` indexing `intents`.
    pub trades: Vec<IntentTrade>,
    /// Trades left out: beyond `max_batch` (the lowest welfare), or failing
    /// the contract's price rules (which [`crate::online::to_commit`] already
    /// respects, so this stays empty unless the routes changed).
    pub skipped: Vec<MatchedTrade>,
}

/// Welfare of a trade before losses and fees: `wh × (bid limit − offer limit)`,
/// in uaip/kWh × Wh.
fn trade_welfare(candidates: &[Candidate], t: &MatchedTrade) -> i128 {
    let limit = |id: u64| {
        candidates
            .get(id as usize)
            .map_or(0, |c| i128::from(c.batch.limit_price))
    };
    let wh: i128 = t.wh.parse().unwrap_or(0);
    wh * (limit(t.bid) - limit(t.offer))
}

/// Builds the batch of `trades` (ids = candidate indices, as from
/// [`to_order_book`] and [`crate::online::to_commit`]). Each trade passes
/// the contract's price rules (`settlement::rules::check_limits` and
/// `check_fee` on its route); at most `max_batch` trades are kept, the best
/// by welfare; only intents that a kept trade fills go in.
pub fn build_batch(
    candidates: &[Candidate],
    trades: &[MatchedTrade],
    routes: &BTreeMap<(u32, u32), Route>,
    max_batch: usize,
) -> Batch {
    let mut skipped = Vec::new();
    let mut ok: Vec<(&MatchedTrade, Uint128, Uint128)> = Vec::new();
    for t in trades {
        let (Some(bid), Some(offer)) = (
            candidates.get(t.bid as usize),
            candidates.get(t.offer as usize),
        ) else {
            skipped.push(t.clone());
            continue;
        };
        let (Ok(wh), Ok(price)) = (t.wh.parse::<u128>(), t.price.parse::<u128>()) else {
            skipped.push(t.clone());
            continue;
        };
        let (wh, price) = (Uint128::new(wh), Uint128::new(price));
        let bid_max = Uint128::from(bid.batch.limit_price);
        let fee = routes
            .get(&(offer.zone, bid.zone))
            .map(|r| Uint128::from(r.fee));
        let rules_ok = fee.is_some_and(|fee| {
            settlement::rules::check_limits(price, bid_max, Uint128::from(offer.batch.limit_price))
                .and_then(|()| settlement::rules::check_fee(price, fee, bid_max))
                .is_ok()
        });
        if rules_ok && !wh.is_zero() {
            ok.push((t, wh, price));
        } else {
            skipped.push(t.clone());
        }
    }
    // Best welfare first; ties keep the clearing's order.
    ok.sort_by_key(|(t, _, _)| std::cmp::Reverse(trade_welfare(candidates, t)));
    for (t, _, _) in ok.iter().skip(max_batch) {
        skipped.push((*t).clone());
    }
    ok.truncate(max_batch);
    let mut index: BTreeMap<usize, u32> = BTreeMap::new();
    for (t, _, _) in &ok {
        index.insert(t.bid as usize, 0);
        index.insert(t.offer as usize, 0);
    }
    let mut order = Vec::with_capacity(index.len());
    for (n, (cand, slot)) in index.iter_mut().enumerate() {
        *slot = n as u32;
        order.push(*cand);
    }
    Batch {
        intents: order.iter().map(|&c| candidates[c].batch.clone()).collect(),
        trades: ok
            .iter()
            .map(|(t, wh, price)| IntentTrade {
                bid: index[&(t.bid as usize)],
                offer: index[&(t.offer as usize)],
                wh: *wh,
                price: *price,
            })
            .collect(),
        candidates: order,
        skipped,
    }
}

/// What part of a batch the contract's refusal names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// `intent N rejected: ...`: the intent at batch index N.
    Intent(usize),
    /// `trade N rejected: ...`: the trade at batch index N.
    Trade(usize),
    /// The slot was committed already (by this agent or another).
    SlotCommitted,
}

/// Reads the contract's refusal from a transaction's raw log.
pub fn refused_index(raw_log: &str) -> Option<Refused> {
    if raw_log.contains("is already committed: a slot takes one commit of intents") {
        return Some(Refused::SlotCommitted);
    }
    let number_before = |word: &str| {
        raw_log.match_indices(word).find_map(|(at, _)| {
            let rest = &raw_log[at + word.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let after = &rest[digits.len()..];
            (!digits.is_empty() && after.starts_with(" rejected:"))
                .then(|| digits.parse::<usize>().ok())
                .flatten()
        })
    };
    number_before("intent ")
        .map(Refused::Intent)
        .or_else(|| number_before("trade ").map(Refused::Trade))
}

/// What the agent does after the contract refused a batch ([`Commit::refused`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// The named intent or trade was dropped: send the next [`Commit::batch`].
    Retry,
    /// The slot was committed already (by this agent or another): done.
    SlotCommitted,
    /// The refusal names nothing the batch holds: give up with it.
    Fail,
}

/// One slot's commit, the way the online agent does it and the simulation
/// runs it: the planned trades go in one batch ([`build_batch`]: each intent
/// once, the best `max_batch` by welfare); when the contract refuses the
/// batch naming an intent, that intent and its trades are dropped, naming a
/// trade, that trade; then the next batch goes. No re-clearing in between.
/// The caller sends each batch (the agent through `chain-client`, the
/// simulation through its chain) and stops after [`MAX_COMMIT_ATTEMPTS`].
///
/// [`MAX_COMMIT_ATTEMPTS`]: crate::online::MAX_COMMIT_ATTEMPTS
#[derive(Clone, Debug)]
pub struct Commit<'a> {
    candidates: &'a [Candidate],
    routes: &'a BTreeMap<(u32, u32), Route>,
    max_batch: usize,
    /// The trades still planned (ids = candidate indices).
    pub trades: Vec<MatchedTrade>,
    /// Intents the contract refused, with its error.
    pub refused_intents: Vec<SkippedIntent>,
    /// Trades dropped because the contract refused them or one of their
    /// intents, with its error.
    pub refused_trades: Vec<(MatchedTrade, String)>,
}

impl<'a> Commit<'a> {
    /// The commit of `trades` (fitted to `routes` by
    /// [`crate::online::to_commit`]) between `candidates`, at most
    /// `max_batch` trades a batch.
    pub fn new(
        candidates: &'a [Candidate],
        trades: Vec<MatchedTrade>,
        routes: &'a BTreeMap<(u32, u32), Route>,
        max_batch: usize,
    ) -> Self {
        Commit {
            candidates,
            routes,
            max_batch,
            trades,
            refused_intents: Vec::new(),
            refused_trades: Vec::new(),
        }
    }

    /// The batch to send now (empty trades: nothing left to commit).
    pub fn batch(&self) -> Batch {
        build_batch(self.candidates, &self.trades, self.routes, self.max_batch)
    }

    /// The contract refused `batch` (the last [`Commit::batch`]) with
    /// `raw_log`: drops the intent (with its trades) or the trade it names
    /// and says what to do next.
    pub fn refused(&mut self, batch: &Batch, raw_log: &str) -> Next {
        match refused_index(raw_log) {
            Some(Refused::SlotCommitted) => Next::SlotCommitted,
            Some(Refused::Intent(i)) if i < batch.candidates.len() => {
                let cand = batch.candidates[i];
                let c = &self.candidates[cand];
                self.refused_intents.push(SkippedIntent {
                    hash: c.hash.clone(),
                    owner: c.owner.clone(),
                    nonce: c.batch.nonce,
                    reason: raw_log.to_string(),
                });
                let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.trades)
                    .into_iter()
                    .partition(|t| t.bid as usize == cand || t.offer as usize == cand);
                self.trades = kept;
                self.refused_trades
                    .extend(gone.into_iter().map(|t| (t, raw_log.to_string())));
                Next::Retry
            }
            Some(Refused::Trade(i)) if i < batch.trades.len() => {
                let t = &batch.trades[i];
                let (bid, offer) = (
                    batch.candidates[t.bid as usize] as u64,
                    batch.candidates[t.offer as usize] as u64,
                );
                let (wh, price) = (t.wh.to_string(), t.price.to_string());
                let at = self.trades.iter().position(|m| {
                    m.bid == bid && m.offer == offer && m.wh == wh && m.price == price
                });
                match at {
                    Some(at) => {
                        let gone = self.trades.remove(at);
                        self.refused_trades.push((gone, raw_log.to_string()));
                        Next::Retry
                    }
                    None => Next::Fail,
                }
            }
            _ => Next::Fail,
        }
    }
}

#[cfg(test)]
mod tests;

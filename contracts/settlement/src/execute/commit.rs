//! The matcher's once-per-slot commit of the trades between intents.
//!
//! A household deposits AIP once ([`super::deposit`]), then signs order
//! intents (`aip_types::intent`) that a gateway collects. Before the slot
//! starts the matcher commits them with `CommitIntents`: every intent is
//! verified once per batch (signature, this chain and contract, expiry, slot
//! window, meter, eligibility), every trade is checked by the trade rules of
//! [`crate::rules`] (sides, fills, limits, premium gate, route, capacity,
//! fee, free balances), and the buyer's payment and fee and the seller's
//! collateral are locked from the free balances, netted per account. After
//! delivery, `Settle` ([`super::settle`]) unlocks them and pays out to the
//! free balances.

use std::collections::{BTreeMap, BTreeSet};

use aip_types::hooks::{
    DeliveriesResponse, EligibilitiesResponse, KycQueryHook, MeterDelivery, MeterQueryHook,
    ReputationQueryHook, TradingTermsBatchResponse,
};
use aip_types::intent::{
    verify_signed_intent_with, BatchIntent, DomainKeys, IntentDomain, IntentError,
    Side as IntentSide, SignedIntent,
};
use aip_types::store::{may_load, read};
use aip_types::{check_order, MeterId, NodeId, SlotId, Wh, ZoneId};
use cosmwasm_std::{
    CanonicalAddr, DepsMut, Env, MessageInfo, Response, StdResult, Storage, Uint128,
};

use super::intents::domain;
use super::{only, settle};
use crate::ledger;
use crate::msg::IntentTrade;
use crate::rules::{self, Route};
use crate::state::{
    save_trades, Account, Config, Fill, SlotMeters, TradeRec, CONFIG, CORRIDORS, FEES, FILLS,
    NODE_ZONES, PLACED, SLOTS, SLOT_BATCHES, STATE, USAGE, ZONES,
};
use crate::{ContractError, Rule};

// ---------------------------------------------------------------- commit

/// Most meters the meter-oracle answers in one `Deliveries` query
/// (`meter_oracle::msg::MAX_DELIVERIES_METERS`): every meter of a batch of
/// the largest size, so one query (one contract instance) per commit.
const METER_QUERY_MAX: usize = 2_000;
/// Most accounts one `TradingTermsBatch` (reputation) or `Eligibilities`
/// (zk-verifier) query takes.
const TERMS_QUERY_MAX: usize = 1_000;

/// The VM's limit on a query request (cosmwasm-vm's
/// `MAX_LENGTH_QUERY_CHAIN_REQUEST`).
const QUERY_REQUEST_MAX: usize = 64 * 1024;

/// Bytes of account JSON one terms query to `contract` may carry: the
/// request, `{"wasm":{"smart":{"contract_addr":"<contract>","msg":"<base64
/// of the query JSON>"}}}` (48 bytes besides the address and the base64),
/// stays under [`QUERY_REQUEST_MAX`], with 64 bytes for the query's own
/// keys. With wasmd's `wasm` prefix that is 1,000 accounts of 20 bytes in
/// one query, or about 720 contract accounts of 32 bytes.
fn terms_query_bytes(contract: &str) -> usize {
    (QUERY_REQUEST_MAX - 48 - contract.len()) / 4 * 3 - 64
}

/// Runs of accounts, by the lengths of their addresses, that each fit one
/// terms query: at most [`TERMS_QUERY_MAX`] accounts and `budget` bytes of
/// their JSON ([`terms_query_bytes`]). A batch's owners usually go in one
/// query, so one contract instance.
fn terms_runs(lens: &[usize], budget: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, len) in lens.iter().enumerate() {
        // The address, its quotes and a comma.
        let len = len + 3;
        if i > start && (i - start == TERMS_QUERY_MAX || bytes + len > budget) {
            out.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += len;
    }
    if start < lens.len() {
        out.push(start..lens.len());
    }
    out
}

/// One intent of a batch once checked.
struct Checked {
    owner: String,
    raw: CanonicalAddr,
    hash: [u8; 32],
    side: IntentSide,
    nonce: u64,
    meter: MeterId,
    zone: ZoneId,
    wh: u64,
    limit: Uint128,
    premium_only: bool,
    /// Filled by earlier batches.
    filled_before: u64,
    /// Filled by this batch.
    fill_now: u64,
    /// Whether a later commit could fill it again ([`rules::fill_needs_record`]).
    needs_record: bool,
}

/// Trading terms of one owner in this batch.
#[derive(Clone, Copy)]
struct Terms {
    ratio_bps: u32,
    premium_eligible: bool,
}

/// Checks one intent on its own: bounds, fields, binding, expiry, signature
/// (or on-chain placement), slot window, earlier fills and cancellation.
fn check_intent(
    deps: &DepsMut,
    domain: &IntentDomain,
    keys: &DomainKeys,
    slot: SlotId,
    now: u64,
    bi: &BatchIntent,
) -> Result<Checked, ContractError> {
    check_order(u128::from(bi.wh), u128::from(bi.limit_price))?;
    let intent = bi.intent(domain);
    let (hash, owner) = match &bi.signature {
        Some(sig) => {
            let signed = SignedIntent {
                intent,
                signature: sig.clone(),
            };
            let v = verify_signed_intent_with(deps.api, domain, keys, &signed, now)?;
            (v.hash, v.owner)
        }
        None => {
            intent.validate()?;
            if now >= intent.expires {
                return Err(IntentError::Expired {
                    expires: intent.expires,
                    now,
                }
                .into());
            }
            let hash = intent.hash();
            if read(deps.storage, &PLACED.key(&hash)).is_none() {
                return Err(ContractError::IntentNotPlaced);
            }
            (hash, intent.owner)
        }
    };
    rules::check_slot_window(slot, bi.slot_from, bi.slot_until)?;
    let raw = deps.api.addr_canonicalize(&owner)?;
    let fill: Option<Fill> = may_load(deps.storage, &FILLS.key((raw.as_slice(), bi.nonce)))?;
    let filled_before = rules::check_fill(&owner, bi.nonce, &hash, fill.as_ref())?;
    Ok(Checked {
        owner,
        raw,
        hash,
        side: bi.side,
        nonce: bi.nonce,
        meter: bi.meter,
        zone: 0,
        wh: bi.wh,
        limit: Uint128::from(bi.limit_price),
        premium_only: bi.premium_only,
        filled_before,
        fill_now: 0,
        needs_record: rules::fill_needs_record(slot, bi.slot_from, bi.slot_until, now),
    })
}

/// The matcher commits a slot's trades between signed intents (see
/// [`crate::msg::ExecuteMsg::CommitIntents`]).
pub fn execute_commit_intents(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    slot: SlotId,
    intents: Vec<BatchIntent>,
    trades: Vec<IntentTrade>,
    settle: Vec<SlotId>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(&info, &cfg.matcher, "commit intents", "matcher")?;
    let now = env.block.time.seconds();
    if !slot.is_aligned() {
        return Err(ContractError::UnalignedSlot { slot });
    }
    rules::timeline(slot, &cfg.params, None).check_matching_open(now)?;
    let max = cfg.params.max_batch;
    if trades.is_empty() || trades.len() > max as usize {
        return Err(ContractError::BadBatchSize {
            max,
            got: trades.len(),
        });
    }
    if intents.len() < 2 || intents.len() > 2 * max as usize {
        return Err(ContractError::BadIntentCount {
            max: 2 * max,
            got: intents.len(),
        });
    }
    let mut ss = SLOTS.may_load(deps.storage, slot.0)?.unwrap_or_default();
    if ss.committed || ss.trades > 0 {
        return Err(ContractError::SlotAlreadyCommitted { slot });
    }
    rules::check_carried_settles(slot, &settle)?;

    // 1. Each intent on its own.
    let dom = domain(&env);
    let keys = dom.keys()?;
    let reject_intent = |index: usize, e: ContractError| ContractError::IntentRejected {
        index,
        reason: Box::new(e),
    };
    let mut checked: Vec<Checked> = Vec::with_capacity(intents.len());
    let mut seen: BTreeMap<[u8; 32], usize> = BTreeMap::new();
    for (index, bi) in intents.iter().enumerate() {
        let c =
            check_intent(&deps, &dom, &keys, slot, now, bi).map_err(|e| reject_intent(index, e))?;
        if let Some(first) = seen.insert(c.hash, index) {
            return Err(reject_intent(
                index,
                ContractError::DuplicateIntent { first },
            ));
        }
        checked.push(c);
    }

    // 2. Meters: one query to the registry for the whole batch; each meter
    //    must be an active meter of the intent's owner, and the intent's zone
    //    is its node's zone.
    let mo = cfg
        .meter_oracle
        .as_ref()
        .ok_or(ContractError::NoMeterRegistry)?;
    let meters: Vec<MeterId> = checked
        .iter()
        .map(|c| c.meter)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut registry: BTreeMap<MeterId, MeterDelivery> = BTreeMap::new();
    for chunk in meters.chunks(METER_QUERY_MAX) {
        let r: DeliveriesResponse = deps.querier.query_wasm_smart(
            mo,
            &MeterQueryHook::Deliveries {
                slot,
                meters: chunk.to_vec(),
            },
        )?;
        registry.extend(r.deliveries.into_iter().map(|d| (d.meter, d)));
    }
    let mut node_zones: BTreeMap<NodeId, Option<ZoneId>> = BTreeMap::new();
    let mut zones_known: BTreeMap<ZoneId, bool> = BTreeMap::new();
    for (index, c) in checked.iter_mut().enumerate() {
        let entry = registry.get(&c.meter);
        let node =
            rules::check_meter(&c.owner, c.meter, entry).map_err(|e| reject_intent(index, e))?;
        let nz = match node_zones.get(&node) {
            Some(z) => *z,
            None => {
                let z: Option<ZoneId> = may_load(deps.storage, &NODE_ZONES.key(node))?;
                node_zones.insert(node, z);
                z
            }
        };
        let zone = rules::meter_zone(c.meter, node, nz).map_err(|e| reject_intent(index, e))?;
        let known = match zones_known.get(&zone) {
            Some(k) => *k,
            None => {
                let k = read(deps.storage, &ZONES.key(zone)).is_some();
                zones_known.insert(zone, k);
                k
            }
        };
        if !known {
            return Err(reject_intent(index, ContractError::UnknownZone { zone }));
        }
        c.zone = zone;
    }

    // 3. Eligibility and terms: one query to reputation for every owner.
    let terms = batch_terms(&deps, &cfg, &checked).map_err(|(i, e)| reject_intent(i, e))?;

    // 4. Earlier slots this commit settles (`settle`), into the same ledger:
    //    an account settled and locked here has its page written once.
    //    A slot already fully settled (by a `Settle` that came first) is
    //    skipped, so nobody can make the commit fail by settling it first.
    let mut led = ledger::Ledger::open(deps.storage)?;
    let mut st = STATE.load(deps.storage)?;
    let mut outcomes = Vec::new();
    let mut settled: Vec<String> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    for &s in &settle {
        if settle::fully_settled(deps.storage, s)? {
            skipped.push(s.to_string());
            continue;
        }
        settle::settle_slot(
            deps.storage,
            deps.api,
            &cfg,
            now,
            s,
            None,
            (&mut led, &mut st),
            &mut outcomes,
        )
        .map_err(|e| ContractError::CarriedSettle {
            slot: s,
            reason: Box::new(e),
        })?;
        settled.push(s.to_string());
    }

    // 5. The trades.
    let treasury = deps.api.addr_canonicalize(cfg.treasury.as_str())?;
    let store: &dyn Storage = deps.storage;
    let mut routes: BTreeMap<(ZoneId, ZoneId), Option<Route>> = BTreeMap::new();
    let mut usage: BTreeMap<(ZoneId, ZoneId), Wh> = BTreeMap::new();
    let mut meter_wh: BTreeMap<MeterId, Wh> = BTreeMap::new();
    // Every account the batch touches, read once (a page of the ledger per
    // few accounts); the ledger writes them once, after every check.
    let mut accounts: BTreeMap<Vec<u8>, Account> = BTreeMap::new();
    // Per account: what this batch takes from its free balance, and the
    // part of it that stays locked (the fee goes to the treasury at once).
    let mut need: BTreeMap<Vec<u8>, Uint128> = BTreeMap::new();
    let mut lock: BTreeMap<Vec<u8>, Uint128> = BTreeMap::new();
    let mut fees = Uint128::zero();
    let mut held = Uint128::zero();
    let first = st.next_trade;
    let mut recs: Vec<TradeRec> = Vec::with_capacity(trades.len());

    for (index, t) in trades.iter().enumerate() {
        let reject = |rule: Rule| ContractError::TradeRejected { index, rule };
        rules::check_quantity(t.wh).map_err(reject)?;
        let get = |i: u32| {
            checked
                .get(i as usize)
                .ok_or(reject(Rule::UnknownIntent { index: i }))
        };
        let (bid, offer) = (get(t.bid)?, get(t.offer)?);
        rules::check_sides(
            (t.bid, bid.side),
            (t.offer, offer.side),
            bid.raw == offer.raw,
        )
        .map_err(reject)?;
        for (i, c) in [(t.bid, bid), (t.offer, offer)] {
            rules::check_room(i, c.wh, c.filled_before, c.fill_now, t.wh).map_err(reject)?;
        }
        rules::check_limits(t.price, bid.limit, offer.limit).map_err(reject)?;
        let buyer_terms = terms.get(bid.raw.as_slice()).copied().unwrap_or(Terms {
            ratio_bps: cfg.params.default_collateral_bps,
            premium_eligible: false,
        });
        let seller_ratio = terms
            .get(offer.raw.as_slice())
            .map_or(cfg.params.default_collateral_bps, |t| t.ratio_bps);
        rules::check_premium(t.offer, offer.premium_only, buyer_terms.premium_eligible)
            .map_err(reject)?;
        let key = (offer.zone, bid.zone);
        if let std::collections::btree_map::Entry::Vacant(e) = routes.entry(key) {
            e.insert(load_route(store, slot, key)?);
        }
        let route = routes[&key].as_ref().ok_or(reject(Rule::NoCorridor {
            from: key.0,
            to: key.1,
        }))?;
        if let Some(capacity) = route.capacity {
            let used = match usage.get(&key) {
                Some(u) => *u,
                None => USAGE
                    .may_load(store, (slot.0, key.0, key.1))?
                    .unwrap_or_default(),
            };
            let used = rules::check_capacity(key, capacity, used, t.wh).map_err(reject)?;
            usage.insert(key, used);
        }
        rules::check_fee(t.price, route.fee, bid.limit).map_err(reject)?;
        let rules::TradeAmounts {
            net_wh,
            payment: pay,
            fee,
            collateral,
        } = rules::trade_amounts(
            t.wh,
            t.price,
            route,
            offer.limit,
            cfg.params.collateral_floor_price,
            seller_ratio,
        )
        .map_err(|e| reject(e.into()))?;
        for (c, amount) in [(bid, pay + fee), (offer, collateral)] {
            let who = c.raw.to_vec();
            if !accounts.contains_key(&who) {
                accounts.insert(who.clone(), led.get(store, &who)?);
            }
            let free = accounts[&who].free;
            let n = need.entry(who).or_default();
            *n += amount;
            rules::check_free(&c.owner, free, *n).map_err(reject)?;
        }
        *lock.entry(bid.raw.to_vec()).or_default() += pay;
        *lock.entry(offer.raw.to_vec()).or_default() += collateral;
        fees += fee;
        held += pay + collateral;
        *meter_wh.entry(offer.meter).or_default() += t.wh;
        let wh = t.wh.u128() as u64;
        recs.push(TradeRec {
            slot: slot.0,
            bid: bid.nonce,
            offer: offer.nonce,
            buyer: bid.raw.clone(),
            seller: offer.raw.clone(),
            meter: offer.meter,
            wh: t.wh,
            net_wh,
            price: t.price,
            payment: pay,
            fee,
            collateral,
            intents: true,
            prev_buyer: 0,
            prev_seller: 0,
        });
        checked[t.bid as usize].fill_now += wh;
        checked[t.offer as usize].fill_now += wh;
    }
    if let Some(index) = checked.iter().position(|c| c.fill_now == 0) {
        return Err(reject_intent(index, ContractError::UnusedIntent));
    }

    // All checks passed: write, once per intent, account, meter and corridor.
    let storage = deps.storage;
    // An intent that can never fill again keeps no record (one write less
    // per intent), unless it already has one, which then stays current.
    for c in checked
        .iter()
        .filter(|c| c.needs_record || c.filled_before > 0)
    {
        let mut prefix = [0u8; 8];
        prefix.copy_from_slice(&c.hash[..8]);
        FILLS.save(
            storage,
            (c.raw.as_slice(), c.nonce),
            &Fill {
                filled: c.filled_before + c.fill_now,
                hash: prefix,
                cancelled: false,
            },
        )?;
    }
    if !fees.is_zero() {
        let t = treasury.to_vec();
        if !accounts.contains_key(&t) {
            accounts.insert(t.clone(), led.get(storage, &t)?);
        }
    }
    // Each party's list of trades: a trade names the previous trade of its
    // buyer and of its seller, the account its latest (no index entry per
    // trade and party).
    for (id, rec) in (first..).zip(recs.iter_mut()) {
        for (who, prev) in [
            (rec.buyer.as_slice(), &mut rec.prev_buyer),
            (rec.seller.as_slice(), &mut rec.prev_seller),
        ] {
            if let Some(acc) = accounts.get_mut(who) {
                *prev = acc.last;
                acc.last = id;
            }
        }
    }
    for (who, mut acc) in accounts {
        let n = need.get(&who).copied().unwrap_or_default();
        let l = lock.get(&who).copied().unwrap_or_default();
        acc.free -= n;
        acc.locked += l;
        if who == treasury.as_slice() {
            acc.free += fees;
        }
        led.put(storage, &who, acc)?;
    }
    led.flush(storage)?;
    save_trades(storage, first, &recs);
    let last = first + recs.len() as u64 - 1;
    // A slot commits once, so every seller meter is new to it: the slot's
    // meter records are written here, in chunks.
    ss.meters = meter_wh.len() as u32;
    SlotMeters::new(slot.0, meter_wh).save(storage)?;
    for ((from, to), used) in usage {
        USAGE.save(storage, (slot.0, from, to), &used)?;
    }
    SLOT_BATCHES.save(storage, (slot.0, first), &last)?;
    ss.cursor = first;
    ss.trades = recs.len() as u64;
    ss.last_trade = last;
    ss.committed = true;
    SLOTS.save(storage, slot.0, &ss)?;
    st.next_trade = last + 1;
    st.trades += held;
    st.claimable -= held;
    STATE.save(storage, &st)?;
    let mut res = Response::new()
        .add_attribute("action", "commit_intents")
        .add_attribute("slot", slot.to_string())
        .add_attribute("intents", checked.len().to_string())
        .add_attribute("trades", recs.len().to_string())
        .add_attribute("first_trade_id", first.to_string())
        .add_attribute("last_trade_id", last.to_string());
    if !settle.is_empty() {
        res = res
            .add_attribute("settled_slots", settled.join(","))
            .add_attribute("already_settled_slots", skipped.join(","));
    }
    if let Some(msg) = settle::outcomes_msg(&cfg, outcomes)? {
        res = res.add_message(msg);
    }
    Ok(res)
}

/// The route of a trade from zone `from` to zone `to` in `slot`
/// ([`rules::route`] on the stored corridor and the slot's fee override).
fn load_route(
    store: &dyn Storage,
    slot: SlotId,
    (from, to): (ZoneId, ZoneId),
) -> StdResult<Option<Route>> {
    let fee = FEES.may_load(store, (slot.0, from, to))?;
    let corridor = if from == to {
        None
    } else {
        CORRIDORS.may_load(store, (from, to))?
    };
    Ok(rules::route(from, to, corridor.as_ref(), fee))
}

/// Trading terms of every owner of the batch, from one reputation query
/// (without reputation: the default collateral ratio, no premium). An owner
/// without a reputation token or flagged by the guardian is refused, naming
/// its first intent.
fn batch_terms(
    deps: &DepsMut,
    cfg: &Config,
    checked: &[Checked],
) -> Result<BTreeMap<Vec<u8>, Terms>, (usize, ContractError)> {
    let mut out = BTreeMap::new();
    let Some(rep) = &cfg.reputation else {
        if let Some(i) = checked
            .iter()
            .position(|c| c.premium_only && c.side == IntentSide::Sell)
        {
            return Err((i, ContractError::PremiumNeedsReputation));
        }
        return Ok(out);
    };
    // Each owner once, with the index of its first intent (named in a refusal).
    let mut owners: Vec<&Checked> = Vec::new();
    let mut first_index: Vec<usize> = Vec::new();
    let mut seen: BTreeSet<&[u8]> = BTreeSet::new();
    for (i, c) in checked.iter().enumerate() {
        if seen.insert(c.raw.as_slice()) {
            owners.push(c);
            first_index.push(i);
        }
    }
    // A query request is at most 64 KiB inside the VM: ask in chunks.
    let lens: Vec<usize> = owners.iter().map(|c| c.owner.len()).collect();
    let budget = terms_query_bytes(rep.as_str()).min(
        cfg.kyc_verifier
            .as_ref()
            .map_or(usize::MAX, |v| terms_query_bytes(v.as_str())),
    );
    let chunks: Vec<&[&Checked]> = terms_runs(&lens, budget)
        .into_iter()
        .map(|r| &owners[r])
        .collect();
    let mut all = Vec::with_capacity(owners.len());
    for chunk in &chunks {
        let r: TradingTermsBatchResponse = deps
            .querier
            .query_wasm_smart(
                rep,
                &ReputationQueryHook::TradingTermsBatch {
                    accounts: chunk.iter().map(|c| c.owner.clone()).collect(),
                },
            )
            .map_err(|e| (0, e.into()))?;
        all.extend(r.terms);
    }
    // KYC: one `eligibilities` query per chunk of owners; an owner whose
    // proof expired or was revoked trades no new intents (existing trades
    // settle), and only a recent proof buys premium-only offers.
    let mut kyc: BTreeMap<&[u8], (bool, bool, String)> = BTreeMap::new();
    if let Some(v) = &cfg.kyc_verifier {
        for chunk in &chunks {
            let r: EligibilitiesResponse = deps
                .querier
                .query_wasm_smart(
                    v,
                    &KycQueryHook::Eligibilities {
                        accounts: chunk.iter().map(|c| c.owner.clone()).collect(),
                    },
                )
                .map_err(|e| (0, e.into()))?;
            for (c, e) in chunk.iter().zip(r.eligibilities) {
                kyc.insert(
                    c.raw.as_slice(),
                    (e.eligible, e.premium_eligible, e.reason.to_string()),
                );
            }
        }
    }
    for ((c, t), index) in owners.iter().zip(all).zip(first_index) {
        let refuse = |reason: &str| {
            (
                index,
                ContractError::NotEligible {
                    account: c.owner.clone(),
                    reason: reason.into(),
                },
            )
        };
        rules::check_terms(&c.owner, &t).map_err(|e| (index, e))?;
        let mut premium_eligible = t.premium_eligible;
        if cfg.kyc_verifier.is_some() {
            let (eligible, premium, reason) =
                kyc.get(c.raw.as_slice())
                    .cloned()
                    .unwrap_or((false, false, "unregistered".into()));
            if !eligible {
                return Err(refuse(&format!("KYC {reason}")));
            }
            premium_eligible &= premium;
        }
        out.insert(
            c.raw.to_vec(),
            Terms {
                ratio_bps: t.collateral_ratio_bps,
                premium_eligible,
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_queries_take_a_thousand_accounts_or_what_fits_the_vm_request() {
        // wasmd's 32-byte contract address with the `wasm` prefix.
        let contract = format!("wasm1{}", "q".repeat(58));
        let budget = terms_query_bytes(&contract);
        assert_eq!(budget, 49_004);
        // 1,000 owners of 20 bytes (43 characters): one query.
        assert_eq!(terms_runs(&[43; 1_000], budget), vec![0..1_000]);
        // 2,000: two, split by count.
        assert_eq!(
            terms_runs(&[43; 2_000], budget),
            vec![0..1_000, 1_000..2_000]
        );
        // 32-byte contract accounts (63 characters, 66 bytes of JSON each):
        // split by bytes, 742 to a query.
        assert_eq!(terms_runs(&[63; 1_000], budget), vec![0..742, 742..1_000]);
        // An address larger than the budget still goes, alone.
        assert_eq!(terms_runs(&[60_000, 43], budget), vec![0..1, 1..2]);
        assert!(terms_runs(&[], budget).is_empty());
        // The largest run's request, as the VM sees it, fits its limit.
        for (len, n) in [(43, 1_000), (63, 742)] {
            let accounts: Vec<String> = (0..n)
                .map(|i| format!("wasm1{:0>w$}", i, w = len - 5))
                .collect();
            for hook in [
                cosmwasm_std::to_json_binary(&ReputationQueryHook::TradingTermsBatch {
                    accounts: accounts.clone(),
                }),
                cosmwasm_std::to_json_binary(&KycQueryHook::Eligibilities {
                    accounts: accounts.clone(),
                }),
            ] {
                let request = cosmwasm_std::QueryRequest::<cosmwasm_std::Empty>::Wasm(
                    cosmwasm_std::WasmQuery::Smart {
                        contract_addr: contract.clone(),
                        msg: hook.unwrap(),
                    },
                );
                let bytes = cosmwasm_std::to_json_vec(&request).unwrap().len();
                assert!(
                    bytes <= QUERY_REQUEST_MAX,
                    "{len}-character accounts: {bytes}"
                );
            }
        }
    }
}

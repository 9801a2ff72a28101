//! Execute handlers.

use std::collections::BTreeMap;

use aip_types::hooks::reputation::{Ruling, TradeOutcome};
use aip_types::pages::Book;
use aip_types::TradeId;
use cosmwasm_std::{
    Addr, Api, DepsMut, Empty, Env, MessageInfo, Order, Response, StdResult, Storage, Uint128,
};
use cw721::msg::CollectionInfoMsg;
use cw721::state::{Cw721Config, NftInfo};
use cw721::{EmptyOptionalCollectionExtension, EmptyOptionalCollectionExtensionMsg};

use crate::msg::TierTerms;
use crate::query::effective;
use crate::score::{self, pair_contribution, SUCCESS_THRESHOLD_BPS};
use crate::state::{
    load_stats, load_trade, parties_hash, ruling_recorded, save_ruling, save_stats, save_trade,
    update_stats, Flag, PairReviews, Stats, TradeBook, TradeRecord, CONFIG, FLAGS, PAIRS,
    REVIEWED_BY_BUYER, REVIEWED_BY_SELLER, TERMS,
};
use crate::ContractError;

type Cw721Store = Cw721Config<'static, Option<Empty>>;

/// Longest accepted token URI, bytes.
pub const MAX_TOKEN_URI_LEN: usize = 512;

/// A message no soulbound token accepts.
pub fn execute_soulbound(action: &str) -> Result<Response, ContractError> {
    Err(ContractError::Soulbound {
        action: action.to_string(),
    })
}

fn checked_add(a: u64, b: u64, what: &str) -> Result<u64, ContractError> {
    a.checked_add(b).ok_or_else(|| ContractError::Overflow {
        what: what.to_string(),
    })
}

fn to_u64(v: Uint128, what: &str) -> Result<u64, ContractError> {
    u64::try_from(v.u128()).map_err(|_| ContractError::Overflow {
        what: what.to_string(),
    })
}

/// Whether a token with this id exists.
pub fn token_exists(storage: &dyn Storage, token_id: &str) -> bool {
    Cw721Store::default().nft_info.has(storage, token_id)
}

/// Mint `owner`'s token (id = its address) if `sender` may mint.
pub fn execute_mint_for(
    deps: DepsMut,
    info: MessageInfo,
    owner: String,
    token_uri: Option<String>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let (minter, allowed) = match &cfg.zk_verifier {
        Some(v) => (v, "the zk-verifier"),
        None => (&cfg.admin, "the admin (no zk-verifier is set)"),
    };
    aip_types::auth::ensure_any(&info.sender, &[minter], "mint", allowed)?;
    let owner = deps.api.addr_validate(&owner)?;
    if token_exists(deps.storage, owner.as_str()) {
        return Err(ContractError::AlreadyRegistered {
            owner: owner.to_string(),
        });
    }
    let token_uri = token_uri.filter(|u| !u.is_empty());
    if let Some(u) = &token_uri {
        if u.len() > MAX_TOKEN_URI_LEN || u.chars().any(char::is_whitespace) {
            return Err(ContractError::InvalidTokenUri {});
        }
    }
    // Written through cw721-base's own storage (its `mint` would link the
    // `url` crate's IDNA tables, about 250 KB of wasm, for one URI check).
    let store = Cw721Store::default();
    store.nft_info.save(
        deps.storage,
        owner.as_str(),
        &NftInfo {
            owner: owner.clone(),
            approvals: vec![],
            token_uri,
            extension: None,
        },
    )?;
    store.increment_tokens(deps.storage)?;
    set_token_flag(deps.storage, deps.api, &owner, true)?;
    Ok(Response::new()
        .add_attribute("action", "mint")
        .add_attribute("minter", info.sender)
        .add_attribute("owner", owner.as_str())
        .add_attribute("token_id", owner.as_str()))
}

/// The cw721 `mint` message, under `mint_for`'s rules.
pub fn execute_mint(
    deps: DepsMut,
    info: MessageInfo,
    token_id: String,
    owner: String,
    token_uri: Option<String>,
    extension: Option<Empty>,
) -> Result<Response, ContractError> {
    if extension.is_some() {
        return Err(ContractError::ExtensionNotAllowed {});
    }
    if token_id != owner {
        return Err(ContractError::TokenIdMismatch { owner, token_id });
    }
    execute_mint_for(deps, info, owner, token_uri)
}

/// Burns a token (its owner or the admin); the account's history stays.
pub fn execute_burn(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let token = Cw721Store::default()
        .nft_info
        .may_load(deps.storage, &token_id)?
        .ok_or_else(|| ContractError::TokenNotFound {
            token_id: token_id.clone(),
        })?;
    aip_types::auth::ensure_any(
        &info.sender,
        &[&token.owner, &cfg.admin],
        "burn",
        "the token's owner or the admin",
    )?;
    // cw721-base burns on behalf of the owner (authorization is checked above).
    let as_owner = MessageInfo {
        sender: token.owner.clone(),
        funds: vec![],
    };
    cw721::execute::burn_nft::<Empty>(deps.branch(), &env, &as_owner, token_id.clone())?;
    set_token_flag(deps.storage, deps.api, &token.owner, false)?;
    Ok(Response::new()
        .add_attribute("action", "burn")
        .add_attribute("sender", info.sender)
        .add_attribute("owner", token.owner)
        .add_attribute("token_id", token_id))
}

/// The admin renames the collection (cw721 `update_collection_info`; no extension).
pub fn execute_update_collection_info(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    collection_info: CollectionInfoMsg<EmptyOptionalCollectionExtensionMsg>,
) -> Result<Response, ContractError> {
    assert_admin(deps.storage, &info.sender, "update the collection info")?;
    let res = cw721::execute::update_collection_info::<
        EmptyOptionalCollectionExtension,
        EmptyOptionalCollectionExtensionMsg,
        Empty,
    >(deps, Some(&info), &env, collection_info)?;
    Ok(res)
}

fn assert_admin(storage: &dyn Storage, sender: &Addr, action: &str) -> Result<(), ContractError> {
    let cfg = CONFIG.load(storage)?;
    Ok(aip_types::auth::ensure_role(
        sender, &cfg.admin, action, "admin",
    )?)
}

fn assert_settlement(
    storage: &dyn Storage,
    sender: &Addr,
    action: &str,
) -> Result<(), ContractError> {
    let cfg = CONFIG.load(storage)?;
    match cfg.settlement {
        None => Err(ContractError::RoleNotSet {
            role: "settlement contract".into(),
        }),
        Some(s) => Ok(aip_types::auth::ensure_role(
            sender,
            &s,
            action,
            "settlement contract",
        )?),
    }
}

/// Records in `who`'s statistics whether it holds its token ([`Stats::token`]).
fn set_token_flag(
    storage: &mut dyn Storage,
    api: &dyn Api,
    who: &Addr,
    token: bool,
) -> StdResult<()> {
    update_stats(storage, api, who, |s| s.token = token)
}

/// Loads each touched account once (a page of statistics per few accounts),
/// writes each page once. An account minted before [`Stats::token`] existed
/// gets the flag here, at its first outcome since (its token read once).
struct StatsCache {
    book: Book<Stats>,
    stats: BTreeMap<Addr, (Vec<u8>, Stats)>,
}

impl StatsCache {
    fn open(storage: &dyn Storage) -> StdResult<Self> {
        Ok(StatsCache {
            book: Book::open(storage)?,
            stats: BTreeMap::new(),
        })
    }

    fn get<'a>(
        &'a mut self,
        storage: &dyn Storage,
        api: &dyn Api,
        who: &Addr,
    ) -> StdResult<&'a mut Stats> {
        if !self.stats.contains_key(who) {
            let key = api.addr_canonicalize(who.as_str())?.to_vec();
            let mut s = self.book.get(storage, &key)?;
            s.token = s.token || crate::query::holds_token(storage, who);
            self.stats.insert(who.clone(), (key, s));
        }
        Ok(&mut self.stats.get_mut(who).expect("inserted above").1)
    }

    fn save(mut self, storage: &mut dyn Storage) -> StdResult<usize> {
        let n = self.stats.len();
        for (key, s) in self.stats.values() {
            self.book.put(storage, key, *s)?;
        }
        self.book.flush(storage)?;
        Ok(n)
    }
}

fn note_trade(s: &mut Stats, slot: u64, successful: bool) -> Result<(), ContractError> {
    s.trades = checked_add(s.trades, 1, "trade count")?;
    if successful {
        s.successful = checked_add(s.successful, 1, "success count")?;
    }
    if s.active_slots == 0 || slot > s.last_slot {
        s.active_slots = checked_add(s.active_slots, 1, "active slots")?;
        s.last_slot = slot;
    }
    Ok(())
}

/// Settlement records settled trades: each trade id once; updates both parties' history.
pub fn execute_record_outcomes(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    outcomes: Vec<TradeOutcome>,
) -> Result<Response, ContractError> {
    assert_settlement(deps.storage, &info.sender, "record outcomes")?;
    let now = env.block.time.seconds();
    // Every check runs before the first write: a rejected batch changes nothing.
    let mut cache = StatsCache::open(deps.storage)?;
    let mut book = TradeBook::default();
    let mut records: Vec<(TradeId, TradeRecord)> = Vec::with_capacity(outcomes.len());
    let mut seen = std::collections::BTreeSet::new();
    for o in &outcomes {
        let seller = deps.api.addr_validate(&o.seller)?;
        let buyer = deps.api.addr_validate(&o.buyer)?;
        let id = o.trade_id;
        if seller == buyer {
            return Err(ContractError::SelfTrade { trade_id: id });
        }
        if o.contracted_wh.is_zero() {
            return Err(ContractError::EmptyTrade { trade_id: id });
        }
        if o.delivered_wh > o.contracted_wh {
            return Err(ContractError::DeliveredExceedsContracted {
                trade_id: id,
                delivered_wh: o.delivered_wh.u128(),
                contracted_wh: o.contracted_wh.u128(),
            });
        }
        if !seen.insert(id) || book.get(deps.storage, id)?.is_some() {
            return Err(ContractError::OutcomeAlreadyRecorded { trade_id: id });
        }
        let contracted = to_u64(o.contracted_wh, "contracted Wh")?;
        let delivered = to_u64(o.delivered_wh, "delivered Wh")?;
        let delivered_well =
            delivered as u128 * 10_000 >= contracted as u128 * SUCCESS_THRESHOLD_BPS;
        let slot = o.slot.0;

        let s = cache.get(deps.storage, deps.api, &seller)?;
        note_trade(s, slot, delivered_well)?;
        s.sold = checked_add(s.sold, 1, "seller trade count")?;
        s.contracted_wh = checked_add(s.contracted_wh, contracted, "contracted Wh")?;
        s.delivered_wh = checked_add(s.delivered_wh, delivered, "delivered Wh")?;

        // A purchase counts for participation and disputes, not as a success:
        // buying cannot raise the terms that protect buyers (M3).
        let b = cache.get(deps.storage, deps.api, &buyer)?;
        note_trade(b, slot, false)?;

        records.push((
            id,
            TradeRecord {
                parties: parties_hash(seller.as_str(), buyer.as_str()),
                recorded_at: now,
                reviewed: 0,
            },
        ));
    }
    for (id, r) in records {
        book.put(deps.storage, id, r)?;
    }
    book.flush(deps.storage);
    let accounts = cache.save(deps.storage)?;
    Ok(Response::new()
        .add_attribute("action", "record_outcomes")
        .add_attribute("trades", outcomes.len().to_string())
        .add_attribute("accounts", accounts.to_string()))
}

/// Settlement records the arbiter's ruling on a trade: each trade id once; the
/// shares each party lost go to its dispute record.
pub fn execute_record_ruling(
    deps: DepsMut,
    info: MessageInfo,
    trade_id: TradeId,
    seller: String,
    buyer: String,
    ruling: Ruling,
) -> Result<Response, ContractError> {
    assert_settlement(deps.storage, &info.sender, "record rulings")?;
    let seller = deps.api.addr_validate(&seller)?;
    let buyer = deps.api.addr_validate(&buyer)?;
    if seller == buyer {
        return Err(ContractError::SelfTrade { trade_id });
    }
    if ruling_recorded(deps.storage, trade_id) {
        return Err(ContractError::RulingAlreadyRecorded { trade_id });
    }
    // The seller keeps `seller_share` of the payment: it lost the rest of the
    // dispute, and the buyer lost `seller_share`.
    let seller_share: u64 = match ruling {
        Ruling::PaySeller => 10_000,
        Ruling::RefundBuyer => 0,
        Ruling::Split { seller_bps } => {
            if seller_bps > 10_000 {
                return Err(ContractError::InvalidSplit { seller_bps });
            }
            seller_bps as u64
        }
    };
    let mut cache = StatsCache::open(deps.storage)?;
    for (who, lost) in [(&seller, 10_000 - seller_share), (&buyer, seller_share)] {
        let s = cache.get(deps.storage, deps.api, who)?;
        s.disputes = checked_add(s.disputes, 1, "dispute count")?;
        s.dispute_loss_bps = checked_add(s.dispute_loss_bps, lost, "dispute losses")?;
    }
    cache.save(deps.storage)?;
    save_ruling(deps.storage, trade_id);
    Ok(Response::new()
        .add_attribute("action", "record_ruling")
        .add_attribute("trade_id", trade_id.to_string())
        .add_attribute("seller_lost_bps", (10_000 - seller_share).to_string())
        .add_attribute("buyer_lost_bps", seller_share.to_string()))
}

/// Adds (`add = true`) or removes one pair's counted contribution to the
/// reviewed account; a reciprocated pair's (`mutual`) goes to the reciprocated
/// part too, which `score::counted_reviews` caps.
fn apply_contribution(
    s: &mut Stats,
    (w, wr): (u64, u64),
    add: bool,
    mutual: bool,
) -> Result<(), ContractError> {
    if add {
        s.review_weight = checked_add(s.review_weight, w, "review weight")?;
        s.review_weighted_sum = checked_add(s.review_weighted_sum, wr, "review sum")?;
        if mutual {
            s.mutual_review_weight = checked_add(s.mutual_review_weight, w, "review weight")?;
            s.mutual_review_weighted_sum =
                checked_add(s.mutual_review_weighted_sum, wr, "review sum")?;
        }
    } else {
        s.review_weight = s.review_weight.saturating_sub(w);
        s.review_weighted_sum = s.review_weighted_sum.saturating_sub(wr);
        if mutual {
            s.mutual_review_weight = s.mutual_review_weight.saturating_sub(w);
            s.mutual_review_weighted_sum = s.mutual_review_weighted_sum.saturating_sub(wr);
        }
    }
    Ok(())
}

/// A party rates its counterparty on a recorded trade, once, within the review window.
pub fn execute_review(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    trade_id: TradeId,
    counterparty: String,
    rating: u8,
) -> Result<Response, ContractError> {
    if !(1..=5).contains(&rating) {
        return Err(ContractError::InvalidRating { rating });
    }
    let reviewer = info.sender;
    let reviewed = deps.api.addr_validate(&counterparty)?;
    if reviewed == reviewer {
        return Err(ContractError::SelfReview {});
    }
    let mut trade =
        load_trade(deps.storage, trade_id)?.ok_or(ContractError::UnknownTrade { trade_id })?;
    let role = if trade.parties == parties_hash(reviewer.as_str(), reviewed.as_str()) {
        REVIEWED_BY_SELLER
    } else if trade.parties == parties_hash(reviewed.as_str(), reviewer.as_str()) {
        REVIEWED_BY_BUYER
    } else {
        return Err(ContractError::NotAParty {
            trade_id,
            reviewer: reviewer.to_string(),
            counterparty: reviewed.to_string(),
        });
    };
    if trade.reviewed & role != 0 {
        return Err(ContractError::AlreadyReviewed {
            trade_id,
            reviewer: reviewer.to_string(),
        });
    }
    let cfg = CONFIG.load(deps.storage)?;
    let closes = trade.recorded_at.saturating_add(cfg.review_window_secs);
    if env.block.time.seconds() > closes {
        return Err(ContractError::ReviewWindowClosed {
            trade_id,
            closed_at: closes,
        });
    }

    // The reviewer's weight is its effective score now (0 without a token).
    let terms = TERMS.load(deps.storage)?;
    let weight = effective(deps.storage, deps.api, &terms, &reviewer)?.score as u64;

    let key = (&reviewer, &reviewed);
    let existing = PAIRS.may_load(deps.storage, key)?;
    let first_of_pair = existing.is_none();
    let old = existing.unwrap_or_default();
    // Reciprocated: the reviewed account has reviewed the reviewer too.
    let back = PAIRS.may_load(deps.storage, (&reviewed, &reviewer))?;
    let mutual = back.is_some();
    let new = PairReviews {
        count: old.count.saturating_add(1),
        weight: checked_add(old.weight, weight, "pair weight")?,
        weighted_sum: checked_add(old.weighted_sum, weight * rating as u64, "pair sum")?,
    };
    PAIRS.save(deps.storage, key, &new)?;

    let mut target = load_stats(deps.storage, deps.api, &reviewed)?;
    target.reviews_received = checked_add(target.reviews_received, 1, "review count")?;
    let reviewer_flagged = FLAGS.has(deps.storage, &reviewer);
    if !reviewer_flagged {
        apply_contribution(
            &mut target,
            pair_contribution(old.weight, old.weighted_sum),
            false,
            mutual,
        )?;
        apply_contribution(
            &mut target,
            pair_contribution(new.weight, new.weighted_sum),
            true,
            mutual,
        )?;
    }
    save_stats(deps.storage, deps.api, &reviewed, &target)?;
    // The first review of this pair makes the opposite one reciprocated: its
    // counted contribution to the reviewer (if its reviewer is not flagged)
    // joins the reviewer's reciprocated part.
    if let (true, Some(back)) = (first_of_pair, back) {
        if !FLAGS.has(deps.storage, &reviewed) {
            let mut own = load_stats(deps.storage, deps.api, &reviewer)?;
            let (w, wr) = pair_contribution(back.weight, back.weighted_sum);
            own.mutual_review_weight = checked_add(own.mutual_review_weight, w, "review weight")?;
            own.mutual_review_weighted_sum =
                checked_add(own.mutual_review_weighted_sum, wr, "review sum")?;
            save_stats(deps.storage, deps.api, &reviewer, &own)?;
        }
    }

    trade.reviewed |= role;
    save_trade(deps.storage, trade_id, &trade)?;

    Ok(Response::new()
        .add_attribute("action", "review")
        .add_attribute("trade_id", trade_id.to_string())
        .add_attribute("reviewer", reviewer)
        .add_attribute("reviewed", reviewed)
        .add_attribute("rating", rating.to_string())
        .add_attribute("weight", weight.to_string())
        .add_attribute("counted", (!reviewer_flagged).to_string()))
}

fn assert_guardian(
    storage: &dyn Storage,
    sender: &Addr,
    action: &str,
) -> Result<(), ContractError> {
    let cfg = CONFIG.load(storage)?;
    match cfg.guardian {
        None => Err(ContractError::RoleNotSet {
            role: "guardian".into(),
        }),
        Some(g) => Ok(aip_types::auth::ensure_role(
            sender, &g, action, "guardian",
        )?),
    }
}

/// Adds or removes every counted contribution of `reviewer`'s reviews.
/// Linear in the number of accounts the reviewer has reviewed.
fn toggle_reviews_of(
    storage: &mut dyn Storage,
    api: &dyn Api,
    reviewer: &Addr,
    add: bool,
) -> Result<usize, ContractError> {
    let pairs: Vec<(Addr, PairReviews)> = PAIRS
        .prefix(reviewer)
        .range(storage, None, None, Order::Ascending)
        .collect::<StdResult<_>>()?;
    for (reviewed, p) in &pairs {
        let mutual = PAIRS.has(storage, (reviewed, reviewer));
        let mut s = load_stats(storage, api, reviewed)?;
        apply_contribution(
            &mut s,
            pair_contribution(p.weight, p.weighted_sum),
            add,
            mutual,
        )?;
        save_stats(storage, api, reviewed, &s)?;
    }
    Ok(pairs.len())
}

/// The guardian flags an account: its score is frozen at the current one and penalized.
pub fn execute_flag(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    account: String,
    reason: String,
) -> Result<Response, ContractError> {
    assert_guardian(deps.storage, &info.sender, "flag accounts")?;
    let account = deps.api.addr_validate(&account)?;
    if FLAGS.has(deps.storage, &account) {
        return Err(ContractError::AlreadyFlagged {
            account: account.to_string(),
        });
    }
    let score_at_flag = score::base_score(&load_stats(deps.storage, deps.api, &account)?);
    FLAGS.save(
        deps.storage,
        &account,
        &Flag {
            reason: reason.clone(),
            since: env.block.time.seconds(),
            score_at_flag,
        },
    )?;
    let suspended = toggle_reviews_of(deps.storage, deps.api, &account, false)?;
    Ok(Response::new()
        .add_attribute("action", "flag")
        .add_attribute("account", account)
        .add_attribute("reason", reason)
        .add_attribute("score_at_flag", score_at_flag.to_string())
        .add_attribute("reviews_suspended_pairs", suspended.to_string()))
}

/// The guardian lifts a flag.
pub fn execute_unflag(
    deps: DepsMut,
    info: MessageInfo,
    account: String,
) -> Result<Response, ContractError> {
    assert_guardian(deps.storage, &info.sender, "unflag accounts")?;
    let account = deps.api.addr_validate(&account)?;
    if !FLAGS.has(deps.storage, &account) {
        return Err(ContractError::NotFlagged {
            account: account.to_string(),
        });
    }
    FLAGS.remove(deps.storage, &account);
    let restored = toggle_reviews_of(deps.storage, deps.api, &account, true)?;
    Ok(Response::new()
        .add_attribute("action", "unflag")
        .add_attribute("account", account)
        .add_attribute("reviews_restored_pairs", restored.to_string()))
}

/// The admin changes roles or the review window; unset fields stay.
pub fn execute_update_config(
    deps: DepsMut,
    info: MessageInfo,
    admin: Option<String>,
    settlement: Option<String>,
    zk_verifier: Option<String>,
    guardian: Option<String>,
    review_window_secs: Option<u64>,
) -> Result<Response, ContractError> {
    assert_admin(deps.storage, &info.sender, "update the config")?;
    let mut cfg = CONFIG.load(deps.storage)?;
    let mut res = Response::new().add_attribute("action", "update_config");
    if let Some(a) = admin {
        cfg.admin = deps.api.addr_validate(&a)?;
        // The cw721 creator (edits collection info) follows the admin.
        cw721::execute::initialize_creator(deps.storage, deps.api, Some(cfg.admin.as_str()))?;
        res = res.add_attribute("admin", cfg.admin.as_str());
    }
    if let Some(s) = settlement {
        cfg.settlement = Some(deps.api.addr_validate(&s)?);
        res = res.add_attribute("settlement", s);
    }
    if let Some(z) = zk_verifier {
        cfg.zk_verifier = Some(deps.api.addr_validate(&z)?);
        res = res.add_attribute("zk_verifier", z);
    }
    if let Some(g) = guardian {
        cfg.guardian = Some(deps.api.addr_validate(&g)?);
        res = res.add_attribute("guardian", g);
    }
    if let Some(w) = review_window_secs {
        cfg.review_window_secs = w;
        res = res.add_attribute("review_window_secs", w.to_string());
    }
    CONFIG.save(deps.storage, &cfg)?;
    Ok(res)
}

/// Checks tier terms: thresholds ordered within 0..=1000, ratios at most 100 %.
pub fn validate_terms(t: &TierTerms) -> Result<(), ContractError> {
    let bad = |reason: &str| {
        Err(ContractError::InvalidTerms {
            reason: reason.into(),
        })
    };
    if t.gold_min_score > score::MAX_SCORE {
        return bad("gold_min_score is above 1000");
    }
    if t.silver_min_score >= t.gold_min_score {
        return bad("silver_min_score must be below gold_min_score");
    }
    for e in [t.newcomer, t.bronze, t.silver, t.gold] {
        if e.collateral_ratio_bps > 10_000 {
            return bad("a collateral ratio is above 10000 bps");
        }
    }
    Ok(())
}

/// The admin replaces the tier thresholds and terms (checked first).
pub fn execute_update_terms(
    deps: DepsMut,
    info: MessageInfo,
    terms: TierTerms,
) -> Result<Response, ContractError> {
    assert_admin(deps.storage, &info.sender, "update the tier terms")?;
    validate_terms(&terms)?;
    TERMS.save(deps.storage, &terms)?;
    Ok(Response::new().add_attribute("action", "update_terms"))
}

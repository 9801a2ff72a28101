//! Query handlers.

use aip_types::hooks::reputation::{
    AccountScore, PriorityScoresResponse, Tier, TradingTermsBatchResponse, TradingTermsResponse,
};
use aip_types::pages::Book;
use cosmwasm_std::{Addr, Api, Deps, Empty, Env, StdResult, Storage};
use cw721::msg::{AllNftInfoResponse, NftInfoResponse};
use cw721::state::Cw721Config;

use crate::msg::{
    ContractConfigResponse, FlagInfo, History, PairReviewsResponse, ReputationMetadata,
    ReputationResponse, ScoreComponents, TierTerms,
};
use crate::score;
use crate::state::{Flag, Stats, CONFIG, FLAGS, PAIRS, TERMS};
use crate::ContractError;

/// Most accounts one `priority_scores` query may ask for.
pub const MAX_PRIORITY_ACCOUNTS: usize = 1000;

/// An account's reputation as every query and the review weight see it.
pub struct Effective {
    /// The account holds a token.
    pub registered: bool,
    /// Its raw recorded history.
    pub stats: Stats,
    /// The score's components, per mille.
    pub components: ScoreComponents,
    /// Score from the history alone.
    pub base_score: u16,
    /// 0 without a token; penalized when flagged.
    pub score: u16,
    /// Tier from the score and the settled trades.
    pub tier: Tier,
    /// The guardian's flag, if any.
    pub flag: Option<Flag>,
}

/// An account's effective reputation: history, components, score (0 without a
/// token, penalized when flagged) and tier.
pub fn effective(
    storage: &dyn Storage,
    api: &dyn Api,
    terms: &TierTerms,
    who: &Addr,
) -> StdResult<Effective> {
    effective_in(storage, api, terms, who, &mut Book::open(storage)?)
}

/// [`effective`] with the statistics read through `stats`: a query about
/// many accounts reads each statistics page once.
fn effective_in(
    storage: &dyn Storage,
    api: &dyn Api,
    terms: &TierTerms,
    who: &Addr,
    stats: &mut Book<Stats>,
) -> StdResult<Effective> {
    let stats = stats.get(storage, api.addr_canonicalize(who.as_str())?.as_slice())?;
    // The statistics say whether the account holds its token; only for an
    // account minted before they did is the token itself read (as an
    // iterator step, `aip_types::store`: settlement's batch queries ask this
    // for every owner of a batch).
    let registered = stats.token || holds_token(storage, who);
    let flag: Option<Flag> = aip_types::store::may_load(storage, &FLAGS.key(who))?;
    let components = score::components(&stats);
    let base_score = score::combine(&components);
    let (score, tier) = if !registered {
        (0, Tier::Newcomer)
    } else {
        let s = match &flag {
            Some(f) => score::flagged_score(base_score, f.score_at_flag),
            None => base_score,
        };
        (s, score::tier(terms, stats.sold, stats.contracted_wh, s))
    };
    Ok(Effective {
        registered,
        stats,
        components,
        base_score,
        score,
        tier,
        flag,
    })
}

/// Whether `who` holds its soulbound token, read from the token itself.
pub fn holds_token(storage: &dyn Storage, who: &Addr) -> bool {
    aip_types::store::read(
        storage,
        &Cw721Config::<Option<Empty>>::default()
            .nft_info
            .key(who.as_str()),
    )
    .is_some()
}

/// Trading terms of one account (`trading_terms`).
pub fn query_trading_terms(
    deps: Deps,
    account: String,
) -> Result<TradingTermsResponse, ContractError> {
    let terms = TERMS.load(deps.storage)?;
    trading_terms(deps, &terms, &account, &mut Book::open(deps.storage)?)
}

/// The trading terms of many accounts, in the order asked (at most
/// [`MAX_PRIORITY_ACCOUNTS`]).
pub fn query_trading_terms_batch(
    deps: Deps,
    accounts: Vec<String>,
) -> Result<TradingTermsBatchResponse, ContractError> {
    if accounts.len() > MAX_PRIORITY_ACCOUNTS {
        return Err(ContractError::TooManyAccounts {
            max: MAX_PRIORITY_ACCOUNTS,
            got: accounts.len(),
        });
    }
    let terms = TERMS.load(deps.storage)?;
    let mut stats = Book::open(deps.storage)?;
    let terms = accounts
        .iter()
        .map(|a| trading_terms(deps, &terms, a, &mut stats))
        .collect::<Result<_, _>>()?;
    Ok(TradingTermsBatchResponse { terms })
}

fn trading_terms(
    deps: Deps,
    terms: &TierTerms,
    account: &str,
    stats: &mut Book<Stats>,
) -> Result<TradingTermsResponse, ContractError> {
    let who = deps.api.addr_validate(account)?;
    let e = effective_in(deps.storage, deps.api, terms, &who, stats)?;
    let entry = terms.for_tier(e.tier);
    Ok(TradingTermsResponse {
        account: who.into_string(),
        registered: e.registered,
        score: e.score,
        tier: e.tier,
        collateral_ratio_bps: entry.collateral_ratio_bps,
        premium_eligible: entry.premium_eligible && e.flag.is_none(),
        flagged: e.flag.is_some(),
    })
}

/// Scores of many accounts for the matcher's trust priority (`priority_scores`).
pub fn query_priority_scores(
    deps: Deps,
    accounts: Vec<String>,
) -> Result<PriorityScoresResponse, ContractError> {
    if accounts.len() > MAX_PRIORITY_ACCOUNTS {
        return Err(ContractError::TooManyAccounts {
            max: MAX_PRIORITY_ACCOUNTS,
            got: accounts.len(),
        });
    }
    let terms = TERMS.load(deps.storage)?;
    let mut stats = Book::open(deps.storage)?;
    let scores = accounts
        .into_iter()
        .map(|a| {
            let who = deps.api.addr_validate(&a)?;
            let e = effective_in(deps.storage, deps.api, &terms, &who, &mut stats)?;
            Ok(AccountScore {
                account: who.into_string(),
                score: e.score,
                tier: e.tier,
            })
        })
        .collect::<Result<_, ContractError>>()?;
    Ok(PriorityScoresResponse { scores })
}

fn history(s: &Stats) -> History {
    let (scored_w, scored_wr) = crate::score::counted_reviews(
        s.review_weight,
        s.review_weighted_sum,
        s.mutual_review_weight,
        s.mutual_review_weighted_sum,
    );
    History {
        trades: s.trades,
        successful_trades: s.successful,
        trades_as_seller: s.sold,
        contracted_wh: s.contracted_wh,
        delivered_wh: s.delivered_wh,
        active_slots: s.active_slots,
        last_slot: s.last_slot,
        disputes: s.disputes,
        dispute_loss_bps: s.dispute_loss_bps,
        reviews_received: s.reviews_received,
        counted_review_weight: s.review_weight,
        counted_review_weighted_sum: s.review_weighted_sum,
        scored_review_weight: scored_w,
        scored_review_weighted_sum: scored_wr,
    }
}

/// Everything about one account (`reputation`).
pub fn query_reputation(deps: Deps, account: String) -> Result<ReputationResponse, ContractError> {
    let who = deps.api.addr_validate(&account)?;
    let terms = TERMS.load(deps.storage)?;
    let e = effective(deps.storage, deps.api, &terms, &who)?;
    Ok(ReputationResponse {
        account: who.to_string(),
        registered: e.registered,
        token_id: e.registered.then(|| who.to_string()),
        score: e.score,
        base_score: e.base_score,
        tier: e.tier,
        components: e.components,
        history: history(&e.stats),
        flag: e.flag.map(|f| FlagInfo {
            reason: f.reason,
            since: f.since,
            score_at_flag: f.score_at_flag,
        }),
    })
}

fn metadata(deps: Deps, token_id: &str) -> Result<ReputationMetadata, ContractError> {
    let who = deps.api.addr_validate(token_id)?;
    let terms = TERMS.load(deps.storage)?;
    let e = effective(deps.storage, deps.api, &terms, &who)?;
    Ok(ReputationMetadata {
        score: e.score,
        tier: e.tier,
        flagged: e.flag.is_some(),
        components: e.components,
        trades: e.stats.trades,
    })
}

/// cw721 `nft_info` with the live reputation as the extension.
pub fn query_nft_info(
    deps: Deps,
    token_id: String,
) -> Result<NftInfoResponse<ReputationMetadata>, ContractError> {
    let base = cw721::query::query_nft_info::<Option<Empty>>(deps.storage, token_id.clone())?;
    Ok(NftInfoResponse {
        token_uri: base.token_uri,
        extension: metadata(deps, &token_id)?,
    })
}

/// cw721 `all_nft_info` with the live reputation as the extension.
pub fn query_all_nft_info(
    deps: Deps,
    env: &Env,
    token_id: String,
    include_expired: bool,
) -> Result<AllNftInfoResponse<ReputationMetadata>, ContractError> {
    let base = cw721::query::query_all_nft_info::<Option<Empty>>(
        deps,
        env,
        token_id.clone(),
        include_expired,
    )?;
    Ok(AllNftInfoResponse {
        access: base.access,
        info: NftInfoResponse {
            token_uri: base.info.token_uri,
            extension: metadata(deps, &token_id)?,
        },
    })
}

/// Reviews from one reviewer to one account and the capped weight that counts.
pub fn query_pair_reviews(
    deps: Deps,
    reviewer: String,
    reviewed: String,
) -> Result<PairReviewsResponse, ContractError> {
    let r = deps.api.addr_validate(&reviewer)?;
    let t = deps.api.addr_validate(&reviewed)?;
    let p = PAIRS.may_load(deps.storage, (&r, &t))?.unwrap_or_default();
    let counted = if FLAGS.has(deps.storage, &r) {
        0
    } else {
        score::pair_contribution(p.weight, p.weighted_sum).0
    };
    Ok(PairReviewsResponse {
        reviewer: r.into_string(),
        reviewed: t.into_string(),
        count: p.count,
        total_weight: p.weight,
        total_weighted_rating: p.weighted_sum,
        counted_weight: counted,
    })
}

/// Roles and the review window.
pub fn query_config(deps: Deps) -> StdResult<ContractConfigResponse> {
    let c = CONFIG.load(deps.storage)?;
    Ok(ContractConfigResponse {
        admin: c.admin,
        settlement: c.settlement,
        zk_verifier: c.zk_verifier,
        guardian: c.guardian,
        review_window_secs: c.review_window_secs,
    })
}

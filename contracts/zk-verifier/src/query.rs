//! Queries.

use cosmwasm_std::{Deps, Env, HexBinary, StdResult};

use crate::error::ContractError;

use crate::msg::{
    AccountEligibility, ConfigResponse, ContextResponse, EligibilitiesResponse, Eligibility,
    EligibilityResponse, NullifierResponse, RootsResponse, StatsResponse, VerifyingKeyResponse,
    DEFAULT_STATS_LIMIT, MAX_ELIGIBILITY_ACCOUNTS, MAX_STATS_LIMIT,
};
use crate::rules::{self, Policy};
use crate::state::{
    Account, Accounts, KeySource, Nullifiers, RegisterRecord, CONFIG, CONTEXTS, LIST_GENERATIONS,
    ROOTS, VK_RAW,
};

fn hex(b: &[u8]) -> HexBinary {
    HexBinary::from(b)
}

/// Roles, policy and the external nullifier.
pub fn query_config(deps: Deps) -> StdResult<ConfigResponse> {
    let c = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        admin: c.admin.to_string(),
        provider: c.provider.to_string(),
        compliance: c.compliance.to_string(),
        reputation: c.reputation.map(|r| r.to_string()),
        grace_period: c.grace_period,
        premium_max_age_days: c.premium_max_age_days,
        external_nullifier: hex(c.external_nullifier.as_slice()),
        chain_id: c.chain_id,
        verifying_key_set: VK_RAW.exists(deps.storage),
        verifying_key_in_code: matches!(
            RegisterRecord::load(deps.storage)?.and_then(|r| r.key),
            Some(KeySource::Embedded(_))
        ),
    })
}

/// The published roots and the current context.
pub fn query_roots(deps: Deps) -> StdResult<RootsResponse> {
    let r = ROOTS.load(deps.storage)?;
    Ok(RootsResponse {
        identity: r.identity.map(|b| hex(b.as_slice())),
        sanctions: hex(r.sanctions.as_slice()),
        revocation: hex(r.revocation.as_slice()),
        context: r.context.map(|b| hex(b.as_slice())),
        lists_generation: r.lists_generation,
    })
}

/// A context's standing: current, replaced (by which root, when, accepted until), or unknown.
pub fn query_context(deps: Deps, context: HexBinary) -> StdResult<ContextResponse> {
    let rec = CONTEXTS.may_load(deps.storage, context.as_slice())?;
    let replaced = rec.as_ref().and_then(|r| r.replaced.clone());
    Ok(ContextResponse {
        known: rec.is_some(),
        current: rec.is_some() && replaced.is_none(),
        replaced_by: replaced.as_ref().map(|r| r.by),
        replaced_at: replaced.as_ref().map(|r| r.at),
        accepted_until: replaced.map(|r| r.accepted_until),
    })
}

/// Whether a nullifier hash was used, and by which account.
pub fn query_nullifier(deps: Deps, nullifier_hash: HexBinary) -> StdResult<NullifierResponse> {
    let account = Nullifiers::account(deps.storage, deps.api, nullifier_hash.as_slice())?;
    Ok(NullifierResponse {
        used: account.is_some(),
        account: account.map(|a| a.to_string()),
    })
}

/// The verifying key as set.
pub fn query_verifying_key(deps: Deps) -> StdResult<VerifyingKeyResponse> {
    Ok(VerifyingKeyResponse {
        verifying_key: VK_RAW.may_load(deps.storage)?.map(|b| hex(b.as_slice())),
    })
}

fn policy(deps: Deps, env: &Env) -> StdResult<Policy> {
    let c = CONFIG.load(deps.storage)?;
    let r = ROOTS.load(deps.storage)?;
    Ok(Policy {
        now: env.block.time.seconds(),
        lists_generation: r.lists_generation,
        grace_period: c.grace_period,
        premium_max_age_days: c.premium_max_age_days,
    })
}

fn standing(deps: Deps, account: Option<&Account>, p: &Policy) -> StdResult<EligibilityResponse> {
    let replaced_at = match account {
        Some(a) if a.lists_generation < p.lists_generation => {
            LIST_GENERATIONS.may_load(deps.storage, a.lists_generation + 1)?
        }
        _ => None,
    };
    Ok(rules::eligibility(account, replaced_at, p))
}

/// Whether `account` may trade now, and trade premium ([`rules::eligibility`]).
pub fn query_eligibility(deps: Deps, env: Env, account: String) -> StdResult<EligibilityResponse> {
    let addr = deps
        .api
        .addr_canonicalize(deps.api.addr_validate(&account)?.as_str())?;
    let p = policy(deps, &env)?;
    let acc = Accounts::load(deps.storage, &addr)?;
    standing(deps, acc.as_ref(), &p)
}

/// Settlement's batch check: one answer per account, in order, by
/// [`rules::eligibility`]. Reads the policy once, then one account record per
/// account (and a lists generation's start once per generation met).
pub fn query_eligibilities(
    deps: Deps,
    env: Env,
    accounts: Vec<String>,
) -> Result<EligibilitiesResponse, ContractError> {
    if accounts.len() > MAX_ELIGIBILITY_ACCOUNTS {
        return Err(ContractError::TooManyAccounts {
            max: MAX_ELIGIBILITY_ACCOUNTS,
            got: accounts.len(),
        });
    }
    let p = policy(deps, &env)?;
    // lists generation → when the next one started (the account's replacement time)
    let mut replaced: Vec<(u32, Option<u64>)> = Vec::new();
    let mut out = Vec::with_capacity(accounts.len());
    for (index, account) in accounts.into_iter().enumerate() {
        let canonical = deps
            .api
            .addr_validate(&account)
            .and_then(|a| deps.api.addr_canonicalize(a.as_str()))
            .map_err(|e| ContractError::InvalidAccount {
                index,
                account: account.clone(),
                reason: e.to_string(),
            })?;
        let acc = Accounts::load(deps.storage, &canonical)?;
        let replaced_at = match &acc {
            Some(a) if a.lists_generation < p.lists_generation => {
                match replaced.iter().find(|(g, _)| *g == a.lists_generation) {
                    Some((_, t)) => *t,
                    None => {
                        let t = LIST_GENERATIONS.may_load(deps.storage, a.lists_generation + 1)?;
                        replaced.push((a.lists_generation, t));
                        t
                    }
                }
            }
            _ => None,
        };
        let e = rules::eligibility(acc.as_ref(), replaced_at, &p);
        out.push(AccountEligibility {
            account,
            eligible: e.eligible,
            premium_eligible: e.premium,
            reason: e.status,
        });
    }
    Ok(EligibilitiesResponse { eligibilities: out })
}

/// Counts of registered accounts by state over one page of accounts.
pub fn query_stats(
    deps: Deps,
    env: Env,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<StatsResponse> {
    let p = policy(deps, &env)?;
    let limit = limit.unwrap_or(DEFAULT_STATS_LIMIT).min(MAX_STATS_LIMIT) as usize;
    let start = start_after
        .map(|a| deps.api.addr_canonicalize(&a))
        .transpose()?;
    let page = Accounts::page(deps.storage, start.as_ref(), limit)?;
    let mut s = StatsResponse {
        registered: page.len() as u32,
        eligible: 0,
        expired: 0,
        needs_reproof: 0,
        premium: 0,
        next: None,
    };
    for (_, acc) in &page {
        let e = standing(deps, Some(acc), &p)?;
        match e.status {
            Eligibility::Eligible => s.eligible += 1,
            Eligibility::Expired => s.expired += 1,
            Eligibility::NeedsReproof => s.needs_reproof += 1,
            Eligibility::Unregistered => {}
        }
        if e.premium {
            s.premium += 1;
        }
    }
    if page.len() == limit {
        s.next = page
            .last()
            .map(|(a, _)| deps.api.addr_humanize(a).map(|h| h.to_string()))
            .transpose()?;
    }
    Ok(s)
}

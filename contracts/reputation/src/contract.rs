//! Entry points: dispatch only. Soulbound refusals first, the rest to
//! `execute`/`query` handlers, cw721 behaviour delegated to cw721-base.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdError,
};
use cw721::msg::Cw721InstantiateMsg;
use cw721::{EmptyOptionalCollectionExtension, EmptyOptionalCollectionExtensionMsg};

use crate::execute::{self as ex, validate_terms};
use crate::msg::{
    CollectionConfigResponse, CollectionInfoResponse, ExecuteMsg, InstantiateMsg, MigrateMsg,
    QueryMsg, DEFAULT_REVIEW_WINDOW_SECS,
};
use crate::query as q;
use crate::state::{Config, CONFIG, TERMS};
use crate::ContractError;

/// The cw2 contract name; `migrate` refuses code stored under another name.
pub const CONTRACT_NAME: &str = "crates.io:reputation";
/// The cw2 version: the crate version; `migrate` refuses downgrades.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Creates the collection: validates the roles and tier terms, stores them with the cw2 version.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let admin = match &msg.admin {
        Some(a) => deps.api.addr_validate(a)?,
        None => info.sender.clone(),
    };
    let validate = |a: &Option<String>| -> Result<_, StdError> {
        a.as_deref().map(|s| deps.api.addr_validate(s)).transpose()
    };
    let cfg = Config {
        admin: admin.clone(),
        settlement: validate(&msg.settlement)?,
        zk_verifier: validate(&msg.zk_verifier)?,
        guardian: validate(&msg.guardian)?,
        review_window_secs: msg.review_window_secs.unwrap_or(DEFAULT_REVIEW_WINDOW_SECS),
    };
    let terms = msg.terms.unwrap_or_default();
    validate_terms(&terms)?;

    // cw721-base: the collection, with this contract as its minter (minting
    // follows `mint_for`'s rules) and the admin as creator.
    cw721::execute::instantiate_with_version::<
        EmptyOptionalCollectionExtension,
        EmptyOptionalCollectionExtensionMsg,
        Empty,
    >(
        deps.branch(),
        &env,
        &info,
        Cw721InstantiateMsg {
            name: msg.name,
            symbol: msg.symbol,
            collection_info_extension: None,
            minter: Some(env.contract.address.to_string()),
            creator: Some(admin.to_string()),
            withdraw_address: None,
        },
        CONTRACT_NAME,
        CONTRACT_VERSION,
    )?;
    CONFIG.save(deps.storage, &cfg)?;
    TERMS.save(deps.storage, &terms)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("admin", admin))
}

/// Dispatches an execute message: soulbound cw721 variants are refused, the others go to their handler.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::TransferNft { .. } => ex::execute_soulbound("transfer_nft"),
        ExecuteMsg::SendNft { .. } => ex::execute_soulbound("send_nft"),
        ExecuteMsg::Approve { .. } => ex::execute_soulbound("approve"),
        ExecuteMsg::Revoke { .. } => ex::execute_soulbound("revoke"),
        ExecuteMsg::ApproveAll { .. } => ex::execute_soulbound("approve_all"),
        ExecuteMsg::RevokeAll { .. } => ex::execute_soulbound("revoke_all"),
        ExecuteMsg::Mint {
            token_id,
            owner,
            token_uri,
            extension,
        } => ex::execute_mint(deps, info, token_id, owner, token_uri, extension),
        ExecuteMsg::Burn { token_id } => ex::execute_burn(deps, env, info, token_id),
        ExecuteMsg::UpdateCollectionInfo { collection_info } => {
            ex::execute_update_collection_info(deps, env, info, collection_info)
        }
        ExecuteMsg::RecordOutcomes { outcomes } => {
            ex::execute_record_outcomes(deps, env, info, outcomes)
        }
        ExecuteMsg::RecordRuling {
            trade_id,
            seller,
            buyer,
            ruling,
        } => ex::execute_record_ruling(deps, info, trade_id, seller, buyer, ruling),
        ExecuteMsg::MintFor { owner } => ex::execute_mint_for(deps, info, owner, None),
        ExecuteMsg::Review {
            trade_id,
            counterparty,
            rating,
        } => ex::execute_review(deps, env, info, trade_id, counterparty, rating),
        ExecuteMsg::Flag { account, reason } => ex::execute_flag(deps, env, info, account, reason),
        ExecuteMsg::Unflag { account } => ex::execute_unflag(deps, info, account),
        ExecuteMsg::UpdateConfig {
            admin,
            settlement,
            zk_verifier,
            guardian,
            review_window_secs,
        } => ex::execute_update_config(
            deps,
            info,
            admin,
            settlement,
            zk_verifier,
            guardian,
            review_window_secs,
        ),
        ExecuteMsg::UpdateTerms { terms } => ex::execute_update_terms(deps, info, terms),
    }
}

/// Dispatches a query and serializes the answer.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    use cw721::query as base;
    Ok(match msg {
        QueryMsg::OwnerOf {
            token_id,
            include_expired,
        } => to_json_binary(&base::query_owner_of(
            deps,
            &env,
            token_id,
            include_expired.unwrap_or(false),
        )?)?,
        QueryMsg::Approval {
            token_id,
            spender,
            include_expired,
        } => to_json_binary(&base::query_approval(
            deps,
            &env,
            token_id,
            deps.api.addr_validate(&spender)?,
            include_expired.unwrap_or(false),
        )?)?,
        QueryMsg::Approvals {
            token_id,
            include_expired,
        } => to_json_binary(&base::query_approvals(
            deps,
            &env,
            token_id,
            include_expired.unwrap_or(false),
        )?)?,
        QueryMsg::Operator {
            owner,
            operator,
            include_expired,
        } => to_json_binary(&base::query_operator(
            deps,
            &env,
            owner,
            operator,
            include_expired.unwrap_or(false),
        )?)?,
        QueryMsg::AllOperators {
            owner,
            include_expired,
            start_after,
            limit,
        } => to_json_binary(&base::query_operators(
            deps,
            &env,
            owner,
            include_expired.unwrap_or(false),
            start_after,
            limit,
        )?)?,
        QueryMsg::NumTokens {} => to_json_binary(&base::query_num_tokens(deps.storage)?)?,
        QueryMsg::GetConfig {} => to_json_binary(&CollectionConfigResponse(base::query_config::<
            EmptyOptionalCollectionExtension,
        >(
            deps,
            env.contract.address,
        )?))?,
        QueryMsg::GetCollectionInfoAndExtension {} => to_json_binary(&CollectionInfoResponse(
            base::query_collection_info_and_extension::<EmptyOptionalCollectionExtension>(deps)?,
        ))?,
        QueryMsg::GetAllInfo {} => to_json_binary(&base::query_all_info(deps, &env)?)?,
        QueryMsg::GetMinterOwnership {} => {
            to_json_binary(&base::query_minter_ownership(deps.storage)?)?
        }
        QueryMsg::GetCreatorOwnership {} => {
            to_json_binary(&base::query_creator_ownership(deps.storage)?)?
        }
        QueryMsg::NftInfo { token_id } => to_json_binary(&q::query_nft_info(deps, token_id)?)?,
        QueryMsg::AllNftInfo {
            token_id,
            include_expired,
        } => to_json_binary(&q::query_all_nft_info(
            deps,
            &env,
            token_id,
            include_expired.unwrap_or(false),
        )?)?,
        QueryMsg::Tokens {
            owner,
            start_after,
            limit,
        } => to_json_binary(&base::query_tokens(deps, &env, owner, start_after, limit)?)?,
        QueryMsg::AllTokens { start_after, limit } => {
            to_json_binary(&base::query_all_tokens(deps, &env, start_after, limit)?)?
        }
        QueryMsg::TradingTerms { account } => {
            to_json_binary(&q::query_trading_terms(deps, account)?)?
        }
        QueryMsg::PriorityScores { accounts } => {
            to_json_binary(&q::query_priority_scores(deps, accounts)?)?
        }
        QueryMsg::TradingTermsBatch { accounts } => {
            to_json_binary(&q::query_trading_terms_batch(deps, accounts)?)?
        }
        QueryMsg::Reputation { account } => to_json_binary(&q::query_reputation(deps, account)?)?,
        QueryMsg::PairReviews { reviewer, reviewed } => {
            to_json_binary(&q::query_pair_reviews(deps, reviewer, reviewed)?)?
        }
        QueryMsg::Config {} => to_json_binary(&q::query_config(deps)?)?,
        QueryMsg::Terms {} => to_json_binary(&TERMS.load(deps.storage)?)?,
    })
}

/// Upgrades the code: the shared guard (`aip_types::migrate`) refuses another
/// contract's code and downgrades, then records the new version.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let res = aip_types::migrate::upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    crate::state::note_legacy_trades(deps.storage);
    Ok(res)
}

//! Setting up the market: instantiate, migrate and `update_config` (admin),
//! and the grid operator's network: zones, corridors, the node -> zone map
//! and per-slot congestion fees.

use aip_types::{SlotId, ZoneId};
use cosmwasm_std::{Addr, Deps, DepsMut, Env, MessageInfo, Response, StdResult};
use cw2::set_contract_version;

use super::only;
use crate::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use crate::msg::{CongestionFee, Corridor, MarketParams, NodeZone, Roles, Zone};
use crate::rules;
use crate::state::{Config, State, CONFIG, CORRIDORS, FEES, NODE_ZONES, STATE, ZONES};
use crate::ContractError;

/// Creates the market with its token, roles and parameters (bounded by
/// [`rules::check_params`]).
pub fn execute_instantiate(
    deps: DepsMut,
    info: MessageInfo,
    token: String,
    roles: Roles,
    params: MarketParams,
) -> Result<Response, ContractError> {
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    rules::check_params(&params)?;
    let token = deps.api.addr_validate(&token)?;
    let cfg = config_from(deps.as_ref(), token, roles, params)?;
    CONFIG.save(deps.storage, &cfg)?;
    STATE.save(
        deps.storage,
        &State {
            next_trade: 1,
            ..State::default()
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("token", cfg.token)
        .add_attribute("admin", cfg.admin)
        .add_attribute("sender", info.sender))
}

/// Migrates to this version: same contract, no downgrade (`aip_types::migrate`).
pub fn execute_migrate(deps: DepsMut) -> Result<Response, ContractError> {
    Ok(aip_types::migrate::upgrade(
        deps.storage,
        CONTRACT_NAME,
        CONTRACT_VERSION,
    )?)
}

fn config_from(
    deps: Deps,
    token: Addr,
    roles: Roles,
    params: MarketParams,
) -> Result<Config, ContractError> {
    let api = deps.api;
    let opt = |a: Option<String>| -> StdResult<Option<Addr>> {
        a.map(|a| api.addr_validate(&a)).transpose()
    };
    Ok(Config {
        token,
        admin: api.addr_validate(&roles.admin)?,
        grid_operator: api.addr_validate(&roles.grid_operator)?,
        matcher: api.addr_validate(&roles.matcher)?,
        arbiter: api.addr_validate(&roles.arbiter)?,
        treasury: api.addr_validate(&roles.treasury)?,
        reputation: opt(roles.reputation)?,
        meter_oracle: opt(roles.meter_oracle)?,
        params,
        kyc_verifier: opt(roles.kyc_verifier)?,
    })
}

/// The admin replaces the roles and/or the market parameters.
pub fn execute_update_config(
    deps: DepsMut,
    info: MessageInfo,
    roles: Option<Roles>,
    params: Option<MarketParams>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(&info, &cfg.admin, "update the config", "admin")?;
    let params = params.unwrap_or(cfg.params.clone());
    rules::check_params(&params)?;
    let new = match roles {
        Some(roles) => config_from(deps.as_ref(), cfg.token.clone(), roles, params)?,
        None => Config { params, ..cfg },
    };
    CONFIG.save(deps.storage, &new)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}

/// The grid operator adds or renames a zone.
pub fn execute_upsert_zone(
    deps: DepsMut,
    info: MessageInfo,
    zone: Zone,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(&info, &cfg.grid_operator, "change zones", "grid operator")?;
    rules::check_zone_name(&zone.name)?;
    ZONES.save(deps.storage, zone.id, &zone.name)?;
    Ok(Response::new()
        .add_attribute("action", "upsert_zone")
        .add_attribute("zone", zone.id.to_string()))
}

/// The grid operator sets a directed corridor between two existing zones.
pub fn execute_set_corridor(
    deps: DepsMut,
    info: MessageInfo,
    c: Corridor,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(&info, &cfg.grid_operator, "set corridors", "grid operator")?;
    if c.from_zone == c.to_zone
        || !ZONES.has(deps.storage, c.from_zone)
        || !ZONES.has(deps.storage, c.to_zone)
    {
        return Err(ContractError::BadCorridor {
            from: c.from_zone,
            to: c.to_zone,
        });
    }
    rules::check_corridor_terms(&c)?;
    CORRIDORS.save(deps.storage, (c.from_zone, c.to_zone), &c)?;
    Ok(Response::new()
        .add_attribute("action", "set_corridor")
        .add_attribute("from_zone", c.from_zone.to_string())
        .add_attribute("to_zone", c.to_zone.to_string()))
}

/// The grid operator removes a corridor (committed trades keep their terms).
pub fn execute_remove_corridor(
    deps: DepsMut,
    info: MessageInfo,
    from_zone: ZoneId,
    to_zone: ZoneId,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(
        &info,
        &cfg.grid_operator,
        "remove corridors",
        "grid operator",
    )?;
    if !CORRIDORS.has(deps.storage, (from_zone, to_zone)) {
        return Err(ContractError::BadCorridor {
            from: from_zone,
            to: to_zone,
        });
    }
    CORRIDORS.remove(deps.storage, (from_zone, to_zone));
    Ok(Response::new()
        .add_attribute("action", "remove_corridor")
        .add_attribute("from_zone", from_zone.to_string())
        .add_attribute("to_zone", to_zone.to_string()))
}

/// The grid operator places grid nodes in existing zones.
pub fn execute_set_node_zones(
    deps: DepsMut,
    info: MessageInfo,
    nodes: Vec<NodeZone>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(
        &info,
        &cfg.grid_operator,
        "place nodes in zones",
        "grid operator",
    )?;
    rules::check_node_count(nodes.len())?;
    for n in &nodes {
        if !ZONES.has(deps.storage, n.zone) {
            return Err(ContractError::UnknownZone { zone: n.zone });
        }
        NODE_ZONES.save(deps.storage, n.node, &n.zone)?;
    }
    Ok(Response::new()
        .add_attribute("action", "set_node_zones")
        .add_attribute("nodes", nodes.len().to_string()))
}

/// The grid operator sets a slot's congestion fees, before the slot starts.
pub fn execute_set_congestion_fees(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    slot: SlotId,
    fees: Vec<CongestionFee>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only(
        &info,
        &cfg.grid_operator,
        "set congestion fees",
        "grid operator",
    )?;
    if !slot.is_aligned() {
        return Err(ContractError::UnalignedSlot { slot });
    }
    rules::timeline(slot, &cfg.params, None).check_fees_open(env.block.time.seconds())?;
    for f in &fees {
        let ok = if f.from_zone == f.to_zone {
            ZONES.has(deps.storage, f.from_zone)
        } else {
            CORRIDORS.has(deps.storage, (f.from_zone, f.to_zone))
        };
        if !ok {
            return Err(ContractError::BadCorridor {
                from: f.from_zone,
                to: f.to_zone,
            });
        }
        rules::check_fee_bound(f.fee_per_kwh)?;
        FEES.save(
            deps.storage,
            (slot.0, f.from_zone, f.to_zone),
            &f.fee_per_kwh,
        )?;
    }
    Ok(Response::new()
        .add_attribute("action", "set_congestion_fees")
        .add_attribute("slot", slot.to_string())
        .add_attribute("fees", fees.len().to_string()))
}

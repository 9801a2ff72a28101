//! Delivery data: after the slot, anyone pulls the seller meters' finalized
//! exports from the meter-oracle (`fetch_deliveries`), resuming after a
//! cursor so that a meter that never reports cannot hold back the others.

use std::collections::BTreeSet;

use aip_types::hooks::{DeliveriesResponse, MeterQueryHook};
use aip_types::{MeterId, SlotId};
use cosmwasm_std::{DepsMut, Env, Response};

use crate::msg::DEFAULT_LIMIT;
use crate::rules;
use crate::state::{SlotMeters, CONFIG, SLOTS};
use crate::ContractError;

/// Stores the finalized exports of up to `limit` unreported seller meters of
/// `slot`, between the slot's end and its delivery deadline.
pub fn execute_fetch_deliveries(
    deps: DepsMut,
    env: Env,
    slot: SlotId,
    limit: Option<u32>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let mo = cfg
        .meter_oracle
        .clone()
        .ok_or(ContractError::NoMeterOracle)?;
    let now = env.block.time.seconds();
    let mut ss = SLOTS.may_load(deps.storage, slot.0)?.unwrap_or_default();
    rules::timeline(slot, &cfg.params, ss.all_reported_at)
        .check_report_window(now, ss.all_reported_at.is_some())?;
    let limit = limit
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, cfg.params.max_batch) as usize;
    // The next `limit` unreported meters after the cursor, wrapping around:
    // every call moves on, so meters that never finalize (a deactivated
    // meter, a device that stopped) cannot hold back the others (H1).
    let mut meters = SlotMeters::load(deps.storage, slot.0)?;
    let unreported = |after: Option<MeterId>, n: usize| -> Vec<MeterId> {
        meters
            .all()
            .iter()
            .filter(|(m, ms)| after.is_none_or(|a| *m > a) && ms.exported.is_none())
            .map(|(m, _)| *m)
            .take(n)
            .collect()
    };
    let mut pending = unreported(Some(ss.fetch_after), limit);
    let cursor = rules::next_fetch_cursor(pending.len(), limit, pending.last().copied());
    if pending.len() < limit && ss.fetch_after != 0 {
        for m in unreported(None, limit - pending.len()) {
            if m > ss.fetch_after {
                break;
            }
            pending.push(m);
        }
    }
    if pending.is_empty() {
        return Err(ContractError::NothingToFetch { slot });
    }
    let r: DeliveriesResponse = deps.querier.query_wasm_smart(
        mo,
        &MeterQueryHook::Deliveries {
            slot,
            meters: pending.clone(),
        },
    )?;
    let wanted: BTreeSet<MeterId> = pending.iter().copied().collect();
    let mut stored = 0u32;
    for d in r.deliveries.iter().filter(|d| d.finalized) {
        if !wanted.contains(&d.meter) {
            continue;
        }
        if !meters.report(d.meter, d.exported_wh) {
            continue; // listed twice in the answer
        }
        ss.meters_reported += 1;
        stored += 1;
    }
    meters.save(deps.storage)?;
    if ss.meters_reported == ss.meters {
        ss.all_reported_at = Some(now);
    }
    ss.fetch_after = cursor;
    SLOTS.save(deps.storage, slot.0, &ss)?;
    Ok(Response::new()
        .add_attribute("action", "fetch_deliveries")
        .add_attribute("slot", slot.to_string())
        .add_attribute("asked", pending.len().to_string())
        .add_attribute("meters", stored.to_string())
        .add_attribute("complete", (ss.all_reported_at.is_some()).to_string()))
}

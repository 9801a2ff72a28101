//! Query handlers.

use aip_types::hooks::meter::{DeliveriesResponse, MeterDelivery};
use aip_types::SlotId;
use cosmwasm_std::{Binary, CanonicalAddr, Deps, Order, StdError, StdResult, Storage, Uint128};

use crate::codec::{MeterEntry, SlotReading};
use crate::execute::bits;
use crate::msg::{
    ConfigResponse, MeterId, MeterResponse, MeterStatus, MetersResponse, OperatorInfo,
    OperatorReport, OperatorsResponse, ReadingResponse, ReadingStatus, ReadingsResponse,
    ReportedResponse, Tolerance,
};
use crate::state::{
    load_readings, load_registry, readings_key, readings_pos, registry_pos, CONFIG, OPERATORS,
    OPERATOR_BY_INDEX, READINGS_PAGE, REGISTRY_PAGE,
};
use crate::ContractError;

/// Roles, quorum, tolerance and counts.
pub fn query_config(deps: Deps) -> StdResult<ConfigResponse> {
    let cfg = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        admin: cfg.admin.to_string(),
        grid_operator: cfg.grid_operator.to_string(),
        quorum: cfg.quorum,
        tolerance: Tolerance {
            wh: cfg.tolerance_wh,
            bps: cfg.tolerance_bps,
        },
        active_operators: cfg.active_operators,
        meters: cfg.meters,
    })
}

fn meter_response(deps: Deps, meter: MeterId, e: &MeterEntry) -> StdResult<MeterResponse> {
    Ok(MeterResponse {
        meter,
        owner: deps
            .api
            .addr_humanize(&CanonicalAddr::from(e.owner.as_slice()))?
            .to_string(),
        node: e.node,
        pubkey: Binary::from(e.pubkey.to_vec()),
        status: e.status,
    })
}

fn unknown(meter: MeterId) -> StdError {
    StdError::generic_err(ContractError::UnknownMeter { meter }.to_string())
}

/// One meter of the registry.
pub fn query_meter(deps: Deps, meter: MeterId) -> StdResult<MeterResponse> {
    let (page, offset) = registry_pos(meter);
    let reg = load_registry(deps.storage, page)?;
    let e = reg.meters.get(&offset).ok_or_else(|| unknown(meter))?;
    meter_response(deps, meter, e)
}

/// A page of meters, optionally filtered by owner or status.
pub fn query_meters(
    deps: Deps,
    owner: Option<String>,
    status: Option<MeterStatus>,
    start_after: Option<MeterId>,
    limit: Option<u32>,
) -> StdResult<MetersResponse> {
    let limit = limit.unwrap_or(30).min(100) as usize;
    let owner = owner
        .map(|o| deps.api.addr_canonicalize(&o).map(|c| c.to_vec()))
        .transpose()?;
    let total = CONFIG.load(deps.storage)?.meters;
    let start = start_after.map_or(1, |s| s.saturating_add(1));
    let mut meters = vec![];
    let mut page_no = start / REGISTRY_PAGE;
    while meters.len() < limit && page_no <= total / REGISTRY_PAGE {
        let page = load_registry(deps.storage, page_no)?;
        for (offset, e) in &page.meters {
            let id = page_no * REGISTRY_PAGE + u32::from(*offset);
            if id < start || meters.len() >= limit {
                continue;
            }
            if owner.as_ref().is_some_and(|o| *o != e.owner)
                || status.is_some_and(|s| s != e.status)
            {
                continue;
            }
            meters.push(meter_response(deps, id, e)?);
        }
        page_no += 1;
    }
    Ok(MetersResponse { meters })
}

/// Every operator ever added.
pub fn query_operators(deps: Deps) -> StdResult<OperatorsResponse> {
    let cfg = CONFIG.load(deps.storage)?;
    let operators = OPERATOR_BY_INDEX
        .range(deps.storage, None, None, Order::Ascending)
        .map(|item| {
            let (_, addr) = item?;
            let op = OPERATORS.load(deps.storage, &addr)?;
            Ok(OperatorInfo {
                address: addr.to_string(),
                index: op.index,
                active: op.active,
                reports: op.reports,
                outliers: op.outliers,
            })
        })
        .collect::<StdResult<_>>()?;
    Ok(OperatorsResponse {
        quorum: cfg.quorum,
        operators,
    })
}

fn operator_names(store: &dyn Storage, mask: u64) -> StdResult<Vec<String>> {
    bits(mask)
        .map(|i| OPERATOR_BY_INDEX.load(store, i).map(|a| a.to_string()))
        .collect()
}

fn reading_response(
    store: &dyn Storage,
    slot: SlotId,
    meter: MeterId,
    reading: Option<&SlotReading>,
) -> StdResult<ReadingResponse> {
    let mut r = ReadingResponse {
        slot,
        meter,
        status: ReadingStatus::None,
        exported_wh: Uint128::zero(),
        imported_wh: Uint128::zero(),
        reporters: vec![],
        outliers: vec![],
        reports: vec![],
    };
    match reading {
        None => {}
        Some(SlotReading::Pending { reporters, reports }) => {
            r.status = ReadingStatus::Pending;
            r.reporters = operator_names(store, *reporters)?;
            r.reports = r
                .reporters
                .iter()
                .zip(reports)
                .map(|(op, (e, i))| OperatorReport {
                    operator: op.clone(),
                    exported_wh: Uint128::from(*e),
                    imported_wh: Uint128::from(*i),
                })
                .collect();
        }
        Some(SlotReading::Final {
            reporters,
            outliers,
            exported,
            imported,
        }) => {
            r.status = ReadingStatus::Finalized;
            r.exported_wh = Uint128::from(*exported);
            r.imported_wh = Uint128::from(*imported);
            r.reporters = operator_names(store, *reporters)?;
            r.outliers = operator_names(store, *outliers)?;
        }
    }
    Ok(r)
}

/// One meter's reading state for a slot.
pub fn query_reading(deps: Deps, slot: SlotId, meter: MeterId) -> StdResult<ReadingResponse> {
    let (page, offset) = readings_pos(meter);
    let rp = load_readings(deps.storage, slot.0, page)?;
    reading_response(deps.storage, slot, meter, rp.meters.get(&offset))
}

/// A page of a slot's reading states (meters with reports only).
pub fn query_readings(
    deps: Deps,
    slot: SlotId,
    start_after: Option<MeterId>,
    limit: Option<u32>,
) -> StdResult<ReadingsResponse> {
    let limit = limit.unwrap_or(100).min(500) as usize;
    let start = start_after.map_or(0, |s| s.saturating_add(1));
    let (first_page, _) = readings_pos(start);
    let lo = readings_key(slot.0, first_page);
    let hi = readings_key(slot.0, u32::MAX);
    let mut readings = vec![];
    for (key, bytes) in deps.storage.range(Some(&lo), Some(&hi), Order::Ascending) {
        let page = u32::from_be_bytes(key[9..13].try_into().expect("13-byte key"));
        let rp = crate::codec::ReadingsPage::decode(&bytes)?;
        for (offset, reading) in &rp.meters {
            let meter = page * READINGS_PAGE + u32::from(*offset);
            if meter < start {
                continue;
            }
            if readings.len() >= limit {
                return Ok(ReadingsResponse { readings });
            }
            readings.push(reading_response(deps.storage, slot, meter, Some(reading))?);
        }
    }
    Ok(ReadingsResponse { readings })
}

/// Which of the meters the operator already reported for the slot.
pub fn query_reported(
    deps: Deps,
    slot: SlotId,
    operator: String,
    meters: Vec<MeterId>,
) -> StdResult<ReportedResponse> {
    let addr = deps.api.addr_validate(&operator)?;
    let Some(op) = OPERATORS.may_load(deps.storage, &addr)? else {
        return Ok(ReportedResponse { meters: vec![] });
    };
    let bit = 1u64 << op.index;
    let mut page_cache: Option<(u32, crate::codec::ReadingsPage)> = None;
    let mut out = vec![];
    for meter in meters {
        let (page, offset) = readings_pos(meter);
        if page_cache.as_ref().map(|(p, _)| *p) != Some(page) {
            page_cache = Some((page, load_readings(deps.storage, slot.0, page)?));
        }
        let (_, rp) = page_cache.as_ref().expect("set above");
        if rp
            .meters
            .get(&offset)
            .is_some_and(|r| r.reporters() & bit != 0)
        {
            out.push(meter);
        }
    }
    Ok(ReportedResponse { meters: out })
}

/// Settlement's hook: registry entries and finalized energy of meters for a slot.
pub fn query_deliveries(
    deps: Deps,
    slot: SlotId,
    meters: Vec<MeterId>,
) -> StdResult<DeliveriesResponse> {
    if meters.len() > crate::msg::MAX_DELIVERIES_METERS {
        return Err(StdError::generic_err(format!(
            "at most {} meters per deliveries query, got {}",
            crate::msg::MAX_DELIVERIES_METERS,
            meters.len()
        )));
    }
    let mut reg_cache: Option<(u32, crate::codec::RegistryPage)> = None;
    let mut rd_cache: Option<(u32, crate::codec::ReadingsPage)> = None;
    let mut deliveries = Vec::with_capacity(meters.len());
    for meter in meters {
        // Unknown ids are left out: the caller sees which are missing.
        let (rpage, roff) = registry_pos(meter);
        if reg_cache.as_ref().map(|(p, _)| *p) != Some(rpage) {
            reg_cache = Some((rpage, load_registry(deps.storage, rpage)?));
        }
        let Some(e) = reg_cache.as_ref().expect("set above").1.meters.get(&roff) else {
            continue;
        };
        let (page, offset) = readings_pos(meter);
        if rd_cache.as_ref().map(|(p, _)| *p) != Some(page) {
            rd_cache = Some((page, load_readings(deps.storage, slot.0, page)?));
        }
        let (finalized, exported, imported) =
            match rd_cache.as_ref().expect("set above").1.meters.get(&offset) {
                Some(SlotReading::Final {
                    exported, imported, ..
                }) => (true, *exported, *imported),
                _ => (false, 0, 0),
            };
        deliveries.push(MeterDelivery {
            meter,
            owner: deps
                .api
                .addr_humanize(&CanonicalAddr::from(e.owner.as_slice()))?
                .to_string(),
            node: e.node,
            status: e.status,
            finalized,
            exported_wh: Uint128::from(exported),
            imported_wh: Uint128::from(imported),
        });
    }
    Ok(DeliveriesResponse { slot, deliveries })
}

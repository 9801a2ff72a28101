//! Execute handlers.

use std::collections::BTreeMap;

use aip_types::{NodeId, SlotId, SLOT_SECONDS};
use cosmwasm_std::{Addr, Binary, DepsMut, Env, MessageInfo, Response, Storage};

use crate::codec::{MeterEntry, ReadingsPage, RegistryPage, SlotReading};
use crate::msg::{
    MeterId, MeterStatus, SignedReading, Tolerance, ED25519_BATCH_LIMIT, MAX_BATCH, MAX_OPERATORS,
};
use crate::payload::reading_payload;
use crate::state::{
    load_readings, load_registry, readings_pos, registry_pos, save_readings, save_registry, Config,
    Operator, CONFIG, OPERATORS, OPERATOR_BY_INDEX,
};
use crate::ContractError;

fn pubkey_bytes(pubkey: &Binary) -> Result<[u8; 32], ContractError> {
    <[u8; 32]>::try_from(pubkey.as_slice())
        .map_err(|_| ContractError::InvalidPubkey { len: pubkey.len() })
}

/// Refuses a relative tolerance above 10,000 bps.
pub fn check_tolerance(t: &Tolerance) -> Result<(), ContractError> {
    if t.bps > 10_000 {
        return Err(ContractError::InvalidTolerance { bps: t.bps });
    }
    Ok(())
}

fn only_grid_operator(cfg: &Config, sender: &Addr, action: &str) -> Result<(), ContractError> {
    Ok(aip_types::auth::ensure_role(
        sender,
        &cfg.grid_operator,
        action,
        "grid operator",
    )?)
}

fn only_admin(cfg: &Config, sender: &Addr, action: &str) -> Result<(), ContractError> {
    Ok(aip_types::auth::ensure_role(
        sender, &cfg.admin, action, "admin",
    )?)
}

/// Creates a meter with the next id.
fn create_meter(
    deps: DepsMut,
    owner: &Addr,
    node: NodeId,
    pubkey: &Binary,
    status: MeterStatus,
) -> Result<MeterId, ContractError> {
    let pubkey = pubkey_bytes(pubkey)?;
    let mut cfg = CONFIG.load(deps.storage)?;
    let meter = cfg
        .meters
        .checked_add(1)
        .ok_or(ContractError::TooManyMeters {})?;
    cfg.meters = meter;
    CONFIG.save(deps.storage, &cfg)?;
    let (page, offset) = registry_pos(meter);
    let mut reg = load_registry(deps.storage, page)?;
    reg.meters.insert(
        offset,
        MeterEntry {
            status,
            node,
            pubkey,
            owner: deps.api.addr_canonicalize(owner.as_str())?.to_vec(),
        },
    );
    save_registry(deps.storage, page, &reg);
    Ok(meter)
}

/// The sender requests a meter at `node` with its device key: pending until approved.
pub fn execute_request_meter(
    deps: DepsMut,
    info: MessageInfo,
    node: NodeId,
    pubkey: Binary,
) -> Result<Response, ContractError> {
    let meter = create_meter(deps, &info.sender, node, &pubkey, MeterStatus::Pending)?;
    Ok(Response::new()
        .add_attribute("action", "request_meter")
        .add_attribute("meter", meter.to_string())
        .add_attribute("owner", info.sender)
        .add_attribute("node", node.to_string()))
}

/// The grid operator registers an active meter for `owner`.
pub fn execute_register_meter(
    deps: DepsMut,
    info: MessageInfo,
    owner: String,
    node: NodeId,
    pubkey: Binary,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only_grid_operator(&cfg, &info.sender, "register meters")?;
    let owner = deps.api.addr_validate(&owner)?;
    let meter = create_meter(deps, &owner, node, &pubkey, MeterStatus::Active)?;
    Ok(Response::new()
        .add_attribute("action", "register_meter")
        .add_attribute("meter", meter.to_string())
        .add_attribute("owner", owner)
        .add_attribute("node", node.to_string()))
}

/// Loads a meter's registry page and its entry.
fn load_meter(
    store: &dyn Storage,
    meter: MeterId,
) -> Result<(u32, u8, RegistryPage), ContractError> {
    let (page, offset) = registry_pos(meter);
    let reg = load_registry(store, page)?;
    if !reg.meters.contains_key(&offset) {
        return Err(ContractError::UnknownMeter { meter });
    }
    Ok((page, offset, reg))
}

/// The grid operator activates a pending meter.
pub fn execute_approve_meter(
    deps: DepsMut,
    info: MessageInfo,
    meter: MeterId,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    only_grid_operator(&cfg, &info.sender, "approve meters")?;
    let (page, offset, mut reg) = load_meter(deps.storage, meter)?;
    let entry = reg.meters.get_mut(&offset).expect("checked by load_meter");
    if entry.status != MeterStatus::Pending {
        return Err(ContractError::WrongMeterStatus {
            meter,
            status: entry.status,
            expected: MeterStatus::Pending,
        });
    }
    entry.status = MeterStatus::Active;
    save_registry(deps.storage, page, &reg);
    Ok(Response::new()
        .add_attribute("action", "approve_meter")
        .add_attribute("meter", meter.to_string()))
}

/// Loads a meter that the sender may manage (owner or grid operator) and that
/// is not deactivated. Returns whether the sender is the grid operator.
fn load_managed_meter(
    deps: &DepsMut,
    sender: &Addr,
    meter: MeterId,
) -> Result<(u32, u8, RegistryPage, bool), ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let (page, offset, reg) = load_meter(deps.storage, meter)?;
    let entry = &reg.meters[&offset];
    let is_grid = *sender == cfg.grid_operator;
    let is_owner = deps.api.addr_canonicalize(sender.as_str())?.as_slice() == entry.owner;
    if !is_grid && !is_owner {
        return Err(ContractError::NotMeterManager {
            sender: sender.to_string(),
            meter,
        });
    }
    if entry.status == MeterStatus::Deactivated {
        return Err(ContractError::MeterDeactivated { meter });
    }
    Ok((page, offset, reg, is_grid))
}

/// Replaces a meter's device key (owner: back to pending; grid operator: at once).
pub fn execute_rotate_meter_key(
    deps: DepsMut,
    info: MessageInfo,
    meter: MeterId,
    pubkey: Binary,
) -> Result<Response, ContractError> {
    let key = pubkey_bytes(&pubkey)?;
    let (page, offset, mut reg, is_grid) = load_managed_meter(&deps, &info.sender, meter)?;
    let entry = reg.meters.get_mut(&offset).expect("checked by load_meter");
    entry.pubkey = key;
    if !is_grid {
        // A key chosen by the owner is trusted only once the DSO approves it.
        entry.status = MeterStatus::Pending;
    }
    let status = entry.status;
    save_registry(deps.storage, page, &reg);
    Ok(Response::new()
        .add_attribute("action", "rotate_meter_key")
        .add_attribute("meter", meter.to_string())
        .add_attribute("status", status.to_string()))
}

/// Retires a meter for good (owner or grid operator).
pub fn execute_deactivate_meter(
    deps: DepsMut,
    info: MessageInfo,
    meter: MeterId,
) -> Result<Response, ContractError> {
    let (page, offset, mut reg, _) = load_managed_meter(&deps, &info.sender, meter)?;
    reg.meters
        .get_mut(&offset)
        .expect("checked by load_meter")
        .status = MeterStatus::Deactivated;
    save_registry(deps.storage, page, &reg);
    Ok(Response::new()
        .add_attribute("action", "deactivate_meter")
        .add_attribute("meter", meter.to_string()))
}

/// Adds (or re-activates) one operator; used by instantiate and `UpdateOperators`.
pub fn add_operator(
    store: &mut dyn Storage,
    cfg: &mut Config,
    addr: &Addr,
) -> Result<(), ContractError> {
    let op = match OPERATORS.may_load(store, addr)? {
        Some(op) if op.active => {
            return Err(ContractError::AlreadyOperator {
                address: addr.to_string(),
            })
        }
        Some(op) => Operator { active: true, ..op },
        None => {
            let used = OPERATOR_BY_INDEX
                .keys(store, None, None, cosmwasm_std::Order::Descending)
                .next()
                .transpose()?
                .map_or(0, |last| usize::from(last) + 1);
            if used >= MAX_OPERATORS {
                return Err(ContractError::TooManyOperators { max: MAX_OPERATORS });
            }
            let index = used as u8;
            OPERATOR_BY_INDEX.save(store, index, addr)?;
            Operator {
                index,
                active: true,
                reports: 0,
                outliers: 0,
            }
        }
    };
    OPERATORS.save(store, addr, &op)?;
    cfg.active_operators += 1;
    Ok(())
}

/// Refuses a quorum outside 1..=active operators.
pub fn check_quorum(cfg: &Config) -> Result<(), ContractError> {
    if cfg.quorum == 0 || cfg.quorum > cfg.active_operators {
        return Err(ContractError::InvalidQuorum {
            quorum: cfg.quorum,
            operators: cfg.active_operators,
        });
    }
    Ok(())
}

/// The admin adds and removes operators and sets the quorum in one step.
pub fn execute_update_operators(
    deps: DepsMut,
    info: MessageInfo,
    add: Vec<String>,
    remove: Vec<String>,
    quorum: Option<u32>,
) -> Result<Response, ContractError> {
    let mut cfg = CONFIG.load(deps.storage)?;
    only_admin(&cfg, &info.sender, "update the operators")?;
    for a in &remove {
        let addr = deps.api.addr_validate(a)?;
        match OPERATORS.may_load(deps.storage, &addr)? {
            Some(op) if op.active => {
                OPERATORS.save(
                    deps.storage,
                    &addr,
                    &Operator {
                        active: false,
                        ..op
                    },
                )?;
                cfg.active_operators -= 1;
            }
            _ => return Err(ContractError::UnknownOperator { address: a.clone() }),
        }
    }
    for a in &add {
        let addr = deps.api.addr_validate(a)?;
        add_operator(deps.storage, &mut cfg, &addr)?;
    }
    if let Some(q) = quorum {
        cfg.quorum = q;
    }
    check_quorum(&cfg)?;
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new()
        .add_attribute("action", "update_operators")
        .add_attribute("added", add.len().to_string())
        .add_attribute("removed", remove.len().to_string())
        .add_attribute("quorum", cfg.quorum.to_string())
        .add_attribute("active_operators", cfg.active_operators.to_string()))
}

/// The admin changes the admin, the grid operator or the tolerance.
pub fn execute_update_config(
    deps: DepsMut,
    info: MessageInfo,
    admin: Option<String>,
    grid_operator: Option<String>,
    tolerance: Option<Tolerance>,
) -> Result<Response, ContractError> {
    let mut cfg = CONFIG.load(deps.storage)?;
    only_admin(&cfg, &info.sender, "update the config")?;
    if let Some(a) = admin {
        cfg.admin = deps.api.addr_validate(&a)?;
    }
    if let Some(g) = grid_operator {
        cfg.grid_operator = deps.api.addr_validate(&g)?;
    }
    if let Some(t) = tolerance {
        check_tolerance(&t)?;
        cfg.tolerance_wh = t.wh;
        cfg.tolerance_bps = t.bps;
    }
    CONFIG.save(deps.storage, &cfg)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}

/// Lower median (a value some report actually carries).
fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

fn agrees(value: u64, median: u64, cfg: &Config) -> bool {
    let rel = (u128::from(median) * u128::from(cfg.tolerance_bps) / 10_000) as u64;
    let tol = u64::try_from(cfg.tolerance_wh.u128())
        .unwrap_or(u64::MAX)
        .max(rel);
    value.abs_diff(median) <= tol
}

/// Indices (0..64) of the set bits of `mask`, ascending.
pub fn bits(mask: u64) -> impl Iterator<Item = u8> {
    (0u8..64).filter(move |i| mask & (1u64 << i) != 0)
}

/// What one new report did to a meter's slot reading.
enum Outcome {
    Pending,
    Finalized {
        outliers: u64,
    },
    /// The reading was already final; `outlier` tells whether the late report disagreed.
    Late {
        outlier: bool,
    },
}

fn add_report(
    reading: &mut SlotReading,
    index: u8,
    exported: u64,
    imported: u64,
    cfg: &Config,
) -> Outcome {
    let bit = 1u64 << index;
    match reading {
        SlotReading::Final {
            reporters,
            outliers,
            exported: fe,
            imported: fi,
        } => {
            *reporters |= bit;
            let outlier = !(agrees(exported, *fe, cfg) && agrees(imported, *fi, cfg));
            if outlier {
                *outliers |= bit;
            }
            Outcome::Late { outlier }
        }
        SlotReading::Pending { reporters, reports } => {
            // Keep reports in ascending operator index order.
            let pos = (*reporters & (bit - 1)).count_ones() as usize;
            *reporters |= bit;
            reports.insert(pos, (exported, imported));
            let me = median(reports.iter().map(|r| r.0).collect());
            let mi = median(reports.iter().map(|r| r.1).collect());
            let mut agreeing = 0u32;
            let mut outliers = 0u64;
            for (idx, (e, i)) in bits(*reporters).zip(reports.iter()) {
                if agrees(*e, me, cfg) && agrees(*i, mi, cfg) {
                    agreeing += 1;
                } else {
                    outliers |= 1u64 << idx;
                }
            }
            if agreeing < cfg.quorum {
                return Outcome::Pending;
            }
            *reading = SlotReading::Final {
                reporters: *reporters,
                outliers,
                exported: me,
                imported: mi,
            };
            Outcome::Finalized { outliers }
        }
    }
}

/// An operator's device-signed readings for an ended slot: all signatures
/// verified in batches; a reading finalizes once a quorum agrees with the median.
pub fn execute_submit_readings(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    slot: SlotId,
    readings: Vec<SignedReading>,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let mut operator = match OPERATORS.may_load(deps.storage, &info.sender)? {
        Some(op) if op.active => op,
        _ => {
            return Err(ContractError::NotOperator {
                sender: info.sender.to_string(),
            })
        }
    };
    if !slot.is_aligned() {
        return Err(ContractError::UnalignedSlot { slot: slot.0 });
    }
    let now = env.block.time.seconds();
    let ends_at = slot.0.saturating_add(SLOT_SECONDS);
    if ends_at > now {
        return Err(ContractError::SlotNotEnded {
            slot: slot.0,
            ends_at,
            now,
        });
    }
    if readings.is_empty() {
        return Err(ContractError::EmptyBatch {});
    }
    if readings.len() > MAX_BATCH {
        return Err(ContractError::BatchTooLarge {
            len: readings.len(),
            max: MAX_BATCH,
        });
    }

    // Registry lookups, one page read per page touched; payloads to verify.
    let chain_id = env.block.chain_id.as_str();
    let contract = env.contract.address.as_str();
    let mut registry: BTreeMap<u32, RegistryPage> = BTreeMap::new();
    let mut values: BTreeMap<MeterId, (u64, u64)> = BTreeMap::new();
    let mut payloads = Vec::with_capacity(readings.len());
    let mut pubkeys = Vec::with_capacity(readings.len());
    for r in &readings {
        let meter = r.meter;
        let (page, offset) = registry_pos(meter);
        let reg = match registry.entry(page) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(load_registry(deps.storage, page)?)
            }
        };
        let entry = reg
            .meters
            .get(&offset)
            .ok_or(ContractError::UnknownMeter { meter })?;
        if entry.status != MeterStatus::Active {
            return Err(ContractError::WrongMeterStatus {
                meter,
                status: entry.status,
                expected: MeterStatus::Active,
            });
        }
        let exported = u64::try_from(r.exported_wh.u128())
            .map_err(|_| ContractError::ValueTooLarge { meter })?;
        let imported = u64::try_from(r.imported_wh.u128())
            .map_err(|_| ContractError::ValueTooLarge { meter })?;
        if values.insert(meter, (exported, imported)).is_some() {
            return Err(ContractError::DuplicateMeterInBatch { meter });
        }
        if r.signature.len() != 64 {
            return Err(ContractError::InvalidSignatureLength {
                meter,
                len: r.signature.len(),
            });
        }
        payloads.push(reading_payload(
            chain_id,
            contract,
            meter,
            slot.0,
            r.exported_wh.u128(),
            r.imported_wh.u128(),
        ));
        pubkeys.push(entry.pubkey);
    }
    {
        let msgs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let sigs: Vec<&[u8]> = readings.iter().map(|r| r.signature.as_slice()).collect();
        let keys: Vec<&[u8]> = pubkeys.iter().map(|k| k.as_slice()).collect();
        // The VM verifies at most ED25519_BATCH_LIMIT signatures per host call
        // (a larger batch aborts the transaction with a VM error): chunk.
        for start in (0..readings.len()).step_by(ED25519_BATCH_LIMIT) {
            let end = (start + ED25519_BATCH_LIMIT).min(readings.len());
            let ok = deps
                .api
                .ed25519_batch_verify(&msgs[start..end], &sigs[start..end], &keys[start..end])
                .unwrap_or(false);
            if ok {
                continue;
            }
            // Name the first bad reading (costs extra gas only on this failing path).
            for i in start..end {
                if !deps
                    .api
                    .ed25519_verify(msgs[i], sigs[i], keys[i])
                    .unwrap_or(false)
                {
                    return Err(ContractError::InvalidSignature {
                        meter: readings[i].meter,
                    });
                }
            }
            return Err(ContractError::InvalidSignature {
                meter: readings[start].meter,
            });
        }
    }

    // Record the reports page by page (values is ordered by meter id).
    let bit = 1u64 << operator.index;
    let mut finalized = 0u32;
    let mut outlier_counts: BTreeMap<u8, u64> = BTreeMap::new();
    let mut current: Option<(u32, ReadingsPage)> = None;
    for (meter, (exported, imported)) in values {
        let (page, offset) = readings_pos(meter);
        if current.as_ref().map(|(p, _)| *p) != Some(page) {
            if let Some((p, rp)) = current.take() {
                save_readings(deps.storage, slot.0, p, &rp);
            }
            current = Some((page, load_readings(deps.storage, slot.0, page)?));
        }
        let (_, rp) = current.as_mut().expect("set above");
        let reading = rp.meters.entry(offset).or_insert(SlotReading::Pending {
            reporters: 0,
            reports: vec![],
        });
        if reading.reporters() & bit != 0 {
            return Err(ContractError::AlreadyReported {
                operator: info.sender.to_string(),
                meter,
                slot: slot.0,
            });
        }
        match add_report(reading, operator.index, exported, imported, &cfg) {
            Outcome::Pending => {}
            Outcome::Finalized { outliers } => {
                finalized += 1;
                for idx in bits(outliers) {
                    *outlier_counts.entry(idx).or_default() += 1;
                }
            }
            Outcome::Late { outlier } => {
                if outlier {
                    *outlier_counts.entry(operator.index).or_default() += 1;
                }
            }
        }
    }
    if let Some((p, rp)) = current.take() {
        save_readings(deps.storage, slot.0, p, &rp);
    }

    let total_outliers: u64 = outlier_counts.values().sum();
    operator.reports += readings.len() as u64;
    operator.outliers += outlier_counts.remove(&operator.index).unwrap_or(0);
    OPERATORS.save(deps.storage, &info.sender, &operator)?;
    for (idx, n) in outlier_counts {
        let addr = OPERATOR_BY_INDEX.load(deps.storage, idx)?;
        OPERATORS.update(deps.storage, &addr, |op| -> Result<_, ContractError> {
            let mut op = op.ok_or(ContractError::UnknownOperator {
                address: addr.to_string(),
            })?;
            op.outliers += n;
            Ok(op)
        })?;
    }
    Ok(Response::new()
        .add_attribute("action", "submit_readings")
        .add_attribute("operator", info.sender)
        .add_attribute("slot", slot.to_string())
        .add_attribute("readings", readings.len().to_string())
        .add_attribute("finalized", finalized.to_string())
        .add_attribute("outliers", total_outliers.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Uint128;
    use proptest::prelude::*;

    fn cfg(quorum: u32, tol_wh: u128, bps: u16) -> Config {
        Config {
            admin: Addr::unchecked("a"),
            grid_operator: Addr::unchecked("g"),
            quorum,
            tolerance_wh: Uint128::new(tol_wh),
            tolerance_bps: bps,
            active_operators: 64,
            meters: 0,
        }
    }

    #[test]
    fn lower_median_and_tolerance() {
        assert_eq!(median(vec![5, 1, 3]), 3);
        assert_eq!(median(vec![4, 1]), 1);
        let c = cfg(1, 10, 100);
        // max(10 Wh, 1 % of 5,000 = 50 Wh)
        assert!(agrees(5_050, 5_000, &c));
        assert!(!agrees(5_051, 5_000, &c));
        assert!(agrees(10, 0, &c));
        assert!(!agrees(11, 0, &c));
    }

    proptest! {
        /// Reports from distinct operators in any order: the reading is final
        /// exactly when some report set has a quorum within tolerance of its
        /// medians; the final values are those medians, the outliers are the
        /// others, and later reports never change the values.
        #[test]
        fn quorum_median_and_outliers(
            quorum in 1u32..5,
            tol in prop_oneof![0u128..50, Just(5_000u128)],
            reports in proptest::collection::vec((0u64..2_000, 0u64..300), 1..9),
            order in any::<proptest::sample::Index>(),
        ) {
            let c = cfg(quorum, tol, 0);
            let n = reports.len();
            let shift = order.index(n);
            let mut reading = SlotReading::Pending { reporters: 0, reports: vec![] };
            let mut finalized_at: Option<(usize, u64, u64)> = None;
            for k in 0..n {
                let idx = ((k + shift) % n) as u8;
                let (e, i) = reports[idx as usize];
                let before = reading.clone();
                let outcome = add_report(&mut reading, idx, e, i, &c);
                prop_assert!(reading.reporters() & (1 << idx) != 0);
                match (&before, outcome) {
                    (SlotReading::Final { exported, imported, .. }, Outcome::Late { .. }) => {
                        let SlotReading::Final { exported: e2, imported: i2, .. } = &reading else {
                            panic!("final stays final");
                        };
                        prop_assert_eq!((exported, imported), (e2, i2));
                    }
                    (SlotReading::Pending { .. }, Outcome::Pending) => {
                        let SlotReading::Pending { reporters, reports: rs } = &reading else {
                            panic!("pending stays pending");
                        };
                        prop_assert_eq!(reporters.count_ones() as usize, rs.len());
                    }
                    (SlotReading::Pending { .. }, Outcome::Finalized { outliers }) => {
                        let SlotReading::Final { reporters, outliers: o, exported, imported } = &reading else {
                            panic!("finalized");
                        };
                        prop_assert_eq!(outliers, *o);
                        // Exactly the non-agreeing reporters are outliers, and enough agree.
                        let seen: Vec<u8> = bits(*reporters).collect();
                        let vals: Vec<(u64, u64)> = seen.iter().map(|i| reports[*i as usize]).collect();
                        prop_assert_eq!(*exported, median(vals.iter().map(|v| v.0).collect()));
                        prop_assert_eq!(*imported, median(vals.iter().map(|v| v.1).collect()));
                        let agreeing = seen.iter().filter(|i| o & (1 << **i) == 0).count() as u32;
                        prop_assert!(agreeing >= quorum);
                        for i in &seen {
                            let (e, im) = reports[*i as usize];
                            let ok = agrees(e, *exported, &c) && agrees(im, *imported, &c);
                            prop_assert_eq!(ok, o & (1 << i) == 0);
                        }
                        finalized_at = Some((k, *exported, *imported));
                    }
                    _ => prop_assert!(false, "unexpected transition"),
                }
            }
            // With tolerance covering every value, the quorum-th report finalizes.
            if tol >= 2_000 && (quorum as usize) <= n {
                prop_assert_eq!(finalized_at.map(|f| f.0), Some(quorum as usize - 1));
            }
        }
    }
}

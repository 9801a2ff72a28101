//! Meter fraud: exports a meter cannot make. Two rules, both on the
//! matcher's clear-sky model (`aip_matcher::features::clearsky_ghi`, the
//! Haurwitz model checked against pvlib):
//! - **envelope**: a slot's export above what the meter's PV could give
//!   under a clear sky plus what its storage could add,
//!   `(rated_w × GHI_clear / 1000 × meter_envelope_factor + storage_w) × ¼ h`
//!   (PV at night, above rated power); `meter_min_violations` such slots flag
//!   the meter;
//! - **neighbours**: every PV meter sees the same sun as the others, so its
//!   daily yield (sunny-slot exports / the clear-sky envelope, complete days
//!   only) divided by the median yield of all PV meters that day is stable
//!   for an honest meter. A
//!   meter whose later days sit at least `meter_step` above its own first
//!   `meter_baseline_days` is flagged: a meter that started to over-report.

use std::collections::BTreeMap;

use serde_json::json;

use super::wash::round3;
use super::DetectConfig;
use crate::evidence::{Code, Finding};
use crate::ledger::Ledger;

/// Clear-sky GHI (W/m²) from which a slot counts as sunny.
pub const SUNNY_GHI: f64 = 300.0;
/// Fewest sunny slots of a meter's day before the day counts.
pub const MIN_SUNNY_SLOTS: usize = 8;
/// Fewest PV meters that make a neighbour reference.
pub const MIN_NEIGHBOURS: usize = 3;

/// Clear-sky GHI at the middle of the slot starting at `slot`.
pub fn clear_sky(slot: u64, cfg: &DetectConfig) -> f64 {
    aip_matcher::features::clearsky_ghi(slot as f64 + 450.0, cfg.location.0, cfg.location.1)
}

/// Meter-fraud findings.
pub fn detect(l: &Ledger, cfg: &DetectConfig) -> Vec<Finding> {
    let mut ghi: BTreeMap<u64, f64> = BTreeMap::new();
    let mut sun = |s: u64| *ghi.entry(s).or_insert_with(|| clear_sky(s, cfg));
    let mut out: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
    // Daily yields: meter -> day -> (Σ export, Σ envelope, sunny slots).
    let mut daily: BTreeMap<&str, BTreeMap<u64, (f64, f64, usize)>> = BTreeMap::new();
    for (acc, rs) in &l.readings {
        let Some(m) = l.meters.get(acc) else { continue };
        let mut bad = Vec::new();
        for (&slot, &(exp, _)) in rs {
            let g = sun(slot);
            let pv = m.rated_w as f64 * g / 1000.0 / 4.0;
            let env = (m.rated_w as f64 * g / 1000.0 * cfg.meter_envelope_factor
                + m.storage_w as f64)
                / 4.0;
            if exp as f64 > env {
                bad.push(
                    json!({"slot": slot, "exported_wh": exp, "envelope_wh": env.round() as u64}),
                );
            }
            if m.rated_w > 0 && g >= SUNNY_GHI {
                let d = daily
                    .entry(acc)
                    .or_default()
                    .entry(slot / 86_400)
                    .or_default();
                d.0 += exp as f64;
                d.1 += pv;
                d.2 += 1;
            }
        }
        if bad.len() >= cfg.meter_min_violations {
            out.insert(
                acc,
                json!({
                    "rule": "exports above the clear-sky PV envelope plus storage",
                    "rated_w": m.rated_w,
                    "storage_w": m.storage_w,
                    "envelope_factor": cfg.meter_envelope_factor,
                    "violations": bad.len(),
                    "first_violations": bad.into_iter().take(10).collect::<Vec<_>>(),
                }),
            );
        }
    }
    // Only complete days count (every sunny slot read): the meters face
    // different ways, so a morning's relative yield is not a day's.
    let mut expected: BTreeMap<u64, usize> = BTreeMap::new();
    for days in daily.values() {
        for &d in days.keys() {
            expected.entry(d).or_insert_with(|| {
                (0..96)
                    .filter(|k| sun(d * 86_400 + k * 900) >= SUNNY_GHI)
                    .count()
            });
        }
    }
    for days in daily.values_mut() {
        days.retain(|d, x| x.2 >= expected[d].max(MIN_SUNNY_SLOTS));
    }
    // The neighbour reference: median yield of the PV meters, per day.
    let mut per_day: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for days in daily.values() {
        for (&d, &(e, env, n)) in days {
            if n >= MIN_SUNNY_SLOTS && env > 0.0 {
                per_day.entry(d).or_default().push(e / env);
            }
        }
    }
    let reference: BTreeMap<u64, f64> = per_day
        .into_iter()
        .filter(|(_, v)| v.len() >= MIN_NEIGHBOURS)
        .map(|(d, mut v)| {
            v.sort_by(f64::total_cmp);
            (d, v[v.len() / 2])
        })
        .filter(|(_, m)| *m > 0.0)
        .collect();
    for (acc, days) in &daily {
        if out.contains_key(acc) {
            continue;
        }
        let ratios: Vec<(u64, f64)> = days
            .iter()
            .filter(|(_, &(_, env, n))| n >= MIN_SUNNY_SLOTS && env > 0.0)
            .filter_map(|(d, &(e, env, _))| reference.get(d).map(|r| (*d, e / env / r)))
            .collect();
        if ratios.len() <= cfg.meter_baseline_days {
            continue;
        }
        let (base, later) = ratios.split_at(cfg.meter_baseline_days);
        let mean = |v: &[(u64, f64)]| v.iter().map(|x| x.1).sum::<f64>() / v.len() as f64;
        let (b, r) = (mean(base), mean(later));
        if b > 0.05 && r >= b * (1.0 + cfg.meter_step) {
            out.insert(
                acc,
                json!({
                    "rule": "yield against the other PV meters rose over the meter's own first days",
                    "baseline_days": base.iter().map(|x| json!({"day": x.0, "relative_yield": round3(x.1)})).collect::<Vec<_>>(),
                    "later_days": later.iter().map(|x| json!({"day": x.0, "relative_yield": round3(x.1)})).collect::<Vec<_>>(),
                    "rise": round3(r / b - 1.0),
                    "step_threshold": cfg.meter_step,
                }),
            );
        }
    }
    out.into_iter()
        .map(|(a, evidence)| Finding {
            account: a.to_string(),
            code: Code::Meter,
            evidence,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    const DAY0: u64 = 1_473_033_600; // 2016-09-05 00:00 UTC

    fn meter(l: &mut Ledger, a: &str, rated_w: u64, storage_w: u64) {
        l.ingest(&Event::Meter {
            account: a.into(),
            zone: 1,
            rated_w,
            storage_w,
        })
        .unwrap();
    }

    /// Readings over `days` days: export = share × clear-sky PV, × `boost`
    /// from day `from`.
    fn readings(
        l: &mut Ledger,
        a: &str,
        rated_w: u64,
        share: f64,
        days: u64,
        boost: f64,
        from: u64,
    ) {
        let cfg = DetectConfig::default();
        for d in 0..days {
            for k in 0..96 {
                let slot = DAY0 + d * 86_400 + k * 900;
                let pv = rated_w as f64 * clear_sky(slot, &cfg) / 4000.0;
                // a cloudier second day for everyone
                let weather = if d == 1 { 0.6 } else { 0.9 };
                let f = if d >= from { boost } else { 1.0 };
                l.ingest(&Event::Reading {
                    account: a.into(),
                    slot,
                    exported_wh: (pv * share * weather * f) as u64,
                    imported_wh: 0,
                })
                .unwrap();
            }
        }
    }

    fn market(boost: f64) -> Ledger {
        let mut l = Ledger::default();
        for (i, share) in [0.7, 0.8, 0.9, 0.75, 0.85].iter().enumerate() {
            let a = format!("m{i}");
            meter(&mut l, &a, 6000 + 1000 * i as u64, 2500);
            readings(
                &mut l,
                &a,
                6000 + 1000 * i as u64,
                *share,
                4,
                if i == 2 { boost } else { 1.0 },
                1,
            );
        }
        l
    }

    #[test]
    fn honest_meters_under_changing_weather_are_not_flagged() {
        assert!(detect(&market(1.0), &DetectConfig::default()).is_empty());
        // nor one that drifted 15 %: under the 20 % step
        assert!(detect(&market(1.15), &DetectConfig::default()).is_empty());
    }

    #[test]
    fn a_meter_over_reporting_by_a_quarter_is_flagged_against_its_neighbours() {
        let f = detect(&market(1.25), &DetectConfig::default());
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].account, "m2");
        let rise = f[0].evidence["rise"].as_f64().unwrap();
        assert!((rise - 0.25).abs() < 0.02, "{rise}");
    }

    #[test]
    fn a_day_not_over_yet_does_not_count() {
        // one full day, then the morning of the next with m2 boosted by 30 %:
        // counted, the morning alone would flag it
        let cfg = DetectConfig::default();
        let mut l = Ledger::default();
        for (i, share) in [0.7, 0.8, 0.9, 0.75, 0.85].iter().enumerate() {
            let a = format!("m{i}");
            let rated = 6000 + 1000 * i as u64;
            meter(&mut l, &a, rated, 2500);
            readings(&mut l, &a, rated, *share, 1, 1.0, 1);
            for k in 0..48 {
                let slot = DAY0 + 86_400 + k * 900;
                let pv = rated as f64 * clear_sky(slot, &cfg) / 4000.0;
                let boost = if i == 2 { 1.3 } else { 1.0 };
                l.ingest(&Event::Reading {
                    account: a.clone(),
                    slot,
                    exported_wh: (pv * share * boost) as u64,
                    imported_wh: 0,
                })
                .unwrap();
            }
        }
        assert!(detect(&l, &cfg).is_empty());
    }

    #[test]
    fn pv_at_night_without_storage_breaks_the_envelope() {
        let mut l = Ledger::default();
        meter(&mut l, "n", 5000, 0);
        for k in 0..4 {
            // 00:00..01:00 UTC: no sun
            l.ingest(&Event::Reading {
                account: "n".into(),
                slot: DAY0 + k * 900,
                exported_wh: 300,
                imported_wh: 0,
            })
            .unwrap();
        }
        let f = detect(&l, &DetectConfig::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence["violations"], 4);
        assert_eq!(f[0].evidence["first_violations"][0]["envelope_wh"], 0);
    }

    #[test]
    fn night_exports_within_the_storage_power_are_allowed() {
        let mut l = Ledger::default();
        meter(&mut l, "b", 5000, 2500);
        for k in 0..4 {
            l.ingest(&Event::Reading {
                account: "b".into(),
                slot: DAY0 + k * 900,
                exported_wh: 600, // < 2500 W x 1/4 h
                imported_wh: 0,
            })
            .unwrap();
        }
        assert!(detect(&l, &DetectConfig::default()).is_empty());
    }
}

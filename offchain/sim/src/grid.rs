//! Grid KPIs: what the community draws through its MV/LV transformer.
//!
//! The transformer carries, in each slot, the community's net exchange with
//! the upstream grid: the sum of every meter's import minus the sum of every
//! meter's export (P2P trades move energy between meters behind the same
//! transformer, so they cancel out; line losses are neglected). The rule
//! here is the one place that turns meter readings into that flow, its peak
//! and the count of slots above the transformer's rating.
//!
//! Units and rounding: energy in integer Wh per 15-minute slot; the mean
//! power of a slot is `wh * 3600 / 900 = 4 * wh` W, exact. The rating is
//! the transformer's apparent power (`sn_kva` in `grid.json`); active power
//! is compared with it as if at unity power factor, so the overload count is
//! a lower bound (at cos φ < 1 the transformer is loaded more).

use std::path::Path;

use aip_types::SLOT_SECONDS;
use serde::Deserialize;

use crate::chain::Reading;
use crate::SimError;

/// Seconds in an hour, for Wh per slot to W.
const HOUR_S: u64 = 3_600;

/// The MV/LV transformer feeding the grid, as `grid.json` names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transformer {
    /// Its name in the grid data.
    pub name: String,
    /// Rated apparent power, VA (`sn_kva` × 1000, rounded to the VA).
    pub rating_va: u64,
}

#[derive(Deserialize)]
struct GridFile {
    transformer: TransformerJson,
}

#[derive(Deserialize)]
struct TransformerJson {
    name: String,
    sn_kva: f64,
}

/// Reads the transformer from `<data>/grid.json` (its `transformer` object:
/// `name` and `sn_kva`).
pub fn load_transformer(data: &Path) -> Result<Transformer, SimError> {
    let path = data.join("grid.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| SimError::Data(format!("{}: {e}", path.display())))?;
    parse_transformer(&text).map_err(|e| SimError::Data(format!("{}: {e}", path.display())))
}

/// Parses the transformer out of a `grid.json` text.
pub fn parse_transformer(text: &str) -> Result<Transformer, String> {
    let g: GridFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let t = g.transformer;
    if !(t.sn_kva.is_finite() && t.sn_kva > 0.0 && t.sn_kva < 1e9) {
        return Err(format!(
            "transformer {}: rating {} kVA is not a positive number",
            t.name, t.sn_kva
        ));
    }
    Ok(Transformer {
        name: t.name,
        rating_va: (t.sn_kva * 1000.0).round() as u64,
    })
}

/// The community's net import through the transformer in one slot, Wh:
/// the meters' imports minus their exports (negative: net export).
pub fn net_import_wh(readings: &[Reading]) -> i128 {
    readings
        .iter()
        .map(|r| i128::from(r.imported_wh) - i128::from(r.exported_wh))
        .sum()
}

/// Mean power of a slot's energy, W (exact: 4 W per Wh of a 15-minute slot).
pub fn slot_power_w(wh: i128) -> i128 {
    wh * i128::from(HOUR_S) / i128::from(SLOT_SECONDS)
}

/// Peak import and overloads of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridKpis {
    /// Highest net import over the slots, W (0 if the community never
    /// imports on net).
    pub peak_import_w: i128,
    /// Unix start of the first slot with that peak (None without imports).
    pub peak_slot: Option<u64>,
    /// Slots whose net import power exceeds the rating (None without a rating).
    pub slots_over_rating: Option<u64>,
}

/// Grid KPIs of per-slot `(slot start, net import Wh)` flows against an
/// optional transformer rating in VA. A slot is over the rating when its
/// mean import power is strictly above it.
pub fn grid_kpis(flows: &[(u64, i128)], rating_va: Option<u64>) -> GridKpis {
    let mut peak_import_w = 0;
    let mut peak_slot = None;
    let mut over = 0u64;
    for &(start, wh) in flows {
        let w = slot_power_w(wh);
        if w > peak_import_w {
            peak_import_w = w;
            peak_slot = Some(start);
        }
        if rating_va.is_some_and(|r| w > i128::from(r)) {
            over += 1;
        }
    }
    GridKpis {
        peak_import_w,
        peak_slot,
        slots_over_rating: rating_va.map(|_| over),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(owner: usize, imported_wh: u64, exported_wh: u64) -> Reading {
        Reading {
            owner,
            exported_wh,
            imported_wh,
        }
    }

    #[test]
    fn net_import_is_imports_minus_exports_and_power_is_four_watts_per_wh() {
        assert_eq!(
            net_import_wh(&[r(0, 300, 0), r(1, 100, 0), r(2, 0, 50)]),
            350
        );
        assert_eq!(net_import_wh(&[r(0, 0, 70), r(1, 20, 0)]), -50);
        assert_eq!(net_import_wh(&[]), 0);
        assert_eq!(slot_power_w(350), 1_400);
        assert_eq!(slot_power_w(-50), -200);
    }

    #[test]
    fn peak_and_overloads_by_hand() {
        // 1 kVA transformer; slots of 350 Wh (1.4 kW, over), 250 Wh (1.0 kW:
        // equal to the rating, not over), 200 Wh (0.8 kW), net export, and a
        // second 350 Wh slot (over, but the first peak is reported).
        let flows = [
            (900, 350),
            (1_800, 250),
            (2_700, 200),
            (3_600, -500),
            (4_500, 350),
        ];
        let k = grid_kpis(&flows, Some(1_000));
        assert_eq!(k.peak_import_w, 1_400);
        assert_eq!(k.peak_slot, Some(900));
        assert_eq!(k.slots_over_rating, Some(2));
        assert_eq!(grid_kpis(&flows, None).slots_over_rating, None);
        let export_only = grid_kpis(&[(0, -10), (900, 0)], Some(1));
        assert_eq!(
            (export_only.peak_import_w, export_only.peak_slot),
            (0, None)
        );
        assert_eq!(export_only.slots_over_rating, Some(0));
    }

    #[test]
    fn the_rating_is_read_from_the_grid_data() {
        let t = parse_transformer(r#"{"transformer":{"name":"T1","sn_kva":400.0,"lv_bus":3}}"#)
            .unwrap();
        assert_eq!(
            t,
            Transformer {
                name: "T1".into(),
                rating_va: 400_000
            }
        );
        let real =
            load_transformer(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/simbench"))
                .unwrap();
        assert_eq!(real.rating_va, 400_000, "SimBench 1-LV-rural3: 0.4 MVA");
    }

    #[test]
    fn a_missing_or_bad_rating_is_refused_with_its_reason() {
        let e = parse_transformer(r#"{"transformer":{"name":"T1","sn_kva":0}}"#).unwrap_err();
        assert_eq!(e, "transformer T1: rating 0 kVA is not a positive number");
        let e = parse_transformer(r#"{"grid":"x"}"#).unwrap_err();
        assert!(e.contains("missing field `transformer`"), "{e}");
        let e = load_transformer(Path::new("/nonexistent-aip")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("data: /nonexistent-aip/grid.json: "),
            "{e}"
        );
    }
}

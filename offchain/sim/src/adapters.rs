//! The project's own matcher and forecaster (`aip-matcher`) behind the
//! simulation's traits.

use std::collections::BTreeMap;
use std::path::Path;

use aip_matcher::Method;
use anyhow::{Context, Result};

use crate::forecast::{ForecastInput, Forecaster, SeasonalNaive, Series};
use crate::market::Clearing;
use crate::scenario::{Scenario, SLOTS_PER_DAY};

/// `aip_matcher::clear` with `method`, as the online agent runs it.
pub struct MatcherClearing {
    /// The matcher's method (`Auto`, `Exact`, `Flow`, or the `PriceOnly` baseline).
    pub method: Method,
}

impl Clearing for MatcherClearing {
    fn label(&self) -> String {
        let what = match self.method {
            Method::PriceOnly => {
                "baseline: price and trust only, ignores zones, losses, capacities"
            }
            _ => "network-aware: losses, corridor capacities and fees, trust priority",
        };
        format!(
            "aip-matcher, method {} ({what}), the online agent's path on the contract's routes",
            self.method
        )
    }

    fn method(&self) -> Method {
        self.method
    }
}

/// A SimBench profile name and the Wh per slot at rated power it scales by.
type Profile = Option<(String, f64)>;

/// The trained ONNX forecasters of `aip-matcher` (day-ahead, issued at
/// midnight for the 96 slots of the day, on normalised SimBench profiles).
/// Households sharing a SimBench profile share one forecast (scaled). The
/// first forecast of a series on a day makes the day's forecasts of every
/// profile of that series in ONE ONNX Runtime call
/// (`aip_matcher::Forecaster::forecast_days`: one `[profiles × 96, 19]`
/// batch, the calendar and clear-sky features computed once), each from
/// the history of the first household with the profile, as the
/// per-household calls did. Where a series has no profile, or the day's
/// history is not observed yet, it falls back to seasonal naive and counts
/// it.
pub struct OnnxForecaster {
    load: aip_matcher::Forecaster,
    pv: aip_matcher::Forecaster,
    /// Per household: (load profile, PV profile) with Wh per slot at rated power.
    meta: Vec<(Profile, Profile)>,
    /// Per household: its (load, PV) series, Wh per slot, the day batches' input.
    series: Vec<(Vec<u64>, Vec<u64>)>,
    lat: f64,
    lon: f64,
    /// The day's normalised forecasts by (PV?, profile, day start).
    cache: BTreeMap<(bool, String, u64), Vec<f32>>,
    /// Forecasts that fell back to seasonal naive.
    pub fallbacks: u64,
    /// ONNX Runtime calls made: one per series and day.
    pub batches: u64,
}

impl OnnxForecaster {
    /// Loads `load.onnx` and `pv.onnx` from `models` (ONNX Runtime must be installed).
    pub fn load(models: &Path, scenario: &Scenario) -> Result<OnnxForecaster> {
        let (lat, lon) = scenario
            .location
            .context("the scenario has no location (clear-sky features)")?;
        Ok(OnnxForecaster {
            load: aip_matcher::Forecaster::load(models.join("load.onnx"))?,
            pv: aip_matcher::Forecaster::load(models.join("pv.onnx"))?,
            meta: scenario
                .households
                .iter()
                .map(|h| (h.load_profile.clone(), h.pv_profile.clone()))
                .collect(),
            series: scenario
                .households
                .iter()
                .map(|h| (h.load_wh.clone(), h.pv_wh.clone()))
                .collect(),
            lat,
            lon,
            cache: BTreeMap::new(),
            fallbacks: 0,
            batches: 0,
        })
    }

    /// The day's forecasts of every profile of one series, in one ONNX
    /// Runtime call, into the cache. `day_idx`: the day's first slot index;
    /// every household's series holds the week before it.
    fn forecast_day_batch(&mut self, pv: bool, day_idx: usize, day_start: u64) -> Result<()> {
        let history = aip_matcher::features::HISTORY;
        // every profile of the series once, from its first household
        let mut first: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
        for (i, (load, pvp)) in self.meta.iter().enumerate() {
            if let Some((name, scale)) = if pv { pvp } else { load } {
                if *scale > 0.0 {
                    first.entry(name.as_str()).or_insert((i, *scale));
                }
            }
        }
        let hists: Vec<Vec<f32>> = first
            .values()
            .map(|&(i, scale)| {
                let s = if pv {
                    &self.series[i].1
                } else {
                    &self.series[i].0
                };
                s[day_idx - history..day_idx]
                    .iter()
                    .map(|&v| (v as f64 / scale) as f32)
                    .collect()
            })
            .collect();
        let refs: Vec<&[f32]> = hists.iter().map(Vec::as_slice).collect();
        let ctx = aip_matcher::features::DayContext::new(day_start, self.lat, self.lon)?;
        let (model, kind) = if pv {
            (&mut self.pv, aip_matcher::forecast::Kind::Pv)
        } else {
            (&mut self.load, aip_matcher::forecast::Kind::Load)
        };
        self.batches += 1;
        let days = model.forecast_days(kind, &refs, &ctx)?;
        for (name, day) in first.keys().zip(days) {
            if day.len() == SLOTS_PER_DAY {
                self.cache.insert((pv, name.to_string(), day_start), day);
            }
        }
        Ok(())
    }
}

impl Forecaster for OnnxForecaster {
    fn label(&self) -> String {
        "aip-matcher ONNX day-ahead models (gradient-boosted trees, ONNX Runtime, one batch per series and day)".into()
    }

    fn forecast(&mut self, input: &ForecastInput<'_>) -> u64 {
        let pv = input.series == Series::Pv;
        let meta = &self.meta[input.household];
        let profile = if pv { &meta.1 } else { &meta.0 };
        let in_day = (input.slot_start % 86_400 / 900) as usize;
        let day_start = input.slot_start - input.slot_start % 86_400;
        let day_idx = input.target.saturating_sub(in_day);
        let history = aip_matcher::features::HISTORY;
        let Some((name, scale)) = profile.clone() else {
            self.fallbacks += 1;
            return SeasonalNaive.forecast(input);
        };
        if day_idx > input.known.len() || day_idx < history || scale <= 0.0 {
            self.fallbacks += 1;
            return SeasonalNaive.forecast(input);
        }
        let key = (pv, name, day_start);
        if !self.cache.contains_key(&key)
            && self.forecast_day_batch(pv, day_idx, day_start).is_err()
        {
            self.fallbacks += 1;
            return SeasonalNaive.forecast(input);
        }
        match self.cache.get(&key) {
            Some(day) => (day[in_day] as f64 * scale).max(0.0).round() as u64,
            None => {
                self.fallbacks += 1;
                SeasonalNaive.forecast(input)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// The batched forecaster gives what one `forecast_day` call per profile
    /// gave, and makes one ONNX Runtime call per series and day.
    #[test]
    fn the_onnx_forecaster_batches_a_day_per_series_and_equals_per_profile_forecasts() {
        let sc = crate::data::load(
            &root().join("data/simbench"),
            crate::data::Window {
                start_day: 248,
                days: 2,
                history_days: 7,
                households: Some(30),
            },
        )
        .unwrap();
        let models = root().join("offchain/matcher/models");
        let mut f = OnnxForecaster::load(&models, &sc).unwrap();
        let mut load1 = aip_matcher::Forecaster::load(models.join("load.onnx")).unwrap();
        let mut pv1 = aip_matcher::Forecaster::load(models.join("pv.onnx")).unwrap();
        let (lat, lon) = sc.location.unwrap();
        let history = aip_matcher::features::HISTORY;
        let day_idx = sc.history_slots;
        let with_pv = sc
            .households
            .iter()
            .filter(|h| h.pv_profile.is_some())
            .count();
        assert!(with_pv > 0, "the sample has PV households");
        for day in 0..2 {
            let d0 = day_idx + day * SLOTS_PER_DAY;
            let day_start = sc.slot_start(d0);
            for slot in [1, 50, 95] {
                let target = d0 + slot;
                // as the engine: the slot before the forecast one is not metered yet
                for (i, h) in sc.households.iter().enumerate() {
                    for (series, known, profile) in [
                        (Series::Load, &h.load_wh, &h.load_profile),
                        (Series::Pv, &h.pv_wh, &h.pv_profile),
                    ] {
                        let got = f.forecast(&ForecastInput {
                            household: i,
                            series,
                            known: &known[..target - 1],
                            target,
                            slot_start: sc.slot_start(target),
                        });
                        let Some((name, scale)) = profile.as_ref().filter(|p| p.1 > 0.0) else {
                            continue;
                        };
                        // the first household with this profile made the forecast
                        let j = sc
                            .households
                            .iter()
                            .position(|o| {
                                if series == Series::Pv {
                                    o.pv_profile.as_ref().map(|p| &p.0) == Some(name)
                                } else {
                                    o.load_profile.as_ref().map(|p| &p.0) == Some(name)
                                }
                            })
                            .unwrap();
                        let (src, s) = if series == Series::Pv {
                            (
                                &sc.households[j].pv_wh,
                                sc.households[j].pv_profile.as_ref().unwrap().1,
                            )
                        } else {
                            (
                                &sc.households[j].load_wh,
                                sc.households[j].load_profile.as_ref().unwrap().1,
                            )
                        };
                        let hist: Vec<f32> = src[d0 - history..d0]
                            .iter()
                            .map(|&v| (v as f64 / s) as f32)
                            .collect();
                        let (model, kind) = if series == Series::Pv {
                            (&mut pv1, aip_matcher::forecast::Kind::Pv)
                        } else {
                            (&mut load1, aip_matcher::forecast::Kind::Load)
                        };
                        let want = model
                            .forecast_day(kind, &hist, day_start, lat, lon)
                            .unwrap();
                        let want = (want[slot] as f64 * scale).max(0.0).round() as u64;
                        assert_eq!(got, want, "household {i} {series:?} day {day} slot {slot}");
                    }
                }
            }
        }
        // two days, load and PV: four ONNX Runtime calls for 30 households
        assert_eq!(f.batches, 4);
        // seasonal naive only for a series without a profile
        let none = |p: &Profile| p.as_ref().is_none_or(|p| p.1 <= 0.0);
        let without: u64 = sc
            .households
            .iter()
            .map(|h| u64::from(none(&h.load_profile)) + u64::from(none(&h.pv_profile)))
            .sum();
        assert_eq!(f.fallbacks, without * 2 * 3);
    }
}

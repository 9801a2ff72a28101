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
/// Households sharing a SimBench profile share one forecast (scaled). Where
/// a series has no profile, or the day's history is not observed yet, it
/// falls back to seasonal naive and counts it.
pub struct OnnxForecaster {
    load: aip_matcher::Forecaster,
    pv: aip_matcher::Forecaster,
    /// Per household: (load profile, PV profile) with Wh per slot at rated power.
    meta: Vec<(Profile, Profile)>,
    lat: f64,
    lon: f64,
    cache: BTreeMap<(bool, String, u64), Vec<f32>>,
    /// Forecasts that fell back to seasonal naive.
    pub fallbacks: u64,
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
            lat,
            lon,
            cache: BTreeMap::new(),
            fallbacks: 0,
        })
    }
}

impl Forecaster for OnnxForecaster {
    fn label(&self) -> String {
        "aip-matcher ONNX day-ahead models (gradient-boosted trees, ONNX Runtime)".into()
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
        if !self.cache.contains_key(&key) {
            let hist: Vec<f32> = input.known[day_idx - history..day_idx]
                .iter()
                .map(|&v| (v as f64 / scale) as f32)
                .collect();
            let (model, kind) = if pv {
                (&mut self.pv, aip_matcher::forecast::Kind::Pv)
            } else {
                (&mut self.load, aip_matcher::forecast::Kind::Load)
            };
            match model.forecast_day(kind, &hist, day_start, self.lat, self.lon) {
                Ok(day) if day.len() == SLOTS_PER_DAY => {
                    self.cache.insert(key.clone(), day);
                }
                _ => {
                    self.fallbacks += 1;
                    return SeasonalNaive.forecast(input);
                }
            }
        }
        let v = self.cache[&key][in_day] as f64 * scale;
        v.max(0.0).round() as u64
    }
}

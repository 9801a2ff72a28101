//! A household's own forecast for the next slots: `GET /v1/forecast/{meter}`.
//!
//! The numbers are `aip_matcher::household::HouseholdForecaster`'s (the
//! matcher's ONNX load and PV models, run by ONNX Runtime): per slot the
//! forecast load and PV in whole Wh (rounded half up) and `surplus_wh = pv_wh
//! − load_wh` (> 0: the household can offer, < 0: it needs to bid). The meter
//! → household mapping is the oracle's (`aip_data::household_of_meter`:
//! household `i` of the file is meter `first_meter + i`) and the chain → data
//! time mapping is the forecaster's (data time = chain time −
//! `slot_offset_seconds`), both applied inside the forecaster, not here.
//!
//! The slots are the next ones whose gate is still open: the first is the
//! first slot start `s` with `now < s − gate_closure_seconds`.
//!
//! An offset the gateway chose itself (none configured) follows the clock:
//! when a request's slots fall past the data's end under the current offset
//! (a gateway left running into late December), the service maps `now` onto
//! the data again ([`HouseholdForecaster::remap`]) and answers; a configured
//! offset is never changed.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use aip_matcher::household::{week_offset, HouseholdForecastError, HouseholdForecaster};
use aip_matcher::Forecaster;
use aip_types::SLOT_SECONDS;
use serde::{Deserialize, Serialize};

use crate::config::ForecastConfig;
use crate::error::GatewayError;

/// Slots a request gets when it does not say (`?slots=`).
pub const DEFAULT_SLOTS: usize = 8;

/// The rounding rule, as the answer states it.
pub const ROUNDING: &str = "load_wh and pv_wh: the model's forecast in Wh rounded half up to a whole Wh (never below 0); surplus_wh = pv_wh - load_wh exactly";

/// Why the forecast service could not start (a configuration the gateway
/// refuses at start, naming the file).
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)]
pub enum ForecastLoadError {
    #[error("forecast data: {0}")]
    Data(#[from] aip_data::DataError),
    #[error("forecast models: {0}")]
    Model(#[from] aip_matcher::MatcherError),
    #[error("forecast site: no `site` given, and the grid's location: {reason}")]
    Site { reason: String },
    #[error("forecast data {path} is too short to map the chain's time onto it (a slot needs the 7 days before its day)")]
    NoWeek { path: String },
}

/// One upcoming slot's forecast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForecastSlot {
    /// The slot's start, unix seconds (chain time).
    pub slot: u64,
    /// When the slot's gate closes (no intents after it).
    pub gate_at: u64,
    /// Forecast consumption, Wh.
    pub load_wh: u64,
    /// Forecast PV generation, Wh.
    pub pv_wh: u64,
    /// `pv_wh − load_wh`, Wh: > 0 a surplus to offer, < 0 a deficit to bid for.
    pub surplus_wh: i64,
}

/// The answer of `GET /v1/forecast/{meter}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForecastAnswer {
    /// The meter asked for.
    pub meter: u64,
    /// The gateway's clock when the answer was made, unix seconds.
    pub now: u64,
    /// Chain time minus the data's time, seconds (data slot = slot − this).
    pub slot_offset_seconds: i64,
    /// The rounding rule of the figures.
    pub rounding: String,
    /// The next slots whose gate is open, in order.
    pub slots: Vec<ForecastSlot>,
}

/// The loaded households and models; one forecast at a time (the models
/// run on one ONNX Runtime session each).
pub struct ForecastService {
    forecaster: Mutex<HouseholdForecaster>,
    /// The forecaster's offset, readable without its lock.
    slot_offset_seconds: AtomicI64,
    /// `Some(days ahead)` when the service chose the offset itself and may
    /// choose it again; `None` for a configured offset.
    remap_ahead_days: Option<u64>,
    max_slots: usize,
}

impl ForecastService {
    /// Reads the data and the models of `cfg`. Without a configured offset,
    /// it is chosen for `now` (chain time) with room for `ahead_seconds`
    /// after it ([`week_offset`]).
    pub fn load(
        cfg: &ForecastConfig,
        now: u64,
        ahead_seconds: u64,
    ) -> Result<Self, ForecastLoadError> {
        // The cheap checks first: the site, then the models, then the data.
        let site = match cfg.site {
            Some(site) => site,
            None => grid_site(&cfg.data)?,
        };
        let load = Forecaster::load(cfg.models.join("load.onnx"))?;
        let pv = Forecaster::load(cfg.models.join("pv.onnx"))?;
        let energy = aip_data::read(&cfg.data, &aip_data::Selection::default())?;
        let slot_offset_seconds = match cfg.slot_offset_seconds {
            Some(offset) => offset,
            None => week_offset(&energy, now, ahead_seconds.div_ceil(86_400)).ok_or_else(|| {
                ForecastLoadError::NoWeek {
                    path: cfg.data.display().to_string(),
                }
            })?,
        };
        let forecaster =
            HouseholdForecaster::new(energy, cfg.first_meter, slot_offset_seconds, site, load, pv);
        let mut service = ForecastService::new(forecaster, cfg.max_slots);
        if cfg.slot_offset_seconds.is_none() {
            service.remap_ahead_days = Some(ahead_seconds.div_ceil(86_400));
        }
        Ok(service)
    }

    /// A service over a forecaster built by the caller; its offset stays.
    pub fn new(forecaster: HouseholdForecaster, max_slots: usize) -> Self {
        ForecastService {
            slot_offset_seconds: AtomicI64::new(forecaster.slot_offset_seconds()),
            forecaster: Mutex::new(forecaster),
            remap_ahead_days: None,
            max_slots,
        }
    }

    /// Chain time minus data time, seconds.
    pub fn slot_offset_seconds(&self) -> i64 {
        self.slot_offset_seconds.load(Ordering::SeqCst)
    }

    /// Most slots one request may ask for.
    pub fn max_slots(&self) -> usize {
        self.max_slots
    }

    /// The forecast of `meter` for the `slots` slots whose gate is open at
    /// `now`: blocking (ONNX Runtime), call it off the async runtime.
    pub fn answer(
        &self,
        meter: u64,
        slots: usize,
        now: u64,
        gate_closure_seconds: u64,
    ) -> Result<ForecastAnswer, GatewayError> {
        let first = first_open_slot(now, gate_closure_seconds)?;
        let forecasts = {
            let mut f = self.forecaster.lock().map_err(|_| GatewayError::Forecast {
                reason: "an earlier forecast panicked".to_string(),
            })?;
            match (f.forecast(meter, first, slots), self.remap_ahead_days) {
                // The chosen week ran out: choose again for `now` and retry once.
                (Err(HouseholdForecastError::NoHistory { .. }), Some(ahead))
                    if f.remap(now, ahead)
                        .is_some_and(|o| o != self.slot_offset_seconds()) =>
                {
                    self.slot_offset_seconds
                        .store(f.slot_offset_seconds(), Ordering::SeqCst);
                    tracing::info!(
                        slot_offset_seconds = f.slot_offset_seconds(),
                        "forecast data remapped: the week chosen earlier ran past the data's end"
                    );
                    f.forecast(meter, first, slots)
                }
                (answer, _) => answer,
            }
            .map_err(refusal)?
        };
        Ok(ForecastAnswer {
            meter,
            now,
            slot_offset_seconds: self.slot_offset_seconds(),
            rounding: ROUNDING.to_string(),
            slots: forecasts
                .into_iter()
                .map(|f| ForecastSlot {
                    slot: f.slot,
                    gate_at: f.slot.saturating_sub(gate_closure_seconds),
                    load_wh: f.load_wh,
                    pv_wh: f.pv_wh,
                    surplus_wh: f.surplus_wh,
                })
                .collect(),
        })
    }
}

/// The first slot start `s` whose gate is open at `now`: `now < s − gate`.
pub fn first_open_slot(now: u64, gate_closure_seconds: u64) -> Result<u64, GatewayError> {
    now.checked_add(gate_closure_seconds)
        .and_then(|t| (t / SLOT_SECONDS).checked_add(1))
        .and_then(|n| n.checked_mul(SLOT_SECONDS))
        .ok_or(GatewayError::Overflow {
            what: "the first open slot",
        })
}

/// The forecaster's refusal as the gateway's.
fn refusal(e: HouseholdForecastError) -> GatewayError {
    match e {
        HouseholdForecastError::UnknownMeter { meter, first, last } => {
            GatewayError::UnknownMeter { meter, first, last }
        }
        e @ HouseholdForecastError::NoHistory { .. } => GatewayError::NoForecastData {
            reason: e.to_string(),
        },
        e => GatewayError::Forecast {
            reason: e.to_string(),
        },
    }
}

/// The `location` of `grid.json` beside the data file.
fn grid_site(data: &Path) -> Result<(f64, f64), ForecastLoadError> {
    let dir = data.parent().unwrap_or_else(|| Path::new("."));
    let grid = aip_matcher::simbench::load_grid(dir).map_err(|e| ForecastLoadError::Site {
        reason: e.to_string(),
    })?;
    Ok((grid.location.lat, grid.location.lon))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_slot_is_the_first_whose_gate_is_open() {
        // At 10:00:00 with a 300 s gate: 10:15 (gate 10:10) is the first open slot.
        let ten = 1_796_551_200;
        assert_eq!(first_open_slot(ten, 300).unwrap(), ten + 900);
        assert_eq!(first_open_slot(ten - 301, 300).unwrap(), ten);
        assert_eq!(first_open_slot(ten - 300, 300).unwrap(), ten + 900);
        assert_eq!(first_open_slot(ten + 599, 300).unwrap(), ten + 900);
        assert_eq!(first_open_slot(ten + 600, 300).unwrap(), ten + 1800);
        assert_eq!(
            first_open_slot(u64::MAX - 10, 300).unwrap_err().to_string(),
            "arithmetic overflow computing the first open slot"
        );
    }
}

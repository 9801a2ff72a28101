//! Forecasts each household makes before it places an order.
//!
//! The agents call a [`Forecaster`]; the engine does not care which. The
//! seasonal-naive baseline (same slot yesterday) is here; the trained model
//! lives in `aip-matcher` and is plugged in through an adapter.

use crate::scenario::SLOTS_PER_DAY;

/// Which series a forecast is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// Consumption, Wh per slot.
    Load,
    /// PV production, Wh per slot.
    Pv,
}

/// What a forecaster sees: the observed part of the series, and which
/// slot it forecasts.
pub struct ForecastInput<'a> {
    /// Which household (index into the scenario), for per-household models.
    pub household: usize,
    /// Which series is forecast (load or PV).
    pub series: Series,
    /// Observed values, Wh per slot, oldest first (index 0 is the scenario's first slot).
    pub known: &'a [u64],
    /// Index of the forecast slot in the same series (`>= known.len()`).
    pub target: usize,
    /// Unix start of the slot forecast.
    pub slot_start: u64,
}

/// A forecaster of one slot ahead (the order is placed before gate closure,
/// when the previous slot is the latest one metered).
pub trait Forecaster {
    /// Label printed in the summary, e.g. `seasonal-naive (baseline)`.
    fn label(&self) -> String;
    /// Forecast, Wh.
    fn forecast(&mut self, input: &ForecastInput<'_>) -> u64;
}

/// Seasonal naive: the value of the same slot yesterday. The baseline every
/// trained forecaster is measured against.
#[derive(Debug, Default, Clone, Copy)]
pub struct SeasonalNaive;

impl Forecaster for SeasonalNaive {
    fn label(&self) -> String {
        "seasonal-naive, same slot yesterday (baseline)".into()
    }

    fn forecast(&mut self, input: &ForecastInput<'_>) -> u64 {
        // the same slot of the latest day already observed
        let mut i = input.target;
        while i >= input.known.len() && i >= SLOTS_PER_DAY {
            i -= SLOTS_PER_DAY;
        }
        match input.known.get(i) {
            Some(&v) => v,
            None => input.known.last().copied().unwrap_or(0),
        }
    }
}

/// Running forecast errors, per series.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct ForecastError {
    /// Forecasts counted.
    pub n: u64,
    /// Sum of absolute errors, Wh.
    pub abs_sum: f64,
    /// Sum of squared errors, Wh².
    pub sq_sum: f64,
    /// Sum of the actual values, Wh.
    pub actual_sum: f64,
}

impl ForecastError {
    /// Counts one forecast against the actual value metered, both Wh.
    pub fn add(&mut self, forecast: u64, actual: u64) {
        let e = forecast as f64 - actual as f64;
        self.n += 1;
        self.abs_sum += e.abs();
        self.sq_sum += e * e;
        self.actual_sum += actual as f64;
    }

    /// Mean absolute error, Wh per slot.
    pub fn mae(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.abs_sum / self.n as f64
        }
    }

    /// Root mean square error, Wh per slot.
    pub fn rmse(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            (self.sq_sum / self.n as f64).sqrt()
        }
    }

    /// MAE as a fraction of the mean actual value.
    pub fn nmae(&self) -> f64 {
        if self.actual_sum == 0.0 {
            0.0
        } else {
            self.abs_sum / self.actual_sum
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasonal_naive_returns_the_same_slot_yesterday() {
        let history: Vec<u64> = (0..200).collect();
        let mut f = SeasonalNaive;
        let input = |target| ForecastInput {
            household: 0,
            series: Series::Load,
            known: &history,
            target,
            slot_start: 0,
        };
        assert_eq!(f.forecast(&input(200)), 200 - 96);
        // two slots ahead: still yesterday's value of that slot
        assert_eq!(f.forecast(&input(201)), 201 - 96);
        // more than a day ahead: the latest observed day
        assert_eq!(f.forecast(&input(300)), 300 - 192);
        let short = [5u64, 7];
        let got = f.forecast(&ForecastInput {
            household: 0,
            series: Series::Pv,
            known: &short,
            target: 2,
            slot_start: 0,
        });
        assert_eq!(got, 7, "with less than a day of history: persistence");
    }

    #[test]
    fn errors_accumulate() {
        let mut e = ForecastError::default();
        e.add(10, 7);
        e.add(4, 7);
        assert_eq!(e.mae(), 3.0);
        assert_eq!(e.rmse(), 3.0);
        assert!((e.nmae() - 3.0 / 7.0).abs() < 1e-12);
    }
}

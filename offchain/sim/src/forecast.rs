//! Forecasts each household makes before it places an order.
//!
//! The agents call a [`Forecaster`]; the engine does not care which. The
//! seasonal-naive baseline (same slot yesterday) is here; the trained model
//! lives in `aip-matcher` and is plugged in through an adapter.

use crate::scenario::SLOTS_PER_DAY;

/// Which series a forecast is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

impl<F: Forecaster + ?Sized> Forecaster for Box<F> {
    fn label(&self) -> String {
        (**self).label()
    }

    fn forecast(&mut self, input: &ForecastInput<'_>) -> u64 {
        (**self).forecast(input)
    }
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

/// Metered slots the intra-day correction looks back over (one hour).
pub const INTRADAY_SLOTS: usize = 4;
/// PV the day-ahead forecast must have expected over those slots, Wh, for
/// the ratio to be trusted (at dawn and dusk a few Wh would swing it).
pub const INTRADAY_PV_MIN_WH: u64 = 200;
/// Lower bound of the PV correction, a fraction (numerator, denominator)
/// of the day-ahead forecast: a quarter of it.
pub const INTRADAY_PV_MIN_FRACTION: (u64, u64) = (1, 4);
/// Upper bound of the PV correction: twice the day-ahead forecast.
pub const INTRADAY_PV_MAX: u64 = 2;

/// The intra-day update of a day-ahead forecaster: before it signs a slot's
/// intent, a household compares the last hour it has metered with what the
/// day-ahead forecast said of it, and corrects the slot's forecast
/// accordingly. Clouds persist over the 30–45 minutes between the last
/// metered slot and the one forecast, as does a load above or below its
/// usual level (guests, a day at home).
///
/// - PV: the day-ahead forecast times the ratio of metered to forecast PV
///   over the last [`INTRADAY_SLOTS`] metered slots, when the forecast for
///   them was at least [`INTRADAY_PV_MIN_WH`]; kept between a quarter and
///   twice the day-ahead forecast; rounded down.
/// - Load: the day-ahead forecast plus half the mean error of those slots
///   (metered minus forecast), at least 0; the half rounded toward zero.
///
/// Only slots this forecaster itself forecast count (it remembers the
/// day-ahead values it issued); with fewer than [`INTRADAY_SLOTS`] of them
/// metered the day-ahead forecast is used as it is. Integer Wh throughout.
pub struct IntraDay<F> {
    base: F,
    /// (household, series) -> target slot -> the day-ahead forecast issued
    /// for it (the latest; slots more than [`INTRADAY_SLOTS`] before the
    /// latest metered one are dropped).
    issued: std::collections::BTreeMap<(usize, Series), std::collections::BTreeMap<usize, u64>>,
}

impl<F: Forecaster> IntraDay<F> {
    /// Wraps the day-ahead forecaster `base`.
    pub fn new(base: F) -> Self {
        IntraDay {
            base,
            issued: std::collections::BTreeMap::new(),
        }
    }
}

/// The intra-day forecast of `series` from its day-ahead forecast `base`
/// and the (metered, day-ahead) pairs of the last metered slots (see
/// [`IntraDay`]); `pairs` of fewer than [`INTRADAY_SLOTS`] change nothing.
pub fn intraday_correct(series: Series, base: u64, pairs: &[(u64, u64)]) -> u64 {
    if pairs.len() < INTRADAY_SLOTS {
        return base;
    }
    let metered: u128 = pairs.iter().map(|p| u128::from(p.0)).sum();
    let forecast: u128 = pairs.iter().map(|p| u128::from(p.1)).sum();
    match series {
        Series::Pv => {
            if forecast < u128::from(INTRADAY_PV_MIN_WH) {
                return base;
            }
            let scaled = u128::from(base) * metered / forecast;
            let lo = u128::from(base) * u128::from(INTRADAY_PV_MIN_FRACTION.0)
                / u128::from(INTRADAY_PV_MIN_FRACTION.1);
            let hi = u128::from(base) * u128::from(INTRADAY_PV_MAX);
            u64::try_from(scaled.clamp(lo, hi)).unwrap_or(u64::MAX)
        }
        Series::Load => {
            let n = pairs.len() as i128;
            let bias = (metered as i128 - forecast as i128) / n / 2;
            u64::try_from((i128::from(base) + bias).max(0)).unwrap_or(u64::MAX)
        }
    }
}

impl<F: Forecaster> Forecaster for IntraDay<F> {
    fn label(&self) -> String {
        format!(
            "{}, updated intra-day from the last metered hour",
            self.base.label()
        )
    }

    fn forecast(&mut self, input: &ForecastInput<'_>) -> u64 {
        let base = self.base.forecast(input);
        let issued = self
            .issued
            .entry((input.household, input.series))
            .or_default();
        let metered = input.known.len();
        let first = metered.saturating_sub(INTRADAY_SLOTS);
        // forecasts of slots before the last metered hour are of no more use
        *issued = issued.split_off(&first);
        let pairs: Vec<(u64, u64)> = issued
            .range(first..metered)
            .map(|(&t, &f)| (input.known[t], f))
            .collect();
        issued.insert(input.target, base);
        intraday_correct(input.series, base, &pairs)
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
    fn intraday_scales_pv_by_the_last_hour_within_bounds() {
        let pairs = |m: u64, f: u64| vec![(m, f); INTRADAY_SLOTS];
        // PV came in at half the forecast over the last hour: half of 301, rounded down.
        assert_eq!(intraday_correct(Series::Pv, 301, &pairs(100, 200)), 150);
        // at a tenth: kept at a quarter (rounded down)
        assert_eq!(intraday_correct(Series::Pv, 301, &pairs(20, 200)), 75);
        // at three times: kept at twice
        assert_eq!(intraday_correct(Series::Pv, 301, &pairs(600, 200)), 602);
        // the forecast of the last hour too small to trust (4 x 49 < 200 Wh)
        assert_eq!(intraday_correct(Series::Pv, 301, &pairs(0, 49)), 301);
        // fewer than an hour of pairs: the day-ahead forecast as it is
        assert_eq!(intraday_correct(Series::Pv, 301, &[(0, 200); 3]), 301);
    }

    #[test]
    fn intraday_moves_load_by_half_the_mean_error() {
        let pairs = |m: u64, f: u64| vec![(m, f); INTRADAY_SLOTS];
        // 40 Wh a slot above the forecast: +20
        assert_eq!(intraday_correct(Series::Load, 100, &pairs(140, 100)), 120);
        // 301 below: -150 (toward zero), and never below 0
        assert_eq!(intraday_correct(Series::Load, 400, &pairs(0, 301)), 250);
        assert_eq!(intraday_correct(Series::Load, 100, &pairs(0, 400)), 0);
        // a mean error of 3 Wh: half rounds toward zero in both directions
        let mixed = [(103, 100), (103, 100), (103, 100), (103, 100)];
        assert_eq!(intraday_correct(Series::Load, 100, &mixed), 101);
        let under = [(97, 100), (97, 100), (97, 100), (97, 100)];
        assert_eq!(intraday_correct(Series::Load, 100, &under), 99);
    }

    /// Over a day whose PV is half of yesterday's, seasonal naive keeps
    /// forecasting yesterday; the intra-day update follows today once an
    /// hour of it is metered, and only slots it forecast itself count.
    #[test]
    fn intraday_follows_a_cloudy_day_from_the_slots_it_forecast() {
        let yesterday: Vec<u64> = (0..96)
            .map(|j| if (28..72).contains(&j) { 400 } else { 0 })
            .collect();
        let mut series = yesterday.clone();
        series.extend(yesterday.iter().map(|v| v / 2));
        let mut f = IntraDay::new(SeasonalNaive);
        let mut last = 0;
        for target in 96 + 30..96 + 40 {
            // the gate for `target`: metered up to two slots before it
            let known = &series[..target - 1];
            last = f.forecast(&ForecastInput {
                household: 0,
                series: Series::Pv,
                known,
                target,
                slot_start: 0,
            });
            let naive = SeasonalNaive.forecast(&ForecastInput {
                household: 0,
                series: Series::Pv,
                known,
                target,
                slot_start: 0,
            });
            assert_eq!(naive, 400);
            if target < 96 + 30 + INTRADAY_SLOTS + 1 {
                // not yet an hour of its own forecasts metered
                assert_eq!(last, 400, "slot {target}");
            }
        }
        assert_eq!(last, 200);
        // forecasts of later slots asked in between (a day plan's) neither
        // disturb the correction nor count before they are metered
        for target in 96 + 40..96 + 96 {
            f.forecast(&ForecastInput {
                household: 0,
                series: Series::Pv,
                known: &series[..96 + 38],
                target,
                slot_start: 0,
            });
        }
        let again = f.forecast(&ForecastInput {
            household: 0,
            series: Series::Pv,
            known: &series[..96 + 39],
            target: 96 + 40,
            slot_start: 0,
        });
        assert_eq!(again, 200);
        // another household's history is its own
        let other = f.forecast(&ForecastInput {
            household: 1,
            series: Series::Pv,
            known: &series[..96 + 40 - 1],
            target: 96 + 40,
            slot_start: 0,
        });
        assert_eq!(other, 400);
    }

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

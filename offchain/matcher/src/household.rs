//! A household's own forecast for the next slots: load, PV and surplus in Wh.
//!
//! The households of `households_wh.csv.gz` (read by `aip_data`) report as
//! meters `first_meter + i` ([`aip_data::meter_of_household`], the rule the
//! oracle's replay source uses). A chain slot `s` is the data's slot
//! `s - slot_offset_seconds` (0 for the oracle's replay, which reports the
//! data's own slots).
//!
//! **Rule.** The models are day-ahead and forecast a profile per unit of rated
//! power (see the crate README). A slot on day `D` (UTC) is forecast from the
//! 672 values of the 7 days before `D`'s midnight — data that is complete
//! before the slot's gate closes. Each series (load, PV) is divided by its
//! largest value in those 7 days (at least 1 Wh) before the model and
//! multiplied back after it; the Wh is rounded half up to a whole Wh
//! (the model's outputs are clipped at zero). `surplus_wh = pv_wh − load_wh`:
//! positive means the household can offer, negative that it needs to bid.
use crate::features::{date_from_days, days_from_date, Date, HISTORY, SLOTS_PER_DAY};
use crate::forecast::{Forecaster, Kind};
use crate::MatcherError;
use aip_data::{HouseholdEnergy, SLOT_SECONDS};
use serde::Serialize;
use std::collections::btree_map::{BTreeMap, Entry};

/// Seconds per day.
const DAY: u64 = 86_400;

/// Why a household forecast could not be made.
#[derive(Debug, thiserror::Error)]
pub enum HouseholdForecastError {
    /// No household of the data reports as this meter.
    #[error("meter {meter} has no household in the forecast data (meters {first}..={last})")]
    UnknownMeter {
        /// The meter asked for.
        meter: u64,
        /// The first meter with a household.
        first: u64,
        /// The last meter with a household.
        last: u64,
    },
    /// A slot that is not a multiple of 900 seconds.
    #[error("slot {0} is not a slot start (a multiple of 900)")]
    BadSlot(u64),
    /// The 7 days before the slot's day are not all in the data.
    #[error("slot {slot} needs data from {needed_from} to {needed_to} (the 7 days before its day), the data covers {data_from} to {data_to} (chain time)")]
    NoHistory {
        /// The chain slot asked for.
        slot: u64,
        /// First needed data second, chain time.
        needed_from: u64,
        /// End of the needed data (exclusive), chain time.
        needed_to: u64,
        /// The data's first slot, chain time.
        data_from: u64,
        /// The data's end (exclusive), chain time.
        data_to: u64,
    },
    /// The ONNX model failed.
    #[error(transparent)]
    Model(#[from] MatcherError),
}

/// One slot's forecast for one household.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SlotForecast {
    /// The slot's start, unix seconds (chain time).
    pub slot: u64,
    /// Forecast consumption, Wh.
    pub load_wh: u64,
    /// Forecast PV generation, Wh.
    pub pv_wh: u64,
    /// `pv_wh − load_wh`: > 0 surplus to offer, < 0 deficit to buy.
    pub surplus_wh: i64,
}

/// The households' data, the meter and time mapping, and the two models.
pub struct HouseholdForecaster {
    energy: HouseholdEnergy,
    first_meter: u32,
    slot_offset_seconds: i64,
    lat: f64,
    lon: f64,
    load: Forecaster,
    pv: Forecaster,
}

impl HouseholdForecaster {
    /// From loaded data, the meter of household 0, the chain-minus-data time
    /// offset (a multiple of a day, so the models see the data's weekdays and
    /// clear sky), the site and the load and PV models.
    pub fn new(
        energy: HouseholdEnergy,
        first_meter: u32,
        slot_offset_seconds: i64,
        (lat, lon): (f64, f64),
        load: Forecaster,
        pv: Forecaster,
    ) -> Self {
        HouseholdForecaster {
            energy,
            first_meter,
            slot_offset_seconds,
            lat,
            lon,
            load,
            pv,
        }
    }

    /// Households in the data.
    pub fn households(&self) -> usize {
        self.energy.households.len()
    }

    /// The meter of household 0.
    pub fn first_meter(&self) -> u32 {
        self.first_meter
    }

    /// Chain time minus data time, seconds (a data slot is the chain slot minus this).
    pub fn slot_offset_seconds(&self) -> i64 {
        self.slot_offset_seconds
    }

    /// Maps chain time onto the data again for `now`, the way
    /// [`week_offset`] chooses an offset, and keeps the new offset. `None`
    /// (and the offset unchanged) when the data holds no such week.
    pub fn remap(&mut self, now: u64, ahead_days: u64) -> Option<i64> {
        let offset = week_offset(&self.energy, now, ahead_days)?;
        self.slot_offset_seconds = offset;
        Some(offset)
    }

    fn to_data(&self, chain: u64) -> Option<u64> {
        u64::try_from(i128::from(chain) - i128::from(self.slot_offset_seconds)).ok()
    }

    fn to_chain(&self, data: u64) -> u64 {
        u64::try_from(i128::from(data) + i128::from(self.slot_offset_seconds)).unwrap_or(u64::MAX)
    }

    /// Forecasts `slots` consecutive slots from `first_slot` (chain time) for
    /// `meter`'s household (see the module doc for the rule).
    pub fn forecast(
        &mut self,
        meter: u64,
        first_slot: u64,
        slots: usize,
    ) -> Result<Vec<SlotForecast>, HouseholdForecastError> {
        let n = self.households();
        let h = aip_data::household_of_meter(self.first_meter, n, meter).ok_or(
            HouseholdForecastError::UnknownMeter {
                meter,
                first: u64::from(self.first_meter),
                last: u64::from(self.first_meter) + n as u64 - 1,
            },
        )?;
        if !first_slot.is_multiple_of(SLOT_SECONDS) {
            return Err(HouseholdForecastError::BadSlot(first_slot));
        }
        // day start (data time) -> (load, pv) of its 96 slots
        let mut days: BTreeMap<u64, (Vec<u64>, Vec<u64>)> = BTreeMap::new();
        let mut out = Vec::with_capacity(slots);
        for k in 0..slots as u64 {
            let slot = first_slot.saturating_add(k * SLOT_SECONDS);
            let data_slot = self.to_data(slot);
            let day_start = data_slot.map(|s| s - s % DAY);
            let first_row = day_start
                .and_then(|d| d.checked_sub(7 * DAY))
                .and_then(|from| self.energy.row_of_slot(from));
            let (Some(data_slot), Some(day_start), Some(first_row)) =
                (data_slot, day_start, first_row)
            else {
                return Err(self.no_history(slot));
            };
            if first_row + HISTORY > self.energy.slots() {
                return Err(self.no_history(slot));
            }
            if let Entry::Vacant(free) = days.entry(day_start) {
                let load = self.day(Kind::Load, h, first_row, day_start)?;
                let pv = self.day(Kind::Pv, h, first_row, day_start)?;
                free.insert((load, pv));
            }
            let i = ((data_slot - day_start) / SLOT_SECONDS) as usize;
            let (load, pv) = &days[&day_start];
            let (load_wh, pv_wh) = (load[i], pv[i]);
            out.push(SlotForecast {
                slot,
                load_wh,
                pv_wh,
                surplus_wh: surplus(pv_wh, load_wh),
            });
        }
        Ok(out)
    }

    fn no_history(&self, slot: u64) -> HouseholdForecastError {
        let day = self.to_data(slot).map_or(0, |s| self.to_chain(s - s % DAY));
        let data_from = self.to_chain(self.energy.first_slot);
        HouseholdForecastError::NoHistory {
            slot,
            needed_from: day.saturating_sub(7 * DAY),
            needed_to: day,
            data_from,
            data_to: data_from.saturating_add(self.energy.slots() as u64 * SLOT_SECONDS),
        }
    }

    /// The 96 Wh forecasts of household `h`'s day at `day_start` (data time).
    fn day(
        &mut self,
        kind: Kind,
        h: usize,
        first_row: usize,
        day_start: u64,
    ) -> Result<Vec<u64>, HouseholdForecastError> {
        let series = match kind {
            Kind::Load => &self.energy.load_wh[h],
            Kind::Pv => &self.energy.pv_wh[h],
        };
        let window = &series[first_row..first_row + HISTORY];
        let scale = window.iter().copied().max().unwrap_or(0).max(1);
        let history: Vec<f32> = window
            .iter()
            .map(|&v| (f64::from(v) / f64::from(scale)) as f32)
            .collect();
        let model = match kind {
            Kind::Load => &mut self.load,
            Kind::Pv => &mut self.pv,
        };
        let per_unit = model.forecast_day(kind, &history, day_start, self.lat, self.lon)?;
        debug_assert_eq!(per_unit.len(), SLOTS_PER_DAY);
        Ok(per_unit.iter().map(|&f| to_wh(f, scale)).collect())
    }
}

/// The chain-minus-data offset, in seconds, that maps chain time `now` onto
/// the data when none is configured: a whole number of weeks (so a chain
/// slot's data slot has its weekday and its time of day), the one that puts
/// `now`'s day nearest to the same calendar date in the data's first year (so
/// the data's season is `now`'s), moved by whole weeks when needed so that
/// `now`'s day and the `ahead_days` after it can be forecast (a slot of day
/// D needs the 7 days before D in the data). `None` when the data is too
/// short to hold such a week.
pub fn week_offset(energy: &HouseholdEnergy, now: u64, ahead_days: u64) -> Option<i64> {
    let day = i64::try_from(DAY).ok()?;
    let first = i64::try_from(energy.first_slot).ok()?;
    let end = first.checked_add(
        i64::try_from(energy.slots())
            .ok()?
            .checked_mul(i64::try_from(SLOT_SECONDS).ok()?)?,
    )?;
    // Days D (day numbers since 1970) whose forecast the data holds.
    let lowest = (first + day - 1).div_euclid(day).checked_add(7)?;
    let highest = end
        .div_euclid(day)
        .checked_sub(i64::try_from(ahead_days).ok()?)?;
    if highest.checked_sub(lowest)? < 6 {
        return None;
    }
    let today = i64::try_from(now / DAY).ok()?;
    let date = date_from_days(today);
    let target = days_from_date(Date {
        year: date_from_days(first.div_euclid(day)).year,
        ..date
    });
    // Whole weeks from the target's week, rounded to the nearest.
    let mut weeks = (today - target + 3).div_euclid(7);
    let mut mapped = today.checked_sub(weeks.checked_mul(7)?)?;
    while mapped < lowest {
        weeks -= 1;
        mapped += 7;
    }
    while mapped > highest {
        weeks += 1;
        mapped -= 7;
    }
    weeks.checked_mul(7)?.checked_mul(day)
}

/// A per-unit forecast times the scale, rounded half up to a whole Wh
/// (negative and non-finite values are 0).
pub fn to_wh(per_unit: f32, scale: u32) -> u64 {
    let wh = (f64::from(per_unit) * f64::from(scale) + 0.5).floor();
    if wh.is_finite() && wh > 0.0 {
        wh as u64
    } else {
        0
    }
}

/// `pv − load` in Wh, saturating at the bounds of `i64`.
pub fn surplus(pv_wh: u64, load_wh: u64) -> i64 {
    let d = i128::from(pv_wh) - i128::from(load_wh);
    i64::try_from(d).unwrap_or(if d > 0 { i64::MAX } else { i64::MIN })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_up_and_never_negative() {
        assert_eq!(to_wh(0.5, 3), 2); // 1.5 -> 2
        assert_eq!(to_wh(0.49, 3), 1); // 1.47 -> 1
        assert_eq!(to_wh(-0.2, 100), 0);
        assert_eq!(to_wh(f32::NAN, 100), 0);
        assert_eq!(surplus(10, 25), -15);
        assert_eq!(surplus(u64::MAX, 0), i64::MAX);
        assert_eq!(surplus(0, u64::MAX), i64::MIN);
    }

    /// A year of data from 2016-01-01 00:00 UTC (35,136 slots, like the
    /// SimBench export), no households needed for the offset.
    fn year_2016() -> HouseholdEnergy {
        HouseholdEnergy {
            first_slot: 1_451_606_400,
            households: vec![0],
            load_wh: vec![vec![0; 35_136]],
            pv_wh: vec![vec![0; 35_136]],
        }
    }

    const WEEK: i64 = 7 * 86_400;

    #[test]
    fn the_offset_keeps_the_weekday_and_the_season() {
        let e = year_2016();
        // 2026-12-06 10:00 UTC, a Sunday: 522 weeks back is 2016-12-04, a Sunday.
        let now = 1_796_551_200;
        let offset = week_offset(&e, now, 1).unwrap();
        assert_eq!(offset, 522 * WEEK);
        let mapped = now - offset as u64;
        assert_eq!(mapped, 1_480_845_600); // 2016-12-04 10:00 UTC
        let d = date_from_days((mapped / DAY) as i64);
        assert_eq!((d.year, d.month, d.day), (2016, 12, 4));
        // Mid-year: 2026-06-15 (a Monday) becomes 2016-06-13 (a Monday).
        let june = 1_781_481_600;
        let mapped = june - week_offset(&e, june, 1).unwrap() as u64;
        let d = date_from_days((mapped / DAY) as i64);
        assert_eq!((d.year, d.month, d.day), (2016, 6, 13));
    }

    #[test]
    fn the_offset_stays_inside_the_data() {
        let e = year_2016();
        // 2027-01-03: the same date in 2016 has no 7 days before it in the
        // data; the first Sunday that has them is 2016-01-10.
        let jan = 1_798_934_400;
        let mapped = jan - week_offset(&e, jan, 1).unwrap() as u64;
        let d = date_from_days((mapped / DAY) as i64);
        assert_eq!((d.year, d.month, d.day), (2016, 1, 10));
        // 2017-12-31, a Sunday: the nearest Sunday to 2016-12-31 is
        // 2017-01-01, whose day after is not in the data: a week earlier.
        let dec = 1_514_678_400;
        let mapped = dec - week_offset(&e, dec, 1).unwrap() as u64;
        let d = date_from_days((mapped / DAY) as i64);
        assert_eq!((d.year, d.month, d.day), (2016, 12, 25));
        // With no day ahead, 2017-01-01 itself is forecastable (its 7 days
        // before are the data's last week).
        let mapped = dec - week_offset(&e, dec, 0).unwrap() as u64;
        let d = date_from_days((mapped / DAY) as i64);
        assert_eq!((d.year, d.month, d.day), (2017, 1, 1));
        // A chain earlier than the data maps forward (a negative offset).
        let early = 1_420_070_400; // 2015-01-01, a Thursday
        let offset = week_offset(&e, early, 1).unwrap();
        assert!(offset < 0 && offset % WEEK == 0, "{offset}");
        // Too short a file: no week to map into.
        let short = HouseholdEnergy {
            first_slot: 1_451_606_400,
            households: vec![0],
            load_wh: vec![vec![0; 13 * 96]],
            pv_wh: vec![vec![0; 13 * 96]],
        };
        assert_eq!(week_offset(&short, now_2026(), 1), None);
    }

    fn now_2026() -> u64 {
        1_796_551_200
    }
}

//! Day-ahead forecast features, computed exactly as `training/train.py` does.
//!
//! At midnight UTC before day D, for each of D's 96 quarter hours, from the 7 days
//! (672 values) before D of a normalised profile (per unit of rated power):
//! see [`FEATURES`] for the order. Calendar: German nationwide public holidays
//! (Easter-based, computed). Sun: NOAA/Spencer solar position with the Haurwitz
//! clear-sky model at the slot midpoint.
use crate::MatcherError;
use std::f64::consts::PI;

/// Quarter hours per day.
pub const SLOTS_PER_DAY: usize = 96;
/// History the features need: 7 days.
pub const HISTORY: usize = 7 * SLOTS_PER_DAY;
/// Feature names, in model input order.
pub const FEATURES: [&str; 19] = [
    "lag_1d",
    "lag_2d",
    "lag_7d",
    "mean_1d",
    "mean_7d",
    "last",
    "tod_sin",
    "tod_cos",
    "dow",
    "weekend",
    "holiday",
    "holiday_1d",
    "holiday_7d",
    "doy_sin",
    "doy_cos",
    "clearsky",
    "csi_1d",
    "cs_expected",
    "csi_7d",
];
/// Width of a feature row.
pub const N_FEATURES: usize = FEATURES.len();
/// Index of the clear-sky feature (0 at night).
pub const CLEARSKY: usize = 15;

/// A civil date (proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// year
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
}

/// Date of the day `days` after 1970-01-01.
pub fn date_from_days(days: i64) -> Date {
    // shift the epoch to 0000-03-01 so leap days end each 400/100/4-year cycle
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Date { year, month, day }
}

/// Days since 1970-01-01 of a date.
pub fn days_from_date(d: Date) -> i64 {
    let y = if d.month <= 2 { d.year - 1 } else { d.year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = d.month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d.day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Gregorian Easter Sunday (anonymous Gregorian algorithm).
pub fn easter(year: i64) -> Date {
    let a = year % 19;
    let (b, c) = (year / 100, year % 100);
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = ((h + l - 7 * m + 114) / 31) as u32;
    let day = ((h + l - 7 * m + 114) % 31 + 1) as u32;
    Date { year, month, day }
}

/// One of the nine nationwide German public holidays.
pub fn is_holiday(days: i64) -> bool {
    let d = date_from_days(days);
    let e = days_from_date(easter(d.year));
    matches!(
        (d.month, d.day),
        (1, 1) | (5, 1) | (10, 3) | (12, 25) | (12, 26)
    ) || [e - 2, e + 1, e + 39, e + 50].contains(&days)
}

fn day_of_year(days: i64) -> i64 {
    let d = date_from_days(days);
    days - days_from_date(Date {
        year: d.year,
        month: 1,
        day: 1,
    }) + 1
}

/// Haurwitz clear-sky global horizontal irradiance (W/m²) at `unix` seconds UTC.
pub fn clearsky_ghi(unix: f64, lat: f64, lon: f64) -> f64 {
    let days = (unix / 86_400.0).floor();
    let secs = unix - days * 86_400.0;
    let doy = day_of_year(days as i64) as f64;
    let hour = secs / 3600.0;
    let g = 2.0 * PI / 365.0 * (doy - 1.0 + (hour - 12.0) / 24.0);
    let eqt = 229.18
        * (0.000075 + 0.001868 * g.cos()
            - 0.032077 * g.sin()
            - 0.014615 * (2.0 * g).cos()
            - 0.040849 * (2.0 * g).sin());
    let decl = 0.006918 - 0.399912 * g.cos() + 0.070257 * g.sin() - 0.006758 * (2.0 * g).cos()
        + 0.000907 * (2.0 * g).sin()
        - 0.002697 * (3.0 * g).cos()
        + 0.00148 * (3.0 * g).sin();
    let tst = secs / 60.0 + eqt + 4.0 * lon;
    let ha = (tst / 4.0 - 180.0) * (PI / 180.0);
    let phi = lat * (PI / 180.0);
    let cz = phi.sin() * decl.sin() + phi.cos() * decl.cos() * ha.cos();
    if cz > 0.0 {
        1098.0 * cz * (-0.059 / cz).exp()
    } else {
        0.0
    }
}

/// What the features of one day share across households at one location: the
/// calendar of the day and the clear-sky irradiance of the day and of the 7 days
/// before it. Computing it once per (day, location) and reusing it for every
/// household is what makes [`DayContext::features_into`] cheap for 1,000 households.
#[derive(Clone, Debug)]
pub struct DayContext {
    day_start: u64,
    dow: i64,
    holiday: [bool; 3],
    doy_sin: f32,
    doy_cos: f32,
    /// clear-sky GHI of the day's 96 slot midpoints, kW/m² (f64, cast when used)
    cs_day: Vec<f64>,
    /// sum of the clear-sky GHI (kW/m²) of the day before
    cs_prev: f64,
    /// sum of the clear-sky GHI (kW/m²) of the 7 days before
    cs_7d: f64,
}

impl DayContext {
    /// The context of the day starting at `day_start` (midnight UTC) at `lat`, `lon`.
    pub fn new(day_start: u64, lat: f64, lon: f64) -> Result<Self, MatcherError> {
        if !day_start.is_multiple_of(86_400) {
            return Err(MatcherError::NotMidnight(day_start));
        }
        let day = (day_start / 86_400) as i64;
        let dow = (day + 3).rem_euclid(7); // 1970-01-01 was a Thursday; Monday = 0
        let doy = day_of_year(day);
        let ang = 2.0 * PI * (doy - 1) as f64 / 365.25;
        // clear-sky GHI (kW/m²) of the 7 days before, oldest first
        let cs_hist: Vec<f64> = (0..HISTORY as u64)
            .map(|k| {
                clearsky_ghi(
                    day_start as f64 - 604_800.0 + (900 * k + 450) as f64,
                    lat,
                    lon,
                ) / 1000.0
            })
            .collect();
        let cs_day = (0..SLOTS_PER_DAY as u64)
            .map(|i| clearsky_ghi((day_start + 900 * i + 450) as f64, lat, lon) / 1000.0)
            .collect();
        Ok(DayContext {
            day_start,
            dow,
            holiday: [is_holiday(day), is_holiday(day - 1), is_holiday(day - 7)],
            doy_sin: ang.sin() as f32,
            doy_cos: ang.cos() as f32,
            cs_day,
            cs_prev: cs_hist[6 * SLOTS_PER_DAY..].iter().sum(),
            cs_7d: cs_hist.iter().sum(),
        })
    }

    /// Midnight UTC of the day.
    pub fn day_start(&self) -> u64 {
        self.day_start
    }

    /// Appends the 96 feature rows (row-major, `96 × N_FEATURES` values) of one
    /// household to `out`, from `history`: the 672 values before the day, oldest
    /// first. On error nothing is appended.
    pub fn features_into(&self, history: &[f32], out: &mut Vec<f32>) -> Result<(), MatcherError> {
        if history.len() != HISTORY {
            return Err(MatcherError::ShortHistory {
                needed: HISTORY,
                got: history.len(),
            });
        }
        let flag = |b: bool| if b { 1.0f32 } else { 0.0 };
        let yesterday = &history[6 * SLOTS_PER_DAY..];
        let mean = |v: &[f32]| (v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64) as f32;
        let sum_1d: f64 = yesterday.iter().map(|&x| x as f64).sum();
        let sum_7d: f64 = history.iter().map(|&x| x as f64).sum();
        let ratio = |v: f64, cs: f64| if cs > 1e-6 { (v / cs) as f32 } else { 0.0 };
        let (csi, csi_7d) = (ratio(sum_1d, self.cs_prev), ratio(sum_7d, self.cs_7d));
        let (m1, m7) = (mean(yesterday), mean(&history[..SLOTS_PER_DAY]));
        let last = history[HISTORY - 1];
        out.reserve(SLOTS_PER_DAY * N_FEATURES);
        for (i, &cs) in self.cs_day.iter().enumerate() {
            let t = 2.0 * PI * i as f64 / SLOTS_PER_DAY as f64;
            out.extend_from_slice(&[
                history[6 * SLOTS_PER_DAY + i],
                history[5 * SLOTS_PER_DAY + i],
                history[i],
                m1,
                m7,
                last,
                t.sin() as f32,
                t.cos() as f32,
                self.dow as f32,
                flag(self.dow >= 5),
                flag(self.holiday[0]),
                flag(self.holiday[1]),
                flag(self.holiday[2]),
                self.doy_sin,
                self.doy_cos,
                cs as f32,
                csi,
                cs as f32 * csi,
                csi_7d,
            ]);
        }
        Ok(())
    }
}

/// Feature rows for the 96 slots of the day starting at `day_start` (midnight UTC),
/// from `history`: the 672 values before it, oldest first.
pub fn day_features(
    history: &[f32],
    day_start: u64,
    lat: f64,
    lon: f64,
) -> Result<Vec<[f32; N_FEATURES]>, MatcherError> {
    if history.len() != HISTORY {
        return Err(MatcherError::ShortHistory {
            needed: HISTORY,
            got: history.len(),
        });
    }
    let ctx = DayContext::new(day_start, lat, lon)?;
    let mut flat = Vec::with_capacity(SLOTS_PER_DAY * N_FEATURES);
    ctx.features_into(history, &mut flat)?;
    Ok(flat
        .chunks_exact(N_FEATURES)
        .map(|c| {
            let mut r = [0.0f32; N_FEATURES];
            r.copy_from_slice(c);
            r
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for days in [-1000i64, 0, 16_801, 16_861, 20_000, 60_000] {
            assert_eq!(days_from_date(date_from_days(days)), days);
        }
        assert_eq!(
            date_from_days(16_801),
            Date {
                year: 2016,
                month: 1,
                day: 1
            }
        );
    }

    #[test]
    fn german_holidays_2016() {
        let d = |m, dd| {
            days_from_date(Date {
                year: 2016,
                month: m,
                day: dd,
            })
        };
        assert_eq!(
            easter(2016),
            Date {
                year: 2016,
                month: 3,
                day: 27
            }
        );
        for (m, dd) in [
            (1, 1),
            (3, 25),
            (3, 28),
            (5, 1),
            (5, 5),
            (5, 16),
            (10, 3),
            (12, 25),
            (12, 26),
        ] {
            assert!(is_holiday(d(m, dd)), "{m}-{dd}");
        }
        assert!(!is_holiday(d(3, 27)) && !is_holiday(d(12, 24)) && !is_holiday(d(7, 14)));
    }

    #[test]
    fn daylight_slots_range_from_28_to_68_at_the_simbench_location() {
        // what a PV forecast costs the model (it runs on daylight rows only)
        let (lat, lon) = (53.6483, 11.4098);
        let daylight = |m, d| {
            let start = 86_400
                * days_from_date(Date {
                    year: 2016,
                    month: m,
                    day: d,
                }) as u64;
            day_features(&[0.5; HISTORY], start, lat, lon)
                .unwrap()
                .iter()
                .filter(|r| r[CLEARSKY] > 0.0)
                .count()
        };
        assert_eq!(daylight(6, 15), 68);
        assert_eq!(daylight(12, 22), 28);
        assert_eq!(daylight(9, 11), 51);
    }

    #[test]
    fn clearsky_is_zero_at_night_and_peaks_near_noon() {
        // 2016-06-21, lon 11.4: solar noon near 11:15 UTC
        let noon = 1_466_467_200.0 + 11.25 * 3600.0;
        assert_eq!(clearsky_ghi(1_466_467_200.0, 53.65, 11.41), 0.0);
        let g = clearsky_ghi(noon, 53.65, 11.41);
        assert!((700.0..1000.0).contains(&g), "{g}");
    }

    #[test]
    fn bad_history_or_start_is_rejected() {
        let err = day_features(&[0.0; 10], 0, 0.0, 0.0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "need 672 history values (7 days of 15-min slots), got 10"
        );
        let err = day_features(&[0.0; HISTORY], 900, 0.0, 0.0).unwrap_err();
        assert_eq!(err.to_string(), "day start 900 is not midnight UTC");
    }
}

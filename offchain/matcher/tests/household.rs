//! A household's forecast (`household::HouseholdForecaster`) on the real
//! SimBench households and the real ONNX models: equal to the models called
//! directly on the household's scaled history, and each refusal's message.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking
#![cfg(feature = "onnx")]
use aip_matcher::forecast::Kind;
use aip_matcher::household::{to_wh, HouseholdForecaster};
use aip_matcher::Forecaster;
use std::path::PathBuf;

const LAT_LON: (f64, f64) = (53.65, 11.41);
/// 2016-03-10 00:00 UTC
const DAY: u64 = 1_457_568_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn forecaster(offset: i64) -> HouseholdForecaster {
    let energy = aip_data::read_dir(
        &root().join("data/simbench"),
        &aip_data::Selection {
            households: Some(vec![0, 1, 2]),
            ..Default::default()
        },
    )
    .unwrap();
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    HouseholdForecaster::new(
        energy,
        10,
        offset,
        LAT_LON,
        Forecaster::load(m.join("load.onnx")).unwrap(),
        Forecaster::load(m.join("pv.onnx")).unwrap(),
    )
}

/// The models called directly: history = the 672 values before `day`, divided
/// by their maximum; output times that maximum, rounded half up.
fn direct(kind: Kind, household: u32, day: u64) -> Vec<u64> {
    let e = aip_data::read_dir(
        &root().join("data/simbench"),
        &aip_data::Selection {
            households: Some(vec![household]),
            ..Default::default()
        },
    )
    .unwrap();
    let from = ((day - 7 * 86_400 - e.first_slot) / 900) as usize;
    let series = match kind {
        Kind::Load => &e.load_wh[0],
        Kind::Pv => &e.pv_wh[0],
    };
    let w = &series[from..from + 672];
    let scale = (*w.iter().max().unwrap()).max(1);
    let hist: Vec<f32> = w
        .iter()
        .map(|&v| (v as f64 / scale as f64) as f32)
        .collect();
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    let file = if kind == Kind::Pv {
        "pv.onnx"
    } else {
        "load.onnx"
    };
    let mut f = Forecaster::load(m.join(file)).unwrap();
    f.forecast_day(kind, &hist, day, LAT_LON.0, LAT_LON.1)
        .unwrap()
        .iter()
        .map(|&v| to_wh(v, scale))
        .collect()
}

#[test]
fn forecast_equals_the_models_called_directly_across_midnight_and_an_offset() {
    // meter 12 = household 2; 8 slots from 23:00 the day before DAY (data
    // time): 4 slots of that day, 4 of DAY. Chain time is data + 7 days.
    let offset = 7 * 86_400;
    let first = DAY - 3600 + offset as u64;
    let got = forecaster(offset).forecast(12, first, 8).unwrap();
    let (l0, p0) = (
        direct(Kind::Load, 2, DAY - 86_400),
        direct(Kind::Pv, 2, DAY - 86_400),
    );
    let (l1, p1) = (direct(Kind::Load, 2, DAY), direct(Kind::Pv, 2, DAY));
    for (k, f) in got.iter().enumerate() {
        assert_eq!(f.slot, first + 900 * k as u64);
        let (load, pv) = if k < 4 {
            (l0[92 + k], p0[92 + k])
        } else {
            (l1[k - 4], p1[k - 4])
        };
        assert_eq!((f.load_wh, f.pv_wh), (load, pv), "slot {k}");
        assert_eq!(f.surplus_wh, pv as i64 - load as i64);
    }
    assert!(got.iter().any(|f| f.load_wh > 0), "{got:?}");
    // at noon the household has PV: a day's forecast has a positive PV slot
    let noon = forecaster(0).forecast(12, DAY + 11 * 3600, 4).unwrap();
    assert_eq!(noon[0].pv_wh, p1[44]);
}

#[test]
fn refusals_name_the_problem() {
    let mut f = forecaster(0);
    let e = f.forecast(9, DAY, 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "meter 9 has no household in the forecast data (meters 10..=12)"
    );
    let e = f.forecast(13, DAY, 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "meter 13 has no household in the forecast data (meters 10..=12)"
    );
    let e = f.forecast(10, DAY + 1, 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "slot 1457568001 is not a slot start (a multiple of 900)"
    );
    // 2016-01-03: its 7 days before start in 2015, before the data
    let e = f.forecast(10, 1_451_779_200, 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "slot 1451779200 needs data from 1451174400 to 1451779200 (the 7 days before its day), the data covers 1451606400 to 1483228800 (chain time)"
    );
}

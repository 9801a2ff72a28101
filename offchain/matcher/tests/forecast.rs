//! The Rust side of the forecasts against the Python side (fixtures written by
//! training/train.py): features bit-for-bit (up to f32 rounding of sums), and ONNX
//! Runtime outputs equal to the Python onnxruntime outputs on the same rows.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking
#![cfg(feature = "onnx")]
use aip_matcher::features::{day_features, FEATURES, N_FEATURES};
use aip_matcher::forecast::Kind;
use aip_matcher::{Forecaster, MatcherError};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Deserialize)]
struct Fixture {
    day_start: u64,
    history: Vec<f32>,
    features: Vec<Vec<f32>>,
    outputs: Vec<f32>,
}

#[derive(Deserialize)]
struct Location {
    lat: f64,
    lon: f64,
}

#[derive(Deserialize)]
struct Fixtures {
    features: Vec<String>,
    location: Location,
    load: Fixture,
    pv: Fixture,
}

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn fixtures() -> Fixtures {
    let bytes = std::fs::read(models().join("fixtures.json")).expect("models/fixtures.json");
    serde_json::from_slice(&bytes).expect("fixtures parse")
}

#[test]
fn feature_names_match_the_training_script() {
    let f = fixtures();
    assert_eq!(
        f.features,
        FEATURES.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    );
}

#[test]
fn rust_features_equal_python_features() {
    let f = fixtures();
    for fx in [&f.load, &f.pv] {
        let rows = day_features(&fx.history, fx.day_start, f.location.lat, f.location.lon).unwrap();
        assert_eq!(rows.len(), fx.features.len());
        for (i, (r, p)) in rows.iter().zip(&fx.features).enumerate() {
            for k in 0..N_FEATURES {
                let tol = 1e-5 * p[k].abs().max(1.0);
                assert!(
                    (r[k] - p[k]).abs() <= tol,
                    "row {i} {}: rust {} python {}",
                    FEATURES[k],
                    r[k],
                    p[k]
                );
            }
        }
    }
}

#[test]
fn onnx_runtime_outputs_equal_python_outputs() {
    let f = fixtures();
    for (name, fx) in [("load", &f.load), ("pv", &f.pv)] {
        let mut m = Forecaster::load(models().join(format!("{name}.onnx"))).unwrap();
        let rows: Vec<[f32; N_FEATURES]> = fx
            .features
            .iter()
            .map(|r| r.as_slice().try_into().expect("width"))
            .collect();
        let out = m.predict(&rows).unwrap();
        assert_eq!(out.len(), fx.outputs.len());
        for (i, (a, b)) in out.iter().zip(&fx.outputs).enumerate() {
            assert!((a - b).abs() <= 1e-5, "{name} row {i}: rust {a} python {b}");
        }
        // end to end from the history: clipped, PV zero at night
        let kind = if name == "pv" { Kind::Pv } else { Kind::Load };
        let day = m
            .forecast_day(
                kind,
                &fx.history,
                fx.day_start,
                f.location.lat,
                f.location.lon,
            )
            .unwrap();
        assert_eq!(day.len(), 96);
        assert!(day.iter().all(|v| *v >= 0.0));
        if kind == Kind::Pv {
            assert_eq!(day[0], 0.0, "midnight PV");
            assert!(day.iter().any(|v| *v > 0.0), "daylight PV");
        }
    }
}

#[test]
fn bad_inputs_are_rejected() {
    let mut m = Forecaster::load(models().join("load.onnx")).unwrap();
    let err = m.predict_flat(&[0.0; 10], 10).unwrap_err();
    assert!(
        matches!(
            err,
            MatcherError::FeatureWidth {
                expected: 19,
                got: 10
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "feature row has 10 values, the model expects 19"
    );
    assert!(m.predict(&[]).unwrap().is_empty());
    let err = Forecaster::load(models().join("missing.onnx"))
        .err()
        .expect("missing model");
    assert!(
        err.to_string()
            .ends_with("missing.onnx: no such model file"),
        "{err}"
    );
}

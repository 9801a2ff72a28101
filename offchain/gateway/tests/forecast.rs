//! `GET /v1/forecast/{meter}` on the real SimBench households and the real
//! ONNX models (ONNX Runtime): the answer equals `HouseholdForecaster` called
//! directly for the same household and slots, the slots are the next ones
//! whose gate is open, and every refusal has its status, code and reason.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use aip_matcher::household::HouseholdForecaster;
use aip_matcher::Forecaster;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use gateway::forecast::ROUNDING;
use gateway::{Config, FixedBalance, ForecastAnswer, ForecastConfig, ForecastService, Gateway};
use serde_json::Value;
use tower::ServiceExt;

const WEEK: i64 = 7 * 86_400;
/// Chain time minus data time: 522 weeks (2026-12-06 is 2016-12-04, both Sundays).
const OFFSET: i64 = 522 * WEEK;
/// 2026-12-06 10:02:05 UTC: with the 300 s gate the first open slot is 10:15.
const NOW: u64 = 1_796_551_325;
/// 2026-12-06 10:15 UTC.
const FIRST_OPEN: u64 = 1_796_552_100;
/// The households' site, `location` of `data/simbench/grid.json`.
const SITE: (f64, f64) = (53.6483, 11.4098);
/// Households in `data/simbench/households_wh.csv.gz`.
const HOUSEHOLDS: u64 = 118;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn forecast_config(offset: Option<i64>) -> ForecastConfig {
    ForecastConfig {
        data: root().join("data/simbench/households_wh.csv.gz"),
        models: root().join("offchain/matcher/models"),
        first_meter: 1,
        slot_offset_seconds: offset,
        site: None,
        max_slots: 96,
    }
}

/// One service for every test (reading the whole file takes a while).
fn service() -> Arc<ForecastService> {
    static SERVICE: OnceLock<Arc<ForecastService>> = OnceLock::new();
    SERVICE
        .get_or_init(|| {
            Arc::new(ForecastService::load(&forecast_config(Some(OFFSET)), NOW, 0).unwrap())
        })
        .clone()
}

/// `HouseholdForecaster` built here, directly: households 0..=`index` of the
/// file, so that meter `1 + index` is household `index` as in the gateway.
fn direct(index: u32, first_slot: u64, slots: usize) -> Vec<(u64, u64, u64, i64)> {
    direct_at(index, OFFSET, first_slot, slots)
}

/// [`direct`] with another chain-minus-data offset.
fn direct_at(index: u32, offset: i64, first_slot: u64, slots: usize) -> Vec<(u64, u64, u64, i64)> {
    let energy = aip_data::read(
        &root().join("data/simbench/households_wh.csv.gz"),
        &aip_data::Selection {
            households: Some((0..=index).collect()),
            ..Default::default()
        },
    )
    .unwrap();
    let models = root().join("offchain/matcher/models");
    let mut f = HouseholdForecaster::new(
        energy,
        1,
        offset,
        SITE,
        Forecaster::load(models.join("load.onnx")).unwrap(),
        Forecaster::load(models.join("pv.onnx")).unwrap(),
    );
    f.forecast(u64::from(1 + index), first_slot, slots)
        .unwrap()
        .into_iter()
        .map(|s| (s.slot, s.load_wh, s.pv_wh, s.surplus_wh))
        .collect()
}

struct Harness {
    gw: Arc<Gateway>,
    clock: Arc<AtomicU64>,
    _dir: tempfile::TempDir,
}

fn harness(forecast: Option<Arc<ForecastService>>) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        contract: "wasm1settlement".to_string(),
        database: dir.path().join("gateway.sqlite"),
        ..Config::default()
    };
    let clock = Arc::new(AtomicU64::new(NOW * 1000));
    let c = clock.clone();
    let gw = Gateway::with_forecast(
        cfg,
        Arc::new(FixedBalance::new(0)),
        Arc::new(move || c.load(Ordering::SeqCst)),
        forecast,
    )
    .unwrap();
    Harness {
        gw,
        clock,
        _dir: dir,
    }
}

impl Harness {
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let req = Request::builder()
            .method("GET")
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let resp = gateway::router(self.gw.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn refused(&self, path: &str, status: u16, code: &str, reason: &str) {
        let (st, body) = self.get(path).await;
        assert_eq!(st.as_u16(), status, "{path}: {body}");
        assert_eq!(body["error"], code, "{path}: {body}");
        assert_eq!(body["reason"], reason, "{path}: {body}");
    }
}

#[tokio::test]
async fn the_forecast_is_the_household_forecasters_for_the_next_open_slots() {
    let h = harness(Some(service()));
    // Meter 12 is household 11 (27 kW of PV): a day and a half from 10:15,
    // across midnight, so two of the models' days.
    let (st, body) = h.get("/v1/forecast/12?slots=96").await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let answer: ForecastAnswer = serde_json::from_value(body).unwrap();
    assert_eq!(
        (answer.meter, answer.now, answer.slot_offset_seconds),
        (12, NOW, OFFSET)
    );
    assert_eq!(answer.rounding, ROUNDING);
    let want = direct(11, FIRST_OPEN, 96);
    let got: Vec<_> = answer
        .slots
        .iter()
        .map(|s| (s.slot, s.load_wh, s.pv_wh, s.surplus_wh))
        .collect();
    assert_eq!(got, want);
    for (k, s) in answer.slots.iter().enumerate() {
        assert_eq!(s.slot, FIRST_OPEN + 900 * k as u64);
        assert_eq!(s.gate_at, s.slot - 300);
        assert_eq!(s.surplus_wh, s.pv_wh as i64 - s.load_wh as i64);
    }
    // A December day with PV: a surplus around noon, a deficit at night.
    assert!(answer.slots.iter().any(|s| s.surplus_wh > 0), "{got:?}");
    assert!(answer.slots.iter().any(|s| s.surplus_wh < 0), "{got:?}");

    // Meter 1 is household 0 (no PV): eight slots by default, all deficits.
    let (st, body) = h.get("/v1/forecast/1").await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let answer: ForecastAnswer = serde_json::from_value(body).unwrap();
    let got: Vec<_> = answer
        .slots
        .iter()
        .map(|s| (s.slot, s.load_wh, s.pv_wh, s.surplus_wh))
        .collect();
    assert_eq!(got, direct(0, FIRST_OPEN, 8));
    assert!(
        answer
            .slots
            .iter()
            .all(|s| s.pv_wh == 0 && s.surplus_wh < 0),
        "{got:?}"
    );
}

#[tokio::test]
async fn the_first_slot_follows_the_gate() {
    let h = harness(Some(service()));
    let first = |body: &Value| body["slots"][0]["slot"].as_u64().unwrap();
    // 10:09:59: the 10:15 gate (10:10:00) is still open.
    h.clock.store((FIRST_OPEN - 301) * 1000, Ordering::SeqCst);
    let (_, body) = h.get("/v1/forecast/1?slots=1").await;
    assert_eq!(first(&body), FIRST_OPEN);
    // 10:10:00: closed, the first open slot is 10:30.
    h.clock.store((FIRST_OPEN - 300) * 1000, Ordering::SeqCst);
    let (_, body) = h.get("/v1/forecast/1?slots=1").await;
    assert_eq!(first(&body), FIRST_OPEN + 900);
    assert_eq!(body["slots"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn refusals_name_the_problem() {
    let h = harness(Some(service()));
    h.refused(
        "/v1/forecast/abc",
        400,
        "bad_meter",
        "meter \"abc\" is not a meter id (a whole number)",
    )
    .await;
    h.refused(
        "/v1/forecast/0",
        404,
        "unknown_meter",
        "meter 0 has no household in the forecast data (meters 1..=118)",
    )
    .await;
    let beyond = format!("/v1/forecast/{}", HOUSEHOLDS + 1);
    h.refused(
        &beyond,
        404,
        "unknown_meter",
        "meter 119 has no household in the forecast data (meters 1..=118)",
    )
    .await;
    for bad in ["0", "97", "-1", "x", "", "1.5"] {
        h.refused(
            &format!("/v1/forecast/1?slots={bad}"),
            400,
            "bad_slots",
            &format!("slots {bad:?} is not a whole number from 1 to 96"),
        )
        .await;
    }
    h.refused(
        "/v1/forecast/1?slot=4",
        400,
        "bad_query",
        "query parameter \"slot\" is not known (this route takes `slots`)",
    )
    .await;
    h.refused(
        "/v1/forecast/1?slots=4&slots=5",
        400,
        "bad_query",
        "query parameter \"slots\" is given more than once",
    )
    .await;
    // At 2027-01-10 10:00 the first open slot, 10:15, is 2017-01-08 in the data, which ends with 2016.
    h.clock.store(1_799_575_200_000, Ordering::SeqCst);
    h.refused(
        "/v1/forecast/1?slots=1",
        404,
        "no_forecast_data",
        "no forecast: slot 1799576100 needs data from 1798934400 to 1799539200 (the 7 days before its day), the data covers 1767312000 to 1798934400 (chain time)",
    )
    .await;

    // A gateway without [forecast].
    let plain = harness(None);
    plain
        .refused(
            "/v1/forecast/1?slots=4",
            404,
            "forecast_not_configured",
            "this gateway serves no forecasts (its configuration has no [forecast] section)",
        )
        .await;
}

#[test]
fn without_an_offset_the_service_picks_whole_weeks_with_the_season() {
    let s = ForecastService::load(&forecast_config(None), NOW, 86_400).unwrap();
    assert_eq!(s.slot_offset_seconds(), OFFSET);
    assert_eq!(s.max_slots(), 96);

    // Five weeks on, 2027-01-10 10:00: under the first offset its slots fall
    // past the data's end (the configured service refuses that time in
    // `refusals_name_the_problem`). This service chose its offset, so it
    // maps the new day onto the data again: whole weeks, January 2016.
    let later = 1_799_575_200;
    let answer = s.answer(1, 4, later, 300).unwrap();
    let offset = s.slot_offset_seconds();
    assert_eq!(answer.slot_offset_seconds, offset);
    assert_ne!(offset, OFFSET);
    assert_eq!(offset % WEEK, 0, "whole weeks keep the weekday");
    let first = 1_799_576_100; // 10:15, the first open slot
    assert_eq!(
        answer.slots.iter().map(|s| s.slot).collect::<Vec<_>>(),
        (0..4).map(|k| first + k * 900).collect::<Vec<_>>()
    );
    // The data slot is within three days of the same calendar date in 2016
    // (2016-01-10 10:15 UTC is 1452420900).
    let data_slot = i64::try_from(first).unwrap() - offset;
    assert!(
        (data_slot - 1_452_420_900).abs() <= 4 * 86_400,
        "data slot {data_slot}"
    );
    // The answer is the forecaster's for that offset.
    let direct_later = direct_at(0, offset, first, 4);
    assert_eq!(
        answer
            .slots
            .iter()
            .map(|s| (s.slot, s.load_wh, s.pv_wh, s.surplus_wh))
            .collect::<Vec<_>>(),
        direct_later
    );
}

#[test]
fn a_missing_data_file_or_model_is_refused_at_start_naming_it() {
    let mut cfg = forecast_config(Some(OFFSET));
    cfg.data = PathBuf::from("/nonexistent/households_wh.csv.gz");
    cfg.site = Some(SITE);
    let e = ForecastService::load(&cfg, NOW, 0)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        e,
        "forecast data: /nonexistent/households_wh.csv.gz: No such file or directory (os error 2)"
    );
    // No site given and no grid.json beside the data (the site is looked up first).
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = forecast_config(Some(OFFSET));
    cfg.data = dir.path().join("households_wh.csv.gz");
    let e = ForecastService::load(&cfg, NOW, 0)
        .err()
        .unwrap()
        .to_string();
    let grid = dir.path().join("grid.json").display().to_string();
    assert_eq!(
        e,
        format!("forecast site: no `site` given, and the grid's location: {grid}: No such file or directory (os error 2)")
    );
    // The models' folder without the models (looked up before the data).
    cfg.site = Some(SITE);
    cfg.models = dir.path().to_path_buf();
    let e = ForecastService::load(&cfg, NOW, 0)
        .err()
        .unwrap()
        .to_string();
    let model = dir.path().join("load.onnx").display().to_string();
    assert_eq!(e, format!("forecast models: {model}: no such model file"));
}

#[test]
fn data_shorter_than_two_weeks_cannot_be_mapped_onto_the_chain() {
    // Ten days of one household: no week whose 7 days before are in the data.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("households_wh.csv");
    let mut text = String::from("slot,load_0,pv_0\n");
    for t in 0..10 * 96u64 {
        text.push_str(&format!("{},100,0\n", 1_451_606_400 + 900 * t));
    }
    std::fs::write(&file, text).unwrap();
    let mut cfg = forecast_config(None);
    cfg.data = file.clone();
    cfg.site = Some(SITE);
    let e = ForecastService::load(&cfg, NOW, 86_400)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        e,
        format!(
            "forecast data {} is too short to map the chain's time onto it (a slot needs the 7 days before its day)",
            file.display()
        )
    );
}

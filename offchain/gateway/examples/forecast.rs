//! Latency of `GET /v1/forecast/{meter}` for one household: loads the real
//! SimBench households and the matcher's ONNX models as `[forecast]` does,
//! serves the gateway in process on loopback and asks one keep-alive HTTP
//! connection for the same meter `REQUESTS` times with `slots=8` (the page's
//! request is 9) and `slots=96`. Reports the start-up load time and the
//! latency distribution of each.
//!
//! ```text
//! cargo run --release -p gateway --example forecast -- [METER] [REQUESTS]
//! ```
//! Defaults: meter 12 (household 11, with PV), 200 requests. The gateway's
//! clock is the system clock, the offset chosen at start (whole weeks).
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{arg, quantile_ms, Http};
use gateway::{
    serve, system_clock, Config, FixedBalance, ForecastConfig, ForecastService, Gateway,
};

fn main() -> anyhow::Result<()> {
    let meter = arg(1, 12);
    let requests = arg(2, 200).max(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fc = ForecastConfig {
        data: root.join("data/simbench/households_wh.csv.gz"),
        models: root.join("offchain/matcher/models"),
        first_meter: 1,
        slot_offset_seconds: None,
        site: None,
        max_slots: 96,
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let loading = Instant::now();
    let service = ForecastService::load(&fc, now, 300 + 97 * 900)?;
    let load_time = loading.elapsed();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run(Arc::new(service), meter, requests, load_time))
}

async fn run(
    service: Arc<ForecastService>,
    meter: u64,
    requests: u64,
    load_time: Duration,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let cfg = Config {
        listen: "127.0.0.1:0".to_string(),
        database: dir.path().join("forecast.sqlite"),
        contract: "wasm1settlement".to_string(),
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind(&cfg.listen).await?;
    let addr = listener.local_addr()?.to_string();
    let offset = service.slot_offset_seconds();
    let gw = Gateway::with_forecast(
        cfg,
        Arc::new(FixedBalance::new(0)),
        system_clock(),
        Some(service),
    )?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, gw, async move {
        let _ = stop_rx.await;
    }));
    println!(
        "loaded data and models in {:.2} s (offset {offset} s)",
        load_time.as_secs_f64()
    );
    let mut http = Http::connect(&addr).await?;
    for slots in [8u64, 96] {
        let path = format!("/v1/forecast/{meter}?slots={slots}");
        // One request first, not timed (the models' first run).
        let (status, body) = http.request("GET", &path, None).await?;
        anyhow::ensure!(status == 200, "{path}: {status} {body}");
        let mut lat = Vec::with_capacity(requests as usize);
        for _ in 0..requests {
            let t = Instant::now();
            let (status, _) = http.request("GET", &path, None).await?;
            lat.push(t.elapsed());
            anyhow::ensure!(status == 200, "{path}: {status}");
        }
        lat.sort_unstable();
        let pct = |p: f64| quantile_ms(&lat, p);
        println!(
            "meter {meter} slots={slots:<3} requests {requests}  p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms",
            pct(0.50),
            pct(0.95),
            pct(1.0)
        );
    }
    let _ = stop_tx.send(());
    server.await??;
    Ok(())
}

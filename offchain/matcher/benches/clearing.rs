//! Clearing time on the real SimBench network (13 zones, 12 corridors) with synthetic
//! books of 1k, 10k and 100k orders. Welfare and loss figures: `aip-matcher report`.
//!
//!     cargo bench -p aip-matcher --bench clearing
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking
use aip_matcher::{clear, simbench, Method};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use std::time::Duration;

fn clearing(c: &mut Criterion) {
    let network =
        simbench::load_network(&simbench::default_dir()).expect("data/simbench/network.json");
    let mut g = c.benchmark_group("clear");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for n in [1_000usize, 10_000, 100_000] {
        let book = simbench::synthetic_book(n, &network, 42, 0.0);
        g.bench_with_input(BenchmarkId::new("flow", n), &book, |b, book| {
            b.iter(|| black_box(clear(book, &network, Method::Flow).expect("clear")))
        });
        g.bench_with_input(BenchmarkId::new("price_only", n), &book, |b, book| {
            b.iter(|| black_box(clear(book, &network, Method::PriceOnly).expect("clear")))
        });
        let gated = simbench::synthetic_book(n, &network, 42, 0.1);
        g.bench_with_input(BenchmarkId::new("flow_gated", n), &gated, |b, book| {
            b.iter(|| black_box(clear(book, &network, Method::Flow).expect("clear")))
        });
        if n <= 1_000 {
            g.bench_with_input(BenchmarkId::new("exact_lp", n), &book, |b, book| {
                b.iter(|| black_box(clear(book, &network, Method::Exact).expect("clear")))
            });
        }
    }
    g.finish();
}

/// Day-ahead forecasts for 1,000 households: 96,000 feature rows through each model.
fn forecasts(c: &mut Criterion) {
    use aip_matcher::features::N_FEATURES;
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut g = c.benchmark_group("forecast");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    let rows: Vec<[f32; N_FEATURES]> = (0..96_000)
        .map(|i| {
            let mut r = [0.0f32; N_FEATURES];
            for (k, v) in r.iter_mut().enumerate() {
                *v = ((i * 31 + k * 17) % 97) as f32 / 97.0;
            }
            r
        })
        .collect();
    for name in ["load", "pv"] {
        let Ok(mut m) = aip_matcher::Forecaster::load(models.join(format!("{name}.onnx"))) else {
            eprintln!("skipping forecast bench: ONNX Runtime not found (ci/install-python.sh)");
            return;
        };
        g.bench_function(BenchmarkId::new(name, "1000 households x 96 slots"), |b| {
            b.iter(|| black_box(m.predict(&rows).expect("predict")))
        });
    }
    g.finish();
}

/// The batched path end to end: 1,000 households x 96 slots, features included
/// (one `DayContext` per day, then every household's rows into one buffer and one
/// ONNX Runtime call), for the default trees and the small models of
/// `training/train_small.py`, with one intra-op thread (default options) and with
/// two threads and every graph optimisation.
fn forecast_batch(c: &mut Criterion) {
    use aip_matcher::features::DayContext;
    use aip_matcher::forecast::{Kind, SessionOptions};
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let fx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(models.join("fixtures.json")).expect("fixtures"))
            .expect("fixtures parse");
    let (lat, lon) = (
        fx["location"]["lat"].as_f64().expect("lat"),
        fx["location"]["lon"].as_f64().expect("lon"),
    );
    let day = fx["load"]["day_start"].as_u64().expect("day_start");
    // 2016-06-15, the day with the most daylight slots at the SimBench location
    let longest = 86_400
        * aip_matcher::features::days_from_date(aip_matcher::features::Date {
            year: 2016,
            month: 6,
            day: 15,
        }) as u64;
    // 1,000 different households: the fixture's real history, scaled and rotated
    let households = |kind: &str| -> Vec<Vec<f32>> {
        let base: Vec<f32> = fx[kind]["history"]
            .as_array()
            .expect("history")
            .iter()
            .map(|v| v.as_f64().expect("f64") as f32)
            .collect();
        (0..1000)
            .map(|h| {
                let scale = 0.5 + (h % 100) as f32 * 0.01;
                let mut v: Vec<f32> = base.iter().map(|x| x * scale).collect();
                v.rotate_left(h % base.len());
                v
            })
            .collect()
    };
    let mut g = c.benchmark_group("forecast_batch");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let load = households("load");
    let load_refs: Vec<&[f32]> = load.iter().map(Vec::as_slice).collect();
    g.bench_function("features only/1000 households x 96 slots", |b| {
        b.iter(|| {
            let ctx = DayContext::new(day, lat, lon).expect("ctx");
            let mut flat = Vec::new();
            for h in &load_refs {
                ctx.features_into(h, &mut flat).expect("features");
            }
            black_box(flat)
        })
    });
    let pv = households("pv");
    let pv_refs: Vec<&[f32]> = pv.iter().map(Vec::as_slice).collect();
    for name in [
        "load",
        "pv",
        "load_small_trees",
        "pv_small_trees",
        "load_ridge",
        "pv_ridge",
    ] {
        let (kind, refs) = if name.starts_with("pv") {
            (Kind::Pv, &pv_refs)
        } else {
            (Kind::Load, &load_refs)
        };
        for (label, opts) in [
            ("1 thread", SessionOptions::default()),
            (
                "2 threads, all optimisations",
                SessionOptions {
                    intra_threads: 2,
                    optimize_all: true,
                },
            ),
        ] {
            let Ok(mut m) =
                aip_matcher::Forecaster::load_with(models.join(format!("{name}.onnx")), opts)
            else {
                eprintln!("skipping forecast bench: ONNX Runtime not found (ci/install-python.sh)");
                return;
            };
            // PV runs the model on daylight rows only: time it on the fixture's
            // day (September, 51 of 96 slots) and on the year's longest day (68)
            let days: &[(&str, u64)] = if kind == Kind::Pv {
                &[("", day), (", longest day", longest)]
            } else {
                &[("", day)]
            };
            for &(which, d) in days {
                g.bench_function(BenchmarkId::new(name, format!("{label}{which}")), |b| {
                    b.iter(|| {
                        let ctx = DayContext::new(d, lat, lon).expect("ctx");
                        black_box(m.forecast_days(kind, refs, &ctx).expect("forecast"))
                    })
                });
            }
        }
    }
    g.finish();
}

criterion_group!(benches, clearing, forecasts, forecast_batch);
criterion_main!(benches);

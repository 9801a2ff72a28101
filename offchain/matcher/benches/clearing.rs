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

criterion_group!(benches, clearing, forecasts);
criterion_main!(benches);

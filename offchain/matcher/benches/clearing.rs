//! Clearing time on the real SimBench network (13 zones, 12 corridors) with synthetic
//! books of 1k, 10k and 100k orders. Welfare and loss figures: `aip-matcher report`.
//!
//!     cargo bench -p aip-matcher --bench clearing
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

criterion_group!(benches, clearing);
criterion_main!(benches);

//! Bounded load test of the gateway on loopback: pre-signs `COUNT` intents
//! (half Cosmos ADR-036, half Ethereum EIP-712) for `ACCOUNTS` accounts, starts
//! the gateway in process on a fresh on-disk SQLite database (WAL,
//! `synchronous = FULL`: every acknowledged intent is fsynced), and posts them
//! from `CLIENTS` keep-alive HTTP connections. Reports intents accepted per
//! second (wall clock from the first post to the last answer) and the latency
//! distribution of a post, then checks that the store holds every one.
//!
//! ```text
//! cargo run --release -p gateway --example load -- [COUNT] [CLIENTS] [ACCOUNTS]
//! ```
//! Defaults: 20000 intents, 64 clients, 1000 accounts. Everything runs on a
//! two-worker tokio runtime (the server, the clients and the writer thread share
//! the machine's cores).
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use gateway::{serve, system_clock, Config, FixedBalance, Gateway};

fn main() -> anyhow::Result<()> {
    let count = arg(1, 20_000);
    let clients = arg(2, 64).max(1);
    let accounts = arg(3, 1000).max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run(count, clients, accounts))
}

async fn run(count: u64, clients: u64, accounts: u64) -> anyhow::Result<()> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let slot = (now / 900 + 4) * 900;
    let keys: Vec<_> = (0..accounts).map(|a| key(&format!("load {a}"))).collect();
    let addrs: Vec<String> = keys.iter().map(address_of).collect();
    let signing = Instant::now();
    let bodies: Vec<String> = (0..count)
        .map(|n| {
            let a = (n % accounts) as usize;
            let i = bid(&addrs[a], n, slot);
            let s = if n % 2 == 0 {
                sign_cosmos(&keys[a], &i)
            } else {
                sign_eth(&keys[a], &i)
            };
            serde_json::to_string(&s).expect("json")
        })
        .collect();
    eprintln!(
        "signed {count} intents in {:.1} s (client side, not measured)",
        signing.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir()?;
    let mut cfg = Config {
        listen: "127.0.0.1:0".to_string(),
        database: dir.path().join("load.sqlite"),
        contract: domain().contract,
        rate_limit_per_minute: u32::MAX,
        rate_limit_burst: u32::MAX,
        ..Config::default()
    };
    cfg.chain.chain_id = CHAIN.to_string();
    let listener = tokio::net::TcpListener::bind(&cfg.listen).await?;
    let addr = listener.local_addr()?.to_string();
    let gw = Gateway::new(cfg, Arc::new(FixedBalance::new(u128::MAX)), system_clock())?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, gw.clone(), async move {
        let _ = stop_rx.await;
    }));

    let bodies = Arc::new(bodies);
    let start = Instant::now();
    let mut tasks = vec![];
    for c in 0..clients {
        let bodies = bodies.clone();
        let addr = addr.clone();
        tasks.push(tokio::spawn(async move {
            let mut http = Http::connect(&addr).await.expect("connect");
            let mut lat = vec![];
            let mut refused = 0u64;
            let mut n = c;
            while n < bodies.len() as u64 {
                let t = Instant::now();
                let (status, _) = http
                    .request("POST", "/v1/intents", Some(&bodies[n as usize]))
                    .await
                    .expect("post");
                lat.push(t.elapsed());
                if status != 201 {
                    refused += 1;
                }
                n += clients;
            }
            (lat, refused)
        }));
    }
    let mut lat: Vec<Duration> = vec![];
    let mut refused = 0;
    for t in tasks {
        let (l, r) = t.await?;
        lat.extend(l);
        refused += r;
    }
    let wall = start.elapsed();
    let _ = stop_tx.send(());
    server.await??;
    let stored = gw.store.count()?;
    lat.sort_unstable();
    let pct = |p: f64| quantile_ms(&lat, p);
    let accepted = count - refused;
    println!("intents posted      {count}");
    println!("accepted (201)      {accepted}");
    println!("stored after run    {stored}");
    println!("clients             {clients}");
    println!("accounts            {accounts}");
    println!("wall time           {:.3} s", wall.as_secs_f64());
    println!(
        "accepted per second {:.0}",
        accepted as f64 / wall.as_secs_f64()
    );
    println!("latency p50         {:.2} ms", pct(0.50));
    println!("latency p99         {:.2} ms", pct(0.99));
    println!("latency max         {:.2} ms", pct(1.0));
    anyhow::ensure!(refused == 0, "{refused} posts refused");
    anyhow::ensure!(stored == count, "stored {stored} of {count}");
    Ok(())
}

//! AIPCHAIN order gateway.
//!
//! Wallets post signed order intents ([`aip_types::intent`]); the gateway
//! verifies each (signature, chain and contract binding, expiry, slot and gate
//! time, free balance, duplicates, nonce reuse, per-account rate limit),
//! stores it durably in SQLite (WAL, group commit) before it answers, serves
//! the open book of each slot and a WebSocket stream of updates, and at each
//! slot's gate closure freezes and publishes the slot's book so that anyone
//! can re-run the clearing; with a `[forecast]` configuration it also serves
//! each household's own forecast for the next slots ([`forecast`]). See
//! `README.md` beside this crate.
#![cfg_attr(test, allow(clippy::unwrap_used))] // tests report failures by panicking
#![warn(missing_docs)]

pub mod api;
pub mod balance;
pub mod config;
pub mod error;
pub mod forecast;
pub mod ratelimit;
pub mod rejections;
pub mod store;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use api::{offset_clock, router, system_clock, Accepted, Clock, Gateway, OpenBook, ROUTES};
pub use balance::{BalanceSource, ChainBalance, FixedBalance};
pub use config::{BalanceConfig, Config, ConfigError, ForecastConfig};
pub use error::{ErrorBody, GatewayError};
pub use forecast::{ForecastAnswer, ForecastService, ForecastSlot};
pub use store::{BookEntry, FrozenBook, Store, StoredIntent};

/// Serves `gw` on `listener` until `shutdown` resolves: in-flight requests
/// finish, the gate-closure task stops, and the store's writer drains its
/// queue before this returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    gw: Arc<Gateway>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let ticker_gw = gw.clone();
    let period = Duration::from_millis(gw.cfg.freeze_interval_ms);
    let ticker = tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = interval.tick() => {
                    if let Err(e) = ticker_gw.freeze_due().await {
                        tracing::warn!(error = %e, "freezing due books failed");
                    }
                }
                _ = stop_rx.changed() => break,
            }
        }
    });
    let result = axum::serve(listener, router(gw.clone()))
        .with_graceful_shutdown(shutdown)
        .await;
    let _ = stop_tx.send(true);
    let _ = ticker.await;
    gw.store.shutdown();
    result
}

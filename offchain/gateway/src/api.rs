//! The HTTP + WebSocket API.
//!
//! | method | path | what |
//! | --- | --- | --- |
//! | POST | `/v1/intents` | post a signed intent; 201 after it is durably stored |
//! | GET | `/v1/intents/{hash}` | one stored intent |
//! | POST | `/v1/intents/{hash}/cancel` | withdraw an intent (owner-signed) |
//! | GET | `/v1/book/{slot}` | the open book of a slot |
//! | GET | `/v1/book/{slot}/frozen` | the book frozen at the slot's gate closure |
//! | GET | `/v1/stream` | WebSocket: accepted, cancelled, frozen events |
//! | GET | `/v1/forecast/{meter}?slots=N` | the household's forecast for the next open slots |
//! | GET | `/health` | liveness |
//! | GET | `/openapi.json` | the OpenAPI document |

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aip_types::intent::{
    verify_cancel, verify_signed_intent, IntentDomain, IntentSignature, Side, SignedIntent,
};
use aip_types::{escrow_for, SLOT_SECONDS};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cosmwasm_std::testing::MockApi;
use cosmwasm_std::Uint128;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::broadcast;

use crate::balance::BalanceSource;
use crate::config::Config;
use crate::error::GatewayError;
use crate::forecast::{ForecastAnswer, ForecastService, DEFAULT_SLOTS};
use crate::ratelimit::RateLimiter;
use crate::store::{BookEntry, NewIntent, Store, StoredIntent};

/// Every route as (method, OpenAPI path): the router and the OpenAPI test use it.
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/intents"),
    ("get", "/v1/intents/{hash}"),
    ("post", "/v1/intents/{hash}/cancel"),
    ("get", "/v1/book/{slot}"),
    ("get", "/v1/book/{slot}/frozen"),
    ("get", "/v1/stream"),
    ("get", "/v1/forecast/{meter}"),
    ("get", "/health"),
    ("get", "/openapi.json"),
];

/// The OpenAPI document served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// The clock: unix milliseconds. Injected so tests control gate closure and expiry.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default()
    })
}

/// The system clock plus the whole seconds written in `file` (re-read at
/// every call; a missing file counts as 0 and an unreadable one as 0 with a
/// warning): the clock of a test network whose chain time was moved forward
/// (`ci/localnet.sh advance` writes the localnet's `clock-offset`).
pub fn offset_clock(file: PathBuf) -> Clock {
    let system = system_clock();
    Arc::new(move || {
        let offset_secs = match std::fs::read_to_string(&file) {
            Ok(text) => text.trim().parse::<u64>().unwrap_or_else(|e| {
                tracing::warn!(file = %file.display(), error = %e, "clock offset is not a number of seconds; using 0");
                0
            }),
            Err(_) => 0,
        };
        system().saturating_add(offset_secs.saturating_mul(1000))
    })
}

/// Shared state of the handlers.
pub struct Gateway {
    /// The configuration.
    pub cfg: Config,
    /// The chain and contract intents must be bound to.
    pub domain: IntentDomain,
    /// The durable store.
    pub store: Store,
    /// Free balances.
    pub balance: Arc<dyn BalanceSource>,
    /// Per-account rate limits.
    pub limiter: RateLimiter,
    /// Events for WebSocket subscribers (JSON text).
    pub events: broadcast::Sender<String>,
    /// The clock.
    pub clock: Clock,
    /// secp256k1 through cosmwasm-std's native implementation (cosmwasm-crypto,
    /// the code the chain's VM runs for the host functions).
    pub crypto: MockApi,
    /// Households' own forecasts, when the configuration has `[forecast]`.
    pub forecast: Option<Arc<ForecastService>>,
}

impl Gateway {
    /// Builds the state; opens the store.
    pub fn new(
        cfg: Config,
        balance: Arc<dyn BalanceSource>,
        clock: Clock,
    ) -> Result<Arc<Self>, GatewayError> {
        Self::with_forecast(cfg, balance, clock, None)
    }

    /// Builds the state with a forecast service (`GET /v1/forecast/{meter}`);
    /// opens the store.
    pub fn with_forecast(
        cfg: Config,
        balance: Arc<dyn BalanceSource>,
        clock: Clock,
        forecast: Option<Arc<ForecastService>>,
    ) -> Result<Arc<Self>, GatewayError> {
        let store = Store::open(&cfg.database, cfg.max_batch)?;
        let (events, _) = broadcast::channel(4096);
        Ok(Arc::new(Gateway {
            domain: IntentDomain {
                chain_id: cfg.chain.chain_id.clone(),
                contract: cfg.contract.clone(),
            },
            limiter: RateLimiter::new(cfg.rate_limit_per_minute, cfg.rate_limit_burst),
            store,
            balance,
            events,
            clock,
            crypto: MockApi::default(),
            forecast,
            cfg,
        }))
    }

    fn now(&self) -> u64 {
        (self.clock)() / 1000
    }

    /// When the gate of `slot` closes: `gate_closure_seconds` before it starts.
    pub fn gate_at(&self, slot: u64) -> u64 {
        slot.saturating_sub(self.cfg.gate_closure_seconds)
    }

    /// Verifies, checks and durably stores a signed intent.
    pub async fn accept(&self, signed: SignedIntent) -> Result<Accepted, GatewayError> {
        let now_ms = (self.clock)();
        let now = now_ms / 1000;
        let verified = verify_signed_intent(&self.crypto, &self.domain, &signed, now)?;
        let i = &signed.intent;
        let last_slot = i.slot_until - SLOT_SECONDS;
        let gate_at = self.gate_at(last_slot);
        if now >= gate_at {
            return Err(GatewayError::GateClosed {
                slot: last_slot,
                gate_at,
                now,
            });
        }
        if i.slot_from > now.saturating_add(self.cfg.max_ahead_seconds) {
            return Err(GatewayError::TooFarAhead {
                slot_from: i.slot_from,
                max_ahead: self.cfg.max_ahead_seconds,
                now,
            });
        }
        self.limiter
            .take(&verified.owner, now_ms)
            .map_err(|retry_after_ms| GatewayError::RateLimited {
                owner: verified.owner.clone(),
                retry_after_ms,
            })?;
        let (escrow, free) = match i.side {
            Side::Buy => {
                let escrow = escrow_for(Uint128::from(i.wh), Uint128::from(i.limit_price))
                    .map_err(|_| GatewayError::Overflow { what: "escrow" })?
                    .u128();
                (escrow, self.balance.free(&verified.owner).await?)
            }
            Side::Sell => (0, 0),
        };
        let hash = hex::encode(verified.hash);
        let seq = self
            .store
            .insert(NewIntent {
                hash: hash.clone(),
                signed: signed.clone(),
                escrow,
                free,
                now,
            })
            .await?;
        let _ = self.events.send(
            json!({"type": "accepted", "hash": hash, "seq": seq, "signed": signed}).to_string(),
        );
        Ok(Accepted {
            hash,
            seq,
            owner: verified.owner,
            accepted_at: now,
        })
    }

    /// Verifies the owner's cancel and marks the intent cancelled.
    pub async fn cancel(&self, hash: &str, sig: IntentSignature) -> Result<(), GatewayError> {
        let hash = parse_hash(hash)?;
        let stored = self
            .store
            .get(&hash)?
            .ok_or_else(|| GatewayError::UnknownIntent { hash: hash.clone() })?;
        verify_cancel(&self.crypto, &self.domain, &stored.signed.intent, &sig)?;
        let now = self.now();
        let last_slot = stored.signed.intent.slot_until - SLOT_SECONDS;
        let gate_at = self.gate_at(last_slot);
        if now >= gate_at {
            return Err(GatewayError::GateClosed {
                slot: last_slot,
                gate_at,
                now,
            });
        }
        self.store.cancel(hash.clone(), now).await?;
        let _ = self
            .events
            .send(json!({"type": "cancelled", "hash": hash}).to_string());
        Ok(())
    }

    /// Freezes the book of every slot whose gate has closed since the last
    /// frozen one (at most 96 slots back). Returns the slots frozen now.
    pub async fn freeze_due(&self) -> Result<Vec<u64>, GatewayError> {
        let now = self.now();
        let latest = (now + self.cfg.gate_closure_seconds) / SLOT_SECONDS * SLOT_SECONDS;
        let earliest = latest.saturating_sub(95 * SLOT_SECONDS);
        let from = match self.store.last_frozen()? {
            Some(last) => (last + SLOT_SECONDS).max(earliest),
            None => latest,
        };
        let mut frozen = vec![];
        let mut slot = from;
        while slot <= latest {
            if let Some(book) = self.store.freeze(slot, now).await? {
                let _ = self.events.send(
                    json!({"type": "frozen", "slot": slot, "book_hash": book.book_hash,
                           "intents": book.intents.len()})
                    .to_string(),
                );
                frozen.push(slot);
            }
            slot += SLOT_SECONDS;
        }
        Ok(frozen)
    }
}

/// The answer to an accepted post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// Hex of the intent hash (its id).
    pub hash: String,
    /// Acceptance order.
    pub seq: u64,
    /// The proven owner.
    pub owner: String,
    /// Acceptance time, unix seconds.
    pub accepted_at: u64,
}

/// The open book of a slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenBook {
    /// Slot start.
    pub slot: u64,
    /// When the gate closes.
    pub gate_at: u64,
    /// When this answer was made.
    pub now: u64,
    /// Open intents covering the slot, in acceptance order.
    pub intents: Vec<BookEntry>,
}

fn parse_hash(s: &str) -> Result<String, GatewayError> {
    let lower = s.to_ascii_lowercase();
    if lower.len() != 64 || !lower.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(GatewayError::BadHash {
            value: s.to_string(),
        });
    }
    Ok(lower)
}

fn parse_slot(s: &str) -> Result<u64, GatewayError> {
    s.parse::<u64>()
        .ok()
        .filter(|v| v % SLOT_SECONDS == 0)
        .ok_or_else(|| GatewayError::BadSlot {
            what: "slot",
            value: s.to_string(),
        })
}

fn body_json<T: serde::de::DeserializeOwned>(
    gw: &Gateway,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, GatewayError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            GatewayError::TooLarge {
                limit: gw.cfg.max_body_bytes,
            }
        } else {
            GatewayError::MalformedJson {
                reason: e.body_text(),
            }
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| GatewayError::MalformedJson {
        reason: e.to_string(),
    })
}

async fn post_intent(
    State(gw): State<Arc<Gateway>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), GatewayError> {
    let signed: SignedIntent = body_json(&gw, body)?;
    let accepted = gw.accept(signed).await?;
    Ok((StatusCode::CREATED, Json(accepted)))
}

async fn get_intent(
    State(gw): State<Arc<Gateway>>,
    Path(hash): Path<String>,
) -> Result<Json<StoredIntent>, GatewayError> {
    let hash = parse_hash(&hash)?;
    gw.store
        .get(&hash)?
        .map(Json)
        .ok_or(GatewayError::UnknownIntent { hash })
}

async fn cancel_intent(
    State(gw): State<Arc<Gateway>>,
    Path(hash): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, GatewayError> {
    let sig: IntentSignature = body_json(&gw, body)?;
    gw.cancel(&hash, sig).await?;
    Ok(Json(json!({"cancelled": hash.to_ascii_lowercase()})))
}

async fn get_book(
    State(gw): State<Arc<Gateway>>,
    Path(slot): Path<String>,
) -> Result<Json<OpenBook>, GatewayError> {
    let slot = parse_slot(&slot)?;
    let now = gw.now();
    Ok(Json(OpenBook {
        slot,
        gate_at: gw.gate_at(slot),
        now,
        intents: gw.store.open_book(slot, now)?,
    }))
}

async fn get_frozen(
    State(gw): State<Arc<Gateway>>,
    Path(slot): Path<String>,
) -> Result<Response, GatewayError> {
    let slot = parse_slot(&slot)?;
    match gw.store.frozen_book(slot)? {
        Some(text) => Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response()),
        None => Err(GatewayError::NotFrozen {
            slot,
            gate_at: gw.gate_at(slot),
        }),
    }
}

async fn stream(State(gw): State<Arc<Gateway>>, ws: WebSocketUpgrade) -> Response {
    let rx = gw.events.subscribe();
    ws.on_upgrade(move |socket| forward(socket, rx))
}

async fn forward(mut socket: WebSocket, mut rx: broadcast::Receiver<String>) {
    loop {
        tokio::select! {
            ev = rx.recv() => {
                let text = match ev {
                    Ok(text) => text,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        json!({"type": "lagged", "missed": n}).to_string()
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => {
                match incoming {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                }
            }
        }
    }
}

/// `GET /v1/forecast/{meter}?slots=N`: checks in this order: a forecast
/// service, the meter, the query, then the forecast itself.
async fn get_forecast(
    State(gw): State<Arc<Gateway>>,
    Path(meter): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<ForecastAnswer>, GatewayError> {
    let service = gw
        .forecast
        .clone()
        .ok_or(GatewayError::ForecastNotConfigured)?;
    let meter = meter
        .parse::<u64>()
        .map_err(|_| GatewayError::BadMeter { value: meter })?;
    let max = service.max_slots();
    let mut slots = None;
    for (name, value) in params {
        if name != "slots" {
            return Err(GatewayError::BadQuery {
                name,
                problem: "is not known (this route takes `slots`)".to_string(),
            });
        }
        if slots.is_some() {
            return Err(GatewayError::BadQuery {
                name,
                problem: "is given more than once".to_string(),
            });
        }
        let n = value
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or(GatewayError::BadSlots { value, max })?;
        slots = Some(n);
    }
    let slots = slots.unwrap_or(DEFAULT_SLOTS.min(max));
    let now = gw.now();
    let gate = gw.cfg.gate_closure_seconds;
    tokio::task::spawn_blocking(move || service.answer(meter, slots, now, gate))
        .await
        .map_err(|e| GatewayError::Forecast {
            reason: e.to_string(),
        })?
        .map(Json)
}

async fn health(State(gw): State<Arc<Gateway>>) -> Result<Json<serde_json::Value>, GatewayError> {
    Ok(Json(
        json!({"status": "ok", "intents": gw.store.count()?, "now": gw.now()}),
    ))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "no_route", "reason": "no such route (see /openapi.json)"})),
    )
        .into_response()
}

/// The router over a gateway.
pub fn router(gw: Arc<Gateway>) -> Router {
    let limit = gw.cfg.max_body_bytes;
    Router::new()
        .route("/v1/intents", post(post_intent))
        .route("/v1/intents/{hash}", get(get_intent))
        .route("/v1/intents/{hash}/cancel", post(cancel_intent))
        .route("/v1/book/{slot}", get(get_book))
        .route("/v1/book/{slot}/frozen", get(get_frozen))
        .route("/v1/stream", get(stream))
        .route("/v1/forecast/{meter}", get(get_forecast))
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(crate::rejections::json_refusals))
        .with_state(gw)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `clock() - system_clock()` in whole seconds (the two calls are
    /// microseconds apart, so the difference rounds to the offset).
    fn offset_secs(clock: &Clock) -> i64 {
        let before = system_clock()();
        let shifted = clock();
        (shifted as i64 - before as i64 + 500).div_euclid(1000)
    }

    #[test]
    fn the_offset_clock_follows_the_offset_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("clock-offset");
        let clock = offset_clock(file.clone());
        // No file yet: the system clock.
        assert_eq!(offset_secs(&clock), 0);
        std::fs::write(&file, "1200\n").unwrap();
        assert_eq!(offset_secs(&clock), 1200);
        // Re-read at every call: an advance is seen at once.
        std::fs::write(&file, "2400").unwrap();
        assert_eq!(offset_secs(&clock), 2400);
        // Not a number: no offset rather than a clock that jumps.
        std::fs::write(&file, "soon").unwrap();
        assert_eq!(offset_secs(&clock), 0);
    }
}

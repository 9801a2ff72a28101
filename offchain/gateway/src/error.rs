//! The gateway's errors: each has a stable machine code, an HTTP status and a
//! reason naming the values involved. Every refusal is answered as
//! `{"error": code, "reason": text}` and stores nothing.

use aip_types::intent::IntentError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a request was refused. Each variant's message is its documentation.
#[allow(missing_docs)]
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum GatewayError {
    /// The intent or its signature is invalid (see [`IntentError`]).
    #[error("{0}")]
    Intent(#[from] IntentError),

    #[error("malformed JSON: {reason}")]
    MalformedJson { reason: String },

    #[error("request body above {limit} bytes")]
    TooLarge { limit: usize },

    #[error("{what} {value:?} is not a slot start (a multiple of 900)")]
    BadSlot { what: &'static str, value: String },

    #[error("intent hash {value:?} is not 64 hex digits")]
    BadHash { value: String },

    #[error("gate closed for slot {slot} at {gate_at} (now {now})")]
    GateClosed { slot: u64, gate_at: u64, now: u64 },

    #[error("slot_from {slot_from} is more than {max_ahead} s ahead (now {now})")]
    TooFarAhead {
        slot_from: u64,
        max_ahead: u64,
        now: u64,
    },

    #[error("intent {hash} was already accepted")]
    Duplicate { hash: String },

    #[error("nonce {nonce} of {owner} is already used by intent {existing}")]
    NonceReused {
        owner: String,
        nonce: u64,
        existing: String,
    },

    #[error("{owner} is above its rate limit; retry in {retry_after_ms} ms")]
    RateLimited { owner: String, retry_after_ms: u64 },

    #[error("{owner} needs {needed} uaip free for this bid on top of {reserved} reserved by open bids, has {free}")]
    InsufficientBalance {
        owner: String,
        needed: u128,
        reserved: u128,
        free: u128,
    },

    #[error("no intent with hash {hash}")]
    UnknownIntent { hash: String },

    #[error("intent {hash} is already cancelled")]
    AlreadyCancelled { hash: String },

    #[error("the book of slot {slot} is not frozen yet (gate closes at {gate_at})")]
    NotFrozen { slot: u64, gate_at: u64 },

    #[error("arithmetic overflow computing {what}")]
    Overflow { what: &'static str },

    #[error("cannot read free balance of {account}: {reason}")]
    BalanceUnavailable { account: String, reason: String },

    #[error("store failure: {reason}")]
    Store { reason: String },

    #[error("this gateway serves no forecasts (its configuration has no [forecast] section)")]
    ForecastNotConfigured,

    #[error("meter {value:?} is not a meter id (a whole number)")]
    BadMeter { value: String },

    #[error("meter {meter} has no household in the forecast data (meters {first}..={last})")]
    UnknownMeter { meter: u64, first: u64, last: u64 },

    #[error("slots {value:?} is not a whole number from 1 to {max}")]
    BadSlots { value: String, max: usize },

    #[error("query parameter {name:?} {problem}")]
    BadQuery { name: String, problem: String },

    #[error("no forecast: {reason}")]
    NoForecastData { reason: String },

    #[error("forecast failed: {reason}")]
    Forecast { reason: String },
}

impl GatewayError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            GatewayError::Intent(e) => match e {
                IntentError::UnknownKeyType { .. } => "unknown_key_type",
                IntentError::BadSignature { .. } => "bad_signature",
                IntentError::WrongChain { .. } => "wrong_chain",
                IntentError::WrongContract { .. } => "wrong_contract",
                IntentError::Expired { .. } => "expired",
                IntentError::MalformedBase64 { .. } => "malformed_base64",
                IntentError::MalformedHex { .. } => "malformed_hex",
                IntentError::BadLength { .. } => "bad_length",
                IntentError::MissingPubKey => "missing_pub_key",
                IntentError::OwnerMismatch { .. } => "owner_mismatch",
                IntentError::BadRecoveryId { .. } => "bad_recovery_id",
                IntentError::InvalidField { .. } => "invalid_field",
                IntentError::BadAddress { .. } => "bad_address",
            },
            GatewayError::MalformedJson { .. } => "malformed_json",
            GatewayError::TooLarge { .. } => "too_large",
            GatewayError::BadSlot { .. } => "bad_slot",
            GatewayError::BadHash { .. } => "bad_hash",
            GatewayError::GateClosed { .. } => "gate_closed",
            GatewayError::TooFarAhead { .. } => "too_far_ahead",
            GatewayError::Duplicate { .. } => "duplicate",
            GatewayError::NonceReused { .. } => "nonce_reused",
            GatewayError::RateLimited { .. } => "rate_limited",
            GatewayError::InsufficientBalance { .. } => "insufficient_balance",
            GatewayError::UnknownIntent { .. } => "unknown_intent",
            GatewayError::AlreadyCancelled { .. } => "already_cancelled",
            GatewayError::NotFrozen { .. } => "not_frozen",
            GatewayError::Overflow { .. } => "overflow",
            GatewayError::BalanceUnavailable { .. } => "balance_unavailable",
            GatewayError::Store { .. } => "store",
            GatewayError::ForecastNotConfigured => "forecast_not_configured",
            GatewayError::BadMeter { .. } => "bad_meter",
            GatewayError::UnknownMeter { .. } => "unknown_meter",
            GatewayError::BadSlots { .. } => "bad_slots",
            GatewayError::BadQuery { .. } => "bad_query",
            GatewayError::NoForecastData { .. } => "no_forecast_data",
            GatewayError::Forecast { .. } => "forecast_failed",
        }
    }

    /// The HTTP status: 4xx for the caller's fault, 5xx for the gateway's.
    pub fn status(&self) -> StatusCode {
        match self {
            GatewayError::Intent(IntentError::BadSignature { .. })
            | GatewayError::Intent(IntentError::OwnerMismatch { .. }) => StatusCode::UNAUTHORIZED,
            GatewayError::Intent(_)
            | GatewayError::MalformedJson { .. }
            | GatewayError::BadSlot { .. }
            | GatewayError::BadHash { .. }
            | GatewayError::TooFarAhead { .. }
            | GatewayError::Overflow { .. }
            | GatewayError::BadMeter { .. }
            | GatewayError::BadSlots { .. }
            | GatewayError::BadQuery { .. } => StatusCode::BAD_REQUEST,
            GatewayError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            GatewayError::GateClosed { .. }
            | GatewayError::Duplicate { .. }
            | GatewayError::NonceReused { .. }
            | GatewayError::AlreadyCancelled { .. } => StatusCode::CONFLICT,
            GatewayError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            GatewayError::InsufficientBalance { .. } => StatusCode::PAYMENT_REQUIRED,
            GatewayError::UnknownIntent { .. }
            | GatewayError::NotFrozen { .. }
            | GatewayError::ForecastNotConfigured
            | GatewayError::UnknownMeter { .. }
            | GatewayError::NoForecastData { .. } => StatusCode::NOT_FOUND,
            GatewayError::BalanceUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            GatewayError::Store { .. } | GatewayError::Forecast { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The JSON body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.code().to_string(),
            reason: self.to_string(),
        }
    }
}

/// The JSON body of every refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `bad_signature`.
    pub error: String,
    /// Human-readable reason with the values involved.
    pub reason: String,
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        (self.status(), Json(self.body())).into_response()
    }
}

impl From<rusqlite::Error> for GatewayError {
    fn from(e: rusqlite::Error) -> Self {
        GatewayError::Store {
            reason: e.to_string(),
        }
    }
}

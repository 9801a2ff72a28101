//! The evidence served over HTTP for review (`aip-sentinel serve`), read
//! from the agent's store (SQLite WAL: the agent may be running):
//!
//! | method | path | answer |
//! | --- | --- | --- |
//! | GET | `/v1/evidence/{sha256}` | **200** the evidence document, byte for byte the canonical JSON whose sha256 the flag's reason carries |
//! | GET | `/v1/flags` | **200** every flag decided, oldest first: `[{account, code, reason, hash, at, posted, cleared}]` |
//!
//! Errors are `{"error": code, "reason": text}`: **400** `bad_hash` (not 64
//! hex digits), **404** `unknown_evidence`, **500** `store`.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::store::Store;

/// The routes over the store at `db`.
pub fn router(db: PathBuf) -> Router {
    Router::new()
        .route("/v1/evidence/{hash}", get(evidence))
        .route("/v1/flags", get(flags))
        .with_state(Arc::new(db))
}

fn error(status: StatusCode, code: &str, reason: String) -> Response {
    (status, Json(json!({"error": code, "reason": reason}))).into_response()
}

/// Runs `f` on a store opened for this request, off the async threads.
async fn with_store<T: Send + 'static>(
    db: Arc<PathBuf>,
    f: impl FnOnce(&Store) -> crate::Result<T> + Send + 'static,
) -> Result<T, Response> {
    let r = tokio::task::spawn_blocking(move || Store::open(&db).and_then(|s| f(&s))).await;
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "store",
            e.to_string(),
        )),
        Err(e) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "store",
            e.to_string(),
        )),
    }
}

async fn evidence(State(db): State<Arc<PathBuf>>, Path(hash): Path<String>) -> Response {
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_hash",
            format!("{hash:?} is not a sha256 (64 hex digits)"),
        );
    }
    let h = hash.clone();
    match with_store(db, move |s| s.evidence(&h)).await {
        Ok(Some(doc)) => ([(header::CONTENT_TYPE, "application/json")], doc).into_response(),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "unknown_evidence",
            format!("no flag with evidence {hash}"),
        ),
        Err(r) => r,
    }
}

async fn flags(State(db): State<Arc<PathBuf>>) -> Response {
    match with_store(db, |s| s.flag_rows()).await {
        Ok(rows) => Json(rows).into_response(),
        Err(r) => r,
    }
}

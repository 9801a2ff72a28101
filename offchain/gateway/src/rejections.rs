//! Refusals that axum answers by itself, before a handler runs, made to
//! speak like every other refusal: `{"error": code, "reason": text}`.
//!
//! Found by the HTTP fuzzer (`tests/fuzz.rs`): a method a route does not
//! serve got 405 with an empty body; a path parameter that is not UTF-8 once
//! percent-decoded (`/v1/book/%C3%28`) got 400 in plain text; `GET
//! /v1/stream` without the WebSocket upgrade headers got 400 in plain text.
//! The status is kept; the body becomes the JSON of [`ErrorBody`] with the
//! code below and axum's own text (or, for 405, the method and path) as the
//! reason. Answers that are already JSON pass unchanged.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::error::ErrorBody;

/// The longest plain-text reason kept from axum's answer, bytes.
const MAX_REASON: usize = 1024;

/// The machine code of a refusal axum made itself, by status.
pub fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::UPGRADE_REQUIRED => "upgrade_required",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        _ => "bad_request",
    }
}

/// Middleware: rewrites a 4xx answer that is not JSON into [`ErrorBody`].
pub async fn json_refusals(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !status.is_client_error() || is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, MAX_REASON)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let reason = if status == StatusCode::METHOD_NOT_ALLOWED {
        format!("{method} is not served on {path} (see /openapi.json)")
    } else if text.is_empty() {
        status.canonical_reason().unwrap_or("refused").to_string()
    } else {
        text
    };
    let mut out = (
        status,
        Json(ErrorBody {
            error: code_for(status).to_string(),
            reason,
        }),
    )
        .into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

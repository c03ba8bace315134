//! The HTTP surface: `GET /health`, `POST /predict`, and JSON answers for every other path or
//! method. Handlers only read and check requests; the model work happens on the model thread
//! (see `batcher`). A request body is read whatever its content type, up to the size limit.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::batcher::{Batcher, SubmitError};
use super::reply::{ApiError, PredictionsBody};
use super::request::{parse_predict_body, RequestError};

/// What every handler shares.
pub struct AppState {
    pub batcher: Batcher,
    pub labels: Vec<String>,
    /// What the model does (`/health`): a `problem_type`, or `token_classification`.
    pub problem_type: &'static str,
    pub model_name: String,
    pub max_body_bytes: usize,
    pub max_texts_per_request: usize,
}

/// The endpoints, as the start-up line lists them.
pub const ENDPOINTS: &str = "GET /health, POST /predict";

pub fn router(state: Arc<AppState>) -> Router {
    let body_limit = state.max_body_bytes;
    Router::new()
        .route("/health", get(health))
        .route("/predict", post(predict))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

async fn health(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(
        json!({ "status": "ok", "model": state.model_name, "labels": state.labels, "problem_type": state.problem_type }),
    )
}

async fn predict(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PredictionsBody>, ApiError> {
    let body = body.map_err(|rejection| unreadable_body(&rejection, state.max_body_bytes))?;
    let texts = parse_predict_body(&body, state.max_texts_per_request).map_err(|e| match e {
        RequestError::Malformed(_) => ApiError::new(StatusCode::BAD_REQUEST, e.to_string()),
        RequestError::TooManyTexts { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
    })?;
    if texts.is_empty() {
        return Ok(Json(PredictionsBody { predictions: Vec::new() }));
    }
    let answer = state.batcher.submit(texts).map_err(|e| match e {
        SubmitError::Full { capacity } => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "The server is busy: {capacity} requests are already waiting for the model. \
                 Try again in a moment, or send several texts per request."
            ),
        ),
        SubmitError::Stopped => stopped(),
    })?;
    let predictions = answer.await.map_err(|_| stopped())?.map_err(|message| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("The model could not classify these texts: {message}."),
        )
    })?;
    Ok(Json(PredictionsBody { predictions }))
}

fn unreadable_body(rejection: &BytesRejection, limit: usize) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The request body is larger than the server accepts ({limit} bytes). \
                 Send fewer or shorter texts per request, or start the server with a larger --max-body-bytes."
            ),
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("The request body could not be read ({}).", rejection.body_text()),
        )
    }
}

fn stopped() -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "The server is shutting down and no longer classifies texts.")
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("There is nothing at {}. This server answers {ENDPOINTS}.", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} does not take {method} requests. This server answers {ENDPOINTS}.", uri.path()),
    )
}

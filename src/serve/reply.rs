//! What goes back to the client: the `predictions` list and the `{"error": "…"}` body that every
//! refusal carries, with its HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Serialize, Serializer};
use serde_json::json;

use crate::model::argmax_rows;

/// A refusal: a status and one sentence the person who sent the request can act on.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

/// The body of a successful `POST /predict`.
#[derive(Debug, Serialize)]
pub struct PredictionsBody {
    pub predictions: Vec<Prediction>,
}

/// One text's answer: the most probable label and every label's probability.
#[derive(Debug, Serialize)]
pub struct Prediction {
    pub label: String,
    pub probabilities: Probabilities,
}

/// Label → probability, written as a JSON object in the model's label order, each probability
/// as the shortest decimal that reads back to the same `f32`.
#[derive(Debug)]
pub struct Probabilities(pub Vec<(String, f32)>);

impl Serialize for Probabilities {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(label, p)| (label, p)))
    }
}

/// `{"predictions": [{"label": …, "probabilities": {label: p, …}}, …]}`, one per row, in order
/// (the label is the most probable one, as `attune predict` picks it). A row whose length
/// differs from the labels is a model fault (500).
pub fn predictions_body(labels: &[String], rows: &[Vec<f32>]) -> Result<PredictionsBody, ApiError> {
    let predictions = rows
        .iter()
        .zip(argmax_rows(rows))
        .map(|(row, best)| {
            if row.len() != labels.len() {
                return Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!(
                        "The model returned {} probabilities for {} labels; the model files may not match.",
                        row.len(),
                        labels.len()
                    ),
                ));
            }
            Ok(Prediction {
                label: labels[best].clone(),
                probabilities: Probabilities(labels.iter().cloned().zip(row.iter().copied()).collect()),
            })
        })
        .collect::<Result<Vec<Prediction>, ApiError>>()?;
    Ok(PredictionsBody { predictions })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_most_probable_label() {
        let labels = vec!["neg".to_string(), "pos".to_string()];
        let body = predictions_body(&labels, &[vec![0.1, 0.9], vec![0.5, 0.5]]).unwrap();
        let text = serde_json::to_string(&body).unwrap();
        assert_eq!(
            text,
            r#"{"predictions":[{"label":"pos","probabilities":{"neg":0.1,"pos":0.9}},{"label":"neg","probabilities":{"neg":0.5,"pos":0.5}}]}"#,
            "ties go to the first label"
        );
        assert!(predictions_body(&labels, &[vec![1.0]]).is_err());
    }
}

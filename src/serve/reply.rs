//! What goes back to the client: the `predictions` list and the `{"error": "…"}` body that every
//! refusal carries, with its HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Serialize, Serializer};
use serde_json::json;

use crate::model::{argmax_rows, labels_above, Problem};

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

/// One text's answer: the most probable label and every label's probability; for a multi-label
/// model the labels given (each at or above its threshold) and every label's probability; for a
/// regression model the number.
#[derive(Debug, Serialize)]
pub struct Prediction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Probabilities>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
}

/// How to read a model's output rows.
#[derive(Clone, Debug)]
pub struct OutputMeaning {
    pub labels: Vec<String>,
    pub problem: Problem,
    pub thresholds: Vec<f32>,
}

impl OutputMeaning {
    fn answer(&self, row: &[f32]) -> Prediction {
        let probabilities = || Some(Probabilities(self.labels.iter().cloned().zip(row.iter().copied()).collect()));
        match self.problem {
            Problem::SingleLabel => Prediction {
                label: argmax_rows(&[row.to_vec()]).first().map(|&best| self.labels[best].clone()),
                labels: None,
                probabilities: probabilities(),
                score: None,
            },
            Problem::MultiLabel => Prediction {
                label: None,
                labels: Some(labels_above(&self.labels, row, &self.thresholds).into_iter().map(String::from).collect()),
                probabilities: probabilities(),
                score: None,
            },
            Problem::Regression => {
                Prediction { label: None, labels: None, probabilities: None, score: row.first().copied() }
            }
        }
    }
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
/// (the label is the most probable one, as `attune predict` picks it; multi-label models give
/// `labels`, regression models `score`). A row whose length differs from the labels is a model
/// fault (500).
pub fn predictions_body(meaning: &OutputMeaning, rows: &[Vec<f32>]) -> Result<PredictionsBody, ApiError> {
    let labels = &meaning.labels;
    let predictions = rows
        .iter()
        .map(|row| {
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
            Ok(meaning.answer(row))
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
        let meaning = OutputMeaning { labels: labels.clone(), problem: Problem::SingleLabel, thresholds: vec![] };
        let body = predictions_body(&meaning, &[vec![0.1, 0.9], vec![0.5, 0.5]]).unwrap();
        let text = serde_json::to_string(&body).unwrap();
        assert_eq!(
            text,
            r#"{"predictions":[{"label":"pos","probabilities":{"neg":0.1,"pos":0.9}},{"label":"neg","probabilities":{"neg":0.5,"pos":0.5}}]}"#,
            "ties go to the first label"
        );
        assert!(predictions_body(&meaning, &[vec![1.0]]).is_err());
        let multi = OutputMeaning { problem: Problem::MultiLabel, thresholds: vec![0.3, 0.6], ..meaning.clone() };
        let text = serde_json::to_string(&predictions_body(&multi, &[vec![0.4, 0.5]]).unwrap()).unwrap();
        assert_eq!(text, r#"{"predictions":[{"labels":["neg"],"probabilities":{"neg":0.4,"pos":0.5}}]}"#);
        let number = OutputMeaning { labels: vec!["score".into()], problem: Problem::Regression, thresholds: vec![] };
        let text = serde_json::to_string(&predictions_body(&number, &[vec![2.5]]).unwrap()).unwrap();
        assert_eq!(text, r#"{"predictions":[{"score":2.5}]}"#);
    }
}

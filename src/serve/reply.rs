//! What goes back to the client: the `predictions` list and the `{"error": "…"}` body that every
//! refusal carries, with its HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Serialize, Serializer};
use serde_json::json;

use crate::model::{argmax_rows, labels_above, predicted_number, Problem};
use crate::train::TaggedText;

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
#[derive(Debug, Default, Serialize)]
pub struct Prediction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Probabilities>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// Token classifiers: the words, their tags and the entities found.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub tagged: Option<TaggedText>,
}

impl Prediction {
    /// A token classifier's answer.
    pub fn tagged(text: TaggedText) -> Self {
        Self { tagged: Some(text), ..Self::default() }
    }
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
                probabilities: probabilities(),
                ..Prediction::default()
            },
            Problem::MultiLabel => Prediction {
                labels: Some(labels_above(&self.labels, row, &self.thresholds).into_iter().map(String::from).collect()),
                probabilities: probabilities(),
                ..Prediction::default()
            },
            Problem::Regression => Prediction { score: Some(predicted_number(row)), ..Prediction::default() },
        }
    }
}

/// Label → probability, written as a JSON object in the model's label order, each probability
/// as the shortest decimal that reads back to the same `f32`.
#[derive(Debug, Default)]
pub struct Probabilities(pub Vec<(String, f32)>);

impl Serialize for Probabilities {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(label, p)| (label, p)))
    }
}

/// The answers to rows of outputs, one per row, in order (the label is the most probable one,
/// as `attune predict` picks it; multi-label models give `labels`, regression models `score`).
/// A row whose length differs from the labels is a model fault.
pub fn predictions(meaning: &OutputMeaning, rows: &[Vec<f32>]) -> Result<Vec<Prediction>, String> {
    rows.iter()
        .map(|row| {
            if row.len() != meaning.labels.len() {
                return Err(format!(
                    "it returned {} probabilities for {} labels; the model files may not match",
                    row.len(),
                    meaning.labels.len()
                ));
            }
            Ok(meaning.answer(row))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(meaning: &OutputMeaning, rows: &[Vec<f32>]) -> String {
        serde_json::to_string(&PredictionsBody { predictions: predictions(meaning, rows).unwrap() }).unwrap()
    }

    #[test]
    fn names_the_most_probable_label() {
        let labels = vec!["neg".to_string(), "pos".to_string()];
        let meaning = OutputMeaning { labels: labels.clone(), problem: Problem::SingleLabel, thresholds: vec![] };
        assert_eq!(
            body(&meaning, &[vec![0.1, 0.9], vec![0.5, 0.5]]),
            r#"{"predictions":[{"label":"pos","probabilities":{"neg":0.1,"pos":0.9}},{"label":"neg","probabilities":{"neg":0.5,"pos":0.5}}]}"#,
            "ties go to the first label"
        );
        assert!(predictions(&meaning, &[vec![1.0]]).is_err());
        let multi = OutputMeaning { problem: Problem::MultiLabel, thresholds: vec![0.3, 0.6], ..meaning.clone() };
        assert_eq!(
            body(&multi, &[vec![0.4, 0.5]]),
            r#"{"predictions":[{"labels":["neg"],"probabilities":{"neg":0.4,"pos":0.5}}]}"#
        );
        let number = OutputMeaning { labels: vec!["score".into()], problem: Problem::Regression, thresholds: vec![] };
        assert_eq!(body(&number, &[vec![2.5]]), r#"{"predictions":[{"score":2.5}]}"#);
    }
}

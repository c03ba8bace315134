//! Reading a `POST /predict` body into the texts to classify. Two shapes are accepted:
//! `{"texts": ["…", …]}` for any number of texts and `{"text": "…"}` for one; both are answered
//! with a `predictions` list. Other fields are ignored. Every problem becomes a sentence that
//! says what to send instead.

use serde_json::Value;

/// An example body, quoted in the messages.
const EXAMPLE: &str = r#"{"texts": ["first text", "second text"]}"#;

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The body is not the JSON we read (status 400).
    #[error("{0}")]
    Malformed(String),
    /// More texts than one request may carry (status 413).
    #[error(
        "This request has {count} texts, but the server takes at most {limit} per request. \
         Split them into several requests."
    )]
    TooManyTexts { count: usize, limit: usize },
}

/// The texts in a predict body, in order, or why the body cannot be read.
pub fn parse_predict_body(body: &[u8], max_texts: usize) -> Result<Vec<String>, RequestError> {
    let malformed = |what: String| RequestError::Malformed(format!("{what} Send a JSON object like {EXAMPLE}."));
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(malformed("The request body is empty.".into()));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| malformed(format!("The request body is not valid JSON ({e}).")))?;
    let Value::Object(fields) = value else {
        return Err(malformed("The request body must be a JSON object.".into()));
    };
    match (fields.get("texts"), fields.get("text")) {
        (Some(_), Some(_)) => Err(malformed(r#"Send either "texts" or "text", not both."#.into())),
        (None, None) => Err(malformed(r#"The request has neither a "texts" list nor a single "text"."#.into())),
        (None, Some(Value::String(text))) => Ok(vec![text.clone()]),
        (None, Some(_)) => Err(malformed(r#"The "text" field must be a string in quotes."#.into())),
        (Some(Value::Array(items)), None) => texts_of(items, max_texts).map_err(|e| match e {
            RequestError::Malformed(what) => malformed(what),
            too_many => too_many,
        }),
        (Some(_), None) => Err(malformed(r#"The "texts" field must be a list of strings."#.into())),
    }
}

fn texts_of(items: &[Value], max_texts: usize) -> Result<Vec<String>, RequestError> {
    if items.len() > max_texts {
        return Err(RequestError::TooManyTexts { count: items.len(), limit: max_texts });
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(text) => Ok(text.clone()),
            _ => Err(RequestError::Malformed(format!(
                r#"Item {} of "texts" is not a string; put each text in quotes."#,
                i + 1
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Vec<String>, RequestError> {
        parse_predict_body(body.as_bytes(), 3)
    }

    #[test]
    fn reads_both_shapes_in_order() {
        assert_eq!(parse(r#"{"texts": ["a", "b"]}"#).unwrap(), vec!["a", "b"]);
        assert_eq!(parse(r#"{"text": "only", "id": 7}"#).unwrap(), vec!["only"]);
        assert_eq!(parse(r#"{"texts": []}"#).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn refuses_wrong_shapes_with_a_hint() {
        for body in ["", "  ", "{", "[1]", "{}", r#"{"texts": "a"}"#, r#"{"text": 3}"#, r#"{"text": "a", "texts": []}"#]
        {
            match parse(body) {
                Err(RequestError::Malformed(m)) => assert!(m.contains(EXAMPLE), "{body:?}: {m}"),
                other => panic!("{body:?} gave {other:?}"),
            }
        }
        let Err(RequestError::Malformed(m)) = parse(r#"{"texts": ["a", 2]}"#) else { panic!() };
        assert!(m.contains("Item 2"), "{m}");
    }

    #[test]
    fn counts_texts_against_the_limit() {
        let err = parse(r#"{"texts": ["a", "b", "c", "d"]}"#).unwrap_err();
        assert_eq!(err, RequestError::TooManyTexts { count: 4, limit: 3 });
        assert!(err.to_string().contains("at most 3"));
    }
}

//! The prediction server end to end: a tiny random classifier served on 127.0.0.1:0 and spoken
//! to with raw HTTP/1.1 over `TcpStream`. Checks the answers against the model itself, every
//! refusal (400, 404, 405, 413, 500, 503), batching of queued requests, and that the server
//! keeps answering after bad requests and stops cleanly.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use attune::model::synthetic::{random_classifier, tiny_config};
use attune::model::{Family, LoadOptions, SequenceClassifier};
use attune::serve::{start, Classifier, ServeOptions, ServerHandle};
use common::WORDS;
use serde_json::{json, Value};

const LABELS: [&str; 3] = ["neg", "neutral", "pos"];

/// The same random weights every time (the seed is fixed), so a second copy is a reference.
fn tiny_classifier() -> SequenceClassifier {
    let config = tiny_config(Family::Bert, WORDS.len() + 5);
    let opts = LoadOptions { max_len: 32, seed: 7, ..LoadOptions::default() };
    random_classifier(&config, &WORDS, LABELS.iter().map(|l| l.to_string()).collect(), &opts).unwrap()
}

/// A test model: optionally reports each call and waits for a permit before it runs; fails on
/// texts containing "boom" and panics on texts containing "crash".
struct TestModel {
    inner: SequenceClassifier,
    entered: Option<mpsc::Sender<()>>,
    permits: Option<mpsc::Receiver<()>>,
}

impl Classifier for TestModel {
    fn labels(&self) -> &[String] {
        &self.inner.labels
    }

    fn probabilities(&mut self, texts: &[&str], batch_size: usize) -> Result<Vec<Vec<f32>>, String> {
        if let Some(entered) = &self.entered {
            let _ = entered.send(());
        }
        if let Some(permits) = &self.permits {
            permits
                .recv_timeout(Duration::from_secs(60))
                .map_err(|_| "the test never released the model".to_string())?;
        }
        if texts.iter().any(|t| t.contains("boom")) {
            return Err("the word boom cannot be classified".into());
        }
        assert!(!texts.iter().any(|t| t.contains("crash")), "test model crashed on purpose");
        self.inner.probabilities(texts, batch_size)
    }
}

/// A model that runs at once.
fn plain_model() -> TestModel {
    TestModel { inner: tiny_classifier(), entered: None, permits: None }
}

/// A model whose calls wait for permits: (model, call started, permits to send).
fn gated_model() -> (TestModel, mpsc::Receiver<()>, mpsc::Sender<()>) {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (permit_tx, permit_rx) = mpsc::channel();
    (TestModel { inner: tiny_classifier(), entered: Some(entered_tx), permits: Some(permit_rx) }, entered_rx, permit_tx)
}

fn serve(model: TestModel, opts: ServeOptions) -> ServerHandle {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    start(listener, model, ServeOptions { model_name: "tiny-test-model".into(), ..opts }).unwrap()
}

/// One HTTP/1.1 request on a fresh connection: (status, parsed JSON body).
fn http(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    // A server that refuses a body early may close before reading all of it; the answer still comes.
    let _ = stream.write_all(&request);
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8(response).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no header end in {text:?}"));
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("body {body:?} is not JSON: {e}"));
    (status, json)
}

fn predict(addr: SocketAddr, body: &Value) -> (u16, Value) {
    http(addr, "POST", "/predict", body.to_string().as_bytes())
}

/// A text of `n` words starting at word `seed`.
fn text(seed: usize, n: usize) -> String {
    (0..n).map(|i| WORDS[(seed * 7 + i * 3) % WORDS.len()]).collect::<Vec<_>>().join(" ")
}

/// Checks a `predictions` list against the reference model, text by text.
fn assert_matches_model(reference: &SequenceClassifier, texts: &[String], body: &Value) {
    let predictions = body["predictions"].as_array().unwrap_or_else(|| panic!("no predictions in {body}"));
    assert_eq!(predictions.len(), texts.len(), "{body}");
    for (text, prediction) in texts.iter().zip(predictions) {
        let expected = &reference.predict(&[text.as_str()], 1).unwrap()[0];
        let probabilities = prediction["probabilities"].as_object().unwrap();
        assert_eq!(probabilities.len(), LABELS.len());
        for (label, p) in LABELS.iter().zip(expected) {
            let got = probabilities[*label].as_f64().unwrap();
            assert!((got - f64::from(*p)).abs() < 1e-5, "{text:?} {label}: server {got}, model {p}");
        }
        let best = expected.iter().enumerate().fold(0, |b, (i, p)| if *p > expected[b] { i } else { b });
        assert_eq!(prediction["label"], LABELS[best], "{text:?}");
    }
}

fn assert_healthy(addr: SocketAddr) {
    let (status, body) = http(addr, "GET", "/health", b"");
    assert_eq!(status, 200, "{body}");
    let want = json!({ "status": "ok", "model": "tiny-test-model", "labels": LABELS, "problem_type": "single_label_classification" });
    assert_eq!(body, want);
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn health_reports_the_model_and_labels() {
    let server = serve(plain_model(), ServeOptions::default());
    assert_healthy(server.local_addr());
    server.shutdown().unwrap();
}

#[test]
fn predictions_match_the_model_in_input_order() {
    let server = serve(plain_model(), ServeOptions::default());
    let reference = tiny_classifier();
    let texts: Vec<String> = (0..10).map(|i| text(i, 2 + i % 7)).collect();
    let (status, body) = predict(server.local_addr(), &json!({ "texts": texts }));
    assert_eq!(status, 200, "{body}");
    assert_matches_model(&reference, &texts, &body);

    let (status, body) = predict(server.local_addr(), &json!({ "text": texts[3] }));
    assert_eq!(status, 200, "{body}");
    assert_matches_model(&reference, &texts[3..4], &body);

    let (status, body) = predict(server.local_addr(), &json!({ "texts": [] }));
    assert_eq!((status, body), (200, json!({ "predictions": [] })));
}

#[test]
fn bad_requests_get_clear_errors_and_the_server_keeps_running() {
    let opts = ServeOptions { max_body_bytes: 4096, max_texts_per_request: 4, ..ServeOptions::default() };
    let server = serve(plain_model(), opts);
    let addr = server.local_addr();
    let error_of = |(status, body): (u16, Value)| (status, body["error"].as_str().unwrap_or_default().to_string());

    let (status, error) = error_of(http(addr, "POST", "/predict", b"{\"texts\": [\"a\""));
    assert_eq!(status, 400);
    assert!(error.contains("not valid JSON"), "{error}");
    let (status, error) = error_of(predict(addr, &json!({ "texts": "one string" })));
    assert_eq!(status, 400);
    assert!(error.contains("list of strings"), "{error}");
    let (status, error) = error_of(predict(addr, &json!({ "words": ["a"] })));
    assert_eq!(status, 400);
    assert!(error.contains("\"texts\""), "{error}");

    let big = json!({ "text": "alpha ".repeat(1000) }).to_string();
    let (status, error) = error_of(http(addr, "POST", "/predict", big.as_bytes()));
    assert_eq!(status, 413);
    assert!(error.contains("4096 bytes"), "{error}");
    let (status, error) = error_of(predict(addr, &json!({ "texts": ["a", "b", "c", "d", "e"] })));
    assert_eq!(status, 413);
    assert!(error.contains("at most 4"), "{error}");

    let (status, error) = error_of(http(addr, "GET", "/nowhere", b""));
    assert_eq!(status, 404);
    assert!(error.contains("/nowhere") && error.contains("POST /predict"), "{error}");
    let (status, error) = error_of(http(addr, "GET", "/predict", b""));
    assert_eq!(status, 405);
    assert!(error.contains("GET"), "{error}");
    assert_eq!(http(addr, "POST", "/health", b"{}").0, 405);

    assert_healthy(addr);
    let (status, _) = predict(addr, &json!({ "text": "alpha bravo" }));
    assert_eq!(status, 200);
}

#[test]
fn concurrent_clients_all_get_their_own_answers() {
    let server = serve(plain_model(), ServeOptions::default());
    let addr = server.local_addr();
    let clients: Vec<_> = (0..8)
        .map(|client| {
            std::thread::spawn(move || {
                let reference = tiny_classifier();
                for request in 0..5 {
                    let texts: Vec<String> =
                        (0..1 + request % 3).map(|i| text(client * 11 + request * 3 + i, 3 + i)).collect();
                    let (status, body) = predict(addr, &json!({ "texts": texts }));
                    assert_eq!(status, 200, "{body}");
                    assert_matches_model(&reference, &texts, &body);
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    assert!(server.stats().model_calls() <= 40);
    assert_healthy(addr);
}

#[test]
fn queued_requests_share_one_model_call() {
    let (model, entered, permits) = gated_model();
    let server = serve(model, ServeOptions { max_batch_texts: 64, ..ServeOptions::default() });
    let addr = server.local_addr();
    let first = std::thread::spawn(move || predict(addr, &json!({ "text": "alpha" })));
    entered.recv_timeout(Duration::from_secs(30)).unwrap();

    let waiting: Vec<_> = (0..8)
        .map(|client| {
            std::thread::spawn(move || {
                let texts = vec![text(client, 3), text(client + 20, 5)];
                (texts.clone(), predict(addr, &json!({ "texts": texts })))
            })
        })
        .collect();
    wait_until("8 requests are queued", || server.stats().queued_jobs() == 8);
    // More permits than the two calls that should happen, so a server that does not batch
    // fails the count below instead of waiting.
    for _ in 0..20 {
        permits.send(()).unwrap();
    }

    assert_eq!(first.join().unwrap().0, 200);
    let reference = tiny_classifier();
    for client in waiting {
        let (texts, (status, body)) = client.join().unwrap();
        assert_eq!(status, 200, "{body}");
        assert_matches_model(&reference, &texts, &body);
    }
    assert_eq!(server.stats().model_calls(), 2, "the 8 queued requests should share one call");
    assert_eq!(server.stats().texts_predicted(), 17);
}

#[test]
fn a_full_queue_answers_503_and_recovers() {
    let (model, entered, permits) = gated_model();
    let server = serve(model, ServeOptions { queue_capacity: 2, max_batch_texts: 1, ..ServeOptions::default() });
    let addr = server.local_addr();
    let running = std::thread::spawn(move || predict(addr, &json!({ "text": "alpha" })));
    entered.recv_timeout(Duration::from_secs(30)).unwrap();
    let queued: Vec<_> =
        (0..2).map(|_| std::thread::spawn(move || predict(addr, &json!({ "text": "bravo" })))).collect();
    wait_until("2 requests are queued", || server.stats().queued_jobs() == 2);

    let (status, body) = predict(addr, &json!({ "text": "charlie" }));
    assert_eq!(status, 503, "{body}");
    assert!(body["error"].as_str().unwrap().contains("busy"), "{body}");

    for _ in 0..3 {
        permits.send(()).unwrap();
    }
    assert_eq!(running.join().unwrap().0, 200);
    for request in queued {
        assert_eq!(request.join().unwrap().0, 200);
    }
    permits.send(()).unwrap();
    assert_eq!(predict(addr, &json!({ "text": "charlie" })).0, 200);
}

#[test]
fn a_model_error_fails_only_the_request_that_caused_it() {
    let (model, entered, permits) = gated_model();
    let server = serve(model, ServeOptions::default());
    let addr = server.local_addr();
    let first = std::thread::spawn(move || predict(addr, &json!({ "text": "alpha" })));
    entered.recv_timeout(Duration::from_secs(30)).unwrap();
    let good = std::thread::spawn(move || predict(addr, &json!({ "texts": ["bravo", "charlie"] })));
    wait_until("the good request is queued", || server.stats().queued_jobs() == 1);
    let bad = std::thread::spawn(move || predict(addr, &json!({ "text": "boom" })));
    wait_until("the bad request is queued", || server.stats().queued_jobs() == 2);
    for _ in 0..4 {
        permits.send(()).unwrap();
    }

    assert_eq!(first.join().unwrap().0, 200);
    let (status, body) = good.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert_matches_model(&tiny_classifier(), &["bravo".into(), "charlie".into()], &body);
    let (status, body) = bad.join().unwrap();
    assert_eq!(status, 500, "{body}");
    assert!(body["error"].as_str().unwrap().contains("the word boom cannot be classified"), "{body}");
    // alpha; bravo+charlie+boom together; then bravo+charlie and boom alone.
    assert_eq!(server.stats().model_calls(), 4);
}

#[test]
fn a_model_panic_is_a_500_and_the_server_goes_on() {
    let server = serve(plain_model(), ServeOptions::default());
    let addr = server.local_addr();
    let (status, body) = predict(addr, &json!({ "text": "crash" }));
    assert_eq!(status, 500, "{body}");
    assert!(body["error"].as_str().unwrap().contains("internal error"), "{body}");
    assert_healthy(addr);
    assert_eq!(predict(addr, &json!({ "text": "alpha" })).0, 200);
}

#[test]
fn shutdown_stops_listening() {
    let server = serve(plain_model(), ServeOptions::default());
    let addr = server.local_addr();
    assert_healthy(addr);
    server.shutdown().unwrap();
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(), "still listening after shutdown");
}

#[test]
fn a_token_classifier_answers_with_words_tags_and_entities() {
    use attune::model::TokenClassifier;
    let dir = tempfile::tempdir().unwrap();
    let model_dir = dir.path().join("tiny");
    attune::model::synthetic::write_tiny_model(&model_dir, Family::Bert, &WORDS, 5).unwrap();
    let tags: Vec<String> = ["O", "B-PER", "I-PER"].iter().map(|t| t.to_string()).collect();
    let load = || {
        let opts = LoadOptions { labels: Some(tags.clone()), max_len: 32, seed: 3, ..LoadOptions::default() };
        TokenClassifier::load(&model_dir, &opts).unwrap()
    };
    let (served, reference) = (load(), load());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server =
        start(listener, served, ServeOptions { model_name: "tagger".into(), ..ServeOptions::default() }).unwrap();
    let addr = server.local_addr();
    let (status, health) = http(addr, "GET", "/health", b"");
    assert_eq!((status, &health["problem_type"]), (200, &json!("token_classification")), "{health}");
    let texts = ["alpha bravo, charlie.", "delta echo foxtrot golf"];
    let (status, body) = predict(addr, &json!({ "texts": texts }));
    assert_eq!(status, 200, "{body}");
    let expected = attune::train::tag_texts(&reference, &texts, 8).unwrap();
    let predictions = body["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), 2);
    for (prediction, want) in predictions.iter().zip(&expected) {
        assert_eq!(prediction["words"], json!(want.words), "{body}");
        assert_eq!(prediction["tags"], json!(want.tags), "{body}");
        assert_eq!(prediction["entities"].as_array().unwrap().len(), want.entities.len(), "{body}");
        assert!(prediction.get("label").is_none() && prediction.get("probabilities").is_none(), "{body}");
    }
    assert_eq!(predictions[0]["words"], json!(["alpha", "bravo", ",", "charlie", "."]));
    server.shutdown().unwrap();
}

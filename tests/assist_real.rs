//! Likely label errors on real data with the real model: SMS Spam with 10 % of its labels flipped
//! at random (seeded) by the test; `attune suspects --json` must rank the flipped examples first
//! (precision at the number of flipped examples at least 0.8).

mod common;

use common::{attune, ok, s};

use std::collections::HashSet;

use rand::seq::SliceRandom;
use rand::SeedableRng;

#[test]
fn suspects_rank_flipped_sms_spam_labels_first() {
    let Some(sms) = common::shared_data("sms_spam/SMSSpamCollection") else { return };
    if common::starter_model().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sms");
    ok(attune(&["project", "new", &s(&dir), "--data", &s(&sms), "--model", common::STARTER_ID]));
    let project = attune::project::Project::open(&dir).unwrap();
    let n = project.len();
    let mut rows: Vec<usize> = (0..n).collect();
    rows.shuffle(&mut rand::rngs::StdRng::seed_from_u64(2026));
    let flipped: Vec<usize> = rows[..n / 10].to_vec();
    let (mut to_spam, mut to_ham) = (Vec::new(), Vec::new());
    for &r in &flipped {
        let label = &project.annotation(r).unwrap().labels[0];
        if label == "ham" {
            to_spam.push(r.to_string());
        } else {
            to_ham.push(r.to_string());
        }
    }
    drop(project);
    for (rows, label) in [(to_spam, "spam"), (to_ham, "ham")] {
        ok(attune(&["project", "label", &s(&dir), "--rows", &rows.join(","), "--label", label]));
    }
    let out = ok(attune(&["suspects", "--project", &s(&dir), "--folds", "5", "--json"]));
    let suspects: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let flipped_rows: HashSet<u64> = flipped.iter().map(|&r| r as u64).collect();
    let k = flipped.len();
    let hits = suspects.iter().take(k).filter(|e| flipped_rows.contains(&e["row"].as_u64().unwrap())).count();
    let precision = hits as f64 / k as f64;
    eprintln!("precision at {k}: {precision:.3} ({} suspects listed)", suspects.len());
    assert!(precision >= 0.8, "precision at {k} is {precision:.3}");
    let first = &suspects[0];
    for key in ["row", "given", "predicted", "score", "flagged"] {
        assert!(first.get(key).is_some(), "{key} missing in {first}");
    }
    let scores: Vec<f64> = suspects.iter().map(|e| e["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "most suspicious first");
    assert!(dir.join("suspects.json").is_file(), "the app finds the last search");
}

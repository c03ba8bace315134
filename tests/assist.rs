//! The model as co-worker, on a tiny generated model and data: suggestions accepted and recorded
//! as such, the label-next queue (uncertainty first, random share, resumable settings), retraining
//! warm-started from the project's model, the learning curve, and label-error detection on
//! features with known flipped labels. The SMS Spam run with the real model is in assist_real.rs.

mod common;

use common::{attune, ok, s};

use std::path::Path;

use attune::assist::{
    confident_learning, learning_curve, load_predictions, loop_train_job, out_of_fold_probabilities, rank_queue,
    QueueSession, Strategy,
};
use attune::jobs::CancelToken;
use attune::model::synthetic::write_tiny_model;
use attune::model::Family;
use attune::project::{LabelSource, Project, Split};
use rand::{Rng, SeedableRng};

/// A project of the "alpha means yes" rule with a tiny model trained on it (the project's model).
fn trained_project(root: &Path, rows: usize) -> std::path::PathBuf {
    let model = root.join("tiny");
    write_tiny_model(&model, Family::Bert, &common::WORDS, 1).unwrap();
    let data = root.join("rule.tsv");
    common::write_rule_tsv(&data, rows, 3);
    let dir = root.join("project");
    ok(attune(&["project", "new", &s(&dir), "--data", &s(&data), "--model", &s(&model)]));
    let out = ok(attune(&["train", "--project", &s(&dir), "--epochs", "4", "--lr", "2e-3", "--max-len", "32"]));
    assert!(out.contains("now the project's model"), "{out}");
    dir
}

/// The rule's true label of an example.
fn truth(p: &Project, row: usize) -> &'static str {
    if p.example(row).unwrap().text.split(' ').any(|w| w == "alpha") {
        "yes"
    } else {
        "no"
    }
}

#[test]
fn suggestions_are_accepted_as_such_and_the_queue_serves_unsure_examples_first() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = trained_project(tmp.path(), 400);
    let mut project = Project::open(&dir).unwrap();
    let unlabeled: Vec<usize> = (0..project.len()).filter(|&r| project.split(r) == Split::Train).take(120).collect();
    project.apply(attune::project::Op::ClearLabels { rows: unlabeled.clone() }).unwrap();
    drop(project);

    // Suggestions for every unlabeled example, mostly right, saved beside the run.
    let out: serde_json::Value =
        serde_json::from_str(&ok(attune(&["suggest", "--project", &s(&dir), "--json"]))).unwrap();
    let suggestions = out["suggestions"].as_array().unwrap();
    assert_eq!(suggestions.len(), 120, "{out}");
    let project = Project::open(&dir).unwrap();
    let right = suggestions
        .iter()
        .filter(|e| e["label"].as_str() == Some(truth(&project, e["example"].as_u64().unwrap() as usize)))
        .count();
    assert!(right >= 108, "{right} of 120 suggestions are right");
    let run = project.meta.run.clone().unwrap();
    let predictions = load_predictions(&project.runs_dir().join(&run), project.len()).expect("predictions saved");

    // Accepting the confident half records them as accepted from that run, with the confidence.
    let mut confidences: Vec<f32> = unlabeled.iter().map(|&r| predictions.confidence[r]).collect();
    confidences.sort_by(f32::total_cmp);
    let threshold = confidences[60];
    let out = ok(attune(&["suggest", "--project", &s(&dir), "--accept-above", &threshold.to_string()]));
    assert!(out.contains("accepted"), "{out}");
    let project = Project::open(&dir).unwrap();
    let confident: Vec<usize> = unlabeled.iter().copied().filter(|&r| predictions.confidence[r] >= threshold).collect();
    assert!(!confident.is_empty());
    for &r in &confident {
        let a = project.annotation(r).expect("accepted");
        assert_eq!(a.labels, vec![predictions.labels[r].clone()]);
        match &a.source {
            LabelSource::AcceptedSuggestion { model, confidence } => {
                assert_eq!(model, &run);
                assert_eq!(*confidence, predictions.confidence[r]);
            }
            other => panic!("row {r} was recorded as {other:?}"),
        }
    }
    assert_eq!(project.label_sources().accepted, confident.len());
    let left: Vec<usize> = unlabeled.iter().copied().filter(|r| !confident.contains(r)).collect();

    // Without random picks, the queue is the unlabeled train rows by decreasing entropy.
    let out: serde_json::Value = serde_json::from_str(&ok(attune(&[
        "queue",
        "--project",
        &s(&dir),
        "--strategy",
        "entropy",
        "--random-share",
        "0",
        "--count",
        "500",
        "--json",
    ])))
    .unwrap();
    let rows: Vec<usize> =
        out["queue"].as_array().unwrap().iter().map(|e| e["example"].as_u64().unwrap() as usize).collect();
    let mut expected = left.clone();
    expected.sort_by(|&a, &b| predictions.entropy[b].total_cmp(&predictions.entropy[a]).then(a.cmp(&b)));
    assert_eq!(rows, expected);

    // The settings are kept for the session: the next call without flags uses them.
    let out: serde_json::Value =
        serde_json::from_str(&ok(attune(&["queue", "--project", &s(&dir), "--json"]))).unwrap();
    assert_eq!(out["strategy"], "entropy");
    assert_eq!(out["random_share"], 0.0);

    // With a random share, the random picks may come from any split; the uncertain ones from train.
    let mut project = Project::open(&dir).unwrap();
    let valid: Vec<usize> = (0..project.len()).filter(|&r| project.split(r) == Split::Valid).collect();
    project.apply(attune::project::Op::ClearLabels { rows: valid.clone() }).unwrap();
    let session = QueueSession { strategy: Strategy::Margin, random_share: 0.5, seed: 3, ..QueueSession::default() };
    let queue = rank_queue(&project, Some(&predictions), &session, 40);
    assert_eq!(queue.len(), 40);
    let uncertain: Vec<usize> = queue.iter().copied().step_by(2).collect();
    assert!(uncertain.iter().all(|&r| project.split(r) == Split::Train), "even slots are uncertainty picks");
    let mut by_margin = left.clone();
    by_margin.sort_by(|&a, &b| predictions.margin[a].total_cmp(&predictions.margin[b]).then(a.cmp(&b)));
    let firsts: Vec<usize> =
        by_margin.iter().copied().filter(|r| !queue[1..].iter().step_by(2).any(|x| x == r)).take(20).collect();
    assert_eq!(uncertain, firsts, "uncertainty picks in order of margin");
    assert!(queue.iter().any(|&r| project.split(r) != Split::Train), "some random picks reach other splits");
    // Labeling the first of the queue, one at a time, serves the rest in the same order; the
    // session (saved with the project) resumes there.
    let mut session = QueueSession { random_share: 0.1, ..session };
    let queue = rank_queue(&project, Some(&predictions), &session, 30);
    for served in 0..3 {
        project.set_labels(vec![queue[served]], vec!["yes".into()]).unwrap();
        session.count_label();
        session.save(project.dir()).unwrap();
        let resumed = QueueSession::load(project.dir());
        assert_eq!(rank_queue(&project, Some(&predictions), &resumed, 27), queue[served + 1..served + 28].to_vec());
    }
}

#[test]
fn retraining_in_the_loop_starts_from_the_project_model_and_keeps_new_labels_out_of_the_running_job() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = trained_project(tmp.path(), 300);
    let mut project = Project::open(&dir).unwrap();
    let run_dir = project.runs_dir().join(project.meta.run.clone().unwrap());
    let job = loop_train_job(&project).unwrap();
    assert_eq!(job.model_dir, run_dir, "warm start from the project's model");
    let labeled_before = job.train.len();
    // A label made after the job was built changes the project, not the job.
    let row = (0..project.len()).find(|&r| project.split(r) == Split::Train).unwrap();
    project.set_labels(vec![row], vec!["yes".into()]).unwrap();
    assert_eq!(job.train.len(), labeled_before);
    let summary = attune::train::train(&job, &mut |_| {}, &CancelToken::new()).unwrap();
    assert!(summary.best.unwrap().accuracy.unwrap() >= 0.9);
    assert_eq!(Project::open(&dir).unwrap().annotation(row).unwrap().labels, vec!["yes"]);
}

#[test]
fn a_learning_curve_trains_nested_subsets_and_keeps_only_the_measurements() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = trained_project(tmp.path(), 300);
    let out: serde_json::Value = serde_json::from_str(&ok(attune(&[
        "curve",
        "--project",
        &s(&dir),
        "--fractions",
        "0.1,1",
        "--epochs",
        "3",
        "--json",
    ])))
    .unwrap();
    let points = out["points"].as_array().unwrap();
    assert_eq!(points.len(), 2, "{out}");
    let small = points[0]["train_examples"].as_u64().unwrap();
    let all = points[1]["train_examples"].as_u64().unwrap();
    assert!(small * 8 < all && small > 0, "{out}");
    assert!(points[1]["accuracy"].as_f64().unwrap() >= 0.9, "{out}");
    let curves: Vec<_> = std::fs::read_dir(dir.join("curves")).unwrap().flatten().collect();
    assert_eq!(curves.len(), 1);
    let folder = curves[0].path();
    assert!(folder.join("curve.json").is_file());
    assert!(folder.join("100").join("run.json").is_file());
    assert!(!folder.join("100").join("model.safetensors").exists(), "weights are removed once measured");

    // A curve needs validation labels; without them the message says what to do.
    let template = attune::assist::curve_train_job(&Project::open(&dir).unwrap()).unwrap();
    let no_valid = attune::train::TrainJob { valid: None, ..template };
    let err = learning_curve(&no_valid, &[1.0], &mut |_| {}, &CancelToken::new()).unwrap_err();
    assert!(err.to_string().contains("label some validation examples"), "{err}");
}

#[test]
fn out_of_fold_confident_learning_ranks_flipped_labels_first() {
    // Three well-separated clusters in 16 dimensions, 10 % of labels flipped at random.
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let n = 900;
    let mut features = Vec::new();
    let mut targets = Vec::new();
    let mut flipped = Vec::new();
    for i in 0..n {
        let class = i % 3;
        let f: Vec<f32> =
            (0..16).map(|d| if d % 3 == class { 1.0 } else { 0.0 } + rng.random_range(-0.6..0.6)).collect();
        features.push(f);
        if rng.random_range(0.0..1.0) < 0.1 {
            targets.push((class + rng.random_range(1..3)) % 3);
            flipped.push(i);
        } else {
            targets.push(class);
        }
    }
    let probs = out_of_fold_probabilities(&features, &targets, 3, 5, 1, &CancelToken::new(), &mut |_, _| {}).unwrap();
    let flagged = confident_learning(&probs, &targets, 3);
    let k = flipped.len();
    let hits = flagged.iter().take(k).filter(|(i, _)| flipped.contains(i)).count();
    assert!(hits as f64 >= 0.8 * k as f64, "{hits} of the first {k} suspects were flipped");
}

#[test]
fn suspects_and_curves_say_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("rule.tsv");
    common::write_rule_tsv(&data, 50, 3);
    let dir = tmp.path().join("project");
    ok(attune(&["project", "new", &s(&dir), "--data", &s(&data)]));
    for args in [vec!["suspects"], vec!["curve"]] {
        let mut full = args.clone();
        let d = s(&dir);
        full.extend(["--project", d.as_str()]);
        let out = attune(&full);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("choose a base model"), "{err}");
    }
    let out = attune(&["suggest", "--project", &s(&dir)]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no trained model yet"));
    let out = attune(&["queue", "--project", &s(&dir), "--strategy", "loudest"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("use entropy, margin or least-confidence"));
}

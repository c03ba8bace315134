//! The model as co-worker in the real UI (egui_kittest): "Label next" serves the least sure
//! examples, Enter accepts a suggestion (recorded as accepted), retraining starts in the
//! background after N labels, never blocks the window and never loses a label made meanwhile,
//! and stops when the analyst starts a run by hand; the Review pane finds suspects and fixes one.
#![cfg(feature = "gui")]

mod common;

use common::ui::{click, wait_for};

use common::{attune, ok, s};

use std::path::{Path, PathBuf};

use attune::app::{AttuneApp, Pane};
use attune::assist::QueueSession;
use attune::model::synthetic::write_tiny_model;
use attune::model::Family;
use attune::project::{LabelSource, Op, Project, Split};
use egui_kittest::Harness;

/// A rule project trained for `epochs` (the project's model), with 150 train examples unlabeled.
fn project_with_model(root: &Path, epochs: u32) -> (PathBuf, Vec<usize>) {
    let model = root.join("tiny");
    write_tiny_model(&model, Family::Bert, &common::WORDS, 1).unwrap();
    let data = root.join("rule.tsv");
    common::write_rule_tsv(&data, 400, 3);
    let dir = root.join("project");
    ok(attune(&["project", "new", &s(&dir), "--data", &s(&data), "--model", &s(&model)]));
    let e = epochs.to_string();
    ok(attune(&["train", "--project", &s(&dir), "--epochs", &e, "--lr", "2e-3", "--max-len", "32"]));
    let mut project = Project::open(&dir).unwrap();
    let rows: Vec<usize> = (0..project.len()).filter(|&r| project.split(r) == Split::Train).take(150).collect();
    project.apply(Op::ClearLabels { rows: rows.clone() }).unwrap();
    (dir, rows)
}

fn harness_with(dir: &Path) -> Harness<'static, AttuneApp> {
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_ui_state(|ui, app: &mut AttuneApp| app.ui(ui), AttuneApp::new_for_tests());
    harness.state_mut().shared.open_project(dir);
    harness.run_steps(2);
    harness
}

fn press(harness: &mut Harness<'_, AttuneApp>, key: egui::Key) {
    harness.key_press(key);
    harness.run_steps(2);
}

#[test]
fn label_next_accepts_suggestions_and_retrains_without_losing_labels() {
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", tmp.path().join("config"));
    let (dir, unlabeled) = project_with_model(tmp.path(), 4);
    ok(attune(&["suggest", "--project", &s(&dir)]));
    let session = QueueSession { retrain_every: Some(5), random_share: 0.0, ..QueueSession::default() };
    session.save(&dir).unwrap();
    let mut harness = harness_with(&dir);
    let first_run = {
        let project = harness.state().shared.project.as_ref().unwrap();
        assert!(project.predictions.is_some(), "saved suggestions come back with the project");
        project.meta.run.clone().unwrap()
    };

    click(&mut harness, "Label");
    click(&mut harness, "Label next (least sure first)");
    let served = harness.state().shared.current_row.expect("the queue serves an example");
    assert!(unlabeled.contains(&served));
    let suggested =
        harness.state().shared.project.as_ref().unwrap().predictions.as_ref().unwrap().labels[served].clone();

    // Enter accepts the suggestion, recorded as such; the next example is served.
    press(&mut harness, egui::Key::Enter);
    let project = harness.state().shared.project.as_ref().unwrap();
    let a = project.annotation(served).expect("accepted");
    assert_eq!(a.labels, vec![suggested]);
    assert!(matches!(&a.source, LabelSource::AcceptedSuggestion { model, .. } if model == &first_run), "{a:?}");
    assert_ne!(harness.state().shared.current_row, Some(served));

    // Four more labels make five: retraining starts in the background.
    let mut labeled = vec![served];
    for _ in 0..4 {
        labeled.push(harness.state().shared.current_row.unwrap());
        press(&mut harness, egui::Key::Num1);
    }
    assert!(harness.state().loop_retraining(), "retraining started after 5 labels");
    // The window keeps answering and labels made meanwhile are kept.
    for _ in 0..3 {
        labeled.push(harness.state().shared.current_row.unwrap());
        press(&mut harness, egui::Key::Num2);
    }
    wait_for(&mut harness, "the new model", 120, |app| !app.loop_retraining());
    let project = harness.state().shared.project.as_ref().unwrap();
    let new_run = project.meta.run.clone().unwrap();
    assert_ne!(new_run, first_run, "the new model became the project's");
    assert_eq!(project.predictions.as_ref().unwrap().run, new_run, "its suggestions are shown");
    let on_disk = Project::open(&dir).unwrap();
    for (i, row) in labeled.iter().enumerate() {
        let a = on_disk.annotation(*row).unwrap_or_else(|| panic!("the label of example {row} was lost"));
        if i > 0 {
            assert_eq!(a.source, LabelSource::Human);
        }
    }
    assert_eq!(QueueSession::load(&dir).labeled, 8, "the session count is kept for the next start");
}

#[test]
fn starting_a_run_by_hand_stops_the_background_retraining() {
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", tmp.path().join("config"));
    let (dir, _) = project_with_model(tmp.path(), 400);
    let mut harness = harness_with(&dir);
    click(&mut harness, "Label");
    assert!(harness.state().shared.project.as_ref().unwrap().predictions.is_none());
    // Turning the queue on without suggestions makes them with the project's model.
    click(&mut harness, "Label next (least sure first)");
    wait_for(&mut harness, "the suggestions", 60, |app| {
        app.shared.project.as_ref().is_some_and(|p| p.predictions.as_ref().map(|s| &s.run) == p.meta.run.as_ref())
    });
    click(&mut harness, "Retrain now");
    assert!(harness.state().loop_retraining());
    // The loop run's folder may or may not exist yet: count the others.
    let runs_before = Project::open(&dir).unwrap().runs().iter().filter(|r| !r.0.contains("-loop")).count();
    click(&mut harness, "Train");
    click(&mut harness, "Start training");
    wait_for(&mut harness, "the retraining to stop", 60, |app| !app.loop_retraining());
    // The manual run gets its folder once its model is loaded; the cancelled loop run leaves
    // nothing behind.
    wait_for(&mut harness, "the manual run's folder", 60, |app| {
        app.shared.project.as_ref().is_some_and(|p| p.runs().len() == runs_before + 1)
    });
    let project = harness.state().shared.project.as_ref().unwrap();
    let runs: Vec<String> = project.runs().into_iter().map(|r| r.0).collect();
    assert!(!runs.iter().any(|r| r.contains("-loop")), "{runs:?}");
    assert_eq!(harness.state().pane(), Pane::Train);
}

#[test]
fn the_review_pane_finds_suspects_and_fixes_one() {
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", tmp.path().join("config"));
    let (dir, _) = project_with_model(tmp.path(), 1);
    let mut project = Project::open(&dir).unwrap();
    let labeled: Vec<usize> = (0..project.len()).filter(|&r| project.annotation(r).is_some()).collect();
    // Flip every tenth label.
    for &r in labeled.iter().step_by(10) {
        let flipped = if project.annotation(r).unwrap().labels[0] == "yes" { "no" } else { "yes" };
        project.set_labels(vec![r], vec![flipped.into()]).unwrap();
    }
    drop(project);
    let mut harness = harness_with(&dir);
    click(&mut harness, "Review");
    click(&mut harness, "Find likely label errors");
    wait_for(&mut harness, "the suspects", 120, |app| app.review_state().0.is_some() && !app.review_state().1);
    let suspect = harness.state().review_state().0.unwrap().suspects.first().cloned().expect("some suspects");
    click(&mut harness, &format!("Use {} for {}", suspect.predicted, suspect.example));
    let project = harness.state().shared.project.as_ref().unwrap();
    assert_eq!(project.annotation(suspect.example).unwrap().labels, vec![suspect.predicted.clone()]);
    assert!(dir.join("suspects.json").is_file());
    click(&mut harness, &format!("Explain {}", suspect.example));
    assert_eq!(harness.state().pane(), Pane::Explain);
    assert_eq!(harness.state().shared.current_row, Some(suspect.example));
}

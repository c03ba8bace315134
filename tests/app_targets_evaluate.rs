//! The Evaluate pane for multi-label and regression projects in the real UI (egui_kittest): a
//! project made and trained with the CLI opens in the app, and the Evaluate pane measures its run
//! by label set (cards, per-label table, per-label confusion whose cells list their examples, one
//! click from relabeling) or by number (cards, predicted-vs-true plot, the largest errors).
#![cfg(feature = "gui")]

mod common;

use std::path::Path;

use common::ui::{click, wait_for};
use common::{attune, ok, s, write_targets_csv, WORDS};

use attune::app::{AttuneApp, Pane};
use attune::model::synthetic::write_tiny_model;
use attune::model::Family;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;

/// A project made from the generated CSV with `target` arguments, trained with the CLI, opened in
/// the app on the Evaluate pane once its run is measured.
fn evaluated_app(tmp: &Path, target: &[&str]) -> Harness<'static, AttuneApp> {
    std::env::set_var("ATTUNE_CONFIG_DIR", tmp.join("config"));
    let model = tmp.join("tiny");
    write_tiny_model(&model, Family::Bert, &WORDS, 3).unwrap();
    let data = tmp.join("targets.csv");
    write_targets_csv(&data, 300, 7);
    let dir = tmp.join("project");
    let mut args = vec!["project".to_string(), "new".into(), s(&dir), "--data".into(), s(&data)];
    args.extend(target.iter().map(|a| a.to_string()));
    ok(attune(&args.iter().map(String::as_str).collect::<Vec<_>>()));
    let train = ["train", "--project", &s(&dir), "--model", &s(&model), "--epochs", "12", "--lr", "3e-3"];
    ok(attune(&[&train[..], &["--seed", "1", "--max-len", "32"]].concat()));

    let mut harness = Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_ui_state(|ui, app: &mut AttuneApp| app.ui(ui), AttuneApp::new_for_tests());
    harness.state_mut().shared.open_project(&dir);
    harness.run_steps(2);
    assert!(harness.state().shared.project.as_ref().unwrap().meta.run.is_some(), "training set the project's run");
    click(&mut harness, "Evaluate");
    wait_for(&mut harness, "the evaluation", 120, |app| app.pane() == Pane::Evaluate && app.evaluated());
    assert_eq!(harness.state().shared.notes.latest_error(), None);
    assert!(harness.query_by_label("Suggest labels for every example").is_none(), "single-label only");
    harness
}

#[test]
fn a_multi_label_run_is_measured_per_label_and_its_cells_list_examples() {
    let tmp = tempfile::tempdir().unwrap();
    let mut harness = evaluated_app(tmp.path(), &["--label-column", "labels", "--label-separator", ";"]);
    for card in ["Micro F1", "Macro F1", "Subset accuracy"] {
        harness.get_by_label(card);
    }
    assert!(harness.query_by_label_contains("Hamming loss").is_some());
    let thresholds = harness.query_all_by_label_contains("threshold 0.").count();
    assert_eq!(thresholds, 2, "the tuned threshold of each label is shown");

    // Each label has its 2×2 confusion; the fullest cell of label "a" lists its examples.
    let cells: Vec<(String, usize)> = harness
        .get_all_by(|n| n.label().is_some_and(|l| l.starts_with("a: ") || l.starts_with("b: ")))
        .map(|n| {
            let label = n.accesskit_node().label().unwrap();
            let count = label.rsplit(' ').next().unwrap().parse().unwrap();
            (label, count)
        })
        .collect();
    assert_eq!(cells.len(), 8, "four cells for each of a and b: {cells:?}");
    let (cell, count) = cells.iter().filter(|(l, _)| l.starts_with("a: ")).max_by_key(|c| c.1).cloned().unwrap();
    assert!(count > 0);
    click(&mut harness, &cell);
    let listed = harness.state().confusion_selection().to_vec();
    assert_eq!(listed.len(), count, "the cell {cell:?} lists its examples");
    harness.get_by_label_contains(&format!("{count} examples "));
    harness.get_by_label(&format!("Explain {}", listed[0]));

    // One click from relabeling.
    click(&mut harness, &format!("Relabel {}", listed[0]));
    assert_eq!(harness.state().pane(), Pane::Label);
    assert_eq!(harness.state().shared.current_row, Some(listed[0]));
}

#[test]
fn a_regression_run_is_measured_by_error_and_plotted_against_the_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let mut harness = evaluated_app(tmp.path(), &["--score-column", "score"]);
    for card in ["RMSE", "MAE", "Pearson", "Spearman"] {
        harness.get_by_label(card);
    }
    assert!(harness.query_by_label_contains("R² ").is_some());
    let heading = harness.get_by_label_contains("largest errors").accesskit_node().value().unwrap();
    let shown: usize = heading.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(shown > 0 && shown <= 20, "{heading}");
    let relabel = harness.get_all_by(|n| n.label().is_some_and(|l| l.starts_with("Relabel "))).count();
    assert_eq!(relabel, shown, "each of the largest errors can be relabeled");

    // The largest error comes first, and one click opens it in the Label pane.
    let first = harness.get_all_by(|n| n.label().is_some_and(|l| l.starts_with("Relabel "))).next().unwrap();
    let row: usize = first.accesskit_node().label().unwrap()["Relabel ".len()..].parse().unwrap();
    first.click();
    harness.run_steps(2);
    assert_eq!(harness.state().pane(), Pane::Label);
    assert_eq!(harness.state().shared.current_row, Some(row));
}

//! The whole loop in the real UI, driven by accessible labels as a person would: create a project
//! by importing a file, label with hotkeys, choose the model, train one epoch and watch the plot
//! receive points, evaluate and click a confusion-matrix cell, export the model as q8_0 GGUF and see it verified.
#![cfg(feature = "gui")]

mod common;

use common::ui::{click, wait_for};

use attune::app::{AttuneApp, Pane};
use attune::model::synthetic::write_tiny_model;
use attune::model::Family;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;

#[test]
fn create_label_train_evaluate_export() {
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", tmp.path().join("config"));
    let models = tmp.path().join("models");
    write_tiny_model(&models.join("tiny"), Family::Bert, &common::WORDS, 1).unwrap();
    let data = tmp.path().join("tickets.tsv");
    common::write_rule_tsv(&data, 300, 4);

    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_ui_state(|ui, app: &mut AttuneApp| app.ui(ui), AttuneApp::new_for_tests());
    harness.run_steps(2);

    // Import.
    click(&mut harness, "Data");
    harness.get_by_label("Data file").focus();
    harness.get_by_label("Data file").type_text(&data.display().to_string());
    harness.run_steps(2);
    click(&mut harness, "Preview");
    click(&mut harness, "Import into a new project");
    wait_for(&mut harness, "the import", 30, |app| app.shared.project.is_some());
    assert_eq!(harness.state().shared.project.as_ref().unwrap().len(), 300);

    // Relabel with hotkeys: J selects the first row, 2 sets the second label, U undoes.
    click(&mut harness, "Label");
    harness.key_press(egui::Key::J);
    harness.run_steps(2);
    let first = harness.state().shared.current_row.expect("J selects an example");
    let before = harness.state().shared.project.as_ref().unwrap().annotation(first).cloned();
    harness.key_press(egui::Key::Num2);
    harness.run_steps(2);
    let project = harness.state().shared.project.as_ref().unwrap();
    let after = project.annotation(first).expect("the hotkey set a label");
    assert_eq!(after.labels, vec![project.labels()[1].name.clone()]);
    assert_eq!(after.source, attune::project::LabelSource::Human);
    assert_ne!(before.as_ref().map(|a| &a.source), Some(&after.source));
    harness.key_press(egui::Key::U);
    harness.run_steps(2);
    assert_eq!(harness.state().shared.project.as_ref().unwrap().annotation(first).cloned(), before, "U undoes");

    // Choose the model, train one epoch, and see the plots receive points.
    click(&mut harness, "Models");
    click(&mut harness, "Model folder");
    harness.get_by_label("Model folder").type_text(&models.display().to_string());
    harness.run_steps(2);
    click(&mut harness, "Add folder");
    click(&mut harness, "Use tiny");
    assert!(harness.state().shared.project.as_ref().unwrap().meta.model.is_some());
    click(&mut harness, "Train");
    click(&mut harness, "Start training");
    wait_for(&mut harness, "training", 120, |app| app.training_history().2);
    let (losses, evals, _) = harness.state().training_history();
    assert!(losses > 10, "the loss plot received {losses} points");
    // 240 training examples are 15 steps an epoch: the Fast preset's one epoch becomes 7, so
    // that training takes at least 100 steps, with one validation point each.
    assert_eq!(evals, 7, "one validation point per epoch");
    assert!(harness.state().shared.project.as_ref().unwrap().meta.run.is_some(), "the run became the project's model");

    // Evaluate and click a confusion-matrix cell.
    click(&mut harness, "Evaluate");
    wait_for(&mut harness, "the evaluation", 60, |app| app.pane() == Pane::Evaluate && harness_has_cells(app));
    let cell =
        harness.get_all_by(|n| n.label().is_some_and(|l| l.starts_with("true yes, predicted yes"))).next().unwrap();
    let label = cell.accesskit_node().label().unwrap_or_default();
    cell.click();
    harness.run_steps(2);
    let expected: usize = label.rsplit(": ").next().unwrap().parse().unwrap();
    assert_eq!(harness.state().confusion_selection().len(), expected, "{label}");

    click(&mut harness, "Export");
    assert_eq!(harness.state().pane(), Pane::Export);
    harness.get_by_label("Export CSV");

    // Export the run as q8_0 GGUF: written, loaded back and verified on the validation split.
    click(&mut harness, "Export and verify");
    wait_for(&mut harness, "the export", 120, |app| {
        let (report, running) = app.export_state();
        report.is_some() && !running
    });
    let (report, _) = harness.state().export_state();
    let report = report.unwrap().clone();
    assert!(report.path.is_file() && report.path.extension().is_some_and(|e| e == "gguf"), "{report:?}");
    assert!(report.data.contains("valid split"), "{}", report.data);
    assert!(report.accuracy.is_some() && report.examples > 0);
    assert!(report.size_bytes < report.base_size_bytes);
    harness.get_by_label(&format!("Verification of {}", report.path.display()));
    if let Some(flip) = report.flipped_examples.first() {
        click(&mut harness, &format!("Explain example {}", flip.row.unwrap()));
        assert_eq!(harness.state().pane(), Pane::Explain);
    }
}

fn harness_has_cells(app: &AttuneApp) -> bool {
    app.evaluated()
}

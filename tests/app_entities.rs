//! Named entities in the real UI (egui_kittest): a project imported from a CoNLL file trains a
//! token classifier from the Train pane (the plot shows entity F1), the Evaluate pane
//! measures it by entity type, with a token confusion whose cells list their sentences, and the
//! Export pane writes and verifies it by entity F1; words are tagged as spans with the mouse and
//! keys (snapshot `label_entity_spans.png`).
#![cfg(feature = "gui")]

mod common;

use common::ui::{click, wait_for};
use common::{attune, ok, s};

use attune::app::{AttuneApp, Pane};
use attune::model::synthetic::write_tiny_model;
use attune::model::Family;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

#[test]
fn a_tagged_project_trains_and_is_measured_by_entity() {
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", tmp.path().join("config"));
    let model = tmp.path().join("tiny");
    write_tiny_model(&model, Family::Bert, &common::WORDS, 1).unwrap();
    let data = tmp.path().join("entities.conll");
    common::write_tagged_conll(&data, 300, 5);
    let dir = tmp.path().join("project");
    ok(attune(&["project", "new", &s(&dir), "--data", &s(&data), "--model", &s(&model)]));

    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_ui_state(|ui, app: &mut AttuneApp| app.ui(ui), AttuneApp::new_for_tests());
    harness.state_mut().shared.open_project(&dir);
    harness.run_steps(2);
    click(&mut harness, "Train");
    click(&mut harness, "Start training");
    wait_for(&mut harness, "training", 120, |app| app.training_history().2);
    let (_, evals, _) = harness.state().training_history();
    assert!(evals > 0, "validation points are plotted");
    harness.get_by_label("Validation entity F1");
    let run =
        harness.state().shared.project.as_ref().unwrap().meta.run.clone().expect("the run is the project's model");
    let info = std::fs::read_to_string(dir.join("runs").join(&run).join("run.json")).unwrap();
    assert!(info.contains("\"task\": \"token-classification\""), "{info}");

    // The model suggests tags; Enter accepts them for the current sentence.
    click(&mut harness, "Label");
    click(&mut harness, "Suggest tags with the project's model");
    wait_for(&mut harness, "tag suggestions", 60, |app| app.shared.project.as_ref().unwrap().tag_suggestions.is_some());
    let row = {
        let project = harness.state().shared.project.as_ref().unwrap();
        let suggested = project.tag_suggestions.as_ref().unwrap();
        (0..project.len())
            .find(|&r| suggested.tags[r].as_deref() != project.tags_of(r))
            .expect("a sentence the model tags differently")
    };
    harness.state_mut().shared.current_row = Some(row);
    harness.run_steps(2);
    harness.get_by_label("Accept suggested tags [Enter]");
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    let project = harness.state().shared.project.as_ref().unwrap();
    assert_eq!(project.tags_of(row), project.tag_suggestions.as_ref().unwrap().tags[row].as_deref());
    assert!(matches!(project.tag_edit(row).unwrap().source, attune::project::LabelSource::AcceptedSuggestion { .. }));

    click(&mut harness, "Evaluate");
    wait_for(&mut harness, "the evaluation", 60, |app| app.pane() == Pane::Evaluate && app.evaluated());
    harness.get_by_label("Entity F1 (micro)");
    harness.get_by_label("PER");
    harness.get_by_label("LOC");
    // The O/O cell lists sentences.
    let cell = harness.get_all_by(|n| n.label().is_some_and(|l| l.starts_with("true O, predicted O"))).next().unwrap();
    cell.click();
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("sentences with a word tagged O and predicted O").is_some());

    // Exported as q8_0 GGUF, loaded back and verified by entity F1 on the validation split.
    click(&mut harness, "Export");
    click(&mut harness, "Export and verify");
    wait_for(&mut harness, "the export", 120, |app| {
        let (report, running) = app.export_state();
        report.is_some() && !running
    });
    let report = harness.state().export_state().0.unwrap().clone();
    assert!(report.data.contains("tagged sentences"), "{}", report.data);
    let (f1, base) = (report.entity_f1.unwrap(), report.base_entity_f1.unwrap());
    assert!((f1 - base).abs() <= 0.02, "entity F1 {f1} after export, {base} before");
    harness.get_by_label("Entity F1");
    harness.get_by_label(&format!("{f1:.4}"));
}

#[test]
fn words_are_tagged_with_the_mouse_and_keys_and_everywhere_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", tmp.path().join("config"));
    let data = tmp.path().join("entities.conll");
    std::fs::write(&data, "alpha B-PER\nsaw O\ngolf O\nhotel O\n\ncharlie B-LOC\ndelta I-LOC\ngolf O\nhotel O\n\n")
        .unwrap();
    let dir = tmp.path().join("project");
    ok(attune(&["project", "new", &s(&dir), "--data", &s(&data)]));
    let mut harness = Harness::builder()
        .with_size([1100.0, 720.0])
        .wgpu()
        .build_ui_state(|ui, app: &mut AttuneApp| app.ui(ui), AttuneApp::new_for_tests());
    harness.state_mut().shared.open_project(&dir);
    harness.run_steps(2);
    let tags = |app: &AttuneApp, row: usize| app.shared.project.as_ref().unwrap().tags_of(row).unwrap().join(" ");

    click(&mut harness, "Label");
    harness.state_mut().shared.current_row = Some(0);
    harness.run_steps(2);
    harness.get_by_label("Tags as imported");
    // Click "golf", extend to "hotel" with shift+→, and press LOC's key (1).
    click(&mut harness, "golf");
    harness.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowRight);
    harness.run_steps(2);
    harness.key_press(egui::Key::Num1);
    harness.run_steps(2);
    assert_eq!(tags(harness.state(), 0), "B-PER O B-LOC I-LOC");
    harness.get_by_label_contains("Tags edited by");
    harness.state_mut().shared.notes = Default::default();
    harness.run_steps(2);
    harness.snapshot("label_entity_spans");

    // Every "golf hotel" in the project becomes a person, in one step that U undoes.
    click(&mut harness, "as PER");
    assert_eq!(tags(harness.state(), 1), "B-LOC I-LOC B-PER I-PER");
    assert_eq!(tags(harness.state(), 0), "B-PER O B-PER I-PER");
    harness.key_press(egui::Key::U);
    harness.run_steps(2);
    assert_eq!(tags(harness.state(), 1), "B-LOC I-LOC O O");

    // 0 clears the selection's tags.
    harness.key_press(egui::Key::Num0);
    harness.run_steps(2);
    assert_eq!(tags(harness.state(), 0), "B-PER O O O");
}

#[test]
fn a_click_on_a_word_explains_its_tag() {
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", tmp.path().join("config"));
    let model = tmp.path().join("tiny");
    write_tiny_model(&model, Family::Bert, &common::WORDS, 1).unwrap();
    let data = tmp.path().join("entities.conll");
    common::write_tagged_conll(&data, 300, 6);
    let dir = tmp.path().join("project");
    ok(attune(&["project", "new", &s(&dir), "--data", &s(&data), "--model", &s(&model)]));
    ok(attune(&["train", "--project", &s(&dir), "--epochs", "2", "--max-len", "32"]));
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_ui_state(|ui, app: &mut AttuneApp| app.ui(ui), AttuneApp::new_for_tests());
    harness.state_mut().shared.open_project(&dir);
    harness.state_mut().shared.current_row = Some(0);
    harness.run_steps(2);
    click(&mut harness, "Explain");
    let first_word = {
        let project = harness.state().shared.project.as_ref().unwrap();
        project.example(0).unwrap().tokens.as_ref().unwrap()[0].clone()
    };
    click(&mut harness, &first_word);
    wait_for(&mut harness, "the explanation", 60, |app| app.explanation().is_some());
    let e = harness.state().explanation().unwrap();
    assert_eq!(e.labels, ["O", "B-LOC", "B-PER", "I-LOC"], "a tag is explained");
    let words = harness.state().shared.project.as_ref().unwrap().example(0).unwrap().tokens.clone().unwrap();
    let explained: Vec<&str> = e.words.iter().map(|w| w.word.as_str()).collect();
    assert_eq!(
        explained,
        words.iter().map(String::as_str).collect::<Vec<_>>(),
        "every word of the sentence is weighed"
    );
}

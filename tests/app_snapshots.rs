//! Image snapshots of key panes, rendered headless with wgpu (Mesa's lavapipe on Linux) and
//! compared with the PNGs in tests/snapshots/: the first-run Start screen, the Label pane on the
//! bundled sample, and the Train pane's settings. `UPDATE_SNAPSHOTS=1 cargo test --release --test
//! app_snapshots` rewrites them after an intended change; look at the images before committing.
#![cfg(feature = "gui")]

use attune::app::{AttuneApp, Pane};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

fn harness(app: AttuneApp) -> Harness<'static, AttuneApp> {
    Harness::builder()
        .with_size(egui::vec2(1100.0, 720.0))
        .wgpu()
        .build_ui_state(|ui, app: &mut AttuneApp| app.ui(ui), app)
}

#[test]
fn key_panes_look_as_they_should() {
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("ATTUNE_CONFIG_DIR", tmp.path().join("config"));
    std::env::set_var("HF_HUB_CACHE", tmp.path().join("empty-hub"));
    let mut h = harness(AttuneApp::new_for_tests());
    h.run();
    h.snapshot("start_first_run");

    let project = attune::project::create_sample_project(&tmp.path().join("sample")).unwrap();
    h.state_mut().shared.set_project(project);
    h.state_mut().shared.notes = Default::default();
    h.get_all_by_label("Label").next().unwrap().click();
    h.run();
    assert_eq!(h.state().pane(), Pane::Label);
    h.snapshot("label_sample_project");

    h.get_all_by_label("Train").next().unwrap().click();
    h.run();
    assert_eq!(h.state().pane(), Pane::Train);
    h.snapshot("train_settings");
}

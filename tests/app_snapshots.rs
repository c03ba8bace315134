//! Image snapshots of key panes, rendered headless with wgpu (Mesa's lavapipe on Linux) and
//! compared with the PNGs in tests/snapshots/: the first-run Start screen, the Label pane on the
//! bundled sample, the Train pane's settings, and the Review pane (suspects and learning curve). `UPDATE_SNAPSHOTS=1 cargo test --release --test
//! app_snapshots` rewrites them after an intended change; look at the images before committing.
#![cfg(feature = "gui")]

use attune::app::{AttuneApp, Pane};
use attune::assist::{CurvePoint, LearningCurve, Suspect, SuspectReport};
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

    // The Review pane with a saved suspects search and learning curve of the sample.
    let dir = h.state().shared.project.as_ref().unwrap().dir().to_path_buf();
    let suspect = |example: usize, given: &str, predicted: &str, p: f32, flagged: bool| Suspect {
        row: example,
        example,
        given: given.into(),
        predicted: predicted.into(),
        score: 1.0 - p,
        given_probability: p,
        predicted_probability: 1.0 - p,
        flagged,
    };
    let report = SuspectReport {
        base_model: "sentence-transformers/all-MiniLM-L6-v2".into(),
        folds: 5,
        labeled: 500,
        estimated_errors: 2,
        suspects: vec![
            suspect(5, "ham", "spam", 0.03, true),
            suspect(1, "spam", "ham", 0.2, true),
            suspect(7, "ham", "spam", 0.45, false),
        ],
    };
    report.save(&dir).unwrap();
    let curve_dir = dir.join("curves").join("curve-1");
    std::fs::create_dir_all(&curve_dir).unwrap();
    let point = |fraction: f64, n: usize, a: f64| CurvePoint {
        fraction,
        train_examples: n,
        accuracy: Some(a),
        macro_f1: Some(a - 0.05),
        wall_secs: 10.0,
    };
    let curve = LearningCurve {
        base_model: report.base_model.clone(),
        valid_examples: 50,
        points: vec![point(0.25, 100, 0.82), point(0.5, 200, 0.9), point(0.75, 300, 0.93), point(1.0, 400, 0.95)],
    };
    std::fs::write(curve_dir.join("curve.json"), serde_json::to_vec(&curve).unwrap()).unwrap();
    h.get_all_by_label("Review").next().unwrap().click();
    h.run();
    assert_eq!(h.state().pane(), Pane::Review);
    h.snapshot("review_suspects_and_curve");
}

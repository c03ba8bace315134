//! Frame times of the Label pane with 100,000 examples, driven headless by egui_kittest: moving
//! through the table with J (which scrolls), searching, and the same while a training run keeps
//! both cores busy on a worker thread. Prints p50/p99/max frame time in ms as JSON.
//!
//! Run: `cargo run --release --example ui_frame_bench`

use std::time::Instant;

use attune::app::{AttuneApp, Pane};
use attune::jobs::CancelToken;
use attune::model::synthetic::write_tiny_model;
use attune::model::Family;
use attune::project::{Example, LabelDef, Project, ProjectMeta, Split, State, Task};
use egui_kittest::Harness;

const WORDS: [&str; 12] = [
    "refund", "billing", "card", "late", "delivery", "broken", "thanks", "account", "password", "help", "order",
    "price",
];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn frames(
    harness: &mut Harness<'_, AttuneApp>,
    n: usize,
    mut before: impl FnMut(&mut Harness<'_, AttuneApp>, usize),
) -> serde_json::Value {
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        before(harness, i);
        let t = Instant::now();
        harness.step();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    serde_json::json!({ "frames": n, "p50_ms": percentile(&times, 0.5), "p99_ms": percentile(&times, 0.99), "max_ms": times[n - 1] })
}

fn main() {
    let tmp = std::env::temp_dir().join(format!("attune-ui-bench-{}", std::process::id()));
    let rows = 100_000;
    let examples: Vec<Example> = (0..rows)
        .map(|i| {
            let text = (0..12).map(|k| WORDS[(i * 7 + k * 13) % WORDS.len()]).collect::<Vec<_>>().join(" ");
            Example { source_row: Some(i), text: format!("ticket {i}: {text}"), ..Example::default() }
        })
        .collect();
    let labels = ["billing", "delivery", "account"];
    let state = State {
        label_defs: labels
            .iter()
            .enumerate()
            .map(|(i, n)| LabelDef {
                name: n.to_string(),
                colour: [200, 80 * i as u8, 90],
                hotkey: Some((b'1' + i as u8) as char),
            })
            .collect(),
        splits: vec![Split::Train; rows],
        ..State::default()
    };
    let meta = ProjectMeta {
        format_version: 1,
        name: "bench".into(),
        created_ms: 0,
        task: Task::SingleLabel,
        sources: vec![],
        split_seed: 1,
        model: None,
        run: None,
    };
    let project = Project::create(&tmp.join("project"), meta, examples, state).expect("create the bench project");
    let mut app = AttuneApp::new_for_tests();
    app.shared.set_project(project);
    app.shared.settings.pane = Pane::Label;
    let mut harness =
        Harness::builder().with_size([1400.0, 900.0]).build_ui_state(|ui, app: &mut AttuneApp| app.ui(ui), app);
    harness.run_steps(3);
    let scrolling = frames(&mut harness, 300, |h, _| h.key_press(egui::Key::J));
    let labeling =
        frames(&mut harness, 100, |h, i| h.key_press(if i % 2 == 0 { egui::Key::Num1 } else { egui::Key::J }));
    // Training on a worker thread (tiny model, many epochs) while the table scrolls.
    let model = tmp.join("tiny");
    write_tiny_model(&model, Family::Bert, &WORDS, 1).expect("tiny model");
    let data = tmp.join("train.tsv");
    let mut tsv = String::from("text\tlabel\n");
    for i in 0..4000 {
        tsv.push_str(&format!("{} {}\t{}\n", WORDS[i % 12], WORDS[(i * 5) % 12], i % 2));
    }
    std::fs::write(&data, tsv).expect("write data");
    let job = attune::train::TrainJob {
        base_model: "tiny".into(),
        model_dir: model,
        train: attune::data::read_labeled(&data, &Default::default()).expect("read"),
        valid: None,
        out_dir: tmp.join("run"),
        config: attune::train::TrainConfig { epochs: 50, ..Default::default() },
    };
    let cancel = CancelToken::new();
    let token = cancel.clone();
    let worker = std::thread::spawn(move || {
        let _ = attune::train::train(&job, &mut |_| {}, &token);
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    let while_training = frames(&mut harness, 300, |h, _| h.key_press(egui::Key::J));
    cancel.cancel();
    let _ = worker.join();
    let report = serde_json::json!({
        "rows": rows,
        "scrolling_with_j": scrolling,
        "labeling_with_hotkeys": labeling,
        "scrolling_while_training": while_training,
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    let _ = std::fs::remove_dir_all(&tmp);
}

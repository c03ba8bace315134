//! Driving the app in tests as a person would (egui_kittest): click by accessible label, and step
//! frames while worker threads run until something is done.

use std::time::{Duration, Instant};

use attune::app::AttuneApp;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

/// Clicks the first widget with this label and lets two frames pass.
pub fn click(harness: &mut Harness<'_, AttuneApp>, label: &str) {
    harness.get_all_by_label(label).next().unwrap_or_else(|| panic!("no widget labeled {label:?}")).click();
    harness.run_steps(2);
}

/// Steps frames (the worker threads run meanwhile) until `done` or the timeout.
pub fn wait_for(harness: &mut Harness<'_, AttuneApp>, what: &str, secs: u64, done: impl Fn(&AttuneApp) -> bool) {
    let start = Instant::now();
    while !done(harness.state()) {
        assert!(start.elapsed() < Duration::from_secs(secs), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    harness.run_steps(2);
}

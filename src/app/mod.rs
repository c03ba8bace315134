//! The egui desktop app: one pane per step of the loop (start, data, label, models, train,
//! evaluate, review, explain, export). Panes call the same core functions as the CLI; long work (import,
//! training, evaluation, prediction) runs on named worker threads that send events back
//! (`worker.rs`). What the analyst makes lives in the project folder; only UI preferences
//! (pane, theme, recent projects) go to eframe's storage.

mod data_pane;
mod evaluate_entities;
mod evaluate_pane;
mod evaluate_targets;
mod explain_pane;
mod explain_views;
mod export_pane;
mod label_loop;
mod label_pane;
mod models_pane;
mod notifications;
mod review_pane;
mod shared;
mod start_pane;
mod train_form;
mod train_pane;
mod widgets;
mod worker;

use std::path::PathBuf;

pub use shared::{Pane, Shared, UiSettings};

/// Opens the main window and runs until it is closed.
pub fn run() -> Result<(), String> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Attune")
            .with_inner_size([1200.0, 760.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native("Attune", options, Box::new(|cc| Ok(Box::new(AttuneApp::new(cc)))))
        .map_err(|e| format!("the window could not be opened ({e}); on a server, use the commands (`attune --help`)"))
}

/// The whole app: shared state and each pane's own state.
pub struct AttuneApp {
    pub shared: Shared,
    start: start_pane::StartPane,
    data: data_pane::DataPane,
    label: label_pane::LabelPane,
    models: models_pane::ModelsPane,
    train: train_pane::TrainPane,
    evaluate: evaluate_pane::EvaluatePane,
    review: review_pane::ReviewPane,
    explain: explain_pane::ExplainPane,
    export: export_pane::ExportPane,
}

impl AttuneApp {
    pub fn new(cc: &eframe::CreationContext<'_>) -> Self {
        let settings: UiSettings = cc.storage.and_then(|s| eframe::get_value(s, eframe::APP_KEY)).unwrap_or_default();
        let mut app = Self::with_settings(settings);
        if let Some(last) = app.shared.settings.last_project.clone() {
            app.shared.open_project(&last);
        }
        app
    }

    /// An app with the given preferences and nothing open (tests start here).
    pub fn with_settings(settings: UiSettings) -> Self {
        Self {
            shared: Shared::new(settings),
            start: Default::default(),
            data: Default::default(),
            label: Default::default(),
            models: Default::default(),
            train: Default::default(),
            evaluate: Default::default(),
            review: Default::default(),
            explain: Default::default(),
            export: Default::default(),
        }
    }

    pub fn new_for_tests() -> Self {
        Self::with_settings(UiSettings::default())
    }

    pub fn pane(&self) -> Pane {
        self.shared.settings.pane
    }

    /// Training progress seen by the Train pane (for tests): (loss points, eval points, finished).
    pub fn training_history(&self) -> (usize, usize, bool) {
        self.train.history_sizes()
    }

    /// The training precision chosen in the Train pane (for tests).
    pub fn training_precision(&self) -> crate::model::Precision {
        self.train.precision()
    }

    /// Whether the Evaluate pane has a result to show (for tests).
    pub fn evaluated(&self) -> bool {
        self.evaluate.has_result()
    }

    /// The example rows listed for the selected confusion-matrix cell (for tests).
    pub fn confusion_selection(&self) -> &[usize] {
        self.evaluate.selected_rows()
    }

    /// The Export pane's last verification report, and whether an export is running (for tests).
    pub fn export_state(&self) -> (Option<&crate::export::ExportReport>, bool) {
        (self.export.report(), self.export.is_running())
    }

    /// The Explain pane's last explanation (for tests).
    pub fn explanation(&self) -> Option<&crate::explain::Explanation> {
        self.explain.explanation()
    }

    /// The Review pane's suspects, and whether it is working (for tests).
    pub fn review_state(&self) -> (Option<&crate::assist::SuspectReport>, bool) {
        (self.review.report(), self.review.is_running())
    }

    /// Whether the labeling loop is retraining in the background (for tests).
    pub fn loop_retraining(&self) -> bool {
        self.label.is_retraining()
    }

    /// Draws one frame (the body of eframe's `App::ui`, callable from tests).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        ctx.set_theme(if self.shared.settings.dark_mode { egui::Theme::Dark } else { egui::Theme::Light });
        self.handle_dropped_files(&ctx);
        self.train.poll(&mut self.shared);
        self.data.poll(&mut self.shared);
        self.evaluate.poll(&mut self.shared);
        self.explain.poll(&mut self.shared);
        self.start.poll(&mut self.shared);
        self.export.poll(&mut self.shared);
        self.review.poll(&mut self.shared);
        self.label.poll(&mut self.shared);
        egui::Panel::top("top").show(ui, |ui| self.top_bar_ui(ui));
        egui::Panel::left("panes").resizable(false).show(ui, |ui| self.pane_list_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| match self.shared.settings.pane {
            Pane::Start => self.start.ui(ui, &mut self.shared),
            Pane::Data => self.data.ui(ui, &mut self.shared),
            Pane::Label => self.label.ui(ui, &mut self.shared),
            Pane::Models => self.models.ui(ui, &mut self.shared),
            Pane::Train => self.train.ui(ui, &mut self.shared),
            Pane::Evaluate => self.evaluate.ui(ui, &mut self.shared),
            Pane::Review => self.review.ui(ui, &mut self.shared),
            Pane::Explain => self.explain.ui(ui, &mut self.shared),
            Pane::Export => self.export.ui(ui, &mut self.shared),
        });
        self.shared.notes.ui(&ctx);
        if let Some(pane) = self.shared.go_to.take() {
            self.shared.settings.pane = pane;
        }
    }

    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.strong("Attune");
            ui.separator();
            match &self.shared.project {
                Some(p) => {
                    ui.label(format!("{} — {} examples", p.meta.name, p.len()));
                    if let Some(run) = &p.meta.run {
                        ui.weak(format!("model: {run}"));
                    }
                }
                None => {
                    ui.weak("No project open");
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let label = if self.shared.settings.dark_mode { "Light theme" } else { "Dark theme" };
                if ui.button(label).clicked() {
                    self.shared.settings.dark_mode = !self.shared.settings.dark_mode;
                }
            });
        });
    }

    fn pane_list_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(8.0);
        for pane in Pane::ALL {
            let selected = self.shared.settings.pane == pane;
            if ui.selectable_label(selected, pane.title()).clicked() {
                self.shared.settings.pane = pane;
            }
        }
    }

    /// A dropped folder with a project opens it; a dropped file goes to the import wizard.
    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        for path in dropped {
            if path.join(crate::project::PROJECT_FILE).is_file() {
                self.shared.open_project(&path);
            } else if path.is_file() {
                self.data.set_file(&path, &mut self.shared);
                self.shared.go_to = Some(Pane::Data);
            }
        }
    }
}

impl eframe::App for AttuneApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        AttuneApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.shared.settings);
    }
}

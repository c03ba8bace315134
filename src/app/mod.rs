//! The egui desktop app: a window with one pane per step of the loop (start, data, label,
//! models, train, evaluate, explain, export). It calls the same core functions as the CLI and
//! runs long work on worker threads.

mod panes;

use panes::Pane;

/// Opens the main window and runs until it is closed.
pub fn run() -> Result<(), String> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_title("Attune").with_inner_size([1100.0, 720.0]),
        ..Default::default()
    };
    eframe::run_native("Attune", options, Box::new(|cc| Ok(Box::new(AttuneApp::new(cc)))))
        .map_err(|e| format!("the window could not be opened ({e}); on a server, use the commands (`attune --help`)"))
}

/// What the app shows right now.
pub struct AttuneApp {
    pane: Pane,
    models: Option<Vec<crate::model::CachedModel>>,
}

impl AttuneApp {
    pub fn new(cc: &eframe::CreationContext<'_>) -> Self {
        let pane = cc.storage.and_then(|s| eframe::get_value::<Pane>(s, "pane")).unwrap_or(Pane::Start);
        Self { pane, models: None }
    }

    /// An app with no stored state, for tests.
    pub fn new_for_tests() -> Self {
        Self { pane: Pane::Start, models: None }
    }

    pub fn pane(&self) -> Pane {
        self.pane
    }

    /// Draws one frame (the body of eframe's `App::ui`, callable from tests).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::left("panes").resizable(false).show(ui, |ui| {
            ui.add_space(8.0);
            ui.heading("Attune");
            ui.add_space(8.0);
            for pane in Pane::ALL {
                if ui.selectable_label(self.pane == pane, pane.title()).clicked() {
                    self.pane = pane;
                }
            }
        });
        egui::CentralPanel::default().show(ui, |ui| {
            panes::pane_ui(ui, self.pane, &mut self.models);
        });
    }
}

impl eframe::App for AttuneApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        AttuneApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, "pane", &self.pane);
    }
}

//! State every pane can see: the open project, the UI preferences that persist, notifications,
//! the current example, and requests to switch pane.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::notifications::Notifications;
use crate::assist::{load_predictions, load_tag_suggestions};
use crate::jobs::CancelToken;
use crate::project::Project;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pane {
    Start,
    Data,
    Label,
    Models,
    Train,
    Evaluate,
    Review,
    Explain,
    Export,
}

impl Pane {
    pub const ALL: [Pane; 9] = [
        Pane::Start,
        Pane::Data,
        Pane::Label,
        Pane::Models,
        Pane::Train,
        Pane::Evaluate,
        Pane::Review,
        Pane::Explain,
        Pane::Export,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Start => "Start",
            Pane::Data => "Data",
            Pane::Label => "Label",
            Pane::Models => "Models",
            Pane::Train => "Train",
            Pane::Evaluate => "Evaluate",
            Pane::Review => "Review",
            Pane::Explain => "Explain",
            Pane::Export => "Export",
        }
    }
}

/// UI preferences kept by eframe between sessions (old files still load: every field defaults).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct UiSettings {
    pub pane: Pane,
    pub dark_mode: bool,
    pub recent_projects: Vec<PathBuf>,
    pub last_project: Option<PathBuf>,
}

impl Default for UiSettings {
    fn default() -> Self {
        Self { pane: Pane::Start, dark_mode: true, recent_projects: Vec::new(), last_project: None }
    }
}

pub struct Shared {
    pub settings: UiSettings,
    pub project: Option<Project>,
    pub notes: Notifications,
    /// The example the analyst is looking at (Label, Evaluate and Explain share it).
    pub current_row: Option<usize>,
    /// A pane to switch to at the end of the frame.
    pub go_to: Option<Pane>,
    /// Bumped whenever the project's labels or examples change, so panes refresh their views.
    pub revision: u64,
    /// Stops the labeling loop's background retraining (a manual run replaces it).
    pub loop_training: Option<CancelToken>,
    /// Whether a run started in the Train pane is going on.
    pub manual_training: bool,
}

impl Shared {
    pub fn new(settings: UiSettings) -> Self {
        Self {
            settings,
            project: None,
            notes: Notifications::default(),
            current_row: None,
            go_to: None,
            revision: 0,
            loop_training: None,
            manual_training: false,
        }
    }

    /// Opens a project folder (a notification says why not, when it cannot be opened).
    pub fn open_project(&mut self, dir: &Path) {
        match Project::open(dir) {
            Ok(p) => self.set_project(p),
            Err(e) => self.notes.error(e.to_string()),
        }
    }

    pub fn set_project(&mut self, mut project: Project) {
        if let Some(token) = self.loop_training.take() {
            token.cancel();
        }
        let dir = project.dir().to_path_buf();
        self.settings.recent_projects.retain(|p| p != &dir);
        self.settings.recent_projects.insert(0, dir.clone());
        self.settings.recent_projects.truncate(10);
        self.settings.last_project = Some(dir);
        self.notes.info(format!("Opened {} ({} examples)", project.meta.name, project.len()));
        // Suggestions made earlier with the project's model come back with it.
        if let Some(run) = &project.meta.run {
            project.predictions = load_predictions(&project.runs_dir().join(run), project.len());
            if project.meta.task == crate::project::Task::TokenClassification {
                let sentences = crate::assist::project_sentences(&project);
                project.tag_suggestions = load_tag_suggestions(&project.runs_dir().join(run), &sentences);
            }
        }
        self.project = Some(project);
        self.current_row = None;
        self.revision += 1;
    }

    /// The folder of the project's chosen run, when there is one.
    pub fn run_dir(&self) -> Option<PathBuf> {
        let p = self.project.as_ref()?;
        p.meta.run.as_ref().map(|r| p.runs_dir().join(r))
    }
}

/// A message for panes that need an open project.
pub fn no_project_ui(ui: &mut egui::Ui, shared: &mut Shared) {
    ui.label("Open or create a project first.");
    if ui.button("Go to Start").clicked() {
        shared.go_to = Some(Pane::Start);
    }
}

//! The things a project holds: examples, labels with their colour and hotkey, who set each label
//! and when, notes, and which split each example belongs to.

use serde::{Deserialize, Serialize};

/// Which part of the data an example serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Valid,
    Test,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Valid => "valid",
            Split::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "train" | "training" => Some(Split::Train),
            "valid" | "validation" | "dev" | "val" => Some(Split::Valid),
            "test" => Some(Split::Test),
            _ => None,
        }
    }
}

/// Where a label came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LabelSource {
    /// Present in the imported file.
    Imported,
    /// Set by a person.
    Human,
    /// A model's suggestion that a person accepted.
    AcceptedSuggestion { model: String, confidence: f32 },
}

/// The gold label(s) of an example, and who set them when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    pub labels: Vec<String>,
    pub source: LabelSource,
    pub by: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
}

/// A label of the project's label set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelDef {
    pub name: String,
    /// sRGB colour used in the app.
    pub colour: [u8; 3],
    /// The key that sets this label in the Label pane ('1'–'9' by default).
    pub hotkey: Option<char>,
}

/// One example's content. Imported examples never change; added ones (probes) are appended.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// The 0-based data row in the imported file; None for examples added in Attune.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_row: Option<usize>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_pair: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

/// A distinct colour for the n-th label (golden-angle hues).
pub fn default_colour(n: usize) -> [u8; 3] {
    let hue = (n as f32 * 137.508) % 360.0;
    let (s, v) = (0.55f32, 0.85f32);
    let c = v * s;
    let x = c * (1.0 - ((hue / 60.0) % 2.0 - 1.0).abs());
    let (r, g, b) = match (hue / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [((r + m) * 255.0) as u8, ((g + m) * 255.0) as u8, ((b + m) * 255.0) as u8]
}

/// The default hotkey of the n-th label: 1–9, then none.
pub fn default_hotkey(n: usize) -> Option<char> {
    (n < 9).then(|| char::from(b'1' + n as u8))
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

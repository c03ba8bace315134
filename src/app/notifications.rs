//! Readable notifications: errors and notices shown in a corner for a while, newest on top.

use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

pub struct Notification {
    pub level: Level,
    pub text: String,
    shown: Instant,
}

#[derive(Default)]
pub struct Notifications {
    items: Vec<Notification>,
}

impl Notifications {
    pub fn info(&mut self, text: impl Into<String>) {
        self.items.push(Notification { level: Level::Info, text: text.into(), shown: Instant::now() });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        let text = text.into();
        tracing::warn!("{text}");
        self.items.push(Notification { level: Level::Error, text, shown: Instant::now() });
    }

    pub fn latest_error(&self) -> Option<&str> {
        self.items.iter().rev().find(|n| n.level == Level::Error).map(|n| n.text.as_str())
    }

    /// Draws the notifications and drops old ones (errors stay until closed).
    pub fn ui(&mut self, ctx: &egui::Context) {
        self.items.retain(|n| n.level == Level::Error || n.shown.elapsed() < Duration::from_secs(6));
        if self.items.is_empty() {
            return;
        }
        let mut close = None;
        egui::Area::new(egui::Id::unique("notifications")).anchor(egui::Align2::RIGHT_BOTTOM, [-12.0, -12.0]).show(
            ctx,
            |ui| {
                ui.set_max_width(420.0);
                for (i, n) in self.items.iter().enumerate().rev().take(4) {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.horizontal(|ui| {
                            let colour = match n.level {
                                Level::Error => ui.visuals().error_fg_color,
                                Level::Info => ui.visuals().text_color(),
                            };
                            ui.colored_label(colour, &n.text);
                            if ui.small_button("Dismiss").clicked() {
                                close = Some(i);
                            }
                        });
                    });
                }
            },
        );
        if let Some(i) = close {
            self.items.remove(i);
        }
        ctx.request_repaint_after(Duration::from_secs(1));
    }
}

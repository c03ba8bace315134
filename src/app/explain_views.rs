//! Drawing an explanation: words coloured by attribution with a legend, attention matrices as
//! heat-map textures, and one matrix in full with its tokens.

use crate::explain::Explanation;

/// A heat-map texture of a square matrix (scaled by its maximum).
pub fn heat_texture(ctx: &egui::Context, name: String, m: &[Vec<f32>]) -> egui::TextureHandle {
    let n = m.len().max(1);
    let max = m.iter().flatten().copied().fold(1e-9f32, f32::max);
    let pixels: Vec<egui::Color32> = (0..n * n)
        .map(|k| {
            let v = m.get(k / n).and_then(|r| r.get(k % n)).copied().unwrap_or(0.0) / max;
            let v = v.sqrt();
            egui::Color32::from_rgb((255.0 * v) as u8, (180.0 * v) as u8, (60.0 + 140.0 * (1.0 - v)) as u8)
        })
        .collect();
    let image = egui::ColorImage::new([n, n], pixels);
    ctx.load_texture(name, image, egui::TextureOptions::NEAREST)
}

/// The words coloured by attribution, with a legend.
pub fn words_ui(ui: &mut egui::Ui, e: &Explanation) {
    let max = e.words.iter().map(|w| w.attribution.abs()).fold(1e-12, f64::max);
    ui.label(format!("Why \"{}\" ({}):", e.target, e.method.title()));
    ui.horizontal_wrapped(|ui| {
        for w in &e.words {
            let t = (w.attribution.abs() / max) as f32;
            let fill = if w.attribution >= 0.0 {
                egui::Color32::from_rgba_unmultiplied(220, 50, 47, (t * 230.0) as u8)
            } else {
                egui::Color32::from_rgba_unmultiplied(38, 110, 220, (t * 230.0) as u8)
            };
            ui.label(egui::RichText::new(format!(" {} ", w.word)).background_color(fill))
                .on_hover_text(format!("{:+.4}", w.attribution));
        }
    });
    if !e.special_tokens.is_empty() {
        let specials: Vec<String> =
            e.special_tokens.iter().map(|t| format!("{} {:+.3}", t.token, t.attribution)).collect();
        ui.weak(format!("special tokens: {}", specials.join(", ")));
    }
    ui.horizontal(|ui| {
        ui.weak("Legend:");
        ui.colored_label(
            egui::Color32::from_rgb(220, 50, 47),
            format!("pushes towards \"{}\" (up to {max:+.3})", e.target),
        );
        ui.colored_label(egui::Color32::from_rgb(38, 110, 220), format!("pushes away (down to {:+.3})", -max));
    });
}

/// One attention matrix in full, with its tokens along both sides; the [CLS] row is outlined.
pub fn matrix_ui(ui: &mut egui::Ui, tex: &egui::TextureHandle, tokens: &[String]) {
    let n = tokens.len().max(1) as f32;
    let side = (ui.available_width() - 120.0).clamp(200.0, 640.0);
    let cell = side / n;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(side + 110.0, side + 90.0), egui::Sense::hover());
    let origin = rect.min + egui::vec2(100.0, 0.0);
    let image_rect = egui::Rect::from_min_size(origin, egui::vec2(side, side));
    let painter = ui.painter_at(rect);
    painter.image(
        tex.id(),
        image_rect,
        egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
        egui::Color32::WHITE,
    );
    let font = egui::FontId::proportional((cell * 0.8).clamp(6.0, 12.0));
    if cell >= 6.0 {
        for (i, t) in tokens.iter().enumerate() {
            let y = origin.y + (i as f32 + 0.5) * cell;
            painter.text(
                egui::pos2(origin.x - 4.0, y),
                egui::Align2::RIGHT_CENTER,
                t,
                font.clone(),
                ui.visuals().text_color(),
            );
            let x = origin.x + (i as f32 + 0.5) * cell;
            painter.text(
                egui::pos2(x, origin.y + side + 4.0),
                egui::Align2::LEFT_TOP,
                t,
                font.clone(),
                ui.visuals().text_color(),
            );
        }
    }
    let cls = egui::Rect::from_min_size(origin, egui::vec2(side, cell));
    painter.rect_stroke(
        cls,
        0.0,
        egui::Stroke::new(1.5, ui.visuals().selection.stroke.color),
        egui::StrokeKind::Outside,
    );
}

//! A self-contained HTML page of an explanation, to share with someone who has no Attune: the
//! text with each word coloured by its attribution (red towards the class, blue away), a legend,
//! the numbers on hover, the class probabilities and the completeness line.

use super::Explanation;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Background colour of an attribution scaled by the largest magnitude.
fn colour(a: f64, max: f64) -> String {
    let t = (a.abs() / max.max(1e-12)).min(1.0);
    let fade = |c: f64| (255.0 - (255.0 - c) * t).round() as u8;
    if a >= 0.0 {
        format!("rgb({},{},{})", fade(220.0), fade(50.0), fade(47.0))
    } else {
        format!("rgb({},{},{})", fade(38.0), fade(110.0), fade(220.0))
    }
}

pub fn to_html(text: &str, e: &Explanation) -> String {
    let max = e.words.iter().map(|w| w.attribution.abs()).fold(0.0, f64::max);
    let words: String = e
        .words
        .iter()
        .map(|w| {
            format!(
                "<span class=\"w\" style=\"background:{}\" title=\"{:+.4}\">{}</span> ",
                colour(w.attribution, max),
                w.attribution,
                escape(&w.word)
            )
        })
        .collect();
    let probs: String = e
        .labels
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td>{:.1}%</td></tr>",
                escape(l),
                e.probabilities.get(l).copied().unwrap_or(0.0) * 100.0
            )
        })
        .collect();
    let completeness = e
        .completeness
        .map(|c| {
            format!(
                "<p>Attributions add up to {:.4}; the score changes by {:.4} from the baseline (they explain {:.1}% of it).</p>",
                c.sum_attributions,
                c.score_delta,
                100.0 * c.sum_attributions / c.score_delta.abs().max(1e-12) * c.score_delta.signum()
            )
        })
        .unwrap_or_default();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Why \"{target}\"</title><style>\
         body{{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:2}}\
         .w{{padding:2px 3px;border-radius:3px}}.legend span{{padding:2px 8px}}td{{padding:0 1em}}</style></head><body>\
         <h2>Why the model says \"{target}\" ({method})</h2><p>{words}</p>\
         <p class=\"legend\">Legend: <span style=\"background:{red}\">pushes towards \"{target}\" ({max:+.3})</span> \
         <span style=\"background:#fff\">neutral</span> <span style=\"background:{blue}\">pushes away ({neg:+.3})</span> — hover a word for its number.</p>\
         {completeness}<table>{probs}</table><p><small>Text: {text}</small></p></body></html>",
        target = escape(&e.target),
        method = e.method.title(),
        red = colour(1.0, 1.0),
        blue = colour(-1.0, 1.0),
        neg = -max,
        text = escape(text),
    )
}

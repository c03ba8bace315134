//! JSON Lines with dotted paths, labels, scores or entity spans. Must never panic.
#![no_main]

use attune::data::import::{import_bytes, Format, ImportSpec, Layout, Target, TextEncoding};
use attune::jobs::CancelToken;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [a, rest @ ..] = data else { return };
    let layout = Layout { format: Format::JsonLines, encoding: TextEncoding::Utf8, has_header: false };
    let text = ["text", "meta.text", "a.b.c"][usize::from(*a) % 3];
    let spec = ImportSpec {
        layout,
        text: text.into(),
        text_pair: (a & 4 != 0).then(|| "pair".into()),
        target: if a & 32 != 0 {
            Target::Spans("spans".into())
        } else if a & 8 != 0 {
            Target::Score("score".into())
        } else {
            Target::Labels { columns: vec!["label".into()], separator: (a & 16 != 0).then(|| ",".to_string()) }
        },
    };
    if let Ok(imported) = import_bytes("fuzz.jsonl", rest, &spec, &mut |_| {}, &CancelToken::new()) {
        assert_eq!(imported.rows.len() + imported.report.problems.len(), imported.report.rows_seen);
    }
});

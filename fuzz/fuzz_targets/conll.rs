//! CoNLL / BIO token files. Must never panic; every sentence is a row or a problem.
#![no_main]

use attune::data::import::{import_bytes, Format, ImportSpec, Layout, TextEncoding};
use attune::jobs::CancelToken;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let layout = Layout { format: Format::Conll, encoding: TextEncoding::Utf8, has_header: false };
    let spec = ImportSpec::text_only(layout, 0usize);
    if let Ok(imported) = import_bytes("fuzz.conll", data, &spec, &mut |_| {}, &CancelToken::new()) {
        assert_eq!(imported.rows.len() + imported.report.problems.len(), imported.report.rows_seen);
        for row in &imported.rows {
            let (tokens, tags) = (row.tokens.as_ref().unwrap(), row.tags.as_ref().unwrap());
            assert_eq!(tokens.len(), tags.len());
            assert!(!tokens.is_empty());
        }
    }
});

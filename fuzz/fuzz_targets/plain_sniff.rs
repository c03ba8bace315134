//! Sniffing any bytes, then importing with the sniffer's own suggestion (plain text, and
//! whatever else the bytes look like). Must never panic.
#![no_main]

use attune::data::import::{import_bytes, sniff_bytes, Format, ImportSpec, Layout, TextEncoding};
use attune::jobs::CancelToken;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let names = ["data", "data.txt", "data.csv", "data.tsv", "data.jsonl", "data.conll"];
    let name = names[data.first().map_or(0, |b| usize::from(*b)) % names.len()];
    if let Ok(sniffed) = sniff_bytes(name, data, 5) {
        assert!(sniffed.preview.len() <= 5);
        let spec = sniffed.suggest_spec();
        let _ = import_bytes(name, data, &spec, &mut |_| {}, &CancelToken::new());
    }
    let layout = Layout { format: Format::PlainText, encoding: TextEncoding::Utf8, has_header: false };
    if let Ok(imported) =
        import_bytes("plain.txt", data, &ImportSpec::text_only(layout, 0usize), &mut |_| {}, &CancelToken::new())
    {
        assert!(imported.rows.iter().all(|r| !r.text.is_empty() && r.text.trim() == r.text));
    }
});

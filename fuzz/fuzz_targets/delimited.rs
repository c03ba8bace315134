//! Delimited text: the first bytes pick the delimiter, quoting, header, encoding and a
//! multi-label separator; the rest is the file. Must never panic.
#![no_main]

use attune::data::import::{import_bytes, Format, ImportSpec, Layout, Target, TextEncoding};
use attune::jobs::CancelToken;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [a, b, rest @ ..] = data else { return };
    let delimiter = [b',', b'\t', b';', b'|', b'"', b'\n'][usize::from(*a) % 6];
    let encoding = [TextEncoding::Utf8, TextEncoding::Utf16Le, TextEncoding::Utf16Be, TextEncoding::Windows1252]
        [usize::from(*b >> 4) % 4];
    let layout = Layout { format: Format::Delimited { delimiter, quoting: a & 0x80 != 0 }, encoding, has_header: a & 0x40 != 0 };
    let separator = (b & 1 != 0).then(|| ";".to_string());
    let spec = ImportSpec {
        layout,
        text: usize::from(b & 2 != 0).into(),
        text_pair: (b & 4 != 0).then(|| 2usize.into()),
        target: if b & 8 != 0 {
            Target::Score(1usize.into())
        } else {
            Target::Labels { columns: vec![1usize.into()], separator }
        },
    };
    if let Ok(imported) = import_bytes("fuzz.csv", rest, &spec, &mut |_| {}, &CancelToken::new()) {
        assert!(!imported.rows.is_empty());
        assert_eq!(imported.rows.len() + imported.report.problems.len(), imported.report.rows_seen);
    }
});

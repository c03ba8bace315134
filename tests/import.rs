//! The importer end to end: every format on small files written here, encodings, sniffing,
//! column mapping, the report for bad rows, each whole-file error, cancel and progress, and the
//! real datasets in ../shared/data with their documented row counts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use attune::data::import::{
    import, import_bytes, sniff, sniff_bytes, ColumnRef, Format, ImportError, ImportProgress, ImportSpec, Imported,
    Layout, Target, TextEncoding,
};
use attune::jobs::CancelToken;

fn write(dir: &tempfile::TempDir, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn import_spec(path: &Path, spec: &ImportSpec) -> Result<Imported, ImportError> {
    import(path, spec, &mut |_| {}, &CancelToken::new())
}

/// Sniffs, takes the suggested mapping, imports.
fn auto(path: &Path) -> Result<Imported, ImportError> {
    let spec = sniff(path, 10)?.suggest_spec();
    import_spec(path, &spec)
}

fn texts(imported: &Imported) -> Vec<&str> {
    imported.rows.iter().map(|r| r.text.as_str()).collect()
}

fn labels(imported: &Imported) -> Vec<Vec<&str>> {
    imported.rows.iter().map(|r| r.labels.iter().map(String::as_str).collect()).collect()
}

fn csv_layout(has_header: bool) -> Layout {
    Layout { format: Format::Delimited { delimiter: b',', quoting: true }, encoding: TextEncoding::Utf8, has_header }
}

// ---------------------------------------------------------------- delimited text

#[test]
fn csv_with_header_quoted_newlines_and_doubled_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "d.csv", "text,label\n\"hello\nworld\",pos\n\"say \"\"hi\"\", then go\",neg\n");
    let s = sniff(&p, 5).unwrap();
    assert_eq!(s.layout.format, Format::Delimited { delimiter: b',', quoting: true });
    assert!(s.layout.has_header);
    assert_eq!(s.columns, vec!["text", "label"]);
    assert_eq!(s.preview[0], vec!["hello\nworld", "pos"]);
    let d = auto(&p).unwrap();
    assert_eq!(texts(&d), vec!["hello\nworld", "say \"hi\", then go"]);
    assert_eq!(labels(&d), vec![vec!["pos"], vec!["neg"]]);
    assert_eq!(d.rows[1].source_row, 1);
    assert!(d.report.problems.is_empty());
    assert_eq!(d.source.columns, vec!["text", "label"]);
    assert!(d.source.had_header);
    assert_eq!(d.source.sha256.len(), 64);
}

#[test]
fn tsv_reads_quotes_literally_like_glue() {
    let dir = tempfile::tempdir().unwrap();
    let body = "sentence\tlabel\nit 's \"fine\" . \t1\n\"quoted\" start , here \t0\n";
    let p = write(&dir, "d.tsv", body);
    let s = sniff(&p, 5).unwrap();
    assert_eq!(s.layout.format, Format::Delimited { delimiter: b'\t', quoting: false });
    let d = auto(&p).unwrap();
    assert_eq!(texts(&d), vec!["it 's \"fine\" .", "\"quoted\" start , here"]);
    // A tab file whose quoted fields are clean does use quoting (a tab inside quotes).
    let p = write(&dir, "q.tsv", "text\tlabel\n\"a\tb\"\t1\nplain\t0\n");
    assert_eq!(sniff(&p, 5).unwrap().layout.format, Format::Delimited { delimiter: b'\t', quoting: true });
    assert_eq!(texts(&auto(&p).unwrap()), vec!["a\tb", "plain"]);
}

#[test]
fn sniffs_semicolon_and_pipe_and_missing_headers() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "semi", "1,5;this, that and more;x\n2;other text, with commas;y\n3;third one;x\n");
    let s = sniff(&p, 5).unwrap();
    assert_eq!(s.layout.format.delimiter(), Some(b';'));
    assert!(!s.layout.has_header);
    assert_eq!(s.columns, vec!["column_1", "column_2", "column_3"]);
    let p = write(&dir, "pipe.txt", "text|label\nfirst example here|a\nsecond example here|b\n");
    let s = sniff(&p, 5).unwrap();
    assert_eq!(s.layout.format.delimiter(), Some(b'|'));
    assert!(s.layout.has_header);
    // Names above numbers are a header even when the names are unknown.
    let p = write(&dir, "n.csv", "comment,stars\ngreat stuff,5\nbad,1\nmeh,3\n");
    assert!(sniff(&p, 5).unwrap().layout.has_header);
    // Values that recur below are data.
    let p = write(&dir, "h.csv", "spam,win a prize now\nham,see you at lunch\nspam,free entry today\n");
    let s = sniff(&p, 5).unwrap();
    assert!(!s.layout.has_header);
    let d = auto(&p).unwrap();
    assert_eq!(d.rows.len(), 3);
    assert_eq!(d.source.columns, vec!["column_1", "column_2"]);
    assert_eq!(labels(&d)[0], vec!["spam"]);
}

#[test]
fn columns_by_name_or_index_and_missing_names_list_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "d.csv", "id,body,topic\n1,first text,a\n2,second text,b\n");
    let spec = ImportSpec::labeled(csv_layout(true), 1usize, "TOPIC");
    let d = import_spec(&p, &spec).unwrap();
    assert_eq!(texts(&d), vec!["first text", "second text"]);
    assert_eq!(labels(&d), vec![vec!["a"], vec!["b"]]);
    let err = import_spec(&p, &ImportSpec::labeled(csv_layout(true), "text", "topic")).unwrap_err();
    assert!(matches!(err, ImportError::MissingColumn { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("no column \"text\"") && msg.contains("\"id\", \"body\", \"topic\""), "{msg}");
    assert!(msg.ends_with(&p.display().to_string()), "{msg}");
    let err = import_spec(&p, &ImportSpec::text_only(csv_layout(true), 7usize)).unwrap_err();
    assert!(matches!(err, ImportError::ColumnOutOfRange { index: 7, count: 3, .. }), "{err}");
}

#[test]
fn multi_label_cells_are_split_trimmed_and_empties_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let p =
        write(&dir, "m.csv", "text,labels\nmy card was charged twice,billing; refund;\nhello,\nlost card, card ;;\n");
    let s = sniff(&p, 10).unwrap();
    let spec = s.suggest_spec();
    assert_eq!(spec.target, Target::Labels { columns: vec!["labels".into()], separator: Some(";".into()) });
    let d = import_spec(&p, &spec).unwrap();
    assert_eq!(labels(&d), vec![vec!["billing", "refund"], vec![], vec!["card"]]);
    // Several label columns add up.
    let p = write(&dir, "two.csv", "text,a,b\nx,red,big\ny,,small\n");
    let spec = ImportSpec {
        layout: csv_layout(true),
        text: "text".into(),
        text_pair: None,
        target: Target::Labels { columns: vec!["a".into(), "b".into()], separator: None },
    };
    assert_eq!(labels(&import_spec(&p, &spec).unwrap()), vec![vec!["red", "big"], vec!["small"]]);
}

#[test]
fn pairs_and_scores() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "sts.csv", "sentence1,sentence2,score\nA man plays.,A man is playing.,4.5\nx,y,high\nc,d,\n");
    let spec = sniff(&p, 5).unwrap().suggest_spec();
    assert_eq!(spec.text_pair, Some(ColumnRef::Name("sentence2".into())));
    assert_eq!(spec.target, Target::Score("score".into()));
    let d = import_spec(&p, &spec).unwrap();
    assert_eq!(d.rows.len(), 2);
    assert_eq!(d.rows[0].text_pair.as_deref(), Some("A man is playing."));
    assert_eq!(d.rows[0].score, Some(4.5));
    assert_eq!(d.rows[1].score, None);
    assert_eq!(d.rows[1].source_row, 2);
    let problem = &d.report.problems[0];
    assert_eq!((problem.row, problem.line), (1, Some(3)));
    assert!(problem.message.contains("\"high\"") && problem.message.contains("not a number"), "{problem:?}");
}

#[test]
fn bad_rows_are_reported_with_row_and_line_and_the_rest_imports() {
    let dir = tempfile::tempdir().unwrap();
    let body = "text,label\nfine,1\nbroken\n\"two\nlines\",0\n   ,1\ntrailing,1,\nextra,1,2\nlast,0\n";
    let p = write(&dir, "r.csv", body);
    let d = import_spec(&p, &ImportSpec::labeled(csv_layout(true), "text", "label")).unwrap();
    assert_eq!(texts(&d), vec!["fine", "two\nlines", "trailing", "last"]);
    assert_eq!(d.rows.iter().map(|r| r.source_row).collect::<Vec<_>>(), vec![0, 2, 4, 6]);
    let problems: Vec<(usize, Option<u64>)> = d.report.problems.iter().map(|p| (p.row, p.line)).collect();
    assert_eq!(problems, vec![(1, Some(3)), (3, Some(6)), (5, Some(8))]);
    assert!(d.report.problems[0].message.contains("1 fields but the file has 2 columns"));
    assert!(d.report.problems[1].message.contains("empty"));
    assert_eq!(d.report.rows_seen, 7);
}

// ---------------------------------------------------------------- encodings

#[test]
fn utf8_bom_utf16_and_windows_1252() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "bom.csv", b"\xEF\xBB\xBFtext,label\ncaf\xC3\xA9,1\nnext,0\n");
    let s = sniff(&p, 5).unwrap();
    assert_eq!(s.layout.encoding, TextEncoding::Utf8Bom);
    assert_eq!(s.columns, vec!["text", "label"]);
    assert_eq!(texts(&auto(&p).unwrap()), vec!["café", "next"]);

    let body = "text\tlabel\nna\u{ef}ve \u{1F600}\tpos\nplain\tneg\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(body.encode_utf16().flat_map(u16::to_le_bytes));
    let p = write(&dir, "u16.tsv", &utf16);
    let s = sniff(&p, 5).unwrap();
    assert_eq!(s.layout.encoding, TextEncoding::Utf16Le);
    assert!(s.layout.has_header);
    let d = auto(&p).unwrap();
    assert_eq!(texts(&d), vec!["na\u{ef}ve \u{1F600}", "plain"]);
    assert_eq!(d.source.encoding, TextEncoding::Utf16Le);

    let mut utf16be = vec![0xFE, 0xFF];
    utf16be.extend(body.encode_utf16().flat_map(u16::to_be_bytes));
    let p = write(&dir, "u16be.tsv", &utf16be);
    assert_eq!(texts(&auto(&p).unwrap()), vec!["na\u{ef}ve \u{1F600}", "plain"]);

    let p = write(&dir, "latin.csv", b"text,label\ncaf\xE9 cr\xE8me \x80 5,1\nna\xEFve,0\n");
    let s = sniff(&p, 5).unwrap();
    assert_eq!(s.layout.encoding, TextEncoding::Windows1252);
    assert_eq!(texts(&auto(&p).unwrap()), vec!["café crème € 5", "naïve"]);
}

#[test]
fn invalid_utf8_in_a_utf8_file_is_a_row_problem() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "d.csv", b"text,label\ngood,1\nbad \xE9,0\n");
    let spec = ImportSpec::labeled(csv_layout(true), "text", "label");
    let d = import_spec(&p, &spec).unwrap();
    assert_eq!(texts(&d), vec!["good"]);
    assert!(d.report.problems[0].message.contains("UTF-8"), "{:?}", d.report.problems);
}

// ---------------------------------------------------------------- JSON Lines, plain text, CoNLL

#[test]
fn json_lines_with_dotted_paths_and_problems() {
    let dir = tempfile::tempdir().unwrap();
    let body = concat!(
        "{\"id\": 1, \"meta\": {\"text\": \"first\", \"lang\": \"en\"}, \"label\": \"a\", \"tags\": [\"x\", \"y\"]}\n",
        "\n",
        "{\"id\": 2, \"meta\": {\"text\": \"second\"}, \"label\": null, \"tags\": []}\n",
        "{\"id\": 3, \"meta\": {\"text\": \"third\"}, \"label\": \"b\"\n",
        "[1, 2]\n",
        "{\"id\": 5, \"label\": \"c\"}\n",
        "{\"id\": 6, \"meta\": {\"text\": 42}, \"label\": true}\n",
    );
    let p = write(&dir, "d.jsonl", body);
    let s = sniff(&p, 10).unwrap();
    assert_eq!(s.layout.format, Format::JsonLines);
    // Fields in name order (serde_json maps are sorted), nested ones by dotted path.
    assert_eq!(s.columns, vec!["id", "label", "meta.lang", "meta.text", "tags"]);
    assert_eq!(s.preview[0], vec!["1", "a", "en", "first", "x, y"]);
    let spec = s.suggest_spec();
    assert_eq!(spec.text, ColumnRef::Name("meta.text".into()));
    let d = import_spec(&p, &spec).unwrap();
    assert_eq!(texts(&d), vec!["first", "second", "42"]);
    assert_eq!(labels(&d), vec![vec!["a"], vec![], vec!["true"]]);
    let problems: Vec<(usize, Option<u64>)> = d.report.problems.iter().map(|p| (p.row, p.line)).collect();
    assert_eq!(problems, vec![(2, Some(4)), (3, Some(5)), (4, Some(6))]);
    assert!(d.report.problems[0].message.contains("not valid JSON"));
    assert!(d.report.problems[1].message.contains("not an object"));
    assert!(d.report.problems[2].message.contains("no field \"meta.text\""));
    assert_eq!(d.report.blank_lines, 1);
    // A list column gives several labels.
    let spec = ImportSpec {
        target: Target::Labels { columns: vec!["tags".into()], separator: None },
        ..ImportSpec::text_only(s.layout, "meta.text")
    };
    let d = import_spec(&p, &spec).unwrap();
    assert_eq!(labels(&d)[0], vec!["x", "y"]);
    let err = import_spec(&p, &ImportSpec::text_only(s.layout, "meta.body")).unwrap_err();
    assert!(err.to_string().contains("\"meta.text\""), "{err}");
}

#[test]
fn json_arrays_get_advice() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "d.json", "[{\"text\": \"a\"}]");
    let err = sniff(&p, 5).unwrap_err();
    assert!(matches!(err, ImportError::UnsupportedFile { .. }) && err.to_string().contains("JSON Lines"), "{err}");
}

#[test]
fn plain_text_one_example_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "notes.txt", "The first note.\n\n  second note  \r\nthird\n");
    let s = sniff(&p, 5).unwrap();
    assert_eq!(s.layout.format, Format::PlainText);
    let d = auto(&p).unwrap();
    assert_eq!(texts(&d), vec!["The first note.", "second note", "third"]);
    assert!(d.rows.iter().all(|r| r.labels.is_empty()));
    assert_eq!(d.report.blank_lines, 1);
}

#[test]
fn conll_four_and_two_columns_with_a_malformed_line() {
    let dir = tempfile::tempdir().unwrap();
    let body = "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nbroken line\nhere NN O O\n\nPeter NNP B-NP B-PER\n";
    let p = write(&dir, "train.txt", body);
    let s = sniff(&p, 5).unwrap();
    assert_eq!(s.layout.format, Format::Conll);
    assert_eq!(s.columns, vec!["tokens", "tags"]);
    assert_eq!(s.preview[0], vec!["EU rejects", "B-ORG O"]);
    let d = auto(&p).unwrap();
    assert_eq!(texts(&d), vec!["EU rejects", "Peter"]);
    assert_eq!(d.rows[0].tags.as_deref(), Some(&["B-ORG".to_string(), "O".to_string()][..]));
    assert_eq!(d.rows[1].source_row, 2);
    let problem = &d.report.problems[0];
    assert_eq!((problem.row, problem.line), (1, Some(6)));
    assert!(problem.message.contains("2 column(s)") && problem.message.contains("have 4"), "{problem:?}");

    let p = write(&dir, "w.conll", "@paul\tO\nDubbz\tB-person\n\u{feff}\n\nThis\tO\nguy\tO\n");
    let d = auto(&p).unwrap();
    assert_eq!(d.rows.len(), 2);
    assert_eq!(d.rows[1].tokens.as_deref(), Some(&["This".to_string(), "guy".to_string()][..]));
}

/// Found by `cargo fuzz run plain_sniff`: a .jsonl file whose first lines are not JSON has no
/// columns, and suggesting a mapping for it panicked (indexing an empty column list).
#[test]
fn fuzz_regression_suggest_for_a_file_without_columns() {
    let bytes = b"d have tracking?,card_arrival\r\nI ordered my card\r\n{\"meta\":-D {\"text\"\n";
    let s = sniff_bytes("data.jsonl", bytes, 5).unwrap();
    assert!(s.columns.is_empty());
    let spec = s.suggest_spec();
    let err = import_bytes("data.jsonl", bytes, &spec, &mut |_| {}, &CancelToken::new()).unwrap_err();
    assert!(matches!(err, ImportError::ColumnOutOfRange { count: 0, .. }), "{err}");
    let crash = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions/plain_sniff-crash-44b8d832");
    let bytes = std::fs::read(crash).unwrap();
    if let Ok(s) = sniff_bytes("data.jsonl", &bytes, 5) {
        let _ = import_bytes("data.jsonl", &bytes, &s.suggest_spec(), &mut |_| {}, &CancelToken::new());
    }
}

/// Found by `cargo fuzz run plain_sniff`: a line of only Unicode whitespace (here U+0085) became
/// an example with empty text; it is a blank line.
#[test]
fn fuzz_regression_unicode_whitespace_line_is_blank() {
    let layout = Layout { format: Format::PlainText, encoding: TextEncoding::Utf8, has_header: false };
    let spec = ImportSpec::text_only(layout, 0usize);
    let d =
        import_bytes("p.txt", "one\n\u{85}\u{a0}\ntwo\n".as_bytes(), &spec, &mut |_| {}, &CancelToken::new()).unwrap();
    assert_eq!(texts(&d), vec!["one", "two"]);
    assert_eq!(d.report.blank_lines, 1);
    let crash = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions/plain_sniff-crash-103e3f18");
    let d = import_bytes("p.txt", &std::fs::read(crash).unwrap(), &spec, &mut |_| {}, &CancelToken::new()).unwrap();
    assert!(d.rows.iter().all(|r| !r.text.is_empty() && r.text.trim() == r.text));
}

// ---------------------------------------------------------------- whole-file errors

#[test]
fn whole_file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ImportSpec::labeled(csv_layout(true), "text", "label");
    for (name, body) in [("e.csv", &b""[..]), ("w.csv", b" \n\n \r\n")] {
        let p = write(&dir, name, body);
        assert!(matches!(sniff(&p, 5), Err(ImportError::Empty { .. })), "{name}");
        assert!(matches!(import_spec(&p, &spec), Err(ImportError::Empty { .. })), "{name}");
    }
    let p = write(&dir, "h.csv", "text,label\n");
    let err = import_spec(&p, &spec).unwrap_err();
    assert!(matches!(err, ImportError::NoRows { .. }), "{err}");

    let mut junk: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    junk.extend([0u8; 64]);
    let p = write(&dir, "junk.csv", &junk);
    assert!(matches!(sniff(&p, 5), Err(ImportError::NotText { .. })));
    assert!(matches!(import_spec(&p, &spec), Err(ImportError::NotText { .. })));
    let p = write(&dir, "nul.txt", b"text\0\0\0\0with\0\0\0\0\0nuls\0\0\0\0\0\n");
    assert!(matches!(sniff(&p, 5), Err(ImportError::NotText { .. })));

    let p = write(&dir, "bad16.csv", [0xFF, 0xFE, b't', 0, 0x00, 0xD8, b'x', 0, b'\n', 0]);
    let err = sniff(&p, 5).unwrap_err();
    assert!(matches!(err, ImportError::Encoding { .. }) && err.to_string().contains("UTF-16"), "{err}");

    let p = write(&dir, "book.csv", b"PK\x03\x04\x14\x00\x06\x00rest of a workbook");
    let err = sniff(&p, 5).unwrap_err();
    assert!(err.to_string().contains("Excel"), "{err}");

    let p = write(&dir, "nolabels.csv", "text,label\na,\nb, \n");
    let err = import_spec(&p, &spec).unwrap_err();
    assert!(matches!(err, ImportError::EmptyTargetColumn { ref column, .. } if column == "label"), "{err}");

    let p = write(&dir, "allbad.csv", "text,label\nx\ny\n");
    let err = import_spec(&p, &spec).unwrap_err();
    assert!(matches!(err, ImportError::NoReadableRows { problems: 2, first_row: 0, .. }), "{err}");

    let missing = dir.path().join("missing.csv");
    assert!(matches!(sniff(&missing, 5), Err(ImportError::Open { .. })));
    assert!(matches!(import_spec(&missing, &spec), Err(ImportError::Open { .. })));
}

// ---------------------------------------------------------------- progress, cancel, changes

fn big_csv(rows: usize) -> String {
    let mut s = String::from("text,label\n");
    for i in 0..rows {
        s.push_str(&format!("example number {i},{}\n", i % 3));
    }
    s
}

#[test]
fn progress_is_reported_every_65536_rows() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "big.csv", big_csv(200_000));
    let total = std::fs::metadata(&p).unwrap().len();
    let mut seen: Vec<ImportProgress> = Vec::new();
    let spec = ImportSpec::labeled(csv_layout(true), "text", "label");
    let d = import(&p, &spec, &mut |p| seen.push(p), &CancelToken::new()).unwrap();
    assert_eq!(d.rows.len(), 200_000);
    let rows: Vec<usize> = seen.iter().map(|p| p.rows).collect();
    assert_eq!(rows, vec![0, 65_537, 131_073, 196_609, 200_000]);
    assert!(seen.windows(2).all(|w| w[0].bytes_read <= w[1].bytes_read));
    assert_eq!(seen.last().unwrap().bytes_read, total);
    assert!(seen.iter().all(|p| p.total_bytes == total));
}

#[test]
fn cancel_stops_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "big.csv", big_csv(100_000));
    let spec = ImportSpec::labeled(csv_layout(true), "text", "label");
    let cancel = CancelToken::new();
    cancel.cancel();
    assert!(matches!(import(&p, &spec, &mut |_| {}, &cancel), Err(ImportError::Cancelled { .. })));
    // Cancelled from the progress callback, as the app's Cancel button would between reports.
    let cancel = Arc::new(CancelToken::new());
    let c2 = cancel.clone();
    let mut calls = 0;
    let err = import(
        &p,
        &spec,
        &mut |p| {
            calls += 1;
            if p.rows > 0 {
                c2.cancel();
            }
        },
        &cancel,
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::Cancelled { .. }), "{err}");
    assert_eq!(calls, 2);
}

#[test]
fn a_file_that_changes_during_the_import_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "grow.csv", big_csv(10));
    let spec = ImportSpec::labeled(csv_layout(true), "text", "label");
    let path = p.clone();
    let err = import(
        &p,
        &spec,
        &mut |progress| {
            if progress.rows == 0 {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
                f.write_all(b"appended while importing,1\n").unwrap();
            }
        },
        &CancelToken::new(),
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::Changed { .. }), "{err}");
}

#[test]
fn in_memory_entry_points_match_the_file_ones() {
    let dir = tempfile::tempdir().unwrap();
    let body = "text,label\nfirst,1\nsecond,0\n";
    let p = write(&dir, "d.csv", body);
    let s = sniff_bytes("d.csv", body.as_bytes(), 5).unwrap();
    assert_eq!(s, sniff(&p, 5).unwrap());
    let spec = s.suggest_spec();
    let from_bytes = import_bytes("d.csv", body.as_bytes(), &spec, &mut |_| {}, &CancelToken::new()).unwrap();
    let from_file = import_spec(&p, &spec).unwrap();
    assert_eq!(from_bytes.rows, from_file.rows);
    assert_eq!(from_bytes.source.sha256, from_file.source.sha256);
}

// ---------------------------------------------------------------- Parquet

mod parquet_files {
    use super::*;
    use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    const SCHEMA: &str = "message schema {
        REQUIRED BYTE_ARRAY text (UTF8);
        OPTIONAL BYTE_ARRAY label (UTF8);
        OPTIONAL DOUBLE score;
        REQUIRED INT64 n;
        REQUIRED BOOLEAN flag;
        OPTIONAL group tags (LIST) { REPEATED group list { OPTIONAL BYTE_ARRAY element (UTF8); } }
        REQUIRED BYTE_ARRAY blob;
        OPTIONAL group meta { OPTIONAL BYTE_ARRAY title (UTF8); OPTIONAL INT64 stamp (TIMESTAMP_MILLIS); }
    }";

    fn bytes(values: &[&str]) -> Vec<ByteArray> {
        values.iter().map(|v| ByteArray::from(*v)).collect()
    }

    /// Three rows, written with the low-level column writers (leaf columns in schema order).
    pub fn write_file(path: &Path) {
        let schema = Arc::new(parse_message_type(SCHEMA).unwrap());
        let file = std::fs::File::create(path).unwrap();
        let mut writer =
            SerializedFileWriter::new(file, schema, Arc::new(WriterProperties::builder().build())).unwrap();
        let mut rg = writer.next_row_group().unwrap();
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<ByteArrayType>().write_batch(&bytes(&["first text", "second text", "   "]), None, None).unwrap();
        col.close().unwrap();
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<ByteArrayType>().write_batch(&bytes(&["pos", "neg"]), Some(&[1, 1, 0]), None).unwrap();
        col.close().unwrap();
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<DoubleType>().write_batch(&[0.5, 1.5], Some(&[1, 0, 1]), None).unwrap();
        col.close().unwrap();
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<Int64Type>().write_batch(&[10, 20, 30], None, None).unwrap();
        col.close().unwrap();
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<BoolType>().write_batch(&[true, false, true], None, None).unwrap();
        col.close().unwrap();
        // tags: ["a", "b"], ["c"], [] — definition level 3 = element present, 1 = empty list.
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<ByteArrayType>()
            .write_batch(&bytes(&["a", "b", "c"]), Some(&[3, 3, 3, 1]), Some(&[0, 1, 0, 0]))
            .unwrap();
        col.close().unwrap();
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<ByteArrayType>().write_batch(&bytes(&["\x00\x01", "\x02", "\x03"]), None, None).unwrap();
        col.close().unwrap();
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<ByteArrayType>().write_batch(&bytes(&["T1", "T2"]), Some(&[2, 2, 0]), None).unwrap();
        col.close().unwrap();
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<Int64Type>().write_batch(&[1], Some(&[2, 1, 0]), None).unwrap();
        col.close().unwrap();
        rg.close().unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn reads_text_numbers_booleans_lists_and_struct_fields() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.parquet");
        write_file(&p);
        let s = sniff(&p, 5).unwrap();
        assert_eq!(s.layout.format, Format::Parquet);
        let columns = ["text", "label", "score", "n", "flag", "tags", "blob", "meta.title", "meta.stamp"];
        assert_eq!(s.columns, columns);
        assert_eq!(
            s.preview[0],
            ["first text", "pos", "0.5", "10", "true", "a, b", "<binary (bytes, not text)>", "T1", "<timestamp>"]
        );
        let spec = s.suggest_spec();
        assert_eq!(spec.text, ColumnRef::Name("text".into()));
        let d = import_spec(&p, &spec).unwrap();
        assert_eq!(texts(&d), vec!["first text", "second text"]);
        assert_eq!(labels(&d), vec![vec!["pos"], vec!["neg"]]);
        let problem = &d.report.problems[0];
        assert_eq!((problem.row, problem.line), (2, None));
        assert_eq!(d.source.sha256.len(), 64);

        let layout = s.layout;
        let spec = ImportSpec {
            layout,
            text: "meta.title".into(),
            text_pair: Some("n".into()),
            target: Target::Labels { columns: vec!["tags".into(), "flag".into()], separator: None },
        };
        let d = import_spec(&p, &spec).unwrap();
        assert_eq!(texts(&d), vec!["T1", "T2"]);
        assert_eq!(d.rows[0].text_pair.as_deref(), Some("10"));
        assert_eq!(labels(&d), vec![vec!["a", "b", "true"], vec!["c", "false"]]);
        assert_eq!(d.report.problems[0].row, 2);

        let spec = ImportSpec { target: Target::Score("score".into()), ..ImportSpec::text_only(layout, "text") };
        let d = import_spec(&p, &spec).unwrap();
        assert_eq!(d.rows.iter().map(|r| r.score).collect::<Vec<_>>(), vec![Some(0.5), None]);

        let bytes = std::fs::read(&p).unwrap();
        let mem = import_bytes("d.parquet", &bytes, &spec, &mut |_| {}, &CancelToken::new()).unwrap();
        assert_eq!(mem.rows, d.rows);
        assert_eq!(sniff_bytes("d.parquet", &bytes, 5).unwrap().columns, columns);
    }

    #[test]
    fn an_unsupported_column_type_names_the_column_and_type() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.parquet");
        write_file(&p);
        let layout = sniff(&p, 1).unwrap().layout;
        for (column, type_name) in [("blob", "binary"), ("meta.stamp", "timestamp")] {
            let err = import_spec(&p, &ImportSpec::text_only(layout, column)).unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, ImportError::UnsupportedColumnType { .. }), "{msg}");
            assert!(msg.contains(&format!("\"{column}\"")) && msg.contains(type_name), "{msg}");
        }
        let err = import_spec(&p, &ImportSpec::text_only(layout, "nope")).unwrap_err();
        assert!(err.to_string().contains("\"meta.title\""), "{err}");
    }

    #[test]
    fn a_broken_parquet_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "bad.parquet", b"PAR1 this is not really parquet PAR1");
        let err = sniff(&p, 5).unwrap_err();
        assert!(matches!(err, ImportError::Parquet { .. }), "{err}");
    }
}

// ---------------------------------------------------------------- real datasets

/// A file under ../shared/data, or None (skipped) where the data is not present; under CI a
/// missing file fails the test.
fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")).join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("the dataset {} is missing; CI needs ../shared/data (see its README.md)", p.display());
    }
    eprintln!("skipping: {} is not here", p.display());
    None
}

fn counts<'a>(values: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for v in values {
        *out.entry(v.to_string()).or_insert(0) += 1;
    }
    out
}

fn label_counts(d: &Imported) -> BTreeMap<String, usize> {
    counts(d.rows.iter().map(|r| r.labels[0].as_str()))
}

fn assert_clean(d: &Imported) {
    assert!(d.report.problems.is_empty(), "{:?}", &d.report.problems[..d.report.problems.len().min(5)]);
    assert!(d.rows.iter().all(|r| r.labels.len() == 1 && !r.text.is_empty()));
}

#[test]
fn sst2_reads_glue_tsv_without_quoting() {
    let Some(train) = shared("sst2/train.tsv") else { return };
    let s = sniff(&train, 5).unwrap();
    assert_eq!(s.layout.format, Format::Delimited { delimiter: b'\t', quoting: false });
    assert!(s.layout.has_header);
    assert_eq!(s.columns, vec!["sentence", "label"]);
    let d = import_spec(&train, &s.suggest_spec()).unwrap();
    assert_clean(&d);
    assert_eq!(d.rows.len(), 67_349);
    let c = label_counts(&d);
    assert_eq!((c["1"], c["0"]), (37_569, 29_780));
    assert_eq!(d.source.sha256, "48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1");
    let Some(dev) = shared("sst2/dev.tsv") else { return };
    let d = auto(&dev).unwrap();
    assert_clean(&d);
    assert_eq!(d.rows.len(), 872);
    let c = label_counts(&d);
    assert_eq!((c["1"], c["0"]), (444, 428));
}

#[test]
fn ag_news_headerless_quoted_csv() {
    let Some(p) = shared("ag_news/test.csv") else { return };
    let s = sniff(&p, 5).unwrap();
    assert_eq!(s.layout.format, Format::Delimited { delimiter: b',', quoting: true });
    assert!(!s.layout.has_header);
    assert_eq!(s.columns, vec!["column_1", "column_2", "column_3"]);
    let spec = s.suggest_spec();
    assert_eq!(spec.text, ColumnRef::Name("column_3".into()));
    assert_eq!(spec.target, Target::Labels { columns: vec!["column_1".into()], separator: None });
    let spec = ImportSpec { text: "column_2".into(), text_pair: Some("column_3".into()), ..spec };
    let d = import_spec(&p, &spec).unwrap();
    assert_clean(&d);
    assert_eq!(d.rows.len(), 7_600);
    assert!(label_counts(&d).values().all(|&n| n == 1_900));
    assert_eq!(
        d.rows[1].text,
        "The Race is On: Second Private Team Sets Launch Date for Human Spaceflight (SPACE.com)"
    );
    assert!(d.rows[1].text_pair.as_deref().unwrap().contains("A second\\team of rocketeers"));
    assert_eq!(d.source.sha256, "521465c2428ed7f02f8d6db6ffdd4b5447c1c701962353eb2c40d548c3c85699");
    let Some(p) = shared("ag_news/train_subset_alps10k.tsv") else { return };
    let d = auto(&p).unwrap();
    assert_clean(&d);
    assert_eq!(d.rows.len(), 10_001);
    let c = label_counts(&d);
    assert_eq!((c["World"], c["Sports"], c["Business"], c["Sci/Tech"]), (2_509, 2_458, 2_496, 2_538));
}

#[test]
fn sms_spam_tab_separated_without_header_or_extension() {
    let Some(p) = shared("sms_spam/SMSSpamCollection") else { return };
    let s = sniff(&p, 5).unwrap();
    assert_eq!(s.layout.format, Format::Delimited { delimiter: b'\t', quoting: false });
    assert!(!s.layout.has_header);
    let spec = s.suggest_spec();
    assert_eq!(
        (spec.text.clone(), spec.target.clone()),
        ("column_2".into(), Target::Labels { columns: vec!["column_1".into()], separator: None })
    );
    let d = import_spec(&p, &spec).unwrap();
    assert_clean(&d);
    assert_eq!(d.rows.len(), 5_574);
    let c = label_counts(&d);
    assert_eq!((c["ham"], c["spam"]), (4_827, 747));
    assert!(d.rows[0].text.starts_with("Go until jurong point"));
    assert_eq!(d.source.sha256, "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d");
}

#[test]
fn banking77_csv_with_header() {
    for (file, rows) in [("banking77/train.csv", 10_003), ("banking77/test.csv", 3_080)] {
        let Some(p) = shared(file) else { return };
        let s = sniff(&p, 5).unwrap();
        assert!(s.layout.has_header);
        assert_eq!(s.columns, vec!["text", "category"]);
        let d = auto(&p).unwrap();
        assert_clean(&d);
        assert_eq!(d.rows.len(), rows, "{file}");
        assert_eq!(label_counts(&d).len(), 77, "{file}");
    }
}

#[test]
fn conll2003_and_wnut17_sentences_and_tokens() {
    let files = [
        ("conll2003/train.txt", 14_041, 203_621),
        ("conll2003/valid.txt", 3_250, 51_362),
        ("conll2003/test.txt", 3_453, 46_435),
        ("wnut17/wnut17train.conll", 3_394, 62_730),
        // The README counts 15,734 non-empty lines; one of them (16742) holds only a stray U+FEFF,
        // which is stripped, so 15,733 tagged tokens remain.
        ("wnut17/emerging.dev.conll", 1_009, 15_733),
        ("wnut17/emerging.test.annotated", 1_287, 23_394),
    ];
    for (file, sentences, tokens) in files {
        let Some(p) = shared(file) else { return };
        let s = sniff(&p, 3).unwrap();
        assert_eq!(s.layout.format, Format::Conll, "{file}");
        let d = auto(&p).unwrap();
        assert!(d.report.problems.is_empty(), "{file}: {:?}", d.report.problems);
        assert_eq!(d.rows.len(), sentences, "{file}");
        let n: usize = d.rows.iter().map(|r| r.tokens.as_ref().unwrap().len()).sum();
        assert_eq!(n, tokens, "{file}");
        assert!(d.rows.iter().all(|r| r
            .tags
            .as_ref()
            .unwrap()
            .iter()
            .all(|t| t == "O" || t.starts_with("B-") || t.starts_with("I-"))));
        assert!(d.rows.iter().flat_map(|r| r.tokens.as_ref().unwrap()).all(|t| !t.contains('\u{feff}')));
        // The files are IOB2, except one tag of WNUT-17's dev file (line 1674, "Turn", an
        // I-creative-work right after I-person), which now begins its entity.
        let expected_conversions = usize::from(file == "wnut17/emerging.dev.conll");
        assert_eq!(d.report.converted_tags, expected_conversions, "{file}");
    }
}

#[test]
fn conll_files_in_iob1_and_bioes_are_imported_as_iob2() {
    let dir = tempfile::tempdir().unwrap();
    let iob1 = "John I-PER\nSmith I-PER\nvisited O\nNew I-LOC\nYork I-LOC\nParis B-LOC\n\nAcme I-ORG\n";
    let d = auto(&write(&dir, "iob1.conll", iob1)).unwrap();
    let tags = |d: &attune::data::import::Imported, i: usize| d.rows[i].tags.clone().unwrap().join(" ");
    assert_eq!(tags(&d, 0), "B-PER I-PER O B-LOC I-LOC B-LOC");
    assert_eq!(tags(&d, 1), "B-ORG");
    assert_eq!(d.report.converted_tags, 3);
    let bioes = "Angela S-PER\nmet O\nthe O\nUnited B-ORG\nNations E-ORG\n";
    let d = auto(&write(&dir, "bioes.conll", bioes)).unwrap();
    assert_eq!(tags(&d, 0), "B-PER O O B-ORG I-ORG");
    assert_eq!(d.report.converted_tags, 2);
}

#[test]
fn jsonl_entity_spans_become_words_with_iob2_tags() {
    let dir = tempfile::tempdir().unwrap();
    let body = concat!(
        "{\"text\": \"Zoë moved to New York City.\", \"spans\": [{\"start\": 0, \"end\": 3, \"label\": \"PER\"}, {\"start\": 13, \"end\": 26, \"label\": \"LOC\"}]}\n",
        "{\"text\": \"Acme hired Bob\", \"spans\": [[0, 4, \"ORG\"], [11, 14, \"PER\"]]}\n",
        "{\"text\": \"nothing here\", \"spans\": []}\n",
        "{\"text\": \"bad span\", \"spans\": [[0, 40, \"PER\"]]}\n",
    );
    let p = write(&dir, "entities.jsonl", body);
    let s = sniff(&p, 5).unwrap();
    assert_eq!(s.suggest_spec().target, Target::Spans("spans".into()), "a spans field is detected");
    let d = auto(&p).unwrap();
    assert_eq!(d.rows.len(), 3);
    assert_eq!(d.rows[0].tokens.as_deref().unwrap(), ["Zoë", "moved", "to", "New", "York", "City", "."]);
    assert_eq!(d.rows[0].tags.as_deref().unwrap(), ["B-PER", "O", "O", "B-LOC", "I-LOC", "I-LOC", "O"]);
    assert_eq!(d.rows[1].tags.as_deref().unwrap(), ["B-ORG", "O", "B-PER"]);
    assert_eq!(d.rows[2].tags.as_deref().unwrap(), ["O", "O"]);
    let problem = &d.report.problems[0];
    assert_eq!((problem.row, problem.line), (3, Some(4)));
    assert!(problem.message.contains("beyond the text"), "{problem:?}");

    // Training data and projects of tagged sentences take it like a CoNLL file.
    assert!(attune::data::is_tagged_file(&p));
    let tagged = attune::data::read_tagged(&p, None).unwrap();
    assert_eq!(tagged.len(), 3);
    assert_eq!(tagged.left_out.len(), 1);
    assert_eq!(tagged.tag_set(), ["O", "B-LOC", "B-ORG", "B-PER", "I-LOC"]);

    // Spans need JSON Lines.
    let csv = write(&dir, "spans.csv", "text,spans\nhello,x\n");
    let mut spec = sniff(&csv, 5).unwrap().suggest_spec();
    spec.target = Target::Spans("spans".into());
    let err = import_spec(&csv, &spec).unwrap_err().to_string();
    assert!(err.contains("not JSON Lines"), "{err}");
}

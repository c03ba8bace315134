//! Times the importer on one file and prints JSON: rows, seconds, rows per second, peak RSS, and
//! the time to filter the imported texts by a substring (a plain scan over a `Vec<String>`).
//!
//! `cargo run --release --example import_bench -- FILE [--text COL] [--pair COL] [--label COL] [--find WORD]`
//! Without column options the sniffer's suggestion is used. `scripts/bench/import_vs_pandas.py`
//! runs it against `pandas.read_csv` on the same file.

use std::path::PathBuf;
use std::time::Instant;

use attune::data::import::{import, sniff, ColumnRef, Target};
use attune::jobs::CancelToken;

// The same allocator as the app binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut file: Option<PathBuf> = None;
    let (mut text, mut pair, mut label, mut find) = (None, None, None, "oil".to_string());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--text" => text = args.next(),
            "--pair" => pair = args.next(),
            "--label" => label = args.next(),
            "--find" => find = args.next().unwrap_or(find),
            _ => file = Some(PathBuf::from(arg)),
        }
    }
    let file =
        file.ok_or_else(|| anyhow::anyhow!("usage: import_bench FILE [--text COL] [--pair COL] [--label COL]"))?;

    let start = Instant::now();
    let mut spec = sniff(&file, 5)?.suggest_spec();
    if let Some(t) = text {
        spec.text = ColumnRef::Name(t);
    }
    if let Some(p) = pair {
        spec.text_pair = Some(ColumnRef::Name(p));
    }
    if let Some(l) = label {
        spec.target = Target::Labels { columns: vec![ColumnRef::Name(l)], separator: None };
    }
    let imported = import(&file, &spec, &mut |_| {}, &CancelToken::new())?;
    let seconds = start.elapsed().as_secs_f64();
    let rows = imported.rows.len();
    let problems = imported.report.problems.len();

    let texts: Vec<String> = imported.rows.into_iter().map(|r| r.text).collect();
    let t = Instant::now();
    let finder = memchr::memmem::Finder::new(find.as_bytes());
    let memmem_matches = texts.iter().filter(|s| finder.find(s.as_bytes()).is_some()).count();
    let memmem_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let contains_matches = texts.iter().filter(|s| s.contains(find.as_str())).count();
    let contains_ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(memmem_matches, contains_matches);

    println!(
        "{}",
        serde_json::json!({
            "rows": rows,
            "problems": problems,
            "seconds": seconds,
            "rows_per_s": rows as f64 / seconds,
            "peak_rss_mb": peak_rss_mb(),
            "filter": { "needle": find, "texts": texts.len(), "matches": memmem_matches,
                        "memmem_ms": memmem_ms, "contains_ms": contains_ms },
        })
    );
    Ok(())
}

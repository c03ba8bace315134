//! Project scale: a 1,000,000-example project made from AG News rows (repeated), timed to
//! create, to open, and to filter by substring (first query builds the lowercase index) and by
//! regular expression. Prints JSON.
//!
//! Run: `cargo run --release --example project_bench [-- PATH_TO_AG_NEWS_TEST_CSV]`

use std::collections::BTreeMap;
use std::time::Instant;

use attune::project::{Example, Filter, LabelDef, Project, ProjectMeta, SortOrder, Split, State, Task, TextQuery};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let source = std::env::args().nth(1).unwrap_or_else(|| "../shared/data/ag_news/test.csv".into());
    let text = std::fs::read_to_string(&source).unwrap_or_else(|e| panic!("cannot read {source}: {e}"));
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    let base: Vec<(String, String)> = reader
        .records()
        .filter_map(Result::ok)
        .map(|r| {
            (r.get(0).unwrap_or("1").to_string(), format!("{} {}", r.get(1).unwrap_or(""), r.get(2).unwrap_or("")))
        })
        .collect();
    let rows = 1_000_000;
    let examples: Vec<Example> = (0..rows)
        .map(|i| Example { source_row: Some(i), text: base[i % base.len()].1.clone(), ..Example::default() })
        .collect();
    let names = ["1", "2", "3", "4"];
    let annotations = (0..rows)
        .map(|i| {
            let label = base[i % base.len()].0.clone();
            (
                i,
                attune::project::Annotation {
                    labels: vec![label],
                    source: attune::project::LabelSource::Imported,
                    by: "import".into(),
                    at_ms: 0,
                },
            )
        })
        .collect::<BTreeMap<_, _>>();
    let state = State {
        label_defs: names.iter().map(|n| LabelDef { name: n.to_string(), colour: [0, 0, 0], hotkey: None }).collect(),
        annotations,
        splits: vec![Split::Train; rows],
        ..State::default()
    };
    let meta = ProjectMeta {
        format_version: 1,
        name: "bench".into(),
        created_ms: 0,
        task: Task::SingleLabel,
        sources: vec![],
        split_seed: 1,
        model: None,
        run: None,
    };
    let dir = std::env::temp_dir().join(format!("attune-project-bench-{}", std::process::id()));
    let t = Instant::now();
    drop(Project::create(&dir, meta, examples, state).expect("create"));
    let create_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut project = Project::open(&dir).expect("open");
    let open_s = t.elapsed().as_secs_f64();
    let mut time_query = |filter: Filter| {
        let t = Instant::now();
        let n = project.query(&filter, SortOrder::Row).expect("query").len();
        (t.elapsed().as_secs_f64() * 1e3, n)
    };
    let substring = || Filter { text: Some(TextQuery::Substring("Stocks".into())), ..Filter::default() };
    let (first_ms, hits) = time_query(substring());
    let (again_ms, _) = time_query(substring());
    let (other_ms, other_hits) =
        time_query(Filter { text: Some(TextQuery::Substring("oil prices".into())), ..Filter::default() });
    let (regex_ms, regex_hits) =
        time_query(Filter { text: Some(TextQuery::Regex(r"\bwall st\b".into())), ..Filter::default() });
    let (label_ms, _) = time_query(Filter { label: Some("3".into()), ..Filter::default() });
    let size: u64 = std::fs::read_dir(&dir)
        .map(|d| d.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0);
    println!(
        "{}",
        serde_json::json!({
            "examples": rows,
            "project_bytes": size,
            "create_s": create_s,
            "open_s": open_s,
            "substring_first_ms": first_ms,
            "substring_ms": again_ms,
            "substring_hits": hits,
            "substring_other_ms": other_ms,
            "substring_other_hits": other_hits,
            "regex_ms": regex_ms,
            "regex_hits": regex_hits,
            "label_filter_ms": label_ms,
        })
    );
    let _ = std::fs::remove_dir_all(&dir);
}

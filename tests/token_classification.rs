//! Token classification (named entities): a tiny model learns a tagging rule that needs the
//! previous word from generated CoNLL files, through the CLI (task detected from the file) and
//! through a project; the saved folder is a `BertForTokenClassification`; `eval --json` prints
//! the entity measures the core computes; `predict` finds entities in typed text; the commands
//! for text classifiers say what to do with a token model. One real run on CoNLL-2003.

mod common;

use common::{attune, ok, s};

use attune::data::read_tagged;
use attune::model::synthetic::write_tiny_model;
use attune::model::{Family, LoadOptions, SequenceClassifier, TokenClassifier};
use attune::train::{evaluate_tagged, EntityMetrics};

/// Equal up to the last digit (serde_json's default parser may round the last bit).
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12
}

fn json_of(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn a_tagging_rule_is_learned_and_measured_as_seqeval_does() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("tiny");
    write_tiny_model(&model, Family::Bert, &common::WORDS, 1).unwrap();
    let (train, valid) = (tmp.path().join("train.conll"), tmp.path().join("valid.conll"));
    common::write_tagged_conll(&train, 500, 1);
    common::write_tagged_conll(&valid, 120, 2);
    let run = tmp.path().join("run");
    let out = ok(attune(&[
        "train",
        "--model",
        &s(&model),
        "--train",
        &s(&train),
        "--valid",
        &s(&valid),
        "--out",
        &s(&run),
        "--epochs",
        "8",
        "--lr",
        "3e-3",
        "--max-len",
        "32",
    ]));
    assert!(out.contains("best validation entity F1"), "{out}");

    // The folder is what transformers' AutoModelForTokenClassification reads.
    let config = json_of(&std::fs::read_to_string(run.join("config.json")).unwrap());
    assert_eq!(config["architectures"][0], "BertForTokenClassification");
    assert_eq!(config["id2label"]["0"], "O");
    let info = json_of(&std::fs::read_to_string(run.join("run.json")).unwrap());
    assert_eq!(info["task"], "token-classification");
    assert_eq!(info["labels"], serde_json::json!(["O", "B-LOC", "B-PER", "I-LOC"]));
    let best = info["best"]["entity_micro_f1"].as_f64().unwrap();
    assert!(best >= 0.95, "the rule is learned: best validation entity F1 {best}");

    // eval --json prints the core's entity measures.
    let loaded = TokenClassifier::load(&run, &LoadOptions { max_len: 32, ..LoadOptions::default() }).unwrap();
    let data = read_tagged(&valid, None).unwrap();
    let core = evaluate_tagged(&loaded, &data, 16).unwrap();
    assert_eq!(core.metrics, EntityMetrics::compute(&data.tags, &core.predicted));
    let printed =
        json_of(&ok(attune(&["eval", "--model", &s(&run), "--data", &s(&valid), "--max-len", "32", "--json"])));
    assert!(same(printed["entity_micro_f1"].as_f64().unwrap(), core.metrics.micro.f1), "{printed}");
    assert!(same(printed["entity_macro_f1"].as_f64().unwrap(), core.metrics.macro_avg.f1), "{printed}");
    for kind in ["PER", "LOC"] {
        let ours = &core.metrics.per_type[kind];
        let row = &printed["per_type"][kind];
        assert!(same(row["f1"].as_f64().unwrap(), ours.f1), "{kind}: {row}");
        assert!(same(row["precision"].as_f64().unwrap(), ours.precision), "{kind}: {row}");
        assert!(same(row["recall"].as_f64().unwrap(), ours.recall), "{kind}: {row}");
        assert_eq!(row["support"].as_u64().unwrap() as usize, ours.support, "{kind}");
    }
    assert!(printed["token_accuracy"].as_f64().unwrap() > 0.95, "{printed}");

    // predict finds the entities of typed text, punctuation split off.
    let line = ok(attune(&["predict", "--model", &s(&run), "--json", "echo alpha saw charlie delta, golf."]));
    let found = json_of(line.trim());
    assert_eq!(found["words"], serde_json::json!(["echo", "alpha", "saw", "charlie", "delta", ",", "golf", "."]));
    let entities: Vec<(String, String)> = found["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["type"].as_str().unwrap().to_string(), e["text"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(entities, [("PER".to_string(), "alpha".to_string()), ("LOC".to_string(), "charlie delta".to_string())]);

    // Why "delta" is inside a place: "charlie" before it weighs most (integrated gradients, whose
    // attributions add up to the score change).
    let why = json_of(&ok(attune(&[
        "explain",
        "--model",
        &s(&run),
        "--word",
        "4",
        "--json",
        "echo alpha saw charlie delta",
    ])));
    assert_eq!(why["predicted"], "I-LOC", "{why}");
    let weight = |w: &str| {
        why["words"].as_array().unwrap().iter().find(|x| x["word"] == w).unwrap()["attribution"].as_f64().unwrap()
    };
    for other in ["echo", "alpha", "saw"] {
        assert!(weight("charlie") > weight(other).abs(), "charlie outweighs {other}: {why}");
    }
    let c = &why["completeness"];
    let gap = (c["sum_attributions"].as_f64().unwrap() - c["score_delta"].as_f64().unwrap()).abs()
        / c["score_delta"].as_f64().unwrap().abs();
    assert!(gap < 0.05, "attributions add up: {c}");
    let err = attune(&["explain", "--model", &s(&run), "echo alpha"]);
    assert!(String::from_utf8_lossy(&err.stderr).contains("--word N (the words are 0:echo 1:alpha)"));
    let err = attune(&["explain", "--model", &s(&run), "--word", "1", "--method", "occlusion", "echo alpha"]);
    assert!(String::from_utf8_lossy(&err.stderr).contains("integrated gradients or gradient × input"));

    // Text-classifier paths say what this model is instead of failing obscurely.
    let err = SequenceClassifier::load(&run, &LoadOptions::default()).err().unwrap().to_string();
    assert!(err.contains("tags each word"), "{err}");

    // A quantized GGUF export tags as the run does, verified by entity F1 on the given sentences;
    // predict and eval take the file.
    let gguf = tmp.path().join("tags-q8_0.gguf");
    let report = json_of(&ok(attune(&[
        "export",
        "--model",
        &s(&run),
        "--format",
        "gguf",
        "--quant",
        "q8_0",
        "--out",
        &s(&gguf),
        "--verify-data",
        &s(&valid),
        "--max-len",
        "32",
        "--json",
    ])));
    let (f1, base_f1) = (report["entity_f1"].as_f64().unwrap(), report["base_entity_f1"].as_f64().unwrap());
    assert!(same(base_f1, core.metrics.micro.f1), "the run is measured as eval measures it: {report}");
    assert!((f1 - base_f1).abs() <= 0.02, "entity F1 {f1} after export, {base_f1} before: {report}");
    assert_eq!(report["examples"], 120);
    assert!(report["size_bytes"].as_u64().unwrap() < report["base_size_bytes"].as_u64().unwrap());
    let from_file = ok(attune(&["predict", "--model", &s(&gguf), "--json", "echo alpha saw charlie delta, golf."]));
    let spans = |v: &serde_json::Value| -> Vec<(String, String, u64)> {
        v["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["type"].to_string(), e["text"].to_string(), e["start_word"].as_u64().unwrap()))
            .collect()
    };
    assert_eq!(spans(&json_of(from_file.trim())), spans(&found), "the export finds the same entities");
    let printed =
        json_of(&ok(attune(&["eval", "--model", &s(&gguf), "--data", &s(&valid), "--max-len", "32", "--json"])));
    assert!(same(printed["entity_micro_f1"].as_f64().unwrap(), f1), "{printed}");
    // A Hugging Face folder export is a token classifier too.
    let folder = tmp.path().join("tags-hf");
    ok(attune(&["export", "--model", &s(&run), "--format", "safetensors", "--quant", "f16", "--out", &s(&folder)]));
    let config = json_of(&std::fs::read_to_string(folder.join("config.json")).unwrap());
    assert_eq!(config["architectures"][0], "BertForTokenClassification");
}

#[test]
fn a_project_of_tagged_sentences_trains_a_token_classifier() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("tiny");
    write_tiny_model(&model, Family::Bert, &common::WORDS, 2).unwrap();
    let data = tmp.path().join("data.conll");
    common::write_tagged_conll(&data, 400, 3);
    let dir = tmp.path().join("project");
    ok(attune(&["project", "new", &s(&dir), "--data", &s(&data)]));
    let out = ok(attune(&[
        "train",
        "--project",
        &s(&dir),
        "--model",
        &s(&model),
        "--epochs",
        "8",
        "--lr",
        "3e-3",
        "--max-len",
        "32",
    ]));
    assert!(out.contains("this run is now the project's model"), "{out}");
    let meta = json_of(&std::fs::read_to_string(dir.join("project.json")).unwrap());
    let run = dir.join("runs").join(meta["run"].as_str().unwrap());
    let info = json_of(&std::fs::read_to_string(run.join("run.json")).unwrap());
    assert_eq!(info["task"], "token-classification");
    let f1 = info["best"]["entity_micro_f1"].as_f64().unwrap();
    assert!(f1 >= 0.9, "validation split entity F1 {f1}");

    // Its tags on sentences of the same kind that have none yet: listed where it disagrees, and
    // accepted above a confidence (recorded as accepted from the run); imported entities are kept.
    let untagged = tmp.path().join("untagged.conll");
    common::write_tagged_conll(&untagged, 150, 4);
    let plain: String = std::fs::read_to_string(&untagged)
        .unwrap()
        .lines()
        .map(|l| match l.split_once(' ') {
            Some((word, _)) if !l.starts_with("-DOCSTART-") => format!("{word} O\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    std::fs::write(&untagged, plain).unwrap();
    let dir2 = tmp.path().join("project2");
    ok(attune(&["project", "new", &s(&dir2), "--data", &s(&untagged)]));
    ok(attune(&["project", "labels", &s(&dir2), "--add", "PER", "--add", "LOC"]));
    let listed = json_of(&ok(attune(&["suggest", "--project", &s(&dir2), "--run", &s(&run), "--json"])));
    let disagreeing = listed["disagreeing"].as_u64().unwrap();
    assert!(disagreeing > 50, "the model finds entities in most untagged sentences: {listed}");
    let first_tags = listed["suggestions"][0]["tags"].as_array().unwrap();
    assert!(first_tags.iter().all(|t| t == "O" || t.as_str().unwrap().contains('-')), "{listed}");
    let accepted = json_of(&ok(attune(&[
        "suggest",
        "--project",
        &s(&dir2),
        "--run",
        &s(&run),
        "--accept-above",
        "0.5",
        "--json",
    ])));
    let n = accepted["accepted"].as_u64().unwrap();
    assert!(n > disagreeing / 2, "a model at entity F1 {f1} is sure of most: {n} of {disagreeing}");
    assert_eq!(accepted["disagreeing"].as_u64().unwrap(), disagreeing - n);
    let project = attune::project::Project::open(&dir2).unwrap();
    let row = (0..project.len()).find(|&r| project.tag_edit(r).is_some()).unwrap();
    let run_name = run.file_name().unwrap().to_str().unwrap();
    assert!(matches!(
        &project.tag_edit(row).unwrap().source,
        attune::project::LabelSource::AcceptedSuggestion { model, .. } if model == run_name
    ));
    let suggested = json_of(&std::fs::read_to_string(run.join("tag_suggestions.json")).unwrap());
    let mut expected: Vec<String> =
        suggested["tags"][row].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect();
    attune::data::import::to_iob2(&mut expected);
    assert_eq!(project.tags_of(row).unwrap(), expected, "the suggested tags, kept IOB2");
    // On its own project (imported entities), nothing with an entity is overwritten.
    let own = json_of(&ok(attune(&["suggest", "--project", &s(&dir), "--accept-above", "0.0", "--json"])));
    let own_project = attune::project::Project::open(&dir).unwrap();
    for r in (0..own_project.len()).filter(|&r| own_project.tag_edit(r).is_some()) {
        assert!(own_project.example(r).unwrap().tags.as_ref().unwrap().iter().all(|t| t == "O"), "{own}");
    }
    drop((project, own_project));

    // Asking for text classification on this project says why not.
    let err = attune(&["train", "--project", &s(&dir), "--model", &s(&model), "--task", "text-classification"]);
    assert!(
        String::from_utf8_lossy(&err.stderr).contains("a tag per word"),
        "{}",
        String::from_utf8_lossy(&err.stderr)
    );
    // And a token classifier needs a CoNLL file.
    let tsv = tmp.path().join("texts.tsv");
    common::write_rule_tsv(&tsv, 20, 1);
    let err = attune(&[
        "train",
        "--model",
        &s(&model),
        "--train",
        &s(&tsv),
        "--out",
        &s(&tmp.path().join("r")),
        "--task",
        "token-classification",
    ]);
    assert!(
        String::from_utf8_lossy(&err.stderr).contains("not a CoNLL/BIO file"),
        "{}",
        String::from_utf8_lossy(&err.stderr)
    );
}

/// all-MiniLM-L6-v2 on the first 1,000 sentences of CoNLL-2003 for 150 steps, measured on the
/// first 500 test sentences (the full run is in docs/performance.md).
#[test]
fn minilm_learns_conll2003_entities() {
    let (Some(_), Some(train), Some(test)) = (
        common::starter_model(),
        common::shared_data("conll2003/train.txt"),
        common::shared_data("conll2003/test.txt"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    ok(attune(&[
        "train",
        "--model",
        common::STARTER_ID,
        "--train",
        &s(&train),
        "--max-train-rows",
        "1000",
        "--epochs",
        "1",
        "--min-steps",
        "150",
        "--out",
        &s(&run),
    ]));
    let printed =
        json_of(&ok(attune(&["eval", "--model", &s(&run), "--data", &s(&test), "--max-rows", "500", "--json"])));
    let f1 = printed["entity_micro_f1"].as_f64().unwrap();
    eprintln!("CoNLL-2003 test (500 sentences) entity micro F1 after 150 steps: {f1:.4}");
    assert!(f1 >= 0.7, "entity micro F1 {f1}");
    for kind in ["PER", "LOC", "ORG", "MISC"] {
        assert!(printed["per_type"][kind]["support"].as_u64().unwrap() > 0, "{kind} is measured");
    }
}

#[test]
fn words_are_tagged_as_spans_kept_iob2_undone_and_trained_on() {
    use attune::project::{project_tagged_data, Project, Split};
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data.conll");
    std::fs::write(&data, "alpha B-PER\nsaw O\ncharlie B-LOC\ndelta I-LOC\n\ngolf O\ncharlie O\ndelta O\nhotel O\n\n")
        .unwrap();
    let dir = tmp.path().join("project");
    ok(attune(&["project", "new", &s(&dir), "--data", &s(&data)]));
    let mut project = Project::open(&dir).unwrap();
    let types: Vec<&str> = project.labels().iter().map(|d| d.name.as_str()).collect();
    assert_eq!(types, ["LOC", "PER"], "the label set of tagged sentences is their entity types");
    let tags = |p: &Project, row: usize| p.tags_of(row).unwrap().join(" ");

    // Clearing the first word of an entity leaves the rest as an entity that begins properly.
    project.tag_span(0, 2, 3, None).unwrap();
    assert_eq!(tags(&project, 0), "B-PER O O B-LOC");
    project.tag_span(0, 1, 4, Some("LOC")).unwrap();
    assert_eq!(tags(&project, 0), "B-PER B-LOC I-LOC I-LOC");
    assert!(project.tag_span(0, 0, 1, Some("ORG")).is_err(), "a type outside the label set is refused");
    assert!(project.tag_span(0, 3, 9, Some("LOC")).is_err(), "words beyond the sentence are refused");
    project.undo().unwrap();
    assert_eq!(tags(&project, 0), "B-PER O O B-LOC", "undo puts the tags back");

    // Every occurrence of a phrase, in one step (from the CLI).
    drop(project);
    // Sentences are found by the entity types of their tags as they stand (edits included).
    let of_type = |p: &mut Project, kind: Option<&str>, none: bool| {
        let filter = attune::project::Filter { label: kind.map(String::from), unlabeled: none, ..Default::default() };
        p.query(&filter, attune::project::SortOrder::Row).unwrap()
    };
    let mut project = Project::open(&dir).unwrap();
    assert_eq!(of_type(&mut project, Some("LOC"), false), vec![0]);
    assert_eq!(of_type(&mut project, Some("PER"), false), vec![0]);
    assert_eq!(of_type(&mut project, None, true), vec![1], "the sentence without entities");
    // With suggested tags, the sentences the model is least sure of come first.
    project.tag_suggestions = Some(attune::project::TagSuggestions {
        run: "run".into(),
        tags: vec![None, None],
        confidence: vec![0.9, 0.2],
        sentences_hash: 0,
    });
    let sorted = project.query(&Default::default(), attune::project::SortOrder::ConfidenceAscending).unwrap();
    assert_eq!(sorted, vec![1, 0]);
    drop(project);

    let out = ok(attune(&["project", "tag", &s(&dir), "--phrase", "charlie delta", "--type", "LOC"]));
    assert!(out.contains("tagged 2 occurrences"), "{out}");
    let mut project = Project::open(&dir).unwrap();
    assert_eq!(of_type(&mut project, Some("LOC"), false), vec![0, 1], "the new entity is found");
    assert_eq!(tags(&project, 0), "B-PER O B-LOC I-LOC");
    assert_eq!(tags(&project, 1), "O B-LOC I-LOC O");
    let phrase = vec!["charlie".to_string(), "delta".to_string()];
    project.tag_all_occurrences(&phrase, "PER").unwrap();
    assert_eq!(tags(&project, 1), "O B-PER I-PER O");
    project.undo().unwrap();
    assert_eq!(tags(&project, 1), "O B-LOC I-LOC O", "one undo for every occurrence");
    let out = ok(attune(&["project", "tag", &s(&dir), "--row", "1", "--words", "0..1", "--type", "PER"]));
    assert!(out.contains("B-PER B-LOC I-LOC O"), "{out}");
    let out = ok(attune(&["project", "tag", &s(&dir), "--row", "1", "--words", "0..1"]));
    assert!(out.contains("O B-LOC I-LOC O"), "{out}");

    // Edits survive reopening, reach training and the CoNLL export.
    drop(project);
    let mut project = Project::open(&dir).unwrap();
    assert_eq!(tags(&project, 1), "O B-LOC I-LOC O");
    assert!(project.tag_edit(1).is_some() && project.tag_edit(0).is_some());
    project.apply(attune::project::Op::SetSplit { rows: vec![0, 1], split: Split::Train }).unwrap();
    let (train, _) = project_tagged_data(&project).unwrap();
    assert!(train.tags.iter().any(|t| t.join(" ") == "O B-LOC I-LOC O"), "{:?}", train.tags);
    let exported = tmp.path().join("out.conll");
    ok(attune(&["project", "export", &s(&dir), "--format", "conll", "--out", &s(&exported)]));
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("golf\tO\ncharlie\tB-LOC\ndelta\tI-LOC\nhotel\tO\n"), "{text}");
}

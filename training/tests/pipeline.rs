//! The command line's steps chained on a real corpus sample, as `scripts/distill.sh` chains them:
//! two dictionary teachers label BC5CDR dev, `select` ranks their combinations, `merge` writes the
//! chosen combination's labels as predictions and as a training set, and `evaluate` scores them.

use std::path::Path;
use std::process::Command;

mod common;

fn run(args: &[&str], stdout_to: &Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_clinical-ner-train"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(stdout_to, output.stdout).unwrap();
}

#[test]
fn label_select_merge_evaluate() {
    let Some(data) = common::data_dir() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let path = |name: &str| work.path().join(name);
    let p = |name: &str| path(name).to_string_lossy().into_owned();
    let data = data.to_string_lossy().into_owned();
    let sample = [
        "--data-dir",
        &data,
        "--corpus",
        "bc5cdr-dev",
        "--limit",
        "30",
    ];
    for teacher in ["rxnorm", "drugbank"] {
        let report = p(&format!("{teacher}.report.json"));
        let mut args = vec![
            "label",
            "--teacher",
            teacher,
            "--types",
            "medication",
            "--report",
            &report,
        ];
        args.extend(sample);
        run(&args, &path(&format!("{teacher}.jsonl")));
    }
    // The speed select's time budget reads (`teachers::seconds_per_note`).
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path("rxnorm.report.json")).unwrap())
            .unwrap();
    assert!(
        report["seconds_per_note"].as_f64().unwrap() > 0.0,
        "{report}"
    );
    let (rxnorm, drugbank) = (
        format!("rxnorm={}", p("rxnorm.jsonl")),
        format!("drugbank={}", p("drugbank.jsonl")),
    );
    let selection = p("selection.json");
    let mut args = vec![
        "select",
        "--task",
        "medication",
        "--teacher",
        &rxnorm,
        "--teacher",
        &drugbank,
        "--json",
        &selection,
        "--max-seconds-per-note",
        "60",
    ];
    args.extend(sample);
    run(&args, &path("ranking.md"));
    let ranking = std::fs::read_to_string(path("ranking.md")).unwrap();
    // 2 singles + 1 pair under 3 rules.
    assert_eq!(
        ranking.lines().filter(|l| l.starts_with("| ")).count(),
        1 + 5,
        "{ranking}"
    );

    let chosen: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&selection).unwrap()).unwrap();
    let best_token_f1 = chosen["ranking"][0]["scores"]["token"]["f1"]
        .as_f64()
        .unwrap();
    assert!(best_token_f1 > 0.5, "{best_token_f1}");

    let merge = |output: &str, out: &str| {
        let mut args = vec!["merge", "--selection", &selection, "--output", output];
        args.extend(["--teacher", &rxnorm, "--teacher", &drugbank]);
        args.extend(sample);
        run(&args, &path(out));
    };
    merge("predictions", "merged.jsonl");
    let scores = p("scores.json");
    let merged = p("merged.jsonl");
    let mut args = vec!["evaluate", "--predictions", &merged, "--json", &scores];
    args.extend(sample);
    run(&args, &path("scores.md"));
    // The merged predictions score what select said the chosen combination scores.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&scores).unwrap()).unwrap();
    let medication = report["per_type"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["entity_type"] == "medication")
        .unwrap();
    assert!((medication["token"]["f1"].as_f64().unwrap() - best_token_f1).abs() < 1e-9);

    merge("dataset", "dataset.jsonl");
    let dataset = std::fs::read_to_string(path("dataset.jsonl")).unwrap();
    assert_eq!(dataset.lines().count(), 30);
    let first: serde_json::Value = serde_json::from_str(dataset.lines().next().unwrap()).unwrap();
    assert_eq!(
        first["words"].as_array().unwrap().len(),
        first["tags"].as_array().unwrap().len()
    );
}

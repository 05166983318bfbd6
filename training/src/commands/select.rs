//! `select`: every combination of teachers ranked on gold development data for one task, and the
//! choice within a time budget.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use clinical_ner_engine::EntityType;
use clinical_ner_training::readers;
use clinical_ner_training::selection::{self, Candidate, Chosen, Selection};

use super::{
    read_predictions, teacher_predictions, write_json, Documents, Outcome, TeacherPredictions,
};

/// Rank every combination of teachers for one entity type on a gold development corpus:
/// every non-empty subset, merged by union, majority and the label model, best token F1 first.
#[derive(Args)]
pub struct SelectArgs {
    #[command(flatten)]
    documents: Documents,
    /// The entity type (task) to choose teachers for.
    #[arg(long)]
    task: EntityType,
    /// A teacher's `label` output on the same documents, as NAME=FILE; two or more.
    #[arg(long = "teacher", value_parser = teacher_predictions, required = true)]
    teachers: Vec<TeacherPredictions>,
    /// Write the ranking and the choice as JSON here (input of `merge --selection`).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Choose only among combinations whose teachers, run one after another, took at most this
    /// many seconds per document here (read from each FILE's `label --report`, FILE with
    /// .report.json for .jsonl). The best combination at any cost is still ranked and reported.
    #[arg(long)]
    max_seconds_per_note: Option<f64>,
}

pub fn select(args: SelectArgs) -> Outcome {
    let (task, teachers, max_seconds_per_note) =
        (args.task, &args.teachers, args.max_seconds_per_note);
    let corpus = args.documents.load()?;
    if !corpus.labelled_types.contains(&task) {
        return Err(format!("{} has no gold {task} labels to select by", corpus.name).into());
    }
    if teachers.len() > selection::MAX_TEACHERS {
        return Err(format!("at most {} teachers", selection::MAX_TEACHERS).into());
    }
    let predicted = read_predictions(teachers, &corpus)?;
    let speeds = teacher_speeds(teachers)?;
    if max_seconds_per_note.is_some() && speeds.iter().any(Option::is_none) {
        return Err(
            "--max-seconds-per-note needs each teacher's speed: a label --report beside its \
             predictions, from a run not answered wholly from the LLM cache"
                .into(),
        );
    }
    let cost = |names: &[String]| -> f64 {
        names
            .iter()
            .map(|n| {
                let t = teachers
                    .iter()
                    .position(|t| &t.name == n)
                    .expect("a ranked teacher");
                speeds[t].unwrap_or(0.0)
            })
            .sum()
    };
    let ranked = selection::rank(&corpus, &predicted, task);
    let affordable = |c: &Candidate| max_seconds_per_note.is_none_or(|m| cost(&c.teachers) <= m);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "| rank | teachers | merge | token P | token R | token F1 | strict F1 | lenient F1 | s/note |"
    )?;
    writeln!(out, "|---:|---|---|---:|---:|---:|---:|---:|---:|")?;
    for (rank, c) in ranked.iter().enumerate() {
        let s = &c.scores;
        writeln!(
            out,
            "| {} | {} | {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4}{} |",
            rank + 1,
            c.teachers.join(" + "),
            if c.teachers.len() == 1 {
                "–"
            } else {
                c.rule.as_str()
            },
            s.token.precision,
            s.token.recall,
            s.token.f1,
            s.strict.f1,
            s.lenient.f1,
            cost(&c.teachers),
            if affordable(c) { "" } else { " (over budget)" }
        )?;
    }
    let best = &ranked[0];
    let chosen = ranked
        .iter()
        .find(|c| affordable(c))
        .ok_or("no combination fits --max-seconds-per-note")?;
    eprintln!(
        "chosen for {task}: {} ({}), token F1 {:.4} on {}",
        chosen.teachers.join(" + "),
        chosen.rule.as_str(),
        chosen.scores.token.f1,
        corpus.name
    );
    if let Some(path) = &args.json {
        let as_chosen = |c: &Candidate| Chosen {
            teachers: c.teachers.clone(),
            rule: c.rule,
        };
        let ranking = ranked
            .iter()
            .map(|c| {
                let mut value = serde_json::to_value(c)?;
                value["seconds_per_note"] = cost(&c.teachers).into();
                value["within_budget"] = affordable(c).into();
                Ok(value)
            })
            .collect::<Result<_, serde_json::Error>>()?;
        let selection = Selection {
            task: task.as_str().to_owned(),
            corpus: corpus.name.clone(),
            chosen: as_chosen(chosen),
            best: as_chosen(best),
            max_seconds_per_note,
            ranking,
        };
        write_json(path, &selection)?;
    }
    Ok(())
}

/// Seconds per note of each teacher (`teachers::seconds_per_note`), from the `label --report` beside
/// its predictions; `None` without a report, or from a run whose replies all came from the cache.
fn teacher_speeds(
    teachers: &[TeacherPredictions],
) -> Result<Vec<Option<f64>>, Box<dyn std::error::Error>> {
    teachers
        .iter()
        .map(|t| {
            let report = t.path.with_extension("report.json");
            if !report.exists() {
                return Ok(None);
            }
            let figures: serde_json::Value = serde_json::from_str(&readers::read_text(&report)?)?;
            Ok(figures["seconds_per_note"].as_f64())
        })
        .collect()
}

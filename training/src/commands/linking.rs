//! The linking vocabulary: built from the open vocabularies, and scored on BC5CDR's MeSH ids and the
//! team's note linking gold set.

use std::path::{Path, PathBuf};

use clap::Args;
use clinical_ner_engine::linking::Vocabulary;
use clinical_ner_training::{link_eval, note_link_eval, vocabulary};

use super::{DataDir, Outcome};

/// Build the engine's linking vocabulary (index.bin, terms.tsv, manifest.json) from the open vocabularies in
/// the data folder; `clinical_ner.vocabulary_path` points the extension at it.
#[derive(Args)]
pub struct VocabularyArgs {
    #[command(flatten)]
    data: DataDir,
    /// Folder to write (created if missing).
    #[arg(long)]
    out: PathBuf,
}

/// Linking accuracy on BC5CDR's MeSH-coded gold mentions and on the note linking gold set, per
/// entity type and linking step; approximate-match thresholds compared on the development halves.
#[derive(Args)]
pub struct LinkEvalArgs {
    #[command(flatten)]
    data: DataDir,
    /// A vocabulary folder (from `vocabulary`); built from the data folder when absent.
    #[arg(long)]
    vocabulary: Option<PathBuf>,
    /// Also write the report as Markdown here.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

pub fn build_vocabulary(args: VocabularyArgs) -> Outcome {
    let (data_dir, out) = (&args.data.data_dir, &args.out);
    let (terms, manifest) = vocabulary::build(data_dir)?;
    vocabulary::write(out, &terms, &manifest)?;
    let counts: Vec<String> = manifest
        .term_counts
        .iter()
        .map(|(system, n)| format!("{system} {n}"))
        .collect();
    eprintln!(
        "{} terms ({}) in {}",
        terms.len(),
        counts.join(", "),
        out.display()
    );
    Ok(())
}

pub fn link_eval(args: LinkEvalArgs) -> Outcome {
    let data_dir: &Path = &args.data.data_dir;
    let (folder, markdown) = (args.vocabulary.as_deref(), args.markdown.as_deref());
    let started = std::time::Instant::now();
    let mut loaded = match folder {
        Some(folder) => Vocabulary::load(folder)?,
        None => Vocabulary::from_terms(vocabulary::build(data_dir)?.0),
    };
    let load_seconds = started.elapsed().as_secs_f64();
    let crosswalk = link_eval::Crosswalk::load(data_dir)?;
    let mut report = format!(
        "{} terms, loaded in {load_seconds:.2} s.\n\n",
        loaded.term_count()
    );
    let dev = link_eval::bc5cdr_mentions(data_dir, "dev")?;
    report += "Approximate-match threshold on bc5cdr-dev (above 1: no approximate step):\n\n| threshold | medication accuracy | medication precision | disease accuracy | disease precision |\n|---|---:|---:|---:|---:|\n";
    for threshold in [0.75, 0.80, 0.85, 0.90, 0.95, 1.01] {
        loaded = loaded.with_approximate_threshold(Some(threshold));
        let scores = link_eval::score(&loaded, &crosswalk, &dev);
        report += &format!(
            "| {threshold:.2} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            scores[0].accuracy, scores[0].precision, scores[1].accuracy, scores[1].precision
        );
    }
    loaded = loaded.with_approximate_threshold(None);
    for split in ["dev", "test"] {
        let mentions = link_eval::bc5cdr_mentions(data_dir, split)?;
        let scores = link_eval::score(&loaded, &crosswalk, &mentions);
        report += "\n";
        report += &link_eval::markdown(
            &format!("bc5cdr-{split}, the built-in thresholds (steps: correct/linked):"),
            &scores,
        );
        if split == "test" {
            for s in &scores {
                let wrong: Vec<String> =
                    s.wrong.iter().map(|(m, p)| format!("{m} → {p}")).collect();
                report += &format!(
                    "\nWrong {} links (first {}): {}\n",
                    s.entity_type,
                    wrong.len(),
                    wrong.join("; ")
                );
            }
        }
    }
    let gold = note_link_eval::gold_path();
    if gold.exists() {
        report += &notes_link_report(loaded, &note_link_eval::read(&gold)?);
    }
    print!("{report}");
    if let Some(path) = markdown {
        std::fs::write(path, &report)?;
    }
    Ok(())
}

/// The note linking gold set: the approximate step's threshold per type swept on the dev half (the
/// right share, and the approximate step's precision, of each), then both halves at the built-in
/// thresholds.
fn notes_link_report(mut loaded: Vocabulary, judged: &[note_link_eval::Judged]) -> String {
    let mut report = String::from(
        "\n## The note linking gold set\n\nApproximate-step threshold on the dev half (right share; approximate links right/linked):\n\n| threshold | medication | disease | symptom |\n|---|---|---|---|\n",
    );
    for threshold in [0.80, 0.85, 0.88, 0.90, 0.92, 0.95, 1.01] {
        loaded = loaded.with_approximate_threshold(Some(threshold));
        let scores = note_link_eval::score(&loaded, judged, "dev");
        let cells: Vec<String> = scores
            .iter()
            .map(|s| {
                let a = &s.steps["approximate"];
                format!("{:.3}; {}/{}", s.right_share, a.correct, a.linked)
            })
            .collect();
        report += &format!("| {threshold:.2} | {} |\n", cells.join(" | "));
    }
    loaded = loaded.with_approximate_threshold(None);
    for half in ["dev", "test"] {
        report += "\n";
        report += &note_link_eval::markdown(
            &format!("Note linking gold set, {half} half, the built-in thresholds:"),
            &note_link_eval::score(&loaded, judged, half),
        );
    }
    report
}

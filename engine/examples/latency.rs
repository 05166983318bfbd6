//! Per-note latency of the engine alone (no PostgreSQL), on real note-length text.
//!
//! ```sh
//! cargo run --release -p clinical_ner_engine --example latency -- \
//!     MODEL_FOLDER ORT_LIBRARY NOTES.csv.gz [COLUMN] [LIMIT] [THREADS]
//! ```
//! Reads the notes from a (gzipped) CSV column, extracts every note once to warm up, then again
//! timed, and prints the median and 95th percentile per note, notes/s and tokens/s.

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use clinical_ner_engine::{load_model, Device, RuntimeOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: latency MODEL_FOLDER ORT_LIBRARY NOTES.csv[.gz] [COLUMN=transcription] [LIMIT=200] [THREADS=0]");
        std::process::exit(2);
    }
    let column = args.get(3).map_or("transcription", String::as_str);
    let limit: usize = args
        .get(4)
        .map_or(200, |s| s.parse().expect("LIMIT is a number"));
    let threads: usize = args
        .get(5)
        .map_or(0, |s| s.parse().expect("THREADS is a number"));
    let notes = read_notes(&args[2], column, limit);

    let options = RuntimeOptions {
        library: PathBuf::from(&args[1]),
        device: Device::Cpu,
        intra_op_threads: threads,
    };
    let started = Instant::now();
    let mut extractor = load_model(&PathBuf::from(&args[0]), &options).expect("model loads");
    let load_ms = started.elapsed().as_secs_f64() * 1e3;

    let mut entities = 0;
    for note in &notes {
        entities += extractor.extract(note).expect("extraction").len();
    }
    let mut latencies_ms = Vec::with_capacity(notes.len());
    let timed = Instant::now();
    for note in &notes {
        let started = Instant::now();
        extractor.extract(note).expect("extraction");
        latencies_ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    let total_s = timed.elapsed().as_secs_f64();
    latencies_ms.sort_by(f64::total_cmp);
    let words: usize = notes.iter().map(|n| n.split_whitespace().count()).sum();
    println!(
        "model            {} {} ({} threads, cpu)",
        extractor.info().name,
        extractor.info().version,
        threads
    );
    println!("model load       {load_ms:.0} ms");
    println!(
        "notes            {} (median {} words)",
        notes.len(),
        median_words(&notes)
    );
    println!("entities         {entities}");
    println!(
        "latency p50      {:.1} ms/note",
        percentile(&latencies_ms, 0.50)
    );
    println!(
        "latency p95      {:.1} ms/note",
        percentile(&latencies_ms, 0.95)
    );
    println!(
        "throughput       {:.1} notes/s, {:.0} words/s",
        notes.len() as f64 / total_s,
        words as f64 / total_s
    );
}

fn read_notes(path: &str, column: &str, limit: usize) -> Vec<String> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
    let reader: Box<dyn Read> = if path.ends_with(".gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut csv = csv::Reader::from_reader(reader);
    let index = csv
        .headers()
        .expect("a header row")
        .iter()
        .position(|h| h == column)
        .expect("the column exists");
    csv.records()
        .map(|r| r.expect("a CSV record")[index].to_string())
        .filter(|note| !note.trim().is_empty())
        .take(limit)
        .collect()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn median_words(notes: &[String]) -> usize {
    let mut counts: Vec<usize> = notes.iter().map(|n| n.split_whitespace().count()).collect();
    counts.sort();
    counts[counts.len() / 2]
}

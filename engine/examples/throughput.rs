//! Throughput of the engine alone (no PostgreSQL) on real note-length text: one note per call, then
//! many notes per call, side by side in one run on the same notes and the same model.
//!
//! ```sh
//! cargo run --release -p clinical_ner_engine --example throughput -- \
//!     --model MODEL_FOLDER --ort-library LIBONNXRUNTIME --notes NOTES.csv.gz [--limit 500] \
//!     [--notes-per-call 1,64,256] [--batch-size 32] [--threads 0] [--device cpu] [--json] \
//!     [--entities-out FILE] [--compare-to FILE]
//! ```
//! `--entities-out` writes the one-note-per-call entities (JSON lines, one note each), and
//! `--compare-to` holds every configuration against such a file from another run: another device or
//! precision of the same model (bench/gpu.sh compares CUDA with the CPU's fp32 this way).
//! Every note is extracted once to warm up. Each configuration then extracts all notes, timed, and
//! is checked against the one-note-per-call output: the entities may differ only where int8
//! activations are quantised with a scale taken over the whole batch (see `docs/benchmarks.md`).
//! Latency per note is the time of the call that returned it. Processed tokens count every window
//! position the model computes, overlap included; compute figures use them.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use clinical_ner_engine::{load_model, Device, Entity, RuntimeOptions};
use serde_json::json;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    model: PathBuf,
    /// Absolute path of libonnxruntime.so.
    #[arg(long)]
    ort_library: PathBuf,
    /// CSV or CSV.gz with a header row.
    #[arg(long)]
    notes: PathBuf,
    #[arg(long, default_value = "transcription")]
    column: String,
    #[arg(long, default_value_t = 500)]
    limit: usize,
    /// Notes handed to one extract_many call, one configuration each.
    #[arg(long, value_delimiter = ',', default_value = "1,64,256")]
    notes_per_call: Vec<usize>,
    /// Windows per inference run, one configuration each; by default the engine's own choice.
    #[arg(long, value_delimiter = ',')]
    batch_size: Vec<usize>,
    /// ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    #[arg(long, value_parser = ["cpu", "cuda", "auto"], default_value = "cpu")]
    device: String,
    /// One JSON object per configuration instead of a table.
    #[arg(long)]
    json: bool,
    /// Write the one-note-per-call entities here.
    #[arg(long)]
    entities_out: Option<PathBuf>,
    /// Entities written by `--entities-out` in another run, to count the notes that differ from them.
    #[arg(long)]
    compare_to: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    let notes = read_notes(&args.notes, &args.column, args.limit);
    let options = RuntimeOptions {
        library: args.ort_library.clone(),
        device: args.device.parse::<Device>().expect("a device name"),
        intra_op_threads: args.threads,
    };
    let mut extractor = load_model(&args.model, &options).expect("the model loads");
    let token_counts: Vec<usize> = notes
        .iter()
        .map(|n| extractor.count_tokens(n).expect("tokenises"))
        .collect();
    let tokens: usize = token_counts.iter().sum();
    let processed_tokens: usize = token_counts
        .iter()
        .map(|&count| extractor.processed_tokens(count))
        .sum();
    let note_refs: Vec<&str> = notes.iter().map(String::as_str).collect();
    let clock_ghz = estimate_clock_ghz();

    let reference: Vec<Vec<Entity>> = note_refs
        .iter()
        .map(|n| extractor.extract(n).expect("extraction"))
        .collect();
    if let Some(path) = &args.entities_out {
        write_mentions(path, &reference);
    }
    let compared = args.compare_to.as_ref().map(|path| {
        let mentions = read_mentions(path);
        assert_eq!(
            mentions.len(),
            notes.len(),
            "{} holds another number of notes",
            path.display()
        );
        mentions
    });
    if !args.json {
        println!(
            "{} notes, {} tokens ({} processed with window overlap), model {} {} on {}, {} threads",
            notes.len(),
            tokens,
            processed_tokens,
            extractor.info().name,
            extractor.info().version,
            extractor.info().device,
            args.threads
        );
        println!(
            "{:>14} {:>10} {:>10} {:>11} {:>10} {:>10} {:>15}",
            "notes/call", "batch", "notes/s", "tokens/s", "p50 ms", "p95 ms", "notes differing"
        );
    }
    let batch_sizes = if args.batch_size.is_empty() {
        vec![extractor.batch_size()]
    } else {
        args.batch_size.clone()
    };
    for &batch_size in &batch_sizes {
        extractor.set_batch_size(batch_size);
        for &per_call in &args.notes_per_call {
            let mut latencies_ms = Vec::with_capacity(notes.len());
            let mut results = Vec::with_capacity(notes.len());
            let started = Instant::now();
            for chunk in note_refs.chunks(per_call.max(1)) {
                let call = Instant::now();
                results.extend(
                    extractor
                        .extract_many(chunk, &mut || {})
                        .expect("extraction"),
                );
                let ms = call.elapsed().as_secs_f64() * 1e3;
                latencies_ms.extend(std::iter::repeat_n(ms, chunk.len()));
            }
            let seconds = started.elapsed().as_secs_f64();
            latencies_ms.sort_by(f64::total_cmp);
            let differing = results
                .iter()
                .zip(&reference)
                .filter(|(a, b)| !same_mentions(a, b))
                .count();
            let mut figures = json!({
                "path": "engine",
                "notes_per_call": per_call,
                "batch_size": batch_size,
                "threads": args.threads,
                "device": extractor.info().device,
                "notes": notes.len(),
                "tokens": tokens,
                "processed_tokens": processed_tokens,
                "seconds": seconds,
                "notes_per_s": notes.len() as f64 / seconds,
                "tokens_per_s": tokens as f64 / seconds,
                "p50_ms": percentile(&latencies_ms, 0.50),
                "p95_ms": percentile(&latencies_ms, 0.95),
                "notes_differing_from_one_per_call": differing,
                "peak_rss_mb": peak_rss_mb(),
                "clock_ghz": clock_ghz,
            });
            if let Some(compared) = &compared {
                let ours: Vec<Vec<Mention>> = results.iter().map(|r| mentions(r)).collect();
                figures["notes_differing_from_compared"] =
                    json!(ours.iter().zip(compared).filter(|(a, b)| a != b).count());
                figures["mention_f1_against_compared"] = json!(mention_f1(&ours, compared));
            }
            if args.json {
                println!("{figures}");
            } else {
                println!(
                    "{:>14} {:>10} {:>10.1} {:>11.0} {:>10.1} {:>10.1} {:>15}",
                    per_call,
                    batch_size,
                    figures["notes_per_s"].as_f64().unwrap(),
                    figures["tokens_per_s"].as_f64().unwrap(),
                    figures["p50_ms"].as_f64().unwrap(),
                    figures["p95_ms"].as_f64().unwrap(),
                    differing
                );
            }
        }
    }
}

/// An entity's type and span: what two runs must agree on (scores may move in the last digits).
type Mention = (String, usize, usize);

fn mentions(entities: &[Entity]) -> Vec<Mention> {
    entities
        .iter()
        .map(|e| (e.entity_type.as_str().to_owned(), e.start, e.end))
        .collect()
}

fn same_mentions(a: &[Entity], b: &[Entity]) -> bool {
    mentions(a) == mentions(b)
}

/// Strict F1 of one run's mentions against another's, over all notes.
fn mention_f1(ours: &[Vec<Mention>], theirs: &[Vec<Mention>]) -> f64 {
    let (mut shared, mut total) = (0usize, 0usize);
    for (a, b) in ours.iter().zip(theirs) {
        shared += a.iter().filter(|m| b.contains(m)).count();
        total += a.len() + b.len();
    }
    if total == 0 {
        1.0
    } else {
        2.0 * shared as f64 / total as f64
    }
}

fn write_mentions(path: &PathBuf, notes: &[Vec<Entity>]) {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display())),
    );
    for entities in notes {
        serde_json::to_writer(&mut out, &mentions(entities)).expect("writes");
        writeln!(out).expect("writes");
    }
}

fn read_mentions(path: &PathBuf) -> Vec<Vec<Mention>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .map(|line| serde_json::from_str(line).expect("a line written by --entities-out"))
        .collect()
}

fn read_notes(path: &PathBuf, column: &str, limit: usize) -> Vec<String> {
    let file =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
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
        .unwrap_or_else(|| panic!("no column {column}"));
    csv.records()
        .map(|r| r.expect("a CSV record")[index].to_string())
        .filter(|note| !note.trim().is_empty())
        .take(limit)
        .collect()
}

/// Peak resident memory of this process so far (VmHWM), in MiB; 0 where /proc is not there.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// The core clock under load, for the share-of-peak figure: a chain of dependent 64-bit multiplications
/// takes 3 cycles each on x86-64 cores of the last decade (additions would not do: recent cores fold
/// chains of immediate additions at rename and run several per cycle).
#[cfg(target_arch = "x86_64")]
fn estimate_clock_ghz() -> Option<f64> {
    const CYCLES_PER_MULTIPLY: f64 = 3.0;
    let iterations: u64 = 200_000_000;
    let (mut x, mut n) = (3u64, iterations);
    let started = Instant::now();
    // SAFETY: register-only arithmetic and a loop; no memory is touched.
    unsafe {
        std::arch::asm!(
            "2:",
            "imul {x}, {x}",
            "imul {x}, {x}",
            "imul {x}, {x}",
            "imul {x}, {x}",
            "sub {n}, 1",
            "jnz 2b",
            x = inout(reg) x,
            n = inout(reg) n,
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    std::hint::black_box(x);
    assert_eq!(n, 0);
    Some(4.0 * CYCLES_PER_MULTIPLY * iterations as f64 / seconds / 1e9)
}

#[cfg(not(target_arch = "x86_64"))]
fn estimate_clock_ghz() -> Option<f64> {
    None
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

//! The engine as a filter, without PostgreSQL: JSON lines `{"id": …, "text": …}` on stdin, one line
//! `{"id": …, "entities": [{"entity_type", "mention", "start", "end", "score"}, …]}` per note on stdout.
//! Used to compare the engine's decoding with the training code's on the same notes.
//!
//! ```sh
//! cargo run --release -p clinical_ner_engine --example extract -- MODEL_FOLDER ORT_LIBRARY [DEVICE] < notes.jsonl
//! ```
//! DEVICE is `cpu` (the default), `cuda` or `auto`.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clinical_ner_engine::{load_model, Device, RuntimeOptions};
use serde_json::{json, Value};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !(2..=3).contains(&args.len()) {
        eprintln!(
            "usage: extract MODEL_FOLDER ORT_LIBRARY [DEVICE] < notes.jsonl > entities.jsonl"
        );
        std::process::exit(2);
    }
    let device = args
        .get(2)
        .map_or(Ok(Device::Cpu), |name| name.parse::<Device>())
        .unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2);
        });
    let options = RuntimeOptions {
        library: PathBuf::from(&args[1]),
        device,
        intra_op_threads: 0,
    };
    let mut extractor = load_model(&PathBuf::from(&args[0]), &options).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1);
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (number, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.expect("stdin is readable");
        let note: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("line {}: {e}", number + 1));
        let text = note["text"]
            .as_str()
            .unwrap_or_else(|| panic!("line {}: no \"text\" string", number + 1));
        let entities: Vec<Value> = extractor
            .extract(text)
            .unwrap_or_else(|e| panic!("line {}: {e}", number + 1))
            .into_iter()
            .map(|e| json!({"entity_type": e.entity_type.as_str(), "mention": e.mention, "start": e.start, "end": e.end, "score": e.score}))
            .collect();
        writeln!(out, "{}", json!({"id": note["id"], "entities": entities}))
            .expect("stdout is writable");
    }
}

//! Replays the fuzzer's committed corpus (engine/fuzz/corpus/extract) on the stable toolchain, with the
//! same check as the fuzz target: whatever the fuzzer once found interesting stays covered in CI.

mod common;

#[test]
fn every_corpus_input_extracts_with_offsets_that_hold() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/extract");
    let mut extractor = common::shared_extractor();
    let mut inputs = 0;
    for entry in std::fs::read_dir(&corpus).expect("the committed corpus") {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let note = String::from_utf8_lossy(&data);
        let entities = extractor
            .extract(&note)
            .expect("extraction of text never fails");
        common::assert_offsets_hold(&note, &entities);
        inputs += 1;
    }
    assert!(inputs > 0, "empty corpus at {}", corpus.display());
}

//! Arbitrary bytes, read as UTF-8 (invalid sequences replaced), through the whole engine on the real
//! model: extraction never fails or panics on text, and every entity obeys the offsets law. The first
//! bytes also drive the windowing planner directly, with sizes the model's own settings never reach.

#![no_main]

use clinical_ner_engine::window::{assign_tokens, plan_windows};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/mod.rs"]
#[allow(dead_code)]
mod common;

fuzz_target!(|data: &[u8]| {
    let note = String::from_utf8_lossy(data);
    let entities = common::shared_extractor().extract(&note).expect("extraction of text never fails");
    common::assert_offsets_hold(&note, &entities);

    if let [count_low, count_high, max_tokens, overlap, ..] = *data {
        let token_count = usize::from(u16::from_le_bytes([count_low, count_high]) % 4096);
        let max_tokens = usize::from(max_tokens).max(1);
        let overlap = usize::from(overlap) % max_tokens;
        let windows = plan_windows(token_count, max_tokens, overlap);
        let owner = assign_tokens(&windows, token_count);
        for (token, &window) in owner.iter().enumerate() {
            assert!(windows[window].contains(&token), "token {token} kept by a window without it");
        }
        assert!(windows.iter().all(|w| w.len() <= max_tokens && w.end <= token_count));
    }
});

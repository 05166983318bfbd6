//! Overlapping windows over a long token sequence, and which window's prediction each token keeps.
//!
//! A model sees at most a fixed number of tokens at once. Rather than truncate, the note is cut into
//! windows that overlap, and each token takes the prediction of the window in which it has the most
//! context on its nearer side.

use std::ops::Range;

/// Windows of at most `max_tokens` covering `0..token_count`; consecutive windows share `overlap`
/// tokens, and the last window is moved back to end at the last token so that it is full-length too.
pub fn plan_windows(token_count: usize, max_tokens: usize, overlap: usize) -> Vec<Range<usize>> {
    assert!(
        max_tokens > 0 && overlap < max_tokens,
        "a window must advance"
    );
    if token_count == 0 {
        return Vec::new();
    }
    if token_count <= max_tokens {
        return vec![0..token_count];
    }
    let step = max_tokens - overlap;
    let mut windows = Vec::new();
    let mut start = 0;
    loop {
        let end = start + max_tokens;
        if end >= token_count {
            windows.push(token_count - max_tokens..token_count);
            return windows;
        }
        windows.push(start..end);
        start += step;
    }
}

/// For each token, the index of the window whose prediction it keeps: among the windows holding it,
/// the one where the token is farthest from a cut edge (the note's own start and end are not cuts).
pub fn assign_tokens(windows: &[Range<usize>], token_count: usize) -> Vec<usize> {
    let mut owner = vec![0usize; token_count];
    let mut best_context: Vec<Option<usize>> = vec![None; token_count];
    for (index, window) in windows.iter().enumerate() {
        for token in window.clone() {
            let left = if window.start == 0 {
                usize::MAX
            } else {
                token - window.start
            };
            let right = if window.end == token_count {
                usize::MAX
            } else {
                window.end - 1 - token
            };
            let context = left.min(right);
            if best_context[token].is_none_or(|best| context > best) {
                owner[token] = index;
                best_context[token] = Some(context);
            }
        }
    }
    owner
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_input_is_one_window_and_empty_input_none() {
        assert_eq!(plan_windows(5, 10, 2), vec![0..5]);
        assert_eq!(plan_windows(10, 10, 2), vec![0..10]);
        assert!(plan_windows(0, 10, 2).is_empty());
    }

    #[test]
    fn long_input_is_cut_with_the_asked_overlap() {
        assert_eq!(plan_windows(25, 10, 4), vec![0..10, 6..16, 12..22, 15..25]);
    }

    #[test]
    fn tokens_keep_the_window_where_they_are_most_central() {
        let windows = plan_windows(25, 10, 4);
        let owner = assign_tokens(&windows, 25);
        assert_eq!(owner[0], 0);
        assert_eq!(
            owner[7], 0,
            "token 7 is 2 from window 0's cut and 1 from window 1's start"
        );
        assert_eq!(
            owner[8], 1,
            "token 8 is 1 from window 0's cut and 2 from window 1's start"
        );
        assert_eq!(owner[9], 1, "token 9 is at window 0's cut edge");
        assert_eq!(owner[24], 3);
    }

    proptest! {
        #[test]
        fn windows_cover_every_token_within_the_limit(
            count in 0usize..3000, max in 1usize..300, overlap_fraction in 0.0f64..0.9
        ) {
            let overlap = ((max as f64) * overlap_fraction) as usize;
            let windows = plan_windows(count, max, overlap);
            let mut covered = vec![false; count];
            for w in &windows {
                prop_assert!(w.end - w.start <= max);
                prop_assert!(w.end <= count && w.start < w.end);
                for t in w.clone() { covered[t] = true; }
            }
            prop_assert!(covered.iter().all(|&c| c));
            for pair in windows.windows(2) {
                prop_assert!(pair[0].start < pair[1].start);
                prop_assert!(pair[1].start <= pair[0].end - overlap, "consecutive windows overlap at least as asked");
            }
            let owner = assign_tokens(&windows, count);
            for (t, &w) in owner.iter().enumerate() {
                prop_assert!(windows[w].contains(&t));
            }
        }
    }
}

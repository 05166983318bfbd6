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

/// The index of the window whose prediction `token` keeps: among the windows holding it, the one where
/// it is farthest from a cut edge (the note's own start and end are not cuts), the first on a tie.
/// `holding` is the index of any window that holds the token. Windows start and end in increasing
/// order, so the windows holding a token are neighbours of `holding`; with an overlap under half a
/// window there are at most three of them. Asked per token, so no table per token is kept.
pub fn owner(windows: &[Range<usize>], token_count: usize, token: usize, holding: usize) -> usize {
    debug_assert!(windows[holding].contains(&token));
    let first = (0..holding)
        .rev()
        .take_while(|&w| windows[w].contains(&token))
        .last()
        .unwrap_or(holding);
    let mut best = (first, context(&windows[first], token_count, token));
    for (index, window) in windows.iter().enumerate().skip(first + 1) {
        if !window.contains(&token) {
            break;
        }
        let here = context(window, token_count, token);
        if here > best.1 {
            best = (index, here);
        }
    }
    best.0
}

/// Tokens between `token` and the nearer cut edge of `window`.
fn context(window: &Range<usize>, token_count: usize, token: usize) -> usize {
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
    left.min(right)
}

/// For each token, the index of the window whose prediction it keeps (see [`owner`]).
pub fn assign_tokens(windows: &[Range<usize>], token_count: usize) -> Vec<usize> {
    let mut holding = 0;
    (0..token_count)
        .map(|token| {
            while windows[holding].end <= token {
                holding += 1;
            }
            owner(windows, token_count, token, holding)
        })
        .collect()
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
            let owners = assign_tokens(&windows, count);
            for (t, &w) in owners.iter().enumerate() {
                prop_assert!(windows[w].contains(&t));
                // The same answer from every window that holds the token, and the same as a search
                // over all windows.
                let brute = (0..windows.len())
                    .filter(|&i| windows[i].contains(&t))
                    .fold(None, |best: Option<(usize, usize)>, i| {
                        let c = context(&windows[i], count, t);
                        if best.is_none_or(|(_, b)| c > b) { Some((i, c)) } else { best }
                    })
                    .map(|(i, _)| i);
                prop_assert_eq!(Some(w), brute);
                for i in (0..windows.len()).filter(|&i| windows[i].contains(&t)) {
                    prop_assert_eq!(owner(&windows, count, t, i), w);
                }
            }
        }
    }
}

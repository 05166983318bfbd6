//! The token classifier: token ids in, per-token label probabilities out.
//!
//! [`TokenClassifier`] is the seam between the pure stages and ONNX Runtime; [`OnnxClassifier`] is the
//! real one. Windows are batched into one run, padded on the right to the longest window.

use ort::session::Session;
use ort::value::Tensor;

use crate::{Error, Result};

pub trait TokenClassifier {
    fn label_count(&self) -> usize;

    /// For each window of token ids (without special tokens), the label probabilities of each of its
    /// tokens, row-major: `probabilities[window][token * label_count + label]`.
    fn classify(&mut self, windows: &[&[u32]]) -> Result<Vec<Vec<f32>>>;
}

/// Ids of the tokens that frame and pad every window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialTokenIds {
    pub cls: u32,
    pub sep: u32,
    pub pad: u32,
}

pub struct OnnxClassifier {
    session: Session,
    special: SpecialTokenIds,
    label_count: usize,
    /// BERT has segment ids, RoBERTa-style models do not; the model's inputs say which.
    feeds_token_type_ids: bool,
}

impl OnnxClassifier {
    pub fn new(session: Session, special: SpecialTokenIds, label_count: usize) -> Self {
        let feeds_token_type_ids = session
            .inputs()
            .iter()
            .any(|input| input.name() == "token_type_ids");
        OnnxClassifier {
            session,
            special,
            label_count,
            feeds_token_type_ids,
        }
    }
}

impl TokenClassifier for OnnxClassifier {
    fn label_count(&self) -> usize {
        self.label_count
    }

    fn classify(&mut self, windows: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        if windows.is_empty() {
            return Ok(Vec::new());
        }
        let batch = windows.len();
        let sequence = windows.iter().map(|w| w.len()).max().unwrap_or(0) + 2;
        let mut input_ids = vec![self.special.pad as i64; batch * sequence];
        let mut attention_mask = vec![0i64; batch * sequence];
        for (row, window) in windows.iter().enumerate() {
            let ids = &mut input_ids[row * sequence..(row + 1) * sequence];
            ids[0] = self.special.cls as i64;
            for (slot, &id) in ids[1..].iter_mut().zip(window.iter()) {
                *slot = id as i64;
            }
            ids[window.len() + 1] = self.special.sep as i64;
            attention_mask[row * sequence..row * sequence + window.len() + 2].fill(1);
        }
        let shape = [batch, sequence];
        let failed = |e: ort::Error| Error::Inference {
            reason: crate::runtime::error_message(&e),
        };
        let mut inputs = vec![
            (
                "input_ids",
                Tensor::from_array((shape, input_ids))
                    .map_err(failed)?
                    .into_dyn(),
            ),
            (
                "attention_mask",
                Tensor::from_array((shape, attention_mask))
                    .map_err(failed)?
                    .into_dyn(),
            ),
        ];
        if self.feeds_token_type_ids {
            inputs.push((
                "token_type_ids",
                Tensor::from_array((shape, vec![0i64; batch * sequence]))
                    .map_err(failed)?
                    .into_dyn(),
            ));
        }
        let outputs = self.session.run(inputs).map_err(failed)?;
        let (logits_shape, logits) = outputs[0].try_extract_tensor::<f32>().map_err(failed)?;
        let labels = self.label_count;
        if logits_shape.len() != 3
            || logits_shape[0] as usize != batch
            || logits_shape[1] as usize != sequence
            || logits_shape[2] as usize != labels
        {
            return Err(Error::Inference {
                reason: format!(
                    "logits have shape {logits_shape:?}, expected [{batch}, {sequence}, {labels}]"
                ),
            });
        }
        Ok(windows
            .iter()
            .enumerate()
            .map(|(row, window)| {
                // Position 0 is [CLS]; the window's tokens follow it.
                let start = (row * sequence + 1) * labels;
                let mut probabilities = logits[start..start + window.len() * labels].to_vec();
                probabilities.chunks_mut(labels).for_each(softmax);
                probabilities
            })
            .collect())
    }
}

fn softmax(logits: &mut [f32]) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for value in logits.iter_mut() {
        *value = (*value - max).exp();
        sum += *value;
    }
    for value in logits.iter_mut() {
        *value /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::softmax;

    #[test]
    fn softmax_is_a_distribution_and_keeps_the_argmax() {
        let mut row = [1.0f32, 3.0, -2.0, 1000.0];
        softmax(&mut row);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(row.iter().all(|p| p.is_finite()));
        assert_eq!(row.iter().cloned().fold(0.0f32, f32::max), row[3]);
    }
}

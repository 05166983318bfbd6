//! Loading a model folder: read every file once, check it against the manifest, and build an
//! [`Extractor`]. Every failure names the file at fault.

use std::path::Path;

use ort::session::Session;
use sha2::{Digest, Sha256};

use crate::classify::{OnnxClassifier, SpecialTokenIds};
use crate::labels::LabelScheme;
use crate::manifest::{Manifest, MANIFEST_FILE, MODEL_FILE, TOKENIZER_FILE};
use crate::runtime::{self, Device, RuntimeOptions};
use crate::tokenize::NoteTokenizer;
use crate::{Error, Extractor, ModelInfo, Result, WindowConfig};

/// Windows per inference run on the CPU. Measured on 2 cores (docs/benchmarks.md): 8 windows run as
/// fast as 32 and keep a backend's peak memory about 110 MB lower, the activations of 32 windows
/// being what ONNX Runtime's arena holds on to.
const CPU_BATCH_SIZE: usize = 8;
/// Windows per inference run on a GPU, where large runs are what keeps it busy.
const GPU_BATCH_SIZE: usize = 64;

pub fn load_model(folder: &Path, options: &RuntimeOptions) -> Result<Extractor> {
    let manifest_path = folder.join(MANIFEST_FILE);
    let manifest = Manifest::parse(&read(&manifest_path)?).map_err(|reason| Error::Manifest {
        path: manifest_path.clone(),
        reason,
    })?;
    let labels = LabelScheme::parse(&manifest.labels).map_err(|reason| Error::Manifest {
        path: manifest_path.clone(),
        reason,
    })?;

    let tokenizer_path = folder.join(TOKENIZER_FILE);
    let tokenizer_bytes = read_checked(&tokenizer_path, manifest.sha256_of(TOKENIZER_FILE))?;
    let tokenizer =
        NoteTokenizer::from_bytes(&tokenizer_bytes).map_err(|reason| Error::ModelFile {
            path: tokenizer_path.clone(),
            reason,
        })?;
    if tokenizer.vocab_size() != manifest.vocab_size {
        return Err(Error::Mismatch {
            path: tokenizer_path,
            reason: format!(
                "{} tokens in its vocabulary, the manifest says {}",
                tokenizer.vocab_size(),
                manifest.vocab_size
            ),
        });
    }
    let special = special_token_ids(&manifest, &tokenizer, &tokenizer_path)?;

    let model_path = folder.join(MODEL_FILE);
    let model_bytes = read_checked(&model_path, manifest.sha256_of(MODEL_FILE))?;
    let environment = runtime::environment(&options.library)?;
    let (session, device) = build_session(&environment, &model_bytes, options, &model_path)?;
    check_output_labels(&session, labels.len(), &model_path)?;

    let info = ModelInfo {
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        base_model: manifest.base_model.clone(),
        folder: folder.to_path_buf(),
        sha256: manifest.sha256_of(MODEL_FILE).to_string(),
        labels: manifest.labels.clone(),
        device,
        max_sequence_length: manifest.max_sequence_length,
    };
    let classifier = OnnxClassifier::new(session, special, labels.len());
    // Dynamic int8 quantisation scales activations per run, so its runs must not mix notes.
    let pool_notes = manifest.files[MODEL_FILE].precision.as_deref() != Some("int8");
    let batch_size = if device == Device::Cuda {
        GPU_BATCH_SIZE
    } else {
        CPU_BATCH_SIZE
    };
    let windows =
        WindowConfig::for_max_sequence_length(manifest.max_sequence_length, batch_size, pool_notes);
    Ok(Extractor::new(
        tokenizer,
        Box::new(classifier),
        labels,
        windows,
        info,
    ))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::ModelFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Reads a file and checks it against its manifest checksum, so that what is checked is what is used.
fn read_checked(path: &Path, sha256: &str) -> Result<Vec<u8>> {
    let bytes = read(path)?;
    let actual = format!("{:x}", Sha256::digest(&bytes));
    if !actual.eq_ignore_ascii_case(sha256) {
        return Err(Error::Checksum {
            path: path.to_path_buf(),
        });
    }
    Ok(bytes)
}

fn special_token_ids(
    manifest: &Manifest,
    tokenizer: &NoteTokenizer,
    path: &Path,
) -> Result<SpecialTokenIds> {
    let id = |token: &str| {
        tokenizer.token_id(token).ok_or_else(|| Error::Mismatch {
            path: path.to_path_buf(),
            reason: format!("it has no special token \"{token}\""),
        })
    };
    let tokens = &manifest.special_tokens;
    Ok(SpecialTokenIds {
        cls: id(&tokens.cls)?,
        sep: id(&tokens.sep)?,
        pad: id(&tokens.pad)?,
    })
}

fn build_session(
    environment: &ort::environment::Environment,
    model: &[u8],
    options: &RuntimeOptions,
    path: &Path,
) -> Result<(Session, Device)> {
    let onnx_error = |e: ort::Error| Error::Onnx {
        path: path.to_path_buf(),
        reason: runtime::error_message(&e),
    };
    let builder = |cuda: bool| -> Result<Session> {
        // ONNX Runtime's memory pattern plans one block for a run's intermediate tensors from the
        // shapes it has seen, and keeps a plan per shape; runs here vary in windows and length, so
        // it only adds plans. Without it a process that extracted 20 notes peaks 29 MB lower
        // (133 MB → 104 MB), at the same speed, with the same entities (docs/benchmarks.md).
        let mut builder = Session::builder(environment)
            .map_err(onnx_error)?
            .with_memory_pattern(false)
            .map_err(|e| onnx_error(e.into()))?;
        if options.intra_op_threads > 0 {
            builder = builder
                .with_intra_threads(options.intra_op_threads)
                .map_err(|e| onnx_error(e.into()))?;
        }
        if cuda {
            builder = builder
                .with_execution_providers([runtime::cuda_provider()])
                .map_err(|e| Error::DeviceUnavailable {
                    device: Device::Cuda,
                    reason: runtime::error_message(&e),
                })?;
        }
        builder.commit_from_memory(model).map_err(onnx_error)
    };
    match options.device {
        Device::Cpu => Ok((builder(false)?, Device::Cpu)),
        Device::Cuda => {
            if !runtime::cuda_available() {
                return Err(Error::DeviceUnavailable {
                    device: Device::Cuda,
                    reason: format!(
                        "the ONNX Runtime library \"{}\" has no CUDA execution provider",
                        options.library.display()
                    ),
                });
            }
            Ok((builder(true)?, Device::Cuda))
        }
        Device::Auto => match runtime::cuda_available().then(|| builder(true)) {
            Some(Ok(session)) => Ok((session, Device::Cuda)),
            _ => Ok((builder(false)?, Device::Cpu)),
        },
    }
}

fn check_output_labels(session: &Session, labels: usize, path: &Path) -> Result<()> {
    let output = session.outputs().first().ok_or_else(|| Error::Mismatch {
        path: path.to_path_buf(),
        reason: "the model has no output".into(),
    })?;
    let width = output
        .dtype()
        .tensor_shape()
        .and_then(|shape| shape.last().copied());
    match width {
        Some(width) if width > 0 && width as usize != labels => Err(Error::Mismatch {
            path: path.to_path_buf(),
            reason: format!("its output has {width} labels, the manifest lists {labels}"),
        }),
        _ => Ok(()),
    }
}

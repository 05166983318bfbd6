//! ONNX Runtime: loading the shared library once per process and choosing the execution device.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use ort::ep::{self, ExecutionProvider};

use crate::{Error, Result};

/// Where inference runs: as asked (any of the three), and as found ([`crate::ModelInfo::device`]:
/// never `Auto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    Cpu,
    /// The CUDA execution provider, or an error: never a silent CPU run.
    Cuda,
    /// CUDA where it works, the CPU otherwise.
    Auto,
}

impl Device {
    pub fn as_str(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
            Device::Auto => "auto",
        }
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Device {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        match name {
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda),
            "auto" => Ok(Device::Auto),
            other => Err(Error::UnknownDevice(other.to_string())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeOptions {
    /// Absolute path of `libonnxruntime.so`.
    pub library: PathBuf,
    pub device: Device,
    /// ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose.
    pub intra_op_threads: usize,
}

static LOADED_LIBRARY: Mutex<Option<(PathBuf, ort::environment::Environment)>> = Mutex::new(None);

/// The process's ONNX Runtime environment, loading the library on first use. ONNX Runtime cannot be
/// unloaded, so a later request for another library is refused rather than silently ignored.
pub fn environment(library: &Path) -> Result<ort::environment::Environment> {
    let mut loaded = LOADED_LIBRARY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((path, environment)) = loaded.as_ref() {
        if path != library {
            return Err(Error::LibraryAlreadyLoaded {
                loaded: path.clone(),
                requested: library.to_path_buf(),
            });
        }
        return Ok(environment.clone());
    }
    // A relative path would be resolved against the server executable's folder, never what was meant.
    if !library.is_absolute() {
        return Err(Error::Library {
            path: library.to_path_buf(),
            reason: "the path is not absolute".into(),
        });
    }
    if !library.is_file() {
        return Err(Error::Library {
            path: library.to_path_buf(),
            reason: "no such file".into(),
        });
    }
    let failed = |reason: String| Error::Library {
        path: library.to_path_buf(),
        reason,
    };
    let environment = ort::init_from(library)
        .map_err(|e| failed(e.to_string()))?
        .with_name("clinical_ner")
        .build()
        .map_err(|e| failed(e.to_string()))?;
    *loaded = Some((library.to_path_buf(), environment.clone()));
    Ok(environment)
}

/// Whether ONNX Runtime's CUDA execution provider can be used in this process.
pub fn cuda_available() -> bool {
    ep::CUDA::is_available().unwrap_or(false)
}

/// What ONNX Runtime says went wrong, for an error message: its own words, without the source location
/// and status code that some of its messages carry in front.
pub(crate) fn error_message(error: &impl std::fmt::Display) -> String {
    without_source_location(&error.to_string())
}

/// "/onnxruntime_src/...cc:2043 ... [ONNXRuntimeError] : 1 : FAIL : Failed to load library ..." becomes
/// "Failed to load library ...".
fn without_source_location(message: &str) -> String {
    const MARKER: &str = "[ONNXRuntimeError] : ";
    let words = match message.find(MARKER) {
        // After the marker come "code : status : " and then the message.
        Some(at) => message[at + MARKER.len()..]
            .splitn(3, " : ")
            .nth(2)
            .unwrap_or(message),
        None => message,
    };
    words.trim().to_string()
}

pub(crate) fn cuda_provider() -> ep::ExecutionProviderDispatch {
    ep::CUDA::default().build().error_on_failure()
}

/// The best int8 matrix instructions this CPU offers ONNX Runtime, which picks its int8 kernels at
/// run time by the same test: int8 models run several times faster with VNNI (a multiply-add of
/// 8-bit values in one instruction) than with AVX2 alone, so a speed measured on one machine says
/// little about another without it.
pub fn cpu_int8_instructions() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512vnni") {
            return "AVX-512 VNNI";
        }
        if std::arch::is_x86_feature_detected!("avxvnni") {
            return "AVX-VNNI";
        }
        if std::arch::is_x86_feature_detected!("avx512bw") {
            return "AVX-512 (no VNNI)";
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return "AVX2 (no VNNI)";
        }
        "SSE (no AVX2)"
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("i8mm") {
            return "Arm I8MM";
        }
        if std::arch::is_aarch64_feature_detected!("dotprod") {
            return "Arm dot product";
        }
        "Arm NEON"
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        "unknown"
    }
}

#[cfg(test)]
mod tests {
    use super::without_source_location;

    #[test]
    fn onnx_runtime_messages_lose_their_source_location() {
        let raw = "/onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:2043 onnxruntime::Provider& \
                   onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library \
                   /x/libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared \
                   object file: No such file or directory\n";
        assert_eq!(
            without_source_location(raw),
            "Failed to load library /x/libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: \
             cannot open shared object file: No such file or directory"
        );
        assert_eq!(without_source_location(" plain words\n"), "plain words");
    }
}

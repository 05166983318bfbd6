//! The messages between a session and the server, and their framing on the socket: a little-endian
//! `u32` byte count, then that many bytes of JSON.
//!
//! Both ends are the same library (the server runs in a worker forked from the postmaster that
//! loaded it, as every backend is), so the messages need no version.

use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use clinical_ner_engine::linking::LinkedEntity;
use clinical_ner_engine::{Device, ModelInfo, RuntimeOptions};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The largest frame either end accepts. A text value holds at most 1 GB and JSON escaping can
/// double it; anything longer is a broken peer, not a note.
pub const MAX_FRAME_BYTES: usize = 2 << 30;

/// Which model a session would load itself, and how: the worker serves a session only when it has
/// that model loaded the same way, so that an answer from the worker is the answer the session would
/// have computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelKey {
    pub folder: PathBuf,
    /// The device setting (`cpu`, `cuda` or `auto`), not the device that was found.
    pub device: Device,
    /// The ONNX Runtime library.
    pub library: PathBuf,
}

impl ModelKey {
    pub fn new(folder: &Path, options: &RuntimeOptions) -> ModelKey {
        ModelKey {
            folder: folder.to_path_buf(),
            device: options.device,
            library: options.library.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    Extract {
        model: ModelKey,
        notes: Vec<String>,
        /// The vocabulary folder the session links mentions with, when this call wants codes.
        link_with: Option<PathBuf>,
    },
    Status,
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Response {
    /// One list of entities per note, in the request's order. `linked` is false when the request
    /// asked for codes from a vocabulary the worker does not have: the session links them itself.
    Entities {
        entities: Vec<Vec<LinkedEntity>>,
        linked: bool,
    },
    /// The worker has another model loaded.
    OtherModel,
    /// The engine failed on the batch the request was in. The error itself is not sent: the
    /// session extracts its notes itself and so reports the error as it always would.
    Failed,
    Status(WorkerStatus),
}

/// What the worker serves and how much it has done since it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerStatus {
    /// The serving process.
    pub pid: u32,
    pub model: ModelKey,
    /// The loaded model, as `clinical_ner_models()` reports a model.
    pub info: ModelInfo,
    /// The vocabulary the worker links with, if it loaded one.
    pub vocabulary: Option<PathBuf>,
    pub max_batch_notes: usize,
    pub connections: u64,
    pub requests: u64,
    pub notes: u64,
    /// Calls of the engine; `requests / engine_runs` is the mean number of requests batched together.
    pub engine_runs: u64,
    pub failed_runs: u64,
    /// Requests dropped unserved because their client had hung up, before or during their engine call.
    pub abandoned_requests: u64,
}

/// Writes one frame. `wait` is called whenever the socket's timeout passes with the peer not reading.
pub fn write_frame<T: Serialize>(
    stream: &mut impl Write,
    message: &T,
    wait: &mut dyn FnMut(),
) -> io::Result<()> {
    let body = serde_json::to_vec(message)?;
    if body.len() > MAX_FRAME_BYTES {
        return Err(io::Error::new(ErrorKind::InvalidInput, "message too large"));
    }
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
    frame.extend_from_slice(&body);
    let mut written = 0;
    while written < frame.len() {
        match stream.write(&frame[written..]) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => written += n,
            Err(e) if is_timeout(&e) => wait(),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    stream.flush()
}

/// Reads one frame. `wait` is called whenever the socket's timeout passes with nothing to read;
/// `Ok(None)` is a peer that closed the connection between frames.
pub fn read_frame<T: DeserializeOwned>(
    stream: &mut impl Read,
    wait: &mut dyn FnMut(),
) -> io::Result<Option<T>> {
    let mut length = [0u8; 4];
    if !fill(stream, &mut length, wait, true)? {
        return Ok(None);
    }
    let length = u32::from_le_bytes(length) as usize;
    if length > MAX_FRAME_BYTES {
        return Err(io::Error::new(ErrorKind::InvalidData, "frame too large"));
    }
    let mut body = vec![0u8; length];
    fill(stream, &mut body, wait, false)?;
    // The error says where the JSON broke, never what it held: a frame can hold note text.
    serde_json::from_slice(&body).map(Some).map_err(|e| {
        io::Error::new(
            ErrorKind::InvalidData,
            format!("malformed frame: {:?}", e.classify()),
        )
    })
}

/// Fills `buffer`, keeping what arrived across timeouts. Returns false for an end of stream before
/// the first byte when `eof_allowed`.
fn fill(
    stream: &mut impl Read,
    buffer: &mut [u8],
    wait: &mut dyn FnMut(),
    eof_allowed: bool,
) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buffer.len() {
        match stream.read(&mut buffer[filled..]) {
            Ok(0) if filled == 0 && eof_allowed => return Ok(false),
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if is_timeout(&e) => wait(),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_an_empty_stream_is_a_clean_end() {
        let mut buffer = Vec::new();
        let request = Request::Extract {
            model: ModelKey {
                folder: "/models/a".into(),
                device: Device::Cpu,
                library: "/lib/libonnxruntime.so".into(),
            },
            notes: vec!["Fièvre 😷".into(), String::new()],
            link_with: None,
        };
        write_frame(&mut buffer, &request, &mut || {}).unwrap();
        let mut reader = buffer.as_slice();
        match read_frame::<Request>(&mut reader, &mut || {}).unwrap() {
            Some(Request::Extract { model, notes, .. }) => {
                assert_eq!(model.folder, PathBuf::from("/models/a"));
                assert_eq!(notes, vec!["Fièvre 😷".to_string(), String::new()]);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(read_frame::<Request>(&mut reader, &mut || {})
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_truncated_frame_is_an_error_not_a_clean_end() {
        let mut buffer = Vec::new();
        write_frame(&mut buffer, &Request::Status, &mut || {}).unwrap();
        buffer.pop();
        let error = read_frame::<Request>(&mut buffer.as_slice(), &mut || {}).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_malformed_frame_does_not_echo_its_content() {
        let body = b"{\"Extract\": {\"notes\": [\"PHI-MARKER\"";
        let mut frame = (body.len() as u32).to_le_bytes().to_vec();
        frame.extend_from_slice(body);
        let error = read_frame::<Request>(&mut frame.as_slice(), &mut || {}).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidData);
        assert!(!error.to_string().contains("PHI-MARKER"), "{error}");
    }

    #[test]
    fn an_oversized_length_is_refused_before_allocating() {
        let frame = u32::MAX.to_le_bytes();
        let error = read_frame::<Request>(&mut frame.as_slice(), &mut || {}).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidData);
    }
}

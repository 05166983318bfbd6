//! The `clinical_ner.*` settings.
//!
//! The settings that make the server load a file (the model folder, the vocabulary folder and the ONNX
//! Runtime library) are superuser-only and must be absolute paths. Their defaults point at where the
//! project's install script puts them, so that after installation nothing needs editing. The settings
//! that bound what one statement may cost the server (the note size, the threads per backend) are
//! superuser-only or capped, so that no role can make a backend take the machine.

use std::ffi::{c_char, c_void, CStr, CString};
use std::path::PathBuf;

use clinical_ner_engine::{Device, RuntimeOptions};
use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting, PostgresGucEnum};
use pgrx::pg_sys;
use pgrx::prelude::*;

static MODEL_PATH: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
static VOCABULARY_PATH: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
static RULES_PATH: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
static ONNXRUNTIME_LIBRARY: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
static INTRA_OP_THREADS: GucSetting<i32> = GucSetting::<i32>::new(0);
static MAX_NOTE_SIZE_KB: GucSetting<i32> = GucSetting::<i32>::new(1024);
static DEVICE: GucSetting<DeviceSetting> = GucSetting::<DeviceSetting>::new(DeviceSetting::Auto);
static INFERENCE_WORKER: GucSetting<bool> = GucSetting::<bool>::new(false);
static INFERENCE_WORKER_MAX_BATCH: GucSetting<i32> = GucSetting::<i32>::new(64);
static USE_INFERENCE_WORKER: GucSetting<bool> = GucSetting::<bool>::new(true);

#[derive(Clone, Copy, PostgresGucEnum)]
enum DeviceSetting {
    #[name = c"cpu"]
    Cpu,
    #[name = c"cuda"]
    Cuda,
    #[name = c"auto"]
    Auto,
}

/// Where the install script puts the shipped model, below PostgreSQL's share directory.
const DEFAULT_MODEL_FOLDER: &str = "clinical_ner/models/default";
/// Where the install script puts the linking vocabulary, below PostgreSQL's share directory.
const DEFAULT_VOCABULARY_FOLDER: &str = "clinical_ner/vocabulary";
/// Where the install script puts ONNX Runtime, below PostgreSQL's package library directory.
const DEFAULT_ONNXRUNTIME_LIBRARY: &str = "clinical_ner/onnxruntime/libonnxruntime.so";

pub fn define() {
    let share = installation_dir(pg_sys::get_share_path);
    let pkglib = installation_dir(pg_sys::get_pkglib_path);
    // SAFETY: _PG_init runs once per process before any setting is read; the boot values must live
    // as long as the process, hence the leaked strings.
    unsafe {
        set_boot_value(&MODEL_PATH, share.join(DEFAULT_MODEL_FOLDER));
        set_boot_value(&VOCABULARY_PATH, share.join(DEFAULT_VOCABULARY_FOLDER));
        set_boot_value(
            &ONNXRUNTIME_LIBRARY,
            pkglib.join(DEFAULT_ONNXRUNTIME_LIBRARY),
        );
        GucRegistry::define_string_guc_with_hooks(
            c"clinical_ner.model_path",
            c"Absolute path of the model folder (manifest.json, model.onnx, tokenizer.json).",
            c"Superuser only. A backend loads the model on first use and reloads it when this changes.",
            &MODEL_PATH,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_absolute_path),
            None,
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"clinical_ner.vocabulary_path",
            c"Absolute path of the vocabulary folder that entities are linked to codes with; empty for no codes.",
            c"Superuser only. A backend loads the vocabulary on first use and reloads it when this changes.",
            &VOCABULARY_PATH,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_absolute_path_or_empty),
            None,
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"clinical_ner.rules_path",
            c"Absolute path of a folder of site rule files that extend the built-in clinical rules; empty for the built-in rules alone.",
            c"Superuser only. Files named as the built-in ones (assertion_rules.tsv, routes.tsv, frequencies.tsv, units.tsv, forms.tsv, durations.tsv); their lines add to the built-in lines and replace those of the same phrase. A backend reads the folder on first use and again when this changes.",
            &RULES_PATH,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_absolute_path_or_empty),
            None,
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"clinical_ner.onnxruntime_library",
            c"Absolute path of the ONNX Runtime shared library (libonnxruntime.so, 1.31 or newer).",
            c"Superuser only. Loaded once per backend; a change takes effect in new connections.",
            &ONNXRUNTIME_LIBRARY,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_absolute_path),
            None,
            None,
        );
    }
    // SAFETY: called from _PG_init; the hook is a plain function.
    unsafe {
        GucRegistry::define_int_guc_with_hooks(
            c"clinical_ner.intra_op_threads",
            c"ONNX Runtime threads per backend for one inference run; 0 lets ONNX Runtime choose.",
            c"At most the server's CPU cores. Lower it when many backends or parallel workers extract at once.",
            &INTRA_OP_THREADS,
            0,
            1024,
            GucContext::Userset,
            GucFlags::default(),
            Some(check_at_most_the_cores),
            None,
            None,
        );
    }
    GucRegistry::define_int_guc(
        c"clinical_ner.max_note_size",
        c"Largest note the functions take; a larger one is an ERROR (and a marked row in populate_entities).",
        c"Superuser only. Memory and time per note grow with its size; the default is 50 times the longest note of MTSamples.",
        &MAX_NOTE_SIZE_KB,
        1,
        1024 * 1024,
        GucContext::Suset,
        GucFlags::UNIT_KB,
    );
    GucRegistry::define_enum_guc(
        c"clinical_ner.device",
        c"Where inference runs: cpu, cuda, or auto (CUDA where it works, else the CPU).",
        c"cuda fails with an error where no CUDA device or CUDA-enabled ONNX Runtime is available.",
        &DEVICE,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"clinical_ner.inference_worker",
        c"Start one shared inference worker that serves every session's notes with one model.",
        c"Read at server start, with clinical_ner in shared_preload_libraries. The worker loads the model \
          the server-wide settings name; sessions that ask for another run their own.",
        &INFERENCE_WORKER,
        // Not Postmaster: PostgreSQL refuses to define such a setting when a session loads the
        // library after start, and the worker is registered at start only anyway.
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"clinical_ner.inference_worker_max_batch",
        c"Most notes the shared inference worker gathers from waiting sessions into one engine call.",
        c"1 serves each request on its own (no cross-session batching). A reload applies a change.",
        &INFERENCE_WORKER_MAX_BATCH,
        1,
        65536,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"clinical_ner.use_inference_worker",
        c"Send this session's notes to the shared inference worker when one runs.",
        c"off: the session always runs the model itself. The results are the same either way.",
        &USE_INFERENCE_WORKER,
        GucContext::Userset,
        GucFlags::default(),
    );
}

/// The largest note, in bytes, that the functions take.
pub fn max_note_bytes() -> usize {
    MAX_NOTE_SIZE_KB.get() as usize * 1024
}

/// Whether the server-wide settings ask for the shared inference worker.
pub fn inference_worker_enabled() -> bool {
    INFERENCE_WORKER.get()
}

/// Notes per engine call the worker gathers from waiting sessions.
pub fn inference_worker_max_batch() -> usize {
    INFERENCE_WORKER_MAX_BATCH.get() as usize
}

/// Whether this session sends its notes to the worker (when one runs).
pub fn use_inference_worker() -> bool {
    USE_INFERENCE_WORKER.get()
}

/// The worker's socket: beside the server's own, named as PostgreSQL names its sockets, so that it
/// is as private as the server's socket directory; in the data directory when the server has none.
pub fn inference_worker_socket() -> PathBuf {
    // SAFETY: plain reads of settings the postmaster fixed at start; every process has them.
    let (directories, port, data_dir) = unsafe {
        (
            c_string(pg_sys::Unix_socket_directories),
            pg_sys::PostPortNumber,
            c_string(pg_sys::DataDir),
        )
    };
    let directory = directories
        .split(',')
        .map(str::trim)
        .find(|d| d.starts_with('/'))
        .map(str::to_string)
        .unwrap_or(data_dir);
    PathBuf::from(directory).join(format!(".s.clinical_ner.{port}"))
}

unsafe fn c_string(value: *const c_char) -> String {
    if value.is_null() {
        String::new()
    } else {
        CStr::from_ptr(value).to_string_lossy().into_owned()
    }
}

/// The model folder and runtime options that the current settings ask for.
pub fn current() -> (PathBuf, RuntimeOptions) {
    let path = |setting: &GucSetting<Option<CString>>| {
        PathBuf::from(
            setting
                .get()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )
    };
    let device = match DEVICE.get() {
        DeviceSetting::Cpu => Device::Cpu,
        DeviceSetting::Cuda => Device::Cuda,
        DeviceSetting::Auto => Device::Auto,
    };
    let options = RuntimeOptions {
        library: path(&ONNXRUNTIME_LIBRARY),
        device,
        intra_op_threads: INTRA_OP_THREADS.get() as usize,
    };
    (path(&MODEL_PATH), options)
}

fn installation_dir(get_path: unsafe fn(*const c_char, *mut c_char)) -> PathBuf {
    let mut buffer = [0 as c_char; pg_sys::MAXPGPATH as usize];
    // SAFETY: my_exec_path is set before any library is loaded; the buffer is MAXPGPATH long as required.
    let dir = unsafe {
        get_path(
            std::ptr::addr_of!(pg_sys::my_exec_path).cast(),
            buffer.as_mut_ptr(),
        );
        CStr::from_ptr(buffer.as_ptr())
    };
    PathBuf::from(dir.to_string_lossy().into_owned())
}

unsafe fn set_boot_value(setting: &'static GucSetting<Option<CString>>, value: PathBuf) {
    let value =
        CString::new(value.into_os_string().into_encoded_bytes()).expect("paths have no NUL");
    *setting.as_ptr() = value.into_raw();
}

/// The vocabulary folder the settings name, or `None` when linking is switched off ('').
pub fn vocabulary_folder() -> Option<PathBuf> {
    VOCABULARY_PATH
        .get()
        .map(|s| PathBuf::from(s.to_string_lossy().into_owned()))
        .filter(|path| !path.as_os_str().is_empty())
}

/// The site rules folder the settings name; `None` for the built-in rules alone.
pub fn rules_folder() -> Option<PathBuf> {
    RULES_PATH
        .get()
        .map(|s| PathBuf::from(s.to_string_lossy().into_owned()))
        .filter(|path| !path.as_os_str().is_empty())
}

/// Refuses relative paths: the server would resolve them against its own working directory.
#[pg_guard]
unsafe extern "C-unwind" fn check_absolute_path(
    new_value: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    let value = *new_value;
    if value.is_null() || CStr::from_ptr(value).to_bytes().starts_with(b"/") {
        return true;
    }
    pg_sys::GUC_check_errdetail_string = pg_sys::pstrdup(c"The path must be absolute.".as_ptr());
    false
}

/// Refuses more ONNX Runtime threads than the machine has cores: each is an OS thread that spins while
/// it waits, so a thousand of them (any role may SET this) make a backend deaf to cancels for minutes.
#[pg_guard]
unsafe extern "C-unwind" fn check_at_most_the_cores(
    new_value: *mut i32,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if (*new_value as usize) <= cores {
        return true;
    }
    let detail = format!("This server has {cores} CPU cores; use at most that many threads, or 0.");
    let detail = CString::new(detail).expect("no NUL");
    pg_sys::GUC_check_errdetail_string = pg_sys::pstrdup(detail.as_ptr());
    false
}

/// Like [`check_absolute_path`], and also takes '' (which switches the feature off).
#[pg_guard]
unsafe extern "C-unwind" fn check_absolute_path_or_empty(
    new_value: *mut *mut c_char,
    extra: *mut *mut c_void,
    source: pg_sys::GucSource::Type,
) -> bool {
    let value = *new_value;
    (!value.is_null() && CStr::from_ptr(value).is_empty())
        || check_absolute_path(new_value, extra, source)
}

//! A panic in a server thread leaves its place in the log, never its message (which can quote a
//! note). The hook is process-wide, so the check runs in a child process of this test binary.

use std::process::Command;

const CHILD: &str = "CLINICAL_NER_PANIC_CHILD";

#[test]
fn a_server_threads_panic_message_stays_out_of_standard_error() {
    if std::env::var_os(CHILD).is_some() {
        clinical_ner_shared_inference::log_panics_without_their_messages();
        let panicked = std::thread::Builder::new()
            .name("clinical_ner connection".into())
            .spawn(|| {
                let note = std::hint::black_box("PHI-MARKER-4410 fièvre");
                // Byte 19 is inside "è": the standard library's message for this quotes the text.
                std::hint::black_box(&note[0..19]);
            })
            .unwrap()
            .join();
        assert!(panicked.is_err());
        let other = std::thread::spawn(|| panic!("OTHER-THREAD-MESSAGE")).join();
        assert!(other.is_err());
        return;
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_server_threads_panic_message_stays_out_of_standard_error",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(child.status.success(), "{child:?}");
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(!stderr.contains("PHI-MARKER"), "{stderr}");
    assert!(
        stderr.contains(
            "thread 'clinical_ner connection' panicked at shared_inference/tests/panic_messages.rs"
        ),
        "{stderr}"
    );
    // Other threads keep the usual message.
    assert!(stderr.contains("OTHER-THREAD-MESSAGE"), "{stderr}");
}

//! Inputs that can be read only once (FIFOs, `<(cmd)` pipes): the scanner
//! must open and read them exactly once (issue 15, item 12).

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use outbound_scan::ScanReport;

use crate::common::scan;

const CSV: &str = "customer_id,mobile\nC000001,13812345678\nC000002,13912345678\n";

/// Scans `path` on a thread. A scan that blocks (the old code re-opened a
/// FIFO and waited for a second writer) is released by `unblock` and
/// reported as a failure instead of hanging the test run.
fn scan_or_fail(path: PathBuf, unblock: impl FnOnce()) -> ScanReport {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(scan(&[path]));
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(r) => r,
        Err(_) => {
            unblock();
            panic!("scan blocked on a stream input (it was opened twice)");
        }
    }
}

fn assert_read_whole(r: &ScanReport) {
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let f = &r.files[0];
    assert_eq!(f.format, "csv");
    assert_eq!(f.records, 2);
    let names: Vec<_> = f.field_names().collect();
    assert_eq!(names, ["customer_id", "mobile"], "no byte of the head lost");
    assert_eq!(f.bytes, CSV.len() as u64);
}

#[test]
fn a_fifo_is_read_once_and_whole() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("batch.csv");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let w = fifo.clone();
    // Opening a FIFO for writing blocks until a reader opens it.
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(&w).unwrap();
        let _ = f.write_all(CSV.as_bytes());
    });
    let release = fifo.clone();
    let r = scan_or_fail(fifo, move || release_fifo(&release));
    writer.join().unwrap();
    assert_read_whole(&r);
}

/// Gives a reader stuck opening a FIFO a writer that ends at once.
fn release_fifo(p: &Path) {
    let _ = std::fs::OpenOptions::new().write(true).open(p);
}

#[test]
fn a_pipe_path_like_process_substitution_loses_no_bytes() {
    // `scan <(cat batch.csv)` passes /dev/fd/N, the read end of a pipe.
    if !Path::new("/dev/fd").is_dir() {
        eprintln!("skipped: no /dev/fd");
        return;
    }
    let (reader, mut writer) = std::io::pipe().unwrap();
    let path = PathBuf::from(format!("/dev/fd/{}", reader.as_raw_fd()));
    let feed = std::thread::spawn(move || {
        let _ = writer.write_all(CSV.as_bytes());
    });
    let r = scan_or_fail(path, || {});
    feed.join().unwrap();
    drop(reader);
    assert_read_whole(&r);
}

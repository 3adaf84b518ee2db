//! Helpers shared by the reader tests.

use std::io::Write;
use std::path::{Path, PathBuf};

use outbound_scan::{ScanOptions, ScanReport, scan_paths};

/// Writes `data` to `dir/name` and returns the path.
pub(crate) fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// `data` gzip-compressed.
pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Scans `paths` with the default options.
pub(crate) fn scan(paths: &[PathBuf]) -> ScanReport {
    scan_paths(paths, &ScanOptions::default())
}

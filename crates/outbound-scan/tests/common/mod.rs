//! Helpers shared by the reader tests.

use std::io::Write;
use std::path::{Path, PathBuf};

use outbound_scan::{Kind, ScanOptions, ScanReport, scan_paths};

/// A new empty directory under the system's temporary one, removed with
/// everything in it when dropped (a test's files do not outlive it).
pub(crate) struct TestDir(tempfile::TempDir);

impl std::ops::Deref for TestDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

/// A new [`TestDir`].
pub(crate) fn tmpdir() -> TestDir {
    TestDir(
        tempfile::Builder::new()
            .prefix("outbound-scan-test-")
            .tempdir()
            .unwrap(),
    )
}

/// The report's total of kind `k`.
pub(crate) fn total(r: &ScanReport, k: Kind) -> u64 {
    r.totals.kinds.get(k.as_str()).copied().unwrap_or(0)
}

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

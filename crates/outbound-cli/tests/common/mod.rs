//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;

/// The facts document of docs/CONTRACTS.md "Facts document", verbatim.
pub(crate) const DESIGN_FACTS: &str =
    include_str!("../../../../examples/facts/design-example.json");

/// The workspace root: commands run from here so paths print as `examples/lumen/...`.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `outbound` with the workspace root as current directory.
pub(crate) fn outbound() -> assert_cmd::Command {
    outbound_in(&root())
}

/// `outbound` with `dir` as current directory.
pub(crate) fn outbound_in(dir: &Path) -> assert_cmd::Command {
    let mut c = cargo_bin_cmd!("outbound");
    c.current_dir(dir);
    c
}

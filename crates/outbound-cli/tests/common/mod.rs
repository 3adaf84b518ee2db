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

/// A one-exporter, one-transfer map (customer id and mobile to a processor in
/// Singapore) for the gate's command-line tests.
pub(crate) const ONE_TRANSFER_MAP: &str = r#"
version: 1
exporters:
  - {id: e, name: E, country: CN, ciio: false, individuals_processed: 10000000}
systems:
  - {id: s, name: S, exporter: e, owner: {type: person, name: O}}
datasets:
  - id: customers
    name: C
    system: s
    fields:
      - {name: customer_id, category: online.account_id, subject: customer, subject_key: true}
      - {name: mobile, category: contact.phone, subject: customer}
recipients:
  - {id: r, name: R, country: SG, role: processor, contact: x}
transfers:
  - {id: t, exporter: e, recipient: r, fields: [customers.*], purpose: p, necessity: contract_with_individual, legal_basis: contract, method: api, frequency: daily, individuals_per_year: 10, retention_abroad: 1y, storage: {country: SG}}
"#;

/// Runs `outbound ARGS` from the workspace root on the store at `store`, with
/// its keys beside it (no key from the environment); returns (exit code,
/// stdout, stderr).
pub(crate) fn run_on_store(store: &Path, args: &[&str]) -> (i32, String, String) {
    let o = outbound()
        .env("OUTBOUND_STORE", store)
        .env_remove("OUTBOUND_KEYS")
        .env_remove("OUTBOUND_HASH_KEY")
        .env_remove("OUTBOUND_SIGNING_KEY")
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

/// Writes [`ONE_TRANSFER_MAP`] to `d/map.yaml` and creates the store
/// `d/store.db` with its keys; returns (map, store) for the gate tests.
pub(crate) fn one_transfer_store(d: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let map = d.join("map.yaml");
    std::fs::write(&map, ONE_TRANSFER_MAP).unwrap();
    let store = d.join("store.db");
    let st = std::process::Command::new(assert_cmd::cargo::cargo_bin("outbound"))
        .args(["store", "init", "--store", store.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    (map, store)
}

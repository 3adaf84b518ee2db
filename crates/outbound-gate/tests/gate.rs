//! The gate end to end on the bundled example, with a real SQLite store.

use std::path::{Path, PathBuf};

use outbound_gate::{GateRequest, Io, Outcome, run, sample};
use outbound_model::{DataMap, Taxonomy, load_path, load_sources};
use outbound_store::{Keys, Store};

struct Env {
    dir: tempfile::TempDir,
    store: Store,
    keys: Keys,
    map: DataMap,
}

fn example() -> DataMap {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lumen");
    let l = load_path(&root).unwrap();
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    l.map
}

/// The reason of a refused outcome; any other outcome fails the test.
fn refused(o: &Outcome) -> &str {
    match o {
        Outcome::Refused { reason } => reason,
        other => panic!("expected a refusal: {other:?}"),
    }
}

/// Fails the test unless the outcome passed.
fn assert_passed(o: &Outcome) {
    assert!(matches!(o, Outcome::Passed { .. }), "{o:?}");
}

fn env(map: DataMap) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::create(&dir.path().join("keys")).unwrap();
    let store = Store::open(&dir.path().join("store.db").display().to_string()).unwrap();
    Env {
        dir,
        store,
        keys,
        map,
    }
}

impl Env {
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
    fn consent_all_but_every(&self, transfer: &str, first: u64, rows: u64, skip: u64) {
        let recs = sample::consents(&self.keys, transfer, first, rows, skip);
        self.store
            .consent_import(&self.keys, &recs, "test")
            .unwrap();
    }
    fn gate(
        &self,
        transfer: &str,
        input: &Path,
        out: &str,
        dry_run: bool,
    ) -> outbound_gate::GateReport {
        self.try_gate(transfer, input, out, dry_run).unwrap()
    }
    fn try_gate(
        &self,
        transfer: &str,
        input: &Path,
        out: &str,
        dry_run: bool,
    ) -> Result<outbound_gate::GateReport, outbound_gate::GateError> {
        let req = GateRequest {
            transfer: transfer.into(),
            input: Io::Path(input.into()),
            output: Io::Path(self.dir.path().join(out)),
            format: None,
            as_of: "2026-11-23".parse().unwrap(),
            dry_run,
            count_group: false,
        };
        run(&self.map, &self.store, &self.keys, &req)
    }
}

#[test]
fn a_declared_batch_passes_with_consent_transforms_and_exact_counts() {
    let e = env(example());
    e.consent_all_but_every("crm-to-parent", 0, 100, 10);
    let input = e.file("batch.csv", &sample::customers_csv(0, 100, 1, false));
    let r = e.gate("crm-to-parent", &input, "out.csv", false);
    assert_passed(&r.outcome);
    assert_eq!(
        (r.records_in, r.records_out, r.dropped_no_consent),
        (100, 90, 10)
    );
    assert_eq!(
        (r.counts.batch.individuals, r.counts.new.individuals),
        (90, 90)
    );
    assert_eq!(r.kinds.get("cn_mobile"), Some(&100));
    let out = std::fs::read_to_string(e.dir.path().join("out.csv")).unwrap();
    assert_eq!(out.lines().count(), 91);
    assert!(!out.contains("C0000001,"), "customer ids leave as tokens");
    assert!(out.lines().nth(1).unwrap().starts_with("tok_"));
    for line in sample::customers_csv(0, 100, 1, false).lines().skip(1) {
        let mobile = line.split(',').nth(2).unwrap();
        assert!(!out.contains(mobile), "mobile numbers leave masked");
    }
    assert_eq!(r.sha256.len(), 64);
    assert!(!e.dir.path().join("out.csv.outbound-partial").exists());
    // The same people again: nobody new.
    let input2 = e.file("batch2.csv", &sample::customers_csv(0, 100, 1, false));
    let r2 = e.gate("crm-to-parent", &input2, "out2.csv", false);
    assert_eq!(
        (
            r2.counts.new.individuals,
            r2.counts.current_year.individuals
        ),
        (0, 90)
    );
    // Ledger and audit log agree.
    assert_eq!(e.store.batch_count().unwrap(), 2);
    assert!(e.store.audit_verify(&e.keys).unwrap().problems.is_empty());
}

#[test]
fn undeclared_fields_refuse_the_batch_and_nothing_is_written() {
    let e = env(example());
    e.consent_all_but_every("crm-to-parent", 0, 20, 0);
    let input = e.file("batch.csv", &sample::customers_csv(0, 20, 1, true));
    let r = e.gate("crm-to-parent", &input, "out.csv", false);
    let reason = refused(&r.outcome);
    assert!(reason.contains("field `id_no`"), "{reason}");
    assert!(!e.dir.path().join("out.csv").exists());
    assert!(!e.dir.path().join("out.csv.outbound-partial").exists());
    assert_eq!(e.store.batch_count().unwrap(), 0);
    assert_eq!(
        e.store
            .counts(&["lumen-commerce".into()], 2026, 2026)
            .unwrap()
            .individuals,
        0
    );
}

#[test]
fn undeclared_policy_drop_and_mask() {
    for (policy, expect_column) in [("drop", false), ("mask", true)] {
        let mut map = example();
        let t = map
            .transfers
            .iter_mut()
            .find(|t| t.id == "crm-to-parent")
            .unwrap();
        t.gate.undeclared = outbound_model::UndeclaredPolicy::parse(policy).unwrap();
        let e = env(map);
        e.consent_all_but_every("crm-to-parent", 0, 20, 0);
        let input = e.file("batch.csv", &sample::customers_csv(0, 20, 1, true));
        let r = e.gate("crm-to-parent", &input, "out.csv", false);
        assert!(
            matches!(r.outcome, Outcome::Passed { .. }),
            "{policy}: {:?}",
            r.outcome
        );
        let out = std::fs::read_to_string(e.dir.path().join("out.csv")).unwrap();
        assert_eq!(
            out.lines().next().unwrap().contains("id_no"),
            expect_column,
            "{policy}"
        );
        for line in sample::customers_csv(0, 20, 1, true).lines().skip(1) {
            assert!(
                !out.contains(line.rsplit(',').next().unwrap()),
                "{policy}: no resident ID leaves in clear"
            );
        }
    }
}

#[test]
fn a_route_not_in_place_refuses_with_its_article() {
    let e = env(example());
    let csv = "driver_id,face\nD001,base64facedata\nD002,base64facedata\n";
    let input = e.file("faces.csv", csv);
    let r = e.gate("driver-faces", &input, "out.csv", false);
    let reason = refused(&r.outcome);
    assert!(
        reason.contains("security_assessment") && reason.contains("Provisions Art. 7(1)"),
        "{reason}"
    );
    assert!(!e.dir.path().join("out.csv").exists());
    assert_eq!(
        e.store
            .counts(&["lumen-mobility".into()], 2026, 2026)
            .unwrap()
            .individuals,
        0,
        "nothing counted"
    );
}

#[test]
fn suspended_route_refuses_and_dry_run_changes_nothing() {
    let e = env(example());
    e.consent_all_but_every("crm-to-parent", 0, 10, 0);
    let input = e.file("batch.csv", &sample::customers_csv(0, 10, 1, false));
    let r = e.gate("crm-to-parent", &input, "dry.csv", true);
    assert!(matches!(r.outcome, Outcome::DryRun), "{:?}", r.outcome);
    assert_eq!(r.counts.new.individuals, 10, "a dry run reports the counts");
    assert!(!e.dir.path().join("dry.csv").exists());
    assert_eq!(e.store.batch_count().unwrap(), 0);
    e.store
        .set_route(&e.keys, "cli", "crm-to-parent", true, "recipient in breach")
        .unwrap();
    let r = e.gate("crm-to-parent", &input, "out.csv", false);
    let reason = refused(&r.outcome);
    assert!(reason.contains("suspended"), "{reason}");
}

/// A one-transfer map whose exporter has already exported `stated` individuals this year.
fn threshold_map(stated: u64) -> DataMap {
    let text = format!(
        r#"
version: 1
exporters:
  - {{id: e, name: E, country: CN, ciio: false, individuals_processed: 500000, exported_this_year: {{individuals: {stated}, sensitive_individuals: 0}}}}
systems:
  - {{id: s, name: S, exporter: e, owner: {{type: person, name: O}}}}
datasets:
  - id: customers
    name: C
    system: s
    fields:
      - {{name: customer_id, category: online.account_id, subject: customer, subject_key: true}}
      - {{name: mobile, category: contact.phone, subject: customer}}
recipients:
  - {{id: r, name: R, country: SG, role: processor, contact: x}}
transfers:
  - {{id: t, exporter: e, recipient: r, fields: [customers.*], purpose: p, necessity: none, legal_basis: contract, method: api, frequency: daily, individuals_per_year: 10, retention_abroad: 1y, storage: {{country: SG}}}}
"#
    );
    let l = load_sources(&[("m.yaml".into(), text)], Taxonomy::builtin());
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    l.map
}

fn ids_csv(first: u64, n: u64) -> String {
    let mut s = String::from("customer_id,mobile\n");
    for i in first..first + n {
        s.push_str(&format!("{},1381234{:04}\n", sample::customer_id(i), i));
    }
    s
}

#[test]
fn crossing_100000_with_this_batch_refuses_it() {
    // 99,990 already exported: 5 more stay under 100,000 (exempt, Art. 5(4)); 20 more cross it (Art. 8).
    let e = env(threshold_map(99_990));
    let small = e.file("small.csv", &ids_csv(0, 5));
    let r = e.gate("t", &small, "small.out.csv", false);
    assert_passed(&r.outcome);
    assert_eq!(r.determinations[0].mechanism, "exempt");
    let big = e.file("big.csv", &ids_csv(5, 20));
    let r = e.gate("t", &big, "big.out.csv", false);
    let reason = refused(&r.outcome);
    assert!(
        reason.contains("standard_contract_or_certification")
            && reason.contains("Provisions Art. 8"),
        "{reason}"
    );
    assert_eq!(
        r.counts.current_year.individuals, 25,
        "the ledger saw the 20 it would add"
    );
    assert_eq!(
        e.store
            .counts(&["e".into()], 2026, 2026)
            .unwrap()
            .individuals,
        5,
        "…and counted none of them"
    );
}

/// A map keyed by numbers is one field, `items.{n}`, as the scanner
/// reports and suggests it: undeclared, it is named once; declared so,
/// every key of it passes.
#[test]
fn numeric_keys_are_one_field_as_the_scanner_names_it() {
    let lines = "{\"customer_id\":\"C1\",\"mobile\":\"13812345678\",\"items\":{\"1001\":\"sku-1\",\"1002\":\"sku-2\"}}\n\
                 {\"customer_id\":\"C2\",\"mobile\":\"13912345678\",\"items\":{\"2001\":\"sku-3\"}}\n";
    let e = env(threshold_map(0));
    let input = e.file("b.jsonl", lines);
    let r = e.gate("t", &input, "out.jsonl", false);
    refused(&r.outcome);
    assert_eq!(r.undeclared_fields, ["items.{n}"]);
    let mut map = threshold_map(0);
    let mut field = map.datasets[0].fields[1].clone();
    field.name = "items.{n}".into();
    field.category = "operational".into();
    // The transfer takes `customers.*`: the dataset's new field with it.
    map.datasets[0].fields.push(field);
    let e = env(map);
    let input = e.file("b.jsonl", lines);
    let r = e.gate("t", &input, "out.jsonl", false);
    assert_passed(&r.outcome);
    assert_eq!(r.counts.batch.individuals, 2);
}

#[test]
fn json_lines_with_dotted_paths() {
    let mut map = threshold_map(0);
    map.datasets[0].fields[1].name = "contact.phone".into();
    let e = env(map);
    let input = e.file("b.jsonl", "{\"customer_id\":\"C1\",\"contact\":{\"phone\":\"13812345678\"}}\n{\"customer_id\":\"C2\",\"contact\":{\"phone\":\"13912345678\"}}\n");
    let r = e.gate("t", &input, "out.jsonl", false);
    assert!(
        matches!(r.outcome, Outcome::Passed { .. }),
        "{:?} {:?}",
        r.outcome,
        r.undeclared_fields
    );
    assert_eq!(r.counts.batch.individuals, 2);
    let bad = e.file(
        "bad.jsonl",
        "{\"customer_id\":\"C1\"}\n{\"customer_id\": \n",
    );
    let err = e
        .try_gate("t", &bad, "bad.out", false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.jsonl:2"), "{err}");
    assert!(
        !e.dir.path().join("bad.out").exists()
            && !e.dir.path().join("bad.out.outbound-partial").exists()
    );
}

/// JSON lines of a batch that is valid UTF-8 are parsed as text, the
/// others as bytes: the same line is refused with the same error either
/// way, and a string that is not UTF-8 is refused naming its line.
#[test]
fn json_lines_are_refused_alike_whether_or_not_the_batch_is_text() {
    let mut map = threshold_map(0);
    map.datasets[0].fields[1].name = "contact.phone".into();
    let e = env(map);
    let broken = &b"{\"customer_id\":\"C2\",\"contact\":{\"phone\":tru}}\n"[..];
    let refusal = |name: &str, lines: &[&[u8]]| {
        let input = e.dir.path().join(name);
        std::fs::write(&input, lines.concat()).unwrap();
        let err = e
            .try_gate("t", &input, "o.jsonl", false)
            .unwrap_err()
            .to_string();
        assert!(!e.dir.path().join("o.jsonl").exists(), "{name}");
        err.replace(name, "FILE")
    };
    let first = &b"{\"customer_id\":\"C1\"}\n"[..];
    let text = refusal("text.jsonl", &[first, broken]);
    // Not UTF-8 after the broken line: the batch is read as bytes.
    let bytes = refusal(
        "bytes.jsonl",
        &[first, broken, b"{\"customer_id\":\"\xFF\"}\n"],
    );
    assert!(
        text.contains("FILE:2") && text.contains("invalid JSON at column"),
        "{text}"
    );
    assert_eq!(text, bytes);
    let stray = refusal("stray.jsonl", &[first, b"{\"customer_id\":\"C\xFF\"}\n"]);
    assert!(
        stray.contains("FILE:2") && stray.contains("invalid JSON"),
        "{stray}"
    );
    assert_eq!(e.store.batch_count().unwrap(), 0);
}

#[test]
fn ragged_csv_is_an_error_naming_the_line() {
    let e = env(threshold_map(0));
    let input = e.file("r.csv", "customer_id,mobile\nC1,13812345678\nC2\n");
    let err = e
        .try_gate("t", &input, "o.csv", false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("r.csv:3") && err.contains("1 fields where the header has 2"),
        "{err}"
    );
    assert!(!err.contains("C2"), "no values in errors");
    assert_eq!(e.store.batch_count().unwrap(), 0);
}

/// A field that is not UTF-8 alone is refused even where the batch is
/// (the gate checks a batch once and its fields' ends): here a character
/// whose halves are two quoted fields, and a stray byte.
#[test]
fn a_field_not_utf8_alone_is_an_error_naming_the_line() {
    let e = env(threshold_map(0));
    for (name, third) in [
        ("halves.csv", &b"\"a\"\"\xE4\",\xB8\xAD\n"[..]),
        ("stray.csv", &b"C2,138\xFF12345678\n"[..]),
    ] {
        let input = e.dir.path().join(name);
        let mut text = b"customer_id,mobile\nC1,13812345678\n".to_vec();
        text.extend_from_slice(third);
        std::fs::write(&input, text).unwrap();
        let err = e
            .try_gate("t", &input, "o.csv", false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("{name}:3")) && err.contains("invalid UTF-8"),
            "{err}"
        );
    }
    assert_eq!(e.store.batch_count().unwrap(), 0);
}

/// The same gate on PostgreSQL, the shared-deployment backend (skipped locally without
/// `OUTBOUND_TEST_POSTGRES`; required under CI).
#[test]
fn gate_on_postgres() {
    let Some(url) = outbound_store::testing::fresh_postgres_database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::create(&dir.path().join("keys")).unwrap();
    let e = Env {
        store: Store::open(&url).unwrap(),
        keys,
        map: threshold_map(99_990),
        dir,
    };
    let r = e.gate("t", &e.file("a.csv", &ids_csv(0, 5)), "a.out.csv", false);
    assert_passed(&r.outcome);
    let r = e.gate("t", &e.file("b.csv", &ids_csv(5, 20)), "b.out.csv", false);
    assert!(
        matches!(r.outcome, Outcome::Refused { .. }),
        "{:?}",
        r.outcome
    );
    assert_eq!(
        e.store
            .counts(&["e".into()], 2026, 2026)
            .unwrap()
            .individuals,
        5
    );
    assert!(e.store.audit_verify(&e.keys).unwrap().problems.is_empty());
}

mod encodings;
mod generalise;
mod golden;
mod grade;
mod trust;

/// A US exporter's vendor agreement with a recipient in China carrying human
/// genomic data: bulk is more than 100 U.S. persons in the preceding 12 months
/// (28 CFR §202.205), counting the map's estimate (10) and everyone the
/// ledger says the counterparty's transfers carried in the window, this
/// batch included.
fn genomic_map() -> DataMap {
    let text = r#"
version: 1
exporters:
  - {id: acme-us, name: Acme Inc., country: US, individuals_processed: 500000}
systems:
  - {id: lab, name: Lab, exporter: acme-us, owner: {type: department, name: IT}}
datasets:
  - id: samples
    name: Samples
    system: lab
    fields:
      - {name: customer_id, category: online.account_id, subject: customer, subject_key: true}
      - {name: genome, category: biometric.genetic, subject: customer}
recipients:
  - {id: parent, name: Parent Co., country: CN, role: processor, contact: dpo@parent.example}
transfers:
  - id: sequencing
    exporter: acme-us
    recipient: parent
    fields: [samples.*]
    purpose: sequencing
    necessity: none
    legal_basis: contract
    method: file
    frequency: monthly
    individuals_per_year: 10
    retention_abroad: 1 year
    storage: {country: CN}
    us: {transaction: vendor}
"#;
    let l = load_sources(&[("m.yaml".into(), text.to_string())], Taxonomy::builtin());
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    l.map
}

#[test]
fn the_us_bulk_window_rolls_by_the_day_and_counts_the_batch_in_flight() {
    let e = env(genomic_map());
    let batch = |first: u64, n: u64, on: &str, name: &str| {
        let mut csv = String::from("customer_id,genome\n");
        for i in first..first + n {
            csv.push_str(&format!("{},ACGT{i}\n", sample::customer_id(i)));
        }
        let input = e.file(&format!("{name}.csv"), &csv);
        let req = GateRequest {
            transfer: "sequencing".into(),
            input: Io::Path(input),
            output: Io::Path(e.dir.path().join(format!("{name}.out.csv"))),
            format: None,
            as_of: on.parse().unwrap(),
            dry_run: false,
            count_group: false,
        };
        run(&e.map, &e.store, &e.keys, &req).unwrap().outcome
    };
    // 10 estimated + 60 carried: not bulk.
    let first = batch(0, 60, "2025-11-01", "a");
    assert!(matches!(first, Outcome::Passed { .. }), "{first:?}");
    // 35 more within 12 months of 2025-11-01: 10 + 60 + 35 = 105 > 100.
    for on in ["2026-10-01", "2026-11-01"] {
        let Outcome::Refused { reason } = batch(60, 35, on, "b") else {
            panic!("{on}: not refused")
        };
        assert!(
            reason.contains("prohibited") && reason.contains("202."),
            "{reason}"
        );
    }
    // The next day the first batch has left the window: 10 + 35 = 45.
    let later = batch(60, 35, "2026-11-02", "c");
    assert!(matches!(later, Outcome::Passed { .. }), "{later:?}");
    assert_eq!(
        e.store
            .delivered_between(
                &["sequencing"],
                "2025-11-01".parse().unwrap(),
                "2026-11-02".parse().unwrap()
            )
            .unwrap(),
        95
    );
}

/// A map of orders whose `order_no` is declared with `not_kinds` or not.
fn orders_map(not_kinds: &str) -> DataMap {
    one_dataset_map(&format!(
        "      - {{name: customer_id, category: online.account_id, subject: customer, subject_key: true}}\n\
         \x20     - {{name: order_no, category: operational, subject: customer{not_kinds}}}\n"
    ))
}

/// A map with one dataset, `orders`, of the `fields` given (YAML lines),
/// and one transfer of all of them.
fn one_dataset_map(fields: &str) -> DataMap {
    let text = format!(
        r#"
version: 1
exporters:
  - {{id: e, name: E, country: CN, ciio: false, individuals_processed: 500000, exported_this_year: {{individuals: 0, sensitive_individuals: 0}}}}
systems:
  - {{id: s, name: S, exporter: e, owner: {{type: person, name: O}}}}
datasets:
  - id: orders
    name: C
    system: s
    fields:
{fields}recipients:
  - {{id: r, name: R, country: SG, role: processor, contact: x}}
transfers:
  - {{id: t, exporter: e, recipient: r, fields: [orders.*], purpose: p, necessity: none, legal_basis: contract, method: api, frequency: daily, individuals_per_year: 10, retention_abroad: 1y, storage: {{country: SG}}}}
"#
    );
    let l = load_sources(&[("m.yaml".into(), text)], Taxonomy::builtin());
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    l.map
}

/// 11-digit user numbers from 1: seven in ten pass as mobiles. Declared
/// as such (`not_kinds`), they are no mobiles: nobody is counted by them
/// (200 rows of 20 customers' e-mails count 20 people, where the rows'
/// "mobiles" would count about 140), and they leave unchanged; otherwise
/// a batch of them is refused as undeclared mobiles.
#[test]
fn user_numbers_that_pass_as_mobiles_count_nobody_when_the_field_says_so() {
    let mut csv = String::from("email,user_no\n");
    for (i, user) in outbound_scan::corpus::user_numbers(200, 42)
        .iter()
        .enumerate()
    {
        csv.push_str(&format!("user{}@example.com,{user}\n", i % 20));
    }
    let map = |not_kinds: &str| {
        one_dataset_map(&format!(
            "      - {{name: email, category: contact.email, subject: customer}}\n\
             \x20     - {{name: user_no, category: operational, subject: customer{not_kinds}}}\n"
        ))
    };
    let e = env(map(""));
    let p = e.file("u.csv", &csv);
    let r = e.gate("t", &p, "u.out.csv", true);
    assert!(
        refused(&r.outcome).contains("cn_mobile in field `user_no`"),
        "{:?}",
        r.outcome
    );
    let e = env(map(", not_kinds: [cn_mobile]"));
    let p = e.file("u.csv", &csv);
    let r = e.gate("t", &p, "u.out.csv", false);
    assert_passed(&r.outcome);
    assert_eq!(r.kinds.get("cn_mobile"), None, "{:?}", r.kinds);
    assert_eq!(r.counts.current_year.individuals, 20);
    assert!(r.undeclared_kinds.is_empty());
    let out = std::fs::read_to_string(e.dir.path().join("u.out.csv")).unwrap();
    assert_eq!(out, csv, "the user numbers leave as they came");
}

/// 19-digit order numbers (a marketplace's): about one in forty has a
/// card network's prefix and passes Luhn. Declared as such (`not_kinds`),
/// they pass the gate unchanged and count as no card; otherwise a batch of
/// them is refused as undeclared bank cards.
#[test]
fn order_numbers_that_pass_luhn_by_chance_pass_when_the_field_says_so() {
    let mut csv = String::from("customer_id,order_no\n");
    for (i, order) in outbound_scan::corpus::order_numbers(200, 42)
        .iter()
        .enumerate()
    {
        csv.push_str(&format!("{},{order}\n", sample::customer_id(i as u64)));
    }
    let e = env(orders_map(""));
    let p = e.file("o.csv", &csv);
    let r = e.gate("t", &p, "o.out.csv", true);
    assert!(
        refused(&r.outcome).contains("bank_card in field `order_no`"),
        "{:?}",
        r.outcome
    );
    let e = env(orders_map(", not_kinds: [bank_card]"));
    let p = e.file("o.csv", &csv);
    let r = e.gate("t", &p, "o.out.csv", false);
    assert_passed(&r.outcome);
    // Not cards: neither counted as such nor making anyone's record
    // sensitive (which would call for a standard contract, Art. 8).
    assert_eq!(r.kinds.get("bank_card"), None, "{:?}", r.kinds);
    assert_eq!(r.counts.current_year.sensitive_individuals, 0);
    assert_eq!(r.counts.current_year.individuals, 200);
    assert!(r.undeclared_kinds.is_empty());
    assert_eq!(r.masked_undeclared, 0);
    let out = std::fs::read_to_string(e.dir.path().join("o.out.csv")).unwrap();
    assert_eq!(out, csv, "the order numbers leave as they came");
    // What the map let pass is in the report and committed to by the log,
    // with the map it was judged under.
    let aside = r.set_aside.get("bank_card").copied().unwrap_or(0);
    assert!(aside > 0, "{:?}", r.set_aside);
    let entries = e.store.audit_entries().unwrap();
    let batch = entries.iter().rev().find(|x| x.kind == "batch").unwrap();
    let body: serde_json::Value = serde_json::from_str(&batch.body).unwrap();
    assert_eq!(body["v"], 2);
    assert_eq!(body["set_aside"], serde_json::json!({"bank_card": aside}));
    assert_eq!(body["kinds"].get("bank_card"), None, "{body}");
    assert_eq!(body["map_sha256"], e.map.content_sha256());
}

//! Loading edge cases a tester found (issue 15): what a map file holds beyond
//! one plain YAML document, and counts no population can reach.

use outbound_model::{Code, Loaded, Taxonomy, load_sources};

const MAP: &str = "version: 1
exporters:
  - id: e
    name: E
    country: CN
    individuals_processed: 1000
    exported_this_year:
      individuals: STATED
";

fn load(text: &str) -> Loaded {
    load_sources(&[("m.yaml".into(), text.into())], Taxonomy::builtin())
}

#[test]
fn a_second_yaml_document_is_an_error_at_its_line() {
    let text = format!("{}---\ntransfers: []\n", MAP.replace("STATED", "10"));
    let l = load(&text);
    let d = l
        .diagnostics
        .iter()
        .find(|d| d.field == "(file)")
        .unwrap_or_else(|| panic!("no error for a second document: {:#?}", l.diagnostics));
    assert_eq!(d.code, Code::Syntax);
    assert_eq!((&*d.loc.file, d.loc.line), ("m.yaml", 9), "{d}");
    assert!(d.message.contains("second YAML document"), "{d}");
}

#[test]
fn one_document_with_explicit_markers_is_fine() {
    let text = format!("---\n{}...\n", MAP.replace("STATED", "10"));
    let l = load(&text);
    assert!(
        !l.diagnostics.iter().any(|d| d.code == Code::Syntax),
        "{:#?}",
        l.diagnostics
    );
}

#[test]
fn a_leading_byte_order_mark_is_accepted_and_positions_stay_right() {
    // `ciio: maybe` is wrong, so there is a diagnostic whose position we check.
    let text = format!(
        "\u{feff}{}",
        MAP.replace("STATED", "10")
            .replace("name: E\n", "name: E\n    ciio: maybe\n")
    );
    let l = load(&text);
    assert_eq!(l.diagnostics.len(), 1, "{:#?}", l.diagnostics);
    let d = &l.diagnostics[0];
    assert_eq!(d.field, "exporters[0].ciio");
    assert_eq!((d.loc.line, d.loc.column), (5, 11), "{d}");
    assert_eq!(l.map.exporters.len(), 1);
    // On the first line too: the mark is not a column.
    let l = load("\u{feff}versio: 1\n");
    let d = l
        .diagnostics
        .iter()
        .find(|d| d.code == Code::UnknownField)
        .unwrap();
    assert_eq!((d.loc.line, d.loc.column), (1, 1), "{d}");
}

#[test]
fn a_count_above_the_worlds_population_is_an_error_naming_the_field() {
    let l = load(&MAP.replace("STATED", "18446744073709551600"));
    let d = l
        .diagnostics
        .iter()
        .find(|d| d.field == "exporters[0].exported_this_year.individuals")
        .unwrap_or_else(|| panic!("no error for an impossible count: {:#?}", l.diagnostics));
    assert_eq!(d.code, Code::InvalidValue);
    assert_eq!((&*d.loc.file, d.loc.line), ("m.yaml", 8), "{d}");
    // Just above the bound is refused too; the bound itself is accepted.
    let max = outbound_model::limits::max_individuals();
    let l = load(&MAP.replace("STATED", &(max + 1).to_string()));
    assert_eq!(l.diagnostics.len(), 1, "{:#?}", l.diagnostics);
    let l = load(
        &MAP.replace("STATED", &max.to_string())
            .replace("1000\n", &format!("{max}\n")),
    );
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
}

#[test]
fn the_schema_states_the_same_bound_for_editors() {
    let schema = outbound_model::json_schema().to_string();
    let max = outbound_model::limits::max_individuals();
    assert!(schema.contains(&format!("\"maximum\":{max}")), "{schema}");
}

/// A quoted scalar means what its quotes say: `"null"` is the text null (a
/// table may be called that), a plain `null` or `~` and an empty `""` are
/// no value, and spaces alone are no text, which a required field refuses
/// at its line. Quoted booleans and counts still read as what people mean
/// by them, and an optional field given `""` is absent as before.
#[test]
fn quoted_null_is_text_and_a_quoted_empty_name_is_refused() {
    let base = MAP.replace("STATED", "10");
    for (name, want) in [("\"null\"", "null"), ("'NULL'", "NULL"), ("\"~\"", "~")] {
        let l = load(&base.replace("name: E", &format!("name: {name}")));
        assert!(l.diagnostics.is_empty(), "{name}: {:#?}", l.diagnostics);
        assert_eq!(l.map.exporters[0].name, want);
    }
    // An absent value is reported where its entry starts, an empty one
    // at the value.
    for (name, line) in [("null", 3), ("~", 3), ("\"\"", 3), ("\"  \"", 4)] {
        let l = load(&base.replace("name: E", &format!("name: {name}")));
        let d = l
            .diagnostics
            .iter()
            .find(|d| d.field == "exporters[0].name")
            .unwrap_or_else(|| panic!("{name}: no error: {:#?}", l.diagnostics));
        assert_eq!(d.code, Code::MissingField, "{d}");
        assert_eq!(d.loc.line, line, "{d}");
    }
    let l = load(
        &base
            .replace("name: E\n", "name: E\n    ciio: \"true\"\n")
            .replace(
                "individuals_processed: 1000",
                "individuals_processed: \"1,000\"",
            ),
    );
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    assert!(l.map.exporters[0].ciio);
    assert_eq!(l.map.exporters[0].individuals_processed, 1000);
    // An optional field given `""` is absent, not a zone called "".
    let l = load(&base.replace("name: E\n", "name: E\n    free_trade_zone: \"\"\n"));
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    assert_eq!(l.map.exporters[0].free_trade_zone, None);
}

/// `not_kinds` lists scanner kinds: a misspelt one is an error at the
/// field's line that suggests the kind, and nothing is exempted by it.
#[test]
fn not_kinds_names_kinds_the_scanner_reports() {
    let map = |kinds: &str| {
        format!(
            "version: 1
datasets:
  - id: orders
    name: O
    system: s
    fields:
      - name: order_no
        category: operational
        subject: customer
        not_kinds: [{kinds}]
"
        )
    };
    let l = load(&map("bank_crd"));
    let d = l
        .diagnostics
        .iter()
        .find(|d| d.field == "dataset orders.fields.order_no.not_kinds")
        .unwrap_or_else(|| panic!("no error for an unknown kind: {:#?}", l.diagnostics));
    assert_eq!(d.code, Code::InvalidValue);
    assert_eq!((&*d.loc.file, d.loc.line), ("m.yaml", 7), "{d}");
    assert!(d.message.contains("`bank_crd`"), "{d}");
    assert!(d.help.contains("did you mean `bank_card`?"), "{d}");
    let l = load(&map("bank_card, cn_mobile"));
    assert!(
        !l.diagnostics.iter().any(|d| d.field.ends_with("not_kinds")),
        "{:#?}",
        l.diagnostics
    );
    assert_eq!(
        l.map.datasets[0].fields[0].not_kinds,
        ["bank_card", "cn_mobile"]
    );
}

/// The map's content digest (what the gate's audit entries record) follows
/// what the map declares, not how it is written: the example's files with
/// their comments dropped, other names and keys reordered digest as they
/// do; a `not_kinds` removed, or a category changed, does not.
#[test]
fn the_content_digest_follows_what_the_map_declares() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lumen");
    let files = outbound_model::load_path(&root).unwrap();
    assert!(files.diagnostics.is_empty());
    let digest = files.map.content_sha256();
    // What the documentation says it is: SHA-256 of the map's JSON.
    let json = serde_json::to_vec(&files.map).unwrap();
    let expected: String = <sha2::Sha256 as sha2::Digest>::digest(&json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(digest, expected);
    let mut paths: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    // Comments dropped, files renamed.
    let copies: Vec<(String, String)> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let text = std::fs::read_to_string(p).unwrap();
            let kept: Vec<&str> = text
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .collect();
            (format!("copy-{i}.yaml"), kept.join("\n") + "\n")
        })
        .collect();
    let digest_of = |edit: &dyn Fn(&str) -> String| {
        let sources: Vec<(String, String)> =
            copies.iter().map(|(n, t)| (n.clone(), edit(t))).collect();
        assert_ne!(sources, copies, "the edit changed nothing");
        let l = load_sources(&sources, Taxonomy::builtin());
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        l.map.content_sha256()
    };
    const ORDER_ID: &str =
        "{name: order_id, category: operational, subject: customer, not_kinds: [bank_card]}";
    let reordered = digest_of(&|t| {
        t.replacen(
            ORDER_ID,
            "{not_kinds: [bank_card], subject: customer, category: operational, name: order_id}",
            1,
        )
    });
    assert_eq!(reordered, digest);
    for to in [
        "{name: order_id, category: operational, subject: customer}",
        "{name: order_id, category: online.account_id, subject: customer, not_kinds: [bank_card]}",
    ] {
        assert_ne!(digest_of(&|t| t.replacen(ORDER_ID, to, 1)), digest, "{to}");
    }
}

/// A transfer that sends fields of one name from two datasets must declare
/// them alike: the gate knows a batch's fields by name only. The example's
/// `customers.customer_id` and `orders.customer_id` are declared alike, so
/// a transfer of both is fine until a transform, a `not_kinds` or a
/// category tells them apart; the error is at the transfer's `fields`.
#[test]
fn a_transfer_declares_fields_of_one_name_alike() {
    let transfer = |transforms: &str| {
        format!(
            "transfers:
  - id: both-ids
    name: Both ids
    exporter: lumen-commerce
    recipient: lumen-inc
    fields: [customers.customer_id, orders.customer_id, orders.items]
    purpose: support
    necessity: none
    legal_basis: consent
    method: api
    frequency: daily
    individuals_per_year: 1_000
    retention_abroad: 1 year
    storage: {{country: US}}
    mechanisms:
      - {{type: standard_contract, effective: 2026-03-02, filed: 2026-03-10, reference: SC-1}}
    pipia: {{completed: 2026-02-20}}
    gate:
      transforms: {{{transforms}}}
"
        )
    };
    let load_with = |extra: String, systems: &dyn Fn(&str) -> String| {
        let mut sources = outbound_model::example::lumen_sources();
        for (name, text) in &mut sources {
            if name.ends_with("10-systems.yaml") {
                *text = systems(text);
            }
        }
        sources.push(("99-both.yaml".into(), extra));
        load_sources(&sources, Taxonomy::builtin())
    };
    let errors = |l: &Loaded| -> Vec<String> {
        l.diagnostics
            .iter()
            .filter(|d| d.field == "transfer both-ids.fields")
            .map(|d| format!("{}:{}: {} / {}", d.loc.file, d.loc.line, d.message, d.help))
            .collect()
    };
    let same = |t: &str| t.to_string();
    // Alike, and one transform for both.
    let l = load_with(
        transfer("customers.customer_id: pseudonymise, orders.customer_id: pseudonymise"),
        &same,
    );
    assert_eq!(errors(&l), Vec::<String>::new());
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    // A transform for one of them only.
    let l = load_with(transfer("customers.customer_id: pseudonymise"), &same);
    let e = errors(&l);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].starts_with("99-both.yaml:6: field `customer_id` is sent from dataset `customers` (examples/lumen/10-systems.yaml:39:")
            && e[0].contains("and dataset `orders` (examples/lumen/10-systems.yaml:55:")
            && e[0].contains("declared differently: transform `pseudonymise` and none;")
            && e[0].contains("give both the same category"),
        "{e:#?}"
    );
    // A `not_kinds` and a category on the orders' one (line 55).
    let differ = |t: &str| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        lines[54] = lines[54].replace(
            "category: online.account_id, subject: customer, subject_key: true}",
            "category: operational, subject: customer, subject_key: true, not_kinds: [cn_mobile]}",
        );
        lines.join("\n") + "\n"
    };
    let l = load_with(
        transfer("customers.customer_id: pseudonymise, orders.customer_id: pseudonymise"),
        &differ,
    );
    let e = errors(&l);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].contains(
            "category `online.account_id` and `operational`, not_kinds `[]` and `[cn_mobile]`"
        ),
        "{e:#?}"
    );
    assert!(!e[0].contains("transform `"), "{e:#?}");
}

/// A dataset's `table` names where it lives; a map without it reads as
/// before, and a table given as a list is an error at its line.
#[test]
fn a_dataset_names_its_table() {
    let map = |table: &str| {
        format!(
            "version: 1
datasets:
  - id: orders
    name: O
    system: s
{table}    fields:
      - {{name: order_no, category: operational, subject: customer}}
"
        )
    };
    let l = load(&map("    table: shop.orders\n"));
    assert!(
        !l.diagnostics.iter().any(|d| d.field.contains("table")),
        "{:#?}",
        l.diagnostics
    );
    assert_eq!(l.map.datasets[0].table.as_deref(), Some("shop.orders"));
    assert_eq!(load(&map("")).map.datasets[0].table, None);
    let l = load(&map("    table: [a, b]\n"));
    let d = l
        .diagnostics
        .iter()
        .find(|d| d.field == "datasets[0].table")
        .unwrap_or_else(|| panic!("no error for a list: {:#?}", l.diagnostics));
    assert_eq!(d.loc.line, 6, "{d}");
}

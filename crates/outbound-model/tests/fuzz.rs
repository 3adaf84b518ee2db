//! Fuzzing the data-map loader.
//!
//! Property: `load_sources` never panics, whatever it is given, and every
//! diagnostic it returns has a message and a position (line ≥ 1) unless it is
//! about the whole file (field `(file)`).
//!
//! Cases: 3,000 arbitrary strings + 3,000 YAML-like token soups + 4,000
//! mutations of the bundled example map = 10,000 per run.

use std::collections::BTreeSet;

use outbound_model::example::{LUMEN, lumen_sources};
use outbound_model::{Code, Loaded, Taxonomy, known_keys, load_sources};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// The property every load must satisfy.
fn check(sources: &[(String, String)], loaded: &Loaded) -> Result<(), TestCaseError> {
    let names: BTreeSet<&str> = sources.iter().map(|(n, _)| n.as_str()).collect();
    for d in &loaded.diagnostics {
        prop_assert!(!d.message.trim().is_empty(), "empty message: {d:?}");
        prop_assert!(!d.field.is_empty(), "empty field: {d:?}");
        prop_assert!(
            names.contains(&*d.loc.file),
            "diagnostic for a file that was not given: {d:?}"
        );
        let whole_file = d.field == "(file)";
        prop_assert!(
            d.loc.line >= 1 || whole_file,
            "line 0 on a diagnostic about a field: {d:?}"
        );
        if d.loc.line >= 1 {
            prop_assert!(d.loc.column >= 1, "line without column: {d:?}");
            let (_, text) = sources
                .iter()
                .find(|(n, _)| *n == *d.loc.file)
                .expect("file named");
            // The line exists (a position one past the last line is where EOF errors point).
            let lines = text.split('\n').count();
            prop_assert!(
                d.loc.line <= lines + 1,
                "line {} beyond the {} lines of the file: {d:?}",
                d.loc.line,
                lines
            );
        }
        if whole_file {
            prop_assert_eq!(d.code, Code::Syntax, "{:?}", d);
        }
    }
    Ok(())
}

fn load_and_check(sources: &[(String, String)]) -> Result<(), TestCaseError> {
    let loaded = load_sources(sources, Taxonomy::builtin());
    check(sources, &loaded)
}

#[test]
fn example_map_is_clean() {
    let sources = lumen_sources();
    let loaded = load_sources(&sources, Taxonomy::builtin());
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    assert_eq!(loaded.map.transfers.len(), 15);
}

#[test]
fn edge_inputs() {
    let cases = [
        "",
        "\n",
        "~",
        "null",
        "---",
        "--- \n...\n",
        "[]",
        "- a\n- b\n",
        "a",
        "version: 2",
        "version: -1",
        "version: 99999999999999999999999999",
        "exporters:",
        "exporters: 5",
        "exporters: [1, [2], {a: b}]",
        "transfers: [{}]",
        "transfers:\n  - mechanisms: [{}, {type: scc, module: 300}, 7]\n",
        "datasets: [{id: d, name: n, system: s, fields: [{}, 1, [x]]}]",
        "exporters: [{id: A, name: [], country: cn, individuals_processed: 1_000,000}]",
        "recipients: [{id: r, name: n, country: US, role: processor, contact: c, onward_recipients: [{}, 1]}]",
        "transfers: [{id: t, fields: [., a., .b, '', x.y.z], retention_abroad: 99999999999 years}]",
        "exporters: [{id: e, exported_this_year: {individuals: 1, sensitive_individuals: 2, as_of: 2026-13-01}}]",
        "a: &x 1\nb: *x\n",
        "!tag {}\n",
        "? [a]\n: b\n",
        "a: 1\na: 2\n",
        "\u{feff}version: 1\n",
        "version: 1\r\nexporters: []\r\n",
        "\0",
        "\t- x",
        "'unterminated",
        "\"unterminated",
        "{",
        "key: |\n  block\n   more\n",
    ];
    for c in cases {
        let sources = vec![("f.yaml".to_string(), c.to_string())];
        if let Err(e) = load_and_check(&sources) {
            panic!("{c:?}: {e}");
        }
    }
}

// ---------------------------------------------------------------------------
// (a) arbitrary strings

/// YAML-ish tokens, biased towards what the loader reads, so that the soup gets past the parser.
fn token() -> impl Strategy<Value = String> {
    let keys: Vec<&'static str> = known_keys()
        .into_iter()
        .flat_map(|(_, ks)| ks.iter().copied())
        .collect();
    prop_oneof![
        4 => prop::sample::select(keys).prop_map(|k| format!("{k}: ")),
        2 => Just("\n".to_string()),
        2 => Just("  ".to_string()),
        2 => Just("- ".to_string()),
        1 => prop::sample::select(vec![
            "{", "}", "[", "]", ", ", ": ", "'", "\"", "#", "&a ", "*a", "!t ", "|", ">", "? ", "---\n",
            "~", "null", "true", "false", "-1", "0", "1_000", "1,000", "18446744073709551616",
            "2026-02-30", "2026-03-01", "2026/03/01", "CN", "US", "XX", "UK", "none", "consent",
            "standard_contract", "scc", "security_assessment", "3 years", "contact.phone", "d.f",
            "d.*", "é", "中", "\t", "\r\n",
        ])
        .prop_map(String::from),
        2 => "[a-z0-9_.-]{1,10}",
    ]
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..80).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(Config { cases: 3_000, failure_persistence: None, ..Config::default() })]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        load_and_check(&[("a.yaml".to_string(), text)])?;
    }

    #[test]
    fn yaml_like_soup_never_panics(a in soup(), b in soup()) {
        // Two files, so duplicate ids and references across files are exercised.
        load_and_check(&[("a.yaml".to_string(), a), ("b.yaml".to_string(), b)])?;
    }
}

// ---------------------------------------------------------------------------
// (b) mutations of the valid example map

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the byte at (fraction of length) with this byte.
    FlipByte(f64, u8),
    /// Delete the line at (fraction of line count).
    DeleteLine(f64),
    /// Duplicate the line at (fraction of line count).
    DuplicateLine(f64),
    /// Cut the text at (fraction of length).
    Truncate(f64),
    /// Swap two lines.
    SwapLines(f64, f64),
    /// Re-indent a line by this many spaces (negative removes).
    Indent(f64, i8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let frac = 0.0..1.0f64;
    let interesting = prop_oneof![
        any::<u8>(),
        prop::sample::select(b" :-[]{},'\"#&*!|>\n\t0123456789".to_vec()),
    ];
    prop_oneof![
        4 => (frac.clone(), interesting).prop_map(|(p, b)| Mutation::FlipByte(p, b)),
        3 => frac.clone().prop_map(Mutation::DeleteLine),
        3 => frac.clone().prop_map(Mutation::DuplicateLine),
        1 => frac.clone().prop_map(Mutation::Truncate),
        1 => (frac.clone(), frac.clone()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        2 => (frac, -4i8..=4).prop_map(|(p, n)| Mutation::Indent(p, n)),
    ]
}

fn at(frac: f64, len: usize) -> usize {
    ((frac * len as f64) as usize).min(len.saturating_sub(1))
}

fn apply(text: &str, m: &Mutation) -> String {
    match *m {
        Mutation::FlipByte(p, b) => {
            let mut bytes = text.as_bytes().to_vec();
            if !bytes.is_empty() {
                let i = at(p, bytes.len());
                bytes[i] = b;
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Mutation::Truncate(p) => {
            let bytes = text.as_bytes();
            let i = at(p, bytes.len() + 1);
            String::from_utf8_lossy(&bytes[..i.min(bytes.len())]).into_owned()
        }
        Mutation::DeleteLine(p) | Mutation::DuplicateLine(p) | Mutation::Indent(p, _) => {
            let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
            let i = at(p, lines.len());
            match *m {
                Mutation::DeleteLine(_) => {
                    lines.remove(i);
                }
                Mutation::DuplicateLine(_) => {
                    let l = lines[i].clone();
                    lines.insert(i, l);
                }
                Mutation::Indent(_, n) if n >= 0 => {
                    lines[i] = format!("{}{}", " ".repeat(n as usize), lines[i]);
                }
                Mutation::Indent(_, n) => {
                    let k =
                        (-n as usize).min(lines[i].len() - lines[i].trim_start_matches(' ').len());
                    lines[i] = lines[i][k..].to_string();
                }
                _ => unreachable!(),
            }
            lines.join("\n")
        }
        Mutation::SwapLines(a, b) => {
            let mut lines: Vec<&str> = text.split('\n').collect();
            let (i, j) = (at(a, lines.len()), at(b, lines.len()));
            lines.swap(i, j);
            lines.join("\n")
        }
    }
}

proptest! {
    #![proptest_config(Config { cases: 4_000, failure_persistence: None, ..Config::default() })]

    #[test]
    fn mutated_example_never_panics(
        file in 0..LUMEN.len(),
        muts in prop::collection::vec(mutation(), 1..5),
        drop_other in prop::option::of(0..LUMEN.len()),
    ) {
        let mut sources = lumen_sources();
        for m in &muts {
            sources[file].1 = apply(&sources[file].1, m);
        }
        // Sometimes leave out another file, so references dangle.
        if let Some(k) = drop_other && k != file {
            sources.remove(k);
        }
        load_and_check(&sources)?;
    }
}

#[test]
fn mutation_of_a_required_value_is_reported_where_it_is() {
    // A sanity check that the mutation harness reaches the reader: deleting
    // `purpose:` of the first CN transfer yields a missing_field there.
    let mut sources = lumen_sources();
    let text = &sources[3].1;
    let line = text
        .split('\n')
        .position(|l| l.trim_start().starts_with("purpose:"))
        .unwrap();
    sources[3].1 = apply(
        text,
        &Mutation::DeleteLine((line as f64 + 0.5) / text.split('\n').count() as f64),
    );
    let loaded = load_sources(&sources, Taxonomy::builtin());
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.code == Code::MissingField && d.field == "transfers[0].purpose"),
        "{:#?}",
        loaded.diagnostics
    );
}

/// A case the fuzz test found (session 23): a truncated file with a flipped
/// byte made the YAML parser report its error two lines past the file's
/// end; the diagnostic now points at the end of the file.
#[test]
fn a_syntax_error_past_a_truncated_end_points_at_the_end() {
    let mut sources = lumen_sources();
    for m in [
        Mutation::DuplicateLine(0.9926301521404546),
        Mutation::Truncate(0.23490103508178423),
        Mutation::FlipByte(0.32704725763169, 13),
    ] {
        sources[3].1 = apply(&sources[3].1, &m);
    }
    let loaded = load_sources(&sources, Taxonomy::builtin());
    assert!(
        loaded.diagnostics.iter().any(|d| d.code == Code::Syntax),
        "{:#?}",
        loaded.diagnostics
    );
    load_and_check(&sources).unwrap();
}

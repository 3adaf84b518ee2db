//! Regression test for the accuracy figures of `docs/ACCURACY.md`.
//!
//! Every labelled public case of `tests/data/labelled.tsv` must be judged
//! as labelled, except the disagreements listed in [`KNOWN`], each of which
//! is discussed in `docs/ACCURACY.md`. A new disagreement (a regression)
//! fails, and so does a known one that disappears (then update the list and
//! the document). The generated corpus must still match its ground truth
//! exactly per column and kind.

#[path = "data/labelled.rs"]
mod labelled;

use outbound_scan::{Kind, corpus};

/// Disagreements with the sources' labels: (kind, label, value, context)
/// as in labelled.tsv. Each is explained in docs/ACCURACY.md.
const KNOWN: &[(&str, &str, &str, &str)] = &[
    ("cn_resident_id", "invalid", "110111198012010078", ""),
    ("cn_uscc", "valid", "91 110000 600037341L", ""),
    ("ipv6", "valid", "::", "Use local ipv6 {}"),
    ("ipv6", "valid", "::1", "my ip: {}"),
    ("ipv6", "valid", "::1", "connecting from {}"),
    ("ipv6", "valid", "::", "src={} dst=::1"),
    ("ipv6", "valid", "::1", "src=:: dst={}"),
    ("ipv6", "valid", "fe80::1", ""),
    ("ipv6", "valid", "fe80::1%eth0", ""),
    ("ipv6", "valid", "fe80::1", "Gateway: {} on interface"),
    ("ipv4", "valid", "192.168.1.1", "{}.1"),
    ("ipv4", "valid", "0.0.0.0", "Default {}"),
    ("ipv6", "valid", "::", "Unspecified {}"),
    ("ipv6", "valid", "::1", "Loopback {}"),
    ("ipv6", "valid", "ff02::1", "Multicast {}"),
    ("ipv4", "valid", "0.0.0.0/0", ""),
    ("ipv6", "valid", "2001:db8::/32", ""),
    ("ipv6", "valid", "fe80::/10", ""),
    ("ipv6", "valid", "::1/128", ""),
    ("ipv6", "valid", "fe80::1%eth0/64", ""),
    ("ipv6", "valid", "2001:db8::%eth0/128", ""),
    ("ipv6", "valid", "::/0", ""),
    ("ipv6", "valid", "::/128", ""),
    ("ipv6", "valid", "2001:db8::/32", "Prefix: {}"),
    ("ipv6", "valid", "2001:db8::/32", "Use {}."),
    ("ipv6", "valid", "2001:db8::", "{}/9999"),
];

#[test]
fn labelled_cases_match_except_known() {
    let cases = labelled::load_default();
    assert!(cases.len() > 500, "labelled.tsv lost rows: {}", cases.len());
    let mut unexpected = Vec::new();
    let mut seen = vec![false; KNOWN.len()];
    for c in &cases {
        let v = labelled::judge(c);
        let label = if c.valid { "valid" } else { "invalid" };
        let key = (c.kind.as_str(), label, c.value.as_str(), c.context.as_str());
        let known = KNOWN.iter().position(|k| *k == key);
        match (v.agrees(c), known) {
            (true, None) => {}
            (false, Some(i)) => seen[i] = true,
            (true, Some(_)) => unexpected.push(format!(
                "line {}: {key:?} now agrees with its label; remove it from KNOWN and docs/ACCURACY.md",
                c.line
            )),
            (false, None) => unexpected.push(format!("line {}: {key:?}: {v:?}", c.line)),
        }
    }
    for (i, s) in seen.iter().enumerate() {
        if !s {
            unexpected.push(format!("KNOWN entry not in labelled.tsv: {:?}", KNOWN[i]));
        }
    }
    assert!(unexpected.is_empty(), "\n{}", unexpected.join("\n"));
}

#[test]
fn generated_corpus_matches_ground_truth_per_column() {
    let (bytes, gt) = corpus::csv_bytes(20_000, 7);
    let labelled::CorpusCells { headers, found, .. } = labelled::corpus_cells(&bytes);
    for (i, h) in headers.iter().enumerate() {
        let truth = gt.fields.get(h.as_str()).cloned().unwrap_or_default();
        for k in Kind::ALL {
            let t = truth.get(k.as_str()).copied().unwrap_or(0);
            assert_eq!(found[i][k as usize], t, "column {h}, kind {k}");
        }
    }
}

/// The customer table (twenty columns, seven of them personal data): the
/// whole scan reports exactly the ground truth per column and kind, no
/// kind in the thirteen business columns, and the individuals it counts.
#[test]
fn customer_table_matches_ground_truth_per_column() {
    let (bytes, gt) = corpus::customers_csv_bytes(20_000, 7);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("customers.csv");
    std::fs::write(&path, &bytes).unwrap();
    let report = outbound_scan::scan_paths(&[path], &outbound_scan::ScanOptions::default());
    let file = &report.files[0];
    assert_eq!(file.records, gt.rows);
    let headers: Vec<&str> = corpus::CUSTOMERS_HEADER.split(',').collect();
    assert_eq!(headers.len(), 20);
    for f in &file.fields {
        let name = f.field.as_deref().expect("a header names every column");
        assert!(headers.contains(&name), "{name}");
        let truth = gt.fields.get(name).cloned().unwrap_or_default();
        assert_eq!(f.kinds, truth, "column {name}");
    }
    let personal: Vec<&str> = gt.fields.keys().copied().collect();
    assert_eq!(
        personal,
        [
            "address",
            "birth_date",
            "email",
            "id_no",
            "last_login_ip",
            "mobile",
            "name"
        ]
    );
    assert_eq!(report.individuals.distinct, gt.distinct_subjects);
    assert_eq!(report.individuals.sensitive, gt.sensitive_subjects);
}

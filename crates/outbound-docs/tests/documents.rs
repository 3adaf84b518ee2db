//! Snapshot tests of every document for one transfer of the example, in both
//! languages, and checks that every figure carries a source.

use outbound_docs::{DocKind, Document, Lang};

use crate::common;

/// The documents the snapshots cover: one transfer each (or the whole map).
const CASES: &[(DocKind, Option<&str>)] = &[
    (DocKind::Pipia, Some("analytics-eu")),
    (DocKind::Annex, Some("analytics-eu")),
    (DocKind::Filing, Some("analytics-eu")),
    (DocKind::Ropa, Some("eu-to-parent")),
    (DocKind::Tia, Some("eu-to-parent")),
    (DocKind::Summary, None),
];

fn all_cases() -> Vec<Document> {
    let mut v = Vec::new();
    for &(k, t) in CASES {
        for lang in [Lang::En, Lang::Zh] {
            let d = common::docs(k, t, lang);
            assert_eq!(d.len(), 1, "{k:?} {t:?}");
            v.extend(d);
        }
    }
    v
}

#[test]
fn snapshots() {
    for d in all_cases() {
        insta::assert_snapshot!(d.stem.clone(), d.markdown);
    }
}

/// Strips what is not a figure: dates, citations of articles and standards,
/// footnote definitions, numbered headings.
fn non_figures() -> Vec<regex::Regex> {
    let patterns = [
        r"\[\^s\d+\]",
        r"\d{4}-\d{2}-\d{2}",
        r"\d{4}年\d{1,2}月\d{1,2}日",
        r"Art(icles?|\.) ?\d+(\(\d+\))*([–-]\d+)?(\(\w\))*",
        r"第\d+条(第\d+款)?",
        r"第[一二三四五六七八九十]+条",
        r"GB/T \d+(\.\d+)?(-\d{4})?",
        r"\(EU\) \d{4}/\d+|（EU）\d{4}/\d+|\d{4}/\d+",
        r"C-\d+/\d+",
        r"0?1/2020",
        r"CAC Order No\. \d+|第13号",
        r"`[^`]*`",
        r"https?://\S+",
        r"Order 1\d",
        r"ISO/IEC \d+",
        r"AES-\d+",
        r"SOC \d",
        r"us-(east|west)-\d",
        r"\b[A-Z]{2,}(-[A-Z0-9]+)+\b",
        r"Outbound \d+\.\d+\.\d+",
        r"Cap\. \d+|第\d+章",
        r"(Act|Law|Ordinance|Regulation|Decision|Code|Measures|Provisions|Rules|Wiv|Lei|Part|法|条例|决定|措施)[^|]*?\d{4}",
        r"\d{4} ?(Act|Law|Rev|revision|amendment)",
        r"\b\d{1,3}\b(\s*[–-]\s*\d+)?\s*(U\.S\.C\.|CFR)",
        r"§ ?\d+\w*",
        r"s\. ?\d+\w*",
        r"\b(19|20)\d{2}\b",
        r"[Ss]ections? \d+(\.\d+)?",
        r"\(\d+\)",
        r"Step \d",
        r"^\s*\d+\. ",
        r"module \d",
        r"1 January|1月1日",
    ];
    patterns
        .iter()
        .map(|p| regex::Regex::new(p).unwrap())
        .collect()
}

fn without_non_figures(res: &[regex::Regex], line: &str) -> String {
    let mut s = line.to_string();
    for r in res {
        s = r.replace_all(&s, "").into_owned();
    }
    s
}

#[test]
fn every_figure_line_has_a_source() {
    let res = non_figures();
    for d in all_cases() {
        let body = d
            .markdown
            .split("\n## Sources")
            .next()
            .unwrap()
            .split("\n## 数据来源")
            .next()
            .unwrap();
        let mut checked = 0;
        for line in body.lines() {
            if line.starts_with('#') || line.starts_with("|---") {
                continue;
            }
            let rest = without_non_figures(&res, line);
            if rest.chars().any(|c| c.is_ascii_digit()) {
                checked += 1;
                assert!(
                    line.contains("[^s"),
                    "{}: a line with a figure but no source:\n{line}\n(after removing non-figures: {rest})",
                    d.stem
                );
            }
        }
        assert!(checked > 0, "{}: no figure lines found", d.stem);
    }
}

#[test]
fn every_reference_has_a_definition_and_every_definition_is_used() {
    let re_ref = regex::Regex::new(r"\[\^(s\d+)\]").unwrap();
    for d in all_cases() {
        let defs: Vec<&str> = d
            .markdown
            .lines()
            .filter_map(|l| {
                l.strip_prefix("[^")
                    .and_then(|r| r.split_once("]: "))
                    .map(|(id, _)| id)
            })
            .collect();
        let refs: std::collections::BTreeSet<&str> = d
            .markdown
            .lines()
            .filter(|l| !l.starts_with("[^"))
            .flat_map(|l| re_ref.captures_iter(l).map(|c| c.get(1).unwrap().as_str()))
            .collect();
        for r in &refs {
            assert!(defs.contains(r), "{}: [^{r}] has no source entry", d.stem);
        }
        for (i, id) in defs.iter().enumerate() {
            assert!(
                refs.contains(id),
                "{}: source {id} is never referred to",
                d.stem
            );
            assert_eq!(
                *id,
                format!("s{}", i + 1),
                "{}: sources are numbered in order",
                d.stem
            );
        }
        assert!(
            d.markdown.contains("## Legal citations used")
                || d.markdown.contains("## 引用的法律依据")
        );
        assert!(
            !d.markdown.contains('⟨'),
            "{}: a missing strings key",
            d.stem
        );
        assert!(
            !d.markdown.contains("\"value\""),
            "{}: a figure printed without `fig`",
            d.stem
        );
    }
}

#[test]
fn html_inlines_charts_and_escapes() {
    let d = common::docs(DocKind::Summary, None, Lang::Zh).remove(0);
    let html = d.html();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("<svg"), "the chart is inlined");
    assert!(html.contains("@page"), "print CSS");
    assert!(html.contains("<table>"));
    assert_eq!(
        d.attachments.len(),
        8,
        "two charts for each of the four Chinese exporters (the US company's Shanghai branch among them)"
    );
}

#[test]
fn unknown_transfer_and_not_applicable_are_errors() {
    let map = common::lumen();
    let a = common::assessed(&map);
    let input = outbound_docs::Input::new(&map, &a);
    let e = outbound_docs::documents(&input, DocKind::Pipia, Some("nope"), Lang::En).unwrap_err();
    assert!(e.to_string().contains("no transfer `nope`"), "{e}");
    let e = outbound_docs::documents(&input, DocKind::Annex, Some("card-payments"), Lang::En)
        .unwrap_err();
    assert!(
        matches!(e, outbound_docs::DocError::NotApplicable { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("exempt"), "{e}");
    let e =
        outbound_docs::documents(&input, DocKind::Tia, Some("eu-helpdesk"), Lang::En).unwrap_err();
    assert!(
        matches!(e, outbound_docs::DocError::NotApplicable { .. }),
        "{e}"
    );
}

#[test]
fn all_documents_for_the_map() {
    let map = common::lumen();
    let a = common::assessed(&map);
    let input = outbound_docs::Input::new(&map, &a);
    let docs = outbound_docs::all_documents(&input, None, Lang::Zh).unwrap();
    let stems: Vec<&str> = docs.iter().map(|d| d.stem.as_str()).collect();
    for s in [
        "summary.zh",
        "pipia-crm-to-parent.zh",
        "pipia-driver-faces.zh",
        "annex-analytics-eu.zh",
        "filing-crm-to-parent.zh",
        "ropa-lumen-europe.zh",
        "tia-eu-to-parent.zh",
        "tia-eu-to-shanghai.zh",
    ] {
        assert!(stems.contains(&s), "{s} missing from {stems:?}");
    }
    assert!(
        !stems.iter().any(|s| s.starts_with("annex-support-sg")),
        "certification route needs no annex"
    );
}

#[test]
fn ledger_and_scan_evidence_become_cited_figures() {
    let map = common::lumen();
    let a = common::assessed(&map);
    let mut input = outbound_docs::Input::new(&map, &a);
    input.evidence.scans.push(outbound_docs::ScanFinding {
        dataset: "orders".into(),
        run: "scan run 42 of 2026-11-20 over s3://lumen/orders/*.csv".into(),
        records: 1_000_000,
        categories_found: vec![
            ("device.ip_address".into(), 999_000),
            ("identity.national_id".into(), 12),
        ],
    });
    input.evidence.ledger.push(outbound_docs::LedgerCount {
        exporter: "lumen-commerce".into(),
        year: 2026,
        as_of: common::AS_OF,
        individuals: 300_001,
        sensitive_individuals: 8_000,
        series: vec![
            (jiff::civil::date(2026, 1, 1), 0, 0),
            (common::AS_OF, 300_001, 8_000),
        ],
        query: "ledger query: distinct subjects exporter=lumen-commerce year=2026".into(),
    });
    let d = outbound_docs::documents(&input, DocKind::Pipia, Some("analytics-eu"), Lang::En)
        .unwrap()
        .remove(0);
    assert!(
        d.markdown.contains("**Found but not declared:**"),
        "{}",
        d.markdown
    );
    assert!(
        d.markdown.contains("scan run: scan run 42"),
        "the scan run is a source"
    );
    assert!(
        d.markdown
            .contains("ledger query: ledger query: distinct subjects"),
        "the ledger query is a source"
    );
    let s = outbound_docs::documents(&input, DocKind::Summary, None, Lang::En)
        .unwrap()
        .remove(0);
    assert!(s.markdown.contains("ledger query:"));
}

#[test]
fn html_reports_escape_text_from_the_map() {
    let mut map = common::lumen_with_analytics_purpose("<script>alert(1)</script>");
    let recipient = map
        .transfers
        .iter()
        .find(|t| t.id == "analytics-eu")
        .unwrap()
        .recipient
        .clone();
    // Every kind of free text a map carries, and a link that would run code.
    map.organisation = Some("<img src=x onerror=alert(2)>".into());
    let r = map
        .recipients
        .iter_mut()
        .find(|r| r.id == recipient)
        .unwrap();
    r.name = "<b onmouseover=alert(3)>Recipient</b>".into();
    r.security_measures = vec!["[click](javascript:alert(4))".into()];
    let a = common::assessed(&map);
    let input = outbound_docs::Input::new(&map, &a);
    for lang in [Lang::En, Lang::Zh] {
        let docs = outbound_docs::all_documents(&input, Some("analytics-eu"), lang).unwrap();
        let pipia = docs.iter().find(|d| d.kind == DocKind::Pipia).unwrap();
        assert!(pipia.markdown.contains("<script>alert(1)</script>"));
        // Each hostile text reaches some document, so the check below bites.
        for text in ["alert(2)", "alert(3)", "alert(4)"] {
            assert!(
                docs.iter().any(|d| d.markdown.contains(text)),
                "{text} is in no document"
            );
        }
        for d in &docs {
            let html = d.html();
            for markup in ["<script", "<img", "<b ", "javascript:"] {
                assert!(!html.contains(markup), "{}: {markup} in {html}", d.stem);
            }
        }
        assert!(
            pipia
                .html()
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
        );
    }
}

#[test]
fn a_transfer_missing_from_the_filed_map_is_a_refiling_trigger() {
    let map = common::lumen();
    let mut filed = map.clone();
    filed.transfers.retain(|t| t.id != "analytics-eu");
    let a = common::assessed(&map);
    let mut input = outbound_docs::Input::new(&map, &a);
    input.filed_map = Some(&filed);
    let d = outbound_docs::documents(&input, DocKind::Filing, Some("analytics-eu"), Lang::En)
        .unwrap()
        .remove(0);
    assert!(
        d.markdown
            .contains("| transfer not in the filed map | — | analytics-eu[^s"),
        "{}",
        d.markdown
    );
}

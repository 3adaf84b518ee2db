//! PDF output (feature `pdf`): the file opens, has several pages, and its
//! text holds the expected headings in both languages. Needs poppler-utils
//! (`pdftotext`, `pdftoppm`) and fonts-noto-cjk. Set `OUTBOUND_PDF_KEEP=DIR`
//! to keep the PDFs and their page images for a person to look at.

use std::path::Path;
use std::process::Command;

use outbound_docs::{DocKind, Lang};

use crate::common;

fn pdftotext(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (Debian poppler-utils) is needed for this test");
    assert!(
        out.status.success(),
        "pdftotext could not open {}",
        pdf.display()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn check(kind: DocKind, transfer: Option<&str>, lang: Lang, expected: &[&str]) {
    let d = common::docs(kind, transfer, lang).remove(0);
    let bytes = d.pdf().unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "{}: not a PDF", d.stem);
    let keep = std::env::var("OUTBOUND_PDF_KEEP").ok();
    let tmp = tempfile::tempdir().unwrap();
    let dir = keep.as_deref().map(Path::new).unwrap_or(tmp.path());
    std::fs::create_dir_all(dir).unwrap();
    let pdf = dir.join(format!("{}.pdf", d.stem));
    std::fs::write(&pdf, &bytes).unwrap();
    let text = pdftotext(&pdf);
    let pages = text.matches('\u{c}').count();
    assert!(pages >= 2, "{}: {pages} pages", d.stem);
    for e in expected {
        assert!(
            text.contains(e),
            "{}: `{e}` not in the PDF text:\n{text}",
            d.stem
        );
    }
    // Pages to PNG, as a reader sees them.
    let st = Command::new("pdftoppm")
        .args([
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "3",
            pdf.to_str().unwrap(),
            dir.join(&d.stem).to_str().unwrap(),
        ])
        .status()
        .expect("pdftoppm (Debian poppler-utils) is needed for this test");
    assert!(st.success());
    let pngs = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "png")
        })
        .count();
    assert!(pngs >= 2, "{}: pages rendered to PNG", d.stem);
}

#[test]
fn pipia_in_chinese() {
    check(
        DocKind::Pipia,
        Some("analytics-eu"),
        Lang::Zh,
        &[
            "个人信息保护影响评估报告",
            "目录",
            "风险登记表",
            "七、评估结论",
            "数据来源",
            "第 1 页",
        ],
    );
}

#[test]
fn pipia_in_english() {
    check(
        DocKind::Pipia,
        Some("analytics-eu"),
        Lang::En,
        &[
            "Personal Information Protection Impact Assessment",
            "Contents",
            "4.2 Risk register",
            "7. Conclusions",
            "Sources",
            "Page 1 of",
        ],
    );
}

#[test]
fn filing_in_chinese() {
    check(
        DocKind::Filing,
        Some("analytics-eu"),
        Lang::Zh,
        &["备案材料", "一、备案期限", "二、备案材料清单", "已逾期"],
    );
}

#[test]
fn summary_with_charts() {
    check(
        DocKind::Summary,
        None,
        Lang::En,
        &[
            "Compliance summary",
            "Cumulative individuals against the thresholds",
            "Transfers",
        ],
    );
}

#[test]
fn markup_from_the_map_is_printed_as_text_in_the_pdf() {
    // HTML shows it escaped; the PDF must neither drop it nor interpret it.
    let map = common::lumen_with_analytics_purpose("Analytics <b>weekly</b> #import \"x\" [y]");
    let a = common::assessed(&map);
    let input = outbound_docs::Input::new(&map, &a);
    let d = outbound_docs::documents(&input, DocKind::Pipia, Some("analytics-eu"), Lang::En)
        .unwrap()
        .remove(0);
    let tmp = tempfile::tempdir().unwrap();
    let pdf = tmp.path().join("pipia.pdf");
    std::fs::write(&pdf, d.pdf().unwrap()).unwrap();
    let text = pdftotext(&pdf);
    assert!(
        text.contains("Analytics <b>weekly</b> #import \"x\" [y]"),
        "{text}"
    );
}

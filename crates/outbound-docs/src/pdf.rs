//! PDF output (feature `pdf`): the document's Markdown is translated to typst
//! and typeset in-process with `typst` + `typst-pdf` (through `typst-as-lib`).
//!
//! Why typst: it gives page numbers, an outline (table of contents), tables
//! that break across pages with their header row repeated, and CJK line
//! breaking, none of which a low-level PDF writer (printpdf) offers. It is
//! heavy to build, hence the feature.
//!
//! Fonts: Chinese needs a CJK font. The Noto Sans CJK collection of Debian's
//! `fonts-noto-cjk` is loaded from the system (its Latin glyphs serve the
//! English documents too); `OUTBOUND_CJK_FONT_DIR` points elsewhere. Nothing
//! is downloaded.

use std::path::PathBuf;

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use typst_as_lib::TypstEngine;

use crate::{DocError, Document, Lang, html};

const FONT_FILES: &[&str] = &["NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"];
const FONT_DIRS: &[&str] = &[
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
    "/usr/local/share/fonts",
];

fn font_bytes() -> Result<Vec<Vec<u8>>, DocError> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Ok(d) = std::env::var("OUTBOUND_CJK_FONT_DIR") {
        dirs.push(d.into());
    }
    dirs.extend(FONT_DIRS.iter().map(PathBuf::from));
    for d in &dirs {
        let files: Vec<PathBuf> = FONT_FILES.iter().map(|f| d.join(f)).collect();
        if files.iter().all(|f| f.exists()) {
            return files
                .iter()
                .map(|f| {
                    std::fs::read(f).map_err(|e| DocError::Pdf(format!("{}: {e}", f.display())))
                })
                .collect();
        }
    }
    Err(DocError::Pdf(format!(
        "no CJK font found ({} in {}): install Debian's fonts-noto-cjk or set OUTBOUND_CJK_FONT_DIR",
        FONT_FILES.join(", "),
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// A typst string literal (inserted as text, so no markup escaping is needed).
fn lit(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 4);
    o.push_str("#\"");
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push(' '),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn footnote_number(label: &str) -> String {
    label.trim_start_matches('s').to_string()
}

/// The typst source of a document.
pub(crate) fn typst_source(doc: &Document) -> String {
    let (lang, contents, page) = match doc.lang {
        Lang::En => ("en", "Contents", "Page"),
        Lang::Zh => ("zh", "目录", "第"),
    };
    let mut o = String::new();
    o.push_str(&format!(
        "#set document(title: {})\n\
         #set page(paper: \"a4\", margin: (x: 18mm, top: 18mm, bottom: 22mm), footer: context align(center, text(size: 8pt)[{} {}{}]))\n\
         #set text(font: \"Noto Sans CJK SC\", size: 9.5pt, lang: \"{lang}\")\n\
         #set par(leading: 0.7em, spacing: 1.1em)\n\
         #set heading(numbering: none)\n\
         #show heading.where(level: 1): set text(size: 17pt)\n\
         #show heading.where(level: 2): set text(size: 13pt)\n\
         #show heading.where(level: 2): it => {{ v(0.6em); it }}\n\
         #set table(stroke: 0.4pt + luma(170), inset: 4pt)\n\
         #show table.cell.where(y: 0): set text(weight: \"bold\")\n\
         #show link: set text(fill: rgb(\"#1f5fa8\"))\n",
        lit(&doc.title).trim_start_matches('#'),
        if doc.lang == Lang::Zh { page } else { "Page" },
        "#counter(page).display()",
        if doc.lang == Lang::Zh {
            " 页，共 #counter(page).final().first() 页"
        } else {
            " of #counter(page).final().first()"
        },
    ));
    let mut first_heading_done = false;
    // Open structures: tables (columns, cells so far), lists.
    let mut in_image = false;
    let mut in_heading: Option<bool> = None;
    for ev in Parser::new_ext(&doc.markdown, html::options()) {
        if in_image {
            if matches!(ev, Event::End(TagEnd::Image)) {
                in_image = false;
            }
            continue;
        }
        match ev {
            Event::Start(Tag::Heading { level, .. }) => {
                let n = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    _ => 4,
                };
                o.push_str(&format!("#heading(level: {n})["));
                in_heading = Some(n == 1);
            }
            Event::End(TagEnd::Heading(_)) => {
                o.push_str("]\n");
                if in_heading == Some(true) && !first_heading_done {
                    first_heading_done = true;
                    o.push_str(&format!(
                        "#outline(title: {}, depth: 3)\n#pagebreak(weak: true)\n",
                        lit(contents).trim_start_matches('#')
                    ));
                }
                in_heading = None;
            }
            Event::Start(Tag::Paragraph) => {}
            Event::End(TagEnd::Paragraph) => o.push_str("\n\n"),
            Event::Start(Tag::Strong) => o.push_str("#strong["),
            Event::Start(Tag::Emphasis) => o.push_str("#emph["),
            Event::Start(Tag::Strikethrough) => o.push_str("#strike["),
            Event::End(TagEnd::Strong | TagEnd::Emphasis | TagEnd::Strikethrough) => o.push(']'),
            Event::Start(Tag::BlockQuote(_)) => {
                o.push_str("#block(inset: (left: 8pt), stroke: (left: 2pt + rgb(\"#c0392b\")))[")
            }
            Event::End(TagEnd::BlockQuote(_)) => o.push_str("]\n"),
            Event::Start(Tag::List(Some(_))) => o.push_str("#enum(tight: true, "),
            Event::Start(Tag::List(None)) => o.push_str("#list(tight: true, "),
            Event::End(TagEnd::List(_)) => o.push_str(")\n"),
            Event::Start(Tag::Item) => o.push('['),
            Event::End(TagEnd::Item) => o.push_str("], "),
            Event::Start(Tag::Table(align)) => {
                let n = align.len().max(1);
                o.push_str(&format!(
                    "#table(columns: {}, ",
                    if n == 2 {
                        "(auto, 1fr)".to_string()
                    } else {
                        format!("{n}")
                    }
                ));
            }
            Event::End(TagEnd::Table) => o.push_str(")\n"),
            Event::Start(Tag::TableHead) => o.push_str("table.header("),
            Event::End(TagEnd::TableHead) => o.push_str("), "),
            Event::Start(Tag::TableRow) | Event::End(TagEnd::TableRow) => {}
            Event::Start(Tag::TableCell) => o.push('['),
            Event::End(TagEnd::TableCell) => o.push_str("], "),
            Event::Start(Tag::FootnoteDefinition(label)) => {
                o.push_str(&format!("#block[#super[{}] ", footnote_number(&label)));
            }
            Event::End(TagEnd::FootnoteDefinition) => o.push_str("]\n"),
            Event::FootnoteReference(label) => {
                o.push_str(&format!("#super[{}]", footnote_number(&label)));
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                in_image = true;
                if doc.attachments.iter().any(|a| a.name == dest_url.as_ref()) {
                    o.push_str(&format!(
                        "\n#image({}, width: 100%)\n",
                        lit(&dest_url).trim_start_matches('#')
                    ));
                }
            }
            Event::Start(Tag::Link { .. }) | Event::End(TagEnd::Link) => {}
            Event::Start(Tag::CodeBlock(_)) => o.push_str("#block["),
            Event::End(TagEnd::CodeBlock) => o.push_str("]\n"),
            // Markup from the data map is shown as the text it is, as in HTML.
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => o.push_str(&lit(&t)),
            Event::Code(t) => o.push_str(&format!("#raw({})", lit(&t).trim_start_matches('#'))),
            Event::SoftBreak => o.push(' '),
            Event::HardBreak => o.push_str("#linebreak()"),
            Event::Rule => o.push_str("#line(length: 100%)\n"),
            _ => {}
        }
    }
    o
}

/// Renders a document to PDF.
pub(crate) fn render(doc: &Document) -> Result<Vec<u8>, DocError> {
    let fonts = font_bytes()?;
    let source = typst_source(doc);
    let files: Vec<(String, Vec<u8>)> = doc
        .attachments
        .iter()
        .map(|a| (a.name.clone(), a.content.clone().into_bytes()))
        .collect();
    let engine = TypstEngine::builder()
        .main_file(source)
        .fonts(fonts)
        .with_static_file_resolver(files.iter().map(|(n, b)| (n.as_str(), b.clone())))
        .build();
    let compiled = engine
        .compile()
        .output
        .map_err(|e| DocError::Pdf(format!("{}: typesetting failed: {e:?}", doc.stem)))?;
    typst_pdf::pdf(&compiled, &typst_pdf::PdfOptions::default())
        .map_err(|e| DocError::Pdf(format!("{}: PDF export failed: {e:?}", doc.stem)))
}

//! Markdown to a standalone HTML page (pulldown-cmark) with a print stylesheet;
//! charts referenced as images are inlined as SVG.
//!
//! The Markdown carries text from the data map (names, purposes, free text),
//! so nothing in it is trusted as markup: raw HTML is written as text and
//! links go nowhere but `http`, `https` and `mailto`. The charts are the only
//! markup added, and they escape what they print with [`escape`].

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::Document;
use crate::templates::CSS;

/// The Markdown options every output uses (tables, footnotes).
pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH
}

/// Text made safe to put inside an HTML element or a quoted attribute.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The HTML page of a document.
pub(crate) fn page(doc: &Document) -> String {
    page_of(&doc.markdown, &doc.title, doc.lang, &doc.attachments)
}

/// The HTML page of any Markdown with its title, language and charts.
pub(crate) fn page_of(
    markdown: &str,
    title: &str,
    lang: crate::Lang,
    attachments: &[crate::Attachment],
) -> String {
    let mut events = Vec::new();
    let mut skip_alt = false;
    let mut unsafe_link = false;
    for ev in Parser::new_ext(markdown, options()) {
        match &ev {
            // Raw HTML in the Markdown comes from the data: show it, never run it.
            Event::Html(raw) | Event::InlineHtml(raw) => events.push(Event::Text(raw.clone())),
            Event::Start(Tag::Link { dest_url, .. }) if !safe_url(dest_url) => unsafe_link = true,
            Event::End(TagEnd::Link) if unsafe_link => unsafe_link = false,
            Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(a) = attachments.iter().find(|a| a.name == dest_url.as_ref()) {
                    events.push(Event::Html(CowStr::from(format!(
                        "<figure class=\"chart\">{}</figure>",
                        a.content
                    ))));
                    skip_alt = true;
                    continue;
                }
                events.push(ev);
            }
            Event::End(TagEnd::Image) if skip_alt => skip_alt = false,
            _ if skip_alt => {}
            _ => events.push(ev),
        }
    }
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, events.into_iter());
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        lang = match lang {
            crate::Lang::En => "en",
            crate::Lang::Zh => "zh-CN",
        },
        title = escape(title),
    )
}

/// Whether a link target is a web page, a mail address or a relative path
/// (not `javascript:`, `data:` and the like).
fn safe_url(url: &str) -> bool {
    match url.split_once(':') {
        Some((scheme, _)) if !scheme.contains(['/', '?', '#']) => {
            ["http", "https", "mailto"].contains(&scheme.to_ascii_lowercase().as_str())
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_links_are_kept() {
        for url in [
            "https://a.example/x",
            "http://a",
            "mailto:a@b",
            "MAILTO:a@b",
            "chart.svg",
            "a/b:c",
            "#s1",
        ] {
            assert!(safe_url(url), "{url}");
        }
        for url in [
            "javascript:alert(1)",
            "JavaScript:x",
            "data:text/html,x",
            "vbscript:x",
        ] {
            assert!(!safe_url(url), "{url}");
        }
    }

    #[test]
    fn raw_html_and_script_links_are_text() {
        let doc = Document {
            kind: crate::DocKind::Summary,
            lang: crate::Lang::En,
            stem: "t".into(),
            title: "<b>".into(),
            markdown: "# T\n\n<script>alert(1)</script>\n\n| a |\n|---|\n| x <img src=x onerror=alert(1)> [y](javascript:alert(1)) <a@b.example> |\n".into(),
            attachments: Vec::new(),
        };
        let html = page(&doc);
        assert!(html.contains("<title>&lt;b&gt;</title>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(
            !html.contains("<script") && !html.contains("<img") && !html.contains("javascript:"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"mailto:a@b.example\">"),
            "autolinks stay: {html}"
        );
    }
}

//! Markdown to a standalone HTML page (pulldown-cmark) with a print stylesheet;
//! charts referenced as images are inlined as SVG.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::Document;
use crate::templates::CSS;

/// The Markdown options every output uses (tables, footnotes).
pub fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The HTML page of a document.
pub fn page(doc: &Document) -> String {
    let mut events = Vec::new();
    let mut skip_alt = false;
    for ev in Parser::new_ext(&doc.markdown, options()) {
        match &ev {
            Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(a) = doc.attachments.iter().find(|a| a.name == dest_url.as_ref()) {
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
        lang = match doc.lang {
            crate::Lang::En => "en",
            crate::Lang::Zh => "zh-CN",
        },
        title = esc(&doc.title),
    )
}

//! SVG built in Rust, outside the templates' auto-escaping: every text and
//! attribute value goes through [`escape`].

/// Text safe inside an SVG (XML) element or a quoted attribute.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How many Latin letters wide a character is drawn (CJK: two).
fn width(c: char) -> usize {
    if c >= '\u{2E80}' { 2 } else { 1 }
}

/// `s` cut to `max` Latin letters' width (an ellipsis marks the cut), so a
/// box's label stays inside it; the whole text goes in the box's `<title>`.
pub(super) fn fit(s: &str, max: usize) -> String {
    if s.chars().map(width).sum::<usize>() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 1;
    for c in s.chars() {
        if used + width(c) > max {
            break;
        }
        used += width(c);
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_text() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn long_labels_are_cut_by_characters() {
        assert_eq!(fit("short", 10), "short");
        assert_eq!(fit("abcdefghijkl", 5), "abcd…");
        assert_eq!(fit("数据出境安全评估申报", 9), "数据出境…");
    }
}

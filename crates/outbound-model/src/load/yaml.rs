//! A reader over a position-marked YAML tree that records every problem it meets.
//!
//! serde stops at the first error; a person fixing a hand-written map wants all
//! of them, each with its line and column, so the loader walks the tree itself.

use std::sync::Arc;

use jiff::civil::Date;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{Node, Span};

use super::keys::unknown_field;
use crate::diag::{Code, Diagnostic, Loc, did_you_mean};

/// Collects diagnostics for one file.
pub(crate) struct Reader<'d> {
    pub(crate) file: Arc<str>,
    pub(crate) diags: &'d mut Vec<Diagnostic>,
}

/// A mapping being read, with the keys it may have.
pub(crate) struct Obj<'n> {
    pub(crate) map: &'n MarkedMappingNode,
    pub(crate) path: String,
}

impl Obj<'_> {
    /// Where each key of the mapping is written, so a problem with a value can
    /// point at its line rather than at the start of the entity.
    pub(crate) fn key_locs(&self, file: &Arc<str>) -> crate::diag::KeyLocs {
        self.map
            .keys()
            .filter_map(|k| {
                k.span().start().map(|m| {
                    (
                        k.as_str().to_string(),
                        Loc {
                            file: file.clone(),
                            line: m.line(),
                            column: m.column(),
                        },
                    )
                })
            })
            .collect()
    }

    /// The position of the first key: where the entity visibly starts.
    pub(crate) fn start(&self, file: &Arc<str>) -> Loc {
        self.map
            .keys()
            .filter_map(|k| k.span().start())
            .min_by_key(|m| (m.line(), m.column()))
            .map(|m| Loc {
                file: file.clone(),
                line: m.line(),
                column: m.column(),
            })
            .unwrap_or_else(|| Loc {
                file: file.clone(),
                line: 0,
                column: 0,
            })
    }
}

/// A scalar that means "no value": empty, quoted or not, or a plain null
/// word. A quoted `"null"` is text (`may_coerce` is false for a quoted
/// scalar, the loader being told to prevent coercion): a table may be
/// called that.
fn is_null(s: &MarkedScalarNode) -> bool {
    s.as_str().is_empty()
        || (s.may_coerce() && matches!(s.as_str(), "~" | "null" | "Null" | "NULL"))
}

impl<'d> Reader<'d> {
    pub(crate) fn loc(&self, span: &Span) -> Loc {
        let m = span.start();
        Loc {
            file: self.file.clone(),
            line: m.map_or(0, |m| m.line()),
            column: m.map_or(0, |m| m.column()),
        }
    }

    pub(crate) fn report(
        &mut self,
        span: &Span,
        field: &str,
        code: Code,
        message: String,
        help: String,
    ) {
        let loc = self.loc(span);
        self.diags.push(Diagnostic {
            loc,
            field: field.to_string(),
            code,
            message,
            help,
        });
    }

    /// Reads `node` as a mapping whose keys must be among `allowed`.
    pub(crate) fn obj<'n>(
        &mut self,
        node: &'n Node,
        path: String,
        allowed: &[&str],
    ) -> Option<Obj<'n>> {
        let Some(map) = node.as_mapping() else {
            self.report(
                node.span(),
                &path,
                Code::WrongType,
                format!(
                    "expected a mapping (key: value lines), found {}",
                    describe(node)
                ),
                format!("write {path} as indented `key: value` lines"),
            );
            return None;
        };
        for key in map.keys() {
            if let Some((message, help)) = unknown_field(key.as_str(), allowed) {
                self.report(
                    key.span(),
                    &format!("{path}.{}", key.as_str()),
                    Code::UnknownField,
                    message,
                    help,
                );
            }
        }
        Some(Obj { map, path })
    }

    /// The value of `key`, or None when absent or null; reports a missing required field.
    pub(crate) fn get<'n>(
        &mut self,
        o: &Obj<'n>,
        key: &str,
        required: Option<&str>,
    ) -> Option<&'n Node> {
        let node = o
            .map
            .get_node(key)
            .filter(|n| !n.as_scalar().is_some_and(is_null));
        if node.is_none()
            && let Some(what) = required
        {
            self.report(
                o.map.span(),
                &format!("{}.{key}", o.path),
                Code::MissingField,
                format!("missing required field `{key}` ({what})"),
                format!("add `{key}:` to {}", o.path),
            );
        }
        node
    }

    fn scalar<'n>(
        &mut self,
        o: &Obj<'n>,
        key: &str,
        required: Option<&str>,
        expected: &str,
    ) -> Option<&'n MarkedScalarNode> {
        let node = self.get(o, key, required)?;
        match node.as_scalar() {
            Some(s) => Some(s),
            None => {
                self.report(
                    node.span(),
                    &format!("{}.{key}", o.path),
                    Code::WrongType,
                    format!("expected {expected}, found {}", describe(node)),
                    format!("give `{key}` a single value"),
                );
                None
            }
        }
    }

    pub(crate) fn string(
        &mut self,
        o: &Obj<'_>,
        key: &str,
        required: Option<&str>,
    ) -> Option<String> {
        let s = self.scalar(o, key, required, "text")?;
        // Spaces alone are no text for a required field.
        if let Some(what) = required
            && s.as_str().trim().is_empty()
        {
            self.report(
                s.span(),
                &format!("{}.{key}", o.path),
                Code::MissingField,
                format!("`{key}` is empty ({what})"),
                format!("give `{key}` a value"),
            );
            return None;
        }
        Some(s.as_str().to_string())
    }

    /// An identifier: lowercase ASCII letters, digits, `-`, `_`, `.`.
    pub(crate) fn id(&mut self, o: &Obj<'_>, key: &str, required: Option<&str>) -> Option<String> {
        let s = self.scalar(o, key, required, "an id")?;
        let v = s.as_str();
        let ok = !v.is_empty()
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
        if !ok {
            self.report(
                s.span(),
                &format!("{}.{key}", o.path),
                Code::InvalidValue,
                format!("`{v}` is not a valid id"),
                "ids use lowercase letters, digits, `-`, `_` and `.`".into(),
            );
            return None;
        }
        Some(v.to_string())
    }

    pub(crate) fn boolean(&mut self, o: &Obj<'_>, key: &str, default: bool) -> bool {
        let Some(s) = self.scalar(o, key, None, "true or false") else {
            return default;
        };
        // Quoted or not (`"true"` is what people mean by it): the loader
        // prevents coercion, so `as_bool` would refuse the quoted form.
        match s.as_str() {
            "true" | "True" | "TRUE" => true,
            "false" | "False" | "FALSE" => false,
            _ => {
                self.report(
                    s.span(),
                    &format!("{}.{key}", o.path),
                    Code::WrongType,
                    format!("expected true or false, found `{}`", s.as_str()),
                    format!("write `{key}: true` or `{key}: false`"),
                );
                default
            }
        }
    }

    /// A non-negative integer; `1_000_000` and `1,000,000` are accepted since people write
    /// them, but only as thousands groups (`1,5` is an error, not 15).
    pub(crate) fn count(&mut self, o: &Obj<'_>, key: &str, required: Option<&str>) -> Option<u64> {
        let s = self.scalar(o, key, required, "a whole number")?;
        let raw = s.as_str();
        let field = format!("{}.{key}", o.path);
        // Quoted or not, as for `boolean`.
        if let Some(v) = parse_count(raw) {
            return Some(v);
        }
        let negative = raw.starts_with('-') && parse_count(&raw[1..]).is_some_and(|v| v > 0);
        let (code, msg, help) = if negative {
            (
                Code::InvalidValue,
                format!("`{raw}` is negative"),
                "a count of individuals is 0 or more".to_string(),
            )
        } else {
            (
                Code::WrongType,
                format!("expected a whole number, found `{raw}`"),
                format!(
                    "write `{key}: 120000` (or `120_000`; separators only between groups of three digits)"
                ),
            )
        };
        self.report(s.span(), &field, code, msg, help);
        None
    }

    /// A count of distinct individuals: a `count` no larger than the world's
    /// population allows (`limits::max_individuals`), so sums cannot overflow.
    pub(crate) fn individuals(
        &mut self,
        o: &Obj<'_>,
        key: &str,
        required: Option<&str>,
    ) -> Option<u64> {
        let v = self.count(o, key, required)?;
        let max = crate::limits::max_individuals();
        if v <= max {
            return Some(v);
        }
        let span = o.map.get_node(key).map_or(o.map.span(), |n| n.span());
        self.report(
            span,
            &format!("{}.{key}", o.path),
            Code::InvalidValue,
            format!(
                "{v} individuals is more than the {max} Outbound accepts, more people than exist"
            ),
            "check the figure for a typo".into(),
        );
        None
    }

    /// A calendar date written YYYY-MM-DD.
    pub(crate) fn date(&mut self, o: &Obj<'_>, key: &str, required: Option<&str>) -> Option<Date> {
        let s = self.scalar(o, key, required, "a date")?;
        let raw = s.as_str();
        let field = format!("{}.{key}", o.path);
        let well_formed = raw.len() == 10
            && raw.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !well_formed {
            self.report(
                s.span(),
                &field,
                Code::InvalidValue,
                format!("`{raw}` is not a date in the form YYYY-MM-DD"),
                format!("write `{key}: 2026-03-01`"),
            );
            return None;
        }
        match raw.parse::<Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                self.report(
                    s.span(),
                    &field,
                    Code::InvalidValue,
                    format!("`{raw}` is not a real calendar date"),
                    "check the month and the day of the month".into(),
                );
                None
            }
        }
    }

    /// An ISO 3166-1 alpha-2 country code.
    pub(crate) fn country(
        &mut self,
        o: &Obj<'_>,
        key: &str,
        required: Option<&str>,
    ) -> Option<String> {
        let s = self.scalar(o, key, required, "a country code")?;
        let raw = s.as_str();
        if crate::country::name(raw).is_some() {
            return Some(raw.to_string());
        }
        let help = match raw.to_ascii_uppercase().as_str() {
            "UK" => "the ISO 3166-1 code of the United Kingdom is `GB`".to_string(),
            "EL" => "the ISO 3166-1 code of Greece is `GR`".to_string(),
            up if crate::country::name(up).is_some() => format!("write it in capitals: `{up}`"),
            _ => "use an ISO 3166-1 alpha-2 code such as CN, US, DE, SG".into(),
        };
        self.report(
            s.span(),
            &format!("{}.{key}", o.path),
            Code::InvalidValue,
            format!("`{raw}` is not an ISO 3166-1 alpha-2 country code"),
            help,
        );
        None
    }

    /// One of a closed set of identifiers.
    pub(crate) fn choice<T: Copy>(
        &mut self,
        o: &Obj<'_>,
        key: &str,
        required: Option<&str>,
        parse: fn(&str) -> Option<T>,
        all: &[&str],
    ) -> Option<T> {
        let s = self.scalar(o, key, required, "one of the listed values")?;
        if let Some(v) = parse(s.as_str()) {
            return Some(v);
        }
        let help = match did_you_mean(s.as_str(), all.iter().copied()) {
            Some(c) => format!("did you mean `{c}`? (allowed: {})", all.join(", ")),
            None => format!("allowed: {}", all.join(", ")),
        };
        self.report(
            s.span(),
            &format!("{}.{key}", o.path),
            Code::InvalidValue,
            format!("`{}` is not allowed for `{key}`", s.as_str()),
            help,
        );
        None
    }

    /// A sequence; absent means empty.
    pub(crate) fn list<'n>(&mut self, o: &Obj<'n>, key: &str) -> Vec<(String, &'n Node)> {
        let Some(node) = self.get(o, key, None) else {
            return Vec::new();
        };
        match node.as_sequence() {
            Some(seq) => seq
                .iter()
                .enumerate()
                .map(|(i, n)| (format!("{}.{key}[{i}]", o.path), n))
                .collect(),
            None => {
                self.report(
                    node.span(),
                    &format!("{}.{key}", o.path),
                    Code::WrongType,
                    format!("expected a list, found {}", describe(node)),
                    format!("write each item of `{key}` on its own line starting with `- `"),
                );
                Vec::new()
            }
        }
    }

    /// A sequence of plain strings.
    pub(crate) fn strings(&mut self, o: &Obj<'_>, key: &str) -> Vec<(String, Loc, String)> {
        let items = self.list(o, key);
        let mut out = Vec::new();
        for (path, n) in items {
            match n.as_scalar() {
                Some(s) => out.push((path, self.loc(s.span()), s.as_str().to_string())),
                None => self.report(
                    n.span(),
                    &path,
                    Code::WrongType,
                    format!("expected text, found {}", describe(n)),
                    "write one value per list item".into(),
                ),
            }
        }
        out
    }
}

/// A short name for the kind of node, for "expected X, found Y".
fn describe(node: &Node) -> &'static str {
    match node {
        Node::Scalar(_) => "a single value",
        Node::Mapping(_) => "a mapping",
        Node::Sequence(_) => "a list",
    }
}

/// Parses digits, optionally grouped in threes by `_` or `,` (one separator kind per number).
pub(crate) fn parse_count(raw: &str) -> Option<u64> {
    if raw.is_empty()
        || !raw
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'_' || b == b',')
    {
        return None;
    }
    let sep = raw.bytes().find(|b| *b == b'_' || *b == b',');
    if let Some(sep) = sep {
        let groups: Vec<&str> = raw.split(sep as char).collect();
        let first_ok = (1..=3).contains(&groups[0].len());
        let rest_ok = groups[1..]
            .iter()
            .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
        if !first_ok || !rest_ok {
            return None;
        }
    }
    raw.bytes()
        .filter(u8::is_ascii_digit)
        .try_fold(0u64, |acc, b| {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        })
}

#[cfg(test)]
mod tests {
    use super::parse_count;

    #[test]
    fn counts_with_thousands_separators() {
        assert_eq!(parse_count("1_000_000"), Some(1_000_000));
        assert_eq!(parse_count("312,450"), Some(312_450));
        assert_eq!(parse_count("42"), Some(42));
        assert_eq!(parse_count("1,5"), None);
        assert_eq!(parse_count("1,0000000"), None);
        assert_eq!(parse_count("1_000,000"), None);
        assert_eq!(parse_count("_100"), None);
        assert_eq!(parse_count("99999999999999999999999"), None);
        assert_eq!(parse_count(""), None);
    }
}

//! Where every figure comes from.
//!
//! A document never prints a number on its own: it prints a [`Figure`], the
//! value with the id of a [`Source`] (a data-map line, a ledger query, a scan
//! run, a rule-data file, the scoring method). Sources are numbered in the
//! order a document first uses them and listed at its end; in Markdown the
//! reference is a footnote (`[^s3]`).

use std::collections::HashMap;
use std::sync::Mutex;

use outbound_model::Loc;
use serde::Serialize;

/// What kind of source a figure comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SourceKind {
    /// A line of the data map.
    Map,
    /// The data map as filed with the authority (`--filed-map`).
    FiledMap,
    /// A query of the ledger of executed transfers.
    Ledger,
    /// A scan run over the data.
    Scan,
    /// The rule engine's determination as of the document's date.
    Assessment,
    /// A data file shipped with Outbound (rules, destinations, calendar).
    Data,
    /// A documented method (risk scoring, projection).
    Method,
}

/// One source.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Source {
    /// Footnote id, `s1`, `s2` …
    pub(crate) id: String,
    /// Kind.
    pub(crate) kind: SourceKind,
    /// Where exactly: `file:line:column (path.in.map)`, the query, the run.
    pub(crate) detail: String,
}

/// A value and where it comes from.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Figure {
    /// The value as printed.
    pub(crate) value: String,
    /// The source id.
    pub(crate) src: String,
}

/// The sources of one document, numbered in order of first use.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    list: Vec<Source>,
    index: HashMap<(SourceKind, String), usize>,
}

impl Sources {
    /// The id of a source, adding it when new.
    pub(crate) fn add(&mut self, kind: SourceKind, detail: impl Into<String>) -> String {
        let detail = detail.into();
        if let Some(&i) = self.index.get(&(kind, detail.clone())) {
            return self.list[i].id.clone();
        }
        let id = format!("s{}", self.list.len() + 1);
        self.index.insert((kind, detail.clone()), self.list.len());
        self.list.push(Source {
            id: id.clone(),
            kind,
            detail,
        });
        id
    }

    /// A figure with its source.
    pub(crate) fn fig(
        &mut self,
        value: impl ToString,
        kind: SourceKind,
        detail: impl Into<String>,
    ) -> Figure {
        Figure {
            value: value.to_string(),
            src: self.add(kind, detail),
        }
    }

    /// The sources in order.
    pub(crate) fn list(&self) -> &[Source] {
        &self.list
    }
}

/// Finds the line of a key inside an entity of the map, so that a figure can
/// cite `file:line:column` of the very key it comes from rather than the start
/// of the entity.
///
/// The loader keeps one location per entity; this reads the file again and
/// searches the entity's block (the lines indented deeper than its first
/// line, or the same line for a flow mapping `{…}`). When the file cannot be
/// read or the key is not found, the entity's own location is used.
#[derive(Default)]
pub(crate) struct KeyLocator {
    files: Mutex<HashMap<String, Option<Vec<String>>>>,
}

impl KeyLocator {
    /// A locator that reads files on demand.
    pub(crate) fn new() -> KeyLocator {
        KeyLocator::default()
    }

    /// `file:line:column` of `key` within the entity at `loc`, falling back to `loc`.
    pub(crate) fn find(&self, loc: &Loc, key: &str) -> String {
        self.locate(loc, key)
            .map(|(l, c)| format!("{}:{l}:{c}", loc.file))
            .unwrap_or_else(|| loc.to_string())
    }

    fn locate(&self, loc: &Loc, key: &str) -> Option<(usize, usize)> {
        if loc.line == 0 {
            return None;
        }
        let mut files = self.files.lock().ok()?;
        let lines = files
            .entry(loc.file.to_string())
            .or_insert_with(|| {
                std::fs::read_to_string(&*loc.file)
                    .ok()
                    .map(|t| t.lines().map(str::to_owned).collect())
            })
            .as_ref()?;
        let first = lines.get(loc.line - 1)?;
        let needle = format!("{key}:");
        let key_at = |line: &str, from: usize| -> Option<usize> {
            let mut start = from;
            while let Some(p) = line.get(start..)?.find(&needle) {
                let at = start + p;
                let before = line[..at].chars().last();
                if before.is_none_or(|c| matches!(c, ' ' | '{' | ',' | '-')) {
                    return Some(at + 1);
                }
                start = at + needle.len();
            }
            None
        };
        // The entity's own line (flow mapping, or `- key: …` opening a block mapping).
        let col0 = loc.column.saturating_sub(1);
        if let Some(c) = key_at(first, col0) {
            return Some((loc.line, c));
        }
        let indent = col0;
        for (i, line) in lines.iter().enumerate().skip(loc.line) {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let ind = line.len() - trimmed.len();
            if ind < indent || (ind == indent.saturating_sub(2) && trimmed.starts_with("- ")) {
                break;
            }
            if ind == indent && trimmed.starts_with(&needle) {
                return Some((i + 1, ind + 1));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_numbered_once() {
        let mut s = Sources::default();
        let a = s.add(SourceKind::Map, "a.yaml:1:1");
        let b = s.add(SourceKind::Ledger, "q");
        assert_eq!(s.add(SourceKind::Map, "a.yaml:1:1"), a);
        assert_eq!((a.as_str(), b.as_str()), ("s1", "s2"));
    }

    #[test]
    fn key_locator_finds_block_and_flow_keys() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.yaml");
        std::fs::write(
            &p,
            "transfers:\n  - id: a\n    purpose: x\n    individuals_per_year: 5\n  - id: b\n    individuals_per_year: 6\nmech:\n  - {type: scc, effective: 2024-01-01}\n",
        )
        .unwrap();
        let file: std::sync::Arc<str> = p.display().to_string().into();
        let k = KeyLocator::new();
        let loc = Loc {
            file: file.clone(),
            line: 2,
            column: 5,
        };
        assert_eq!(k.find(&loc, "individuals_per_year"), format!("{file}:4:5"));
        assert_eq!(k.find(&loc, "missing"), format!("{file}:2:5"));
        let loc_b = Loc {
            file: file.clone(),
            line: 5,
            column: 5,
        };
        assert_eq!(
            k.find(&loc_b, "individuals_per_year"),
            format!("{file}:6:5")
        );
        let flow = Loc {
            file: file.clone(),
            line: 8,
            column: 5,
        };
        assert_eq!(k.find(&flow, "effective"), format!("{file}:8:17"));
    }
}

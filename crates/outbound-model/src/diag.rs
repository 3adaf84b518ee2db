//! Diagnostics: every problem found in a data map, with where it is and how to fix it.
//!
//! Validation collects all problems instead of stopping at the first, because a
//! compliance officer editing a map by hand wants the whole list in one run.

use std::fmt;
use std::sync::Arc;

/// A position in a source file (1-based line and column).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Loc {
    /// The file as the user named it.
    pub file: Arc<str>,
    /// 1-based line; 0 when unknown.
    pub line: usize,
    /// 1-based column; 0 when unknown.
    pub column: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

/// Where each key of an entity is written.
pub type KeyLocs = std::collections::BTreeMap<String, Loc>;

/// What kind of problem a diagnostic reports; stable identifiers for JSON output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The file is not well-formed YAML.
    Syntax,
    /// A required field is absent.
    MissingField,
    /// A field that the format does not define.
    UnknownField,
    /// A value of the wrong type (a list where a number was expected …).
    WrongType,
    /// A value of the right type outside what is allowed (negative count, bad date …).
    InvalidValue,
    /// Two entities share an id.
    DuplicateId,
    /// A reference to an entity that does not exist.
    UnknownReference,
    /// A category id that is not in the taxonomy.
    UnknownCategory,
}

/// One problem in a data map.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Where the problem is.
    pub loc: Loc,
    /// The dotted path of the offending field, e.g. `transfers[2].recipient`.
    pub field: String,
    /// Kind of problem.
    pub code: Code,
    /// What is wrong. Never contains personal data: values quoted here are ids,
    /// keys and enumerations from the map itself.
    pub message: String,
    /// One sentence on how to fix it.
    pub help: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.loc, self.field, self.message)?;
        if !self.help.is_empty() {
            write!(f, "\n  help: {}", self.help)?;
        }
        Ok(())
    }
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

//! Loading a data map from a YAML file or a directory of them, and checking it whole.
//!
//! `read` turns each source into map entities, `keys` holds the keys each
//! object may have, `refs` checks what only the whole map shows (ids and
//! references across files).

mod keys;
mod read;
mod refs;
mod ru;
mod us;
mod yaml;

use std::path::{Path, PathBuf};

use crate::diag::{Code, Diagnostic, Loc};
use crate::map::DataMap;
use crate::taxonomy::Taxonomy;

pub use keys::known_keys;
pub use read::parse_retention;

/// Why a map could not be loaded at all (as opposed to loaded with findings).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or directory that could not be read.
        path: PathBuf,
        /// What the operating system reported.
        source: std::io::Error,
    },
    /// A directory held no YAML files.
    #[error("{0}: no .yaml or .yml files found")]
    Empty(PathBuf),
}

/// A map as loaded, with every problem found. The map is complete only when
/// `diagnostics` is empty; otherwise it holds what could be read.
#[derive(Debug)]
pub struct Loaded {
    /// Everything that could be read; complete only without diagnostics.
    pub map: DataMap,
    /// Every problem, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The files read, in order.
    pub files: Vec<PathBuf>,
}

/// Reads a map from a YAML file or a directory (searched recursively, in name order).
pub fn load_path(path: &Path) -> Result<Loaded, LoadError> {
    let files = yaml_files(path)?;
    let mut sources = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|source| LoadError::Io {
            path: f.clone(),
            source,
        })?;
        sources.push((f.display().to_string(), text));
    }
    Ok(load_sources(&sources, Taxonomy::builtin()))
}

fn yaml_files(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|source| LoadError::Io {
        path: path.into(),
        source,
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(|source| LoadError::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in rd {
            let p = entry
                .map_err(|source| LoadError::Io {
                    path: dir.clone(),
                    source,
                })?
                .path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
                out.push(p);
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(LoadError::Empty(path.into()));
    }
    Ok(out)
}

/// Loads a map from named YAML texts (file name, content); used by `load_path` and tests.
pub fn load_sources(sources: &[(String, String)], taxonomy: &Taxonomy) -> Loaded {
    let mut diags = Vec::new();
    let mut map = DataMap {
        version: 1,
        ..Default::default()
    };
    let mut version_seen = false;
    for (i, (name, text)) in sources.iter().enumerate() {
        read::read_source(i, name, text, &mut map, &mut version_seen, &mut diags);
    }
    if !version_seen && !sources.is_empty() && !diags.iter().any(|d| d.code == Code::Syntax) {
        diags.push(Diagnostic {
            loc: Loc {
                file: sources[0].0.as_str().into(),
                line: 1,
                column: 1,
            },
            field: "version".into(),
            code: Code::MissingField,
            message: "no file of the map states its format version".into(),
            help: "add `version: 1` at the top of one file".into(),
        });
    }
    refs::check_references(&map, taxonomy, &mut diags);
    Loaded {
        map,
        diagnostics: diags,
        files: sources.iter().map(|(n, _)| PathBuf::from(n)).collect(),
    }
}

//! Finding the files to scan: directories are walked in sorted order,
//! include/exclude globs apply to the files found under them, symlinked
//! directories are not followed.

use std::path::{Path, PathBuf};

use super::ScanOptions;
use crate::report::ErrorEntry;

fn build_globs(pats: &[String], errors: &mut Vec<ErrorEntry>) -> Option<globset::GlobSet> {
    if pats.is_empty() {
        return None;
    }
    let mut b = globset::GlobSetBuilder::new();
    for p in pats {
        match globset::Glob::new(p) {
            Ok(g) => {
                b.add(g);
            }
            Err(e) => errors.push(ErrorEntry {
                path: p.clone(),
                message: format!("invalid glob pattern: {e}"),
                ..Default::default()
            }),
        }
    }
    b.build().ok()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<ErrorEntry>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) => {
            errors.push(ErrorEntry {
                path: dir.display().to_string(),
                message: format!("cannot read directory: {e}"),
                ..Default::default()
            });
            return;
        }
    };
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = rd
        .filter_map(|e| e.ok().and_then(|e| Some((e.path(), e.file_type().ok()?))))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (p, t) in entries {
        if t.is_dir() {
            walk(&p, out, errors);
        } else if t.is_file() || (t.is_symlink() && p.is_file()) {
            // Symlinked directories are not followed (no loops).
            out.push(p);
        }
    }
}

/// The files to scan, in order: named files as given, directories
/// expanded. Unreadable directories and invalid globs become errors.
pub(super) fn collect_files(
    paths: &[PathBuf],
    opts: &ScanOptions,
    errors: &mut Vec<ErrorEntry>,
) -> Vec<PathBuf> {
    let include = build_globs(&opts.include, errors);
    let exclude = build_globs(&opts.exclude, errors);
    let mut files = Vec::new();
    for p in paths {
        if p.as_os_str() != "-" && p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, errors);
            for f in found {
                let rel = f.strip_prefix(p).unwrap_or(&f);
                if include
                    .as_ref()
                    .is_some_and(|g| !g.is_match(rel) && !g.is_match(&f))
                {
                    continue;
                }
                if exclude
                    .as_ref()
                    .is_some_and(|g| g.is_match(rel) || g.is_match(&f))
                {
                    continue;
                }
                files.push(f);
            }
        } else {
            files.push(p.clone());
        }
    }
    files
}

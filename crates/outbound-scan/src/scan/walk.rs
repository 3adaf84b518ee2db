//! Finding the files to scan: directories are walked in sorted order,
//! include/exclude globs apply to the files found under them, symlinked
//! directories are not followed (and, like other entries left out, are
//! listed in the report's `skipped`).

use std::path::{Path, PathBuf};

use super::ScanOptions;
use crate::report::{ErrorEntry, Skipped};

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

/// What walking a directory found: a file to scan (`Ok`), or an entry
/// left out and why (`Err`), so that nothing under a directory is left out
/// without the report saying so.
type Found = (PathBuf, Result<(), String>);

fn walk(dir: &Path, out: &mut Vec<Found>, errors: &mut Vec<ErrorEntry>) {
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
    // An entry that cannot be read is an error, not a silent gap.
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = Vec::new();
    for e in rd {
        let (path, read) = match e {
            Ok(e) => (e.path(), e.file_type()),
            Err(e) => (dir.to_path_buf(), Err(e)),
        };
        match read {
            Ok(t) => entries.push((path, t)),
            Err(e) => errors.push(ErrorEntry {
                path: path.display().to_string(),
                message: format!("cannot read this directory entry: {e}"),
                ..Default::default()
            }),
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (p, t) in entries {
        if t.is_dir() {
            walk(&p, out, errors);
        } else if t.is_file() {
            out.push((p, Ok(())));
        } else if t.is_symlink() {
            // Symlinked directories are not followed (no loops).
            let why = match std::fs::metadata(&p) {
                Ok(m) if m.is_file() => Ok(()),
                Ok(m) if m.is_dir() => {
                    Err("a symbolic link to a directory: not followed".to_string())
                }
                Ok(_) => Err("a symbolic link to something not a regular file".to_string()),
                Err(e) => Err(format!("a symbolic link that leads nowhere: {e}")),
            };
            out.push((p, why));
        } else {
            out.push((
                p,
                Err("not a regular file (a pipe, socket or device): name it to scan it".into()),
            ));
        }
    }
}

/// The files to scan, in order: named files as given, directories
/// expanded; entries of a directory that are not scanned go to `skipped`
/// with the reason. Unreadable directories and invalid globs become errors.
pub(super) fn collect_files(
    paths: &[PathBuf],
    opts: &ScanOptions,
    errors: &mut Vec<ErrorEntry>,
    skipped: &mut Vec<Skipped>,
) -> Vec<PathBuf> {
    let include = build_globs(&opts.include, errors);
    let exclude = build_globs(&opts.exclude, errors);
    let mut files = Vec::new();
    for p in paths {
        if p.as_os_str() != "-" && p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, errors);
            for (f, why) in found {
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
                match why {
                    Ok(()) => files.push(f),
                    Err(reason) => skipped.push(Skipped {
                        path: f.display().to_string(),
                        reason,
                    }),
                }
            }
        } else {
            files.push(p.clone());
        }
    }
    files
}

//! Lists the working-day calendars shipped as data (`data/<cc>-calendar/<year>.toml`,
//! and an optional `provisional.toml` per country) and generates the table
//! `src/calendar.rs` includes, so that adding a year or a country's calendar is
//! adding a file: no code changes.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let data = Path::new(&manifest).join("data");
    println!("cargo:rerun-if-changed={}", data.display());
    let mut years = Vec::new();
    let mut provisional = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(&data)
        .expect("data/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let Some(cc) = name.strip_suffix("-calendar") else {
            continue;
        };
        let cc = cc.to_ascii_uppercase();
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("calendar directory is readable")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for f in files {
            let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            let path = f.display().to_string();
            if stem == "provisional" {
                provisional.push((cc.clone(), path));
            } else if stem.len() == 4 && stem.chars().all(|c| c.is_ascii_digit()) {
                years.push((cc.clone(), stem.to_string(), path));
            } else {
                panic!("{path}: a calendar file is named <year>.toml or provisional.toml");
            }
        }
    }
    let mut out = String::from(
        "/// Every bundled year file: (country, year from the file name, text).\n\
         pub(crate) const YEAR_FILES: &[(&str, &str, &str)] = &[\n",
    );
    for (cc, y, p) in &years {
        writeln!(out, "    ({cc:?}, {y:?}, include_str!({p:?})),").unwrap();
    }
    out.push_str(
        "];\n/// Every bundled provisional file: (country, text).\n\
         pub(crate) const PROVISIONAL_FILES: &[(&str, &str)] = &[\n",
    );
    for (cc, p) in &provisional {
        writeln!(out, "    ({cc:?}, include_str!({p:?})),").unwrap();
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("calendars.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

//! `outbound scan --suggest` for databases: the data map's `datasets:`
//! block, one dataset per table, its fields as
//! [`outbound_scan::compare::suggest_fields`] writes them for files.

use std::collections::BTreeSet;

use outbound_scan::ScanReport;
use outbound_scan::compare::{suggest_fields, yaml_scalar};

/// An id from free text: ASCII letters, digits, `_` and `-`; anything else
/// becomes `-`.
fn id(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let out = out.trim_matches('-').to_string();
    if out.is_empty() { "table".into() } else { out }
}

/// The `datasets:` block declaring every table of `report` (entries whose
/// path is `DATABASE#TABLE`): id from the table name, `name` and `table`
/// the table, `system` from the database name (the file name for SQLite)
/// to be reviewed, and the fields with the categories found (subject
/// `subject`).
pub fn suggest_datasets(report: &ScanReport, subject: &str) -> String {
    let mut out = String::from("datasets:\n");
    let mut ids = BTreeSet::new();
    for file in &report.files {
        let (db, table) = file.path.rsplit_once('#').unwrap_or(("", &file.path));
        // The database's last path segment: the PostgreSQL database, or the
        // SQLite file without its extension.
        let last = db.rsplit(['/', ':']).next().unwrap_or(db);
        let system = id(last.split('.').next().unwrap_or(last));
        let base = id(table);
        let mut dataset = base.clone();
        let mut n = 2;
        while !ids.insert(dataset.clone()) {
            dataset = format!("{base}-{n}");
            n += 1;
        }
        out.push_str(&format!("  - id: {dataset}\n"));
        out.push_str(&format!("    name: {}\n", yaml_scalar(table)));
        // The database as a quoted scalar: a comment ends at a line break.
        out.push_str(&format!(
            "    system: {system}  # review: the system that holds {}\n",
            yaml_scalar(db)
        ));
        out.push_str(&format!("    table: {}\n", yaml_scalar(table)));
        if file.fields.iter().all(|f| f.field.is_none()) {
            out.push_str("    fields: []\n");
            continue;
        }
        let one = ScanReport {
            files: vec![file.clone()],
            individuals: report.individuals.clone(),
            ..Default::default()
        };
        out.push_str(&suggest_fields(&one, subject));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(id("public.customers"), "public-customers");
        assert_eq!(id("客户"), "table");
        assert_eq!(id("a b"), "a-b");
    }
}

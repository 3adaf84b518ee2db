//! Data grading (DSL Art. 21; GB/T 43697-2024 "Data security technology — Rules
//! for data classification and grading", in force 2024-10-01): datasets and
//! fields of the map carry `core`, `important` or `general`, with the catalogue,
//! notice or decision that made them so. A transfer's important data is
//! computed from what it carries; core data may not leave at all, and the gate
//! refuses it.
//!
//! The grade is a fact the authorities establish (only data notified or
//! published as important counts, Provisions Art. 2), so no rule here depends
//! on the standard's date: the map records the grading, whenever it was made.

use outbound_model::{Code, DataGrade, DataMap, Diagnostic, Transfer};

/// One field a transfer carries with a grade above `general`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graded {
    /// `dataset.field`.
    pub field: String,
    /// Its grade (the stricter of its own and its dataset's).
    pub grade: DataGrade,
    /// The catalogue, notice or decision that graded it.
    pub source: Option<String>,
}

/// The fields of transfer `t` graded core or important, `dataset.*` expanded, in map order.
pub fn carried(map: &DataMap, t: &Transfer) -> Vec<Graded> {
    map.transfer_dataset_fields(t)
        .filter_map(|(d, f)| {
            let (grade, src) = d.grade_of(f)?;
            (grade != DataGrade::General).then(|| Graded {
                field: format!("{}.{}", d.id, f.name),
                grade,
                source: src.map(str::to_string),
            })
        })
        .collect()
}

/// Whether transfer `t` carries important data: a field graded important or core,
/// or the map's own `important_data: true` (which can only add).
pub fn important_data(map: &DataMap, t: &Transfer) -> bool {
    t.important_data || !carried(map, t).is_empty()
}

/// Why a batch of transfer `t` must be refused, when it carries core data.
pub fn core_refusal(map: &DataMap, t: &Transfer) -> Option<String> {
    let core: Vec<String> = carried(map, t)
        .into_iter()
        .filter(|g| g.grade == DataGrade::Core)
        .map(|g| match g.source {
            Some(s) => format!("`{}` (graded core by {s})", g.field),
            None => format!("`{}`", g.field),
        })
        .collect();
    (!core.is_empty()).then(|| {
        format!(
            "core data: {}; core data is under the strictest management and Outbound lets none of it leave (DSL Art. 21; GB/T 43697-2024) — remove the field from the transfer, or correct its grade in the data map if the grading was wrong",
            core.join(", ")
        )
    })
}

/// A warning for each dataset without a grade that has a field without one.
pub fn check_map(map: &DataMap) -> Vec<Diagnostic> {
    map.datasets
        .iter()
        .filter(|d| d.grade.is_none() && d.fields.iter().any(|f| f.grade.is_none()))
        .map(|d| Diagnostic {
            loc: d.loc.clone(),
            field: format!("dataset {}.grade", d.id),
            code: Code::MissingField,
            message: format!(
                "dataset `{}` has no data grade: its ungraded fields count as general data",
                d.id
            ),
            help: "add `grade: general` (or `important`/`core` with `grade_source:` naming the catalogue, notice or decision) to the dataset or to each field (DSL Art. 21; GB/T 43697-2024)".into(),
        })
        .collect()
}

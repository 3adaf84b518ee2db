//! Data grading at the gate: a transfer carrying core data is refused, fail
//! closed, whatever else the batch holds (DSL Art. 21).

use outbound_gate::{Outcome, sample};
use outbound_model::DataGrade;

use crate::{assert_passed, env, example};

/// The example map with the first field of `crm-to-parent` graded `grade` on its
/// dataset (`on_dataset`) or on the field itself.
fn graded(grade: DataGrade, on_dataset: bool) -> outbound_model::DataMap {
    let mut map = example();
    let r = map.transfer("crm-to-parent").unwrap().fields[0].clone();
    let d = map.datasets.iter_mut().find(|d| d.id == r.dataset).unwrap();
    if on_dataset {
        d.grade = Some(grade);
        d.grade_source = Some("sector catalogue 2025-01 (test)".into());
    } else {
        let f = d
            .fields
            .iter_mut()
            .find(|f| r.field == "*" || f.name == r.field)
            .unwrap();
        f.grade = Some(grade);
        f.grade_source = Some("notice of the competent department (test)".into());
    }
    map
}

#[test]
fn core_data_is_refused_and_nothing_is_written_or_counted() {
    for on_dataset in [false, true] {
        let e = env(graded(DataGrade::Core, on_dataset));
        e.consent_all_but_every("crm-to-parent", 0, 20, 0);
        let input = e.file("batch.csv", &sample::customers_csv(0, 20, 1, false));
        let r = e.gate("crm-to-parent", &input, "out.csv", false);
        let Outcome::Refused { reason } = &r.outcome else {
            panic!("on_dataset {on_dataset}: {:?}", r.outcome)
        };
        assert!(reason.contains("core data"), "{reason}");
        assert!(reason.contains("DSL Art. 21"), "{reason}");
        assert!(
            reason.contains("(test)"),
            "names the grading source: {reason}"
        );
        assert!(!e.dir.path().join("out.csv").exists());
        assert!(!e.dir.path().join("out.csv.outbound-partial").exists());
        assert_eq!(e.store.batch_count().unwrap(), 0);
    }
}

#[test]
fn general_data_passes_as_before() {
    let e = env(graded(DataGrade::General, true));
    e.consent_all_but_every("crm-to-parent", 0, 20, 0);
    let input = e.file("batch.csv", &sample::customers_csv(0, 20, 1, false));
    let r = e.gate("crm-to-parent", &input, "out.csv", false);
    assert_passed(&r.outcome);
}

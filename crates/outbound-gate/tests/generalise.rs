//! `generalise` through the gate (issue 15, item 13): every form the scanner
//! recognises leaves coarsened, and what cannot be coarsened never leaves.

use outbound_gate::Outcome;
use outbound_model::{DataMap, Taxonomy, load_sources};

use super::{assert_passed, env};

/// A transfer that generalises a birth date, an address, a track and a
/// point; nothing undeclared may pass.
fn generalise_map() -> DataMap {
    let text = r#"
version: 1
exporters:
  - {id: e, name: E, country: CN, ciio: false, individuals_processed: 500000, exported_this_year: {individuals: 0, sensitive_individuals: 0}}
systems:
  - {id: s, name: S, exporter: e, owner: {type: person, name: O}}
datasets:
  - id: customers
    name: C
    system: s
    fields:
      - {name: customer_id, category: online.account_id, subject: customer, subject_key: true}
      - {name: birth_date, category: identity.date_of_birth, subject: customer}
      - {name: address, category: contact.address, subject: customer}
      - {name: track, category: location.trajectory, subject: customer}
      - {name: point, category: location.precise, subject: customer}
recipients:
  - {id: r, name: R, country: SG, role: processor, contact: x}
transfers:
  - id: t
    exporter: e
    recipient: r
    fields: [customers.*]
    purpose: p
    necessity: none
    legal_basis: contract
    method: api
    frequency: daily
    individuals_per_year: 10
    retention_abroad: 1y
    storage: {country: SG}
    mechanisms:
      - {type: standard_contract, effective: 2026-03-02, filed: 2026-03-10, reference: SC-1}
    pipia: {completed: 2026-02-20, reference: P-1}
    gate:
      undeclared: fail
      transforms:
        customers.birth_date: generalise
        customers.address: generalise
        customers.track: generalise
        customers.point: generalise
"#;
    let l = load_sources(&[("m.yaml".into(), text.into())], Taxonomy::builtin());
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    l.map
}

#[test]
fn every_recognised_form_leaves_generalised() {
    let e = env(generalise_map());
    let input = e.file(
        "b.csv",
        concat!(
            "customer_id,birth_date,address,track,point\n",
            "C1,07/03/1990,星巴克(国贸店)北京市朝阳区建国路88号,\"31.23456,121.47372;31.23511,121.47433\",POINT(121.47372 31.23456)\n",
            "C2,1985年11月2日,浙江省杭州市西湖区文三路478号,\"[[121.47372,31.23456],[121.47433,31.23511]]\",\"31.23456, 121.47372\"\n",
        ),
    );
    let r = e.gate("t", &input, "out.csv", false);
    assert_passed(&r.outcome);
    let out = std::fs::read_to_string(e.dir.path().join("out.csv")).unwrap();
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(out.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(
        rows[0][1..],
        [
            "1990",
            "北京市",
            "31.2,121.4;31.2,121.4",
            "POINT(121.4 31.2)"
        ]
    );
    assert_eq!(
        rows[1][1..],
        [
            "1985",
            "浙江省杭州市",
            "[[121.4,31.2],[121.4,31.2]]",
            "31.2, 121.4"
        ]
    );
    for precise in [
        "0703",
        "2345",
        "4737",
        "3511",
        "星巴克",
        "建国路",
        "西湖区",
        "文三路",
    ] {
        assert!(!out.contains(precise), "{precise} left: {out}");
    }
}

#[test]
fn a_value_that_cannot_be_generalised_never_leaves() {
    // A two-digit year cannot be told apart from a day: the batch is
    // refused (fail closed), naming the field and kind, never the value; it
    // was passed on half-masked (`07****90`).
    let e = env(generalise_map());
    let input = e.file(
        "b.csv",
        "customer_id,birth_date,address,track,point\nC1,07/03/90,上海市,,\nC2,1990-01-02,上海市,,\n",
    );
    let r = e.gate("t", &input, "out.csv", false);
    match &r.outcome {
        Outcome::Refused { reason } => {
            assert!(reason.contains("birth_date"), "{reason}");
            assert!(!reason.contains("07/03"), "{reason}");
        }
        other => panic!("not refused: {other:?}"),
    }
    assert!(!e.dir.path().join("out.csv").exists(), "nothing written");
}

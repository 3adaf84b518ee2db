//! Free-trade-zone negative lists (Provisions 2024 Art. 6) matched field by
//! field, and data grades (DSL Art. 21; GB/T 43697-2024) computing a
//! transfer's important data.

use jiff::civil::Date;
use outbound_model::{Code, DataGrade, DataMap, Taxonomy, load_sources};
use outbound_rules::assess::{facts_for_map, transfer_counts_towards_thresholds};
use outbound_rules::ftz::{self, Scope, match_transfer, zone, zones};
use outbound_rules::{grade, mapcheck};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

const NOW: &str = "2026-03-02";

/// A map with one exporter (`zone_line` is its extra YAML, e.g. `free_trade_zone: tianjin`),
/// one dataset `d` with the given fields and one transfer `t` of `fields` (`extra`: more keys).
fn map_with(
    zone_line: &str,
    dataset: &str,
    fields: &str,
    extra: &str,
) -> (DataMap, Vec<outbound_model::Diagnostic>) {
    let text = format!(
        r#"
version: 1
exporters:
  - {{id: e, name: E, country: CN, individuals_processed: 1000{zone_line}}}
systems:
  - {{id: s, name: S, exporter: e, owner: {{type: person, name: Owner}}}}
datasets:
  - id: d
    name: D
    system: s
{dataset}    fields:
      - {{name: phone, category: contact.phone, subject: customer}}
      - {{name: imei, category: device.imei, subject: customer}}
      - {{name: batch_no, category: operational, subject: customer}}
      - {{name: source_code_ref, category: operational, subject: customer}}
      - {{name: diagnosis, category: health.diagnosis, subject: customer}}
recipients:
  - {{id: r, name: R, country: US, role: processor, contact: x@example.com}}
transfers:
  - {{id: t, exporter: e, recipient: r, fields: [{fields}], purpose: p, necessity: none, legal_basis: consent,
     method: api, frequency: daily, individuals_per_year: 200000, retention_abroad: 1 year, storage: {{country: US}}{extra}}}
"#
    );
    let l = load_sources(&[("m.yaml".into(), text)], Taxonomy::builtin());
    (l.map, l.diagnostics)
}

fn valid(zone_line: &str, fields: &str, extra: &str) -> DataMap {
    let (m, diags) = map_with(zone_line, "", fields, extra);
    assert!(diags.is_empty(), "{diags:#?}");
    m
}

fn outside(m: &DataMap, as_of: &str) -> bool {
    facts_for_map(m, d(as_of), None)[0]
        .1
        .transfer
        .outside_ftz_negative_list
}

// ---------------------------------------------------------------------------
// the data

#[test]
fn every_list_file_is_loaded_and_says_how_complete_it_is() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/cn-ftz");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = ftz::FILES.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "src/ftz.rs FILES must list every file of data/cn-ftz/"
    );
    let ids: Vec<&str> = zones().iter().map(|z| z.id.as_str()).collect();
    assert_eq!(
        ids,
        ["tianjin", "beijing", "shanghai", "hainan", "zhejiang"]
    );
    let tax = Taxonomy::builtin();
    for z in zones() {
        assert!(!z.entry.is_empty(), "{}", z.id);
        assert!(
            z.in_force >= d("2024-03-22"),
            "{}: before Provisions Art. 6",
            z.id
        );
        assert!(z.published <= z.in_force, "{}", z.id);
        assert!(
            !z.source.is_empty() && !z.confirmed_note.is_empty(),
            "{}",
            z.id
        );
        assert!(
            z.name_zh.contains("负面清单") && z.name_en.contains("Negative List"),
            "{}",
            z.id
        );
        // A partial encoding says so, never silently.
        assert!(
            z.complete || z.completeness.starts_with("PARTIAL"),
            "{}",
            z.id
        );
        assert_eq!(z.scope == Scope::Sectors, !z.sectors.is_empty(), "{}", z.id);
        for e in &z.entry {
            assert!(
                !e.category_zh.is_empty() && !e.category_en.is_empty(),
                "{}.{}",
                z.id,
                e.id
            );
            assert!(
                !e.matches.is_empty() || !e.field_patterns.is_empty(),
                "{}.{} matches nothing",
                z.id,
                e.id
            );
            for s in &e.subjects {
                assert!(
                    outbound_model::SubjectKind::parse(s).is_some(),
                    "{}.{}: `{s}` is not a subject kind",
                    z.id,
                    e.id
                );
            }
            for m in &e.matches {
                assert!(
                    tax.get(m).is_some(),
                    "{}.{}: `{m}` is not a taxonomy category",
                    z.id,
                    e.id
                );
            }
            if z.scope == Scope::Sectors {
                assert!(
                    z.sectors.contains(&e.sector),
                    "{}.{}: sector `{}`",
                    z.id,
                    e.id,
                    e.sector
                );
            }
        }
    }
}

#[test]
fn zones_by_id_and_alias() {
    assert_eq!(zone("tianjin").unwrap().id, "tianjin");
    assert_eq!(zone("Shanghai Lin-gang").unwrap().id, "shanghai");
    assert_eq!(zone("lingang").unwrap().id, "shanghai");
    assert_eq!(zone("海南自由贸易港").unwrap().id, "hainan");
    assert!(zone("guangdong").is_none());
}

// ---------------------------------------------------------------------------
// matching, zone by zone

#[test]
fn per_zone_a_field_on_the_list_and_one_not_on_it() {
    // (zone, a field on its list, its category)
    let on = [
        ("tianjin", "d.phone", "contact.phone"),
        ("tianjin", "d.source_code_ref", "operational"),
        ("beijing", "d.diagnosis", "health.diagnosis"),
        ("beijing", "d.pickup", "location.precise"),
        ("shanghai", "d.crew_roster", "operational"),
        ("shanghai", "d.mobile", "contact.phone"),
        ("hainan", "d.seabed_depth", "operational"),
        ("hainan", "d.passport", "identity.passport"),
        ("zhejiang", "d.card", "financial.payment_card"),
        ("zhejiang", "d.waybill_no", "operational"),
    ];
    for (z, f, c) in on {
        let m = match_transfer(zone(z).unwrap(), [(f, c)]);
        assert!(!m.outside, "{z}: {f} ({c}) is on the list");
        assert!(m.matched.iter().all(|(_, field)| field == f));
    }
    for z in zones() {
        let m = match_transfer(z, [("d.batch_no", "operational")]);
        assert!(
            m.outside,
            "{}: an operational batch number is on no list",
            z.id
        );
        assert!(m.matched.is_empty());
    }
    // Every personal category is on Tianjin's list (its personal-information class, conservatively).
    let m = match_transfer(zone("tianjin").unwrap(), [("d.imei", "device.imei")]);
    assert!(!m.outside);
    // ... but a device identifier is on none of Shanghai's six scenarios.
    assert!(match_transfer(zone("shanghai").unwrap(), [("d.imei", "device.imei")]).outside);
}

// ---------------------------------------------------------------------------
// computed against declared

#[test]
fn computed_for_a_zone_that_covers_every_processor() {
    let z = ", free_trade_zone: tianjin";
    // Nothing on the list: outside, without any declaration.
    assert!(outside(&valid(z, "d.batch_no", ""), NOW));
    // A field on the list: inside.
    assert!(!outside(&valid(z, "d.batch_no, d.phone", ""), NOW));
    assert!(!outside(&valid(z, "d.*", ""), NOW));
}

#[test]
fn a_declaration_may_only_narrow() {
    let z = ", free_trade_zone: tianjin";
    // Declared false wins over a computed outside.
    let m = valid(z, "d.batch_no", ", outside_ftz_negative_list: false");
    assert!(!outside(&m, NOW));
    assert!(
        mapcheck::check(&m, d(NOW))
            .warnings
            .iter()
            .all(|w| !w.field.contains("outside_ftz"))
    );
    // Declared true with a field on the list: contradicted, a warning, the computed value used.
    let m = valid(z, "d.phone", ", outside_ftz_negative_list: true");
    assert!(!outside(&m, NOW));
    let found = mapcheck::check(&m, d(NOW));
    let w = found
        .warnings
        .iter()
        .find(|w| w.field == "transfer t.outside_ftz_negative_list")
        .expect("a warning");
    assert!(
        w.message.contains("`d.phone`") && w.message.contains("个人信息类"),
        "{}",
        w.message
    );
    assert!(w.loc.line > 0, "points at the declaration: {:?}", w.loc);
    assert!(found.errors.is_empty());
    // Declared true and nothing on the list: outside.
    assert!(outside(
        &valid(z, "d.batch_no", ", outside_ftz_negative_list: true"),
        NOW
    ));
}

#[test]
fn a_sector_list_needs_the_exporter_to_declare_itself_in_a_sector() {
    let z = ", free_trade_zone: Shanghai Lin-gang";
    // Nothing on the list, nothing declared: not outside (the list covers only its sectors).
    let m = valid(z, "d.imei", "");
    assert!(!outside(&m, NOW));
    let w = &mapcheck::check(&m, d(NOW)).warnings;
    assert!(
        w.iter().any(|w| w
            .message
            .contains("reinsurance, international_shipping, commerce")),
        "{w:#?}"
    );
    // Declared, and nothing on the list: outside, and the individuals do not count.
    let m = valid(z, "d.imei", ", outside_ftz_negative_list: true");
    assert!(outside(&m, NOW));
    assert!(!transfer_counts_towards_thresholds(
        &m,
        &m.transfers[0],
        d(NOW)
    ));
    // Declared, but a field is on the list: inside, and they count.
    let m = valid(z, "d.imei, d.phone", ", outside_ftz_negative_list: true");
    assert!(!outside(&m, NOW));
    assert!(transfer_counts_towards_thresholds(
        &m,
        &m.transfers[0],
        d(NOW)
    ));
}

#[test]
fn counting_follows_the_computed_value() {
    let z = ", free_trade_zone: shanghai";
    for (fields, extra) in [
        ("d.imei", ", outside_ftz_negative_list: true"),
        ("d.phone", ", outside_ftz_negative_list: true"),
        ("d.imei", ""),
        ("d.imei", ", outside_ftz_negative_list: false"),
    ] {
        let m = valid(z, fields, extra);
        let f = &facts_for_map(&m, d(NOW), None)[0].1;
        assert_eq!(
            transfer_counts_towards_thresholds(&m, &m.transfers[0], d(NOW)),
            !f.transfer.outside_ftz_negative_list,
            "{fields}{extra}"
        );
        let counted = f.cumulative.current_year.individuals;
        assert_eq!(
            counted == 200_000,
            !f.transfer.outside_ftz_negative_list,
            "{fields}{extra}"
        );
    }
}

#[test]
fn a_list_applies_from_its_day_in_force() {
    let z = ", free_trade_zone: tianjin";
    let m = valid(z, "d.batch_no", "");
    let tj = zone("tianjin").unwrap().in_force;
    assert_eq!(tj, d("2024-05-08"));
    assert!(outside(&m, "2024-05-08"));
    assert!(
        !outside(&m, "2024-05-07"),
        "the day before, the zone had no list"
    );
    let w = mapcheck::check(&m, d("2024-05-07")).warnings;
    assert!(w.iter().any(|w| w.message.contains("2024-05-08")), "{w:#?}");
}

#[test]
fn a_ciio_may_not_use_the_list() {
    let m = valid(", free_trade_zone: tianjin, ciio: true", "d.batch_no", "");
    assert!(!outside(&m, NOW));
}

#[test]
fn no_zone_no_exemption_whatever_is_declared() {
    let m = valid("", "d.batch_no", ", outside_ftz_negative_list: true");
    assert!(!outside(&m, NOW));
    assert!(!mapcheck::check(&m, d(NOW)).warnings.is_empty());
}

#[test]
fn an_unknown_zone_is_a_map_error_naming_file_line_and_field() {
    let m = valid(
        ", free_trade_zone: tianjn",
        "d.batch_no",
        ", outside_ftz_negative_list: true",
    );
    let found = mapcheck::check(&m, d(NOW));
    assert_eq!(found.errors.len(), 1, "{:#?}", found.errors);
    let e = &found.errors[0];
    assert_eq!(e.code, Code::UnknownReference);
    assert_eq!(e.field, "exporter e.free_trade_zone");
    assert_eq!(&*e.loc.file, "m.yaml");
    assert_eq!(e.loc.line, 4);
    assert!(e.message.contains("`tianjn`"), "{}", e.message);
    assert!(e.help.contains("did you mean `tianjin`?"), "{}", e.help);
    // And it exempts nothing.
    assert!(!outside(&m, NOW));
}

// ---------------------------------------------------------------------------
// grades

#[test]
fn a_field_inherits_its_dataset_grade_and_cannot_go_below_it() {
    let (m, diags) = map_with(
        "",
        "    grade: important\n    grade_source: Catalogue of important data, sector X (2025)\n",
        "d.batch_no",
        "",
    );
    assert!(diags.is_empty(), "{diags:#?}");
    let ds = &m.datasets[0];
    for f in &ds.fields {
        assert_eq!(
            ds.grade_of(f),
            Some((
                DataGrade::Important,
                Some("Catalogue of important data, sector X (2025)")
            ))
        );
    }
    let mut ds = ds.clone();
    ds.fields[0].grade = Some(DataGrade::General);
    assert_eq!(
        ds.grade_of(&ds.fields[0]).unwrap().0,
        DataGrade::Important,
        "general does not lower it"
    );
    ds.fields[0].grade = Some(DataGrade::Core);
    ds.fields[0].grade_source = Some("decision Y".into());
    assert_eq!(
        ds.grade_of(&ds.fields[0]),
        Some((DataGrade::Core, Some("decision Y"))),
        "core raises it"
    );
}

#[test]
fn important_data_is_computed_from_the_grades_and_takes_the_assessment_route() {
    let field_graded = r#"
version: 1
exporters:
  - {id: e, name: E, country: CN, individuals_processed: 1000}
systems:
  - {id: s, name: S, exporter: e, owner: {type: person, name: Owner}}
datasets:
  - id: d
    name: D
    system: s
    grade: general
    fields:
      - {name: phone, category: contact.phone, subject: customer}
      - {name: survey, category: operational, subject: customer, grade: important, grade_source: "Notice of the competent department No. 1"}
recipients:
  - {id: r, name: R, country: US, role: processor, contact: x@example.com}
transfers:
  - {id: general, exporter: e, recipient: r, fields: [d.phone], purpose: p, necessity: none, legal_basis: consent,
     method: api, frequency: daily, individuals_per_year: 10, retention_abroad: 1 year, storage: {country: US}}
  - {id: important, exporter: e, recipient: r, fields: [d.phone, d.survey], purpose: p, necessity: none, legal_basis: consent,
     method: api, frequency: daily, individuals_per_year: 10, retention_abroad: 1 year, storage: {country: US}}
  - {id: all, exporter: e, recipient: r, fields: [d.*], purpose: p, necessity: none, legal_basis: consent,
     method: api, frequency: daily, individuals_per_year: 10, retention_abroad: 1 year, storage: {country: US}}
  - {id: declared, exporter: e, recipient: r, fields: [d.phone], purpose: p, necessity: none, legal_basis: consent,
     method: api, frequency: daily, individuals_per_year: 10, retention_abroad: 1 year, storage: {country: US}, important_data: true}
"#;
    let l = load_sources(
        &[("m.yaml".into(), field_graded.into())],
        Taxonomy::builtin(),
    );
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    let facts = facts_for_map(&l.map, d(NOW), None);
    let got: Vec<(String, bool)> = facts
        .iter()
        .map(|(_, f)| (f.transfer.id.clone(), f.transfer.important_data))
        .collect();
    assert_eq!(
        got,
        [
            ("general".to_string(), false),
            ("important".to_string(), true),
            ("all".to_string(), true),
            ("declared".to_string(), true),
        ]
    );
    for (_, f) in &facts {
        let ev = outbound_rules::evaluate(f).unwrap();
        let cn = ev.determinations.iter().find(|d| d.regime == "CN").unwrap();
        if f.transfer.important_data {
            assert_eq!(cn.mechanism, "security_assessment", "{}", f.transfer.id);
        } else {
            assert_ne!(cn.mechanism, "security_assessment", "{}", f.transfer.id);
        }
    }
    assert!(
        grade::core_refusal(&l.map, &l.map.transfers[1]).is_none(),
        "important is not refused"
    );
}

#[test]
fn core_data_is_refused_with_its_source() {
    let (m, diags) = map_with(
        "",
        "    grade: core\n    grade_source: National core data catalogue (test)\n",
        "d.batch_no",
        "",
    );
    assert!(diags.is_empty(), "{diags:#?}");
    let why = grade::core_refusal(&m, &m.transfers[0]).expect("refused");
    assert!(
        why.contains("`d.batch_no`") && why.contains("National core data catalogue (test)"),
        "{why}"
    );
    assert!(why.contains("DSL Art. 21"), "{why}");
    // Core data is important data too, for the facts.
    assert!(facts_for_map(&m, d(NOW), None)[0].1.transfer.important_data);
}

#[test]
fn core_or_important_without_a_source_is_a_map_error() {
    for g in ["core", "important"] {
        let (_, diags) = map_with("", &format!("    grade: {g}\n"), "d.batch_no", "");
        let e = diags
            .iter()
            .find(|x| x.field == "datasets[0].grade_source")
            .unwrap_or_else(|| panic!("{g}: {diags:#?}"));
        assert_eq!(e.code, Code::MissingField);
        assert!(
            e.message.contains("catalogue, notice or decision"),
            "{}",
            e.message
        );
        assert_eq!(e.loc.line, 8, "{:?}", e.loc);
    }
    let (_, diags) = map_with("", "    grade: general\n", "d.batch_no", "");
    assert!(diags.is_empty(), "general needs no source: {diags:#?}");
    let (_, diags) = map_with("", "    grade: secret\n", "d.batch_no", "");
    assert!(
        diags
            .iter()
            .any(|x| x.message.contains("core, important, general")
                || x.help.contains("core, important, general")),
        "{diags:#?}"
    );
}

#[test]
fn validate_warns_where_a_dataset_has_no_grade() {
    let (m, _) = map_with("", "", "d.batch_no", "");
    let w = mapcheck::check(&m, d(NOW)).warnings;
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(w[0].field, "dataset d.grade");
    assert_eq!(w[0].loc.line, 8);
    assert!(w[0].help.contains("GB/T 43697-2024"), "{}", w[0].help);
    let (m, _) = map_with("", "    grade: general\n", "d.batch_no", "");
    assert!(ftz::check_map(&m, d(NOW)).warnings.is_empty());
}

#[test]
fn a_sector_list_applies_by_the_sectors_the_exporter_states() {
    // In none of Hainan's listed sectors: outside, computed, with nothing to declare.
    let m = valid(", free_trade_zone: hainan, sectors: [other]", "d.phone", "");
    assert!(outside(&m, NOW));
    assert!(ftz::check_map(&m, d(NOW)).warnings.is_empty());
    assert!(!transfer_counts_towards_thresholds(
        &m,
        &m.transfers[0],
        d(NOW)
    ));
    // In tourism, whose list covers contact data: inside, and counted.
    let m = valid(
        ", free_trade_zone: hainan, sectors: [tourism]",
        "d.phone",
        "",
    );
    assert!(!outside(&m, NOW));
    assert!(transfer_counts_towards_thresholds(
        &m,
        &m.transfers[0],
        d(NOW)
    ));
    // In tourism, but sending only what the tourism entry does not cover: outside.
    let m = valid(
        ", free_trade_zone: hainan, sectors: [tourism]",
        "d.batch_no",
        "",
    );
    assert!(outside(&m, NOW));
}

#[test]
fn a_mistyped_sector_is_an_error_not_an_exemption() {
    let m = valid(
        ", free_trade_zone: hainan, sectors: [turism]",
        "d.phone",
        "",
    );
    let errors = &mapcheck::check(&m, d(NOW)).errors;
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].field, "exporter e.sectors");
    assert!(errors[0].help.contains("tourism"), "{}", errors[0].help);
}

//! Template completeness: every template and every vocabulary key exists in
//! both languages, and the two languages use the same context variables.

use std::collections::BTreeSet;
use std::path::PathBuf;

use outbound_docs::templates::{FILES, Strings, Templates};
use outbound_docs::{DocKind, Lang};
use outbound_model::*;

fn dir(lang: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("templates")
        .join(lang)
}

#[test]
fn same_files_in_both_languages() {
    let list = |lang: &str| -> BTreeSet<String> {
        std::fs::read_dir(dir(lang))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let expected: BTreeSet<String> = FILES.iter().map(|s| s.to_string()).collect();
    assert_eq!(list("en"), expected, "templates/en");
    assert_eq!(list("zh"), expected, "templates/zh");
    for k in DocKind::ALL {
        assert!(
            FILES.contains(&format!("{}.md.j2", k.id()).as_str()),
            "{k:?} has no template"
        );
    }
}

fn strings(lang: Lang) -> Strings {
    Templates::builtin().strings(lang).unwrap()
}

#[test]
fn same_keys_in_both_languages() {
    let en: BTreeSet<String> = strings(Lang::En).keys().map(str::to_owned).collect();
    let zh: BTreeSet<String> = strings(Lang::Zh).keys().map(str::to_owned).collect();
    let only_en: Vec<_> = en.difference(&zh).collect();
    let only_zh: Vec<_> = zh.difference(&en).collect();
    assert!(
        only_en.is_empty() && only_zh.is_empty(),
        "only in en: {only_en:?}; only in zh: {only_zh:?}"
    );
}

#[test]
fn every_identifier_has_words_in_both_languages() {
    let mut keys: Vec<String> = Vec::new();
    let mut add = |prefix: &str, ids: Vec<&str>| {
        keys.extend(ids.into_iter().map(|i| format!("{prefix}.{i}")))
    };
    add("method", Method::ALL.iter().map(|v| v.as_str()).collect());
    add(
        "frequency",
        Frequency::ALL.iter().map(|v| v.as_str()).collect(),
    );
    add(
        "role",
        RecipientRole::ALL.iter().map(|v| v.as_str()).collect(),
    );
    add(
        "necessity",
        Necessity::ALL.iter().map(|v| v.as_str()).collect(),
    );
    add(
        "legal_basis",
        LegalBasis::ALL.iter().map(|v| v.as_str()).collect(),
    );
    add("origin", Origin::ALL.iter().map(|v| v.as_str()).collect());
    add(
        "sensitive",
        SensitiveClass::ALL.iter().map(|v| v.as_str()).collect(),
    );
    add(
        "subject",
        SubjectKind::ALL.iter().map(|v| v.as_str()).collect(),
    );
    add(
        "mechanism",
        MechanismKind::ALL.iter().map(|v| v.as_str()).collect(),
    );
    add("risk", outbound_docs::risk::RISKS.to_vec());
    add("mitigation", outbound_docs::risk::RISKS.to_vec());
    add("level", vec!["low", "medium", "high", "very_high"]);
    add(
        "factor",
        vec![
            "base",
            "sensitive",
            "special",
            "volume",
            "sec",
            "exposure",
            "onward",
            "retention",
            "controller",
            "redress",
            "access",
        ],
    );
    add(
        "source_kind",
        vec![
            "map",
            "filed_map",
            "ledger",
            "scan",
            "assessment",
            "data",
            "method",
        ],
    );
    add("measure", vec!["individuals", "sensitive_individuals"]);
    for lang in [Lang::En, Lang::Zh] {
        let s = strings(lang);
        let missing: Vec<&String> = keys.iter().filter(|k| !s.has(k)).collect();
        assert!(
            missing.is_empty(),
            "{lang:?} strings.toml lacks {missing:?}"
        );
    }
}

#[test]
fn both_languages_use_the_same_context_variables() {
    let t = Templates::builtin();
    for name in FILES.iter().filter(|n| n.ends_with(".j2")) {
        let vars = |lang: Lang| -> BTreeSet<String> {
            let mut env = minijinja::Environment::new();
            env.add_template_owned(
                "common.md.j2",
                t.source(lang, "common.md.j2").unwrap().to_string(),
            )
            .unwrap();
            env.add_template_owned(name.to_string(), t.source(lang, name).unwrap().to_string())
                .unwrap();
            env.get_template(name)
                .unwrap()
                .undeclared_variables(true)
                .into_iter()
                .collect()
        };
        assert_eq!(
            vars(Lang::En),
            vars(Lang::Zh),
            "{name}: en and zh use different variables"
        );
    }
}

#[test]
fn an_edited_copy_overrides_the_embedded_templates() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("en")).unwrap();
    let original = Templates::builtin()
        .source(Lang::En, "summary.md.j2")
        .unwrap()
        .replace("# Compliance summary", "# Board summary");
    std::fs::write(d.path().join("en/summary.md.j2"), original).unwrap();
    let t = Templates::from_dir(d.path()).unwrap();
    assert!(
        t.source(Lang::En, "summary.md.j2")
            .unwrap()
            .contains("# Board summary")
    );
    assert!(
        t.source(Lang::Zh, "summary.md.j2")
            .unwrap()
            .contains("合规概览"),
        "zh falls back to the embedded one"
    );
}

#[test]
fn destinations_cover_every_recipient_country_of_the_example() {
    let map = outbound_model::load_path(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/lumen"),
    )
    .unwrap()
    .map;
    let d = outbound_docs::destinations::Destinations::builtin();
    for r in &map.recipients {
        assert!(
            d.get(&r.country).is_some(),
            "no destination entry for {}",
            r.country
        );
        for o in &r.onward_recipients {
            assert!(
                d.get(&o.country).is_some(),
                "no destination entry for {}",
                o.country
            );
        }
    }
}

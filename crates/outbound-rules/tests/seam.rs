//! The seam for regimes: docs/RULES.md "Adding a regime" lists the files a
//! regime touches, and every regime the engine knows has them.

use std::path::Path;

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn adding_a_regime_touches_the_files_rules_md_lists() {
    let rules_md = std::fs::read_to_string(crate_dir().join("../../docs/RULES.md")).unwrap();
    let section = &rules_md[rules_md
        .find("## Adding a regime")
        .expect("the section exists")..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    for listed in [
        "crates/outbound-rules/src/regime/<id>.rs",
        "crates/outbound-rules/data/<id>.toml",
        "crates/outbound-rules/data/text/<id>.toml",
        "crates/outbound-rules/tests/<id>.rs",
        "`regime/mod.rs`",
        "`text.rs` (`TEXT_FILES`)",
        "`tests/integration.rs`",
    ] {
        assert!(
            section.contains(listed),
            "RULES.md no longer lists {listed}"
        );
    }
    let text_rs = std::fs::read_to_string(crate_dir().join("src/text.rs")).unwrap();
    let integration = std::fs::read_to_string(crate_dir().join("tests/integration.rs")).unwrap();
    let data: Vec<String> = std::fs::read_dir(crate_dir().join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for r in outbound_rules::regime::all() {
        let id = r.id().to_ascii_lowercase();
        assert!(
            crate_dir().join(format!("src/regime/{id}.rs")).is_file(),
            "{id}: src/regime/{id}.rs"
        );
        assert!(
            data.iter().any(|f| *f == format!("{id}.toml")
                || (f.starts_with(&format!("{id}-")) && f.ends_with(".toml"))),
            "{id}: no data/{id}.toml or data/{id}-*.toml"
        );
        assert!(
            crate_dir().join(format!("data/text/{id}.toml")).is_file(),
            "{id}: data/text/{id}.toml"
        );
        assert!(
            text_rs.contains(&format!(
                "(\"{id}\", include_str!(\"../data/text/{id}.toml\"))"
            )),
            "{id}: TEXT_FILES"
        );
        let tests: Vec<String> = std::fs::read_dir(crate_dir().join("tests"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| *f == format!("{id}.rs") || f.starts_with(&format!("{id}_")))
            .collect();
        assert!(
            !tests.is_empty(),
            "{id}: no tests/{id}.rs or tests/{id}_*.rs"
        );
        for t in tests {
            let m = t.trim_end_matches(".rs");
            assert!(
                integration.contains(&format!("mod {m};")),
                "{id}: tests/integration.rs lacks mod {m}"
            );
        }
    }
}

/// The regimes in the contract's order.
#[test]
fn regimes_are_in_the_contracts_order() {
    let ids: Vec<&str> = outbound_rules::regime::all()
        .iter()
        .map(|r| r.id())
        .collect();
    assert_eq!(ids, ["CN", "EU", "US", "RU"]);
}

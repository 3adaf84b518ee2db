//! Free-trade-zone negative lists (Provisions on Promoting and Regulating
//! Cross-Border Data Flows, 2024, Art. 6): a processor registered in a pilot
//! free trade zone that sends data not on its zone's list is exempt from the
//! security assessment, the standard contract and certification.
//!
//! The lists are data (`data/cn-ftz/<zone>.toml`, one per published list, with
//! its source and how far it is encoded); this module matches a transfer's
//! fields against them, so that `outside_ftz_negative_list` is computed from
//! the map rather than declared. A map's own `outside_ftz_negative_list` may
//! only narrow the result: `false` wins; `true` with a field on the list is
//! contradicted (a warning) and the computed value is used.

use std::sync::LazyLock;

use jiff::civil::Date;
use outbound_model::{Code, DataMap, Diagnostic, Exporter, Taxonomy, Transfer};
use serde::{Deserialize, Serialize};

/// Who a list covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every data processor registered in the zone.
    All,
    /// Only processors in the sectors the list names: whether an exporter is one
    /// is not in the map, so the exporter must declare `outside_ftz_negative_list: true`.
    Sectors,
}

/// What an entry of a list names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Important data.
    Important,
    /// Personal information.
    Personal,
    /// Both.
    Both,
}

/// One class, scenario or sector of a list.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Stable id within the list.
    pub id: String,
    /// The sector it belongs to.
    pub sector: String,
    /// The list's own wording.
    pub category_zh: String,
    /// An English gloss.
    pub category_en: String,
    /// Important data, personal information or both.
    pub kind: EntryKind,
    /// Taxonomy categories of the data map it matches (a category covers its children).
    pub matches: Vec<String>,
    /// `*` globs on field names, case-insensitive.
    pub field_patterns: Vec<String>,
    /// The kinds of person (`customer`, `passenger` …) whose data the entry
    /// covers; empty: anyone's. A sector's consumer data is not its suppliers' contacts.
    #[serde(default)]
    pub subjects: Vec<String>,
    /// How far the entry is confirmed.
    pub basis: String,
}

/// One published negative list.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// What a map's `free_trade_zone` names.
    pub id: String,
    /// Other spellings accepted (case-insensitive).
    pub aliases: Vec<String>,
    /// Official title.
    pub name_zh: String,
    /// English title.
    pub name_en: String,
    /// Issuing bodies.
    pub issued_by: String,
    /// Day of publication.
    pub published: Date,
    /// Day in force; before it the zone has no list and Art. 6 exempts nothing.
    pub in_force: Date,
    /// Where it was read.
    pub source: String,
    /// Whether title, issuer and dates are confirmed.
    pub confirmed: bool,
    /// What was and was not confirmed.
    pub confirmed_note: String,
    /// Who the list covers.
    pub scope: Scope,
    /// Sectors of a sector-scoped list.
    pub sectors: Vec<String>,
    /// Critical information infrastructure operators may not use the list.
    pub excludes_ciio: bool,
    /// Whether the entries reproduce the list item by item.
    pub complete: bool,
    /// What was encoded.
    pub completeness: String,
    /// Its entries.
    pub entry: Vec<Entry>,
}

/// The list files, one per published list (a test checks this against `data/cn-ftz/`).
pub const FILES: &[(&str, &str)] = &[
    ("tianjin.toml", include_str!("../data/cn-ftz/tianjin.toml")),
    ("beijing.toml", include_str!("../data/cn-ftz/beijing.toml")),
    (
        "shanghai.toml",
        include_str!("../data/cn-ftz/shanghai.toml"),
    ),
    ("hainan.toml", include_str!("../data/cn-ftz/hainan.toml")),
    (
        "zhejiang.toml",
        include_str!("../data/cn-ftz/zhejiang.toml"),
    ),
];

static ZONES: LazyLock<Vec<Zone>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(name, text)| {
            toml::from_str(text).unwrap_or_else(|e| panic!("data/cn-ftz/{name} is malformed: {e}"))
        })
        .collect()
});

/// Every list, in file order.
pub fn zones() -> &'static [Zone] {
    &ZONES
}

/// The list a map's `free_trade_zone` names, by id or alias (case-insensitive).
pub fn zone(name: &str) -> Option<&'static Zone> {
    let n = name.trim().to_lowercase();
    zones()
        .iter()
        .find(|z| z.id == n || z.aliases.iter().any(|a| a.to_lowercase() == n))
}

/// Whether `pattern` (with `*` for any run of characters) matches `text`, case-insensitive.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    // Iterative matcher with one backtrack point per `*`.
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl Entry {
    /// Whether a field of this category and name is on the list through this entry.
    pub fn matches_field(&self, name: &str, category: &str) -> bool {
        self.matches.iter().any(|m| Taxonomy::covers(m, category))
            || self.field_patterns.iter().any(|p| glob(p, name))
    }
}

/// The fields of a transfer matched against one list.
#[derive(Clone, Debug, Serialize)]
pub struct FtzMatch {
    /// No field is on the list.
    pub outside: bool,
    /// Each entry hit, with the field (`dataset.field`) that hit it.
    pub matched: Vec<(&'static Entry, String)>,
}

/// Matches fields, given as (`dataset.field`, taxonomy category), against a zone's list.
pub fn match_transfer<S: AsRef<str>, C: AsRef<str>>(
    zone: &'static Zone,
    fields: impl IntoIterator<Item = (S, C)>,
) -> FtzMatch {
    match_in_sectors(
        zone,
        fields
            .into_iter()
            .map(|(n, c)| (n.as_ref().to_string(), c.as_ref().to_string(), None)),
        None,
    )
}

/// [`match_transfer`] against only the entries of the sectors an exporter
/// declares it works in (`None`: every entry).
/// Fields are (`dataset.field`, category, subject kind if known).
pub fn match_in_sectors(
    zone: &'static Zone,
    fields: impl IntoIterator<Item = (String, String, Option<String>)>,
    sectors: Option<&[String]>,
) -> FtzMatch {
    let entries: Vec<&Entry> = zone
        .entry
        .iter()
        .filter(|e| sectors.is_none_or(|s| s.contains(&e.sector)))
        .collect();
    let mut matched = Vec::new();
    for (name, category, subject) in fields {
        let name = name.as_str();
        // Patterns look at the field's own name, without its dataset.
        let short = name.split_once('.').map_or(name, |(_, f)| f);
        for e in &entries {
            let whose = match &subject {
                Some(s) if !e.subjects.is_empty() => e.subjects.contains(s),
                _ => true,
            };
            if whose && e.matches_field(short, &category) {
                matched.push((*e, name.to_string()));
            }
        }
    }
    FtzMatch {
        outside: matched.is_empty(),
        matched,
    }
}

/// What the map says and what the list shows, for one transfer.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The value the facts carry.
    pub outside: bool,
    /// The match, when the exporter's zone has a list.
    pub matched: Option<FtzMatch>,
    /// Why the map's declaration was not followed, or what it must add.
    pub warning: Option<String>,
}

/// `outside_ftz_negative_list` for transfer `t` of the map on `as_of`: computed from its
/// fields against the exporter's zone's list, narrowed by what the map declares.
pub fn resolve(map: &DataMap, t: &Transfer, as_of: Date) -> Resolved {
    let declared = t
        .key_locs
        .contains_key("outside_ftz_negative_list")
        .then_some(t.outside_ftz_negative_list);
    let none = |warning: Option<String>| Resolved {
        outside: false,
        matched: None,
        warning,
    };
    let Some(e) = map.exporter(&t.exporter) else {
        return none(None);
    };
    let Some(zname) = e.free_trade_zone.as_deref() else {
        return none(
            (declared == Some(true)).then(|| {
                "declares `outside_ftz_negative_list: true` but its exporter names no `free_trade_zone`: Provisions Art. 6 does not apply".to_string()
            }),
        );
    };
    // An unknown zone is a map error (`check_map`); here it exempts nothing.
    let Some(z) = zone(zname) else {
        return none(None);
    };
    if as_of < z.in_force {
        return none(Some(format!(
            "{} is in force from {}; before that the zone has no list and Provisions Art. 6 exempts nothing",
            z.name_en, z.in_force
        )));
    }
    if z.excludes_ciio && e.ciio {
        return none(Some(format!(
            "{} does not apply to critical information infrastructure operators",
            z.name_en
        )));
    }
    // A sector list applies by sector: once the exporter states its sectors,
    // only their entries count and the result is computed, not declared.
    let sectors =
        (z.scope == Scope::Sectors && !e.sectors.is_empty()).then_some(e.sectors.as_slice());
    let m = match_in_sectors(z, transfer_fields(map, t), sectors);
    let (outside, warning) = match (declared, m.outside, z.scope) {
        (Some(false), _, _) => (false, None),
        (Some(true), false, _) => (
            false,
            Some(format!(
                "declares `outside_ftz_negative_list: true`, but {} lists {}: the computed value (on the list) is used",
                z.name_en,
                describe(&m)
            )),
        ),
        (_, false, _) => (false, None),
        (None, true, Scope::Sectors) if sectors.is_none() => (
            false,
            Some(format!(
                "no field is on {}, but the list covers only processors in the sectors it names ({}): declare `outside_ftz_negative_list: true` if the exporter is one",
                z.name_en,
                z.sectors.join(", ")
            )),
        ),
        (_, true, _) => (true, None),
    };
    Resolved {
        outside,
        matched: Some(m),
        warning,
    }
}

fn describe(m: &FtzMatch) -> String {
    m.matched
        .iter()
        .map(|(e, f)| format!("`{f}` ({} / {})", e.category_zh, e.category_en))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The transfer's fields as (`dataset.field`, category, subject kind), `dataset.*` expanded.
fn transfer_fields(map: &DataMap, t: &Transfer) -> Vec<(String, String, Option<String>)> {
    map.transfer_dataset_fields(t)
        .map(|(d, f)| {
            (
                format!("{}.{}", d.id, f.name),
                f.category.clone(),
                Some(f.subject.as_str().to_string()),
            )
        })
        .collect()
}

/// Errors and warnings the lists find in a map.
#[derive(Debug, Default)]
pub struct Findings {
    /// An exporter names a zone that has no list.
    pub errors: Vec<Diagnostic>,
    /// Declarations the lists contradict or that must be made.
    pub warnings: Vec<Diagnostic>,
}

/// The sector an exporter names when it works in none of its zone's listed sectors.
pub const OTHER_SECTOR: &str = "other";

/// Checks every exporter's zone and every transfer's declaration against the lists on `as_of`.
pub fn check_map(map: &DataMap, as_of: Date) -> Findings {
    let mut out = Findings::default();
    for e in &map.exporters {
        if let Some(z) = &e.free_trade_zone
            && zone(z).is_none()
        {
            out.errors.push(unknown_zone(e, z));
        }
        // A mistyped sector would read as "not in a listed sector" and exempt the
        // data: every sector must be one the zone's list names, or `other`.
        let z = e.free_trade_zone.as_deref().and_then(zone);
        for s in &e.sectors {
            let known = z.is_some_and(|z| z.sectors.contains(s));
            if !known && s != OTHER_SECTOR {
                let names: Vec<&str> = z
                    .map(|z| z.sectors.iter().map(String::as_str).collect())
                    .unwrap_or_default();
                let help = match outbound_model::diag::did_you_mean(s, names.iter().copied()) {
                    Some(d) => format!("did you mean `{d}`?"),
                    None => format!(
                        "name a sector of the zone's list ({}) or `{OTHER_SECTOR}`",
                        names.join(", ")
                    ),
                };
                out.errors.push(Diagnostic {
                    loc: e.key_locs.get("sectors").unwrap_or(&e.loc).clone(),
                    field: format!("exporter {}.sectors", e.id),
                    code: Code::InvalidValue,
                    message: format!("sector `{s}` is not one the free trade zone's list names"),
                    help,
                });
            }
        }
    }
    for t in &map.transfers {
        if let Some(w) = resolve(map, t, as_of).warning {
            out.warnings.push(Diagnostic {
                loc: t
                    .key_locs
                    .get("outside_ftz_negative_list")
                    .unwrap_or(&t.loc)
                    .clone(),
                field: format!("transfer {}.outside_ftz_negative_list", t.id),
                code: Code::InvalidValue,
                message: w,
                help: "the negative lists are in data/cn-ftz/ (Provisions Art. 6)".into(),
            });
        }
    }
    out
}

fn unknown_zone(e: &Exporter, name: &str) -> Diagnostic {
    let known: Vec<&str> = zones().iter().map(|z| z.id.as_str()).collect();
    let help = match outbound_model::diag::did_you_mean(&name.to_lowercase(), known.iter().copied())
    {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!(
            "name a zone with a published negative list: {}",
            known.join(", ")
        ),
    };
    Diagnostic {
        loc: e.key_locs.get("free_trade_zone").unwrap_or(&e.loc).clone(),
        field: format!("exporter {}.free_trade_zone", e.id),
        code: Code::UnknownReference,
        message: format!("free trade zone `{name}` has no negative list in Outbound"),
        help,
    }
}

//! Reason and obligation texts in English and Chinese, and citations in both.
//!
//! A regime never writes a sentence in code: it names a message
//! (`cn.threshold_reached`) and its arguments, and the sentence in each
//! language comes from `data/text/<regime>.toml`. A Chinese PIPIA then has no
//! English sentence in it, and a test checks that every message the code
//! names exists in both languages with the same placeholders.
//!
//! The same files say how each instrument is cited in Chinese, so that a
//! citation such as `PIPL Art. 39` becomes `《个人信息保护法》第39条` in one
//! place for the documents, the pages and the CLI.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// One regime's text file: how its instruments are cited, and its messages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextFile {
    /// Citation prefix (the instrument's short English name) → Chinese name.
    #[serde(default)]
    cite: BTreeMap<String, String>,
    /// Message id (without the regime prefix) → texts.
    #[serde(default)]
    msg: BTreeMap<String, Bilingual>,
    /// Route id → its name, as the regime's documents and pages print it.
    #[serde(default)]
    route: BTreeMap<String, Bilingual>,
    /// Obligation id → a short label (the obligation's sentence is a message).
    #[serde(default)]
    obligation: BTreeMap<String, Bilingual>,
    /// An instrument's full English name (a determination's `instrument`) → its Chinese title.
    #[serde(default)]
    instrument: BTreeMap<String, String>,
}

/// A sentence in both languages, with `{name}` placeholders.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    /// English.
    pub en: String,
    /// Simplified Chinese.
    pub zh: String,
}

/// Every regime's text file, by regime prefix (`cn`, `eu`, `us`, `ru`).
///
/// A new regime adds one line here and one file under `data/text/`.
pub const TEXT_FILES: &[(&str, &str)] = &[
    ("cn", include_str!("../data/text/cn.toml")),
    ("eu", include_str!("../data/text/eu.toml")),
    ("us", include_str!("../data/text/us.toml")),
    ("ru", include_str!("../data/text/ru.toml")),
    ("conflict", include_str!("../data/text/conflict.toml")),
];

struct Texts {
    msgs: BTreeMap<String, Bilingual>,
    /// `<regime>.<route id>` → name.
    routes: BTreeMap<String, Bilingual>,
    /// `<regime>.<obligation id>` → label.
    labels: BTreeMap<String, Bilingual>,
    /// Full English name → Chinese title.
    instruments: BTreeMap<String, String>,
    /// (English prefix, Chinese name), longest prefix first.
    cites: Vec<(String, String)>,
}

static TEXTS: LazyLock<Texts> = LazyLock::new(|| {
    let mut msgs = BTreeMap::new();
    let mut routes = BTreeMap::new();
    let mut labels = BTreeMap::new();
    let mut instruments = BTreeMap::new();
    let mut cites = Vec::new();
    for (regime, src) in TEXT_FILES {
        let f: TextFile = toml::from_str(src)
            .unwrap_or_else(|e| panic!("data/text/{regime}.toml is valid (tested): {e}"));
        for (k, v) in f.msg {
            msgs.insert(format!("{regime}.{k}"), v);
        }
        for (k, v) in f.route {
            routes.insert(format!("{regime}.{k}"), v);
        }
        instruments.extend(f.instrument);
        for (k, v) in f.obligation {
            labels.insert(format!("{regime}.{k}"), v);
        }
        cites.extend(f.cite);
    }
    cites.sort_by_key(|(en, _)| std::cmp::Reverse(en.len()));
    Texts {
        msgs,
        routes,
        labels,
        instruments,
        cites,
    }
});

/// Every message id known, with its texts (for tests and listings).
pub fn messages() -> impl Iterator<Item = (&'static str, &'static Bilingual)> {
    TEXTS.msgs.iter().map(|(k, v)| (k.as_str(), v))
}

/// The name of a regime's route (`route_name("CN", "exempt")`), in both
/// languages; `None` for a route the regime's text file does not name.
pub fn route_name(regime: &str, route: &str) -> Option<&'static Bilingual> {
    TEXTS
        .routes
        .get(&format!("{}.{route}", regime.to_ascii_lowercase()))
}

/// The short label of a regime's obligation (`obligation_label("cn", "filing")`).
pub fn obligation_label(regime: &str, obligation: &str) -> Option<&'static Bilingual> {
    TEXTS
        .labels
        .get(&format!("{}.{obligation}", regime.to_ascii_lowercase()))
}

/// A determination's `instrument` (one name, or several joined by `; `) in Chinese;
/// a name without a Chinese title is kept as it is (a test lists none).
pub fn instrument_zh(names: &str) -> String {
    names
        .split("; ")
        .map(|n| TEXTS.instruments.get(n).map_or(n, |z| z.as_str()))
        .collect::<Vec<_>>()
        .join("；")
}

/// Whether every part of a determination's `instrument` has a Chinese title.
pub fn instrument_known(names: &str) -> bool {
    names.split("; ").all(|n| TEXTS.instruments.contains_key(n))
}

/// Whether a message id exists.
pub fn exists(id: &str) -> bool {
    TEXTS.msgs.contains_key(id)
}

/// An argument of a message: the same in both languages, or translated.
#[derive(Clone, Debug)]
enum Arg {
    Same(String),
    Both(String, String),
}

/// A message to render: its id and arguments.
#[derive(Clone, Debug)]
#[must_use]
pub struct Msg {
    id: &'static str,
    args: Vec<(&'static str, Arg)>,
}

impl Msg {
    /// The message `id` (`<regime>.<key>`, a key of `data/text/<regime>.toml`).
    pub fn new(id: &'static str) -> Msg {
        Msg {
            id,
            args: Vec::new(),
        }
    }

    /// An argument written the same way in both languages (a number, a date, an id).
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Msg {
        self.args.push((name, Arg::Same(value.to_string())));
        self
    }

    /// An argument that reads differently in each language (a country's name, a window).
    pub fn arg2(mut self, name: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Msg {
        self.args.push((name, Arg::Both(en.into(), zh.into())));
        self
    }

    /// The message id.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The sentence in English and Chinese. An unknown id renders as the id
    /// itself in both (a test makes sure none is unknown).
    pub fn render(&self) -> Bilingual {
        let Some(t) = TEXTS.msgs.get(self.id) else {
            return Bilingual {
                en: self.id.to_string(),
                zh: self.id.to_string(),
            };
        };
        let fill = |template: &str, zh: bool| {
            let mut out = template.to_string();
            for (name, arg) in &self.args {
                let v = match arg {
                    Arg::Same(v) => v.as_str(),
                    Arg::Both(en, z) => {
                        if zh {
                            z.as_str()
                        } else {
                            en.as_str()
                        }
                    }
                };
                out = out.replace(&format!("{{{name}}}"), v);
            }
            out
        };
        Bilingual {
            en: fill(&t.en, false),
            zh: fill(&t.zh, true),
        }
    }
}

/// One cited provision: the instrument by its short English name, and the article.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cite {
    /// The instrument's short name, as listed under `[cite]` in a text file
    /// (`PIPL`, `Provisions`, `GDPR`, `28 CFR`, `152-FZ` …); the whole
    /// citation when no listed instrument matches.
    pub instrument: String,
    /// The article, paragraph or clause (`Art. 38(1)`, `§202.302`), or empty.
    pub article: String,
}

/// Splits a citation string (`PIPL Art. 39; Provisions Art. 8`) into its provisions.
pub fn cites(citation: &str) -> Vec<Cite> {
    citation
        .split("; ")
        .filter(|p| !p.trim().is_empty())
        .map(|part| {
            let part = part.trim();
            let known = TEXTS.cites.iter().find(|(en, _)| {
                part == en
                    || part
                        .strip_prefix(en.as_str())
                        .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with(','))
            });
            match known {
                Some((en, _)) => Cite {
                    instrument: en.clone(),
                    article: part[en.len()..].trim_start_matches([' ', ',']).to_string(),
                },
                None => Cite {
                    instrument: part.to_string(),
                    article: String::new(),
                },
            }
        })
        .collect()
}

/// Whether every provision of a citation names a known instrument.
pub fn citation_known(citation: &str) -> bool {
    cites(citation)
        .iter()
        .all(|c| TEXTS.cites.iter().any(|(en, _)| *en == c.instrument))
}

/// The citation as a Chinese reader expects it: `《个人信息保护法》第39条`.
pub fn citation_zh(citation: &str) -> String {
    cites(citation)
        .iter()
        .map(|c| {
            let name = TEXTS
                .cites
                .iter()
                .find(|(en, _)| *en == c.instrument)
                .map_or(c.instrument.as_str(), |(_, zh)| zh.as_str());
            format!("{name}{}", article_zh(&c.article))
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// `Art. 13(1)(f), 14(1)(f)` → `第13条(1)(f)、第14条(1)(f)`; `Clause 14` → `第14条`.
fn article_zh(article: &str) -> String {
    let a = article.trim();
    let a = a
        .strip_prefix("Art. ")
        .or_else(|| a.strip_prefix("Arts. "))
        .or_else(|| a.strip_prefix("Clause "))
        .map(|rest| {
            rest.split(", ")
                .map(|p| {
                    let p = p.replace(" second subparagraph", "第二段");
                    let n: String = p.chars().take_while(|c| c.is_ascii_digit()).collect();
                    // `3-6`: a range of articles.
                    let to = p[n.len()..]
                        .strip_prefix('-')
                        .filter(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()));
                    match to {
                        _ if n.is_empty() => p.to_string(),
                        Some(m) => format!("第{n}条至第{m}条"),
                        None => format!("第{n}条{}", &p[n.len()..]),
                    }
                })
                .collect::<Vec<_>>()
                .join("、")
        });
    match a {
        Some(s) => s,
        None => article.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_file_loads_and_every_message_has_both_languages_with_the_same_placeholders() {
        let placeholders = |s: &str| {
            let mut v: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
                .collect();
            v.sort();
            v.dedup();
            v
        };
        for (id, t) in messages() {
            assert!(!t.en.trim().is_empty(), "{id}: English missing");
            assert!(!t.zh.trim().is_empty(), "{id}: Chinese missing");
            assert_eq!(
                placeholders(&t.en),
                placeholders(&t.zh),
                "{id}: the two languages take different placeholders"
            );
            assert!(
                t.zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{id}: the Chinese text has no Chinese in it"
            );
        }
    }

    /// Every `Msg::new("…")` in the crate's sources names a message that exists.
    #[test]
    fn every_message_named_in_code_exists() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let needle = concat!("Msg::new", "(\"");
        let mut named = 0;
        // This file names the pattern in its own docs and tests.
        for f in files.into_iter().filter(|f| !f.ends_with("text.rs")) {
            let src = std::fs::read_to_string(&f).unwrap();
            for (i, _) in src.match_indices(needle) {
                let rest = &src[i + needle.len()..];
                let id = &rest[..rest.find('"').unwrap()];
                assert!(
                    exists(id),
                    "{}: message {id} is in no data/text file",
                    f.display()
                );
                named += 1;
            }
        }
        let _ = named;
    }

    #[test]
    fn every_route_of_every_regime_has_a_name_in_both_languages() {
        for r in crate::regime::all() {
            for m in r.info().mechanisms {
                let n = route_name(r.id(), m)
                    .unwrap_or_else(|| panic!("{}: route {m} has no name", r.id()));
                assert!(!n.en.is_empty() && !n.zh.is_empty(), "{}: {m}", r.id());
            }
        }
    }

    #[test]
    fn citations_split_and_read_in_chinese() {
        assert_eq!(
            cites("PIPL Art. 39; Provisions Art. 5(4)"),
            vec![
                Cite {
                    instrument: "PIPL".into(),
                    article: "Art. 39".into()
                },
                Cite {
                    instrument: "Provisions".into(),
                    article: "Art. 5(4)".into()
                },
            ]
        );
        assert_eq!(citation_zh("PIPL Art. 39"), "《个人信息保护法》第39条");
        assert_eq!(
            citation_zh("GDPR Art. 13(1)(f), 14(1)(f)"),
            "《通用数据保护条例》第13条(1)(f)、第14条(1)(f)"
        );
        // "Standard Contract Measures" is not read as an unknown instrument followed by text.
        assert_eq!(
            cites("Standard Contract Measures Art. 7")[0].instrument,
            "Standard Contract Measures"
        );
        assert!(!citation_known("Nowhere Act Art. 1"));
        assert_eq!(
            citation_zh("Provisions Art. 3-6, 14"),
            "《促进和规范数据跨境流动规定》第3条至第6条、第14条"
        );
        assert_eq!(
            citation_zh("GDPR Art. 49(1) second subparagraph"),
            "《通用数据保护条例》第49条(1)第二段"
        );
        assert_eq!(
            citation_zh("Provisions Art. 7(1)-(2), 2"),
            "《促进和规范数据跨境流动规定》第7条(1)-(2)、第2条"
        );
    }
}

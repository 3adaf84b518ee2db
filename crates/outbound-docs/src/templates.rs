//! Templates and vocabularies, per language, as files a lawyer can edit.
//!
//! `templates/{en,zh}/*.md.j2` are minijinja templates producing Markdown;
//! `templates/{en,zh}/strings.toml` holds the words the Rust side fills in
//! (names of routes, methods, categories, risks …). Both are embedded in the
//! binary; [`Templates::from_dir`] loads an edited copy instead.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::{DocError, DocKind, Lang};

/// Every template file, per language (the same names in each).
pub const FILES: &[&str] = &[
    "pipia.md.j2",
    "annex.md.j2",
    "filing.md.j2",
    "ropa.md.j2",
    "tia.md.j2",
    "summary.md.j2",
    "common.md.j2",
    "incident-authority.md.j2",
    "incident-individuals.md.j2",
    "strings.toml",
];

macro_rules! embedded {
    ($lang:literal) => {
        [
            (
                "pipia.md.j2",
                include_str!(concat!("../templates/", $lang, "/pipia.md.j2")),
            ),
            (
                "annex.md.j2",
                include_str!(concat!("../templates/", $lang, "/annex.md.j2")),
            ),
            (
                "filing.md.j2",
                include_str!(concat!("../templates/", $lang, "/filing.md.j2")),
            ),
            (
                "ropa.md.j2",
                include_str!(concat!("../templates/", $lang, "/ropa.md.j2")),
            ),
            (
                "tia.md.j2",
                include_str!(concat!("../templates/", $lang, "/tia.md.j2")),
            ),
            (
                "summary.md.j2",
                include_str!(concat!("../templates/", $lang, "/summary.md.j2")),
            ),
            (
                "common.md.j2",
                include_str!(concat!("../templates/", $lang, "/common.md.j2")),
            ),
            (
                "incident-authority.md.j2",
                include_str!(concat!("../templates/", $lang, "/incident-authority.md.j2")),
            ),
            (
                "incident-individuals.md.j2",
                include_str!(concat!(
                    "../templates/",
                    $lang,
                    "/incident-individuals.md.j2"
                )),
            ),
            (
                "strings.toml",
                include_str!(concat!("../templates/", $lang, "/strings.toml")),
            ),
        ]
    };
}

/// The print stylesheet of the HTML output.
pub(crate) const CSS: &str = include_str!("../templates/style.css");

/// The vocabulary of one language: dotted keys to words.
#[derive(Clone, Debug, Default)]
pub struct Strings {
    map: BTreeMap<String, String>,
}

impl Strings {
    /// Parses a strings file (nested tables flatten to dotted keys).
    pub(crate) fn parse(text: &str) -> Result<Strings, String> {
        let v: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut map = BTreeMap::new();
        fn walk(
            prefix: &str,
            t: &toml::Table,
            out: &mut BTreeMap<String, String>,
        ) -> Result<(), String> {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match v {
                    toml::Value::String(s) => {
                        out.insert(key, s.clone());
                    }
                    toml::Value::Table(t) => walk(&key, t, out)?,
                    _ => return Err(format!("{key}: only strings and tables are allowed")),
                }
            }
            Ok(())
        }
        walk("", &v, &mut map)?;
        Ok(Strings { map })
    }

    /// The word for a key; the key in angle brackets when missing (the tests forbid that).
    pub(crate) fn t(&self, key: &str) -> String {
        self.map
            .get(key)
            .cloned()
            .unwrap_or_else(|| format!("⟨{key}⟩"))
    }

    /// Whether a key exists.
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// All keys.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }
}

/// The templates of both languages.
pub struct Templates {
    sources: BTreeMap<(Lang, String), String>,
}

impl Templates {
    /// The templates embedded in the binary.
    pub fn builtin() -> Templates {
        let mut sources = BTreeMap::new();
        for (name, text) in embedded!("en") {
            sources.insert((Lang::En, name.to_string()), text.to_string());
        }
        for (name, text) in embedded!("zh") {
            sources.insert((Lang::Zh, name.to_string()), text.to_string());
        }
        Templates { sources }
    }

    /// Templates from a directory with `en/` and `zh/` (an edited copy of `templates/`).
    /// Files missing there fall back to the embedded ones.
    pub fn from_dir(dir: &Path) -> Result<Templates, DocError> {
        let mut t = Templates::builtin();
        for lang in [Lang::En, Lang::Zh] {
            for name in FILES {
                let p = dir.join(lang.code()).join(name);
                if p.exists() {
                    let text = std::fs::read_to_string(&p)
                        .map_err(|e| DocError::Template(format!("{}: {e}", p.display())))?;
                    t.sources.insert((lang, (*name).to_string()), text);
                }
            }
        }
        Ok(t)
    }

    /// The text of one file.
    pub fn source(&self, lang: Lang, name: &str) -> Option<&str> {
        self.sources
            .get(&(lang, name.to_string()))
            .map(String::as_str)
    }

    /// The vocabulary of a language.
    pub fn strings(&self, lang: Lang) -> Result<Strings, DocError> {
        let text = self.source(lang, "strings.toml").ok_or_else(|| {
            DocError::Template(format!("{}/strings.toml is missing", lang.code()))
        })?;
        Strings::parse(text)
            .map_err(|e| DocError::Template(format!("{}/strings.toml: {e}", lang.code())))
    }

    /// Renders a document's template with its context.
    pub(crate) fn render(
        &self,
        kind: DocKind,
        lang: Lang,
        ctx: &serde_json::Value,
    ) -> Result<String, DocError> {
        self.render_named(&format!("{}.md.j2", kind.id()), lang, ctx)
    }

    /// Renders the template file `name` with its context.
    pub(crate) fn render_named(
        &self,
        name: &str,
        lang: Lang,
        ctx: &serde_json::Value,
    ) -> Result<String, DocError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .map_err(|e| DocError::Template(e.to_string()))?,
        );
        // A figure prints as its value with its source as a footnote reference.
        env.add_filter("fig", |v: Value| -> Result<String, minijinja::Error> {
            let value = v.get_attr("value")?;
            let src = v.get_attr("src")?;
            if value.is_undefined() || src.is_undefined() {
                return Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    "`fig` needs a figure {value, src}",
                ));
            }
            Ok(format!("{value}[^{src}]"))
        });
        // Table cells: no pipes or line breaks.
        env.add_filter("cell", |v: Value| -> String {
            v.to_string().replace('|', "\\|").replace('\n', " ")
        });
        for name in FILES.iter().filter(|n| n.ends_with(".j2")) {
            let src = self
                .source(lang, name)
                .ok_or_else(|| DocError::Template(format!("{}/{name} is missing", lang.code())))?;
            env.add_template_owned(name.to_string(), src.to_string())
                .map_err(|e| DocError::Template(format!("{}/{name}: {e:#}", lang.code())))?;
        }
        let tmpl = env
            .get_template(name)
            .map_err(|e| DocError::Template(e.to_string()))?;
        tmpl.render(Value::from(minijinja::value::Serde(ctx)))
            .map_err(|e| DocError::Template(format!("{}/{name}: {e:#}", lang.code())))
    }
}

//! The databases the server may scan, named by its operator in a TOML file
//! (`outbound serve --scan-sources FILE`), never typed into a page: a page
//! picks a source by its id, and the URL, which may hold a password, stays
//! in the server (not shown, not logged, not in a job's result). A server
//! that could be handed any URL would let everyone who may scan probe the
//! network behind it.
//!
//! ```toml
//! [[source]]
//! id = "crm"
//! url = "postgres://scanner@db.internal:5432/crm?sslmode=verify-full"
//!
//! [[source]]
//! id = "orders"
//! url_env = "ORDERS_DB_URL"   # the URL from the server's environment
//! ```

use std::path::Path;

use serde::Deserialize;

/// One database the server may scan.
#[derive(Clone)]
pub struct ScanSource {
    /// What pages and job results call it.
    pub id: String,
    url: String,
}

impl ScanSource {
    /// A source named `id` at `url` (a database URL: `sqlite:PATH`,
    /// `postgres://…`, `mysql://…`).
    pub fn new(id: &str, url: &str) -> ScanSource {
        ScanSource {
            id: id.to_string(),
            url: url.to_string(),
        }
    }

    /// The URL, with any password: for the scan only.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

impl std::fmt::Debug for ScanSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanSource")
            .field("id", &self.id)
            .field("url", &outbound_scan_db::display_url(&self.url))
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    source: Vec<Raw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    id: toml::Spanned<String>,
    url: Option<toml::Spanned<String>>,
    url_env: Option<toml::Spanned<String>>,
}

/// The 1-based line of byte `at` of `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Reads the sources file at `path`. Errors name the file, the line and
/// the field, and never quote a URL's password.
pub fn load(path: &Path) -> Result<Vec<ScanSource>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let sources = parse(&text, &path.display().to_string(), |v| {
        std::env::var(v).ok()
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let open = std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o077);
        // A URL written in the file (not one from the environment).
        let url_here = text.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("url ") || l.starts_with("url=")
        });
        if open != 0 && url_here {
            eprintln!(
                "outbound serve: warning: {} can be read by other accounts and may hold database passwords (chmod 600, or give them in url_env)",
                path.display()
            );
        }
    }
    Ok(sources)
}

/// Parses a sources file's `text` (`file` names it in errors; `env` looks
/// up `url_env` variables).
pub fn parse(
    text: &str,
    file: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<ScanSource>, String> {
    // The parser's message alone: its snippet would quote the line, URL
    // and password included.
    let parsed: File = toml::from_str(text).map_err(|e| match e.span() {
        Some(s) => format!("{file}:{}: {}", line_of(text, s.start), e.message()),
        None => format!("{file}: {}", e.message()),
    })?;
    if parsed.source.is_empty() {
        return Err(format!(
            "{file}: no [[source]]: name at least one database (id and url)"
        ));
    }
    let mut out: Vec<ScanSource> = Vec::with_capacity(parsed.source.len());
    for raw in parsed.source {
        let at = |s: &std::ops::Range<usize>| format!("{file}:{}", line_of(text, s.start));
        let id = raw.id.get_ref();
        let id_at = at(&raw.id.span());
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !valid {
            return Err(format!(
                "{id_at}: id: `{id}` is not a source id: 1 to 64 of letters, digits, `.`, `_`, `-`"
            ));
        }
        if out.iter().any(|s| s.id == *id) {
            return Err(format!("{id_at}: id: `{id}` names two sources"));
        }
        let (url, url_at) = match (&raw.url, &raw.url_env) {
            (Some(u), None) => (u.get_ref().clone(), at(&u.span())),
            (None, Some(v)) => {
                let name = v.get_ref();
                let url = env(name).ok_or_else(|| {
                    format!(
                        "{}: url_env: the environment variable `{name}` (source `{id}`) is not set",
                        at(&v.span())
                    )
                })?;
                (url, at(&v.span()))
            }
            _ => {
                return Err(format!(
                    "{id_at}: source `{id}` needs exactly one of url and url_env"
                ));
            }
        };
        // Not quoted: what is not a database URL may still hold a password.
        if !outbound_scan_db::is_database_url(&url) {
            return Err(format!(
                "{url_at}: url: source `{id}` is not a database URL (sqlite:PATH, postgres://…, mysql://…)"
            ));
        }
        out.push(ScanSource::new(id, &url));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn sources_are_read_with_urls_from_the_file_or_the_environment() {
        let text = "[[source]]\nid = \"crm\"\nurl = \"postgres://u:pw@db/crm\"\n\n\
                    [[source]]\nid = \"orders\"\nurl_env = \"ORDERS_URL\"\n";
        let env = |v: &str| (v == "ORDERS_URL").then(|| "mysql://u:pw2@db/orders".to_string());
        let s = parse(text, "s.toml", env).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].id.as_str(), s[0].url()),
            ("crm", "postgres://u:pw@db/crm")
        );
        assert_eq!(s[1].url(), "mysql://u:pw2@db/orders");
        // Debug output hides the password.
        let d = format!("{s:?}");
        assert!(!d.contains("pw"), "{d}");
    }

    #[test]
    fn bad_files_name_the_file_the_line_and_the_field_never_the_password() {
        let cases: &[(&str, &str)] = &[
            (
                "[[source]]\nid = \"crm\"\nurl = \"https://u:secret@x/\"\n",
                "s.toml:3: url: source `crm` is not a database URL",
            ),
            (
                "[[source]]\nid = \"a\"\nurl = \"sqlite:a.db\"\n[[source]]\nid = \"a\"\nurl = \"sqlite:b.db\"\n",
                "s.toml:5: id: `a` names two sources",
            ),
            (
                "[[source]]\nid = \"a b\"\nurl = \"sqlite:a.db\"\n",
                "s.toml:2: id: `a b` is not a source id",
            ),
            (
                "[[source]]\nid = \"a\"\n",
                "s.toml:2: source `a` needs exactly one of url and url_env",
            ),
            (
                "[[source]]\nid = \"a\"\nurl_env = \"NOPE\"\n",
                "s.toml:3: url_env: the environment variable `NOPE` (source `a`) is not set",
            ),
            ("", "s.toml: no [[source]]"),
            (
                "[[source]]\nid = \"a\"\nurl = \"sqlite:a.db\"\npassword = \"secret\"\n",
                "s.toml:4: unknown field `password`",
            ),
            (
                "[[source]]\nid = \"a\"\nurl = \"postgres://u:secret@db/x\n",
                "s.toml:3: ",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text, "s.toml", no_env).unwrap_err();
            assert!(e.starts_with(want), "{e}\nwanted: {want}");
        }
        // No message quotes a password, whatever went wrong.
        for (text, _) in cases {
            let e = parse(text, "s.toml", no_env).unwrap_err();
            assert!(!e.contains("secret"), "{e}");
        }
    }
}

//! The store: one interface over SQLite and PostgreSQL.
//!
//! The API is synchronous (a CLI and a gate in a pipeline call it); inside,
//! sqlx's `Any` driver runs the same SQL on either backend on a private
//! single-threaded runtime. Every write is one transaction that starts by
//! touching the `lock` row, which serialises writers on both backends:
//! PostgreSQL takes a row lock, SQLite the database write lock.
//!
//! A server calls the store from tokio's blocking pool
//! (`spawn_blocking`), where blocking on the private runtime is allowed; the
//! store may be dropped anywhere, an async task included (see `Drop`).

use std::path::{Path, PathBuf};

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};

use crate::StoreError;
use crate::schema::{Backend, migrations};

/// An open store.
pub struct Store {
    /// Always `Some` until `drop` takes it.
    rt: Option<tokio::runtime::Runtime>,
    pub(crate) pool: AnyPool,
    /// The backend.
    pub backend: Backend,
    /// Where it is (a file path or a URL with the password removed).
    pub location: String,
    /// The SQLite file, for reads that go around the pool (`audit verify`).
    pub(crate) file: Option<PathBuf>,
    /// Audit appends waiting for a group commit.
    pub(crate) group: crate::group::Queue,
    /// The fingerprint of the state this process last appended to the log
    /// on, with the key that signed it (see `fingerprint.rs`).
    pub(crate) verified: std::sync::Mutex<Option<crate::fingerprint::Verified>>,
    /// The statement that reads the fingerprint, built on first use.
    pub(crate) fingerprint_sql: std::sync::OnceLock<String>,
    /// Audit appends that ran the full check (for tests: the fingerprint is used).
    pub(crate) full_checks: std::sync::atomic::AtomicU64,
}

/// Outside any runtime (the CLI), the pool is closed cleanly and the runtime
/// dropped. Inside one (a server's task), dropping a runtime would block,
/// which tokio forbids with a panic: the runtime is shut down without waiting
/// instead (every write has committed by then; SQLite's WAL recovers the rest).
impl Drop for Store {
    fn drop(&mut self) {
        let Some(rt) = self.rt.take() else { return };
        if tokio::runtime::Handle::try_current().is_err() {
            rt.block_on(self.pool.close());
        } else {
            rt.shutdown_background();
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({:?}, {})", self.backend, self.location)
    }
}

/// The default SQLite location: `$OUTBOUND_STORE`, else `$XDG_DATA_HOME/outbound/store.db`,
/// else `~/.local/share/outbound/store.db`.
pub fn default_location() -> String {
    if let Ok(s) = std::env::var("OUTBOUND_STORE")
        && !s.is_empty()
    {
        return s;
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("outbound/store.db").display().to_string()
}

/// Removes a password from a URL for display.
fn redact(url: &str) -> String {
    let (url, query) = url
        .split_once('?')
        .map_or((url, None), |(u, q)| (u, Some(q)));
    let mut shown = match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    };
    // Options such as `sslmode=verify-full` stay; a `password=` does not.
    if let Some(q) = query {
        let kept: Vec<&str> = q
            .split('&')
            .map(|kv| {
                if kv.starts_with("password=") {
                    "password=***"
                } else {
                    kv
                }
            })
            .collect();
        shown = format!("{shown}?{}", kept.join("&"));
    }
    shown
}

/// Creates a new SQLite file readable only by its owner before SQLite opens
/// it (SQLite gives its -wal and -shm files the database file's mode).
fn create_owner_only(path: &Path) -> Result<(), StoreError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Io {
            action: "create",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Whether a location names PostgreSQL.
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

impl Store {
    /// Opens (creating on first use for SQLite) and migrates a store.
    pub fn open(location: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(StoreError::Runtime)?;
        let (backend, url, shown, file) = if is_postgres(location) {
            (
                Backend::Postgres,
                location.to_string(),
                redact(location),
                None,
            )
        } else {
            let path = Path::new(location);
            if let Some(dir) = path.parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                    action: "create",
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            create_owner_only(path)?;
            (
                Backend::Sqlite,
                format!("sqlite://{}?mode=rwc", path.display()),
                path.display().to_string(),
                Some(path.to_path_buf()),
            )
        };
        let pool = rt.block_on(async {
            let opts = match backend {
                // One connection: SQLite has one writer, and a single connection keeps the pragmas.
                // No ping before each use either: the connection is in this process, and
                // a ping is a round trip to sqlx's worker thread, one of the nine an append made.
                Backend::Sqlite => AnyPoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false),
                Backend::Postgres => AnyPoolOptions::new().max_connections(4),
            };
            opts.connect(&url).await
        });
        let pool = pool.map_err(|source| StoreError::Open {
            location: shown.clone(),
            source,
        })?;
        let store = Store {
            rt: Some(rt),
            pool,
            backend,
            location: shown,
            file,
            group: Default::default(),
            verified: Default::default(),
            fingerprint_sql: Default::default(),
            full_checks: Default::default(),
        };
        if backend == Backend::Sqlite {
            for pragma in [
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=FULL",
                "PRAGMA busy_timeout=10000",
                "PRAGMA foreign_keys=ON",
                // Subject hashes are random keys, so the index is touched all over: give it a
                // 256 MiB page cache instead of the default 2 MiB (see docs/PERFORMANCE.md).
                "PRAGMA cache_size=-262144",
            ] {
                store.run_sql("configure SQLite", sqlx::query(pragma).execute(&store.pool))?;
            }
        }
        store.migrate()?;
        Ok(store)
    }

    pub(crate) fn runtime(&self) -> &tokio::runtime::Runtime {
        self.rt.as_ref().expect("the runtime is only taken by drop")
    }

    /// Runs one operation on the store's runtime. A database error inside it
    /// (raised with `?`, which cannot know the operation) is labelled with `op`.
    pub(crate) fn run<T>(
        &self,
        op: &'static str,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.runtime().block_on(work).map_err(|e| e.relabel(op))
    }

    /// Runs one query on the store's runtime; a failure is labelled with `op`.
    pub(crate) fn run_sql<T>(
        &self,
        op: &'static str,
        query: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, StoreError> {
        self.runtime()
            .block_on(query)
            .map_err(|source| StoreError::Db { op, source })
    }

    /// Applies the migrations not yet applied, each in its own transaction.
    fn migrate(&self) -> Result<(), StoreError> {
        self.run("migrate the schema", async {
            sqlx::query("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)").execute(&self.pool).await?;
            let mut tx = self.pool.begin().await?;
            sqlx::query("INSERT INTO meta (key, value) VALUES ('lock', '0') ON CONFLICT (key) DO NOTHING").execute(&mut *tx).await?;
            sqlx::query("UPDATE meta SET value = value WHERE key = 'lock'").execute(&mut *tx).await?;
            let current: i64 = match sqlx::query("SELECT value FROM meta WHERE key = 'schema_version'").fetch_optional(&mut *tx).await? {
                Some(row) => row.try_get::<String, _>(0)?.parse().unwrap_or(0),
                None => 0,
            };
            let all = migrations(self.backend);
            if current as usize > all.len() {
                return Err(StoreError::SchemaTooNew { found: current, known: all.len() });
            }
            for (i, m) in all.iter().enumerate().skip(current as usize) {
                for stmt in m.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                    sqlx::query(sqlx::AssertSqlSafe(stmt.to_string())).execute(&mut *tx).await?;
                }
                let v = (i + 1).to_string();
                sqlx::query("INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                    .bind(v)
                    .execute(&mut *tx)
                    .await?;
            }
            if (current as usize) < crate::schema::LEDGER_STATE_VERSION {
                // Digests of the rows already there (every table made by now), and the
                // path to the log's last leaf; the next audit entry commits them.
                crate::state::rebuild(&mut tx).await?;
                crate::state::rebuild_tree(&mut tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Whether the store already records something (audit entries or counted
    /// subjects): such a store is useless with new keys, so `store init` must not make them.
    pub fn holds_data(&self) -> Result<bool, StoreError> {
        self.run("read the store", async {
            let mut c = self.pool.acquire().await?;
            for sql in [
                "SELECT 1 FROM audit_entries LIMIT 1",
                "SELECT 1 FROM subjects LIMIT 1",
                "SELECT 1 FROM keyset_runs LIMIT 1",
            ] {
                if sqlx::query(sql).fetch_optional(&mut *c).await?.is_some() {
                    return Ok(true);
                }
            }
            Ok(false)
        })
    }

    /// The schema version.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        let row = self.run_sql(
            "read the schema version",
            sqlx::query("SELECT value FROM meta WHERE key = 'schema_version'")
                .fetch_one(&self.pool),
        )?;
        Ok(row.try_get::<String, _>(0)?.parse().unwrap_or(0))
    }
}

impl Store {
    /// Begins a write: a transaction that already holds the store's write
    /// lock, so writers are serialised from their first read, in one
    /// statement sent. SQLite takes its write lock at `BEGIN IMMEDIATE` (an
    /// `UPDATE` of a lock row would also put a page in the WAL at every
    /// commit); PostgreSQL locks the `meta` lock row in the same simple
    /// query as its `BEGIN`.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN; UPDATE meta SET value = value WHERE key = 'lock'",
        };
        Ok(self.pool.begin_with(begin).await?)
    }
}

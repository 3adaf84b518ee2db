//! One suite, run against both backends: SQLite (a temporary file) and
//! PostgreSQL (the throwaway cluster `scripts/pg-test-cluster.sh` starts; its
//! URL in `OUTBOUND_TEST_POSTGRES`). Without that variable the PostgreSQL
//! variants are skipped locally and fail under CI (`CI` set), so CI cannot
//! pass without exercising PostgreSQL.

use outbound_store::signed_head::generate_signing_key;
use outbound_store::{BatchRecord, Keys, Recorded, Store, Subject};

/// A fresh, empty store of the given backend, with its keys.
pub(crate) fn fresh(pg: bool) -> Option<(Store, Keys, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::create(&dir.path().join("keys")).unwrap();
    if !pg {
        let store = Store::open(&dir.path().join("store.db").display().to_string()).unwrap();
        return Some((store, keys, dir));
    }
    let url = outbound_store::testing::fresh_postgres_database()?;
    Some((Store::open(&url).unwrap(), keys, dir))
}

pub(crate) fn record(transfer: &str) -> BatchRecord {
    BatchRecord {
        transfer: transfer.into(),
        exporters: vec!["acme-cn".into()],
        recipient: "acme-us".into(),
        sha256: "00".repeat(32),
        bytes: 100,
        records_in: 3,
        records_out: 3,
        kinds: [("cn_mobile".to_string(), 3)].into_iter().collect(),
        output: None,
        counts_towards_thresholds: true,
        set_aside: Default::default(),
        map_sha256: "0".repeat(64),
    }
}

pub(crate) fn subjects(keys: &Keys, ids: &[&str], sensitive: bool) -> Vec<Subject> {
    ids.iter()
        .map(|id| Subject {
            hash: keys.subject_hash(id.as_bytes()),
            sensitive,
        })
        .collect()
}

pub(crate) fn ok(_: &outbound_store::BatchCounts) -> Result<serde_json::Value, String> {
    Ok(serde_json::json!({"mechanism": "exempt"}))
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[test] fn $name() { if let Some((s, k, d)) = super::fresh(false) { super::$name(&s, &k, &d) } } )* }
        mod postgres { $( #[test] fn $name() { if let Some((s, k, d)) = super::fresh(true) { super::$name(&s, &k, &d) } } )* }
    };
}

both!(
    migrations_are_versioned_and_idempotent,
    counts_are_exact_across_batches,
    sensitive_is_upgraded_once,
    refused_batches_write_nothing,
    dry_run_writes_nothing,
    suspended_route_refuses_until_resumed,
    previous_year_window_and_groups,
    audit_log_verifies_and_proves,
    audit_detects_edit,
    audit_detects_delete,
    audit_detects_reorder,
);

fn migrations_are_versioned_and_idempotent(s: &Store, _: &Keys, _: &tempfile::TempDir) {
    assert_eq!(s.schema_version().unwrap(), 21);
    if s.backend == outbound_store::Backend::Sqlite {
        let again = Store::open(&s.location).unwrap();
        assert_eq!(again.schema_version().unwrap(), 21);
    }
}

fn counts_are_exact_across_batches(s: &Store, k: &Keys, _: &tempfile::TempDir) {
    let r = s
        .record_batch(
            k,
            &record("t"),
            2026,
            &subjects(k, &["a", "b", "c", "a"], false),
            false,
            ok,
        )
        .unwrap();
    let Recorded::Committed { counts, batch, .. } = r else {
        panic!("{r:?}")
    };
    assert_eq!(batch, 0);
    assert_eq!(
        (
            counts.batch.individuals,
            counts.new.individuals,
            counts.current_year.individuals
        ),
        (3, 3, 3)
    );
    let r = s
        .record_batch(
            k,
            &record("t"),
            2026,
            &subjects(k, &["b", "c", "d"], false),
            false,
            ok,
        )
        .unwrap();
    let Recorded::Committed { counts, .. } = r else {
        panic!("{r:?}")
    };
    assert_eq!(
        (
            counts.batch.individuals,
            counts.new.individuals,
            counts.current_year.individuals
        ),
        (3, 1, 4)
    );
    assert_eq!(
        s.counts(&["acme-cn".into()], 2026, 2026)
            .unwrap()
            .individuals,
        4
    );
    assert_eq!(s.batch_count().unwrap(), 2);
}

fn sensitive_is_upgraded_once(s: &Store, k: &Keys, _: &tempfile::TempDir) {
    s.record_batch(
        k,
        &record("t"),
        2026,
        &subjects(k, &["a", "b"], false),
        false,
        ok,
    )
    .unwrap();
    let r = s
        .record_batch(
            k,
            &record("t"),
            2026,
            &subjects(k, &["a", "z"], true),
            false,
            ok,
        )
        .unwrap();
    let Recorded::Committed { counts, .. } = r else {
        panic!("{r:?}")
    };
    assert_eq!(counts.new.individuals, 1);
    assert_eq!(
        counts.new.sensitive_individuals, 2,
        "a becomes sensitive, z is new and sensitive"
    );
    assert_eq!(counts.current_year.sensitive_individuals, 2);
    let r = s
        .record_batch(k, &record("t"), 2026, &subjects(k, &["a"], true), false, ok)
        .unwrap();
    let Recorded::Committed { counts, .. } = r else {
        panic!("{r:?}")
    };
    assert_eq!(counts.new.sensitive_individuals, 0);
}

fn refused_batches_write_nothing(s: &Store, k: &Keys, _: &tempfile::TempDir) {
    s.record_batch(
        k,
        &record("t"),
        2026,
        &subjects(k, &["a"], false),
        false,
        ok,
    )
    .unwrap();
    let before = s.audit_entries().unwrap().len();
    let r = s
        .record_batch(
            k,
            &record("t"),
            2026,
            &subjects(k, &["b", "c"], false),
            false,
            |c| {
                assert_eq!(
                    c.current_year.individuals, 3,
                    "the decision sees the counts the batch would produce"
                );
                Err("needs a standard contract (Provisions Art. 8)".into())
            },
        )
        .unwrap();
    assert!(matches!(r, Recorded::Refused { .. }));
    assert_eq!(
        s.counts(&["acme-cn".into()], 2026, 2026)
            .unwrap()
            .individuals,
        1
    );
    assert_eq!(s.audit_entries().unwrap().len(), before);
    assert_eq!(s.batch_count().unwrap(), 1);
}

fn dry_run_writes_nothing(s: &Store, k: &Keys, _: &tempfile::TempDir) {
    let r = s
        .record_batch(
            k,
            &record("t"),
            2026,
            &subjects(k, &["a", "b"], false),
            true,
            ok,
        )
        .unwrap();
    let Recorded::DryRun { counts } = r else {
        panic!("{r:?}")
    };
    assert_eq!(counts.new.individuals, 2);
    assert_eq!(
        s.counts(&["acme-cn".into()], 2026, 2026)
            .unwrap()
            .individuals,
        0
    );
    assert!(s.audit_entries().unwrap().is_empty());
}

fn suspended_route_refuses_until_resumed(s: &Store, k: &Keys, _: &tempfile::TempDir) {
    s.set_route(k, "cli", "t", true, "regulator's order")
        .unwrap();
    let r = s
        .record_batch(
            k,
            &record("t"),
            2026,
            &subjects(k, &["a"], false),
            false,
            ok,
        )
        .unwrap();
    let Recorded::Refused { reason, .. } = r else {
        panic!("{r:?}")
    };
    assert!(
        reason.contains("suspended") && reason.contains("regulator's order"),
        "{reason}"
    );
    // Another route is unaffected.
    assert!(matches!(
        s.record_batch(
            k,
            &record("u"),
            2026,
            &subjects(k, &["a"], false),
            false,
            ok
        )
        .unwrap(),
        Recorded::Committed { .. }
    ));
    s.set_route(k, "cli", "t", false, "order lifted").unwrap();
    assert!(matches!(
        s.record_batch(
            k,
            &record("t"),
            2026,
            &subjects(k, &["a"], false),
            false,
            ok
        )
        .unwrap(),
        Recorded::Committed { .. }
    ));
    let kinds: Vec<String> = s
        .audit_entries()
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        ["route_suspended", "batch", "route_resumed", "batch"]
    );
    assert!(!s.routes().unwrap()[0].suspended);
}

fn previous_year_window_and_groups(s: &Store, k: &Keys, _: &tempfile::TempDir) {
    s.record_batch(
        k,
        &record("t"),
        2025,
        &subjects(k, &["a", "b"], false),
        false,
        ok,
    )
    .unwrap();
    let r = s
        .record_batch(
            k,
            &record("t"),
            2026,
            &subjects(k, &["b", "c"], false),
            false,
            ok,
        )
        .unwrap();
    let Recorded::Committed { counts, .. } = r else {
        panic!()
    };
    assert_eq!(counts.new.individuals, 2, "a new year starts a new count");
    assert_eq!(counts.current_year.individuals, 2);
    assert_eq!(
        counts.previous_and_current_year.individuals, 3,
        "b is counted once across the two years"
    );
    // Another entity of the same group, counted together.
    let mut other = record("v");
    other.exporters = vec!["acme-sh".into(), "acme-cn".into()];
    let r = s
        .record_batch(k, &other, 2026, &subjects(k, &["c", "d"], false), false, ok)
        .unwrap();
    let Recorded::Committed { counts, .. } = r else {
        panic!()
    };
    assert_eq!(counts.new.individuals, 2, "new to acme-sh");
    assert_eq!(
        counts.current_year.individuals, 3,
        "b, c, d across the group"
    );
}

fn audit_log_verifies_and_proves(s: &Store, k: &Keys, _: &tempfile::TempDir) {
    for i in 0..5 {
        s.record_batch(
            k,
            &record("t"),
            2026,
            &subjects(k, &[&format!("s{i}")], false),
            false,
            ok,
        )
        .unwrap();
        if i == 1 {
            s.set_route(k, "cli", "x", true, "breach").unwrap();
        }
    }
    let report = s.audit_verify(k).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!((report.entries, report.heads), (6, 6));
    let heads = s.audit_heads().unwrap();
    let bundle = s.audit_prove(2).unwrap();
    bundle.check(&k.verifying()).unwrap();
    let c = s.audit_consistency(heads[1].clone()).unwrap();
    c.check(&k.verifying()).unwrap();
    // Another key cannot vouch for the log.
    let other = generate_signing_key().unwrap();
    assert!(bundle.check(&other.verifying_key()).is_err());
}

/// Runs `f` on a pool of the store's own database, behind the store's back.
pub(crate) fn behind<T, F: std::future::Future<Output = T>>(
    s: &Store,
    f: impl FnOnce(sqlx::AnyPool) -> F,
) -> T {
    let url = if s.backend == outbound_store::Backend::Sqlite {
        format!("sqlite://{}", s.location)
    } else {
        s.location.clone()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { f(sqlx::AnyPool::connect(&url).await.unwrap()).await })
}

/// A binary literal in the backend's dialect.
pub(crate) fn blob(s: &Store, b: &[u8]) -> String {
    match s.backend {
        outbound_store::Backend::Sqlite => format!("X'{}'", hex::encode(b)),
        outbound_store::Backend::Postgres => format!("decode('{}', 'hex')", hex::encode(b)),
    }
}

/// `n` zero bytes as a literal in the backend's dialect.
pub(crate) fn zeros(s: &Store, n: usize) -> String {
    match s.backend {
        outbound_store::Backend::Sqlite => format!("zeroblob({n})"),
        outbound_store::Backend::Postgres => format!("decode(repeat('00', {n}), 'hex')"),
    }
}

/// A binary column as upper-case hex text, in the backend's dialect.
pub(crate) fn hex_of(s: &Store, column: &str) -> String {
    match s.backend {
        outbound_store::Backend::Sqlite => format!("hex({column})"),
        outbound_store::Backend::Postgres => format!("upper(encode({column}, 'hex'))"),
    }
}

pub(crate) fn tamper(s: &Store, sql: &str) {
    behind(s, |pool| async move {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&pool)
            .await
            .unwrap();
    });
}

fn three_batches(s: &Store, k: &Keys) {
    for i in 0..3 {
        s.record_batch(
            k,
            &record("t"),
            2026,
            &subjects(k, &[&format!("s{i}")], false),
            false,
            ok,
        )
        .unwrap();
    }
    let p = s.audit_verify(k).unwrap().problems;
    assert!(p.is_empty(), "{p:?}");
}

fn audit_detects_edit(s: &Store, k: &Keys, _: &tempfile::TempDir) {
    three_batches(s, k);
    tamper(
        s,
        "UPDATE audit_entries SET body = REPLACE(body, '\"records_in\":3', '\"records_in\":2') WHERE idx = 1",
    );
    let r = s.audit_verify(k).unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("entry 1") && p.contains("edited")),
        "{:?}",
        r.problems
    );
    assert!(
        r.problems.iter().any(|p| p.contains("rewritten")),
        "{:?}",
        r.problems
    );
}

fn audit_detects_delete(s: &Store, k: &Keys, _: &tempfile::TempDir) {
    three_batches(s, k);
    tamper(s, "DELETE FROM audit_entries WHERE idx = 2");
    let r = s.audit_verify(k).unwrap();
    assert!(
        r.problems.iter().any(|p| p.contains("deleted")),
        "{:?}",
        r.problems
    );
}

fn audit_detects_reorder(s: &Store, k: &Keys, _: &tempfile::TempDir) {
    three_batches(s, k);
    // Swap the contents of entries 0 and 1, leaf hashes included.
    tamper(s, "UPDATE audit_entries SET idx = 100 WHERE idx = 0");
    tamper(s, "UPDATE audit_entries SET idx = 0 WHERE idx = 1");
    tamper(s, "UPDATE audit_entries SET idx = 1 WHERE idx = 100");
    let r = s.audit_verify(k).unwrap();
    assert!(!r.problems.is_empty());
}

#[test]
fn keys_are_private_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("keys");
    let k = Keys::create(&p).unwrap();
    assert!(
        Keys::create(&p).is_err(),
        "existing keys are never overwritten"
    );
    let again = Keys::load(&p).unwrap();
    assert_eq!(
        k.subject_hash(b"110101199003074514"),
        again.subject_hash(b"110101199003074514")
    );
    assert_eq!(k.verifying(), again.verifying());
    let other = Keys::create(&dir.path().join("other")).unwrap();
    assert_ne!(
        k.subject_hash(b"x"),
        other.subject_hash(b"x"),
        "hashes depend on the store's key"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.join("hash.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::set_permissions(p.join("hash.key"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let err = Keys::load(&p).unwrap_err().to_string();
        assert!(err.contains("readable by others"), "{err}");
    }
    assert!(!format!("{k:?}").contains(&hex::encode(k.subject_hash(b""))));
}

mod consent {
    use super::*;

    fn run(pg: bool) {
        let Some((s, k, _d)) = fresh(pg) else { return };
        let h = |id: &str| k.subject_hash(id.as_bytes());
        let recs = vec![
            outbound_store::ConsentRecord {
                subject: h("a"),
                transfer: "t".into(),
                granted_at: "2026-01-10".into(),
                withdrawn_at: None,
            },
            outbound_store::ConsentRecord {
                subject: h("b"),
                transfer: "t".into(),
                granted_at: "2026-06-01".into(),
                withdrawn_at: None,
            },
            outbound_store::ConsentRecord {
                subject: h("c"),
                transfer: "t".into(),
                granted_at: "2026-01-10".into(),
                withdrawn_at: Some("2026-03-01".into()),
            },
            outbound_store::ConsentRecord {
                subject: h("a"),
                transfer: "u".into(),
                granted_at: "2026-01-10".into(),
                withdrawn_at: None,
            },
        ];
        s.consent_import(&k, &recs, "consents.csv").unwrap();
        let on = s.consented("t", "2026-05-01").unwrap();
        assert!(on.contains(&h("a")) && !on.contains(&h("b")) && !on.contains(&h("c")));
        assert_eq!(
            s.consent_withdraw(&k, h("a"), Some("t"), "2026-05-02")
                .unwrap(),
            1
        );
        assert!(!s.consented("t", "2026-05-03").unwrap().contains(&h("a")));
        assert!(
            s.consented("u", "2026-05-03").unwrap().contains(&h("a")),
            "only the named transfer"
        );
        let kinds: Vec<String> = s
            .audit_entries()
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["consent_import", "consent_withdrawn"]);
        assert!(
            !s.audit_entries()
                .unwrap()
                .iter()
                .any(|e| e.body.contains(&hex::encode(h("a")))),
            "no subject in the log"
        );
    }

    #[test]
    fn sqlite() {
        run(false)
    }

    #[test]
    fn postgres() {
        run(true)
    }
}

mod windows {
    use super::*;

    fn run(pg: bool) {
        let Some((s, k, _d)) = fresh(pg) else { return };
        s.record_batch(
            &k,
            &record("t"),
            2026,
            &subjects(&k, &["a", "b"], false),
            false,
            ok,
        )
        .unwrap();
        let mut outside = record("transit");
        outside.counts_towards_thresholds = false;
        let r = s
            .record_batch(
                &k,
                &outside,
                2026,
                &subjects(&k, &["x", "y", "z"], false),
                false,
                ok,
            )
            .unwrap();
        assert!(matches!(r, Recorded::Committed { .. }), "recorded");
        assert_eq!(
            s.counts(&["acme-cn".into()], 2026, 2026)
                .unwrap()
                .individuals,
            2,
            "data outside the regime is not counted"
        );
        let today = jiff::Zoned::now().date();
        assert_eq!(
            s.counts_rolling_12_months(&["acme-cn".into()], today)
                .unwrap()
                .individuals,
            2
        );
        let long_ago = today.checked_sub(jiff::Span::new().years(2)).unwrap();
        assert_eq!(
            s.counts_rolling_12_months(&["acme-cn".into()], long_ago)
                .unwrap()
                .individuals,
            0
        );
    }

    #[test]
    fn sqlite() {
        run(false)
    }

    #[test]
    fn postgres() {
        run(true)
    }
}

/// Two gates on the same store at once: counts stay exact, no update is lost, no audit
/// index is used twice, and the log verifies.
mod concurrent {
    use super::*;

    fn run(pg: bool) {
        let Some((s, k, d)) = fresh(pg) else { return };
        let location = if pg {
            s.location.replace("***", "")
        } else {
            s.location.clone()
        };
        let keys_dir = d.path().join("keys");
        let per_thread = 15;
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let location = location.clone();
                let keys_dir = keys_dir.clone();
                std::thread::spawn(move || {
                    let store = Store::open(&location).unwrap();
                    let keys = Keys::load(&keys_dir).unwrap();
                    for b in 0..per_thread {
                        // Overlapping subjects: each batch shares half its people with the other thread's.
                        let ids: Vec<String> = (0..20)
                            .map(|i| format!("s{}", b * 10 + i + t * 5))
                            .collect();
                        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                        let r = store
                            .record_batch(
                                &keys,
                                &record("t"),
                                2026,
                                &subjects(&keys, &refs, false),
                                false,
                                ok,
                            )
                            .unwrap();
                        assert!(matches!(r, Recorded::Committed { .. }));
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let mut all = std::collections::HashSet::new();
        for t in 0..2 {
            for b in 0..per_thread {
                for i in 0..20 {
                    all.insert(b * 10 + i + t * 5);
                }
            }
        }
        assert_eq!(
            s.counts(&["acme-cn".into()], 2026, 2026)
                .unwrap()
                .individuals,
            all.len() as u64,
            "exact, no lost update"
        );
        let entries = s.audit_entries().unwrap();
        assert_eq!(entries.len(), 2 * per_thread as usize);
        assert!(
            entries.iter().enumerate().all(|(i, e)| e.index == i as u64),
            "no duplicate or missing audit index"
        );
        assert!(s.audit_verify(&k).unwrap().problems.is_empty());
        assert_eq!(s.batch_count().unwrap(), 2 * per_thread as u64);
    }

    #[test]
    fn sqlite() {
        run(false)
    }

    #[test]
    fn postgres() {
        run(true)
    }
}

/// A store written by schema version 1 is migrated to the current version with its data.
#[test]
fn migrates_a_version_1_store_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&format!("sqlite://{}?mode=rwc", db.display())).await.unwrap();
        sqlx::query("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)").execute(&pool).await.unwrap();
        sqlx::query("INSERT INTO meta (key, value) VALUES ('lock', '0'), ('schema_version', '1')").execute(&pool).await.unwrap();
        let v1 = outbound_store::schema::migrations(outbound_store::Backend::Sqlite).remove(0);
        for stmt in v1.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::query(sqlx::AssertSqlSafe(stmt.to_string())).execute(&pool).await.unwrap();
        }
        for i in 0..3u8 {
            sqlx::query("INSERT INTO subjects (exporter, year, subject, sensitive, first_at, last_at) VALUES ('acme-cn', 2026, $1, 0, 'x', 'x')")
                .bind(vec![i; 16])
                .execute(&pool)
                .await
                .unwrap();
        }
        pool.close().await;
    });
    let s = Store::open(db.to_str().unwrap()).unwrap();
    assert_eq!(s.schema_version().unwrap(), 21);
    assert_eq!(
        s.counts(&["acme-cn".into()], 2026, 2026)
            .unwrap()
            .individuals,
        3,
        "no recorded data lost"
    );
}

/// The SQLite file and its -wal and -shm files are owner-only, whatever the umask.
#[cfg(unix)]
#[test]
fn sqlite_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::create(&dir.path().join("keys")).unwrap();
    let db = dir.path().join("store.db");
    let s = Store::open(db.to_str().unwrap()).unwrap();
    s.set_route(&keys, "cli", "t", true, "check").unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{}{suffix}", db.display());
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{p}");
    }
}

/// A PostgreSQL store over TLS with the server's certificate verified
/// (`sslmode=verify-full`, the test cluster's throwaway authority in
/// `OUTBOUND_TEST_POSTGRES_CA`); a certificate another authority signed is
/// refused, and the message names the store without a password.
#[test]
fn a_postgres_store_opens_over_verified_tls() {
    let Some(url) = outbound_store::testing::fresh_postgres_database() else {
        return;
    };
    let Ok(ca) = std::env::var("OUTBOUND_TEST_POSTGRES_CA") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the TLS tests: set OUTBOUND_TEST_POSTGRES_CA"
        );
        return;
    };
    let s = Store::open(&format!("{url}?sslmode=verify-full&sslrootcert={ca}")).unwrap();
    assert!(s.batches().unwrap().is_empty());
    drop(s);
    let other = "/etc/ssl/certs/ca-certificates.crt";
    if !std::path::Path::new(other).exists() {
        return;
    }
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, rest) = rest.split_once('@').unwrap();
    let bad = format!(
        "{scheme}://{user}:Pw-tls-1@{rest}?sslmode=verify-full&sslrootcert={other}&password=Pw-tls-2"
    );
    let e = Store::open(&bad).err().unwrap().to_string();
    assert!(
        e.starts_with(&format!("cannot open the store {scheme}://{user}:***@")),
        "{e}"
    );
    assert!(e.contains("sslmode=verify-full"), "{e}");
    assert!(!e.contains("Pw-tls-1") && !e.contains("Pw-tls-2"), "{e}");
}

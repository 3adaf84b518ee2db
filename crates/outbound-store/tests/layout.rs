//! A store made by the previous version (schema 13, one row per subject and
//! per delivery; `fixtures/v13/README.md` says how it was made) migrates
//! with its data: it reads as before until its next batch, which moves the
//! rows into key sets after checking them against the log, commits the move
//! in its own entry, and counts on exactly from where the old store stood.
//! On SQLite (the file that version wrote) and on PostgreSQL (a dump of the
//! database it wrote, `fixtures/v13-postgres`).

use std::collections::BTreeSet;
use std::path::Path;

use outbound_store::{Keys, Recorded, Store, Subject};

use crate::store::{ok, record, tamper};

/// A copy of the fixture `tests/fixtures/<name>` in a temporary directory,
/// its keys owner-only as a store's are.
fn copy_fixture_named(name: &str) -> (tempfile::TempDir, Store, Keys) {
    let src = fixtures().join(name);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(src.join("store.db"), dir.path().join("store.db")).unwrap();
    let keys = copy_keys(&src, dir.path());
    let store = Store::open(&dir.path().join("store.db").display().to_string()).unwrap();
    (dir, store, keys)
}

/// The fixture `tests/fixtures/<name>-postgres` (a dump of a PostgreSQL
/// store an earlier version wrote) restored into a fresh database of the
/// test cluster, with a copy of its keys; `None` without a cluster.
fn restore_fixture_named(name: &str) -> Option<(tempfile::TempDir, Store, Keys)> {
    use std::io::Read;
    let url = outbound_store::testing::fresh_postgres_database()?;
    let src = fixtures().join(format!("{name}-postgres"));
    let mut dump = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(src.join("dump.sql.gz")).unwrap())
        .read_to_string(&mut dump)
        .unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(dump))
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
        });
    let dir = tempfile::tempdir().unwrap();
    let keys = copy_keys(&src, dir.path());
    Some((dir, Store::open(&url).unwrap(), keys))
}

/// The store made by the previous version, on SQLite or (when a test
/// cluster is there) on PostgreSQL.
pub(crate) fn fixture_named(name: &str, pg: bool) -> Option<(tempfile::TempDir, Store, Keys)> {
    if pg {
        restore_fixture_named(name)
    } else {
        Some(copy_fixture_named(name))
    }
}

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Copies `src/keys` to `dir/keys`, owner-only as a store's keys are, and loads them.
fn copy_keys(src: &Path, dir: &Path) -> Keys {
    std::fs::create_dir(dir.join("keys")).unwrap();
    for f in ["hash.key", "signing.key"] {
        let to = dir.join("keys").join(f);
        std::fs::copy(src.join("keys").join(f), &to).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join("keys"), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    Keys::load(&dir.join("keys")).unwrap()
}

both!(fixture "v13" as sqlite, postgres:
    a_version_13_store_migrates_with_its_data,
    an_edited_version_13_store_is_refused_and_not_moved,
);

/// The fixture's people per year, as its README describes them (all, sensitive).
fn recipe() -> [(i16, BTreeSet<u64>, BTreeSet<u64>); 2] {
    let y2025: BTreeSet<u64> = (0..3000).chain(2000..2600).collect();
    let s2025: BTreeSet<u64> = (0..3000).filter(|i| i % 7 == 0).collect();
    let y2026: BTreeSet<u64> = (1500..6000).collect();
    let s2026: BTreeSet<u64> = (4000..6000).filter(|i| i % 5 == 0).collect();
    [(2025, y2025, s2025), (2026, y2026, s2026)]
}

fn counts(s: &Store, from: i16, to: i16) -> (u64, u64) {
    let c = s.counts(&["acme-cn".into()], from, to).unwrap();
    (c.individuals, c.sensitive_individuals)
}

fn hash(k: &Keys, i: u64) -> [u8; 16] {
    k.subject_hash(format!("person-{i}").as_bytes())
}

fn deliveries(s: &Store, k: &Keys, i: u64) -> Vec<(String, String, i64, u64)> {
    s.deliveries_of(&hash(k, i))
        .unwrap()
        .into_iter()
        .map(|d| (d.transfer, d.recipient, d.year, d.first_batch))
        .collect()
}

fn a_version_13_store_migrates_with_its_data(s: &Store, k: &Keys) {
    assert_eq!(s.schema_version().unwrap(), 21);
    let [(_, a25, s25), (_, a26, s26)] = recipe();
    let both = |a: &BTreeSet<u64>, b: &BTreeSet<u64>| a.union(b).count() as u64;
    // Before its next batch the store reads as before, from its rows.
    assert_eq!(counts(s, 2025, 2025), (a25.len() as u64, s25.len() as u64));
    assert_eq!(counts(s, 2026, 2026), (a26.len() as u64, s26.len() as u64));
    assert_eq!(counts(s, 2025, 2026), (both(&a25, &a26), both(&s25, &s26)));
    let v = s.audit_verify(k).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    assert_eq!(v.entries, 5);
    let person_2100 = deliveries(s, k, 2100);
    assert_eq!(
        person_2100,
        vec![
            ("crm".into(), "acme-us".into(), 2025, 0),
            ("hr".into(), "acme-sg".into(), 2025, 1),
            ("crm".into(), "acme-us".into(), 2026, 2),
        ]
    );

    // The next batch: people 5500..7000, every third with sensitive PI.
    let batch: Vec<Subject> = (5500..7000)
        .map(|i| Subject {
            hash: hash(k, i),
            sensitive: i % 3 == 0,
        })
        .collect();
    let mut rec = record("crm");
    rec.recipient = "acme-us".into();
    let r = s.record_batch(k, &rec, 2026, &batch, false, ok).unwrap();
    let Recorded::Committed {
        counts: c,
        batch: id,
        ..
    } = r
    else {
        panic!("{r:?}")
    };
    let new_sensitive = (5500..7000)
        .filter(|i| i % 3 == 0 && !s26.contains(i))
        .count() as u64;
    assert_eq!(
        (c.new.individuals, c.new.sensitive_individuals),
        (1000, new_sensitive)
    );
    let mut a26n = a26.clone();
    a26n.extend(5500..7000);
    let mut s26n = s26.clone();
    s26n.extend((5500..7000).filter(|i| i % 3 == 0));
    assert_eq!(
        (
            c.current_year.individuals,
            c.current_year.sensitive_individuals
        ),
        (a26n.len() as u64, s26n.len() as u64)
    );
    assert_eq!(
        (
            c.previous_and_current_year.individuals,
            c.previous_and_current_year.sensitive_individuals
        ),
        (both(&a25, &a26n), both(&s25, &s26n))
    );

    // The moves are their own entries, before the batch's: the digests to
    // LtHash (the store's log committed sums), then the rows to key sets.
    let entries = s.audit_entries().unwrap();
    assert_eq!(entries.len(), 8);
    assert_eq!(entries[5].kind, "ledger_digests");
    assert_eq!(entries[6].kind, "ledger_layout");
    let body: serde_json::Value = serde_json::from_str(&entries[6].body).unwrap();
    assert_eq!(
        (body["subjects"].as_u64(), body["deliveries"].as_u64()),
        (Some(7500), Some(8100))
    );
    assert_eq!(entries[7].kind, "batch");
    let v = s.audit_verify(k).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);

    // After the move: the same answers, from the key sets.
    assert_eq!(counts(s, 2025, 2025), (a25.len() as u64, s25.len() as u64));
    assert_eq!(
        counts(s, 2025, 2026),
        (both(&a25, &a26n), both(&s25, &s26n))
    );
    assert_eq!(deliveries(s, k, 2100), person_2100);
    assert_eq!(
        deliveries(s, k, 6500),
        vec![("crm".into(), "acme-us".into(), 2026, id)]
    );
    assert_eq!(s.deliveries_count("hr", 2025).unwrap(), 600);
    assert_eq!(
        s.delivered_distinct(&["crm", "hr"], 2025, 2026).unwrap(),
        7000
    );
    // The old store's suspended route still holds.
    let r = s
        .record_batch(k, &record("hr"), 2026, &batch, false, ok)
        .unwrap();
    assert!(matches!(r, Recorded::Refused { .. }), "{r:?}");
    // And a run edited after the move is found.
    tamper(
        s,
        r#"DELETE FROM keyset_runs WHERE set_name = '["sensitive","acme-cn",2025]'"#,
    );
    assert!(!s.audit_verify(k).unwrap().problems.is_empty());
}

/// An old store edited behind its log is refused, not converted: the rows
/// are checked against the digests the log committed to before they move.
fn an_edited_version_13_store_is_refused_and_not_moved(s: &Store, k: &Keys) {
    tamper(
        s,
        "DELETE FROM subjects WHERE year = 2025 AND sensitive = 1",
    );
    let before = counts(s, 2025, 2025);
    let r = s.record_batch(
        k,
        &record("crm"),
        2026,
        &[Subject {
            hash: hash(k, 9_999),
            sensitive: false,
        }],
        false,
        ok,
    );
    let Err(e) = r else {
        panic!("the batch passed: {r:?}")
    };
    assert!(e.to_string().contains("does not verify"), "{e}");
    assert_eq!(s.batch_count().unwrap(), 4, "nothing written");
    assert_eq!(s.audit_entries().unwrap().len(), 5, "no entry");
    assert_eq!(counts(s, 2025, 2025), before, "the rows did not move");
}

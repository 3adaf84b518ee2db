//! Merges of key set runs in transactions of their own (`Store::merge_runs`):
//! a batch merges nothing below the run limit, the merges due are done
//! later with their own audit entries, counts never move, and a set nobody
//! merges stays bounded by the limit. A merge writes its run unlisted in
//! steps and swaps it in under the lock: what may happen between the two
//! (a batch, a batch that merges the same runs, a second merger, damage,
//! a crash's leftovers) is tested here. Both backends.

use outbound_store::{BatchCounts, Keys, Recorded, Store, StoreError};

use crate::store::{behind, fresh, ok, record, subjects, tamper};

/// The runs of each of the exporter's and the transfer's 2026 sets.
fn runs(s: &Store) -> (i64, i64) {
    behind(s, |pool| async move {
        let n = |set: &'static str| {
            let pool = pool.clone();
            async move {
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM keyset_runs WHERE set_name = '{set}'"
                )))
                .fetch_one(&pool)
                .await
                .unwrap();
                n
            }
        };
        (
            n(r#"["subjects","acme-cn",2026]"#).await,
            n(r#"["deliveries","t",2026]"#).await,
        )
    })
}

fn people(k: &Keys, from: usize, to: usize) -> Vec<outbound_store::Subject> {
    let ids: Vec<String> = (from..to).map(|i| format!("p{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    subjects(k, &ids, false)
}

/// The counts a dry run of `batch` would see.
fn counts(s: &Store, k: &Keys, batch: &[outbound_store::Subject]) -> BatchCounts {
    match s
        .record_batch(k, &record("t"), 2026, batch, true, ok)
        .unwrap()
    {
        Recorded::DryRun { counts } => counts,
        other => panic!("{other:?}"),
    }
}

fn merged_later_with_their_own_entries(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    for i in 0..8 {
        s.record_batch(
            &k,
            &record("t"),
            2026,
            &people(&k, i * 100, i * 100 + 100),
            false,
            ok,
        )
        .unwrap();
        // A batch writes its run and merges nothing.
        assert_eq!(runs(&s), (i as i64 + 1, i as i64 + 1), "batch {i}");
    }
    let everyone = people(&k, 0, 800);
    let before = counts(&s, &k, &everyone);
    assert_eq!(before.current_year.individuals, 800);
    let entries = s.audit_entries().unwrap().len();

    let m = s.merge_runs(&k).unwrap();
    // Eight runs of 100 are one run of 800 after 7 merges, in each set.
    assert_eq!(runs(&s), (1, 1));
    assert_eq!(m.merges, 14, "{m:?}");
    assert_eq!(m.records, 2 * (200 * 4 + 400 * 2 + 800), "{m:?}");
    let after = s.audit_entries().unwrap();
    let kinds: Vec<&str> = after[entries..].iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["ledger_merged"; 14]);
    assert!(
        after[entries..].iter().all(|e| !e.body.contains("p1")),
        "no subject in an entry"
    );
    // Counts unchanged, the log verifies, the part's new digest is committed.
    let json = |c: &BatchCounts| serde_json::to_value(c).unwrap();
    assert_eq!(json(&counts(&s, &k, &everyone)), json(&before));
    let report = s.audit_verify(&k).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // Nothing due: nothing written.
    assert_eq!(s.merge_runs(&k).unwrap(), outbound_store::Merged::default());
    assert_eq!(s.audit_entries().unwrap().len(), after.len());

    // The next batch counts against the merged run.
    let r = s
        .record_batch(&k, &record("t"), 2026, &people(&k, 700, 900), false, ok)
        .unwrap();
    let Recorded::Committed { counts, .. } = r else {
        panic!("{r:?}")
    };
    assert_eq!(
        (counts.new.individuals, counts.current_year.individuals),
        (100, 900)
    );
}

/// A set that nobody merges is merged inside the batch once it passes the
/// run limit, so look-ups never read more than the limit's runs.
fn unmerged_sets_stay_bounded(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    let mut most = 0;
    for i in 0..40 {
        s.record_batch(&k, &record("t"), 2026, &people(&k, i, i + 1), false, ok)
            .unwrap();
        let (a, b) = runs(&s);
        most = most.max(a).max(b);
    }
    // A batch that makes a 25th run merges while merges are due (runs of one
    // each collapse to a binary counter's few): never more than 24 after it.
    assert_eq!(most, 24);
    let r = s.record_batch(&k, &record("t"), 2026, &people(&k, 0, 41), true, ok);
    let Recorded::DryRun { counts } = r.unwrap() else {
        panic!()
    };
    assert_eq!(
        (counts.new.individuals, counts.current_year.individuals),
        (1, 41)
    );
    assert!(s.audit_verify(&k).unwrap().problems.is_empty());
}

/// Chunk rows of the store, and chunks its listed runs name.
fn chunk_rows(s: &Store) -> (i64, i64) {
    behind(s, |pool| async move {
        let n = |sql: &'static str| {
            let pool = pool.clone();
            async move {
                let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
                n
            }
        };
        (
            n("SELECT COUNT(*) FROM keyset_chunks").await,
            n("SELECT CAST(COALESCE(SUM(chunks), 0) AS BIGINT) FROM keyset_runs").await,
        )
    })
}

fn eight_batches(s: &Store, k: &Keys) {
    for i in 0..8 {
        s.record_batch(
            k,
            &record("t"),
            2026,
            &people(k, i * 100, i * 100 + 100),
            false,
            ok,
        )
        .unwrap();
    }
}

/// A batch between a merge's write and its swap: it goes through (the merge
/// holds no lock then), and the merges after it see its run.
fn a_batch_between_write_and_swap(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    eight_batches(&s, &k);
    let mut pauses = 0;
    let m = s
        .merge_runs_pausing(&k, &mut || {
            pauses += 1;
            if pauses == 1 {
                s.record_batch(&k, &record("t"), 2026, &people(&k, 750, 900), false, ok)
                    .unwrap();
                // A second merger finds the merge lock held.
                let busy = s.merge_runs(&k).unwrap();
                assert!(busy.busy && busy.merges == 0, "{busy:?}");
            }
        })
        .unwrap();
    assert!(m.merges >= 14 && !m.busy, "{m:?}");
    let c = counts(&s, &k, &people(&k, 0, 900));
    assert_eq!((c.new.individuals, c.current_year.individuals), (0, 900));
    assert!(s.audit_verify(&k).unwrap().problems.is_empty());
    let (rows, listed) = chunk_rows(&s);
    assert_eq!(rows, listed, "no chunk of an unlisted run is left");
}

/// A batch that merges, past the run limit, the very runs a merge has
/// written: the merge gives up at its swap and clears what it wrote.
fn runs_merged_meanwhile_are_given_up(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    for i in 0..24 {
        s.record_batch(&k, &record("t"), 2026, &people(&k, i, i + 1), false, ok)
            .unwrap();
    }
    let entries = s.audit_entries().unwrap().len();
    let mut pauses = 0;
    let m = s
        .merge_runs_pausing(&k, &mut || {
            pauses += 1;
            if pauses == 1 {
                // The 25th run: the batch merges the oldest pair itself.
                s.record_batch(&k, &record("t"), 2026, &people(&k, 24, 25), false, ok)
                    .unwrap();
            }
        })
        .unwrap();
    let merged = s.audit_entries().unwrap()[entries..]
        .iter()
        .filter(|e| e.kind == "ledger_merged")
        .count() as u64;
    assert_eq!(
        merged, m.merges,
        "one entry a merge, none for the one given up"
    );
    assert!(pauses as u64 > m.merges, "{pauses} written, {m:?}");
    let c = counts(&s, &k, &people(&k, 0, 25));
    assert_eq!((c.new.individuals, c.current_year.individuals), (0, 25));
    assert!(s.audit_verify(&k).unwrap().problems.is_empty());
    let (rows, listed) = chunk_rows(&s);
    assert_eq!(rows, listed);
}

/// A written run edited before its swap is refused there, and nothing is
/// listed: the runs it was made of still count.
fn a_written_run_edited_before_its_swap_is_refused(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    eight_batches(&s, &k);
    let e = s
        .merge_runs_pausing(&k, &mut || {
            tamper(
                &s,
                &format!(
                    "UPDATE keyset_chunks SET digest = {} WHERE NOT EXISTS (SELECT 1 FROM keyset_runs r \
                     WHERE r.set_name = keyset_chunks.set_name AND r.run = keyset_chunks.run)",
                    if s.backend == outbound_store::Backend::Sqlite {
                        format!("X'{}'", "00".repeat(32))
                    } else {
                        format!("'\\x{}'::bytea", "00".repeat(32))
                    }
                ),
            )
        })
        .unwrap_err();
    assert!(matches!(e, StoreError::Tampered { .. }), "{e:?}");
    assert!(
        e.to_string().contains("changed while a merge wrote it"),
        "{e}"
    );
    let c = counts(&s, &k, &people(&k, 0, 800));
    assert_eq!(c.current_year.individuals, 800);
    assert!(s.audit_verify(&k).unwrap().problems.is_empty());
    // The next merger clears the edited leftovers and merges.
    let m = s.merge_runs(&k).unwrap();
    assert_eq!(m.merges, 14, "{m:?}");
    let (rows, listed) = chunk_rows(&s);
    assert_eq!(rows, listed);
    assert!(s.audit_verify(&k).unwrap().problems.is_empty());
}

/// What a merge stopped by a crash leaves (chunks of no listed run) is
/// never read: counts, batches and `audit verify` ignore it, and the next
/// merger clears it.
fn a_crashed_merge_leaves_nothing_that_counts(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    eight_batches(&s, &k);
    tamper(
        &s,
        "INSERT INTO keyset_chunks (set_name, run, chunk, first_key, filter, records, digest) \
         SELECT set_name, run + 7, chunk, first_key, filter, records, digest FROM keyset_chunks",
    );
    let (rows, listed) = chunk_rows(&s);
    assert_eq!(rows, 2 * listed);
    let c = counts(&s, &k, &people(&k, 0, 900));
    assert_eq!((c.new.individuals, c.current_year.individuals), (100, 900));
    assert!(s.audit_verify(&k).unwrap().problems.is_empty());
    s.record_batch(&k, &record("t"), 2026, &people(&k, 800, 900), false, ok)
        .unwrap();
    let m = s.merge_runs(&k).unwrap();
    assert!(m.merges >= 14, "{m:?}");
    let (rows, listed) = chunk_rows(&s);
    assert_eq!(rows, listed);
    assert!(s.audit_verify(&k).unwrap().problems.is_empty());
}

/// Runs numbered one apart, as stores made before the gaps numbered them:
/// no number lies between two, so their merges run whole under the lock
/// and renumber, as before, with the same counts and a clean log.
fn runs_numbered_one_apart_merge_as_before(pg: bool) {
    let Some((s, k, _d)) = fresh(pg) else { return };
    eight_batches(&s, &k);
    for table in ["keyset_runs", "keyset_chunks"] {
        tamper(&s, &format!("UPDATE {table} SET run = run / 4294967296"));
    }
    assert!(s.audit_verify(&k).unwrap().problems.is_empty());
    let m = s.merge_runs(&k).unwrap();
    assert_eq!((m.merges, runs(&s)), (14, (1, 1)), "{m:?}");
    let c = counts(&s, &k, &people(&k, 0, 900));
    assert_eq!((c.new.individuals, c.current_year.individuals), (100, 900));
    assert!(s.audit_verify(&k).unwrap().problems.is_empty());
    let (rows, listed) = chunk_rows(&s);
    assert_eq!(rows, listed);
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[test] fn $name() { super::$name(false) } )* }
        mod postgres { $( #[test] fn $name() { super::$name(true) } )* }
    };
}

both!(
    merged_later_with_their_own_entries,
    unmerged_sets_stay_bounded,
    a_batch_between_write_and_swap,
    runs_merged_meanwhile_are_given_up,
    a_written_run_edited_before_its_swap_is_refused,
    a_crashed_merge_leaves_nothing_that_counts,
    runs_numbered_one_apart_merge_as_before,
);

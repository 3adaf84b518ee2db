//! Merging key set runs in transactions of their own, after the batches that
//! wrote them: an LSM's compaction.
//!
//! A batch writes its new keys as a run and merges nothing (unless a set has
//! grown past its run limit, see `keyset::add`), so its time no longer
//! depends on where the binary counter over run sizes stands: a batch that
//! used to merge 64M keys took 5× the others. [`Store::merge_runs`] does the
//! merges afterwards (the gate calls it once a batch's output is in place;
//! a server can call it off the request), one ledger part at a time, each in
//! one transaction that first checks the part's runs against what the log
//! committed and then commits the part's new digest with a `ledger_merged`
//! audit entry: a merge moves the digest (runs go, one comes), and every
//! state that decides a count is committed to by the log.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::keyset::{self, Width};
use crate::state::{Delta, tampered};
use crate::{Keys, Store, StoreError};

/// What [`Store::merge_runs`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Merged {
    /// Ledger parts whose runs were merged (each with its own audit entry).
    pub parts: u64,
    /// Pairs of runs merged into one.
    pub merges: u64,
    /// Records written by the merges.
    pub records: i64,
}

/// A ledger part made of key sets: its name, and each set with its record
/// layout and whether it counts in the part's sensitive column.
struct PartSets {
    part: String,
    sets: Vec<(String, Width, bool)>,
}

/// The part the key set `set` belongs to, with all of that part's sets. The
/// names are those the writers give (`counted`, `group_sets`, `deliveries`,
/// `consent_index`); any other is refused, never skipped.
fn part_of(set: &str) -> Result<PartSets, StoreError> {
    let unknown = || tampered("a key set has an unknown name");
    let v: serde_json::Value =
        serde_json::from_str(set).map_err(|_| tampered("a key set has an unreadable name"))?;
    let kind = v.get(0).and_then(|k| k.as_str()).ok_or_else(unknown)?;
    let name = |k: &str| match &v {
        serde_json::Value::Array(a) => {
            let mut a = a.clone();
            a[0] = k.into();
            serde_json::Value::Array(a).to_string()
        }
        _ => unreachable!("an array: its first element was read"),
    };
    // A pair of sets: everyone, and the sensitive subset in the same part.
    let pair = |all: &str, sens: &str| PartSets {
        part: name(all),
        sets: vec![
            (name(all), Width::KEY, false),
            (name(sens), Width::KEY, true),
        ],
    };
    let one = |w| PartSets {
        part: set.to_string(),
        sets: vec![(set.to_string(), w, false)],
    };
    Ok(match kind {
        "subjects" | "sensitive" => pair("subjects", "sensitive"),
        "group" | "group_sensitive" => pair("group", "group_sensitive"),
        "deliveries" => one(Width::KEY_U32),
        "delivery_days" => one(Width::KEY_DAYS),
        "consent_days" => one(Width::KEY_NEWEST),
        _ => return Err(unknown()),
    })
}

/// Merges the due runs of one part's sets in `conn`, checked first against
/// the committed part; the digest changes go to `delta`.
async fn merge_part(
    conn: &mut AnyConnection,
    parts: &crate::state::Parts,
    ps: &PartSets,
    delta: &mut Delta,
    merged: &mut Merged,
) -> Result<(), StoreError> {
    let p = parts.get(&ps.part).copied().unwrap_or_default();
    let committed: Vec<(&str, i64, Width)> = ps
        .sets
        .iter()
        .map(|(s, w, sens)| (s.as_str(), if *sens { p.sensitive } else { p.rows }, *w))
        .collect();
    crate::counted::check_runs(conn, &p, &ps.part, &committed).await?;
    for (set, w, sensitive) in &ps.sets {
        let mut changes = Vec::new();
        keyset::compact(conn, set, *w, &mut changes).await?;
        for c in &changes {
            delta.run(&ps.part, c, *sensitive);
            if c.added {
                merged.merges += 1;
                merged.records += c.records;
            }
        }
    }
    Ok(())
}

impl Store {
    /// Merges every key set's runs that are due a merge (see the module),
    /// one ledger part a transaction, each committed with a `ledger_merged`
    /// audit entry. Counts never change; look-ups read fewer runs after.
    /// A part whose runs do not match the log is refused, as a batch would be.
    pub fn merge_runs(&self, keys: &Keys) -> Result<Merged, StoreError> {
        self.run("merge the ledger's runs", async {
            let mut merged = Merged::default();
            let due = {
                let mut conn = self.pool.acquire().await?;
                keyset::sets_due(&mut conn).await?
            };
            let mut done = std::collections::BTreeSet::new();
            for set in due {
                let ps = part_of(&set)?;
                if !done.insert(ps.part.clone()) {
                    continue;
                }
                let mut tx = self.pool.begin().await?;
                crate::store::lock(&mut tx).await?;
                let checked = crate::state::check(&mut tx, keys).await?;
                let mut delta = Delta::default();
                let mut here = Merged::default();
                merge_part(&mut tx, &checked.parts, &ps, &mut delta, &mut here).await?;
                if here.merges == 0 {
                    // Another writer merged it first.
                    tx.rollback().await?;
                    continue;
                }
                delta.apply(&mut tx).await?;
                let body = serde_json::json!({
                    "part": crate::state::describe(&ps.part),
                    "merges": here.merges,
                    "records": here.records,
                });
                crate::audit::append(&mut tx, keys, "ledger_merged", body).await?;
                tx.commit().await?;
                merged.parts += 1;
                merged.merges += here.merges;
                merged.records += here.records;
            }
            Ok(merged)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_replay_the_binary_counter() {
        use crate::keyset::next_merge;
        for stable in [&[][..], &[5], &[4, 2, 1], &[800, 200, 100]] {
            assert_eq!(next_merge(stable), None, "{stable:?}");
        }
        assert_eq!(next_merge(&[1, 1]), Some((0, 1)));
        assert_eq!(next_merge(&[4, 2, 2]), Some((1, 2)));
        // Runs left unmerged by several batches merge in pairs of like size.
        assert_eq!(next_merge(&[100; 8]), Some((0, 1)));
        assert_eq!(next_merge(&[200, 100, 100, 100]), Some((1, 2)));
        assert_eq!(next_merge(&[200, 200, 100, 100]), Some((0, 1)));
        // Past the limit, whatever the sizes: the newest two.
        let falling: Vec<i64> = (1..=26).rev().collect();
        assert_eq!(next_merge(&falling), Some((24, 25)));
        assert_eq!(next_merge(&falling[..24]), None);
    }

    #[test]
    fn every_writer_set_has_its_part() {
        let subjects = crate::state::subjects_part("acme", 2026);
        let sens = crate::counted::sensitive_set("acme", 2026);
        for s in [&subjects, &sens] {
            let ps = part_of(s).unwrap();
            assert_eq!(ps.part, subjects);
            assert_eq!(
                ps.sets,
                vec![
                    (subjects.clone(), Width::KEY, false),
                    (sens.clone(), Width::KEY, true)
                ]
            );
        }
        let d = crate::deliveries::part("crm-to-parent", 2026);
        assert_eq!(
            part_of(&d).unwrap().sets,
            vec![(d.clone(), Width::KEY_U32, false)]
        );
        for bad in ["[\"people\",\"acme\",2026]", "not json", "{}", "[]"] {
            assert!(
                matches!(part_of(bad), Err(StoreError::Tampered { .. })),
                "{bad}"
            );
        }
    }
}

//! Database scans started from the server, as the log records them and as
//! the server lists them back: newest first, between other entries, and a
//! body edited behind the log's back refused, not shown.

use outbound_store::scans::DatabaseScan;
use outbound_store::{Keys, Store, StoreError};

use crate::store::tamper;

both!(database_scans_are_read_back_newest_first);

fn scan(n: u64) -> DatabaseScan {
    DatabaseScan {
        by: format!("ana{n}"),
        sources: vec!["shop-crm".into()],
        tables: vec![format!("t{n}")],
        sample: if n.is_multiple_of(2) {
            "random"
        } else {
            "first"
        }
        .into(),
        sample_rows: 1_000 * (n + 1),
        target: "dataset:customers".into(),
    }
}

fn database_scans_are_read_back_newest_first(s: &Store, k: &Keys) {
    assert!(s.database_scans(10).unwrap().is_empty());
    let mut indexes = Vec::new();
    for n in 0..3 {
        indexes.push(s.record_database_scan(k, &scan(n)).unwrap());
        s.set_route(k, "ana", "crm", n.is_multiple_of(2), "between scans")
            .unwrap();
    }
    let all = s.database_scans(10).unwrap();
    let got: Vec<(u64, DatabaseScan)> = all.iter().map(|l| (l.index, l.scan.clone())).collect();
    assert_eq!(
        got,
        vec![
            (indexes[2], scan(2)),
            (indexes[1], scan(1)),
            (indexes[0], scan(0))
        ]
    );
    assert!(all.iter().all(|l| l.at.ends_with('Z')), "{all:?}");
    let newest = s.database_scans(2).unwrap();
    assert_eq!(newest.len(), 2);
    assert_eq!(newest[0].index, indexes[2]);
    // A body edited behind the log's back is refused, not shown.
    tamper(
        s,
        &format!(
            "UPDATE audit_entries SET body = '{{}}' WHERE idx = {}",
            indexes[1]
        ),
    );
    match s.database_scans(10) {
        Err(StoreError::Tampered { problem }) => {
            assert!(problem.contains(&indexes[1].to_string()), "{problem}")
        }
        other => panic!("an edited entry was read: {other:?}"),
    }
}

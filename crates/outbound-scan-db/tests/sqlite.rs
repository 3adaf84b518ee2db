//! SQLite databases written by the test from the synthetic corpus.

use std::path::Path;

use outbound_scan_db::{DbScanOptions, scan_databases, suggest_datasets};
use sqlx::{AssertSqlSafe, Connection, SqliteConnection};

use crate::common::{
    Corpus, assert_no_raw_values, corpus, load_with_map, rt, scan_as_file, summary, temp_sqlite,
};

/// A database with `customers` (the corpus, `created_ms` as INTEGER,
/// `amount` as REAL, a BLOB `photo`, empty cells as NULL) and `orders`
/// (an order number and a buyer's mobile).
fn make_db(path: &Path, c: &Corpus) {
    rt().block_on(async {
        let url = format!("sqlite:{}?mode=rwc", path.display());
        let mut conn = SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE customers (name TEXT, id_no TEXT, mobile TEXT, email TEXT, \
               card_no TEXT, order_no TEXT, created_ms INTEGER, amount REAL, note TEXT, photo BLOB);
             CREATE TABLE orders (order_no TEXT, buyer_mobile TEXT);
             CREATE VIEW v AS SELECT mobile FROM customers;",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        let mut tx = conn.begin().await.unwrap();
        for r in &c.rows {
            let mut q = sqlx::query(
                "INSERT INTO customers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            );
            for v in &r[..6] {
                q = q.bind(v.as_str());
            }
            q = q
                .bind(r[6].parse::<i64>().unwrap())
                .bind(r[7].parse::<f64>().unwrap())
                .bind(r[8].as_str())
                .bind(vec![0xffu8, 0xd8, 0x13, 0x80]);
            q.execute(&mut *tx).await.unwrap();
            sqlx::query("INSERT INTO orders VALUES (?1, ?2)")
                .bind(r[5].as_str())
                .bind(r[2].as_str())
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        sqlx::query(AssertSqlSafe("PRAGMA journal_mode = DELETE"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
}

fn url(p: &Path) -> String {
    format!("sqlite:{}", p.display())
}

#[test]
fn full_scan_reports_each_column_as_the_csv_scan_does() {
    let c = corpus(600, 21);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    make_db(&db, &c);
    let opts = DbScanOptions {
        full: true,
        ..Default::default()
    };
    let r = scan_databases(&[url(&db)], &opts).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let paths: Vec<&str> = r.files.iter().map(|f| f.path.as_str()).collect();
    let u = url(&db);
    assert_eq!(paths, [format!("{u}#customers"), format!("{u}#orders")]);
    let t = &r.files[0];
    assert_eq!(t.format, "table");
    assert_eq!(t.records, 600);
    let info = t.table.as_ref().unwrap();
    assert_eq!(
        (info.rows_read, info.rows_total, info.sampled),
        (600, 600, false)
    );
    assert_eq!(info.binary_columns, ["photo"]);

    // Kinds per column as in the ground truth, and exactly what the same
    // rows give as a CSV file.
    let file = scan_as_file(&c);
    assert_eq!(summary(t, &["photo"]), summary(&file.files[0], &[]));
    for (col, kinds) in &c.truth.fields {
        let f = t
            .fields
            .iter()
            .find(|f| f.field.as_deref() == Some(col))
            .unwrap();
        assert_eq!(
            &f.kinds,
            &kinds.iter().map(|(k, v)| (*k, *v)).collect(),
            "{col}"
        );
    }
    let photo = t
        .fields
        .iter()
        .find(|f| f.field.as_deref() == Some("photo"))
        .unwrap();
    assert_eq!(photo.non_empty, 0);
    let id = t
        .fields
        .iter()
        .find(|f| f.field.as_deref() == Some("id_no"))
        .unwrap();
    assert_eq!(id.category, Some("identity.national_id"));

    // The second table: the buyer's mobile, named by its column.
    let o = &r.files[1];
    let m = o
        .fields
        .iter()
        .find(|f| f.field.as_deref() == Some("buyer_mobile"))
        .unwrap();
    assert_eq!(
        m.kinds.get("cn_mobile"),
        c.truth.fields["mobile"].get("cn_mobile")
    );

    // Individuals over both tables: each row by its strongest identifier,
    // so an order's buyer counts by the mobile.
    assert_eq!(r.individuals.key.as_deref(), Some("cn_resident_id"));
    assert_eq!(r.individuals.distinct, c.truth.subjects_and_mobiles);
}

#[test]
fn the_default_reads_a_bounded_sample_and_says_so() {
    let c = corpus(500, 22);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    make_db(&db, &c);
    let opts = DbScanOptions {
        sample_rows: 120,
        ..Default::default()
    };
    let r = scan_databases(&[url(&db)], &opts).unwrap();
    for t in &r.files {
        assert_eq!(t.records, 120, "{}", t.path);
        let info = t.table.as_ref().unwrap();
        assert_eq!(
            (info.rows_read, info.rows_total, info.sampled),
            (120, 500, true)
        );
        assert!(t.fields.iter().all(|f| f.non_empty <= 120));
    }
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["files"][0]["table"]["sampled"], true);
    assert_eq!(json["files"][0]["table"]["rows_total"], 500);

    // The default bound (10,000) is above this table: everything is read.
    let r = scan_databases(&[url(&db)], &DbScanOptions::default()).unwrap();
    let info = r.files[0].table.as_ref().unwrap();
    assert_eq!(
        (info.rows_read, info.rows_total, info.sampled),
        (500, 500, false)
    );
    assert_eq!(outbound_scan_db::DEFAULT_SAMPLE_ROWS, 10_000);
}

#[test]
fn progress_is_told_every_row_scanned() {
    let c = corpus(700, 23);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    make_db(&db, &c);
    let told = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let t = told.clone();
    let opts = DbScanOptions {
        scan: outbound_scan::ScanOptions {
            progress: Some(std::sync::Arc::new(move |n| {
                t.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            })),
            threads: Some(2),
            ..Default::default()
        },
        sample_rows: 600,
        ..Default::default()
    };
    let r = scan_databases(&[url(&db)], &opts).unwrap();
    // Two tables of 700 rows, 600 of each read: 1,200 rows, in chunks.
    let read: u64 = r.files.iter().map(|f| f.records).sum();
    assert_eq!(read, 1_200);
    assert_eq!(told.load(std::sync::atomic::Ordering::Relaxed), read);
}

#[test]
fn the_database_file_is_left_untouched() {
    let c = corpus(200, 23);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ro.db");
    make_db(&db, &c);
    let listing = |d: &Path| {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    let (before, mtime, files) = (
        std::fs::read(&db).unwrap(),
        std::fs::metadata(&db).unwrap().modified().unwrap(),
        listing(dir.path()),
    );
    // Even when the URL asks for read-write-create mode.
    for u in [url(&db), format!("sqlite://{}?mode=rwc", db.display())] {
        let r = scan_databases(&[u], &DbScanOptions::default()).unwrap();
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(std::fs::metadata(&db).unwrap().modified().unwrap(), mtime);
    assert_eq!(listing(dir.path()), files);
}

#[test]
fn no_raw_value_leaves_the_scan() {
    let c = corpus(300, 24);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("raw.db");
    make_db(&db, &c);
    let r = scan_databases(&[url(&db)], &DbScanOptions::default()).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert_no_raw_values(&c, &json);
    assert_no_raw_values(&c, &suggest_datasets(&r, "customer"));
}

#[test]
fn tables_are_picked_by_glob() {
    let c = corpus(50, 25);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    make_db(&db, &c);
    for (pats, want) in [
        (vec!["ord*"], vec!["orders"]),
        (vec!["main.cust*"], vec!["customers"]),
        (vec!["x", "customers"], vec!["customers"]),
        (vec!["nothing"], vec![]),
    ] {
        let opts = DbScanOptions {
            tables: pats.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let r = scan_databases(&[url(&db)], &opts).unwrap();
        let got: Vec<&str> = r
            .files
            .iter()
            .map(|f| f.path.rsplit_once('#').unwrap().1)
            .collect();
        assert_eq!(got, want, "{pats:?}");
    }
    let bad = DbScanOptions {
        tables: vec!["[".into()],
        ..Default::default()
    };
    let e = scan_databases(&[url(&db)], &bad).unwrap_err();
    assert!(e.0.contains("--table"), "{e}");
}

#[test]
fn suggest_writes_a_datasets_block_the_map_loads() {
    let c = corpus(100, 26);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    make_db(&db, &c);
    let r = scan_databases(&[url(&db)], &DbScanOptions::default()).unwrap();
    let block = suggest_datasets(&r, "customer");
    assert!(block.starts_with("datasets:\n"), "{block}");
    let map = load_with_map(&block, "crm");
    let ids: Vec<&str> = map.datasets.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["customers", "orders"]);
    let customers = &map.datasets[0];
    assert_eq!(customers.system, "crm");
    assert_eq!(customers.table.as_deref(), Some("customers"));
    let cat = |name: &str| {
        customers
            .fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.category.as_str())
    };
    assert_eq!(cat("id_no"), Some("identity.national_id"));
    assert_eq!(cat("mobile"), Some("contact.phone"));
    assert_eq!(cat("email"), Some("contact.email"));
    assert_eq!(cat("photo"), Some("operational"));
}

/// Sales pivoted by rep, as a table whose column names are people: the
/// names are counted once, never reported, and `--suggest` declares no
/// field by them; a mobile as a column name counts its person.
#[test]
fn column_names_that_are_people_are_counted_and_never_named() {
    let reps = ["张伟", "Mary Johnson"];
    let (_dir, db) = temp_sqlite(
        "pivot.db",
        format!(
            "CREATE TABLE by_rep (region TEXT, \"{}\" INTEGER, \"{}\" INTEGER, \"13812345678\" INTEGER, \"2024\" INTEGER, \"{{person_name}}\" INTEGER);
             INSERT INTO by_rep VALUES ('north', 1, 2, 3, 7, 9), ('south', 4, 5, 6, 8, 9);",
            reps[0], reps[1]
        ),
    );
    let opts = DbScanOptions {
        full: true,
        ..Default::default()
    };
    let r = scan_databases(&[url(&db)], &opts).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let json = serde_json::to_string(&r).unwrap();
    for n in reps.iter().chain(&["13812345678"]) {
        assert!(!json.contains(n), "{n} in {json}");
    }
    assert_eq!(r.totals.kinds.get("person_name"), Some(&2), "{json}");
    assert_eq!(r.totals.kinds.get("cn_mobile"), Some(&1), "{json}");
    // The mobile that names a column is someone, counted as a JSON key's
    // would be (the values are sales figures: nobody else).
    assert_eq!(r.individuals.distinct, 1, "{json}");
    assert_eq!(r.individuals.key.as_deref(), Some("cn_mobile"), "{json}");
    assert_eq!(r.files[0].records, 2, "column names are no records: {json}");
    let mut fields: Vec<_> = r.files[0].field_names().collect();
    fields.sort();
    // A year stays a column's name: a table's columns are not map keys.
    // A column named `{person_name}` as written is that one field, not a
    // second field of the same name.
    assert_eq!(fields, ["2024", "region", "{cn_mobile}", "{person_name}"]);
    let block = suggest_datasets(&r, "customer");
    for n in reps {
        assert!(!block.contains(n), "{block}");
    }
    let map = load_with_map(&block, "pivot");
    let names: Vec<&str> = map.datasets[0]
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["2024", "region"], "{block}");
}

#[test]
fn a_missing_or_unreadable_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let e = scan_databases(&[url(&missing)], &DbScanOptions::default()).unwrap_err();
    assert!(e.0.contains(&url(&missing)), "{e}");
    assert!(!missing.exists());

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"this is not a database, just text\n".repeat(200)).unwrap();
    let e = scan_databases(&[url(&junk)], &DbScanOptions::default()).unwrap_err();
    assert!(e.0.contains(&url(&junk)), "{e}");
}

#[test]
fn values_of_every_storage_class_are_read_as_text_and_blobs_skipped() {
    // An untyped column: an integer and a text mobile, a BLOB holding a
    // mobile's digits (not scanned), a real, a NULL.
    let (_dir, db) = temp_sqlite(
        "mixed.db",
        "CREATE TABLE m (mobile);
         INSERT INTO m VALUES (13812345678), ('13912345678'),
           (x'3133373132333435363738'), (31.5), (NULL);",
    );
    let r = scan_databases(&[url(&db)], &DbScanOptions::default()).unwrap();
    let f = &r.files[0].fields[0];
    assert_eq!(f.kinds.get("cn_mobile"), Some(&2));
    assert_eq!(f.non_empty, 3);
    assert_eq!(r.files[0].records, 5);
}

/// The map's check reads the table a dataset names as written: `orders_*`
/// is one table's name (SQLite allows it quoted), not a pattern that would
/// also read `orders_2024`.
#[test]
fn the_map_check_reads_the_table_named_exactly() {
    use outbound_scan_db::check::{CheckState, check_dataset};
    let (_dir, db) = temp_sqlite(
        "shop.db",
        "CREATE TABLE \"orders_*\" (order_no TEXT);
         INSERT INTO \"orders_*\" VALUES ('A-1'), ('A-2');
         CREATE TABLE orders_2024 (order_no TEXT, buyer_mobile TEXT);
         INSERT INTO orders_2024 VALUES ('B-1', '13812345678');",
    );
    let datasets = "datasets:\n\
         - {id: star, name: Star, system: shop, table: \"orders_*\", fields: [{name: order_no, category: operational, subject: customer}]}\n\
         - {id: missing, name: Missing, system: shop, table: \"orders_?\", fields: [{name: order_no, category: operational, subject: customer}]}\n";
    let map = load_with_map(datasets, "shop");
    let opts = DbScanOptions::default();
    let star = check_dataset(&url(&db), &map, &map.datasets[0], Default::default(), &opts).unwrap();
    assert_eq!(star.state, CheckState::Ok, "{star:?}");
    assert_eq!(star.rows_read, 2, "only `orders_*` was read: {star:?}");
    let missing =
        check_dataset(&url(&db), &map, &map.datasets[1], Default::default(), &opts).unwrap();
    assert_eq!(missing.state, CheckState::NotRead, "{missing:?}");
}

/// Every dataset of a database checked in one scan gives each the line
/// its check alone gives, in the map's order: two tables with the same
/// column, one dataset setting its card matches aside (`not_kinds`) and
/// the other not (scanned apart: a scan sets aside by field name), a
/// table that matches, one that is missing, a view (not read without
/// `views`), and a dataset naming no table (no line).
#[test]
fn datasets_checked_together_are_each_judged_as_alone() {
    use outbound_scan_db::check::{CheckState, check_dataset, check_datasets};
    let (dir, db) = temp_sqlite(
        "shop.db",
        "CREATE TABLE orders_a (order_no TEXT);
         CREATE TABLE orders_b (order_no TEXT);
         INSERT INTO orders_a VALUES ('4111111111111111'), ('A-2');
         INSERT INTO orders_b VALUES ('4111111111111111'), ('B-2'), ('B-3');
         CREATE TABLE customers (mobile TEXT);
         INSERT INTO customers VALUES ('13812345678'), ('13912345678');
         CREATE VIEW late AS SELECT mobile FROM customers;",
    );
    let op = "{name: order_no, category: operational, subject: customer}";
    let op_chance =
        "{name: order_no, category: operational, subject: customer, not_kinds: [bank_card]}";
    let phone = "{name: mobile, category: contact.phone, subject: customer}";
    let datasets = format!(
        "datasets:\n\
         - {{id: a, name: A, system: shop, table: orders_a, fields: [{op_chance}]}}\n\
         - {{id: untabled, name: U, system: shop, fields: [{op}]}}\n\
         - {{id: b, name: B, system: shop, table: orders_b, fields: [{op}]}}\n\
         - {{id: c, name: C, system: shop, table: customers, fields: [{phone}]}}\n\
         - {{id: gone, name: G, system: shop, table: nowhere, fields: [{op}]}}\n\
         - {{id: view, name: V, system: shop, table: late, fields: [{phone}]}}\n"
    );
    let map = load_with_map(&datasets, "shop");
    let opts = DbScanOptions::default();
    let all: Vec<_> = map.datasets.iter().collect();
    let together = check_datasets(&url(&db), &map, &all, Default::default(), &opts);
    let alone: Vec<_> = map
        .datasets
        .iter()
        .filter_map(|d| {
            let r = check_dataset(&url(&db), &map, d, Default::default(), &opts);
            // Alone, the check is still one dataset's scan.
            if let Some(c) = &r {
                let one = check_datasets(&url(&db), &map, &[d], Default::default(), &opts);
                assert_eq!(
                    serde_json::to_value(&one[0]).unwrap(),
                    serde_json::to_value(c).unwrap()
                );
            }
            r
        })
        .collect();
    let states: Vec<_> = together
        .iter()
        .map(|c| (c.dataset.as_str(), c.state, c.rows_read))
        .collect();
    assert_eq!(
        states,
        [
            ("a", CheckState::Ok, 2),
            ("b", CheckState::Drift, 3),
            ("c", CheckState::Ok, 2),
            ("gone", CheckState::NotRead, 0),
            ("view", CheckState::NotRead, 0),
        ]
    );
    assert_eq!(
        serde_json::to_value(&together).unwrap(),
        serde_json::to_value(&alone).unwrap()
    );
    // With views, the view is read as its own table.
    let views = DbScanOptions {
        views: true,
        ..DbScanOptions::default()
    };
    let v = check_datasets(&url(&db), &map, &all, Default::default(), &views);
    assert_eq!((v[4].state, v[4].rows_read), (CheckState::Ok, 2));
    // A database that cannot be opened fails every dataset, saying why.
    let nowhere = format!("sqlite:{}", dir.path().join("no.db").display());
    let failed = check_datasets(&nowhere, &map, &all, Default::default(), &opts);
    assert_eq!(failed.len(), 5);
    assert!(
        failed
            .iter()
            .all(|c| c.state == CheckState::Failed && c.error.is_some()),
        "{failed:?}"
    );
}

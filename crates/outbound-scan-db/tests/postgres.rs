//! PostgreSQL on the test cluster (`OUTBOUND_TEST_POSTGRES`): a fresh
//! schema per test, scanned through `--table SCHEMA.*` so that other
//! tests' schemas in the same database do not count.

use std::sync::atomic::{AtomicU32, Ordering};

use outbound_scan_db::{DbScanOptions, scan_databases, suggest_datasets};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

use crate::common::{
    Corpus, assert_no_raw_values, corpus, load_with_map, other_ca, pg_url, rt, scan_as_file,
    summary, test_ca,
};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh schema holding `customers` (the corpus; `created_ms` bigint,
/// `amount` numeric, a bytea `photo`, a quoted mixed-case column) and
/// `orders`; dropped on drop.
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    fn new(url: &str, c: &Corpus) -> Schema {
        let name = format!(
            "scan_t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        rt().block_on(async {
            let mut conn = PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE;
                 CREATE SCHEMA {name};
                 CREATE TABLE {name}.customers (name text, id_no text, mobile text, email text,
                   card_no text, order_no text, created_ms bigint, amount numeric, note text,
                   photo bytea, \"Contact Phone\" varchar(40));
                 CREATE TABLE {name}.orders (order_no text, buyer_mobile text);"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
            let mut tx = conn.begin().await.unwrap();
            let ins = format!(
                "INSERT INTO {name}.customers VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, $9, $10, $11)"
            );
            for r in &c.rows {
                let mut q = sqlx::query(AssertSqlSafe(ins.clone()));
                for v in &r[..6] {
                    q = q.bind(v.as_str());
                }
                q.bind(r[6].parse::<i64>().unwrap())
                    .bind(r[7].as_str())
                    .bind(r[8].as_str())
                    .bind(vec![0xffu8, 0xd8, 0x13, 0x80])
                    .bind(r[2].as_str())
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO {name}.orders VALUES ($1, $2)"
                )))
                .bind(r[5].as_str())
                .bind(r[2].as_str())
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
            conn.close().await.unwrap();
        });
        Schema {
            url: url.to_string(),
            name,
        }
    }

    fn opts(&self) -> DbScanOptions {
        DbScanOptions {
            tables: vec![format!("{}.*", self.name)],
            ..Default::default()
        }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        rt().block_on(async {
            if let Ok(mut c) = PgConnection::connect(&url).await {
                let _ = sqlx::raw_sql(AssertSqlSafe(format!("DROP SCHEMA {name} CASCADE")))
                    .execute(&mut c)
                    .await;
            }
        });
    }
}

/// `postgres://host:port/db` as the report names it.
fn shown(url: &str) -> String {
    outbound_scan_db::display_url(url)
}

#[test]
fn tables_are_reported_per_column_as_files_are() {
    let Some(url) = pg_url() else { return };
    let c = corpus(400, 31);
    let s = Schema::new(&url, &c);
    let opts = DbScanOptions {
        full: true,
        ..s.opts()
    };
    let r = scan_databases(std::slice::from_ref(&url), &opts).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let paths: Vec<&str> = r.files.iter().map(|f| f.path.as_str()).collect();
    let db = shown(&url);
    assert_eq!(
        paths,
        [
            format!("{db}#{}.customers", s.name),
            format!("{db}#{}.orders", s.name)
        ]
    );
    let t = &r.files[0];
    assert_eq!(t.format, "table");
    let info = t.table.as_ref().unwrap();
    assert_eq!(
        (info.rows_read, info.rows_total, info.sampled),
        (400, 400, false)
    );
    assert_eq!(info.binary_columns, ["photo"]);
    let file = scan_as_file(&c);
    assert_eq!(
        summary(t, &["photo", "Contact Phone"]),
        summary(&file.files[0], &[])
    );
    // The header hint works on a quoted, mixed-case column name.
    let cp = t
        .fields
        .iter()
        .find(|f| f.field.as_deref() == Some("Contact Phone"))
        .unwrap();
    assert_eq!(cp.category, Some("contact.phone"));
    assert_eq!(r.individuals.distinct, c.truth.subjects_and_mobiles);
    assert_no_raw_values(&c, &serde_json::to_string(&r).unwrap());
}

#[test]
fn the_sample_is_bounded_and_reported() {
    let Some(url) = pg_url() else { return };
    let c = corpus(300, 32);
    let s = Schema::new(&url, &c);
    let opts = DbScanOptions {
        sample_rows: 77,
        ..s.opts()
    };
    let r = scan_databases(std::slice::from_ref(&url), &opts).unwrap();
    assert_eq!(r.files.len(), 2);
    for t in &r.files {
        let info = t.table.as_ref().unwrap();
        assert_eq!((t.records, info.rows_total, info.sampled), (77, 300, true));
    }
}

#[test]
fn a_password_appears_nowhere() {
    let Some(url) = pg_url() else { return };
    let c = corpus(20, 34);
    let s = Schema::new(&url, &c);
    let secret = "Pw-9f3kZq-not-shown";
    // The test cluster trusts local connections, so the password is
    // accepted and ignored: the scan runs and must not echo it.
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, rest) = rest.split_once('@').unwrap();
    let with_pw = format!("{scheme}://{user}:{secret}@{rest}");
    let r = scan_databases(std::slice::from_ref(&with_pw), &s.opts()).unwrap();
    let out = serde_json::to_string(&r).unwrap() + &suggest_datasets(&r, "customer");
    assert!(!out.contains(secret));
    assert_eq!(r.files.len(), 2);
    // A server that is not there, and a database that does not exist.
    let (server, _) = with_pw.rsplit_once('/').unwrap();
    for bad in [
        format!("postgres://{user}:{secret}@127.0.0.1:9/outbound_test"),
        format!("{server}/no_such_db_{}", std::process::id()),
    ] {
        let e = scan_databases(std::slice::from_ref(&bad), &DbScanOptions::default()).unwrap_err();
        assert!(!e.0.contains(secret), "{e}");
        assert!(e.0.contains(&shown(&bad)), "{e}");
        // The server's source line is not shown as if it were the input's.
        assert!(!e.0.contains(" at line "), "{e}");
    }
}

#[test]
fn suggest_writes_a_datasets_block_the_map_loads() {
    let Some(url) = pg_url() else { return };
    let c = corpus(60, 35);
    let s = Schema::new(&url, &c);
    let r = scan_databases(std::slice::from_ref(&url), &s.opts()).unwrap();
    let block = suggest_datasets(&r, "customer");
    let db = url.rsplit('/').next().unwrap();
    let map = load_with_map(&block, db);
    let ids: Vec<&str> = map.datasets.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            format!("{}-customers", s.name),
            format!("{}-orders", s.name)
        ]
    );
    let f = map.datasets[0]
        .fields
        .iter()
        .find(|f| f.name == "Contact Phone")
        .unwrap();
    assert_eq!(f.category, "contact.phone");
}

/// A server that offers TLS is scanned over it with its certificate
/// verified (`sslmode=verify-full`); a certificate the named authority did
/// not sign stops the scan before anything is read, naming the database.
#[test]
fn tls_with_the_servers_certificate_verified() {
    let Some(url) = pg_url() else { return };
    let Some(ca) = test_ca("OUTBOUND_TEST_POSTGRES_CA") else {
        return;
    };
    let c = corpus(30, 36);
    let s = Schema::new(&url, &c);
    let tls = format!("{url}?sslmode=verify-full&sslrootcert={ca}");
    let r = scan_databases(std::slice::from_ref(&tls), &s.opts()).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.files.len(), 2);
    assert_eq!(
        r.files[0].path,
        format!("{}#{}.customers", shown(&url), s.name)
    );
    if let Some(other) = other_ca() {
        let wrong = format!("{url}?sslmode=verify-full&sslrootcert={other}");
        let e = scan_databases(std::slice::from_ref(&wrong), &s.opts()).unwrap_err();
        assert!(
            e.0.starts_with(&format!("cannot connect to {}", shown(&url))),
            "{e}"
        );
    }
}

/// The map's check: `customers` names a table in every schema that has one
/// (two here, and other tests' schemas may add more), which is ambiguous,
/// said so with each match; `schema.customers` names one, read and compared.
#[test]
fn a_table_name_in_several_schemas_is_ambiguous_in_the_map_check() {
    use outbound_scan_db::check::{CheckState, check_dataset, check_datasets};
    let Some(url) = pg_url() else { return };
    let c = corpus(50, 33);
    let (a, b) = (Schema::new(&url, &c), Schema::new(&url, &c));
    let datasets = format!(
        "datasets:\n\
         - {{id: bare, name: Bare, system: crm, table: customers, fields: [{{name: mobile, category: contact.phone, subject: customer}}]}}\n\
         - {{id: qualified, name: Qualified, system: crm, table: {}.orders, fields: [{{name: order_no, category: operational, subject: customer}}, {{name: buyer_mobile, category: contact.phone, subject: customer}}]}}\n",
        a.name
    );
    let map = load_with_map(&datasets, "crm");
    let opts = DbScanOptions::default();
    let bare = check_dataset(&url, &map, &map.datasets[0], Default::default(), &opts).unwrap();
    assert_eq!(bare.state, CheckState::Ambiguous, "{bare:?}");
    for s in [&a, &b] {
        assert!(
            bare.matches.contains(&format!("{}.customers", s.name)),
            "{bare:?}"
        );
    }
    assert_eq!((bare.rows_read, bare.findings), (0, 0), "{bare:?}");
    let one = check_dataset(&url, &map, &map.datasets[1], Default::default(), &opts).unwrap();
    assert_eq!(one.state, CheckState::Ok, "{one:?}");
    assert_eq!(one.rows_read, 50);
    assert!(one.matches.is_empty());
    // Both in one scan: each judged on the tables its own name picks.
    let all: Vec<_> = map.datasets.iter().collect();
    let both = check_datasets(&url, &map, &all, Default::default(), &opts);
    assert_eq!(
        both.iter()
            .map(|c| (c.state, c.rows_read))
            .collect::<Vec<_>>(),
        [(CheckState::Ambiguous, 0), (CheckState::Ok, 50)],
        "{both:?}"
    );
    for s in [&a, &b] {
        assert!(both[0].matches.contains(&format!("{}.customers", s.name)));
    }
}

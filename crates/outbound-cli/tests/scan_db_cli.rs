//! `outbound scan sqlite:…` and `outbound scan postgres://…`: tables
//! reported like files, a bounded sample by default, no value and no
//! password in any output, clear errors with a non-zero exit.

use std::path::Path;

use sqlx::{Connection, SqliteConnection};

use crate::common::outbound;

/// A SQLite database with `customers` from the synthetic corpus; returns
/// the values that must never be printed (IDs, mobiles, e-mails).
fn make_db(path: &Path, rows: usize) -> Vec<String> {
    let (csv, _) = outbound_scan::corpus::csv_bytes(rows, 41);
    let mut rdr = csv::Reader::from_reader(&csv[..]);
    let rows: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!("sqlite:{}?mode=rwc", path.display());
        let mut c = SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE customers (name TEXT, id_no TEXT, mobile TEXT, email TEXT, \
             card_no TEXT, order_no TEXT, created_ms INTEGER, amount TEXT, note TEXT)",
        )
        .execute(&mut c)
        .await
        .unwrap();
        let mut tx = c.begin().await.unwrap();
        for r in &rows {
            let mut q = sqlx::query("INSERT INTO customers VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
            for v in r {
                q = q.bind(v.as_str());
            }
            q.execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        c.close().await.unwrap();
    });
    rows.iter()
        .flat_map(|r| [r[1].clone(), r[2].clone(), r[3].clone(), r[4].clone()])
        .collect()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let o = outbound().args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

#[test]
fn sqlite_tables_are_scanned_as_a_bounded_sample() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let raw = make_db(&db, 200);
    let url = format!("sqlite:{}", db.display());
    let (code, out, err) = run(&["scan", &url, "--format", "json", "--sample-rows", "50"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = &v["files"][0];
    assert_eq!(f["path"], format!("{url}#customers"));
    assert_eq!(f["format"], "table");
    assert_eq!(f["records"], 50);
    assert_eq!(f["table"]["rows_read"], 50);
    assert_eq!(f["table"]["rows_total"], 200);
    assert_eq!(f["table"]["sampled"], true);
    let id = f["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["field"] == "id_no")
        .unwrap();
    assert_eq!(id["classified_as"], "cn_resident_id");
    assert!(v["totals"]["kinds"]["cn_mobile"].as_u64().unwrap() > 0);

    // The table view says it is a sample; --full reads everything.
    let (code, table, err) = run(&["scan", &url, "--sample-rows", "50", "--samples", "3"]);
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("sample: random 50 of 200 rows"), "{table}");
    let (_, full, _) = run(&["scan", &url, "--full", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&full).unwrap();
    assert_eq!(v["files"][0]["records"], 200);
    assert_eq!(v["files"][0]["table"]["sampled"], false);

    for text in [&out, &err, &table, &full] {
        for r in &raw {
            assert!(!text.contains(r.as_str()), "a raw value was printed");
        }
    }
}

#[test]
fn sqlite_sample_seed_views_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let raw = make_db(&db, 300);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let u = format!("sqlite:{}?mode=rwc", db.display());
            let mut c = SqliteConnection::connect(&u).await.unwrap();
            sqlx::raw_sql("CREATE VIEW contacts AS SELECT name, mobile FROM customers")
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
        });
    let url = format!("sqlite:{}", db.display());
    let json = |extra: &[&str]| {
        let mut args = vec!["scan", &url, "--format", "json", "--sample-rows", "40"];
        args.extend_from_slice(extra);
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{extra:?}: {err}");
        for r in &raw {
            assert!(!out.contains(r.as_str()), "a raw value was printed");
        }
        out
    };
    let v: serde_json::Value = serde_json::from_str(&json(&[])).unwrap();
    assert_eq!(v["files"][0]["table"]["sample"], "random");
    assert_eq!(v["files"].as_array().unwrap().len(), 1);
    assert_eq!(v["skipped"][0]["path"], format!("{url}#contacts"));
    let v: serde_json::Value = serde_json::from_str(&json(&["--sample", "first"])).unwrap();
    assert_eq!(v["files"][0]["table"]["sample"], "first");

    // The default seed is fixed; --seed changes the rows (masked samples).
    let with_samples = ["--samples", "3"];
    let a = json(&with_samples);
    assert_eq!(a, json(&with_samples));
    assert_eq!(a, json(&["--samples", "3", "--seed", "1"]));
    assert_ne!(a, json(&["--samples", "3", "--seed", "2"]));
    // --threads: the same report.
    assert_eq!(a, json(&["--samples", "3", "--threads", "1"]));
    assert_eq!(a, json(&["--samples", "3", "--threads", "3"]));

    // --views scans the view; the table output says what it is.
    let v: serde_json::Value = serde_json::from_str(&json(&["--views"])).unwrap();
    assert_eq!(v["files"][0]["path"], format!("{url}#contacts"));
    assert_eq!(v["files"][0]["table"]["relation"], "view");
    assert!(v.get("skipped").is_none(), "{v}");
    let (code, table, err) = run(&["scan", &url, "--sample-rows", "40", "--views"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        table.contains("(view; sample: first 40 of 300 rows)"),
        "{table}"
    );
    let (_, table, _) = run(&["scan", &url, "--sample-rows", "40"]);
    assert!(
        table.contains(&format!(
            "skipped: {url}#contacts  (view: not scanned without --views"
        )),
        "{table}"
    );
    // --full and --sample/--seed contradict each other.
    let (code, _, err) = run(&["scan", &url, "--full", "--sample", "first"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn sqlite_suggest_prints_a_datasets_block() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let raw = make_db(&db, 30);
    let url = format!("sqlite://{}", db.display());
    let (code, out, err) = run(&["scan", &url, "--suggest", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    // One JSON document, the suggestion inside it.
    let v: serde_json::Value = serde_json::from_str(&out).expect(&out);
    let block = v["suggestion"].as_str().expect(&out);
    assert!(block.starts_with("datasets:\n"), "{block}");
    assert!(block.contains("  - id: customers\n"), "{block}");
    assert!(
        block.contains("{name: id_no, category: identity.national_id"),
        "{block}"
    );
    let text = format!(
        "version: 1\n\
         exporters: [{{id: e, name: E, country: CN, ciio: false, individuals_processed: 1}}]\n\
         systems: [{{id: crm, name: S, exporter: e, owner: {{type: person, name: O}}}}]\n{block}"
    );
    let l = outbound_model::load_sources(
        &[("m.yaml".into(), text)],
        outbound_model::Taxonomy::builtin(),
    );
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    assert_eq!(l.map.datasets.len(), 1);
    for r in &raw {
        assert!(!out.contains(r.as_str()));
    }
}

#[test]
fn bad_databases_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite:{}", dir.path().join("none.db").display());
    let (code, _, err) = run(&["scan", &missing]);
    assert_eq!(code, 2);
    assert!(err.contains(&format!("cannot open {missing}")), "{err}");

    let (code, _, err) = run(&["scan", &missing, "Cargo.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("separate runs"), "{err}");

    // No file at all, or an in-memory database: refused, not scanned as an
    // empty, clean database.
    for url in ["sqlite:", "sqlite::memory:", "sqlite://"] {
        let (code, _, err) = run(&["scan", url]);
        assert_eq!(code, 2, "{url}: {err}");
        assert!(err.contains("names no database file"), "{url}: {err}");
    }

    // A `--table` pattern that picks nothing is an error entry (exit 1), as
    // is a database without tables.
    let db = dir.path().join("crm.db");
    make_db(&db, 3);
    let url = format!("sqlite:{}", db.display());
    let (code, out, err) = run(&["scan", &url, "--table", "nomatch*", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["files"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["errors"][0]["path"], url.as_str());
    assert_eq!(
        v["errors"][0]["message"],
        "nothing scanned: no table matches --table `nomatch*`"
    );

    // Database options are refused for files rather than silently ignored.
    for opt in [
        &["--full"][..],
        &["--table", "x"],
        &["--sample-rows", "5"],
        &["--sample", "first"],
        &["--seed", "3"],
        &["--views"],
    ] {
        let mut args = vec!["scan", "Cargo.toml"];
        args.extend_from_slice(opt);
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{opt:?}");
        assert!(err.contains("apply to databases"), "{opt:?}: {err}");
    }

    // A MySQL URL is a database, not a file: an unreachable server is
    // named, without its password.
    let (code, out, err) = run(&["scan", "mysql://u:Pw-mysql-9@127.0.0.1:9/crm"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot connect to mysql://127.0.0.1:9/crm"),
        "{err}"
    );
    assert!(
        !err.contains("Pw-mysql-9") && !out.contains("Pw-mysql-9"),
        "{err}"
    );

    // A password in the URL is never echoed, not even when the server is
    // unreachable.
    let secret = "Zq7-hunter2-secret";
    let url = format!("postgres://scanner:{secret}@127.0.0.1:9/crm");
    let (code, out, err) = run(&["scan", &url]);
    assert_eq!(code, 2);
    assert!(err.contains("postgres://127.0.0.1:9/crm"), "{err}");
    assert!(!err.contains(secret) && !out.contains(secret), "{err}");
}

#[test]
fn postgres_with_a_password_in_the_url() {
    let Ok(base) = std::env::var("OUTBOUND_TEST_POSTGRES") else {
        eprintln!("skipping a PostgreSQL test: OUTBOUND_TEST_POSTGRES is not set");
        return;
    };
    // The test cluster trusts local connections: the password is ignored.
    let secret = "Pw-77-never-printed";
    let (scheme, rest) = base.split_once("://").unwrap();
    let (user, rest) = rest.split_once('@').unwrap();
    let url = format!("{scheme}://{user}:{secret}@{rest}");
    let (code, out, err) = run(&[
        "scan",
        &url,
        "--table",
        "no_such_schema_zz.*",
        "--format",
        "json",
        "--suggest",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("\"files\": []"), "{out}");
    assert!(out.contains("nothing scanned: no table matches"), "{out}");
    assert!(!out.contains(secret) && !err.contains(secret));
}

/// `--system`: the example's `customers` and `orders` name their tables in
/// system `shop-crm`; a database whose `customers` holds columns the
/// dataset does not declare and which has no `orders` differs (exit 1),
/// line by line, without a value; wrong uses exit 2.
#[test]
fn system_checks_each_dataset_against_the_table_it_names() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("shop.db");
    let values = make_db(&db, 300);
    let url = format!("sqlite:{}", db.display());
    let (code, out, err) = run(&[
        "scan",
        &url,
        "--map",
        "examples/lumen",
        "--system",
        "shop-crm",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let line = |name: &str| {
        out.lines()
            .find(|l| l.trim_start_matches('|').split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no line for {name}: {out}"))
            .to_string()
    };
    let customers = line("customers");
    assert!(customers.contains("differs:"), "{customers}");
    assert!(
        customers.contains("undeclared: card_no, note"),
        "{customers}"
    );
    assert!(customers.contains(" 300 "), "{customers}");
    assert!(
        line("orders").contains("the table was not found or not read"),
        "{out}"
    );
    for v in &values {
        assert!(
            !out.contains(v.as_str()) && !err.contains(v.as_str()),
            "a value was printed"
        );
    }
    let (code, out, _) = run(&[
        "scan",
        &url,
        "--map",
        "examples/lumen",
        "--system",
        "shop-crm",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["system"], "shop-crm");
    let ds = v["datasets"].as_array().unwrap();
    assert_eq!(ds.len(), 2, "{v}");
    assert_eq!(
        (&ds[0]["dataset"], &ds[0]["state"]),
        (&"customers".into(), &"drift".into())
    );
    assert_eq!(ds[0]["rows_read"], 300);
    assert_eq!(
        (&ds[1]["dataset"], &ds[1]["state"]),
        (&"orders".into(), &"not_read".into())
    );
    // Wrong uses: an unknown system, a system naming no table, a file, no map.
    for (args, want) in [
        (
            vec!["--map", "examples/lumen", "--system", "nope"],
            "no system `nope`",
        ),
        (
            vec!["--map", "examples/lumen", "--system", "payments"],
            "names its table",
        ),
    ] {
        let mut a = vec!["scan", url.as_str()];
        a.extend(args);
        let (code, _, err) = run(&a);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "{err}");
    }
    let (code, _, err) = run(&[
        "scan",
        "examples/lumen/10-systems.yaml",
        "--map",
        "examples/lumen",
        "--system",
        "shop-crm",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--system checks one database"), "{err}");
    let (code, _, err) = run(&["scan", &url, "--system", "shop-crm"]);
    assert_eq!(code, 2, "{err}");
}

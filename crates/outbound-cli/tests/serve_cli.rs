//! `outbound user`, `outbound token` and `outbound serve` from the command line.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use crate::common::{one_transfer_store, root, run_on_store};

fn with_stdin(store: &std::path::Path, args: &[&str], input: &str) -> (i32, String, String) {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("outbound"))
        .current_dir(root())
        .env("OUTBOUND_STORE", store)
        .env_remove("OUTBOUND_KEYS")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let o = c.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

#[test]
fn token_create_prints_one_token_and_stores_only_its_hash() {
    let d = tempfile::tempdir().unwrap();
    let (_, store) = one_transfer_store(d.path());
    let (code, out, err) = run_on_store(&store, &["user", "add", "eng", "--role", "engineer"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("added account eng (engineer)"), "{out}");
    let (code, token, err) = run_on_store(&store, &["token", "create", "eng"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        token.lines().count(),
        1,
        "stdout is the token and nothing else: {token:?}"
    );
    let token = token.trim();
    assert!(token.starts_with("obt_") && token.len() == 68, "{token}");
    let db = std::fs::read(&store).unwrap();
    let wal = std::fs::read(store.with_extension("db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token itself must never reach the store"
        );
    }
    let (code, _, err) = run_on_store(&store, &["token", "create", "nobody"]);
    assert_ne!(code, 0);
    assert!(err.contains("no account `nobody`"), "{err}");
}

#[test]
fn user_add_refuses_what_it_cannot_honour() {
    let d = tempfile::tempdir().unwrap();
    let (_, store) = one_transfer_store(d.path());
    let (code, _, err) = run_on_store(&store, &["user", "add", "x", "--role", "root"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown role `root`") && err.contains("regulator"),
        "{err}"
    );
    let (code, _, err) = run_on_store(&store, &["user", "add", "r", "--role", "recipient"]);
    assert_ne!(code, 0);
    assert!(err.contains("--recipient"), "{err}");
    let (code, _, err) = run_on_store(&store, &["user", "add", "a b", "--role", "auditor"]);
    assert_ne!(code, 0);
    assert!(err.contains("not an account name"), "{err}");
    let (code, _, err) = with_stdin(
        &store,
        &[
            "user",
            "add",
            "c",
            "--role",
            "compliance",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_ne!(code, 0);
    assert!(err.contains("at least 8"), "{err}");
    let (code, _, err) = with_stdin(
        &store,
        &[
            "user",
            "add",
            "c",
            "--role",
            "compliance",
            "--password-stdin",
        ],
        "long enough\n",
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run_on_store(&store, &["user", "add", "c", "--role", "admin"]);
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
    let (_, list, _) = run_on_store(&store, &["user", "list"]);
    assert!(
        list.contains("compliance") && list.contains("yes"),
        "{list}"
    );
    // Every account change is in the audit log, named after who made it.
    let (code, out, err) = run_on_store(&store, &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

fn get(addr: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, resp)
}

#[test]
fn serve_binds_to_loopback_and_answers_with_the_token() {
    let d = tempfile::tempdir().unwrap();
    let (map, store) = one_transfer_store(d.path());
    run_on_store(&store, &["user", "add", "aud", "--role", "auditor"]);
    let (_, token, _) = run_on_store(&store, &["token", "create", "aud"]);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("outbound"))
        .args([
            "serve",
            "--map",
            map.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
        ])
        .args(["--addr", "127.0.0.1:0", "--as-of", "2026-11-23"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let (s, _) = get(&addr, "/api/v1/transfers", None);
    assert_eq!(s, 401);
    let (s, body) = get(&addr, "/api/v1/transfers/t", Some(token.trim()));
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("\"id\":\"t\""), "{body}");
    let (s, _) = get(&addr, "/login", None);
    assert_eq!(s, 200);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn serve_refuses_a_store_that_does_not_exist() {
    let d = tempfile::tempdir().unwrap();
    let (map, _) = one_transfer_store(d.path());
    let missing = d.path().join("typo.db");
    let (code, _, err) = run_on_store(
        &missing,
        &[
            "serve",
            "--map",
            map.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("no store at"), "{err}");
    assert!(!missing.exists(), "a mistyped store must not be created");
}

#[test]
fn serve_reads_its_scan_sources_and_names_a_bad_line_without_the_password() {
    let d = tempfile::tempdir().unwrap();
    let (map, store) = one_transfer_store(d.path());
    let sources = d.path().join("sources.toml");
    let serve = |sources: &std::path::Path| {
        Command::new(assert_cmd::cargo::cargo_bin("outbound"))
            .args(["serve", "--map", map.to_str().unwrap()])
            .args(["--store", store.to_str().unwrap(), "--addr", "127.0.0.1:0"])
            .arg("--scan-sources")
            .arg(sources)
            .env(
                "CRM_URL",
                format!("sqlite:{}", d.path().join("crm.db").display()),
            )
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    };
    std::fs::write(
        &sources,
        "[[source]]\nid = \"crm\"\nurl = \"https://scanner:hunter22@db.internal/crm\"\n",
    )
    .unwrap();
    let o = serve(&sources).wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{}:3: url: source `crm` is not a database URL",
            sources.display()
        )),
        "{err}"
    );
    assert!(!err.contains("hunter22"), "{err}");
    // A good file: the sources are named as the server starts.
    std::fs::write(
        &sources,
        "[[source]]\nid = \"crm\"\nurl_env = \"CRM_URL\"\n",
    )
    .unwrap();
    let mut child = serve(&sources);
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut named = false;
    loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        named |= line.contains("databases /scans may scan: crm");
        if line.contains("listening on http://") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(named, "the sources were not named");
}

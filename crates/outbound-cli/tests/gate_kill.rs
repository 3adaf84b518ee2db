//! Kill the gate with SIGKILL at random points, again and again; afterwards
//! every batch is either fully recorded with its output fully in place, or
//! neither, the counts match what left, and the audit log verifies. On
//! SQLite and on PostgreSQL, with batches large enough that the gate merges
//! the ledger's runs after them, so kills also land inside merges.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use outbound_store::{Keys, Store};

fn batch(first: u64, n: u64) -> String {
    let mut s = String::from("customer_id,mobile\n");
    for i in first..first + n {
        s.push_str(&format!(
            "C{i:08},1{}{:09}\n",
            3 + i % 7,
            (i * 7919) % 1_000_000_000
        ));
    }
    s
}

fn sha256(p: &Path) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(std::fs::read(p).unwrap());
    hex::encode(h.finalize())
}

/// A deterministic sequence of delays (xorshift), seeded per run so failures can be replayed.
struct Delays(u64);

impl Delays {
    fn next_ms(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % max.max(1)
    }
}

#[test]
fn sigkill_at_random_points_leaves_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (map, store) = crate::common::one_transfer_store(dir.path());
    let keys = outbound_store::keys::default_dir_for(&store);
    kill_loop(dir.path(), &map, store.to_str().unwrap(), &keys);
}

#[test]
fn sigkill_at_random_points_leaves_all_or_nothing_on_postgres() {
    let Some(url) = outbound_store::testing::fresh_postgres_database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let map = d.join("map.yaml");
    std::fs::write(&map, crate::common::ONE_TRANSFER_MAP).unwrap();
    let keys = d.join("keys");
    let init = Command::new(assert_cmd::cargo::cargo_bin("outbound"))
        .args(["store", "init", "--store", &url, "--keys"])
        .arg(&keys)
        .env_remove("OUTBOUND_HASH_KEY")
        .env_remove("OUTBOUND_SIGNING_KEY")
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    kill_loop(d, &map, &url, &keys);
}

/// Two whole runs (the second merges the first's runs with its own), 30
/// runs killed at random points, then one whole run; checks the store.
fn kill_loop(d: &Path, map: &Path, store: &str, keys_dir: &Path) {
    let bin = assert_cmd::cargo::cargo_bin("outbound");
    let gate = |i: u64| {
        let mut c = Command::new(&bin);
        c.args([
            "gate",
            "--map",
            map.to_str().unwrap(),
            "--transfer",
            "t",
            "--as-of",
            "2026-11-23",
            "--store",
            store,
            "--keys",
            keys_dir.to_str().unwrap(),
        ])
        .env_remove("OUTBOUND_HASH_KEY")
        .env_remove("OUTBOUND_SIGNING_KEY")
        .args([
            "--input",
            d.join(format!("in{i}.csv")).to_str().unwrap(),
            "--output",
            d.join(format!("out{i}.csv")).to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
        c
    };
    let rows = 5_000;
    std::fs::write(d.join("in0.csv"), batch(0, rows)).unwrap();
    assert!(gate(0).status().unwrap().success());
    // Time an uninterrupted run that merges (two runs of the same size are
    // due one), to spread the kills over a whole run, its merge included.
    std::fs::write(d.join("in1.csv"), batch(rows, rows)).unwrap();
    let t0 = Instant::now();
    assert!(gate(1).status().unwrap().success());
    let full = t0.elapsed().as_millis() as u64 + 20;
    let seed = 0x5EED_u64 ^ u64::from(std::process::id());
    eprintln!("kill-loop seed {seed}, a full run takes {full} ms");
    let mut delays = Delays(seed | 1);
    let runs = 31;
    for i in 2..=runs {
        std::fs::write(d.join(format!("in{i}.csv")), batch(i * rows, rows)).unwrap();
        let mut child = gate(i).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delays.next_ms(full)));
        let _ = child.kill(); // SIGKILL on Unix.
        let _ = child.wait();
    }
    // The next gate run finishes whatever a killed run committed.
    std::fs::write(
        d.join(format!("in{}.csv", runs + 1)),
        batch((runs + 1) * rows, 1),
    )
    .unwrap();
    assert!(gate(runs + 1).status().unwrap().success());

    let keys = Keys::load(keys_dir).unwrap();
    let s = Store::open(store).unwrap();
    let report = s.audit_verify(&keys).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let batches = s.batches().unwrap();
    let mut recorded_individuals = 0;
    for b in &batches {
        let out = Path::new(b.output.as_deref().unwrap());
        assert!(
            out.exists(),
            "batch {} is recorded but {} is missing",
            b.id,
            out.display()
        );
        assert_eq!(
            sha256(out),
            b.sha256,
            "batch {}: the output is not what was recorded",
            b.id
        );
        assert_eq!(b.state, "done", "batch {}", b.id);
        recorded_individuals += b.individuals;
    }
    let recorded: std::collections::HashSet<String> =
        batches.iter().filter_map(|b| b.output.clone()).collect();
    for i in 0..=runs + 1 {
        let out = d.join(format!("out{i}.csv"));
        assert_eq!(
            out.exists(),
            recorded.contains(out.to_str().unwrap()),
            "out{i}.csv exists iff its batch is recorded"
        );
    }
    // Nothing a killed gate began is left beside the outputs: no partial
    // file, no placeholder written beside its output.
    let left: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".outbound-partial") || n.ends_with(".outbound-claim"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // Every batch holds distinct customers: the ledger's exact count is the sum.
    assert_eq!(
        s.counts(&["e".into()], 2026, 2026).unwrap().individuals,
        recorded_individuals
    );
    // One audit entry per batch; the rest are the merges done after them.
    let entries = s.audit_entries().unwrap();
    assert_eq!(report.entries, entries.len() as u64);
    let kind = |k: &str| entries.iter().filter(|e| e.kind == k).count();
    assert_eq!(batches.len(), kind("batch"), "one audit entry per batch");
    assert_eq!(
        entries.len(),
        kind("batch") + kind("ledger_merged"),
        "only batches and merges"
    );
    assert!(kind("ledger_merged") > 0, "the runs were merged");
    eprintln!(
        "{} of {} killed runs had committed; {} merges",
        batches.len() - 3,
        runs - 1,
        kind("ledger_merged")
    );
}

//! Versioned schema migrations, one list per backend.
//!
//! The two dialects differ only in the binary type (BLOB / BYTEA); each
//! migration is applied in its own transaction and recorded in `meta`.

/// The database behind a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite: one file, the embedded default.
    Sqlite,
    /// PostgreSQL: shared by several gates and servers.
    Postgres,
}

/// The version that adds `ledger_state`, filled from the rows when a store reaches it.
pub(crate) const LEDGER_STATE_VERSION: usize = 3;

/// Migrations in order; the version of each is its position + 1.
pub fn migrations(backend: Backend) -> Vec<String> {
    let blob = match backend {
        Backend::Sqlite => "BLOB",
        Backend::Postgres => "BYTEA",
    };
    let v1 = format!(
        "CREATE TABLE batches (
            id BIGINT PRIMARY KEY,
            transfer TEXT NOT NULL,
            exporter TEXT NOT NULL,
            recipient TEXT NOT NULL,
            at TEXT NOT NULL,
            year BIGINT NOT NULL,
            sha256 TEXT NOT NULL,
            bytes BIGINT NOT NULL,
            records_in BIGINT NOT NULL,
            records_out BIGINT NOT NULL,
            kinds TEXT NOT NULL,
            individuals BIGINT NOT NULL,
            individuals_new BIGINT NOT NULL,
            sensitive BIGINT NOT NULL,
            sensitive_new BIGINT NOT NULL,
            determination TEXT NOT NULL,
            audit_index BIGINT NOT NULL,
            output TEXT,
            state TEXT NOT NULL
        );
        CREATE INDEX batches_exporter_year ON batches (exporter, year);
        CREATE TABLE subjects (
            exporter TEXT NOT NULL,
            year BIGINT NOT NULL,
            subject {blob} NOT NULL,
            sensitive BIGINT NOT NULL,
            first_at TEXT NOT NULL,
            last_at TEXT NOT NULL,
            PRIMARY KEY (exporter, year, subject)
        );
        CREATE TABLE routes (
            transfer TEXT PRIMARY KEY,
            suspended BIGINT NOT NULL,
            reason TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE TABLE consents (
            subject {blob} NOT NULL,
            transfer TEXT NOT NULL,
            granted_at TEXT NOT NULL,
            withdrawn_at TEXT,
            PRIMARY KEY (subject, transfer)
        );
        CREATE TABLE audit_entries (
            idx BIGINT PRIMARY KEY,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            body TEXT NOT NULL,
            leaf_hash {blob} NOT NULL
        );
        CREATE TABLE tree_heads (
            size BIGINT PRIMARY KEY,
            head TEXT NOT NULL
        );"
    );
    // v2: on SQLite the subjects become one B-tree keyed by (exporter, year, subject)
    // instead of a rowid table plus a random-key index (fewer pages touched per insert).
    let v2 = match backend {
        Backend::Sqlite => "CREATE TABLE subjects_v2 (
            exporter TEXT NOT NULL,
            year BIGINT NOT NULL,
            subject BLOB NOT NULL,
            sensitive BIGINT NOT NULL,
            first_at TEXT NOT NULL,
            last_at TEXT NOT NULL,
            PRIMARY KEY (exporter, year, subject)
        ) WITHOUT ROWID;
        INSERT INTO subjects_v2 SELECT exporter, year, subject, sensitive, first_at, last_at FROM subjects;
        DROP TABLE subjects;
        ALTER TABLE subjects_v2 RENAME TO subjects"
            .to_string(),
        Backend::Postgres => String::new(),
    };
    // v3: the ledger's state as incremental digests the audit log commits to
    // (see `state/`); the migration also fills it from the rows.
    let v3 = "CREATE TABLE ledger_state (
            part TEXT PRIMARY KEY,
            rows_n BIGINT NOT NULL,
            sensitive BIGINT NOT NULL,
            digest TEXT NOT NULL
        )"
    .to_string();
    // v4: accounts, API tokens (hashes only), browser sessions and complaints,
    // for the server (see `accounts.rs`).
    let v4 = "CREATE TABLE accounts (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            recipient TEXT,
            password_hash TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE tokens (
            hash TEXT PRIMARY KEY,
            account TEXT NOT NULL REFERENCES accounts (name),
            created_at TEXT NOT NULL
        );
        CREATE TABLE sessions (
            hash TEXT PRIMARY KEY,
            account TEXT NOT NULL REFERENCES accounts (name),
            csrf TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE TABLE complaints (
            tracking TEXT PRIMARY KEY,
            at TEXT NOT NULL,
            text TEXT NOT NULL,
            contact TEXT,
            transfer TEXT
        )"
    .to_string();
    // v5: incidents (`incidents.rs`); v6: recipients' obligations and
    // attestations (`recipients.rs`); v7: which transfers carried whom
    // (`deliveries.rs`); v8: rights requests (`rights.rs`); v9: reviews of
    // recipients (`reviews.rs`); v10: complaint handling (`complaints.rs`);
    // v11: witnesses' cosignatures of the log's checkpoints (`cosign.rs`);
    // v12: compliance snapshots and an association's members (`snapshots.rs`);
    // v13: the witnesses an association trusts for a member (`snapshots.rs`);
    // v14: key sets for the counted subjects and the deliveries (`keyset/`;
    // the rows move on the next batch, `layout.rs`); v15: the parts' LtHash
    // states (`lthash.rs`) and each key set chunk's digest (`keyset/`; the
    // digests move on the next write, `state/`); v16: no table, a promise:
    // every batch also writes the days it carried each person
    // (`["delivery_days", …]` key sets, `deliveries.rs`). A binary before it
    // would carry people without moving their last day, and a rolling window
    // would then count low, so the version keeps such binaries out.
    // v17: on SQLite, each key set chunk's digest stored before its filter
    // and records. SQLite reads a row's columns in order, and a column after
    // a 64 KiB blob is reached only by walking the blob's overflow pages:
    // reading a set's index (first keys and digests: before every batch, for
    // every merge) read every record of the set. The table is rebuilt with
    // the columns in the new order (a one-time copy). PostgreSQL keeps large
    // values out of line, so its order does not matter and it has nothing to do.
    let v17 = match backend {
        Backend::Sqlite => "CREATE TABLE keyset_chunks_v17 (
            set_name TEXT NOT NULL,
            run BIGINT NOT NULL,
            chunk BIGINT NOT NULL,
            first_key BLOB NOT NULL,
            digest BLOB,
            filter BLOB NOT NULL,
            records BLOB NOT NULL,
            PRIMARY KEY (set_name, run, chunk)
        );
        INSERT INTO keyset_chunks_v17 (set_name, run, chunk, first_key, digest, filter, records)
            SELECT set_name, run, chunk, first_key, digest, filter, records FROM keyset_chunks;
        DROP TABLE keyset_chunks;
        ALTER TABLE keyset_chunks_v17 RENAME TO keyset_chunks"
            .to_string(),
        Backend::Postgres => String::new(),
    };
    // v18: each key set run's row keeps its index (every chunk's first key
    // and digest, `keyset/`), read in one row instead of a row a chunk; runs
    // listed before it have none and are read as before. And a promise: new
    // chunks' filters have 32 bits a key (`keyset/filter.rs`), 16-bit ones
    // staying valid until a merge rewrites their chunks; a binary before it
    // would take the new filters for damage.
    let v18 = format!("ALTER TABLE keyset_runs ADD COLUMN chunk_index {blob}");
    // v19: batches by transfer, in order, for the pages of one transfer's
    // batches (the server's list read every batch of every transfer).
    let v19 =
        "CREATE INDEX IF NOT EXISTS batches_transfer_id ON batches (transfer, id)".to_string();
    // v20: rights requests by number and complaints by time, the orders
    // their lists are paged in, so that a page walks an index and stops.
    let v20 =
        "CREATE INDEX IF NOT EXISTS rights_requests_number ON rights_requests ((LENGTH(id)), id);
        CREATE INDEX IF NOT EXISTS complaints_newest ON complaints (at DESC, tracking)"
            .to_string();
    // v21: audit entries by kind, so that the server lists the newest
    // database scans (`database_scanned`) without reading the whole log.
    let v21 =
        "CREATE INDEX IF NOT EXISTS audit_entries_kind ON audit_entries (kind, idx)".to_string();
    let v15 = format!(
        "CREATE TABLE ledger_lthash (
            part TEXT PRIMARY KEY,
            state {blob} NOT NULL
        );
        ALTER TABLE keyset_chunks ADD COLUMN digest {blob}"
    );
    vec![
        v1,
        v2,
        v3,
        v4,
        crate::incidents::migration(backend),
        crate::recipients::migration(backend),
        crate::deliveries::migration(backend),
        crate::rights::migration(backend),
        crate::reviews::migration(backend),
        crate::complaints::migration(backend),
        crate::cosign::migration(backend),
        crate::snapshots::migration(backend),
        crate::snapshots::migration_v13(backend),
        crate::keyset::migration(backend),
        v15,
        String::new(),
        v17,
        v18,
        v19,
        v20,
        v21,
    ]
}

//! The ledger and the audit log: where the store is (`StoreOpts`, shared by
//! every command that opens it), `outbound store init`, and one module per
//! command group that works on it (`route`, `consent`, `audit`).

pub(crate) mod audit;
pub(crate) mod consent;
pub(crate) mod route;

use crate::output::outln;
use std::path::{Path, PathBuf};

use outbound_store::signed_head::format_verifying_key;
use outbound_store::{Keys, Store, default_location, is_postgres, keys::default_dir_for};

/// Where the store is and where its keys are.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct StoreOpts {
    /// The store: a SQLite file path or a `postgres://` URL. Default: `$OUTBOUND_STORE`, else ~/.local/share/outbound/store.db.
    #[arg(long, env = "OUTBOUND_STORE")]
    pub(crate) store: Option<String>,
    /// Directory of the store's keys. Default: beside a SQLite file (`store.db.keys`); required for PostgreSQL
    /// unless OUTBOUND_HASH_KEY and OUTBOUND_SIGNING_KEY are set.
    #[arg(long, env = "OUTBOUND_KEYS")]
    pub(crate) keys: Option<PathBuf>,
}

impl StoreOpts {
    fn location(&self) -> String {
        self.store.clone().unwrap_or_else(default_location)
    }
    fn keys_dir(&self) -> anyhow::Result<PathBuf> {
        if let Some(k) = &self.keys {
            return Ok(k.clone());
        }
        let loc = self.location();
        if is_postgres(&loc) {
            if std::env::var_os("OUTBOUND_HASH_KEY").is_some() {
                return Ok(PathBuf::from("/nonexistent"));
            }
            anyhow::bail!(
                "a PostgreSQL store needs --keys DIR (or OUTBOUND_HASH_KEY and OUTBOUND_SIGNING_KEY)"
            );
        }
        Ok(default_dir_for(Path::new(&loc)))
    }
    /// Opens the store and loads its keys.
    pub(crate) fn open(&self) -> anyhow::Result<(Store, Keys)> {
        let dir = self.keys_dir()?;
        let loc = self.location();
        let store = crate::common::open_existing_store(&loc)?;
        let keys = Keys::load(&dir)?;
        Ok((store, keys))
    }
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum StoreCmd {
    /// Create a store (SQLite file or PostgreSQL schema) and its keys.
    Init(StoreOpts),
}

pub(crate) fn run(cmd: &StoreCmd) -> anyhow::Result<u8> {
    match cmd {
        StoreCmd::Init(o) => {
            let loc = o.location();
            let dir = o.keys_dir()?;
            let in_env = ["OUTBOUND_HASH_KEY", "OUTBOUND_SIGNING_KEY"]
                .iter()
                .any(|v| std::env::var_os(v).is_some());
            let store = Store::open(&loc)?;
            let keys = if in_env
                || dir.join("hash.key").exists()
                || dir.join("signing.key").exists()
            {
                eprintln!("keys already exist; keeping them");
                Keys::load(&dir)?
            } else if store.holds_data()? {
                // New keys would leave the log unverifiable and the consents unmatched for ever.
                anyhow::bail!(
                    "the store {} already holds an audit log or counted individuals, but its keys are missing from {}; \
                     restore its hash.key and signing.key there (owner-only, chmod 600), or set OUTBOUND_HASH_KEY and \
                     OUTBOUND_SIGNING_KEY; `store init` never makes new keys for a store in use",
                    store.location,
                    dir.display()
                );
            } else {
                Keys::create(&dir)?
            };
            outln!(
                "store: {} (schema version {})",
                store.location,
                store.schema_version()?
            )?;
            outln!("keys: {} (owner-only files; never printed)", dir.display())?;
            outln!(
                "audit log public key: {}",
                format_verifying_key(&keys.verifying())
            )?;
            Ok(0)
        }
    }
}

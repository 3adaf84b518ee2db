//! `outbound consent import|withdraw`: separate consents, kept as subject hashes.

use crate::output::outln;
use std::path::PathBuf;

use anyhow::Context;
use jiff::civil::Date;
use outbound_store::ConsentRecord;

use super::StoreOpts;
use crate::common::today;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum ConsentCmd {
    /// Import separate consents from a CSV file: subject,transfer,granted_at[,withdrawn_at].
    ///
    /// Subjects are hashed with the store's key on import; the file's identifiers are never stored.
    Import {
        /// The CSV file.
        file: PathBuf,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Withdraw a subject's consent (for one transfer, or all).
    Withdraw {
        /// The subject's identifier (as in the subject-key field).
        subject: String,
        /// Only this transfer.
        #[arg(long)]
        transfer: Option<String>,
        #[command(flatten)]
        store: StoreOpts,
    },
}

pub(crate) fn run(cmd: &ConsentCmd) -> anyhow::Result<u8> {
    match cmd {
        ConsentCmd::Import { file, store } => {
            let (s, k) = store.open()?;
            let name = file.display().to_string();
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_path(file)
                .with_context(|| format!("cannot read {name}"))?;
            let mut recs = Vec::new();
            for (i, row) in rdr.records().enumerate() {
                let line = i + 2;
                let row = match row {
                    Ok(r) => r,
                    Err(_) => {
                        eprintln!("error: {name}:{line}: malformed CSV record");
                        return Ok(2);
                    }
                };
                let get = |j: usize| row.get(j).map(str::trim).unwrap_or("");
                let (subject, transfer, granted) = (get(0), get(1), get(2));
                if subject.is_empty() || transfer.is_empty() {
                    eprintln!("error: {name}:{line}: subject and transfer are required");
                    return Ok(2);
                }
                for (field, v) in [("granted_at", granted), ("withdrawn_at", get(3))] {
                    if !(v.is_empty() && field == "withdrawn_at")
                        && v.get(..10).and_then(|d| d.parse::<Date>().ok()).is_none()
                    {
                        eprintln!("error: {name}:{line}: {field}: not a date (YYYY-MM-DD)");
                        return Ok(2);
                    }
                }
                recs.push(ConsentRecord {
                    subject: k.subject_hash(outbound_gate::normalize_subject(subject).as_bytes()),
                    transfer: transfer.into(),
                    granted_at: granted.into(),
                    withdrawn_at: Some(get(3)).filter(|w| !w.is_empty()).map(String::from),
                });
            }
            let idx = s.consent_import(&k, &recs, &name)?;
            // The index's new run merged with its like, in its own transaction.
            s.merge_runs(&k)?;
            outln!(
                "imported {} consent records (audit entry {idx})",
                recs.len()
            )?;
            Ok(0)
        }
        ConsentCmd::Withdraw {
            subject,
            transfer,
            store,
        } => {
            let (s, k) = store.open()?;
            let n = s.consent_withdraw(
                &k,
                k.subject_hash(outbound_gate::normalize_subject(subject).as_bytes()),
                transfer.as_deref(),
                &today().to_string(),
            )?;
            s.merge_runs(&k)?;
            outln!("withdrew {n} consent(s)")?;
            Ok(0)
        }
    }
}

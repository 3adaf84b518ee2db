//! The counting half of a run (see the parent module): subject hashes, the
//! consent filter, the counts, and what leaves.

use std::io::Write;

use outbound_scan::KIND_COUNT;
use outbound_scan::distinct::DistinctSet;
use outbound_store::{Keys, Subject};

use super::{Overflow, Pending, PendingBatch, bump};
use crate::GateError;
use crate::consent_set::SubjectSet;

/// The counting half of a run: subject hashes, the consent filter, the
/// counts, and what leaves.
pub(crate) struct Count<'a> {
    consent: Option<SubjectSet>,
    pub(crate) keys: &'a Keys,
    pub(crate) subjects: Vec<Subject>,
    /// Distinct identifying values per kind in the records that leave, as
    /// keyed 64-bit hashes (only with a declared subject key).
    pub(super) identifiers: Option<[DistinctSet; KIND_COUNT]>,
    pub(crate) records_in: u64,
    pub(crate) records_out: u64,
    pub(crate) dropped_no_consent: u64,
    /// Per batch: the subject hashes and the consent answers (reused).
    hashes: Vec<[u8; 16]>,
    consented: Vec<bool>,
}

impl<'a> Count<'a> {
    /// Nothing counted yet; `consent` is the consented subjects when the
    /// basis is consent, `subject_key` whether identifiers are collected
    /// for the subject-key check.
    pub(super) fn new(consent: Option<SubjectSet>, keys: &'a Keys, subject_key: bool) -> Self {
        Count {
            consent,
            keys,
            subjects: Vec::new(),
            identifiers: subject_key.then(|| std::array::from_fn(|_| DistinctSet::default())),
            records_in: 0,
            records_out: 0,
            dropped_no_consent: 0,
            hashes: Vec::new(),
            consented: Vec::new(),
        }
    }

    /// Decides consent for every record of `batch`, collects the subjects,
    /// and writes the records that leave to `out`, in order.
    pub(crate) fn take<W: Write + ?Sized>(
        &mut self,
        batch: &PendingBatch,
        out: &mut W,
        name: &str,
    ) -> Result<(), GateError> {
        let overflow = |o: Overflow, line: u64| GateError::Input {
            file: name.into(),
            line,
            message: format!("the count of {} overflows", o.0),
        };
        // Every subject hash first, then every consent look-up: independent
        // of each other, so the cache misses of a large consent set overlap.
        let mut hashes = std::mem::take(&mut self.hashes);
        hashes.clear();
        let mut anonymous = Vec::new();
        hashes.extend(batch.records.iter().enumerate().map(|(i, p)| {
            if let Some(h) = p.hash {
                return h;
            }
            let id = p.id.map(|(a, b)| &batch.ids[a..b]);
            match id {
                Some(id) if !id.is_empty() => self.keys.subject_hash(id.as_bytes()),
                // No identifier at all: count the record as its own individual
                // (errs on the safe side). Named in a buffer reused, not a
                // string a record.
                _ => {
                    anonymous.clear();
                    // Writing to a Vec cannot fail.
                    let _ = write!(
                        anonymous,
                        "outbound-anonymous-record\0{}\0{}",
                        p.line,
                        self.records_in.wrapping_add(i as u64 + 1)
                    );
                    self.keys.subject_hash(&anonymous)
                }
            }
        }));
        let mut consented = std::mem::take(&mut self.consented);
        consented.clear();
        if let Some(c) = &self.consent {
            consented.extend(hashes.iter().map(|h| c.contains(h)));
        }
        // Consecutive records that leave are written in one piece.
        let mut run: Option<(usize, usize)> = None;
        for (i, p) in batch.records.iter().enumerate() {
            let keep = self
                .end_record(hashes[i], p, consented.get(i).copied(), batch)
                .map_err(|o| overflow(o, p.line))?;
            run = match (run, keep) {
                (Some((a, b)), true) if b == p.out.0 => Some((a, p.out.1)),
                (Some((a, b)), _) => {
                    out.write_all(&batch.out[a..b])
                        .map_err(|e| GateError::Output(e.to_string()))?;
                    keep.then_some(p.out)
                }
                (None, k) => k.then_some(p.out),
            };
        }
        if let Some((a, b)) = run {
            out.write_all(&batch.out[a..b])
                .map_err(|e| GateError::Output(e.to_string()))?;
        }
        self.hashes = hashes;
        self.consented = consented;
        Ok(())
    }

    /// Ends one record with its subject hash and, when the basis is
    /// consent, whether its subject consented: decides consent, collects the
    /// subject and its identifiers. Returns whether to write it.
    fn end_record(
        &mut self,
        hash: [u8; 16],
        p: &Pending,
        consented: Option<bool>,
        batch: &PendingBatch,
    ) -> Result<bool, Overflow> {
        bump(&mut self.records_in, || "records read".into())?;
        if self.consent.is_some() && consented != Some(true) {
            bump(&mut self.dropped_no_consent, || {
                "records dropped without consent".into()
            })?;
            return Ok(false);
        }
        bump(&mut self.records_out, || "records written".into())?;
        self.subjects.push(Subject {
            hash,
            sensitive: p.sensitive,
        });
        if let Some(sets) = &mut self.identifiers {
            for &(k, h) in &batch.identifiers[p.identifiers.0..p.identifiers.1] {
                sets[k as usize].insert(h);
            }
        }
        Ok(true)
    }
}

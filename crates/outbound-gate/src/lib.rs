//! The gate: every outbound batch passes through it.
//!
//! In one streaming pass over a batch (CSV with a header, or JSON lines) it
//! scans every value, enforces the transfer's declaration (undeclared fields
//! or kinds: fail, drop or mask), drops records whose subject has no valid
//! separate consent where consent is the basis, applies the declared
//! transforms, and collects the keyed hashes of the subjects. Then it asks the
//! ledger for the counts this batch would produce, re-evaluates the
//! determination with them, and either commits the batch (ledger record and
//! audit entry in one transaction, output renamed into place) or refuses it,
//! writing and counting nothing.
//!
//! Crash safety: the output is written to a partial file of the batch's own
//! (`OUTPUT.<tag>-<random>.outbound-partial`, exclusive, owner-only, locked
//! while the gate lives), with `OUTPUT` claimed by a placeholder so that two
//! gates never share an output; the partial file is fsynced before the
//! transaction and renamed over the placeholder after the commit. A gate
//! killed between the two leaves a committed batch whose output waits under
//! the partial name; the next gate run finishes the rename ([`recover`]). A
//! gate killed before the commit leaves nothing recorded, and the next run
//! removes what it wrote.
//!
//! Input: the gate reads through the scanner's readers
//! ([`outbound_scan::records`]), so it passes what `outbound scan` reads:
//! gzip or zstd, UTF-8, UTF-16 with a byte order mark, or GB18030 (sniffed
//! as the scanner sniffs it), CSV/TSV with a header or JSON lines, split
//! into records by the same code. The scanner's rule for which categories
//! cover which kinds (`compare::covers`) and its order of identifying kinds
//! ([`outbound_scan::SUBJECT_KINDS`]) are the gate's too.
//!
//! Output: UTF-8 always. An input in another encoding is transcoded, and
//! the report says so ([`Stored::transcoded`]). The output is written
//! gzip-compressed (level 1) when its name ends in `.gz`, plain otherwise,
//! whatever the input was; the SHA-256 in the ledger is that of the file as
//! written. For a plain UTF-8 input the output is byte for byte what
//! earlier versions wrote (tests pin it).
//!
//! Cores: the pass has two halves, the policy (read, scan, enforce,
//! transform; for CSV the subject hash too) and the count (consent filter,
//! counting, writing). On one core they alternate batch by batch; on two or more a
//! reader splits records, two workers run the policy on alternate batches
//! and the count takes their results in batch order, so the output, the
//! counts and the first error are the same whatever the cores. Memory is
//! bounded by a few batches in flight (about 1 MiB or 4,096 records each)
//! plus 16 bytes per subject of the batch (and the consent set); it does
//! not grow with the ledger.
//!
//! [`run`] reads as those steps, one module each: `policy` (declarations,
//! undeclared data, consent), `formats` (the pass over CSV or JSON lines),
//! `output` (partial file, fsync, rename, recovery), `decision` (the
//! determination with the batch's counts) and `record` (the ledger transaction
//! and what becomes of the output).

mod consent_set;
mod decision;
mod formats;
pub mod ledger;
mod output;
mod policy;
mod record;
pub mod sample;
pub mod transform;

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::civil::Date;
use outbound_model::{DataMap, Exporter, Transfer};
use outbound_rules::Determination;
use outbound_store::{BatchCounts, Keys, Store};

pub use output::recover;
pub use policy::normalize_subject;

/// Where a batch comes from or goes to.
#[derive(Clone, Debug)]
pub enum Io {
    /// A file.
    Path(PathBuf),
    /// Standard input or output (`-`).
    Std,
}

impl Io {
    /// `-` means standard input/output.
    pub fn parse(s: &str) -> Io {
        if s == "-" {
            Io::Std
        } else {
            Io::Path(PathBuf::from(s))
        }
    }
    fn name(&self) -> String {
        match self {
            Io::Path(p) => p.display().to_string(),
            Io::Std => "-".into(),
        }
    }
}

/// The record format of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// CSV with a header row (TSV when the file ends in `.tsv`).
    Csv,
    /// One JSON object per line; fields are dotted key paths.
    Jsonl,
}

/// One gate run.
#[derive(Clone, Debug)]
pub struct GateRequest {
    /// Transfer id in the map.
    pub transfer: String,
    /// Input.
    pub input: Io,
    /// Output.
    pub output: Io,
    /// Record format; sniffed when absent.
    pub format: Option<Format>,
    /// The date the transfer is judged at.
    pub as_of: Date,
    /// Report everything, change nothing.
    pub dry_run: bool,
    /// Count the exporter's group together (anti-splitting).
    pub count_group: bool,
}

/// What happened to the batch.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// Written and recorded.
    Passed {
        /// Ledger batch id.
        batch: u64,
        /// Audit log index.
        audit_index: u64,
        /// Where the output went.
        output: String,
    },
    /// Nothing written, nothing counted.
    Refused {
        /// Why, with the article.
        reason: String,
    },
    /// A dry run: nothing written, nothing counted.
    DryRun,
}

/// The summary of a gate run. Holds field names, kinds and counts, never values.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GateReport {
    /// Transfer id.
    pub transfer: String,
    /// Exporter id.
    pub exporter: String,
    /// Recipient id.
    pub recipient: String,
    /// Record format.
    pub format: Format,
    /// Records read.
    pub records_in: u64,
    /// Records written.
    pub records_out: u64,
    /// Records dropped for lack of a valid separate consent.
    pub dropped_no_consent: u64,
    /// Values masked because their field or kind was undeclared (policy `mask`).
    pub masked_undeclared: u64,
    /// Values changed per declared transform, by field.
    pub transformed: BTreeMap<String, u64>,
    /// Fields present in the batch that the transfer does not declare.
    pub undeclared_fields: Vec<String>,
    /// (field, kind) pairs found that the field's category does not cover.
    pub undeclared_kinds: Vec<(String, String)>,
    /// Validated values found, per kind.
    pub kinds: BTreeMap<String, u64>,
    /// Matches per kind set aside because their field's `not_kinds` says it
    /// matches that kind only by chance: not in `kinds`, counting nobody.
    pub set_aside: BTreeMap<String, u64>,
    /// The subject key used for counting.
    pub subject_key: String,
    /// The counts: in the batch, new this year, and cumulative.
    pub counts: BatchCounts,
    /// The determinations the batch was judged under.
    pub determinations: Vec<Determination>,
    /// The subject key's distinct values against the identifiers' in the same
    /// records, when the key would undercount individuals (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_key_check: Option<SubjectKeyCheck>,
    /// How the input was stored and how the output is: compression and
    /// text encoding. Absent from the JSON for a plain UTF-8 input and output.
    #[serde(flatten)]
    pub stored: Stored,
    /// SHA-256 of what left (hex): of the file as written, gzip or not.
    pub sha256: String,
    /// Bytes written.
    pub bytes: u64,
    /// The result.
    pub outcome: Outcome,
}

/// How a batch was stored on the way in and out.
///
/// The gate reads what `outbound scan` reads: gzip or zstd, and UTF-8,
/// UTF-16 (with a byte order mark) or GB18030 text. The output is written
/// gzip-compressed when its name ends in `.gz` (whatever the input was) and
/// plain otherwise. Text is always written as UTF-8: an input in another
/// encoding is transcoded, and the report says so (`transcoded`), because
/// the recipient receives other bytes than the exporter's file held. In
/// GB18030 or UTF-16 input a malformed sequence becomes U+FFFD, as in the
/// scanner.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Stored {
    /// `gzip` or `zstd` when the input was compressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_compression: Option<String>,
    /// The input's text encoding (`utf-8`, `UTF-16LE`, `UTF-16BE`, `gb18030`).
    #[serde(skip_serializing_if = "is_utf8")]
    pub input_encoding: String,
    /// `gzip` when the output was compressed (its name ends in `.gz`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_compression: Option<String>,
    /// Set when the input was not UTF-8: the output is UTF-8 all the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcoded: Option<String>,
}

fn is_utf8(e: &str) -> bool {
    e.is_empty() || e == "utf-8"
}

/// A subject key that counts far fewer individuals than an identifier in the same
/// records shows (one customer id over 1,000 mobile numbers): counting by it would
/// fail open, so the batch is refused.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SubjectKeyCheck {
    /// The declared subject key (a field name from the data map).
    pub key: String,
    /// Its distinct values in the records that would leave.
    pub key_distinct: u64,
    /// The identifying kind with the most distinct values.
    pub identifier: String,
    /// That kind's distinct values in the same records.
    pub identifier_distinct: u64,
    /// What the gate did: `refuse` (the fail-closed default; a `warn` needs a data-map policy field).
    pub action: String,
}

/// Why the gate could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// The input could not be read or parsed; `line` is 1-based, 0 when unknown.
    #[error("{file}:{line}: {message}")]
    Input {
        /// The input name.
        file: String,
        /// Line.
        line: u64,
        /// What is wrong (never a value from the data).
        message: String,
    },
    /// The output could not be written.
    #[error("{0}")]
    Output(String),
    /// The map does not allow the request.
    #[error("{0}")]
    Map(String),
    /// The batch is recorded (counted, in the audit log) but its output did not
    /// fully arrive where it was going.
    #[error("batch {batch} is recorded (counted and in the audit log), but {message}")]
    Delivery {
        /// The ledger batch id.
        batch: u64,
        /// What became of the output.
        message: String,
    },
    /// The batch passed and is recorded, its output in place, but merging the
    /// ledger's runs afterwards failed (see `Store::merge_runs`): the next
    /// batch checks the same runs and refuses what does not match the log.
    #[error(
        "batch {batch} passed and is recorded, its output in place, but merging the ledger's runs afterwards failed"
    )]
    Merge {
        /// The ledger batch id.
        batch: u64,
        /// Why the merge failed.
        #[source]
        source: outbound_store::StoreError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] outbound_store::StoreError),
}

/// Runs the gate on one batch.
pub fn run(
    map: &DataMap,
    store: &Store,
    keys: &Keys,
    req: &GateRequest,
) -> Result<GateReport, GateError> {
    let t = map
        .transfer(&req.transfer)
        .ok_or_else(|| GateError::Map(format!("no transfer `{}` in the data map", req.transfer)))?;
    let exporter = map
        .exporter(&t.exporter)
        .ok_or_else(|| GateError::Map(format!("transfer {} names an unknown exporter", t.id)))?;
    let declarations = policy::Declarations::of(map, t);
    let here = match &req.output {
        Io::Path(p) => Some(p.as_path()),
        Io::Std => None,
    };
    recover(store, keys, here)?;
    let mut consent = policy::consent(store, t, req.as_of)?;
    let subjects = consent
        .as_mut()
        .map(|c| c.take_subjects().into_iter().collect());
    let mut run = policy::Run::new(declarations, t.gate.undeclared, subjects, keys);

    // One pass: read, apply the policy, write to the partial output. The
    // output is claimed first: opening the input reads its first 64 KiB to
    // sniff it, which waits on a slow pipe, and a gate killed meanwhile
    // leaves a partial file of its own for the next run to remove.
    let partial = output::Partial::create(&req.output, keys)?;
    let source = formats::open(&req.input, req.format)?;
    let format = source.format;
    let stored = Stored {
        input_compression: source.compression.map(str::to_string),
        input_encoding: source.encoding.to_string(),
        output_compression: None,
        transcoded: (source.encoding != "utf-8").then(|| {
            format!(
                "the input was {}; it was transcoded and the output is UTF-8",
                source.encoding
            )
        }),
    };
    let mut sink = output::Sink::new(partial, &req.output);
    let stored = Stored {
        output_compression: sink.compression().map(str::to_string),
        ..stored
    };
    if let Err(e) = formats::process(&mut run, source, &mut sink, &req.input) {
        sink.discard();
        return Err(e);
    }
    let written = sink.finish()?;
    let mut report = report(t, exporter, format, &run, &written);
    report.stored = stored;
    // A field name that is personal data first: nothing else about the batch may name it.
    if let Some(reason) = run.policy.name_refused() {
        written.discard();
        report.outcome = Outcome::Refused { reason };
        return Ok(report);
    }
    // Core data leaves under no route (DSL Art. 21): refused, nothing written or counted.
    if let Some(reason) = outbound_rules::grade::core_refusal(map, t) {
        written.discard();
        report.outcome = Outcome::Refused { reason };
        return Ok(report);
    }
    if run.count.records_in == 0 {
        written.discard();
        return Err(GateError::Input {
            file: req.input.name(),
            line: 0,
            message: "the input holds no records (an empty input is not a batch)".into(),
        });
    }
    if let Some(reason) = run.policy.undeclared_refusal() {
        written.discard();
        report.outcome = Outcome::Refused { reason };
        return Ok(report);
    }
    if let Some(reason) = run.policy.transform_refusal.take() {
        written.discard();
        report.outcome = Outcome::Refused { reason };
        return Ok(report);
    }
    if let Some(check) = run.subject_key_check() {
        written.discard();
        report.outcome = Outcome::Refused {
            reason: format!(
                "the subject key `{}` has {} distinct values in this batch but the same records hold {} distinct {} values: counting individuals by the key would undercount them (refused: the fail-closed default)",
                check.key,
                outbound_rules::format::thousands(check.key_distinct),
                outbound_rules::format::thousands(check.identifier_distinct),
                check.identifier
            ),
        };
        report.subject_key_check = Some(check);
        return Ok(report);
    }

    // Counting and the determination, in one transaction with the ledger record.
    let judged = record::record(
        map,
        store,
        keys,
        req,
        (t, exporter),
        (&run, consent.as_ref()),
        written,
    )?;
    report.counts = judged.counts;
    report.determinations = judged.determinations;
    report.outcome = judged.outcome;
    // The batch merged no runs in its transaction (its time stays the same
    // whatever the ledger's size); the merges due are done now, each in a
    // transaction of its own, once the output is in place.
    if let Outcome::Passed { batch, .. } = &report.outcome {
        store.merge_runs(keys).map_err(|source| GateError::Merge {
            batch: *batch,
            source,
        })?;
    }
    Ok(report)
}

/// For tests and benchmarks: `Some(1)` runs the pass on one thread,
/// `Some(2)` on two (reading, scanning and transforming on one; hashing,
/// consent, counting and writing on the other), `None` as the cores allow.
/// The output is the same either way.
#[doc(hidden)]
pub fn set_threads(threads: Option<usize>) {
    let n = match threads {
        Some(1) => 1,
        Some(_) => 2,
        None => 0,
    };
    formats::THREADS.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// The gate's pass alone, for benchmarks that tell the pass from the ledger:
/// read, scan, policy, consent filter (`consent`: the consented subject
/// hashes, or `None` when the basis is not consent), transforms, subject
/// hashes and the output written to `out`; no store, no recovery, no
/// determination. Returns (records read, records written, subjects kept).
#[doc(hidden)]
pub fn pass_only(
    map: &DataMap,
    keys: &Keys,
    transfer: &str,
    input: &Io,
    consent: Option<std::collections::HashSet<[u8; 16]>>,
    out: &mut dyn std::io::Write,
) -> Result<(u64, u64, usize), GateError> {
    let t = map
        .transfer(transfer)
        .ok_or_else(|| GateError::Map(format!("no transfer `{transfer}` in the data map")))?;
    let declarations = policy::Declarations::of(map, t);
    let consent = consent.map(|c| c.into_iter().collect());
    let mut run = policy::Run::new(declarations, t.gate.undeclared, consent, keys);
    let source = formats::open(input, None)?;
    formats::process(&mut run, source, out, input)?;
    Ok((
        run.count.records_in,
        run.count.records_out,
        run.count.subjects.len(),
    ))
}

/// The report of what the pass found, before the ledger has counted or judged it.
fn report(
    t: &Transfer,
    exporter: &Exporter,
    format: Format,
    run: &policy::Run<'_>,
    written: &output::Written,
) -> GateReport {
    GateReport {
        transfer: t.id.clone(),
        exporter: exporter.id.clone(),
        recipient: t.recipient.clone(),
        format,
        records_in: run.count.records_in,
        records_out: run.count.records_out,
        dropped_no_consent: run.count.dropped_no_consent,
        masked_undeclared: run.policy.masked_undeclared,
        transformed: run.policy.transformed(),
        undeclared_fields: run.policy.undeclared_fields.iter().cloned().collect(),
        undeclared_kinds: run.policy.undeclared_kinds.iter().cloned().collect(),
        kinds: run.policy.kinds(),
        set_aside: run.policy.set_aside(),
        subject_key: run.policy.subject_field.clone().unwrap_or_else(|| {
            "strongest identifier per record (resident ID, mobile, e-mail)".into()
        }),
        counts: BatchCounts::default(),
        determinations: Vec::new(),
        subject_key_check: None,
        stored: Stored::default(),
        sha256: written.sha256.clone(),
        bytes: written.bytes,
        outcome: Outcome::DryRun,
    }
}

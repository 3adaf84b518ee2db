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
//! Crash safety: the output is written to `OUTPUT.outbound-partial` and
//! fsynced before the transaction; after the commit it is renamed into place.
//! A gate killed between the two leaves a committed batch whose output waits
//! under the partial name; the next gate run finishes the rename
//! ([`recover`]). A gate killed before the commit leaves nothing recorded and
//! no output.

pub mod sample;
pub mod transform;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use outbound_model::{DataMap, LegalBasis, Taxonomy, Transform, UndeclaredPolicy};
use outbound_rules::Determination;
use outbound_rules::assess::{CountSource, facts_for_map};
use outbound_scan::{Hints, Kind};
use outbound_store::{BatchCounts, BatchRecord, Keys, Recorded, Store, Subject};
use sha2::Digest;

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
    /// The subject key used for counting.
    pub subject_key: String,
    /// The counts: in the batch, new this year, and cumulative.
    pub counts: BatchCounts,
    /// The determinations the batch was judged under.
    pub determinations: Vec<Determination>,
    /// SHA-256 of what left (hex).
    pub sha256: String,
    /// Bytes written.
    pub bytes: u64,
    /// The result.
    pub outcome: Outcome,
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
    /// The store failed.
    #[error(transparent)]
    Store(#[from] outbound_store::StoreError),
}

/// Finishes the outputs of batches committed by a gate that was killed before renaming them.
pub fn recover(store: &Store) -> Result<Vec<String>, GateError> {
    let mut done = Vec::new();
    for (id, output, sha) in store.pending_outputs()? {
        let out = PathBuf::from(&output);
        let partial = partial_path(&out);
        if out.exists() && file_sha256(&out).as_deref() == Some(sha.as_str()) {
            store.mark_output_done(id)?;
        } else if partial.exists() && file_sha256(&partial).as_deref() == Some(sha.as_str()) {
            std::fs::rename(&partial, &out).map_err(|e| {
                GateError::Output(format!("cannot move {} into place: {e}", partial.display()))
            })?;
            sync_parent(&out);
            store.mark_output_done(id)?;
            done.push(output);
        }
    }
    Ok(done)
}

fn partial_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".outbound-partial");
    PathBuf::from(s)
}

fn file_sha256(p: &Path) -> Option<String> {
    let mut f = std::fs::File::open(p).ok()?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Some(hex::encode(h.finalize()))
}

fn sync_parent(p: &Path) {
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// A writer that hashes and counts what passes through.
struct Tee<W: Write> {
    inner: W,
    hash: sha2::Sha256,
    bytes: u64,
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What the gate knows about one declared field.
struct Declared {
    transform: Option<Transform>,
    sensitive: bool,
    allowed_kinds: HashSet<Kind>,
}

/// Per-run state shared by both formats.
struct Run<'a> {
    declared: HashMap<String, Declared>,
    policy: UndeclaredPolicy,
    subject_field: Option<String>,
    token_key: Vec<u8>,
    consent: Option<HashSet<[u8; 16]>>,
    keys: &'a Keys,
    kinds: BTreeMap<String, u64>,
    undeclared_fields: BTreeSet<String>,
    undeclared_kinds: BTreeSet<(String, String)>,
    transformed: BTreeMap<String, u64>,
    masked_undeclared: u64,
    subjects: Vec<Subject>,
    hints: HashMap<String, Hints>,
    records_in: u64,
    records_out: u64,
    dropped_no_consent: u64,
}

/// The outcome of one value.
enum Value {
    Keep(String),
    Drop,
}

impl Run<'_> {
    fn fail_policy_hit(&self) -> bool {
        self.policy == UndeclaredPolicy::Fail
            && (!self.undeclared_fields.is_empty() || !self.undeclared_kinds.is_empty())
    }

    /// Processes one value of a field; returns what to write and notes what was found.
    fn value(&mut self, field: &str, v: &str, rec: &mut RecordState) -> Value {
        // Header hints are the same for every value of a field: work them out once.
        let hints = match self.hints.get(field) {
            Some(h) => *h,
            None => {
                let h = Hints::from_header(field);
                self.hints.insert(field.to_string(), h);
                h
            }
        };
        let mut found: Vec<Kind> = Vec::new();
        outbound_scan::detect::scan_value(v.as_bytes(), hints, &mut |k, _, _| found.push(k));
        for k in &found {
            *self.kinds.entry(k.as_str().to_string()).or_default() += 1;
            if k.is_sensitive() {
                rec.sensitive = true;
            }
            if rec
                .strongest
                .as_ref()
                .is_none_or(|(sk, _)| strength(*k) > strength(*sk))
                && strength(*k) > 0
            {
                rec.strongest = Some((*k, v.trim().to_string()));
            }
        }
        let first = found.first().copied();
        let Some(d) = self.declared.get(field) else {
            self.undeclared_fields.insert(field.to_string());
            return match self.policy {
                UndeclaredPolicy::Drop => Value::Drop,
                UndeclaredPolicy::Mask => {
                    self.masked_undeclared += 1;
                    Value::Keep(outbound_scan::mask(first.unwrap_or(Kind::CnPassport), v))
                }
                UndeclaredPolicy::Fail => Value::Keep(String::new()),
            };
        };
        if d.sensitive && !v.trim().is_empty() {
            rec.sensitive = true;
        }
        if self.subject_field.as_deref() == Some(field) {
            rec.subject = Some(normalize_subject(v));
        }
        let stray: Vec<Kind> = found
            .iter()
            .copied()
            .filter(|k| k.category().is_some() && !d.allowed_kinds.contains(k))
            .collect();
        let transform = d.transform;
        if !stray.is_empty() {
            for k in &stray {
                self.undeclared_kinds
                    .insert((field.to_string(), k.as_str().to_string()));
            }
            match self.policy {
                UndeclaredPolicy::Drop => return Value::Drop,
                UndeclaredPolicy::Mask => {
                    self.masked_undeclared += 1;
                    return Value::Keep(outbound_scan::mask(stray[0], v));
                }
                UndeclaredPolicy::Fail => {}
            }
        }
        match transform {
            Some(t) => {
                *self.transformed.entry(field.to_string()).or_default() += 1;
                match transform::apply(t, v, first, &self.token_key) {
                    Some(s) => Value::Keep(s),
                    None => Value::Drop,
                }
            }
            None => Value::Keep(v.to_string()),
        }
    }

    /// Ends a record: decides consent, collects the subject. Returns whether to write it.
    fn end_record(&mut self, rec: RecordState, record_no: u64) -> bool {
        self.records_in += 1;
        let id = rec
            .subject
            .or_else(|| rec.strongest.map(|(_, v)| normalize_subject(&v)));
        let hash = match &id {
            Some(id) if !id.is_empty() => self.keys.subject_hash(id.as_bytes()),
            // No identifier at all: count the record as its own individual (errs on the safe side).
            _ => self.keys.subject_hash(
                format!(
                    "outbound-anonymous-record\0{record_no}\0{}",
                    self.records_in
                )
                .as_bytes(),
            ),
        };
        if let Some(c) = &self.consent
            && !c.contains(&hash)
        {
            self.dropped_no_consent += 1;
            return false;
        }
        self.subjects.push(Subject {
            hash,
            sensitive: rec.sensitive,
        });
        self.records_out += 1;
        true
    }
}

#[derive(Default)]
struct RecordState {
    subject: Option<String>,
    strongest: Option<(Kind, String)>,
    sensitive: bool,
}

/// Identifier strength for counting without a declared subject key: resident ID, then mobile, then e-mail.
fn strength(k: Kind) -> u8 {
    match k {
        Kind::CnResidentId => 3,
        Kind::CnMobile => 2,
        Kind::Email => 1,
        _ => 0,
    }
}

/// Identifiers compare without surrounding space, case, or phone punctuation; consent
/// files and batches are hashed after this normalisation so they meet.
pub fn normalize_subject(v: &str) -> String {
    v.trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .flat_map(char::to_uppercase)
        .collect()
}

fn sniff(input: &Io, head: &[u8]) -> Format {
    if let Io::Path(p) = input {
        match p.extension().and_then(|e| e.to_str()) {
            Some("jsonl" | "ndjson" | "json") => return Format::Jsonl,
            Some("csv" | "tsv") => return Format::Csv,
            _ => {}
        }
    }
    if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        Format::Jsonl
    } else {
        Format::Csv
    }
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
    let tax = Taxonomy::builtin();
    let mut declared = HashMap::new();
    let mut subject_field = None;
    for f in map.transfer_fields(t) {
        let cat = tax.get(&f.category);
        let mut allowed: HashSet<Kind> = HashSet::new();
        for k in outbound_scan_kinds() {
            let covered = k
                .category()
                .is_some_and(|kc| Taxonomy::covers(&f.category, kc))
                || cat.is_some_and(|c| c.scan_kinds.iter().any(|s| s == k.as_str()));
            if covered {
                allowed.insert(k);
            }
        }
        let transform = t
            .gate
            .transforms
            .iter()
            .find(|(r, _)| {
                r.field == f.name
                    && (r.dataset == "*"
                        || map
                            .dataset(&r.dataset)
                            .is_some_and(|d| d.fields.iter().any(|x| std::ptr::eq(x, f))))
            })
            .map(|(_, tr)| *tr);
        let sensitive = f.subject == outbound_model::SubjectKind::ChildUnder14
            || cat.is_some_and(|c| c.sensitivity(map.sensitivity_profile).is_some());
        if f.subject_key && subject_field.is_none() {
            subject_field = Some(f.name.clone());
        }
        declared.insert(
            f.name.clone(),
            Declared {
                transform,
                sensitive,
                allowed_kinds: allowed,
            },
        );
    }
    recover(store)?;
    let consent = if t.legal_basis == LegalBasis::Consent {
        Some(store.consented(&t.id, &req.as_of.to_string())?)
    } else {
        None
    };
    let mut run = Run {
        declared,
        policy: t.gate.undeclared,
        subject_field: subject_field.clone(),
        token_key: keys.subject_hash(b"outbound-token-key").to_vec(),
        consent,
        keys,
        kinds: BTreeMap::new(),
        undeclared_fields: BTreeSet::new(),
        undeclared_kinds: BTreeSet::new(),
        transformed: BTreeMap::new(),
        masked_undeclared: 0,
        subjects: Vec::new(),
        hints: HashMap::new(),
        records_in: 0,
        records_out: 0,
        dropped_no_consent: 0,
    };

    // Input.
    let in_name = req.input.name();
    let raw: Box<dyn Read> = match &req.input {
        Io::Path(p) => Box::new(std::fs::File::open(p).map_err(|e| GateError::Input {
            file: in_name.clone(),
            line: 0,
            message: format!("cannot open: {e}"),
        })?),
        Io::Std => Box::new(std::io::stdin()),
    };
    let mut reader = BufReader::with_capacity(1 << 16, raw);
    let head = reader
        .fill_buf()
        .map_err(|e| GateError::Input {
            file: in_name.clone(),
            line: 0,
            message: e.to_string(),
        })?
        .to_vec();
    let format = req.format.unwrap_or_else(|| sniff(&req.input, &head));

    // Output, to a partial file first.
    let (final_path, partial) = match &req.output {
        Io::Path(p) => (Some(p.clone()), partial_path(p)),
        Io::Std => (
            None,
            std::env::temp_dir().join(format!("outbound-gate-{}.partial", std::process::id())),
        ),
    };
    if let Some(p) = &final_path
        && p.exists()
    {
        return Err(GateError::Output(format!(
            "{} exists; the gate never overwrites an output",
            p.display()
        )));
    }
    let file = std::fs::File::create(&partial)
        .map_err(|e| GateError::Output(format!("cannot create {}: {e}", partial.display())))?;
    let mut tee = Tee {
        inner: std::io::BufWriter::new(file),
        hash: sha2::Sha256::new(),
        bytes: 0,
    };
    let result = match format {
        Format::Csv => process_csv(&mut run, reader, &mut tee, &in_name, &req.input),
        Format::Jsonl => process_jsonl(&mut run, reader, &mut tee, &in_name),
    };
    let cleanup = |p: &Path| {
        let _ = std::fs::remove_file(p);
    };
    if let Err(e) = result {
        cleanup(&partial);
        return Err(e);
    }
    let flushed = tee
        .inner
        .flush()
        .and_then(|_| tee.inner.get_ref().sync_all());
    if let Err(e) = flushed {
        cleanup(&partial);
        return Err(GateError::Output(format!(
            "cannot write {}: {e}",
            partial.display()
        )));
    }
    let sha256 = hex::encode(tee.hash.clone().finalize());
    let bytes = tee.bytes;
    drop(tee);

    let mut report = GateReport {
        transfer: t.id.clone(),
        exporter: exporter.id.clone(),
        recipient: t.recipient.clone(),
        format,
        records_in: run.records_in,
        records_out: run.records_out,
        dropped_no_consent: run.dropped_no_consent,
        masked_undeclared: run.masked_undeclared,
        transformed: run.transformed.clone(),
        undeclared_fields: run.undeclared_fields.iter().cloned().collect(),
        undeclared_kinds: run.undeclared_kinds.iter().cloned().collect(),
        kinds: run.kinds.clone(),
        subject_key: subject_field.unwrap_or_else(|| {
            "strongest identifier per record (resident ID, mobile, e-mail)".into()
        }),
        counts: BatchCounts::default(),
        determinations: Vec::new(),
        sha256: sha256.clone(),
        bytes,
        outcome: Outcome::DryRun,
    };
    if run.fail_policy_hit() {
        cleanup(&partial);
        let mut what: Vec<String> = run
            .undeclared_fields
            .iter()
            .map(|f| format!("field `{f}`"))
            .collect();
        what.extend(
            run.undeclared_kinds
                .iter()
                .map(|(f, k)| format!("{k} in field `{f}`")),
        );
        report.outcome = Outcome::Refused {
            reason: format!(
                "undeclared data: {}; the transfer's policy is `fail` (declare them in the data map, or set gate.undeclared to drop or mask)",
                what.join(", ")
            ),
        };
        return Ok(report);
    }

    // Counting and the determination, in one transaction with the ledger record.
    let exporters: Vec<String> = match (&exporter.group, req.count_group) {
        (Some(g), true) => std::iter::once(exporter.id.clone())
            .chain(
                map.exporters
                    .iter()
                    .filter(|e| e.group.as_deref() == Some(g) && e.id != exporter.id)
                    .map(|e| e.id.clone()),
            )
            .collect(),
        _ => vec![exporter.id.clone()],
    };
    let rec = BatchRecord {
        transfer: t.id.clone(),
        exporters,
        recipient: t.recipient.clone(),
        sha256: sha256.clone(),
        bytes,
        records_in: run.records_in,
        records_out: run.records_out,
        kinds: run.kinds.clone(),
        output: final_path.as_ref().map(|p| p.display().to_string()),
        // Data outside the regime (Provisions Art. 3, 4, 6) is recorded but not counted.
        counts_towards_thresholds: t.origin == outbound_model::Origin::Domestic
            && !(exporter.free_trade_zone.is_some() && t.outside_ftz_negative_list),
    };
    let mut dets: Vec<Determination> = Vec::new();
    let as_of = req.as_of;
    let exporter_id = exporter.id.clone();
    let recorded =
        store.record_batch(keys, &rec, as_of.year(), &run.subjects, req.dry_run, |c| {
            let ledger = BatchLedger {
                exporter: exporter_id.clone(),
                year: as_of.year(),
                counts: *c,
            };
            let facts = facts_for_map(map, as_of, Some(&ledger))
                .into_iter()
                .find(|(i, _)| map.transfers[*i].id == t.id)
                .map(|(_, f)| f)
                .ok_or_else(|| {
                    format!(
                        "transfer {} cannot be judged: its exporter or recipient is missing",
                        t.id
                    )
                })?;
            let ev = outbound_rules::evaluate(&facts).map_err(|e| e.to_string())?;
            dets = ev.determinations.clone();
            let missing: Vec<String> = ev
                .determinations
                .iter()
                .filter(|d| !d.satisfied)
                .map(|d| {
                    let why = d
                        .reasons
                        .iter()
                        .map(|r| format!("{} [{}]", r.text, r.citation))
                        .collect::<Vec<_>>()
                        .join("; ");
                    format!(
                        "{}: route `{}` required and not in place — {why}",
                        d.regime, d.mechanism
                    )
                })
                .collect();
            if missing.is_empty() {
                Ok(serde_json::to_value(&ev).unwrap_or_default())
            } else {
                Err(missing.join(" | "))
            }
        })?;
    report.determinations = dets;
    match recorded {
        Recorded::Committed {
            batch,
            audit_index,
            counts,
            ..
        } => {
            report.counts = counts;
            let output = match &final_path {
                Some(p) => {
                    std::fs::rename(&partial, p).map_err(|e| GateError::Output(format!("batch {batch} is recorded but its output could not be moved into place ({e}); run the gate again to finish")))?;
                    sync_parent(p);
                    store.mark_output_done(batch)?;
                    p.display().to_string()
                }
                None => {
                    let mut f = std::fs::File::open(&partial)
                        .map_err(|e| GateError::Output(e.to_string()))?;
                    let mut out = std::io::stdout().lock();
                    std::io::copy(&mut f, &mut out).map_err(|e| {
                        GateError::Output(format!("cannot write standard output: {e}"))
                    })?;
                    out.flush().map_err(|e| GateError::Output(e.to_string()))?;
                    cleanup(&partial);
                    "-".into()
                }
            };
            report.outcome = Outcome::Passed {
                batch,
                audit_index,
                output,
            };
        }
        Recorded::Refused { reason, counts } => {
            cleanup(&partial);
            report.counts = counts;
            report.outcome = Outcome::Refused { reason };
        }
        Recorded::DryRun { counts } => {
            cleanup(&partial);
            report.counts = counts;
            report.outcome = Outcome::DryRun;
        }
    }
    Ok(report)
}

/// Every kind the scanner knows.
fn outbound_scan_kinds() -> impl Iterator<Item = Kind> {
    Kind::ALL.into_iter()
}

/// The ledger's counts including this batch, as the rules' count source.
struct BatchLedger {
    exporter: String,
    year: i16,
    counts: BatchCounts,
}

impl CountSource for BatchLedger {
    fn exported(&self, exporter: &str, from: Date, _to: Date) -> Option<outbound_rules::Counts> {
        if exporter != self.exporter {
            return None;
        }
        let c = if from.year() == self.year {
            self.counts.current_year
        } else {
            self.counts.previous_and_current_year
        };
        Some(outbound_rules::Counts {
            individuals: c.individuals,
            sensitive_individuals: c.sensitive_individuals,
        })
    }
}

fn process_csv<W: Write>(
    run: &mut Run<'_>,
    reader: impl Read,
    out: &mut W,
    name: &str,
    input: &Io,
) -> Result<(), GateError> {
    let delim = match input {
        Io::Path(p) if p.extension().and_then(|e| e.to_str()) == Some("tsv") => b'\t',
        _ => b',',
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| GateError::Input {
            file: name.into(),
            line: 1,
            message: format!("cannot read the header: {}", csv_msg(&e)),
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    // Columns that leave: everything except drops decided up front.
    let keep_col: Vec<bool> = headers
        .iter()
        .map(|h| match run.declared.get(h) {
            Some(d) => d.transform != Some(Transform::Drop),
            None => run.policy != UndeclaredPolicy::Drop,
        })
        .collect();
    let mut w = csv::WriterBuilder::new().delimiter(delim).from_writer(out);
    w.write_record(
        headers
            .iter()
            .zip(&keep_col)
            .filter(|(_, k)| **k)
            .map(|(h, _)| h.as_str()),
    )
    .map_err(|e| GateError::Output(e.to_string()))?;
    let mut row = csv::StringRecord::new();
    let mut cells: Vec<String> = Vec::with_capacity(headers.len());
    loop {
        match rdr.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(GateError::Input {
                    file: name.into(),
                    line,
                    message: csv_msg(&e),
                });
            }
        }
        let line = row.position().map_or(0, |p| p.line());
        let mut rec = RecordState::default();
        cells.clear();
        for (i, v) in row.iter().enumerate() {
            let out = run.value(&headers[i], v, &mut rec);
            if keep_col[i] {
                cells.push(match out {
                    Value::Keep(s) => s,
                    Value::Drop => String::new(),
                });
            }
        }
        if run.end_record(rec, line) {
            w.write_record(&cells)
                .map_err(|e| GateError::Output(e.to_string()))?;
        }
    }
    w.flush().map_err(|e| GateError::Output(e.to_string()))?;
    Ok(())
}

/// A CSV error without the record's content.
fn csv_msg(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("a record has {len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => "malformed CSV".into(),
    }
}

fn process_jsonl<W: Write>(
    run: &mut Run<'_>,
    reader: impl BufRead,
    out: &mut W,
    name: &str,
) -> Result<(), GateError> {
    for (i, line) in reader.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.map_err(|e| GateError::Input {
            file: name.into(),
            line: line_no,
            message: e.to_string(),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let mut v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| GateError::Input {
                file: name.into(),
                line: line_no,
                message: format!(
                    "invalid JSON at column {}: {}",
                    e.column(),
                    e.classify_name()
                ),
            })?;
        let mut rec = RecordState::default();
        walk(run, &mut v, "", &mut rec);
        if run.end_record(rec, line_no) {
            serde_json::to_writer(&mut *out, &v).map_err(|e| GateError::Output(e.to_string()))?;
            out.write_all(b"\n")
                .map_err(|e| GateError::Output(e.to_string()))?;
        }
    }
    Ok(())
}

trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Eof => "unexpected end",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Io => "read error",
        }
    }
}

/// Visits every scalar leaf with its dotted path (array elements share their parent's path).
fn walk(run: &mut Run<'_>, v: &mut serde_json::Value, path: &str, rec: &mut RecordState) {
    match v {
        serde_json::Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                let child = m.get_mut(&k).expect("key exists");
                let drop = match child {
                    serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                        walk(run, child, &p, rec);
                        false
                    }
                    _ => leaf(run, child, &p, rec),
                };
                if drop {
                    m.remove(&k);
                }
            }
        }
        serde_json::Value::Array(a) => {
            for child in a.iter_mut() {
                match child {
                    serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                        walk(run, child, path, rec)
                    }
                    _ => {
                        if leaf(run, child, path, rec) {
                            *child = serde_json::Value::Null;
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// Handles one scalar; returns true when it must be removed.
fn leaf(run: &mut Run<'_>, v: &mut serde_json::Value, path: &str, rec: &mut RecordState) -> bool {
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(_) | serde_json::Value::Null => return false,
        _ => return false,
    };
    match run.value(path, &text, rec) {
        Value::Drop => true,
        Value::Keep(s) => {
            if s != text {
                *v = serde_json::Value::String(s);
            }
            false
        }
    }
}

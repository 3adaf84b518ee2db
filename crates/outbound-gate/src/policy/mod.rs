//! What the transfer declares and what the gate does with the rest: the
//! declared fields with their transforms and the kinds their categories cover,
//! the policy for undeclared fields and kinds (fail, drop or mask), and the
//! consent filter for transfers based on separate consent.
//!
//! A run has two halves, so that they can run on two cores one batch apart
//! while records keep their order: [`Policy`] scans and transforms every
//! value and ends each record as a [`Pending`] one (its normalised subject
//! identifier, for CSV already hashed, and its output bytes), and [`Count`]
//! hashes what is left to hash, applies the consent filter, counts, and
//! writes what leaves.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hasher, RandomState};

use jiff::civil::Date;
use outbound_model::{LegalBasis, Transfer, Transform, UndeclaredPolicy};
pub use outbound_scan::normalize_subject;
use outbound_scan::normalize_subject_push as normalize_push;
use outbound_scan::{Hints, KIND_COUNT, Kind, OTHER_FIELDS};
use outbound_store::{Keys, Store};

use crate::consent_set::SubjectSet;

mod count;
mod declared;
use crate::SubjectKeyCheck;
use crate::transform::{self, Pseudonymiser};
pub(crate) use count::Count;
pub(crate) use declared::{Declarations, Declared};

/// The subject key may count fewer individuals than another identifier shows, but
/// not fewer than 1 in this many: below that the key cannot be what identifies
/// people (1,000 mobiles under one customer id), and counting by it fails open.
const UNDERCOUNT_FACTOR: u64 = 2;

/// How many field names and keys found clean are remembered, so that each is scanned once.
const CLEAN_NAMES_KEPT: usize = 65_536;

/// Distinct undeclared fields a run names, the scanner's bound; further
/// ones are one field, [`OTHER_FIELDS`], as in the scanner's reports. Keys that never repeat
/// (ids or hashes as keys) must not grow the policy, the gate's report and
/// its refusal without bound. Their values are treated as any undeclared
/// value (masked, dropped or refused); only kinds that need a field-name
/// hint (names, addresses, birth dates, and card or passport numbers
/// without their usual shape) go uncounted in them.
const MAX_UNDECLARED_FIELDS: usize = outbound_scan::MAX_FIELDS;

/// Bytes of undeclared field names a run keeps, for the same reason: a
/// JSON path may be 128 KiB long (128 levels of 1 KiB keys).
const MAX_UNDECLARED_BYTES: usize = 1 << 20;

/// Characters of a field's name a refusal quotes.
const REFUSAL_NAME_CHARS: usize = 100;

/// Undeclared fields and kinds a refusal names; the rest are counted.
const REFUSAL_NAMES: usize = 20;

/// A count that would overflow; names what was being counted.
pub(crate) struct Overflow(pub(crate) String);

/// Adds one to a count, or says which count cannot hold it.
fn bump(n: &mut u64, what: impl FnOnce() -> String) -> Result<(), Overflow> {
    *n = n.checked_add(1).ok_or_else(|| Overflow(what()))?;
    Ok(())
}

/// The kind of personal information a field name or key itself holds, if
/// any: the scanner's rule, strict (a word is told from a person's name by
/// its ending only; a data map that declares the field lets it pass).
fn kind_of_name(name: &str) -> Option<Kind> {
    outbound_scan::detect::kind_of_field_name_strict(name).filter(|k| k.category().is_some())
}

/// The transfer's consents as read for the run, when its basis is consent:
/// the subjects with a valid separate consent on `as_of`, and what the
/// ledger checks against the log when the batch is recorded (read once).
pub(crate) fn consent(
    store: &Store,
    t: &Transfer,
    as_of: Date,
) -> Result<Option<outbound_store::ConsentRegister>, outbound_store::StoreError> {
    if t.legal_basis == LegalBasis::Consent {
        Ok(Some(store.consent_register(&t.id, &as_of.to_string())?))
    } else {
        Ok(None)
    }
}

/// The kinds with a count above zero, by kind id.
fn by_kind(counts: &[u64; KIND_COUNT]) -> BTreeMap<String, u64> {
    Kind::ALL
        .into_iter()
        .filter(|&k| counts[k as usize] > 0)
        .map(|k| (k.as_str().to_string(), counts[k as usize]))
        .collect()
}

/// One field (a CSV column or a JSON key path) as the run has met it: worked
/// out once, then found by index for every value.
#[derive(Clone)]
struct Column {
    name: String,
    hints: Hints,
    declared: Option<Declared>,
    /// The transfer's subject key.
    subject: bool,
    /// Values a declared transform changed.
    transformed: u64,
}

/// A run: the policy half and the counting half.
pub(crate) struct Run<'a> {
    /// Scans, enforces and transforms.
    pub(crate) policy: Policy,
    /// Hashes, filters by consent, counts and writes.
    pub(crate) count: Count<'a>,
}

impl<'a> Run<'a> {
    /// Starts a run with nothing found yet.
    pub(crate) fn new(
        declarations: Declarations,
        policy: UndeclaredPolicy,
        consent: Option<SubjectSet>,
        keys: &'a Keys,
    ) -> Self {
        let subject_key = declarations.subject_field.is_some();
        Run {
            policy: Policy {
                declared: declarations.fields,
                policy,
                subject_field: declarations.subject_field,
                pseudonym: Pseudonymiser::new(&keys.subject_hash(b"outbound-token-key")),
                kinds: [0; KIND_COUNT],
                set_aside: [0; KIND_COUNT],
                undeclared_fields: BTreeSet::new(),
                undeclared_kinds: BTreeSet::new(),
                masked_undeclared: 0,
                columns: Vec::new(),
                by_name: HashMap::default(),
                other_column: None,
                undeclared_bytes: 0,
                name_refusal: None,
                transform_refusal: None,
                clean_names: HashSet::default(),
                identifier_hasher: RandomState::new(),
                spans: Vec::new(),
                id: String::new(),
            },
            count: Count::new(consent, keys, subject_key),
        }
    }

    /// The subject key's distinct values against the identifiers' in the
    /// same records: a key far below them would undercount individuals.
    pub(crate) fn subject_key_check(&mut self) -> Option<SubjectKeyCheck> {
        let key = self.policy.subject_field.as_ref()?;
        let mut hashes: Vec<[u8; 16]> = self.count.subjects.iter().map(|s| s.hash).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let key_distinct = hashes.len() as u64;
        let sets = self.count.identifiers.as_mut()?;
        let mut kinds: Vec<(Kind, u64)> = Kind::ALL
            .into_iter()
            .filter(|&k| strength(k) > 0)
            .map(|k| (k, sets[k as usize].len() as u64))
            .filter(|&(_, n)| n > 0)
            .collect();
        kinds.sort_by_key(|(k, n)| (std::cmp::Reverse(*n), std::cmp::Reverse(strength(*k))));
        let (kind, n) = kinds.first()?;
        (*n > key_distinct.saturating_mul(UNDERCOUNT_FACTOR)).then(|| SubjectKeyCheck {
            key: key.clone(),
            key_distinct,
            identifier: kind.as_str().to_string(),
            identifier_distinct: *n,
            action: "refuse".into(),
        })
    }
}

/// The policy half of a run: the declaration, the policy for what it does
/// not declare, and what was found.
#[derive(Clone)]
pub(crate) struct Policy {
    declared: HashMap<String, Declared>,
    pub(crate) policy: UndeclaredPolicy,
    pub(crate) subject_field: Option<String>,
    pseudonym: Pseudonymiser,
    kinds: [u64; KIND_COUNT],
    /// Matches per kind set aside because the field's `not_kinds` says the
    /// field matches that kind only by chance: counted for the audit entry,
    /// nowhere else.
    set_aside: [u64; KIND_COUNT],
    pub(crate) undeclared_fields: BTreeSet<String>,
    pub(crate) undeclared_kinds: BTreeSet<(String, String)>,
    pub(crate) masked_undeclared: u64,
    columns: Vec<Column>,
    by_name: HashMap<String, usize, foldhash::fast::RandomState>,
    /// [`Policy::other_column`], once made.
    other_column: Option<usize>,
    /// Bytes of the names in `undeclared_fields`.
    undeclared_bytes: usize,
    /// Where a field name or key that is itself personal data was found (position and kind, never its text).
    pub(crate) name_refusal: Option<String>,
    /// The first value a transform could not apply safely (field and kind, never the value):
    /// the batch is refused rather than let it leave, coarsened or not.
    pub(crate) transform_refusal: Option<String>,
    clean_names: HashSet<String, foldhash::fast::RandomState>,
    identifier_hasher: RandomState,
    /// The spans of the value being handled (kept to spare an allocation per value).
    spans: Vec<(Kind, usize, usize)>,
    /// Scratch for a normalised identifier.
    id: String,
}

/// The outcome of one value.
pub(crate) enum Value {
    /// Write the value as it was.
    Keep,
    /// Write this text instead.
    New(String),
    /// Write this pseudonym instead (ASCII): a token a record, without an
    /// allocation for it.
    Token([u8; 24]),
    /// Remove the value.
    Drop,
}

/// A record the policy half is done with, waiting for the counting half.
pub(crate) struct Pending {
    /// Its line (the anonymous-record hash names it).
    line: u64,
    /// Its normalised subject identifier in [`PendingBatch::ids`]; `None`
    /// (or empty) when it has none.
    id: Option<(usize, usize)>,
    /// That identifier's keyed hash, when the policy half computed it
    /// ([`PendingBatch::hash_subjects`]); else the counting half does.
    hash: Option<[u8; 16]>,
    sensitive: bool,
    /// Its identifying values in [`PendingBatch::identifiers`].
    identifiers: (usize, usize),
    /// Its output bytes in [`PendingBatch::out`].
    out: (usize, usize),
}

/// Records the policy half is done with, in input order, in flat buffers
/// reused from batch to batch.
#[derive(Default)]
pub(crate) struct PendingBatch {
    records: Vec<Pending>,
    ids: String,
    identifiers: Vec<(Kind, u64)>,
    /// The output of every record, end to end.
    pub(crate) out: Vec<u8>,
}

impl PendingBatch {
    /// The keyed hash of every record's subject identifier, so that the
    /// counting half (one thread) does not have to: the same
    /// [`Keys::subject_hash`] of the same bytes. Records without one are
    /// left to the counting half, which numbers them.
    pub(crate) fn hash_subjects(&mut self, keys: &Keys) {
        for p in &mut self.records {
            if let Some((a, b)) = p.id
                && a < b
            {
                p.hash = Some(keys.subject_hash(&self.ids.as_bytes()[a..b]));
            }
        }
    }

    /// Empties it for the next batch, keeping its memory.
    pub(crate) fn clear(&mut self) {
        self.records.clear();
        self.ids.clear();
        self.identifiers.clear();
        self.out.clear();
    }
}

/// What one record has shown so far (reused from record to record).
#[derive(Default)]
pub(crate) struct RecordState {
    /// Whether the subject key was met, and its value as it was (normalised
    /// once, when the record ends).
    has_subject: bool,
    subject_raw: String,
    /// The strongest identifier met and its value as it was: normalised
    /// only when the record ends without a subject key (never, in a CSV
    /// batch with the key's column).
    strongest: Option<Kind>,
    strongest_raw: String,
    sensitive: bool,
    /// Where this record's identifying values start in the batch.
    identifiers_from: usize,
}

impl RecordState {
    /// A fresh state for the next record of `batch`, keeping its memory.
    pub(crate) fn start(&mut self, batch: &PendingBatch) {
        self.has_subject = false;
        self.subject_raw.clear();
        self.strongest = None;
        self.strongest_raw.clear();
        self.sensitive = false;
        self.identifiers_from = batch.identifiers.len();
    }
}

impl Policy {
    /// Checks that a field name or key `name` (of the field `path`: the
    /// column, or the key's dotted path) is not itself personal data. If it
    /// is, notes the refusal with `place(kind)` (its position, never its
    /// text) and returns false.
    pub(crate) fn check_name(
        &mut self,
        name: &str,
        path: &str,
        place: impl FnOnce(&str) -> String,
    ) -> bool {
        if self.clean_names.contains(name) {
            return true;
        }
        match kind_of_name(name) {
            // A person's name is told from a field name by a word list; a
            // field the data map declares is named by it, which says what
            // it holds (`余额` declared there is a balance, not a person).
            // Not cached: the same key elsewhere is another field.
            // The key as written only: a placeholder (`{long}`) says
            // nothing of what the key holds.
            Some(Kind::PersonName)
                if outbound_scan::key_placeholder(name).is_none()
                    && self.declared.contains_key(path) =>
            {
                true
            }
            Some(k) => {
                self.name_refusal.get_or_insert_with(|| place(k.as_str()));
                false
            }
            None => {
                if self.clean_names.len() < CLEAN_NAMES_KEPT {
                    self.clean_names.insert(name.to_string());
                }
                true
            }
        }
    }

    /// Whether a column leaves at all: everything but a declared `drop` and,
    /// under the `drop` policy, an undeclared field.
    pub(crate) fn keeps(&self, field: &str) -> bool {
        match self.declared.get(field) {
            Some(d) => d.transform != Some(Transform::Drop),
            None => self.policy != UndeclaredPolicy::Drop,
        }
    }

    /// Why the batch is refused when a field name or key is itself personal data.
    pub(crate) fn name_refused(&self) -> Option<String> {
        self.name_refusal.as_ref().map(|at| {
            format!(
                "personal data in a field name: {at}; a header or key names a field and never holds a value, so the batch is refused whatever gate.undeclared says (rename the field)"
            )
        })
    }

    /// Validated values found, per kind.
    pub(crate) fn kinds(&self) -> BTreeMap<String, u64> {
        by_kind(&self.kinds)
    }

    /// Matches set aside per kind by the fields' `not_kinds`.
    pub(crate) fn set_aside(&self) -> BTreeMap<String, u64> {
        by_kind(&self.set_aside)
    }

    /// Values changed per declared transform, by field.
    pub(crate) fn transformed(&self) -> BTreeMap<String, u64> {
        self.columns
            .iter()
            .filter(|c| c.transformed > 0)
            .map(|c| (c.name.clone(), c.transformed))
            .collect()
    }

    /// Why the batch is refused under the policy `fail`, if it found undeclared data.
    pub(crate) fn undeclared_refusal(&self) -> Option<String> {
        let hit = self.policy == UndeclaredPolicy::Fail
            && (!self.undeclared_fields.is_empty() || !self.undeclared_kinds.is_empty());
        if !hit {
            return None;
        }
        let short = |f: &str| match f.char_indices().nth(REFUSAL_NAME_CHARS) {
            Some((i, _)) => format!("{}…", &f[..i]),
            None => f.to_string(),
        };
        let what: Vec<String> = self
            .undeclared_fields
            .iter()
            .map(|f| format!("field `{}`", short(f)))
            .chain(
                self.undeclared_kinds
                    .iter()
                    .map(|(f, k)| format!("{k} in field `{}`", short(f))),
            )
            .collect();
        // The first few, and how many more: a batch of ten thousand keys
        // must not make a reason of ten thousand names.
        let mut listed = what[..what.len().min(REFUSAL_NAMES)].join(", ");
        if what.len() > REFUSAL_NAMES {
            listed.push_str(&format!(" and {} more", what.len() - REFUSAL_NAMES));
        }
        Some(format!(
            "undeclared data: {listed}; the transfer's policy is `fail` (declare them in the data map, or set gate.undeclared to drop or mask)"
        ))
    }

    /// Adds what a copy of this policy found on other batches of the same
    /// input (CSV: the same columns). The first transform refusal is the
    /// caller's to choose, by batch order.
    pub(crate) fn absorb(&mut self, other: Policy) -> Result<(), Overflow> {
        let sum = |a: &mut u64, b: u64, what: &dyn Fn() -> String| -> Result<(), Overflow> {
            *a = a.checked_add(b).ok_or_else(|| Overflow(what()))?;
            Ok(())
        };
        for k in Kind::ALL {
            let i = k as usize;
            sum(&mut self.kinds[i], other.kinds[i], &|| {
                format!("{} values", k.as_str())
            })?;
            sum(&mut self.set_aside[i], other.set_aside[i], &|| {
                format!("{} values set aside", k.as_str())
            })?;
        }
        sum(
            &mut self.masked_undeclared,
            other.masked_undeclared,
            &|| "masked values".into(),
        )?;
        self.undeclared_bytes += other.undeclared_bytes;
        self.undeclared_fields.extend(other.undeclared_fields);
        self.undeclared_kinds.extend(other.undeclared_kinds);
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            let name = mine.name.clone();
            sum(&mut mine.transformed, theirs.transformed, &|| {
                format!("transformed values of field `{name}`")
            })?;
        }
        Ok(())
    }

    /// The column of a field, made on first sight. An undeclared field is
    /// noted then.
    pub(crate) fn column(&mut self, field: &str) -> usize {
        if let Some(&i) = self.by_name.get(field) {
            return i;
        }
        let declared = self.declared.get(field).cloned();
        if declared.is_none() {
            if self.undeclared_fields.len() >= MAX_UNDECLARED_FIELDS
                || self.undeclared_bytes + field.len() > MAX_UNDECLARED_BYTES
            {
                return self.other_column();
            }
            self.undeclared_bytes += field.len();
            self.undeclared_fields.insert(field.to_string());
        }
        let i = self.columns.len();
        self.columns.push(Column {
            name: field.to_string(),
            hints: Hints::from_header(field),
            declared,
            subject: self.subject_field.as_deref() == Some(field),
            transformed: 0,
        });
        self.by_name.insert(field.to_string(), i);
        i
    }

    /// The one column of the undeclared fields past
    /// [`MAX_UNDECLARED_FIELDS`]: undeclared whatever the map declares (a
    /// map that names a field `(other fields)` declares that field, not
    /// these), never looked up by name.
    fn other_column(&mut self) -> usize {
        if let Some(i) = self.other_column {
            return i;
        }
        self.undeclared_fields.insert(OTHER_FIELDS.to_string());
        let i = self.columns.len();
        self.columns.push(Column {
            name: OTHER_FIELDS.to_string(),
            hints: Hints::NONE,
            declared: None,
            subject: false,
            transformed: 0,
        });
        self.other_column = Some(i);
        i
    }

    /// Processes one value of column `col`; returns what to write and notes what was found.
    pub(crate) fn value(
        &mut self,
        col: usize,
        v: &str,
        rec: &mut RecordState,
        batch: &mut PendingBatch,
    ) -> Result<Value, Overflow> {
        let hints = self.columns[col].hints;
        let mut spans = std::mem::take(&mut self.spans);
        spans.clear();
        outbound_scan::detect::scan_value(v.as_bytes(), hints, &mut |k, s, e| {
            spans.push((k, s, e))
        });
        // An order number that passes Luhn, in a field the map says holds
        // none: not a card, not sensitive, not an identifier, not undeclared.
        // Counted apart, for the batch's audit entry: the log commits to
        // what the map's statement let through.
        if let Some(d) = &self.columns[col].declared
            && d.any_chance
        {
            let set_aside = &mut self.set_aside;
            spans.retain(|&(k, ..)| {
                let chance = d.chance_kinds[k as usize];
                set_aside[k as usize] = set_aside[k as usize].saturating_add(u64::from(chance));
                !chance
            });
        }
        let subject_key = self.subject_field.is_some();
        for &(k, s, e) in &spans {
            if subject_key && strength(k) > 0 {
                let h = self.identifier_hash(v.get(s..e).unwrap_or(v));
                batch.identifiers.push((k, h));
            }
        }
        for &(k, _, _) in &spans {
            bump(&mut self.kinds[k as usize], || {
                format!("{} values", k.as_str())
            })?;
            if k.is_sensitive() {
                rec.sensitive = true;
            }
            if strength(k) > 0 && rec.strongest.is_none_or(|sk| strength(k) > strength(sk)) {
                rec.strongest = Some(k);
                rec.strongest_raw.clear();
                rec.strongest_raw.push_str(v);
            }
        }
        let first = spans.first().map(|s| s.0);
        let out = self.decide(col, v, rec, &spans, first);
        self.spans = spans;
        out
    }

    /// The 64-bit hash of an identifying value, normalised, for counting
    /// distinct identifiers: SipHash under this run's random key. Not an
    /// identity or folding hash: these are raw values, which whoever writes
    /// the batch chooses, and colliding ones would hide identifiers from the
    /// subject-key check. A short ASCII value is normalised on the stack
    /// straight into the hasher (no string built, one pass); anything else
    /// through [`normalize_subject`]. Both hash the same bytes the same way,
    /// so a value meets its other spellings whichever path each takes.
    fn identifier_hash(&mut self, v: &str) -> u64 {
        let t = v.trim();
        let mut h = self.identifier_hasher.build_hasher();
        let mut buf = [0u8; 64];
        if t.len() <= buf.len() && t.is_ascii() {
            let mut n = 0;
            for &b in t.as_bytes() {
                buf[n] = b.to_ascii_uppercase();
                n += usize::from(b != b' ' && b != b'-');
            }
            h.write(&buf[..n]);
        } else {
            normalize_into(v, &mut self.id);
            h.write(self.id.as_bytes());
        }
        h.write_u8(0xff);
        h.finish()
    }

    /// What becomes of a value, given what was found in it.
    fn decide(
        &mut self,
        col: usize,
        v: &str,
        rec: &mut RecordState,
        spans: &[(Kind, usize, usize)],
        first: Option<Kind>,
    ) -> Result<Value, Overflow> {
        let column = &mut self.columns[col];
        let Some(d) = &column.declared else {
            return Ok(match self.policy {
                UndeclaredPolicy::Drop => Value::Drop,
                UndeclaredPolicy::Mask => {
                    bump(&mut self.masked_undeclared, || "masked values".into())?;
                    Value::New(outbound_scan::mask(first.unwrap_or(Kind::CnPassport), v))
                }
                UndeclaredPolicy::Fail => Value::New(String::new()),
            });
        };
        if d.sensitive && !v.trim().is_empty() {
            rec.sensitive = true;
        }
        if column.subject {
            rec.has_subject = true;
            rec.subject_raw.clear();
            rec.subject_raw.push_str(v);
        }
        let mut stray = spans
            .iter()
            .map(|s| s.0)
            .filter(|&k| k.category().is_some() && !d.allowed_kinds[k as usize])
            .peekable();
        if let Some(&first_stray) = stray.peek() {
            for k in stray {
                self.undeclared_kinds
                    .insert((column.name.clone(), k.as_str().to_string()));
            }
            match self.policy {
                UndeclaredPolicy::Drop => return Ok(Value::Drop),
                UndeclaredPolicy::Mask => {
                    bump(&mut self.masked_undeclared, || "masked values".into())?;
                    return Ok(Value::New(outbound_scan::mask(first_stray, v)));
                }
                UndeclaredPolicy::Fail => {}
            }
        }
        let Some(t) = d.transform else {
            return Ok(Value::Keep);
        };
        let name = &column.name;
        bump(&mut column.transformed, || {
            format!("transformed values of field `{name}`")
        })?;
        // What `apply_with` does for a pseudonym, the token kept on the stack.
        if t == Transform::Pseudonymise && !v.trim().is_empty() {
            let token = self.pseudonym.token_bytes(v.trim());
            return Ok(if token == v.as_bytes() {
                Value::Keep
            } else {
                Value::Token(token)
            });
        }
        Ok(match transform::apply_with(t, v, first, &self.pseudonym) {
            Ok(Some(s)) if s == v => Value::Keep,
            Ok(Some(s)) => Value::New(s),
            Ok(None) => Value::Drop,
            Err(e) => {
                self.transform_refusal.get_or_insert_with(|| {
                    format!(
                        "field `{}` holds {e}: the batch is refused (fail closed)",
                        column.name
                    )
                });
                Value::Drop
            }
        })
    }

    /// Ends a record whose output bytes are `batch.out[out.0..out.1]`
    /// (once the batch is written): it waits in `batch` for the counting half.
    pub(crate) fn end_record(
        &mut self,
        rec: &RecordState,
        line: u64,
        out: (usize, usize),
        batch: &mut PendingBatch,
    ) {
        let raw = if rec.has_subject {
            Some(rec.subject_raw.as_str())
        } else {
            rec.strongest.map(|_| rec.strongest_raw.as_str())
        };
        let id = raw.map(|raw| {
            let from = batch.ids.len();
            normalize_push(raw, &mut batch.ids);
            (from, batch.ids.len())
        });
        batch.records.push(Pending {
            line,
            id,
            hash: None,
            sensitive: rec.sensitive,
            identifiers: (rec.identifiers_from, batch.identifiers.len()),
            out,
        });
    }
}

/// Identifier strength for counting without a declared subject key: the
/// scanner's order ([`outbound_scan::SUBJECT_KINDS`]: resident ID, then
/// mobile, then e-mail), so that the gate and the scanner count by the same
/// identifier. 0 for a kind that does not identify a subject.
fn strength(k: Kind) -> u8 {
    let n = outbound_scan::SUBJECT_KINDS.len();
    outbound_scan::SUBJECT_KINDS
        .iter()
        .position(|&s| s == k)
        .map_or(0, |i| (n - i) as u8)
}

/// [`normalize_subject`] into `out` (cleared first), without an allocation
/// once `out` has grown.
fn normalize_into(v: &str, out: &mut String) {
    out.clear();
    normalize_push(v, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GateError;

    fn run(keys: &Keys) -> Run<'_> {
        let d = Declarations {
            fields: HashMap::new(),
            subject_field: None,
        };
        Run::new(d, UndeclaredPolicy::Mask, None, keys)
    }

    #[test]
    fn a_count_that_would_overflow_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::create(&dir.path().join("keys")).unwrap();
        let mut r = run(&keys);
        r.count.records_in = u64::MAX;
        let mut batch = PendingBatch::default();
        let rec = RecordState::default();
        r.policy.end_record(&rec, 1, (0, 0), &mut batch);
        let Err(GateError::Input { message, .. }) = r.count.take(&batch, &mut Vec::new(), "x")
        else {
            panic!("an impossible count passed")
        };
        assert!(message.contains("records read"), "{message}");
        let mut r = run(&keys);
        r.policy.masked_undeclared = u64::MAX;
        let mut rec = RecordState::default();
        let col = r.policy.column("x");
        let Err(Overflow(what)) = r.policy.value(col, "13812345678", &mut rec, &mut batch) else {
            panic!("an impossible count passed")
        };
        assert_eq!(what, "masked values");
    }

    #[test]
    fn normalisation_is_the_same_on_the_fast_path() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::create(&dir.path().join("keys")).unwrap();
        for v in [
            " c-000 123 ",
            "138-1234-5678",
            "a@b.COM",
            "straße",
            " ﬁ-x ",
            "",
            "--",
            "张伟 ",
            "ab-ç d",
            " -é- ",
            "a\u{a0}b",
            "ſ@x.com",
            "S@X.COM",
            " 0123456789012345678901234567890123456789012345678901234567890123 ",
            "01234567890123456789012345678901234567890123456789012345678901234",
        ] {
            let slow: String = v
                .trim()
                .chars()
                .filter(|c| !matches!(c, ' ' | '-'))
                .flat_map(char::to_uppercase)
                .collect();
            assert_eq!(normalize_subject(v), slow, "{v:?}");
            // The identifier hash: the same on the stack path and the string path.
            let mut r = run(&keys);
            let mut by_string = r.policy.identifier_hasher.build_hasher();
            by_string.write(slow.as_bytes());
            by_string.write_u8(0xff);
            assert_eq!(r.policy.identifier_hash(v), by_string.finish(), "{v:?}");
            // Appended after what is there, on every path.
            let mut after = String::from("k-");
            normalize_push(v, &mut after);
            assert_eq!(after, format!("k-{slow}"), "{v:?}");
        }
    }

    #[test]
    fn a_name_that_is_personal_data_is_refused_by_position() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::create(&dir.path().join("keys")).unwrap();
        let mut r = run(&keys);
        for clean in [
            "customer_id",
            "name",
            "mobile",
            "email",
            "items",
            "id_no",
            "contact.phone",
            "姓名",
            "手机号",
        ] {
            assert!(
                r.policy.check_name(clean, clean, |_| unreachable!()),
                "{clean}"
            );
        }
        assert!(
            !r.policy
                .check_name("110101199003074514", "110101199003074514", |k| {
                    format!("column 6 ({k})")
                })
        );
        let why = r.policy.name_refused().unwrap();
        assert!(
            why.contains("column 6 (cn_resident_id)") && !why.contains("110101"),
            "{why}"
        );
    }
}

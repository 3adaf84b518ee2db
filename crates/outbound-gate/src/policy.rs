//! What the transfer declares and what the gate does with the rest: the
//! declared fields with their transforms and the kinds their categories cover,
//! the policy for undeclared fields and kinds (fail, drop or mask), and the
//! consent filter for transfers based on separate consent.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};

use jiff::civil::Date;
use outbound_model::{DataMap, LegalBasis, Taxonomy, Transfer, Transform, UndeclaredPolicy};
use outbound_scan::{Hints, Kind};
use outbound_store::{Keys, Store, Subject};

use crate::{SubjectKeyCheck, transform};

/// The subject key may count fewer individuals than another identifier shows, but
/// not fewer than 1 in this many: below that the key cannot be what identifies
/// people (1,000 mobiles under one customer id), and counting by it fails open.
const UNDERCOUNT_FACTOR: u64 = 2;

/// How many field names and keys found clean are remembered, so that each is scanned once.
const CLEAN_NAMES_KEPT: usize = 65_536;

/// A count that would overflow; names what was being counted.
pub(crate) struct Overflow(pub(crate) String);

/// Adds one to a count, or says which count cannot hold it.
fn bump(n: &mut u64, what: impl FnOnce() -> String) -> Result<(), Overflow> {
    *n = n.checked_add(1).ok_or_else(|| Overflow(what()))?;
    Ok(())
}

/// The kind of personal information a field name or key itself holds, if any.
fn kind_of_name(name: &str) -> Option<Kind> {
    let mut found = None;
    outbound_scan::detect::scan_value(name.as_bytes(), Hints::NONE, &mut |k, _, _| {
        if found.is_none() && k.category().is_some() {
            found = Some(k);
        }
    });
    found
}

/// The transfer's declared fields, by name, and the field that keys subjects.
pub(crate) struct Declarations {
    fields: HashMap<String, Declared>,
    subject_field: Option<String>,
}

impl Declarations {
    /// What the transfer declares: per field its transform, whether it is
    /// sensitive, and the kinds its category covers.
    pub(crate) fn of(map: &DataMap, t: &Transfer) -> Self {
        let tax = Taxonomy::builtin();
        let mut declared = HashMap::new();
        let mut subject_field = None;
        for f in map.transfer_fields(t) {
            let cat = tax.get(&f.category);
            // The scanner's rule (`scan --compare` uses it too): one answer to
            // whether a declared category accounts for a kind.
            let allowed: HashSet<Kind> = Kind::ALL
                .into_iter()
                .filter(|&k| {
                    k.category().is_some() && outbound_scan::compare::covers(&f.category, k)
                })
                .collect();
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
        Declarations {
            fields: declared,
            subject_field,
        }
    }
}

/// The subjects with a valid separate consent on `as_of`, when the transfer's basis is consent.
pub(crate) fn consent(
    store: &Store,
    t: &Transfer,
    as_of: Date,
) -> Result<Option<HashSet<[u8; 16]>>, outbound_store::StoreError> {
    if t.legal_basis == LegalBasis::Consent {
        Ok(Some(store.consented(&t.id, &as_of.to_string())?))
    } else {
        Ok(None)
    }
}

/// What the gate knows about one declared field.
pub(crate) struct Declared {
    pub(crate) transform: Option<Transform>,
    sensitive: bool,
    allowed_kinds: HashSet<Kind>,
}

/// Per-run state shared by both formats: the declaration, the policy for what
/// it does not declare, the consent filter, and what was found.
pub(crate) struct Run<'a> {
    pub(crate) declared: HashMap<String, Declared>,
    pub(crate) policy: UndeclaredPolicy,
    pub(crate) subject_field: Option<String>,
    token_key: Vec<u8>,
    consent: Option<HashSet<[u8; 16]>>,
    keys: &'a Keys,
    pub(crate) kinds: BTreeMap<String, u64>,
    pub(crate) undeclared_fields: BTreeSet<String>,
    pub(crate) undeclared_kinds: BTreeSet<(String, String)>,
    pub(crate) transformed: BTreeMap<String, u64>,
    pub(crate) masked_undeclared: u64,
    pub(crate) subjects: Vec<Subject>,
    hints: HashMap<String, Hints>,
    pub(crate) records_in: u64,
    pub(crate) records_out: u64,
    pub(crate) dropped_no_consent: u64,
    /// Where a field name or key that is itself personal data was found (position and kind, never its text).
    pub(crate) name_refusal: Option<String>,
    /// The first value a transform could not apply safely (field and kind, never the value):
    /// the batch is refused rather than let it leave, coarsened or not.
    pub(crate) transform_refusal: Option<String>,
    clean_names: HashSet<String>,
    /// Distinct values of each identifying kind in the records that leave, as keyed 64-bit hashes.
    identifiers: HashMap<Kind, HashSet<u64>>,
    identifier_hasher: RandomState,
}

/// The outcome of one value.
pub(crate) enum Value {
    /// Write this text.
    Keep(String),
    /// Remove the value.
    Drop,
}

impl<'a> Run<'a> {
    /// Starts a run with nothing found yet.
    pub(crate) fn new(
        declarations: Declarations,
        policy: UndeclaredPolicy,
        consent: Option<HashSet<[u8; 16]>>,
        keys: &'a Keys,
    ) -> Self {
        Run {
            declared: declarations.fields,
            policy,
            subject_field: declarations.subject_field,
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
            name_refusal: None,
            transform_refusal: None,
            clean_names: HashSet::new(),
            identifiers: HashMap::new(),
            identifier_hasher: RandomState::new(),
        }
    }

    /// Checks that a field name or key is not itself personal data. If it is, notes
    /// the refusal with `place(kind)` (its position, never its text) and returns false.
    pub(crate) fn check_name(&mut self, name: &str, place: impl FnOnce(&str) -> String) -> bool {
        if self.clean_names.contains(name) {
            return true;
        }
        match kind_of_name(name) {
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

    /// Why the batch is refused when a field name or key is itself personal data.
    pub(crate) fn name_refused(&self) -> Option<String> {
        self.name_refusal.as_ref().map(|at| {
            format!(
                "personal data in a field name: {at}; a header or key names a field and never holds a value, so the batch is refused whatever gate.undeclared says (rename the field)"
            )
        })
    }

    /// Compares the subject key's distinct values with those of the identifiers in the
    /// same records: a key far below them would undercount individuals.
    pub(crate) fn subject_key_check(&self) -> Option<SubjectKeyCheck> {
        let key = self.subject_field.as_ref()?;
        let key_distinct = self
            .subjects
            .iter()
            .map(|s| s.hash)
            .collect::<HashSet<_>>()
            .len() as u64;
        let mut kinds: Vec<(&Kind, u64)> = self
            .identifiers
            .iter()
            .map(|(k, set)| (k, set.len() as u64))
            .collect();
        kinds.sort_by_key(|(k, n)| (std::cmp::Reverse(*n), std::cmp::Reverse(strength(**k))));
        let (kind, n) = kinds.first()?;
        (*n > key_distinct.saturating_mul(UNDERCOUNT_FACTOR)).then(|| SubjectKeyCheck {
            key: key.clone(),
            key_distinct,
            identifier: kind.as_str().to_string(),
            identifier_distinct: *n,
            action: "refuse".into(),
        })
    }

    /// Why the batch is refused under the policy `fail`, if it found undeclared data.
    pub(crate) fn undeclared_refusal(&self) -> Option<String> {
        let hit = self.policy == UndeclaredPolicy::Fail
            && (!self.undeclared_fields.is_empty() || !self.undeclared_kinds.is_empty());
        if !hit {
            return None;
        }
        let mut what: Vec<String> = self
            .undeclared_fields
            .iter()
            .map(|f| format!("field `{f}`"))
            .collect();
        what.extend(
            self.undeclared_kinds
                .iter()
                .map(|(f, k)| format!("{k} in field `{f}`")),
        );
        Some(format!(
            "undeclared data: {}; the transfer's policy is `fail` (declare them in the data map, or set gate.undeclared to drop or mask)",
            what.join(", ")
        ))
    }

    /// Processes one value of a field; returns what to write and notes what was found.
    pub(crate) fn value(
        &mut self,
        field: &str,
        v: &str,
        rec: &mut RecordState,
    ) -> Result<Value, Overflow> {
        // Header hints are the same for every value of a field: work them out once.
        let hints = match self.hints.get(field) {
            Some(h) => *h,
            None => {
                let h = Hints::from_header(field);
                self.hints.insert(field.to_string(), h);
                h
            }
        };
        let mut spans: Vec<(Kind, usize, usize)> = Vec::new();
        outbound_scan::detect::scan_value(v.as_bytes(), hints, &mut |k, s, e| {
            spans.push((k, s, e))
        });
        let found: Vec<Kind> = spans.iter().map(|(k, _, _)| *k).collect();
        for &(k, s, e) in &spans {
            if self.subject_field.is_some() && strength(k) > 0 {
                let id = normalize_subject(v.get(s..e).unwrap_or(v));
                rec.identifiers
                    .push((k, self.identifier_hasher.hash_one(id)));
            }
        }
        for k in &found {
            bump(
                self.kinds.entry(k.as_str().to_string()).or_default(),
                || format!("{} values", k.as_str()),
            )?;
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
            return Ok(match self.policy {
                UndeclaredPolicy::Drop => Value::Drop,
                UndeclaredPolicy::Mask => {
                    bump(&mut self.masked_undeclared, || "masked values".into())?;
                    Value::Keep(outbound_scan::mask(first.unwrap_or(Kind::CnPassport), v))
                }
                UndeclaredPolicy::Fail => Value::Keep(String::new()),
            });
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
                UndeclaredPolicy::Drop => return Ok(Value::Drop),
                UndeclaredPolicy::Mask => {
                    bump(&mut self.masked_undeclared, || "masked values".into())?;
                    return Ok(Value::Keep(outbound_scan::mask(stray[0], v)));
                }
                UndeclaredPolicy::Fail => {}
            }
        }
        Ok(match transform {
            Some(t) => {
                bump(
                    self.transformed.entry(field.to_string()).or_default(),
                    || format!("transformed values of field `{field}`"),
                )?;
                match transform::try_apply(t, v, first, &self.token_key) {
                    Ok(Some(s)) => Value::Keep(s),
                    Ok(None) => Value::Drop,
                    Err(e) => {
                        self.transform_refusal.get_or_insert_with(|| {
                            format!("field `{field}` holds {e}: the batch is refused (fail closed)")
                        });
                        Value::Drop
                    }
                }
            }
            None => Value::Keep(v.to_string()),
        })
    }

    /// Ends a record: decides consent, collects the subject. Returns whether to write it.
    pub(crate) fn end_record(
        &mut self,
        rec: RecordState,
        record_no: u64,
    ) -> Result<bool, Overflow> {
        bump(&mut self.records_in, || "records read".into())?;
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
            bump(&mut self.dropped_no_consent, || {
                "records dropped without consent".into()
            })?;
            return Ok(false);
        }
        bump(&mut self.records_out, || "records written".into())?;
        self.subjects.push(Subject {
            hash,
            sensitive: rec.sensitive,
        });
        for (k, h) in rec.identifiers {
            self.identifiers.entry(k).or_default().insert(h);
        }
        Ok(true)
    }
}

/// What one record has shown so far.
#[derive(Default)]
pub(crate) struct RecordState {
    subject: Option<String>,
    strongest: Option<(Kind, String)>,
    sensitive: bool,
    /// Identifying values seen (kind, keyed hash), for the subject-key check.
    identifiers: Vec<(Kind, u64)>,
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

/// Identifiers compare without surrounding space, case, or phone punctuation; consent
/// files and batches are hashed after this normalisation so they meet.
pub fn normalize_subject(v: &str) -> String {
    v.trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        r.records_in = u64::MAX;
        let Err(Overflow(what)) = r.end_record(RecordState::default(), 1) else {
            panic!("an impossible count passed")
        };
        assert_eq!(what, "records read");
        let mut r = run(&keys);
        r.masked_undeclared = u64::MAX;
        let mut rec = RecordState::default();
        let Err(Overflow(what)) = r.value("x", "13812345678", &mut rec) else {
            panic!("an impossible count passed")
        };
        assert_eq!(what, "masked values");
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
            assert!(r.check_name(clean, |_| unreachable!()), "{clean}");
        }
        assert!(!r.check_name("110101199003074514", |k| format!("column 6 ({k})")));
        let why = r.name_refused().unwrap();
        assert!(
            why.contains("column 6 (cn_resident_id)") && !why.contains("110101"),
            "{why}"
        );
    }
}

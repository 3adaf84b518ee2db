//! Accumulators: what a batch of records, a file and a run count, and how
//! they merge. Batches are scanned in parallel, each into its own [`Acc`];
//! merging them (and then the files) is the only place results meet.

use std::collections::{BTreeMap, HashMap};

use super::{AUTO_KINDS, MAX_FIELDS, OTHER_FIELDS};
use crate::detect::Hints;
use crate::report::{ErrorEntry, FieldReport, FileReport, Individuals, ScanReport, Totals};
use crate::{KIND_COUNT, Kind};

type IdSet = crate::distinct::DistinctSet;

/// Exact distinct-subject sets: 64-bit keyed SipHash values.
#[derive(Default)]
pub(super) struct Subjects {
    key: Split,
    /// Each record's strongest identifier (see [`Rec::auto`]).
    auto: Split,
    /// The strongest of [`AUTO_KINDS`] any record was counted by.
    strongest: Option<u8>,
}

impl Subjects {
    fn merge(&mut self, o: Subjects) {
        self.key.merge(o.key);
        self.auto.merge(o.auto);
        self.strongest = stronger(self.strongest, o.strongest);
    }
}

/// The subjects of one key, split by whether their record held sensitive
/// data: each record's hash goes into one set, not two, so a file where
/// every record is sensitive (a resident ID is) sorts its hashes once.
/// Everyone is the union, the sensitive ones the second set.
#[derive(Default)]
struct Split {
    plain: IdSet,
    sensitive: IdSet,
}

impl Split {
    #[inline]
    fn insert(&mut self, h: u64, sensitive: bool) {
        if sensitive {
            self.sensitive.insert(h);
        } else {
            self.plain.insert(h);
        }
    }

    fn merge(&mut self, o: Split) {
        self.plain.merge(o.plain);
        self.sensitive.merge(o.sensitive);
    }

    /// (everyone, those with sensitive data)
    fn counts(&mut self) -> (u64, u64) {
        let all = self.plain.union_len(&mut self.sensitive);
        (all as u64, self.sensitive.len() as u64)
    }
}

/// Counts of one field.
#[derive(Clone)]
pub(super) struct FieldAcc {
    pub(super) name: Option<String>,
    pub(super) hints: Hints,
    pub(super) non_empty: u64,
    pub(super) matches: [u64; KIND_COUNT],
    pub(super) values: [u64; KIND_COUNT],
    /// Values with a card number's shape that are no card (they fail
    /// Luhn): what tells a column of order numbers from one of cards.
    pub(super) card_misses: u64,
    /// Values of a mobile number's shape that are no mobile (11 digits
    /// starting `10`–`12`): what tells a column of user numbers from one
    /// of mobiles.
    pub(super) mobile_misses: u64,
    /// The kinds set aside in this field (bits by kind), or
    /// [`super::ASIDE_UNKNOWN`] until its first value looks them up.
    pub(super) aside: u32,
    /// Matches set aside per kind ([`crate::ScanOptions::not_kinds`]).
    pub(super) set_aside: [u64; KIND_COUNT],
    /// Masked samples with their record's [`Rec::order`]: a merge keeps
    /// the first by that order, whichever batch was scanned first.
    pub(super) samples: Vec<(u64, String)>,
    /// How many more values in a row `detect::holds_nothing_by_shape` may
    /// turn down before this field's values are no longer tested: refilled
    /// by each it passes, so a timestamp or amount column tests every value
    /// and an ID or mobile column only its first few (in each batch).
    /// Only a guess of where to look: the counts are the same either way.
    pub(super) shape_tries: u8,
}

impl FieldAcc {
    pub(super) fn new(name: Option<String>) -> Self {
        let hints = name.as_deref().map(Hints::from_header).unwrap_or_default();
        FieldAcc {
            name,
            hints,
            non_empty: 0,
            matches: [0; KIND_COUNT],
            values: [0; KIND_COUNT],
            card_misses: 0,
            mobile_misses: 0,
            aside: super::ASIDE_UNKNOWN,
            set_aside: [0; KIND_COUNT],
            samples: Vec::new(),
            shape_tries: super::SHAPE_TRIES,
        }
    }
}

/// First occurrence and count of a per-line problem.
#[derive(Default, Clone, Copy)]
pub(super) struct Tally {
    pub(super) count: u64,
    pub(super) first_line: Option<u64>,
}

impl Tally {
    pub(super) fn hit(&mut self, line: Option<u64>) {
        self.count += 1;
        if self.first_line.is_none() || line < self.first_line {
            self.first_line = line.or(self.first_line);
        }
    }
    pub(super) fn merge(&mut self, o: Tally) {
        self.count += o.count;
        self.first_line = match (self.first_line, o.first_line) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Per-file (or per-batch) accumulator.
#[derive(Default)]
pub(super) struct Acc {
    pub(super) records: u64,
    pub(super) fields: Vec<FieldAcc>,
    pub(super) index: HashMap<String, usize>,
    pub(super) subjects: Subjects,
    pub(super) errors: Vec<ErrorEntry>,
    pub(super) bad_utf8: Tally,
    pub(super) ragged: Tally,
    pub(super) key_seen: bool,
    /// Samples kept per field (0 = unknown/none): bounds samples on merge.
    pub(super) sample_cap: usize,
    /// Fields `0..positional` are columns by position ([`Acc::with_names`]):
    /// a CSV header may repeat a name, and each column stays its own field.
    pub(super) positional: usize,
    /// [`Acc::field_at`]'s memo: the name and field of each leaf of the
    /// last record, by its place in the record. Not merged: the indices
    /// are this accumulator's.
    pub(super) memo: Memo<usize>,
    /// [`Acc::key_kind`]'s memo: each key of the last record, by its place,
    /// and what it holds when it is itself personal data.
    pub(super) key_memo: Memo<Option<Kind>>,
    /// The flat records' memo (`Walk::top_pair`): each top-level key of the
    /// last such record that is no personal data, by its place, with its
    /// value's field and whether that is the subject key. Not merged, as
    /// [`Acc::memo`].
    pub(super) flat_memo: Memo<(usize, bool)>,
    /// What the flat-record reader keeps from record to record.
    pub(super) flat: super::flat::Kept,
}

/// The most leaves (or keys) of a record a [`Memo`] remembers.
const MEMO_LEAVES: usize = 256;

/// What was worked out for each name (a leaf's path, a key) of the last
/// record, by its place in the record: JSON lines (and rows of Parquet)
/// mostly hold the same names in the same order, so a comparison with the
/// last record's name at that place replaces the work.
#[derive(Default)]
pub(super) struct Memo<T>(Vec<(String, T)>);

impl<T: Copy> Memo<T> {
    /// What the name at place `n` gave, if it is the last record's.
    #[inline(always)]
    pub(super) fn get(&self, n: usize, name: &str) -> Option<T> {
        self.0
            .get(n)
            .filter(|(p, _)| crate::detect::util::same_bytes(p.as_bytes(), name.as_bytes()))
            .map(|e| e.1)
    }

    /// Remembers what the name at place `n` gave (the first
    /// [`MEMO_LEAVES`] places, each reusing its string).
    pub(super) fn set(&mut self, n: usize, name: &str, v: T) {
        if let Some(e) = self.0.get_mut(n) {
            e.0.clear();
            e.0.push_str(name);
            e.1 = v;
        } else if n == self.0.len() && n < MEMO_LEAVES {
            self.0.push((name.to_string(), v));
        }
    }
}

impl Rec {
    /// A record at `order` (see [`Rec::order`]).
    pub(super) fn at(order: u64) -> Rec {
        Rec {
            order,
            ..Rec::default()
        }
    }

    /// A record at `order` that may hold many people ([`Rec::many`]).
    pub(super) fn of_many(order: u64) -> Rec {
        Rec {
            many: true,
            ..Rec::at(order)
        }
    }

    /// A line of text at `order`: a record of many people ([`Rec::line`]).
    pub(super) fn of_line(order: u64) -> Rec {
        Rec {
            line: true,
            ..Rec::of_many(order)
        }
    }
}

/// Items numbered in reading order (batches' counts), handed on in that
/// order whatever order the threads finish them in: with more than
/// [`MAX_FIELDS`] names, which of them get a field of their own depends on
/// the order they are met, and the report must be the one a single pass
/// gives. Used by JSON lines and text (`scan_lines`) and a JSON
/// document's batches (`ahead`).
pub(super) struct InOrder<T> {
    next: u64,
    /// Items waiting for those before them.
    done: BTreeMap<u64, T>,
}

impl<T> InOrder<T> {
    /// Nothing handed on yet; the first item is number 0.
    pub(super) fn new() -> Self {
        InOrder {
            next: 0,
            done: BTreeMap::new(),
        }
    }

    /// Item `index`; then hands `take` every item that is next in order.
    pub(super) fn add(&mut self, index: u64, item: T, mut take: impl FnMut(T)) {
        self.done.insert(index, item);
        while let Some(t) = self.done.remove(&self.next) {
            self.next += 1;
            take(t);
        }
    }

    /// How many items were handed on: the number of the next.
    pub(super) fn handed_on(&self) -> u64 {
        self.next
    }

    /// Whether no item waits (every one added was handed on).
    pub(super) fn is_empty(&self) -> bool {
        self.done.is_empty()
    }
}

impl Acc {
    /// Moves this accumulator's samples `by` places later: a chunk of rows
    /// numbered from 0 appended after `by` rows.
    pub(super) fn shift_order(&mut self, by: u64) {
        for f in &mut self.fields {
            for s in &mut f.samples {
                s.0 += by;
            }
        }
    }

    pub(super) fn with_names(names: &[Option<String>]) -> Acc {
        let mut a = Acc::default();
        for n in names {
            let i = a.fields.len();
            a.fields.push(FieldAcc::new(n.clone()));
            let key = n.as_deref().unwrap_or("\0null");
            a.index.entry(key.to_string()).or_insert(i);
        }
        a.positional = names.len();
        a
    }

    pub(super) fn field(&mut self, name: Option<&str>) -> usize {
        let mut key = name.unwrap_or("\0null");
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        // Bound memory on documents with unbounded key sets.
        if self.fields.len() >= MAX_FIELDS {
            key = OTHER_FIELDS;
            if let Some(&i) = self.index.get(key) {
                return i;
            }
            let i = self.fields.len();
            self.fields.push(FieldAcc::new(Some(key.to_string())));
            self.index.insert(key.to_string(), i);
            return i;
        }
        let i = self.fields.len();
        self.fields.push(FieldAcc::new(name.map(str::to_string)));
        self.index.insert(key.to_string(), i);
        i
    }

    /// [`Acc::field`] of the `n`-th leaf of a record. Records of JSON
    /// lines (and rows of Parquet) mostly hold the same keys in the same
    /// order, so the field of the same place in the last record is tried
    /// first: a comparison where the lookup hashed the path (a fifth of
    /// the time of JSON lines). The same index as [`Acc::field`] in every
    /// case: a name, once given a field, keeps it.
    #[inline(always)]
    pub(super) fn field_at(&mut self, n: usize, name: &str) -> usize {
        match self.memo.get(n, name) {
            Some(i) => i,
            None => self.field_at_new(n, name),
        }
    }

    /// [`Acc::field_at`] of a name the memo does not hold at `n`.
    #[inline(never)]
    fn field_at_new(&mut self, n: usize, name: &str) -> usize {
        let i = self.field(Some(name));
        self.memo.set(n, name, i);
        i
    }

    /// [`detect::kind_of_field_name`] of the key at place `n` of a JSON
    /// record, through the memo: keys repeat in every record, so most are
    /// one comparison with the last record's key at that place.
    #[inline(always)]
    pub(super) fn key_kind(&mut self, n: usize, key: &str) -> Option<Kind> {
        match self.key_memo.get(n, key) {
            Some(k) => k,
            None => self.key_kind_new(n, key),
        }
    }

    /// [`Acc::key_kind`] of a key the memo does not hold at `n`.
    #[inline(never)]
    fn key_kind_new(&mut self, n: usize, key: &str) -> Option<Kind> {
        let k = crate::detect::kind_of_field_name(key);
        self.key_memo.set(n, key, k);
        k
    }

    /// Adds the counts of the next batch in order, `counted` on their own,
    /// or, where they would not merge as one pass counts
    /// ([`Acc::merges_as_one_pass`]), has `rescan` scan the batch again
    /// into these counts.
    pub(super) fn add_in_order(&mut self, counted: Acc, rescan: impl FnOnce(&mut Acc)) {
        if self.merges_as_one_pass(&counted) {
            *self = std::mem::take(self).merge(counted);
        } else {
            rescan(self);
        }
    }

    /// Whether merging `o`, the counts of the records right after these
    /// scanned on their own, gives what scanning them into these would.
    /// Not when a name of `o` would go to [`OTHER_FIELDS`] here: `o` put
    /// its values under that name's field, found with that name's hints
    /// (a person's name or a birth date is only looked for under a name
    /// that says so), and `(other fields)` has none; nor when `o` reached
    /// the limit itself (a value it put under `(other fields)` may belong
    /// to a field these have).
    pub(super) fn merges_as_one_pass(&self, o: &Acc) -> bool {
        if o.fields.len() >= MAX_FIELDS {
            return false;
        }
        if self.fields.len() + o.fields.len() < MAX_FIELDS {
            return true;
        }
        let new = o
            .fields
            .iter()
            .filter(|f| {
                !self
                    .index
                    .contains_key(f.name.as_deref().unwrap_or("\0null"))
            })
            .count();
        self.fields.len() + new < MAX_FIELDS
    }

    pub(super) fn merge(mut self, o: Acc) -> Acc {
        self.records += o.records;
        let cap = self.sample_cap.max(o.sample_cap);
        self.sample_cap = cap;
        let positional = self.positional.min(o.positional);
        for (j, f) in o.fields.into_iter().enumerate() {
            let i = if j < positional {
                j
            } else {
                self.field(f.name.as_deref())
            };
            let t = &mut self.fields[i];
            t.non_empty += f.non_empty;
            t.card_misses += f.card_misses;
            t.mobile_misses += f.mobile_misses;
            for k in 0..KIND_COUNT {
                t.matches[k] += f.matches[k];
                t.values[k] += f.values[k];
                t.set_aside[k] += f.set_aside[k];
            }
            t.samples.extend(f.samples);
            // Stable: a record's samples stay in the order of its cells.
            t.samples.sort_by_key(|s| s.0);
            t.samples.truncate(cap);
        }
        self.subjects.merge(o.subjects);
        self.errors.extend(o.errors);
        self.bad_utf8.merge(o.bad_utf8);
        self.ragged.merge(o.ragged);
        self.key_seen |= o.key_seen;
        self
    }

    pub(super) fn end_record(&mut self, mut r: Rec) {
        self.end_reused(&mut r);
    }

    /// [`Acc::end_record`] that leaves `r` blank for the next record of a
    /// batch, its buffers' capacity kept: a batch of text lines allocates
    /// them once, not once a line.
    pub(super) fn end_reused(&mut self, r: &mut Rec) {
        self.records += 1;
        self.take_subjects(r);
    }

    /// Counts the subjects `r` holds (as a record's, but it is not one: a
    /// column named by an identifier) and leaves `r` blank.
    pub(super) fn take_subjects(&mut self, r: &mut Rec) {
        if let Some(h) = r.key.take() {
            self.subjects.key.insert(h, r.sensitive);
        }
        for h in r.keys.drain(..) {
            self.subjects.key.insert(h, r.sensitive);
        }
        let mut strongest = stronger(r.strongest.take(), r.auto.map(|(slot, _)| slot));
        if let Some((_, h)) = r.auto.take() {
            self.subjects.auto.insert(h, r.sensitive);
        }
        if !r.all.is_empty() {
            // A line's are settled (`Ctx::settle_line`): distinct, one kind.
            let (slot, chosen) = if r.line {
                (r.all[0].0, r.all[0].0)
            } else {
                many_subjects(&mut r.all)
            };
            strongest = stronger(strongest, Some(slot));
            for &(s, h) in &r.all {
                if s == chosen {
                    self.subjects.auto.insert(h, r.sensitive);
                }
            }
            r.all.clear();
        }
        r.sensitive = false;
        r.leaf = 0;
        r.key_place = 0;
        self.subjects.strongest = stronger(self.subjects.strongest, strongest);
    }
}

/// The stronger (lower) of two slots in [`AUTO_KINDS`], either may be absent.
fn stronger(a: Option<u8>, b: Option<u8>) -> Option<u8> {
    a.into_iter().chain(b).min()
}

/// Of the identifiers of a record of many people, (slot, hash) pairs in
/// any order, made distinct in place: the strongest slot present and the
/// slot that counts ([`most_distinct`]).
fn many_subjects(all: &mut Vec<(u8, u64)>) -> (u8, u8) {
    make_distinct(all);
    let strongest = all.iter().map(|e| e.0).min().unwrap_or(0);
    (strongest, most_distinct(&per_slot(all)))
}

/// How many of `all` there are of each slot.
pub(super) fn per_slot(all: &[(u8, u64)]) -> [usize; AUTO_KINDS.len()] {
    let mut counts = [0usize; AUTO_KINDS.len()];
    for &(s, _) in all {
        counts[usize::from(s)] += 1;
    }
    counts
}

/// Removes repeated (slot, hash) pairs, in any order. A line holds a
/// handful (a quadratic look is cheaper than a sort's call there); a
/// document or a long line of thousands is sorted.
pub(super) fn make_distinct(all: &mut Vec<(u8, u64)>) {
    if all.len() > 16 {
        all.sort_unstable();
        all.dedup();
        return;
    }
    let mut kept = 0;
    for i in 0..all.len() {
        let e = all[i];
        if !all[..kept].contains(&e) {
            all[kept] = e;
            kept += 1;
        }
    }
    all.truncate(kept);
}

/// The slot that counts in a record of many people, given the number of
/// distinct values of each: the one with the most, the strongest among
/// equals. A document of 100 people with a mobile each and one resident ID
/// counts 100, not 1, and one of 100 people with both counts 100, not 200.
pub(super) fn most_distinct(counts: &[usize; AUTO_KINDS.len()]) -> u8 {
    (0..counts.len())
        .rev()
        .max_by_key(|&s| counts[s])
        .unwrap_or(0) as u8
}

/// Per-record subject state.
#[derive(Default)]
pub(super) struct Rec {
    /// Where the record is in its input (its line, element or row): orders
    /// the masked samples.
    pub(super) order: u64,
    pub(super) key: Option<u64>,
    /// Without a subject key, the record's strongest identifier: its slot
    /// in [`AUTO_KINDS`] and its hash (the first value of that kind). Each
    /// record counts by its own strongest identifier, as the gate counts
    /// (`outbound_gate::policy`), so a record with a mobile but no resident
    /// ID still counts when other records have one.
    pub(super) auto: Option<(u8, u64)>,
    /// A record that may hold many people (a line of free text, a JSON
    /// document that is one object): its identifiers are kept, with their
    /// slots, in `all` once there are two (one stays in `auto`), and every
    /// subject-key value in `keys`; the record counts the distinct values
    /// of the kind it has most of (`many_subjects`). A row of a table is
    /// one person, as in the gate.
    pub(super) many: bool,
    /// A record of many people that is one value (a line of text): its
    /// identifiers wait in `spans` as (slot, start, end) until the line has
    /// been read, and only the kind that counts is hashed
    /// (`Ctx::settle_line`).
    pub(super) line: bool,
    pub(super) spans: Vec<(u8, usize, usize)>,
    pub(super) all: Vec<(u8, u64)>,
    pub(super) keys: Vec<u64>,
    /// Leaves of a JSON record (or a Parquet row) seen so far: the place
    /// of the next in its record ([`Acc::field_at`]).
    pub(super) leaf: usize,
    /// Keys of a JSON record seen so far ([`Acc::key_kind`]).
    pub(super) key_place: usize,
    /// The strongest slot the record held when it is not in `auto` or
    /// `all` (a line's kind that did not count).
    pub(super) strongest: Option<u8>,
    pub(super) sensitive: bool,
    /// The kinds the cell being read has matched so far (a bit per kind):
    /// a cell counts once per kind.
    pub(super) seen: u32,
}

/// Values of a kind's shape that fail its check a field needs before its
/// matches of that kind can be taken for chance (below that, a few typos).
const CHANCE_MIN: u64 = 20;

/// Kinds whose matches a whole field can hold by chance, each with the
/// misses ([`FieldAcc::card_misses`], [`FieldAcc::mobile_misses`]) that
/// tell it, per match found, as `num / den`:
/// - `bank_card`: card-shaped values fail Luhn 9 times in 10 when they are
///   some other numbering, almost never in a column of cards: 4 misses a
///   card or more.
/// - `cn_mobile`: of random 11-digit numbers starting with 1, 3 in 10 start
///   `10`–`12`, which no mobile does, against 7 that pass as mobiles (0.43
///   a match); a column of mobiles has almost none: 1 miss in 4 matches or
///   more.
fn by_chance(f: &FieldAcc) -> Vec<&'static str> {
    [
        (Kind::BankCard, f.card_misses, 4, 1),
        (Kind::CnMobile, f.mobile_misses, 1, 4),
    ]
    .into_iter()
    .filter(|&(k, misses, num, den)| {
        let found = f.values[k as usize];
        found > 0 && misses >= CHANCE_MIN && misses * den >= found * num
    })
    .map(|(k, ..)| k.as_str())
    .collect()
}

pub(super) fn field_report(f: &mut FieldAcc, samples: usize) -> FieldReport {
    let by_chance = by_chance(f);
    // A kind matched by chance classifies nothing: a column of user
    // numbers is not `contact.phone` because 7 in 10 pass as mobiles.
    let mut best: Option<(Kind, u64)> = None;
    for k in Kind::ALL {
        let v = f.values[k as usize];
        if v > 0 && best.is_none_or(|(_, b)| v > b) && !by_chance.contains(&k.as_str()) {
            best = Some((k, v));
        }
    }
    let classified = best.filter(|&(_, v)| v * 2 > f.non_empty);
    f.samples.truncate(samples);
    FieldReport {
        field: f.name.clone(),
        kinds: Kind::ALL
            .iter()
            .filter(|k| f.matches[**k as usize] > 0)
            .map(|k| (k.as_str(), f.matches[*k as usize]))
            .collect(),
        non_empty: f.non_empty,
        classified_as: classified.map(|(k, _)| k),
        share: classified.map(|(_, v)| (v as f64 / f.non_empty as f64 * 1e4).round() / 1e4),
        category: classified.and_then(|(k, _)| k.category()),
        by_chance,
        set_aside: Kind::ALL
            .iter()
            .filter(|k| f.set_aside[**k as usize] > 0)
            .map(|k| (k.as_str(), f.set_aside[*k as usize]))
            .collect(),
        samples: std::mem::take(&mut f.samples)
            .into_iter()
            .map(|(_, s)| s)
            .collect(),
    }
}

/// Merges the per-file results of a run into the report: totals per kind,
/// the distinct individuals of all files together, and every error.
pub(super) fn report(
    results: Vec<(FileReport, Acc)>,
    subject_key: Option<&str>,
    mut errors: Vec<ErrorEntry>,
) -> ScanReport {
    let mut report = ScanReport::default();
    let mut subjects = Subjects::default();
    let mut totals = [0u64; KIND_COUNT];
    for (fr, acc) in results {
        // Each file without the subject key says so: its records count no one.
        if let Some(key) = subject_key
            && !acc.key_seen
            && fr.records > 0
        {
            errors.push(ErrorEntry {
                path: fr.path.clone(),
                message: format!(
                    "subject key field `{key}` not found: this input's records count no individual"
                ),
                ..Default::default()
            });
        }
        for f in &fr.fields {
            for (k, v) in &f.kinds {
                if let Some(kind) = Kind::from_str_id(k) {
                    totals[kind as usize] += v;
                }
            }
        }
        subjects.merge(acc.subjects);
        errors.extend(acc.errors);
        report.files.push(fr);
    }
    report.totals = Totals {
        kinds: Kind::ALL
            .iter()
            .filter(|k| totals[**k as usize] > 0)
            .map(|k| (k.as_str(), totals[*k as usize]))
            .collect(),
    };
    report.individuals = match subject_key {
        Some(key) => {
            let (distinct, sensitive) = subjects.key.counts();
            Individuals {
                key: Some(key.to_string()),
                distinct,
                sensitive,
            }
        }
        None => match subjects.strongest {
            Some(s) => {
                let (distinct, sensitive) = subjects.auto.counts();
                Individuals {
                    key: Some(AUTO_KINDS[usize::from(s)].as_str().to_string()),
                    distinct,
                    sensitive,
                }
            }
            None => Individuals::default(),
        },
    };
    report.errors = errors;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: Kind, found: u64, card_misses: u64, mobile_misses: u64) -> FieldAcc {
        let mut f = FieldAcc::new(Some("n".into()));
        f.values[kind as usize] = found;
        (f.card_misses, f.mobile_misses) = (card_misses, mobile_misses);
        f
    }

    /// The boundaries of both rules: at least 20 misses, and 4 misses a
    /// card or 1 miss in 4 mobiles, each exactly at its bound and one short.
    #[test]
    fn chance_starts_at_twenty_misses_and_the_kinds_ratio() {
        let card = |found, misses| by_chance(&field(Kind::BankCard, found, misses, 0));
        assert_eq!(card(5, 20), ["bank_card"]);
        assert!(card(5, 19).is_empty());
        assert!(card(6, 23).is_empty());
        assert_eq!(card(6, 24), ["bank_card"]);
        assert!(card(0, 100).is_empty(), "no card, nothing to call chance");
        let mobile = |found, misses| by_chance(&field(Kind::CnMobile, found, 0, misses));
        assert_eq!(mobile(80, 20), ["cn_mobile"]);
        assert!(mobile(80, 19).is_empty());
        assert!(mobile(81, 20).is_empty());
        assert_eq!(mobile(400, 100), ["cn_mobile"]);
        assert!(mobile(401, 100).is_empty());
        // Each kind's misses count for that kind only.
        assert!(by_chance(&field(Kind::CnMobile, 10, 100, 0)).is_empty());
        assert!(by_chance(&field(Kind::BankCard, 1, 0, 100)).is_empty());
    }

    /// A kind matched by chance classifies nothing, even over half.
    #[test]
    fn a_kind_matched_by_chance_does_not_classify_the_field() {
        let mut f = field(Kind::CnMobile, 70, 0, 30);
        f.non_empty = 100;
        let r = field_report(&mut f, 0);
        assert_eq!(r.by_chance, ["cn_mobile"]);
        assert_eq!((r.classified_as, r.share, r.category), (None, None, None));
        let mut f = field(Kind::CnMobile, 70, 0, 17);
        f.non_empty = 100;
        let r = field_report(&mut f, 0);
        assert_eq!(r.classified_as, Some(Kind::CnMobile));
        assert_eq!(r.category, Some("contact.phone"));
    }
}

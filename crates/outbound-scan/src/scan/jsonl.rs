//! JSON lines and JSON documents: values are streamed through serde
//! visitors (no `serde_json::Value`), every leaf is a cell of the field
//! named by its dotted key path.

use std::io::BufRead;

use super::ahead::{Ahead, BATCH, Invalid, Shared};
use super::flat;
use super::jsondoc::{Held, Limited, Notes, Record, Shift, Skipped};
use super::merge::{Acc, Rec};
use super::{Ctx, MAX_FIELD, MAX_RECORD, err};
use crate::detect::{self, trim};
use crate::read::LineBatch;
use crate::{Hints, Kind};

/// Scans one batch of JSON lines; lines of `max` bytes or more are
/// reported and skipped.
pub(super) fn jsonl_batch(b: &LineBatch, path: &str, ctx: &Ctx<'_>, max: usize) -> Acc {
    let mut acc = Acc {
        sample_cap: ctx.samples,
        ..Default::default()
    };
    jsonl_into(&mut acc, b, path, ctx, max);
    acc
}

/// [`jsonl_batch`] into counts that may hold earlier batches already.
pub(super) fn jsonl_into(acc: &mut Acc, b: &LineBatch, path: &str, ctx: &Ctx<'_>, max: usize) {
    let mut p = String::new();
    let mut num = String::new();
    // The batch as text when it is valid UTF-8 (one vectorised check): its
    // lines are then parsed as `str`, and serde does not check the UTF-8
    // of every string again (a tenth of the time of JSON lines).
    let text = super::as_utf8(&b.data);
    for (line, cont, l) in b.lines() {
        if trim(l).is_empty() {
            continue;
        }
        if cont || l.len() >= max {
            if !cont {
                acc.errors.push(err(
                    path,
                    Some(line),
                    format!("JSON line longer than {max} bytes skipped"),
                ));
            }
            continue;
        }
        let mut r = Rec::at(line);
        let walk = Walk {
            path: &mut p,
            acc: &mut *acc,
            ctx,
            rec: &mut r,
            num: &mut num,
        };
        // A line is a slice of the batch ending at a line end, so on a
        // character boundary when the batch is text.
        let start = l.as_ptr() as usize - b.data.as_ptr() as usize;
        let res = walk_json(walk, l, text.and_then(|t| t.get(start..start + l.len())));
        p.clear();
        match res {
            // Cells of a broken line seen before the error stay counted;
            // the line is not counted as a record.
            Ok(()) => acc.end_record(r),
            Err(e) => acc
                .errors
                .push(err(path, Some(line), format!("invalid JSON: {e}"))),
        }
    }
}

/// One JSON value through `walk`, which must be all of `bytes`: parsed
/// as `text` when the caller knows the bytes to be that (serde then does
/// not check the UTF-8 of every string again).
fn walk_json(walk: Walk<'_, '_>, bytes: &[u8], text: Option<&str>) -> serde_json::Result<()> {
    // A record of plain strings and numbers, the usual one, without serde
    // (`flat`); serde reads whatever that does not take, and everything on
    // the plain path.
    let mut walk = walk;
    if !walk.ctx.plain
        && let Some(t) = text
    {
        let mut flat = std::mem::take(&mut walk.acc.flat);
        let read = flat.read(t.as_bytes());
        if let Some((events, unescaped)) = read {
            walk.events(t, unescaped, events);
        }
        let taken = read.is_some();
        walk.acc.flat = flat;
        if taken {
            return Ok(());
        }
    }
    fn all<'de, R: serde_json::de::Read<'de>>(
        walk: Walk<'_, '_>,
        mut de: serde_json::Deserializer<R>,
    ) -> serde_json::Result<()> {
        serde::de::DeserializeSeed::deserialize(walk, &mut de).and_then(|()| de.end())
    }
    match text {
        Some(t) => all(walk, serde_json::Deserializer::from_str(t)),
        None => all(walk, serde_json::Deserializer::from_slice(bytes)),
    }
}

/// Streams a JSON value into the accumulator without building a
/// `serde_json::Value`: strings are borrowed from the input where
/// possible, keys are appended to one reused path buffer, so the only
/// per-value work is the scan itself.
struct Walk<'a, 'c> {
    path: &'a mut String,
    acc: &'a mut Acc,
    ctx: &'a Ctx<'c>,
    rec: &'a mut Rec,
    num: &'a mut String,
}

impl Walk<'_, '_> {
    fn reborrow(&mut self) -> Walk<'_, '_> {
        Walk {
            path: &mut *self.path,
            acc: &mut *self.acc,
            ctx: self.ctx,
            rec: &mut *self.rec,
            num: &mut *self.num,
        }
    }

    /// The events [`flat::events`] read of a record, counted as serde's
    /// visit of the record counts it (`visit_map`, `visit_seq`, the keys'
    /// and the leaves' visits, in order).
    fn events(&mut self, t: &str, unescaped: &[u8], events: &[flat::Event]) {
        use flat::{Event, UNESCAPED};
        // A span in the record (both ends of a key or a string are at a
        // quote, a number is ASCII: on a character's boundary), or in the
        // text of strings that had escapes (UTF-8, as written from chars).
        let leaf = |a: u32, e: u32| {
            if a & UNESCAPED != 0 {
                unescaped
                    .get((a & !UNESCAPED) as usize..(e & !UNESCAPED) as usize)
                    .unwrap_or_default()
            } else {
                &t.as_bytes()[a as usize..e as usize]
            }
        };
        let key = |a: u32, e: u32| {
            if a & UNESCAPED != 0 {
                std::str::from_utf8(leaf(a, e)).unwrap_or_default()
            } else {
                t.get(a as usize..e as usize).unwrap_or_default()
            }
        };
        let top = self.path.is_empty();
        // Where the path of each key whose value has not ended began.
        let mut bases = [0usize; flat::MAX_DEPTH + 2];
        let mut open = 0;
        for &event in events {
            match event {
                Event::Pair(a, e, va, ve) if top && open == 0 => {
                    self.top_pair(key(a, e), Some(leaf(va, ve)));
                }
                Event::Bare(a, e) if top && open == 0 => self.top_pair(key(a, e), None),
                Event::Pair(a, e, va, ve) => self.inner_pair(key(a, e), Some(leaf(va, ve))),
                Event::Bare(a, e) => self.inner_pair(key(a, e), None),
                Event::Key(a, e) => {
                    bases[open] = self.path.len();
                    open += 1;
                    visit_key(self.path, key(a, e), self.acc, self.ctx, self.rec);
                }
                Event::Leaf(a, e) => self.leaf_here(leaf(a, e)),
                Event::End => {
                    open -= 1;
                    self.path.truncate(bases[open]);
                }
            }
        }
    }

    /// A key of an object inside the record with its leaf `v` (none: a
    /// literal or an empty object or list), counted as `visit_key` and
    /// `json_leaf` count them; the path is left as it was.
    #[inline(always)]
    fn inner_pair(&mut self, key: &str, v: Option<&[u8]>) {
        let base = self.path.len();
        visit_key(self.path, key, self.acc, self.ctx, self.rec);
        if let Some(v) = v {
            self.leaf_here(v);
        }
        self.path.truncate(base);
    }

    /// [`json_leaf`] at the path, through [`field_leaf`] (the flat
    /// records' copy of the cell's code).
    #[inline(always)]
    fn leaf_here(&mut self, v: &[u8]) {
        let (i, is_key) = leaf_field(self.path, self.acc, self.ctx, self.rec);
        field_leaf(i, is_key, v, self.acc, self.ctx, self.rec);
    }

    /// A key of the record itself with its leaf `v` (none: a literal or
    /// an empty object or list), counted as `visit_key` and `json_leaf`
    /// count them. Such a key that is no personal data names its value's
    /// field alone, so the field found for it is remembered by its place
    /// ([`Acc::flat_memo`]): a record with the last one's keys counts each
    /// value without building its path or looking it up.
    #[inline(always)]
    fn top_pair(&mut self, key: &str, v: Option<&[u8]>) {
        let place = self.rec.key_place;
        if let Some((i, is_key)) = self.acc.flat_memo.get(place, key) {
            self.rec.key_place += 1;
            if let Some(v) = v {
                leaf_counted(is_key, self.acc, self.rec);
                field_leaf(i, is_key, v, self.acc, self.ctx, self.rec);
            }
            return;
        }
        let kind = visit_key(self.path, key, self.acc, self.ctx, self.rec);
        if let Some(v) = v {
            let (i, is_key) = leaf_field(self.path, self.acc, self.ctx, self.rec);
            field_leaf(i, is_key, v, self.acc, self.ctx, self.rec);
            if kind.is_none() {
                self.acc.flat_memo.set(place, key, (i, is_key));
            }
        }
        self.path.clear();
    }

    fn leaf(self, v: &[u8]) {
        json_leaf(self.path, v, self.acc, self.ctx, self.rec);
    }

    fn number(self, n: impl std::fmt::Display) {
        use std::fmt::Write;
        self.num.clear();
        let _ = write!(self.num, "{n}");
        json_leaf(self.path, self.num.as_bytes(), self.acc, self.ctx, self.rec);
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// Appends an object key to the path. A key that is itself personal data
/// (maps keyed by phone number, ID or person name) is counted as that
/// kind and replaced in the path by `{kind}` (the values under it take no
/// hint from it, `Hints::from_header`: `{"张伟": "经理"}` holds one name);
/// purely numeric keys become `{n}`. So raw values
/// never become field names, and such maps do not explode into one field
/// per key.
struct KeySeed<'a, 'c> {
    path: &'a mut String,
    acc: &'a mut Acc,
    ctx: &'a Ctx<'c>,
    rec: &'a mut Rec,
}

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<(), E> {
        visit_key(self.path, k, self.acc, self.ctx, self.rec);
        Ok(())
    }
}

/// The next key `k` of record `r`: appended to `path` ([`push_key`]), and
/// counted as a value of its kind when it is itself personal data (that
/// kind is returned).
#[inline(always)]
fn visit_key(
    path: &mut String,
    k: &str,
    acc: &mut Acc,
    ctx: &Ctx<'_>,
    r: &mut Rec,
) -> Option<Kind> {
    let kind = push_key(path, k, acc, r)?;
    let hints = Some(Hints::of(kind));
    let v = match kind {
        Kind::PersonName => detect::name::name_key_as_value(k.as_bytes()),
        _ => k.as_bytes().into(),
    };
    leaf_hinted(path, &v, hints, acc, ctx, r);
    Some(kind)
}

/// Appends the field name `k` (a JSON key, a Parquet column) to `path`
/// after a `.`, as it may appear in a report: one that is itself personal
/// data (`kind`, from [`detect::kind_of_field_name`]) as `{kind}`, a number
/// as `{n}`, one over 1,024 bytes as `{long}` ([`super::key_placeholder`]).
pub(super) fn push_named(path: &mut String, k: &str, kind: Option<Kind>) {
    if !path.is_empty() {
        path.push('.');
    }
    match kind {
        Some(kd) => super::push_kind_segment(path, kd),
        None => path.push_str(super::key_placeholder(k).unwrap_or(k)),
    }
}

/// [`push_named`] for the next key of record `r`, its kind worked out
/// once for the keys that repeat from record to record ([`Acc::key_kind`]).
#[inline(always)]
pub(super) fn push_key(path: &mut String, k: &str, acc: &mut Acc, r: &mut Rec) -> Option<Kind> {
    let place = r.key_place;
    r.key_place += 1;
    let kind = acc.key_kind(place, k);
    push_named(path, k, kind);
    kind
}

impl<'de> serde::de::Visitor<'de> for Walk<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.leaf(v.as_bytes());
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        self.number(v);
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        self.number(v);
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        self.number(v);
        Ok(())
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self.reborrow())?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let base = self.path.len();
        while map
            .next_key_seed(KeySeed {
                path: &mut *self.path,
                acc: &mut *self.acc,
                ctx: self.ctx,
                rec: &mut *self.rec,
            })?
            .is_some()
        {
            map.next_value_seed(self.reborrow())?;
            self.path.truncate(base);
        }
        Ok(())
    }
}

/// Counts one JSON (or Parquet) leaf value in the field named by `path`
/// (`$` for the document itself).
pub(super) fn json_leaf(path: &str, v: &[u8], acc: &mut Acc, ctx: &Ctx<'_>, r: &mut Rec) {
    leaf_hinted(path, v, None, acc, ctx, r);
}

/// [`json_leaf`], read with `hints` instead of the field's when given.
#[inline(always)]
fn leaf_hinted(
    path: &str,
    v: &[u8],
    hints: Option<Hints>,
    acc: &mut Acc,
    ctx: &Ctx<'_>,
    r: &mut Rec,
) {
    let (i, is_key) = leaf_field(path, acc, ctx, r);
    let f = &mut acc.fields[i];
    let hints = hints.unwrap_or(f.hints);
    ctx.cell_hinted(f, hints, v, true, is_key, r);
}

/// The field of the next leaf of `r`, named by `path` (`$` for the
/// document itself), and whether it is the subject key; the leaf is
/// counted as one of the record's.
#[inline(always)]
fn leaf_field(path: &str, acc: &mut Acc, ctx: &Ctx<'_>, r: &mut Rec) -> (usize, bool) {
    let name = if path.is_empty() { "$" } else { path };
    let i = acc.field_at(r.leaf, name);
    let is_key = ctx.subject_key == Some(name);
    leaf_counted(is_key, acc, r);
    (i, is_key)
}

/// Counts a leaf as one of `r`'s (its place for the next one's field),
/// and the subject key as seen when it is the key.
#[inline(always)]
fn leaf_counted(is_key: bool, acc: &mut Acc, r: &mut Rec) {
    r.leaf += 1;
    acc.key_seen |= is_key;
}

/// Counts a leaf value in field `i`, which [`leaf_field`] gave for it
/// (`is_key`: the subject key), read with the field's hints: the flat
/// records' [`json_leaf`].
#[inline(never)]
fn field_leaf(i: usize, is_key: bool, v: &[u8], acc: &mut Acc, ctx: &Ctx<'_>, r: &mut Rec) {
    let f = &mut acc.fields[i];
    let hints = f.hints;
    ctx.cell_hinted(f, hints, v, true, is_key, r);
}

struct TopVisitor<'a, 'c> {
    acc: &'a mut Acc,
    ctx: &'a Ctx<'c>,
    /// The reader's notes: records it scanned itself or skipped, which
    /// reached serde as `null` and are not counted here (`standins`); the
    /// order of the next record (`records`); and `failed`, set here when
    /// an element fails (serde reads on for the array's end after an
    /// error, and the reader then hands it nothing more).
    notes: &'a Notes,
}

impl<'c> TopVisitor<'_, 'c> {
    fn walk<'s>(
        &'s mut self,
        path: &'s mut String,
        num: &'s mut String,
        r: &'s mut Rec,
    ) -> Walk<'s, 'c> {
        Walk {
            path: &mut *path,
            acc: &mut *self.acc,
            ctx: self.ctx,
            rec: &mut *r,
            num: &mut *num,
        }
    }
}

impl<'de> serde::de::Visitor<'de> for TopVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array or object")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        // One element at a time, streamed: arrays of millions of records
        // never sit in memory.
        let (mut p, mut num) = (String::new(), String::new());
        let mut seen = self.notes.standins.get();
        loop {
            let mut r = Rec::at(self.notes.records.get());
            p.clear();
            let w = self.walk(&mut p, &mut num, &mut r);
            match seq.next_element_seed(w) {
                Ok(Some(())) => {}
                Ok(None) => break,
                Err(e) => {
                    self.notes.failed.set(true);
                    return Err(e);
                }
            }
            // The reader hands over a record only when serde asks for it,
            // so a stand-in seen now is this element's.
            let standins = self.notes.standins.get();
            if standins > seen {
                seen = standins;
                continue;
            }
            self.acc.end_record(r);
        }
        Ok(())
    }

    /// A document that is one object: one record, which may hold many
    /// people (`{"data": [...]}`, an API's usual export), so each of their
    /// identifiers counts ([`Rec::many`]).
    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, map: A) -> Result<(), A::Error> {
        let (mut p, mut num) = (String::new(), String::new());
        let mut r = Rec::of_many(self.notes.records.get());
        let w = self.walk(&mut p, &mut num, &mut r);
        serde::de::Visitor::visit_map(w, map)?;
        self.acc.end_record(r);
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(mut self, s: &str) -> Result<(), E> {
        let (mut p, mut num) = (String::new(), String::new());
        let mut r = Rec::of_many(self.notes.records.get());
        self.walk(&mut p, &mut num, &mut r).leaf(s.as_bytes());
        self.acc.end_record(r);
        Ok(())
    }

    // A scalar document is valid JSON. Without these, serde's "invalid
    // type" error would quote the value (raw data) in the error message.
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        self.scalar(v)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        self.scalar(v)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        self.scalar(v)
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

impl TopVisitor<'_, '_> {
    /// A number as the whole document: one record, field `$`.
    fn scalar<E>(mut self, v: impl std::fmt::Display) -> Result<(), E> {
        let (mut p, mut num) = (String::new(), String::new());
        let mut r = Rec::of_many(self.notes.records.get());
        self.walk(&mut p, &mut num, &mut r).number(v);
        self.acc.end_record(r);
        Ok(())
    }
}

/// Scans a whole JSON document: an array is streamed one record per
/// element, an object or a scalar is one record. Each record the reader
/// holds whole is scanned from its bytes ([`scan_held`]), on the pool's
/// other threads when it has more than one ([`super::ahead`]); serde reads
/// the document's frame and whatever the reader hands it as it is.
pub(super) fn scan_json_doc(reader: Box<dyn BufRead + Send>, path: &str, ctx: &Ctx<'_>) -> Acc {
    let batch = (rayon::current_num_threads() > 1).then_some(BATCH);
    scan_json_doc_in(reader, path, ctx, batch)
}

/// [`scan_json_doc`], the held records scanned where they are read, or in
/// batches of `batch` bytes on the pool's threads.
fn scan_json_doc_in(
    reader: Box<dyn BufRead + Send>,
    path: &str,
    ctx: &Ctx<'_>,
    batch: Option<usize>,
) -> Acc {
    if let Some(batch) = batch {
        let shared = Shared::new(ctx);
        return rayon::scope(|s| {
            let mut ahead = Ahead::new(&shared, s, batch);
            let read = read_doc(reader, ctx, |r| ahead.record(r));
            let (held, invalid) = ahead.finish();
            doc_report(read, held, invalid, path)
        });
    }
    let mut held = Acc {
        sample_cap: ctx.samples,
        ..Acc::default()
    };
    let (mut p, mut num) = (String::new(), String::new());
    let read = read_doc(reader, ctx, |r| {
        if r.serde_reads {
            return Held::ToSerde;
        }
        scan_held(
            &mut held,
            ctx,
            (&mut p, &mut num),
            r.bytes,
            r.top,
            r.at,
            r.order,
        )
    });
    doc_report(read, held, None, path)
}

/// What reading a document through serde left: the counts of the records
/// serde read, its result, and what the reader noted.
struct DocRead {
    acc: Acc,
    res: serde_json::Result<()>,
    skipped: Vec<Skipped>,
    invalid: Option<(String, u64, u64)>,
    shift: Shift,
    consumed: u64,
}

/// Reads a document through [`Limited`], `hook` scanning the records it
/// holds.
fn read_doc<H: FnMut(&Record<'_>) -> Held>(
    reader: Box<dyn BufRead + Send>,
    ctx: &Ctx<'_>,
    hook: H,
) -> DocRead {
    let mut acc = Acc {
        sample_cap: ctx.samples,
        ..Acc::default()
    };
    let limited = Limited::new(reader, hook);
    let notes = limited.notes.clone();
    let mut de = serde_json::Deserializer::from_reader(limited);
    let top = TopVisitor {
        acc: &mut acc,
        ctx,
        notes: &notes,
    };
    let res = serde::Deserializer::deserialize_any(&mut de, top).and_then(|_| de.end());
    drop(de);
    DocRead {
        acc,
        res,
        skipped: notes.skipped.take(),
        invalid: notes.invalid.take(),
        shift: notes.shift.get(),
        consumed: notes.consumed.get(),
    }
}

/// The document's counts and errors: the records serde read and those
/// held (`held`), the records skipped over a limit, and the first error.
/// `late` is a record found not to be JSON after the reader had passed
/// it (records scanned on other threads): the document ends there, as
/// when the reader stopped at it, so what was skipped after it is not
/// reported and its error is the document's.
fn doc_report(read: DocRead, held: Acc, late: Option<Invalid>, path: &str) -> Acc {
    let DocRead {
        acc,
        res,
        mut skipped,
        mut invalid,
        shift,
        consumed,
    } = read;
    let mut acc = held.merge(acc);
    if let Some(late) = late {
        skipped.retain(|s| s.2 < late.order);
        // A record cut short by a read error: the read error is reported
        // (the reader's rule, `Limited::hand_over`).
        let cut_by_read_error = late.eof && res.as_ref().is_err_and(serde_json::Error::is_io);
        if invalid.is_none() && !cut_by_read_error {
            invalid = Some((late.message, late.line, late.column));
        }
    }
    for &(line, what, _) in &skipped {
        let limit = if what == "field" {
            format!("a JSON string longer than {} MiB", MAX_FIELD >> 20)
        } else {
            format!("a JSON record longer than {} MiB", MAX_RECORD >> 20)
        };
        acc.errors
            .push(err(path, Some(line), format!("{limit}: record skipped")));
    }
    // A record that is not JSON ended the document: serde's error then is
    // only that the document stopped. Otherwise serde's own error, its
    // column moved past the stand-ins shorter than their records.
    let placed = invalid.or_else(|| match &res {
        Err(e) if !e.is_io() => {
            let line = e.line() as u64;
            let col = shift.column(line, e.column() as u64);
            Some((without_position(e), line, col))
        }
        _ => None,
    });
    if let Some((msg, line, col)) = placed {
        acc.errors.push(err(
            path,
            Some(line),
            format!("invalid JSON: {msg} at line {line} column {col}"),
        ));
    } else if let Err(e) = res {
        let mut entry = err(
            path,
            None,
            format!("read error (input truncated or corrupt): {e}"),
        );
        // serde_json knows no position for a read error (it says line 0):
        // name the byte offset, in the decoded document, where reading stopped.
        if e.line() > 0 {
            entry.line = Some(e.line() as u64);
        } else {
            entry.offset = Some(consumed);
        }
        acc.errors.push(entry);
    }
    acc
}

/// Scans one record of a document (an object, an array or a string) from
/// its held bytes, as serde's visitor would have (a record of many people
/// when it is the whole document). A record that is not JSON keeps the
/// cells read before the error, as serde's visitor would, and its error
/// is placed in the document: `at` is where the record starts (line,
/// column).
pub(super) fn scan_held(
    acc: &mut Acc,
    ctx: &Ctx<'_>,
    (p, num): (&mut String, &mut String),
    rec: &[u8],
    top: bool,
    at: (u64, u64),
    order: u64,
) -> Held {
    let mut r = if top {
        Rec::of_many(order)
    } else {
        Rec::at(order)
    };
    p.clear();
    let walk = Walk {
        path: p,
        acc: &mut *acc,
        ctx,
        rec: &mut r,
        num,
    };
    let res = walk_json(walk, rec, super::as_utf8(rec));
    match res {
        Ok(()) => {
            acc.end_record(r);
            Held::Scanned
        }
        Err(e) => {
            let (line, col) = (e.line() as u64, e.column() as u64);
            // Columns count from the record's first byte on its first line.
            let col = if line <= 1 {
                at.1 + col.max(1) - 1
            } else {
                col
            };
            let eof = e.classify() == serde_json::error::Category::Eof;
            Held::Invalid(without_position(&e), at.0 + line.max(1) - 1, col, eof)
        }
    }
}

/// serde's message without the position it appends (` at line L column
/// C`), for a position placed in the document instead.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

#[cfg(test)]
mod tests;

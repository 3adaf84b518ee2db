//! The JSON readers' tests: documents scanned ahead on a pool report as
//! on one thread, records skipped or over the limits, hinted names past
//! the field limit.

use foldhash::quality::RandomState;
use std::io::{self, BufReader, Read};

use super::*;
use crate::corpus::{Rng, chinese_name};
use crate::report::{FieldReport, FileReport};

/// A reader that fails after `ok` bytes, as a truncated gzip stream
/// does.
struct FailsAfter {
    data: Vec<u8>,
    at: usize,
    ok: usize,
}

impl Read for FailsAfter {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.ok {
            return Err(io::Error::other("corrupt input"));
        }
        let n = buf.len().min(self.ok - self.at).min(7);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn mobile(rng: &mut Rng) -> String {
    let mut m = String::from("13");
    for _ in 0..9 {
        m.push(char::from(b'0' + rng.below(10) as u8));
    }
    m
}

/// An array of records of every sort the reader treats apart: objects
/// it holds (with identifiers, escapes, nesting), numbers and words
/// and records shorter than `null`, which serde reads itself, strings,
/// records that are not JSON, and now and then a missing comma or a
/// cut end.
fn document(rng: &mut Rng) -> Vec<u8> {
    let mut d = String::from("[");
    for r in 0..rng.below(40) {
        if r > 0 && !rng.pct(2) {
            d.push_str(if rng.pct(50) { ",\n" } else { ", " });
        }
        match rng.below(20) {
            0 => d.push_str(rng.pick::<&str>(&["12", "true", "null", "-0.5"])),
            1 => d.push_str(rng.pick::<&str>(&["{}", "[]", "\"\""])),
            2 => d.push_str(rng.pick::<&str>(&["{\"a\": tru}", "{\"a\" 1}", "[1,]", "{\"x\": \"\\q\"}"])),
            3 => d.push_str(&format!("\"{}\"", mobile(rng))),
            4 => d.push_str(&format!("[{{\"mobile\": \"{}\"}}, {{\"m\": [\"{}\"]}}]", mobile(rng), mobile(rng))),
            _ => d.push_str(&format!(
                "{{\"name\": \"{}\", \"mobile\": \"{}\", \"note\": \"a \\\"q\\\" [{{\\n\", \"n\": {}}}",
                chinese_name(rng),
                mobile(rng),
                rng.below(1000)
            )),
        }
    }
    if !rng.pct(3) {
        d.push_str("\n]\n");
    }
    d.into_bytes()
}

/// What a report would say of `acc`: fields, counts, individuals and
/// errors.
fn report(mut acc: Acc, samples: usize) -> String {
    let mut fields: Vec<FieldReport> = acc
        .fields
        .iter_mut()
        .map(|f| super::super::merge::field_report(f, samples))
        .collect();
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    acc.errors.sort_by_key(|e| (e.line, e.offset));
    let fr = FileReport {
        records: acc.records,
        fields,
        ..FileReport::default()
    };
    let r = super::super::merge::report(vec![(fr, acc)], None, Vec::new());
    serde_json::to_string(&r).unwrap()
}

/// The report of the document `reader` gives, scanned on one thread;
/// scanned ahead on a pool of two in batches of each of `batches`
/// bytes, the report must be the same (`what` names the case).
fn one_thread_and_ahead(
    reader: impl Fn() -> Box<dyn BufRead + Send> + Sync,
    samples: usize,
    batches: &[usize],
    what: &dyn Fn() -> String,
) -> String {
    let hasher = RandomState::default();
    let ctx = Ctx {
        hasher: &hasher,
        subject_key: None,
        samples,
        aside: &crate::scan::Aside::default(),
        plain: false,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let one = report(scan_json_doc_in(reader(), "d.json", &ctx, None), samples);
    for &batch in batches {
        let ahead = pool.install(|| {
            report(
                scan_json_doc_in(reader(), "d.json", &ctx, Some(batch)),
                samples,
            )
        });
        assert_eq!(ahead, one, "batch {batch}: {}", what());
    }
    one
}

/// Records scanned on other threads, in batches of any size, give the
/// report one thread gives: the same counts, individuals and samples,
/// and the same error where a record is not JSON, where serde's frame
/// breaks and where the input cannot be read.
#[test]
fn records_scanned_ahead_report_as_on_one_thread() {
    let mut rng = Rng::new(23);
    let mut invalid = 0;
    for _ in 0..400 {
        let doc = document(&mut rng);
        let fail = rng
            .pct(15)
            .then(|| rng.below(doc.len() as u64 + 1) as usize);
        let reader = || -> Box<dyn BufRead + Send> {
            match fail {
                Some(ok) => Box::new(BufReader::new(FailsAfter {
                    data: doc.clone(),
                    at: 0,
                    ok,
                })),
                None => Box::new(BufReader::with_capacity(64, io::Cursor::new(doc.clone()))),
            }
        };
        let what = || format!("fails {fail:?}: {}", String::from_utf8_lossy(&doc));
        let one = one_thread_and_ahead(reader, 3, &[1, 90, 1 << 20], &what);
        invalid += usize::from(one.contains("invalid JSON"));
    }
    // The cases reach what they are for.
    assert!(invalid > 100, "{invalid}");
}

/// A record over the field limit after a record that is not JSON: on
/// one thread the document ends before it, so it is not reported as
/// skipped; scanned ahead, the reader has met it, and it is dropped.
#[test]
fn a_record_skipped_after_one_that_is_not_json_is_not_reported() {
    for broken in [false, true] {
        let mut doc = String::from("[{\"mobile\": \"13800138000\"},\n");
        doc.push_str(if broken {
            "{\"a\": tru},\n"
        } else {
            "{\"a\": true},\n"
        });
        doc.push_str("{\"huge\": \"");
        doc.push_str(&"x".repeat(MAX_FIELD + 1));
        doc.push_str("\"}]");
        let reader = || -> Box<dyn BufRead + Send> { Box::new(io::Cursor::new(doc.clone())) };
        let one = one_thread_and_ahead(reader, 0, &[1], &|| format!("broken {broken}"));
        assert_eq!(one.contains("record skipped"), !broken, "{one}");
        assert_eq!(one.contains("invalid JSON"), broken, "{one}");
    }
}

/// A record with more field names than the field limit among others:
/// scanned ahead, a batch that reached the limit on its own is scanned
/// again in order, so each name keeps the field one thread gives it.
#[test]
fn a_document_over_the_field_limit_reports_as_on_one_thread() {
    let mut doc = String::from("[{\"m\": \"13800138000\", \"pad\": \"p\"},\n{");
    for i in 0..super::super::MAX_FIELDS {
        doc.push_str(&format!("\"x{i}\": \"v\", "));
    }
    doc.push_str("\"m\": \"13900139000\"},\n{\"m\": \"13700137000\"}]");
    let reader = || -> Box<dyn BufRead + Send> { Box::new(io::Cursor::new(doc.clone())) };
    let one = one_thread_and_ahead(reader, 1, &[1, 1 << 20], &String::new);
    assert!(
        one.contains(super::super::OTHER_FIELDS),
        "the limit is reached"
    );
    assert!(one.contains("\"field\":\"m\""), "{one}");
}

/// A name first met past the limit goes to `(other fields)`, which has
/// no hints: a person's name under `name` is not looked for there. A
/// batch of its own (under the limit by itself) merged into counts at
/// the limit would count it under `name`'s hints; it is scanned again.
#[test]
fn a_hinted_name_past_the_limit_is_scanned_as_other_fields() {
    let mut doc = String::from("[{");
    for i in 0..=super::super::MAX_FIELDS {
        doc.push_str(&format!("\"x{i}\": 1, "));
    }
    doc.push_str("\"y\": 1},\n{\"name\": \"张三\", \"x7\": \"13900139000\"}]");
    let reader = || -> Box<dyn BufRead + Send> { Box::new(io::Cursor::new(doc.clone())) };
    let one = one_thread_and_ahead(reader, 1, &[1, 1 << 20], &String::new);
    assert!(!one.contains("person_name"), "{one}");
    assert!(
        one.contains("\"field\":\"x7\",\"kinds\":{\"cn_mobile\":1}"),
        "{one}"
    );
}

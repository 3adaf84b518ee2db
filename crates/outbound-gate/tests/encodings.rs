//! Issue 11: the gate reads what `outbound scan` reads. A gzip, a GB18030
//! and a UTF-16 copy of one synthetic batch pass with the same counts and
//! the same pseudonyms as the plain UTF-8 file; the output is UTF-8, gzip
//! when its name ends in `.gz`, and the report says what was transcoded.

use std::io::{Read, Write};

use outbound_gate::{Outcome, sample};

use crate::{assert_passed, env, example};

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b).unwrap();
    gz.finish().unwrap()
}

fn gunzip(b: &[u8]) -> String {
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(b)
        .read_to_string(&mut s)
        .unwrap();
    s
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut b = if big_endian {
        vec![0xfe, 0xff]
    } else {
        vec![0xff, 0xfe]
    };
    for u in text.encode_utf16() {
        b.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    b
}

#[test]
fn gzip_gb18030_and_utf16_inputs_pass_like_the_plain_file() {
    let e = env(example());
    e.consent_all_but_every("crm-to-parent", 0, 300, 10);
    let text = sample::customers_csv(0, 300, 1, false);
    assert!(!text.is_ascii(), "names in Chinese");
    let plain = e.file("plain.csv", &text);
    let base = e.gate("crm-to-parent", &plain, "plain.out.csv", false);
    assert_passed(&base.outcome);
    assert_eq!((base.records_in, base.records_out), (300, 270));
    assert_eq!(base.stored.input_encoding, "utf-8");
    assert!(base.stored.transcoded.is_none() && base.stored.input_compression.is_none());
    let want = std::fs::read_to_string(e.dir.path().join("plain.out.csv")).unwrap();
    assert!(want.lines().nth(1).unwrap().starts_with("tok_"));
    let gb = encoding_rs::GB18030.encode(&text).0.into_owned();
    assert!(std::str::from_utf8(&gb).is_err(), "really not UTF-8");
    // (input, its bytes, its encoding, its compression, output)
    type Case<'a> = (&'a str, Vec<u8>, &'a str, Option<&'a str>, &'a str);
    let cases: [Case<'_>; 6] = [
        (
            "gz.csv.gz",
            gzip(text.as_bytes()),
            "utf-8",
            Some("gzip"),
            "gz.out.csv",
        ),
        (
            "gz2.csv.gz",
            gzip(text.as_bytes()),
            "utf-8",
            Some("gzip"),
            "gz2.out.csv.gz",
        ),
        ("gb.csv", gb.clone(), "gb18030", None, "gb.out.csv"),
        (
            "gbz.csv.gz",
            gzip(&gb),
            "gb18030",
            Some("gzip"),
            "gbz.out.csv.gz",
        ),
        (
            "le.csv",
            utf16(&text, false),
            "UTF-16LE",
            None,
            "le.out.csv",
        ),
        ("be.csv", utf16(&text, true), "UTF-16BE", None, "be.out.csv"),
    ];
    for (name, bytes, encoding, compression, out) in cases {
        let p = e.dir.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        let r = e.gate("crm-to-parent", &p, out, false);
        assert!(
            matches!(r.outcome, Outcome::Passed { .. }),
            "{name}: {:?}",
            r.outcome
        );
        assert_eq!(
            (r.records_in, r.records_out, r.dropped_no_consent),
            (base.records_in, base.records_out, base.dropped_no_consent),
            "{name}"
        );
        assert_eq!(r.counts.batch, base.counts.batch, "{name}");
        assert_eq!(
            r.counts.new.individuals, 0,
            "{name}: the same people, nobody new"
        );
        assert_eq!(
            (&r.kinds, &r.transformed),
            (&base.kinds, &base.transformed),
            "{name}"
        );
        assert_eq!(r.stored.input_encoding, encoding, "{name}");
        assert_eq!(r.stored.input_compression.as_deref(), compression, "{name}");
        assert_eq!(
            r.stored.transcoded.is_some(),
            encoding != "utf-8",
            "{name}: a transcoded input says so"
        );
        let written = std::fs::read(e.dir.path().join(out)).unwrap();
        let got = if out.ends_with(".gz") {
            assert_eq!(r.stored.output_compression.as_deref(), Some("gzip"));
            gunzip(&written)
        } else {
            assert!(r.stored.output_compression.is_none());
            String::from_utf8(written).unwrap()
        };
        assert_eq!(
            got, want,
            "{name}: the same UTF-8 output, the same pseudonyms"
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json["input_encoding"].as_str().is_some(),
            encoding != "utf-8",
            "{name}"
        );
    }
    // A plain UTF-8 report keeps its JSON shape: nothing about storage in it.
    let json = serde_json::to_value(&base).unwrap();
    for k in [
        "input_encoding",
        "input_compression",
        "output_compression",
        "transcoded",
    ] {
        assert!(json.get(k).is_none(), "{k}");
    }
}

#[test]
fn a_truncated_gzip_is_refused_with_nothing_written_or_counted() {
    let e = env(example());
    e.consent_all_but_every("crm-to-parent", 0, 5000, 0);
    let z = gzip(sample::customers_csv(0, 5000, 1, false).as_bytes());
    let p = e.dir.path().join("t.csv.gz");
    std::fs::write(&p, &z[..z.len() * 2 / 3]).unwrap();
    let err = e
        .try_gate("crm-to-parent", &p, "t.out.csv", false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("t.csv.gz") && err.contains("truncated or corrupt"),
        "{err}"
    );
    assert_eq!(e.store.batch_count().unwrap(), 0);
    assert!(!e.dir.path().join("t.out.csv").exists());
}

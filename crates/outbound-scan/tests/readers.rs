//! Reader and end-to-end tests on synthetic data generated in code.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use outbound_scan::{Kind, ScanOptions, ScanReport, corpus, scan_paths};

use crate::common::{gzip, scan, tmpdir, total, write};

fn field<'a>(r: &'a ScanReport, name: &str) -> &'a outbound_scan::FieldReport {
    r.files[0]
        .fields
        .iter()
        .find(|f| f.field.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no field {name}"))
}

#[test]
fn corpus_counts_equal_ground_truth() {
    let d = tmpdir();
    let (bytes, gt) = corpus::csv_bytes(5000, 42);
    let p = write(&d, "customers.csv", &bytes);
    let r = scan(&[p]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.files[0].records, gt.rows);
    assert_eq!(r.files[0].format, "csv");
    let got: std::collections::BTreeMap<&str, u64> = r.totals.kinds.clone().into_iter().collect();
    assert_eq!(got, gt.kinds);
    for (f, kinds) in &gt.fields {
        let fr = field(&r, f);
        assert_eq!(
            &fr.kinds
                .clone()
                .into_iter()
                .collect::<std::collections::BTreeMap<_, _>>(),
            kinds,
            "{f}"
        );
    }
    assert_eq!(r.individuals.key.as_deref(), Some("cn_resident_id"));
    assert_eq!(r.individuals.distinct, gt.distinct_subjects);
    assert_eq!(r.individuals.sensitive, gt.sensitive_subjects);
    assert_eq!(field(&r, "id_no").classified_as, Some(Kind::CnResidentId));
    assert_eq!(field(&r, "id_no").category, Some("identity.national_id"));
    assert_eq!(field(&r, "order_no").kinds.len(), 0);
    assert_eq!(field(&r, "created_ms").kinds.len(), 0);
}

#[test]
fn gzip_and_zstd_give_same_counts() {
    let d = tmpdir();
    let (bytes, gt) = corpus::csv_bytes(2000, 3);
    let gz = write(&d, "c.csv.gz", &gzip(&bytes));
    let zs = write(&d, "c.csv.zst", &zstd::encode_all(&bytes[..], 3).unwrap());
    let r = scan(&[gz, zs]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.files[0].compression.as_deref(), Some("gzip"));
    assert_eq!(r.files[1].compression.as_deref(), Some("zstd"));
    for f in &r.files {
        assert_eq!(f.records, gt.rows);
    }
    assert_eq!(
        total(&r, Kind::CnResidentId),
        2 * gt.kinds["cn_resident_id"]
    );
    // Same people in both files: counted once.
    assert_eq!(r.individuals.distinct, gt.distinct_subjects);
}

#[test]
fn truncated_gzip_is_an_error_not_a_panic() {
    let d = tmpdir();
    let (bytes, _) = corpus::csv_bytes(20000, 5);
    let gz = gzip(&bytes);
    let p = write(&d, "t.csv.gz", &gz[..gz.len() / 2]);
    let ok = write(&d, "ok.csv", b"phone\n13812345678\n");
    let r = scan(&[p, ok]);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert!(r.errors[0].path.ends_with("t.csv.gz"));
    assert!(r.errors[0].line.is_some() || r.errors[0].offset.is_some());
    assert!(r.files[0].records > 0);
    assert_eq!(r.files[1].records, 1);
}

#[test]
fn corrupt_gzip_json_document_names_where_reading_stopped() {
    // A read error inside a JSON document has no line in serde_json (it says
    // line 0); the report gives the byte offset instead. Found by the reader
    // fuzzer with a random seed.
    let d = tmpdir();
    let records: Vec<String> = (0..4_000)
        .map(|i| format!("{{\"id\": {i}, \"mobile\": \"138{i:08}\"}}"))
        .collect();
    let doc = format!("[{}]", records.join(",\n"));
    let mut gz = gzip(doc.as_bytes());
    // A wrong CRC-32 in the gzip trailer: every byte decodes, then the
    // decoder fails the read at the very end.
    let crc = gz.len() - 8;
    gz[crc] ^= 0xff;
    let p = write(&d, "corrupt.json.gz", &gz);
    let r = scan(&[p]);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    let e = &r.errors[0];
    assert!(e.message.starts_with("read error"), "{e:?}");
    assert_eq!(e.line, None, "{e:?}");
    // The whole document was decoded before the trailer failed.
    assert_eq!(e.offset, Some(doc.len() as u64), "{e:?}");
}

/// The same wrong CRC-32 in a file the sniffer reads to its end (a
/// one-line document over 64 KiB, which may still be the first of JSON
/// lines): the decoder says so once, and the report still has the error.
#[test]
fn corrupt_gzip_read_whole_by_the_sniffer_is_an_error() {
    let d = tmpdir();
    let items: Vec<String> = (0..4)
        .map(|i| format!("{{\"mobile\":\"138{i:08}\"}}"))
        .collect();
    let doc = format!(
        "{{\"note\":\"{}\",\"data\":[{}]}}",
        "x".repeat(100 * 1024),
        items.join(",")
    );
    let mut gz = gzip(doc.as_bytes());
    let crc = gz.len() - 8;
    gz[crc] ^= 0xff;
    let p = write(&d, "corrupt.json.gz", &gz);
    let r = scan(&[p]);
    assert_eq!(r.files[0].format, "json");
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert!(
        r.errors[0].message.starts_with("read error"),
        "{:?}",
        r.errors
    );
    assert_eq!(total(&r, Kind::CnMobile), 4);
}

#[test]
fn gb18030_csv_with_chinese_headers() {
    let d = tmpdir();
    let text = "姓名,身份证号,手机,地址,出生日期\n张三,110102199101010078,13812345678,北京市西城区西长安街1号,1991-01-01\n李四,44011320141005001X,13912345678,广州市番禺区市桥街2号,2014-10-05\n";
    let (enc, _, _) = encoding_rs::GB18030.encode(text);
    let p = write(&d, "gbk.csv", &enc);
    let r = scan(&[p]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.files[0].encoding, "gb18030");
    assert_eq!(field(&r, "姓名").kinds.get("person_name"), Some(&2));
    assert_eq!(field(&r, "身份证号").kinds.get("cn_resident_id"), Some(&2));
    assert_eq!(field(&r, "地址").classified_as, Some(Kind::Address));
    assert_eq!(field(&r, "出生日期").classified_as, Some(Kind::DateOfBirth));
    assert_eq!(total(&r, Kind::CnMobile), 2);
}

/// UTF-16 without a byte order mark, both byte orders, ASCII and Chinese:
/// told by its zero bytes and decoded, not scanned as UTF-8 bytes.
#[test]
fn utf16_without_a_bom_is_recognised() {
    let d = tmpdir();
    let text = "姓名,身份证号,手机\n张三,110102199101010078,13812345678\n李四,44011320141005001X,13912345678\n";
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for (name, bytes, enc) in [("le.csv", le, "UTF-16LE"), ("be.csv", be, "UTF-16BE")] {
        let p = write(&d, name, &bytes);
        let r = scan(&[p]);
        assert!(r.errors.is_empty(), "{name}: {:?}", r.errors);
        assert_eq!(r.files[0].encoding, enc);
        assert_eq!(
            field(&r, "身份证号").kinds.get("cn_resident_id"),
            Some(&2),
            "{name}"
        );
        assert_eq!(total(&r, Kind::CnMobile), 2, "{name}");
    }
    // UTF-8 with a NUL here and there stays UTF-8.
    let p = write(
        &d,
        "nul.csv",
        b"id,x\n11010519491231002X,a\0b\n13800138000,c\n",
    );
    let r = scan(&[p]);
    assert_eq!(r.files[0].encoding, "utf-8");
}

#[test]
fn tsv_quoted_fields_and_embedded_newlines() {
    let d = tmpdir();
    let p = write(
        &d,
        "x.tsv",
        b"id\tnote\n1\t\"line one\nmail a.b@example.org\"\n2\tplain\n",
    );
    let r = scan(&[p]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.files[0].format, "tsv");
    assert_eq!(r.files[0].records, 2);
    assert_eq!(total(&r, Kind::Email), 1);
}

#[test]
fn sniffed_csv_without_header_and_semicolons() {
    let d = tmpdir();
    let p = write(&d, "data.dat", b"13812345678;x\n13912345678;y\n");
    let r = scan(&[p]);
    assert_eq!(r.files[0].format, "csv");
    assert_eq!(r.files[0].records, 2);
    assert_eq!(field(&r, "column_1").classified_as, Some(Kind::CnMobile));
}

#[test]
fn ragged_rows_and_invalid_utf8_are_reported_with_lines() {
    let d = tmpdir();
    let mut data = b"a,b\n13812345678,x\n1,2,3\n".to_vec();
    data.extend_from_slice(b"\xff\xfe13912345678,y\n");
    // Make the head valid UTF-8 so the file is read as UTF-8.
    let mut big = b"a,b\n".to_vec();
    for _ in 0..5000 {
        big.extend_from_slice(b"13812345678,x\n");
    }
    big.extend_from_slice(&data[4..]);
    let p = write(&d, "r.csv", &big);
    let r = scan(&[p]);
    let msgs: Vec<_> = r
        .errors
        .iter()
        .map(|e| (e.line, e.message.clone()))
        .collect();
    assert_eq!(r.errors.len(), 2, "{msgs:?}");
    assert!(
        r.errors
            .iter()
            .any(|e| e.message.contains("UTF-8") && e.line == Some(5004)),
        "{msgs:?}"
    );
    assert!(
        r.errors
            .iter()
            .any(|e| e.message.contains("fields") && e.line == Some(5003)),
        "{msgs:?}"
    );
    assert_eq!(total(&r, Kind::CnMobile), 5002);
}

#[test]
fn json_lines_with_paths_and_a_syntax_error() {
    let d = tmpdir();
    let p = write(
        &d,
        "events.jsonl",
        br#"{"user":{"name":"John Smith","contact":{"phone":"13812345678","email":"js@example.com"}},"ip":"10.1.2.3"}
{"user":{"name":"Li Lei","contact":{"phone":"+86 139-1234-5678"}},"ip":"2001:db8::1:2"}
{"user": broken
{"user":{"contact":{"phone":13712345678}},"tags":["a","b"]}
"#,
    );
    let r = scan(&[p]);
    assert_eq!(r.files[0].format, "jsonl");
    assert_eq!(r.files[0].records, 3);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].line, Some(3));
    assert_eq!(
        field(&r, "user.contact.phone").kinds.get("cn_mobile"),
        Some(&3)
    );
    assert_eq!(field(&r, "user.name").kinds.get("person_name"), Some(&2));
    assert_eq!(total(&r, Kind::Ipv4), 1);
    assert_eq!(total(&r, Kind::Ipv6), 1);
    assert_eq!(r.individuals.key.as_deref(), Some("cn_mobile"));
    assert_eq!(r.individuals.distinct, 3);
}

/// JSON integers are read as their decimal text: a file of numbers gives
/// the report (fields, kinds, samples, individuals) the same values give
/// as strings, at the edges of `u64` and `i64` too.
#[test]
fn json_integers_read_as_their_decimal_text() {
    let d = tmpdir();
    let values = [
        "13712345678",
        "4111111111111111",
        "0",
        "-1",
        "7",
        "18446744073709551615",
        "-9223372036854775808",
        "200030",
    ];
    let (mut numbers, mut strings) = (String::new(), String::new());
    for v in values {
        numbers.push_str(&format!("{{\"n\": {v}, \"mobile\": {v}}}\n"));
        strings.push_str(&format!("{{\"n\": \"{v}\", \"mobile\": \"{v}\"}}\n"));
    }
    let opts = ScanOptions {
        samples: 3,
        ..Default::default()
    };
    let report = |name: &str, text: &str| {
        let r = scan_paths(&[write(&d, name, text.as_bytes())], &opts);
        let fields = serde_json::to_string(&r.files[0].fields).unwrap();
        let people = serde_json::to_string(&r.individuals).unwrap();
        (r.files[0].records, fields, people)
    };
    let numeric = report("numbers.jsonl", &numbers);
    assert_eq!(numeric, report("strings.jsonl", &strings));
    assert_eq!(numeric.0, values.len() as u64);
    assert!(
        numeric.1.contains("cn_mobile") && numeric.1.contains("bank_card"),
        "{}",
        numeric.1
    );
}

/// JSON lines whose first line is broken, named `.json`: still JSON lines
/// (the bad line is an error, the others are scanned); a pretty-printed
/// document whose last nested object sits on a line of its own stays a
/// document.
#[test]
fn json_lines_with_a_broken_first_line_are_json_lines() {
    let d = tmpdir();
    let mut text = String::from("{\"id\": broken\n");
    for _ in 0..5 {
        text.push_str("{\"id\":\"11010519491231002X\"}\n");
    }
    let p = write(&d, "export.json", text.as_bytes());
    let r = scan(&[p]);
    assert_eq!(r.files[0].format, "jsonl");
    assert_eq!(r.files[0].records, 5);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert_eq!(r.errors[0].line, Some(1));
    assert_eq!(total(&r, Kind::CnResidentId), 5);
    let doc = "{\"data\": [\n  {\"id\": \"11010519491231002X\"},\n  {\"id\": \"11010519491231002X\"}\n]}\n";
    let p = write(&d, "doc.json", doc.as_bytes());
    let r = scan(&[p]);
    assert_eq!(r.files[0].format, "json");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

/// JSON lines named `.json` whose first line is longer than the sniffer's
/// first look (64 KiB): still JSON lines, not one document that fails at
/// line 2; a one-line document of the same length stays a document.
#[test]
fn json_lines_with_a_first_line_over_the_sniffed_head_are_json_lines() {
    let d = tmpdir();
    let long = "x".repeat(200 * 1024);
    let mut text = format!("{{\"note\":\"{long}\",\"id\":\"11010519491231002X\"}}\n");
    for _ in 0..4 {
        text.push_str("{\"id\":\"11010519491231002X\"}\n");
    }
    let p = write(&d, "export.json", text.as_bytes());
    let r = scan(&[p]);
    assert_eq!(r.files[0].format, "jsonl");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.files[0].records, 5);
    assert_eq!(total(&r, Kind::CnResidentId), 5);
    let doc = format!(
        "{{\"note\":\"{long}\",\"data\":[{{\"id\":\"11010519491231002X\"}},{{\"id\":\"11010519491231002X\"}}]}}"
    );
    let p = write(&d, "doc", doc.as_bytes());
    let r = scan(&[p]);
    assert_eq!(r.files[0].format, "json");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(total(&r, Kind::CnResidentId), 2);
}

#[test]
fn json_document_array_streams_and_syntax_error_located() {
    let d = tmpdir();
    let p = write(
        &d,
        "doc.json",
        br#"[{"id_no":"110102199101010078","loc":{"lat":39.9042,"lng":116.4074}},
 {"id_no":"360426199101010071","card":"4111111111111111"}]"#,
    );
    let bad = write(&d, "bad.json", b"[{\"a\": 1},\n {\"b\": }]");
    let r = scan(&[p, bad]);
    assert_eq!(r.files[0].format, "json");
    assert_eq!(r.files[0].records, 2);
    assert_eq!(field(&r, "loc.lat").kinds.get("geo_coordinate"), Some(&1));
    assert_eq!(total(&r, Kind::CnResidentId), 2);
    assert_eq!(total(&r, Kind::BankCard), 1);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].line, Some(2));
    assert_eq!(r.files[1].records, 1);
}

/// A JSON document's syntax error is named where serde names it when it
/// reads the whole file as a stream: the same line and column, whether the
/// error is inside a record (which the reader parses from its held bytes)
/// or between records (which serde reads, with shorter stand-ins in the
/// place of the records before).
#[test]
fn json_document_errors_are_placed_as_serde_places_them() {
    let d = tmpdir();
    let docs = [
        "[{\"a\":1},{\"b\": }]",
        "[{\"a\":1},\n {\"b\":\n  }]",
        "[{\"a\":1} {\"b\":2}]",
        "[{\"a\":\"x\ny\"}, {\"b\":2} ]",
        "[{\"a\":1},{\"b\":2}",
        "[{\"a\":1},{\"b\":2}] x",
        "{\"a\":1,\"b\":}",
        "[ 1, {\"a\":{\"b\":[1,2,}]}}]",
        "[{\"a\":\n1} {\"b\":2}]",
        "[{\"a\":1},{\"b\":2},{\"c\":3} 4]",
        "[{\"a\":\"\\\\\\\"q\"},{\"b\": ]",
        "[{\"a\" 1}]",
        "[{\"a\":\"abc",
        "[\n  {\"a\": \"13800138000\"},\n  {\"b\": [1, 2]}, {\"c\": tru}\n]",
        "[{\"a\":1},\n{\"b\":[\n1,\n2]}  ,  x]",
        "[{\"a\":1,\n}]",
        "[{\"a\":1},\r\n {\"b\":\r\n\"x\ny\"}]",
        "[\"13800138000\", \"abc\", 12, {\"a\": [true, fals]}]",
        "{\"data\": [{\"m\": \"13800138000\"},\n {\"m\": 1.2.3}]}",
    ];
    for (k, doc) in docs.iter().enumerate() {
        // serde reading the file as a stream, as the scanner once did (a
        // slice reader places a line end in a string on the line before).
        let want = serde_json::from_reader::<_, serde::de::IgnoredAny>(doc.as_bytes()).unwrap_err();
        let p = write(&d, &format!("e{k}.json"), doc.as_bytes());
        let r = scan(&[p]);
        assert_eq!(r.errors.len(), 1, "{doc:?}: {:?}", r.errors);
        let e = &r.errors[0];
        assert_eq!(e.line, Some(want.line() as u64), "{doc:?}: {e:?}");
        // The words may differ (a slice reader says "trailing comma" where
        // the stream said "key must be a string"); the place may not.
        let at = format!(" at line {} column {}", want.line(), want.column());
        assert!(e.message.starts_with("invalid JSON: "), "{doc:?}: {e:?}");
        assert!(e.message.ends_with(&at), "{doc:?}: {e:?}, want{at}");
    }
}

/// What a broken JSON document counts is what serde read before its
/// error: a record after a missing comma is not counted (serde fails
/// before it), a number before a record without a comma is, and so is a
/// number with letters stuck to it (serde ends the number first).
#[test]
fn a_broken_json_document_counts_what_comes_before_its_error() {
    let d = tmpdir();
    for (doc, records, mobiles) in [
        ("[{\"m\":\"13800138000\"} {\"m\":\"13900139000\"}]", 1, 1),
        ("[{\"m\":\"13800138000\"},, {\"m\":\"13900139000\"}]", 1, 1),
        ("[12\"13900139000\"]", 1, 0),
        ("[{\"m\":\"13800138000\"}, 13900139000x]", 2, 2),
        ("13800138000x", 1, 1),
        (
            "[{\"m\":\"13800138000\"}, {\"m\":\"13900139000\"}] {\"m\":\"13700137000\"}",
            2,
            2,
        ),
    ] {
        let p = write(&d, "broken.json", doc.as_bytes());
        let r = scan(&[p]);
        assert_eq!(r.errors.len(), 1, "{doc}: {:?}", r.errors);
        assert_eq!(r.files[0].records, records, "{doc}");
        assert_eq!(total(&r, Kind::CnMobile), mobiles, "{doc}");
    }
}

#[test]
fn text_logs_with_keywords_and_timestamps() {
    let d = tmpdir();
    let p = write(
        &d,
        "app.log",
        "2024-05-01 12:00:01 ts=1714521601123 login from 192.168.1.20 phone=13812345678\n\
         2024-05-01 12:00:02 order 11011019910101007800 amount=1234.56\n\
         2024-05-01 12:00:03 update 姓名：王小明，地址：上海市徐汇区漕溪北路88号\n"
            .as_bytes(),
    );
    let r = scan(&[p]);
    assert!(r.errors.is_empty());
    assert_eq!(r.files[0].format, "text");
    assert_eq!(r.files[0].records, 3);
    assert_eq!(r.files[0].fields[0].field, None);
    assert_eq!(total(&r, Kind::CnMobile), 1);
    assert_eq!(total(&r, Kind::Ipv4), 1);
    assert_eq!(total(&r, Kind::CnResidentId), 0);
    assert_eq!(total(&r, Kind::PersonName), 1);
    assert_eq!(total(&r, Kind::Address), 1);
}

#[test]
fn huge_line_is_bounded_and_scanned() {
    let d = tmpdir();
    let mut data = Vec::new();
    for _ in 0..300_000 {
        data.extend_from_slice(b"x 13812345678 ");
    }
    data.push(b'\n');
    let p = write(&d, "huge.txt", &data);
    let r = scan(&[p]);
    assert_eq!(r.files[0].records, 1);
    // Pieces are cut at most 1 MiB long, after a separator: none is lost.
    assert_eq!(total(&r, Kind::CnMobile), 300_000);
}

/// An identifier just before a 1 MiB cut stays whole: the cut goes after
/// the separator before it (a space, or a JSON dump's commas).
#[test]
fn a_long_line_is_cut_between_values() {
    let d = tmpdir();
    let mut one = "x".repeat((1 << 20) - 9);
    one.push_str(" 11010519491231002X\n");
    let mut dump = String::from("[");
    while dump.len() < 4 << 20 {
        dump.push_str("{\"id\":\"11010519491231002X\",\"n\":1},");
    }
    dump.push_str("{}]\n");
    let per = dump.matches("11010519491231002X").count() as u64;
    let p = write(&d, "one.txt", one.as_bytes());
    let q = write(&d, "dump.log", dump.as_bytes());
    let r = scan(&[p]);
    assert_eq!(total(&r, Kind::CnResidentId), 1);
    let r = scan(&[q]);
    assert_eq!(total(&r, Kind::CnResidentId), per);
}

/// Masked samples are the first values in the input, whatever the number
/// of threads and whichever batch a thread finished first.
#[test]
fn samples_are_the_first_values_on_any_number_of_threads() {
    let d = tmpdir();
    // CSV batches of 4,096 records, text batches of 1 MiB: many of each.
    let (mut csv, mut log) = (String::from("mobile\n"), String::new());
    for i in 0..40_000u64 {
        csv.push_str(&format!("13{:09}\n", 100_000_000 + i));
    }
    for i in 0..300_000u64 {
        log.push_str(&format!("call from 13{:09} at the desk\n", 100_000_000 + i));
    }
    // A first line of 4 MiB, cut into pieces that land in several batches:
    // its samples come in its own order, before the other lines'.
    let mut long = String::new();
    for i in 0..300_000u64 {
        long.push_str(&format!("x 13{:09} ", 100_000_000 + i));
    }
    long.push('\n');
    long.push_str(&log[..1 << 20]);
    let csv = write(&d, "many.csv", csv.as_bytes());
    let log = write(&d, "many.log", log.as_bytes());
    let long = write(&d, "long.log", long.as_bytes());
    for p in [csv, log, long] {
        let run = |threads| {
            let opts = ScanOptions {
                samples: 3,
                threads: Some(threads),
                ..Default::default()
            };
            let r = scan_paths(std::slice::from_ref(&p), &opts);
            r.files[0].fields[0].samples.clone()
        };
        let first = run(1);
        assert_eq!(first, ["131****0000", "131****0001", "131****0002"]);
        for _ in 0..5 {
            assert_eq!(run(2), first, "{p:?}");
        }
    }
}

#[test]
fn subject_key_samples_and_no_raw_values_in_json() {
    let d = tmpdir();
    let p = write(
        &d,
        "c.csv",
        b"cust_id,id_no,mobile\nc1,110102199101010078,13812345678\nc2,360426199101010071,13912345678\nc1,110102199101010078,13812345678\nc3,,13712345678\n",
    );
    let opts = ScanOptions {
        subject_key: Some("cust_id".into()),
        samples: 2,
        ..Default::default()
    };
    let r = scan_paths(&[p], &opts);
    assert_eq!(r.individuals.key.as_deref(), Some("cust_id"));
    assert_eq!(r.individuals.distinct, 3);
    assert_eq!(r.individuals.sensitive, 2);
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("110102199101010078"));
    assert!(!json.contains("13812345678"));
    assert!(json.contains("1101**********0078"));
    assert!(json.contains("138****5678"));
    assert!(json.contains(r#""kinds":{"cn_resident_id":3}"#), "{json}");
}

#[test]
fn directories_globs_missing_files_and_progress() {
    let d = tmpdir();
    std::fs::create_dir_all(d.join("sub")).unwrap();
    write(&d, "a.csv", b"phone\n13812345678\n");
    write(&d.join("sub"), "b.jsonl", b"{\"phone\":\"13912345678\"}\n");
    write(&d, "skip.log", b"13712345678\n");
    let seen = Arc::new(AtomicU64::new(0));
    let s2 = seen.clone();
    let opts = ScanOptions {
        include: vec!["*.csv".into(), "**/*.jsonl".into()],
        exclude: vec!["*.log".into()],
        threads: Some(2),
        progress: Some(Arc::new(move |n| {
            s2.fetch_add(n, Ordering::Relaxed);
        })),
        ..Default::default()
    };
    let r = scan_paths(&[d.to_path_buf(), d.join("missing.csv")], &opts);
    assert_eq!(r.files.len(), 3);
    assert_eq!(total(&r, Kind::CnMobile), 2);
    assert_eq!(r.errors.len(), 1);
    assert!(r.errors[0].message.contains("cannot open"));
    let bytes: u64 = r.files.iter().map(|f| f.bytes).sum();
    assert_eq!(seen.load(Ordering::Relaxed), bytes);
}

#[cfg(not(feature = "parquet"))]
#[test]
fn parquet_without_feature_is_a_clear_error() {
    let d = tmpdir();
    let p = write(&d, "x.parquet", b"PAR1....PAR1");
    let r = scan(&[p]);
    assert_eq!(r.files[0].format, "parquet");
    assert!(r.errors[0].message.contains("parquet"));
}

#[test]
fn invalid_utf8_in_head_stays_utf8_and_is_reported() {
    let d = tmpdir();
    // 0xFF is invalid in both UTF-8 and GB18030.
    let p = write(
        &d,
        "bad.log",
        b"phone 13812345678\n\xff\xff broken\nmail a@b.cn\n",
    );
    let r = scan(&[p]);
    assert_eq!(r.files[0].encoding, "utf-8");
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].line, Some(2));
    assert_eq!(total(&r, Kind::CnMobile), 1);
    assert_eq!(total(&r, Kind::Email), 1);
}

#[test]
fn comment_lines_toml_and_ini_are_not_misread() {
    let d = tmpdir();
    let tsv = write(
        &d,
        "c.tsv",
        b"# source: generated\nid\tphone\n1\t13812345678\n",
    );
    let toml = write(&d, "Cargo.toml", b"[package]\nname = \"x\"\n");
    let ini = write(&d, "a.conf", b"[nginx]\nlisten=80\n");
    let r = scan(&[tsv, toml, ini]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.files[0].records, 1);
    assert_eq!(field(&r, "phone").kinds.get("cn_mobile"), Some(&1));
    assert_ne!(r.files[1].format, "json");
    assert_ne!(r.files[2].format, "json");
}

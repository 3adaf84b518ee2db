//! Counting people: the subject key and each record's strongest
//! identifier, records of many people (a JSON document, a line of text),
//! JSON lines of changing shape, the subject key's values compared as the
//! gate compares them, files without the key.

use outbound_scan::{ScanOptions, scan_paths};

use crate::common::{scan, tmpdir, write};

#[test]
fn a_person_seen_with_and_without_sensitive_data_counts_once() {
    // Automatic key (mobile): 138… once plain and once with a card, 139…
    // plain only, 137… with a card only, in separate batches too.
    let d = tmpdir();
    let mut csv = String::from("mobile,card\n13812345678,\n13912345678,\n");
    for _ in 0..5000 {
        csv.push_str("13912345678,\n");
    }
    csv.push_str("13812345678,4111111111111111\n13712345678,4111111111111111\n");
    let p = write(&d, "m.csv", csv.as_bytes());
    let r = scan_paths(&[p], &ScanOptions::default());
    assert_eq!(r.individuals.key.as_deref(), Some("cn_mobile"));
    assert_eq!((r.individuals.distinct, r.individuals.sensitive), (3, 2));
    // With a subject key.
    let p = write(
        &d,
        "k.csv",
        b"uid,card\nu1,\nu2,\nu1,4111111111111111\nu3,4111111111111111\nu3,\n",
    );
    let opts = ScanOptions {
        subject_key: Some("uid".into()),
        ..Default::default()
    };
    let r = scan_paths(&[p], &opts);
    assert_eq!((r.individuals.distinct, r.individuals.sensitive), (3, 2));
}

/// Without a subject key each record counts by its own strongest
/// identifier, as the gate counts: a record with a mobile and no resident
/// ID still counts when other records have one, whichever column comes
/// first, and the key named is the strongest kind any record had.
#[test]
fn each_record_counts_by_its_own_strongest_identifier() {
    let d = tmpdir();
    let p = write(
        &d,
        "m.csv",
        b"mobile,id,email\n13800138000,11010519491231002X,a@example.com\n\
          13900000001,,b@example.com\n13900000002,,\n,,c@example.com\n\
          139-0000-0002,,d@example.com\n,,\n",
    );
    let r = scan(&[p]);
    assert_eq!(r.individuals.key.as_deref(), Some("cn_resident_id"));
    // The ID; 139…01; 139…02 twice (its two notations are one number); c@.
    assert_eq!((r.individuals.distinct, r.individuals.sensitive), (4, 1));
    // Mobiles and e-mails only: the key is the mobile.
    let p = write(
        &d,
        "n.csv",
        b"email,mobile\nx@example.com,\ny@example.com,13700000003\n",
    );
    let r = scan(&[p]);
    assert_eq!(r.individuals.key.as_deref(), Some("cn_mobile"));
    assert_eq!(r.individuals.distinct, 2);
}

/// A record that may hold many people counts each: a JSON document that
/// is one object (`{"data": [...]}`) and a line of free text count every
/// distinct resident ID in them; a row of a table stays one person.
#[test]
fn a_document_or_a_line_of_many_people_counts_each() {
    let d = tmpdir();
    let ids = [
        "11010519491231002X",
        "110102199101010078",
        "360426199101010071",
        "44011320141005001X",
    ];
    let items: Vec<String> = ids
        .iter()
        .chain(&ids[..1])
        .map(|id| format!("{{\"id_no\":\"{id}\",\"mobile\":\"13800138000\"}}"))
        .collect();
    let doc = format!("{{\"total\": 5, \"data\": [{}]}}", items.join(","));
    let p = write(&d, "export.json", doc.as_bytes());
    let r = scan(&[p]);
    assert_eq!(r.files[0].records, 1);
    assert_eq!(r.individuals.key.as_deref(), Some("cn_resident_id"));
    assert_eq!(r.individuals.distinct, 4);
    let line = format!("ids: {}\nnothing here\n", ids.join(" "));
    let p = write(&d, "ids.txt", line.as_bytes());
    assert_eq!(scan(&[p]).individuals.distinct, 4);
    // A row holding two IDs is one person, counted by the first.
    let p = write(
        &d,
        "two.csv",
        format!("a,b\n{},{}\n", ids[0], ids[1]).as_bytes(),
    );
    assert_eq!(scan(&[p]).individuals.distinct, 1);
    // 100 people with a mobile each and one with a resident ID: the kind
    // with the most values counts (100), not the strongest alone (1); the
    // key still names the strongest kind seen.
    let mut items: Vec<String> = (0..100)
        .map(|i| format!("{{\"mobile\":\"139{i:08}\"}}"))
        .collect();
    items.push(format!("{{\"id_no\":\"{}\"}}", ids[0]));
    let doc = format!("{{\"data\": [{}]}}", items.join(","));
    let p = write(&d, "mixed.json", doc.as_bytes());
    let r = scan(&[p]);
    assert_eq!(r.individuals.distinct, 100);
    assert_eq!(r.individuals.key.as_deref(), Some("cn_resident_id"));
    // With a subject key, every value of it in the document counts.
    let doc = r#"{"data": [{"uid": "u1"}, {"uid": "u2"}, {"uid": "U-1"}, {"uid": "u3"}]}"#;
    let p = write(&d, "keyed.json", doc.as_bytes());
    let opts = ScanOptions {
        subject_key: Some("data.uid".into()),
        ..Default::default()
    };
    assert_eq!(scan_paths(&[p], &opts).individuals.distinct, 3);
}

/// A line of text counts as a document of many people does: the distinct
/// values of the kind it has most of, the strongest among equals, and the
/// key names the strongest kind any line held. The line's path hashes only
/// the kind that counts, so each case is checked against the expected
/// count and against the same identifiers as one JSON document.
#[test]
fn a_line_counts_the_distinct_values_of_the_kind_it_has_most_of() {
    let d = tmpdir();
    let (id1, id2) = ("11010519491231002X", "110102199101010078");
    let cases: [(&str, &[&str], u64, &str); 6] = [
        // One number in two notations is one mobile: a tie, the ID counts.
        (
            "one-mobile-twice",
            &[id1, "13800138000", "138-0013-8000", "a@example.com"],
            1,
            "cn_resident_id",
        ),
        // Two mobiles outnumber the one ID; the key still names the ID.
        (
            "two-mobiles",
            &[id1, "13800138000", "13900139000", "a@example.com"],
            2,
            "cn_resident_id",
        ),
        (
            "two-mails",
            &["a@example.com", "B@example.com", id1, "13800138000"],
            2,
            "cn_resident_id",
        ),
        // The same address in two cases is one person.
        (
            "mail-twice",
            &["a@example.com", "A@Example.com", "13800138000"],
            1,
            "cn_mobile",
        ),
        (
            "ids-and-mobiles",
            &[id1, id2, "13800138000", "13900139000"],
            2,
            "cn_resident_id",
        ),
        ("mail-only", &["c@example.com"], 1, "email"),
    ];
    for (name, values, want, key) in cases {
        let p = write(
            &d,
            &format!("{name}.log"),
            format!("x {} y\n", values.join(" ; ")).as_bytes(),
        );
        let items: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
        let doc = format!("{{\"v\": [{}]}}", items.join(","));
        let j = write(&d, &format!("{name}.json"), doc.as_bytes());
        for p in [p, j] {
            let r = scan(std::slice::from_ref(&p));
            assert_eq!(r.individuals.distinct, want, "{}", p.display());
            assert_eq!(r.individuals.key.as_deref(), Some(key), "{}", p.display());
        }
    }
    // Across lines: two lines of the same two IDs, each with two other
    // mobiles, count the two IDs (a tie on each line), not four mobiles.
    let p = write(
        &d,
        "lines.log",
        format!("{id1} {id2} 13800138000 13900139000\n{id2} {id1} 13700137000 13600136000\n")
            .as_bytes(),
    );
    assert_eq!(scan(&[p]).individuals.distinct, 2);
    // Each line's mobile is written twice, one number: the ID counts on
    // both lines, one person, not two mobiles.
    let p = write(
        &d,
        "repeats.log",
        format!("{id1} 13800138000 138-0013-8000\n{id1} 13900139000 +86 13900139000\n").as_bytes(),
    );
    assert_eq!(scan(&[p]).individuals.distinct, 1);
    // A line of many: 20 mobiles, each written twice in two notations, and
    // one ID count 20 (the values are sorted to be told apart past 16).
    let mobiles: String = (0..20)
        .map(|i| format!("1390000{i:04} 139-0000-{i:04} "))
        .collect();
    let p = write(&d, "many.log", format!("{id1} {mobiles}\n").as_bytes());
    assert_eq!(scan(&[p]).individuals.distinct, 20);
}

/// Each JSON line's leaves land in the fields their paths name, whatever
/// the order or shape of the keys from one line to the next (the reader
/// tries the field of the same place in the line before first).
#[test]
fn json_lines_of_changing_shape_count_in_the_field_each_path_names() {
    let d = tmpdir();
    let p = write(
        &d,
        "shapes.jsonl",
        "{\"a\":\"13800138000\",\"b\":\"x\"}\n\
         {\"b\":\"13900139000\",\"a\":\"y\"}\n\
         {\"a\":{\"c\":\"13700137000\"}}\n\
         {\"c\":\"13600136000\",\"a\":\"z\",\"b\":\"w\"}\n\
         {\"a\":\"13500135000\",\"b\":\"13400134000\"}\n\
         {\"a\":\"13300133000\"}\n"
            .as_bytes(),
    );
    let r = scan(&[p]);
    let field = |name: &str| {
        let f = r.files[0]
            .fields
            .iter()
            .find(|f| f.field.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no field {name}: {:?}", r.files[0].fields));
        (f.non_empty, f.kinds.get("cn_mobile").copied().unwrap_or(0))
    };
    assert_eq!(field("a"), (5, 3));
    assert_eq!(field("b"), (4, 2));
    assert_eq!(field("a.c"), (1, 1));
    assert_eq!(field("c"), (1, 1));
    assert_eq!(r.files[0].fields.len(), 4);
}

/// A subject key's values compare as the gate compares them: without
/// surrounding space, `-`, spaces or case (`outbound_scan::normalize_subject`).
#[test]
fn subject_key_values_compare_as_the_gate_compares_them() {
    let d = tmpdir();
    let p = write(
        &d,
        "k.csv",
        b"mobile,cid\n13800138000,C1\n138-0013-8000, c-1 \n138 0013 8000,C 1\n13900139000,c2\n",
    );
    for (key, want) in [("mobile", 2), ("cid", 2)] {
        let opts = ScanOptions {
            subject_key: Some(key.into()),
            ..Default::default()
        };
        let r = scan_paths(std::slice::from_ref(&p), &opts);
        assert_eq!(r.individuals.distinct, want, "{key}");
    }
}

/// A file without the subject key is named in an error (its people are
/// not counted); the files that have it count as usual.
#[test]
fn each_file_without_the_subject_key_is_named() {
    let d = tmpdir();
    let good = write(
        &d,
        "good.csv",
        b"uid,mobile\nu1,13800138000\nu2,13900139000\n",
    );
    let other = write(
        &d,
        "other.csv",
        b"id_no,mobile\n11010519491231002X,13700137000\n",
    );
    let empty = write(&d, "empty.csv", b"id_no\n");
    let opts = ScanOptions {
        subject_key: Some("uid".into()),
        ..Default::default()
    };
    let r = scan_paths(&[good, other.clone(), empty], &opts);
    assert_eq!(r.individuals.distinct, 2);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert_eq!(r.errors[0].path, other.display().to_string());
    assert!(
        r.errors[0]
            .message
            .contains("subject key field `uid` not found")
    );
}

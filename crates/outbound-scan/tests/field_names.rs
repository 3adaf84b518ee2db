//! Field names that are themselves personal data: JSON keys and CSV
//! header cells. They are counted and masked, never reported as names.

use outbound_scan::corpus::{Rng, chinese_name};
use outbound_scan::{Kind, ScanReport};

use crate::common::{scan, tmpdir, total, write};

/// Field names of the report's first file.
fn names(r: &ScanReport) -> Vec<String> {
    r.files[0].field_names().map(String::from).collect()
}

/// `n` distinct generated person names.
fn people(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut out: Vec<String> = Vec::new();
    while out.len() < n {
        let name = chinese_name(&mut rng);
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

#[test]
fn pi_in_json_keys_is_counted_but_never_a_field_name() {
    let d = tmpdir();
    let p = write(
        &d,
        "byphone.json",
        br#"{"contacts": {"13812345678": {"name": "x"}, "13912345678": {"name": "y"}}, "items": {"1": 1, "2": 2}}"#,
    );
    let r = scan(&[p]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("13812345678"), "{json}");
    assert_eq!(total(&r, Kind::CnMobile), 2);
    assert!(json.contains("contacts.{cn_mobile}.name"), "{json}");
    assert!(json.contains("items.{n}"), "{json}");
}

#[test]
fn a_map_keyed_by_person_names_is_counted_but_never_names_a_field() {
    let who = people(40, 7);
    let d = tmpdir();
    // A JSON document and JSON lines, each keyed by name; one key is a
    // field name that starts with a surname (`余额`) and stays.
    let mut doc = String::from("{\"members\": {");
    let mut lines = String::new();
    for (i, n) in who.iter().enumerate() {
        if i > 0 {
            doc.push(',');
        }
        doc.push_str(&format!("\"{n}\": {{\"余额\": {i}}}"));
        lines.push_str(&format!("{{\"{n}\": {{\"余额\": {i}}}}}\n"));
    }
    doc.push_str("}}");
    for (file, body) in [("members.json", doc), ("members.jsonl", lines)] {
        let r = scan(&[write(&d, file, body.as_bytes())]);
        assert!(r.errors.is_empty(), "{file}: {:?}", r.errors);
        let json = serde_json::to_string(&r).unwrap();
        for n in &who {
            assert!(!json.contains(n.as_str()), "{file}: {n} in {json}");
        }
        assert_eq!(total(&r, Kind::PersonName), 40, "{file}");
        let fields = names(&r);
        assert!(
            fields.iter().any(|f| f.ends_with("{person_name}.余额")),
            "{file}: {fields:?}"
        );
        assert!(fields.len() <= 3, "{file}: one field per name: {fields:?}");
    }
}

#[test]
fn a_first_row_of_names_is_data_not_a_header() {
    let who = people(6, 11);
    let d = tmpdir();
    let mut csv = who.join(",");
    csv.push('\n');
    for i in 0..5 {
        csv.push_str(&format!("{},1381234567{i},x,y,z,w\n", who[0]));
    }
    let r = scan(&[write(&d, "noheader.csv", csv.as_bytes())]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let json = serde_json::to_string(&r).unwrap();
    for n in &who {
        assert!(!json.contains(n.as_str()), "{n} in {json}");
    }
    assert_eq!(r.files[0].records, 6);
    assert!(names(&r).iter().all(|f| f.starts_with("column_")), "{json}");
    assert_eq!(total(&r, Kind::CnMobile), 5);
}

#[test]
fn chinese_headers_that_start_with_a_surname_stay_headers() {
    // Every one starts with a listed surname (金 余 时 车 公 国 …).
    let header = "金额,余额,时间,车牌号,公司,国家,来源,单位,姓名,联系电话";
    let d = tmpdir();
    let mut csv = format!("{header}\n");
    for i in 0..5 {
        csv.push_str(&format!(
            "1{i}.5,2,2026-01-0{i},x,y,z,w,v,王伟,1390000123{i}\n"
        ));
    }
    let r = scan(&[write(&d, "h.csv", csv.as_bytes())]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.files[0].records, 5);
    let fields = names(&r);
    for h in header.split(',') {
        assert!(fields.iter().any(|f| f == h), "{h} not in {fields:?}");
    }
    assert_eq!(total(&r, Kind::PersonName), 5);
    assert_eq!(total(&r, Kind::CnMobile), 5);
}

#[test]
fn a_name_in_a_header_is_masked_and_the_header_kept() {
    let who = people(1, 13).remove(0);
    let d = tmpdir();
    let mut csv = format!("姓名,{who},手机号\n");
    for i in 0..5 {
        csv.push_str(&format!("王伟,x,1391234567{i}\n"));
    }
    let r = scan(&[write(&d, "h.csv", csv.as_bytes())]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.files[0].records, 5);
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains(who.as_str()), "{json}");
    let mut fields = names(&r);
    fields.sort();
    assert_eq!(fields, ["column_2", "姓名", "手机号"]);
    // Five in the 姓名 column and the header's.
    assert_eq!(total(&r, Kind::PersonName), 6);
    assert_eq!(total(&r, Kind::CnMobile), 5);
}

/// Sales pivoted by rep, and a map keyed by people, in Latin script:
/// the names are counted and masked; Title Case field names stay.
#[test]
fn latin_names_as_headers_and_keys_are_masked() {
    let reps = [
        "Mary Johnson",
        "John Smith",
        "Linda K. Brown",
        "Sarah Clarke-Wood",
    ];
    let d = tmpdir();
    // Half the header are names: still a header (more would be a row of data).
    let mut csv = format!("Region,{},Order Status\n", reps[..2].join(","));
    for i in 0..5 {
        csv.push_str(&format!("North,{i},{i},shipped\n"));
    }
    let mut doc = String::from("{\"owners\": {");
    for (i, n) in reps.iter().enumerate() {
        if i > 0 {
            doc.push(',');
        }
        doc.push_str(&format!("\"{n}\": {{\"Order Status\": \"open\"}}"));
    }
    doc.push_str("}}");
    // A header cell is masked (`column_2`) as in `a_name_in_a_header_…`,
    // and counted as a key is.
    for (file, body, kept, counted) in [
        (
            "pivot.csv",
            csv,
            vec!["Order Status", "Region", "column_2"],
            2,
        ),
        (
            "owners.json",
            doc,
            vec!["owners.{person_name}.Order Status"],
            4,
        ),
    ] {
        let r = scan(&[write(&d, file, body.as_bytes())]);
        assert!(r.errors.is_empty(), "{file}: {:?}", r.errors);
        let json = serde_json::to_string(&r).unwrap();
        for n in reps {
            for word in n.split(' ') {
                assert!(!json.contains(word), "{file}: {n} in {json}");
            }
        }
        assert_eq!(total(&r, Kind::PersonName), counted, "{file}");
        let fields = names(&r);
        for k in kept {
            assert!(fields.iter().any(|f| f == k), "{file}: {k} in {fields:?}");
        }
    }
}

#[test]
fn a_value_under_a_name_key_is_not_read_as_a_name() {
    // Keys are people; the values are roles and short labels, which a
    // field hinted as names would count as names too.
    let who = people(20, 11);
    let roles = ["经理", "主管", "VIP", "已付款", "销售部"];
    let mut body = String::from("{");
    for (i, n) in who.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!("\"{n}\": \"{}\"", roles[i % roles.len()]));
    }
    body.push('}');
    let d = tmpdir();
    let r = scan(&[write(&d, "roles.json", body.as_bytes())]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(total(&r, Kind::PersonName), 20);
}

/// Keys for the property below: people's names (Chinese and Latin),
/// identifiers, Chinese field words that start with a surname, places,
/// ordinary keys (one in Title Case).
fn key_pool() -> Vec<String> {
    let mut keys = people(6, 5);
    for k in [
        "13812345678",
        "110101199003074514",
        "a@b.cn",
        "买买提·艾力",
        "金额",
        "余额",
        "江苏",
        "杭州",
        "周一",
        "华东",
        "申请",
        "Mary Johnson",
        "Order Status",
        "name",
        "amount",
        "note",
        "7",
    ] {
        keys.push(k.to_string());
    }
    keys
}

const VALUES: &[&str] = &[
    "经理",
    "VIP",
    "13912345678",
    "张伟",
    "1.5",
    "",
    "杭州市西湖区文三路90号",
];

/// One entry of a generated object: key and value indices, and for a
/// nested object its one key and value.
type Entry = (usize, usize, Option<(usize, usize)>);

/// A JSON object of the pool's keys (each at most once) over `entries`.
fn object(keys: &[String], entries: &[Entry]) -> String {
    let mut used = Vec::new();
    let mut out = String::from("{");
    for &(k, v, nested) in entries {
        let k = k % keys.len();
        if used.contains(&k) {
            continue;
        }
        used.push(k);
        if used.len() > 1 {
            out.push(',');
        }
        let value = match nested {
            Some((nk, nv)) => format!(
                "{{{}:{}}}",
                serde_json::to_string(&keys[nk % keys.len()]).unwrap(),
                serde_json::to_string(VALUES[nv % VALUES.len()]).unwrap()
            ),
            None => serde_json::to_string(VALUES[v % VALUES.len()]).unwrap(),
        };
        out.push_str(&format!(
            "{}:{value}",
            serde_json::to_string(&keys[k]).unwrap()
        ));
    }
    out.push('}');
    out
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..Default::default()
    })]

    /// Whatever mix of keys a record holds, a key that is itself personal
    /// data never appears in the report, as a JSON document, as JSON lines
    /// or as a CSV header; and the document and the lines agree on every
    /// count (they hold the same records).
    #[test]
    fn a_field_name_that_is_personal_data_never_reaches_the_report(
        records in proptest::collection::vec(
            proptest::collection::vec(
                (0usize..64, 0usize..64, proptest::option::of((0usize..64, 0usize..64))),
                1..5,
            ),
            1..6,
        ),
        header in proptest::collection::vec(0usize..64, 1..6),
    ) {
        let keys = key_pool();
        let flagged: Vec<&String> = keys
            .iter()
            .filter(|k| outbound_scan::detect::kind_of_field_name(k).is_some())
            .collect();
        // The rule under test decides `flagged`: every person and
        // identifier in the pool must be in it, or a lost detection would
        // only shrink what is checked.
        let latin = "Mary Johnson".to_string();
        for k in people(6, 5).iter().chain(&keys[6..10]).chain([&latin]) {
            proptest::prop_assert!(flagged.contains(&k), "{k} is not flagged");
        }
        let objects: Vec<String> = records.iter().map(|r| object(&keys, r)).collect();
        let mut header: Vec<&String> = header.iter().map(|&i| &keys[i % keys.len()]).collect();
        header.dedup();
        let mut csv = header.iter().map(|h| h.as_str()).collect::<Vec<_>>().join(",");
        csv.push('\n');
        for (i, _) in records.iter().enumerate() {
            let row: Vec<&str> = (0..header.len()).map(|j| VALUES[(i + j) % VALUES.len()]).collect();
            csv.push_str(&row.join(","));
            csv.push('\n');
        }
        let d = tmpdir();
        let doc = write(&d, "doc.json", format!("[{}]", objects.join(",")).as_bytes());
        let lines = write(&d, "lines.jsonl", (objects.join("\n") + "\n").as_bytes());
        let table = write(&d, "table.csv", csv.as_bytes());
        let mut totals = Vec::new();
        for p in [doc, lines, table] {
            let r = scan(std::slice::from_ref(&p));
            proptest::prop_assert!(r.errors.is_empty(), "{p:?}: {:?}", r.errors);
            let json = serde_json::to_string(&r).unwrap();
            for k in &flagged {
                proptest::prop_assert!(!json.contains(k.as_str()), "{p:?}: {k} in {json}");
            }
            totals.push(r.totals.kinds.clone());
        }
        proptest::prop_assert_eq!(&totals[0], &totals[1]);
    }
}

/// User names as keys, parted by `_`, are names in JSON lines whichever
/// record they come in: a key is remembered by its place in the record
/// (`Acc::key_kind`), and a record whose key at that place differs is read
/// afresh. Snake-case field names beside them stay fields.
#[test]
fn user_names_as_keys_are_names_in_every_record() {
    let users = ["mary_johnson", "john_smith", "linda_brown"];
    let mut lines = String::new();
    for i in 0..60 {
        // The place of the user's key alternates with a field's, and every
        // third record has none.
        let user = users[i % 3];
        let line = match i % 3 {
            0 => format!("{{\"order_no\": \"{i}\", \"followers\": {{\"{user}\": 1}}}}\n"),
            1 => format!("{{\"followers\": {{\"{user}\": 2}}, \"order_no\": \"{i}\"}}\n"),
            _ => format!("{{\"order_no\": \"{i}\", \"followers\": {{\"created_ms\": 3}}}}\n"),
        };
        lines.push_str(&line);
    }
    let d = tmpdir();
    let r = scan(&[write(&d, "follows.jsonl", lines.as_bytes())]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let json = serde_json::to_string(&r).unwrap();
    for u in users {
        assert!(!json.contains(u), "{u} in {json}");
    }
    // Two records in three hold a user's key: 40 names, as keys are counted.
    assert_eq!(total(&r, Kind::PersonName), 40, "{json}");
    let mut fields = names(&r);
    fields.sort();
    assert_eq!(
        fields,
        [
            "followers.created_ms",
            "followers.{person_name}",
            "order_no"
        ],
        "{json}"
    );
    // As CSV header cells: masked by position and counted once each.
    let csv = "region,mary_johnson,john_smith,order_status\nnorth,1,2,open\n";
    let r = scan(&[write(&d, "pivot.csv", csv.as_bytes())]);
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        !json.contains("johnson") && !json.contains("smith"),
        "{json}"
    );
    assert_eq!(total(&r, Kind::PersonName), 2, "{json}");
    let mut fields = names(&r);
    fields.sort();
    assert_eq!(
        fields,
        ["column_2", "column_3", "order_status", "region"],
        "{json}"
    );
}

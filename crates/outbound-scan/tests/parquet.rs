//! Parquet input (only with `--features parquet`).
#![cfg(feature = "parquet")]

use std::sync::Arc;

use outbound_scan::{Kind, ScanOptions, scan_paths};
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

#[test]
fn parquet_row_groups_and_nested_columns() {
    let dir = std::env::temp_dir().join(format!("outbound-scan-pq-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("people.parquet");
    let schema = Arc::new(
        parse_message_type(
            "message people {
               required binary id_no (UTF8);
               required int64 mobile;
               required group contact { required binary email (UTF8); }
             }",
        )
        .unwrap(),
    );
    let file = std::fs::File::create(&p).unwrap();
    let mut w =
        SerializedFileWriter::new(file, schema, Arc::new(WriterProperties::builder().build()))
            .unwrap();
    for ids in [
        ["110102199101010078", "360426199101010071"],
        ["412723199010050012", "110102199101010079"],
    ] {
        let mut rg = w.next_row_group().unwrap();
        let mut c = rg.next_column().unwrap().unwrap();
        let vals: Vec<ByteArray> = ids.iter().map(|s| ByteArray::from(*s)).collect();
        c.typed::<ByteArrayType>()
            .write_batch(&vals, None, None)
            .unwrap();
        c.close().unwrap();
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<Int64Type>()
            .write_batch(&[13812345678, 12812345678], None, None)
            .unwrap();
        c.close().unwrap();
        let mut c = rg.next_column().unwrap().unwrap();
        let vals = [
            ByteArray::from("a@example.com"),
            ByteArray::from("nobody@localhost"),
        ];
        c.typed::<ByteArrayType>()
            .write_batch(&vals, None, None)
            .unwrap();
        c.close().unwrap();
        rg.close().unwrap();
    }
    w.close().unwrap();
    let r = scan_paths(&[p], &ScanOptions::default());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let f = &r.files[0];
    assert_eq!(f.format, "parquet");
    assert_eq!(f.records, 4);
    let get = |name: &str, k: Kind| {
        f.fields
            .iter()
            .find(|x| x.field.as_deref() == Some(name))
            .and_then(|x| x.kinds.get(k.as_str()).copied())
    };
    assert_eq!(get("id_no", Kind::CnResidentId), Some(3));
    assert_eq!(get("mobile", Kind::CnMobile), Some(2));
    assert_eq!(get("contact.email", Kind::Email), Some(2));
    assert_eq!(r.individuals.distinct, 3);
}

/// Column names that are themselves personal data (a table pivoted by
/// phone number or by person) are masked in the report as JSON keys are.
#[test]
fn parquet_column_names_that_are_personal_data_are_masked() {
    let dir = std::env::temp_dir().join(format!("outbound-scan-pq-names-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("pivot.parquet");
    let name = outbound_scan::corpus::chinese_name(&mut outbound_scan::corpus::Rng::new(21));
    let schema = Arc::new(
        parse_message_type(&format!(
            "message pivot {{
               required int64 13812345678;
               required int64 {name};
               required int64 金额;
             }}"
        ))
        .unwrap(),
    );
    let file = std::fs::File::create(&p).unwrap();
    let mut w =
        SerializedFileWriter::new(file, schema, Arc::new(WriterProperties::builder().build()))
            .unwrap();
    let mut rg = w.next_row_group().unwrap();
    for _ in 0..3 {
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<Int64Type>()
            .write_batch(&[1, 2], None, None)
            .unwrap();
        c.close().unwrap();
    }
    rg.close().unwrap();
    w.close().unwrap();
    let r = scan_paths(&[p], &ScanOptions::default());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        !json.contains("13812345678") && !json.contains(&name),
        "{json}"
    );
    let mut fields: Vec<_> = r.files[0]
        .fields
        .iter()
        .filter_map(|f| f.field.clone())
        .collect();
    fields.sort();
    assert_eq!(fields, ["{cn_mobile}", "{person_name}", "金额"]);
}

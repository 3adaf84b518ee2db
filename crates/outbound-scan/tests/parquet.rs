//! Parquet input (only with `--features parquet`).
#![cfg(feature = "parquet")]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use outbound_scan::{Kind, ScanOptions, scan_paths};
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

/// Writes `file` in `dir` with the schema `message`, one row group per
/// item of `groups`, each a column's values in schema order.
fn write_parquet(dir: &Path, file: &str, message: &str, groups: &[Vec<Column>]) -> PathBuf {
    let p = dir.join(file);
    let schema = Arc::new(parse_message_type(message).unwrap());
    let props = Arc::new(WriterProperties::builder().build());
    let mut w = SerializedFileWriter::new(File::create(&p).unwrap(), schema, props).unwrap();
    for columns in groups {
        let mut rg = w.next_row_group().unwrap();
        for col in columns {
            let mut c = rg.next_column().unwrap().unwrap();
            match col {
                Column::Text(v) => {
                    let v: Vec<ByteArray> = v.iter().map(|s| ByteArray::from(*s)).collect();
                    c.typed::<ByteArrayType>().write_batch(&v, None, None)
                }
                Column::Int(v) => c.typed::<Int64Type>().write_batch(v, None, None),
            }
            .unwrap();
            c.close().unwrap();
        }
        rg.close().unwrap();
    }
    w.close().unwrap();
    p
}

/// One column's values in a row group.
enum Column {
    Text(Vec<&'static str>),
    Int(Vec<i64>),
}

#[test]
fn parquet_row_groups_and_nested_columns() {
    let groups: Vec<Vec<Column>> = [
        ["110102199101010078", "360426199101010071"],
        ["412723199010050012", "110102199101010079"],
    ]
    .into_iter()
    .map(|ids| {
        vec![
            Column::Text(ids.to_vec()),
            Column::Int(vec![13812345678, 12812345678]),
            Column::Text(vec!["a@example.com", "nobody@localhost"]),
        ]
    })
    .collect();
    let dir = tempfile::tempdir().unwrap();
    let p = write_parquet(
        dir.path(),
        "people.parquet",
        "message people {
           required binary id_no (UTF8);
           required int64 mobile;
           required group contact { required binary email (UTF8); }
         }",
        &groups,
    );
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
/// phone number or by person) are masked in the report as JSON keys are,
/// and the values under a name are not read as names.
#[test]
fn parquet_column_names_that_are_personal_data_are_masked() {
    let name = outbound_scan::corpus::chinese_name(&mut outbound_scan::corpus::Rng::new(21));
    let dir = tempfile::tempdir().unwrap();
    let p = write_parquet(
        dir.path(),
        "pivot.parquet",
        &format!(
            "message pivot {{
               required int64 13812345678;
               required binary {name} (UTF8);
               required int64 金额;
             }}"
        ),
        &[vec![
            Column::Int(vec![1, 2, 3, 4, 5]),
            Column::Text(vec!["经理", "主管", "VIP", "已付款", "销售部"]),
            Column::Int(vec![1, 2, 3, 4, 5]),
        ]],
    );
    let r = scan_paths(&[p], &ScanOptions::default());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        !json.contains("13812345678") && !json.contains(&name),
        "{json}"
    );
    // Each column name counted once (the values under the name are roles).
    assert_eq!(r.totals.kinds.get("person_name"), Some(&1), "{json}");
    assert_eq!(r.totals.kinds.get("cn_mobile"), Some(&1), "{json}");
    let mut fields: Vec<_> = r.files[0].field_names().collect();
    fields.sort();
    assert_eq!(fields, ["{cn_mobile}", "{person_name}", "金额"]);
}

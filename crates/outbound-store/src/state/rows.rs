//! How each row of the ledger's tables is hashed into its part: field by
//! field where it is on a hot path, as canonical JSON otherwise.

use super::*;

pub(super) fn add(a: &mut Hash, b: &Hash) {
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        a[i] = s as u8;
        carry = s >> 8;
    }
}

pub(super) fn sub(a: &mut Hash, b: &Hash) {
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        a[i] = d as u8;
    }
}

pub(super) fn row_hash(row: &serde_json::Value) -> Hash {
    Sha256::new()
        .chain_update(b"outbound-ledger-row-v1\n")
        .chain_update(row.to_string().as_bytes())
        .finalize()
        .into()
}

/// The hash of a subject row of the old layout (see `layout.rs`). Written out field by field, length-prefixed,
/// rather than through a JSON value like the other rows: the ledger hashes
/// one or two per subject a batch adds or refreshes, on the gate's hot path.
pub(crate) fn subject_row_hash(
    exporter: &str,
    year: i64,
    subject: &[u8],
    sensitive: i64,
    first_at: &str,
    last_at: &str,
) -> Hash {
    let mut h = Sha256::new();
    h.update(b"outbound-ledger-subject-v2\n");
    for bytes in [
        exporter.as_bytes(),
        subject,
        first_at.as_bytes(),
        last_at.as_bytes(),
    ] {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    h.update(year.to_be_bytes());
    h.update(sensitive.to_be_bytes());
    h.finalize().into()
}

/// A route row as hashed.
pub(crate) fn route_row(
    transfer: &str,
    suspended: i64,
    reason: &str,
    at: &str,
) -> serde_json::Value {
    serde_json::json!([transfer, suspended, reason, at])
}

/// A consent row as hashed.
pub(crate) fn consent_row(
    subject: &[u8],
    transfer: &str,
    granted_at: &str,
    withdrawn_at: Option<&str>,
) -> serde_json::Value {
    serde_json::json!([hex::encode(subject), transfer, granted_at, withdrawn_at])
}

/// The hash of [`consent_row`] written out without a JSON value: the same
/// bytes (`["<hex>","<transfer>","<granted>",null]`, strings escaped as
/// serde_json escapes them), so the digests are unchanged, at a fraction of
/// the cost (a gate's check hashes every consent of its transfer). `buf` is
/// reused between rows.
pub(crate) fn consent_row_hash(
    subject: &[u8],
    transfer: &str,
    granted_at: &str,
    withdrawn_at: Option<&str>,
    buf: &mut Vec<u8>,
) -> Hash {
    buf.clear();
    buf.extend_from_slice(b"[\"");
    let at = buf.len();
    buf.resize(at + subject.len() * 2, 0);
    // Cannot fail: the slice is exactly twice the subject's length.
    let _ = hex::encode_to_slice(subject, &mut buf[at..]);
    buf.extend_from_slice(b"\",");
    for (i, s) in [Some(transfer), Some(granted_at), withdrawn_at]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            buf.push(b',');
        }
        match s {
            // Writing a string into a Vec cannot fail.
            Some(s) => {
                let _ = serde_json::to_writer(&mut *buf, s);
            }
            None => buf.extend_from_slice(b"null"),
        }
    }
    buf.push(b']');
    Sha256::new()
        .chain_update(b"outbound-ledger-row-v1\n")
        .chain_update(&buf[..])
        .finalize()
        .into()
}

/// The batch columns hashed, in order: all but `state`, which only says
/// whether the output was moved into place (recovery re-checks the file's
/// SHA-256 against the logged batch either way).
pub(crate) const BATCH_COLUMNS: &str = "id, transfer, exporter, recipient, at, year, sha256, bytes, records_in, records_out, kinds, \
     individuals, individuals_new, sensitive, sensitive_new, determination, audit_index, output";

pub(super) fn batch_row_of(r: &sqlx::any::AnyRow) -> Result<serde_json::Value, sqlx::Error> {
    let mut v = Vec::with_capacity(18);
    for i in 0..18 {
        v.push(match i {
            0 | 5 | 7 | 8 | 9 | 11 | 12 | 13 | 14 | 16 => {
                serde_json::json!(r.try_get::<i64, _>(i)?)
            }
            17 => serde_json::json!(r.try_get::<Option<String>, _>(i)?),
            _ => serde_json::json!(r.try_get::<String, _>(i)?),
        });
    }
    Ok(serde_json::Value::Array(v))
}

/// The batch row `id` as hashed, read back after it is written.
pub(super) async fn batch_row(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<serde_json::Value, StoreError> {
    let sql = format!("SELECT {BATCH_COLUMNS} FROM batches WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(batch_row_of(&r)?)
}

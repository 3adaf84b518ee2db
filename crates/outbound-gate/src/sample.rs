//! Synthetic batches for the bundled example's `crm-to-parent` transfer, for the
//! demo and the tests. Every name and number is generated; mobile numbers and
//! resident IDs are valid in form (so the scanner finds them) and belong to nobody
//! known: they are drawn from a seeded generator.

use std::fmt::Write as _;

use outbound_scan::corpus::{Rng, given_char, surname};

/// The customer id of customer `i`.
pub fn customer_id(i: u64) -> String {
    format!("C{i:07}")
}

/// `rows` records of customers `first..first+rows` as CSV with the columns of the
/// example's `crm-to-parent` transfer; with `with_id_no`, an undeclared `id_no` column too.
pub fn customers_csv(first: u64, rows: u64, seed: u64, with_id_no: bool) -> String {
    let mut rng = Rng::new(seed);
    let mut s = String::from("customer_id,name,mobile,email,items");
    if with_id_no {
        s.push_str(",id_no");
    }
    s.push('\n');
    for i in first..first + rows {
        // One draw each, so the numbers after the name do not depend on the lists.
        let name = format!("{}{}", surname(&mut rng), given_char(&mut rng));
        let mobile = format!("1{}{:09}", 3 + rng.below(7), rng.below(1_000_000_000));
        let _ = write!(
            s,
            "{},{name},{mobile},user{i}@example.com,sku-{};sku-{}",
            customer_id(i),
            rng.below(900) + 100,
            rng.below(900) + 100
        );
        if with_id_no {
            let _ = write!(s, ",{}", resident_id(&mut rng));
        }
        s.push('\n');
    }
    s
}

/// `rows` orders of customers `first..first+rows` as CSV with the columns of
/// the example's `analytics-eu` transfer (customer id, items, device id, IP).
pub fn orders_csv(first: u64, rows: u64, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut s = String::from("customer_id,items,device_id,ip\n");
    for i in first..first + rows {
        let _ = writeln!(
            s,
            "{},sku-{},dev-{:012x},10.{}.{}.{}",
            customer_id(i),
            rng.below(900) + 100,
            rng.next_u64() & 0xffff_ffff_ffff,
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        );
    }
    s
}

/// A resident ID valid in form (region, date, ISO 7064 MOD 11-2 check).
fn resident_id(rng: &mut Rng) -> String {
    const REGIONS: &[&str] = &["110101", "310104", "440305", "330106"];
    let mut id = format!(
        "{}{:04}{:02}{:02}{:03}",
        REGIONS[rng.below(REGIONS.len() as u64) as usize],
        1960 + rng.below(45),
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(1000)
    );
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = id
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    id.push(b"10X98765432"[(sum % 11) as usize] as char);
    id
}

/// `rows` club members `first..first+rows` (columns of the example's `members` dataset).
pub fn members_csv(first: u64, rows: u64) -> String {
    let mut s = String::from("member_id,mobile\n");
    for i in first..first + rows {
        let _ = writeln!(
            s,
            "M{i:07},1{}{:09}",
            3 + i % 7,
            (i * 7_919 + 13) % 1_000_000_000
        );
    }
    s
}

/// A consent file (`subject,transfer,granted_at,withdrawn_at`) for customers
/// `first..first+rows`, leaving out every `skip_every`-th customer.
pub fn consents_csv(transfer: &str, first: u64, rows: u64, skip_every: u64) -> String {
    let mut s = String::from("subject,transfer,granted_at,withdrawn_at\n");
    for i in first..first + rows {
        if skip_every > 0 && i % skip_every == 0 {
            continue;
        }
        let _ = writeln!(s, "{},{transfer},2026-01-15,", customer_id(i));
    }
    s
}

/// Consent records, hashed with the store's key, for customers
/// `first..first+rows`, leaving out every `skip_every`-th (0: none left out):
/// the records `consents_csv` describes, ready for `Store::consent_import`.
pub fn consents(
    keys: &outbound_store::Keys,
    transfer: &str,
    first: u64,
    rows: u64,
    skip_every: u64,
) -> Vec<outbound_store::ConsentRecord> {
    (first..first + rows)
        .filter(|i| skip_every == 0 || i % skip_every != 0)
        .map(|i| outbound_store::ConsentRecord {
            subject: keys.subject_hash(customer_id(i).as_bytes()),
            transfer: transfer.into(),
            granted_at: "2026-01-15".into(),
            withdrawn_at: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_ids_validate() {
        let csv = super::customers_csv(0, 50, 7, true);
        let report = outbound_scan::detect::find_all_text(&csv);
        let ids = report
            .iter()
            .filter(|(k, _)| *k == outbound_scan::Kind::CnResidentId)
            .count();
        assert_eq!(ids, 50);
    }
}

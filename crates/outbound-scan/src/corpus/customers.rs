//! A second synthetic corpus: a customer table as a CRM exports it, twenty
//! columns of which seven hold personal information and thirteen hold the
//! business data around it (identifiers, places, timestamps, amounts,
//! flags).
//!
//! Why: issue 13 measured the scanner on "a 20-column CSV of synthetic
//! customer records", while [`super::write_csv`] writes nine columns that
//! are each personal data or a decoy built to look like it, the hardest
//! case for the detectors. This shape is the everyday one, where most
//! cells must be passed over cheaply. The ground truth counts every valid
//! value per column, as for the first corpus.

use std::io::{self, Write};

use super::{GroundTruth, People, Rng, chinese_name};
use crate::Kind;
use crate::detect::resident_id::check_char;

/// Header of the customer table.
pub const CUSTOMERS_HEADER: &str = "customer_id,name,gender,birth_date,id_no,mobile,email,\
province,city,address,postcode,registered_at,last_login_at,last_login_ip,status,vip_level,\
total_spent,order_count,channel,marketing_opt_in";

/// Region code, province, city and district of each place the rows live
/// in (codes from GB/T 2260, as [`super::write_csv`] uses).
const PLACES: [(&str, &str, &str, &str, &str); 6] = [
    ("110101", "北京市", "北京市", "东城区", "100010"),
    ("310104", "上海市", "上海市", "徐汇区", "200030"),
    ("440106", "广东省", "广州市", "天河区", "510630"),
    ("510107", "四川省", "成都市", "武侯区", "610041"),
    ("330106", "浙江省", "杭州市", "西湖区", "310012"),
    ("420102", "湖北省", "武汉市", "江岸区", "430010"),
];
const ROADS: [&str; 6] = ["中山路", "人民路", "解放路", "建设路", "和平大道", "胜利街"];
const STATUSES: [&str; 3] = ["active", "dormant", "closed"];
const CHANNELS: [&str; 5] = ["app", "web", "store", "wechat", "partner"];
const DOMAINS: [&str; 4] = [
    "example.com",
    "example.cn",
    "example.net",
    "mail.example.org",
];

/// Writes `rows` customer rows (plus header) and returns the ground truth:
/// per column, the valid values of each kind; distinct individuals by each
/// row's resident ID, else its mobile, else its e-mail address.
pub fn write_customers_csv<W: Write>(mut w: W, rows: usize, seed: u64) -> io::Result<GroundTruth> {
    let mut rng = Rng::new(seed);
    let mut gt = GroundTruth::default();
    let mut people = People::default();
    writeln!(w, "{CUSTOMERS_HEADER}")?;
    let mut line = String::with_capacity(320);
    for row in 0..rows {
        line.clear();
        let (region, province, city, district, postcode) = *rng.pick(&PLACES);
        let (y, m, d) = (1950 + rng.below(55), 1 + rng.below(12), 1 + rng.below(28));
        // customer_id: an internal number after two letters, not personal
        // data by itself.
        line.push_str(&format!("CU{:010},", 1_000_000 + row as u64 * 7));
        line.push_str(&chinese_name(&mut rng));
        gt.add("name", Kind::PersonName);
        line.push(',');
        line.push_str(if rng.pct(50) { "男," } else { "女," });
        line.push_str(&format!("{y:04}-{m:02}-{d:02},"));
        gt.add("birth_date", Kind::DateOfBirth);
        // id_no: 80 % given, of those one in fifty mistyped (check
        // character wrong); the birth date is the row's.
        let mut subject = None;
        let mut sensitive = false;
        if rng.pct(80) {
            let mut id = format!("{region}{y:04}{m:02}{d:02}");
            rng.digits(3, &mut id);
            let c = check_char(id.as_bytes());
            if rng.pct(98) {
                id.push(char::from(c));
                gt.add("id_no", Kind::CnResidentId);
                people.ids.insert(id.clone());
                subject = Some(format!("i{id}"));
                sensitive = true;
            } else {
                id.push(if c == b'0' { '1' } else { '0' });
            }
            line.push_str(&id);
        }
        line.push(',');
        // mobile: 95 % given, all valid.
        if rng.pct(95) {
            let mut mob = String::from("1");
            mob.push(char::from(b'3' + rng.below(7) as u8));
            rng.digits(9, &mut mob);
            gt.add("mobile", Kind::CnMobile);
            subject.get_or_insert_with(|| format!("m{mob}"));
            people.mobiles.insert(format!("m{mob}"));
            line.push_str(&mob);
        }
        line.push(',');
        // email: 85 % given.
        let email = rng.pct(85).then(|| {
            format!(
                "c{}.{}@{}",
                rng.below(100_000),
                rng.below(1_000),
                *rng.pick(&DOMAINS)
            )
        });
        if let Some(e) = &email {
            line.push_str(e);
            gt.add("email", Kind::Email);
        }
        line.push(',');
        line.push_str(province);
        line.push(',');
        line.push_str(city);
        line.push(',');
        line.push_str(&format!(
            "{district}{}{}号{}栋{}室,",
            *rng.pick(&ROADS),
            1 + rng.below(300),
            1 + rng.below(20),
            101 + rng.below(30) * 100 + rng.below(6)
        ));
        gt.add("address", Kind::Address);
        line.push_str(postcode);
        line.push(',');
        for year in [2018 + rng.below(6), 2025] {
            line.push_str(&format!(
                "{year}-{:02}-{:02} {:02}:{:02}:{:02},",
                1 + rng.below(12),
                1 + rng.below(28),
                rng.below(24),
                rng.below(60),
                rng.below(60)
            ));
        }
        // last_login_ip: 90 % recorded.
        if rng.pct(90) {
            line.push_str(&format!(
                "{}.{}.{}.{}",
                1 + rng.below(223),
                rng.below(256),
                rng.below(256),
                1 + rng.below(254)
            ));
            gt.add("last_login_ip", Kind::Ipv4);
        }
        line.push(',');
        line.push_str(rng.pick::<&str>(&STATUSES));
        line.push_str(&format!(
            ",{},{}.{:02},{},",
            rng.below(6),
            rng.below(50_000),
            rng.below(100),
            rng.below(200)
        ));
        line.push_str(rng.pick::<&str>(&CHANNELS));
        line.push_str(if rng.pct(40) { ",true" } else { ",false" });
        people.row(subject.or(email.map(|e| format!("e{e}"))), sensitive);
        writeln!(w, "{line}")?;
    }
    people.finish(&mut gt, rows);
    Ok(gt)
}

/// Convenience: the customer table as bytes.
pub fn customers_csv_bytes(rows: usize, seed: u64) -> (Vec<u8>, GroundTruth) {
    let mut v = Vec::with_capacity(rows * 260);
    let gt = write_customers_csv(&mut v, rows, seed).expect("writing to a Vec cannot fail");
    (v, gt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_with_twenty_columns() {
        let (a, ga) = customers_csv_bytes(300, 7);
        let (b, gb) = customers_csv_bytes(300, 7);
        assert_eq!((&a, &ga), (&b, &gb));
        assert_ne!(a, customers_csv_bytes(300, 8).0);
        for line in a.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
            assert_eq!(line.iter().filter(|&&c| c == b',').count(), 19);
        }
        assert_eq!(ga.rows, 300);
        assert_eq!(ga.fields["name"]["person_name"], 300);
    }
}

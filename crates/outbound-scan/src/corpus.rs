//! Deterministic synthetic corpus with ground truth.
//!
//! Why: detectors must be measured against data whose true counts are
//! known, without ever using real personal data. The generator writes CSV
//! rows with valid resident IDs, mobiles, cards, e-mails and names, plus
//! decoys that must *not* count: IDs with a wrong check digit, mobiles with
//! an invalid prefix, Luhn-invalid cards, `@localhost` addresses, 20-digit
//! order numbers, 13-digit millisecond timestamps and money amounts. The
//! same seed always yields the same bytes and counts.
//!
//! Other generators of synthetic data (the gate's sample batches) draw from
//! the same [`Rng`] and name lists ([`surname`], [`given_char`],
//! [`chinese_name`]) instead of keeping copies.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Write};

use crate::Kind;
use crate::detect::resident_id::check_char;

mod customers;
pub use customers::{CUSTOMERS_HEADER, customers_csv_bytes, write_customers_csv};

/// SplitMix64: tiny, fast, deterministic; good enough for test data (no
/// `rand` dependency). Not for anything secret: the sequence follows from
/// the seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed; the same seed gives the same sequence.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (modulo bias is negligible for small `n`).
    /// Panics if `n` is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// One element of `items`, uniformly (one draw). Panics if `items` is
    /// empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `pct`/100.
    pub fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    fn digits(&mut self, n: usize, out: &mut String) {
        for _ in 0..n {
            out.push(char::from(b'0' + self.below(10) as u8));
        }
    }
}

/// What the corpus contains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroundTruth {
    /// Data rows (header excluded).
    pub rows: u64,
    /// Valid values per kind (what a correct scanner must report).
    pub kinds: BTreeMap<&'static str, u64>,
    /// Per column: valid values per kind.
    pub fields: BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
    /// Distinct valid resident IDs.
    pub distinct_ids: u64,
    /// Distinct individuals as the scanner counts them without a subject
    /// key: each row by its strongest valid identifier (its resident ID,
    /// else its first mobile, else its e-mail address).
    pub distinct_subjects: u64,
    /// Those of [`Self::distinct_subjects`] with a sensitive kind in a row
    /// (a valid resident ID or bank card).
    pub sensitive_subjects: u64,
    /// [`Self::distinct_subjects`] with every valid value of the `mobile`
    /// column also counted as an individual of its own (the same mobiles
    /// in a second table of orders: a row there counts by its mobile, and
    /// the person behind a row counted here by a resident ID counts again).
    pub subjects_and_mobiles: u64,
}

impl GroundTruth {
    fn add(&mut self, field: &'static str, k: Kind) {
        *self.kinds.entry(k.as_str()).or_default() += 1;
        *self
            .fields
            .entry(field)
            .or_default()
            .entry(k.as_str())
            .or_default() += 1;
    }
}

/// The individuals of a generated table as the scanner counts them, kept
/// while its rows are written: distinct resident IDs, each row's subject
/// (`i`, `m` or `e` and its value) and whether a row of it held a
/// sensitive kind, and the valid mobiles of the `mobile` column.
#[derive(Default)]
struct People {
    ids: HashSet<String>,
    subjects: HashMap<String, bool>,
    mobiles: HashSet<String>,
}

impl People {
    /// A row's subject, if it has one, and whether the row was sensitive.
    fn row(&mut self, subject: Option<String>, sensitive: bool) {
        if let Some(subject) = subject {
            *self.subjects.entry(subject).or_default() |= sensitive;
        }
    }

    /// The counts into `gt`, for `rows` rows.
    fn finish(self, gt: &mut GroundTruth, rows: usize) {
        gt.rows = rows as u64;
        gt.distinct_ids = self.ids.len() as u64;
        gt.distinct_subjects = self.subjects.len() as u64;
        gt.sensitive_subjects = self.subjects.values().filter(|&&s| s).count() as u64;
        gt.subjects_and_mobiles = self
            .mobiles
            .iter()
            .filter(|m| !self.subjects.contains_key(*m))
            .count() as u64
            + gt.distinct_subjects;
    }
}

const REGIONS: [&str; 6] = ["110101", "310104", "440106", "510107", "330106", "420102"];
/// Common surnames, one compound (`欧阳`) so that two-character surnames
/// are exercised too. Every one is on the name detector's surname list.
pub const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "欧阳", "黄"];
/// Common one-character given names.
pub const GIVEN_CHARS: &[&str] = &["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰"];

/// A surname from [`SURNAMES`] (one draw).
pub fn surname(rng: &mut Rng) -> &'static str {
    rng.pick::<&str>(SURNAMES)
}

/// A one-character given name from [`GIVEN_CHARS`] (one draw).
pub fn given_char(rng: &mut Rng) -> &'static str {
    rng.pick::<&str>(GIVEN_CHARS)
}

/// `n` 19-digit numbers drawn uniformly, as a marketplace's order numbers
/// look: about one in forty has a card network's prefix and passes Luhn by
/// chance (docs/ACCURACY.md, "Numbers that pass a check by chance").
pub fn order_numbers(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| (1_000_000_000_000_000_000 + rng.below(9_000_000_000_000_000_000)).to_string())
        .collect()
}

/// `n` 11-digit numbers starting with 1, drawn uniformly, as a platform's
/// user numbers look: seven in ten start `13`–`19` and pass as mobiles by
/// chance, three start `10`–`12`, which no mobile does (docs/ACCURACY.md,
/// "Numbers that pass a check by chance").
pub fn user_numbers(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| (10_000_000_000 + rng.below(10_000_000_000)).to_string())
        .collect()
}

/// A synthetic full name as the corpus writes it: a [`surname`] and one or
/// two [`given_char`]s, e.g. `王伟` or `欧阳芳娜`. Belongs to nobody known.
pub fn chinese_name(rng: &mut Rng) -> String {
    let mut name = String::from(surname(rng));
    for _ in 0..1 + rng.below(2) {
        name.push_str(given_char(rng));
    }
    name
}

/// Header of the generated CSV.
pub const HEADER: &str = "name,id_no,mobile,email,card_no,order_no,created_ms,amount,note";

/// The Luhn check digit (as an ASCII byte) that completes `body`.
pub(crate) fn luhn_digit(body: &str) -> u8 {
    let mut sum = 0;
    for (i, b) in body.bytes().rev().enumerate() {
        let mut v = u32::from(b - b'0');
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    b'0' + ((10 - sum % 10) % 10) as u8
}

/// Writes `rows` CSV rows (plus header) and returns the ground truth.
pub fn write_csv<W: Write>(mut w: W, rows: usize, seed: u64) -> io::Result<GroundTruth> {
    let mut rng = Rng::new(seed);
    let mut gt = GroundTruth::default();
    let mut people = People::default();
    writeln!(w, "{HEADER}")?;
    let mut line = String::with_capacity(256);
    for _ in 0..rows {
        line.clear();
        // name
        line.push_str(&chinese_name(&mut rng));
        gt.add("name", Kind::PersonName);
        line.push(',');
        // id_no: 90 % valid, 10 % wrong check character.
        let mut id = String::with_capacity(18);
        id.push_str(REGIONS[rng.below(6) as usize]);
        let y = 1950 + rng.below(55);
        let m = 1 + rng.below(12);
        let d = 1 + rng.below(28);
        id.push_str(&format!("{y:04}{m:02}{d:02}"));
        rng.digits(3, &mut id);
        let c = check_char(id.as_bytes());
        let mut subject = None;
        if rng.pct(90) {
            id.push(char::from(c));
            gt.add("id_no", Kind::CnResidentId);
            people.ids.insert(id.clone());
            subject = Some(format!("i{id}"));
        } else {
            id.push(if c == b'0' { '1' } else { '0' });
        }
        line.push_str(&id);
        line.push(',');
        // mobile: 95 % valid in three notations, 5 % invalid prefix.
        let mut mob = String::from("1");
        if rng.pct(95) {
            mob.push(char::from(b'3' + rng.below(7) as u8));
            rng.digits(9, &mut mob);
            gt.add("mobile", Kind::CnMobile);
            subject.get_or_insert_with(|| format!("m{mob}"));
            people.mobiles.insert(format!("m{mob}"));
            match rng.below(3) {
                0 => line.push_str(&mob),
                1 => {
                    line.push_str("+86 ");
                    line.push_str(&mob);
                }
                _ => {
                    line.push_str(&format!("{}-{}-{}", &mob[..3], &mob[3..7], &mob[7..]));
                }
            }
        } else {
            mob.push('2');
            rng.digits(9, &mut mob);
            line.push_str(&mob);
        }
        line.push(',');
        // email
        let n = rng.below(1_000_000);
        let email = rng.pct(92).then(|| format!("user{n}@example.com"));
        if let Some(e) = &email {
            line.push_str(e);
            gt.add("email", Kind::Email);
        } else {
            line.push_str(&format!("user{n}@localhost"));
        }
        line.push(',');
        // card: Visa-like 16 digits; half valid, half Luhn-broken.
        let mut card = String::from("4");
        rng.digits(14, &mut card);
        let ld = luhn_digit(&card);
        let valid_card = rng.pct(50);
        if valid_card {
            card.push(char::from(ld));
            gt.add("card_no", Kind::BankCard);
        } else {
            card.push(char::from(if ld == b'9' { b'0' } else { ld + 1 }));
        }
        line.push_str(&card);
        line.push(',');
        // order number: 20 digits (contains ID/mobile-looking runs).
        line.push(char::from(b'1' + rng.below(9) as u8));
        rng.digits(19, &mut line);
        line.push(',');
        // millisecond timestamp
        line.push_str(&format!(
            "{}",
            1_700_000_000_000u64 + rng.below(100_000_000_000)
        ));
        line.push(',');
        // amount
        line.push_str(&format!("{}.{:02}", rng.below(100_000), rng.below(100)));
        line.push(',');
        // note: free text, sometimes with a call-back number.
        if rng.pct(20) {
            let mut m2 = String::from("13");
            rng.digits(9, &mut m2);
            line.push_str(&format!("\"请回电{m2}，谢谢\""));
            gt.add("note", Kind::CnMobile);
            subject.get_or_insert_with(|| format!("m{m2}"));
        } else {
            line.push('无');
        }
        let subject = subject.or(email.map(|e| format!("e{e}")));
        // A valid resident ID makes the subject an `i` one.
        let sensitive = subject.as_ref().is_some_and(|s| s.starts_with('i')) || valid_card;
        people.row(subject, sensitive);
        writeln!(w, "{line}")?;
    }
    people.finish(&mut gt, rows);
    Ok(gt)
}

/// Convenience: the corpus as bytes.
pub fn csv_bytes(rows: usize, seed: u64) -> (Vec<u8>, GroundTruth) {
    let mut v = Vec::with_capacity(rows * 160);
    let gt = write_csv(&mut v, rows, seed).expect("writing to a Vec cannot fail");
    (v, gt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        let (a, ga) = csv_bytes(200, 7);
        let (b, gb) = csv_bytes(200, 7);
        assert_eq!(a, b);
        assert_eq!(ga, gb);
        let (c, _) = csv_bytes(200, 8);
        assert_ne!(a, c);
    }

    #[test]
    fn names_are_detected_as_names() {
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let n = chinese_name(&mut rng);
            let mut found = false;
            crate::detect::scan_value(
                n.as_bytes(),
                crate::Hints::from_header("name"),
                &mut |k, _, _| found |= k == Kind::PersonName,
            );
            assert!(found, "{n}");
        }
    }
}

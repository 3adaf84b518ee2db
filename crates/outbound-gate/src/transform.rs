//! Field transforms: mask, keyed pseudonymisation, generalisation.

use outbound_model::Transform;
use outbound_scan::Kind;
use outbound_store::hmac_sha256::HmacSha256;

/// Why a value cannot be generalised: what it looked like, never the value.
///
/// Generalising fails closed: a value the gate cannot coarsen is refused,
/// never passed on whole or half-masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ungeneralisable {
    /// The kind the value was taken for (`date_of_birth`, `geo_coordinate`,
    /// `address`), or the kind the scanner found in it, or `unrecognised`.
    pub kind: &'static str,
}

impl std::fmt::Display for Ungeneralisable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a value of kind {} that `generalise` cannot coarsen (dates: year; coordinates: 0.1°; Chinese addresses: province and city)",
            self.kind
        )
    }
}

/// Applies a transform to one value. `kind` is what the scanner found in it, if anything;
/// `token_key` keys pseudonyms so they are stable per store and unguessable without it.
///
/// `Ok(None)` removes the value; `Err` means the batch must be refused (see
/// [`Ungeneralisable`]).
pub fn try_apply(
    t: Transform,
    value: &str,
    kind: Option<Kind>,
    token_key: &[u8],
) -> Result<Option<String>, Ungeneralisable> {
    apply_with(t, value, kind, &Pseudonymiser::new(token_key))
}

/// The keyed pseudonym function: HMAC-SHA-256 under the token key of
/// `outbound-pseudonym-v1\0` and the trimmed value, first 10 bytes in hex
/// after `tok_`. Tokens already issued stay what they were (a recipient
/// joins on them across batches): this is the same HMAC, computed by the
/// store's [`HmacSha256`] (the key's pad blocks compressed once, the prefix
/// and value hashed on stack blocks: two compressions for a value of up to
/// 33 bytes, ids, phone numbers, most e-mail addresses), the one fast HMAC
/// behind both the subject hashes and the tokens. Tested against the
/// generic HMAC for every length from 0 to 200 bytes.
#[derive(Clone)]
pub(crate) struct Pseudonymiser {
    /// HMAC-SHA-256 keyed with the token key.
    mac: HmacSha256,
}

/// What every pseudonymised value is prefixed with under the HMAC.
const PSEUDONYM_PREFIX: &[u8] = b"outbound-pseudonym-v1\0";

impl Pseudonymiser {
    /// The pseudonym function under `token_key`.
    pub(crate) fn new(token_key: &[u8]) -> Self {
        Pseudonymiser {
            mac: HmacSha256::new(token_key),
        }
    }

    /// The first 10 bytes of the HMAC of the prefix and `value`.
    fn digest10(&self, value: &[u8]) -> [u8; 10] {
        let mut out = [0u8; 10];
        out.copy_from_slice(&self.mac.mac_parts(&[PSEUDONYM_PREFIX, value])[..10]);
        out
    }

    /// The token of an already trimmed value.
    pub(crate) fn token(&self, trimmed: &str) -> String {
        self.token_bytes(trimmed)
            .iter()
            .map(|&b| char::from(b))
            .collect()
    }

    /// [`Pseudonymiser::token`] as its 24 ASCII bytes, without an allocation.
    pub(crate) fn token_bytes(&self, trimmed: &str) -> [u8; 24] {
        let digest = self.digest10(trimmed.as_bytes());
        let mut t = *b"tok_00000000000000000000";
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for (i, &b) in digest.iter().enumerate() {
            t[4 + 2 * i] = HEX[usize::from(b >> 4)];
            t[5 + 2 * i] = HEX[usize::from(b & 15)];
        }
        t
    }
}

/// [`try_apply`] with the pseudonym function already keyed.
pub(crate) fn apply_with(
    t: Transform,
    value: &str,
    kind: Option<Kind>,
    pseudonym: &Pseudonymiser,
) -> Result<Option<String>, Ungeneralisable> {
    if value.trim().is_empty() {
        return Ok(Some(value.to_string()));
    }
    Ok(match t {
        Transform::Drop => None,
        Transform::Mask => Some(outbound_scan::mask(
            kind.unwrap_or(Kind::CnPassport),
            value.trim(),
        )),
        Transform::Pseudonymise => Some(pseudonym.token(value.trim())),
        Transform::Generalise => Some(generalise(value.trim(), kind)?),
    })
}

/// [`try_apply`] where a refusal is not expected (the unit tests below).
#[cfg(test)]
fn apply(t: Transform, value: &str, kind: Option<Kind>, token_key: &[u8]) -> Option<String> {
    try_apply(t, value, kind, token_key).unwrap_or(None)
}

/// Coarsens a value: a date to its year, coordinates (a pair, a list or
/// track, a JSON array, WKT) to a 0.1° grid, a Chinese address to its
/// province and city, a Latin-script address to its last comma-separated
/// part. Anything else, or a value of one of those kinds in a form it does
/// not know, is an error: the caller refuses the batch.
pub fn generalise(v: &str, kind: Option<Kind>) -> Result<String, Ungeneralisable> {
    let v = v.trim();
    let fail = |k: &'static str| Ungeneralisable { kind: k };
    match kind {
        Some(Kind::DateOfBirth) => year(v).ok_or(fail("date_of_birth")),
        Some(Kind::GeoCoordinate) => coordinates(v).ok_or(fail("geo_coordinate")),
        Some(Kind::Address) => address(v).ok_or(fail("address")),
        _ => year(v)
            .or_else(|| coordinates(v))
            .or_else(|| {
                outbound_scan::detect::address::is_valid(v)
                    .then(|| address(v))
                    .flatten()
            })
            .or_else(|| is_placeholder(v).then(|| v.to_string()))
            .ok_or(fail(kind.map_or("unrecognised", Kind::as_str))),
    }
}

/// `n/a`, `未知`, `-`: no information to coarsen.
fn is_placeholder(v: &str) -> bool {
    let l = v.to_lowercase();
    ["n/a", "na", "null", "none", "unknown", "未知", "无", "不详"].contains(&l.as_str())
        || v.chars().all(|c| matches!(c, '-' | '/' | '.' | '*' | '?'))
}

/// The year of a date: the forms the birth-date detector reads
/// (`YYYY-MM-DD`, `YYYY/M/D`, `YYYY.MM.DD`, `YYYYMMDD`, `YYYY年M月D日`, with
/// an optional time), day or month first (`07/03/1990`, `07031990`),
/// year and month (`1990-03`, `1990年3月`), or a year alone.
fn year(v: &str) -> Option<String> {
    let b = v.as_bytes();
    let plausible = |y: u32, m: u32, d: u32| {
        (1800..=2200).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d)
    };
    let time_after = |end: usize| {
        b[end..].iter().all(|&c| {
            c.is_ascii_digit() || matches!(c, b' ' | b':' | b'T' | b'.' | b'Z' | b'+' | b'-')
        })
    };
    let num = |s: &[u8]| -> Option<u32> { std::str::from_utf8(s).ok()?.parse().ok() };
    if let Some((y, m, d, end)) = outbound_scan::detect::dob::parse(b)
        && plausible(y, m, d)
        && time_after(end)
    {
        return Some(v[..4].to_string());
    }
    // Day or month first, with a separator: the year is the 4-digit group.
    let date_len = b
        .iter()
        .position(|c| matches!(c, b' ' | b'T'))
        .unwrap_or(b.len());
    let groups: Vec<&[u8]> = b[..date_len]
        .split(|c| matches!(c, b'-' | b'/' | b'.'))
        .collect();
    if let [d, m, y] = groups[..]
        && (1..=2).contains(&d.len())
        && (1..=2).contains(&m.len())
        && y.len() == 4
        && let (Some(d), Some(m), Some(yy)) = (num(d), num(m), num(y))
        && (plausible(yy, m, d) || plausible(yy, d, m))
        && time_after(date_len)
    {
        return Some(v[date_len - 4..date_len].to_string());
    }
    // `DDMMYYYY` (`YYYYMMDD` was read above).
    if b.len() == 8
        && b.iter().all(u8::is_ascii_digit)
        && let (Some(d), Some(m), Some(y)) = (num(&b[..2]), num(&b[2..4]), num(&b[4..]))
        && plausible(y, m, d)
    {
        return Some(v[4..].to_string());
    }
    // Year and month, or a year alone (already coarse).
    let y = b.get(..4).and_then(num)?;
    let rest = &v[4..];
    let month_ok = |m: &str| m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m)) && m.len() <= 2;
    let ok = rest.is_empty()
        || rest == "年"
        || rest
            .strip_prefix('年')
            .and_then(|r| r.strip_suffix('月'))
            .is_some_and(month_ok)
        || rest.strip_prefix(['-', '/', '.']).is_some_and(month_ok);
    (ok && b[..4].iter().all(u8::is_ascii_digit) && (1800..=2200).contains(&y))
        .then(|| v[..4].to_string())
}

/// Words a coordinate value may hold besides its numbers: WKT and GeoJSON
/// names, and the labels the geo detector reads.
const GEO_WORDS: [&str; 21] = [
    "point",
    "multipoint",
    "linestring",
    "multilinestring",
    "polygon",
    "multipolygon",
    "geometrycollection",
    "z",
    "m",
    "zm",
    "empty",
    "srid",
    "type",
    "coordinates",
    "lat",
    "lng",
    "lon",
    "latitude",
    "longitude",
    "经度",
    "纬度",
];

/// Every decimal of a coordinate value floored to 0.1° (`31.23456` →
/// `31.2`, `-33.8688` → `-33.9`), whatever holds them: `lat,lng`,
/// `lat lng`, lists and tracks (`;`, `|`, JSON arrays), WKT
/// (`POINT(121.47372 31.23456)`), GeoJSON. `None` if the value holds
/// anything else (a word outside [`GEO_WORDS`], an exponent, a number out
/// of range), or no decimal at all.
fn coordinates(v: &str) -> Option<String> {
    let mut out = String::with_capacity(v.len());
    let mut decimals = 0;
    let mut rest = v;
    while let Some(c) = rest.chars().next() {
        let sign = matches!(c, '-' | '+');
        if c.is_ascii_digit() || (sign && rest[1..].starts_with(|d: char| d.is_ascii_digit())) {
            let body = &rest[usize::from(sign)..];
            let int_len = body
                .find(|d: char| !d.is_ascii_digit())
                .unwrap_or(body.len());
            let (int, after) = body.split_at(int_len);
            let frac = after
                .strip_prefix('.')
                .map(|f| &f[..f.find(|d: char| !d.is_ascii_digit()).unwrap_or(f.len())]);
            let len = usize::from(sign) + int_len + frac.map_or(0, |f| f.len() + 1);
            match frac {
                Some(f) if !f.is_empty() => {
                    let whole: u64 = int.parse().ok()?;
                    if whole > 180 {
                        return None;
                    }
                    decimals += 1;
                    out.push_str(&floor_tenth(c == '-', whole, f));
                }
                _ => out.push_str(&rest[..len]),
            }
            rest = &rest[len..];
        } else if c.is_alphabetic() {
            let end = rest
                .find(|d: char| !d.is_alphabetic())
                .unwrap_or(rest.len());
            let word = rest[..end].to_lowercase();
            if !GEO_WORDS.contains(&word.as_str()) {
                return None;
            }
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if c.is_whitespace() || ",;|/:=()[]{}\"'".contains(c) {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        } else {
            return None;
        }
    }
    (decimals > 0).then_some(out)
}

/// `sign whole.frac` floored to one decimal, exactly (no float rounding).
fn floor_tenth(negative: bool, whole: u64, frac: &str) -> String {
    let first = u64::from(frac.as_bytes()[0] - b'0');
    let mut tenths = whole * 10 + first;
    let more = frac.bytes().skip(1).any(|d| d != b'0');
    if negative && more {
        // Floor: away from zero for a negative value.
        tenths += 1;
    }
    let sign = if negative && tenths > 0 { "-" } else { "" };
    format!("{sign}{}.{}", tenths / 10, tenths % 10)
}

/// A Chinese address to its province and city (from the GB/T 2260 table,
/// never cut from the input); a Latin-script one to its last
/// comma-separated part when that holds no digit (a house number or
/// postcode would narrow it down).
fn address(v: &str) -> Option<String> {
    let cjk = v
        .chars()
        .filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c))
        .count();
    if cjk >= 2 {
        return outbound_scan::detect::address::province_and_city(v);
    }
    let (_, tail) = v.rsplit_once(',')?;
    let tail = tail.trim();
    (tail.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && !tail.chars().any(|c| c.is_ascii_digit()))
    .then(|| tail.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{KeyInit, Mac};

    #[test]
    fn generalisations() {
        let generalise = |v, k| generalise(v, k).unwrap();
        assert_eq!(generalise("1990-03-07", None), "1990");
        assert_eq!(generalise("19900307", Some(Kind::DateOfBirth)), "1990");
        assert_eq!(generalise("31.23456,121.47372", None), "31.2,121.4");
        assert_eq!(
            generalise("上海市浦东新区世纪大道100号", Some(Kind::Address)),
            "上海市"
        );
        assert_eq!(generalise("浙江省杭州市西湖区文三路", None), "浙江省杭州市");
    }

    #[test]
    fn dates_keep_only_their_year_in_every_form_the_detector_reads() {
        let dob = Some(Kind::DateOfBirth);
        for v in [
            "07/03/1990",
            "7.3.1990",
            "07-03-1990 08:00",
            "07031990",
            "1990/3/7",
            "1990.03.07",
            "1990年3月7日",
            "1990-03-07T08:00:00Z",
            "1990-03",
            "1990年3月",
            "1990",
        ] {
            assert_eq!(generalise(v, dob), Ok("1990".into()), "{v}");
            assert_eq!(generalise(v, None), Ok("1990".into()), "{v}");
        }
        for v in ["07/03/90", "March 7, 1990", "0703"] {
            assert_eq!(
                generalise(v, dob),
                Err(Ungeneralisable {
                    kind: "date_of_birth"
                }),
                "{v}"
            );
        }
    }

    #[test]
    fn coordinates_in_every_form_go_to_a_tenth_of_a_degree() {
        let geo = Some(Kind::GeoCoordinate);
        for (v, want) in [
            ("31.23456,121.47372", "31.2,121.4"),
            ("31.23456 121.47372", "31.2 121.4"),
            ("-33.8688, 151.2093", "-33.9, 151.2"),
            (
                "31.23456,121.47372;31.23500,121.47400",
                "31.2,121.4;31.2,121.4",
            ),
            (
                "[[121.47372,31.23456],[121.474,31.235]]",
                "[[121.4,31.2],[121.4,31.2]]",
            ),
            ("POINT(121.47372 31.23456)", "POINT(121.4 31.2)"),
            (
                "SRID=4326;LINESTRING(121.47372 31.23456, 121.474 31.235)",
                "SRID=4326;LINESTRING(121.4 31.2, 121.4 31.2)",
            ),
            (
                r#"{"type":"Point","coordinates":[121.47372,31.23456]}"#,
                r#"{"type":"Point","coordinates":[121.4,31.2]}"#,
            ),
            ("经度:121.47372,纬度:31.23456", "经度:121.4,纬度:31.2"),
            ("-0.05,0.05", "-0.1,0.0"),
        ] {
            assert_eq!(generalise(v, geo).as_deref(), Ok(want), "{v}");
        }
        for v in [
            "31°14'04\"N 121°28'25\"E",
            "1.2345e1,121.47372",
            "at 31.23456,121.47372",
        ] {
            assert!(generalise(v, geo).is_err(), "{v}");
        }
    }

    #[test]
    fn addresses_keep_province_and_city_only() {
        let a = Some(Kind::Address);
        assert_eq!(
            generalise("星巴克(国贸店)北京市朝阳区建国路88号", a).as_deref(),
            Ok("北京市")
        );
        assert_eq!(
            generalise("杭州市西湖区文三路478号华星时代广场", a).as_deref(),
            Ok("浙江省杭州市")
        );
        assert_eq!(
            generalise("10 Downing Street, London", a).as_deref(),
            Ok("London")
        );
        for v in [
            "221B Baker Street London",
            "1 Main St, Springfield IL 62704",
            "某某小区3栋2单元",
        ] {
            assert_eq!(
                generalise(v, a),
                Err(Ungeneralisable { kind: "address" }),
                "{v}"
            );
        }
    }

    #[test]
    fn what_cannot_be_generalised_is_refused_and_never_quoted() {
        let e = generalise("13812345678", Some(Kind::CnMobile)).unwrap_err();
        assert_eq!(e.kind, "cn_mobile");
        assert!(!e.to_string().contains("13812345678"));
        assert_eq!(
            generalise("hello world", None),
            Err(Ungeneralisable {
                kind: "unrecognised"
            })
        );
        assert_eq!(generalise("未知", None).as_deref(), Ok("未知"));
        assert!(
            try_apply(
                Transform::Generalise,
                "07/03/90",
                Some(Kind::DateOfBirth),
                b"k"
            )
            .is_err()
        );
        assert_eq!(
            apply(
                Transform::Generalise,
                "07/03/90",
                Some(Kind::DateOfBirth),
                b"k"
            ),
            None,
            "without a refusal path the value is removed, never passed on"
        );
    }

    #[test]
    fn tokens_already_issued_stay_the_same() {
        // Issued by the version that keyed a new HMAC per value (a recipient
        // joins on them across batches): HMAC-SHA-256(k1, prefix ‖ value)[..10].
        assert_eq!(
            apply(Transform::Pseudonymise, "C000123", None, b"k1").unwrap(),
            "tok_646079299cbf05a14ef3"
        );
        let p = Pseudonymiser::new(b"k1");
        assert_eq!(p.token("C000123"), p.clone().token("C000123"));
        assert_eq!(p.token("C000123"), "tok_646079299cbf05a14ef3");
    }

    #[test]
    fn the_one_block_path_is_the_generic_hmac() {
        // Keys of the store's length, of a block, and longer than a block
        // (hashed first); values of every length across the one-block limit.
        for key in [
            vec![7u8; 16],
            vec![0x5a; 64],
            (0..100u8).collect::<Vec<u8>>(),
        ] {
            let p = Pseudonymiser::new(&key);
            for n in 0..=200usize {
                let value: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
                mac.update(PSEUDONYM_PREFIX);
                mac.update(value.as_bytes());
                let want = hex::encode(&mac.finalize().into_bytes()[..10]);
                assert_eq!(
                    p.token(&value),
                    format!("tok_{want}"),
                    "key {} value {n}",
                    key.len()
                );
            }
        }
    }

    #[test]
    fn pseudonyms_are_stable_and_keyed() {
        let a = apply(Transform::Pseudonymise, "C000123", None, b"k1").unwrap();
        assert_eq!(
            a,
            apply(Transform::Pseudonymise, " C000123 ", None, b"k1").unwrap()
        );
        assert_ne!(
            a,
            apply(Transform::Pseudonymise, "C000123", None, b"k2").unwrap()
        );
        assert!(a.starts_with("tok_") && !a.contains("000123"));
    }

    #[test]
    fn mask_and_drop() {
        assert_eq!(
            apply(Transform::Mask, "13812345678", Some(Kind::CnMobile), b"k").unwrap(),
            "138****5678"
        );
        assert_eq!(apply(Transform::Drop, "x", None, b"k"), None);
        assert_eq!(apply(Transform::Mask, "", None, b"k").unwrap(), "");
    }
}

//! Field transforms: mask, keyed pseudonymisation, generalisation.

use hmac::{KeyInit, Mac};
use outbound_model::Transform;
use outbound_scan::Kind;

/// Applies a transform to one value. `kind` is what the scanner found in it, if anything;
/// `token_key` keys pseudonyms so they are stable per store and unguessable without it.
pub fn apply(t: Transform, value: &str, kind: Option<Kind>, token_key: &[u8]) -> Option<String> {
    if value.trim().is_empty() {
        return Some(value.to_string());
    }
    match t {
        Transform::Drop => None,
        Transform::Mask => Some(outbound_scan::mask(
            kind.unwrap_or(Kind::CnPassport),
            value.trim(),
        )),
        Transform::Pseudonymise => {
            let mut mac =
                hmac::Hmac::<sha2::Sha256>::new_from_slice(token_key).expect("any key length");
            mac.update(b"outbound-pseudonym-v1\0");
            mac.update(value.trim().as_bytes());
            Some(format!(
                "tok_{}",
                hex::encode(&mac.finalize().into_bytes()[..10])
            ))
        }
        Transform::Generalise => Some(generalise(value.trim(), kind)),
    }
}

/// A birth date to its year, coordinates to a 0.1° grid, an address to its city; otherwise masked.
pub fn generalise(v: &str, kind: Option<Kind>) -> String {
    // Dates: YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD → YYYY.
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    if matches!(kind, Some(Kind::DateOfBirth))
        || (digits.len() == 8
            && v.len() <= 10
            && v.chars().all(|c| c.is_ascii_digit() || "-/.".contains(c)))
    {
        return digits.chars().take(4).collect();
    }
    if matches!(kind, Some(Kind::GeoCoordinate)) || is_coordinate_pair(v) {
        let parts: Vec<String> = v
            .split([',', ' '])
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<f64>()
                    .map(|f| format!("{:.1}", (f * 10.0).floor() / 10.0))
                    .unwrap_or_else(|_| p.to_string())
            })
            .collect();
        return parts.join(",");
    }
    if matches!(kind, Some(Kind::Address)) || v.contains('市') || v.contains('省') {
        // Keep up to the city: the first 市 (or the province when there is no city).
        for marker in ['市', '州', '盟'] {
            if let Some(i) = v.find(marker) {
                return v[..i + marker.len_utf8()].to_string();
            }
        }
        if let Some(i) = v.find('省') {
            return v[..i + '省'.len_utf8()].to_string();
        }
        // Western style: keep the last comma-separated part (city, country).
        if let Some((_, tail)) = v.rsplit_once(',') {
            return tail.trim().to_string();
        }
    }
    outbound_scan::mask(kind.unwrap_or(Kind::CnPassport), v)
}

fn is_coordinate_pair(v: &str) -> bool {
    let mut it = v.split(',').map(str::trim);
    matches!((it.next().map(str::parse::<f64>), it.next().map(str::parse::<f64>), it.next()), (Some(Ok(a)), Some(Ok(b)), None) if a.abs() <= 90.0 && b.abs() <= 180.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalisations() {
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

//! Masking of sample values: the only way raw values may reach a report,
//! and only when the caller asks for samples.

use crate::Kind;

/// Masks a matched value so that it shows its shape but cannot identify
/// anyone: the middle is replaced by `*`, keeping about a quarter of the
/// characters (at most 4) at each end (`1101**********4514`,
/// `138****5678`); e-mail keeps the first character of the local part and
/// the domain; names keep the surname; addresses keep the first 6
/// characters; birth dates keep the year.
pub fn mask(kind: Kind, value: &str) -> String {
    if value.is_ascii() {
        return mask_ascii(kind, value);
    }
    mask_chars(kind, value)
}

/// [`mask`] of an ASCII value, byte by byte: the same result without a
/// vector of chars per value (the gate masks every value of a column).
fn mask_ascii(kind: Kind, value: &str) -> String {
    let b = value.as_bytes();
    let n = b.len();
    let star_middle = |keep_l: usize, keep_r: usize| -> String {
        let keep_l = keep_l.min(n);
        let keep_r = keep_r.min(n - keep_l);
        let mut s = String::with_capacity(n);
        s.push_str(&value[..keep_l]);
        s.extend(b[keep_l..n - keep_r].iter().map(|&c| {
            // `char::is_whitespace` on ASCII: tab, LF, VT, FF, CR, space.
            if matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | b'-') {
                char::from(c)
            } else {
                '*'
            }
        }));
        s.push_str(&value[n - keep_r..]);
        s
    };
    match kind {
        Kind::Email => match value.rfind('@') {
            Some(at) => format!("{}***{}", &value[..at.min(1)], &value[at..]),
            None => star_middle(1, 0),
        },
        Kind::PersonName => star_middle(1, 0),
        Kind::Address => star_middle(6.min(n / 2), 0),
        Kind::DateOfBirth => star_middle(4, 0),
        Kind::CnMobile => star_middle(3, 4),
        _ => {
            let k = (n / 4).clamp(if n >= 3 { 1 } else { 0 }, 4);
            star_middle(k, k)
        }
    }
}

/// [`mask`] char by char, for any text.
fn mask_chars(kind: Kind, value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    let star_middle = |keep_l: usize, keep_r: usize| -> String {
        let keep_l = keep_l.min(n);
        let keep_r = keep_r.min(n - keep_l);
        let mut s: String = chars[..keep_l].iter().collect();
        s.extend(chars[keep_l..n - keep_r].iter().map(|c| {
            if c.is_whitespace() || *c == '-' {
                *c
            } else {
                '*'
            }
        }));
        s.extend(chars[n - keep_r..].iter());
        s
    };
    match kind {
        Kind::Email => match value.rfind('@') {
            Some(at) => {
                let first: String = value[..at].chars().take(1).collect();
                format!("{first}***{}", &value[at..])
            }
            None => star_middle(1, 0),
        },
        Kind::PersonName => star_middle(1, 0),
        Kind::Address => star_middle(6.min(n / 2), 0),
        Kind::DateOfBirth => star_middle(4, 0),
        Kind::CnMobile => star_middle(3, 4),
        _ => {
            let k = (n / 4).clamp(if n >= 3 { 1 } else { 0 }, 4);
            star_middle(k, k)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_path_masks_as_the_char_path_does() {
        let alphabet = b"ab1-@ .\t\x0b\x0cZ9";
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for len in 0..40 {
            for _ in 0..50 {
                let v: String = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        char::from(alphabet[(x % alphabet.len() as u64) as usize])
                    })
                    .collect();
                for k in Kind::ALL {
                    assert_eq!(mask_ascii(k, &v), mask_chars(k, &v), "{k:?} {v:?}");
                }
            }
        }
    }

    #[test]
    fn masks() {
        assert_eq!(
            mask(Kind::CnResidentId, "110101199003074514"),
            "1101**********4514"
        );
        assert_eq!(mask(Kind::CnMobile, "13812345678"), "138****5678");
        assert_eq!(
            mask(Kind::Email, "zhang.san@example.com"),
            "z***@example.com"
        );
        assert_eq!(mask(Kind::PersonName, "张三丰"), "张**");
        assert_eq!(mask(Kind::DateOfBirth, "1990-01-31"), "1990-**-**");
        assert_eq!(
            mask(Kind::BankCard, "4111 1111 1111 1111"),
            "4111 **** **** 1111"
        );
    }
}

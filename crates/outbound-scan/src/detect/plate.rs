//! PRC vehicle licence plates (GA 36-2018).
//!
//! Province abbreviation + issuing-authority letter + (optional `·`, `•`,
//! `-` or space: exports write the plate's dot in all these ways) + 5 characters (letters other than I/O, digits; at least 3
//! digits), or 6 characters for new-energy vehicles with `D`/`F` first
//! (small) or last (large).

#[cfg(test)]
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// Whether `c` is a province abbreviation used on plates. (A `match`
/// compiles to a few comparisons; this runs at every CJK character.)
pub const fn is_province(c: char) -> bool {
    matches!(
        c,
        '京' | '津'
            | '沪'
            | '渝'
            | '冀'
            | '豫'
            | '云'
            | '辽'
            | '黑'
            | '湘'
            | '皖'
            | '鲁'
            | '新'
            | '苏'
            | '浙'
            | '赣'
            | '鄂'
            | '桂'
            | '甘'
            | '晋'
            | '蒙'
            | '陕'
            | '吉'
            | '闽'
            | '贵'
            | '粤'
            | '青'
            | '藏'
            | '川'
            | '宁'
            | '琼'
    )
}

fn plate_alnum(b: u8) -> bool {
    b.is_ascii_digit() || (b.is_ascii_uppercase() && b != b'I' && b != b'O')
}

/// Tries to match a plate whose province character starts at `s[i]` and
/// is `clen` bytes long. Returns the end offset.
pub fn match_at(s: &[u8], i: usize, clen: usize) -> Option<usize> {
    let mut j = i + clen;
    let letter = *s.get(j)?;
    if !letter.is_ascii_uppercase() {
        return None;
    }
    j += 1;
    if matches!(s.get(j), Some(b' ' | b'-')) {
        j += 1;
    } else if s[j..].starts_with("·".as_bytes()) || s[j..].starts_with("•".as_bytes()) {
        j += if s[j..].starts_with("·".as_bytes()) {
            2
        } else {
            3
        };
    }
    let start = j;
    while j < s.len() && plate_alnum(s[j]) && j - start < 7 {
        j += 1;
    }
    if j < s.len() && s[j].is_ascii_alphanumeric() {
        return None;
    }
    let tail = &s[start..j];
    let ok = match tail.len() {
        5 => tail.iter().filter(|b| b.is_ascii_digit()).count() >= 3,
        6 => {
            let df = |b: u8| b == b'D' || b == b'F';
            (df(tail[0]) && tail[2..].iter().all(u8::is_ascii_digit))
                || (df(tail[5]) && tail[..5].iter().all(u8::is_ascii_digit))
        }
        _ => false,
    };
    ok.then_some(j)
}

/// Validates a whole value.
pub fn is_valid(s: &str) -> bool {
    match s.chars().next() {
        Some(c) if is_province(c) => match_at(s.as_bytes(), 0, c.len_utf8()) == Some(s.len()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn province_match_agrees_with_list() {
        for c in PROVINCES.chars() {
            assert!(is_province(c));
        }
        assert_eq!(PROVINCES.chars().count(), 31);
        assert!(!is_province('美'));
    }

    #[test]
    fn plates() {
        assert!(is_valid("京A12345"));
        assert!(is_valid("粤B·8K2Q1"));
        // The dot written as a hyphen (Faker zh_CN's form, and common in exports).
        assert!(is_valid("闽L-27538"));
        assert!(is_valid("粤B-D12345"));
        assert!(!is_valid("闽L--27538"));
        assert!(!is_valid("闽L-2753"));
        assert!(is_valid("京A 12345"));
        assert!(is_valid("沪AD12345"));
        assert!(is_valid("苏E12345F"));
        assert!(!is_valid("京ABCDEF"));
        assert!(!is_valid("京A1234"));
        assert!(!is_valid("美A12345"));
        assert!(!is_valid("京A12345678"));
        assert!(!is_valid("京a12345"));
    }
}

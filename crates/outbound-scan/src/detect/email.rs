//! E-mail addresses (RFC 5321-ish, pragmatic).
//!
//! Local part: `[A-Za-z0-9._%+-]`, 1–64 chars, no leading/trailing/double
//! dot. Domain: labels of `[A-Za-z0-9-]` (no leading/trailing dash), at
//! least two labels, TLD 2–63 letters (or `xn--` punycode).

/// Characters allowed in the local part.
#[inline(always)]
pub fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// Validates the local part.
pub fn valid_local(l: &[u8]) -> bool {
    !l.is_empty()
        && l.len() <= 64
        && l[0] != b'.'
        && l[l.len() - 1] != b'.'
        && l.iter().all(|&b| is_local_char(b))
        && !l.windows(2).any(|w| w == b"..")
}

/// Length of the longest valid domain prefix of `s` (0 if none).
pub fn domain_len(s: &[u8]) -> usize {
    let mut i = 0;
    let mut labels = 0;
    let mut end_ok = 0; // end of the last complete valid domain
    loop {
        let start = i;
        while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'-') {
            i += 1;
        }
        let label = &s[start..i];
        if label.is_empty()
            || label.len() > 63
            || label[0] == b'-'
            || label[label.len() - 1] == b'-'
        {
            break;
        }
        labels += 1;
        if labels >= 2 && valid_tld(&s[start..i]) {
            end_ok = i;
        }
        if i + 1 < s.len() && s[i] == b'.' && s[i + 1].is_ascii_alphanumeric() {
            i += 1;
        } else {
            break;
        }
    }
    if end_ok > 253 { 0 } else { end_ok }
}

fn valid_tld(t: &[u8]) -> bool {
    (t.len() >= 2 && t.iter().all(u8::is_ascii_alphabetic))
        || (t.len() > 4 && t[..4].eq_ignore_ascii_case(b"xn--"))
}

/// Validates a whole address.
pub fn is_valid(s: &[u8]) -> bool {
    match memchr::memrchr(b'@', s) {
        Some(at) => valid_local(&s[..at]) && domain_len(&s[at + 1..]) == s.len() - at - 1,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_valid(b"zhang.san@example.com"));
        assert!(is_valid(b"a+tag@mail.example.co.uk"));
        assert!(is_valid(b"13812345678@qq.com"));
        assert!(is_valid(b"x@xn--fiqs8s.xn--fiqz9s"));
        assert!(!is_valid(b"a@localhost"));
        assert!(!is_valid(b".a@example.com"));
        assert!(!is_valid(b"a..b@example.com"));
        assert!(!is_valid(b"a@example.c"));
        assert!(!is_valid(b"a@-example.com"));
        assert!(!is_valid(b"a@example.123"));
        assert_eq!(domain_len(b"example.com."), 11);
    }
}

//! E-mail addresses (RFC 5321-ish, pragmatic).
//!
//! Local part: `[A-Za-z0-9._%+-]`, 1–64 chars, no leading/trailing/double
//! dot. Domain: labels of `[A-Za-z0-9-]` (no leading/trailing dash), at
//! least two labels, TLD 2–63 letters (or `xn--` punycode).

use crate::blocks;

/// Byte classes of addresses, one table lookup per byte instead of a chain
/// of range tests (an e-mail column asks for every byte of every cell).
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            t[b] = LOCAL | DOMAIN;
        } else if matches!(c, b'.' | b'_' | b'%' | b'+') {
            t[b] = LOCAL;
        } else if c == b'-' {
            t[b] = LOCAL | DOMAIN;
        }
        b += 1;
    }
    t
};
/// Allowed in the local part.
const LOCAL: u8 = 1;
/// Allowed in a domain label (letters, digits, `-`).
const DOMAIN: u8 = 2;

/// Characters allowed in the local part.
#[inline(always)]
pub fn is_local_char(b: u8) -> bool {
    CLASS[b as usize] & LOCAL != 0
}

/// Validates the local part.
pub fn valid_local(l: &[u8]) -> bool {
    if l.is_empty() || l.len() > 64 || l[0] == b'.' || l[l.len() - 1] == b'.' {
        return false;
    }
    // One pass: every byte allowed, no two dots in a row.
    let mut prev_dot = false;
    for &b in l {
        let dot = b == b'.';
        if !is_local_char(b) || (dot && prev_dot) {
            return false;
        }
        prev_dot = dot;
    }
    true
}

/// Length of the longest valid domain prefix of `s` (0 if none).
pub fn domain_len(s: &[u8]) -> usize {
    let mut i = 0;
    let mut labels = 0;
    let mut end_ok = 0; // end of the last complete valid domain
    loop {
        let start = i;
        while i < s.len() && CLASS[s[i] as usize] & DOMAIN != 0 {
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

/// Whether `s` is an address and nothing else, from class masks of its
/// bytes ([`blocks::short`]), for values of at most 64 bytes (`None` for
/// longer ones): the same answer as a first byte that is a letter or
/// digit, then [`valid_local`] before the first `@` and [`domain_len`]
/// reaching the end after it, with every rule a few operations on 64-bit
/// masks instead of a loop and a table lookup per byte. In 64 bytes no
/// label can pass 63 bytes nor the domain 253, so those limits hold.
#[inline]
pub(crate) fn whole_by_masks(s: &[u8]) -> Option<bool> {
    let n = s.len();
    let c = blocks::short(s, [b'.', b'@', b'-', b'_', b'%', b'+'])?;
    let [dot, at, dash, under, pct, plus] = c.eq;
    let alnum = c.digit | c.alpha;
    if alnum & 1 == 0 || at == 0 {
        return Some(false);
    }
    // The first `@`, at 1 or later (byte 0 is a letter or digit), so
    // below 64, and the local part before it.
    let a = at.trailing_zeros() as usize;
    let local = (1u64 << a) - 1;
    let local_ok = (alnum | dot | dash | under | pct | plus) & local == local
        && dot & (dot >> 1) & local == 0 // no `..`
        && (dot >> (a - 1)) & 1 == 0; // no dot last
    if !local_ok || a + 1 >= n {
        return Some(false);
    }
    let full = u64::MAX >> (64 - n);
    // `a + 1 < n <= 64`: the domain, bits `a + 1 ..< n`.
    let dom = full & !((1u64 << (a + 1)) - 1);
    let dots = dot & dom;
    if (alnum | dash | dot) & dom != dom || dots == 0 {
        return Some(false);
    }
    // First and last bytes of the labels: a dot there is an empty label,
    // a dash there is not allowed.
    let starts = ((dots << 1) | (1u64 << (a + 1))) & dom;
    let ends = ((dots >> 1) | (1u64 << (n - 1))) & dom;
    if (dots | dash) & (starts | ends) != 0 {
        return Some(false);
    }
    // The top-level label, after the last dot (at most at `n - 2`).
    let last = 63 - dots.leading_zeros() as usize;
    let tld = dom & !((2u64 << last) - 1);
    let len = n - 1 - last;
    Some(
        (len >= 2 && c.alpha & tld == tld)
            || (len > 4 && s[last + 1..last + 5].eq_ignore_ascii_case(b"xn--")),
    )
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

    #[test]
    fn byte_classes_are_the_rfc_subset() {
        for b in 0..=255u8 {
            let local = b.is_ascii_alphanumeric() || b".%+-_".contains(&b);
            assert_eq!(is_local_char(b), local, "{b}");
            let domain = b.is_ascii_alphanumeric() || b == b'-';
            assert_eq!(CLASS[b as usize] & DOMAIN != 0, domain, "{b}");
        }
        assert!(valid_local(b"a.b"));
        assert!(!valid_local(b"a..b"));
        assert!(!valid_local(b"a.b."));
    }
}

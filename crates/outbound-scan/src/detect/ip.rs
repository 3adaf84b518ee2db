//! IPv4 and IPv6 addresses, as `std::net` parses them, so only real
//! addresses count (no `999.1.1.1`, no leading-zero octets, no `a::b`-style
//! C++ paths): IPv6 by `std::net` itself, IPv4 by a byte loop tested
//! against it.

use std::net::Ipv6Addr;

/// Validates a dotted-quad span as `std::net::Ipv4Addr` parses one (four
/// decimal octets up to 255, no leading zero), octet by octet: the
/// parser's generic machinery cost more than the check on a table with an
/// address column, and a byte loop with its digit count and running value
/// cost 130 instructions an address. Quads of four single digits
/// (`2.1.3.2`) are rejected: in text they are section or version
/// numbers, and as addresses they are infrastructure, not subscribers.
pub fn valid_v4(s: &[u8]) -> bool {
    if s.len() <= 7 || s.len() > 15 {
        return false;
    }
    let mut at = 0;
    for k in 0..4 {
        let Some(next) = octet(s, at) else {
            return false;
        };
        // A dot after each of the first three, the end after the fourth.
        if k < 3 {
            if s.get(next) != Some(&b'.') {
                return false;
            }
            at = next + 1;
        } else {
            return next == s.len();
        }
    }
    false
}

/// Where the decimal octet at `s[at..]` ends (one to three digits, no
/// leading zero, at most 255).
#[inline(always)]
fn octet(s: &[u8], at: usize) -> Option<usize> {
    let digit = |i: usize| {
        s.get(i)
            .map(|b| b.wrapping_sub(b'0'))
            .filter(|&d| d < 10)
            .map(u32::from)
    };
    let a = digit(at)?;
    let Some(b) = digit(at + 1) else {
        return Some(at + 1);
    };
    if a == 0 {
        return None;
    }
    let Some(c) = digit(at + 2) else {
        return Some(at + 2);
    };
    // A fourth digit is no octet (the caller wants a dot or the end there).
    (a * 100 + b * 10 + c <= 255).then_some(at + 3)
}

/// Validates an IPv6 span. Besides parsing, requires either all 8 groups
/// or a `::` with at least 3 groups, so that `Foo::bar` or `a::b` in logs
/// and code are not reported.
pub fn valid_v6(s: &[u8]) -> bool {
    if s.len() < 6 || s.len() > 45 {
        return false;
    }
    // Colons, non-empty groups, dots and whether a `::` is there, in one
    // pass: a log line's `08:00:00` asks at each of its groups.
    let (mut colons, mut groups, mut dots) = (0usize, 0usize, 0usize);
    let (mut compressed, mut after_colon, mut in_group) = (false, false, false);
    for &b in s {
        if b == b':' {
            colons += 1;
            compressed |= after_colon;
            (after_colon, in_group) = (true, false);
        } else {
            groups += usize::from(!in_group);
            dots += usize::from(b == b'.');
            (after_colon, in_group) = (false, true);
        }
    }
    if !(colons >= 2 && dots % 3 == 0 && (groups >= 8 || (compressed && groups >= 3) || dots == 3))
    {
        return false;
    }
    std::str::from_utf8(s)
        .ok()
        .and_then(|t| t.parse::<Ipv6Addr>().ok())
        .is_some()
}

/// Characters that may appear in an IPv6 literal.
#[inline(always)]
pub fn is_v6_char(b: u8) -> bool {
    V6_CHARS[usize::from(b)]
}

/// [`is_v6_char`] as one look-up: the literal's run is walked at each
/// group of a log line's time (`08:00:00`), and three range tests a byte
/// cost more than the table.
static V6_CHARS: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_hexdigit() || c == b':' || c == b'.';
        b += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte loop accepts exactly what `std::net::Ipv4Addr` parses (of
    /// spans longer than seven bytes), on random strings of digits and
    /// dots, a few other bytes among them.
    #[test]
    fn v4_agrees_with_std() {
        let mut rng = crate::corpus::Rng::new(4);
        let alphabet = b"0123456789012345678901234567890123456789....+- a";
        let mut accepted = 0;
        for _ in 0..300_000 {
            let mut v: Vec<u8> = if rng.pct(50) {
                let n = rng.below(17) as usize;
                (0..n).map(|_| *rng.pick(alphabet)).collect()
            } else {
                // Four groups of one to three digits, some with a byte changed.
                let mut v = Vec::new();
                for g in 0..4 {
                    if g > 0 {
                        v.push(b'.');
                    }
                    for _ in 0..1 + rng.below(3) {
                        v.push(b'0' + rng.below(10) as u8);
                    }
                }
                v
            };
            if rng.pct(20) {
                let at = rng.below(v.len().max(1) as u64) as usize;
                v.insert(at.min(v.len()), *rng.pick(alphabet));
            }
            let std = v.len() > 7
                && std::str::from_utf8(&v)
                    .ok()
                    .and_then(|t| t.parse::<std::net::Ipv4Addr>().ok())
                    .is_some();
            assert_eq!(valid_v4(&v), std, "{:?}", String::from_utf8_lossy(&v));
            accepted += usize::from(std);
        }
        assert!(accepted > 10_000, "{accepted}");
        for a in ["0.0.0.10", "255.255.255.255", "10.200.3.40", "1.2.3.40"] {
            assert!(valid_v4(a.as_bytes()), "{a}");
        }
        for a in [
            "1.2.3.4.",
            ".1.2.3.4",
            "1..2.3.4",
            "1.2.3.256",
            "1.2.3.04",
            "1.2.3.4.5",
        ] {
            assert!(!valid_v4(a.as_bytes()), "{a}");
        }
    }

    #[test]
    fn v4() {
        assert!(valid_v4(b"192.168.1.10"));
        assert!(valid_v4(b"8.8.8.18"));
        assert!(!valid_v4(b"256.1.1.1"));
        assert!(!valid_v4(b"1.2.3"));
        assert!(!valid_v4(b"01.2.3.4"));
        assert!(!valid_v4(b"2.1.3.2"));
        assert!(valid_v4(b"10.0.0.1"));
    }

    #[test]
    fn v6() {
        assert!(valid_v6(b"2001:db8::8a2e:370:7334"));
        assert!(valid_v6(b"2001:0db8:85a3:0000:0000:8a2e:0370:7334"));
        assert!(valid_v6(b"::ffff:192.168.1.1"));
        assert!(valid_v6(b"::ffff:c0a8:101"));
        assert!(!valid_v6(b"::1"));
        assert!(!valid_v6(b"12:34:56"));
        assert!(!valid_v6(b"dead::beef"));
        assert!(!valid_v6(b"1:2:3:4:5:6:7:8:9"));
    }

    /// The one-pass counts against the four passes they replaced, on
    /// random strings of hex digits, colons and dots (and a few other
    /// bytes), of every length around the bounds.
    #[test]
    fn v6_counts_in_one_pass_agree_with_four() {
        fn reference(s: &[u8]) -> bool {
            if s.len() < 6 || s.len() > 45 {
                return false;
            }
            let colons = s.iter().filter(|&&b| b == b':').count();
            let groups = s.split(|&b| b == b':').filter(|g| !g.is_empty()).count();
            let compressed = s.windows(2).any(|w| w == b"::");
            let dots = s.iter().filter(|&&b| b == b'.').count();
            if !(colons >= 2
                && dots % 3 == 0
                && (groups >= 8 || (compressed && groups >= 3) || dots == 3))
            {
                return false;
            }
            std::str::from_utf8(s)
                .ok()
                .and_then(|t| t.parse::<Ipv6Addr>().ok())
                .is_some()
        }
        let mut rng = crate::corpus::Rng::new(57);
        let mut valid = 0;
        for _ in 0..300_000 {
            let n = rng.below(48) as usize;
            let alphabet: &[u8] = if rng.pct(50) {
                b"0123456789abcdef::::.."
            } else {
                b"0f:::.1A g"
            };
            let v: Vec<u8> = (0..n).map(|_| *rng.pick(alphabet)).collect();
            assert_eq!(
                valid_v6(&v),
                reference(&v),
                "{:?}",
                String::from_utf8_lossy(&v)
            );
            valid += usize::from(reference(&v));
        }
        for v in [
            &b"2001:db8:85a3::8a2e:370:7334"[..],
            b"::ffff:192.168.1.1",
            b"fe80::1:2:3",
        ] {
            assert_eq!(valid_v6(v), reference(v));
        }
        assert!(valid > 100, "{valid}");
    }
}

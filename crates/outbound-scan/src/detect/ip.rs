//! IPv4 and IPv6 addresses, parsed by `std::net` so only real addresses
//! count (no `999.1.1.1`, no leading-zero octets, no `a::b`-style C++ paths).

use std::net::{Ipv4Addr, Ipv6Addr};

/// Validates a dotted-quad span. Quads of four single digits (`2.1.3.2`)
/// are rejected: in text they are section or version numbers, and as
/// addresses they are infrastructure, not subscribers.
pub fn valid_v4(s: &[u8]) -> bool {
    s.len() > 7
        && s.len() <= 15
        && std::str::from_utf8(s)
            .ok()
            .and_then(|t| t.parse::<Ipv4Addr>().ok())
            .is_some()
}

/// Validates an IPv6 span. Besides parsing, requires either all 8 groups
/// or a `::` with at least 3 groups, so that `Foo::bar` or `a::b` in logs
/// and code are not reported.
pub fn valid_v6(s: &[u8]) -> bool {
    if s.len() < 6 || s.len() > 45 {
        return false;
    }
    let colons = s.iter().filter(|&&b| b == b':').count();
    let groups = s.split(|&b| b == b':').filter(|g| !g.is_empty()).count();
    let compressed = s.windows(2).any(|w| w == b"::");
    let dots = s.iter().filter(|&&b| b == b'.').count();
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
    b.is_ascii_hexdigit() || b == b':' || b == b'.'
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

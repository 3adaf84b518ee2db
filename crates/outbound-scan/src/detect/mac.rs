//! MAC-48 addresses: six hex pairs separated consistently by `:` or `-`.
//! All-zero and broadcast addresses are placeholders, not devices.

/// Validates exactly 17 bytes.
pub fn is_valid(s: &[u8]) -> bool {
    if s.len() != 17 {
        return false;
    }
    let sep = s[2];
    // The separators first: a timestamp's `08:00:00Z` fails at its fourth.
    if (sep != b':' && sep != b'-') || [5, 8, 11, 14].iter().any(|&k| s[k] != sep) {
        return false;
    }
    for (i, &b) in s.iter().enumerate() {
        if i % 3 == 2 {
            if b != sep {
                return false;
            }
        } else if !b.is_ascii_hexdigit() {
            return false;
        }
    }
    let zero = s.iter().enumerate().all(|(i, &b)| i % 3 == 2 || b == b'0');
    let bcast = s
        .iter()
        .enumerate()
        .all(|(i, &b)| i % 3 == 2 || b == b'f' || b == b'F');
    !zero && !bcast
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs() {
        assert!(is_valid(b"00:1A:2B:3C:4D:5E"));
        assert!(is_valid(b"00-1a-2b-3c-4d-5e"));
        assert!(!is_valid(b"00:1A-2B:3C:4D:5E"));
        assert!(!is_valid(b"00:00:00:00:00:00"));
        assert!(!is_valid(b"FF:FF:FF:FF:FF:FF"));
        assert!(!is_valid(b"00:1A:2B:3C:4D:5G"));
    }
}

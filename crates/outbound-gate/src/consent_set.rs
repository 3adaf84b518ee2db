//! The consented subjects of a transfer, held for one look-up per record
//! of the gate's counting half.

/// The consented subjects' hashes, for one look-up per record.
///
/// An open-addressed table of the hashes themselves (linear probing, at
/// most two thirds full, an all-zero slot empty): a look-up reads one slot, and
/// its neighbour rarely, where a `HashSet` reads its control bytes and then
/// the slot they point to, two cache misses one after the other in a set
/// of a million consents (a tenth of the pass went to them). A hash's home
/// slot is the top bits of its first 8 bytes as they are: the hashes are
/// keyed HMAC outputs, uniform already, so hashing them again (SipHash)
/// would buy nothing. Only the key's holder can choose colliding subjects,
/// and they could only slow their own gate. Membership compares all 16
/// bytes: nothing passes on a near miss.
pub(crate) struct SubjectSet {
    slots: Vec<[u8; 16]>,
    /// Whether the all-zero hash is in the set (its slot would read as empty).
    zero: bool,
    /// 64 minus log2 of the slots: a hash's first 8 bytes shifted by it are its home.
    shift: u32,
}

impl FromIterator<[u8; 16]> for SubjectSet {
    fn from_iter<I: IntoIterator<Item = [u8; 16]>>(iter: I) -> Self {
        let hashes: Vec<[u8; 16]> = iter.into_iter().collect();
        // At most two thirds full: an absent hash probes about 5 slots
        // (a line or two), and memory stays 24 to 48 bytes a consent.
        let n = hashes.len().max(8);
        let slots = (n + n.div_ceil(2)).next_power_of_two();
        let mut set = SubjectSet {
            slots: vec![[0; 16]; slots],
            zero: false,
            shift: 64 - slots.trailing_zeros(),
        };
        for h in hashes {
            if h == [0; 16] {
                set.zero = true;
                continue;
            }
            let mask = set.slots.len() - 1;
            let mut i = set.home(&h);
            while set.slots[i] != [0; 16] && set.slots[i] != h {
                i = (i + 1) & mask;
            }
            set.slots[i] = h;
        }
        set
    }
}

impl SubjectSet {
    fn home(&self, h: &[u8; 16]) -> usize {
        let mut first = [0u8; 8];
        first.copy_from_slice(&h[..8]);
        (u64::from_be_bytes(first) >> self.shift) as usize
    }

    /// Whether `h` is in the set. Ends: a third of the slots or more are empty.
    pub(crate) fn contains(&self, h: &[u8; 16]) -> bool {
        if *h == [0; 16] {
            return self.zero;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(h);
        loop {
            let slot = &self.slots[i];
            if slot == h {
                return true;
            }
            if *slot == [0; 16] {
                return false;
            }
            i = (i + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use outbound_store::Keys;

    use super::*;

    #[test]
    fn the_subject_set_finds_what_it_holds() {
        // Uniform hashes, and ones that share their home slot (the first 8
        // bytes) and differ only in the last: probing finds each, and a
        // near miss is not a member.
        let keys = Keys::create(&tempfile::tempdir().unwrap().path().join("k")).unwrap();
        let uniform: Vec<[u8; 16]> = (0..5_000u32)
            .map(|i| keys.subject_hash(&i.to_be_bytes()))
            .collect();
        let crowded: Vec<[u8; 16]> = (1..=200u8)
            .map(|i| {
                let mut h = [9u8; 16];
                h[15] = i;
                h
            })
            .collect();
        for members in [
            vec![],
            uniform.clone(),
            crowded.clone(),
            [uniform, crowded].concat(),
        ] {
            let s: SubjectSet = members.iter().copied().collect();
            let held: HashSet<[u8; 16]> = members.iter().copied().collect();
            for h in &members {
                assert!(s.contains(h));
                for i in 0..16 {
                    let mut near = *h;
                    near[i] ^= 1 << (i % 8);
                    assert_eq!(s.contains(&near), held.contains(&near));
                }
            }
            assert!(!s.contains(&[0; 16]));
        }
        // Every size around the table's growth (two thirds full at most).
        let many: Vec<[u8; 16]> = (0..3_000u32)
            .map(|i| keys.subject_hash(&(i + 1_000_000).to_be_bytes()))
            .collect();
        for n in [
            1, 5, 8, 10, 11, 12, 21, 22, 42, 43, 86, 87, 171, 1_365, 1_366, 2_731,
        ] {
            let s: SubjectSet = many[..n].iter().copied().collect();
            assert!(many[..n].iter().all(|h| s.contains(h)), "{n}");
            assert!(!many[n..].iter().any(|h| s.contains(h)), "{n}");
        }
        let with_zero: SubjectSet = [[0u8; 16], [1; 16]].into_iter().collect();
        assert!(with_zero.contains(&[0; 16]) && with_zero.contains(&[1; 16]));
        assert!(!with_zero.contains(&[2; 16]));
    }
}

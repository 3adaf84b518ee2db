//! Bytes classified 64 at a time: the SIMD first stage.
//!
//! A block of 64 input bytes is compared with several byte values at
//! once (four 16-byte vectors, one compare each per value, one movemask
//! each), giving a 64-bit mask with a bit set at every hit. Callers then
//! walk the set bits (`trailing_zeros`, clear the lowest) instead of the
//! bytes: a CSV line of 135 bytes has about 11 structural bytes, so the
//! splitter's work follows the fields, not the bytes.
//!
//! Why `wide`: the workspace forbids `unsafe`, and since Rust 1.87 even
//! the SSE2 intrinsics every x86-64 has must be called from a function
//! marked with the feature, which needs `unsafe` once at the top. `wide`
//! (with `safe_arch`) wraps them behind a safe API: SSE2 on x86-64, NEON
//! on aarch64, and a plain array loop elsewhere, chosen at compile time.
//! LLVM does not turn a byte loop into `pcmpeqb`/`pmovmskb` by itself (a
//! loop written for it ran at a quarter of this speed, see
//! docs/PERFORMANCE.md).

use wide::u8x16;

/// Bytes per block.
pub(crate) const BLOCK: usize = 64;

/// The `k`-th 16 bytes of a block as a vector (one unaligned load).
#[inline(always)]
fn lane(block: &[u8; BLOCK], k: usize) -> u8x16 {
    let mut l = [0u8; 16];
    l.copy_from_slice(&block[k * 16..k * 16 + 16]);
    u8x16::new(l)
}

/// Bit `i` set exactly where `block[i]` is one of `needles` (at least one).
#[inline(always)]
pub(crate) fn mask_any<const N: usize>(block: &[u8; BLOCK], needles: [u8; N]) -> u64 {
    let splats = needles.map(u8x16::splat);
    let mut m = 0u64;
    for k in 0..BLOCK / 16 {
        let v = lane(block, k);
        let mut hit = v.simd_eq(splats[0]);
        for n in &splats[1..] {
            hit |= v.simd_eq(*n);
        }
        m |= u64::from(hit.to_bitmask()) << (16 * k);
    }
    m
}

/// Bit `i` set exactly where `bytes[i]` is one of `needles`: [`mask_any`]
/// for one 16-byte vector, for scans that often stop within a few
/// vectors.
#[inline(always)]
pub(crate) fn mask_any16<const N: usize>(bytes: &[u8; 16], needles: [u8; N]) -> u32 {
    let v = u8x16::new(*bytes);
    let mut hit = v.simd_eq(u8x16::splat(needles[0]));
    for n in &needles[1..] {
        hit |= v.simd_eq(u8x16::splat(*n));
    }
    hit.to_bitmask()
}

/// Bit `i` set exactly where `bytes[i]` ends a JSON string's plain run:
/// a quote, a backslash or a control character (below 0x20, which a JSON
/// string may not hold raw).
#[inline(always)]
pub(crate) fn string_stops16(bytes: &[u8; 16]) -> u32 {
    let v = u8x16::new(*bytes);
    let control = v.min(u8x16::splat(0x1F)).simd_eq(v);
    (v.simd_eq(u8x16::splat(b'"')) | v.simd_eq(u8x16::splat(b'\\')) | control).to_bitmask()
}

/// The positions of any of `N` byte values in `text` from a start, in
/// order, found a block at a time ([`mask_any`]). Blocks start wherever
/// the walk is (unaligned loads cost nothing extra here); the last, short
/// one is padded with a byte that is none of the needles.
pub(crate) struct Positions<'a, const N: usize = 4> {
    text: &'a [u8],
    needles: [u8; N],
    pad: u8,
    /// Start of the block whose remaining hits are `mask`.
    at: usize,
    mask: u64,
}

impl<'a, const N: usize> Positions<'a, N> {
    /// The hits in `text[start..]` (positions are `text`'s).
    pub(crate) fn new(text: &'a [u8], start: usize, needles: [u8; N]) -> Self {
        // N + 1 candidates, N needles: one is none of them.
        let pad = (0..=N as u8).find(|p| !needles.contains(p)).unwrap_or(0);
        let mut s = Positions {
            text,
            needles,
            pad,
            at: start,
            mask: 0,
        };
        s.mask = s.block(start);
        s
    }

    /// Hits of the block at `at` (bits past the end of `text` are clear).
    #[inline(always)]
    fn block(&self, at: usize) -> u64 {
        let rest = &self.text[at.min(self.text.len())..];
        if let Some(full) = rest.first_chunk::<BLOCK>() {
            mask_any(full, self.needles)
        } else {
            let mut buf = [self.pad; BLOCK];
            buf[..rest.len()].copy_from_slice(rest);
            mask_any(&buf, self.needles)
        }
    }
}

impl<const N: usize> Iterator for Positions<'_, N> {
    type Item = usize;

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.at += BLOCK;
            if self.at >= self.text.len() {
                return None;
            }
            self.mask = self.block(self.at);
        }
        let p = self.at + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(p)
    }
}

/// Class masks of a value of at most [`BLOCK`] bytes: bit `i` of each
/// describes byte `i`; bits past the value are clear.
pub(crate) struct Short {
    /// ASCII digits.
    pub(crate) digit: u64,
    /// ASCII letters.
    pub(crate) alpha: u64,
    /// Each of the needles asked for, in order.
    pub(crate) eq: [u64; 6],
}

/// [`Short`] masks of `s`, or `None` when it is longer than a block. The
/// needles must not be 0 (a value under 16 bytes is padded with zeros).
/// Only the 16-byte lanes the value covers are looked at: an e-mail of 22
/// bytes costs two, loaded straight from the value, the second one from
/// its last 16 bytes (the bytes both lanes hold classify alike, so their
/// bits are simply set twice). Copying the value into a zeroed buffer
/// first, as this did, made every lane's load wait for the copy's smaller
/// stores to land (no store-to-load forwarding): a quarter of the
/// e-mail check's samples.
#[inline(always)]
pub(crate) fn short(s: &[u8], needles: [u8; 6]) -> Option<Short> {
    let n = s.len();
    if n > BLOCK {
        return None;
    }
    let (zero, nine) = (u8x16::splat(b'0'), u8x16::splat(9));
    let (lower, a, z) = (u8x16::splat(0x20), u8x16::splat(b'a'), u8x16::splat(25));
    let ns: [u8x16; 6] = std::array::from_fn(|i| u8x16::splat(needles[i]));
    let mut out = Short {
        digit: 0,
        alpha: 0,
        eq: [0; 6],
    };
    // Classifies the 16 bytes `v` that start at byte `at` of the value.
    let classify = |v: u8x16, at: usize| {
        let bits = |m: u8x16| u64::from(m.to_bitmask()) << at;
        // `x <= hi` unsigned is `min(x, hi) == x`.
        let d = v - zero;
        out.digit |= bits(d.min(nine).simd_eq(d));
        // Only `A`–`Z` land in `a`–`z` when bit 5 is set.
        let l = (v | lower) - a;
        out.alpha |= bits(l.min(z).simd_eq(l));
        for (m, n) in out.eq.iter_mut().zip(ns) {
            *m |= bits(v.simd_eq(n));
        }
    };
    lanes(s, classify);
    Some(out)
}

/// Calls `classify(lane, at)` on the 16-byte lanes that cover `s` (at
/// most [`BLOCK`] bytes), `at` being where each starts: those that fit,
/// then the last 16 bytes when the length is not a multiple of 16 (their
/// bytes classify alike in both lanes, so their bits are set twice); a
/// value under 16 bytes is one lane padded with zeros.
#[inline(always)]
fn lanes(s: &[u8], mut classify: impl FnMut(u8x16, usize)) {
    let n = s.len();
    let at = |i: usize| {
        let mut l = [0u8; 16];
        l.copy_from_slice(&s[i..i + 16]);
        u8x16::new(l)
    };
    if n < 16 {
        let mut l = [0u8; 16];
        l[..n].copy_from_slice(s);
        classify(u8x16::new(l), 0);
    } else {
        for k in 0..n / 16 {
            classify(at(16 * k), 16 * k);
        }
        if !n.is_multiple_of(16) {
            classify(at(n - 16), n - 16);
        }
    }
}

/// Masks of the bytes a Chinese address is written with, for a value of
/// at most [`BLOCK`] bytes ([`cjk_text`]): bit `i` describes byte `i`.
pub(crate) struct CjkText {
    /// Visible ASCII (`!`–`~`).
    pub(crate) graphic: u64,
    /// `0xE4`, the lead of U+4000–U+4FFF.
    pub(crate) lead_e4: u64,
    /// `0xE5`–`0xE9`, the leads of U+5000–U+9FFF.
    pub(crate) lead_e5_e9: u64,
    /// Continuation bytes (`0x80`–`0xBF`).
    pub(crate) cont: u64,
    /// `0xB8`–`0xBF`: after `0xE4`, a character from U+4E00 on.
    pub(crate) b8_up: u64,
}

/// [`CjkText`] masks of `s`, or `None` when it is longer than a block.
/// Lanes as in [`short`]; a value under 16 bytes is padded with zeros,
/// which are in no class.
#[inline]
pub(crate) fn cjk_text(s: &[u8]) -> Option<CjkText> {
    let n = s.len();
    if n > BLOCK {
        return None;
    }
    let mut out = CjkText {
        graphic: 0,
        lead_e4: 0,
        lead_e5_e9: 0,
        cont: 0,
        b8_up: 0,
    };
    // `lo <= x <= hi` unsigned is `min(x - lo, hi - lo) == x - lo`.
    let within = |v: u8x16, lo: u8, hi: u8| {
        let d = v - u8x16::splat(lo);
        d.min(u8x16::splat(hi - lo)).simd_eq(d)
    };
    lanes(s, |v: u8x16, at: usize| {
        let bits = |m: u8x16| u64::from(m.to_bitmask()) << at;
        out.graphic |= bits(within(v, 0x21, 0x7E));
        out.lead_e4 |= bits(v.simd_eq(u8x16::splat(0xE4)));
        out.lead_e5_e9 |= bits(within(v, 0xE5, 0xE9));
        out.cont |= bits(within(v, 0x80, 0xBF));
        out.b8_up |= bits(within(v, 0xB8, 0xBF));
    });
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value at every position of a block, each needle set
    /// shape (all distinct, repeated, including 0 and 255), against a
    /// byte loop.
    #[test]
    fn block_mask_is_the_byte_loop() {
        for needles in [
            [b',', b'\n', b'"', b'\r'],
            [b'\t', b'\n', b'"', b'\r'],
            [0, 1, 2, 3],
            [255, 255, 0x80, 0x7f],
            [b'a', b'a', b'a', b'a'],
        ] {
            for pos in 0..BLOCK {
                for v in 0..=255u8 {
                    let mut block = [b'x'; BLOCK];
                    if needles.contains(&b'x') {
                        block = [b'y'; BLOCK];
                    }
                    block[pos] = v;
                    let want = block
                        .iter()
                        .enumerate()
                        .filter(|(_, b)| needles.contains(b))
                        .fold(0u64, |m, (i, _)| m | 1 << i);
                    assert_eq!(mask_any(&block, needles), want, "{needles:?} {pos} {v}");
                }
            }
        }
        // The JSON document's stops: seven needles.
        let needles = *b"\"\\\n[]{}";
        for pos in 0..BLOCK {
            for v in 0..=255u8 {
                let mut block = [b'x'; BLOCK];
                block[pos] = v;
                let want = if needles.contains(&v) { 1 << pos } else { 0 };
                assert_eq!(mask_any(&block, needles), want, "{pos} {v}");
            }
        }
    }

    /// Positions from every start of texts of every length up to three
    /// blocks, against a filter over the bytes.
    #[test]
    fn positions_are_every_hit_in_order() {
        let mut rng = crate::corpus::Rng::new(17);
        let needles = [b',', b'\n', b'"', 0];
        for len in 0..3 * BLOCK + 2 {
            for _ in 0..20 {
                let t: Vec<u8> = (0..len)
                    .map(|_| *rng.pick(&[b',', b'\n', b'"', 0, 1, 2, 3, b'a', 255]))
                    .collect();
                for start in [0, 1, len / 2, len.saturating_sub(1), len] {
                    let want: Vec<usize> =
                        (start..len).filter(|&i| needles.contains(&t[i])).collect();
                    let got: Vec<usize> = Positions::new(&t, start, needles).collect();
                    assert_eq!(got, want, "{t:?} from {start}");
                }
            }
        }
    }

    /// Every byte value at every position of values of every length,
    /// against the byte tests.
    #[test]
    fn short_masks_are_the_byte_tests() {
        let needles = [b'.', b'@', b'-', b'_', b'%', b'+'];
        for len in 1..=BLOCK {
            for pos in [0, len / 3, len - 1] {
                for v in 0..=255u8 {
                    let mut s = vec![b'k'; len];
                    s[pos] = v;
                    let c = short(&s, needles).unwrap();
                    let mask = |f: &dyn Fn(u8) -> bool| {
                        s.iter()
                            .enumerate()
                            .filter(|(_, b)| f(**b))
                            .fold(0u64, |m, (i, _)| m | 1 << i)
                    };
                    assert_eq!(c.digit, mask(&|b| b.is_ascii_digit()), "{len} {pos} {v}");
                    assert_eq!(
                        c.alpha,
                        mask(&|b| b.is_ascii_alphabetic()),
                        "{len} {pos} {v}"
                    );
                    for (m, n) in c.eq.iter().zip(needles) {
                        assert_eq!(*m, mask(&|b| b == n), "{len} {pos} {v} {n}");
                    }
                }
            }
        }
        assert!(short(&[b'a'; BLOCK + 1], needles).is_none());
        // The address classes likewise.
        for len in 1..=BLOCK {
            for pos in [0, len / 3, len - 1] {
                for v in 0..=255u8 {
                    let mut s = vec![0xE5; len];
                    s[pos] = v;
                    let c = cjk_text(&s).unwrap();
                    let mask = |f: &dyn Fn(u8) -> bool| {
                        s.iter()
                            .enumerate()
                            .filter(|(_, b)| f(**b))
                            .fold(0u64, |m, (i, _)| m | 1 << i)
                    };
                    let at = format!("{len} {pos} {v}");
                    assert_eq!(c.graphic, mask(&|b| b.is_ascii_graphic()), "{at}");
                    assert_eq!(c.lead_e4, mask(&|b| b == 0xE4), "{at}");
                    assert_eq!(c.lead_e5_e9, mask(&|b| (0xE5..=0xE9).contains(&b)), "{at}");
                    assert_eq!(c.cont, mask(&|b| b & 0xC0 == 0x80), "{at}");
                    assert_eq!(c.b8_up, mask(&|b| (0xB8..=0xBF).contains(&b)), "{at}");
                }
            }
        }
        assert!(cjk_text(&[b'a'; BLOCK + 1]).is_none());
        assert_eq!(short(b"", needles).map(|c| c.digit | c.alpha), Some(0));
    }
}

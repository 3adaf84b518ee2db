//! Differential tests: the detectors' fast path (SWAR `@` search) and the
//! plain path (memchr alone) report the same matches on every value.

use proptest::prelude::*;

use super::{Hints, scan_text_path};
use crate::Kind;

fn both(s: &[u8], hints: Hints, free: bool) {
    let run = |plain| {
        let mut v: Vec<(Kind, usize, usize)> = Vec::new();
        scan_text_path(s, hints, free, plain, &mut |k, a, b| v.push((k, a, b)));
        v
    };
    assert_eq!(run(true), run(false), "value {s:?} free {free}");
}

#[test]
fn fast_path_agrees_on_the_corpus() {
    let (csv, _) = crate::corpus::csv_bytes(3_000, 11);
    for line in csv.split(|&c| c == b'\n') {
        both(line, Hints::NONE, true);
        for cell in line.split(|&c| c == b',') {
            both(cell, Hints::NONE, false);
            both(cell, Hints::of(Kind::BankCard), false);
        }
    }
}

fn field() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"@".to_vec()),
        Just(b"user@example.com".to_vec()),
        Just(b"a.b@x.cn".to_vec()),
        Just(b"13812345678".to_vec()),
        Just(b"11010519491231002X".to_vec()),
        Just(b"4111111111111111".to_vec()),
        Just(b"192.168.1.1".to_vec()),
        Just(b"::ffff:c0a8:101".to_vec()),
        Just("张伟".as_bytes().to_vec()),
        Just("北京市朝阳区".as_bytes().to_vec()),
        Just("姓名:".as_bytes().to_vec()),
        Just(b"email=".to_vec()),
        prop::collection::vec(prop::sample::select(b"0123456789".to_vec()), 1..20),
        prop::collection::vec(prop::sample::select(b" -.:,;@_+()abcXZ\t\"".to_vec()), 1..4),
        prop::collection::vec(any::<u8>(), 1..6),
    ];
    prop::collection::vec(piece, 0..16).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]
    #[test]
    fn fast_path_agrees_on_random_values(s in field(), free in any::<bool>(), card in any::<bool>()) {
        let hints = if card { Hints::of(Kind::BankCard) } else { Hints::NONE };
        both(&s, hints, free);
    }
}

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

/// Every hint set the digit-only first stage can be asked with: none, each
/// kind alone, and all of them.
pub(super) fn all_hints() -> Vec<Hints> {
    let mut v = vec![Hints::NONE, Hints(u32::MAX)];
    v.extend(Kind::ALL.iter().map(|&k| Hints::of(k)));
    v
}

/// The digit-only first stage (a value that is one digit run goes
/// straight to `single_run`) against the general loop: every digit string
/// up to 5 digits, the corpus's digit cells (valid IDs, mobiles, cards,
/// timestamps, order numbers), and random digit strings of lengths 6–24
/// whose first digits are the prefixes the validators look for, each with
/// every hint set (the short ones with the hints `single_run` reads:
/// none, all, card, IMEI). The plain path never takes the first stage, so a value
/// it would drop shows as a difference; the counts at the end make sure
/// real matches of every digit-only kind were among the values.
#[test]
fn digit_only_first_stage_agrees_with_the_general_loop() {
    let hints = all_hints();
    let mut found = std::collections::HashMap::<Kind, usize>::new();
    let few = [
        Hints::NONE,
        Hints(u32::MAX),
        Hints::of(Kind::BankCard),
        Hints::of(Kind::Imei),
    ];
    let mut check = |s: &[u8], all: bool| {
        for &h in if all { &hints[..] } else { &few[..] } {
            let run = |plain| {
                let mut v: Vec<(Kind, usize, usize)> = Vec::new();
                scan_text_path(s, h, false, plain, &mut |k, a, b| v.push((k, a, b)));
                v
            };
            let plain = run(true);
            assert_eq!(plain, run(false), "value {s:?} hints {h:?}");
            if !h.context_only() {
                // `scan_value` takes the same first stage itself.
                let mut v: Vec<(Kind, usize, usize)> = Vec::new();
                super::scan_value(s, h, &mut |k, a, b| v.push((k, a, b)));
                assert_eq!(plain, v, "scan_value {s:?} hints {h:?}");
            }
            for (k, _, _) in plain {
                *found.entry(k).or_default() += 1;
            }
        }
    };
    for len in 0..=5u32 {
        for v in 0..10u64.pow(len) {
            check(format!("{v:0w$}", w = len as usize).as_bytes(), false);
        }
    }
    let (csv, _) = crate::corpus::csv_bytes(2_000, 5);
    for cell in csv.split(|&c| c == b',' || c == b'\n') {
        if !cell.is_empty() && cell.iter().all(u8::is_ascii_digit) {
            check(cell, true);
        }
    }
    let prefixes: &[&str] = &[
        "",
        "1",
        "13",
        "138",
        "15",
        "19",
        "86",
        "8613",
        "008613",
        "0",
        "010",
        "4",
        "5",
        "6",
        "62",
        "34",
        "37",
        "35",
        "11",
        "110105",
        "330106",
        "3301061992",
        "4401",
        "91",
    ];
    let mut rng = crate::corpus::Rng::new(7);
    for len in 6..=24usize {
        for p in prefixes.iter().filter(|p| p.len() < len) {
            for _ in 0..40 {
                let mut s = p.as_bytes().to_vec();
                while s.len() < len {
                    s.push(b'0' + rng.below(10) as u8);
                }
                check(&s, true);
            }
        }
    }
    for k in [
        Kind::CnResidentId,
        Kind::CnMobile,
        Kind::BankCard,
        Kind::Imei,
    ] {
        assert!(
            found.get(&k).copied().unwrap_or(0) > 0,
            "no {k:?} among the values"
        );
    }
}

/// The whole-value e-mail first stage against the general loop: addresses
/// with local parts of 1–70 bytes (around the 64 limit), every local and
/// domain character class at the edges, leading punctuation, two `@`,
/// trailing dots and dashes, text before and after, each with and without
/// the hints that change the general path.
#[test]
fn whole_email_first_stage_agrees_with_the_general_loop() {
    let locals: Vec<Vec<u8>> = {
        let mut v: Vec<Vec<u8>> = [
            "a",
            "user403925",
            "zhang.san",
            "a.b.c",
            ".a",
            "a.",
            "a..b",
            "_x",
            "+x",
            "-x",
            "%x",
            "x_",
            "x+y",
            "x%y",
            "x-y",
            "X",
            "A.B",
            "1",
            "a b",
            "张",
            "a\"b",
            "a@b",
        ]
        .iter()
        .map(|l| l.as_bytes().to_vec())
        .collect();
        for n in [62, 63, 64, 65, 66, 70] {
            v.push(vec![b'a'; n]);
            let mut d = vec![b'.'; 1];
            d.extend(vec![b'b'; n - 1]);
            v.push(d);
        }
        v
    };
    let domains: &[&str] = &[
        "example.com",
        "x.cn",
        "a.b.c.co.uk",
        "example",
        "example.c",
        "example.123",
        "-a.com",
        "a-.com",
        "a.com.",
        "a.com-",
        "a..com",
        "xn--fiqs8s.xn--fiqz9s",
        "EXAMPLE.COM",
        "a.com x",
        "a.com@b.com",
        "a.com,",
        "a.c0m",
        "",
        ".com",
    ];
    for l in &locals {
        for d in domains {
            for (pre, post) in [("", ""), ("", " "), (" ", ""), ("x ", ""), ("", ".x")] {
                let mut v = pre.as_bytes().to_vec();
                v.extend_from_slice(l);
                v.push(b'@');
                v.extend_from_slice(d.as_bytes());
                v.extend_from_slice(post.as_bytes());
                for hints in [Hints::NONE, Hints::of(Kind::Email)] {
                    both(&v, hints, false);
                    both(&v, hints, true);
                }
            }
        }
    }
}

/// The decimal first stage (`digits.digits` and nothing else reports
/// nothing) against the general loop: every such value up to 7 bytes,
/// longer ones with 1–4 integer digits and 1–15 decimals (the coordinate
/// shapes), and near misses (a sign, a second dot, a comma, a space, a
/// letter, a trailing dot), with every hint set.
#[test]
fn decimal_first_stage_agrees_with_the_general_loop() {
    let hints = all_hints();
    for len in 3..=7u32 {
        for dot in 1..len - 1 {
            for v in (0..10u64.pow(len - 1)).step_by(7) {
                let digits = format!("{v:0w$}", w = (len - 1) as usize);
                let s = format!("{}.{}", &digits[..dot as usize], &digits[dot as usize..]);
                both(s.as_bytes(), Hints::NONE, false);
            }
        }
    }
    let mut rng = crate::corpus::Rng::new(17);
    let mut num = |a: u64, b: u64| {
        let int: String = (0..a)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        let frac: String = (0..b)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        format!("{int}.{frac}")
    };
    for a in 1..=4 {
        for b in 1..=15 {
            let x = num(a, b);
            let y = num(a.min(3), b);
            for s in [
                x.clone(),
                format!("-{x}"),
                format!("{x}."),
                format!("{x}.5"),
                format!("{x},{y}"),
                format!("{x} {y}"),
                format!("{x}a"),
                format!("{x} "),
            ] {
                for &h in &hints {
                    both(s.as_bytes(), h, false);
                    both(s.as_bytes(), h, true);
                }
            }
        }
    }
}

/// The grouped-mobile first stage against the general loop: both layouts
/// with every second digit (valid and invalid mobiles), random rest, and
/// near misses (other country codes, other separators, a digit more or
/// less, text around), with every hint set.
#[test]
fn grouped_mobile_first_stage_agrees_with_the_general_loop() {
    let hints = all_hints();
    let mut rng = crate::corpus::Rng::new(23);
    let mut digits = |n: usize| -> String {
        (0..n)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect()
    };
    let mut found = 0;
    for first in ["1", "0", "2"] {
        for second in 0..10 {
            for _ in 0..20 {
                let m = format!("{first}{second}{}", digits(9));
                let (a, b, c) = (&m[..3], &m[3..7], &m[7..]);
                for v in [
                    format!("+86 {m}"),
                    format!("{a}-{b}-{c}"),
                    format!("+87 {m}"),
                    format!("+86 {m}0"),
                    format!("+86 {}", &m[1..]),
                    format!("+86  {m}"),
                    format!("+86-{m}"),
                    format!("86 {m}"),
                    format!("{a} {b} {c}"),
                    format!("{a}-{b}{c}"),
                    format!("{a}-{b}-{c}0"),
                    format!("0{a}-{b}-{c}"),
                    format!("{a}-{b}-{c} "),
                    format!("x+86 {m}"),
                    format!("{a}-{b}-{}a", &c[..3]),
                ] {
                    for &h in &hints {
                        both(v.as_bytes(), h, false);
                        both(v.as_bytes(), h, true);
                    }
                    let mut n = 0;
                    scan_text_path(v.as_bytes(), Hints::NONE, false, true, &mut |k, _, _| {
                        n += usize::from(k == Kind::CnMobile)
                    });
                    found += n;
                }
            }
        }
    }
    assert!(found > 500, "only {found} mobiles among the values");
}

/// The e-mail mask check against the byte loops it replaces: every value
/// up to 6 bytes over letters, a digit and the bytes the rules are about;
/// 200,000 random values of 0–66 bytes built from address pieces (labels
/// around the 63- and 64-byte edges, `xn--`, dots, dashes, a second `@`,
/// non-ASCII bytes); asserts that many of them were addresses.
#[test]
fn email_masks_agree_with_the_byte_loops() {
    let check = |v: &[u8]| match super::email::whole_by_masks(v) {
        Some(m) => assert_eq!(
            m,
            super::shapes::whole_email_bytes(v),
            "{:?}",
            String::from_utf8_lossy(v)
        ),
        None => assert!(v.len() > 64),
    };
    let alpha = b"aZ1.@-_+%";
    let mut v = Vec::new();
    for len in 0..=6u32 {
        for mut k in 0..alpha.len().pow(len) {
            v.clear();
            for _ in 0..len {
                v.push(alpha[k % alpha.len()]);
                k /= alpha.len();
            }
            check(&v);
        }
    }
    let pieces: &[&[u8]] = &[
        b"a",
        b"user403925",
        b"x",
        b"Z9",
        b".",
        b".",
        b"@",
        b"@",
        b"-",
        b"_",
        b"%",
        b"+",
        b"com",
        b"cn",
        b"c",
        b"xn--",
        b"XN--fiqs8s",
        b"example",
        b"1",
        b" ",
        "张".as_bytes(),
        b"\xe4",
        b"\0",
        b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ];
    // Mostly pieces an address may be made of, so that many pass.
    let good: &[&[u8]] = &[
        b"a",
        b"user403925",
        b"Z9",
        b"com",
        b"cn",
        b"example",
        b"xn--fiqs8s",
    ];
    let mut rng = crate::corpus::Rng::new(64);
    let piece = |rng: &mut crate::corpus::Rng| {
        let from = if rng.pct(70) { good } else { pieces };
        from[rng.below(from.len() as u64) as usize]
    };
    let mut valid = 0;
    for _ in 0..200_000 {
        v.clear();
        if rng.pct(60) {
            // Shaped like an address: local, `@`, labels joined by dots.
            for _ in 0..1 + rng.below(3) {
                v.extend_from_slice(piece(&mut rng));
            }
            v.push(b'@');
            for i in 0..1 + rng.below(4) {
                if i > 0 {
                    v.push(b'.');
                }
                v.extend_from_slice(piece(&mut rng));
            }
        } else {
            for _ in 0..rng.below(12) {
                v.extend_from_slice(pieces[rng.below(pieces.len() as u64) as usize]);
            }
        }
        v.truncate(66);
        check(&v);
        valid += usize::from(super::shapes::whole_email_bytes(&v));
    }
    assert!(valid > 20_000, "{valid} addresses");
}

/// Dates and times of any digits (`dddd-dd-dd`, with ` dd:dd` or
/// ` dd:dd:dd`), which the first stage passes over, give what the loop
/// gives: nothing. Each with one byte changed (another separator, a
/// letter, a missing or extra digit) must still agree with the loop.
#[test]
fn dates_and_times_of_any_digits_hold_nothing() {
    let mut rng = crate::corpus::Rng::new(17);
    let shapes: [&[u8]; 3] = [b"dddd-dd-dd", b"dddd-dd-dd dd:dd", b"dddd-dd-dd dd:dd:dd"];
    for _ in 0..40_000 {
        let shape = *rng.pick(&shapes);
        let mut v: Vec<u8> = shape
            .iter()
            .map(|&c| {
                if c == b'd' {
                    b'0' + rng.below(10) as u8
                } else {
                    c
                }
            })
            .collect();
        for free in [false, true] {
            let mut found = Vec::new();
            scan_text_path(&v, Hints::NONE, free, true, &mut |k, a, b| {
                found.push((k, a, b))
            });
            assert!(
                found.is_empty(),
                "{:?}: {found:?}",
                String::from_utf8_lossy(&v)
            );
            both(&v, Hints::of(Kind::BankCard), free);
        }
        let at = rng.below(v.len() as u64) as usize;
        match rng.below(3) {
            0 => v[at] = *rng.pick(b"0123456789 -:./Tx"),
            1 => {
                v.remove(at);
            }
            _ => v.insert(at, *rng.pick(b"0123456789 -:")),
        }
        both(&v, Hints::NONE, false);
        both(&v, Hints::NONE, true);
    }
}

#[test]
fn fast_path_agrees_on_the_customer_table() {
    let (csv, _) = crate::corpus::customers_csv_bytes(2_000, 3);
    for line in csv.split(|&c| c == b'\n') {
        both(line, Hints::NONE, true);
        for cell in line.split(|&c| c == b',') {
            both(cell, Hints::NONE, false);
        }
    }
}

/// Values without a digit, `@`, `:`, `-` or `(`, which the fast path
/// passes over after one look-up a byte: the loop finds nothing in them
/// either, whatever the hints (plates' provinces and Chinese text among
/// them), and with the marks mixed in both paths still agree.
#[test]
fn values_without_marks_hold_nothing() {
    let mut rng = crate::corpus::Rng::new(23);
    let plain: &[&str] = &[
        "a",
        "e",
        "E",
        "G",
        "D",
        "F",
        "X",
        "Z",
        "ABCDEF",
        "abcdef",
        " ",
        "_",
        ".",
        ",",
        ";",
        "/",
        "+",
        "#",
        "=",
        "\"",
        "\t",
        "京",
        "粤",
        "沪",
        "省",
        "市",
        "广东省",
        "男",
        "·",
        "•",
        "，",
        "\u{3000}",
        "０",
    ];
    let marks: &[&str] = &["0", "5", "9", "@", ":", "-", "("];
    let hints = all_hints();
    for _ in 0..30_000 {
        let n = 1 + rng.below(12) as usize;
        let mut v: Vec<&str> = (0..n).map(|_| *rng.pick(plain)).collect();
        let value = v.concat();
        for &h in &hints {
            let mut found = Vec::new();
            scan_text_path(value.as_bytes(), h, false, true, &mut |k, a, b| {
                found.push((k, a, b))
            });
            assert!(found.is_empty(), "{value:?}: {found:?}");
        }
        both(value.as_bytes(), Hints::NONE, false);
        both(value.as_bytes(), Hints::NONE, true);
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(v.len() as u64 + 1) as usize;
            v.insert(at, rng.pick::<&str>(marks));
        }
        let value = v.concat();
        both(value.as_bytes(), Hints::NONE, false);
        both(value.as_bytes(), Hints::of(Kind::CnPassport), false);
    }
}

/// The eight-bytes-at-a-time date check against the bytes one by one, on
/// every shape it knows with each byte replaced by each of a few others
/// (a digit, the separators, a letter, bytes around the digits' range).
#[test]
fn the_date_check_is_the_byte_check() {
    fn bytes(s: &[u8]) -> bool {
        let digits = |a: usize, b: usize| s[a..b].iter().all(u8::is_ascii_digit);
        let date = s.len() >= 10 && s[4] == b'-' && s[7] == b'-' && digits(0, 4);
        date && digits(5, 7)
            && digits(8, 10)
            && match s.len() {
                10 => true,
                16 | 19 => {
                    s[10] == b' '
                        && s[13] == b':'
                        && digits(11, 13)
                        && digits(14, 16)
                        && (s.len() == 16 || (s[16] == b':' && digits(17, 19)))
                }
                _ => false,
            }
    }
    let mut tried = 0;
    for base in [
        &b"2026-12-05"[..],
        b"2026-12-05 07:08",
        b"2026-12-05 07:08:09",
    ] {
        assert!(super::shapes::is_date_time(base));
        for at in 0..base.len() {
            for b in [
                b'0',
                b'9',
                b'/',
                b'-',
                b':',
                b' ',
                b'a',
                0x2F,
                0x3A,
                0x39 + 0x40,
                0xB0,
                0,
            ] {
                let mut v = base.to_vec();
                v[at] = b;
                assert_eq!(super::shapes::is_date_time(&v), bytes(&v), "{v:?}");
                tried += 1;
            }
        }
        for cut in 1..base.len() {
            assert_eq!(
                super::shapes::is_date_time(&base[..cut]),
                bytes(&base[..cut])
            );
        }
    }
    assert!(tried > 500);
}

/// Values the first stages settle from their byte classes (one word of
/// letters and digits, digits and dots) against the loop: passports,
/// credit codes and codes of every length, IPv4 addresses and dotted
/// numbers, broken ones among them.
#[test]
fn words_and_dotted_numbers_agree_with_the_loop() {
    let mut rng = crate::corpus::Rng::new(29);
    let hints = all_hints();
    let fixed: [&[u8]; 8] = [
        b"E12345678",
        b"G1234567",
        b"91110000600037341L",
        b"CU0001000000",
        b"192.168.1.10",
        b"1.2.3.4",
        b"10.0.0.1.",
        b"256.1.1.1",
    ];
    let mut values: Vec<Vec<u8>> = fixed.iter().map(|v| v.to_vec()).collect();
    for _ in 0..20_000 {
        let n = 1 + rng.below(20) as usize;
        let v: Vec<u8> = if rng.pct(50) {
            let mut v = vec![*rng.pick(b"EGDSPCUXaz")];
            v.extend((1..n).map(|_| *rng.pick(b"0123456789ABXYZ")));
            v
        } else {
            (0..n).map(|_| *rng.pick(b"0123456789..")).collect()
        };
        values.push(v);
    }
    // Dotted quads for the first stage's IPv4 test: octets of one to
    // three digits (leading zeros and values past 255 among them), now
    // and then three or five groups, or a byte after the last (a dot, a
    // digit, a letter, a dash).
    for _ in 0..20_000 {
        let groups = if rng.pct(90) {
            4
        } else {
            3 + rng.below(3) as usize
        };
        let mut v = Vec::new();
        for g in 0..groups {
            if g > 0 {
                v.push(b'.');
            }
            v.extend((0..1 + rng.below(3)).map(|_| b'0' + rng.below(10) as u8));
        }
        if rng.pct(10) {
            v.push(*rng.pick(b".0a-"));
        }
        values.push(v);
    }
    let mut addresses = 0;
    for v in &values {
        for &h in &hints {
            for free in [false, true] {
                let run = |plain| {
                    let mut out = Vec::new();
                    scan_text_path(v, h, free, plain, &mut |k, a, b| out.push((k, a, b)));
                    out
                };
                let fast = run(false);
                assert_eq!(run(true), fast, "{v:?} {h:?} free {free}");
                addresses += usize::from(fast == [(Kind::Ipv4, 0, v.len())]);
            }
        }
    }
    assert!(addresses > 10_000, "{addresses}");
}

/// Timestamps and times of day in text, which the fast path steps over
/// whole ([`super::shapes::timestamp_end`], [`super::shapes::time_end`]),
/// against the loop token by token: every shape (`T` or a space, a time
/// alone, fractions of any length, `Z`, offsets), near misses (a digit
/// short or over, seconds of `86`, other separators, a cut), what may
/// come before a time (IPv6 groups, a syslog date, an access log's) and
/// what may follow one: a coordinate's second half, digit groups that make
/// a mobile with the seconds, MAC and IPv6 tails, an e-mail's domain,
/// letters.
#[test]
fn timestamps_and_what_follows_them_agree_with_the_loop() {
    let mut rng = crate::corpus::Rng::new(56);
    let hints = all_hints();
    let digits = |rng: &mut crate::corpus::Rng, n: usize| -> Vec<u8> {
        (0..n).map(|_| b'0' + rng.below(10) as u8).collect()
    };
    let heads: [&[u8]; 8] = [b"", b" ", b"+", b"-", b"x@", b"id ", b"ts=", b"["];
    // Before a time alone.
    let time_heads: [&[u8]; 9] = [
        b"",
        b"Nov 23 ",
        b"[23/Nov/2026:",
        b"fe80::",
        b"a::",
        b"1:2:3:4:5:",
        b"2001:db8::",
        b"12 ",
        b"86 ",
    ];
    let tails: [&[u8]; 15] = [
        b"",
        b"ab:cd::1",
        b" ",
        b" 13812345678",
        b" 138 1234 5678",
        b" 116.4074",
        b", 116.4074",
        b"Z",
        b":1A:2B:3C:4D",
        b"::1",
        b"@example.com",
        b"-1234",
        b" user@example.com INFO",
        b"] name=\xE5\xBC\xA0\xE4\xB8\x89",
        b"\t",
    ];
    let (mut skipped, mut found) = (0, 0);
    for k in 0..30_000 {
        let alone = rng.pct(35);
        let mut v = if alone {
            rng.pick(&time_heads).to_vec()
        } else {
            rng.pick(&heads).to_vec()
        };
        let start = v.len();
        // A digit short or over now and then.
        let part = |v: &mut Vec<u8>, rng: &mut crate::corpus::Rng, n: usize| {
            let n = if rng.pct(3) {
                n + 1 - rng.below(2) as usize * 2
            } else {
                n
            };
            v.extend(digits(rng, n));
        };
        if !alone {
            part(&mut v, &mut rng, 4);
            v.push(b'-');
            part(&mut v, &mut rng, 2);
            v.push(b'-');
            part(&mut v, &mut rng, 2);
            v.push(*rng.pick(b"TTTT    t_"));
        }
        part(&mut v, &mut rng, 2);
        v.push(b':');
        part(&mut v, &mut rng, 2);
        v.push(b':');
        if rng.pct(20) {
            let ss: [&[u8]; 4] = [b"86", b"60", b"59", b"99"];
            let t = *rng.pick(&ss);
            v.extend_from_slice(t);
        } else {
            part(&mut v, &mut rng, 2);
        }
        if rng.pct(40) {
            v.push(b'.');
            let n = rng.below(12) as usize;
            v.extend(digits(&mut rng, n));
        }
        match rng.below(6) {
            0 | 1 => v.push(b'Z'),
            2 => v.extend_from_slice(b"+08:00"),
            3 => {
                let zones: [&[u8]; 4] = [b"-05:30", b"+0800", b"+8:00", b"+08:0"];
                let z = *rng.pick(&zones);
                v.extend_from_slice(z)
            }
            _ => {}
        }
        if rng.pct(5) {
            v.truncate(start + rng.below((v.len() - start) as u64) as usize);
        }
        let t = *rng.pick(&tails);
        v.extend_from_slice(t);
        if k % 8 == 0 {
            for _ in 0..rng.below(8) {
                v.push(*rng.pick(b"0123456789 .:-+,Z@aT"));
            }
        }
        skipped += usize::from(if alone {
            super::shapes::time_end(&v, start).is_some()
        } else {
            super::shapes::timestamp_end(&v, start).is_some()
        });
        for &h in &hints {
            for free in [false, true] {
                let run = |plain| {
                    let mut out = Vec::new();
                    scan_text_path(&v, h, free, plain, &mut |k, a, b| out.push((k, a, b)));
                    out
                };
                let fast = run(false);
                assert_eq!(
                    run(true),
                    fast,
                    "{:?} {h:?} free {free}",
                    String::from_utf8_lossy(&v)
                );
                found += usize::from(!fast.is_empty());
            }
        }
    }
    assert!(
        skipped > 4_000 && found > 10_000,
        "{skipped} skipped, {found} found"
    );
}

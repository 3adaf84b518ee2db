//! Engine-level tests: candidate extraction, boundaries, conflicts.

use super::*;
use crate::Kind::*;

fn kinds(s: &str) -> Vec<Kind> {
    find_all(s, Hints::NONE)
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

fn spans(s: &str) -> Vec<(Kind, String)> {
    find_all(s, Hints::NONE)
}

#[test]
fn resident_ids_in_text() {
    assert_eq!(
        kinds("身份证号110102199101010078，请核对"),
        vec![CnResidentId]
    );
    assert_eq!(kinds("id=44011320141005001x;"), vec![CnResidentId]);
    assert_eq!(kinds("110102910101007"), vec![CnResidentId]);
    // Wrong check digit: not an ID, and not re-read as a card.
    assert_eq!(kinds("110102199101010079"), vec![]);
}

#[test]
fn embedded_runs_do_not_match() {
    // 18-digit ID inside a 20-digit order number.
    assert_eq!(kinds("order 11011020199101010078 paid"), vec![]);
    assert_eq!(kinds("x110102199101010078"), vec![]);
    assert_eq!(kinds("110102199101010078abc"), vec![]);
    // 13-digit millisecond timestamp contains no mobile.
    assert_eq!(kinds("ts=1713812345678"), vec![]);
    assert_eq!(kinds("13812345678901"), vec![]);
    // Decimal with a mobile-looking fraction.
    assert_eq!(kinds("3.13812345678"), vec![]);
}

#[test]
fn mobiles_formats() {
    for s in [
        "13812345678",
        "+8613812345678",
        "+86 13812345678",
        "+86-138-1234-5678",
        "0086 13812345678",
        "8613812345678",
        "138 1234 5678",
        "138-1234-5678",
        "电话:13812345678。",
    ] {
        assert_eq!(kinds(s), vec![CnMobile], "{s}");
    }
    assert_eq!(kinds("12812345678"), vec![]);
}

#[test]
fn landlines() {
    for s in [
        "010-62345678",
        "0755-2345678",
        "(010)62345678",
        "(0755) 2345-6789",
        "021 62345678",
        "+86 10 62345678",
        "010-6234-5678",
    ] {
        assert_eq!(kinds(s), vec![CnLandline], "{s}");
    }
    assert_eq!(kinds("2024-01-31"), vec![]);
    assert_eq!(kinds("011-12345678"), vec![]);
}

#[test]
fn cards() {
    assert_eq!(kinds("4111111111111111"), vec![BankCard]);
    assert_eq!(kinds("4111 1111 1111 1111"), vec![BankCard]);
    assert_eq!(kinds("4111-1111-1111-1111"), vec![BankCard]);
    assert_eq!(kinds("3782 822463 10005"), vec![BankCard]);
    assert_eq!(kinds("4111111111111112"), vec![]);
    // Non-Luhn UnionPay: only with card context.
    assert_eq!(kinds("6222021234567890123"), vec![]);
    assert_eq!(
        find_all("6222021234567890123", Hints::of(BankCard)).len(),
        1
    );
    assert_eq!(kinds_text("卡号：6222021234567890123"), vec![BankCard]);
}

fn kinds_text(s: &str) -> Vec<Kind> {
    find_all_text(s).into_iter().map(|(k, _)| k).collect()
}

#[test]
fn emails_ips_macs() {
    assert_eq!(
        spans("mail zhang.san@example.com."),
        vec![(Email, "zhang.san@example.com".into())]
    );
    assert_eq!(kinds("13812345678@qq.com"), vec![Email]);
    assert_eq!(kinds("user@localhost"), vec![]);
    assert_eq!(kinds("from 192.168.1.10:8080"), vec![Ipv4]);
    assert_eq!(kinds("version 1.2.3.4.5"), vec![]);
    assert_eq!(kinds("999.1.1.1"), vec![]);
    assert_eq!(kinds("[2001:db8::8a2e:370:7334]"), vec![Ipv6]);
    assert_eq!(kinds("fe80::1ff:fe23:4567:890a%eth0"), vec![Ipv6]);
    assert_eq!(kinds("at 12:30:45 ok"), vec![]);
    assert_eq!(kinds("std::vec::Vec"), vec![]);
    assert_eq!(
        spans("src ::ffff:c0a8:101 ok"),
        vec![(Ipv6, "::ffff:c0a8:101".into())]
    );
    assert_eq!(
        spans("[::ffff:192.0.2.1]"),
        vec![(Ipv6, "::ffff:192.0.2.1".into())]
    );
    assert_eq!(kinds("my ip: ::1"), vec![]);
    assert_eq!(kinds("a ::cafe::babe b"), vec![]);
    assert_eq!(kinds("std::cout << x"), vec![]);
    assert_eq!(kinds("Foo ::bar:baz:qux"), vec![]);
    assert_eq!(kinds("mac=00:1A:2B:3C:4D:5E"), vec![MacAddress]);
    assert_eq!(kinds("ab-cd-ef-01-23-45"), vec![MacAddress]);
}

#[test]
fn plates_passports_uscc_geo_imei() {
    assert_eq!(kinds("车牌京A12345违章"), vec![CnLicensePlate]);
    assert_eq!(kinds("粤B·D12345"), vec![CnLicensePlate]);
    assert_eq!(kinds("护照E12345678"), vec![CnPassport]);
    assert_eq!(kinds("SKU E123456789"), vec![]);
    assert_eq!(kinds("91110000600037341L"), vec![CnUscc]);
    assert_eq!(kinds("913101145852519045"), vec![CnUscc]);
    assert_eq!(kinds("loc 39.9042,116.4074"), vec![GeoCoordinate]);
    assert_eq!(kinds("loc -33.8688, 151.2093"), vec![GeoCoordinate]);
    assert_eq!(kinds("amount 1234.56, 22.10"), vec![]);
    assert_eq!(kinds("imei 356938035643809"), vec![Imei]);
}

#[test]
fn context_only_kinds_need_context() {
    assert_eq!(kinds("张三"), vec![]);
    assert_eq!(find_all("张三", Hints::of(PersonName)).len(), 1);
    assert_eq!(find_all("1990-01-31", Hints::of(DateOfBirth)).len(), 1);
    assert_eq!(kinds("1990-01-31"), vec![]);
    assert_eq!(
        find_all("北京市朝阳区建国路88号", Hints::of(Address)).len(),
        1
    );
    assert_eq!(find_all("39.904200", Hints::of(GeoCoordinate)).len(), 1);
    assert_eq!(
        kinds_text("姓名：张三，电话13812345678"),
        vec![PersonName, CnMobile]
    );
    assert_eq!(
        kinds_text("user full_name=John Smith; dob=1990-01-31"),
        vec![PersonName, DateOfBirth]
    );
    assert_eq!(kinds_text("filename=report.txt hostname: web1"), vec![]);
    assert_eq!(
        kinds_text("地址:上海市浦东新区世纪大道100号"),
        vec![Address]
    );
}

#[test]
fn several_emails_and_edges() {
    assert_eq!(
        spans("to:a@b.com,c.d@e.org; _x@y.cn"),
        vec![
            (Email, "a@b.com".into()),
            (Email, "c.d@e.org".into()),
            (Email, "x@y.cn".into())
        ]
    );
    assert_eq!(
        kinds("13812345678 13812345678@qq.com"),
        vec![CnMobile, Email]
    );
    assert_eq!(kinds("@@ a@ @b.com"), vec![]);
}

/// Never panics, and every span is in bounds, on random inputs built from
/// the characters the detectors care about.
#[test]
fn random_inputs_never_panic() {
    let alphabet: Vec<char> = "0123456789-+()@.:,; Xx京A·D姓名：=éF\n\t_aZ"
        .chars()
        .collect();
    let mut rng = crate::corpus::Rng::new(99);
    let all = Hints(u32::MAX);
    for _ in 0..20_000 {
        let len = rng.below(60) as usize;
        let s: String = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
            .collect();
        for h in [Hints::NONE, all] {
            scan_value(s.as_bytes(), h, &mut |_, a, b| {
                assert!(a <= b && b <= s.len())
            });
        }
        scan_free_text(s.as_bytes(), &mut |_, a, b| assert!(a <= b && b <= s.len()));
        // Raw bytes, possibly invalid UTF-8.
        let raw: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        scan_value(&raw, all, &mut |_, _, _| {});
        scan_free_text(&raw, &mut |_, _, _| {});
    }
}

#[test]
fn keywords_in_free_text() {
    assert_eq!(
        kinds_text("first_name=Wang, ip_addr=10.1.2.3"),
        vec![PersonName, Ipv4]
    );
    assert_eq!(kinds_text("出生日期：1990年1月31日"), vec![DateOfBirth]);
    assert_eq!(
        kinds_text("银行卡号: 6222 0212 3456 7890 123"),
        vec![BankCard]
    );
    assert_eq!(kinds_text("护照号:D1234567"), vec![CnPassport]);
    assert_eq!(
        kinds_text("lat=39.9042&lng=116.4074"),
        vec![GeoCoordinate, GeoCoordinate]
    );
    assert_eq!(kinds_text("username=bob filename=a.txt"), vec![]);
}

#[test]
fn generic_name_keyword_only_takes_chinese_names() {
    assert_eq!(kinds_text("name: Standard Contractual Clauses"), vec![]);
    assert_eq!(kinds_text("- name: Operator"), vec![]);
    assert_eq!(kinds_text("name=王小明"), vec![PersonName]);
    assert_eq!(kinds_text("full_name: Alice Chen"), vec![PersonName]);
}

/// The compile-time bitset of CJK characters the loop stops at is the
/// union of the two lists, character by character over its whole range.
#[test]
fn notable_cjk_is_provinces_and_keyword_starts() {
    let mut notable = 0;
    for cp in 0x4000u32..0xA000 {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        let starts = kv::CJK_KEYWORDS.iter().any(|(k, _)| k.starts_with(c));
        assert_eq!(kv::starts_keyword(c), starts, "{c}");
        assert_eq!(notable_cjk(c), plate::is_province(c) || starts, "{c}");
        notable += usize::from(notable_cjk(c));
    }
    // 31 provinces and 14 first characters of keywords today: neither
    // list is empty by mistake.
    assert_eq!(notable, 45);
}

/// Random 15-digit numbers that pass the Luhn check (order and tracking
/// numbers do one time in ten): only those whose first two digits are an
/// allocated reporting body are IMEIs, about 17 in 100, where every one
/// but `00…` was before. Without a hint, UATP and Amex prefixes and
/// 15-digit resident IDs are tried first, so they take some.
#[test]
fn luhn_valid_15_digit_numbers_are_imeis_only_under_allocated_bodies() {
    let mut rng = crate::corpus::Rng::new(15);
    let (mut imei, mut total) = (0, 0);
    while total < 20_000 {
        let mut d: Vec<u8> = (0..15).map(|_| b'0' + rng.below(10) as u8).collect();
        let Some(c) = (b'0'..=b'9').find(|&c| {
            d[14] = c;
            util::luhn(&d)
        }) else {
            continue;
        };
        d[14] = c;
        total += 1;
        let s = std::str::from_utf8(&d).unwrap();
        let k = kinds(s);
        if k == vec![Imei] {
            assert!(imei::listed_body(&d), "{s}");
            imei += 1;
        }
    }
    assert!((2_800..=3_600).contains(&imei), "{imei} of {total}");
}

#[test]
fn field_names_that_are_personal_data() {
    assert_eq!(kind_of_field_name("13812345678"), Some(CnMobile));
    assert_eq!(kind_of_field_name("a@b.cn"), Some(Email));
    assert_eq!(kind_of_field_name("ab:cd:ef:ab:cd:ef"), Some(MacAddress));
    assert_eq!(kind_of_field_name("91110000600037341L"), Some(CnUscc));
    // A kind with a PI category wins over an organisation's code.
    assert_eq!(
        kind_of_field_name("91110000600037341L 13812345678"),
        Some(CnMobile)
    );
    assert_eq!(kind_of_field_name("张伟"), Some(PersonName));
    assert_eq!(kind_of_field_name("欧阳娜娜"), Some(PersonName));
    assert_eq!(kind_of_field_name(" 张伟\t"), Some(PersonName));
    for ordinary in [
        "金额",
        "余额",
        "时间",
        "车牌号",
        "customer_id",
        "姓名",
        "mobile",
        "2026",
    ] {
        assert_eq!(kind_of_field_name(ordinary), None, "{ordinary}");
    }
}

/// `kind_of_field_name` scans only names holding a digit, `@`, `:`, `-`
/// or `.`: nothing is found without hints in any other text.
#[test]
fn field_name_prefilter_loses_nothing() {
    let alphabet: Vec<char> = "0123456789abcdefABCDEF-:.@ xX京A·D_张伟".chars().collect();
    let mut rng = crate::corpus::Rng::new(7);
    let mut found = 0;
    for _ in 0..100_000 {
        let len = 1 + rng.below(24) as usize;
        let s: String = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
            .collect();
        let mut any = false;
        scan_value(s.as_bytes(), Hints::NONE, &mut |_, _, _| any = true);
        found += usize::from(any);
        let kind = kind_of_field_name(&s);
        assert_eq!(
            any,
            kind.is_some_and(|k| k != PersonName),
            "{s:?}: {kind:?}"
        );
    }
    assert!(found > 100, "{found}");
}

/// The loop walks runs of Chinese characters that are neither a plate's
/// province nor a keyword's first character in a loop of its own; what
/// follows such a run, at either end of it and after a character cut
/// short, is found as before.
#[test]
fn what_follows_a_run_of_plain_chinese_is_found() {
    let run = "请您核对以下信息谢谢合作".repeat(3);
    let text_spans = |s: &str| -> Vec<(Kind, String)> { find_all_text(s).into_iter().collect() };
    for (tail, want) in [
        ("京A12345", vec![(CnLicensePlate, "京A12345")]),
        ("姓名：张三", vec![(PersonName, "张三")]),
        ("user@example.com", vec![(Email, "user@example.com")]),
        ("13812345678", vec![(CnMobile, "13812345678")]),
        (
            "110102199101010078",
            vec![(CnResidentId, "110102199101010078")],
        ),
        ("(010)62345678", vec![(CnLandline, "(010)62345678")]),
        ("", vec![]),
    ] {
        let want: Vec<(Kind, String)> = want.into_iter().map(|(k, t)| (k, t.to_string())).collect();
        for s in [
            format!("{run}{tail}"),
            format!("{run}{tail}，{run}"),
            format!("{tail}，{run}"),
        ] {
            assert_eq!(text_spans(&s), want, "{s}");
        }
    }
    // A character cut short ends the run; what follows is still found.
    let mut b = run.as_bytes().to_vec();
    b.extend_from_slice(&"谢".as_bytes()[..2]);
    b.extend_from_slice(b"13812345678");
    let mut found = Vec::new();
    scan_free_text(&b, &mut |k, x, y| found.push((k, x, y)));
    assert_eq!(found, [(CnMobile, b.len() - 11, b.len())]);
}

/// The run walker decodes and tests a character from its raw bytes;
/// the reference steps by [`lead_e4_e9_char`] and [`notable_cjk`], as the
/// loop did. Both agree at every start of generated byte strings of
/// plain and notable characters, other 3-byte leads, cut sequences,
/// stray continuation bytes and ASCII.
#[test]
fn the_plain_chinese_run_ends_where_char_by_char_does() {
    fn reference(s: &[u8], mut i: usize) -> usize {
        while i + 3 <= s.len() && (0xE4..=0xE9).contains(&s[i]) {
            match lead_e4_e9_char(s[i], s[i + 1], s[i + 2]) {
                Some(c) if !notable_cjk(c) => i += 3,
                _ => break,
            }
        }
        i
    }
    let pieces: Vec<Vec<u8>> = [
        "请", "您", "核", "对", "京", "粤", "姓", "电", "一", "鿿", "䀀", "。", "，", "a", "7", " ",
    ]
    .iter()
    .map(|c| c.as_bytes().to_vec())
    .chain([
        vec![0xE4, 0x80],
        vec![0xE9],
        vec![0x80],
        vec![0xBF, 0xBF],
        vec![0xE3, 0x80, 0x80],
        vec![0xEA, 0x80, 0x80],
        vec![0xE5, 0x41, 0x80],
        vec![0xE5, 0x80, 0xC0],
    ])
    .collect();
    let mut rng = crate::corpus::Rng::new(55);
    let mut long = 0;
    for _ in 0..20_000 {
        let mut s = Vec::new();
        for _ in 0..rng.below(24) {
            // Mostly plain characters, so that runs are long.
            let p = if rng.pct(60) {
                &pieces[rng.below(4) as usize]
            } else {
                rng.pick(&pieces)
            };
            s.extend_from_slice(p);
        }
        for i in 0..=s.len() {
            let e = plain_cjk_end(&s, i);
            assert_eq!(e, reference(&s, i), "{s:x?} at {i}");
            long += usize::from(e >= i + 15);
        }
    }
    assert!(long > 10_000, "{long}");
}

//! Postal addresses: only consulted with an address header or keyword.
//! Rejects values that are too short or are placeholders; requires either
//! a Chinese administrative/street marker (省 市 区 县 镇 乡 村 路 街 道 号
//! 巷 弄 楼 室 …) or, in Latin script, at least two words with a letter.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::resident_id::REGIONS_TXT;

/// The administrative and street markers of the module's list.
const MARKER_CHARS: [char; 22] = [
    '省', '市', '区', '县', '旗', '镇', '乡', '村', '路', '街', '道', '号', '巷', '弄', '楼', '室',
    '幢', '栋', '单', '元', '苑', '里',
];

/// [`MARKER_CHARS`] as one bit per ideograph U+4E00–U+9FFF (2.6 KiB),
/// built at compile time: a marker test is a load and a bit test, where a
/// `match` on the characters was a tree of compares and `str::contains`
/// on the list a search of it for every character.
static MARKER_BITS: [u64; 328] = {
    let mut t = [0u64; 328];
    let mut k = 0;
    while k < MARKER_CHARS.len() {
        let i = MARKER_CHARS[k] as usize - 0x4E00;
        t[i / 64] |= 1 << (i % 64);
        k += 1;
    }
    t
};

/// Whether `c` is one of [`MARKER_CHARS`] (every one is an ideograph).
#[inline(always)]
fn is_marker(c: char) -> bool {
    let i = (c as usize).wrapping_sub(0x4E00);
    i < 0x5200 && MARKER_BITS[i / 64] >> (i % 64) & 1 != 0
}

/// Validates a (trimmed) value in an address field.
pub fn is_valid(s: &str) -> bool {
    let s = s.trim();
    // One pass: characters, CJK ideographs and whether a marker is among
    // them (every marker is an ideograph).
    let (mut n, mut cjk, mut marker) = (0usize, 0usize, false);
    for c in s.chars() {
        n += 1;
        if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
            cjk += 1;
            marker |= is_marker(c);
        }
    }
    if !(4..=300).contains(&n) {
        return false;
    }
    if cjk >= 4 {
        return marker;
    }
    n >= 8
        && s.split_whitespace().count() >= 2
        && s.chars().any(char::is_alphabetic)
        && !s.eq_ignore_ascii_case("not available")
}

/// The common Chinese address read straight from the bytes: true when `t`
/// is at most 300 bytes of visible ASCII and characters U+4000–U+9FFF
/// (three bytes each, well-formed) with at least four ideographs, a
/// marker among them. Then `t` is valid UTF-8, nothing in it is
/// whitespace to trim, and [`is_valid`] accepts it by its CJK rule, so
/// an address column's cells skip `str::from_utf8` and the char-by-char
/// check. False says nothing: the caller asks [`is_valid`].
pub fn is_plain_cjk_address(t: &[u8]) -> bool {
    if !(12..=300).contains(&t.len()) {
        return false;
    }
    match crate::blocks::cjk_text(t) {
        Some(m) => plain_by_masks(t, &m),
        None => plain_by_bytes(t),
    }
}

/// [`is_plain_cjk_address`] of a value of 12 to 64 bytes from its byte
/// classes: the walk below, whose branches between ASCII and ideographs
/// the predictor missed in every other character (the address check was
/// 6 % of a customer table's scan), as a few mask tests. Every byte is
/// visible ASCII or part of a character led by `0xE4`–`0xE9` with its two
/// continuation bytes: the continuation bytes lie exactly after the
/// leads, no lead lies there, and no lead is too near the end. Ideographs
/// are the leads `0xE5`–`0xE9` and the `0xE4`s whose next byte is `0xB8`
/// or more (U+4E00 on); the markers are looked for lead by lead, and
/// most addresses name their district in the first few.
fn plain_by_masks(t: &[u8], m: &crate::blocks::CjkText) -> bool {
    let n = t.len();
    let all = u64::MAX >> (64 - n);
    let lead = m.lead_e4 | m.lead_e5_e9;
    let follow = (lead << 1) | (lead << 2);
    if (m.graphic | lead | m.cont) != all || m.cont != follow & all || lead & follow != 0 {
        return false;
    }
    // A lead at one of the last two bytes has no room (its continuation
    // bits fell past the value or off the word).
    if lead >> (n - 2) != 0 {
        return false;
    }
    let ideographs = m.lead_e5_e9 | (m.lead_e4 & (m.b8_up >> 1));
    if ideographs.count_ones() < 4 {
        return false;
    }
    let mut rest = ideographs;
    while rest != 0 {
        let i = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        if super::lead_e4_e9_char(t[i], t[i + 1], t[i + 2]).is_some_and(is_marker) {
            return true;
        }
    }
    false
}

/// [`is_plain_cjk_address`] a character at a time (values over 64 bytes,
/// and the reference the masks are tested against).
fn plain_by_bytes(t: &[u8]) -> bool {
    let (mut cjk, mut marker, mut i) = (0, false, 0);
    while i < t.len() {
        let b = t[i];
        if b.is_ascii_graphic() {
            i += 1;
            continue;
        }
        if !(0xE4..=0xE9).contains(&b) || i + 3 > t.len() {
            return false;
        }
        let Some(c) = super::lead_e4_e9_char(b, t[i + 1], t[i + 2]) else {
            return false;
        };
        if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
            cjk += 1;
            // Once found (most addresses start with a district), not again.
            marker = marker || is_marker(c);
        }
        i += 3;
    }
    cjk >= 4 && marker
}

/// Stricter form for free text after an `address:` keyword, where the
/// word is often about network or memory addresses: a Latin-script value
/// must also hold a digit (house number, postcode) and a comma or at
/// least three words.
pub fn is_valid_in_text(s: &str) -> bool {
    let s = s.trim();
    if s.chars()
        .filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c))
        .count()
        >= 4
    {
        return is_valid(s);
    }
    is_valid(s)
        && s.chars().any(|c| c.is_ascii_digit())
        && (s.contains(',') || s.split_whitespace().count() >= 3)
}

/// The province and city of a Chinese address, spelled as the GB/T 2260
/// table names them (`浙江省杭州市`; a municipality alone: `上海市`), or
/// `None` when the address names no province, city or unambiguous district.
///
/// Why: the gate generalises an address to this. The result is built from
/// the table, never cut from the input, so a shop, a street or a building
/// written before or after the place cannot come along.
pub fn province_and_city(s: &str) -> Option<String> {
    let g = &*GAZETTEER;
    let s = s.trim();
    let start = ["中华人民共和国", "中国"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .map_or(0, |rest| s.len() - rest.trim_start().len());
    let (mut prov, mut pref) = (None, None);
    // Anchored at the start, short names too: `浙江杭州…`.
    let mut i = start;
    if let Some((len, p)) = g.match_at(s, i, |p| p.level == Level::Province) {
        prov = Some(p.code / 10_000);
        i += len;
    }
    if let Some((_, p)) = g.match_at(s, i, |p| {
        p.level == Level::Prefecture && prov.is_none_or(|v| p.code / 10_000 == v)
    }) {
        pref = Some(p.code / 100);
    }
    // Anywhere, full names only: `星巴克(上海市南京西路店)`.
    if prov.is_none() && pref.is_none() {
        for (i, _) in s.char_indices() {
            if let Some((len, p)) = g.match_at(s, i, |p| !p.short && p.level != Level::County) {
                if p.level == Level::Province {
                    prov = Some(p.code / 10_000);
                    let v = p.code / 10_000;
                    pref = g
                        .match_at(s, i + len, |p| {
                            p.level == Level::Prefecture && p.code / 10_000 == v
                        })
                        .map(|(_, p)| p.code / 100);
                } else {
                    pref = Some(p.code / 100);
                }
                break;
            }
        }
    }
    // A city named later in the province's own address.
    if let (Some(v), None) = (prov, pref) {
        pref = s.char_indices().find_map(|(i, _)| {
            g.match_at(s, i, |p| {
                !p.short && p.level == Level::Prefecture && p.code / 10_000 == v
            })
            .map(|(_, p)| p.code / 100)
        });
    }
    // Only a district: its city, when the district's name is unambiguous.
    if prov.is_none() && pref.is_none() {
        let mut cities: Vec<u32> = Vec::new();
        let mut i = 0;
        while let Some(c) = s.get(i..).and_then(|r| r.chars().next()) {
            // Longest names, not overlapping: `浦东新区`, not also `新区`.
            match g.match_at(s, i, |p| p.level == Level::County && !p.short) {
                Some((len, p)) => {
                    for c in &g.counties[p.name] {
                        if !cities.contains(&(c / 100)) {
                            cities.push(c / 100);
                        }
                    }
                    i += len;
                }
                None => i += c.len_utf8(),
            }
        }
        if let [c] = cities[..] {
            pref = Some(c);
        }
    }
    let prov = prov.or(pref.map(|c| c / 100))?;
    let mut out = g.provinces.get(&prov)?.to_string();
    if let Some(name) = pref.and_then(|c| g.prefectures.get(&c)) {
        out.push_str(name);
    }
    Some(out)
}

/// Whether `s` is exactly the name of a province or a prefecture-level
/// city, full or short (`江苏省`, `江苏`, `杭州`), current or retired.
/// Counties are left out: their short names are often also people's
/// names (`江宁`, `长安`).
pub fn is_place_name(s: &str) -> bool {
    GAZETTEER
        .match_at(s, 0, |p| {
            p.level != Level::County && p.name.len() == s.len()
        })
        .is_some()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Province,
    Prefecture,
    County,
}

/// One name of a place (a full name, or a short one without its suffix).
struct Place {
    name: &'static str,
    code: u32,
    level: Level,
    short: bool,
}

/// The GB/T 2260 names, current and retired, indexed for matching.
struct Gazetteer {
    /// Names by their first character, longest first.
    by_first: HashMap<char, Vec<Place>>,
    /// Province-level names by the code's first two digits.
    provinces: HashMap<u32, &'static str>,
    /// Prefecture-level names by the code's first four digits.
    prefectures: HashMap<u32, &'static str>,
    /// County-level codes by full name (names repeat across cities).
    counties: HashMap<&'static str, Vec<u32>>,
}

impl Gazetteer {
    /// The longest name starting at `s[i..]` that `ok` accepts.
    fn match_at(&self, s: &str, i: usize, ok: impl Fn(&Place) -> bool) -> Option<(usize, &Place)> {
        let rest = s.get(i..)?;
        let c = rest.chars().next()?;
        self.by_first
            .get(&c)?
            .iter()
            .find(|p| rest.starts_with(p.name) && ok(p))
            .map(|p| (p.name.len(), p))
    }
}

static GAZETTEER: LazyLock<Gazetteer> = LazyLock::new(|| {
    let mut g = Gazetteer {
        by_first: HashMap::new(),
        provinces: HashMap::new(),
        prefectures: HashMap::new(),
        counties: HashMap::new(),
    };
    let add = |g: &mut Gazetteer, name: &'static str, code: u32, level: Level, short: bool| {
        if let Some(c) = name.chars().next()
            && name.chars().count() >= 2
        {
            g.by_first.entry(c).or_default().push(Place {
                name,
                code,
                level,
                short,
            });
        }
    };
    for line in REGIONS_TXT.lines().filter(|l| !l.starts_with('#')) {
        let Some((code, names)) = line.split_once('\t') else {
            continue;
        };
        let Ok(code) = code.parse::<u32>() else {
            continue;
        };
        // `[from-to]` marks a retired or later name; `|` a reused code.
        for name in names.split('|').map(|n| n.rsplit(']').next().unwrap_or(n)) {
            if name == "市辖区" || name == "县" || name.contains("直辖") {
                continue;
            }
            let level = if code % 10_000 == 0 {
                Level::Province
            } else if code % 100 == 0 {
                Level::Prefecture
            } else {
                Level::County
            };
            let suffixes: &[&str] = match level {
                Level::Province => &[
                    "特别行政区",
                    "维吾尔自治区",
                    "壮族自治区",
                    "回族自治区",
                    "自治区",
                    "省",
                    "市",
                ],
                Level::Prefecture => &["地区", "自治州", "盟", "市"],
                Level::County => &[],
            };
            match level {
                // The last name of a reused code is its current one.
                Level::Province => {
                    g.provinces.insert(code / 10_000, name);
                }
                Level::Prefecture => {
                    g.prefectures.insert(code / 100, name);
                }
                Level::County => g.counties.entry(name).or_default().push(code),
            }
            add(&mut g, name, code, level, false);
            if let Some(short) = suffixes.iter().find_map(|x| name.strip_suffix(x)) {
                add(&mut g, short, code, level, true);
            }
        }
    }
    for v in g.by_first.values_mut() {
        // Longest first; at equal length a province before a city before
        // a district (`重庆市` the municipality, not the old city).
        v.sort_by_key(|p| (std::cmp::Reverse(p.name.len()), p.level as u8, p.short));
    }
    g
});

#[cfg(test)]
mod tests {
    use super::*;

    const MARKERS: &str = "省市区县旗镇乡村路街道号巷弄楼室幢栋单元苑里";

    #[test]
    fn the_marker_table_is_the_marker_list() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(is_marker(c), MARKERS.contains(c), "{c}");
        }
        assert!(
            MARKERS
                .chars()
                .all(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
        );
    }

    /// The address column of `rows` rows of the customer table.
    fn table_addresses(rows: usize, seed: u64) -> Vec<Vec<u8>> {
        let (csv, _) = crate::corpus::customers_csv_bytes(rows, seed);
        csv.split(|&c| c == b'\n')
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|line| line.split(|&c| c == b',').nth(9).unwrap().to_vec())
            .collect()
    }

    /// `n` values of fewer than `most` pieces each, picked at random.
    fn mixes<'p>(
        seed: u64,
        n: usize,
        most: u64,
        pieces: &'p [&'p [u8]],
    ) -> impl Iterator<Item = Vec<u8>> + 'p {
        let mut rng = crate::corpus::Rng::new(seed);
        (0..n).map(move |_| {
            (0..rng.below(most))
                .flat_map(|_| rng.pick(pieces).iter().copied())
                .collect()
        })
    }

    /// Whatever the plain check accepts, the full one accepts, on the
    /// customer table's addresses and on random mixes of ideographs,
    /// markers, ASCII, spaces and broken bytes.
    #[test]
    fn a_plain_address_is_a_valid_address() {
        let mut plain = 0;
        for cell in table_addresses(2_000, 5) {
            assert!(is_plain_cjk_address(&cell));
            plain += 1;
        }
        assert_eq!(plain, 2_000);
        let pieces: [&[u8]; 10] = [
            "北京".as_bytes(),
            "路".as_bytes(),
            "号".as_bytes(),
            "䶵".as_bytes(),
            "\u{3000}".as_bytes(),
            b"12",
            b" ",
            b"#-",
            &[0xE5, 0x8C],
            &[0xE9, 0xBF, 0xBF],
        ];
        let mut accepted = 0;
        for v in mixes(9, 50_000, 12, &pieces) {
            if is_plain_cjk_address(&v) {
                accepted += 1;
                let text = std::str::from_utf8(&v).expect("valid UTF-8");
                assert!(is_valid(text), "{text:?}");
            }
        }
        assert!(accepted > 1_000, "{accepted}");
    }

    /// The masks and the walk agree on every value of 12 to 64 bytes
    /// tried: the customer table's addresses with every byte at every
    /// position, and random mixes of ideographs (below and above
    /// U+4E00), markers, ASCII, spaces and broken or cut sequences.
    #[test]
    fn the_masks_are_the_walk() {
        let agree = |v: &[u8]| {
            if let Some(m) = crate::blocks::cjk_text(v) {
                assert_eq!(plain_by_masks(v, &m), plain_by_bytes(v), "{v:?}");
            }
        };
        for cell in table_addresses(40, 6) {
            for pos in 0..cell.len() {
                for b in 0..=255u8 {
                    let mut v = cell.to_vec();
                    v[pos] = b;
                    agree(&v);
                }
            }
        }
        let pieces: [&[u8]; 12] = [
            "北京".as_bytes(),
            "路".as_bytes(),
            "号".as_bytes(),
            "䶵".as_bytes(),
            "丁".as_bytes(),
            "\u{3000}".as_bytes(),
            b"12",
            b" ",
            b"#-",
            &[0xE5, 0x8C],
            &[0xE9, 0xBF, 0xBF],
            &[0xE4],
        ];
        let mut plain = 0;
        for v in mixes(10, 200_000, 24, &pieces) {
            if (12..=64).contains(&v.len()) {
                agree(&v);
                plain += usize::from(plain_by_bytes(&v));
            }
        }
        assert!(plain > 1_000, "{plain}");
    }

    #[test]
    fn addresses() {
        assert!(is_valid("北京市朝阳区建国路88号"));
        assert!(is_valid("10 Downing Street, London"));
        assert!(!is_valid("北京"));
        assert!(!is_valid("今天天气很好"));
        assert!(!is_valid("12345678"));
        assert!(!is_valid("n/a"));
        assert!(is_valid_in_text("221B Baker Street London"));
        assert!(!is_valid_in_text("to its city"));
        assert!(!is_valid_in_text("of the buffer start"));
    }

    #[test]
    fn provinces_and_cities() {
        let p = |s| province_and_city(s);
        assert_eq!(
            p("浙江省杭州市西湖区文三路").as_deref(),
            Some("浙江省杭州市")
        );
        assert_eq!(p("上海市浦东新区世纪大道100号").as_deref(), Some("上海市"));
        assert_eq!(
            p("星巴克(国贸店)北京市朝阳区建国路").as_deref(),
            Some("北京市")
        );
        assert_eq!(p("浙江杭州西湖区").as_deref(), Some("浙江省杭州市"));
        assert_eq!(
            p("中国 广东省深圳市南山区").as_deref(),
            Some("广东省深圳市")
        );
        assert_eq!(
            p("某某奶茶店 杭州市上城区").as_deref(),
            Some("浙江省杭州市")
        );
        assert_eq!(p("重庆市渝中区").as_deref(), Some("重庆市"));
        assert_eq!(p("浦东新区世纪大道100号").as_deref(), Some("上海市"));
        // 西湖区 is in Hangzhou and in Nanchang: not enough to say which.
        assert_eq!(p("西湖区文三路"), None);
        assert_eq!(p("今天天气很好"), None);
    }
}

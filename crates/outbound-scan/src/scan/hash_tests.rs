//! Tests of the subject hash's normalisation (`Ctx::hash`) against the
//! byte-at-a-time reference.

use super::*;

/// The normalisation as first written (a byte at a time into a zeroed
/// buffer): the subject hash must hash exactly these bytes.
fn reference(kind: Option<Kind>, v: &[u8]) -> Vec<u8> {
    if kind == Some(Kind::CnMobile) {
        let d: Vec<u8> = v
            .iter()
            .copied()
            .filter(u8::is_ascii_digit)
            .take(24)
            .collect();
        d[d.len().saturating_sub(11)..].to_vec()
    } else {
        match kind {
            // The gate's rule, written out here rather than called:
            // trimmed, without ' ' or '-', upper case.
            None => String::from_utf8_lossy(v)
                .trim()
                .chars()
                .filter(|c| !matches!(c, ' ' | '-'))
                .flat_map(char::to_uppercase)
                .collect::<String>()
                .into_bytes(),
            Some(_) => trim(v)
                .iter()
                .take(256)
                .map(u8::to_ascii_lowercase)
                .collect(),
        }
    }
}

/// A path keyed by personal data has a kind's placeholder as a segment;
/// `{n}`, `{long}` and names with braces that are no kind are not.
#[test]
fn keyed_by_personal_data_reads_the_kind_placeholders() {
    for yes in ["contacts.{person_name}", "{cn_mobile}", "a.{email}.b"] {
        assert!(keyed_by_personal_data(yes), "{yes}");
    }
    for no in [
        "items.{n}",
        "x.{long}",
        "{person}",
        "contacts",
        "{person_name",
        "",
    ] {
        assert!(!keyed_by_personal_data(no), "{no}");
    }
}

/// The slot table against the search it replaced, for every kind.
#[test]
fn auto_slot_table_is_the_search() {
    let mut slots = 0;
    for k in Kind::ALL {
        let want = AUTO_KINDS.iter().position(|&x| x == k);
        assert_eq!(
            want,
            Some(AUTO_SLOT[k as usize] as usize).filter(|&s| s < 3),
            "{k:?}"
        );
        slots += usize::from(want.is_some());
    }
    assert_eq!(slots, 3);
}

/// Runs `f` with a run's context (no subject key, no samples) and its hasher.
fn with_ctx(plain: bool, f: impl FnOnce(&Ctx<'_>, &RandomState)) {
    let hasher = RandomState::default();
    let ctx = Ctx {
        hasher: &hasher,
        subject_key: None,
        samples: 0,
        aside: &Aside::default(),
        plain,
    };
    f(&ctx, &hasher)
}

/// A cell counts once per kind however many matches it has, and a
/// match of each kind it holds.
#[test]
fn a_cell_counts_once_per_kind() {
    with_ctx(false, |ctx, _| {
        let mut f = merge::FieldAcc::new(None);
        let mut r = merge::Rec::default();
        let v = b"13800138000 a@b.cn 13900139000 c@d.com 11010519491231002X";
        ctx.cell(&mut f, v, true, false, &mut r);
        ctx.cell(&mut f, b"13800138000", true, false, &mut r);
        assert_eq!(f.matches[Kind::CnMobile as usize], 3);
        assert_eq!(f.values[Kind::CnMobile as usize], 2);
        assert_eq!(f.matches[Kind::Email as usize], 2);
        assert_eq!(f.values[Kind::Email as usize], 1);
        assert_eq!(f.values[Kind::CnResidentId as usize], 1);
        assert_eq!(f.values.iter().sum::<u64>(), 4);
    });
}

#[test]
fn subject_hash_hashes_the_normalised_bytes() {
    with_ctx(plain_path(), subject_hashes);
}

fn subject_hashes(ctx: &Ctx<'_>, hasher: &RandomState) {
    let long_upper = "A".repeat(300);
    let long_lower = "b".repeat(300);
    let values: Vec<&[u8]> = vec![
        b"",
        b" ",
        b"11010519491231002X",
        b"11010519491231002x",
        b" Zhang.San@Example.COM ",
        b"zhang.san@example.com",
        b"+86 138-1234-5678",
        b"008613812345678901234567890",
        "张伟 ".as_bytes(),
        b" c-1 ",
        b"C 1",
        "ß-straße".as_bytes(),
        long_upper.as_bytes(),
        long_lower.as_bytes(),
    ];
    for v in values {
        for kind in [None, Some(Kind::CnMobile), Some(Kind::Email)] {
            let mut h = hasher.build_hasher();
            h.write(&reference(kind, v));
            assert_eq!(ctx.hash(kind, v), h.finish(), "{v:?} {kind:?}");
        }
    }
}

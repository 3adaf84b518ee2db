//! How identifiers compare: one rule for the scanner's `--subject-key`
//! counts, the gate's ledger, consent files and rights requests, so that
//! the same person meets their other spellings everywhere.

/// Identifiers compare without surrounding space, case, or phone punctuation; consent
/// files and batches are hashed after this normalisation so they meet.
pub fn normalize_subject(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    normalize_subject_push(v, &mut s);
    s
}

/// [`normalize_subject`] appended to `out`. ASCII, the common case: the
/// value copied whole and upper-cased in place when it holds no separator
/// (ids, mobiles, e-mail addresses), else byte by byte (a tenth of the
/// gate's pass went to splitting on the separators and upper-casing
/// after); anything else char by char.
pub fn normalize_subject_push(v: &str, out: &mut String) {
    let v = v.trim();
    if !v.is_ascii() {
        out.extend(
            v.chars()
                .filter(|c| !matches!(c, ' ' | '-'))
                .flat_map(char::to_uppercase),
        );
    } else if !v.bytes().any(|b| b == b' ' || b == b'-') {
        let start = out.len();
        out.push_str(v);
        out[start..].make_ascii_uppercase();
    } else {
        out.extend(
            v.bytes()
                .filter(|&b| b != b' ' && b != b'-')
                .map(|b| char::from(b.to_ascii_uppercase())),
        );
    }
}

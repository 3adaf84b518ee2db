//! The standard contract's Annex I (the transfer) and Annex II (security
//! measures), with retention as the date range the official form asks for.

use jiff::ToSpan;
use outbound_model::{MechanismKind, Transfer};
use serde_json::{Value, json};

use super::Cx;
use super::context::transfer_ctx;
use crate::sources::SourceKind;

/// What every annex rests on, whatever the data.
pub(super) const CITATIONS: &[&str] = &["Standard Contract Measures Art. 6", "GB/T 35273-2020"];

/// The context of `templates/<lang>/annex.md.j2`.
pub(super) fn context(cx: &mut Cx<'_, '_>, t: &Transfer) -> Value {
    let tc = transfer_ctx(cx, t);
    let what = format!("transfer {}", t.id);
    // Retention as the date range the official form asks for: from the contract's effect.
    let start = t
        .mechanisms
        .iter()
        .find(|m| m.kind == MechanismKind::StandardContract)
        .and_then(|m| m.effective.map(|d| (d, m.loc.clone())));
    let range = start.and_then(|(d, loc)| {
        let end = d
            .checked_add(i64::from(t.retention_abroad_days).days())
            .ok()?;
        let text = format!("{} – {}", cx.date(d), cx.date(end));
        let a = cx.loc.find(&loc, "effective");
        let b = cx.loc.find(&t.loc, "retention_abroad");
        Some(cx.src.fig(
            text,
            SourceKind::Map,
            format!("{a} + {b} ({what}: contract effective date + retention_abroad)"),
        ))
    });
    json!({"t": tc, "retention_range": range})
}

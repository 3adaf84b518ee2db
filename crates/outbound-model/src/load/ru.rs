//! The `ru:` block of a transfer (152-FZ Art. 12 and 18(5)), read with
//! positions like every other key.

use super::keys::RU;
use super::yaml::{Obj, Reader};
use crate::choice::RuLocalisationException;
use crate::map::RuTransfer;

/// Reads `transfer.ru` when present; None when absent or unreadable (the
/// problems are reported).
pub(super) fn read_ru(r: &mut Reader<'_>, transfer: &Obj<'_>) -> Option<RuTransfer> {
    let node = r.get(transfer, "ru", None)?;
    let o = r.obj(node, format!("{}.ru", transfer.path), RU)?;
    let notice_filed = r.date(&o, "notice_filed", None);
    let localisation_exception = r.choice(
        &o,
        "localisation_exception",
        None,
        RuLocalisationException::parse,
        &RuLocalisationException::ALL
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>(),
    );
    Some(RuTransfer {
        notice_filed,
        rkn_restricted: r.boolean(&o, "rkn_restricted", false),
        collected_into_russian_databases: r.boolean(&o, "collected_into_russian_databases", false),
        localisation_exception,
    })
}

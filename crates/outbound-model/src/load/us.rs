//! The `us:` block of a transfer (28 CFR Part 202 and PADFA), read with
//! positions like every other key.

use super::keys::US;
use super::yaml::{Obj, Reader};
use crate::choice::{UsExemption, UsTransaction};
use crate::map::UsTransfer;

/// Reads `transfer.us` when present; None when absent or unreadable (the
/// problems are reported).
pub(super) fn read_us(r: &mut Reader<'_>, transfer: &Obj<'_>) -> Option<UsTransfer> {
    let node = r.get(transfer, "us", None)?;
    let o = r.obj(node, format!("{}.us", transfer.path), US)?;
    let transaction = r.choice(
        &o,
        "transaction",
        Some("data_brokerage, vendor, employment, investment, passive_investment or none"),
        UsTransaction::parse,
        &UsTransaction::ALL
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>(),
    );
    let exemption = r.choice(
        &o,
        "exemption",
        None,
        UsExemption::parse,
        &UsExemption::ALL
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>(),
    );
    Some(UsTransfer {
        recipient_covered_person: r.boolean(&o, "recipient_covered_person", false),
        transaction: transaction?,
        government_related: r.boolean(&o, "government_related", false),
        exemption,
        onward_transfer_clause: r.boolean(&o, "onward_transfer_clause", false),
        data_broker: r.boolean(&o, "data_broker", false),
        recipient_foreign_adversary_controlled: r.boolean(
            &o,
            "recipient_foreign_adversary_controlled",
            false,
        ),
    })
}

//! The GDPR Art. 30 record of processing activities, one per EEA exporter.

use outbound_model::Transfer;
use serde_json::{Value, json};

use super::context::{exporter_ctx, transfer_ctx};
use super::{Cx, is_eu};

/// What every ropa rests on, whatever the data.
pub(super) const CITATIONS: &[&str] = &["GDPR Art. 30(1)"];

/// The context of `templates/<lang>/ropa.md.j2`.
pub(super) fn context(cx: &mut Cx<'_, '_>, exporter: &str) -> Value {
    let map = cx.input.map;
    let e = map.exporter(exporter);
    let ectx = e.map(|e| exporter_ctx(cx, e)).unwrap_or(Value::Null);
    let transfers: Vec<&Transfer> = map
        .transfers
        .iter()
        .filter(|t| t.exporter == exporter && is_eu(cx.input, t))
        .collect();
    let rows: Vec<Value> = transfers
        .iter()
        .map(|t| {
            let tc = transfer_ctx(cx, t);
            json!({"t": tc})
        })
        .collect();
    cx.cite("GDPR Art. 30(1)");
    json!({"exporter": ectx, "rows": rows})
}

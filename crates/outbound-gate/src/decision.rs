//! The determination re-evaluated with the counts the batch would produce,
//! inside the ledger's transaction: the batch passes only if every route it
//! requires is in place with those counts.

use jiff::civil::Date;
use outbound_model::{DataMap, Transfer};
use outbound_rules::Determination;
use outbound_rules::assess::{CountSource, facts_for_map};
use outbound_store::BatchCounts;

/// Judges transfer `t` of `exporter` on `as_of` with the ledger's counts including
/// the batch. Returns the evaluation (JSON, for the audit entry) when every
/// determination is satisfied, else why the batch is refused, citing the articles.
/// `determinations` receives what the batch was judged under either way.
pub(crate) fn decide(
    map: &DataMap,
    t: &Transfer,
    exporter: &str,
    as_of: Date,
    counts: &BatchCounts,
    determinations: &mut Vec<Determination>,
) -> Result<serde_json::Value, String> {
    let ledger = BatchLedger {
        exporter: exporter.to_string(),
        year: as_of.year(),
        counts: *counts,
    };
    let facts = facts_for_map(map, as_of, Some(&ledger))
        .into_iter()
        .find(|(i, _)| map.transfers[*i].id == t.id)
        .map(|(_, f)| f)
        .ok_or_else(|| {
            format!(
                "transfer {} cannot be judged: its exporter or recipient is missing",
                t.id
            )
        })?;
    let ev = outbound_rules::evaluate(&facts).map_err(|e| e.to_string())?;
    *determinations = ev.determinations.clone();
    let missing: Vec<String> = ev
        .determinations
        .iter()
        .filter(|d| !d.satisfied)
        .map(|d| {
            let why = d
                .reasons
                .iter()
                .map(|r| format!("{} [{}]", r.text, r.citation))
                .collect::<Vec<_>>()
                .join("; ");
            format!(
                "{}: route `{}` required and not in place — {why}",
                d.regime, d.mechanism
            )
        })
        .collect();
    if missing.is_empty() {
        Ok(serde_json::to_value(&ev).unwrap_or_default())
    } else {
        Err(missing.join(" | "))
    }
}

/// The ledger's counts including this batch, as the rules' count source.
struct BatchLedger {
    exporter: String,
    year: i16,
    counts: BatchCounts,
}

impl CountSource for BatchLedger {
    fn exported(&self, exporter: &str, from: Date, _to: Date) -> Option<outbound_rules::Counts> {
        if exporter != self.exporter {
            return None;
        }
        let c = if from.year() == self.year {
            self.counts.current_year
        } else {
            self.counts.previous_and_current_year
        };
        Some(c)
    }
}

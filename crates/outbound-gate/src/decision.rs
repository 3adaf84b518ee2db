//! The determination re-evaluated with the counts the batch would produce,
//! inside the ledger's transaction: the batch passes only if every route it
//! requires is in place with those counts.

use jiff::civil::Date;
use outbound_model::{DataMap, Transfer};
use outbound_rules::Determination;
use outbound_rules::assess::{CountSource, facts_for_map};
use std::cell::{Cell, RefCell};

use outbound_store::{BatchCounts, DeliveryWindow};

/// Judges transfer `t` of `exporter` on `as_of` with the ledger's counts including
/// the batch. Returns the evaluation (JSON, for the audit entry) when every
/// determination is satisfied, else why the batch is refused, citing the articles.
/// `determinations` receives what the batch was judged under either way.
/// `windows` are the rolling windows of [`windows_asked`] with their counts
/// in the ledger, this batch included.
pub(crate) fn decide(
    map: &DataMap,
    t: &Transfer,
    exporter: &str,
    as_of: Date,
    (counts, windows): (&BatchCounts, &[(DeliveryWindow, u64)]),
    determinations: &mut Vec<Determination>,
) -> Result<serde_json::Value, String> {
    let ledger = BatchLedger {
        exporter: exporter.to_string(),
        year: as_of.year(),
        counts: *counts,
        windows,
        unanswered: Cell::new(false),
    };
    let facts = facts_for_map(map, as_of, Some(&ledger));
    // A window the store was not asked to count would read as none: refuse.
    if ledger.unanswered.get() {
        return Err(format!(
            "transfer {} cannot be judged: a rolling window of deliveries was not counted",
            t.id
        ));
    }
    let facts = facts
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

/// The rolling windows of deliveries the rules ask for when judging `map`
/// on `as_of` (the US rule's 12 months per counterparty, 28 CFR §202.205),
/// found by judging once with a source that notes the questions; the store
/// counts them inside the batch's transaction. None for a map without `us:`
/// blocks.
pub(crate) fn windows_asked(map: &DataMap, as_of: Date) -> Vec<DeliveryWindow> {
    let asked = Asked::default();
    let _ = facts_for_map(map, as_of, Some(&asked));
    asked.0.into_inner()
}

/// Notes the windows asked for.
#[derive(Default)]
struct Asked(RefCell<Vec<DeliveryWindow>>);

impl CountSource for Asked {
    fn exported(&self, _: &str, _: Date, _: Date) -> Option<outbound_rules::Counts> {
        None
    }

    fn delivered_to(&self, transfers: &[&str], from: Date, to: Date) -> Option<u64> {
        let w = DeliveryWindow::new(transfers, from, to);
        let mut asked = self.0.borrow_mut();
        if !asked.contains(&w) {
            asked.push(w);
        }
        Some(0)
    }
}

/// The ledger's counts including this batch, as the rules' count source.
struct BatchLedger<'a> {
    exporter: String,
    year: i16,
    counts: BatchCounts,
    windows: &'a [(DeliveryWindow, u64)],
    unanswered: Cell<bool>,
}

impl CountSource for BatchLedger<'_> {
    fn delivered_to(&self, transfers: &[&str], from: Date, to: Date) -> Option<u64> {
        let w = DeliveryWindow::new(transfers, from, to);
        match self.windows.iter().find(|(x, _)| *x == w) {
            Some((_, n)) => Some(*n),
            None => {
                self.unanswered.set(true);
                None
            }
        }
    }

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

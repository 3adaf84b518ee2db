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
/// counts them inside the batch's transaction, each no further than one
/// past the largest bulk threshold (so that a batch's time does not grow
/// with everyone the counterparty ever received). None for a map without
/// `us:` blocks.
pub(crate) fn windows_asked(map: &DataMap, as_of: Date) -> Vec<DeliveryWindow> {
    let asked = Asked::default();
    let _ = facts_for_map(map, as_of, Some(&asked));
    asked.0.into_inner()
}

/// How far the store counts a window, for a batch or a page: enough to
/// decide every bulk threshold (`UsData::bulk_count_enough`).
pub(crate) fn counted_to() -> u64 {
    outbound_rules::regime::us::us_data().bulk_count_enough()
}

/// Notes the windows asked for.
#[derive(Default)]
struct Asked(RefCell<Vec<DeliveryWindow>>);

impl CountSource for Asked {
    fn exported(&self, _: &str, _: Date, _: Date) -> Option<outbound_rules::Counts> {
        None
    }

    fn delivered_to(&self, transfers: &[&str], from: Date, to: Date) -> Option<u64> {
        let w = DeliveryWindow::new(transfers, from, to).up_to(counted_to());
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
        match self
            .windows
            .iter()
            .find(|(x, _)| x.same_span(transfers, from, to))
        {
            Some((_, n)) => Some(*n),
            None => {
                self.unanswered.set(true);
                None
            }
        }
    }

    fn delivered_counted_to(&self) -> Option<u64> {
        Some(counted_to())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The windows a batch asks the store for stop one past the largest US
    /// threshold, and a count that reached it reads "at least" in the
    /// reasons; the decision is the one an exact count gives.
    #[test]
    fn windows_are_counted_up_to_what_decides_and_said_so() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lumen");
        let map = outbound_model::load_path(&root).unwrap().map;
        let as_of: Date = "2026-11-23".parse().unwrap();
        let asked = windows_asked(&map, as_of);
        assert!(!asked.is_empty());
        assert!(asked.iter().all(|w| w.up_to == Some(100_001)), "{asked:?}");
        let t = map.transfers.iter().find(|t| t.us.is_some()).unwrap();
        let judged = |n: u64| {
            let windows: Vec<(DeliveryWindow, u64)> =
                asked.iter().map(|w| (w.clone(), n)).collect();
            let mut ds = Vec::new();
            let _ = decide(
                &map,
                t,
                &t.exporter,
                as_of,
                (&BatchCounts::default(), &windows),
                &mut ds,
            );
            let us = ds.into_iter().find(|d| d.regime == "US").unwrap();
            let text: Vec<String> = us.reasons.iter().map(|r| r.text.clone()).collect();
            (us.mechanism, text.join("\n"))
        };
        let (capped, words) = judged(100_001);
        // The map estimates 140,000 a year; the ledger adds what it counted.
        assert!(words.contains("at least 240,001"), "{words}");
        let (exact, words) = judged(100_000);
        assert!(!words.contains("at least"), "{words}");
        assert_eq!(capped, exact);
    }
}

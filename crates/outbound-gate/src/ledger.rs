//! The rules judged on the ledger's exact counts (a US window up to what
//! decides): what the CLI's `assess`, `status` and reports, and the server's
//! pages and API, all show. The gate's own decision (`decision.rs`) adds the
//! batch in flight to the same counts.

use std::cell::RefCell;

use jiff::civil::Date;
use outbound_model::DataMap;
use outbound_rules::assess::{Assessment, CountSource, assess};
use outbound_store::{Store, StoreError};

/// Judges the map as of a date, with the ledger's exact counts when a store
/// is given. A store that cannot answer is an error, never a silent fall-back
/// to the map's stated figures: that would fail open.
pub fn assess_with_ledger(
    map: &DataMap,
    as_of: Date,
    store: Option<&Store>,
) -> Result<Assessment, StoreError> {
    let Some(store) = store else {
        return Ok(assess(map, as_of, None));
    };
    let ledger = LedgerCounts {
        store,
        failed: RefCell::new(None),
    };
    let a = assess(map, as_of, Some(&ledger));
    match ledger.failed.into_inner() {
        Some(e) => Err(e),
        None => Ok(a),
    }
}

/// The ledger as the rules' count source; remembers the first failure, since
/// the rules' interface has no error path.
struct LedgerCounts<'a> {
    store: &'a Store,
    failed: RefCell<Option<StoreError>>,
}

impl CountSource for LedgerCounts<'_> {
    fn exported(&self, exporter: &str, from: Date, to: Date) -> Option<outbound_rules::Counts> {
        match self
            .store
            .counts(&[exporter.to_string()], from.year(), to.year())
        {
            Ok(c) => Some(c),
            Err(e) => {
                self.failed.borrow_mut().get_or_insert(e);
                None
            }
        }
    }

    /// Distinct individuals the transfers delivered from `from` to `to`, by
    /// the first and last day the ledger keeps per person, transfer and year:
    /// exact for the US rule's 12 months (28 CFR §202.205) up to one past the
    /// largest threshold, where counting stops (so that pages and `status`
    /// stay instant at any size); where a day is unknown (batches before
    /// schema 16) the count errs high, the safe side for thresholds defined
    /// as "more than".
    fn delivered_to(&self, transfers: &[&str], from: Date, to: Date) -> Option<u64> {
        let w = outbound_store::DeliveryWindow::new(transfers, from, to)
            .up_to(crate::decision::counted_to());
        match self.store.delivered_up_to(&w) {
            Ok(n) => Some(n),
            Err(e) => {
                self.failed.borrow_mut().get_or_insert(e);
                None
            }
        }
    }

    fn delivered_counted_to(&self) -> Option<u64> {
        Some(crate::decision::counted_to())
    }
}

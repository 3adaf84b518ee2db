//! Recording the batch: what the ledger is told, the decision it runs inside
//! its transaction, and what becomes of the output afterwards.

use outbound_model::{DataMap, Exporter, Transfer};
use outbound_rules::Determination;
use outbound_store::{BatchCounts, BatchRecord, ConsentRegister, Keys, Recorded, Store};

use crate::decision::{decide, windows_asked};
use crate::output::Written;
use crate::policy::Run;
use crate::{GateError, GateRequest, Outcome};

/// What recording the batch produced.
pub(crate) struct Judged {
    /// The counts: in the batch, new this year, cumulative.
    pub(crate) counts: BatchCounts,
    /// The determinations the batch was judged under.
    pub(crate) determinations: Vec<Determination>,
    /// Passed (output in place), refused or a dry run.
    pub(crate) outcome: Outcome,
}

/// Counts the batch and judges it in one ledger transaction, then puts the
/// output in place (committed) or removes it (refused, dry run).
pub(crate) fn record(
    map: &DataMap,
    store: &Store,
    keys: &Keys,
    req: &GateRequest,
    (t, exporter): (&Transfer, &Exporter),
    (run, consents): (&Run<'_>, Option<&ConsentRegister>),
    written: Written,
) -> Result<Judged, GateError> {
    let rec = BatchRecord {
        transfer: t.id.clone(),
        exporters: counted_together(map, exporter, req.count_group),
        recipient: t.recipient.clone(),
        sha256: written.sha256.clone(),
        bytes: written.bytes,
        records_in: run.count.records_in,
        records_out: run.count.records_out,
        kinds: run.policy.kinds(),
        set_aside: run.policy.set_aside(),
        map_sha256: map.content_sha256(),
        output: written.target(),
        counts_towards_thresholds: outbound_rules::assess::transfer_counts_towards_thresholds(
            map, t, req.as_of,
        ),
    };
    let mut determinations = Vec::new();
    let windows = windows_asked(map, req.as_of);
    // The consents the run filtered by are confirmed against the log in the
    // batch's transaction, not read again; the windows are counted in it.
    let recorded = store.record_batch_consented(
        keys,
        &rec,
        req.as_of.into(),
        &run.count.subjects,
        (consents, &windows),
        req.dry_run,
        |c, n| {
            let counted: Vec<_> = windows.iter().cloned().zip(n.iter().copied()).collect();
            decide(
                map,
                t,
                &exporter.id,
                req.as_of,
                (c, &counted),
                &mut determinations,
            )
        },
    )?;
    let (counts, outcome) = match recorded {
        Recorded::Committed {
            batch,
            audit_index,
            counts,
            ..
        } => {
            let output = written.place(store, batch)?;
            let outcome = Outcome::Passed {
                batch,
                audit_index,
                output,
            };
            (counts, outcome)
        }
        Recorded::Refused { reason, counts } => {
            written.discard();
            (counts, Outcome::Refused { reason })
        }
        Recorded::DryRun { counts } => {
            written.discard();
            (counts, Outcome::DryRun)
        }
    };
    Ok(Judged {
        counts,
        determinations,
        outcome,
    })
}

/// The exporters counted together: the exporter, and with `count_group` the
/// rest of its group (against splitting a transfer across entities).
fn counted_together(map: &DataMap, exporter: &Exporter, count_group: bool) -> Vec<String> {
    match (&exporter.group, count_group) {
        (Some(g), true) => std::iter::once(exporter.id.clone())
            .chain(
                map.exporters
                    .iter()
                    .filter(|e| e.group.as_deref() == Some(g) && e.id != exporter.id)
                    .map(|e| e.id.clone()),
            )
            .collect(),
        _ => vec![exporter.id.clone()],
    }
}

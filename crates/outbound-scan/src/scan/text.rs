//! Text and logs: every line is one record of one free-text field.

use super::Ctx;
use super::merge::{Acc, Rec};
use crate::read::LineBatch;

/// Pieces of one line told apart in a sample's order (`Rec::order`): a
/// line of a terabyte has fewer.
const PIECES: u64 = (1 << 20) - 1;

/// Scans one batch of text lines.
pub(super) fn text_batch(b: &LineBatch, ctx: &Ctx<'_>) -> Acc {
    let mut acc = Acc::with_names(&[None]);
    acc.sample_cap = ctx.samples;
    let bad = !super::is_utf8(&b.data);
    // One record for the batch, blanked by `end_reused`: its buffers are
    // allocated once.
    let mut r = Rec::of_line(0);
    for (line, cont, l) in b.lines() {
        if bad && !super::is_utf8(l) {
            acc.bad_utf8.hit(Some(line));
        }
        // Pieces of an over-long line in order within their line.
        let piece = if cont { b.piece.min(PIECES) } else { 0 };
        r.order = (line << 20) | piece;
        ctx.cell(&mut acc.fields[0], l, true, false, &mut r);
        if !r.spans.is_empty() {
            ctx.settle_line(l, &mut r);
        }
        acc.end_reused(&mut r);
        if cont {
            // A piece of an over-long line: same record as before.
            acc.records -= 1;
        }
    }
    acc
}

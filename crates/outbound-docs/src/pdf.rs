//! PDF output (feature `pdf`).

use crate::{DocError, Document};

/// Renders a document to PDF.
pub fn render(_doc: &Document) -> Result<Vec<u8>, DocError> {
    Err(DocError::Pdf("not built yet".into()))
}

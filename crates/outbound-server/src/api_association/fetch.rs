//! Reading a member's published snapshot and log over HTTP, with the same
//! client a witness uses (`outbound_client`: plain HTTP/1.1, a size limit
//! and a timeout; a member served over `https://` is collected from a file,
//! or through a local TLS-terminating proxy).

use outbound_client::get_blocking;
use outbound_store::snapshots::{LogReader, Published};

/// A member's log served by its server (`<url>/log/…`); the token, when
/// given, opens the entry bundles.
pub struct HttpLog {
    /// The member's base URL.
    pub url: String,
    /// A bearer token the member gave.
    pub token: Option<String>,
}

impl LogReader for HttpLog {
    fn checkpoint(&self) -> Result<String, String> {
        let b = get_blocking(&self.url, "log/checkpoint", None)?;
        String::from_utf8(b).map_err(|_| "the checkpoint is not UTF-8".into())
    }
    fn tile(&self, path: &str) -> Result<Vec<u8>, String> {
        let token = path
            .starts_with("tile/entries/")
            .then_some(self.token.as_deref())
            .flatten();
        get_blocking(&self.url, &format!("log/{path}"), token)
    }
    fn witnessed_checkpoint(&self) -> Result<String, String> {
        let b = get_blocking(&self.url, "log/checkpoint.witnessed", None)?;
        String::from_utf8(b).map_err(|_| "the witnessed checkpoint is not UTF-8".into())
    }
}

/// The member's published snapshot of `period`
/// (`GET <url>/api/v1/snapshots/{period}` with the member's token).
pub fn snapshot(url: &str, period: &str, token: Option<&str>) -> Result<Published, String> {
    let b = get_blocking(url, &format!("api/v1/snapshots/{period}"), token)?;
    serde_json::from_slice(&b).map_err(|e| format!("not a published snapshot: {e}"))
}

//! Reading a member's published snapshot and log over HTTP: a plain
//! HTTP/1.1 GET (no TLS in this build: a member served over `https://`
//! is collected from a file, or through a local TLS-terminating proxy).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use outbound_store::snapshots::{LogReader, Published};

/// Fetches `url` (`http://host[:port]/path`), with a bearer token if given;
/// the body of a 200 answer, or an error naming the status.
pub fn get(url: &str, token: Option<&str>) -> Result<Vec<u8>, String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        "only http:// URLs can be fetched by this build (collect from a file otherwise)".to_string()
    })?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    let mut s = TcpStream::connect(&addr).map_err(|e| format!("connect to {host}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Accept: */*\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("send to {host}: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .map_err(|e| format!("read from {host}: {e}"))?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("an HTTP answer without headers")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or("an HTTP answer without a status")?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if chunked {
        body = dechunk(&body).ok_or("a malformed chunked body")?;
    }
    if status != 200 {
        return Err(format!("GET {path}: HTTP {status}"));
    }
    Ok(body)
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&b[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = &b[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

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
        let b = get(&format!("{}/log/checkpoint", self.url), None)?;
        String::from_utf8(b).map_err(|_| "the checkpoint is not UTF-8".into())
    }
    fn tile(&self, path: &str) -> Result<Vec<u8>, String> {
        let token = path
            .starts_with("tile/entries/")
            .then_some(self.token.as_deref())
            .flatten();
        get(&format!("{}/log/{path}", self.url), token)
    }
}

/// The member's published snapshot of `period`
/// (`GET <url>/api/v1/snapshots/{period}` with the member's token).
pub fn snapshot(url: &str, period: &str, token: Option<&str>) -> Result<Published, String> {
    let b = get(&format!("{url}/api/v1/snapshots/{period}"), token)?;
    serde_json::from_slice(&b).map_err(|e| format!("not a published snapshot: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(
            super::dechunk(b"3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n").as_deref(),
            Some(&b"abcde"[..])
        );
        assert_eq!(super::dechunk(b"9\r\nabc"), None);
    }
}

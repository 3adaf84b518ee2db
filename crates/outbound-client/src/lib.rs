//! The HTTP client for another party's published log: what a witness reads
//! and posts (checkpoints, tiles, cosignatures) and what an association
//! collects (a member's snapshot, its checkpoint, tiles and entry bundles).
//! One connection per request, a size limit on answers and a timeout.
//!
//! Only `http://`: the parties talk over a network the operator controls,
//! or through a TLS-terminating proxy; what they exchange is signed
//! (checkpoints, cosignatures, snapshots) or checked against what is signed
//! (tiles against a checkpoint's root), so the transport need not be trusted
//! for it. A bearer token (an association reading a member's entry bundles)
//! travels in clear on such a link: keep it on a network you control.

use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;

/// The largest answer read: a checkpoint and tiles are kilobytes, a
/// snapshot tens of kilobytes.
const MAX_ANSWER: usize = 8 << 20;

/// How long one request may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(15);

/// A log's base URL, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    host: String,
    port: u16,
    /// The path prefix, without a trailing `/` (`""` for the root).
    prefix: String,
}

impl BaseUrl {
    /// Parses `http://host[:port][/prefix]`.
    ///
    /// # Errors
    ///
    /// What is wrong, as text (another scheme, no host, a bad port).
    pub fn parse(url: &str) -> Result<BaseUrl, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            if url.starts_with("https://") {
                "https:// is not supported; use http:// (through a TLS proxy if the log is remote)"
                    .to_string()
            } else {
                "a log URL starts with http://".to_string()
            }
        })?;
        let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("`{p}` is not a port"))?,
            ),
            _ => (authority, 80),
        };
        if host.is_empty() {
            return Err("a log URL names a host".into());
        }
        let prefix = path.trim_end_matches('/');
        Ok(BaseUrl {
            host: host.trim_start_matches('[').trim_end_matches(']').into(),
            port,
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("/{prefix}")
            },
        })
    }

    /// `GET <base>/<path>`: the status and the body.
    ///
    /// # Errors
    ///
    /// A connection, protocol or timeout failure, as text.
    pub async fn get(&self, path: &str) -> Result<(u16, Vec<u8>), String> {
        self.request("GET", path, None, None).await
    }

    /// `GET <base>/<path>` with `Authorization: Bearer <token>` when given.
    ///
    /// # Errors
    ///
    /// A connection, protocol or timeout failure, as text.
    pub async fn get_with(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> Result<(u16, Vec<u8>), String> {
        self.request("GET", path, None, token).await
    }

    /// `POST <base>/<path>` with a text body: the status and the body.
    ///
    /// # Errors
    ///
    /// A connection, protocol or timeout failure, as text.
    pub async fn post(&self, path: &str, body: String) -> Result<(u16, Vec<u8>), String> {
        self.request("POST", path, Some(body), None).await
    }

    async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        token: Option<&str>,
    ) -> Result<(u16, Vec<u8>), String> {
        tokio::time::timeout(TIMEOUT, self.request_inner(method, path, body, token))
            .await
            .map_err(|_| format!("no answer within {} s", TIMEOUT.as_secs()))?
    }

    async fn request_inner(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        token: Option<&str>,
    ) -> Result<(u16, Vec<u8>), String> {
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("cannot connect to {}:{}: {e}", self.host, self.port))?;
        let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP: {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let host = if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        };
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}/{path}", self.prefix))
            .header(HOST, host)
            .header(CONTENT_TYPE, "text/plain; charset=utf-8");
        if let Some(t) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = req
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| format!("HTTP: {e}"))?;
        let res = send
            .send_request(req)
            .await
            .map_err(|e| format!("HTTP: {e}"))?;
        let status = res.status().as_u16();
        let bytes = Limited::new(res.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?
            .to_bytes();
        Ok((status, bytes.to_vec()))
    }
}

/// `GET <base>/<path>` from blocking code (the CLI, a store callback): the
/// body of a 200 answer, or an error naming the path and the status.
///
/// # Errors
///
/// A bad base URL, a connection, protocol or timeout failure, or a status
/// other than 200, as text.
pub fn get_blocking(base: &str, path: &str, token: Option<&str>) -> Result<Vec<u8>, String> {
    let url = BaseUrl::parse(base)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
    let (status, body) = rt.block_on(url.get_with(path, token))?;
    if status != 200 {
        return Err(format!("GET /{path}: HTTP {status}"));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = BaseUrl::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.prefix.as_str()),
            ("127.0.0.1", 8080, "")
        );
        let u = BaseUrl::parse("http://log.example/acme/").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.prefix.as_str()),
            ("log.example", 80, "/acme")
        );
        let u = BaseUrl::parse("http://[::1]:9000/x").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.prefix.as_str()),
            ("::1", 9000, "/x")
        );
        assert!(
            BaseUrl::parse("https://log.example")
                .unwrap_err()
                .contains("https")
        );
        assert!(BaseUrl::parse("ftp://log.example").is_err());
        assert!(BaseUrl::parse("http://:80").is_err());
        assert!(BaseUrl::parse("http://h:99999").is_err());
    }
}

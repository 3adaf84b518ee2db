//! A plain-HTTP/1.1 client for the few requests a witness makes: one
//! connection per request, a size limit on answers and a timeout.
//!
//! Only `http://`: a witness and the logs it follows talk over a network the
//! operator controls, or through a TLS-terminating proxy; checkpoints and
//! cosignatures are signed, so the transport need not be trusted for them.

use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;

/// The largest answer read: a checkpoint and tiles are kilobytes.
const MAX_ANSWER: usize = 1 << 20;

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
                "https:// is not supported by the witness; use http:// (through a TLS proxy if the log is remote)".to_string()
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
        self.request("GET", path, None).await
    }

    /// `POST <base>/<path>` with a text body: the status and the body.
    ///
    /// # Errors
    ///
    /// A connection, protocol or timeout failure, as text.
    pub async fn post(&self, path: &str, body: String) -> Result<(u16, Vec<u8>), String> {
        self.request("POST", path, Some(body)).await
    }

    async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, Vec<u8>), String> {
        tokio::time::timeout(TIMEOUT, self.request_inner(method, path, body))
            .await
            .map_err(|_| format!("no answer within {} s", TIMEOUT.as_secs()))?
    }

    async fn request_inner(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
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
        let req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}/{path}", self.prefix))
            .header(HOST, host)
            .header(CONTENT_TYPE, "text/plain; charset=utf-8")
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

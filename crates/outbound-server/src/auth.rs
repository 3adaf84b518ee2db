//! Credentials: argon2id password hashes, API tokens and browser sessions
//! (both random 256-bit values of which only the SHA-256 is stored), CSRF
//! tokens, and a per-client rate limiter for sign-in and complaints.
//!
//! API calls authenticate with `Authorization: Bearer TOKEN` only; pages with
//! a session cookie only (`HttpOnly`, `SameSite=Strict`, `Secure` unless the
//! server runs on plain-HTTP loopback), and every form they post carries the
//! session's CSRF token. A cookie therefore never authorises an API call, and
//! a token never rides along with a page's form.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use outbound_store::Account;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "outbound_session";
/// The cookie that carries the sign-in form's CSRF token before a session exists.
pub const LOGIN_CSRF_COOKIE: &str = "outbound_login_csrf";
/// How long a browser session lasts.
pub const SESSION_HOURS: i64 = 8;
/// Prefix of API tokens, so that a leaked one is recognisable in a scan.
pub const TOKEN_PREFIX: &str = "obt_";

/// A random 256-bit value, hex.
pub fn random_hex() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the operating system's random source");
    hex::encode(b)
}

/// A new API token (shown once; only [`sha256_hex`] of it is stored).
pub fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_hex())
}

/// SHA-256, hex: how tokens and session ids are stored. They are random
/// 256-bit values, so a fast hash is enough (no dictionary to attack).
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, String> {
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches a stored argon2id hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(h) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, path `/`.
pub fn set_cookie(name: &str, value: &str, max_age_s: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The client's address, or `unknown` when the server was not started with
/// connection info (tests that call the router directly).
pub fn client(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string())
}

/// At most `max` requests per key in each window.
pub struct RateLimiter {
    max: u32,
    window: Duration,
    seen: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter of `max` per `window`.
    pub fn new(max: u32, window: Duration) -> Self {
        RateLimiter {
            max,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request for `key`; false once the window's allowance is spent.
    pub fn allow(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut seen = self.seen.lock().expect("not poisoned");
        if seen.len() > 10_000 {
            // Forget windows that are over, so that many clients cannot grow the map for ever.
            seen.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let e = seen.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(e.0) >= self.window {
            *e = (now, 0);
        }
        e.1 += 1;
        e.1 <= self.max
    }
}

/// Headers that make the browser enforce what the server cannot: no framing
/// (the route switch cannot be clicked through another site), no MIME
/// sniffing, no referrer carrying a path out, and no caching of answers that
/// may hold personal data. A handler's own value wins (the stylesheet caches).
pub async fn security_headers(mut resp: axum::response::Response) -> axum::response::Response {
    use axum::http::HeaderValue;
    use axum::http::header;
    let h = resp.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    resp
}

/// The account behind an API request's bearer token.
#[derive(Debug, Clone)]
pub struct ApiUser(pub Account);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        let hash = sha256_hex(token);
        state
            .store(move |s, k| s.account_by_token(k, &hash))
            .await?
            .map(ApiUser)
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The account behind a page request's session cookie, with the session's CSRF token.
#[derive(Debug, Clone)]
pub struct PageUser {
    /// Who is signed in.
    pub account: Account,
    /// The token every form of this session must carry.
    pub csrf: String,
    /// SHA-256 of the session id (for sign-out).
    pub session: String,
}

/// A page request without a valid session: sent to the sign-in page.
pub struct SignInFirst;

impl axum::response::IntoResponse for SignInFirst {
    fn into_response(self) -> axum::response::Response {
        axum::response::Redirect::to("/login").into_response()
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, axum::response::Response> {
        use axum::response::IntoResponse;
        let Some(id) = cookie(parts, SESSION_COOKIE) else {
            return Err(SignInFirst.into_response());
        };
        let hash = sha256_hex(&id);
        let h = hash.clone();
        let found = state
            .store(move |s, k| s.session(k, &h))
            .await
            .map_err(IntoResponse::into_response)?;
        let Some((account, csrf, expires)) = found else {
            return Err(SignInFirst.into_response());
        };
        let live = expires
            .parse::<jiff::Timestamp>()
            .is_ok_and(|t| t > jiff::Timestamp::now());
        if !live {
            return Err(SignInFirst.into_response());
        }
        Ok(PageUser {
            account,
            csrf,
            session: hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horse ", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_prefixed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_eq!(sha256_hex(&a).len(), 64);
    }

    #[test]
    fn same_secret_compares_whole_values() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }

    #[test]
    fn the_limiter_allows_its_allowance_per_key() {
        let l = RateLimiter::new(3, Duration::from_secs(60));
        assert!((0..3).all(|_| l.allow("a")));
        assert!(!l.allow("a"));
        assert!(l.allow("b"));
    }
}

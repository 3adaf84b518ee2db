//! What every handler shares: the store and its keys, the data map, the date
//! judged at, rate limiters, and a snapshot of the assessment that is rebuilt
//! only when the audit log has grown (every change to the ledger, routes or
//! accounts is an audit entry, so the log's size names the state).

use std::sync::{Arc, Mutex};

use jiff::civil::Date;
use outbound_model::DataMap;
use outbound_rules::assess::Assessment;
use outbound_store::{Keys, RouteState, Store, StoreError};

use crate::auth::RateLimiter;
use crate::error::ApiError;

/// How the server was started.
pub struct Config {
    /// The data map, loaded and valid.
    pub map: DataMap,
    /// The store.
    pub store: Store,
    /// Its keys.
    pub keys: Keys,
    /// Judge as of this date instead of today (a demo or a test).
    pub as_of: Option<Date>,
    /// Set the `Secure` attribute on cookies (off only for plain-HTTP loopback).
    pub secure_cookies: bool,
}

/// The assessment and route states at one size of the audit log.
pub struct Snapshot {
    /// The audit log's size when it was taken.
    pub log_size: u64,
    /// The date judged at.
    pub as_of: Date,
    /// Every transfer judged with the ledger's counts.
    pub assessment: Assessment,
    /// The routes with a recorded state.
    pub routes: Vec<RouteState>,
    /// Each transfer's API view as JSON text, in `assessment.transfers`
    /// order: serialised once per snapshot, not once per request (a map of
    /// 10,000 transfers is megabytes of JSON).
    pub views: Vec<String>,
    /// Transfer id → its position in `assessment.transfers`.
    pub index: std::collections::HashMap<String, usize>,
    /// `GET /api/v1/status`'s body, serialised once per snapshot.
    pub status_json: axum::body::Bytes,
}

impl Snapshot {
    fn new(log_size: u64, as_of: Date, assessment: Assessment, routes: Vec<RouteState>) -> Self {
        let mut snap = Snapshot {
            log_size,
            as_of,
            assessment,
            routes,
            views: Vec::new(),
            index: Default::default(),
            status_json: Default::default(),
        };
        let suspended: std::collections::HashSet<&str> = snap
            .routes
            .iter()
            .filter(|r| r.suspended)
            .map(|r| r.transfer.as_str())
            .collect();
        let views = snap
            .assessment
            .transfers
            .iter()
            .map(|t| {
                let v = crate::api::view_with(t, suspended.contains(t.transfer.as_str()));
                serde_json::to_string(&v).expect("a transfer view serialises")
            })
            .collect();
        snap.views = views;
        snap.index = snap
            .assessment
            .transfers
            .iter()
            .enumerate()
            .map(|(i, t)| (t.transfer.clone(), i))
            .collect();
        let status = serde_json::json!({
            "as_of": snap.as_of.to_string(),
            "exporters": snap.assessment.exporters,
            "groups": snap.assessment.groups,
        });
        snap.status_json = serde_json::to_vec(&status)
            .expect("the status serialises")
            .into();
        snap
    }

    /// Whether a transfer's route is suspended.
    pub fn suspended(&self, transfer: &str) -> bool {
        self.routes
            .iter()
            .any(|r| r.transfer == transfer && r.suspended)
    }
}

struct Inner {
    map: DataMap,
    store: Store,
    keys: Keys,
    as_of: Option<Date>,
    secure_cookies: bool,
    snapshot: Mutex<Option<Arc<Snapshot>>>,
    /// Each recipient's obligations checklist: it depends on the map only,
    /// which does not change while the server runs (built on first use).
    checklists: std::sync::OnceLock<
        std::collections::HashMap<String, outbound_rules::recipient::Checklist>,
    >,
    /// Held while a snapshot is rebuilt, so that requests arriving meanwhile
    /// wait for that one instead of each assessing the whole map.
    rebuilding: tokio::sync::Mutex<()>,
    login_limiter: RateLimiter,
    complaint_limiter: RateLimiter,
    jobs: crate::jobs::Jobs,
    /// The witnesses whose cosignatures `POST /log/cosignature` accepts, and
    /// the quorum `GET /log/checkpoint.witnessed` needs (none until set).
    witnesses: std::sync::OnceLock<outbound_store::cosign::WitnessPolicy>,
    /// [`DataMap::content_sha256`] of the map (computed on first use).
    map_sha256: std::sync::OnceLock<String>,
    /// The databases `/scans` may scan (none until set).
    scan_sources: std::sync::OnceLock<Vec<crate::scan_sources::ScanSource>>,
}

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// The state of a server started with `config`.
    pub fn new(config: Config) -> AppState {
        AppState(Arc::new(Inner {
            map: config.map,
            store: config.store,
            keys: config.keys,
            as_of: config.as_of,
            secure_cookies: config.secure_cookies,
            snapshot: Mutex::new(None),
            rebuilding: tokio::sync::Mutex::new(()),
            checklists: std::sync::OnceLock::new(),
            // Ten sign-in attempts a minute per client address; complaints five.
            login_limiter: RateLimiter::new(10, std::time::Duration::from_secs(60)),
            complaint_limiter: RateLimiter::new(5, std::time::Duration::from_secs(60)),
            jobs: Default::default(),
            witnesses: std::sync::OnceLock::new(),
            map_sha256: std::sync::OnceLock::new(),
            scan_sources: std::sync::OnceLock::new(),
        }))
    }

    /// Sets the witnesses and quorum, once, before serving: `false` if they
    /// were already set (or read).
    pub fn set_witnesses(&self, policy: outbound_store::cosign::WitnessPolicy) -> bool {
        self.0.witnesses.set(policy).is_ok()
    }

    /// Sets the databases the dashboard may scan, once, before serving:
    /// `false` if they were already set (or read).
    pub fn set_scan_sources(&self, sources: Vec<crate::scan_sources::ScanSource>) -> bool {
        self.0.scan_sources.set(sources).is_ok()
    }

    /// The databases the dashboard may scan (none unless set).
    pub fn scan_sources(&self) -> &[crate::scan_sources::ScanSource] {
        self.0.scan_sources.get_or_init(Vec::new)
    }

    /// The witnesses and quorum (none and 0 unless set).
    pub fn witnesses(&self) -> &outbound_store::cosign::WitnessPolicy {
        self.0.witnesses.get_or_init(Default::default)
    }

    /// The data map.
    pub fn map(&self) -> &DataMap {
        &self.0.map
    }

    /// The map's content SHA-256, as each batch's audit entry records the
    /// map it was judged under and `outbound validate` prints it.
    pub fn map_sha256(&self) -> &str {
        self.0
            .map_sha256
            .get_or_init(|| self.0.map.content_sha256())
    }

    /// The obligations checklist of `recipient`, `None` if the map has no
    /// such recipient. One pass over the map per recipient, once.
    pub fn checklist(&self, recipient: &str) -> Option<&outbound_rules::recipient::Checklist> {
        self.0
            .checklists
            .get_or_init(|| {
                let map = &self.0.map;
                map.recipients
                    .iter()
                    .filter_map(|r| {
                        outbound_rules::recipient::checklist(map, &r.id).map(|c| (r.id.clone(), c))
                    })
                    .collect()
            })
            .get(recipient)
    }

    /// The date judged at: the configured one, else today.
    pub fn as_of(&self) -> Date {
        self.0.as_of.unwrap_or_else(|| jiff::Zoned::now().date())
    }

    /// Whether cookies carry `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.0.secure_cookies
    }

    /// The sign-in rate limiter.
    pub fn login_limiter(&self) -> &RateLimiter {
        &self.0.login_limiter
    }

    /// The public complaint channel's rate limiter.
    pub fn complaint_limiter(&self) -> &RateLimiter {
        &self.0.complaint_limiter
    }

    /// The background jobs (audit verification, scans).
    pub fn jobs(&self) -> &crate::jobs::Jobs {
        &self.0.jobs
    }

    /// Runs a store call on the blocking pool, where the store's own runtime
    /// may block; a panic there is a 500, not a dead worker.
    pub async fn store<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &Keys) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.0.clone();
        match tokio::task::spawn_blocking(move || f(&inner.store, &inner.keys)).await {
            Ok(r) => r.map_err(ApiError::from),
            Err(_) => Err(ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the request failed; see the server's log",
            )),
        }
    }

    /// The assessment and routes as of now: reused while the audit log has
    /// not grown and the date has not changed, rebuilt otherwise.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>, ApiError> {
        let as_of = self.as_of();
        let size = self.store(|s, _| s.audit_size()).await?;
        let current = || {
            self.0
                .snapshot
                .lock()
                .expect("not poisoned")
                .as_ref()
                .filter(|s| s.log_size >= size && s.as_of == as_of)
                .cloned()
        };
        if let Some(s) = current() {
            return Ok(s);
        }
        let _one_at_a_time = self.0.rebuilding.lock().await;
        if let Some(s) = current() {
            return Ok(s);
        }
        let inner = self.0.clone();
        let snap = tokio::task::spawn_blocking(move || -> Result<Snapshot, StoreError> {
            // The size is read again inside: a write between the two reads
            // makes this snapshot newer than `size`, never older.
            let log_size = inner.store.audit_size()?;
            let routes = inner.store.routes()?;
            let assessment =
                outbound_gate::ledger::assess_with_ledger(&inner.map, as_of, Some(&inner.store))?;
            Ok(Snapshot::new(log_size, as_of, assessment, routes))
        })
        .await
        .map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the assessment failed; see the server's log",
            )
        })??;
        let snap = Arc::new(snap);
        *self.0.snapshot.lock().expect("not poisoned") = Some(snap.clone());
        Ok(snap)
    }
}

//! A witness for Outbound's audit logs (and any C2SP `tlog-tiles` log with
//! Ed25519 checkpoints): it follows a list of logs, checks that each new
//! checkpoint is consistent with the last one it cosigned, cosigns it
//! (C2SP `tlog-cosignature` v1) and raises an alarm on a fork, a rollback or
//! a signature that does not verify.
//!
//! # Each poll of a log
//!
//! 1. `GET <url>/log/checkpoint`; the log's signature must verify with the
//!    configured key and the origin must be the configured one, else
//!    **`BAD_SIGNATURE`**.
//! 2. Against the last checkpoint cosigned for that origin (in the state
//!    directory): the same size and root is nothing new; a smaller size is a
//!    **`ROLLBACK`**; the same size with another root is a **`FORK`**.
//! 3. A larger size: the leaf hashes are read from the log's level-0 hash
//!    tiles (`/log/tile/0/…`), and both the old root (from the first
//!    old-size leaves) and the new root must come out of them, else
//!    **`FORK`** (the history was rewritten, or the tiles are not the
//!    checkpoint's tree). The first checkpoint seen is checked the same way
//!    against its own root.
//! 4. Then the witness cosigns, remembers the checkpoint (written
//!    atomically) and `POST`s the cosigned note to `<url>/log/cosignature`.
//!
//! An alarm never cosigns and never moves the remembered checkpoint; it is
//! appended as a JSON line to `<state>/alarms.jsonl`, and both checkpoints
//! are kept under `<state>/<origin hash>/evidence/`.
//!
//! # State directory (owner-only)
//!
//! - `witness.name`, `witness.key` (the Ed25519 seed in hex, 0600);
//! - `<origin hash>/checkpoint` (the log's note last cosigned) and
//!   `checkpoint.cosigned` (the same with the witness's line);
//! - `alarms.jsonl`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use outbound_store::c2sp::{Checkpoint, NoteError, TILE_WIDTH, Tile, TileKind};
use outbound_store::cosign::{Cosignature, Cosigner, split_note, with_lines};
use outbound_store::merkle::{self, HASH_LEN, Hash};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use outbound_client::BaseUrl;

/// What can stop the witness (not an alarm: a log that misbehaves raises
/// an alarm, this is the witness's own setup).
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// A file or directory of the state or the configuration.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was attempted.
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The configuration or the state is not usable.
    #[error("{0}")]
    Invalid(String),
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> WitnessError {
    let path = path.to_path_buf();
    move |source| WitnessError::Io {
        action,
        path,
        source,
    }
}

/// The witness's name and key.
pub struct Identity {
    /// The key name its cosignatures carry.
    pub name: String,
    key: SigningKey,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity {{ {} }}", self.verifier_key())
    }
}

impl Identity {
    /// The witness as verifiers know it.
    pub fn cosigner(&self) -> Cosigner {
        Cosigner::new(&self.name, self.key.verifying_key()).expect("a name checked at init")
    }

    /// Its verifier key, `<name>+<id>+<base64(0x04 ‖ key)>`, which a company
    /// passes to `outbound serve --witness`.
    pub fn verifier_key(&self) -> String {
        self.cosigner().verifier_key()
    }
}

const NAME_FILE: &str = "witness.name";
const KEY_FILE: &str = "witness.key";

/// Writes `bytes` to `path` atomically (a temporary file renamed over it),
/// readable by the owner only.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WitnessError> {
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&tmp).map_err(io("write", &tmp))?;
    f.write_all(bytes).map_err(io("write", &tmp))?;
    f.sync_all().map_err(io("write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io("replace", path))
}

fn create_private_dir(dir: &Path) -> Result<(), WitnessError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(io("create", dir))
}

/// Creates the witness's identity in `state` (a new Ed25519 key), or returns
/// the one there if it has the same name.
///
/// # Errors
///
/// A name a signed note cannot carry, another name already in `state`, or
/// a file that cannot be written.
pub fn init(state: &Path, name: &str) -> Result<Identity, WitnessError> {
    if !outbound_store::c2sp::valid_origin(name) {
        return Err(WitnessError::Invalid(
            "a witness name is printable ASCII with no space and no `+` (e.g. witness.example.org/w1)".into(),
        ));
    }
    if state.join(KEY_FILE).exists() {
        let id = load(state)?;
        if id.name != name {
            return Err(WitnessError::Invalid(format!(
                "{} already holds the witness `{}`",
                state.display(),
                id.name
            )));
        }
        return Ok(id);
    }
    create_private_dir(state)?;
    let key = outbound_store::signed_head::generate_signing_key()
        .map_err(|e| WitnessError::Invalid(format!("no key: {e}")))?;
    write_atomic(
        &state.join(KEY_FILE),
        hex::encode(key.to_bytes()).as_bytes(),
    )?;
    write_atomic(&state.join(NAME_FILE), name.as_bytes())?;
    Ok(Identity {
        name: name.into(),
        key,
    })
}

/// Loads the witness's identity from `state`.
///
/// # Errors
///
/// No witness there (run `outbound witness init`), or unreadable files.
pub fn load(state: &Path) -> Result<Identity, WitnessError> {
    let kp = state.join(KEY_FILE);
    if !kp.exists() {
        return Err(WitnessError::Invalid(format!(
            "no witness in {}: run `outbound witness init --state {} --name NAME`",
            state.display(),
            state.display()
        )));
    }
    let text = std::fs::read_to_string(&kp).map_err(io("read", &kp))?;
    let seed: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            WitnessError::Invalid(format!("{} is not a 32-byte hex key", kp.display()))
        })?;
    let np = state.join(NAME_FILE);
    let name = std::fs::read_to_string(&np).map_err(io("read", &np))?;
    let name = name.trim().to_string();
    if !outbound_store::c2sp::valid_origin(&name) {
        return Err(WitnessError::Invalid(format!(
            "{} is not a witness name",
            np.display()
        )));
    }
    Ok(Identity {
        name,
        key: SigningKey::from_bytes(&seed),
    })
}

/// The logs a witness follows (a TOML file of `[[log]]` tables).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The logs.
    #[serde(rename = "log", default)]
    pub logs: Vec<LogConfig>,
}

/// One log: its origin, where it is served, and its note verifier key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// The checkpoint's origin line (also the key's name).
    pub origin: String,
    /// The base URL, `http://host[:port][/prefix]`, under which `/log/…` is served.
    pub url: String,
    /// The log's note verifier key, `<origin>+<hex id>+<base64>`.
    pub key: String,
}

impl Config {
    /// Parses and checks a configuration.
    ///
    /// # Errors
    ///
    /// Bad TOML, a URL that is not `http://`, a key whose name is not the
    /// origin, or an origin listed twice.
    pub fn parse(text: &str) -> Result<Config, WitnessError> {
        let c: Config = toml::from_str(text)
            .map_err(|e| WitnessError::Invalid(format!("the witness configuration: {e}")))?;
        for (i, l) in c.logs.iter().enumerate() {
            let which = format!("log {} (`{}`)", i + 1, l.origin);
            BaseUrl::parse(&l.url).map_err(|e| WitnessError::Invalid(format!("{which}: {e}")))?;
            if l.key.split('+').next() != Some(l.origin.as_str()) {
                return Err(WitnessError::Invalid(format!(
                    "{which}: the key's name is not the origin"
                )));
            }
            if c.logs[..i].iter().any(|o| o.origin == l.origin) {
                return Err(WitnessError::Invalid(format!("{which}: listed twice")));
            }
        }
        Ok(c)
    }

    /// Reads and parses a configuration file.
    ///
    /// # Errors
    ///
    /// As [`Config::parse`], or an unreadable file.
    pub fn load(path: &Path) -> Result<Config, WitnessError> {
        Config::parse(&std::fs::read_to_string(path).map_err(io("read", path))?)
    }
}

/// The kinds of alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmKind {
    /// Two views of the log that cannot both be true: the same size with
    /// two roots, or a newer tree that does not extend the one cosigned.
    Fork,
    /// The log shows fewer entries than the witness already cosigned.
    Rollback,
    /// The checkpoint is not signed by the log's key, or names another origin.
    BadSignature,
}

/// An alarm, as written to `alarms.jsonl`. Names no data: origins, sizes,
/// roots and file paths.
#[derive(Debug, Clone, Serialize)]
pub struct Alarm {
    /// When it was raised (RFC 3339, UTC).
    pub at: String,
    /// What kind.
    pub alarm: AlarmKind,
    /// The log's origin.
    pub origin: String,
    /// Where the checkpoint was read.
    pub url: String,
    /// What was found.
    pub detail: String,
    /// Files kept as evidence (the checkpoint cosigned, the one served).
    pub evidence: Vec<String>,
}

/// What one poll of one log came to.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A new checkpoint, consistent with the last one, cosigned.
    Cosigned {
        /// The log.
        origin: String,
        /// The new size.
        size: u64,
        /// The size cosigned before (none the first time).
        previous: Option<u64>,
        /// Whether the log accepted the cosignature (`POST /log/cosignature`).
        delivered: bool,
        /// Why not, when it did not.
        #[serde(skip_serializing_if = "Option::is_none")]
        delivery_error: Option<String>,
    },
    /// The same checkpoint as last time.
    Unchanged {
        /// The log.
        origin: String,
        /// Its size.
        size: u64,
    },
    /// An alarm (see [`Alarm`]).
    Alarm(Alarm),
    /// The log could not be checked this time (unreachable, a tile missing
    /// because it grew meanwhile): no cosignature, no alarm; tried again at
    /// the next poll.
    Error {
        /// The log.
        origin: String,
        /// What went wrong.
        message: String,
    },
}

impl Event {
    /// Whether this is an alarm.
    pub fn is_alarm(&self) -> bool {
        matches!(self, Event::Alarm(_))
    }
}

/// The directory name of a log's state: the SHA-256 of its origin, in hex.
pub fn origin_dir(origin: &str) -> String {
    hex::encode(Sha256::digest(origin.as_bytes()))
}

/// A witness at work: its identity and state directory.
#[derive(Debug)]
pub struct Witness {
    identity: Identity,
    state: PathBuf,
}

enum Check {
    /// An alarm: its kind, what was found, and the note served (evidence).
    Alarm(AlarmKind, String, Option<String>),
    Error(String),
}

fn now() -> (String, u64) {
    let t = jiff::Timestamp::now();
    (t.to_string(), t.as_second().max(0) as u64)
}

impl Witness {
    /// The witness whose identity is in `state`.
    ///
    /// # Errors
    ///
    /// As [`load`].
    pub fn open(state: &Path) -> Result<Witness, WitnessError> {
        Ok(Witness {
            identity: load(state)?,
            state: state.to_path_buf(),
        })
    }

    /// Its identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The directory of a log's state.
    pub fn log_dir(&self, origin: &str) -> PathBuf {
        self.state.join(origin_dir(origin))
    }

    /// The last checkpoint cosigned for `origin`, as the log signed it.
    ///
    /// # Errors
    ///
    /// An unreadable file.
    pub fn last_cosigned(&self, origin: &str) -> Result<Option<String>, WitnessError> {
        let p = self.log_dir(origin).join("checkpoint");
        match std::fs::read_to_string(&p) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("read", &p)(e)),
        }
    }

    /// Polls every log of `config`, one after the other.
    pub async fn poll_all(&self, config: &Config) -> Vec<Event> {
        let mut out = Vec::with_capacity(config.logs.len());
        for log in &config.logs {
            out.push(self.poll(log).await);
        }
        out
    }

    /// Polls one log (see the module documentation); an alarm is recorded
    /// before it is returned.
    pub async fn poll(&self, log: &LogConfig) -> Event {
        match self.poll_inner(log).await {
            Ok(e) => e,
            Err(Check::Error(message)) => Event::Error {
                origin: log.origin.clone(),
                message,
            },
            Err(Check::Alarm(kind, detail, served)) => {
                match self.raise(log, kind, detail, served.as_deref()) {
                    Ok(a) => Event::Alarm(a),
                    Err(e) => Event::Error {
                        origin: log.origin.clone(),
                        message: format!("an alarm could not be recorded: {e}"),
                    },
                }
            }
        }
    }

    async fn poll_inner(&self, log: &LogConfig) -> Result<Event, Check> {
        let base = BaseUrl::parse(&log.url).map_err(Check::Error)?;
        let (status, bytes) = base.get("log/checkpoint").await.map_err(Check::Error)?;
        if status != 200 {
            return Err(Check::Error(format!(
                "GET /log/checkpoint answered {status}"
            )));
        }
        let served = String::from_utf8(bytes).map_err(|_| {
            Check::Alarm(
                AlarmKind::BadSignature,
                "the checkpoint is not UTF-8 text".into(),
                None,
            )
        })?;
        let cp = match Checkpoint::open(&served, &log.key) {
            Ok(cp) => cp,
            Err(NoteError::BadVerifierKey(why)) => {
                return Err(Check::Error(format!("the configured key: {why}")));
            }
            Err(e) => {
                return Err(Check::Alarm(
                    AlarmKind::BadSignature,
                    e.to_string(),
                    Some(served),
                ));
            }
        };
        if cp.origin != log.origin {
            return Err(Check::Alarm(
                AlarmKind::BadSignature,
                format!("the checkpoint names the origin `{}`", cp.origin),
                Some(served),
            ));
        }
        let last = self
            .last_cosigned(&log.origin)
            .map_err(|e| Check::Error(e.to_string()))?;
        let old = match &last {
            Some(text) => Some(Checkpoint::open(text, &log.key).map_err(|e| {
                Check::Error(format!(
                    "the remembered checkpoint does not open with the configured key: {e}"
                ))
            })?),
            None => None,
        };
        if let Some(old) = &old {
            if cp.size < old.size {
                return Err(Check::Alarm(
                    AlarmKind::Rollback,
                    format!(
                        "the log shows {} entries; {} were cosigned",
                        cp.size, old.size
                    ),
                    Some(served),
                ));
            }
            if cp.size == old.size {
                if cp.root == old.root {
                    return Ok(Event::Unchanged {
                        origin: log.origin.clone(),
                        size: cp.size,
                    });
                }
                return Err(Check::Alarm(
                    AlarmKind::Fork,
                    format!("two roots for size {}", cp.size),
                    Some(served),
                ));
            }
        }
        // Consistency, from the leaf hashes in the level-0 tiles.
        let leaves = self.leaves(&base, cp.size).await?;
        if let Some(old) = &old
            && merkle::root(&leaves[..old.size as usize]) != old.root
        {
            return Err(Check::Alarm(
                AlarmKind::Fork,
                format!(
                    "the first {} entries no longer have the root cosigned: the history was rewritten",
                    old.size
                ),
                Some(served),
            ));
        }
        if merkle::root(&leaves) != cp.root {
            return Err(Check::Alarm(
                AlarmKind::Fork,
                format!(
                    "the tiles do not give the root of the checkpoint of size {}",
                    cp.size
                ),
                Some(served),
            ));
        }
        // Cosign: the log's own signature line and ours.
        let (body, lines) = split_note(&served).map_err(|e| Check::Error(e.to_string()))?;
        let log_line = lines
            .iter()
            .find(|l| l.starts_with(&format!("\u{2014} {} ", log.origin)))
            .ok_or_else(|| Check::Error("the checkpoint has no line of the log".into()))?;
        let note = format!("{body}\n{log_line}\n");
        let (_, secs) = now();
        let sig = Cosignature::sign(&self.identity.name, &self.identity.key, body, secs)
            .map_err(|e| Check::Error(e.to_string()))?;
        let cosigned = with_lines(&note, &[sig.line()]);
        let dir = self.log_dir(&log.origin);
        create_private_dir(&dir).map_err(|e| Check::Error(e.to_string()))?;
        write_atomic(&dir.join("checkpoint.cosigned"), cosigned.as_bytes())
            .and_then(|()| write_atomic(&dir.join("checkpoint"), note.as_bytes()))
            .map_err(|e| Check::Error(e.to_string()))?;
        let delivery_error = match base.post("log/cosignature", cosigned).await {
            Ok((200, _)) => None,
            Ok((status, body)) => Some(format!(
                "POST /log/cosignature answered {status}: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            )),
            Err(e) => Some(e),
        };
        Ok(Event::Cosigned {
            origin: log.origin.clone(),
            size: cp.size,
            previous: old.map(|o| o.size),
            delivered: delivery_error.is_none(),
            delivery_error,
        })
    }

    /// The first `size` leaf hashes, from the level-0 tiles of a tree of `size`.
    async fn leaves(&self, base: &BaseUrl, size: u64) -> Result<Vec<Hash>, Check> {
        let mut out = Vec::with_capacity(size as usize);
        let mut n = 0;
        while (out.len() as u64) < size {
            let width = (size - n * TILE_WIDTH).min(TILE_WIDTH);
            let tile = Tile {
                kind: TileKind::Hashes(0),
                n,
                partial: (width < TILE_WIDTH).then_some(width as u8),
            };
            let path = format!("log/{}", tile.path());
            let (status, bytes) = base.get(&path).await.map_err(Check::Error)?;
            if status != 200 {
                return Err(Check::Error(format!(
                    "GET /{path} answered {status} (the log may have grown meanwhile; tried again next time)"
                )));
            }
            if bytes.len() as u64 != width * HASH_LEN as u64 {
                return Err(Check::Alarm(
                    AlarmKind::Fork,
                    format!(
                        "the tile /{path} has {} bytes, not {}",
                        bytes.len(),
                        width * HASH_LEN as u64
                    ),
                    None,
                ));
            }
            out.extend(
                bytes
                    .chunks(HASH_LEN)
                    .map(|c| Hash::try_from(c).expect("32 bytes")),
            );
            n += 1;
        }
        Ok(out)
    }

    /// Records an alarm: evidence files, a line in `alarms.jsonl`.
    fn raise(
        &self,
        log: &LogConfig,
        kind: AlarmKind,
        detail: String,
        served: Option<&str>,
    ) -> Result<Alarm, WitnessError> {
        let (at, secs) = now();
        let dir = self.log_dir(&log.origin).join("evidence");
        create_private_dir(&dir)?;
        let tag = format!("{kind:?}").to_lowercase();
        let mut evidence = Vec::new();
        if let Some(last) = self.last_cosigned(&log.origin)? {
            let p = dir.join(format!("{secs}-{tag}-cosigned.txt"));
            write_atomic(&p, last.as_bytes())?;
            evidence.push(p.display().to_string());
        }
        if let Some(served) = served {
            let p = dir.join(format!("{secs}-{tag}-served.txt"));
            write_atomic(&p, served.as_bytes())?;
            evidence.push(p.display().to_string());
        }
        let alarm = Alarm {
            at,
            alarm: kind,
            origin: log.origin.clone(),
            url: log.url.clone(),
            detail,
            evidence,
        };
        let p = self.state.join("alarms.jsonl");
        let mut opts = std::fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&p).map_err(io("write", &p))?;
        let line = serde_json::to_string(&alarm).expect("an alarm serialises");
        writeln!(f, "{line}").map_err(io("write", &p))?;
        Ok(alarm)
    }
}

/// Runs the witness over the logs of `config`: one poll of each log, then,
/// unless `once`, again every `interval` until the process is stopped.
/// `on_event` sees every event (alarms are already recorded). Returns
/// whether any alarm was raised.
///
/// # Errors
///
/// No witness in `state`, or a runtime that cannot start.
pub fn run(
    state: &Path,
    config: &Config,
    once: bool,
    interval: std::time::Duration,
    mut on_event: impl FnMut(&Event),
) -> Result<bool, WitnessError> {
    let witness = Witness::open(state)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(io("start a runtime for", state))?;
    let mut alarmed = false;
    rt.block_on(async {
        loop {
            for e in witness.poll_all(config).await {
                alarmed |= e.is_alarm();
                on_event(&e);
            }
            if once {
                break;
            }
            tokio::time::sleep(interval).await;
        }
    });
    Ok(alarmed)
}

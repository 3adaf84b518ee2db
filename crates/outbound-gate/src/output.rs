//! The output's crash safety and exclusivity.
//!
//! A batch's output is written to a partial file of its own,
//! `OUTPUT.<store tag>-<random>.outbound-partial`, created exclusively and
//! owner-only, and locked while its gate lives. Before writing, the gate also
//! claims `OUTPUT` itself with a placeholder, so two gates can never record
//! batches for one output: the placeholder is written whole beside it
//! (`OUTPUT.<stamp>.outbound-claim`) and hard-linked into place, which
//! fails if `OUTPUT` exists, so it appears whole or not at all (where the
//! file system has no hard links it is created exclusively and then
//! written). The partial file is fsynced
//! before the ledger transaction and renamed over the placeholder only after
//! the commit. The next run ([`recover`]) finishes every committed batch whose
//! gate was killed before the rename, and removes every other partial file
//! whose gate is gone, with its placeholder. Standard output is staged the
//! same way in the temporary directory and copied out only after the commit.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use outbound_store::{Keys, Store};
use sha2::Digest;

use crate::{GateError, Io};

const SUFFIX: &str = ".outbound-partial";
/// The placeholder's text before it is linked into place.
const CLAIM_SUFFIX: &str = ".outbound-claim";
/// The base name of standard output's staging files in the temporary directory.
const STDOUT_BASE: &str = "outbound-gate-stdout";

/// Finishes the outputs of batches committed by a gate that was killed before
/// renaming them, and removes every partial file this store's gates left
/// behind when they died before their commit. `here` is the output about to
/// be written; its directory is searched too. Returns the outputs finished.
pub fn recover(store: &Store, keys: &Keys, here: Option<&Path>) -> Result<Vec<String>, GateError> {
    let tag = store_tag(keys);
    let mut pending: HashMap<(PathBuf, OsString), (u64, String)> = HashMap::new();
    for (id, output, sha) in store.pending_outputs()? {
        let out = PathBuf::from(&output);
        if out.exists() && file_sha256(&out).as_deref() == Some(sha.as_str()) {
            // Killed after the rename, before the ledger heard of it.
            store.mark_output_done(id)?;
        } else if let Some(key) = dir_and_name(&out) {
            pending.insert(key, (id, sha));
        }
    }
    // Partial files sit next to their outputs: search every directory the ledger has written to.
    let mut dirs: BTreeSet<PathBuf> = store
        .batches()?
        .iter()
        .filter_map(|b| b.output.as_deref())
        .filter_map(|o| dir_and_name(Path::new(o)).map(|(d, _)| d))
        .collect();
    dirs.extend(here.and_then(dir_and_name).map(|(d, _)| d));
    dirs.extend(dir_and_name(&std::env::temp_dir().join(STDOUT_BASE)).map(|(d, _)| d));
    let mut done = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if let Some(partial) = claims_partial(&name, &tag) {
                // A placeholder written beside its output by a gate killed
                // before it removed it: its gate is gone when its partial
                // file is, or is no longer locked.
                let partial = dir.join(partial);
                if !partial.exists() || lock_if_orphaned(&partial).is_some() {
                    remove(&dir.join(&name));
                }
                continue;
            }
            let Some(found) = Found::parse(&name, &tag) else {
                continue;
            };
            let partial = dir.join(&name);
            // A live gate holds its lock: leave its file alone.
            let Some(_lock) = lock_if_orphaned(&partial) else {
                continue;
            };
            let out = dir.join(&found.base);
            let claim = found.stamp.as_deref().map(placeholder);
            match pending.get(&(dir.clone(), found.base.clone())) {
                Some((id, sha)) if file_sha256(&partial).as_deref() == Some(sha.as_str()) => {
                    let free = match &claim {
                        Some(c) => holds(&out, c) || !out.exists(),
                        None => !out.exists(),
                    };
                    if !free {
                        // Another file took the place: keep the recorded output for a person to resolve.
                        continue;
                    }
                    std::fs::rename(&partial, &out).map_err(|e| {
                        GateError::Output(format!(
                            "cannot move {} into place: {e}",
                            partial.display()
                        ))
                    })?;
                    sync_parent(&out);
                    store.mark_output_done(*id)?;
                    done.push(out.display().to_string());
                }
                _ => {
                    // Its batch was never recorded: nothing of it may stay on
                    // disk, its placeholder included, whole or begun.
                    if let Some(c) = &claim
                        && holds_or_began(&out, c)
                    {
                        remove(&out);
                    }
                    remove(&partial);
                }
            }
        }
    }
    Ok(done)
}

/// A partial file found on disk: the output it belongs to and, for this
/// version's files, its stamp (store tag and random part).
struct Found {
    base: OsString,
    stamp: Option<String>,
}

impl Found {
    /// This store's partial files (`BASE.<tag>-<random>.outbound-partial`), and
    /// the unstamped `BASE.outbound-partial` of earlier versions.
    fn parse(name: &OsString, tag: &str) -> Option<Found> {
        let name = name.to_str()?;
        let stem = name.strip_suffix(SUFFIX)?;
        match stem.rsplit_once('.') {
            Some((base, stamp)) if is_stamp(stamp) => {
                (stamp.split_once('-').map(|(t, _)| t) == Some(tag)).then(|| Found {
                    base: base.into(),
                    stamp: Some(stamp.to_string()),
                })
            }
            _ if !stem.is_empty() => Some(Found {
                base: stem.into(),
                stamp: None,
            }),
            _ => None,
        }
    }
}

/// For this store's placeholder written beside its output
/// (`BASE.<stamp>.outbound-claim`), the name of its batch's partial file.
fn claims_partial(name: &OsString, tag: &str) -> Option<String> {
    let stem = name.to_str()?.strip_suffix(CLAIM_SUFFIX)?;
    let (_, stamp) = stem.rsplit_once('.')?;
    (is_stamp(stamp) && stamp.split_once('-').map(|(t, _)| t) == Some(tag))
        .then(|| format!("{stem}{SUFFIX}"))
}

fn is_stamp(s: &str) -> bool {
    s.split_once('-').is_some_and(|(t, r)| {
        t.len() == 12 && r.len() == 24 && t.bytes().chain(r.bytes()).all(|b| b.is_ascii_hexdigit())
    })
}

/// Which store's gate wrote a partial file: keyed, so it reveals nothing.
fn store_tag(keys: &Keys) -> String {
    hex::encode(&keys.subject_hash(b"outbound-gate-partial-owner")[..6])
}

/// The directory (canonical, so that two spellings of one directory meet) and the
/// file name of a path.
fn dir_and_name(p: &Path) -> Option<(PathBuf, OsString)> {
    let name = p.file_name()?.to_owned();
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Some((std::fs::canonicalize(&dir).unwrap_or(dir), name))
}

/// What a placeholder holds: which batch in progress claimed the output.
fn placeholder(stamp: &str) -> String {
    format!("outbound gate: this output is claimed by a batch in progress ({stamp})\n")
}

/// Whether `out` is the placeholder `claim`.
fn holds(out: &Path, claim: &str) -> bool {
    placeholder_text(out, claim).is_some_and(|b| b == claim.as_bytes())
}

/// Whether `out` is the placeholder `claim` or the start of it: a gate
/// killed between creating its placeholder and writing it leaves the file
/// empty or cut short.
fn holds_or_began(out: &Path, claim: &str) -> bool {
    placeholder_text(out, claim).is_some_and(|b| claim.as_bytes().starts_with(&b))
}

/// The first bytes of `out`, one more than `claim` holds.
fn placeholder_text(out: &Path, claim: &str) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    File::open(out)
        .and_then(|f| f.take(claim.len() as u64 + 1).read_to_end(&mut buf))
        .ok()?;
    Some(buf)
}

fn file_sha256(p: &Path) -> Option<String> {
    let mut f = File::open(p).ok()?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Some(hex::encode(h.finalize()))
}

fn sync_parent(p: &Path) {
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
}

fn remove(p: &Path) {
    let _ = std::fs::remove_file(p);
}

/// Opens a new file exclusively (never through a planted link), owner-only.
fn create_private(p: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(p)
}

/// Takes the gate's lock on its own partial file; fails if the lock is held.
#[cfg(unix)]
fn try_lock(f: &File) -> bool {
    rustix::fs::flock(f, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_ok()
}

/// Without advisory locks every partial file is taken for a live gate's.
#[cfg(not(unix))]
fn try_lock(_: &File) -> bool {
    false
}

/// Whether `path` is still the file `f` (another run's recovery may have removed it
/// between its creation and its lock).
#[cfg(unix)]
fn still_at(f: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (f.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_at(_: &File, path: &Path) -> bool {
    path.exists()
}

/// The lock of a partial file whose gate is gone; `None` while its gate lives.
fn lock_if_orphaned(p: &Path) -> Option<File> {
    let f = File::open(p).ok()?;
    try_lock(&f).then_some(f)
}

fn random_hex() -> Result<String, GateError> {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b)
        .map_err(|e| GateError::Output(format!("no randomness for a partial file's name: {e}")))?;
    Ok(hex::encode(b))
}

/// Where a placeholder is written before it is linked into place.
fn claim_path(out: &Path, stamp: &str) -> PathBuf {
    let mut p = out.as_os_str().to_owned();
    p.push(format!(".{stamp}{CLAIM_SUFFIX}"));
    PathBuf::from(p)
}

/// Claims `out` with the placeholder `text`: written whole and synced
/// beside it, then hard-linked to `out` (refused when `out` exists), so
/// the placeholder is never seen begun; where hard links fail for another
/// reason (a file system without them), `out` is created exclusively and
/// written, and recovery knows a placeholder cut short. Records the claim
/// in `claim` as soon as `out` may hold it.
fn claim_whole(out: &Path, stamp: &str, text: &str, claim: &mut Claim) -> Result<(), GateError> {
    let beside = claim_path(out, stamp);
    let written = create_private(&beside).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    // `None`: the text could not be written beside; the link not tried.
    let linked = match written {
        Ok(()) => std::fs::hard_link(&beside, out).map_err(Some),
        Err(_) => Err(None),
    };
    remove(&beside);
    match linked {
        Ok(()) => {
            claim.reserved = Some((out.to_path_buf(), text.to_string()));
            Ok(())
        }
        Err(Some(e)) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists(out)),
        Err(_) => {
            let mut f = create_private(out).map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => exists(out),
                _ => GateError::Output(format!("cannot create {}: {e}", out.display())),
            })?;
            claim.reserved = Some((out.to_path_buf(), text.to_string()));
            f.write_all(text.as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| GateError::Output(format!("cannot write {}: {e}", out.display())))
        }
    }
}

/// A batch's claim on the disk: its partial file and the placeholder holding
/// its output's name. Dropped unsettled (the batch was refused, or failed
/// before its commit), it removes both.
struct Claim {
    partial: PathBuf,
    /// The output and the placeholder's text, while the placeholder holds it.
    reserved: Option<(PathBuf, String)>,
    settled: bool,
}

impl Claim {
    fn release(&mut self) {
        // The placeholder first: it never outlives its partial file, which
        // recovery finds. Begun and not written (a write that failed) too.
        if let Some((out, text)) = self.reserved.take()
            && holds_or_began(&out, &text)
        {
            remove(&out);
        }
        remove(&self.partial);
        self.settled = true;
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.settled {
            self.release();
        }
    }
}

/// An output being written to its partial file, hashed and counted on the way.
pub(crate) struct Partial {
    /// Where it goes once committed; `None` for standard output.
    target: Option<PathBuf>,
    claim: Claim,
    inner: BufWriter<File>,
    hash: sha2::Sha256,
    bytes: u64,
}

impl Partial {
    /// Creates the batch's own partial file (next to the output, or in the
    /// temporary directory for standard output) and claims the output's name.
    /// Refuses an output that exists: the gate never overwrites one.
    pub(crate) fn create(output: &Io, keys: &Keys) -> Result<Partial, GateError> {
        // The ledger records where the output is; a relative path would mean another place tomorrow.
        let target =
            match output {
                Io::Path(p) => Some(std::path::absolute(p).map_err(|e| {
                    GateError::Output(format!("cannot resolve {}: {e}", p.display()))
                })?),
                Io::Std => None,
            };
        if let Some(p) = &target
            && p.exists()
        {
            return Err(exists(p));
        }
        let tag = store_tag(keys);
        // Another run's recovery may take a file between its creation and its lock: try again.
        let mut made = None;
        for _ in 0..8 {
            let stamp = format!("{tag}-{}", random_hex()?);
            let mut path = match &target {
                Some(p) => p.as_os_str().to_owned(),
                None => std::env::temp_dir().join(STDOUT_BASE).into_os_string(),
            };
            path.push(format!(".{stamp}{SUFFIX}"));
            let path = PathBuf::from(path);
            let file = create_private(&path)
                .map_err(|e| GateError::Output(format!("cannot create {}: {e}", path.display())))?;
            if (try_lock(&file) || cfg!(not(unix))) && still_at(&file, &path) {
                made = Some((file, path, stamp));
                break;
            }
            if still_at(&file, &path) {
                remove(&path);
            }
        }
        let Some((file, path, stamp)) = made else {
            return Err(GateError::Output(
                "cannot create and lock a partial file for the output".into(),
            ));
        };
        let mut claim = Claim {
            partial: path,
            reserved: None,
            settled: false,
        };
        if let Some(p) = &target {
            let text = placeholder(&stamp);
            claim_whole(p, &stamp, &text, &mut claim)?;
            sync_parent(p);
        }
        Ok(Partial {
            target,
            claim,
            inner: BufWriter::new(file),
            hash: sha2::Sha256::new(),
            bytes: 0,
        })
    }

    /// Flushes and fsyncs the partial file, so that a committed batch's output survives a crash.
    pub(crate) fn finish(self) -> Result<Written, GateError> {
        let Partial {
            target,
            claim,
            inner,
            hash,
            bytes,
        } = self;
        let file = inner
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all().map(|_| f))
            .map_err(|e| {
                GateError::Output(format!("cannot write {}: {e}", claim.partial.display()))
            })?;
        Ok(Written {
            sha256: hex::encode(hash.finalize()),
            bytes,
            target,
            claim,
            _lock: file,
        })
    }
}

/// The output stream: the partial file, written through gzip when the
/// output's name ends in `.gz` (whatever the input was), else plain. The
/// SHA-256 and byte count the ledger records are those of the file as
/// written, compressed or not, so recovery finds it by them.
// One sink per gate run, moved only when it is made: boxing the larger
// variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Sink {
    /// Plain text.
    Plain(Partial),
    /// Gzip, level 1: the gate is in a data path, and level 1 keeps it there
    /// at a few percent more bytes than the default level.
    Gzip(flate2::write::GzEncoder<Partial>),
}

impl Sink {
    /// Writes to `partial`, through gzip when `output` names a `.gz` file.
    pub(crate) fn new(partial: Partial, output: &Io) -> Sink {
        if gzip_output(output) {
            Sink::Gzip(flate2::write::GzEncoder::new(
                partial,
                flate2::Compression::fast(),
            ))
        } else {
            Sink::Plain(partial)
        }
    }

    /// `gzip` when the output is compressed.
    pub(crate) fn compression(&self) -> Option<&'static str> {
        match self {
            Sink::Plain(_) => None,
            Sink::Gzip(_) => Some("gzip"),
        }
    }

    /// Ends the gzip stream (if any), then flushes and fsyncs the partial file.
    pub(crate) fn finish(self) -> Result<Written, GateError> {
        match self {
            Sink::Plain(p) => p.finish(),
            Sink::Gzip(g) => g
                .finish()
                .map_err(|e| GateError::Output(format!("cannot write the output: {e}")))?
                .finish(),
        }
    }

    /// Removes what was written.
    pub(crate) fn discard(self) {
        drop(self);
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(p) => p.write(buf),
            Sink::Gzip(g) => g.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(p) => p.flush(),
            Sink::Gzip(g) => g.flush(),
        }
    }
}

/// Whether the output is a file whose name ends in `.gz`.
fn gzip_output(output: &Io) -> bool {
    matches!(output, Io::Path(p) if p
        .file_name()
        .is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().ends_with(".gz")))
}

fn exists(p: &Path) -> GateError {
    GateError::Output(format!(
        "{} exists (or another gate is writing it); the gate never overwrites an output",
        p.display()
    ))
}

impl Write for Partial {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes = self
            .bytes
            .checked_add(n as u64)
            .ok_or_else(|| std::io::Error::other("the output's byte count overflows"))?;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A partial output on disk, waiting for the ledger's decision.
pub(crate) struct Written {
    /// SHA-256 of its bytes, hex.
    pub(crate) sha256: String,
    /// Its size.
    pub(crate) bytes: u64,
    target: Option<PathBuf>,
    claim: Claim,
    /// The open partial file, whose lock tells recovery that its gate lives.
    _lock: File,
}

impl Written {
    /// Where it goes once committed, as recorded in the ledger; `None` for standard output.
    pub(crate) fn target(&self) -> Option<String> {
        self.target.as_ref().map(|p| p.display().to_string())
    }

    /// Removes it: the batch was refused.
    pub(crate) fn discard(self) {
        drop(self);
    }

    /// Moves it into place after batch `batch` was committed (or copies it to
    /// standard output) and marks the batch's output done. Returns where it went.
    pub(crate) fn place(mut self, store: &Store, batch: u64) -> Result<String, GateError> {
        let partial = self.claim.partial.clone();
        match self.target.clone() {
            Some(p) => {
                // From here on the partial file is a committed batch's output: never removed.
                self.claim.settled = true;
                let ours = self
                    .claim
                    .reserved
                    .as_ref()
                    .is_some_and(|(out, text)| holds(out, text));
                if !ours {
                    return Err(GateError::Delivery {
                        batch,
                        message: format!(
                            "{} no longer holds this batch's claim, so it is not replaced; the output waits at {}",
                            p.display(),
                            partial.display()
                        ),
                    });
                }
                std::fs::rename(&partial, &p).map_err(|e| GateError::Delivery {
                    batch,
                    message: format!(
                        "its output could not be moved into place ({e}); run the gate again to finish"
                    ),
                })?;
                sync_parent(&p);
                store
                    .mark_output_done(batch)
                    .map_err(|e| GateError::Delivery {
                        batch,
                        message: format!(
                            "its output is in place but the ledger could not note it ({e}); the next run does"
                        ),
                    })?;
                Ok(p.display().to_string())
            }
            None => {
                let total = self.bytes;
                let mut sent = 0u64;
                let copied = File::open(&partial).and_then(|mut f| {
                    let mut out = std::io::stdout().lock();
                    let mut buf = vec![0u8; 1 << 16];
                    loop {
                        let n = f.read(&mut buf)?;
                        if n == 0 {
                            break;
                        }
                        out.write_all(&buf[..n])?;
                        sent += n as u64;
                    }
                    out.flush()
                });
                // Standard output is not kept for a later run: the staging file goes either way.
                drop(self);
                copied.map_err(|e| GateError::Delivery {
                    batch,
                    message: match e.kind() {
                        std::io::ErrorKind::BrokenPipe => format!(
                            "the reader closed standard output after at most {sent} of {total} bytes"
                        ),
                        _ => format!(
                            "standard output failed after at most {sent} of {total} bytes: {e}"
                        ),
                    },
                })?;
                Ok("-".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> (tempfile::TempDir, Keys) {
        let d = tempfile::tempdir().unwrap();
        let k = Keys::create(&d.path().join("keys")).unwrap();
        (d, k)
    }

    #[test]
    fn a_second_partial_for_one_output_is_refused() {
        let (d, keys) = keys();
        let out = Io::Path(d.path().join("out.csv"));
        let mut a = Partial::create(&out, &keys).unwrap();
        a.write_all(b"a\n").unwrap();
        assert!(Partial::create(&out, &keys).is_err());
        drop(a);
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            1,
            "only the keys"
        );
    }

    /// A gate killed after creating its placeholder and before writing it
    /// (or midway) left the output empty or cut short, and its partial file:
    /// recovery removes both, as it removes a whole placeholder; a file that
    /// is not the start of the claim stays.
    #[test]
    fn a_placeholder_begun_and_not_written_is_removed_with_its_partial() {
        let (d, keys) = keys();
        let store = Store::open(&d.path().join("store.db").display().to_string()).unwrap();
        let stamp = format!("{}-{}", store_tag(&keys), random_hex().unwrap());
        let text = placeholder(&stamp);
        for (left, removed) in [
            (&b""[..], true),
            (&text.as_bytes()[..20], true),
            (text.as_bytes(), true),
            (&b"customer_id\n"[..], false),
        ] {
            let out = d.path().join("out.csv");
            let partial = d.path().join(format!("out.csv.{stamp}{SUFFIX}"));
            std::fs::write(&partial, b"customer_id\nC1\n").unwrap();
            std::fs::write(&out, left).unwrap();
            recover(&store, &keys, Some(&out)).unwrap();
            assert!(!partial.exists());
            assert_eq!(
                !out.exists(),
                removed,
                "{:?}",
                String::from_utf8_lossy(left)
            );
            remove(&out);
        }
    }

    /// The placeholder is linked into place whole: after a claim the output
    /// holds the whole text and nothing is left beside it. A placeholder a
    /// killed gate left beside its output is removed by recovery once its
    /// gate is gone, and kept while it lives.
    #[test]
    fn the_placeholder_appears_whole_and_nothing_is_left_beside_it() {
        let (d, keys) = keys();
        let out = d.path().join("out.csv");
        let a = Partial::create(&Io::Path(out.clone()), &keys).unwrap();
        let (held, text) = a.claim.reserved.clone().unwrap();
        assert_eq!(held, std::path::absolute(&out).unwrap());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
        let names = || -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(d.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert!(
            !names().iter().any(|n| n.ends_with(CLAIM_SUFFIX)),
            "{:?}",
            names()
        );

        let store = Store::open(&d.path().join("store.db").display().to_string()).unwrap();
        // Beside the live gate's output: kept.
        let stamp = |p: &Path| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.strip_suffix(SUFFIX)
                .unwrap()
                .rsplit_once('.')
                .unwrap()
                .1
                .to_string()
        };
        let live = claim_path(&out, &stamp(&a.claim.partial));
        std::fs::write(&live, &text).unwrap();
        // A gone gate's, its partial removed or unlocked: removed.
        let gone = format!("{}-{}", store_tag(&keys), random_hex().unwrap());
        let orphan = claim_path(&d.path().join("other.csv"), &gone);
        std::fs::write(&orphan, placeholder(&gone)).unwrap();
        let unlocked = format!("{}-{}", store_tag(&keys), random_hex().unwrap());
        let third = d.path().join("third.csv");
        let beside = claim_path(&third, &unlocked);
        std::fs::write(&beside, placeholder(&unlocked)).unwrap();
        let mut p = third.into_os_string();
        p.push(format!(".{unlocked}{SUFFIX}"));
        std::fs::write(&p, b"").unwrap();
        // Another store's: not this recovery's to judge.
        let foreign = claim_path(&out, &format!("{}-{}", "0".repeat(12), "1".repeat(24)));
        std::fs::write(&foreign, b"x").unwrap();
        recover(&store, &keys, Some(&out)).unwrap();
        assert!(live.exists());
        assert!(!orphan.exists() && !beside.exists());
        assert!(foreign.exists());
        remove(&live);
        remove(&foreign);
        drop(a);
        assert!(!out.exists());
    }

    #[cfg(unix)]
    #[test]
    fn standard_output_is_staged_privately_under_an_unpredictable_name() {
        use std::os::unix::fs::PermissionsExt;
        let (d, keys) = keys();
        // The name earlier versions used, planted as a link to a file of the attacker's.
        let bait = d.path().join("bait");
        std::fs::write(&bait, "").unwrap();
        let planted =
            std::env::temp_dir().join(format!("outbound-gate-{}.partial", std::process::id()));
        let _ = std::fs::remove_file(&planted);
        std::os::unix::fs::symlink(&bait, &planted).unwrap();
        let mut a = Partial::create(&Io::Std, &keys).unwrap();
        let b = Partial::create(&Io::Std, &keys).unwrap();
        a.write_all(b"customer_id\nC1\n").unwrap();
        a.flush().unwrap();
        let _ = std::fs::remove_file(&planted);
        assert_ne!(a.claim.partial, b.claim.partial);
        assert_eq!(
            std::fs::read(&bait).unwrap(),
            b"",
            "the link is not followed"
        );
        let mode = std::fs::metadata(&a.claim.partial)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
        let (pa, pb) = (a.claim.partial.clone(), b.claim.partial.clone());
        drop(a);
        drop(b);
        assert!(!pa.exists() && !pb.exists());
    }
}

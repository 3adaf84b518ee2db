//! The output's crash safety: written to a partial file and fsynced before
//! the ledger transaction, renamed into place only after the commit, and
//! finished by the next run when a gate was killed in between ([`recover`]).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use outbound_store::Store;
use sha2::Digest;

use crate::{GateError, Io};

/// Finishes the outputs of batches committed by a gate that was killed before renaming them.
pub fn recover(store: &Store) -> Result<Vec<String>, GateError> {
    let mut done = Vec::new();
    for (id, output, sha) in store.pending_outputs()? {
        let out = PathBuf::from(&output);
        let partial = partial_path(&out);
        if out.exists() && file_sha256(&out).as_deref() == Some(sha.as_str()) {
            store.mark_output_done(id)?;
        } else if partial.exists() && file_sha256(&partial).as_deref() == Some(sha.as_str()) {
            std::fs::rename(&partial, &out).map_err(|e| {
                GateError::Output(format!("cannot move {} into place: {e}", partial.display()))
            })?;
            sync_parent(&out);
            store.mark_output_done(id)?;
            done.push(output);
        }
    }
    Ok(done)
}

fn partial_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".outbound-partial");
    PathBuf::from(s)
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

/// An output being written to its partial file, hashed and counted on the way.
pub(crate) struct Partial {
    /// Where it goes once committed; `None` for standard output.
    target: Option<PathBuf>,
    path: PathBuf,
    inner: BufWriter<File>,
    hash: sha2::Sha256,
    bytes: u64,
}

impl Partial {
    /// Creates the partial file: `OUTPUT.outbound-partial`, or a temporary file for
    /// standard output. Refuses an output that exists: the gate never overwrites one.
    pub(crate) fn create(output: &Io) -> Result<Partial, GateError> {
        let (target, path) = match output {
            Io::Path(p) => (Some(p.clone()), partial_path(p)),
            Io::Std => (
                None,
                std::env::temp_dir().join(format!("outbound-gate-{}.partial", std::process::id())),
            ),
        };
        if let Some(p) = &target
            && p.exists()
        {
            return Err(GateError::Output(format!(
                "{} exists; the gate never overwrites an output",
                p.display()
            )));
        }
        let file = File::create(&path)
            .map_err(|e| GateError::Output(format!("cannot create {}: {e}", path.display())))?;
        Ok(Partial {
            target,
            path,
            inner: BufWriter::new(file),
            hash: sha2::Sha256::new(),
            bytes: 0,
        })
    }

    /// Removes what was written.
    pub(crate) fn discard(self) {
        remove(&self.path);
    }

    /// Flushes and fsyncs the partial file, so that a committed batch's output survives a crash.
    pub(crate) fn finish(mut self) -> Result<Written, GateError> {
        let flushed = self
            .inner
            .flush()
            .and_then(|_| self.inner.get_ref().sync_all());
        if let Err(e) = flushed {
            remove(&self.path);
            return Err(GateError::Output(format!(
                "cannot write {}: {e}",
                self.path.display()
            )));
        }
        Ok(Written {
            sha256: hex::encode(self.hash.finalize()),
            bytes: self.bytes,
            target: self.target,
            partial: self.path,
        })
    }
}

impl Write for Partial {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
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
    partial: PathBuf,
}

impl Written {
    /// Where it goes once committed, as recorded in the ledger; `None` for standard output.
    pub(crate) fn target(&self) -> Option<String> {
        self.target.as_ref().map(|p| p.display().to_string())
    }

    /// Removes it: the batch was refused.
    pub(crate) fn discard(self) {
        remove(&self.partial);
    }

    /// Moves it into place after batch `batch` was committed (or copies it to
    /// standard output) and marks the batch's output done. Returns where it went.
    pub(crate) fn place(self, store: &Store, batch: u64) -> Result<String, GateError> {
        match &self.target {
            Some(p) => {
                std::fs::rename(&self.partial, p).map_err(|e| GateError::Output(format!("batch {batch} is recorded but its output could not be moved into place ({e}); run the gate again to finish")))?;
                sync_parent(p);
                store.mark_output_done(batch)?;
                Ok(p.display().to_string())
            }
            None => {
                let mut f =
                    File::open(&self.partial).map_err(|e| GateError::Output(e.to_string()))?;
                let mut out = std::io::stdout().lock();
                std::io::copy(&mut f, &mut out)
                    .map_err(|e| GateError::Output(format!("cannot write standard output: {e}")))?;
                out.flush().map_err(|e| GateError::Output(e.to_string()))?;
                remove(&self.partial);
                Ok("-".into())
            }
        }
    }
}

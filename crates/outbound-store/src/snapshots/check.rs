//! Checking a member's published snapshot against its signed (and, with a
//! quorum, witnessed) log: the note's signature, the claimed entry, and the
//! tiles that rebuild the checkpoint's root.

use super::*;

/// Where a member's log is read from: its published checkpoint and tiles
/// (over HTTP, or a local store in tests and the demo).
pub trait LogReader {
    /// The signed checkpoint note (`/log/checkpoint`).
    fn checkpoint(&self) -> Result<String, String>;
    /// The bytes of a tile, given its path after `/log/` (`tile/0/000.p/7`).
    fn tile(&self, path: &str) -> Result<Vec<u8>, String>;
    /// The newest checkpoint with its witnesses' cosignatures
    /// (`/log/checkpoint.witnessed`); by default this log serves none.
    fn witnessed_checkpoint(&self) -> Result<String, String> {
        Err("this log serves no witnessed checkpoint".into())
    }
}

/// A local store's log served with its witnessed checkpoint, as its server
/// would serve `/log/checkpoint.witnessed` under `policy` (the company's own
/// witnesses and quorum).
pub struct LocalWitnessedLog<'a> {
    /// The log.
    pub log: LocalLog<'a>,
    /// The company's witness policy.
    pub policy: WitnessPolicy,
}

impl LogReader for LocalWitnessedLog<'_> {
    fn checkpoint(&self) -> Result<String, String> {
        self.log.checkpoint()
    }
    fn tile(&self, path: &str) -> Result<Vec<u8>, String> {
        self.log.tile(path)
    }
    fn witnessed_checkpoint(&self) -> Result<String, String> {
        self.log
            .store
            .witnessed_checkpoint(self.log.keys, &self.log.origin, &self.policy)
            .map_err(|e| e.to_string())?
            .map(|(_, note, _)| note)
            .ok_or_else(|| "no checkpoint has the witnesses' quorum of cosignatures yet".into())
    }
}

/// A store read directly as a member's log would be served.
pub struct LocalLog<'a> {
    /// The store.
    pub store: &'a Store,
    /// Its keys (to sign the checkpoint, as its server would).
    pub keys: &'a Keys,
    /// Its log's origin.
    pub origin: String,
}

impl LogReader for LocalLog<'_> {
    fn checkpoint(&self) -> Result<String, String> {
        self.store
            .audit_checkpoint(self.keys, &self.origin)
            .map(|(_, n)| n)
            .map_err(|e| e.to_string())
    }
    fn tile(&self, path: &str) -> Result<Vec<u8>, String> {
        let t =
            Tile::parse(path.strip_prefix("tile/").unwrap_or(path)).map_err(|e| e.to_string())?;
        self.store
            .audit_tile(&t)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "no such tile".to_string())
    }
}

/// A snapshot whose signature and log entry verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The snapshot's JSON.
    pub json: serde_json::Value,
    /// The member's signed checkpoint the entry was found in.
    pub checkpoint: String,
    /// That checkpoint's size.
    pub checkpoint_size: u64,
    /// The witnesses whose valid cosignatures of it were counted (empty
    /// when none were required).
    pub witnesses: Vec<String>,
}

/// Why a collected snapshot was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct CheckError {
    /// What failed, in a sentence.
    pub reason: String,
    /// The member's checkpoint, if one was read.
    pub checkpoint: Option<String>,
}

fn fail(reason: impl Into<String>, checkpoint: Option<&str>) -> CheckError {
    CheckError {
        reason: reason.into(),
        checkpoint: checkpoint.map(str::to_string),
    }
}

/// Checks a published snapshot against its member: the note's signature by
/// the member's verifier key, its SHA-256 and period, and that the member's
/// log holds a `snapshot` entry for that SHA-256 at `log_index`, included in
/// the member's signed checkpoint (checked with the same key) by the hash
/// tiles the member publishes.
///
/// The member's own signed checkpoint is trusted: see [`check_member`] for
/// a member with witnesses.
pub fn check_published(
    p: &Published,
    verifier: &str,
    log: &dyn LogReader,
) -> Result<Verified, CheckError> {
    check_witnessed(p, verifier, &WitnessPolicy::default(), log)
}

/// Checks a published snapshot against `member`: as [`check_published`]
/// with the member's key, and, when the member has a witness quorum, against
/// its witnessed checkpoint (see [`check_witnessed`]).
pub fn check_member(
    p: &Published,
    member: &Member,
    log: &dyn LogReader,
) -> Result<Verified, CheckError> {
    let policy = member
        .policy()
        .map_err(|e| fail(format!("the member's witnesses: {e}"), None))?;
    check_witnessed(p, &member.verifier, &policy, log)
}

/// As [`check_published`], but with `policy.quorum > 0` the checkpoint is
/// the member's witnessed one: signed by the member's key and cosigned by at
/// least `policy.quorum` distinct witnesses of `policy` (each cosignature
/// verified; a forged or unknown one is not counted). With fewer, the
/// snapshot is refused: "not witnessed (k of N cosignatures)". Inclusion is
/// checked against that checkpoint, which is kept with only the counted
/// cosignatures.
pub fn check_witnessed(
    p: &Published,
    verifier: &str,
    policy: &WitnessPolicy,
    log: &dyn LogReader,
) -> Result<Verified, CheckError> {
    let (_, body) = c2sp::open_note(&p.note, verifier)
        .map_err(|e| fail(format!("the snapshot's signature: {e}"), None))?;
    let json_text = body.strip_suffix('\n').unwrap_or(body);
    if sha256_hex(json_text) != p.sha256 {
        return Err(fail(
            "the snapshot's SHA-256 is not the hash of its signed body",
            None,
        ));
    }
    let json: serde_json::Value = serde_json::from_str(json_text)
        .map_err(|_| fail("the snapshot's body is not JSON", None))?;
    if json["format"] != FORMAT || json["period"] != p.period.as_str() {
        return Err(fail(
            format!("the signed snapshot is not a {FORMAT} for {}", p.period),
            None,
        ));
    }
    let witnessed = policy.quorum > 0;
    let read = if witnessed {
        log.witnessed_checkpoint()
    } else {
        log.checkpoint()
    };
    let note = read.map_err(|e| {
        fail(
            format!(
                "the member's {}checkpoint could not be read: {e}",
                if witnessed { "witnessed " } else { "" }
            ),
            None,
        )
    })?;
    let cp = Checkpoint::open(&note, verifier)
        .map_err(|e| fail(format!("the member's checkpoint: {e}"), Some(&note)))?;
    let mut witnesses = Vec::new();
    let note = if witnessed {
        let (body, lines) = split_note(&note)
            .map_err(|e| fail(format!("the member's checkpoint: {e}"), Some(&note)))?;
        let sigs: Vec<Cosignature> = lines
            .iter()
            .filter_map(|l| Cosignature::parse_line(l).ok())
            .collect();
        let counted = policy.verified(body, &sigs);
        if counted.len() < policy.quorum {
            return Err(fail(
                format!(
                    "not witnessed ({} of {} cosignatures)",
                    counted.len(),
                    policy.quorum
                ),
                Some(&note),
            ));
        }
        let own: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| Cosignature::parse_line(l).is_err())
            .collect();
        witnesses = counted.iter().map(|s| s.name.clone()).collect();
        let kept: Vec<String> = counted.iter().map(Cosignature::line).collect();
        with_lines(&format!("{body}\n{}\n", own.join("\n")), &kept)
    } else {
        note
    };
    let i = p.log_index;
    if i >= cp.size {
        return Err(fail(
            format!(
                "the member's signed checkpoint (size {}) does not reach log entry {i}",
                cp.size
            ),
            Some(&note),
        ));
    }
    let mut tiles = Tiles {
        log,
        size: cp.size,
        cache: HashMap::new(),
    };
    let entry = tiles
        .entry(i)
        .map_err(|e| fail(format!("log entry {i}: {e}"), Some(&note)))?;
    let text = String::from_utf8(entry.clone())
        .map_err(|_| fail(format!("log entry {i} is not UTF-8"), Some(&note)))?;
    let mut lines = text.splitn(4, '\n');
    let (idx, kind, ebody) = (lines.next(), lines.nth(1), lines.next());
    let ebody: serde_json::Value = ebody
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or_default();
    if idx != Some(i.to_string().as_str())
        || kind != Some("snapshot")
        || ebody["sha256"] != p.sha256.as_str()
        || ebody["period"] != p.period.as_str()
    {
        return Err(fail(
            format!(
                "log entry {i} is not the `snapshot` entry of this snapshot (period {}, sha256 {})",
                p.period, p.sha256
            ),
            Some(&note),
        ));
    }
    let leaf = tiles
        .leaf(i)
        .map_err(|e| fail(format!("the hash tiles: {e}"), Some(&note)))?;
    if leaf != leaf_hash(&entry) {
        return Err(fail(
            format!("log entry {i} does not hash to the leaf the hash tiles hold"),
            Some(&note),
        ));
    }
    let root = tiles
        .root(0, cp.size, i)
        .map_err(|e| fail(format!("the hash tiles: {e}"), Some(&note)))?;
    if root != cp.root {
        return Err(fail(
            format!(
                "log entry {i} is not included in the member's signed checkpoint (size {}): \
                 the hash tiles give another root",
                cp.size
            ),
            Some(&note),
        ));
    }
    Ok(Verified {
        json,
        checkpoint_size: cp.size,
        checkpoint: note,
        witnesses,
    })
}

/// Tiles fetched for one check, by path.
struct Tiles<'a> {
    log: &'a dyn LogReader,
    size: u64,
    cache: HashMap<String, Vec<u8>>,
}

impl Tiles<'_> {
    /// The tile of `kind` holding item `k` of its level, with its width in a tree of `size`.
    fn get(&mut self, kind: TileKind, k: u64) -> Result<(Vec<u8>, u64), String> {
        let shift = match kind {
            TileKind::Hashes(l) => u32::from(l) * c2sp::TILE_HEIGHT,
            TileKind::Entries => 0,
        };
        let n = k / TILE_WIDTH;
        let items = self.size >> shift;
        let width = (items - n * TILE_WIDTH).min(TILE_WIDTH);
        let t = Tile {
            kind,
            n,
            partial: (width < TILE_WIDTH).then_some(width as u8),
        };
        let path = t.path();
        if !self.cache.contains_key(&path) {
            let bytes = self.log.tile(&path).map_err(|e| format!("{path}: {e}"))?;
            self.cache.insert(path.clone(), bytes);
        }
        Ok((self.cache[&path].clone(), width))
    }

    fn hash(&mut self, level: u8, k: u64) -> Result<Hash, String> {
        let (bytes, width) = self.get(TileKind::Hashes(level), k)?;
        if bytes.len() as u64 != width * 32 {
            return Err(format!("a level-{level} tile is not {width} hashes"));
        }
        let at = ((k % TILE_WIDTH) * 32) as usize;
        Ok(bytes[at..at + 32].try_into().expect("32 bytes"))
    }

    fn leaf(&mut self, i: u64) -> Result<Hash, String> {
        self.hash(0, i)
    }

    fn entry(&mut self, i: u64) -> Result<Vec<u8>, String> {
        let (bytes, width) = self.get(TileKind::Entries, i)?;
        let mut rest = bytes.as_slice();
        let mut found = None;
        for j in 0..width {
            let [a, b, tail @ ..] = rest else {
                return Err("the entry bundle is cut short".into());
            };
            let len = usize::from(u16::from_be_bytes([*a, *b]));
            if tail.len() < len {
                return Err("the entry bundle is cut short".into());
            }
            if j == i % TILE_WIDTH {
                found = Some(tail[..len].to_vec());
            }
            rest = &tail[len..];
        }
        found.ok_or_else(|| "not in its entry bundle".into())
    }

    /// The RFC 6962 root of leaves `lo..hi`, from level-1 hashes for whole
    /// aligned blocks of 256 leaves, except the block holding `bound`
    /// (the entry checked), which is rebuilt from its leaves.
    fn root(&mut self, lo: u64, hi: u64, bound: u64) -> Result<Hash, String> {
        let n = hi - lo;
        if n == 1 {
            return self.leaf(lo);
        }
        if n == TILE_WIDTH && lo.is_multiple_of(TILE_WIDTH) && !(lo..hi).contains(&bound) {
            return self.hash(1, lo / TILE_WIDTH);
        }
        let k = 1u64 << (63 - (n - 1).leading_zeros());
        let left = self.root(lo, lo + k, bound)?;
        let right = self.root(lo + k, hi, bound)?;
        Ok(node_hash(&left, &right))
    }
}

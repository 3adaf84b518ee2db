//! `outbound init DIR`: a commented starter map.

use crate::output::outln;
use std::path::Path;

use anyhow::Context;

const STARTER: &str = include_str!("../templates/starter.yaml");

pub(crate) fn run(dir: &Path) -> anyhow::Result<u8> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_some()
    {
        eprintln!(
            "error: {} is not empty; choose a new directory",
            dir.display()
        );
        return Ok(2);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("datamap.yaml");
    // Write to a temporary name and rename, so an interrupted init leaves nothing half-written.
    let tmp = dir.join(".datamap.yaml.tmp");
    std::fs::write(&tmp, STARTER).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    outln!("wrote {}", path.display())?;
    outln!(
        "next: edit it, then run `outbound validate {}` and `outbound assess {}`",
        dir.display(),
        dir.display()
    )?;
    Ok(0)
}

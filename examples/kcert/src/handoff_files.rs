//! The files `kcert export`, `sign` and `install` pass between machines: read with a size
//! bound (`-` is stdin), written with mode 0600 through a temporary file and a rename (`-` is
//! stdout), never over an existing file unless `--force`. They hold certificates only, but
//! a node's list of certificates is still nobody else's business.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::exit::{Failure, emit};

/// The largest file read, as kcertlib's own bound on these files.
const MAX_BYTES: u64 = 256 << 20;

/// The text of `path` (`-`: stdin), refused over `MAX_BYTES` or when not UTF-8.
pub fn read(path: &Path) -> Result<String, Failure> {
    let name = path.display();
    let mut bytes = Vec::new();
    let limited = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes))
    };
    limited.map_err(|e| Failure::error(format!("cannot read {name}: {e}")))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(Failure::error(format!(
            "{name} is over {MAX_BYTES} bytes: not a kcert file"
        )));
    }
    String::from_utf8(bytes).map_err(|_| Failure::error(format!("{name} is not UTF-8 text")))
}

/// Writes `text` to `out` (`-`: stdout): a new temporary file beside it (mode 0600), synced,
/// then renamed into place; an existing `out` is replaced only with `force`.
pub fn write(out: &Path, text: &str, force: bool) -> Result<(), Failure> {
    if out == Path::new("-") {
        emit(text);
        return Ok(());
    }
    let name = out.display();
    let fail = |what: &str, e: std::io::Error| Failure::error(format!("{what} {name}: {e}"));
    if !force && std::fs::symlink_metadata(out).is_ok() {
        return Err(Failure::error(format!(
            "{name} exists; choose another --out or add --force to replace it"
        )));
    }
    let temp = temporary_beside(out);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .map_err(|e| fail("cannot create a temporary file for", e))?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all());
    drop(file);
    let placed = written.and_then(|()| {
        if force {
            std::fs::rename(&temp, out)
        } else {
            // A hard link never replaces: a file that appeared meanwhile is not overwritten.
            std::fs::hard_link(&temp, out).and_then(|()| std::fs::remove_file(&temp))
        }
    });
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&temp);
        return Err(fail("cannot write", e));
    }
    Ok(())
}

fn temporary_beside(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!(".{name}.kcert-{}.tmp", std::process::id()))
}

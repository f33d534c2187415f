//! Where the repository's folders are (`img/`, `weights/`), in one place, and how a file is
//! written so that no reader ever sees half of it.

use std::path::{Path, PathBuf};

use crate::error::{NstError, Result};

/// The repository root (where `img/` and `weights/` live), known at compile time.
pub fn repo_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

/// Default results folder: `<repo>/img/results`.
pub fn default_results_dir() -> PathBuf {
    repo_root().join("img").join("results")
}

/// A temporary file next to `path` holding `bytes`, flushed to disk. Its name is unique per
/// process and call and it is created only if absent (never through a planted link). Errors
/// name `path`, the file the student asked for.
pub fn write_temp(path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| NstError::io(path, std::io::ErrorKind::InvalidInput.into()))?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{}.{}-{n}.tmp", name.to_string_lossy(), std::process::id()));
    let mut f =
        std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp).map_err(|e| NstError::io(path, e))?;
    let written = f.write_all(bytes).and_then(|_| f.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(NstError::io(path, e));
    }
    Ok(tmp)
}

/// Write `bytes` beside `path` and rename the file over `path`: an existing file (perhaps shown
/// by a viewer or mapped by a reader) is replaced whole, never truncated in place.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = write_temp(path, bytes)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        NstError::io(path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checked against what the repository holds, not against how the path is computed.
    #[test]
    fn the_repository_root_holds_the_library_and_the_pictures() {
        let root = repo_root();
        assert!(root.is_absolute(), "{root:?}");
        assert!(root.join("nst_lib").join("Cargo.toml").is_file(), "{root:?}");
        assert!(root.join("img").join("content").join("chelsea.png").is_file(), "{root:?}");
        let results = default_results_dir();
        assert_eq!(results, root.join("img").join("results"));
        assert!(results.join(".gitkeep").is_file(), "{results:?}");
    }
}

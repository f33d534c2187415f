//! Where the repository's folders are (`img/`, `weights/`), in one place.

use std::path::PathBuf;

/// The repository root (where `img/` and `weights/` live), known at compile time.
pub fn repo_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

/// Default results folder: `<repo>/img/results`.
pub fn default_results_dir() -> PathBuf {
    repo_root().join("img").join("results")
}

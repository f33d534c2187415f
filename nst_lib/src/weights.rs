//! Where the VGG weights come from, in this order:
//! 1. an explicit path; 2. the `NST_WEIGHTS` environment variable; 3. a file in `weights/`;
//! 4. a download of torchvision's VGG19 (`timm/vgg19.tv_in1k`) from the Hugging Face hub,
//!    once, into `weights/`, reused afterwards (found there by step 3; an earlier version
//!    downloaded into the hub cache's layout under `weights/hf/`, which is still looked at).
//!
//! The download runs the `curl` program (macOS and Windows 10 since 1803 ship it; most Linux
//! systems have it, minimal containers may not, and then the error says so): an HTTP and TLS
//! stack in Rust is about fifty crates, which the notebooks' first cell would compile.

use std::path::{Path, PathBuf};

use crate::error::{NstError, Result, WEIGHTS_HELP};

pub const HUB_REPO: &str = "timm/vgg19.tv_in1k";
pub const HUB_FILE: &str = "model.safetensors";
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// The download's name in `weights/` (a name with `vgg19` in it, which the lookup prefers).
pub const DOWNLOADED_FILE: &str = "vgg19.tv_in1k.safetensors";

/// Where and how to look for weights; `Default` is what the library and CLI use.
#[derive(Debug, Clone)]
pub struct WeightsLookup {
    pub explicit: Option<PathBuf>,
    /// Read `NST_WEIGHTS` (tests switch this off to stay independent of the environment).
    pub use_env: bool,
    pub dir: PathBuf,
    /// Hub address; `HF_ENDPOINT` overrides the default. `None` disables downloading.
    pub endpoint: Option<String>,
}

impl Default for WeightsLookup {
    fn default() -> Self {
        let offline =
            std::env::var("HF_HUB_OFFLINE").map(|v| v == "1" || v.eq_ignore_ascii_case("true")).unwrap_or(false);
        let endpoint = std::env::var("HF_ENDPOINT").unwrap_or_else(|_| DEFAULT_ENDPOINT.to_string());
        Self {
            explicit: None,
            use_env: true,
            dir: std::env::var_os("NST_WEIGHTS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| crate::paths::repo_root().join("weights")),
            endpoint: if offline { None } else { Some(endpoint) },
        }
    }
}

fn is_weights_file(p: &Path) -> bool {
    p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("safetensors" | "pth" | "pt"))
}

impl WeightsLookup {
    /// Find (or fetch) a weights file.
    pub fn resolve(&self) -> Result<PathBuf> {
        #[cfg(feature = "download")]
        remove_abandoned_parts(&self.dir);
        let mut tried = Vec::new();
        if let Some(p) = &self.explicit {
            return self.check_exists(p, "explicit path");
        }
        if self.use_env {
            if let Some(p) = std::env::var_os("NST_WEIGHTS").filter(|v| !v.is_empty()) {
                return self.check_exists(Path::new(&p), "NST_WEIGHTS");
            }
            tried.push("NST_WEIGHTS (not set)".to_string());
        }
        if let Some(p) = self.in_dir()? {
            return Ok(p);
        }
        tried.push(format!("{} (no .safetensors/.pth file)", self.dir.display()));
        if let Some(p) = self.cached_download() {
            return Ok(p);
        }
        match &self.endpoint {
            Some(endpoint) => self.download(endpoint),
            None => {
                tried.push("download (offline: HF_HUB_OFFLINE is set)".into());
                Err(NstError::WeightsNotFound { help: WEIGHTS_HELP, tried })
            }
        }
    }

    fn check_exists(&self, p: &Path, source: &str) -> Result<PathBuf> {
        if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(NstError::WeightsNotFound {
                help: WEIGHTS_HELP,
                tried: vec![format!("{} from {source} (no such file)", p.display())],
            })
        }
    }

    /// A weights file directly in `weights/`; VGG19 is preferred when several are there.
    fn in_dir(&self) -> Result<Option<PathBuf>> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Ok(None) };
        let mut files: Vec<PathBuf> =
            entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| is_weights_file(p)).collect();
        files.sort_by_key(|p| (!p.to_string_lossy().to_ascii_lowercase().contains("vgg19"), p.clone()));
        Ok(files.into_iter().next())
    }

    /// A file an earlier version downloaded in the hub cache's layout (`weights/hf/`), read
    /// directly.
    fn cached_download(&self) -> Option<PathBuf> {
        let repo = self.dir.join("hf").join(format!("models--{}", HUB_REPO.replace('/', "--")));
        let rev = std::fs::read_to_string(repo.join("refs").join("main")).ok()?;
        Some(repo.join("snapshots").join(rev.trim()).join(HUB_FILE)).filter(|p| p.is_file())
    }

    #[cfg(not(feature = "download"))]
    fn download(&self, endpoint: &str) -> Result<PathBuf> {
        Err(NstError::WeightsDownload {
            endpoint: endpoint.to_string(),
            reason: "this build of nst_lib has no downloader (cargo feature `download`)".into(),
            help: WEIGHTS_HELP,
        })
    }

    #[cfg(feature = "download")]
    fn download(&self, endpoint: &str) -> Result<PathBuf> {
        let fail =
            |reason: String| NstError::WeightsDownload { endpoint: endpoint.to_string(), reason, help: WEIGHTS_HELP };
        std::fs::create_dir_all(&self.dir).map_err(|e| NstError::io(&self.dir, e))?;
        let dest = self.dir.join(DOWNLOADED_FILE);
        // Written beside the result and renamed at the end: an interrupted download never
        // leaves a truncated .safetensors that a later run would take for the weights.
        static DOWNLOADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = DOWNLOADS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let part = self.dir.join(part_name(std::process::id(), n));
        let url = format!("{}/{HUB_REPO}/resolve/main/{HUB_FILE}", endpoint.trim_end_matches('/'));
        eprintln!("nst: downloading VGG19 weights ({HUB_REPO}, about 550 MB) into {} ...", dest.display());
        if let Err(reason) = curl_into(&url, &part).and_then(|()| check_safetensors(&part)) {
            let _ = std::fs::remove_file(&part);
            return Err(fail(reason));
        }
        if let Err(e) = std::fs::rename(&part, &dest) {
            let _ = std::fs::remove_file(&part);
            let at = dest.display();
            return Err(fail(format!(
                "the file arrived whole, but could not be saved as {at}: {e}; move what is there away and run again (if it is the weights, saved by another run just now, simply run again)"
            )));
        }
        eprintln!("nst: downloaded {}", dest.display());
        Ok(dest)
    }
}

/// The file download number `n` of process `pid` writes into (one per download: two kernels, or
/// threads, downloading at once must not write into one file).
#[cfg(feature = "download")]
fn part_name(pid: u32, n: usize) -> String {
    format!("{DOWNLOADED_FILE}.{pid}-{n}.part")
}

/// Whether a file in `weights/` is a download's [`part_name`].
#[cfg(feature = "download")]
fn is_part_name(name: &str) -> bool {
    name.starts_with(DOWNLOADED_FILE) && name.ends_with(".part")
}

/// How long a `.part` file goes unwritten before it counts as abandoned. A live download writes
/// all the time: curl gives up after a minute under 1 kB/s, and its retries wait seconds.
pub const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// Remove the `.part` files of downloads killed with their kernel (up to 550 MB each, and no
/// download can use them), saying so; every lookup does this, so one is not kept forever once the
/// weights are there. A recent one may be another kernel's download in progress and stays.
#[cfg(feature = "download")]
fn remove_abandoned_parts(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if !path.file_name().is_some_and(|n| is_part_name(&n.to_string_lossy())) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        let idle = meta.modified().ok().and_then(|t| t.elapsed().ok()).unwrap_or_default();
        if idle >= ABANDONED_AFTER && std::fs::remove_file(&path).is_ok() {
            eprintln!("nst: removed {} ({} MB left by an interrupted download)", path.display(), meta.len() >> 20);
        }
    }
}

/// Fetch `url` into `part` with the `curl` program, printing how far it got every 10 s (one
/// line each: a notebook shows a kernel's standard error line by line). Err: what went wrong,
/// in words a student can act on.
#[cfg(feature = "download")]
fn curl_into(url: &str, part: &Path) -> std::result::Result<(), String> {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let mut child = std::process::Command::new("curl")
        // -q first: a user's ~/.curlrc (`verbose`, say) must not change what curl does here.
        .args(["-q", "--fail", "--location", "--silent", "--show-error", "--retry", "3", "--connect-timeout", "30"])
        // A stalled transfer (under 1 kB/s for a minute) ends with an error instead of hanging.
        .args(["--speed-limit", "1024", "--speed-time", "60"])
        .arg("--output")
        .arg(part)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("the download needs the `curl` program, which is not installed; download {url} by hand into weights/")
            }
            _ => format!("could not start curl: {e}"),
        })?;
    // Read while curl runs, so that however much it says, it never waits on a full pipe.
    let said = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        })
    });
    let mut last = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("could not wait for curl: {e}"));
            }
        }
        if last.elapsed() >= Duration::from_secs(10) {
            last = Instant::now();
            let mb = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0) >> 20;
            eprintln!("nst:   {mb} MB of about 550 MB");
        }
    };
    let said = said.and_then(|t| t.join().ok()).unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    Err(match said.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(line) => line.trim().to_string(),
        None => format!("curl exited with {status}"),
    })
}

/// A downloaded file is a safetensors file when its header parses and its length is the one the
/// header describes (a proxy's HTML page or a cut transfer is not). Memory-mapped: 550 MB are not
/// read for this.
#[cfg(feature = "download")]
fn check_safetensors(path: &Path) -> std::result::Result<(), String> {
    map_safetensors(path).map(|_| ()).map_err(|e| format!("the server's answer is not a safetensors file ({e})"))
}

/// A safetensors file, memory-mapped: its header is parsed and checked against the file's length,
/// the tensors are read when asked for.
pub(crate) fn map_safetensors(path: &Path) -> candle_core::Result<candle_core::safetensors::MmapedSafetensors> {
    // SAFETY: mapped read-only. The library never writes a weights file while it is mapped (a
    // download writes its own `.part` file and renames it only after this check).
    unsafe { candle_core::safetensors::MmapedSafetensors::new(path) }
}

/// Resolve with the default lookup, optionally with an explicit path.
pub fn resolve(explicit: Option<&Path>) -> Result<PathBuf> {
    WeightsLookup { explicit: explicit.map(Path::to_path_buf), ..WeightsLookup::default() }.resolve()
}

/// sha256 of a file as lowercase hex (recorded with every result for reproducibility).
/// Remembered per (path, size, modification time): a 550 MB VGG19 takes seconds to hash, and a
/// notebook saves many results with the same weights.
pub fn sha256_file(path: &Path) -> Result<String> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    type Key = (PathBuf, u64, Option<std::time::SystemTime>);
    static CACHE: Mutex<Option<HashMap<Key, String>>> = Mutex::new(None);
    let meta = std::fs::metadata(path).map_err(|e| NstError::io(path, e))?;
    let key: Key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    if let Some(hex) = CACHE.lock().ok().and_then(|c| c.as_ref().and_then(|m| m.get(&key).cloned())) {
        return Ok(hex);
    }
    let hex = hash_file(path)?;
    if let Ok(mut c) = CACHE.lock() {
        c.get_or_insert_with(HashMap::new).insert(key, hex.clone());
    }
    Ok(hex)
}

fn hash_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| NstError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| NstError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

//! Where the VGG weights come from, in this order:
//! 1. an explicit path; 2. the `NST_WEIGHTS` environment variable; 3. a file in `weights/`;
//! 4. a download of torchvision's VGG19 (`timm/vgg19.tv_in1k`) from the Hugging Face hub,
//!    once, into `weights/hf/`, reused afterwards.

use std::path::{Path, PathBuf};

use crate::error::{NstError, Result, WEIGHTS_HELP};

pub const HUB_REPO: &str = "timm/vgg19.tv_in1k";
pub const HUB_FILE: &str = "model.safetensors";
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

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

    /// A file downloaded earlier: the hub cache's layout, read directly so that a build without
    /// the `download` feature (the notebooks' own) still finds it.
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
        eprintln!(
            "nst: downloading VGG19 weights ({HUB_REPO}, about 550 MB) into {} ...",
            self.dir.join("hf").display()
        );
        let api = hf_hub::api::sync::ApiBuilder::from_cache(hf_hub::Cache::new(self.dir.join("hf")))
            .with_endpoint(endpoint.to_string())
            .with_progress(false)
            .build()
            .map_err(|e| fail(e.to_string()))?;
        api.model(HUB_REPO.to_string()).get(HUB_FILE).map_err(|e| fail(e.to_string()))
    }
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

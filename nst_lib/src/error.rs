//! One error type for the whole library. Each message says what went wrong *and* what to do.

use std::path::PathBuf;

/// The three ways to give the library VGG weights, repeated in every weights error.
pub const WEIGHTS_HELP: &str = "Provide VGG weights in one of three ways: \
(1) pass a path explicitly (`Config::weights` / `nst --weights FILE`); \
(2) set the environment variable NST_WEIGHTS=/path/to/vgg.safetensors; \
(3) put a .safetensors or .pth file into the repository's `weights/` folder. \
With internet access the library downloads torchvision's VGG19 (hub repo timm/vgg19.tv_in1k) into `weights/` once. \
See weights/README.md.";

#[derive(Debug, thiserror::Error)]
pub enum NstError {
    #[error("image file not found: {path} (paths are relative to the current folder, {cwd}; \"noise\" means a random start)")]
    ImageNotFound { path: PathBuf, cwd: String },

    #[error(
        "could not read {path} as an image: {reason}. Is it a PNG/JPEG/GIF/BMP/WebP/TIFF file, and not truncated?"
    )]
    ImageDecode { path: PathBuf, reason: String },

    #[error("{path} is cut short: {detail}. The {format} file is incomplete (an interrupted download or copy?): download or export it again")]
    ImageTruncated { path: PathBuf, format: &'static str, detail: String },

    #[error("image {path} is too large ({width}x{height} pixels; the limits are {limit} pixels per side and {max_pixels} pixels in all). Shrink it first, e.g. `convert in.jpg -resize 2048x2048 out.jpg`")]
    ImageTooLarge { path: PathBuf, width: u32, height: u32, limit: u32, max_pixels: u64 },

    #[error("image size {size} px is not usable: {reason}")]
    BadImageSize { size: u32, reason: String },

    #[error("\"noise\" cannot be the {role} in mode \"{mode}\": give a picture file there (\"noise\" may only be the first argument in modes \"content\" and \"style\")")]
    NoiseNotAllowed { role: &'static str, mode: String },

    #[error("no VGG weights found (looked at: {}). {help}", tried.join("; "))]
    WeightsNotFound { help: &'static str, tried: Vec<String> },

    #[error("could not download VGG19 weights from {endpoint} ({reason}). {help}")]
    WeightsDownload { endpoint: String, reason: String, help: &'static str },

    #[error("weights file {path} is missing tensor `{tensor}` (expected a torchvision-style VGG `features` stack: {expected}). Is this the right file? {help}")]
    WeightsMissingTensor { path: PathBuf, tensor: String, expected: String, help: &'static str },

    #[error("weights file {path} is not a VGG16/VGG19 feature extractor: it holds {found}; expected 13 (VGG16) or 16 (VGG19) 3x3 convolutions, the first 64-3-3-3, with 64/128/256/512/512 filters per block. {help}")]
    NotVgg { path: PathBuf, found: String, help: &'static str },

    #[error("weights file {path}: tensor `{tensor}` has shape {got:?}, expected {expected:?}. The file does not match the requested VGG `features` stack (try --arch auto)")]
    WeightsBadShape { path: PathBuf, tensor: String, got: Vec<usize>, expected: Vec<usize> },

    #[error("could not read weights file {path}: {reason}")]
    WeightsUnreadable { path: PathBuf, reason: String },

    #[error("{path} is a legacy (pre-1.6, non-zip) PyTorch file, which candle cannot read. Convert it once with:\n    python3 nst_lib/scripts/pth_to_safetensors.py {path} weights/{stem}.safetensors --flavour {flavour}\n(needs `pip install torch safetensors`), then use the .safetensors file")]
    LegacyPth { path: PathBuf, stem: String, flavour: &'static str },

    #[error("unknown layer \"{name}\": use the paper's names (conv1_1, relu4_2, pool3, ...), the notebook's conv_N counting (conv_1 ... conv_{convs}), or Keras' block5_conv2; valid here: {valid}")]
    UnknownLayer { name: String, convs: usize, valid: String },

    #[error("unknown {what} \"{value}\": use one of {valid}")]
    UnknownChoice { what: &'static str, value: String, valid: String },

    #[error("device {device} is not available: {reason}")]
    DeviceUnavailable { device: String, reason: String },
    #[error("invalid setting: {0}")]
    InvalidConfig(String),

    #[error("the optimisation diverged at step {step} (the loss became {loss}). The last good image (step {last_good_step}) is kept{saved}. Try a smaller learning rate or style weight, or the L-BFGS line search")]
    Diverged { step: usize, loss: f64, last_good_step: usize, saved: String },

    /// A run stopped on request, made an error by `Outcome::check`.
    #[error("the run was stopped after step {step}; its picture is kept{saved}")]
    Interrupted { step: usize, saved: String },

    /// Internal: an optimiser's loop told to end by the run that drove it.
    #[error("the run was stopped: {0}")]
    Stopped(String),

    #[error("live view: {0}")]
    Live(String),

    #[error("refusing to overwrite {0}: results are never replaced silently; choose another name or delete the file")]
    WouldOverwrite(PathBuf),

    #[error("I/O error on {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    #[error("could not encode {what}: {reason}")]
    Encode { what: String, reason: String },

    #[error("tensor computation failed: {0}")]
    Candle(#[from] candle_core::Error),
}

pub type Result<T> = std::result::Result<T, NstError>;

impl NstError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        NstError::Io { path: path.into(), source }
    }
}

//! Every knob of a run, with presets. A preset is just a `Config` filled in a known way.

use std::path::PathBuf;

use crate::colour::OriginalColours;
use crate::content_loss::ContentNorm;
use crate::device::DeviceChoice;
use crate::error::{NstError, Result};
use crate::image_io::Sizing;
use crate::optim::{Lbfgs, Optimizer, SgdDecay};
use crate::style_loss::{StyleNorm, StyleStats};
use crate::total_variation::TvKind;
use crate::vgg::{Flavour, Kernels, Pooling, VggSpec};

impl FeatureScale {
    /// Size of this scale's features relative to torchvision's (None: set per layer from the data).
    pub fn unit(&self) -> Option<f64> {
        match self {
            FeatureScale::Torchvision => Some(Flavour::Torchvision.feature_unit()),
            FeatureScale::Caffe => Some(Flavour::Caffe.feature_unit()),
            FeatureScale::LayerMean => None,
        }
    }
}

/// What to optimise for (the original notebook's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mode {
    /// Content of one image in the style of another.
    StyleTransfer,
    /// Rebuild an image from noise using only the content loss: what do deep layers keep?
    Content,
    /// Synthesise a texture from noise using only the style loss: what is "style" to VGG?
    Style,
}

choices!(Mode, "mode", [
    StyleTransfer => "style_transfer", ["transfer", "style-transfer"], "the content of one image in the style of another";
    Content => "content", [], "rebuild an image from noise with the content loss only";
    Style => "style", [], "synthesise a texture from noise with the style loss only";
]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Preset {
    /// The default: the paper's layers (content relu4_2, style relu1_1..relu5_1) on PyTorch's
    /// objective (jcjohnson/neural-style's: MSE content, Gram/(c·h·w) style, Caffe feature scale,
    /// a little smoothing), the style's deepest layer weighted up, one
    /// [`Config::with_strength`] knob, painted coarse to fine (a quarter, a half, then the whole
    /// size, each at least 64 px) with L-BFGS and line search. Measured against PyTorch on the quality bench's pairs (README, "Quality").
    Balanced,
    /// The original notebook: VGG19, content conv_4+conv_5, style conv_1..conv_10, 512 px crop,
    /// α = 0.01, β = 1e5. Style-heavy: from 256 px up the picture becomes a copy of the style
    /// image's texture and the photo is lost.
    Seed,
    /// Gatys et al. 2015: content conv4_2, style conv1_1..conv5_1, average pooling, layer-mean
    /// feature scale, α/β = 1e-3 — but on a mean content loss, not the paper's ½Σ (with the sum
    /// L-BFGS stalls from the content image), so the content counts ~10⁵ times less than the
    /// paper's ratio intends: a pastiche of the painting keeping little of the photo.
    Gatys,
    /// Chollet, *Deep Learning with Python*: block5_conv2 content, TV, SGD with decay.
    Chollet,
}

choices!(Preset, "preset", [
    Balanced => "balanced", ["default"], "the default: paints the photo in the style (PyTorch's objective, coarse to fine), one strength knob";
    Seed => "seed", ["notebook"], "the original notebook's numbers (style-heavy: the photo is lost)";
    Gatys => "gatys", [], "Gatys et al. 2015's layers and ratio (a pastiche; faint photo)";
    Chollet => "chollet", [], "Chollet's book: block5_conv2 content, TV, SGD with decay";
]);

/// Where the optimisation starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Init {
    Content,
    /// Uniform noise from `Config::seed`.
    Noise,
    Style,
}

choices!(Init, "init", [
    Content => "content", [], "start from the content image";
    Noise => "noise", ["random"], "start from uniform noise (--seed)";
    Style => "style", [], "start from the style image";
]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Arch {
    /// Whatever the weights file holds.
    Auto,
    Vgg16,
    Vgg19,
}

choices!(Arch, "architecture", [
    Auto => "auto", [], "whatever the weights file holds";
    Vgg16 => "vgg16", [], "VGG16 (13 convolutions)";
    Vgg19 => "vgg19", [], "VGG19 (16 convolutions, the original notebook's)";
]);

impl Arch {
    pub fn spec(&self) -> Option<VggSpec> {
        match self {
            Arch::Auto => None,
            Arch::Vgg16 => Some(VggSpec::vgg16()),
            Arch::Vgg19 => Some(VggSpec::vgg19()),
        }
    }
}

/// Progress printed while a run executes (besides any callback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Report {
    /// In a notebook: one progress line rewritten in place (the pictures are shown by the
    /// notebook itself); elsewhere nothing.
    Auto,
    Off,
    /// A line every `every` steps; a preview `preview_cols` characters wide (0: none).
    Lines {
        every: usize,
        preview_cols: u32,
    },
}

/// Which feature magnitudes the loss weights α, β (and w_l) are meant for.
///
/// Caffe-flavour networks see 0–255 inputs, so their activations are ~58x torchvision's, the
/// content loss ~58² and the Gram loss ~58⁴ times larger. Without rescaling, weights tuned for one
/// would be wrong by orders of magnitude for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FeatureScale {
    /// torchvision's scale (the original notebook's 1e5 / 0.01 were tuned on it).
    Torchvision,
    /// Caffe/Keras scale (Chollet's weights were tuned on it).
    Caffe,
    /// Every loss layer divided by its mean activation on the target image, like the
    /// "normalised" VGG of Gatys et al. (each filter's mean activation scaled to 1); their
    /// α/β ratios assume this. Independent of the weights' flavour.
    LayerMean,
}

choices!(FeatureScale, "feature scale", [
    Torchvision => "torchvision", [], "torchvision's feature scale (the original notebook's weights were tuned on it)";
    Caffe => "caffe", [], "Caffe/Keras scale (Chollet's weights were tuned on it)";
    LayerMean => "layer-mean", ["layermean"], "each layer divided by its mean activation on the target (Gatys et al.)";
]);

/// A loss layer and its weight (the paper's w_l for style layers).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LayerWeight {
    pub layer: String,
    pub weight: f64,
}

/// Layers with equal weights `w`.
pub fn layers(names: &[&str], w: f64) -> Vec<LayerWeight> {
    names.iter().map(|n| LayerWeight { layer: n.to_string(), weight: w }).collect()
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Config {
    pub preset: Preset,
    pub mode: Mode,
    pub arch: Arch,
    /// Weights file; `None` = the usual lookup (see `weights`).
    pub weights: Option<PathBuf>,
    /// Input convention of the weights; `None` = read it from the file.
    pub flavour: Option<Flavour>,
    pub pooling: Pooling,
    /// Working size in pixels (the square side, or the longer side).
    pub size: u32,
    pub sizing: Sizing,
    /// Loss evaluations (one forward + backward each).
    pub steps: usize,
    pub content_layers: Vec<LayerWeight>,
    pub style_layers: Vec<LayerWeight>,
    /// α, β, γ of α·content + β·style + γ·tv.
    pub content_weight: f64,
    pub style_weight: f64,
    pub tv_weight: f64,
    /// Weight of the penalty on pixels outside 0–1 ([`crate::pixel_range`]); 0 = none (the
    /// original notebook, the paper and the default have none: their pictures are clamped at
    /// the end).
    #[serde(default)]
    pub range_weight: f64,
    /// Weight of the style measured a second time on the picture at half size (its 2×2 average,
    /// against the style image's), as a share of β; 0 = off. It asks for the painting's large
    /// strokes — what the fidelity measure's "at half size" distance scores — which the full-size
    /// terms leave to chance. A quarter of the work, but a run takes about 1.4× as long (the
    /// README's first command, idle: 46 s against 33 s; the small stages are overhead-bound).
    #[serde(default)]
    pub half_size_style: f64,
    /// Style layers compared relative to the painting's own Gram matrix there, ‖G − A‖² / ‖A‖²
    /// (times β and the layer's weight), whatever the painting: with `style_norm = notebook` a
    /// layer's term otherwise grows with the square of the painting's statistics, so one weight
    /// pushes one painting far harder than another (at relu5_1 *The Starry Night* 65× brick).
    /// It applies on the notebook normalisation with Gram statistics (with `style_norm =
    /// relative` every layer is relative already); elsewhere, or for a layer that is not a style
    /// layer, it has no effect ([`Config::check_relative_layers`] says whether it does). Empty = none.
    #[serde(default)]
    pub relative_style_layers: Vec<String>,
    pub content_norm: ContentNorm,
    pub style_norm: StyleNorm,
    pub tv: TvKind,
    /// The feature scale α and β were chosen for; features are rescaled to it, so a preset
    /// behaves the same with torchvision or Caffe weights.
    pub feature_scale: FeatureScale,
    pub optimizer: Optimizer,
    pub init: Init,
    pub seed: u64,
    /// Intermediate images kept for the GIF and the film strip.
    pub snapshots: usize,
    /// Where results go; `None` = the repository's `img/results`.
    pub results_dir: Option<PathBuf>,
    /// Write result files after the run.
    pub save: bool,
    /// Progress lines and live preview while running.
    pub report: Report,
    /// Fast CPU kernels or candle's own ops (the reference; same results up to rounding).
    #[serde(default)]
    pub kernels: Kernels,
    /// Keep the content image's colours (see `colour`).
    #[serde(default)]
    pub original_colours: OriginalColours,
    /// Blend weights when the style argument lists several images ("a.jpg,b.jpg"); empty =
    /// equal weights. Normalised to sum 1.
    #[serde(default)]
    pub style_blend: Vec<f64>,
    /// Size of the style image relative to `size` before its features are taken. The features
    /// measure strokes in pixels, so 0.5 (style shown half as large) gives strokes half as large
    /// in the output, 2 gives strokes twice as large.
    #[serde(default = "one")]
    pub style_scale: f64,
    /// CPU, a GPU, or whichever this build and machine offer.
    #[serde(default)]
    pub device: DeviceChoice,
    /// What the style loss compares: Gram matrices (the paper), per-channel mean and standard
    /// deviation, or mean and covariance (Wasserstein-2).
    #[serde(default)]
    pub style_stats: StyleStats,
    /// Coarse to fine, explicitly: stages of (size, steps); replaces `size`, `steps` and
    /// `coarse_to_fine` when set.
    #[serde(default)]
    pub multiscale: Option<MultiScale>,
    /// Coarse to fine by rule: the stages are `size / 4`, `size / 2` and `size` (at most
    /// [`COARSE_TO_FINE_STAGES`]), each at least this first size, run smallest first (64 with size
    /// 512: 128, 256, 512; with size 256: 64, 128, 256; with size 200: 100, 200), the steps split
    /// equally over them. The big strokes form where the picture is small and stay as it grows;
    /// starting at a quarter keeps them the same size relative to the picture at any size.
    /// `None`, or half of `size` below it: one stage.
    #[serde(default)]
    pub coarse_to_fine: Option<u32>,
    /// A picture whose bright parts mark where the style goes (black = the style loss ignores
    /// that region, so it keeps the content); stretched to the output's size.
    #[serde(default)]
    pub style_mask: Option<PathBuf>,
    /// Stopping rule: end a run (each stage of a multi-scale run) once the loss fell by less
    /// than this fraction over the last [`STOP_WINDOW`] accepted steps, i.e. when the picture has
    /// stopped changing; `None` runs every step.
    #[serde(default)]
    pub stop_change: Option<f64>,
}

/// Accepted steps the stopping rule looks back over (see [`Config::stop_change`]).
pub const STOP_WINDOW: usize = 10;

/// `total` steps over `n` stages, as equally as whole numbers allow (the last stages get the
/// remainder).
pub fn split_steps(total: usize, n: usize) -> Vec<usize> {
    let n = n.max(1);
    (0..n).map(|i| total / n + usize::from(i >= n - total % n)).collect()
}

/// Optimise at each size in turn, starting every stage from the previous result upsampled.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MultiScale {
    pub sizes: Vec<u32>,
    /// Steps at each size.
    pub steps: Vec<usize>,
}

impl MultiScale {
    pub fn new(sizes: Vec<u32>, steps: Vec<usize>) -> Result<Self> {
        let ms = MultiScale { sizes, steps };
        ms.validate()?;
        Ok(ms)
    }

    /// `stages` sizes ending at `size`, each `ratio` (< 1) times the next: e.g. 512 with
    /// ratio 0.5 and 3 stages = 128, 256, 512.
    pub fn by_ratio(size: u32, ratio: f64, steps: Vec<usize>) -> Result<Self> {
        if !(ratio > 0.0 && ratio < 1.0) {
            return Err(NstError::InvalidConfig(format!("scale ratio must be between 0 and 1, got {ratio}")));
        }
        let n = steps.len() as i32;
        let sizes = (0..n).map(|i| (size as f64 * ratio.powi(n - 1 - i)).round() as u32).collect();
        Self::new(sizes, steps)
    }

    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(NstError::InvalidConfig(m));
        if self.sizes.is_empty() || self.sizes.len() != self.steps.len() {
            return bad(format!(
                "multi-scale needs one step count per size: {} sizes, {} step counts (e.g. --scales 128,256 \
                 --scale-steps 200,100)",
                self.sizes.len(),
                self.steps.len()
            ));
        }
        if self.steps.contains(&0) {
            return bad("every multi-scale stage needs at least 1 step".into());
        }
        Ok(())
    }
}

fn one() -> f64 {
    1.0
}

impl Default for Config {
    fn default() -> Self {
        Config::preset(Preset::Balanced)
    }
}

/// Strength of the [`Preset::Balanced`] preset: with it all 16 of the quality bench's pairs at
/// 256 px meet the quality rule against PyTorch (README, "Quality").
pub const DEFAULT_STRENGTH: f64 = 1.0;
/// β at strength 1: jcjohnson/neural-style's style weight (features at the Caffe scale).
pub const STRENGTH_UNIT: f64 = 100.0;
/// α of the strength objective, jcjohnson's 5 raised by measurement: with 5 the photo faded past
/// the quality rule on chelsea + Starry Night once painted coarse to fine (7.5 kept it); with
/// relu5_1 relative, 7.5 left chelsea + brick at 1.30× PyTorch's content distance, 8.6 at 1.23×.
pub const BALANCED_CONTENT_WEIGHT: f64 = 8.6;
/// Weight of the smoothness term (mean L1 total variation of the 0–1 image) on the strength
/// objective: what jcjohnson/neural-style's 1e-3 on the 0–255 sum amounts to at 256 px, kept
/// at every size (a mean, so the smoothing does not grow with the picture).
pub const BALANCED_TV_WEIGHT: f64 = 50_000.0;
/// Weight of relu5_1 in the default's style layers (the others 1), where it is relative
/// ([`BALANCED_RELATIVE_LAYERS`]): a push of β × 65 per unit of relative Gram error for every
/// painting. Measured at 256 px: 36 (with α = 8.6) left coffee + Starry Night's mean style
/// distance at 1.00× PyTorch's, 50 at 0.99×, 65 at 0.95× (README, "Quality").
pub const BALANCED_DEEP_WEIGHT: f64 = 65.0;
/// The default's relative style layers ([`Config::relative_style_layers`]): relu5_1, the
/// painting's arrangement. On Gram/(c·h·w) one weight there pushed *The Starry Night* 65× harder
/// than brick: no weight passed both rocket + brick and the Starry pairs (README, "Quality").
pub const BALANCED_RELATIVE_LAYERS: &[&str] = &["relu5_1"];
/// The default's half-size style terms ([`Config::half_size_style`]), as a share of β: the
/// painting's large strokes. Measured on the quality bench at 256 px: the half-size distance of
/// every pair went to 0.13–0.55× PyTorch's (the grass pairs' from 1.08–1.59×), 13 of 16 pairs
/// meet the rule instead of 12; chelsea + The Starry Night kept its photo (content 1.22×), at
/// 0.2 it did not (1.29×, past the rule's 1.25×).
pub const BALANCED_HALF_SIZE_STYLE: f64 = 0.05;
/// The default's smallest first size when painting coarse to fine (see
/// [`Config::coarse_to_fine`]): at 64 px relu5_1 is a 4×4 grid; smaller is too coarse to place
/// strokes.
pub const BALANCED_FIRST_SIZE: u32 = 64;
/// Stages of the coarse-to-fine rule at most: a quarter, a half, the whole size. At 512 px a
/// 64 px start (four stages of 75 steps) kept less of the photo on chelsea + The Starry Night:
/// content 1.31× PyTorch's, past the quality rule; from 128 px, 1.17× (README, "Quality").
pub const COARSE_TO_FINE_STAGES: usize = 3;

/// L-BFGS memory of the default: 10 past steps. torch's 100 pairs cost 7.5 GB at 2048×1536 and
/// reached the same pictures (README, "Speed": measured with 10, 20 and 100).
pub const BALANCED_HISTORY: usize = 10;

/// The default's stopping rule: end a stage once the loss fell by less than 0.5 % over the last
/// [`STOP_WINDOW`] steps. On the previous single-stage default it ended a 512 px run near step
/// 175 of 300, where the picture had stopped changing (README, "Speed"); coarse to fine, with 100
/// steps a stage, it ends few stages early (285–300 steps ran on the quality bench at 256 px).
pub const BALANCED_STOP_CHANGE: f64 = 0.005;

impl Config {
    pub fn preset(p: Preset) -> Self {
        match p {
            Preset::Balanced => Self::balanced(),
            Preset::Seed => Self::seed(),
            Preset::Gatys => Self::gatys(),
            Preset::Chollet => Self::chollet(),
        }
    }

    /// The original notebook's settings: the base every other preset changes.
    fn seed() -> Self {
        Config {
            preset: Preset::Seed,
            mode: Mode::StyleTransfer,
            arch: Arch::Auto,
            weights: None,
            flavour: None,
            pooling: Pooling::Max,
            size: 512,
            sizing: Sizing::CropSquare,
            steps: 1000,
            content_layers: layers(&["conv_4", "conv_5"], 1.0),
            style_layers: layers(
                &["conv_1", "conv_2", "conv_3", "conv_4", "conv_5", "conv_6", "conv_7", "conv_8", "conv_9", "conv_10"],
                1.0,
            ),
            content_weight: 0.01,
            style_weight: 1e5,
            tv_weight: 0.0,
            range_weight: 0.0,
            half_size_style: 0.0,
            relative_style_layers: vec![],
            content_norm: ContentNorm::Mse,
            style_norm: StyleNorm::Notebook,
            tv: TvKind::L1,
            feature_scale: FeatureScale::Torchvision,
            optimizer: Optimizer::Lbfgs(Lbfgs::default()),
            init: Init::Content,
            seed: 0,
            snapshots: 10,
            results_dir: None,
            save: true,
            report: Report::Auto,
            kernels: Kernels::Auto,
            original_colours: OriginalColours::Off,
            style_blend: vec![],
            style_scale: 1.0,
            device: DeviceChoice::Auto,
            style_stats: StyleStats::Gram,
            multiscale: None,
            coarse_to_fine: None,
            style_mask: None,
            stop_change: None,
        }
    }

    /// PyTorch's objective painted coarse to fine (see the constants above).
    fn balanced() -> Self {
        Config {
            sizing: Sizing::KeepAspect,
            steps: 300,
            optimizer: Optimizer::Lbfgs(Lbfgs { history_size: BALANCED_HISTORY, ..Lbfgs::default() }),
            stop_change: Some(BALANCED_STOP_CHANGE),
            content_layers: layers(&["relu4_2"], 1.0),
            style_layers: ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
                .iter()
                .map(|&l| LayerWeight {
                    layer: l.into(),
                    weight: if l == "relu5_1" { BALANCED_DEEP_WEIGHT } else { 1.0 },
                })
                .collect(),
            relative_style_layers: BALANCED_RELATIVE_LAYERS.iter().map(|l| l.to_string()).collect(),
            coarse_to_fine: Some(BALANCED_FIRST_SIZE),
            half_size_style: BALANCED_HALF_SIZE_STYLE,
            preset: Preset::Balanced,
            ..Self::seed()
        }
        .with_strength(DEFAULT_STRENGTH)
    }

    /// The paper's settings.
    fn gatys() -> Self {
        Config {
            sizing: Sizing::KeepAspect,
            steps: 500,
            pooling: Pooling::Avg,
            content_layers: layers(&["relu4_2"], 1.0),
            style_layers: layers(&["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"], 0.2),
            content_weight: 1.0,
            style_weight: 1e3,
            // Not the paper's ½Σ: that sum grows with the number of feature elements, and from
            // the content image L-BFGS then stalls (its curvature dwarfs the style gradient;
            // measured: 0.5% progress in 20 steps at 128 px). The mean keeps α/β size-independent.
            content_norm: ContentNorm::Mse,
            style_norm: StyleNorm::Paper,
            feature_scale: FeatureScale::LayerMean,
            preset: Preset::Gatys,
            ..Self::seed()
        }
    }

    /// Chollet's *Deep Learning with Python*.
    fn chollet() -> Self {
        // Chollet divides each layer's Σ(G−A)² by 4·3²·(image pixels)², not by the
        // paper's 4·N²·M²; since M = pixels / 16^(block-1), the same loss is the paper's
        // with w_l = N² / (9·16^(block-1)), over 5 layers.
        let style = [
            ("relu1_1", 64.0, 0),
            ("relu2_1", 128.0, 1),
            ("relu3_1", 256.0, 2),
            ("relu4_1", 512.0, 3),
            ("relu5_1", 512.0, 4),
        ]
        .iter()
        .map(|&(l, n, b)| LayerWeight { layer: l.into(), weight: n * n / (9.0 * 16f64.powi(b)) / 5.0 })
        .collect();
        Config {
            sizing: Sizing::KeepAspect,
            size: 400,
            steps: 1000,
            content_layers: layers(&["block5_conv2"], 1.0),
            style_layers: style,
            // Chollet's Σ(F−P)² = 2 · the paper's ½Σ(F−P)².
            content_weight: 2.0 * 2.5e-8,
            style_weight: 1e-6,
            // His TV is on 0–255 pixels: (255²)^1.25 converts it to our 0–1 image.
            tv_weight: 1e-6 * 255f64.powf(2.5),
            content_norm: ContentNorm::HalfSum,
            style_norm: StyleNorm::Paper,
            tv: TvKind::Power(2.5),
            feature_scale: FeatureScale::Caffe,
            // lr 100 on 0–255 pixels = 100 / 255² on 0–1 pixels.
            optimizer: Optimizer::Sgd(SgdDecay {
                lr: 100.0 / (255.0 * 255.0),
                decay_rate: 0.96,
                decay_steps: 100.0,
                max_step: Some(0.05),
            }),
            preset: Preset::Chollet,
            ..Self::seed()
        }
    }

    /// Put the settings on the strength objective with style strength `s` (0 = content only,
    /// 1 = the default balance, 2 = the style counts twice as much, ...): PyTorch's objective
    /// (MSE content, Gram/(c·h·w) style on features at the Caffe scale, so either weights file
    /// gives the same balance), α = [`BALANCED_CONTENT_WEIGHT`], β = s·[`STRENGTH_UNIT`] on the
    /// layer weights as they are, the default smoothing and no range penalty. The balance is not
    /// the same for every pair (a painting with strong textures has larger Grams and counts for
    /// more), as in PyTorch.
    pub fn with_strength(mut self, s: f64) -> Self {
        self.content_norm = ContentNorm::Mse;
        self.style_norm = StyleNorm::Notebook;
        self.feature_scale = FeatureScale::Caffe;
        self.content_weight = BALANCED_CONTENT_WEIGHT;
        self.style_weight = s * STRENGTH_UNIT;
        self.tv = TvKind::L1Mean;
        self.tv_weight = BALANCED_TV_WEIGHT;
        self.range_weight = 0.0;
        self
    }

    /// The style strength, when the settings are on the strength objective (see
    /// [`Config::with_strength`]): β/α relative to the default's. `None` for other objectives.
    pub fn strength(&self) -> Option<f64> {
        let on = self.content_norm == ContentNorm::Mse
            && self.style_norm == StyleNorm::Notebook
            && self.feature_scale == FeatureScale::Caffe
            && self.tv == TvKind::L1Mean;
        on.then(|| {
            self.style_weight
                / STRENGTH_UNIT
                / if self.content_weight > 0.0 { self.content_weight / BALANCED_CONTENT_WEIGHT } else { 1.0 }
        })
    }

    /// The schedule, (size, steps) per stage: `multiscale`'s stages when set, else those of
    /// `coarse_to_fine`'s rule, else one stage of `size` and `steps`. The one place that
    /// decides; the loop, the checks and the progress count all read it.
    pub fn stages(&self) -> Vec<(u32, usize)> {
        match (&self.multiscale, self.coarse_to_fine) {
            (Some(m), _) => m.sizes.iter().copied().zip(m.steps.iter().copied()).collect(),
            (None, Some(start)) if start > 0 => {
                let mut sizes = vec![self.size];
                while sizes.len() < COARSE_TO_FINE_STAGES && sizes[0] / 2 >= start {
                    sizes.insert(0, sizes[0] / 2);
                }
                sizes.iter().copied().zip(split_steps(self.steps, sizes.len())).collect()
            }
            _ => vec![(self.size, self.steps)],
        }
    }

    /// One stage at `size` and `steps`: what a session runs (it keeps one size).
    pub fn single_stage(mut self) -> Self {
        self.multiscale = None;
        self.coarse_to_fine = None;
        self
    }

    /// Steps in all, over every stage.
    pub fn total_steps(&self) -> usize {
        self.stages().iter().map(|(_, n)| n).sum()
    }

    /// The settings a mode implies: content/style reconstructions start from noise and use one loss.
    pub fn for_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        match mode {
            Mode::StyleTransfer => {}
            Mode::Content => {
                self.style_weight = 0.0;
                self.init = Init::Noise;
            }
            Mode::Style => {
                self.content_weight = 0.0;
                self.init = Init::Noise;
            }
        }
        self
    }

    /// Check the numbers a user can get wrong: the weights, the schedule, the sizes, the losses.
    pub fn validate(&self) -> Result<()> {
        self.validate_weights()?;
        self.validate_schedule()?;
        self.validate_sizes()?;
        self.validate_losses()
    }

    fn validate_weights(&self) -> Result<()> {
        let bad = |m: String| Err(NstError::InvalidConfig(m));
        if let Some(st) = self.strength() {
            if !st.is_finite() || st < 0.0 {
                return bad(format!("style strength must be a finite number >= 0 (1 = the default balance), got {st}"));
            }
        }
        for (name, v) in [
            ("content weight", self.content_weight),
            ("style weight", self.style_weight),
            ("tv weight", self.tv_weight),
            ("range weight", self.range_weight),
            ("half-size style weight", self.half_size_style),
        ] {
            if !v.is_finite() || v < 0.0 {
                return bad(format!("{name} must be a finite number >= 0, got {v}"));
            }
        }
        for lw in self.content_layers.iter().chain(&self.style_layers) {
            // A negative weight would reward moving away from the target: the run diverges.
            if !lw.weight.is_finite() || lw.weight < 0.0 {
                return bad(format!(
                    "layer weight for {} must be a finite number >= 0 (0 leaves the layer out), got {}",
                    lw.layer, lw.weight
                ));
            }
        }
        if self.style_blend.iter().any(|w| !w.is_finite() || *w < 0.0)
            || (!self.style_blend.is_empty() && self.style_blend.iter().sum::<f64>() <= 0.0)
        {
            return bad(format!("style blend weights must be >= 0 with a positive sum, got {:?}", self.style_blend));
        }
        Ok(())
    }

    fn validate_schedule(&self) -> Result<()> {
        let bad = |m: String| Err(NstError::InvalidConfig(m));
        if self.steps == 0 {
            return bad("steps must be at least 1".into());
        }
        if let Some(ms) = &self.multiscale {
            ms.validate()?;
        }
        if self.coarse_to_fine == Some(0) {
            return bad("the first coarse-to-fine size must be a positive number of pixels (e.g. 128)".into());
        }
        let stages = self.stages();
        if stages.iter().any(|&(_, n)| n == 0) {
            return bad(format!(
                "{} steps cannot be split over the {} coarse-to-fine stages: give at least one step per stage",
                self.steps,
                stages.len()
            ));
        }
        if let Optimizer::Lbfgs(l) = &self.optimizer {
            if l.history_size == 0 {
                return bad("the L-BFGS history must keep at least 1 step (10–20 is plenty)".into());
            }
        }
        if let Some(eps) = self.stop_change {
            if !(eps.is_finite() && eps > 0.0 && eps < 1.0) {
                return bad(format!(
                    "the stopping rule's change must be a fraction between 0 and 1 (e.g. 0.001 = 0.1 %), got {eps}"
                ));
            }
        }
        Ok(())
    }

    fn validate_sizes(&self) -> Result<()> {
        // Sizes are checked here, before any weights load or picture is decoded: at least the
        // deepest layer's pooling factor (known from the layer names), at most MAX_WORK_SIDE.
        let spec = self.arch.spec().unwrap_or_else(VggSpec::vgg19);
        let multiple = 1u32
            << self
                .content_layers
                .iter()
                .chain(&self.style_layers)
                .filter_map(|l| spec.layer(&l.layer).ok())
                .map(|l| l.poolings_before())
                .max()
                .unwrap_or(0);
        for (size, _) in self.stages() {
            if size < multiple || size > crate::image_io::MAX_WORK_SIDE {
                return Err(NstError::BadImageSize {
                    size,
                    reason: format!(
                        "choose a size between {multiple} (the deepest layer is {multiple}x smaller than the \
                         picture) and {} pixels",
                        crate::image_io::MAX_WORK_SIDE
                    ),
                });
            }
        }
        if !self.style_scale.is_finite() || self.style_scale <= 0.0 || self.style_scale > 8.0 {
            return Err(NstError::InvalidConfig(format!("style scale must be in (0, 8], got {}", self.style_scale)));
        }
        Ok(())
    }

    fn validate_losses(&self) -> Result<()> {
        let bad = |m: &str| Err(NstError::InvalidConfig(m.into()));
        if self.content_weight > 0.0 && self.content_layers.is_empty() && self.mode != Mode::Style {
            return bad("content weight > 0 but no content layers");
        }
        if self.style_weight > 0.0 && self.style_layers.is_empty() && self.mode != Mode::Content {
            return bad("style weight > 0 but no style layers");
        }
        Ok(())
    }

    /// Whether every relative style layer asked for takes effect: each one a style layer, on the
    /// notebook normalisation with Gram statistics. `validate` does not ask it, since settings made
    /// from the default (which lists relu5_1) may change the layers or the statistics, and there a
    /// relative layer that cannot apply has no effect; the CLI asks it of `--relative-style-layers`.
    pub fn check_relative_layers(&self) -> Result<()> {
        let bad = |m: String| Err(NstError::InvalidConfig(m));
        if self.relative_style_layers.is_empty() {
            return Ok(());
        }
        if self.style_norm != StyleNorm::Notebook || self.style_stats != StyleStats::Gram {
            return bad(format!(
                "relative style layers need the notebook normalisation and Gram statistics (here {} and {}); \
                 with style_norm = relative every layer is relative already",
                self.style_norm, self.style_stats
            ));
        }
        for l in &self.relative_style_layers {
            if !self.style_layers.iter().any(|s| &s.layer == l) {
                let names: Vec<&str> = self.style_layers.iter().map(|s| s.layer.as_str()).collect();
                return bad(format!("relative style layer {l} is not a style layer (they are {})", names.join(", ")));
            }
        }
        Ok(())
    }
}

/// Whether `NST_QUICK` asks for quick mode (set, and neither empty nor "0").
pub(crate) fn quick() -> bool {
    std::env::var("NST_QUICK").map(|v| !v.is_empty() && v != "0").unwrap_or(false)
}

/// A size in quick mode: at most 64 px.
pub(crate) fn quick_size(size: u32) -> u32 {
    size.min(64)
}

/// A step count in quick mode: at most 8.
pub(crate) fn quick_steps(steps: usize) -> usize {
    steps.min(8)
}

/// `NST_QUICK=1` shrinks every run (64 px, at most 8 steps) so that notebooks can be executed
/// quickly in CI without changing their text.
pub fn quick_mode(mut config: Config) -> Config {
    if quick() {
        (config.size, config.steps) = (quick_size(config.size), quick_steps(config.steps));
        config.snapshots = config.snapshots.min(4);
        if let Some(ms) = &mut config.multiscale {
            // Keep the stages (and their order) but make each one tiny.
            for (i, size) in ms.sizes.iter_mut().enumerate() {
                *size = (*size).min(32 << i.min(1));
            }
            ms.steps.iter_mut().for_each(|s| *s = (*s).min(4));
        }
    }
    config
}

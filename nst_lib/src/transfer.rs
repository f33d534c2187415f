//! The transfer loop: load the pictures, compute the targets once, then let the optimiser
//! change the image until the budget of steps is spent.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::Tensor;
use image::RgbImage;

use crate::colour::{self, OriginalColours};
use crate::config::{Config, Init, Mode, MultiScale};
use crate::error::{NstError, Result};
use crate::image_io::{self, fit_size, resize_to, to_image, to_tensor};
use crate::metrics::{self, Fidelity};
use crate::results::SavedFiles;
use crate::total_loss::{LossParts, TotalLoss};
use crate::vgg::{LoadOptions, Vgg};

/// One loss evaluation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepReport {
    pub step: usize,
    #[serde(flatten)]
    pub loss: LossParts,
    /// Seconds since the start of the optimisation.
    pub seconds: f64,
}

/// Shown to a progress callback after every step.
pub struct Progress<'a> {
    pub report: &'a StepReport,
    pub steps: usize,
    /// The image just evaluated, RGB 0–1 `(1, 3, H, W)` (may leave 0–1 during optimisation).
    pub image: &'a Tensor,
}

/// Everything a run produced.
#[derive(Clone)]
pub struct Outcome {
    pub image: RgbImage,
    /// The inputs as the network saw them (after resizing); absent for "noise".
    pub content_image: Option<RgbImage>,
    pub style_image: Option<RgbImage>,
    /// Short names used for result files, e.g. "coffee" and "brick".
    pub content_name: String,
    pub style_name: String,
    /// Every evaluation, line-search trials included.
    pub history: Vec<StepReport>,
    /// The loss of the returned picture. Not the last entry of `history`: with a line search the
    /// last evaluation can be a rejected trial, higher than the picture's own loss.
    pub result_loss: Option<LossParts>,
    /// (step, image) every few steps, for the GIF and film strip.
    pub snapshots: Vec<(usize, RgbImage)>,
    pub seconds: f64,
    /// How much of the photo the picture keeps and how well it matches the style
    /// ([`crate::metrics`]), measured on the final image at working size.
    pub fidelity: Fidelity,
    pub config: Config,
    pub weights: WeightsInfo,
    pub saved: Option<SavedFiles>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct WeightsInfo {
    pub path: PathBuf,
    pub arch: String,
    pub flavour: crate::vgg::Flavour,
}

/// A summary, not pixels: `{:?}` of an outcome (or of an error holding one) stays readable.
impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outcome")
            .field("image", &format_args!("{}x{} RGB", self.image.width(), self.image.height()))
            .field("content", &self.content_name)
            .field("style", &self.style_name)
            .field("mode", &self.config.mode)
            .field("preset", &self.config.preset)
            .field("steps", &self.history.len())
            .field("first_loss", &self.first_loss())
            .field("final_loss", &self.final_loss())
            .field("seconds", &self.seconds)
            .field("fidelity", &self.fidelity)
            .field("snapshots", &self.snapshots.len())
            .field("weights", &self.weights.path)
            .field("saved", &self.saved.as_ref().map(|s| &s.image))
            .finish()
    }
}

impl Outcome {
    pub fn first_loss(&self) -> Option<f64> {
        self.history.first().map(|r| r.loss.total)
    }
    /// The loss of the returned picture (see [`Outcome::result_loss`]).
    pub fn final_loss(&self) -> Option<f64> {
        self.result_loss.as_ref().map(|l| l.total).or_else(|| self.history.last().map(|r| r.loss.total))
    }
    pub fn seconds_per_step(&self) -> f64 {
        self.seconds / self.history.len().max(1) as f64
    }
}

fn stem(path: &str) -> String {
    if path == "noise" {
        return "noise".into();
    }
    Path::new(path).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "image".into())
}

/// Blend weights for `n` styles: the given ones normalised to sum 1, or equal ones.
fn blend_weights(given: &[f64], n: usize) -> Result<Vec<f64>> {
    if given.is_empty() {
        return Ok(vec![1.0 / n.max(1) as f64; n]);
    }
    if given.len() != n {
        return Err(NstError::InvalidConfig(format!(
            "{} style blend weights for {n} style image(s): give one weight per image (e.g. --style-blend 0.3,0.7 \
             for two styles)",
            given.len()
        )));
    }
    let sum: f64 = given.iter().sum();
    Ok(given.iter().map(|w| w / sum).collect())
}

/// A loaded network plus settings, reusable for many runs (weights are loaded once).
#[derive(Debug)]
pub struct StyleTransfer {
    pub config: Config,
    pub vgg: Vgg,
}

impl StyleTransfer {
    /// Validate the settings, find and load the weights.
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let path = crate::weights::resolve(config.weights.as_deref())?;
        Self::with_weights(config, &path)
    }

    pub fn with_weights(config: Config, weights: &Path) -> Result<Self> {
        let config = crate::quick_mode(config);
        config.validate()?;
        let opts = LoadOptions { spec: config.arch.spec(), flavour: config.flavour, pooling: Some(config.pooling) };
        let device = config.device.open()?;
        let mut vgg = Vgg::load(weights, &opts, &device)?;
        vgg.set_kernels(config.kernels);
        // Resolve every layer name now, so a typo fails before any work.
        for lw in config.content_layers.iter().chain(&config.style_layers) {
            vgg.spec.layer(&lw.layer)?;
        }
        Ok(Self { config, vgg })
    }

    /// The fidelity measure ([`crate::metrics`]) of any picture against a content image and a
    /// style image with this network, e.g. to compare your result with PyTorch's.
    pub fn fidelity(
        &self,
        output: &RgbImage,
        content: Option<&RgbImage>,
        style: Option<&RgbImage>,
    ) -> Result<Fidelity> {
        let styles: Vec<(&RgbImage, f64)> = style.map(|s| (s, 1.0)).into_iter().collect();
        metrics::fidelity(&self.vgg, output, content, &styles)
    }

    /// Run with the original notebook's arguments: `content` may be "noise"; in `Mode::Content`
    /// the image to rebuild is `style` (the notebook's convention).
    pub fn run(&self, content: &str, style: &str) -> Result<Outcome> {
        self.run_with_progress(content, style, &mut |_| {})
    }

    pub fn run_with_progress(&self, content: &str, style: &str, on_step: &mut dyn FnMut(&Progress)) -> Result<Outcome> {
        match &self.config.multiscale {
            Some(ms) => self.run_multiscale(ms, content, style, on_step),
            None => self.run_stage(&self.config, content, style, None, on_step),
        }
    }

    /// Coarse to fine: optimise at the first size, upsample the result, continue at the next.
    /// The big picture settles cheaply at small sizes; the last stage adds detail.
    fn run_multiscale(
        &self,
        ms: &MultiScale,
        content: &str,
        style: &str,
        on_step: &mut dyn FnMut(&Progress),
    ) -> Result<Outcome> {
        ms.validate()?;
        let total: usize = ms.steps.iter().sum();
        let (mut done, mut seconds) = (0usize, 0f64);
        let mut history = vec![];
        let mut snapshots = vec![];
        let mut last: Option<Outcome> = None;
        for (&size, &steps) in ms.sizes.iter().zip(&ms.steps) {
            let cfg = Config { size, steps, multiscale: None, ..self.config.clone() };
            let start = last.as_ref().map(|o| o.image.clone());
            let mut forward = |p: &Progress| {
                let report =
                    StepReport { step: p.report.step + done, seconds: p.report.seconds + seconds, ..p.report.clone() };
                on_step(&Progress { report: &report, steps: total, image: p.image });
            };
            let out = self.run_stage(&cfg, content, style, start, &mut forward)?;
            history.extend(out.history.iter().map(|r| StepReport {
                step: r.step + done,
                seconds: r.seconds + seconds,
                ..r.clone()
            }));
            snapshots.extend(out.snapshots.iter().map(|(k, img)| (k + done, img.clone())));
            done += steps;
            seconds += out.seconds;
            last = Some(out);
        }
        let mut out = last.expect("validate() requires at least one stage");
        // Every frame at the final size, for the GIF and the film strip.
        let (w, h) = out.image.dimensions();
        for (_, img) in &mut snapshots {
            if img.dimensions() != (w, h) {
                *img = image::imageops::resize(img, w, h, image::imageops::FilterType::CatmullRom);
            }
        }
        out.history = history;
        out.snapshots = snapshots;
        out.seconds = seconds;
        out.config = self.config.clone();
        Ok(out)
    }

    /// One optimisation at `cfg.size`, from `start` (resized) when given.
    fn run_stage(
        &self,
        cfg: &Config,
        content: &str,
        style: &str,
        start: Option<RgbImage>,
        on_step: &mut dyn FnMut(&Progress),
    ) -> Result<Outcome> {
        let dev = self.vgg.device().clone();
        let is_noise = |p: &str| p.trim().eq_ignore_ascii_case("noise");
        // Which picture plays which role.
        let (content_src, style_src, start_src) = match cfg.mode {
            Mode::StyleTransfer => {
                if is_noise(content) {
                    return Err(NstError::NoiseNotAllowed {
                        role: "content image (first argument)",
                        mode: cfg.mode.as_str().into(),
                    });
                }
                (Some(content), Some(style), None)
            }
            Mode::Content => (Some(style), None, (!is_noise(content)).then_some(content)),
            Mode::Style => (None, Some(style), (!is_noise(content)).then_some(content)),
        };
        // Several styles: "a.jpg,b.jpg".
        let style_list: Vec<&str> =
            style_src.map(|s| s.split(',').map(str::trim).filter(|p| !p.is_empty()).collect()).unwrap_or_default();
        if style_src.is_some() && style_list.is_empty() {
            return Err(NstError::InvalidConfig(format!(
                "no style image in {:?}: give a path, or several separated by commas",
                style_src.unwrap_or_default()
            )));
        }
        let blend = blend_weights(&cfg.style_blend, style_list.len())?;
        if style_list.iter().any(|s| is_noise(s)) {
            return Err(NstError::NoiseNotAllowed {
                role: "style image (second argument)",
                mode: cfg.mode.as_str().into(),
            });
        }
        if content_src.is_some_and(is_noise) {
            return Err(NstError::NoiseNotAllowed {
                role: "image to rebuild (second argument)",
                mode: cfg.mode.as_str().into(),
            });
        }
        let load = |p: &str| -> Result<RgbImage> { image_io::load_rgb(&image_io::resolve_input(p)?) };
        let content_raw = content_src.map(load).transpose()?;
        let styles_raw = style_list.iter().map(|s| load(s)).collect::<Result<Vec<_>>>()?;
        let start_raw = start_src.map(load).transpose()?;

        // Sizes must tile the deepest pooling exactly.
        let deepest = cfg
            .content_layers
            .iter()
            .chain(&cfg.style_layers)
            .map(|l| self.vgg.spec.layer(&l.layer))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .map(|l| l.poolings_before())
            .max()
            .unwrap_or(0);
        let multiple = 1u32 << deepest;
        let prepare = |img: &RgbImage| -> Result<RgbImage> {
            let target = fit_size(img.width(), img.height(), cfg.size, multiple, cfg.sizing)?;
            Ok(resize_to(img, target, cfg.sizing))
        };
        let content_img = content_raw.as_ref().map(prepare).transpose()?;
        // Style scale: the style image's working size relative to the output's.
        let style_size = ((cfg.size as f64 * cfg.style_scale).round() as u32).max(multiple);
        let prepare_style = |img: &RgbImage| -> Result<RgbImage> {
            let target = fit_size(img.width(), img.height(), style_size, multiple, cfg.sizing)?;
            let img = resize_to(img, target, cfg.sizing);
            Ok(match (cfg.original_colours, &content_img) {
                (OriginalColours::Match, Some(c)) => colour::match_colours(&img, c),
                _ => img,
            })
        };
        let style_imgs = styles_raw.iter().map(prepare_style).collect::<Result<Vec<_>>>()?;
        let style_img = match style_imgs.len() {
            0 => None,
            1 => Some(style_imgs[0].clone()),
            _ => Some(image_io::hstack(&style_imgs)),
        };
        // The output takes the content's size; without content, the start image's or the style's.
        let start_img = start_raw.as_ref().map(prepare).transpose()?;
        let out_size = content_img
            .as_ref()
            .or(start_img.as_ref())
            .or(style_img.as_ref())
            .map(|i| i.dimensions())
            .expect("every mode has at least one image");
        // A previous stage's result (multi-scale) is stretched to exactly this stage's size: its
        // own aspect was rounded to other multiples.
        let start_img = match start {
            Some(img) => {
                Some(image::imageops::resize(&img, out_size.0, out_size.1, image::imageops::FilterType::CatmullRom))
            }
            None => start_img,
        };

        let content_t = content_img.as_ref().map(|i| to_tensor(i, &dev)).transpose()?;
        let styles_t =
            style_imgs.iter().zip(&blend).map(|(i, &w)| Ok((to_tensor(i, &dev)?, w))).collect::<Result<Vec<_>>>()?;
        let mut loss = TotalLoss::with_styles(&self.vgg, content_t.as_ref(), &styles_t, cfg)?;
        if let Some(path) = &cfg.style_mask {
            let mask = image_io::load_rgb(&image_io::resolve_input(&path.to_string_lossy())?)?;
            let mask = image::imageops::resize(&mask, out_size.0, out_size.1, image::imageops::FilterType::Triangle);
            let grey = image::DynamicImage::ImageRgb8(mask).into_luma8();
            let values: Vec<f32> = grey.pixels().map(|p| p.0[0] as f32 / 255.0).collect();
            let m = Tensor::from_vec(values, (1, 1, out_size.1 as usize, out_size.0 as usize), &dev)?;
            loss.set_style_mask(&m)?;
        }

        let x0 = match (&start_img, cfg.init, &content_t, style_imgs.first()) {
            (Some(img), ..) => to_tensor(img, &dev)?,
            (None, Init::Content, Some(c), _) => c.clone(),
            (None, Init::Style, _, Some(s)) => to_tensor(&resize_to(s, out_size, cfg.sizing), &dev)?,
            _ => image_io::noise(out_size.0, out_size.1, cfg.seed, &dev)?,
        };

        // The objective seen by the optimiser: one call = one step.
        let steps = cfg.steps;
        let every = (steps / cfg.snapshots.max(1)).max(1);
        let t0 = Instant::now();
        struct State {
            history: Vec<StepReport>,
            snapshots: Vec<(usize, RgbImage)>,
            last_good: Option<(usize, Tensor)>,
            diverged: Option<(usize, f64)>,
        }
        let state = RefCell::new(State { history: vec![], snapshots: vec![], last_good: None, diverged: None });
        let mut objective = |x: &Tensor| -> Result<(f64, Tensor)> {
            let (parts, grad) = loss.loss_and_grad(x)?;
            let mut st = state.borrow_mut();
            let step = st.history.len() + 1;
            if !parts.total.is_finite() {
                st.diverged = Some((step, parts.total));
                return Err(NstError::Stopped("loss is not finite".into()));
            }
            st.last_good = Some((step, x.clone()));
            // The start, then every `every` steps; the final image is kept separately.
            if (step == 1 || step.is_multiple_of(every)) && step < steps {
                st.snapshots.push((step, to_image(x)?));
            }
            let total = parts.total;
            let report = StepReport { step, loss: parts, seconds: t0.elapsed().as_secs_f64() };
            st.history.push(report.clone());
            drop(st);
            on_step(&Progress { report: &report, steps, image: x });
            Ok((total, grad))
        };
        let result = cfg.optimizer.minimize(&x0, steps, &mut objective);
        let seconds = t0.elapsed().as_secs_f64();
        let st = state.into_inner();
        let weights =
            WeightsInfo { path: self.vgg.path.clone(), arch: self.vgg.spec.name.clone(), flavour: self.vgg.flavour };
        let mut outcome = Outcome {
            image: RgbImage::new(1, 1),
            content_image: content_img,
            style_image: style_img,
            content_name: stem(content_src.filter(|_| cfg.mode == Mode::StyleTransfer).unwrap_or(content)),
            style_name: if style_list.len() > 1 {
                style_list.iter().map(|s| stem(s)).collect::<Vec<_>>().join("+")
            } else {
                stem(style)
            },
            history: st.history,
            result_loss: None,
            snapshots: st.snapshots,
            seconds,
            fidelity: Fidelity::default(),
            config: cfg.clone(),
            weights,
            saved: None,
        };
        let final_x = match (result, st.diverged) {
            (Ok(x), _) => x,
            (Err(NstError::Stopped(_)), Some((step, loss))) => {
                let (last_good_step, x) = st.last_good.unwrap_or((0, x0));
                outcome.image = to_image(&x)?;
                return Err(NstError::Diverged {
                    step,
                    loss,
                    last_good_step,
                    saved: String::new(),
                    outcome: Box::new(outcome),
                });
            }
            (Err(e), _) => return Err(e),
        };
        // One forward pass (no gradient) for the picture's own loss.
        outcome.result_loss = Some(loss.loss(&final_x)?);
        outcome.image = to_image(&final_x)?;
        if let (OriginalColours::Luminance, Some(c)) = (cfg.original_colours, &outcome.content_image) {
            outcome.image = colour::luminance_transfer(&outcome.image, c)?;
            for (_, snap) in &mut outcome.snapshots {
                *snap = colour::luminance_transfer(snap, c)?;
            }
        }
        // Measured on the picture the user gets (quantised, recoloured), not the optimiser's x.
        if metrics::available(&self.vgg.spec) {
            let styles: Vec<(&RgbImage, f64)> = style_imgs.iter().zip(blend).collect();
            outcome.fidelity = metrics::fidelity(&self.vgg, &outcome.image, outcome.content_image.as_ref(), &styles)?;
        }
        Ok(outcome)
    }
}

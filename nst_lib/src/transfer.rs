//! The transfer loop: load the pictures, compute the targets once, then let the optimiser
//! change the image until the budget of steps is spent.

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use candle_core::Tensor;
use image::RgbImage;

use crate::colour::{self, OriginalColours};
use crate::config::{Config, Init, LayerWeight, Mode, STOP_WINDOW};
use crate::error::{NstError, Result};
use crate::image_io::{self, fit_size, resize_to, to_image, to_tensor};
use crate::metrics::{self, Fidelity};
use crate::outcome::{Outcome, Progress, Status, StepReport, StopFlag, WeightsInfo};
use crate::total_loss::{LossParts, TotalLoss};
use crate::vgg::{LoadOptions, Vgg};

fn stem(path: &str) -> String {
    if path == "noise" {
        return "noise".into();
    }
    Path::new(path).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "image".into())
}

/// The names result files are made from, `(content, style)`: the files' stems, several styles
/// joined by "+" (`style` may list several, comma-separated).
pub fn result_names(content: &str, style: &str) -> (String, String) {
    let styles: Vec<&str> = style.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    let style_name = match styles.as_slice() {
        [one] => stem(one),
        [_, _, ..] => styles.iter().map(|s| stem(s)).collect::<Vec<_>>().join("+"),
        [] => stem(style),
    };
    (stem(content), style_name)
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

/// Which picture plays which role, from the original notebook's two arguments: "noise" (a
/// random start) is accepted only where the notebook accepts it, several styles are given
/// comma-separated, and in `Mode::Content` the picture to rebuild is the second argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    /// The picture whose content is kept (or rebuilt).
    pub content: Option<String>,
    /// One or more style pictures.
    pub styles: Vec<String>,
    /// A picture to start from instead of `Config::init` (reconstructions only).
    pub start: Option<String>,
}

impl Inputs {
    pub fn from_args(mode: Mode, content: &str, style: &str) -> Result<Self> {
        let is_noise = |p: &str| p.trim().eq_ignore_ascii_case("noise");
        let noise = |role: &'static str| NstError::NoiseNotAllowed { role, mode: mode.as_str().into() };
        let (content_src, style_src, start) = match mode {
            Mode::StyleTransfer if is_noise(content) => return Err(noise("content image (first argument)")),
            Mode::StyleTransfer => (Some(content), Some(style), None),
            Mode::Content => (Some(style), None, (!is_noise(content)).then_some(content)),
            Mode::Style => (None, Some(style), (!is_noise(content)).then_some(content)),
        };
        let styles: Vec<String> = style_src
            .map(|s| s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect())
            .unwrap_or_default();
        if let (Some(s), true) = (style_src, styles.is_empty()) {
            return Err(NstError::InvalidConfig(format!(
                "no style image in {s:?}: give a path, or several separated by commas"
            )));
        }
        if styles.iter().any(|s| is_noise(s)) {
            return Err(noise("style image (second argument)"));
        }
        if content_src.is_some_and(is_noise) {
            return Err(noise("image to rebuild (second argument)"));
        }
        Ok(Self { content: content_src.map(String::from), styles, start: start.map(String::from) })
    }

    /// Every picture file named, checked without decoding its pixels (present, within the
    /// size limits, not cut short): a bad one is an error before any work.
    pub fn check_files(&self) -> Result<()> {
        for p in self.content.iter().chain(&self.styles).chain(&self.start) {
            image_io::check_file(&image_io::resolve_input(p)?)?;
        }
        Ok(())
    }
}

/// A loaded network plus settings, reusable for many runs (weights are loaded once).
#[derive(Debug)]
pub struct StyleTransfer {
    pub config: Config,
    pub vgg: Vgg,
    /// Ask a run (or session) of this network to stop after its current step, from another
    /// thread or a signal handler; see [`StopFlag`].
    pub stop: StopFlag,
}

impl StyleTransfer {
    /// Validate the settings, find and load the weights.
    pub fn new(config: Config) -> Result<Self> {
        let config = crate::config::quick_mode(config);
        config.validate()?;
        let path = crate::weights::resolve(config.weights.as_deref())?;
        Self::load_validated(config, &path)
    }

    /// Validate the settings and load these weights.
    pub fn with_weights(config: Config, weights: &Path) -> Result<Self> {
        let config = crate::config::quick_mode(config);
        config.validate()?;
        Self::load_validated(config, weights)
    }

    /// Load for settings already validated (and quick mode applied): the front door checks
    /// everything before any work, once.
    pub(crate) fn load_validated(config: Config, weights: &Path) -> Result<Self> {
        let opts = LoadOptions {
            spec: config.arch.spec(),
            flavour: config.flavour,
            pooling: Some(config.pooling),
            custom: false,
        };
        let device = config.device.open()?;
        let mut vgg = Vgg::load(weights, &opts, &device)?;
        vgg.set_kernels(config.kernels);
        // Resolve every layer name now, so a typo fails before any work.
        for lw in config.content_layers.iter().chain(&config.style_layers) {
            vgg.spec.layer(&lw.layer)?;
        }
        Ok(Self { config, vgg, stop: StopFlag::new() })
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
        self.run_config(&self.config, content, style, on_step)
    }

    /// Run with other settings on the network already loaded: a sweep loads VGG once. What
    /// describes the network (weights, architecture, flavour, pooling, device, kernels) must be
    /// what was loaded; everything else may differ.
    pub fn run_with(&self, config: &Config, content: &str, style: &str) -> Result<Outcome> {
        let config = crate::config::quick_mode(config.clone());
        config.validate()?;
        let model = |c: &Config| (c.weights.clone(), c.arch, c.flavour, c.pooling, c.device, c.kernels);
        if model(&config) != model(&self.config) {
            return Err(NstError::InvalidConfig(format!(
                "these settings describe another network ({:?}) than the one loaded ({:?}): load it with \
                 StyleTransfer::new, or change only the other settings",
                model(&config),
                model(&self.config)
            )));
        }
        self.run_config(&config, content, style, &mut |_| {})
    }

    fn run_config(
        &self,
        cfg: &Config,
        content: &str,
        style: &str,
        on_step: &mut dyn FnMut(&Progress),
    ) -> Result<Outcome> {
        for lw in cfg.content_layers.iter().chain(&cfg.style_layers) {
            self.vgg.spec.layer(&lw.layer)?;
        }
        match cfg.stages()[..] {
            [_] => self.run_stage(cfg, content, style, None, on_step),
            ref stages => self.run_multiscale(cfg, stages, content, style, on_step),
        }
    }

    /// Coarse to fine: optimise at the first size, upsample the result, continue at the next.
    /// The big picture settles cheaply at small sizes; the last stage adds detail.
    fn run_multiscale(
        &self,
        config: &Config,
        stages: &[(u32, usize)],
        content: &str,
        style: &str,
        on_step: &mut dyn FnMut(&Progress),
    ) -> Result<Outcome> {
        let total = config.total_steps();
        let (mut done, mut seconds) = (0usize, 0f64);
        let mut history = vec![];
        let mut snapshots = vec![];
        let mut last: Option<Outcome> = None;
        for &(size, steps) in stages {
            let cfg = Config { size, steps, ..config.clone().single_stage() };
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
            done += out.history.len(); // a stage may stop early (stopping rule)
            seconds += out.seconds;
            let diverged = out.status != Status::Finished;
            last = Some(out);
            if diverged {
                break; // the later stages would start from a broken picture
            }
        }
        let mut out = last.expect("validate() requires at least one stage");
        // As many frames as one stage of the same steps would keep (each stage took its own
        // `snapshots`): the first of each stretch of total / snapshots steps.
        let every = (total / config.snapshots.max(1)).max(1);
        let mut window = None;
        snapshots.retain(|(k, _)| window.replace(k / every) != Some(k / every));
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
        out.config = config.clone();
        Ok(out)
    }

    /// One optimisation at `cfg.size`, from `start` (resized) when given: a session run to the end.
    fn run_stage(
        &self,
        cfg: &Config,
        content: &str,
        style: &str,
        start: Option<RgbImage>,
        on_step: &mut dyn FnMut(&Progress),
    ) -> Result<Outcome> {
        let mut session = Session::start(self, cfg.clone(), content, style, start)?;
        session.run_with_progress(cfg.steps, on_step)?;
        session.finish()
    }

    /// A run to drive step by step (see [`Session`]): `content` and `style` as for
    /// [`StyleTransfer::run`]. A session keeps one size, `size`: the coarse-to-fine rule is for
    /// whole runs, and explicit multi-scale stages are refused.
    pub fn session(&self, content: &str, style: &str) -> Result<Session<'_>> {
        if self.config.multiscale.is_some() {
            return Err(NstError::InvalidConfig(
                "a session runs at one size: use `StyleTransfer::run` for multi-scale settings".into(),
            ));
        }
        Session::start(self, self.config.clone().single_stage(), content, style, None)
    }
}

/// A run in progress, which a notebook drives: `run(n)` steps, look at `image()` and
/// `history()`, change a weight or the layers with `change(...)` (only what must be recomputed
/// is: targets only when layers or statistics change), run on, then `finish()` into the same
/// [`Outcome`] a whole run gives. The history and step numbers run on across calls. Each call
/// of `run` starts the optimiser afresh: L-BFGS's memory of the curvature would belong to the
/// old objective after a change.
pub struct Session<'a> {
    nst: &'a StyleTransfer,
    config: Config,
    loss: TotalLoss<'a>,
    /// The current image, RGB 0–1 `(1, 3, H, W)`.
    x: Tensor,
    content_img: Option<RgbImage>,
    style_imgs: Vec<RgbImage>,
    /// The style mask at working size, kept to rebuild the loss after a change.
    mask: Option<Tensor>,
    blend: Vec<f64>,
    content_name: String,
    style_name: String,
    history: Vec<StepReport>,
    snapshots: Vec<(usize, RgbImage)>,
    status: Status,
    seconds: f64,
}

impl<'a> Session<'a> {
    fn start(nst: &'a StyleTransfer, cfg: Config, content: &str, style: &str, start: Option<RgbImage>) -> Result<Self> {
        let vgg = &nst.vgg;
        let dev = vgg.device().clone();
        let inputs = Inputs::from_args(cfg.mode, content, style)?;
        let (content_src, style_list, start_src) = (inputs.content, inputs.styles, inputs.start);
        let blend = blend_weights(&cfg.style_blend, style_list.len())?;
        let load = |p: &str| -> Result<RgbImage> { image_io::load_rgb(&image_io::resolve_input(p)?) };
        let content_raw = content_src.as_deref().map(load).transpose()?;
        let styles_raw = style_list.iter().map(|s| load(s)).collect::<Result<Vec<_>>>()?;
        let start_raw = start_src.as_deref().map(load).transpose()?;

        // Sizes must tile the deepest pooling exactly.
        let deepest = cfg
            .content_layers
            .iter()
            .chain(&cfg.style_layers)
            .map(|l| vgg.spec.layer(&l.layer))
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
        // A previous stage's result (multi-scale) or a start picture of another shape than the
        // picture to rebuild is stretched to exactly this size (its own aspect was rounded to
        // other multiples, or is another picture's).
        let start_img = start.or(start_img).map(|img| {
            if img.dimensions() == out_size {
                img
            } else {
                image::imageops::resize(&img, out_size.0, out_size.1, image::imageops::FilterType::CatmullRom)
            }
        });

        let content_t = content_img.as_ref().map(|i| to_tensor(i, &dev)).transpose()?;
        let mask = match &cfg.style_mask {
            Some(path) => {
                let mask = image_io::load_rgb(&image_io::resolve_input(&path.to_string_lossy())?)?;
                let mask =
                    image::imageops::resize(&mask, out_size.0, out_size.1, image::imageops::FilterType::Triangle);
                let grey = image::DynamicImage::ImageRgb8(mask).into_luma8();
                let values: Vec<f32> = grey.pixels().map(|p| p.0[0] as f32 / 255.0).collect();
                Some(Tensor::from_vec(values, (1, 1, out_size.1 as usize, out_size.0 as usize), &dev)?)
            }
            None => None,
        };
        let loss = objective(vgg, content_t.as_ref(), &style_imgs, &blend, mask.as_ref(), &cfg)?;

        let x = match (&start_img, cfg.init, &content_t, style_imgs.first()) {
            (Some(img), ..) => to_tensor(img, &dev)?,
            (None, Init::Content, Some(c), _) => c.clone(),
            (None, Init::Style, _, Some(s)) => to_tensor(&resize_to(s, out_size, cfg.sizing), &dev)?,
            _ => image_io::noise(out_size.0, out_size.1, cfg.seed, &dev)?,
        };
        let (content_name, style_name) = result_names(content, style);
        Ok(Self {
            nst,
            config: cfg,
            loss,
            x,
            content_img,
            style_imgs,
            mask,
            blend,
            content_name,
            style_name,
            history: vec![],
            snapshots: vec![],
            status: Status::Finished,
            seconds: 0.0,
        })
    }

    /// Run `steps` more steps (fewer if the optimiser converges or the run diverges).
    pub fn run(&mut self, steps: usize) -> Result<()> {
        self.run_with_progress(steps, &mut |_| {})
    }

    /// [`Session::run`] with a callback after every step.
    pub fn run_with_progress(&mut self, steps: usize, on_step: &mut dyn FnMut(&Progress)) -> Result<()> {
        if self.status != Status::Finished || steps == 0 {
            return Ok(()); // a diverged run stays at its last good picture
        }
        let done = self.history.len();
        let (planned, end) = (self.config.steps.max(done + steps), done + steps);
        // Snapshots every `every` steps of the planned run (the start included).
        let every = (planned / self.config.snapshots.max(1)).max(1);
        let t0 = Instant::now();
        let seconds0 = self.seconds;
        struct State {
            history: Vec<StepReport>,
            snapshots: Vec<(usize, RgbImage)>,
            last_good: Option<(usize, Tensor)>,
            diverged: Option<(usize, f64)>,
            stopped: bool,
        }
        let state = RefCell::new(State {
            history: std::mem::take(&mut self.history),
            snapshots: std::mem::take(&mut self.snapshots),
            last_good: None,
            diverged: None,
            stopped: false,
        });
        let loss = &self.loss;
        let stop = &self.nst.stop;
        // The objective seen by the optimiser: one call = one step.
        let mut objective = |x: &Tensor| -> Result<(f64, Tensor)> {
            if stop.is_requested() {
                state.borrow_mut().stopped = true;
                return Err(NstError::Stopped("stop requested".into()));
            }
            let (parts, grad) = loss.loss_and_grad(x)?;
            let mut st = state.borrow_mut();
            let step = st.history.len() + 1;
            if !parts.total.is_finite() {
                st.diverged = Some((step, parts.total));
                return Err(NstError::Stopped("loss is not finite".into()));
            }
            st.last_good = Some((step, x.clone()));
            // The start, then every `every` steps; the final image is kept separately.
            if (step == 1 || step.is_multiple_of(every)) && step < end {
                st.snapshots.push((step, to_image(x)?));
            }
            let total = parts.total;
            // Marked accepted afterwards, when the optimiser moves to it.
            let report =
                StepReport { step, loss: parts, seconds: seconds0 + t0.elapsed().as_secs_f64(), accepted: false };
            st.history.push(report.clone());
            drop(st);
            on_step(&Progress { report: &report, steps: planned, image: x });
            Ok((total, grad))
        };
        // Mark the iterate the optimiser moved to, and apply the stopping rule to the accepted
        // losses of this call.
        let stop_change = self.config.stop_change;
        let mut kept: Vec<f64> = vec![];
        let mut accepted = |loss: f64| {
            let mut st = state.borrow_mut();
            let fresh = st.history.len() - done.min(st.history.len());
            if let Some(r) = st.history.iter_mut().rev().take(fresh).find(|r| r.loss.total == loss) {
                r.accepted = true;
            }
            kept.push(loss);
            match (stop_change, kept.len().checked_sub(STOP_WINDOW + 1)) {
                (Some(eps), Some(i)) if (kept[i] - loss) < eps * loss.abs() => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            }
        };
        let result = self.config.optimizer.minimize_marking(&self.x, steps, &mut objective, &mut accepted);
        let st = state.into_inner();
        self.history = st.history;
        self.snapshots = st.snapshots;
        self.seconds = seconds0 + t0.elapsed().as_secs_f64();
        match (result, st.diverged) {
            (Ok(x), _) => self.x = x,
            (Err(NstError::Stopped(_)), None) if st.stopped => {
                // Keep the picture of the last step done (the stop comes before the next one).
                let step = st.last_good.as_ref().map(|(k, _)| *k).unwrap_or(done);
                if let Some((_, x)) = st.last_good {
                    self.x = x;
                }
                self.status = Status::Stopped { step };
            }
            (Err(NstError::Stopped(_)), Some((step, loss))) => {
                // Never lose the work: keep the last good picture and say why.
                let last_good_step = st.last_good.as_ref().map(|(k, _)| *k).unwrap_or(done);
                if let Some((_, x)) = st.last_good {
                    self.x = x;
                }
                self.status = Status::Diverged { step, loss, last_good_step };
            }
            (Err(e), _) => return Err(e),
        }
        Ok(())
    }

    /// Change settings between steps. Weights (α, β, γ, strength, layer weights) only reweigh
    /// the loss; other changes to the objective (layers, norms, statistics) recompute the
    /// targets from the same pictures. Sizes, images and the mode are fixed for a session.
    pub fn change(&mut self, edit: impl FnOnce(&mut Config)) -> Result<()> {
        let mut cfg = self.config.clone();
        edit(&mut cfg);
        cfg.validate()?;
        let fixed = |c: &Config| (c.size, c.sizing, c.mode, c.style_scale, c.style_mask.clone(), c.original_colours);
        if fixed(&cfg) != fixed(&self.config) || cfg.pooling != self.config.pooling || cfg.stages().len() > 1 {
            return Err(NstError::InvalidConfig(
                "a session keeps its size, pictures, mode, pooling and colours; start a new one to change them".into(),
            ));
        }
        let names = |c: &Config| {
            let n = |l: &[LayerWeight]| l.iter().map(|l| l.layer.clone()).collect::<Vec<_>>();
            (n(&c.content_layers), n(&c.style_layers), c.style_stats, c.content_norm, c.style_norm, c.feature_scale)
        };
        if names(&cfg) == names(&self.config) {
            self.loss.reweigh(&cfg)?;
        } else {
            let vgg = &self.nst.vgg;
            let content_t = self.content_img.as_ref().map(|i| to_tensor(i, vgg.device())).transpose()?;
            self.loss = objective(vgg, content_t.as_ref(), &self.style_imgs, &self.blend, self.mask.as_ref(), &cfg)?;
        }
        self.config = cfg;
        Ok(())
    }

    /// The current picture.
    pub fn image(&self) -> Result<RgbImage> {
        to_image(&self.x)
    }

    /// Every step so far (line-search trials included), numbered across calls of `run`.
    pub fn history(&self) -> &[StepReport] {
        &self.history
    }

    /// The loss of the current picture under the current settings.
    pub fn loss(&self) -> Result<LossParts> {
        self.loss.loss(&self.x)
    }

    /// The settings now in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// End the run: the final picture (with colour post-processing), its loss and fidelity.
    pub fn finish(self) -> Result<Outcome> {
        let cfg = &self.config;
        let vgg = &self.nst.vgg;
        let weights = WeightsInfo { path: vgg.path.clone(), arch: vgg.spec.name.clone(), flavour: vgg.flavour };
        let style_image = match self.style_imgs.len() {
            0 => None,
            1 => Some(self.style_imgs[0].clone()),
            _ => Some(image_io::hstack(&self.style_imgs)),
        };
        let mut outcome = Outcome {
            image: to_image(&self.x)?,
            status: self.status,
            content_image: self.content_img,
            style_image,
            content_name: self.content_name,
            style_name: self.style_name,
            history: self.history,
            // One forward pass (no gradient) for the picture's own loss.
            result_loss: Some(self.loss.loss(&self.x)?),
            snapshots: self.snapshots,
            seconds: self.seconds,
            fidelity: Fidelity::default(),
            config: self.config.clone(),
            weights,
            saved: None,
        };
        if let Status::Diverged { .. } = outcome.status {
            return Ok(outcome);
        }
        if let (OriginalColours::Luminance, Some(c)) = (cfg.original_colours, &outcome.content_image) {
            outcome.image = colour::luminance_transfer(&outcome.image, c)?;
            for (_, snap) in &mut outcome.snapshots {
                *snap = colour::luminance_transfer(snap, c)?;
            }
        }
        // Measured on the picture the user gets (quantised, recoloured), not the optimiser's x.
        if metrics::available(&vgg.spec) {
            let styles: Vec<(&RgbImage, f64)> = self.style_imgs.iter().zip(self.blend.iter().copied()).collect();
            outcome.fidelity = metrics::fidelity(vgg, &outcome.image, outcome.content_image.as_ref(), &styles)?;
        }
        Ok(outcome)
    }
}

/// The loss with its targets computed from the pictures at working size (and the style mask,
/// when there is one): what a session starts with and rebuilds when layers or statistics change.
fn objective<'v>(
    vgg: &'v Vgg,
    content: Option<&Tensor>,
    styles: &[RgbImage],
    blend: &[f64],
    mask: Option<&Tensor>,
    cfg: &Config,
) -> Result<TotalLoss<'v>> {
    let styles =
        styles.iter().zip(blend).map(|(i, &w)| Ok((to_tensor(i, vgg.device())?, w))).collect::<Result<Vec<_>>>()?;
    let mut loss = TotalLoss::with_styles(vgg, content, &styles, cfg)?;
    if let Some(m) = mask {
        loss.set_style_mask(m)?;
    }
    Ok(loss)
}

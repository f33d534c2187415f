//! The transfer loop: load the pictures, compute the targets once, then let the optimiser
//! change the image until the budget of steps is spent.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use candle_core::Tensor;
use image::RgbImage;

use crate::colour::{self, OriginalColours};
use crate::config::{Config, Init, LayerWeight, STOP_WINDOW};
use crate::error::{NstError, Result};
use crate::image_io::{self, resize_to, to_image, to_tensor};
use crate::inputs::{blend_weights, fit_pictures, load_mask, Fitted};
pub use crate::inputs::{Inputs, Loaded, Source};
use crate::metrics::{self, Fidelity};
use crate::optim::{Request, Stepper};
use crate::outcome::{Change, Outcome, Progress, Status, StepReport, StopFlag, WeightsInfo};
use crate::total_loss::{LossParts, TotalLoss};
use crate::vgg::{LoadOptions, Vgg};

/// A loaded network plus settings, reusable for many runs (weights are loaded once).
#[derive(Debug)]
pub struct StyleTransfer {
    pub config: Config,
    /// Shared with the sessions and losses made from it (loaded once).
    pub vgg: Arc<Vgg>,
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
        Ok(Self { config, vgg: Arc::new(vgg), stop: StopFlag::new() })
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
        let pictures = Inputs::from_args(cfg.mode, content, style)?.load()?;
        self.run_loaded(cfg, &pictures, on_step)
    }

    /// Run on pictures from files or memory, e.g.
    /// `st.run_inputs(&Inputs::style_transfer("img/content/chelsea.png", my_crop), &mut |_| {})`.
    pub fn run_inputs(&self, inputs: &Inputs, on_step: &mut dyn FnMut(&Progress)) -> Result<Outcome> {
        self.run_loaded(&self.config, &inputs.load()?, on_step)
    }

    /// The whole run: every stage (one, or coarse to fine) a session run to its end.
    pub(crate) fn run_loaded(
        &self,
        cfg: &Config,
        pictures: &Loaded,
        on_step: &mut dyn FnMut(&Progress),
    ) -> Result<Outcome> {
        for lw in cfg.content_layers.iter().chain(&cfg.style_layers) {
            self.vgg.spec.layer(&lw.layer)?;
        }
        match cfg.stages()[..] {
            [_] => self.run_stage(cfg, pictures, None, on_step),
            ref stages => self.run_multiscale(cfg, stages, pictures, on_step),
        }
    }

    /// Coarse to fine: optimise at the first size, upsample the result, continue at the next.
    /// The big picture settles cheaply at small sizes; the last stage adds detail.
    fn run_multiscale(
        &self,
        config: &Config,
        stages: &[(u32, usize)],
        pictures: &Loaded,
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
            let out = self.run_stage(&cfg, pictures, start, &mut forward)?;
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
        thin_frames(&mut snapshots, total, config.snapshots);
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
        pictures: &Loaded,
        start: Option<RgbImage>,
        on_step: &mut dyn FnMut(&Progress),
    ) -> Result<Outcome> {
        // Each stage keeps the convolution weights its own sizes need (a large last stage must
        // not carry what the small first ones kept: memory is what limits its size).
        self.vgg.forget_winograd_weights();
        let mut session = Session::start(self, cfg.clone(), pictures, start)?;
        session.run_with_progress(cfg.steps, on_step)?;
        session.finish()
    }

    /// A run to drive step by step, one notebook cell at a time (see [`Session`]): `content`
    /// and `style` as for [`StyleTransfer::run`]. A session keeps one size, `size`: the
    /// coarse-to-fine rule is for whole runs, and explicit multi-scale stages are refused.
    pub fn session(&self, content: &str, style: &str) -> Result<Session> {
        self.session_with(&Inputs::from_args(self.config.mode, content, style)?)
    }

    /// [`StyleTransfer::session`] on pictures from files or memory.
    pub fn session_with(&self, inputs: &Inputs) -> Result<Session> {
        if self.config.multiscale.is_some() {
            return Err(NstError::InvalidConfig(
                "a session runs at one size: use `StyleTransfer::run` for multi-scale settings".into(),
            ));
        }
        Session::start(self, self.config.clone().single_stage(), &inputs.load()?, None)
    }
}

/// An observer a session keeps (see [`Session::watch`]).
type Watcher = Box<dyn FnMut(&Progress)>;

/// A run in progress, which a notebook drives one cell at a time: `run(n)` steps, look at
/// `image()` and `history()` (or `show()` them), change a weight or the layers with
/// `change(...)`, run on, then `finish()` into the same [`Outcome`] a whole run gives. It owns
/// what it needs (the network is shared, not borrowed), so it lives across cells.
///
/// The optimiser keeps its state between calls: `run(50)` then `run(50)` is, bit for bit, the
/// run of `run(100)`. It starts afresh only when the objective or the optimiser changes (or
/// after it has ended: converged, stopped by its rule, or failed), and [`Session::changes`]
/// says when.
pub struct Session {
    vgg: Arc<Vgg>,
    stop: StopFlag,
    config: Config,
    loss: TotalLoss,
    /// The picture the run stands on: the latest iterate the optimiser moved to (the last one
    /// evaluated after a stop), RGB 0–1 `(1, 3, H, W)`.
    x: Tensor,
    /// The last point evaluated: the picture of a run stopped or diverged there.
    last_eval: Option<Tensor>,
    pictures: Pictures,
    history: Vec<StepReport>,
    snapshots: Vec<(usize, RgbImage)>,
    changes: Vec<Change>,
    status: Status,
    seconds: f64,
    optimiser: Option<Running>,
    /// The optimiser has ended (converged, or its stopping rule): the next `run` starts a new one.
    ended: bool,
    /// Told every step of every later `run`, besides each call's own observer (see `watch`).
    watchers: Vec<Watcher>,
    /// The step the latest `run` was to end at: its picture is the result, not a frame.
    planned_end: usize,
}

/// The pictures a session was made from, at working size.
#[derive(Clone)]
struct Pictures {
    content: Option<RgbImage>,
    styles: Vec<RgbImage>,
    /// The style mask at working size, kept to rebuild the loss after a change.
    mask: Option<Tensor>,
    blend: Vec<f64>,
    content_name: String,
    style_name: String,
}

/// The optimiser in progress and what the run knows of it.
struct Running {
    stepper: Stepper,
    /// Steps done before it started: its evaluation k is step `first + k`.
    first: usize,
    /// Its evaluations so far, and how many it may make before the run pauses.
    evals: usize,
    allowed: usize,
    /// The losses of its accepted iterates, for the stopping rule.
    kept: Vec<f64>,
}

impl Running {
    fn start(cfg: &Config, x: &Tensor, first: usize) -> Result<Self> {
        let stepper = Stepper::start(cfg.optimizer.clone(), x.clone())?;
        Ok(Self { stepper, first, evals: 0, allowed: 0, kept: vec![] })
    }
}

/// How one call of [`Session::run`] ended.
enum Pause {
    /// The steps asked for are done; the optimiser waits for more.
    Budget,
    /// The optimiser has ended: converged, or its stopping rule.
    Ended,
    /// Stopped on request, diverged: see the status.
    Status,
}

impl Session {
    fn start(nst: &StyleTransfer, cfg: Config, pictures: &Loaded, start: Option<RgbImage>) -> Result<Self> {
        let vgg = &nst.vgg;
        let dev = vgg.device().clone();
        let blend = blend_weights(&cfg.style_blend, pictures.styles.len())?;
        let Fitted { content: content_img, styles: style_imgs, start: start_img, size: out_size } =
            fit_pictures(vgg, &cfg, pictures, start)?;
        let content_t = content_img.as_ref().map(|i| to_tensor(i, &dev)).transpose()?;
        let mask = cfg.style_mask.as_ref().map(|p| load_mask(p, out_size, &dev)).transpose()?;
        let (content_name, style_name) = (pictures.content_name.clone(), pictures.style_name.clone());
        let pictures = Pictures { content: content_img, styles: style_imgs, mask, blend, content_name, style_name };
        let loss = objective(vgg, content_t.as_ref(), &pictures, &cfg)?;

        let x = match (&start_img, cfg.init, &content_t, pictures.styles.first()) {
            (Some(img), ..) => to_tensor(img, &dev)?,
            (None, Init::Content, Some(c), _) => c.clone(),
            (None, Init::Style, _, Some(s)) => to_tensor(&resize_to(s, out_size, cfg.sizing), &dev)?,
            _ => image_io::noise(out_size.0, out_size.1, cfg.seed, &dev)?,
        };
        Ok(Self {
            vgg: Arc::clone(vgg),
            stop: nst.stop.clone(),
            config: cfg,
            loss,
            x,
            last_eval: None,
            pictures,
            history: vec![],
            snapshots: vec![],
            changes: vec![],
            status: Status::Finished,
            seconds: 0.0,
            optimiser: None,
            ended: false,
            watchers: vec![],
            planned_end: 0,
        })
    }

    /// Run `steps` more steps (fewer if the optimiser ends, the run is stopped or diverges; at
    /// most 8 in quick mode, `NST_QUICK=1`, like every run: [`crate::quick_mode`]).
    pub fn run(&mut self, steps: usize) -> Result<Status> {
        self.run_with_progress(steps, &mut |_| {})
    }

    /// [`Session::run`] with an observer called after every step (progress bars, previews,
    /// autosave): the one loop every run goes through.
    pub fn run_with_progress(&mut self, steps: usize, on_step: &mut dyn FnMut(&Progress)) -> Result<Status> {
        // Here, not in `run`: every stretch, from the front door's runs too, comes through.
        let steps = if crate::config::quick() { crate::config::quick_steps(steps) } else { steps };
        if matches!(self.status, Status::Diverged { .. }) || steps == 0 {
            return Ok(self.status); // a diverged run stays at its last good picture
        }
        self.status = Status::Finished;
        self.last_eval = None; // a stop or divergence before this call's first step keeps `x`
        self.planned_end = self.history.len() + steps;
        if self.ended {
            self.ended = false;
            self.note_change(
                "the optimiser had ended (converged, its stopping rule, or an error): it starts afresh".into(),
                true,
            );
        }
        let t0 = Instant::now();
        let seconds0 = self.seconds;
        let running = match self.optimiser.take() {
            Some(r) => r,
            None => Running::start(&self.config, &self.x, self.history.len())?,
        };
        let mut running = Running { allowed: running.evals + steps, ..running };
        let planned = self.planned_end; // this call's end: what its progress counts to
        let pause = self.drive(
            &mut running,
            planned,
            &mut |r| StepReport { seconds: seconds0 + t0.elapsed().as_secs_f64(), ..r },
            on_step,
        );
        self.seconds = seconds0 + t0.elapsed().as_secs_f64();
        if pause.is_err() {
            self.ended = true; // the optimiser is gone with `running`: the next run says so
        }
        match pause? {
            Pause::Budget => self.optimiser = Some(running),
            Pause::Ended => self.ended = true,
            Pause::Status => {
                if let Status::Stopped { .. } = self.status {
                    self.optimiser = Some(running); // waits on its evaluation: `run` resumes it
                }
            }
        }
        Ok(self.status)
    }

    /// Answer the optimiser's requests until the steps allowed are done, it ends, or the run
    /// stops or diverges.
    fn drive(
        &mut self,
        r: &mut Running,
        planned: usize,
        timed: &mut dyn FnMut(StepReport) -> StepReport,
        on_step: &mut dyn FnMut(&Progress),
    ) -> Result<Pause> {
        let every = (self.config.steps / self.config.snapshots.max(1)).max(1);
        loop {
            match r.stepper.request()? {
                Request::More if r.evals < r.allowed => r.stepper.more(true),
                Request::More => return Ok(Pause::Budget),
                Request::Eval(x) => {
                    if self.stop.is_requested() {
                        // The picture of the last step done (the stop comes before the next one).
                        self.status = Status::Stopped { step: self.history.len() };
                        self.x = self.last_eval.clone().unwrap_or_else(|| self.x.clone());
                        return Ok(Pause::Status);
                    }
                    let (parts, grad) = self.loss.loss_and_grad(&x)?;
                    let step = self.history.len() + 1;
                    if !parts.total.is_finite() {
                        let last_good_step = self.history.last().map(|h| h.step).unwrap_or(0);
                        self.status = Status::Diverged { step, loss: parts.total, last_good_step };
                        // Never lose the work: keep the last good picture and say why.
                        self.x = self.last_eval.clone().unwrap_or_else(|| self.x.clone());
                        return Ok(Pause::Status);
                    }
                    r.evals += 1;
                    if step == 1 || step.is_multiple_of(every) {
                        self.snapshots.push((step, to_image(&x)?));
                    }
                    let total = parts.total;
                    let report = timed(StepReport { step, loss: parts, seconds: 0.0, accepted: false });
                    self.history.push(report.clone());
                    self.last_eval = Some(x.clone());
                    let progress = Progress { report: &report, steps: planned, image: &x };
                    on_step(&progress);
                    self.watchers.iter_mut().for_each(|w| w(&progress));
                    r.stepper.eval(Ok((total, grad)));
                }
                Request::Accepted { eval, loss, x } => {
                    self.accept(r, eval, &x);
                    r.kept.push(loss);
                    let go_on = self.stopping_rule(&r.kept);
                    r.stepper.accepted(go_on);
                }
                Request::Done(x) => {
                    self.x = x;
                    return Ok(Pause::Ended);
                }
            }
        }
    }

    /// The optimiser moved to the point of its evaluation `eval`: mark that step.
    fn accept(&mut self, r: &Running, eval: usize, x: &Tensor) {
        if let Some(h) = self.history.get_mut(r.first + eval - 1) {
            h.accepted = true;
        }
        self.x = x.clone();
    }

    /// `Break` once the accepted loss has fallen by less than `stop_change` (relative) over the
    /// last `STOP_WINDOW` iterates.
    fn stopping_rule(&self, kept: &[f64]) -> ControlFlow<()> {
        let loss = *kept.last().expect("called after a loss is kept");
        match (self.config.stop_change, kept.len().checked_sub(STOP_WINDOW + 1)) {
            (Some(eps), Some(i)) if (kept[i] - loss) < eps * loss.abs() => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    }

    /// Let the optimiser finish with what it has evaluated (no more steps): L-BFGS moves to the
    /// best point of its line search so far, as a whole run does when its steps are spent.
    fn settle(&mut self) -> Result<()> {
        let Some(mut r) = self.optimiser.take() else { return Ok(()) };
        if let Status::Stopped { .. } = self.status {
            return Ok(()); // it waits on an evaluation: the picture stays the last one evaluated
        }
        let mut accepted = vec![];
        let x = r.stepper.wind_down(&mut |eval, _, x| accepted.push((eval, x.clone())))?;
        for (eval, x) in accepted {
            self.accept(&r, eval, &x);
        }
        self.x = x;
        Ok(())
    }

    fn note_change(&mut self, what: String, optimiser_reset: bool) {
        self.changes.push(Change { after_step: self.history.len(), what, optimiser_reset });
    }

    /// Change settings between steps. Weights (α, β, γ, strength, layer weights) only reweigh
    /// the loss; other changes to the objective (layers, relative layers, norms, statistics) recompute the
    /// targets from the same pictures. A change of the objective or the optimiser starts the
    /// optimiser afresh from the picture it stands on (L-BFGS's memory of the curvature belongs
    /// to the old objective); a change of the run's length, frames, stopping rule or reporting
    /// does not. Either is recorded in [`Session::changes`]. Sizes, pictures, the mode and the
    /// network are fixed for a session.
    pub fn change(&mut self, edit: impl FnOnce(&mut Config)) -> Result<()> {
        let mut cfg = self.config.clone();
        edit(&mut cfg);
        cfg.validate()?;
        let fixed = |c: &Config| (c.size, c.sizing, c.mode, c.style_scale, c.style_mask.clone(), c.original_colours);
        let network = |c: &Config| (c.weights.clone(), c.arch, c.flavour, c.pooling, c.device, c.kernels);
        if fixed(&cfg) != fixed(&self.config) || network(&cfg) != network(&self.config) || cfg.stages().len() > 1 {
            return Err(NstError::InvalidConfig(
                "a session keeps its size, pictures, mode, colours and network; start a new one to change them".into(),
            ));
        }
        let (what, reset) = describe_change(&self.config, &cfg);
        if what.is_empty() {
            return Ok(());
        }
        let names = |c: &Config| {
            let n = |l: &[LayerWeight]| l.iter().map(|l| l.layer.clone()).collect::<Vec<_>>();
            let blend = c.style_blend.clone();
            (
                n(&c.content_layers),
                n(&c.style_layers),
                c.style_stats,
                c.content_norm,
                c.style_norm,
                c.feature_scale,
                blend,
                c.relative_style_layers.clone(),
            )
        };
        let blend = blend_weights(&cfg.style_blend, self.pictures.styles.len())?;
        let loss = if names(&cfg) == names(&self.config) {
            None
        } else {
            let content_t = self.pictures.content.as_ref().map(|i| to_tensor(i, self.vgg.device())).transpose()?;
            let pictures = Pictures { blend: blend.clone(), ..self.pictures.clone() };
            Some(objective(&self.vgg, content_t.as_ref(), &pictures, &cfg)?)
        };
        if reset {
            // The picture stays (the latest iterate, or the last step's after a stop); trials
            // in progress are dropped.
            self.optimiser = None;
            self.ended = false;
        }
        match loss {
            Some(l) => self.loss = l,
            None => self.loss.reweigh(&cfg)?,
        }
        self.pictures.blend = blend;
        self.config = cfg;
        self.note_change(what, reset);
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

    /// Tell `observer` every step of every later `run` (a live view, a recorder), until the
    /// session ends: `session.watch(live.observer())`.
    pub fn watch(&mut self, observer: impl FnMut(&Progress) + 'static) {
        self.watchers.push(Box::new(observer));
    }

    /// The changes made with [`Session::change`] (and the optimiser's restarts), in order.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// End the run: the final picture (with colour post-processing), its loss and fidelity.
    pub fn finish(mut self) -> Result<Outcome> {
        // If the optimiser cannot finish its line search (its thread failed), the picture it
        // stood on is the result: the session's work is not lost.
        let _ = self.settle();
        // The frame of the planned last step would repeat the result; a long session keeps as
        // many frames as `snapshots` asks for over all its steps.
        let end = self.planned_end;
        self.snapshots.retain(|(k, _)| *k != end);
        thin_frames(&mut self.snapshots, self.config.steps.max(self.history.len()), self.config.snapshots);
        let vgg = Arc::clone(&self.vgg);
        let weights = WeightsInfo { path: vgg.path.clone(), arch: vgg.spec.name.clone(), flavour: vgg.flavour };
        let p = self.pictures;
        let style_image = match p.styles.len() {
            0 => None,
            1 => Some(p.styles[0].clone()),
            _ => Some(image_io::hstack(&p.styles)),
        };
        let mut outcome = Outcome {
            image: to_image(&self.x)?,
            status: self.status,
            content_image: p.content,
            style_image,
            content_name: p.content_name,
            style_name: p.style_name,
            history: self.history,
            // One forward pass (no gradient) for the picture's own loss.
            result_loss: Some(self.loss.loss(&self.x)?),
            snapshots: self.snapshots,
            changes: self.changes,
            seconds: self.seconds,
            fidelity: Fidelity::default(),
            config: self.config,
            weights,
            saved: None,
        };
        // The loss's targets and the pictures go before the fidelity measure needs the memory
        // (`settle` has already ended the optimiser and its history).
        drop((self.last_eval.take(), self.loss, self.x));
        if let Status::Diverged { .. } = outcome.status {
            return Ok(outcome);
        }
        if let (OriginalColours::Luminance, Some(c)) = (outcome.config.original_colours, &outcome.content_image) {
            outcome.image = colour::luminance_transfer(&outcome.image, c)?;
            for (_, snap) in &mut outcome.snapshots {
                *snap = colour::luminance_transfer(snap, c)?;
            }
        }
        // Measured on the picture the user gets (quantised, recoloured), not the optimiser's x.
        if metrics::available(&vgg.spec) {
            let styles: Vec<(&RgbImage, f64)> = p.styles.iter().zip(p.blend.iter().copied()).collect();
            outcome.fidelity = metrics::fidelity(&vgg, &outcome.image, outcome.content_image.as_ref(), &styles)?;
        }
        Ok(outcome)
    }
}

/// Keep about `wanted` frames of a run of `steps` steps: the first of each stretch of
/// steps / wanted steps.
fn thin_frames(frames: &mut Vec<(usize, RgbImage)>, steps: usize, wanted: usize) {
    let every = (steps / wanted.max(1)).max(1);
    let mut window = None;
    frames.retain(|(k, _)| window.replace(k / every) != Some(k / every));
}

/// What differs between two settings, as `field: old → new` (the JSON record's names), and
/// whether the optimiser must start afresh: it must unless only the run's length, its frames,
/// its stopping rule, its reporting, or settings used only at the start changed.
fn describe_change(old: &Config, new: &Config) -> (String, bool) {
    // What the run's length, frames, stopping rule and reporting are, and settings a session
    // has already used (its start and its preset's name): none of them changes the objective.
    const RUN_ONLY: [&str; 9] =
        ["steps", "snapshots", "stop_change", "report", "save", "results_dir", "init", "seed", "preset"];
    let (a, b) = (serde_json::to_value(old), serde_json::to_value(new));
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) = (a, b) else {
        return ("settings".into(), true); // plain data always serialises; be safe if not
    };
    let changed: Vec<&String> = b.keys().filter(|k| a.get(*k) != b.get(*k)).collect();
    let what = changed.iter().map(|k| format!("{k}: {} → {}", a[*k], b[*k])).collect::<Vec<_>>().join("; ");
    (what, changed.iter().any(|k| !RUN_ONLY.contains(&k.as_str())))
}

/// The loss with its targets computed from the pictures at working size (and the style mask,
/// when there is one): what a session starts with and rebuilds when layers or statistics change.
fn objective(vgg: &Arc<Vgg>, content: Option<&Tensor>, pictures: &Pictures, cfg: &Config) -> Result<TotalLoss> {
    let styles = pictures
        .styles
        .iter()
        .zip(&pictures.blend)
        .map(|(i, &w)| Ok((to_tensor(i, vgg.device())?, w)))
        .collect::<Result<Vec<_>>>()?;
    let mut loss = TotalLoss::with_styles(vgg, content, &styles, cfg)?;
    if let Some(m) = &pictures.mask {
        loss.set_style_mask(m)?;
    }
    Ok(loss)
}

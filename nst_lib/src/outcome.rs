//! What a run produces, as plain data: the outcome, its per-step reports, the progress a
//! callback sees and the files it was saved to. Everything above the loop (display, plots,
//! result files, the front doors) reads these; nothing here knows how they are shown.

use std::path::{Path, PathBuf};

use candle_core::Tensor;
use image::RgbImage;

use crate::config::Config;
use crate::error::{NstError, Result};
use crate::metrics::Fidelity;
use crate::total_loss::LossParts;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum Status {
    /// All steps done (or the optimiser converged).
    Finished,
    /// The loss became `loss` (not finite) at `step`; the picture is the one of `last_good_step`.
    Diverged { step: usize, loss: f64, last_good_step: usize },
    /// Stopped on request (a [`StopFlag`], e.g. Ctrl-C) after `step` steps; the picture is that step's.
    Stopped { step: usize },
}

/// A request to stop a run between two steps, shared between the run and whoever may ask
/// (the CLI's Ctrl-C handler, another thread): the run ends with [`Status::Stopped`] and keeps
/// the picture of its last step.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl StopFlag {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn request(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
    /// Withdraw a request, so that a stopped session can run on.
    pub fn clear(&self) {
        self.0.store(false, std::sync::atomic::Ordering::SeqCst);
    }
    pub fn is_requested(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// One loss evaluation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepReport {
    pub step: usize,
    #[serde(flatten)]
    pub loss: LossParts,
    /// Seconds since the start of the optimisation.
    pub seconds: f64,
    /// An iterate the optimiser moved to; `false` for a line-search trial it rejected (its
    /// loss can be higher than the picture's). Curves of a run plot the accepted steps.
    #[serde(default = "yes")]
    pub accepted: bool,
}

fn yes() -> bool {
    true
}

/// A change of settings in the middle of a session ([`crate::transfer::Session::change`]), or
/// a restart of its optimiser.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    /// Steps done before it: it applies from step `after_step + 1`.
    pub after_step: usize,
    /// What changed, e.g. `style_weight: 750.0 → 1500.0`.
    pub what: String,
    /// Whether the optimiser started afresh (it does when the objective or the optimiser changed).
    pub optimiser_reset: bool,
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
    /// The picture: the result, or the last good one when the run diverged (see `status`).
    pub image: RgbImage,
    pub status: Status,
    /// The inputs as the network saw them (after resizing); absent for "noise".
    pub content_image: Option<RgbImage>,
    pub style_image: Option<RgbImage>,
    /// Short names used for result files, e.g. "coffee" and "brick".
    pub content_name: String,
    pub style_name: String,
    /// Every evaluation, line-search trials included (marked `accepted: false`).
    pub history: Vec<StepReport>,
    /// The loss of the returned picture. Not the last entry of `history`: with a line search the
    /// last evaluation can be a rejected trial, higher than the picture's own loss.
    pub result_loss: Option<LossParts>,
    /// (step, image) every few steps, for the GIF and film strip.
    pub snapshots: Vec<(usize, RgbImage)>,
    /// Changes of settings made during a session, in order (none for a whole run).
    pub changes: Vec<Change>,
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
            .field("status", &self.status)
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

    /// `Ok(self)` when the run finished; an error saying what happened (and where the last good
    /// picture was saved, if it was) when it diverged or was stopped. For callers that treat
    /// those as failures.
    pub fn check(self) -> Result<Self> {
        let saved = match &self.saved {
            Some(files) => format!(" and saved to {}", files.image.display()),
            None => " in the outcome".into(),
        };
        match self.status {
            Status::Finished => Ok(self),
            Status::Diverged { step, loss, last_good_step } => {
                Err(NstError::Diverged { step, loss, last_good_step, saved })
            }
            Status::Stopped { step } => Err(NstError::Interrupted { step, saved }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SavedFiles {
    pub image: PathBuf,
    pub panel: PathBuf,
    pub gif: PathBuf,
    pub record: PathBuf,
}

impl SavedFiles {
    pub(crate) fn for_stem(dir: &Path, stem: &str) -> Self {
        Self {
            image: dir.join(format!("{stem}.png")),
            panel: dir.join(format!("{stem}_panel.png")),
            gif: dir.join(format!("{stem}.gif")),
            record: dir.join(format!("{stem}.json")),
        }
    }
    pub fn all(&self) -> [&PathBuf; 4] {
        [&self.image, &self.panel, &self.gif, &self.record]
    }
}

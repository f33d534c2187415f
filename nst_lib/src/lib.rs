//! # nst_lib — neural style transfer (Gatys et al. 2015) on candle
//!
//! The front door mirrors the original notebook:
//!
//! ```no_run
//! // the style of a painting on a photo
//! let out = nst_lib::main("img/content/coffee.png", "img/style/brick.png", "style_transfer")?;
//! // rebuild a photo from noise with the content loss only (the photo is passed as style_path)
//! let out = nst_lib::main("noise", "img/content/coffee.png", "content")?;
//! // synthesise the texture of an image from noise with the style loss only
//! let out = nst_lib::main("noise", "img/style/brick.png", "style")?;
//! # Ok::<(), nst_lib::NstError>(())
//! ```
//!
//! Everything else is a [`Config`] (start from a [`Preset`]) passed to [`run`], or a
//! [`StyleTransfer`] that keeps the network loaded between runs.
//!
//! One module per idea of the paper: [`vgg`] (the feature extractor), [`content_loss`],
//! [`style_loss`] (Gram matrices), [`total_variation`], [`total_loss`], [`optim`] (L-BFGS,
//! Adam, SGD), [`transfer`] (the loop), [`results`] (files), [`weights`] (where VGG comes from).

pub mod config;
pub mod content_loss;
pub mod error;
pub mod image_io;
pub mod optim;
pub mod results;
pub mod style_loss;
pub mod total_loss;
pub mod total_variation;
pub mod transfer;
pub mod vgg;
pub mod weights;

use std::path::PathBuf;

pub use config::{Config, Init, LayerWeight, Mode, Preset};
pub use error::{NstError, Result};
pub use transfer::{Outcome, Progress, StepReport, StyleTransfer};

/// The repository root (where `img/` and `weights/` live), known at compile time.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Default results folder: `<repo>/img/results`.
pub fn default_results_dir() -> PathBuf {
    repo_root().join("img").join("results")
}

/// The original notebook's call: `mode` is "style_transfer", "content" or "style"; `content_path`
/// may be "noise". Uses the `seed` preset (the notebook's settings) and saves the results.
pub fn main(content_path: &str, style_path: &str, mode: &str) -> Result<Outcome> {
    let mode = Mode::parse(mode)?;
    run(content_path, style_path, &Config::preset(Preset::Seed).for_mode(mode))
}

/// Run with any settings; saves the result files when `config.save` is set.
pub fn run(content_path: &str, style_path: &str, config: &Config) -> Result<Outcome> {
    run_with_progress(content_path, style_path, config, &mut |_| {})
}

/// [`run`] with a callback after every step (progress bars, live previews).
pub fn run_with_progress(
    content_path: &str,
    style_path: &str,
    config: &Config,
    on_step: &mut dyn FnMut(&Progress),
) -> Result<Outcome> {
    let st = StyleTransfer::new(config.clone())?;
    let dir = config.results_dir.clone().unwrap_or_else(default_results_dir);
    match st.run_with_progress(content_path, style_path, on_step) {
        Ok(mut outcome) => {
            if config.save {
                results::save(&mut outcome, &dir)?;
            }
            Ok(outcome)
        }
        // Never lose the work of a diverged run: keep its last good image on disk too.
        Err(NstError::Diverged { step, loss, last_good_step, mut outcome, .. }) => {
            outcome.content_name.push_str("_diverged");
            let saved = if config.save {
                match results::save(&mut outcome, &dir) {
                    Ok(files) => format!(" and saved to {}", files.image.display()),
                    Err(e) => format!(" (saving it failed: {e})"),
                }
            } else {
                " in the error's outcome".to_string()
            };
            Err(NstError::Diverged { step, loss, last_good_step, saved, outcome })
        }
        Err(e) => Err(e),
    }
}

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
//! [`StyleTransfer`] that keeps the network loaded between runs. A [`Session`] is a run driven
//! step by step, one notebook cell at a time; it owns what it needs, so it lives across cells,
//! and its optimiser keeps its state between calls (`run(50)` twice is `run(100)`, bit for bit):
//!
//! ```no_run
//! let nst = nst_lib::StyleTransfer::new(nst_lib::defaults())?;
//! let mut s = nst.session("img/content/chelsea.png", "img/style/starry_night.jpg")?;
//! s.run(50)?;                                  // one cell
//! let picture = s.image()?;                    // the next: look (or `s.show()?` in a notebook)
//! s.change(|c| c.style_weight *= 2.0)?;        // a third: change (recorded) and run on
//! s.run(50)?;
//! let out = s.finish()?;                       // the same Outcome as a whole run
//! # Ok::<(), nst_lib::NstError>(())
//! ```
//!
//! Pictures may come from memory as well as files: see [`Inputs`] and [`Source`].
//!
//! One module per idea of the paper: [`vgg`] (the feature extractor), [`content_loss`],
//! [`style_loss`] (Gram matrices), [`total_variation`], [`total_loss`], [`optim`] (L-BFGS,
//! Adam, SGD), [`transfer`] (the loop), [`results`] (files), [`weights`] (where VGG comes from).

// First: the `choices!` macro the settings' enums use.
#[macro_use]
pub mod choice;

pub mod amx;
pub mod bands;
pub mod colour;
pub mod config;
pub mod content_loss;
pub mod cpu_kernels;
pub mod device;
pub mod display;
pub mod error;
pub mod excite;
pub mod image_io;
pub mod inputs;
pub mod live;
pub mod metrics;
pub mod optim;
pub mod outcome;
pub mod paths;
pub mod pixel_range;
pub mod plots;
pub mod results;
pub mod style_loss;
pub mod total_loss;
pub mod total_variation;
pub mod transfer;
pub mod trunk;
pub mod vgg;
pub mod weights;
pub mod winograd;

// Re-exported so notebooks need no `:dep` of their own (and get matching versions).
pub use candle_core;
pub use image;

pub use config::quick_mode;
pub use config::{Config, Init, LayerWeight, Mode, Preset};
pub use error::{NstError, Result};
pub use metrics::Fidelity;
pub use outcome::{Change, Outcome, Progress, Status, StepReport, StopFlag};
pub use paths::{default_results_dir, repo_root};
pub use transfer::{Inputs, Session, Source, StyleTransfer};

/// How this library was compiled. Debug assertions make candle about 3x slower; the notebooks
/// turn them off (`:build_env` in their first cell) and print this line to show it.
pub fn build_info() -> String {
    format!(
        "nst_lib {}: debug assertions {}",
        env!("CARGO_PKG_VERSION"),
        if cfg!(debug_assertions) { "ON (slow: see the README)" } else { "off" }
    )
}

/// Which VGG weights runs will use, found the usual way (see [`weights`]); an error says how to
/// provide them. Notebooks call it first, so a missing file shows up before any long run.
pub fn weights_info() -> Result<String> {
    let path = weights::resolve(defaults().weights.as_deref())?;
    let (spec, flavour) = vgg::Vgg::inspect(&path)?;
    Ok(format!("VGG weights: {} ({}, {:?} input convention)", path.display(), spec.name, flavour))
}

/// Where [`set_defaults`] keeps the settings: in the process's environment, as JSON, not in a
/// static. evcxr builds each notebook cell as its own library with its own copy of this crate's
/// statics, so a static set in one cell is not what the next cell reads (measured: the front
/// door's 256 px setting was ignored and its runs took 512 px); the environment is one per process.
pub const DEFAULTS_VAR: &str = "NST_DEFAULTS_JSON";

/// The settings [`main`] uses: the `balanced` preset (512 px, 300 steps painted coarse to fine
/// at 128, 256 and 512 px) unless [`set_defaults`] changed them. The original notebook's own numbers are `Config::preset(Preset::Seed)`.
pub fn defaults() -> Config {
    match std::env::var(DEFAULTS_VAR) {
        Ok(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
            // Only a hand-made value can fail; say so rather than run with other settings unseen.
            eprintln!("{DEFAULTS_VAR} does not hold settings ({e}): using the balanced preset");
            Config::preset(Preset::Balanced)
        }),
        Err(_) => Config::preset(Preset::Balanced),
    }
}

/// Change what [`main`] uses, like the global settings at the top of the original notebook:
/// `nst_lib::set_defaults(nst_lib::Config { size: 256, steps: 150, ..nst_lib::defaults() });`
pub fn set_defaults(config: Config) {
    let json = serde_json::to_string(&config).expect("settings are plain data and always serialise");
    std::env::set_var(DEFAULTS_VAR, json);
}

/// The original notebook's call: `mode` is "style_transfer", "content" or "style"; `content_path`
/// may be "noise". Uses [`defaults`] (the `balanced` preset unless changed) and saves
/// the result files. In a notebook it prints progress and a live preview while it runs, and the
/// returned [`Outcome`] shows the pictures and loss curves.
pub fn main(content_path: &str, style_path: &str, mode: &str) -> Result<Outcome> {
    let mode = Mode::parse(mode)?;
    run(content_path, style_path, &defaults().for_mode(mode))
}

/// Run with any settings; saves the result files when `config.save` is set.
pub fn run(content_path: &str, style_path: &str, config: &Config) -> Result<Outcome> {
    run_with_progress(content_path, style_path, config, &mut |_| {})
}

/// [`run`] with a callback after every step (progress bars, live previews). In a notebook the
/// progress lines and preview of `config.report` are printed as well.
pub fn run_with_progress(
    content_path: &str,
    style_path: &str,
    config: &Config,
    on_step: &mut dyn FnMut(&Progress),
) -> Result<Outcome> {
    run_until(content_path, style_path, config, on_step, &StopFlag::new())
}

/// [`run_with_progress`] that ends early, keeping its picture, when `stop` is requested (the
/// CLI's Ctrl-C): the result files are then saved as `<content>_<style>_stopped.*`. While it
/// runs, the latest picture is kept at `<content>_<style>_in_progress.png` in the results folder
/// (every tenth of the run), so even a run killed outright leaves its work; the file is removed
/// once the result files are saved.
pub fn run_until(
    content_path: &str,
    style_path: &str,
    config: &Config,
    on_step: &mut dyn FnMut(&Progress),
    stop: &StopFlag,
) -> Result<Outcome> {
    // Every check before any work: settings, then the pictures (decoded once), then the weights.
    let config = &quick_mode(config.clone());
    config.validate()?;
    let inputs = transfer::Inputs::from_args(config.mode, content_path, style_path)?;
    let pictures = inputs.load()?;
    let weights = weights::resolve(config.weights.as_deref())?;
    let mut st = StyleTransfer::load_validated(config.clone(), &weights)?;
    st.stop = stop.clone();
    let dir = config.results_dir.clone().unwrap_or_else(default_results_dir);
    let reporter = display::Reporter::for_report(config.report, config.total_steps());
    let (content_name, style_name) = inputs.names();
    let autosave = config.save.then(|| results::Autosave::new(&dir, &content_name, &style_name));
    let every = (config.total_steps() / 10).max(1);
    let mut autosave_error = None;
    let outcome = st.run_loaded(config, &pictures, &mut |p| {
        if let Some(r) = &reporter {
            r.report(p);
        }
        if let (Some(a), true, None) = (&autosave, p.report.step % every == 0, &autosave_error) {
            // A failed autosave must not end the run; it is reported at the end.
            if let Err(e) = image_io::to_image(p.image).and_then(|img| a.write(&img)) {
                autosave_error = Some(e);
            }
        }
        on_step(p);
    });
    if let Some(e) = autosave_error {
        eprintln!("nst: could not keep the picture in progress ({e})");
    }
    // On an error the picture in progress, if any, stays on disk.
    let mut outcome = outcome?;
    match outcome.status {
        Status::Diverged { step, last_good_step, .. } => {
            // Never lose the work of a diverged run: keep its last good picture on disk too.
            outcome.style_name.push_str("_diverged");
            eprintln!("nst: the optimisation diverged at step {step}; the result is the last good picture (step {last_good_step})");
        }
        Status::Stopped { .. } => outcome.style_name.push_str("_stopped"),
        Status::Finished => {}
    }
    if config.save {
        results::save(&mut outcome, &dir)?;
        if let Some(a) = &autosave {
            a.remove();
        }
    }
    Ok(outcome)
}

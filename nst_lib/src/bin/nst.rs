//! `nst`: neural style transfer from the command line (the headless version of the notebook).

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use nst_lib::colour::OriginalColours;
use nst_lib::config::{self, Arch, FeatureScale};
use nst_lib::content_loss::ContentNorm;
use nst_lib::device::DeviceChoice;
use nst_lib::optim::OptimizerKind;
use nst_lib::style_loss::{StyleNorm, StyleStats};
use nst_lib::vgg::{Flavour, Kernels, Pooling};
use nst_lib::{Config, Init, Mode, Preset, Status, StopFlag};

/// Paint a photo in the style of another picture (Gatys et al. 2015), or look inside the
/// network: rebuild a photo from noise (--mode content) or grow a texture (--mode style).
///
/// The default settings (--preset balanced: 512 px, painted coarse to fine at 128, 256 and
/// 512 px, at most 100 steps each, the style matched at full and half size, relu5_1 relative to
/// the painting) paint the photo in the painting's strokes, as PyTorch's classic settings do; on
/// 2 idle CPU cores a 512 px run takes about 2½ minutes, a 256 px run under a minute.
/// --strength moves the balance: 0.5 keeps more of the photo, 2 paints more of the style.
/// --preset seed gives the original notebook's numbers (style-heavy: the photo is lost).
///
/// Examples:
///   nst img/content/chelsea.png img/style/starry_night.jpg --size 256
///   nst img/content/chelsea.png img/style/starry_night.jpg --size 256 --strength 3
///   nst noise img/content/coffee.png --mode content --size 128 --steps 150
///   nst noise img/style/brick.png --mode style --size 128 --steps 150
#[derive(Parser, Debug)]
#[command(name = "nst", version, verbatim_doc_comment)]
struct Args {
    /// Content image, or "noise" (start from random noise).
    content: String,
    /// Style image, or several separated by commas (blended, see --style-blend). In --mode content
    /// this is the image to rebuild (as in the original notebook).
    style: String,
    /// What to optimise for
    #[arg(long, value_enum, default_value_t = Mode::StyleTransfer)]
    mode: Mode,
    /// Starting settings
    #[arg(long, value_enum, default_value_t = Preset::Balanced)]
    preset: Preset,
    /// Style strength (1 = the default balance; 0.5 keeps more of the photo, 2 paints more
    /// style): puts any preset on the default's objective (PyTorch's, α = 8.6, β = 100 ×
    /// strength, features at the Caffe scale, so either weights file gives the same balance).
    #[arg(long, conflicts_with_all = ["content_weight", "style_weight", "content_norm", "style_norm", "feature_scale"])]
    strength: Option<f64>,
    /// Working size in pixels (the longer side; the square side for seed, which crops); the last
    /// stage's size when painting coarse to fine.
    #[arg(long)]
    size: Option<u32>,
    /// Number of steps in all, split over the coarse-to-fine stages (one step = one forward and
    /// backward pass through VGG).
    #[arg(long)]
    steps: Option<usize>,
    /// Content weight α.
    #[arg(long)]
    content_weight: Option<f64>,
    /// Style weight β.
    #[arg(long)]
    style_weight: Option<f64>,
    /// Total-variation (smoothness) weight γ.
    #[arg(long)]
    tv_weight: Option<f64>,
    /// Weight of the penalty on pixels outside 0–1 (0 = none, the default).
    #[arg(long)]
    range_weight: Option<f64>,
    /// Style measured again on the picture at half size, as a share of β: the painting's large
    /// strokes (0.05 in the default preset, 0 in the others; 0 = off, and faster).
    #[arg(long)]
    half_size_style: Option<f64>,
    /// Content layers, comma separated: conv4_2, relu4_2, conv_4, block5_conv2, ...
    #[arg(long, value_delimiter = ',')]
    content_layers: Option<Vec<String>>,
    /// Style layers, comma separated; optional per-layer weight after a colon: relu1_1:0.5,relu2_1.
    /// The default's relu5_1 is relative (see --relative-style-layers), so its weight (65) is
    /// on another scale than the others'
    #[arg(long, value_delimiter = ',')]
    style_layers: Option<Vec<String>>,
    /// Style layers compared relative to the painting's own Gram matrix (‖G−A‖²/‖A‖², times β and
    /// the layer's weight), so every painting gets the same push there (the default: relu5_1, at
    /// weight 65). Notebook normalisation, Gram statistics only; `none` turns them off
    #[arg(long, value_delimiter = ',')]
    relative_style_layers: Option<Vec<String>>,
    /// Content loss normalisation
    #[arg(long, value_enum)]
    content_norm: Option<ContentNorm>,
    /// Style loss normalisation
    #[arg(long, value_enum)]
    style_norm: Option<StyleNorm>,
    /// Feature scale α/β are meant for
    #[arg(long, value_enum)]
    feature_scale: Option<FeatureScale>,
    /// Optimiser (with its default settings)
    #[arg(long, value_enum)]
    optimizer: Option<OptimizerKind>,
    /// Learning rate of the optimiser.
    #[arg(long)]
    lr: Option<f64>,
    /// L-BFGS memory: how many past steps shape its next direction (fewer = less memory).
    #[arg(long)]
    history: Option<usize>,
    /// Stop (each stage) once the loss fell by less than this fraction over the last 10 steps,
    /// e.g. 0.005; 0 runs every step.
    #[arg(long)]
    stop_change: Option<f64>,
    /// Starting image
    #[arg(long, value_enum)]
    init: Option<Init>,
    /// Random seed for noise.
    #[arg(long)]
    seed: Option<u64>,
    /// VGG weights file (.safetensors or zip .pth). Default: $NST_WEIGHTS, then weights/, then download.
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Network
    #[arg(long, value_enum)]
    arch: Option<Arch>,
    /// Input convention of the weights (normally read from the file)
    #[arg(long, value_enum)]
    flavour: Option<Flavour>,
    /// Pooling
    #[arg(long, value_enum)]
    pooling: Option<Pooling>,
    /// Blend weights for several style images (STYLE = a.jpg,b.jpg), e.g. 0.3,0.7
    #[arg(long, value_delimiter = ',')]
    style_blend: Option<Vec<f64>>,
    /// Style image size relative to --size (0.5 = strokes half as large, 2 = twice as large)
    #[arg(long)]
    style_scale: Option<f64>,
    /// Coarse to fine by rule: a quarter, half and all of --size, each at least this size, run
    /// smallest first, the steps split equally (the default, 64: 128, 256, 512 at --size 512; 0 = one stage)
    #[arg(long)]
    coarse_to_fine: Option<u32>,
    /// Coarse to fine, explicitly: the sizes of the stages, e.g. 128,256,512; overrides --size
    /// (the steps split equally, or see --scale-steps)
    #[arg(long, value_delimiter = ',')]
    scales: Option<Vec<u32>>,
    /// Steps at each of --scales, e.g. 200,100,50 (overrides --steps)
    #[arg(long, value_delimiter = ',')]
    scale_steps: Option<Vec<usize>>,
    /// Picture whose bright parts mark where the style goes (black keeps the content)
    #[arg(long)]
    style_mask: Option<PathBuf>,
    /// What the style loss compares
    #[arg(long, value_enum)]
    style_stats: Option<StyleStats>,
    /// auto | cpu | cuda | cuda:N | metal (GPUs need a build with --features cuda or metal)
    #[arg(long)]
    device: Option<DeviceChoice>,
    /// Keep the content's colours
    #[arg(long, value_enum)]
    original_colors: Option<OriginalColours>,
    /// Which implementation runs the network
    #[arg(long, value_enum)]
    kernels: Option<Kernels>,
    /// Folder for the result files (default: img/results of the repository).
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Do not write result files.
    #[arg(long)]
    no_save: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Print progress lines with a small colour preview of the image (true-colour terminal).
    #[arg(long)]
    preview: bool,
    /// Show the picture while it forms in a browser page on 127.0.0.1 (the URL is printed).
    #[arg(long)]
    live: bool,
    /// The live view's port (implies --live); when taken, the next free one. 0: any free port.
    #[arg(long, value_name = "PORT")]
    live_port: Option<u16>,
}

fn parse_layers(items: &[String]) -> anyhow::Result<Vec<config::LayerWeight>> {
    items
        .iter()
        .map(|s| {
            let (name, w) = match s.split_once(':') {
                Some((n, w)) => {
                    (n, w.parse::<f64>().with_context(|| format!("layer weight in {s:?} is not a number"))?)
                }
                None => (s.as_str(), 1.0),
            };
            Ok(config::LayerWeight { layer: name.trim().to_string(), weight: w })
        })
        .collect()
}

/// `if let Some(v) = source { target = v }`, for each pair: a flag given replaces the preset's value.
macro_rules! set {
    ($($target:expr => $source:expr),* $(,)?) => { $(if let Some(v) = $source { $target = v; })* };
}

/// The settings the flags ask for: the preset's, changed by each flag given, by concern.
fn build_config(a: &Args) -> anyhow::Result<Config> {
    let mut c = Config::preset(a.preset).for_mode(a.mode);
    network_flags(a, &mut c);
    objective_flags(a, &mut c)?;
    schedule_flags(a, &mut c)?;
    output_flags(a, &mut c);
    if a.relative_style_layers.is_some() {
        c.check_relative_layers()?; // asked for by name: it must take effect
    }
    Ok(c)
}

/// Which network, where it runs.
fn network_flags(a: &Args, c: &mut Config) {
    set!(c.weights => a.weights.clone().map(Some), c.arch => a.arch, c.flavour => a.flavour.map(Some),
         c.pooling => a.pooling, c.device => a.device, c.kernels => a.kernels);
}

/// What is minimised: weights (strength after them, as it sets β), layers, norms, statistics.
fn objective_flags(a: &Args, c: &mut Config) -> anyhow::Result<()> {
    set!(c.content_weight => a.content_weight, c.style_weight => a.style_weight);
    if let Some(v) = a.strength {
        *c = c.clone().with_strength(v)
    }
    set!(c.tv_weight => a.tv_weight, c.range_weight => a.range_weight, c.half_size_style => a.half_size_style);
    set!(c.content_layers => a.content_layers.as_deref().map(parse_layers).transpose()?,
         c.style_layers => a.style_layers.as_deref().map(parse_layers).transpose()?,
         c.relative_style_layers => a.relative_style_layers.clone().map(no_relative_layers));
    set!(c.content_norm => a.content_norm, c.style_norm => a.style_norm, c.feature_scale => a.feature_scale,
         c.style_mask => a.style_mask.clone().map(Some), c.style_stats => a.style_stats,
         c.style_blend => a.style_blend.clone(), c.style_scale => a.style_scale,
         c.original_colours => a.original_colors, c.init => a.init, c.seed => a.seed);
    Ok(())
}

/// `--relative-style-layers none` (or an empty value) turns them off.
fn no_relative_layers(layers: Vec<String>) -> Vec<String> {
    layers.into_iter().map(|l| l.trim().to_string()).filter(|l| !l.is_empty() && l != "none").collect()
}

/// How it is minimised: size and steps, the optimiser, the stopping rule, coarse to fine.
fn schedule_flags(a: &Args, c: &mut Config) -> anyhow::Result<()> {
    set!(c.size => a.size, c.steps => a.steps, c.optimizer => a.optimizer.map(|o| o.default_settings()));
    if let Some(v) = a.lr {
        c.optimizer = c.optimizer.clone().with_lr(v)
    }
    if let Some(v) = a.history {
        match &mut c.optimizer {
            nst_lib::optim::Optimizer::Lbfgs(l) => l.history_size = v,
            o => anyhow::bail!("--history is L-BFGS's memory; the {} optimiser has none", o.name()),
        }
    }
    set!(c.stop_change => a.stop_change.map(|v| (v != 0.0).then_some(v)),
         c.coarse_to_fine => a.coarse_to_fine.map(|v| (v != 0).then_some(v)));
    match (&a.scales, &a.scale_steps) {
        (Some(sizes), Some(steps)) => c.multiscale = Some(config::MultiScale::new(sizes.clone(), steps.clone())?),
        (Some(sizes), None) => {
            let steps = config::split_steps(c.steps, sizes.len());
            c.multiscale = Some(config::MultiScale::new(sizes.clone(), steps)?)
        }
        (None, None) => {}
        (None, Some(_)) => anyhow::bail!("--scale-steps needs --scales, e.g. --scales 128,256 --scale-steps 200,100"),
    }
    Ok(())
}

/// Where results go and what is printed while it runs.
fn output_flags(a: &Args, c: &mut Config) {
    set!(c.results_dir => a.out_dir.clone().map(Some));
    c.save = !a.no_save;
    c.report = if a.preview {
        config::Report::Lines { every: (c.total_steps() / 10).max(1), preview_cols: 60 }
    } else {
        config::Report::Off
    };
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let cfg = build_config(&args)?;
    let bar =
        if args.quiet || args.preview { ProgressBar::hidden() } else { ProgressBar::new(cfg.total_steps() as u64) };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} steps, eta {eta}  {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    // Ctrl-C (or SIGTERM) once: finish the step, save the picture as *_stopped.*; twice: quit now.
    let stop = StopFlag::new();
    let handler_stop = stop.clone();
    ctrlc::set_handler(move || {
        if handler_stop.is_requested() {
            eprintln!("\nnst: interrupted twice: quitting without saving");
            std::process::exit(130);
        }
        handler_stop.request();
        eprintln!("\nnst: interrupted: finishing this step and saving the picture (Ctrl-C again quits at once)");
    })?;
    let live = match (args.live, args.live_port) {
        (false, None) => None,
        (_, port) => {
            let view = nst_lib::live::LiveView::start(port.unwrap_or(nst_lib::live::DEFAULT_PORT))?;
            eprintln!("nst: live view at {}", view.url());
            Some(view)
        }
    };
    let outcome = nst_lib::run_until(
        &args.content,
        &args.style,
        &cfg,
        &mut |p| {
            if let Some(view) = &live {
                view.observe(p);
            }
            let l = &p.report.loss;
            bar.set_position(p.report.step as u64);
            bar.set_message(format!(
                "loss {:.4e} (content {:.3e}, style {:.3e}, tv {:.3e})",
                l.total, l.content, l.style, l.tv
            ));
        },
        &stop,
    );
    bar.finish_and_clear();
    let outcome = outcome?;
    if let Some(view) = &live {
        view.show_outcome(&outcome);
    }
    print_summary(&outcome, cfg.total_steps());
    match outcome.status {
        Status::Diverged { .. } => {
            outcome.check()?; // says what happened and where the last good picture is; exit 1
        }
        Status::Stopped { .. } => {
            eprintln!("nst: {}", outcome.check().err().map(|e| e.to_string()).unwrap_or_default());
            std::process::exit(130); // the shell's code for "ended by Ctrl-C"
        }
        Status::Finished => {}
    }
    Ok(())
}

/// What the run did, its fidelity and the files written.
fn print_summary(outcome: &nst_lib::Outcome, planned: usize) {
    let early = outcome.status == Status::Finished && outcome.history.len() < planned;
    println!(
        "{} steps{} in {:.1} s ({:.3} s/step); loss {:.4e} -> {:.4e}; weights {} ({}, {:?})",
        outcome.history.len(),
        if early { format!(" (of {planned}: the picture had stopped changing)") } else { String::new() },
        outcome.seconds,
        outcome.seconds_per_step(),
        outcome.first_loss().unwrap_or(f64::NAN),
        outcome.final_loss().unwrap_or(f64::NAN),
        outcome.weights.path.display(),
        outcome.weights.arch,
        outcome.weights.flavour
    );
    println!("{}", outcome.fidelity);
    if let Some(files) = &outcome.saved {
        for f in files.all() {
            println!("wrote {}", f.display());
        }
    }
}

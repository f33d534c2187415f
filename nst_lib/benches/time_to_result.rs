//! Time to a result as good as PyTorch's: for each pair, PyTorch's reference run
//! (`../shared/bench/gatys_ref.py --wolfe`, jcjohnson/neural-style's settings, N L-BFGS
//! iterations) and then our default on the same pictures, size and machine, in this invocation.
//! Both pictures are scored with the fidelity measure (`nst_lib::metrics`); ours is scored every
//! few steps, as the picture a user would get by stopping there (clamped to 0–1 and brought to
//! the final size), and the bench reports when it first satisfies the quality rule of the README
//! ("Quality": c ≤ 1.5 c_torch, s ≤ 1.5 s_torch, c·s ≤ c_torch·s_torch), as well as where the
//! default run ends by itself. Ratios are wall times, ours / PyTorch's.
//!
//! `cargo bench --bench time_to_result -- [--size 512] [--steps 300]
//!   [--pairs chelsea+starry_night,astronaut+shipwreck] [--every 5] [--reuse-torch]
//!   [--history N] [--scales 256,512 --scale-steps 100,100] [--ours-steps N] [--no-stop]`
//!
//! The options after `--every` change our side only, to try a schedule against PyTorch; the
//! default settings are what the README's table reports. `--reuse-torch` takes PyTorch's result
//! from an earlier invocation (kept under target/time_to_result by pair, size and steps) instead
//! of running it again: quicker, but the two sides then ran at different times.
//!
//! Needs the real VGG16 of ../shared (or `NST_WEIGHTS`) and PyTorch; says why and stops
//! otherwise. Both programs read the same PNGs, resized once here to the working size.

use std::path::{Path, PathBuf};
use std::time::Instant;

use nst_lib::config::{MultiScale, Report};
use nst_lib::image_io::{fit_size, load_rgb, resize_to, to_image, Sizing};
use nst_lib::metrics::Fidelity;
use nst_lib::optim::Optimizer;
use nst_lib::{Config, StyleTransfer};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let opt = |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).cloned();
    let flag = |k: &str| args.iter().any(|a| a == k);
    let list = |k: &str| -> anyhow::Result<Option<Vec<usize>>> {
        opt(k).map(|v| v.split(',').map(|x| Ok(x.trim().parse()?)).collect()).transpose()
    };
    let size: u32 = opt("--size").map(|s| s.parse()).transpose()?.unwrap_or(512);
    let steps: usize = opt("--steps").map(|s| s.parse()).transpose()?.unwrap_or(300);
    let every: usize = opt("--every").map(|s| s.parse()).transpose()?.unwrap_or(5).max(1);
    let pairs = opt("--pairs").unwrap_or_else(|| "chelsea+starry_night,astronaut+shipwreck".into());
    let root = nst_lib::repo_root();
    let weights = std::env::var_os("NST_WEIGHTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/weights/vgg16-imagenet-caffe.safetensors"));
    let script = root.join("../shared/bench/gatys_ref.py");
    if !weights.is_file() || !script.is_file() {
        println!("SKIPPED: needs {} and {}", weights.display(), script.display());
        return Ok(());
    }

    // Our side: the default, or what the options ask for.
    let mut ours = Config { save: false, report: Report::Off, weights: Some(weights.clone()), ..Config::default() };
    ours.size = size;
    if let Some(h) = opt("--history") {
        if let Optimizer::Lbfgs(l) = &mut ours.optimizer {
            l.history_size = h.parse()?;
        }
    }
    if let Some(n) = opt("--ours-steps") {
        ours.steps = n.parse()?;
    }
    match (list("--scales")?, list("--scale-steps")?) {
        (Some(s), Some(n)) => ours.multiscale = Some(MultiScale::new(s.iter().map(|&v| v as u32).collect(), n)?),
        (None, None) => {}
        _ => anyhow::bail!("--scales and --scale-steps go together"),
    }
    if flag("--no-stop") {
        ours.stop_change = None;
    }
    ours.validate()?;
    let nst = StyleTransfer::with_weights(ours.clone(), &weights)?;
    println!(
        "ours: {} stages {:?}, L-BFGS history {}, stop when the loss changes < {:?} over {} steps",
        ours.preset,
        ours.stages(),
        match &ours.optimizer {
            Optimizer::Lbfgs(l) => l.history_size.to_string(),
            o => format!("({o:?})"),
        },
        ours.stop_change,
        nst_lib::config::STOP_WINDOW
    );
    println!("load average before: {}", loadavg());

    let dir = root.join("target/time_to_result");
    std::fs::create_dir_all(&dir)?;
    let mut rows = vec![];
    for pair in pairs.split(',') {
        let (c, s) = pair.split_once('+').ok_or_else(|| anyhow::anyhow!("pairs look like chelsea+starry_night"))?;
        let find = |sub: &str, stem: &str| -> anyhow::Result<PathBuf> {
            std::fs::read_dir(root.join("img").join(sub))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| p.file_stem().is_some_and(|f| f == stem))
                .ok_or_else(|| anyhow::anyhow!("no img/{sub}/{stem}.*"))
        };
        // Both sides read these files: the working size exactly (multiples of 16), so neither
        // program resizes again.
        let prepare = |src: &Path, name: &str| -> anyhow::Result<(PathBuf, image::RgbImage)> {
            let img = load_rgb(src)?;
            let target = fit_size(img.width(), img.height(), size, 16, Sizing::KeepAspect)?;
            let img = resize_to(&img, target, Sizing::KeepAspect);
            let p = dir.join(format!("{name}_{size}.png"));
            img.save(&p)?;
            Ok((p, img))
        };
        let (cp, cimg) = prepare(&find("content", c)?, c)?;
        let (sp, simg) = prepare(&find("style", s)?, s)?;
        println!("\n## {c} + {s}, {}x{}", cimg.width(), cimg.height());

        let torch = torch_run(
            &script,
            &weights,
            &cp,
            &sp,
            size,
            steps,
            &dir.join(format!("torch_{c}_{s}_{size}_{steps}")),
            flag("--reuse-torch"),
        );
        let Some((torch_png, torch_evals, torch_secs)) = torch? else { return Ok(()) };
        let torch_fid = nst.fidelity(&load_rgb(&torch_png)?, Some(&cimg), Some(&simg))?;
        let (tc, ts) = (torch_fid.content.unwrap_or(f64::NAN), torch_fid.style.unwrap_or(f64::NAN));
        println!("PyTorch: {torch_evals} evaluations, {torch_secs:.1} s, content {tc:.3}, style {ts:.3}");

        // Ours: the images seen every `every` evaluations, kept (a reference, no copy) with
        // the wall time, and scored afterwards so scoring costs none of the measured time.
        let mut seen: Vec<(usize, f64, candle_core::Tensor)> = vec![];
        let t0 = Instant::now();
        let out = nst.run_with_progress(cp.to_str().unwrap(), sp.to_str().unwrap(), &mut |p| {
            if p.report.step % every == 0 {
                seen.push((p.report.step, t0.elapsed().as_secs_f64(), p.image.clone()));
            }
        })?;
        let wall = t0.elapsed().as_secs_f64();
        let pass = |f: &Fidelity| {
            let (c, s) = (f.content.unwrap_or(f64::INFINITY), f.style.unwrap_or(f64::INFINITY));
            c <= 1.5 * tc && s <= 1.5 * ts && c * s <= tc * ts
        };
        let mut first: Option<(usize, f64, Fidelity)> = None;
        for (step, secs, x) in &seen {
            let mut img = to_image(x)?;
            if img.dimensions() != cimg.dimensions() {
                img =
                    image::imageops::resize(&img, cimg.width(), cimg.height(), image::imageops::FilterType::CatmullRom);
            }
            let f = nst.fidelity(&img, Some(&cimg), Some(&simg))?;
            if *step % (every * 10) == 0 {
                println!("  ours step {step:4} at {secs:6.1} s: {f}");
            }
            if pass(&f) {
                first = Some((*step, *secs, f));
                break;
            }
        }
        out.image.save(dir.join(format!("ours_{c}_{s}_{size}.png")))?;
        let end = out.fidelity;
        println!(
            "ours, run to its end: {} evaluations, {wall:.1} s, {end}, {:?}; rule {}",
            out.history.len(),
            out.status,
            if pass(&end) { "met" } else { "NOT met" }
        );
        match &first {
            Some((step, secs, f)) => println!("ours first meets the rule at evaluation {step}, {secs:.1} s: {f}"),
            None => println!("ours never met the rule in the evaluations looked at"),
        }
        rows.push(Row {
            pair: format!("{c} + {s}"),
            dims: cimg.dimensions(),
            torch: (torch_evals, torch_secs, tc, ts),
            first,
            end: (out.history.len(), wall, end, pass(&end)),
        });
    }
    println!("\nload average after: {}", loadavg());
    println!("\n| pair ({size} px) | PyTorch: evals, s, c, s | ours first meeting the rule: eval, s, c, s | ratio | ours default run: evals, s, c, s | ratio |");
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        let (te, tsec, tc, ts) = r.torch;
        let first = match &r.first {
            Some((e, sec, f)) => format!(
                "{e}, {sec:.0} s, {:.3}, {:.3} | **{:.2}**",
                f.content.unwrap_or(f64::NAN),
                f.style.unwrap_or(f64::NAN),
                sec / tsec
            ),
            None => "not met | –".into(),
        };
        let (ee, esec, ef, ok) = &r.end;
        println!(
            "| {} ({}×{}) | {te}, {tsec:.0} s, {tc:.3}, {ts:.3} | {first} | {ee}, {esec:.0} s, {:.3}, {:.3}{} | **{:.2}** |",
            r.pair,
            r.dims.0,
            r.dims.1,
            ef.content.unwrap_or(f64::NAN),
            ef.style.unwrap_or(f64::NAN),
            if *ok { "" } else { " (rule NOT met)" },
            esec / tsec
        );
    }
    Ok(())
}

struct Row {
    pair: String,
    dims: (u32, u32),
    torch: (usize, f64, f64, f64),
    first: Option<(usize, f64, Fidelity)>,
    end: (usize, f64, Fidelity, bool),
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// PyTorch's picture, evaluations and seconds (from its own log: the optimisation only, as
/// ours); `None` after printing why when PyTorch cannot run.
#[allow(clippy::too_many_arguments)]
fn torch_run(
    script: &Path,
    weights: &Path,
    c: &Path,
    s: &Path,
    size: u32,
    steps: usize,
    base: &Path,
    reuse: bool,
) -> anyhow::Result<Option<(PathBuf, usize, f64)>> {
    let (png, csv) = (base.with_extension("png"), base.with_extension("csv"));
    if !(reuse && png.is_file() && csv.is_file()) {
        let out = std::process::Command::new("python3")
            .arg(script)
            .args([c.to_str().unwrap(), s.to_str().unwrap(), &size.to_string(), &steps.to_string()])
            .arg(base)
            .arg("--wolfe")
            .env("VGG16", weights)
            .env("CW", "5")
            .env("SW", "100")
            .env("TVW", "1e-3")
            .output();
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                println!(
                    "SKIPPED: PyTorch run failed: {}",
                    String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("")
                );
                return Ok(None);
            }
            Err(e) => {
                println!("SKIPPED: cannot run python3: {e}");
                return Ok(None);
            }
        }
    } else {
        println!("(PyTorch's result reused from an earlier invocation: {})", png.display());
    }
    let log = std::fs::read_to_string(&csv)?;
    let last = log.lines().last().ok_or_else(|| anyhow::anyhow!("empty PyTorch log"))?;
    let f: Vec<&str> = last.split(',').collect();
    Ok(Some((png, f[0].parse()?, f[5].parse()?)))
}

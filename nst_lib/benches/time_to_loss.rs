//! Time to a good result: the wall time our L-BFGS needs to reach the loss PyTorch's L-BFGS
//! reaches in N steps, on the same images, weights and settings, in the same invocation.
//!
//! `cargo bench --bench time_to_loss -- [--size 256] [--steps 300] [--content P] [--style P]`
//!
//! Needs the real VGG16 of ../shared (or `NST_WEIGHTS`) and PyTorch; says why and stops
//! otherwise. Settings are those of ../shared/bench/gatys_ref.py (run with `--wolfe`): the gatys
//! layers (content relu4_2, style relu1_1…relu5_1), max pooling, Gram/(c·h·w) with MSE, content
//! weight 5, style weight 100, L1 total variation 1e-3 on the 0–255 image, L-BFGS with history
//! 100 and strong-Wolfe line search, start from the content image. Both programs read the same
//! square PNGs, resized once here, so no resampling filter differs.

use std::path::{Path, PathBuf};
use std::time::Instant;

use nst_lib::config::{layers, FeatureScale, Init};
use nst_lib::content_loss::ContentNorm;
use nst_lib::style_loss::StyleNorm;
use nst_lib::total_variation::TvKind;
use nst_lib::vgg::Pooling;
use nst_lib::{Config, Preset};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let opt = |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).cloned();
    let size: u32 = opt("--size").map(|s| s.parse()).transpose()?.unwrap_or(256);
    let steps: usize = opt("--steps").map(|s| s.parse()).transpose()?.unwrap_or(300);
    let root = nst_lib::repo_root();
    let content = opt("--content").map(PathBuf::from).unwrap_or(root.join("img/content/astronaut.png"));
    let style = opt("--style").map(PathBuf::from).unwrap_or(root.join("img/style/brick.png"));
    let weights = std::env::var_os("NST_WEIGHTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/weights/vgg16-imagenet-caffe.safetensors"));
    let script = root.join("../shared/bench/gatys_ref.py");
    if !weights.is_file() || !script.is_file() {
        println!("SKIPPED: needs {} and {}", weights.display(), script.display());
        return Ok(());
    }
    let dir = std::env::temp_dir().join("nst_time_to_loss");
    std::fs::create_dir_all(&dir)?;
    let square = |src: &Path, name: &str| -> anyhow::Result<PathBuf> {
        let img = nst_lib::image_io::load_rgb(src)?;
        let img = nst_lib::image_io::resize_to(&img, (size, size), nst_lib::image_io::Sizing::CropSquare);
        let p = dir.join(name);
        img.save(&p)?;
        Ok(p)
    };
    let (c, s) = (square(&content, "content.png")?, square(&style, "style.png")?);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average before: {}", load.trim());

    // PyTorch first: its loss after `steps` evaluations is the target.
    let t = Instant::now();
    let out = std::process::Command::new("python3")
        .arg(&script)
        .args([c.to_str().unwrap(), s.to_str().unwrap(), &size.to_string(), &steps.to_string()])
        .arg(dir.join("torch"))
        .arg("--wolfe")
        .env("VGG16", &weights)
        .env("CW", "5")
        .env("SW", "100")
        .env("TVW", "1e-3")
        .output();
    let torch_log = match out {
        Ok(o) if o.status.success() => std::fs::read_to_string(dir.join("torch.csv"))?,
        Ok(o) => {
            println!(
                "SKIPPED: PyTorch run failed: {}",
                String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("")
            );
            return Ok(());
        }
        Err(e) => {
            println!("SKIPPED: cannot run python3: {e}");
            return Ok(());
        }
    };
    let torch: Vec<(usize, f64, f64)> = torch_log
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((f[0].parse().ok()?, f[1].parse().ok()?, f[5].parse().ok()?))
        })
        .collect();
    let &(torch_steps, target, torch_secs) =
        torch.iter().take(steps).next_back().ok_or_else(|| anyhow::anyhow!("empty PyTorch log"))?;
    println!(
        "PyTorch: loss {target:.5e} after {torch_steps} evaluations, {torch_secs:.1} s ({:.1} s with start-up)",
        t.elapsed().as_secs_f64()
    );

    let cfg = Config {
        size,
        // Room to catch up, not unlimited: say so if 1.5x the evaluations are not enough.
        steps: steps + steps / 2,
        weights: Some(weights.clone()),
        pooling: Pooling::Max,
        content_layers: layers(&["relu4_2"], 1.0),
        style_layers: layers(&["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"], 1.0),
        content_weight: 5.0,
        style_weight: 100.0,
        // gatys_ref.py takes TV on the 0-255 image; ours is on the 0-1 image.
        tv_weight: 1e-3 * 255.0,
        tv: TvKind::L1,
        content_norm: ContentNorm::Mse,
        style_norm: StyleNorm::Notebook,
        feature_scale: FeatureScale::Caffe,
        init: Init::Content,
        save: false,
        report: nst_lib::config::Report::Off,
        ..Config::preset(Preset::Gatys)
    };
    let st = nst_lib::StyleTransfer::with_weights(cfg, &weights)?;
    let mut reached: Option<(usize, f64)> = None;
    let mut last = (0, f64::NAN, 0.0);
    let outcome = st.run_with_progress(c.to_str().unwrap(), s.to_str().unwrap(), &mut |p| {
        last = (p.report.step, p.report.loss.total, p.report.seconds);
        if reached.is_none() && p.report.loss.total <= target {
            reached = Some((p.report.step, p.report.seconds));
        }
    });
    outcome?;
    let ours_at_n = last;
    println!("| | evaluations | loss | seconds |");
    println!("|---|---|---|---|");
    println!("| PyTorch {} L-BFGS | {torch_steps} | {target:.4e} | {torch_secs:.1} |", torch_version());
    match reached {
        Some((step, secs)) => {
            println!("| ours, to PyTorch's loss | {step} | ≤ {target:.4e} | {secs:.1} |");
            println!("time to PyTorch's {torch_steps}-step loss: ours/PyTorch = {:.2}", secs / torch_secs);
        }
        None => println!("| ours | did not reach {target:.4e} in {} evaluations | | |", ours_at_n.0),
    }
    println!("| ours, last evaluation | {} | {:.4e} | {:.1} |", ours_at_n.0, ours_at_n.1, ours_at_n.2);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average after: {}", load.trim());
    Ok(())
}

fn torch_version() -> String {
    std::process::Command::new("python3")
        .args(["-c", "import torch; print(torch.__version__)"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

//! Seconds per optimisation step (forward + losses + backward to the image), the same work as
//! ../shared/bench/step_time.py, which this bench runs beside ours when PyTorch is importable.
//!
//! `cargo bench --bench step_time -- [CONFIG ...] [--sizes 256,512] [--steps N] [--no-torch]`
//! CONFIG: seed (content conv_4,conv_5; style conv_1..conv_10) or gatys (conv4_2; conv1_1..conv5_1).
//! Random VGG19 weights, as in the PyTorch script (speed does not depend on the values).

use std::time::Instant;

use candle_core::{Device, Tensor};
use nst_lib::{config::layers, total_loss::TotalLoss, vgg, Config, Preset};

fn random_vgg19(dir: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let path = dir.join("random_vgg19.safetensors");
    vgg::write_random_weights(&vgg::VggSpec::vgg19(), &path, 0)?;
    Ok(path)
}

fn rss_peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<f64>().unwrap_or(0.0))
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn config(name: &str) -> Config {
    let mut c = Config::preset(Preset::Seed);
    if name == "gatys" {
        c.content_layers = layers(&["conv4_2"], 1.0);
        c.style_layers = layers(&["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"], 1.0);
    }
    c
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let mut configs: Vec<String> = args.iter().filter(|a| a == &"seed" || a == &"gatys").cloned().collect();
    if configs.is_empty() {
        configs = vec!["seed".into(), "gatys".into()];
    }
    let opt = |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).cloned();
    let sizes: Vec<usize> = opt("--sizes").unwrap_or("256,512".into()).split(',').map(|s| s.parse().unwrap()).collect();
    let steps: usize = opt("--steps").map(|s| s.parse().unwrap()).unwrap_or(5);
    let torch = !args.iter().any(|a| a == "--no-torch");
    let dir = std::env::temp_dir().join("nst_bench");
    std::fs::create_dir_all(&dir)?;
    let weights = random_vgg19(&dir)?;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("machine: {} cores; load average {}", std::thread::available_parallelism()?.get(), load.trim());
    println!("| config | size | ours fwd (s) | ours step median (s) | torch fwd (s) | torch step median (s) | ratio step ours/torch | peak RSS (MB) |");
    println!("|---|---|---|---|---|---|---|---|");
    for name in &configs {
        let cfg = config(name);
        let st = nst_lib::StyleTransfer::with_weights(cfg.clone(), &weights)?;
        for &size in &sizes {
            let dev = Device::Cpu;
            let content = Tensor::rand(0f32, 1f32, (1, 3, size, size), &dev)?;
            let style = Tensor::rand(0f32, 1f32, (1, 3, size, size), &dev)?;
            let loss = TotalLoss::new(&st.vgg, Some(&content), Some(&style), &cfg)?;
            let t = Instant::now();
            let _ = st.vgg.features(&content, loss.layers())?;
            let fwd = t.elapsed().as_secs_f64();
            let mut times = vec![];
            for i in 0..steps + 1 {
                let t = Instant::now();
                let _ = loss.loss_and_grad(&content)?;
                if i > 0 {
                    times.push(t.elapsed().as_secs_f64());
                }
            }
            let ours = median(times);
            let (tf, ts) = if torch { run_torch(name, size, steps) } else { (None, None) };
            let f = |v: Option<f64>| v.map(|x| format!("{x:.3}")).unwrap_or("-".into());
            println!(
                "| {name} | {size} | {fwd:.3} | {ours:.3} | {} | {} | {} | {:.0} |",
                f(tf),
                f(ts),
                ts.map(|t| format!("{:.2}", ours / t)).unwrap_or("-".into()),
                rss_peak_mb()
            );
        }
    }
    Ok(())
}

/// Run the PyTorch peer script in the same invocation; None when PyTorch is unavailable.
fn run_torch(cfg: &str, size: usize, steps: usize) -> (Option<f64>, Option<f64>) {
    let script = nst_lib::repo_root().join("../shared/bench/step_time.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .args([cfg, &size.to_string(), "2", &steps.to_string()])
        .output();
    let Ok(out) = out else { return (None, None) };
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |k: &str| {
        text.split_whitespace().find_map(|w| w.strip_prefix(k)).and_then(|v| v.trim_end_matches('s').parse().ok())
    };
    (field("fwd_nograd="), field("step_median="))
}

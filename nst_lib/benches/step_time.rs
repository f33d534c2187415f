//! Seconds per optimisation step (forward + losses + backward to the image), the same work as
//! ../shared/bench/step_time.py, which this bench runs beside ours when PyTorch is importable.
//!
//! `cargo bench --bench step_time -- [CONFIG ...] [--sizes 256,512] [--steps N] [--rounds R]
//!  [--no-torch] [--reference | --bf16]`
//! CONFIG: seed (content conv_4,conv_5; style conv_1..conv_10) or gatys (conv4_2; conv1_1..conv5_1).
//! Random VGG19 weights, as in the PyTorch script (speed does not depend on the values).
//! The machine is noisy, so each row alternates ours and PyTorch R times (default 3) and reports
//! medians; `ratio` is median/median, `range` the lowest and highest ratio of a single round.
//! `limit` is the step's multiply-adds (convolutions forward and input-gradient, Gram matrices)
//! at 200 GFLOP/s, about the best candle's gemm reaches on this machine's 2 cores.
//! `--reference` times candle's own ops instead of the fast CPU kernels; `--bf16` the fast kernels
//! with bf16 convolution products on AMX tiles (`Kernels::Bf16`, where the CPU has them).

use std::time::Instant;

use candle_core::{Device, Tensor};
use nst_lib::vgg::{Kernels, LayerKind};
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

/// Multiply-adds ×2 of one step: every convolution up to the deepest layer forward and its
/// input gradient (the same count), plus the Gram matrices (G, then dF = (dG + dGᵀ)F).
fn step_gflop(loss: &TotalLoss, st: &nst_lib::StyleTransfer, size: usize, style: &[String]) -> f64 {
    let deepest = loss.deepest().map(|l| l.seq).unwrap_or(0);
    let (mut cin, mut side, mut flops) = (3.0, size as f64, 0.0);
    for l in st.vgg.spec.layers().iter().take(deepest + 1) {
        match l.kind {
            LayerKind::Conv => {
                let cout = st.vgg.channels(l) as f64;
                flops += 2.0 * 2.0 * cout * cin * 9.0 * side * side;
                if style.iter().any(|s| st.vgg.spec.layer(s).map(|x| x == *l).unwrap_or(false)) {
                    flops += 2.0 * 2.0 * cout * cout * side * side;
                }
                cin = cout;
            }
            LayerKind::Pool => side /= 2.0,
            LayerKind::Relu => {}
        }
    }
    flops / 1e9
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
    let rounds: usize = opt("--rounds").map(|s| s.parse().unwrap()).unwrap_or(3);
    let torch = !args.iter().any(|a| a == "--no-torch");
    let flag = |f: &str| args.iter().any(|a| a == f);
    let kernels = match (flag("--reference"), flag("--bf16"), flag("--direct")) {
        (true, _, _) => Kernels::Reference,
        (false, true, _) => Kernels::Bf16,
        (false, false, true) => Kernels::Direct,
        _ => Kernels::Auto,
    };
    let dir = std::env::temp_dir().join("nst_bench");
    std::fs::create_dir_all(&dir)?;
    let weights = random_vgg19(&dir)?;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "machine: {} cores; load average {}; kernels: {}",
        std::thread::available_parallelism()?.get(),
        load.trim(),
        match kernels {
            Kernels::Reference => "candle reference",
            Kernels::Bf16 if nst_lib::amx::available() => "fast CPU, bf16 on AMX tiles",
            Kernels::Bf16 => "fast CPU (bf16 asked for; no AMX here, so f32)",
            Kernels::Auto => "fast CPU (Winograd F(4x4, 3x3) where the channels allow)",
            Kernels::Direct => "fast CPU, direct convolutions (no Winograd)",
        }
    );
    println!("| config | size | ours fwd (s) | ours step (s) | torch fwd (s) | torch step (s) | ratio ours/torch | range | GFLOP/step | ours GFLOP/s | limit (s) | peak RSS (MB) |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for name in &configs {
        let cfg = config(name);
        let mut st = nst_lib::StyleTransfer::with_weights(cfg.clone(), &weights)?;
        if kernels != Kernels::Auto {
            std::sync::Arc::get_mut(&mut st.vgg).expect("the network is not shared yet").set_kernels(kernels);
        }
        let style: Vec<String> = cfg.style_layers.iter().map(|l| l.layer.clone()).collect();
        for &size in &sizes {
            let dev = Device::Cpu;
            let content = Tensor::rand(0f32, 1f32, (1, 3, size, size), &dev)?;
            let style_img = Tensor::rand(0f32, 1f32, (1, 3, size, size), &dev)?;
            let loss = TotalLoss::new(&st.vgg, Some(&content), Some(&style_img), &cfg)?;
            let gflop = step_gflop(&loss, &st, size, &style);
            let (mut fwds, mut ours, mut tfs, mut tss, mut ratios) = (vec![], vec![], vec![], vec![], vec![]);
            for _ in 0..rounds {
                let t = Instant::now();
                let _ = st.vgg.features(&content, loss.layers())?;
                fwds.push(t.elapsed().as_secs_f64());
                let mut times = vec![];
                for i in 0..steps + 1 {
                    let t = Instant::now();
                    let _ = loss.loss_and_grad(&content)?;
                    if i > 0 {
                        times.push(t.elapsed().as_secs_f64());
                    }
                }
                let m = median(times);
                ours.push(m);
                if torch {
                    if let (Some(tf), Some(ts)) = run_torch(name, size, steps) {
                        tfs.push(tf);
                        tss.push(ts);
                        ratios.push(m / ts);
                    }
                }
            }
            let f = |v: &Vec<f64>| if v.is_empty() { "-".to_string() } else { format!("{:.3}", median(v.clone())) };
            let ours_step = median(ours.clone());
            let (ratio, range) = if tss.is_empty() {
                ("-".to_string(), "-".to_string())
            } else {
                let lo = ratios.iter().copied().fold(f64::MAX, f64::min);
                let hi = ratios.iter().copied().fold(0f64, f64::max);
                (format!("{:.2}", ours_step / median(tss.clone())), format!("{lo:.2}–{hi:.2}"))
            };
            println!(
                "| {name} | {size} | {} | {ours_step:.3} | {} | {} | {ratio} | {range} | {gflop:.1} | {:.0} | {:.3} | {:.0} |",
                f(&fwds),
                f(&tfs),
                f(&tss),
                gflop / ours_step,
                gflop / 200.0,
                rss_peak_mb()
            );
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average after: {}", load.trim());
    Ok(())
}

/// Run the PyTorch peer script in the same invocation; None when PyTorch is unavailable.
fn run_torch(cfg: &str, size: usize, steps: usize) -> (Option<f64>, Option<f64>) {
    let script = nst_lib::repo_root().join("../shared/bench/step_time.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .args([cfg, &size.to_string(), "2", &steps.to_string()])
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            eprintln!("PyTorch's script did not start (python3: {e}); its columns stay empty");
            return (None, None);
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |k: &str| {
        text.split_whitespace().find_map(|w| w.strip_prefix(k)).and_then(|v| v.trim_end_matches('s').parse().ok())
    };
    let found = (field("fwd_nograd="), field("step_median="));
    if found.1.is_none() {
        // Say why, or a missing torchvision reads as "no PyTorch wanted" (it did once).
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        eprintln!("PyTorch's script gave no step time ({}): {last}; its columns stay empty", out.status);
    }
    found
}

//! What the live view costs a run: the same session steps with and without a `LiveView`
//! watching, in alternation, with a client fetching `/frame.png` as fast as a page would
//! (twice a second). Prints each pair's seconds per step and the median ratio (with / without).
//!
//! `cargo bench --bench live_view -- [--size 256] [--steps 40] [--pairs 5]`
//!
//! Needs the real VGG16 of ../shared (or `NST_WEIGHTS`); says why and stops otherwise.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use nst_lib::config::Report;
use nst_lib::live::LiveView;
use nst_lib::{Config, StyleTransfer};

/// Seconds per step of `steps` steps of a fresh session, watched by `live` when given.
fn seconds_per_step(st: &StyleTransfer, steps: usize, live: Option<&LiveView>) -> anyhow::Result<f64> {
    let root = nst_lib::repo_root();
    let (c, s) = (root.join("img/content/chelsea.png"), root.join("img/style/starry_night.jpg"));
    let mut session = st.session(&c.to_string_lossy(), &s.to_string_lossy())?;
    if let Some(v) = live {
        session.watch(v.observer());
    }
    session.run(1)?; // the first step pays for allocations: not counted
    let t0 = std::time::Instant::now();
    session.run(steps)?;
    Ok(t0.elapsed().as_secs_f64() / steps as f64)
}

/// A page's requests: `/frame.png` twice a second until `stop`.
fn client(port: u16, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut fetched = 0;
        while !stop.load(Ordering::SeqCst) {
            if let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let _ = write!(c, "GET /frame.png HTTP/1.1\r\n\r\n");
                let mut body = vec![];
                fetched += usize::from(c.read_to_end(&mut body).is_ok() && body.len() > 100);
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        fetched
    })
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let opt =
        |k: &str, d: usize| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(d);
    let (size, steps, pairs) = (opt("--size", 256) as u32, opt("--steps", 40), opt("--pairs", 5));
    let weights = std::env::var_os("NST_WEIGHTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| nst_lib::repo_root().join("../shared/weights/vgg16-imagenet-caffe.safetensors"));
    if !weights.exists() {
        println!("no VGG weights at {} (set NST_WEIGHTS): nothing measured", weights.display());
        return Ok(());
    }
    let cfg = Config { size, save: false, report: Report::Off, ..Config::default() }.single_stage();
    let st = StyleTransfer::with_weights(cfg, &weights)?;
    let live = LiveView::start(0)?;
    let mut ratios = vec![];
    for pair in 1..=pairs {
        let without = seconds_per_step(&st, steps, None)?;
        let stop = Arc::new(AtomicBool::new(false));
        let fetcher = client(live.port(), Arc::clone(&stop));
        let with = seconds_per_step(&st, steps, Some(&live))?;
        stop.store(true, Ordering::SeqCst);
        let fetched = fetcher.join().unwrap_or(0);
        println!("pair {pair}: {without:.4} s/step without, {with:.4} with the live view ({fetched} frames fetched)");
        ratios.push(with / without);
    }
    ratios.sort_by(f64::total_cmp);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "live view at {size} px, {steps} steps a run: median ratio {:.3} (min {:.3}, max {:.3}); load {}",
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1],
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    Ok(())
}

//! Peak memory (resident set) of a run by picture size: each size runs in its own process (the
//! peak is a per-process high-water mark), with the default settings at one stage of that size,
//! enough steps to fill the L-BFGS history, and the stopping rule off.
//!
//! `cargo bench --bench memory -- [--sizes 512,1024,2048,4096] [--steps N] [--no-bands] [--kernels K]`
//!
//! It prints the high-water mark as it stood after the targets (the content and style images'
//! features), after the steps and at the end (the fidelity measure), both of the resident set
//! and of the heap in use (a counting allocator: what the run needs, without what malloc keeps
//! after a free). `--no-bands` runs
//! every size whole ([`nst_lib::bands::BandSize::off`]), as before bands existed; `--kernels
//! direct` runs without Winograd's transforms (whose weights are kept for small pictures).
//!
//! The picture is 4:3 (the astronaut cut to 4:3, so 2048 px = 2048×1536) with *The Starry
//! Night* as style. Needs the real VGG16 of ../shared (or `NST_WEIGHTS`); says why and stops
//! otherwise.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use nst_lib::config::Report;
use nst_lib::optim::Optimizer;
use nst_lib::{Config, StyleTransfer};

/// Counts the heap bytes in use and their peak: the resident peak also holds what malloc keeps
/// after a free (see `cpu_kernels::keep_freed_memory`), this is what the run itself needs.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static LIVE_PEAK: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    fn grew(by: usize) {
        let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
        LIVE_PEAK.fetch_max(now, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            Self::grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            Self::grew(layout.size());
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            Self::grew(new_size);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live_peak_mb() -> f64 {
    LIVE_PEAK.load(Ordering::Relaxed) as f64 / (1 << 20) as f64
}

fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .map_or(f64::NAN, |kb: f64| kb / 1024.0)
}

fn history() -> usize {
    match Config::default().optimizer {
        Optimizer::Lbfgs(l) => l.history_size,
        _ => 0,
    }
}

/// The command line: `--key value` options and flags.
struct Args(Vec<String>);

impl Args {
    fn opt(&self, key: &str) -> Option<String> {
        self.0.iter().position(|a| a == key).and_then(|i| self.0.get(i + 1)).cloned()
    }
    fn flag(&self, key: &str) -> bool {
        self.0.iter().any(|a| a == key)
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args(std::env::args().skip(1).filter(|a| a != "--bench").collect());
    let root = nst_lib::repo_root();
    let weights = std::env::var_os("NST_WEIGHTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/weights/vgg16-imagenet-caffe.safetensors"));
    if !weights.is_file() {
        println!("SKIPPED: needs {}", weights.display());
        return Ok(());
    }
    let steps: usize = args.opt("--steps").map(|s| s.parse()).transpose()?.unwrap_or(history() + 2);
    match args.opt("--child") {
        Some(size) => child(&args, &size, steps, &weights),
        None => parent(&args, steps),
    }
}

/// One measurement, in this process: prints a RESULT line for the parent.
fn child(args: &Args, size: &str, steps: usize, weights: &std::path::Path) -> anyhow::Result<()> {
    let cfg = Config {
        size: size.parse()?,
        steps,
        multiscale: None,
        coarse_to_fine: None,
        stop_change: None,
        save: false,
        report: Report::Off,
        weights: Some(weights.to_path_buf()),
        kernels: args.opt("--kernels").map(|k| k.parse()).transpose()?.unwrap_or_default(),
        ..Config::default()
    };
    let content = args.opt("--content").expect("the parent passes --content");
    let style = nst_lib::repo_root().join("img/style/starry_night.jpg");
    let mut nst = StyleTransfer::with_weights(cfg, weights)?;
    if args.flag("--no-bands") {
        let vgg = std::sync::Arc::get_mut(&mut nst.vgg).expect("the network is not shared yet");
        vgg.set_band_size(nst_lib::bands::BandSize::off());
    }
    let mut session = nst.session(&content, style.to_str().unwrap())?;
    let (targets, live_targets) = (peak_mb(), live_peak_mb());
    let t = Instant::now();
    session.run(steps)?;
    let secs = t.elapsed().as_secs_f64();
    let (stepped, live_stepped) = (peak_mb(), live_peak_mb());
    let out = session.finish()?;
    let (w, h) = out.image.dimensions();
    let n = out.history.len();
    println!(
        "RESULT {w} {h} {n} {:.2} {:.0} {targets:.0} {stepped:.0} {:.0} {live_targets:.0} {live_stepped:.0}",
        secs / n as f64,
        peak_mb(),
        live_peak_mb()
    );
    Ok(())
}

/// Each size in a child process of its own (the peak is a per-process high-water mark), one
/// table row each.
fn parent(args: &Args, steps: usize) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join("nst_memory_bench");
    std::fs::create_dir_all(&dir)?;
    let img = nst_lib::image_io::load_rgb(&nst_lib::repo_root().join("img/content/astronaut.png"))?;
    let (w, h) = img.dimensions();
    let cut = image::imageops::crop_imm(&img, 0, (h - w * 3 / 4) / 2, w, w * 3 / 4).to_image();
    let content = dir.join("astronaut_4x3.png");
    cut.save(&content)?;
    let sizes = args.opt("--sizes").unwrap_or_else(|| "512,1024,2048".into());
    let me = std::env::current_exe()?;
    println!("default settings, L-BFGS history {} pairs, {steps} steps per size", history());
    println!("load average before: {}", std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim());
    let no_bands = args.flag("--no-bands");
    println!("{}", if no_bands { "every size run whole (--no-bands)" } else { "large pictures in bands" });
    println!("kernels: {}", args.opt("--kernels").unwrap_or_else(|| "the default's".into()));
    println!("| size | picture | steps | s/step | peak RSS | after the targets | after the steps | heap in use, peak | after the targets | after the steps |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for size in sizes.split(',') {
        let mut child = std::process::Command::new(&me);
        child.args(["--child", size.trim(), "--steps", &steps.to_string(), "--content", content.to_str().unwrap()]);
        if no_bands {
            child.arg("--no-bands");
        }
        if let Some(k) = args.opt("--kernels") {
            child.args(["--kernels", &k]);
        }
        let out = child.output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        match text.lines().find_map(|l| l.strip_prefix("RESULT ")) {
            Some(r) => {
                let f: Vec<&str> = r.split_whitespace().collect();
                let (w, h, n, s, peak, t, st) = (f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
                let (live, lt, lst) = (f[7], f[8], f[9]);
                println!("| {size} px | {w}×{h} | {n} | {s} s | **{peak} MB** | {t} MB | {st} MB | {live} MB | {lt} MB | {lst} MB |");
            }
            None => println!("| {size} px | failed: {} | | | | | | | | |", String::from_utf8_lossy(&out.stderr).trim()),
        }
    }
    println!("load average after: {}", std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim());
    Ok(())
}

//! Bounded fuzzing of the loaders: thousands of mutated and cut-short files for every decoder
//! the library reads — PNG, JPEG, GIF, BMP, WebP, TIFF pictures and safetensors and zip `.pth`
//! weights (fixed seed, so a failure reproduces; a panicking input is kept under
//! `target/tmp/fuzz/`). Each must load or return an error; none may
//! panic, and none may make the loader allocate more than a set bound (the decoders' limits and
//! the safetensors header limit are what keep a crafted file from asking for gigabytes).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use candle_core::Device;
use common::*;
use nst_lib::vgg::{LoadOptions, Vgg};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// Counts live heap bytes and their peak, so each case's allocation can be bounded.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
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

/// More than any loader needs for these small files (a 48x32 picture, a tiny network): PNG and
/// JPEG files are checked against what their header claims before decoding (`check_file`).
const ALLOC_BOUND: usize = 64 << 20;
/// GIF, BMP, WebP and TIFF are decoded under the decoders' allocation limit: a header that
/// claims a large picture (within the size limits a real one may have) gets that much.
const DECODER_ALLOC_BOUND: usize = (nst_lib::image_io::MAX_INPUT_PIXELS * 8) as usize + ALLOC_BOUND;
/// For `.pth`: candle's pickle reader allocates a string's claimed length (a u32, so at most
/// 4 GiB) zeroed before reading it; zeroed pages that are never written cost no memory, and the
/// read then fails. Tensors claiming more than the file holds are refused before candle
/// allocates them (vgg.rs, `check_pth_sizes`; tested in bad_inputs.rs).
const PTH_ALLOC_BOUND: usize = (4 << 30) + ALLOC_BOUND;
/// Wall-clock bound for the whole test (it takes a few seconds).
const TIME_BOUND: Duration = Duration::from_secs(90);

fn mutate(rng: &mut StdRng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    match rng.random_range(0..6) {
        0 => b.truncate(rng.random_range(0..b.len())),
        1 => {
            for _ in 0..rng.random_range(1..9) {
                let i = rng.random_range(0..b.len());
                b[i] = rng.random();
            }
        }
        2 => {
            // Overwrite 4 bytes with a large number: lengths, sizes and offsets in headers.
            let i = rng.random_range(0..b.len().saturating_sub(4).max(1));
            let v: u32 = [u32::MAX, 0x7FFF_FFFF, 0xFFFF, 1 << 24][rng.random_range(0..4)];
            for (k, byte) in v.to_be_bytes().iter().enumerate() {
                if i + k < b.len() {
                    b[i + k] = *byte;
                }
            }
        }
        3 => {
            let i = rng.random_range(0..b.len());
            let n = rng.random_range(1..64).min(b.len() - i);
            b.drain(i..i + n);
        }
        4 => {
            let i = rng.random_range(0..b.len());
            let junk: Vec<u8> = (0..rng.random_range(1..64)).map(|_| rng.random()).collect();
            b.splice(i..i, junk);
        }
        _ => {
            let i = rng.random_range(0..b.len());
            b[i] ^= 1 << rng.random_range(0..8);
        }
    }
    b
}

fn is_weights(ext: &str) -> bool {
    matches!(ext, "safetensors" | "pth")
}

fn load(ext: &str, path: &std::path::Path) -> nst_lib::Result<()> {
    if is_weights(ext) {
        Vgg::load(path, &LoadOptions { custom: true, ..LoadOptions::default() }, &Device::Cpu).map(|_| ())
    } else {
        nst_lib::image_io::load_rgb(path).map(|_| ())
    }
}

#[test]
fn mutated_pictures_and_weights_load_or_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    // Where a panicking input is kept for the reader (the temporary folder goes with the test).
    let keep_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz");
    let img = image::RgbImage::from_fn(48, 32, |x, y| image::Rgb([(x * 5) as u8, (y * 7) as u8, ((x ^ y) * 9) as u8]));
    let encode = |f: image::ImageFormat| {
        let mut buf = std::io::Cursor::new(Vec::new());
        img.write_to(&mut buf, f).unwrap();
        buf.into_inner()
    };
    let weights = std::fs::read(write_random_vgg(dir.path(), "seed.safetensors", &tiny_spec())).unwrap();
    let pth = std::fs::read(fixtures().join("tiny_vgg.pth")).unwrap();
    use image::ImageFormat::*;
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("png", encode(Png)),
        ("jpg", encode(Jpeg)),
        ("gif", encode(Gif)),
        ("bmp", encode(Bmp)),
        ("webp", encode(WebP)),
        ("tiff", encode(Tiff)),
        ("safetensors", weights),
        ("pth", pth),
    ];
    for (ext, seed) in &seeds {
        let path = dir.path().join(format!("intact.{ext}"));
        std::fs::write(&path, seed).unwrap();
        load(ext, &path).unwrap_or_else(|e| panic!("the intact {ext} file loads: {e}"));
    }
    let mut rng = StdRng::seed_from_u64(2026);
    let start = Instant::now();
    let mut counts = std::collections::BTreeMap::<String, (usize, usize)>::new();
    for case in 0..8000 {
        let (ext, seed) = &seeds[case % seeds.len()];
        let bytes = mutate(&mut rng, seed);
        let path = dir.path().join(format!("case.{ext}"));
        std::fs::write(&path, &bytes).unwrap();
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| load(ext, &path)));
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        // A failing input is kept, for the reader to reproduce, before the test fails.
        let fail = |why: String| -> ! {
            std::fs::create_dir_all(&keep_dir).unwrap();
            let keep = keep_dir.join(format!("case_{case}.{ext}"));
            std::fs::write(&keep, &bytes).unwrap();
            panic!("case {case} ({ext}) {why}; the input is kept as {} (seed 2026)", keep.display());
        };
        let ok = match result {
            Ok(r) => r.is_ok(),
            Err(_) => fail("panicked".into()),
        };
        let bound = match *ext {
            "pth" => PTH_ALLOC_BOUND,
            "gif" | "bmp" | "webp" | "tiff" => DECODER_ALLOC_BOUND,
            _ => ALLOC_BOUND,
        };
        if peak > bound {
            fail(format!("allocated {peak} bytes (bound {bound})"));
        }
        let c = counts.entry(ext.to_string()).or_default();
        if ok {
            c.0 += 1
        } else {
            c.1 += 1
        }
        assert!(start.elapsed() < TIME_BOUND, "over the time bound after {case} cases");
    }
    println!("fuzz: {counts:?} (loaded, refused) in {:.1} s", start.elapsed().as_secs_f64());
    // Every format was fed, and the mutations do reach the checks (PNG's checksums refuse every
    // change; the others load some, e.g. with a flipped bit in the pixel or weight data).
    assert_eq!(counts.len(), seeds.len(), "{counts:?}");
    for (ext, (_, refused)) in &counts {
        assert!(*refused > 100, "{ext}: only {refused} refused");
    }
}

//! Bounded fuzzing of the loaders: thousands of mutated and cut-short PNG, JPEG and safetensors
//! files (fixed seed, so a failure reproduces). Each must load or return an error; none may
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

/// More than any loader needs for these small files (a 48x32 picture, a tiny network).
const ALLOC_BOUND: usize = 64 << 20;
/// Wall-clock bound for the whole test (it takes a few seconds).
const TIME_BOUND: Duration = Duration::from_secs(45);

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

#[test]
fn mutated_pictures_and_weights_load_or_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let img = image::RgbImage::from_fn(48, 32, |x, y| image::Rgb([(x * 5) as u8, (y * 7) as u8, ((x ^ y) * 9) as u8]));
    let encode = |f: image::ImageFormat| {
        let mut buf = std::io::Cursor::new(Vec::new());
        img.write_to(&mut buf, f).unwrap();
        buf.into_inner()
    };
    let weights = std::fs::read(write_random_vgg(dir.path(), "seed.safetensors", &tiny_spec())).unwrap();
    let seeds: [(&str, Vec<u8>); 3] =
        [("png", encode(image::ImageFormat::Png)), ("jpg", encode(image::ImageFormat::Jpeg)), ("safetensors", weights)];
    for (ext, seed) in &seeds {
        let path = dir.path().join(format!("intact.{ext}"));
        std::fs::write(&path, seed).unwrap();
        match *ext {
            "safetensors" => drop(Vgg::load(&path, &LoadOptions::default(), &Device::Cpu).unwrap()),
            _ => drop(nst_lib::image_io::load_rgb(&path).unwrap()),
        }
    }
    let mut rng = StdRng::seed_from_u64(2026);
    let start = Instant::now();
    let mut counts = std::collections::BTreeMap::<String, (usize, usize)>::new();
    for case in 0..6000 {
        let (ext, seed) = &seeds[case % seeds.len()];
        let bytes = mutate(&mut rng, seed);
        let path = dir.path().join(format!("case.{ext}"));
        std::fs::write(&path, &bytes).unwrap();
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| match *ext {
            "safetensors" => Vgg::load(&path, &LoadOptions::default(), &Device::Cpu).map(|_| ()),
            _ => nst_lib::image_io::load_rgb(&path).map(|_| ()),
        }));
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        let ok = match result {
            Ok(r) => r.is_ok(),
            Err(_) => {
                let keep = dir.path().join(format!("panic_{case}.{ext}"));
                std::fs::write(&keep, &bytes).unwrap();
                panic!("case {case} ({ext}) panicked; the input is {keep:?} (seed 2026)");
            }
        };
        assert!(peak <= ALLOC_BOUND, "case {case} ({ext}) allocated {peak} bytes (bound {ALLOC_BOUND})");
        let c = counts.entry(ext.to_string()).or_default();
        if ok {
            c.0 += 1
        } else {
            c.1 += 1
        }
        assert!(start.elapsed() < TIME_BOUND, "over the time bound after {case} cases");
    }
    println!("fuzz: {counts:?} (loaded, refused) in {:.1} s", start.elapsed().as_secs_f64());
    // The mutations do reach the checks (PNG's checksums refuse every change; JPEG and
    // safetensors load some, e.g. with a flipped bit in the pixel or weight data).
    for (ext, (_, refused)) in &counts {
        assert!(*refused > 100, "{ext}: only {refused} refused");
    }
}

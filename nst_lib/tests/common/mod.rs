//! Helpers shared by the integration tests: tiny synthetic VGGs and small test images.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use candle_core::{DType, Device, Tensor};
use nst_lib::vgg::VggSpec;
use nst_lib::{config::layers, Config, Preset};

/// Write a VGG with random weights to `dir/name`.
pub fn write_random_vgg(dir: &Path, name: &str, spec: &VggSpec) -> PathBuf {
    let path = dir.join(name);
    nst_lib::vgg::write_random_weights(spec, &path, 7).unwrap();
    path
}

pub fn tiny_spec() -> VggSpec {
    VggSpec::custom(vec![2, 2, 3], vec![4, 6, 8])
}

/// A config for tiny networks: small sizes, few steps, layers every tiny VGG has.
pub fn tiny_config(dir: &Path) -> Config {
    let mut c = Config::preset(Preset::Seed);
    c.size = 32;
    c.steps = 4;
    c.content_layers = layers(&["conv_4"], 1.0);
    c.style_layers = layers(&["conv_1", "relu2_1", "conv3_1"], 1.0);
    c.results_dir = Some(dir.join("results"));
    c.snapshots = 2;
    c
}

/// Save a smooth colourful test picture.
pub fn write_image(dir: &Path, name: &str, w: u32, h: u32) -> PathBuf {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, ((x + y) * 7 % 256) as u8])
    });
    let p = dir.join(name);
    img.save(&p).unwrap();
    p
}

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures")
}

pub fn tensor_from(v: &serde_json::Value, shape: &[usize]) -> Tensor {
    let data: Vec<f32> = v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
    Tensor::from_vec(data, shape, &Device::Cpu).unwrap()
}

pub fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

pub fn to_vec(t: &Tensor) -> Vec<f64> {
    t.flatten_all().unwrap().to_dtype(DType::F64).unwrap().to_vec1::<f64>().unwrap()
}

/// SHA-256 of ../shared's real ImageNet VGG16 (Caffe flavour): the bounds of the real-weights
/// tests were measured with this file.
pub const REAL_VGG16_SHA256: &str = "b25cf7ab3ff5967ecfa21ef9abdb47d37d61534ede409e1b502d42b37130a399";

/// Record a skipped test where people see it: cargo hides a passing test's output, so the line
/// also goes to `target/tmp/skipped.log`, which `scripts/test_all.sh` prints after the suite.
pub fn skip(test: &str, why: &str) {
    eprintln!("SKIPPED {test}: {why}");
    let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join("skipped.log");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(log) {
        let _ = writeln!(f, "{test}: {why}");
    }
}

/// True when the environment says a resource must be there (`.ci/run` sets these when
/// ../shared has the weights): then a missing resource fails the test instead of skipping it.
pub fn required(var: &str) -> bool {
    std::env::var(var).map(|v| v == "1").unwrap_or(false)
}

/// The real VGG16 for tests that need real features, found one way only: `NST_WEIGHTS` (what
/// `.ci/run` exports and what the library itself reads), else ../shared's copy. `None` (a skip,
/// logged) when it is absent or another file; with `NST_REQUIRE_REAL_WEIGHTS=1` either is a failure.
pub fn real_vgg16(test: &str) -> Option<PathBuf> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let (p, from) = match std::env::var_os("NST_WEIGHTS").filter(|v| !v.is_empty()) {
            Some(v) => (PathBuf::from(v), "NST_WEIGHTS"),
            None => (
                nst_lib::repo_root().join("../shared/weights/vgg16-imagenet-caffe.safetensors"),
                "../shared, NST_WEIGHTS not set",
            ),
        };
        let bytes = std::fs::read(&p).map_err(|e| format!("cannot read {} ({from}): {e}", p.display()))?;
        use sha2::Digest;
        let sha: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        if sha != REAL_VGG16_SHA256 {
            return Err(format!("{} ({from}) is not ../shared's VGG16 (sha256 {sha})", p.display()));
        }
        Ok(p)
    });
    match found {
        Ok(p) => Some(p.clone()),
        Err(why) if required("NST_REQUIRE_REAL_WEIGHTS") => {
            panic!("{test}: NST_REQUIRE_REAL_WEIGHTS=1 but {why}")
        }
        Err(why) => {
            skip(test, why);
            None
        }
    }
}

/// Standard-normal values from a fixed seed: every random tensor in the tests is reproducible.
pub fn seeded_randn(shape: &[usize], seed: u64) -> Tensor {
    use rand::{rngs::StdRng, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = StdRng::seed_from_u64(seed);
    let v: Vec<f32> = (0..shape.iter().product()).map(|_| StandardNormal.sample(&mut rng)).collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

/// Uniform 0–1 values (an image) from a fixed seed.
pub fn seeded_rand(shape: &[usize], seed: u64) -> Tensor {
    use rand::{rngs::StdRng, Rng, SeedableRng};
    let mut rng = StdRng::seed_from_u64(seed);
    let v: Vec<f32> = (0..shape.iter().product()).map(|_| rng.random::<f32>()).collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

/// For the bf16 tests: loss and image gradient of the default objective (through relu3_x of a small random VGG
/// whose widths the tiles take: multiples of 32) with the given kernels.
pub fn bf16_loss_and_grad(kernels: nst_lib::vgg::Kernels) -> (f64, Vec<f64>) {
    let dir = tempfile::tempdir().unwrap();
    let mut vgg = bf16_vgg(dir.path());
    vgg.set_kernels(kernels);
    objective_loss_and_grad(&std::sync::Arc::new(vgg))
}

/// The small random VGG of [`bf16_loss_and_grad`], its weights written into `dir`.
pub fn bf16_vgg(dir: &std::path::Path) -> nst_lib::vgg::Vgg {
    use nst_lib::vgg::{LoadOptions, Vgg};
    let spec = VggSpec::custom(vec![2, 2, 3], vec![32, 64, 96]);
    let path = write_random_vgg(dir, "bf16.safetensors", &spec);
    Vgg::load(&path, &LoadOptions::default(), &Device::Cpu).unwrap()
}

/// [`bf16_loss_and_grad`]'s objective on `vgg` as its kernels stand.
pub fn objective_loss_and_grad(vgg: &std::sync::Arc<nst_lib::vgg::Vgg>) -> (f64, Vec<f64>) {
    assert!(vgg.uses_fast_kernels(DType::F32));
    let cfg = Config {
        content_layers: layers(&["relu3_2"], 1.0),
        style_layers: layers(&["relu1_1", "relu2_1", "relu3_1"], 1.0),
        relative_style_layers: vec!["relu3_1".into()],
        ..Config::default()
    };
    let content = seeded_rand(&[1, 3, 48, 64], 1);
    let style = seeded_rand(&[1, 3, 40, 52], 2);
    let x = ((seeded_rand(&[1, 3, 48, 64], 3) * 0.5).unwrap() + (&content * 0.5).unwrap()).unwrap();
    let loss = nst_lib::total_loss::TotalLoss::new(vgg, Some(&content), Some(&style), &cfg).unwrap();
    let (parts, g) = loss.loss_and_grad(&x).unwrap();
    (parts.total, to_vec(&g))
}

/// ‖a − b‖ / ‖b‖: the relative L2 error of `a` against the reference `b` (0 when equal; NaN
/// when both are all zeros, which fails any `<` bound).
pub fn rel_l2(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "rel_l2 compares vectors of one length");
    let diff: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
    diff / b.iter().map(|y| y * y).sum::<f64>().sqrt()
}

pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let n = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (n(a) * n(b))
}

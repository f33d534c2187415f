//! Helpers shared by the integration tests: tiny synthetic VGGs and small test images.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

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

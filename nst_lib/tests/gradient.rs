//! The gradient of the total loss with respect to the image against central finite
//! differences, on a tiny VGG with random weights that this test writes itself. In f64, so
//! the finite differences are accurate to ~1e-8.

mod common;

use candle_core::{DType, Device, Tensor};
use common::*;
use nst_lib::config::layers;
use nst_lib::content_loss::ContentNorm;
use nst_lib::style_loss::{StyleNorm, StyleStats};
use nst_lib::total_loss::TotalLoss;
use nst_lib::total_variation::TvKind;
use nst_lib::vgg::{Flavour, LoadOptions, Pooling, Vgg};
use nst_lib::{Config, Preset};

fn check(cfg: &Config, flavour: Flavour, pooling: Pooling) {
    let dir = tempfile::tempdir().unwrap();
    let path = write_random_vgg(dir.path(), "vgg.safetensors", &tiny_spec());
    let opts = LoadOptions { spec: None, flavour: Some(flavour), pooling: Some(pooling), custom: true };
    let vgg = std::sync::Arc::new(Vgg::load(&path, &opts, &Device::Cpu).unwrap().to_dtype(DType::F64).unwrap());
    let dev = Device::Cpu;
    let content = seeded_rand(&[1, 3, 8, 12], 1).to_dtype(DType::F64).unwrap();
    let style = seeded_rand(&[1, 3, 16, 8], 2).to_dtype(DType::F64).unwrap();
    let x = seeded_rand(&[1, 3, 8, 12], 3).to_dtype(DType::F64).unwrap();
    let loss = TotalLoss::new(&vgg, Some(&content), Some(&style), cfg).unwrap();
    let (parts, grad) = loss.loss_and_grad(&x).unwrap();
    assert!(parts.total > 0.0);
    let g = to_vec(&grad);
    let gmax = g.iter().map(|v| v.abs()).fold(0.0, f64::max);
    assert!(gmax > 0.0, "gradient is zero");
    let xv = to_vec(&x);
    let h = 1e-5;
    // 40 coordinates spread over all channels and positions.
    for k in 0..40 {
        let i = (k * 7919) % xv.len();
        let at = |d: f64| {
            let mut v = xv.clone();
            v[i] += d;
            loss.loss(&Tensor::from_vec(v, (1, 3, 8, 12), &dev).unwrap()).unwrap().total
        };
        let fd = (at(h) - at(-h)) / (2.0 * h);
        let err = (fd - g[i]).abs() / gmax;
        assert!(err < 1e-6, "coordinate {i}: autodiff {} vs finite difference {fd} (error {err:.2e} of max |g|)", g[i]);
    }
}

#[test]
fn notebook_losses_max_pool_torchvision() {
    let mut cfg = Config::preset(Preset::Seed);
    cfg.content_layers = layers(&["conv_4", "conv_5"], 1.0);
    cfg.style_layers = layers(&["conv_1", "conv_2", "pool1", "conv_3", "conv_5", "conv_6", "relu3_3"], 1.0);
    check(&cfg, Flavour::Torchvision, Pooling::Max);
}

#[test]
fn paper_losses_avg_pool_caffe_with_tv() {
    let mut cfg = Config::preset(Preset::Gatys);
    cfg.content_layers = layers(&["relu2_2"], 1.0);
    cfg.style_layers = layers(&["relu1_1", "relu2_1", "relu3_1"], 0.2);
    cfg.content_norm = ContentNorm::HalfSum;
    cfg.style_norm = StyleNorm::Paper;
    cfg.tv_weight = 0.1;
    cfg.tv = TvKind::Power(2.5);
    check(&cfg, Flavour::Caffe, Pooling::Avg);
}

#[test]
fn mean_std_and_mean_cov_style_losses() {
    for stats in [StyleStats::MeanStd, StyleStats::MeanCov] {
        let mut cfg = Config::preset(Preset::Seed);
        cfg.content_layers = layers(&["conv_4"], 1.0);
        cfg.style_layers = layers(&["conv_1", "relu2_1", "conv3_1"], 1.0);
        cfg.style_stats = stats;
        check(&cfg, Flavour::Torchvision, Pooling::Max);
    }
}

#[test]
fn balanced_preset_and_relative_losses_with_every_statistic() {
    // The default objective (MSE content, Gram/(c·h·w) style, mean TV), then the scale-free one:
    // relative content and style terms, layer weights as shares, the range penalty.
    for stats in [StyleStats::Gram, StyleStats::MeanStd, StyleStats::MeanCov] {
        let mut cfg = Config::preset(Preset::Balanced).with_strength(2.0);
        cfg.content_layers = layers(&["relu2_2"], 1.0);
        cfg.style_layers = layers(&["relu1_1", "relu2_1", "relu3_1"], 1.0);
        cfg.style_stats = stats;
        assert_eq!(cfg.strength(), Some(2.0));
        check(&cfg, Flavour::Caffe, Pooling::Max);
        cfg.content_norm = ContentNorm::Relative;
        cfg.style_norm = StyleNorm::Relative;
        (cfg.content_weight, cfg.style_weight, cfg.tv_weight, cfg.range_weight) = (1.0, 8.0, 0.15, 1000.0);
        assert_eq!(cfg.strength(), None, "not the strength objective");
        check(&cfg, Flavour::Caffe, Pooling::Max);
    }
}

#[test]
fn layer_weights_all_zero_leave_the_loss_out_on_the_scale_free_objective() {
    // Shares of a zero sum: the style term is 0 (left out), not 0/0.
    let dir = tempfile::tempdir().unwrap();
    let path = write_random_vgg(dir.path(), "vgg.safetensors", &tiny_spec());
    let opts = LoadOptions { spec: None, flavour: Some(Flavour::Caffe), pooling: None, custom: true };
    let vgg = std::sync::Arc::new(Vgg::load(&path, &opts, &Device::Cpu).unwrap());
    let mut cfg = Config::preset(Preset::Balanced);
    cfg.content_layers = layers(&["relu2_2"], 1.0);
    cfg.style_layers = layers(&["relu1_1", "relu2_1"], 0.0);
    (cfg.content_norm, cfg.style_norm, cfg.tv_weight) = (ContentNorm::Relative, StyleNorm::Relative, 0.0);
    let content = seeded_rand(&[1, 3, 8, 12], 1);
    let style = seeded_rand(&[1, 3, 16, 8], 2);
    let x = seeded_rand(&[1, 3, 8, 12], 3);
    let parts = TotalLoss::new(&vgg, Some(&content), Some(&style), &cfg).unwrap().loss(&x).unwrap();
    assert_eq!(parts.style, 0.0, "{parts:?}");
    assert!(parts.content > 0.0 && parts.total == parts.content, "{parts:?}");
}

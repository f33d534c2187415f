//! The fidelity measure against values worked out by hand. (These one-channel networks cannot
//! tell layers apart: that the measure reads the layers it names is checked against PyTorch on
//! the real VGG16, in real_vgg16.rs.)
//!
//! The network: five blocks of one channel each (block 4 has two convolutions, so relu4_2
//! exists), every kernel a 3×3 identity (centre 1, no bias), the first one reading the red
//! channel. On a constant image with red value r every feature map is the constant
//! v = relu((r − 0.485) / 0.229) (torchvision's normalisation; the zero padding is never read by
//! a centre-only kernel, max pooling of a constant is the constant). So at every layer
//! G = F·Fᵀ/(h·w) = v², whatever the size, and
//!   content = (v_o − v_c)² / v_c²,   style = (v_o² − v_s²)² / v_s⁴ (the same at all 5 layers).

mod common;

use candle_core::{Device, Tensor};
use image::RgbImage;
use nst_lib::metrics::{fidelity, measure, Fidelity};
use nst_lib::vgg::{Kernels, LoadOptions, Vgg, VggSpec};

fn identity_vgg(dir: &std::path::Path) -> Vgg {
    let spec = VggSpec::custom(vec![1, 1, 1, 2, 1], vec![1, 1, 1, 1, 1]);
    let mut tensors = vec![];
    for (i, prefix) in spec.conv_prefixes().into_iter().enumerate() {
        let cin = if i == 0 { 3 } else { 1 };
        let mut w = vec![0f32; cin * 9];
        w[4] = 1.0; // input channel 0 (red for the first layer), centre tap
        tensors.push((format!("{prefix}.weight"), Tensor::from_vec(w, (1, cin, 3, 3), &Device::Cpu).unwrap()));
        tensors.push((format!("{prefix}.bias"), Tensor::zeros(1, candle_core::DType::F32, &Device::Cpu).unwrap()));
    }
    let path = dir.join("identity.safetensors");
    // Marked as a deliberately non-standard network (a file without the mark must be a VGG16/19).
    let meta = std::collections::HashMap::from([
        ("nst.flavour".to_string(), "torchvision".to_string()),
        (nst_lib::vgg::CUSTOM_NETWORK_KEY.to_string(), "custom".to_string()),
    ]);
    let bytes = safetensors::serialize(tensors.iter().map(|(k, v)| (k.as_str(), v)), Some(meta.into_iter().collect()));
    std::fs::write(&path, bytes.unwrap()).unwrap();
    Vgg::load(&path, &LoadOptions::default(), &Device::Cpu).unwrap()
}

/// A constant picture whose red channel is `red` (green and blue do not reach the features).
fn flat(w: u32, h: u32, red: u8) -> RgbImage {
    RgbImage::from_pixel(w, h, image::Rgb([red, 17, 230]))
}

fn v(red: u8) -> f64 {
    ((red as f64 / 255.0 - 0.485) / 0.229).max(0.0)
}

fn close(got: Option<f64>, want: f64) {
    let got = got.expect("a value");
    assert!((got - want).abs() <= 1e-4 * want.abs().max(1e-3), "got {got}, want {want}");
}

#[test]
fn distances_match_the_hand_computation_at_any_style_size() {
    let dir = tempfile::tempdir().unwrap();
    for kernels in [Kernels::Auto, Kernels::Reference] {
        let mut vgg = identity_vgg(dir.path());
        vgg.set_kernels(kernels);
        let (o, c, s) = (230u8, 200u8, 250u8);
        // The style picture is another size: G/(h·w) must not care.
        let f = fidelity(&vgg, &flat(32, 32, o), Some(&flat(32, 32, c)), &[(&flat(64, 48, s), 1.0)]).unwrap();
        close(f.content, (v(o) - v(c)).powi(2) / v(c).powi(2));
        let want = (v(o).powi(2) - v(s).powi(2)).powi(2) / v(s).powi(4);
        close(f.style, want);
        // The same at every layer, and at half size (a constant halved is the same constant).
        for l in f.style_layers.unwrap() {
            close(Some(l), want);
        }
        close(f.style_half, want);
    }
}

/// Half size: the mean of each 2×2 block, cut to multiples of 16; nothing under 16 px.
#[test]
fn half_size_is_the_mean_of_each_block_cut_to_multiples_of_16() {
    let x = Tensor::arange(0f32, (3 * 36 * 66) as f32, &Device::Cpu).unwrap().reshape((1, 3, 36, 66)).unwrap();
    let h = nst_lib::metrics::half_size(&x).unwrap().unwrap();
    assert_eq!(h.dims(), [1, 3, 16, 32]);
    let (xs, hs) =
        (x.flatten_all().unwrap().to_vec1::<f32>().unwrap(), h.flatten_all().unwrap().to_vec1::<f32>().unwrap());
    for (c, i, j) in [(0, 0, 0), (1, 5, 7), (2, 15, 31)] {
        let at = |y: usize, x: usize| xs[(c * 36 + y) * 66 + x];
        let want = (at(2 * i, 2 * j) + at(2 * i + 1, 2 * j) + at(2 * i, 2 * j + 1) + at(2 * i + 1, 2 * j + 1)) / 4.0;
        assert_eq!(hs[(c * 16 + i) * 32 + j], want, "channel {c}, row {i}, column {j}");
    }
    let small = Tensor::zeros((1, 3, 30, 64), candle_core::DType::F32, &Device::Cpu).unwrap();
    assert!(nst_lib::metrics::half_size(&small).unwrap().is_none(), "15 px high at half size");
    // A picture too small to halve has no half-size distance, the other numbers stay.
    let dir = tempfile::tempdir().unwrap();
    let vgg = identity_vgg(dir.path());
    let f = fidelity(&vgg, &flat(16, 16, 220), None, &[(&flat(32, 32, 200), 1.0)]).unwrap();
    assert!(f.style.is_some() && f.style_half.is_none(), "{f:?}");
}

#[test]
fn the_photo_scores_zero_on_content_and_the_style_image_zero_on_style() {
    let dir = tempfile::tempdir().unwrap();
    let vgg = identity_vgg(dir.path());
    let f = fidelity(&vgg, &flat(32, 32, 200), Some(&flat(32, 32, 200)), &[(&flat(32, 32, 240), 1.0)]).unwrap();
    close(f.content, 0.0);
    assert!(f.style.unwrap() > 0.01);
    let f = fidelity(&vgg, &flat(32, 32, 240), None, &[(&flat(48, 48, 240), 1.0)]).unwrap();
    assert_eq!(f.content, None, "no content image, no content distance");
    close(f.style, 0.0);
}

#[test]
fn blended_styles_are_compared_with_the_weighted_mean_of_their_grams() {
    let dir = tempfile::tempdir().unwrap();
    let vgg = identity_vgg(dir.path());
    let (o, s1, s2) = (220u8, 200u8, 250u8);
    // Weights 1 and 3 are normalised to 1/4 and 3/4.
    let f = fidelity(&vgg, &flat(32, 32, o), None, &[(&flat(32, 32, s1), 1.0), (&flat(16, 32, s2), 3.0)]).unwrap();
    let target = 0.25 * v(s1).powi(2) + 0.75 * v(s2).powi(2);
    close(f.style, (v(o).powi(2) - target).powi(2) / target.powi(2));
}

#[test]
fn the_output_is_measured_at_the_content_size_and_mismatched_tensors_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let vgg = identity_vgg(dir.path());
    // A 64 px output of a 32 px photo is brought to 32 px first (a constant stays constant).
    let f = fidelity(&vgg, &flat(64, 64, 230), Some(&flat(32, 32, 200)), &[]).unwrap();
    close(f.content, (v(230) - v(200)).powi(2) / v(200).powi(2));
    assert_eq!(f.style, None);
    let t = |w, h| nst_lib::image_io::to_tensor(&flat(w, h, 200), &Device::Cpu).unwrap();
    let err = measure(&vgg, &t(32, 32), Some(&t(64, 32)), &[]).unwrap_err().to_string();
    assert!(err.contains("same size"), "{err}");
}

#[test]
fn the_summary_line_names_every_distance() {
    let f = Fidelity { content: Some(0.4912), style: Some(0.16543), ..Default::default() };
    assert_eq!(f.to_string(), "fidelity: content 0.491, style 0.1654; lower is better");
    assert_eq!(Fidelity::default().to_string(), "fidelity: n/a; lower is better");
    let f = Fidelity { style_layers: Some([0.0061, 0.004, 0.0244, 0.194, 0.215]), style_half: Some(0.2381), ..f };
    assert_eq!(
        f.to_string(),
        "fidelity: content 0.491, style 0.1654 (style by layer 0.006 0.004 0.024 0.194 0.215, at half size 0.2381); \
         lower is better"
    );
}

#[test]
fn styles_whose_weights_sum_to_zero_give_no_style_distance() {
    let dir = tempfile::tempdir().unwrap();
    let vgg = identity_vgg(dir.path());
    let f = fidelity(&vgg, &flat(32, 32, 220), None, &[(&flat(32, 32, 200), 0.0)]).unwrap();
    assert_eq!(f.style, None, "weights summing to 0 blend nothing: no distance, not NaN");
}

#[test]
fn the_measure_is_available_only_on_networks_with_its_layers() {
    assert!(nst_lib::metrics::available(&VggSpec::vgg16()) && nst_lib::metrics::available(&VggSpec::vgg19()));
    // Three blocks: no relu4_2, relu4_1 or relu5_1.
    assert!(!nst_lib::metrics::available(&VggSpec::custom(vec![2, 2, 3], vec![4, 6, 8])));
}

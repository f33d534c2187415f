//! Every kind of bad input gets its own clear error (and never a panic); odd inputs that are
//! fine (greyscale, transparency, sizes that are not multiples of 16) just work.

mod common;

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use common::*;
use nst_lib::config::{layers, Arch};
use nst_lib::optim::{Optimizer, SgdDecay};
use nst_lib::vgg::{LoadOptions, Vgg, VggSpec};
use nst_lib::weights::WeightsLookup;
use nst_lib::{Config, Mode, NstError, StyleTransfer};

struct Setup {
    dir: tempfile::TempDir,
    weights: std::path::PathBuf,
    content: String,
    style: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let weights = write_random_vgg(dir.path(), "tiny.safetensors", &tiny_spec());
    let content = write_image(dir.path(), "photo.png", 40, 30).display().to_string();
    let style = write_image(dir.path(), "paint.png", 20, 36).display().to_string();
    Setup { dir, weights, content, style }
}

fn run(s: &Setup, cfg: Config, content: &str, style: &str) -> nst_lib::Result<nst_lib::Outcome> {
    let cfg = Config { weights: Some(s.weights.clone()), ..cfg };
    nst_lib::run(content, style, &cfg)
}

#[test]
fn missing_image() {
    let s = setup();
    let err = run(&s, tiny_config(s.dir.path()), "no/such/photo.jpg", &s.style).unwrap_err();
    assert!(matches!(err, NstError::ImageNotFound { .. }), "{err}");
    assert!(err.to_string().contains("no/such/photo.jpg"));
}

#[test]
fn corrupt_image() {
    let s = setup();
    let bad = s.dir.path().join("broken.png");
    let mut bytes = std::fs::read(&s.content).unwrap();
    bytes.truncate(60); // a PNG cut off in the middle
    std::fs::write(&bad, bytes).unwrap();
    let err = run(&s, tiny_config(s.dir.path()), bad.to_str().unwrap(), &s.style).unwrap_err();
    assert!(matches!(err, NstError::ImageTruncated { format: "PNG", .. }), "{err}");
    let junk = s.dir.path().join("junk.jpg");
    std::fs::write(&junk, b"this is not a picture").unwrap();
    let err = run(&s, tiny_config(s.dir.path()), &s.content, junk.to_str().unwrap()).unwrap_err();
    assert!(matches!(err, NstError::ImageDecode { .. }), "{err}");
}

#[test]
fn huge_image_is_refused_before_decoding() {
    let s = setup();
    let huge = s.dir.path().join("wide.png");
    image::GrayImage::new(13_000, 1).save(&huge).unwrap();
    let err = run(&s, tiny_config(s.dir.path()), huge.to_str().unwrap(), &s.style).unwrap_err();
    assert!(matches!(err, NstError::ImageTooLarge { width: 13_000, .. }), "{err}");
}

#[test]
fn absurd_working_size() {
    let s = setup();
    let cfg = Config { size: 100_000, ..tiny_config(s.dir.path()) };
    let err = run(&s, cfg, &s.content, &s.style).unwrap_err();
    assert!(matches!(err, NstError::BadImageSize { .. }), "{err}");
}

#[test]
fn every_check_comes_before_any_work() {
    let s = setup();
    // Weights that do not exist: each bad setting or picture must be reported before the
    // weights are looked for, loaded, or any picture is decoded.
    let nowhere = s.dir.path().join("absent.safetensors");
    let cfg = |edit: fn(&mut Config)| {
        let mut c = Config { weights: Some(nowhere.clone()), ..tiny_config(s.dir.path()) };
        edit(&mut c);
        c
    };
    let too_small = nst_lib::run(&s.content, &s.style, &cfg(|c| c.size = 2)).unwrap_err();
    assert!(matches!(too_small, NstError::BadImageSize { size: 2, .. }), "{too_small}");
    assert!(too_small.to_string().contains("between 4"), "conv3_1 is 4x smaller than the picture: {too_small}");
    let too_big = nst_lib::run(&s.content, &s.style, &cfg(|c| c.size = 5000)).unwrap_err();
    assert!(matches!(too_big, NstError::BadImageSize { size: 5000, .. }), "{too_big}");
    let stage = nst_lib::run(
        &s.content,
        &s.style,
        &cfg(|c| c.multiscale = Some(nst_lib::config::MultiScale::new(vec![64, 9000], vec![2, 2]).unwrap())),
    );
    assert!(matches!(stage.unwrap_err(), NstError::BadImageSize { size: 9000, .. }));
    let missing = nst_lib::run("no/photo.png", &s.style, &cfg(|_| {})).unwrap_err();
    assert!(matches!(missing, NstError::ImageNotFound { .. }), "{missing}");
    let missing_style = nst_lib::run(&s.content, &format!("{},no/paint.png", s.style), &cfg(|_| {})).unwrap_err();
    assert!(matches!(missing_style, NstError::ImageNotFound { .. }), "{missing_style}");
    // A file that is not a picture is found from its header, before the weights.
    let junk = s.dir.path().join("junk.png");
    std::fs::write(&junk, b"this is not a picture").unwrap();
    let err = nst_lib::run(&s.content, junk.to_str().unwrap(), &cfg(|_| {})).unwrap_err();
    assert!(matches!(err, NstError::ImageDecode { .. }), "{err}");
    // With every picture right, the weights error comes next.
    let err = nst_lib::run(&s.content, &s.style, &cfg(|_| {})).unwrap_err();
    assert!(matches!(err, NstError::WeightsNotFound { .. }), "{err}");
}

#[test]
fn greyscale_and_rgba_inputs_work() {
    let s = setup();
    let grey = s.dir.path().join("grey.png");
    image::GrayImage::from_fn(33, 21, |x, y| image::Luma([((x * y) % 256) as u8])).save(&grey).unwrap();
    let rgba = s.dir.path().join("alpha.png");
    image::RgbaImage::from_fn(25, 25, |x, _| image::Rgba([255, 0, 0, (x * 10) as u8])).save(&rgba).unwrap();
    let out = run(&s, tiny_config(s.dir.path()), grey.to_str().unwrap(), rgba.to_str().unwrap()).unwrap();
    assert_eq!(out.history.len(), 4);
    // Transparent red over white is pink: the left column (alpha 0) is white.
    let style = out.style_image.as_ref().unwrap();
    let p = style.get_pixel(0, 10).0;
    assert!(p[0] > 240 && p[1] > 200 && p[2] > 200, "{p:?}");
    let c = out.content_image.as_ref().unwrap().get_pixel(5, 5).0;
    assert!(c[0] == c[1] && c[1] == c[2], "greyscale stays grey: {c:?}");
}

#[test]
fn sides_that_are_not_multiples_of_16_are_rounded_and_untileable_tensors_are_refused() {
    let s = setup();
    // Deepest layer conv3_1 is after 2 poolings: sides become multiples of 4.
    let cfg = Config { size: 30, sizing: nst_lib::image_io::Sizing::KeepAspect, ..tiny_config(s.dir.path()) };
    let out = run(&s, cfg, &s.content, &s.style).unwrap();
    assert_eq!(out.image.dimensions(), (32, 24), "40x30 at longest side 30, rounded to multiples of 4");
    assert_eq!(out.style_image.as_ref().unwrap().dimensions(), (16, 32), "20x36 at 30: 16.7x30 -> 16x32");
    // With the real network's conv5 layers the multiple is 16.
    assert_eq!(
        nst_lib::image_io::fit_size(500, 333, 256, 16, nst_lib::image_io::Sizing::KeepAspect).unwrap(),
        (256, 176)
    );
    // A tensor whose size does not tile the pooling is refused, not silently mis-differentiated.
    let vgg = Vgg::load(&s.weights, &LoadOptions::default(), &Device::Cpu).unwrap();
    let x = Tensor::zeros((1, 3, 10, 12), DType::F32, &Device::Cpu).unwrap();
    let err = vgg.features(&x, &[vgg.spec.layer("conv3_1").unwrap()]).unwrap_err();
    assert!(matches!(err, NstError::BadImageSize { .. }), "{err}");
}

#[test]
fn missing_weights() {
    let dir = tempfile::tempdir().unwrap();
    let lookup = WeightsLookup { explicit: None, use_env: false, dir: dir.path().to_path_buf(), endpoint: None };
    let err = lookup.resolve().unwrap_err();
    assert!(matches!(err, NstError::WeightsNotFound { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("NST_WEIGHTS") && msg.contains("weights/") && msg.contains("--weights"), "{msg}");
    let lookup = WeightsLookup { explicit: Some(dir.path().join("nope.safetensors")), ..lookup };
    assert!(lookup.resolve().unwrap_err().to_string().contains("nope.safetensors"));
}

#[test]
fn weights_of_another_model() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = HashMap::new();
    t.insert("encoder.weight".to_string(), Tensor::zeros((4, 4), DType::F32, &Device::Cpu).unwrap());
    let p = dir.path().join("bert.safetensors");
    candle_core::safetensors::save(&t, &p).unwrap();
    let err = Vgg::load(&p, &LoadOptions::default(), &Device::Cpu).unwrap_err();
    assert!(
        matches!(&err, NstError::NotVgg { found, .. } if found.contains("no `features.N.weight` tensors")),
        "{err}"
    );
}

#[test]
fn vgg16_weights_asked_to_be_vgg19() {
    let dir = tempfile::tempdir().unwrap();
    let spec16 = VggSpec::custom(vec![2, 2, 3, 3, 3], vec![2, 2, 2, 2, 2]);
    let p = write_random_vgg(dir.path(), "v16.safetensors", &spec16);
    let opts =
        LoadOptions { spec: Some(VggSpec::custom(vec![2, 2, 4, 4, 4], vec![2, 2, 2, 2, 2])), ..Default::default() };
    let err = Vgg::load(&p, &opts, &Device::Cpu).unwrap_err();
    // VGG19's 8th convolution sits at features.16, where VGG16 has a pooling layer.
    assert!(matches!(&err, NstError::WeightsMissingTensor { tensor, .. } if tensor == "features.16.weight"), "{err}");
}

#[test]
fn weights_with_wrong_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_random_vgg(dir.path(), "tiny.safetensors", &tiny_spec());
    // Real VGG19 layout expected, tiny widths found.
    let err = Vgg::load(&p, &LoadOptions { spec: Arch::Vgg19.spec(), ..Default::default() }, &Device::Cpu).unwrap_err();
    assert!(
        matches!(&err, NstError::WeightsBadShape { tensor, got, expected, .. } if tensor == "features.0.weight" && got == &vec![4, 3, 3, 3] && expected == &vec![64, 3, 3, 3]),
        "{err}"
    );
}

#[test]
fn truncated_weights_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.safetensors");
    std::fs::write(&p, [1u8, 2, 3]).unwrap();
    let err = Vgg::load(&p, &LoadOptions::default(), &Device::Cpu).unwrap_err();
    assert!(matches!(err, NstError::WeightsUnreadable { .. }), "{err}");
}

#[test]
fn unknown_mode() {
    let err = nst_lib::main("noise", "img/style/brick.png", "painting").unwrap_err();
    assert!(matches!(err, NstError::UnknownChoice { what: "mode", .. }), "{err}");
    let msg = err.to_string();
    assert!(["painting", "style_transfer", "content", "style"].iter().all(|w| msg.contains(w)), "{msg}");
}

#[test]
fn unknown_layer() {
    let s = setup();
    let cfg = Config { style_layers: layers(&["conv1_1", "conv9_9"], 1.0), ..tiny_config(s.dir.path()) };
    let err = StyleTransfer::with_weights(cfg, &s.weights).unwrap_err();
    assert!(matches!(&err, NstError::UnknownLayer { name, .. } if name == "conv9_9"), "{err}");
    assert!(err.to_string().contains("relu2_1"), "lists valid names: {err}");
}

#[test]
fn unknown_preset_optimiser_and_flavour() {
    assert!(matches!(nst_lib::Preset::parse("picasso"), Err(NstError::UnknownChoice { .. })));
    assert!(matches!(Optimizer::parse("rmsprop"), Err(NstError::UnknownChoice { .. })));
    assert!(matches!(nst_lib::vgg::Flavour::parse("tensorflow"), Err(NstError::UnknownChoice { .. })));
    assert!(matches!(nst_lib::vgg::Kernels::parse("winograd"), Err(NstError::UnknownChoice { .. })));
    assert_eq!(nst_lib::vgg::Kernels::parse("reference").unwrap(), nst_lib::vgg::Kernels::Reference);
}

#[test]
fn noise_where_a_picture_is_needed() {
    let s = setup();
    let err = run(&s, tiny_config(s.dir.path()), "noise", &s.style).unwrap_err();
    assert!(matches!(err, NstError::NoiseNotAllowed { .. }), "{err}");
    let cfg = tiny_config(s.dir.path()).for_mode(Mode::Style);
    let err = run(&s, cfg, "noise", "noise").unwrap_err();
    assert!(matches!(err, NstError::NoiseNotAllowed { .. }), "{err}");
}

#[test]
fn invalid_numbers() {
    let s = setup();
    for cfg in [
        Config { steps: 0, ..tiny_config(s.dir.path()) },
        Config { style_weight: f64::NAN, ..tiny_config(s.dir.path()) },
        Config { content_weight: -1.0, ..tiny_config(s.dir.path()) },
    ] {
        let err = run(&s, cfg, &s.content, &s.style).unwrap_err();
        assert!(matches!(err, NstError::InvalidConfig(_)), "{err}");
    }
    for strength in [-1.0, f64::NAN, f64::INFINITY] {
        let err = run(&s, tiny_config(s.dir.path()).with_strength(strength), &s.content, &s.style).unwrap_err();
        assert!(err.to_string().contains("style strength must be a finite number >= 0"), "{err}");
    }
    // A negative layer weight, even where the layers' weights sum to 0 (shares would divide by 0).
    let mut cfg = tiny_config(s.dir.path());
    cfg.style_layers[1].weight = -cfg.style_layers[0].weight;
    let err = run(&s, cfg, &s.content, &s.style).unwrap_err();
    assert!(err.to_string().contains("must be a finite number >= 0 (0 leaves the layer out), got -"), "{err}");
}

#[test]
fn diverging_run_stops_and_keeps_the_last_good_image() {
    let s = setup();
    // An absurd learning rate sends the image to infinity within a few steps.
    let cfg = Config {
        optimizer: Optimizer::Sgd(SgdDecay { lr: 1e30, decay_rate: 1.0, decay_steps: 1.0, max_step: None }),
        steps: 20,
        ..tiny_config(s.dir.path())
    };
    // The run returns its outcome: the last good picture, saved, with a status saying what happened.
    let out = run(&s, cfg, &s.content, &s.style).unwrap();
    let nst_lib::Status::Diverged { step, last_good_step, .. } = out.status else {
        panic!("expected Diverged: {out:?}")
    };
    assert!(step < 20 && last_good_step == step - 1, "{out:?}");
    assert_eq!(out.history.len(), step - 1);
    let saved = out.saved.clone().expect("the last good image is saved");
    assert!(saved.image.exists() && saved.image.to_string_lossy().contains("diverged"));
    assert_eq!(image::open(&saved.image).unwrap().to_rgb8(), out.image, "the saved picture is the outcome's");
    // For callers that treat divergence as a failure: an error that says where the picture is.
    let err = out.check().unwrap_err();
    assert!(matches!(err, NstError::Diverged { .. }), "{err}");
    assert!(err.to_string().contains(&saved.image.display().to_string()), "{err}");
}

#[test]
fn results_are_never_overwritten() {
    let s = setup();
    let first = run(&s, tiny_config(s.dir.path()), &s.content, &s.style).unwrap();
    let second = run(&s, tiny_config(s.dir.path()), &s.content, &s.style).unwrap();
    let (a, b) = (first.saved.unwrap(), second.saved.unwrap());
    assert!(a.image.ends_with("photo_paint.png"), "{:?}", a.image);
    assert!(b.image.ends_with("photo_paint-2.png"), "{:?}", b.image);
    for f in a.all().into_iter().chain(b.all()) {
        assert!(f.exists(), "{f:?}");
    }
    // Even a race that produced the same name is refused rather than overwriting.
    let mut third = run(&s, Config { save: false, ..tiny_config(s.dir.path()) }, &s.content, &s.style).unwrap();
    let before = std::fs::read(&a.image).unwrap();
    std::fs::write(s.dir.path().join("results").join("photo_paint-3.json"), b"{}").unwrap();
    let c = nst_lib::results::save(&mut third, &s.dir.path().join("results")).unwrap();
    assert!(c.image.ends_with("photo_paint-4.png"), "a partly used name is skipped: {:?}", c.image);
    assert_eq!(before, std::fs::read(&a.image).unwrap());
}

#[test]
fn a_pth_whose_tensor_claims_more_than_the_file_holds_is_refused_before_loading() {
    // A valid zip whose first tensor claims 2³¹−1 × 27 floats (232 GB): candle would allocate
    // that before reading (the process would abort). Made by tests/fixtures/make_fixtures.py.
    let path = fixtures().join("tiny_vgg_huge_shape.pth");
    let opts = LoadOptions { custom: true, ..LoadOptions::default() };
    let err = Vgg::load(&path, &opts, &Device::Cpu).unwrap_err();
    assert!(matches!(err, NstError::WeightsUnreadable { .. }), "{err}");
    let msg = err.to_string();
    for needle in ["features.0.weight", "2147483647", "damaged", "tiny_vgg_huge_shape.pth"] {
        assert!(msg.contains(needle), "the message names {needle}: {msg}");
    }
}

//! The hand-written backward pass of the fast kernels (trunk.rs, used by every CPU run) against
//! candle's autograd through its own ops (the reference): the same loss and the same image
//! gradient, for every kind of loss layer (convolution, ReLU, pooling, the layer before a
//! pooling), both poolings, every style statistic, a style mask, and feature scales ≠ 1.

mod common;

use candle_core::{DType, Device, Tensor};
use nst_lib::config::{layers, FeatureScale};
use nst_lib::content_loss::ContentNorm;
use nst_lib::style_loss::{StyleNorm, StyleStats};
use nst_lib::total_loss::TotalLoss;
use nst_lib::vgg::{Kernels, LoadOptions, Pooling, Vgg, VggSpec};
use nst_lib::{Config, Preset};

/// max |a - b| / max |b|.
fn rel_max_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.dims(), b.dims());
    let (a, b) = (common::to_vec(a), common::to_vec(b));
    let scale = b.iter().fold(0f64, |m, v| m.max(v.abs())).max(1e-30);
    a.iter().zip(&b).fold(0f64, |m, (x, y)| m.max((x - y).abs())) / scale
}

fn net(dir: &std::path::Path, pooling: Pooling) -> Vgg {
    let spec = VggSpec::custom(vec![2, 2, 3], vec![8, 12, 16]);
    let path = common::write_random_vgg(dir, "trunk.safetensors", &spec);
    Vgg::load(&path, &LoadOptions { pooling: Some(pooling), ..Default::default() }, &Device::Cpu).unwrap()
}

/// Loss and gradient through the taped trunk and through candle's ops, compared.
fn check(name: &str, cfg: &Config, pooling: Pooling, mask: bool) {
    // Not the content image: every term has a gradient, and some pixels leave 0–1.
    let x = ((common::seeded_rand(&[1, 3, 24, 32], 3) * 1.2).unwrap() - 0.1).unwrap();
    check_at(name, cfg, pooling, mask, &x);
}

/// [`check`] at the picture `x` (1, 3, h, w); the content image and the mask are of its size.
fn check_at(name: &str, cfg: &Config, pooling: Pooling, mask: bool, x: &Tensor) {
    let dir = tempfile::tempdir().unwrap();
    let mut vgg = std::sync::Arc::new(net(dir.path(), pooling));
    assert!(vgg.uses_fast_kernels(DType::F32));
    let (_, _, h, w) = x.dims4().unwrap();
    let content = common::seeded_rand(&[1, 3, h, w], 1);
    let style = common::seeded_rand(&[1, 3, 16, 20], 2);
    let mask_img = common::seeded_rand(&[1, 1, h, w], 4);
    let eval = |vgg: &std::sync::Arc<Vgg>| {
        let mut loss = TotalLoss::new(vgg, Some(&content), Some(&style), cfg).unwrap();
        if mask {
            loss.set_style_mask(&mask_img).unwrap();
        }
        loss.loss_and_grad(x).unwrap()
    };
    let (taped, g_taped) = eval(&vgg);
    std::sync::Arc::get_mut(&mut vgg).expect("no loss holds it now").set_kernels(Kernels::Reference);
    let (reference, g_reference) = eval(&vgg);
    assert!(taped.total > 0.0 && reference.total > 0.0);
    assert!(
        common::rel_err(taped.total, reference.total) < 1e-5,
        "{name}: loss {} vs reference {}",
        taped.total,
        reference.total
    );
    for ((l, a), (_, b)) in taped.layers.iter().zip(&reference.layers) {
        assert!(common::rel_err(*a, *b) < 1e-4, "{name}: term {l}: {a} vs reference {b}");
    }
    let d = rel_max_diff(&g_taped, &g_reference);
    assert!(d < 1e-4, "{name}: image gradient differs by {d:e} (relative to its largest entry)");
    let norm = common::to_vec(&g_reference).iter().map(|v| v * v).sum::<f64>();
    assert!(norm > 0.0, "{name}: the gradient is not zero");
}

fn base() -> Config {
    let mut c = Config::preset(Preset::Balanced);
    c.content_layers = layers(&["relu3_2"], 1.0);
    c.style_layers = layers(&["relu1_1", "relu2_1", "relu3_1"], 1.0);
    c
}

#[test]
fn default_objective_matches_reference() {
    // The default's MSE content, Gram/(c·h·w) style and mean TV, then the scale-free objective
    // (relative norms and the range penalty); ReLU layers (materialised on the tape).
    check("balanced, max pooling", &base(), Pooling::Max, false);
    check("balanced, average pooling", &base(), Pooling::Avg, false);
    let relative = Config {
        content_norm: ContentNorm::Relative,
        style_norm: StyleNorm::Relative,
        content_weight: 1.0,
        style_weight: 4.0,
        tv_weight: 0.15,
        range_weight: 1000.0,
        ..base()
    };
    check("relative, max pooling", &relative, Pooling::Max, false);
}

#[test]
fn layers_of_every_kind_match_reference() {
    // Convolution outputs (pre-activation), a pooling output, the ReLU right before a pooling,
    // a layer used by both losses, the notebook's normalisations and a feature scale ≠ 1.
    let mut c = Config::preset(Preset::Seed);
    c.content_layers = layers(&["conv_4", "relu2_2"], 1.0);
    c.style_layers = layers(&["conv_1", "relu1_2", "pool1", "relu2_2", "conv3_1"], 1.0);
    c.feature_scale = FeatureScale::Caffe;
    c.tv_weight = 1e-3;
    for pooling in [Pooling::Max, Pooling::Avg] {
        check("seed layers", &c, pooling, false);
    }
    let mut p = base();
    p.content_norm = ContentNorm::HalfSum;
    p.style_norm = StyleNorm::Paper;
    p.feature_scale = FeatureScale::LayerMean;
    p.content_weight = 1.0;
    p.style_weight = 1e3;
    check("paper norms, layer-mean scale", &p, Pooling::Max, false);
}

#[test]
fn other_statistics_and_a_style_mask_match_reference() {
    for stats in [StyleStats::MeanStd, StyleStats::MeanCov] {
        let mut c = base();
        c.style_stats = stats;
        check(&format!("{stats:?}"), &c, Pooling::Max, false);
    }
    check("Gram with a style mask", &base(), Pooling::Max, true);
    // The style measured again at half size (24×32 → 12×16, cropped to 12×16: relu3_1 needs a
    // multiple of 4), plain and masked.
    let half = Config { half_size_style: 0.5, ..base() };
    check("half-size style", &half, Pooling::Max, false);
    check("half-size style with a mask", &half, Pooling::Avg, true);
}

/// The half-size terms need a half that reaches the deepest layer (relu3_1 here: sides of 4):
/// a picture too small for it in either side, or a style image too small, is measured at full
/// size only, with no error; reweighing such a loss keeps working.
#[test]
fn pictures_or_styles_too_small_to_halve_are_measured_at_full_size_only() {
    let dir = tempfile::tempdir().unwrap();
    let vgg = std::sync::Arc::new(net(dir.path(), Pooling::Max));
    let cfg = Config { content_weight: 0.0, half_size_style: 0.5, ..base() };
    let halves_in = |parts: &nst_lib::total_loss::LossParts| {
        parts.layers.iter().filter(|(l, _)| l.ends_with("(half size)")).count()
    };
    let style = common::seeded_rand(&[1, 3, 16, 20], 2);
    let loss = TotalLoss::new(&vgg, None, Some(&style), &cfg).unwrap();
    // 16×16: its half (8×8) could be halved again, but the half-size terms are not halved twice.
    for (h, w, terms) in [(8, 8, 3), (24, 4, 0), (4, 24, 0), (8, 12, 3), (16, 16, 3)] {
        let (parts, g) = loss.loss_and_grad(&common::seeded_rand(&[1, 3, h, w], 3)).unwrap();
        assert_eq!(halves_in(&parts), terms, "{h}x{w}");
        assert_eq!(g.dims(), &[1, 3, h, w]);
    }
    for (h, w) in [(16, 4), (4, 20)] {
        let small = common::seeded_rand(&[1, 3, h, w], 2);
        let mut loss = TotalLoss::new(&vgg, None, Some(&small), &cfg).unwrap();
        assert_eq!(halves_in(&loss.loss(&common::seeded_rand(&[1, 3, 16, 16], 3)).unwrap()), 0, "style {h}x{w}");
        loss.reweigh(&Config { half_size_style: 0.25, ..cfg.clone() }).unwrap();
    }
}

/// A picture large enough that the Gram matrix's backward pass splits relu1_1's 18 432 positions
/// into column tiles (over 131 072 / 8 channels = 16 384 each).
#[test]
fn a_large_picture_whose_gram_backward_is_tiled_matches_reference() {
    let x = common::seeded_rand(&[1, 3, 128, 144], 5);
    check_at("128×144", &base(), Pooling::Max, false, &x);
}

/// A picture whose side halves to an odd number before a pooling layer is refused by the trunk
/// with the reason (a `TotalLoss` made for 24×32 pictures, asked about a 24×30 one).
#[test]
fn a_picture_with_an_odd_side_at_a_pooling_layer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let vgg = std::sync::Arc::new(net(dir.path(), Pooling::Max));
    let (content, style) = (common::seeded_rand(&[1, 3, 24, 32], 1), common::seeded_rand(&[1, 3, 16, 20], 2));
    let loss = TotalLoss::new(&vgg, Some(&content), Some(&style), &base()).unwrap();
    for (h, w) in [(24, 30), (26, 32)] {
        let err = loss.loss_and_grad(&common::seeded_rand(&[1, 3, h, w], 3)).unwrap_err().to_string();
        assert!(err.contains("pooling needs even sides"), "{h}x{w}: {err}");
    }
}

#[test]
fn flat_regions_tie_in_max_pooling_and_both_paths_route_alike() {
    // A picture of flat 8x8 blocks: inside a block every activation of a channel is the same,
    // so most max-pooling windows hold four equal maxima. Both paths give the gradient to the
    // first of them (PyTorch's rule); giving it to another, or to all, changes the gradient.
    let blocks = common::seeded_rand(&[1, 3, 3, 4], 5);
    let x = blocks.upsample_nearest2d(24, 32).unwrap();
    check_at("flat blocks, max pooling", &base(), Pooling::Max, false, &x);
    let mut seed = Config::preset(Preset::Seed);
    seed.content_layers = layers(&["conv_4"], 1.0);
    seed.style_layers = layers(&["conv_1", "pool1", "conv_3", "conv_5"], 1.0);
    check_at("flat blocks, pre-activation layers", &seed, Pooling::Max, false, &x);
}

#[test]
fn a_loss_with_weight_zero_or_outside_its_mode_has_no_terms() {
    // The objective holds only the terms that count: none for a weight of 0, none for the content
    // in style mode (a texture), none for the style in content mode (a reconstruction).
    let dir = tempfile::tempdir().unwrap();
    let vgg = std::sync::Arc::new(net(dir.path(), Pooling::Max));
    let (content, style) = (common::seeded_rand(&[1, 3, 24, 32], 1), common::seeded_rand(&[1, 3, 16, 20], 2));
    let x = common::seeded_rand(&[1, 3, 24, 32], 3);
    let names = |cfg: &Config| -> Vec<String> {
        let loss = TotalLoss::new(&vgg, Some(&content), Some(&style), cfg).unwrap();
        loss.loss_and_grad(&x)
            .unwrap()
            .0
            .layers
            .into_iter()
            .map(|(n, _)| n.split(' ').next().unwrap().to_string())
            .collect()
    };
    let has = |v: &[String], k: &str| v.iter().any(|n| n == k);
    let both = names(&base());
    assert!(has(&both, "content") && has(&both, "style"), "{both:?}");
    let no_content = names(&Config { content_weight: 0.0, ..base() });
    assert!(!has(&no_content, "content") && has(&no_content, "style"), "{no_content:?}");
    let no_style = names(&Config { style_weight: 0.0, ..base() });
    assert!(has(&no_style, "content") && !has(&no_style, "style"), "{no_style:?}");
    let texture = names(&Config { mode: nst_lib::Mode::Style, ..base() });
    assert!(!has(&texture, "content") && has(&texture, "style"), "{texture:?}");
    let rebuild = names(&Config { mode: nst_lib::Mode::Content, ..base() });
    assert!(has(&rebuild, "content") && !has(&rebuild, "style"), "{rebuild:?}");
}

/// A large picture runs blocks 1–2 band by band ([`nst_lib::bands`]), each band with a halo:
/// the loss, every term, the image gradient and every layer's features must be those of the
/// picture run whole. Bands of 8 own rows (halo 8: six rows reach the
/// cut, rounded up to its pooling factor 4) make 9 bands of a 68-row picture, the last one 4 rows,
/// so the halo's reach and the edges between bands are all exercised; with a style mask (features
/// needed before the cut: that loss runs whole) and average pooling too.
#[test]
fn a_picture_in_bands_gives_the_whole_pictures_loss_gradient_and_features() {
    use nst_lib::bands::BandSize;
    let dir = tempfile::tempdir().unwrap();
    let (h, w) = (68, 48);
    let x = ((common::seeded_rand(&[1, 3, h, w], 7) * 1.2).unwrap() - 0.1).unwrap();
    let content = common::seeded_rand(&[1, 3, h, w], 1);
    let style = common::seeded_rand(&[1, 3, 40, 52], 2);
    let mask_img = common::seeded_rand(&[1, 1, h, w], 4);
    let small = BandSize { above: 0, pixels: w * (8 + 2 * 8) };
    let half = Config { half_size_style: 0.5, ..base() };
    for (name, cfg, pooling, mask) in [
        ("default objective", base(), Pooling::Max, false),
        ("average pooling, half size", half.clone(), Pooling::Avg, false),
        ("a style mask", half, Pooling::Max, true),
    ] {
        let mut vgg = net(dir.path(), pooling);
        assert_eq!(vgg.spec.band_cut().map(|c| (c.layer.name(), c.halo, c.multiple)), Some(("pool2".into(), 8, 4)));
        // Every layer through block 3 but the cut itself (whose features are the bands' output).
        let whole_layers: Vec<_> = vgg.spec.layers().into_iter().filter(|l| l.seq < 16 && l.seq != 9).collect();
        let eval = |vgg: Vgg| {
            let vgg = std::sync::Arc::new(vgg);
            let mut loss = TotalLoss::new(&vgg, Some(&content), Some(&style), &cfg).unwrap();
            if mask {
                loss.set_style_mask(&mask_img).unwrap();
            }
            let feats = vgg.features(&x, &whole_layers).unwrap();
            let banded = vgg.band_size() != BandSize::off();
            assert_eq!(loss.in_bands(h, w), banded && !mask, "{name}: in bands");
            (loss.loss_and_grad(&x).unwrap(), feats)
        };
        vgg.set_band_size(BandSize::off());
        let ((whole, g_whole), f_whole) = eval(vgg);
        let mut vgg = net(dir.path(), pooling);
        vgg.set_band_size(small);
        assert_eq!(vgg.band_plan(h, w, &whole_layers).map(|(_, b)| b.len()), Some(9));
        let ((banded, g_banded), f_banded) = eval(vgg);
        assert!(common::rel_err(banded.total, whole.total) < 1e-5, "{name}: {} vs {}", banded.total, whole.total);
        for ((l, a), (_, b)) in banded.layers.iter().zip(&whole.layers) {
            assert!(common::rel_err(*a, *b) < 1e-5, "{name}: term {l}: {a} vs whole {b}");
        }
        let d = rel_max_diff(&g_banded, &g_whole);
        assert!(d < 1e-5, "{name}: image gradient differs by {d:e}");
        for (l, (a, b)) in whole_layers.iter().zip(f_banded.iter().zip(&f_whole)) {
            let d = rel_max_diff(a, b);
            assert!(d < 1e-5, "{name}: features at {} differ by {d:e}", l.name());
        }
    }
}

/// The style targets of Gram statistics are made from the style image's Gram matrices alone,
/// scaled by s² (`add_terms`): with a feature scale ≠ 1 and each normalisation, the style loss
/// of the style image itself is zero (up to rounding) — a scale applied once or three times
/// would leave a large loss — and in bands too.
#[test]
fn gram_targets_from_gram_matrices_give_the_style_image_a_zero_style_loss() {
    use nst_lib::bands::BandSize;
    let dir = tempfile::tempdir().unwrap();
    let style = common::seeded_rand(&[1, 3, 44, 52], 2);
    let other = common::seeded_rand(&[1, 3, 44, 52], 9);
    for bands in [BandSize::off(), BandSize { above: 0, pixels: 52 * 24 }] {
        for norm in [StyleNorm::Notebook, StyleNorm::Paper, StyleNorm::Relative] {
            let mut vgg = net(dir.path(), Pooling::Max);
            vgg.set_band_size(bands);
            let vgg = std::sync::Arc::new(vgg);
            let cfg = Config {
                content_weight: 0.0,
                style_norm: norm,
                feature_scale: FeatureScale::Caffe,
                half_size_style: 0.0,
                relative_style_layers: vec![],
                ..base()
            };
            let loss = TotalLoss::new(&vgg, None, Some(&style), &cfg).unwrap();
            let (at_style, at_other) = (loss.loss(&style).unwrap().style, loss.loss(&other).unwrap().style);
            assert!(at_other > 0.0);
            assert!(at_style < 1e-6 * at_other, "{norm:?} {bands:?}: {at_style} at the style image vs {at_other}");
        }
    }
}

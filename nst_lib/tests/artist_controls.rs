//! The controls artists reach for (README "Artist controls"), each checked by its effect.

mod common;

use image::RgbImage;
use nst_lib::colour::{self, OriginalColours};
use nst_lib::config::Report;
use nst_lib::{Config, Preset, StyleTransfer};

/// Mean |ΔY|, and mean |ΔI| + |ΔQ|, between two images of one size.
fn yiq_distance(a: &RgbImage, b: &RgbImage) -> (f64, f64) {
    assert_eq!(a.dimensions(), b.dimensions());
    let (mut dy, mut dc) = (0f64, 0f64);
    for (p, q) in a.pixels().zip(b.pixels()) {
        let f = |p: &image::Rgb<u8>| colour::rgb_to_yiq(p.0.map(|v| v as f32 / 255.0));
        let (x, y) = (f(p), f(q));
        dy += (x[0] - y[0]).abs() as f64;
        dc += ((x[1] - y[1]).abs() + (x[2] - y[2]).abs()) as f64;
    }
    let n = (a.width() * a.height()) as f64;
    (dy / n, dc / n)
}

/// A muted bluish-grey photo stand-in and a loud red/green stripe "painting".
fn inputs(dir: &std::path::Path) -> (String, String) {
    let content = RgbImage::from_fn(48, 48, |x, y| {
        let v = (60 + x * 2 + y) as u8;
        image::Rgb([v, v.saturating_add(10), v.saturating_add(40)])
    });
    let style = RgbImage::from_fn(48, 48, |x, y| {
        if (x / 4 + y / 6) % 2 == 0 {
            image::Rgb([230, 30, 20])
        } else {
            image::Rgb([20, 200, 40])
        }
    });
    let (c, s) = (dir.join("content.png"), dir.join("style.png"));
    content.save(&c).unwrap();
    style.save(&s).unwrap();
    (c.display().to_string(), s.display().to_string())
}

fn tiny_run(dir: &std::path::Path, colours: OriginalColours) -> (RgbImage, RgbImage) {
    let weights = common::write_random_vgg(dir, "tiny.safetensors", &common::tiny_spec());
    let (c, s) = inputs(dir);
    let mut cfg = common::tiny_config(dir);
    cfg.size = 48;
    cfg.steps = 30;
    cfg.save = false;
    cfg.report = Report::Off;
    cfg.original_colours = colours;
    let st = StyleTransfer::with_weights(cfg, &weights).unwrap();
    let out = st.run(&c, &s).unwrap();
    (out.image, out.content_image.unwrap())
}

#[test]
fn yiq_round_trip_and_luminance_transfer_keep_what_they_promise() {
    for rgb in [[0.2f32, 0.5, 0.9], [1.0, 0.0, 0.0], [0.3, 0.3, 0.3]] {
        let back = colour::yiq_to_rgb(colour::rgb_to_yiq(rgb));
        for (a, b) in rgb.iter().zip(back) {
            assert!((a - b).abs() < 2e-3, "{rgb:?} -> {back:?}");
        }
    }
    let out = RgbImage::from_fn(8, 8, |x, y| image::Rgb([(x * 30) as u8, (y * 30) as u8, 128]));
    let content = RgbImage::from_fn(8, 8, |x, _| image::Rgb([100, 110 + x as u8, 120]));
    let mixed = colour::luminance_transfer(&out, &content).unwrap();
    let (dy_out, _) = yiq_distance(&mixed, &out);
    let (_, dc_content) = yiq_distance(&mixed, &content);
    // Only 8-bit rounding (and clamping of a few out-of-gamut pixels) remains.
    assert!(dy_out < 0.01, "luminance kept from the output: {dy_out}");
    assert!(dc_content < 0.02, "chrominance taken from the content: {dc_content}");
    assert!(colour::luminance_transfer(&out, &RgbImage::new(4, 4)).is_err(), "sizes must agree");
}

#[test]
fn colour_matching_gives_the_style_the_contents_mean_and_covariance() {
    let style = RgbImage::from_fn(32, 32, |x, y| {
        image::Rgb([(100 + x * 3) as u8, (60 + y * 2) as u8, (90 + (x * 7 + y * 3) % 50) as u8])
    });
    let content =
        RgbImage::from_fn(32, 32, |x, y| image::Rgb([(60 + y) as u8, (110 + x) as u8, (100 + (x * y) % 40) as u8]));
    let matched = colour::match_colours(&style, &content);
    let (mm, cm) = colour::colour_stats(&matched);
    let (mc, cc) = colour::colour_stats(&content);
    let (ms, _) = colour::colour_stats(&style);
    for i in 0..3 {
        assert!((mm[i] - mc[i]).abs() < 0.01, "mean {i}: {} vs {}", mm[i], mc[i]);
        for j in 0..3 {
            assert!(
                (cm[i][j] - cc[i][j]).abs() < 0.1 * cc[i][i].max(cc[j][j]),
                "cov {i}{j}: {} vs {}",
                cm[i][j],
                cc[i][j]
            );
        }
    }
    assert!((ms[0] - mc[0]).abs() > 0.05, "the test needs differently coloured inputs");
    // The statistics themselves, by hand: a black and a white pixel have mean 0.5 and (population)
    // covariance 0.25 in every entry.
    let two = RgbImage::from_fn(2, 1, |x, _| image::Rgb([255 * x as u8; 3]));
    let (m, c) = colour::colour_stats(&two);
    assert!(m.iter().all(|&v| (v - 0.5).abs() < 1e-12), "{m:?}");
    assert!(c.iter().flatten().all(|&v| (v - 0.25).abs() < 1e-12), "{c:?}");
    // A flat (single-colour) style image must not blow up.
    let flat = RgbImage::from_pixel(8, 8, image::Rgb([50, 50, 50]));
    let m = colour::match_colours(&flat, &content);
    assert_eq!(m.dimensions(), (8, 8));
}

#[test]
fn original_colours_keep_the_contents_chrominance_and_change_its_luminance() {
    let dir = tempfile::tempdir().unwrap();
    let (off, content) = tiny_run(dir.path(), OriginalColours::Off);
    let (lum, _) = tiny_run(dir.path(), OriginalColours::Luminance);
    let (matched, _) = tiny_run(dir.path(), OriginalColours::Match);
    let (dy_off, dc_off) = yiq_distance(&off, &content);
    let (dy_lum, dc_lum) = yiq_distance(&lum, &content);
    let (_, dc_match) = yiq_distance(&matched, &content);
    eprintln!(
        "distance to the content: off ΔY {dy_off:.3} ΔIQ {dc_off:.3}; luminance ΔY {dy_lum:.3} ΔIQ {dc_lum:.3}; \
         match ΔIQ {dc_match:.3}"
    );
    assert!(dc_off > 0.05, "without the control the style's colours come in (ΔIQ {dc_off:.3})");
    assert!(dc_lum < 0.02, "luminance mode keeps the content's chrominance (ΔIQ {dc_lum:.3})");
    assert!(dy_lum > 0.02, "while the luminance is stylised (ΔY {dy_lum:.3})");
    assert!(dc_match < 0.5 * dc_off, "matching the style's colours first brings the chrominance closer");
}

#[test]
fn unknown_colour_mode_is_an_error() {
    assert!(OriginalColours::parse("sepia").is_err());
    assert_eq!(OriginalColours::parse("luminance").unwrap(), OriginalColours::Luminance);
}

fn tiny_st(dir: &std::path::Path, edit: impl FnOnce(&mut Config)) -> StyleTransfer {
    let weights = common::write_random_vgg(dir, "tiny.safetensors", &common::tiny_spec());
    let mut cfg = common::tiny_config(dir);
    cfg.steps = 6;
    cfg.save = false;
    cfg.report = Report::Off;
    edit(&mut cfg);
    StyleTransfer::with_weights(cfg, &weights).unwrap()
}

#[test]
fn blended_styles_with_weights_one_and_zero_equal_the_single_style() {
    use nst_lib::total_loss::TotalLoss;
    let dir = tempfile::tempdir().unwrap();
    let st = tiny_st(dir.path(), |_| {});
    let c = common::seeded_rand(&[1, 3, 32, 32], 1);
    let a = common::seeded_rand(&[1, 3, 32, 32], 2);
    let b = (common::seeded_rand(&[1, 3, 32, 32], 3) * 0.3).unwrap();
    let x = common::seeded_rand(&[1, 3, 32, 32], 4);
    let cfg = &st.config;
    let single = TotalLoss::new(&st.vgg, Some(&c), Some(&a), cfg).unwrap().loss(&x).unwrap();
    let one_zero = TotalLoss::with_styles(&st.vgg, Some(&c), &[(a.clone(), 1.0), (b.clone(), 0.0)], cfg).unwrap();
    let one_zero = one_zero.loss(&x).unwrap();
    assert_eq!(single.layers, one_zero.layers, "same targets, so the same value at every layer");
    // Blending a style with itself changes nothing; with another one, the style term moves.
    let self_blend = TotalLoss::with_styles(&st.vgg, Some(&c), &[(a.clone(), 0.3), (a.clone(), 0.7)], cfg).unwrap();
    let d = (self_blend.loss(&x).unwrap().style - single.style).abs() / single.style;
    assert!(d < 1e-5, "{d}");
    let half = TotalLoss::with_styles(&st.vgg, Some(&c), &[(a, 0.5), (b, 0.5)], cfg).unwrap().loss(&x).unwrap();
    assert!((half.style - single.style).abs() > 1e-3 * single.style);
    assert_eq!(half.content, single.content);
}

/// `reweigh` changes weights only: the value equals a loss built afresh with the new weights,
/// and other layers (content or style alone) are refused, since its targets are for these layers.
#[test]
fn reweigh_equals_a_fresh_loss_and_refuses_other_layers() {
    use nst_lib::{config::layers, total_loss::TotalLoss};
    let dir = tempfile::tempdir().unwrap();
    let st = tiny_st(dir.path(), |_| {});
    let (c, a, x) = (
        common::seeded_rand(&[1, 3, 32, 32], 1),
        common::seeded_rand(&[1, 3, 32, 32], 2),
        common::seeded_rand(&[1, 3, 32, 32], 4),
    );
    let mut loss = TotalLoss::new(&st.vgg, Some(&c), Some(&a), &st.config).unwrap();
    let mut cfg = st.config.clone();
    cfg.style_weight *= 7.0;
    cfg.style_layers[0].weight = 3.0;
    loss.reweigh(&cfg).unwrap();
    let fresh = TotalLoss::new(&st.vgg, Some(&c), Some(&a), &cfg).unwrap().loss(&x).unwrap();
    assert_eq!(loss.loss(&x).unwrap().total, fresh.total);
    // The half-size style terms follow β and the layer weights too; they cannot be added later.
    let half = Config { half_size_style: 0.5, ..st.config.clone() };
    let mut with_half = TotalLoss::new(&st.vgg, Some(&c), Some(&a), &half).unwrap();
    with_half.reweigh(&Config { half_size_style: 0.25, ..cfg.clone() }).unwrap();
    let fresh_half = TotalLoss::new(&st.vgg, Some(&c), Some(&a), &Config { half_size_style: 0.25, ..cfg.clone() });
    let (got, want) = (with_half.loss(&x).unwrap(), fresh_half.unwrap().loss(&x).unwrap());
    assert_eq!(got.total, want.total);
    assert!(got.total > fresh.total, "the half-size terms count");
    with_half.reweigh(&cfg).unwrap();
    assert_eq!(with_half.loss(&x).unwrap().total, fresh.total, "half_size_style 0 drops them");
    let err = loss.reweigh(&half).unwrap_err();
    assert!(err.to_string().contains("cannot add the half-size style terms"), "{err}");
    // A relative style layer keeps its painting's normalisation through a reweigh; which layers
    // are relative cannot change (the factor is the painting's).
    let rel = Config { relative_style_layers: vec![st.config.style_layers[0].layer.clone()], ..st.config.clone() };
    let rel7 = Config { style_weight: rel.style_weight * 7.0, ..rel.clone() };
    let mut with_rel = TotalLoss::new(&st.vgg, Some(&c), Some(&a), &rel).unwrap();
    with_rel.reweigh(&rel7).unwrap();
    let fresh_rel = TotalLoss::new(&st.vgg, Some(&c), Some(&a), &rel7).unwrap().loss(&x).unwrap();
    assert_eq!(with_rel.loss(&x).unwrap().total, fresh_rel.total);
    let plain7 = Config { relative_style_layers: vec![], ..rel7.clone() };
    let plain = TotalLoss::new(&st.vgg, Some(&c), Some(&a), &plain7).unwrap().loss(&x).unwrap();
    assert_ne!(fresh_rel.total, plain.total, "the relative layer changes the loss");
    let err = with_rel.reweigh(&plain7).unwrap_err();
    assert!(err.to_string().contains("reweigh keeps the layers"), "{err}");
    // Where the relative form cannot apply (a layer that is not a style layer; the paper's
    // normalisation) the list has no effect: the same loss as without it.
    let without = |cfg: &Config| {
        let plain = Config { relative_style_layers: vec![], ..cfg.clone() };
        TotalLoss::new(&st.vgg, Some(&c), Some(&a), &plain).unwrap().loss(&x).unwrap().total
    };
    let not_style = Config { relative_style_layers: vec!["relu4_2".into()], ..rel.clone() };
    use nst_lib::style_loss::{StyleNorm, StyleStats};
    let paper = Config { style_norm: StyleNorm::Paper, ..rel.clone() };
    let relative = Config { style_norm: StyleNorm::Relative, ..rel.clone() };
    let mean_std = Config { style_stats: StyleStats::MeanStd, ..rel.clone() };
    let mean_cov = Config { style_stats: StyleStats::MeanCov, ..rel.clone() };
    for cfg in [not_style, paper, relative, mean_std, mean_cov] {
        let got = TotalLoss::new(&st.vgg, Some(&c), Some(&a), &cfg).unwrap().loss(&x).unwrap().total;
        assert_eq!(got, without(&cfg));
    }
    for (content, style) in
        [(&["conv_3"][..], &["conv_1", "relu2_1", "conv3_1"][..]), (&["conv_4"], &["conv_1", "relu2_1"])]
    {
        let other = Config { content_layers: layers(content, 1.0), style_layers: layers(style, 1.0), ..cfg.clone() };
        let err = loss.reweigh(&other).unwrap_err();
        assert!(err.to_string().contains("reweigh keeps the layers"), "{err}");
    }
}

#[test]
fn several_style_images_from_the_front_door() {
    let dir = tempfile::tempdir().unwrap();
    let c = common::write_image(dir.path(), "c.png", 40, 40);
    let a = common::write_image(dir.path(), "a.png", 30, 50);
    let b = dir.path().join("b.png");
    RgbImage::from_fn(40, 40, |x, _| image::Rgb([(x * 6) as u8, 0, 200])).save(&b).unwrap();
    let (c, a, b) = (c.to_str().unwrap(), a.to_str().unwrap(), b.to_str().unwrap());
    let single = tiny_st(dir.path(), |_| {}).run(c, a).unwrap();
    let blend = tiny_st(dir.path(), |cfg| cfg.style_blend = vec![1.0, 0.0]).run(c, &format!("{a},{b}")).unwrap();
    let totals = |o: &nst_lib::Outcome| o.history.iter().map(|s| s.loss.total).collect::<Vec<_>>();
    assert_eq!(totals(&single), totals(&blend), "weights 1,0 = the first style alone, step by step");
    assert_eq!(blend.style_name, "a+b");
    assert_eq!(blend.style_image.as_ref().unwrap().height(), 32, "both styles shown side by side");
    assert!(blend.style_image.as_ref().unwrap().width() > 32);
    let even = tiny_st(dir.path(), |_| {}).run(c, &format!("{a},{b}")).unwrap();
    assert_ne!(totals(&even), totals(&single), "equal weights by default: the second style counts");
    let err = tiny_st(dir.path(), |cfg| cfg.style_blend = vec![0.2, 0.3, 0.5]).run(c, &format!("{a},{b}")).unwrap_err();
    assert!(err.to_string().contains("one weight per image"), "{err}");
    let err = tiny_st(dir.path(), |_| {}).run(c, " , ").unwrap_err();
    assert!(err.to_string().contains("no style image"), "{err}");
}

#[test]
fn style_scale_sets_the_size_of_the_style_features() {
    let dir = tempfile::tempdir().unwrap();
    let c = common::write_image(dir.path(), "c.png", 64, 64);
    let s = common::write_image(dir.path(), "s.png", 200, 200);
    let layer = |st: &StyleTransfer| st.vgg.spec.layer("conv3_1").unwrap();
    let mut seen = vec![];
    for scale in [0.5, 1.0, 2.0] {
        let st = tiny_st(dir.path(), |cfg| cfg.style_scale = scale);
        let out = st.run(c.to_str().unwrap(), s.to_str().unwrap()).unwrap();
        let style = out.style_image.clone().unwrap();
        let t = nst_lib::image_io::to_tensor(&style, &candle_core::Device::Cpu).unwrap();
        let f = st.vgg.features(&t, &[layer(&st)]).unwrap().remove(0);
        let (_, _, h, w) = f.dims4().unwrap();
        eprintln!("style scale {scale}: style image {:?}, conv3_1 features {w}x{h}", style.dimensions());
        assert_eq!(style.dimensions(), ((32.0 * scale) as u32, (32.0 * scale) as u32), "output is 32 px");
        assert_eq!((w, h), ((8.0 * scale) as usize, (8.0 * scale) as usize), "conv3_1 is 1/4 of the image");
        assert_eq!(out.image.dimensions(), (32, 32), "the output keeps its size");
        seen.push(out.final_loss().unwrap());
    }
    assert!(seen[0] != seen[1] && seen[1] != seen[2], "a different style scale is a different target: {seen:?}");
    let bad = Config { style_scale: 0.0, ..Config::preset(Preset::Seed) };
    assert!(bad.validate().is_err());
}

#[test]
fn device_choice_and_a_clear_error_when_a_gpu_back_end_is_not_compiled_in() {
    use nst_lib::device::DeviceChoice;
    assert_eq!(DeviceChoice::parse("cuda:1").unwrap(), DeviceChoice::Cuda(1));
    // Every name `--device` takes, through `parse` and through `FromStr` (what clap calls).
    for (name, want) in [
        ("auto", DeviceChoice::Auto),
        ("cpu", DeviceChoice::Cpu),
        ("cuda", DeviceChoice::Cuda(0)),
        ("gpu", DeviceChoice::Cuda(0)),
        ("metal", DeviceChoice::Metal),
        ("mps", DeviceChoice::Metal),
    ] {
        assert_eq!(DeviceChoice::parse(name).unwrap(), want, "{name}");
        assert_eq!(name.parse::<DeviceChoice>().unwrap(), want, "{name}");
    }
    assert_eq!(DeviceChoice::parse("CPU").unwrap(), DeviceChoice::Cpu);
    assert!(DeviceChoice::parse("tpu").is_err());
    assert!(DeviceChoice::Cpu.open().unwrap().is_cpu());
    if !cfg!(feature = "cuda") {
        let err = DeviceChoice::Cuda(0).open().unwrap_err().to_string();
        assert!(err.contains("--features cuda") && err.contains("--device cpu"), "{err}");
        // Without a GPU back end, auto is the CPU.
        if !cfg!(feature = "metal") {
            assert!(DeviceChoice::Auto.open().unwrap().is_cpu());
        }
        // The same error from the front door, before any work.
        let dir = tempfile::tempdir().unwrap();
        let weights = common::write_random_vgg(dir.path(), "tiny.safetensors", &common::tiny_spec());
        let mut cfg = common::tiny_config(dir.path());
        cfg.device = DeviceChoice::Cuda(0);
        let err = StyleTransfer::with_weights(cfg, &weights).unwrap_err().to_string();
        assert!(err.contains("no CUDA support"), "{err}");
    }
    if !cfg!(feature = "metal") {
        let err = DeviceChoice::Metal.open().unwrap_err().to_string();
        assert!(err.contains("--features metal"), "{err}");
    }
}

#[test]
fn each_style_statistic_keeps_what_it_claims() {
    use candle_core::{Device, Tensor};
    use nst_lib::style_loss::{stats_loss, stats_target, StyleNorm, StyleStats};
    let dev = Device::Cpu;
    // Correlated channels: channel 1 follows channel 0, channel 2 is independent.
    let a = common::seeded_randn(&[1, 1, 16, 16], 5);
    let b = common::seeded_randn(&[1, 1, 16, 16], 6);
    let f = Tensor::cat(&[&a, &((&a * 0.9).unwrap() + 0.5).unwrap(), &(b + 2.0).unwrap()], 1).unwrap();
    // The same values per channel, each channel's positions shuffled differently: per-channel
    // mean and spread unchanged, correlations destroyed.
    let v = common::to_vec(&f);
    let n = 256;
    let shuffled: Vec<f32> = (0..3)
        .flat_map(|c| {
            let v = &v;
            (0..n).map(move |i| v[c * n + (i * (37 + 20 * c) + 11 * c) % n] as f32)
        })
        .collect();
    let g = Tensor::from_vec(shuffled, (1, 3, 16, 16), &dev).unwrap();
    let norm = StyleNorm::Notebook;
    let loss = |x: &Tensor, kind| {
        let t = stats_target(&f, kind, norm).unwrap().finish().unwrap();
        stats_loss(x, &t, norm).unwrap().to_scalar::<f32>().unwrap()
    };
    for kind in [StyleStats::Gram, StyleStats::MeanStd, StyleStats::MeanCov] {
        let at_target = loss(&f, kind);
        eprintln!("{kind:?}: loss at the target {at_target:.2e}, after shuffling {:.2e}", loss(&g, kind));
        // Mean/cov is slightly below 0 at its target: channels 0 and 1 are perfectly correlated,
        // so the covariance has a null direction, where the square root's ridge (1e-6·‖A‖_F, see
        // `sqrtm`) adds √(1e-6·‖Σ²‖_F) ≈ 1.9e-3 to tr √(Σ½ΣΣ½): W2 ≈ −2·1.9e-3/3 = −1.3e-3.
        let bound = if kind == StyleStats::MeanCov { 2e-3 } else { 1e-3 };
        assert!(at_target.abs() < bound, "{kind:?} is 0 at its own target: {at_target}");
    }
    assert!(loss(&g, StyleStats::MeanStd) < 1e-6, "mean/std cannot see the shuffle");
    assert!(loss(&g, StyleStats::Gram) > 1e-2, "Gram sees the lost correlation");
    assert!(loss(&g, StyleStats::MeanCov) > 1e-2, "mean/cov sees the lost correlation");
    // The matrix square root behind mean/cov: of A + 1e-6·‖A‖_F·I (the ridge keeps it stable).
    let m = Tensor::new(&[[4f64, 1.0], [1.0, 3.0]], &dev).unwrap();
    let r = nst_lib::style_loss::sqrtm(&m, 20).unwrap();
    let back = common::to_vec(&r.matmul(&r).unwrap());
    let ridge = 1e-6 * 27f64.sqrt();
    for (x, y) in back.iter().zip([4.0 + ridge, 1.0, 1.0, 3.0 + ridge]) {
        assert!((x - y).abs() < 1e-9, "{back:?}");
    }
    assert!(StyleStats::parse("fourier").is_err());
}

#[test]
fn multi_scale_runs_every_stage_and_starts_each_from_the_previous_result() {
    use nst_lib::config::MultiScale;
    let dir = tempfile::tempdir().unwrap();
    let c = common::write_image(dir.path(), "c.png", 64, 64);
    let s = common::write_image(dir.path(), "s.png", 50, 70);
    let (c, s) = (c.to_str().unwrap(), s.to_str().unwrap());
    let ms = MultiScale::by_ratio(64, 0.5, vec![12, 6]).unwrap();
    assert_eq!(ms.sizes, vec![32, 64]);
    let mut seen = vec![];
    let st = tiny_st(dir.path(), |cfg| cfg.multiscale = Some(ms.clone()));
    let multi =
        st.run_with_progress(c, s, &mut |p| seen.push((p.report.step, p.steps, p.image.dims4().unwrap().3))).unwrap();
    assert_eq!(multi.history.len(), 18);
    assert_eq!(seen.first(), Some(&(1, 18, 32)), "stage 1 at 32 px");
    assert_eq!(seen.last(), Some(&(18, 18, 64)), "stage 2 at 64 px, steps numbered on");
    assert_eq!(multi.image.dimensions(), (64, 64));
    assert!(multi.snapshots.iter().all(|(_, img)| img.dimensions() == (64, 64)), "frames at the final size");
    // Two snapshots asked for (the tiny config): one frame per 9 of the 18 steps, as one stage
    // gives, not each stage's own two (steps 1, 6, 13, 15).
    assert_eq!(multi.snapshots.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [1, 13]);
    let single = tiny_st(dir.path(), |cfg| {
        cfg.size = 64;
        cfg.steps = 6
    })
    .run(c, s)
    .unwrap();
    // Same loss at 64 px; the second stage starts from the stylised 32 px result, not the photo.
    let (start_multi, start_single) = (multi.history[12].loss.total, single.history[0].loss.total);
    eprintln!("first loss at 64 px: multi-scale {start_multi:.4e}, single-scale {start_single:.4e}");
    assert!(start_multi < 0.5 * start_single, "{start_multi} vs {start_single}");
    // Aspect kept and rounded to multiples of 16 differently at each size (451x300 -> 32x16, then
    // 64x48): each stage still starts from the previous result.
    let wide = common::write_image(dir.path(), "wide.png", 451, 300);
    let out = tiny_st(dir.path(), |cfg| {
        cfg.sizing = nst_lib::image_io::Sizing::KeepAspect;
        cfg.multiscale = Some(MultiScale::new(vec![32, 64], vec![3, 3]).unwrap())
    })
    .run(wide.to_str().unwrap(), s)
    .unwrap();
    assert_eq!(out.image.width(), 64);
    assert!(MultiScale::new(vec![32, 64], vec![5]).is_err());
    assert!(MultiScale::by_ratio(64, 1.5, vec![1, 1]).is_err());
}

#[test]
fn coarse_to_fine_by_rule_doubles_up_to_the_size_and_splits_the_steps() {
    use nst_lib::config::{split_steps, MultiScale};
    let at = |size, steps, start| Config { size, steps, coarse_to_fine: start, ..Config::default() }.stages();
    assert_eq!(at(512, 300, Some(128)), vec![(128, 100), (256, 100), (512, 100)]);
    assert_eq!(at(256, 301, Some(128)), vec![(128, 150), (256, 151)]);
    assert_eq!(at(1000, 300, Some(128)), vec![(250, 100), (500, 100), (1000, 100)]);
    assert_eq!(at(255, 300, Some(128)), vec![(255, 300)], "half of 255 is below the first size");
    assert_eq!(at(512, 300, None), vec![(512, 300)]);
    // At most three stages: a quarter, a half, the whole size.
    assert_eq!(at(512, 300, Some(64)), vec![(128, 100), (256, 100), (512, 100)]);
    assert_eq!(at(2048, 30, Some(64)), vec![(512, 10), (1024, 10), (2048, 10)]);
    assert_eq!(split_steps(5, 3), vec![1, 2, 2]);
    assert_eq!(split_steps(7, 1), vec![7]);
    // Explicit stages win over the rule.
    let explicit = Config {
        multiscale: Some(MultiScale::new(vec![64, 96], vec![5, 4]).unwrap()),
        coarse_to_fine: Some(16),
        ..Config::default()
    };
    assert_eq!(explicit.stages(), vec![(64, 5), (96, 4)]);
    let refused = |c: Config| c.validate().unwrap_err().to_string();
    let msg = refused(Config { coarse_to_fine: Some(0), ..Config::default() });
    assert!(msg.contains("first coarse-to-fine size"), "{msg}");
    let msg = refused(Config { size: 512, steps: 2, coarse_to_fine: Some(128), ..Config::default() });
    assert!(msg.contains("2 steps cannot be split over the 3"), "{msg}");

    // A run follows the rule: 16 px then 32 px, 4 steps each; a session keeps one size.
    let dir = tempfile::tempdir().unwrap();
    let c = common::write_image(dir.path(), "c.png", 64, 64);
    let s = common::write_image(dir.path(), "s.png", 50, 70);
    let (c, s) = (c.to_str().unwrap(), s.to_str().unwrap());
    let st = tiny_st(dir.path(), |cfg| {
        cfg.steps = 8;
        cfg.coarse_to_fine = Some(16)
    });
    let mut seen = vec![];
    let out = st.run_with_progress(c, s, &mut |p| seen.push((p.report.step, p.image.dims4().unwrap().3))).unwrap();
    assert_eq!(seen.iter().map(|&(_, w)| w).collect::<Vec<_>>(), [16, 16, 16, 16, 32, 32, 32, 32]);
    assert_eq!(seen.last().unwrap().0, 8, "steps numbered on across stages");
    assert_eq!(out.config.coarse_to_fine, Some(16), "the record keeps the rule");
    let mut session = st.session(c, s).unwrap();
    session.run(2).unwrap();
    assert_eq!(session.finish().unwrap().image.dimensions(), (32, 32));
}

#[test]
fn the_stopping_rule_ends_a_run_once_the_loss_stops_falling() {
    use nst_lib::config::STOP_WINDOW;
    let dir = tempfile::tempdir().unwrap();
    let c = common::write_image(dir.path(), "c.png", 32, 32);
    let s = common::write_image(dir.path(), "s.png", 30, 30);
    let (c, s) = (c.to_str().unwrap(), s.to_str().unwrap());
    let eps = 0.3;
    let full = tiny_st(dir.path(), |cfg| cfg.steps = 150).run(c, s).unwrap();
    let ruled = tiny_st(dir.path(), |cfg| {
        cfg.steps = 150;
        cfg.stop_change = Some(eps)
    })
    .run(c, s)
    .unwrap();
    // The rule, computed here from the uninterrupted run: the first accepted step whose loss
    // fell by less than eps over the STOP_WINDOW accepted steps before it.
    let accepted: Vec<f64> = full.history.iter().filter(|r| r.accepted).map(|r| r.loss.total).collect();
    let k = (STOP_WINDOW..accepted.len())
        .find(|&k| accepted[k - STOP_WINDOW] - accepted[k] < eps * accepted[k])
        .unwrap_or_else(|| {
            panic!(
                "the tiny run flattens out within 150 steps: {} accepted, {:?}",
                accepted.len(),
                &accepted[accepted.len().saturating_sub(12)..]
            )
        });
    let ruled_accepted: Vec<f64> = ruled.history.iter().filter(|r| r.accepted).map(|r| r.loss.total).collect();
    eprintln!("stopped after {} of {} steps (accepted step {k})", ruled.history.len(), full.history.len());
    assert!(ruled.history.len() < full.history.len(), "the rule stopped the run early");
    assert_eq!(ruled_accepted.len(), k + 1, "it stopped at the first step where the rule holds");
    // Same path up to there, and the picture is that step's.
    for (a, b) in ruled_accepted.iter().zip(&accepted) {
        assert!(common::rel_err(*a, *b) < 1e-9, "{a} vs {b}");
    }
    assert_eq!(ruled.status, nst_lib::Status::Finished);
    assert!(common::rel_err(ruled.final_loss().unwrap(), accepted[k]) < 1e-9);
    // Out-of-range fractions are refused before any work.
    let mut bad = nst_lib::Config::default();
    for v in [0.0, 1.5, f64::NAN] {
        bad.stop_change = Some(v);
        assert!(bad.validate().is_err(), "stop_change {v} accepted");
    }
}

#[test]
fn a_style_mask_keeps_the_style_out_of_the_black_region() {
    let dir = tempfile::tempdir().unwrap();
    let (c, s) = inputs(dir.path());
    // Style on the left half only.
    let mask = dir.path().join("mask.png");
    RgbImage::from_fn(48, 48, |x, _| if x < 24 { image::Rgb([255, 255, 255]) } else { image::Rgb([0, 0, 0]) })
        .save(&mask)
        .unwrap();
    let run = |mask: Option<std::path::PathBuf>| {
        let st = tiny_st(dir.path(), |cfg| {
            cfg.size = 48;
            cfg.steps = 30;
            cfg.style_mask = mask;
        });
        st.run(&c, &s).unwrap()
    };
    // Mean |change| against the content in the left and the right half.
    let halves = |o: &nst_lib::Outcome| {
        let content = o.content_image.as_ref().unwrap();
        let (mut l, mut r) = (0f64, 0f64);
        for (x, y, p) in o.image.enumerate_pixels() {
            let q = content.get_pixel(x, y);
            let d: f64 = p.0.iter().zip(q.0).map(|(a, b)| (*a as f64 - b as f64).abs() / 255.0).sum();
            if x < 24 {
                l += d
            } else {
                r += d
            }
        }
        (l / (24.0 * 48.0 * 3.0), r / (24.0 * 48.0 * 3.0))
    };
    let (l0, r0) = halves(&run(None));
    let (l1, r1) = halves(&run(Some(mask.clone())));
    eprintln!("mean |change|: no mask left {l0:.3} right {r0:.3}; mask on the left: left {l1:.3} right {r1:.3}");
    assert!(r1 < 0.5 * l1, "the masked-out half changes much less than the styled half");
    assert!(r1 < 0.5 * r0, "and much less than without a mask");
    // Masks need Gram statistics, and some white.
    let black = dir.path().join("black.png");
    RgbImage::new(8, 8).save(&black).unwrap();
    let st = tiny_st(dir.path(), |cfg| cfg.style_mask = Some(black));
    assert!(st.run(&c, &s).unwrap_err().to_string().contains("black everywhere"));
    let st = tiny_st(dir.path(), |cfg| {
        cfg.style_mask = Some(mask);
        cfg.style_stats = nst_lib::style_loss::StyleStats::MeanStd
    });
    assert!(st.run(&c, &s).unwrap_err().to_string().contains("Gram statistics only"));
}

#[test]
fn a_session_stops_changes_the_style_weight_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let content = common::write_image(dir.path(), "photo.png", 40, 32);
    let style = common::write_image(dir.path(), "paint.png", 24, 24);
    let st = tiny_st(dir.path(), |c| {
        c.steps = 12;
        c.save = true;
    });
    let mut session = st.session(content.to_str().unwrap(), style.to_str().unwrap()).unwrap();
    session.run(5).unwrap();
    assert_eq!(session.history().len(), 5);
    let picture_after_5 = session.image().unwrap();
    let style_before = session.loss().unwrap().style;
    // Only a weight changes: the targets stay, the style term scales by exactly the factor.
    let beta = session.config().style_weight;
    session.change(|c| c.style_weight = beta * 10.0).unwrap();
    let style_after = session.loss().unwrap().style;
    assert!((style_after / style_before - 10.0).abs() < 1e-4, "{style_before} -> {style_after}");
    assert!(session.image().unwrap() == picture_after_5, "changing a weight does not touch the picture");
    session.run(7).unwrap();
    let steps: Vec<usize> = session.history().iter().map(|r| r.step).collect();
    assert_eq!(steps, (1..=12).collect::<Vec<_>>(), "one history, numbered on across the change");
    // Other layers: the targets are recomputed, the history goes on.
    session.change(|c| c.style_layers = nst_lib::config::layers(&["relu1_1", "relu2_1"], 1.0)).unwrap();
    assert_eq!(session.loss().unwrap().layers.iter().filter(|(n, _)| n.starts_with("style")).count(), 2);
    assert!(session.change(|c| c.size = 64).is_err(), "the size is fixed for a session");
    session.run(3).unwrap();
    assert_eq!(session.history().len(), 15);
    let mut out = session.finish().unwrap();
    assert_eq!(out.history.len(), 15);
    assert_eq!(out.config.style_weight, beta * 10.0, "the outcome records the settings in force at the end");
    assert!(out.fidelity.content.is_none(), "a tiny network has no relu4_2 to measure with");
    // The files are written once, when the caller saves the finished outcome.
    let results = dir.path().join("results");
    assert!(!results.exists() || std::fs::read_dir(&results).unwrap().count() == 0, "nothing saved while running");
    let files = nst_lib::results::save(&mut out, &results).unwrap();
    assert_eq!(std::fs::read_dir(&results).unwrap().count(), 4);
    let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&files.record).unwrap()).unwrap();
    assert_eq!(record["history"].as_array().unwrap().len(), 15);
}

#[test]
fn one_network_many_pictures() {
    // Load once, then a sweep of six pictures with different strengths from the same network.
    let dir = tempfile::tempdir().unwrap();
    let content = common::write_image(dir.path(), "photo.png", 40, 32);
    let style = common::write_image(dir.path(), "paint.png", 24, 24);
    let st = tiny_st(dir.path(), |c| c.steps = 3);
    let mut styles = vec![];
    for s in [0.0, 0.5, 1.0, 2.0, 4.0, 8.0] {
        let cfg = st.config.clone().with_strength(s);
        let out = st.run_with(&cfg, content.to_str().unwrap(), style.to_str().unwrap()).unwrap();
        assert_eq!(out.history.len(), 3);
        styles.push(out.history[0].loss.style);
    }
    assert_eq!(styles[0], 0.0);
    for w in styles[1..].windows(2) {
        assert!((w[1] / w[0] - 2.0).abs() < 1e-3, "β doubles, so does the first style term: {styles:?}");
    }
    // Settings that describe another network are refused, not silently ignored.
    let other = Config { pooling: nst_lib::vgg::Pooling::Avg, ..st.config.clone() };
    let err = st.run_with(&other, content.to_str().unwrap(), style.to_str().unwrap()).unwrap_err();
    assert!(err.to_string().contains("another network"), "{err}");
}

#[test]
fn a_session_keeps_its_style_mask_when_the_layers_change() {
    let dir = tempfile::tempdir().unwrap();
    let content = common::write_image(dir.path(), "photo.png", 40, 32);
    let style = common::write_image(dir.path(), "paint.png", 24, 24);
    let mask = dir.path().join("mask.png");
    RgbImage::from_fn(40, 32, |x, _| if x < 20 { image::Rgb([0, 0, 0]) } else { image::Rgb([255, 255, 255]) })
        .save(&mask)
        .unwrap();
    let layers = nst_lib::config::layers(&["relu1_1", "relu2_1"], 1.0);
    let masked = |edit: &dyn Fn(&mut Config)| {
        tiny_st(dir.path(), |c| {
            c.style_mask = Some(mask.clone());
            edit(c)
        })
    };
    let (c, s) = (content.to_str().unwrap(), style.to_str().unwrap());
    let st = masked(&|_| {});
    let mut session = st.session(c, s).unwrap();
    session.change(|cfg| cfg.style_layers = layers.clone()).unwrap();
    let changed = session.loss().unwrap().style;
    // The same layers from the start, with the mask: the same loss at the same picture.
    let fresh_st = masked(&|cfg| cfg.style_layers = layers.clone());
    let fresh = fresh_st.session(c, s).unwrap().loss().unwrap().style;
    let unmasked_st = tiny_st(dir.path(), |cfg| cfg.style_layers = layers.clone());
    let unmasked = unmasked_st.session(c, s).unwrap().loss().unwrap().style;
    assert!((changed - fresh).abs() <= 1e-6 * fresh.abs(), "{changed} vs {fresh}");
    assert!((changed - unmasked).abs() > 1e-3 * unmasked.abs(), "the mask still acts: {changed} vs {unmasked}");
}

/// The loss's report adds up: content and style are the sums of their layers' terms and the
/// total is the sum of every part; and the loss names the layers the network must run (each
/// once, in the order first used) and the deepest of them.
#[test]
fn the_reported_parts_add_up_and_name_their_layers() {
    use nst_lib::total_loss::TotalLoss;
    let dir = tempfile::tempdir().unwrap();
    let st = tiny_st(dir.path(), |c| {
        c.content_layers = nst_lib::config::layers(&["conv_4", "relu2_1"], 1.0);
        c.tv_weight = 0.5;
        c.range_weight = 10.0;
        c.half_size_style = 0.5;
    });
    let c = common::seeded_rand(&[1, 3, 32, 32], 1);
    let a = common::seeded_rand(&[1, 3, 32, 32], 2);
    // Pixels outside 0–1, so that the range penalty is not zero.
    let x = ((common::seeded_rand(&[1, 3, 32, 32], 4) * 1.4).unwrap() - 0.2).unwrap();
    let loss = TotalLoss::new(&st.vgg, Some(&c), Some(&a), &st.config).unwrap();
    let p = loss.loss(&x).unwrap();
    let sum = |what: &str| p.layers.iter().filter(|(n, _)| n.starts_with(what)).map(|(_, v)| v).sum::<f64>();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1e-12);
    assert_eq!(p.layers.iter().filter(|(n, _)| n.starts_with("content")).count(), 2, "{:?}", p.layers);
    // The style at half size is part of the style: its terms are named so and added in.
    assert_eq!(p.layers.iter().filter(|(n, _)| n.starts_with("style") && n.ends_with("(half size)")).count(), 3);
    for (part, what) in [(p.content, "content"), (p.style, "style")] {
        assert!(part > 0.0 && close(part, sum(what)), "{what}: {part} vs its layers' sum {}", sum(what));
    }
    assert!(p.tv > 0.0 && p.range > 0.0, "{p:?}");
    assert!(close(p.total, p.content + p.style + p.tv + p.range), "{p:?}");
    let spec = &st.vgg.spec;
    let want: Vec<_> = ["conv_4", "relu2_1", "conv_1", "conv3_1"].iter().map(|l| spec.layer(l).unwrap()).collect();
    assert_eq!(loss.layers(), want.as_slice());
    // conv_4 is conv2_2: conv3_1, the fifth convolution, is the deepest.
    assert_eq!(loss.deepest(), Some(spec.layer("conv3_1").unwrap()));
}

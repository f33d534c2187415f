//! `set_defaults` must reach every copy of the library in the process. evcxr builds each notebook
//! cell as its own library, each with its own statics; what they share is the environment. This
//! file is its own test process, so changing the defaults here touches no other test.

mod common;

use nst_lib::{Config, Preset, DEFAULTS_VAR};

#[test]
fn defaults_travel_through_the_environment_not_a_static() {
    assert_eq!(nst_lib::defaults(), Config::preset(Preset::Balanced));
    let small = Config { size: 256, steps: 150, ..nst_lib::defaults() };
    nst_lib::set_defaults(small.clone());
    assert_eq!(nst_lib::defaults(), small);
    // Another copy of the library (another notebook cell) sees only the environment: a value
    // written there by hand, as that copy would find it, is what `defaults` returns.
    let json = std::env::var(DEFAULTS_VAR).expect("set_defaults writes the environment");
    let other: Config = serde_json::from_str(&json).unwrap();
    assert_eq!(other, small, "every setting survives the round trip");
    std::env::set_var(DEFAULTS_VAR, serde_json::to_string(&Config::preset(Preset::Seed)).unwrap());
    assert_eq!(nst_lib::defaults(), Config::preset(Preset::Seed));
    // A broken value falls back to the balanced preset (with a message on stderr).
    std::env::set_var(DEFAULTS_VAR, "{not json");
    assert_eq!(nst_lib::defaults(), Config::preset(Preset::Balanced));
}

#[test]
fn settings_written_before_a_field_existed_read_with_its_default() {
    // A JSON record from before `style_scale` existed: the style keeps its own size (1).
    let mut json = serde_json::to_value(Config { style_scale: 0.5, ..Config::preset(Preset::Balanced) }).unwrap();
    json.as_object_mut().unwrap().remove("style_scale");
    let old: Config = serde_json::from_value(json).unwrap();
    assert_eq!(old.style_scale, 1.0);
}

#[test]
fn multi_scale_by_ratio_takes_ratios_strictly_between_0_and_1() {
    use nst_lib::config::MultiScale;
    let ms = MultiScale::by_ratio(512, 0.5, vec![10, 20, 30]).unwrap();
    assert_eq!((ms.sizes, ms.steps), (vec![128, 256, 512], vec![10, 20, 30]));
    for ratio in [0.0, 1.0, -0.5, 2.0, f64::NAN] {
        let err = MultiScale::by_ratio(512, ratio, vec![10, 20]).err().map(|e| e.to_string());
        assert!(err.as_deref().is_some_and(|e| e.contains("between 0 and 1")), "ratio {ratio}: {err:?}");
    }
}

#[test]
fn strength_is_read_back_only_from_the_strength_objective() {
    use nst_lib::config::{FeatureScale, BALANCED_CONTENT_WEIGHT, STRENGTH_UNIT};
    use nst_lib::content_loss::ContentNorm;
    use nst_lib::style_loss::StyleNorm;
    use nst_lib::total_variation::TvKind;
    let balanced = Config::preset(Preset::Balanced);
    for s in [0.5, 1.0, 3.0] {
        let got = balanced.clone().with_strength(s).strength().unwrap();
        assert!((got - s).abs() < 1e-12, "with_strength({s}) reads back as {got}");
    }
    // Off the objective in any one of its four parts: no strength to speak of.
    let off = [
        Config { content_norm: ContentNorm::HalfSum, ..balanced.clone() },
        Config { style_norm: StyleNorm::Paper, ..balanced.clone() },
        Config { feature_scale: FeatureScale::Torchvision, ..balanced.clone() },
        Config { tv: TvKind::L1, ..balanced.clone() },
    ];
    for (i, c) in off.iter().enumerate() {
        assert_eq!(c.strength(), None, "part {i} changed");
    }
    for p in [Preset::Seed, Preset::Gatys, Preset::Chollet] {
        assert_eq!(Config::preset(p).strength(), None, "{p:?}");
    }
    // β relative to α: twice the content weight halves the strength; with no content term, β alone.
    let beta = balanced.style_weight;
    let doubled = Config { content_weight: 2.0 * BALANCED_CONTENT_WEIGHT, ..balanced.clone() };
    assert!((doubled.strength().unwrap() - beta / STRENGTH_UNIT / 2.0).abs() < 1e-12);
    let no_content = Config { content_weight: 0.0, ..balanced.clone() };
    assert!((no_content.strength().unwrap() - beta / STRENGTH_UNIT).abs() < 1e-12);
}

#[test]
fn coarse_to_fine_from_0_px_is_one_stage() {
    let c = Config { coarse_to_fine: Some(0), ..Config::preset(Preset::Balanced) };
    assert_eq!(c.stages(), vec![(c.size, c.steps)]);
}

#[test]
fn weights_and_the_stopping_rule_are_checked_at_their_bounds() {
    let ok = |c: Config| c.validate().map_err(|e| e.to_string());
    let base = Config::preset(Preset::Balanced);
    // A layer weight of 0 leaves the layer out: allowed.
    let mut zero = base.clone();
    zero.style_layers[0].weight = 0.0;
    assert!(ok(zero).is_ok());
    // Blend weights: each >= 0 and finite, with a positive sum.
    for (blend, valid) in [
        (vec![0.3, 0.7], true),
        (vec![0.0, 1.0], true),
        (vec![0.0, 0.0], false),
        (vec![-1.0, 2.0], false),
        (vec![f64::NAN, 1.0], false),
        (vec![f64::INFINITY, 1.0], false),
    ] {
        let r = ok(Config { style_blend: blend.clone(), ..base.clone() });
        assert_eq!(r.is_ok(), valid, "blend {blend:?}: {r:?}");
        if !valid {
            assert!(r.unwrap_err().contains("style blend weights"), "blend {blend:?}");
        }
    }
    // The half-size style weight: 0 (off) or more, finite.
    for (w, valid) in [(0.0, true), (0.2, true), (-0.1, false), (f64::NAN, false), (f64::INFINITY, false)] {
        let r = ok(Config { half_size_style: w, ..base.clone() });
        assert_eq!(r.is_ok(), valid, "half_size_style {w}: {r:?}");
        if !valid {
            assert!(r.unwrap_err().contains("half-size style weight must be a finite number >= 0"), "{w}");
        }
    }
    // The stopping rule's change is a fraction strictly between 0 and 1.
    for (eps, valid) in [(0.005, true), (0.999, true), (1.0, false), (0.0, false), (f64::NAN, false)] {
        let r = ok(Config { stop_change: Some(eps), ..base.clone() });
        assert_eq!(r.is_ok(), valid, "stop_change {eps}: {r:?}");
    }
}

#[test]
fn sizes_and_losses_are_checked_at_their_bounds() {
    use nst_lib::Mode;
    let ok = |c: Config| c.validate().map_err(|e| e.to_string());
    let one_stage = Config { coarse_to_fine: None, ..Config::preset(Preset::Balanced) };
    // relu5_1 is four poolings deep: 16 px is the smallest size, 4096 the largest.
    for (size, valid) in [(16, true), (15, false), (4096, true), (4097, false)] {
        assert_eq!(ok(Config { size, ..one_stage.clone() }).is_ok(), valid, "size {size}");
    }
    for (scale, valid) in [(8.0, true), (8.5, false), (0.0, false), (0.25, true)] {
        assert_eq!(ok(Config { style_scale: scale, ..one_stage.clone() }).is_ok(), valid, "style scale {scale}");
    }
    // A weight with no layer to weigh is an error, unless the mode leaves that loss out.
    let no_content = Config { content_layers: vec![], ..one_stage.clone() };
    let err = ok(no_content.clone()).unwrap_err();
    assert!(err.contains("no content layers"), "{err}");
    assert!(ok(Config { content_weight: 0.0, ..no_content.clone() }).is_ok());
    assert!(ok(Config { mode: Mode::Style, ..no_content }).is_ok());
    let no_style = Config { style_layers: vec![], ..one_stage.clone() };
    let err = ok(no_style.clone()).unwrap_err();
    assert!(err.contains("no style layers"), "{err}");
    assert!(ok(Config { style_weight: 0.0, ..no_style.clone() }).is_ok());
    assert!(ok(Config { mode: Mode::Content, ..no_style }).is_ok());
    // Relative style layers: they take effect on style layers of the notebook-normalised Gram
    // objective; elsewhere they are accepted (settings made from the default may change the
    // layers or statistics) and have no effect, which check_relative_layers reports.
    let relative = |l: &str, c: &Config| {
        let c = Config { relative_style_layers: vec![l.into()], ..c.clone() };
        assert!(ok(c.clone()).is_ok(), "validate accepts relative layer {l}");
        c.check_relative_layers().map_err(|e| e.to_string())
    };
    assert!(relative("relu5_1", &one_stage).is_ok());
    let err = relative("relu4_2", &one_stage).unwrap_err();
    assert!(
        err.contains("relu4_2 is not a style layer (they are relu1_1, relu2_1, relu3_1, relu4_1, relu5_1)"),
        "{err}"
    );
    use nst_lib::style_loss::{StyleNorm, StyleStats};
    for c in [
        Config { style_norm: StyleNorm::Paper, ..one_stage.clone() },
        Config { style_norm: StyleNorm::Relative, ..one_stage.clone() },
        Config { style_stats: StyleStats::MeanCov, ..one_stage.clone() },
    ] {
        let err = relative("relu5_1", &c).unwrap_err();
        assert!(err.contains("relative style layers need the notebook normalisation and Gram statistics"), "{err}");
    }
}

/// `f` with NST_QUICK set to `v` (unset for None), and unset again after. Only the test below
/// sets the variable, so no other test of this process can see it change.
fn with_quick<T>(v: Option<&str>, f: impl FnOnce() -> T) -> T {
    match v {
        Some(v) => std::env::set_var("NST_QUICK", v),
        None => std::env::remove_var("NST_QUICK"),
    }
    let out = f();
    std::env::remove_var("NST_QUICK");
    out
}

#[test]
fn quick_mode_shrinks_every_run_a_session_stretch_and_a_channel_picture() {
    use nst_lib::config::MultiScale;
    // On for NST_QUICK set and not "0"; the stages kept, each tiny.
    let staged = Config {
        multiscale: Some(MultiScale { sizes: vec![100, 200, 300], steps: vec![50; 3] }),
        ..Config::preset(Preset::Balanced)
    };
    let quick = |v| {
        let q = with_quick(v, || nst_lib::quick_mode(staged.clone()));
        (q.size, q.steps, q.multiscale.map(|m| (m.sizes, m.steps)))
    };
    let full = (staged.size, staged.steps, Some((vec![100, 200, 300], vec![50; 3])));
    assert_eq!(quick(Some("1")), (64, 8, Some((vec![32, 64, 64], vec![4; 3]))));
    assert_eq!(quick(Some("0")), full);
    assert_eq!(quick(Some("")), full);
    assert_eq!(quick(None), full);
    // The channel pictures (vgg_tour.ipynb) take a size and a step count, not settings: 20 steps
    // at 128 px give what 8 steps at 64 px give without quick mode.
    let dir = tempfile::tempdir().unwrap();
    let weights = common::write_random_vgg(dir.path(), "tiny.safetensors", &common::tiny_spec());
    let nst =
        nst_lib::StyleTransfer::new(Config { weights: Some(weights), ..common::tiny_config(dir.path()) }).unwrap();
    let picture = |v, size, steps| {
        with_quick(v, || nst_lib::excite::channel_picture(&nst.vgg, "relu2_1", 3, size, steps, 0)).unwrap().0
    };
    let shrunk = picture(Some("1"), 128, 20);
    assert_eq!(shrunk.dimensions(), (64, 64));
    assert!(shrunk == picture(None, 64, 8), "8 steps at 64 px");
    assert!(shrunk != picture(None, 64, 9), "a step more changes the picture");
    assert_eq!(picture(None, 128, 2).dimensions(), (128, 128));
    // ... and a session's stretches (`session.run(50)` in the notebooks).
    let (photo, painting) =
        (common::write_image(dir.path(), "photo.png", 32, 32), common::write_image(dir.path(), "painting.png", 16, 48));
    let mut session = nst.session(photo.to_str().unwrap(), painting.to_str().unwrap()).unwrap();
    let mut steps_run = |v| {
        let before = session.history().len();
        with_quick(v, || session.run(12)).unwrap();
        session.history().len() - before
    };
    assert_eq!(steps_run(Some("1")), 8);
    assert_eq!(steps_run(None), 12);
}

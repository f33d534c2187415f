//! `set_defaults` must reach every copy of the library in the process. evcxr builds each notebook
//! cell as its own library, each with its own statics; what they share is the environment. This
//! file is its own test process, so changing the defaults here touches no other test.

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

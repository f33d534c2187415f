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

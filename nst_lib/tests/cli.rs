//! The `nst` command end to end, as a user runs it: the real binary, tiny weights written here.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use nst_lib::vgg::VggSpec;

/// A VGG16-shaped network (5 blocks: 2,2,3,3,3) with narrow layers, so every default layer
/// (relu1_1 … relu5_1, relu4_2) exists and a run takes well under a second per step.
fn narrow_vgg16(dir: &Path) -> PathBuf {
    write_random_vgg(dir, "narrow_vgg16.safetensors", &VggSpec::custom(vec![2, 2, 3, 3, 3], vec![4, 6, 8, 8, 8]))
}

struct Setup {
    dir: tempfile::TempDir,
    weights: PathBuf,
    content: PathBuf,
    style: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let weights = narrow_vgg16(dir.path());
    let content = write_image(dir.path(), "photo.png", 60, 40);
    let style = write_image(dir.path(), "paint.png", 30, 50);
    Setup { dir, weights, content, style }
}

fn nst(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(args)
        // Nothing from the caller's environment decides the weights, and nothing is downloaded.
        .env_remove("NST_WEIGHTS")
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .expect("the nst binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The run's JSON record (the one file ending in .json in `dir`).
fn record(dir: &Path) -> serde_json::Value {
    let jsons: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(jsons.len(), 1, "one record in {}: {jsons:?}", dir.display());
    serde_json::from_str(&std::fs::read_to_string(&jsons[0]).unwrap()).unwrap()
}

#[test]
fn a_default_run_exits_0_writes_every_file_and_says_where() {
    let t = setup();
    let out_dir = t.dir.path().join("results");
    let o = nst(&[
        s(&t.content),
        s(&t.style),
        "--weights",
        s(&t.weights),
        "--size",
        "48",
        "--steps",
        "4",
        "--out-dir",
        s(&out_dir),
        "-q",
    ]);
    let (stdout, stderr) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "exit {:?}\n{stdout}\n{stderr}", o.status);
    assert!(stdout.contains("4 steps in "), "{stdout}");
    assert!(stdout.contains("fidelity: content "), "the closing line: {stdout}");
    let wrote: Vec<PathBuf> = stdout.lines().filter_map(|l| l.strip_prefix("wrote ")).map(PathBuf::from).collect();
    assert_eq!(wrote.len(), 4, "picture, panel, GIF, record: {stdout}");
    for (f, ext) in wrote.iter().zip(["png", "png", "gif", "json"]) {
        assert!(f.starts_with(&out_dir) && f.extension().unwrap() == ext, "{}", f.display());
        assert!(std::fs::metadata(f).unwrap().len() > 0, "{} is empty", f.display());
    }
    let img = image::open(&wrote[0]).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (48, 32), "the default keeps the aspect: 60x40 at 48 px");
    assert!(image::open(&wrote[2]).is_ok(), "the GIF decodes");
    let rec = record(&out_dir);
    assert_eq!(rec["config"]["preset"], "Balanced", "no --preset means balanced");
    assert_eq!(rec["strength"], 1.0);
    assert_eq!(rec["steps"], 4);
    assert_eq!(rec["history"].as_array().unwrap().len(), 4);
    assert!(rec["fidelity"]["content"].as_f64().unwrap() >= 0.0);
}

#[test]
fn flags_reach_the_saved_record() {
    let t = setup();
    let out_dir = t.dir.path().join("r");
    let o = nst(&[
        s(&t.content),
        s(&t.style),
        "--weights",
        s(&t.weights),
        "--preset",
        "gatys",
        "--size",
        "40",
        "--steps",
        "3",
        "--strength",
        "2.5",
        "--tv-weight",
        "0.25",
        "--range-weight",
        "7",
        "--content-layers",
        "relu3_2",
        "--style-layers",
        "relu1_1:2,relu2_1",
        "--seed",
        "9",
        "--init",
        "noise",
        "--pooling",
        "max",
        "--out-dir",
        s(&out_dir),
        "-q",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let rec = record(&out_dir);
    let c = &rec["config"];
    assert_eq!(c["preset"], "Gatys");
    assert_eq!(c["size"], 40);
    assert_eq!(c["steps"], 3);
    assert_eq!(rec["steps"], 3, "the run did as many steps as asked");
    assert_eq!(rec["strength"], 2.5);
    assert_eq!(c["style_weight"], 10.0, "strength 2.5 = β 4·2.5");
    assert_eq!(c["tv_weight"], 0.25);
    assert_eq!(c["range_weight"], 7.0);
    assert_eq!(c["content_layers"], serde_json::json!([{"layer": "relu3_2", "weight": 1.0}]));
    assert_eq!(
        c["style_layers"],
        serde_json::json!([{"layer": "relu1_1", "weight": 2.0}, {"layer": "relu2_1", "weight": 1.0}])
    );
    assert_eq!(c["seed"], 9);
    assert_eq!(c["init"], "Noise");
    assert_eq!(c["pooling"], "Max", "overrides the gatys preset's average pooling");
    assert_eq!(PathBuf::from(c["weights"].as_str().unwrap()), t.weights);
    assert_eq!(PathBuf::from(rec["weights"]["path"].as_str().unwrap()), t.weights);
    let img = image::open(out_dir.join(rec["files"]["image"].as_str().unwrap())).unwrap();
    // 60x40 at 40 px on the longer side is 40x26.7; sides are rounded to a multiple of 4 for
    // relu3_2 (two poolings below it).
    assert_eq!((img.width(), img.height()), (40, 28));
}

#[test]
fn no_save_writes_nothing_and_a_second_run_never_overwrites_the_first() {
    let t = setup();
    let out_dir = t.dir.path().join("out");
    let base = [s(&t.content), s(&t.style), "--weights", s(&t.weights), "--size", "32", "--steps", "2", "-q"];
    let o = nst(&[&base[..], &["--no-save", "--out-dir", s(&out_dir)]].concat());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!out_dir.exists() || std::fs::read_dir(&out_dir).unwrap().next().is_none(), "--no-save wrote files");
    assert!(!text(&o.stdout).contains("wrote "));
    for _ in 0..2 {
        let o = nst(&[&base[..], &["--out-dir", s(&out_dir)]].concat());
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 8, "two runs, four files each");
}

/// Every long option the command has, as documented in the README's CLI section.
const OPTIONS: &[&str] = &[
    "--mode",
    "--preset",
    "--strength",
    "--size",
    "--steps",
    "--content-weight",
    "--style-weight",
    "--tv-weight",
    "--range-weight",
    "--content-layers",
    "--style-layers",
    "--content-norm",
    "--style-norm",
    "--feature-scale",
    "--optimizer",
    "--lr",
    "--history",
    "--stop-change",
    "--init",
    "--seed",
    "--weights",
    "--arch",
    "--flavour",
    "--pooling",
    "--style-blend",
    "--style-scale",
    "--scales",
    "--scale-steps",
    "--style-mask",
    "--style-stats",
    "--device",
    "--original-colors",
    "--kernels",
    "--out-dir",
    "--no-save",
    "--quiet",
    "--preview",
    "--help",
    "--version",
];

#[test]
fn help_lists_and_explains_every_option() {
    let o = nst(&["--help"]);
    assert!(o.status.success());
    let help = text(&o.stdout);
    let options = &help[help.find("\nOptions:").expect("an Options section")..];
    let listed: Vec<&str> = options
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l
                .strip_prefix("-q, ")
                .or_else(|| l.strip_prefix("-h, "))
                .or_else(|| l.strip_prefix("-V, "))
                .unwrap_or(l);
            l.starts_with("--").then(|| l.split([' ', '<']).next().unwrap())
        })
        .collect();
    assert_eq!(listed, OPTIONS, "--help lists exactly these options, in this order");
    // Each option says what it does (a line of text after the flag, or on the next line).
    for opt in OPTIONS {
        let line = options.lines().position(|l| l.split([' ', '<']).any(|w| w == *opt)).unwrap();
        let after_flag =
            options.lines().nth(line).unwrap().trim_start().split_once("  ").map(|x| x.1).unwrap_or("").trim();
        let next = options.lines().nth(line + 1).unwrap_or("").trim();
        assert!(after_flag.len() > 3 || (next.len() > 3 && !next.starts_with('-')), "{opt} is not explained");
    }
    for example in ["starry_night.jpg", "--mode content", "--strength"] {
        assert!(help.contains(example), "the examples show {example}");
    }
    assert!(help.contains("<CONTENT>") && help.contains("<STYLE>"));
}

fn fails_with(args: &[&str], needles: &[&str]) {
    let o = nst(args);
    let err = text(&o.stderr);
    assert!(!o.status.success(), "{args:?} should fail:\n{}", text(&o.stdout));
    assert_ne!(o.status.code(), Some(101), "a panic is not an error message: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: the message should mention {n:?}:\n{err}");
    }
}

#[test]
fn bad_flags_values_and_files_exit_non_zero_with_a_message_that_says_what_to_do() {
    let t = setup();
    let (c, st, w) = (s(&t.content), s(&t.style), s(&t.weights));
    let missing = t.dir.path().join("nope.png");
    fails_with(&[c, st, "--weights", w, "--colour-mode", "x"], &["--colour-mode", "--help"]);
    fails_with(&[c], &["<STYLE>"]);
    fails_with(&[c, st, "--weights", w, "--preset", "fancy"], &["fancy", "balanced", "seed", "gatys", "chollet"]);
    fails_with(&[c, st, "--weights", w, "--mode", "paint"], &["paint", "style_transfer"]);
    fails_with(&[c, st, "--weights", w, "--steps", "many"], &["--steps", "many"]);
    fails_with(&[c, st, "--weights", w, "--strength=-1"], &["strength"]);
    fails_with(&[c, st, "--weights", w, "--strength", "2", "--style-weight", "5"], &["--strength", "--style-weight"]);
    fails_with(&[c, st, "--weights", w, "--scales", "32,64"], &["--scale-steps"]);
    fails_with(&[s(&missing), st, "--weights", w, "--no-save"], &["nope.png"]);
    fails_with(
        &[c, st, "--weights", s(&t.dir.path().join("absent.safetensors")), "--no-save"],
        &["absent.safetensors"],
    );
    fails_with(&[c, st, "--weights", w, "--content-layers", "relu9_9", "--no-save"], &["relu9_9", "relu4_2"]);
    // A text file where a picture should be.
    let not_image = t.dir.path().join("notes.png");
    std::fs::write(&not_image, "not a picture").unwrap();
    fails_with(&[s(&not_image), st, "--weights", w, "--no-save"], &["notes.png"]);
}

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
    // The closing line prints the record's distances; 4 steps from the photo moved it a little.
    let (content, style) = (rec["fidelity"]["content"].as_f64().unwrap(), rec["fidelity"]["style"].as_f64().unwrap());
    assert!(stdout.contains(&format!("fidelity: content {content:.3}, style {style:.4}")), "{stdout}");
    assert!(content > 0.0 && content < 0.5, "4 steps from the photo keep it: content distance {content}");
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
        "--half-size-style",
        "0.3",
        "--content-layers",
        "relu3_2",
        "--style-layers",
        "relu1_1:2,relu2_1",
        "--relative-style-layers",
        "relu2_1",
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
    assert_eq!(c["style_weight"], 250.0, "strength 2.5 = β 100·2.5");
    assert_eq!(c["content_weight"], 8.6, "the strength objective's α");
    assert_eq!(c["feature_scale"], "Caffe", "the strength objective's feature scale, over gatys's layer mean");
    assert_eq!(c["tv_weight"], 0.25);
    assert_eq!(c["range_weight"], 7.0);
    assert_eq!(c["half_size_style"], 0.3);
    assert_eq!(c["relative_style_layers"], serde_json::json!(["relu2_1"]));
    let last = &rec["history"].as_array().unwrap().last().unwrap()["layers"];
    let half: Vec<&str> = last
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l[0].as_str().unwrap())
        .filter(|l| l.ends_with("(half size)"))
        .collect();
    assert_eq!(half, ["style relu1_1 (half size)", "style relu2_1 (half size)"], "the half-size terms ran");
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
    "--half-size-style",
    "--content-layers",
    "--style-layers",
    "--relative-style-layers",
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
    "--coarse-to-fine",
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
    "--live",
    "--live-port",
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
    fails_with(&[c, st, "--weights", w, "--scale-steps", "3,2"], &["--scale-steps needs --scales"]);
    // A relative style layer asked for by name must take effect.
    fails_with(&[c, st, "--weights", w, "--relative-style-layers", "relu4_2"], &["relu4_2 is not a style layer"]);
    fails_with(
        &[c, st, "--weights", w, "--relative-style-layers", "relu5_1", "--style-stats", "mean-cov"],
        &["relative style layers need the notebook normalisation and Gram statistics"],
    );
    fails_with(&[c, st, "--weights", w, "--scales", "16,32,48", "--steps", "2"], &["at least 1 step"]);
    fails_with(
        &[c, st, "--weights", w, "--size", "64", "--coarse-to-fine", "16", "--steps", "2"],
        &["cannot be split"],
    );
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

/// One run of `nst` with `extra` flags after the photo, painting and weights: its record.
/// Its files stay in a folder of their own under the setup's (paths in the record: `file`).
fn run_with(t: &Setup, style: &str, extra: &[&str]) -> (serde_json::Value, String) {
    let out_dir = tempfile::tempdir_in(t.dir.path()).unwrap().keep();
    let base = [s(&t.content), style, "--weights", s(&t.weights), "--size", "32", "-q"];
    let steps: &[&str] = if extra.contains(&"--steps") { &[] } else { &["--steps", "3"] };
    let o = nst(&[&base[..], steps, extra, &["--out-dir", s(&out_dir)]].concat());
    assert!(o.status.success(), "{extra:?}: {}\n{}", text(&o.stdout), text(&o.stderr));
    let mut rec = record(&out_dir);
    for k in ["image", "panel", "gif", "record"] {
        let p = out_dir.join(rec["files"][k].as_str().unwrap());
        rec["files"][k] = serde_json::json!(s(&p));
    }
    (rec, text(&o.stdout))
}

/// Every flag of the command, run once end to end, reaches the run: the saved record holds it,
/// or what the run did shows it (a flag parsed and then dropped fails here).
#[test]
fn every_flag_reaches_the_run() {
    let t = setup();
    let st = s(&t.style);
    let cfg = |extra: &[&str]| run_with(&t, st, extra).0["config"].clone();
    let c =
        cfg(&["--content-weight", "2", "--style-weight", "3", "--content-norm", "halfsum", "--style-norm", "paper"]);
    assert_eq!((c["content_weight"].as_f64(), c["style_weight"].as_f64()), (Some(2.0), Some(3.0)));
    assert_eq!((c["content_norm"].as_str(), c["style_norm"].as_str()), (Some("HalfSum"), Some("Paper")));
    let c = cfg(&["--feature-scale", "caffe"]);
    assert_eq!(c["feature_scale"], "Caffe");
    // The default compares relu5_1 relative to the painting; `none` turns that off.
    assert_eq!(c["relative_style_layers"], serde_json::json!(["relu5_1"]));
    // `none` (or nothing between commas) is no relative layer, so another normalisation is fine.
    let none = cfg(&["--relative-style-layers", "none", "--style-norm", "paper"]);
    assert_eq!(none["relative_style_layers"], serde_json::json!([]));
    assert_eq!(cfg(&["--relative-style-layers", "relu1_1, "])["relative_style_layers"], serde_json::json!(["relu1_1"]));
    let c = cfg(&["--optimizer", "adam", "--lr", "0.07"]);
    assert_eq!(c["optimizer"]["Adam"]["lr"].as_f64(), Some(0.07), "{c}");
    assert!(cfg(&["--optimizer", "sgd"])["optimizer"]["Sgd"].is_object());
    assert_eq!(cfg(&["--history", "7"])["optimizer"]["Lbfgs"]["history_size"], 7);
    // The narrow network is no real VGG16: naming the architecture makes the loader check it.
    assert_eq!(cfg(&["--arch", "auto"])["arch"], "Auto");
    fails_with(
        &[s(&t.content), st, "--weights", s(&t.weights), "--arch", "vgg16", "--no-save"],
        &["expected [64", "--arch auto"],
    );
    let (rec, _) = run_with(&t, st, &["--flavour", "caffe"]);
    assert_eq!((rec["config"]["flavour"].as_str(), rec["weights"]["flavour"].as_str()), (Some("Caffe"), Some("Caffe")));
    assert_eq!(cfg(&["--style-scale", "0.5"])["style_scale"].as_f64(), Some(0.5));
    assert_eq!(cfg(&["--style-stats", "mean-std"])["style_stats"], "MeanStd");
    assert_eq!(cfg(&["--device", "cpu"])["device"], "Cpu");
    assert_eq!(cfg(&["--original-colors", "luminance"])["original_colours"], "Luminance");
    assert_eq!(cfg(&["--kernels", "reference"])["kernels"], "Reference");
    let mask = write_image(t.dir.path(), "mask.png", 60, 40);
    assert_eq!(PathBuf::from(cfg(&["--style-mask", s(&mask)])["style_mask"].as_str().unwrap()), mask);
    // Two paintings blended 1:3.
    let second = write_image(t.dir.path(), "other.png", 40, 40);
    let both = format!("{st},{}", s(&second));
    assert_eq!(
        run_with(&t, &both, &["--style-blend", "1,3"]).0["config"]["style_blend"],
        serde_json::json!([1.0, 3.0])
    );
    // Coarse to fine: both stages run, and the picture has the last stage's size.
    let (rec, _) = run_with(&t, st, &["--scales", "16,48", "--scale-steps", "2,3"]);
    assert_eq!(rec["steps"], 5, "2 + 3 steps");
    let img = image::open(Path::new(rec["files"]["image"].as_str().unwrap())).unwrap();
    assert_eq!(img.width(), 48, "the last stage's size");
    // Without --scale-steps the steps split equally; by rule, 16 px doubled up to --size.
    let (rec, _) = run_with(&t, st, &["--scales", "16,48", "--steps", "5"]);
    assert_eq!(rec["config"]["multiscale"]["steps"], serde_json::json!([2, 3]));
    let (rec, _) = run_with(&t, st, &["--coarse-to-fine", "16", "--steps", "4"]);
    assert_eq!(rec["config"]["coarse_to_fine"], 16);
    assert_eq!(rec["steps"], 4, "2 steps at 16 px, 2 at 32 px");
    // A stopping rule that any run meets ends it long before its 40 steps.
    let (rec, _) = run_with(&t, st, &["--steps", "40", "--stop-change", "0.9"]);
    assert_eq!(rec["config"]["stop_change"].as_f64(), Some(0.9));
    assert!(rec["steps"].as_u64().unwrap() < 40, "the rule stopped the run: {} steps", rec["steps"]);
    // Progress lines with a preview.
    let (_, stdout) = run_with(&t, st, &["--preview"]);
    assert!(stdout.lines().filter(|l| l.contains("step")).count() >= 3, "{stdout}");
    let o = nst(&["--version"]);
    assert_eq!(text(&o.stdout).trim(), format!("nst {}", env!("CARGO_PKG_VERSION")));
    // The modes: a reconstruction from noise with one loss.
    let (rec, _) = run_with(&t, st, &["--mode", "content"]);
    assert_eq!((rec["config"]["mode"].as_str(), rec["config"]["init"].as_str()), (Some("Content"), Some("Noise")));
    assert_eq!(rec["config"]["style_weight"].as_f64(), Some(0.0));
}

/// Flags move the picture the way they say: more strength paints more style, and the panel shows
/// the photo, the painting and the output, in that order.
#[test]
fn strength_moves_the_picture_and_the_panel_shows_photo_painting_output() {
    let t = setup();
    let st = s(&t.style);
    let style_distance = |strength: &str| {
        let (rec, _) = run_with(&t, st, &["--steps", "12", "--strength", strength]);
        (rec["fidelity"]["content"].as_f64().unwrap(), rec["fidelity"]["style"].as_f64().unwrap())
    };
    // The strength objective's losses are raw (as PyTorch's): on this narrow random network the
    // style term starts ~1e5x the content's at strength 1, so the balance tips near 2e-5.
    let (c_low, s_low) = style_distance("0.000001");
    let (c_high, s_high) = style_distance("0.001");
    assert!(s_high < s_low, "strength 1e-3 paints more style: style distance {s_high} vs {s_low} at 1e-6");
    assert!(c_high > c_low, "... and keeps less of the photo: content distance {c_high} vs {c_low}");
    // From noise, so the output differs from the photo everywhere.
    let (rec, _) = run_with(&t, st, &["--init", "noise"]);
    let open = |k: &str| image::open(Path::new(rec["files"][k].as_str().unwrap())).unwrap().to_rgb8();
    let (panel, output) = (open("panel"), open("image"));
    let (w, h) = output.dimensions();
    let gap = 8;
    assert_eq!(panel.height(), h + 2 * gap);
    let tile = |x0: u32, w: u32| image::imageops::crop_imm(&panel, x0, gap, w, h).to_image();
    let mean_diff = |a: &image::RgbImage, b: &image::RgbImage| {
        a.pixels()
            .zip(b.pixels())
            .map(|(p, q)| (0..3).map(|i| (p[i] as f64 - q[i] as f64).abs()).sum::<f64>())
            .sum::<f64>()
            / (3 * a.width() * a.height()) as f64
    };
    let fit = |p: &Path, w: u32| {
        image::imageops::resize(&image::open(p).unwrap().to_rgb8(), w, h, image::imageops::FilterType::Triangle)
    };
    // The photo (60x40) works at the output's size; the painting (30x50) at 16x32 (sides are
    // multiples of 16 for relu5_1), shown at the output's height.
    assert_eq!((w, h), (32, 16));
    let photo_w = w;
    let paint_w = 8;
    assert_eq!(panel.width(), photo_w + paint_w + w + 4 * gap, "three tiles and four gaps");
    let x_out = gap + photo_w + gap + paint_w + gap;
    let (first, second, last) = (tile(gap, photo_w), tile(2 * gap + photo_w, paint_w), tile(x_out, w));
    assert!(mean_diff(&last, &output) < 1.0, "the last tile is the output");
    assert!(mean_diff(&first, &fit(&t.content, photo_w)) < 12.0, "the first tile is the photo");
    assert!(mean_diff(&second, &fit(&t.style, paint_w)) < 12.0, "the middle tile is the painting");
    assert!(mean_diff(&last, &first) > 20.0, "the output (from noise) is not the photo");
}

/// `--live` serves the picture while the run forms it (`/frame.png` changes) and changes nothing
/// in the result.
#[test]
fn live_serves_the_picture_while_it_forms_and_changes_nothing() {
    use std::io::{BufRead, Read, Write};
    let t = setup();
    let out_dir = tempfile::tempdir_in(t.dir.path()).unwrap().keep();
    let args = [
        s(&t.content),
        s(&t.style),
        "--weights",
        s(&t.weights),
        "--size",
        "96",
        "--steps",
        "600",
        "--stop-change",
        "0",
        "-q",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(args)
        .args(["--live-port", "0", "--out-dir", s(&out_dir)])
        .env_remove("NST_WEIGHTS")
        .env("HF_HUB_OFFLINE", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("nst: live view at ").unwrap_or_else(|| panic!("the URL first: {line}"));
    let port: u16 = url.trim_end_matches('/').rsplit(':').next().unwrap().parse().unwrap();
    let get = |path: &str| -> Option<(String, Vec<u8>)> {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(c, "GET {path} HTTP/1.1\r\n\r\n").ok()?;
        let mut all = vec![];
        c.read_to_end(&mut all).ok()?;
        let split = all.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        Some((String::from_utf8_lossy(&all[..split]).into_owned(), all[split..].to_vec()))
    };
    let page = get("/").expect("the page is served while the run loads and runs");
    assert!(page.0.starts_with("HTTP/1.1 200") && String::from_utf8_lossy(&page.1).contains("frame.png"));
    let mut frames: Vec<Vec<u8>> = vec![];
    while child.try_wait().unwrap().is_none() {
        if let Some((head, body)) = get("/frame.png") {
            if head.starts_with("HTTP/1.1 200") && frames.last() != Some(&body) {
                frames.push(body);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(40));
    }
    assert!(child.wait().unwrap().success());
    eprintln!("{} pictures seen", frames.len());
    assert!(frames.len() >= 2, "/frame.png changed while the run ran: {} pictures seen", frames.len());
    // The same run without the view: the same steps, bit for bit.
    let live = record(&out_dir);
    let plain_dir = tempfile::tempdir_in(t.dir.path()).unwrap().keep();
    let o = nst(&[&args[..], &["--out-dir", s(&plain_dir)]].concat());
    assert!(o.status.success(), "{}", text(&o.stderr));
    let plain = record(&plain_dir);
    let losses = |r: &serde_json::Value| -> Vec<(f64, bool)> {
        let h = r["history"].as_array().unwrap();
        h.iter().map(|h| (h["total"].as_f64().unwrap(), h["accepted"].as_bool().unwrap())).collect()
    };
    assert_eq!(losses(&live), losses(&plain), "the view changes nothing");
}

//! Nothing silently wrong, nothing lost: cut-short pictures, files that are not a VGG, runs
//! that are stopped, result files written by two runs at once.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use common::*;
use nst_lib::image_io::load_rgb;
use nst_lib::outcome::StopFlag;
use nst_lib::vgg::{LoadOptions, Vgg};
use nst_lib::{Config, NstError, Status};

/// A detailed picture (noise on a gradient), so its JPEG is large enough to cut.
fn busy_image(w: u32, h: u32) -> image::RgbImage {
    let mut state = 12345u32;
    image::RgbImage::from_fn(w, h, |x, y| {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let n = (state >> 24) as u8 / 4;
        image::Rgb([(x * 150 / w) as u8 + n, (y * 150 / h) as u8 + n, 128 + n])
    })
}

fn encode(img: &image::RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, format).unwrap();
    buf.into_inner()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn truncated(err: &NstError, path: &Path, format: &str) {
    assert!(matches!(err, NstError::ImageTruncated { format: f, .. } if *f == format), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "names the file: {msg}");
    assert!(msg.contains("download or export it again"), "says what to do: {msg}");
}

#[test]
fn cut_short_jpeg_and_png_are_errors_that_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let img = busy_image(96, 64);
    let jpeg = encode(&img, image::ImageFormat::Jpeg);
    let png = encode(&img, image::ImageFormat::Png);
    assert!(jpeg.len() > 2000 && png.len() > 2000, "{} {}", jpeg.len(), png.len());

    // Intact files load, and so does a JPEG with bytes after its end marker (some cameras add them).
    assert_eq!(load_rgb(&write(dir.path(), "ok.jpg", &jpeg)).unwrap().dimensions(), (96, 64));
    assert_eq!(load_rgb(&write(dir.path(), "ok.png", &png)).unwrap().dimensions(), (96, 64));
    let trailing = [&jpeg[..], b"trailing bytes"].concat();
    assert!(load_rgb(&write(dir.path(), "trailing.jpg", &trailing)).is_ok());

    // The last few hundred bytes missing: the image crate would decode these without a word.
    for cut in [2, 300, jpeg.len() / 2] {
        let p = write(dir.path(), &format!("cut{cut}.jpg"), &jpeg[..jpeg.len() - cut]);
        truncated(&load_rgb(&p).unwrap_err(), &p, "JPEG");
    }
    // PNG: no IEND, and a data chunk cut in the middle.
    let no_iend = write(dir.path(), "no_iend.png", &png[..png.len() - 12]);
    let err = load_rgb(&no_iend).unwrap_err();
    truncated(&err, &no_iend, "PNG");
    assert!(err.to_string().contains("without the IEND chunk"), "{err}");
    let short_idat = write(dir.path(), "short_idat.png", &png[..png.len() / 2]);
    let err = load_rgb(&short_idat).unwrap_err();
    truncated(&err, &short_idat, "PNG");
    assert!(err.to_string().contains("inside a chunk (IDAT), with "), "says how much is there: {err}");
}

#[test]
fn a_cut_short_picture_is_found_before_the_weights_are_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = encode(&busy_image(64, 64), image::ImageFormat::Jpeg);
    let cut = write(dir.path(), "photo.jpg", &jpeg[..jpeg.len() - 300]);
    let style = write_image(dir.path(), "paint.png", 32, 32);
    let cfg = Config { weights: Some(dir.path().join("absent.safetensors")), ..tiny_config(dir.path()) };
    for (c, s) in [(&cut, &style), (&style, &cut)] {
        let err = nst_lib::run(c.to_str().unwrap(), s.to_str().unwrap(), &cfg).unwrap_err();
        assert!(matches!(err, NstError::ImageTruncated { .. }), "as content and as style: {err}");
    }
    // A picture over the pixel limit is refused from its header alone (never decoded).
    let big = write(dir.path(), "big.png", &png_header_only(11_000, 10_000));
    let err = nst_lib::run(big.to_str().unwrap(), style.to_str().unwrap(), &cfg).unwrap_err();
    assert!(matches!(err, NstError::ImageTooLarge { width: 11_000, height: 10_000, .. }), "{err}");
    assert!(err.to_string().contains("100000000 pixels in all"), "{err}");
    // A file over the size limit is refused before it is read (a sparse file: no disk used).
    let huge = dir.path().join("huge.jpg");
    std::fs::File::create(&huge).unwrap().set_len(600 << 20).unwrap();
    let err = nst_lib::run(huge.to_str().unwrap(), style.to_str().unwrap(), &cfg).unwrap_err();
    assert!(err.to_string().contains("the file is 600 MiB; the limit is 512 MiB"), "{err}");
    // One of exactly the limit is read (512 MiB of zeros, sparse) and refused for what it holds.
    let at_limit = dir.path().join("at_limit.jpg");
    std::fs::File::create(&at_limit).unwrap().set_len(nst_lib::image_io::MAX_INPUT_BYTES).unwrap();
    let err = nst_lib::image_io::check_file(&at_limit).unwrap_err();
    assert!(matches!(err, NstError::ImageDecode { .. }) && !err.to_string().contains("the limit"), "{err}");
}

#[test]
fn the_size_limits_take_a_picture_at_the_limit_and_refuse_one_past_it() {
    use nst_lib::image_io::{check_file, MAX_INPUT_PIXELS, MAX_INPUT_SIDE};
    let dir = tempfile::tempdir().unwrap();
    let side = MAX_INPUT_SIDE;
    // 10 000 × 10 000 is the pixel limit exactly.
    assert_eq!(MAX_INPUT_PIXELS, 10_000 * 10_000);
    for (w, h, ok) in [
        (side, 1, true),
        (1, side, true),
        (side + 1, 1, false),
        (1, side + 1, false),
        (10_000, 10_000, true),
        (10_000, 10_001, false),
    ] {
        let path = write(dir.path(), &format!("{w}x{h}.png"), &png_header_only(w, h));
        match check_file(&path) {
            Ok(dims) => assert!(ok && dims == (w, h), "{w}x{h} accepted as {dims:?}"),
            Err(e) => assert!(!ok && matches!(e, NstError::ImageTooLarge { .. }), "{w}x{h}: {e}"),
        }
    }
    // No side may be 0. GIF's decoder takes a screen of 0 × 5 (TIFF's and BMP's refuse it themselves).
    for (w, h) in [(0, 5), (5, 0)] {
        let path = write(dir.path(), &format!("{w}x{h}.gif"), &gif_screen(w, h));
        let err = check_file(&path).unwrap_err();
        assert!(err.to_string().contains(&format!("the picture is {w}x{h} pixels")), "{err}");
    }
}

/// A big 16-bit picture loads: 13.2 megapixels of RGBA16 take 106 MB to decode, more than 100 MB
/// (the decoder's allocation limit is 8 bytes for each of the 100 000 000 pixels allowed).
#[test]
fn a_big_16_bit_picture_loads() {
    use image::ImageEncoder;
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (4000, 3300);
    let img = image::ImageBuffer::<image::Rgba<u16>, _>::from_pixel(w, h, image::Rgba([65535, 32768, 0, 65535]));
    let path = dir.path().join("big16.png");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    image::codecs::png::PngEncoder::new_with_quality(
        &mut file,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(
        img.as_raw().iter().flat_map(|v| v.to_ne_bytes()).collect::<Vec<u8>>().as_slice(),
        w,
        h,
        image::ExtendedColorType::Rgba16,
    )
    .unwrap();
    drop(file);
    let rgb = nst_lib::image_io::load_rgb(&path).unwrap();
    assert_eq!(rgb.dimensions(), (w, h));
    assert_eq!(rgb.get_pixel(w - 1, h - 1).0, [255, 128, 0]);
}

/// A whole GIF with a `w` × `h` screen: a two-colour table, one 1 × 1 frame, the trailer.
fn gif_screen(w: u16, h: u16) -> Vec<u8> {
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&w.to_le_bytes());
    gif.extend_from_slice(&h.to_le_bytes());
    gif.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
    gif.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
    gif.extend_from_slice(&[0x02, 0x02, 0x44, 0x01, 0x00, 0x3B]);
    gif
}

/// A complete PNG (signature, IHDR, an empty IDAT, IEND) claiming `w`x`h` pixels.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in bytes {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let body = [kind, data].concat();
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let ihdr = [&w.to_be_bytes()[..], &h.to_be_bytes(), &[8, 2, 0, 0, 0]].concat();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &[]);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn a_file_that_is_not_a_vgg_says_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    // One convolution with 32 filters, named like VGG's first.
    let mut t = HashMap::new();
    t.insert("features.0.weight".to_string(), Tensor::zeros((32, 3, 3, 3), DType::F32, &Device::Cpu).unwrap());
    t.insert("features.0.bias".to_string(), Tensor::zeros(32, DType::F32, &Device::Cpu).unwrap());
    let p = dir.path().join("one_conv.safetensors");
    candle_core::safetensors::save(&t, &p).unwrap();
    for err in [Vgg::load(&p, &LoadOptions::default(), &Device::Cpu).unwrap_err(), Vgg::inspect(&p).unwrap_err()] {
        assert!(matches!(err, NstError::NotVgg { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("not a VGG16/VGG19 feature extractor"), "{msg}");
        assert!(msg.contains("1 convolution with 32 filters"), "{msg}");
        assert!(msg.contains("NST_WEIGHTS"), "says how to get the right file: {msg}");
    }
    // A "convolution" that is not 4-d (a crafted file) is an error, not a panic.
    let mut t = HashMap::new();
    t.insert("features.0.weight".to_string(), Tensor::zeros((), DType::F32, &Device::Cpu).unwrap());
    let flat = dir.path().join("flat.safetensors");
    candle_core::safetensors::save(&t, &flat).unwrap();
    let err = Vgg::load(&flat, &LoadOptions::default(), &Device::Cpu).unwrap_err();
    assert!(err.to_string().contains("of shape [], not a 4-d convolution kernel"), "{err}");
    // A narrow VGG-shaped stack without the test-network mark is refused too ...
    let spec = tiny_spec();
    let narrow = write_random_vgg(dir.path(), "narrow.safetensors", &spec);
    let tensors = candle_core::safetensors::load(&narrow, &Device::Cpu).unwrap();
    let unmarked = dir.path().join("unmarked.safetensors");
    candle_core::safetensors::save(&tensors, &unmarked).unwrap();
    let err = Vgg::load(&unmarked, &LoadOptions::default(), &Device::Cpu).unwrap_err();
    assert!(err.to_string().contains("7 convolutions in 3 block(s) of [2, 2, 3] with [4, 6, 8] filters"), "{err}");
    // ... and loads with it (what `write_random_weights` writes for tests and experiments).
    assert_eq!(Vgg::load(&narrow, &LoadOptions::default(), &Device::Cpu).unwrap().spec.blocks, vec![2, 2, 3]);
}

/// Weights files are written beside their name and renamed over it (safetensors is built without
/// its own file writer: nst_lib/Cargo.toml), by `write_random_weights` and by candle's `save`
/// (the vendored copy's `save_file`): a rewrite leaves exactly the new weights, a reader that
/// mapped the old file still reads the old ones, and no temporary file is left, also when the
/// rename fails (the name is a folder) or the folder does not exist (an error naming the file).
#[test]
fn weights_files_are_replaced_whole_and_leave_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let spec = tiny_spec();
    let (path, fresh) = (dir.path().join("w.safetensors"), dir.path().join("fresh.safetensors"));
    nst_lib::vgg::write_random_weights(&spec, &path, 1).unwrap();
    // By value: the header's metadata (a hash map) is written in no fixed order.
    let values = |p: &Path| -> Vec<(String, Vec<f32>)> {
        let mut t: Vec<_> = candle_core::safetensors::load(p, &Device::Cpu).unwrap().into_iter().collect();
        t.sort_by(|a, b| a.0.cmp(&b.0));
        t.into_iter().map(|(k, v)| (k, v.flatten_all().unwrap().to_vec1().unwrap())).collect()
    };
    let first = values(&path);
    let mapped = unsafe { candle_core::safetensors::MmapedSafetensors::new(&path) }.unwrap();
    nst_lib::vgg::write_random_weights(&spec, &path, 2).unwrap();
    nst_lib::vgg::write_random_weights(&spec, &fresh, 2).unwrap();
    assert_ne!(first, values(&path), "the seed changes the weights");
    assert_eq!(values(&path), values(&fresh), "the rewrite holds exactly the new weights");
    let (name, old) = &first[0];
    let still = mapped.load(name, &Device::Cpu).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(&still, old, "the mapped old file is not written over");
    let t = HashMap::from([("x".to_string(), Tensor::new(&[1f32, 2., 3.], &Device::Cpu).unwrap())]);
    candle_core::safetensors::save(&t, &path).unwrap();
    let back = candle_core::safetensors::load(&path, &Device::Cpu).unwrap();
    assert_eq!(back["x"].to_vec1::<f32>().unwrap(), vec![1., 2., 3.]);
    let folder = dir.path().join("a folder");
    std::fs::create_dir(&folder).unwrap();
    assert!(nst_lib::vgg::write_random_weights(&spec, &folder, 1).is_err(), "cannot rename over a folder");
    assert!(candle_core::safetensors::save(&t, &folder).is_err());
    let missing = dir.path().join("no such folder").join("w.safetensors");
    let err = nst_lib::vgg::write_random_weights(&spec, &missing, 1).unwrap_err();
    assert!(err.to_string().contains(&missing.display().to_string()), "{err}");
    assert!(candle_core::safetensors::save(&t, &missing).is_err());
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["a folder", "fresh.safetensors", "w.safetensors"], "no temporary file is left");
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 0);
}

#[test]
fn a_safetensors_header_over_the_limit_is_refused_before_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge_header.safetensors");
    let mut bytes = (200_000_000u64).to_le_bytes().to_vec();
    bytes.extend(b"{}");
    std::fs::write(&p, bytes).unwrap();
    let err = Vgg::load(&p, &LoadOptions::default(), &Device::Cpu).unwrap_err();
    assert!(err.to_string().contains("header would be 200000000 bytes; the limit is 100000000"), "{err}");
}

struct Tiny {
    dir: tempfile::TempDir,
    cfg: Config,
    content: String,
    style: String,
}

fn tiny() -> Tiny {
    let dir = tempfile::tempdir().unwrap();
    let weights = write_random_vgg(dir.path(), "tiny.safetensors", &tiny_spec());
    let content = write_image(dir.path(), "photo.png", 40, 30).display().to_string();
    let style = write_image(dir.path(), "paint.png", 20, 36).display().to_string();
    let cfg = Config { weights: Some(weights), steps: 10, ..tiny_config(dir.path()) };
    Tiny { dir, cfg, content, style }
}

#[test]
fn a_stopped_run_keeps_its_picture_under_its_own_name() {
    let t = tiny();
    let results = t.dir.path().join("results");
    let in_progress = results.join("photo_paint_in_progress.png");
    let stop = StopFlag::new();
    let mut at_stop = None;
    let mut seen_in_progress = false;
    let out = nst_lib::run_until(
        &t.content,
        &t.style,
        &t.cfg,
        &mut |p| {
            // Autosaved every tenth of the run, before the callback sees the step.
            seen_in_progress |= in_progress.is_file();
            if p.report.step == 4 {
                at_stop = Some(nst_lib::image_io::to_image(p.image).unwrap());
                stop.request();
            }
        },
        &stop,
    )
    .unwrap();
    assert_eq!(out.status, Status::Stopped { step: 4 });
    assert_eq!(out.history.len(), 4, "no step after the request");
    assert_eq!(&out.image, at_stop.as_ref().unwrap(), "the picture of the last step done");
    assert!(seen_in_progress, "the picture in progress was on disk during the run");
    assert!(!in_progress.exists(), "and is removed once the result files are saved");
    let saved = out.saved.clone().unwrap();
    assert!(saved.image.ends_with("photo_paint_stopped.png"), "{:?}", saved.image);
    assert_eq!(image::open(&saved.image).unwrap().to_rgb8(), out.image);
    let err = out.check().unwrap_err();
    assert!(matches!(err, NstError::Interrupted { step: 4, .. }), "{err}");
    assert!(err.to_string().contains("photo_paint_stopped.png"), "{err}");
}

#[test]
fn two_runs_saving_the_same_names_at_once_both_keep_their_results() {
    let t = tiny();
    let results = t.dir.path().join("results");
    let cfg = Config { save: false, steps: 2, ..t.cfg.clone() };
    let a = nst_lib::run(&t.content, &t.style, &cfg).unwrap();
    // A different picture, so a lost or overwritten file would show.
    let b = nst_lib::run(&t.content, &t.style, &Config { seed: 5, init: nst_lib::Init::Noise, ..cfg }).unwrap();
    assert_ne!(a.image, b.image);
    for round in 0..20 {
        let dir = results.join(format!("round{round}"));
        let barrier = std::sync::Barrier::new(2);
        let save = |o: &nst_lib::Outcome| {
            let mut o = o.clone();
            barrier.wait();
            nst_lib::results::save(&mut o, &dir).unwrap()
        };
        let (sa, sb) = std::thread::scope(|s| {
            let ha = s.spawn(|| save(&a));
            let hb = s.spawn(|| save(&b));
            (ha.join().unwrap(), hb.join().unwrap())
        });
        assert_ne!(sa.image, sb.image, "round {round}: both got their own names");
        for (files, o) in [(&sa, &a), (&sb, &b)] {
            assert_eq!(image::open(&files.image).unwrap().to_rgb8(), o.image, "round {round}");
            let rec: serde_json::Value = serde_json::from_slice(&std::fs::read(&files.record).unwrap()).unwrap();
            assert_eq!(
                PathBuf::from(rec["files"]["image"].as_str().unwrap()),
                files.image,
                "the record names its own picture"
            );
            for f in files.all() {
                assert!(std::fs::metadata(f).unwrap().len() > 0, "{f:?}");
            }
        }
        let names: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names.len(), 8, "round {round}: eight files and no temporary ones left: {names:?}");
    }
}

/// The CLI on Ctrl-C: finishes the step, saves `*_stopped.*`, says where, exits 130.
#[cfg(unix)]
#[test]
fn cli_interrupt_saves_the_picture_and_exits_non_zero() {
    let t = tiny();
    let out_dir = t.dir.path().join("cli");
    let weights = t.cfg.weights.clone().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_nst"))
        .args([&t.content, &t.style, "--weights", weights.to_str().unwrap(), "--size", "32", "--steps", "1000000"])
        .args(["--preset", "seed", "--content-layers", "conv_4", "--style-layers", "conv_1,relu2_1"])
        // Adam never stops early (L-BFGS converges on a tiny network within seconds).
        .args(["--optimizer", "adam"])
        .args(["--out-dir", out_dir.to_str().unwrap(), "-q"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it is optimising (its first autosave is at a tenth of a million steps, so
    // wait on time: loading a tiny network takes well under a second).
    std::thread::sleep(std::time::Duration::from_secs(3));
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted: finishing this step"), "{stderr}");
    let image = out_dir.join("photo_paint_stopped.png");
    assert!(stderr.contains(&image.display().to_string()), "says where the picture is: {stderr}");
    assert!(image::open(&image).is_ok());
    let rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("photo_paint_stopped.json")).unwrap()).unwrap();
    assert!(rec["steps"].as_u64().unwrap() > 0 && rec["steps"].as_u64().unwrap() < 1_000_000, "{}", rec["steps"]);
    assert!(!out_dir.join("photo_paint_in_progress.png").exists());
}

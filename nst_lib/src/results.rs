//! Result files: `<content>_<style>.png` (the image), `_panel.png` (content | style | output),
//! `.gif` (the optimisation) and `.json` (settings, weights and their sha256, losses, time).
//! Nothing is overwritten: a second run gets `<content>_<style>-2.*`, and so on. Each file is
//! written under a temporary name in the same folder and then linked to its final name, so a
//! crash or a full disk never leaves a half-written file under a result's name, and two runs
//! that finish at the same moment each get their own names.

use std::path::Path;

use image::{codecs::gif::GifEncoder, Delay, Frame, Rgb, RgbImage};

use crate::error::{NstError, Result};
use crate::image_io::png_bytes;
use crate::outcome::{Outcome, SavedFiles};
use crate::paths::{replace_file, write_temp};

/// Suffixes tried before giving up: a folder with this many results of one pair needs tidying
/// (and a search that cannot end is an error, not a hang).
const MAX_SUFFIX: usize = 10_000;

/// The first free set of names `base`, `base-2`, `base-3`, ... in `dir`.
pub fn free_names(dir: &Path, base: &str) -> Result<SavedFiles> {
    Ok(free_names_from(dir, base, 1)?.1)
}

/// [`free_names`] from suffix `from`; also returns the suffix found.
fn free_names_from(dir: &Path, base: &str, from: usize) -> Result<(usize, SavedFiles)> {
    (from..=MAX_SUFFIX)
        .map(|i| (i, if i == 1 { base.to_string() } else { format!("{base}-{i}") }))
        .map(|(i, stem)| (i, SavedFiles::for_stem(dir, &stem)))
        .find(|(_, f)| f.all().iter().all(|p| !p.exists()))
        .ok_or_else(|| NstError::WouldOverwrite(dir.join(format!("{base}-{MAX_SUFFIX}.png"))))
}

/// Give `tmp` the name `path` only if `path` does not exist (the OS checks, so of two writers
/// exactly one wins); `tmp` is gone afterwards either way. `Ok(false)`: the name was taken.
fn publish(tmp: &Path, path: &Path) -> Result<bool> {
    publish_by(tmp, path, |a, b| std::fs::hard_link(a, b))
}

/// [`publish`] with the linking step given, so that the path for file systems without hard links
/// can be tested on one that has them.
fn publish_by(tmp: &Path, path: &Path, link: impl Fn(&Path, &Path) -> std::io::Result<()>) -> Result<bool> {
    let result = match link(tmp, path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        // A file system without hard links: claim the name, then replace the empty claim.
        Err(_) => match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(_) => std::fs::rename(tmp, path).map(|_| true).map_err(|e| NstError::io(path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(NstError::io(path, e)),
        },
    };
    let _ = std::fs::remove_file(tmp);
    result
}

/// Write a whole file under a name that must not exist yet.
fn create_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = write_temp(path, bytes)?;
    if publish(&tmp, path)? {
        Ok(())
    } else {
        Err(NstError::WouldOverwrite(path.into()))
    }
}

/// The picture of a run in progress, rewritten every few steps at `<stem>_in_progress.png`, so
/// that a run killed from outside (a notebook's interrupt ends the kernel's process) still leaves
/// its latest picture. Removed when the run's own result files are saved.
pub struct Autosave {
    pub path: std::path::PathBuf,
}

impl Autosave {
    pub fn new(dir: &Path, content_name: &str, style_name: &str) -> Self {
        Self { path: dir.join(format!("{content_name}_{style_name}_in_progress.png")) }
    }

    /// Replace the file with `img` (atomically: a reader never sees half a picture).
    pub fn write(&self, img: &RgbImage) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| NstError::io(dir, e))?;
        }
        replace_file(&self.path, &png_bytes(img)?)
    }

    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Images side by side on white, scaled to a common height, with a gap between them.
pub fn side_by_side(images: &[&RgbImage], height: u32) -> RgbImage {
    let gap = 8;
    let scaled: Vec<RgbImage> = images
        .iter()
        .map(|im| {
            let w = ((im.width() as f64 * height as f64 / im.height() as f64).round() as u32).max(1);
            image::imageops::resize(*im, w, height, image::imageops::FilterType::CatmullRom)
        })
        .collect();
    let width = scaled.iter().map(|i| i.width()).sum::<u32>() + gap * (scaled.len() as u32 + 1);
    let mut panel = RgbImage::from_pixel(width, height + 2 * gap, Rgb([255, 255, 255]));
    let mut x = gap;
    for im in &scaled {
        image::imageops::overlay(&mut panel, im, x as i64, gap as i64);
        x += im.width() + gap;
    }
    panel
}

/// The content | style | output panel (inputs that were noise are left out).
pub fn panel(outcome: &Outcome) -> RgbImage {
    let mut row: Vec<&RgbImage> = vec![];
    row.extend(outcome.content_image.as_ref());
    row.extend(outcome.style_image.as_ref());
    row.push(&outcome.image);
    side_by_side(&row, outcome.image.height().min(512))
}

/// `img` shrunk, aspect kept, so that its longer side is at most `max_side` (never enlarged).
fn fit_within(img: &RgbImage, max_side: u32) -> RgbImage {
    let s = (max_side as f64 / img.width().max(img.height()) as f64).min(1.0);
    let (w, h) = (((img.width() as f64 * s) as u32).max(1), ((img.height() as f64 * s) as u32).max(1));
    image::imageops::resize(img, w, h, image::imageops::FilterType::Triangle)
}

/// The optimisation as an animated GIF: snapshots, then the result held for two seconds.
pub fn gif_bytes(outcome: &Outcome, max_side: u32) -> Result<Vec<u8>> {
    let shrink = |img: &RgbImage| image::DynamicImage::ImageRgb8(fit_within(img, max_side)).to_rgba8();
    let mut buf = Vec::new();
    {
        let mut enc = GifEncoder::new_with_speed(&mut buf, 10);
        enc.set_repeat(image::codecs::gif::Repeat::Infinite)
            .map_err(|e| NstError::Encode { what: "GIF".into(), reason: e.to_string() })?;
        let frames = outcome
            .snapshots
            .iter()
            .map(|(_, im)| Frame::from_parts(shrink(im), 0, 0, Delay::from_numer_denom_ms(250, 1)))
            .chain(std::iter::once(Frame::from_parts(
                shrink(&outcome.image),
                0,
                0,
                Delay::from_numer_denom_ms(2000, 1),
            )));
        enc.encode_frames(frames).map_err(|e| NstError::Encode { what: "GIF".into(), reason: e.to_string() })?;
    }
    Ok(buf)
}

#[derive(serde::Serialize)]
struct Record<'a> {
    content: &'a str,
    style: &'a str,
    config: &'a crate::config::Config,
    weights: &'a crate::outcome::WeightsInfo,
    weights_sha256: String,
    steps: usize,
    seconds: f64,
    seconds_per_step: f64,
    first_loss: Option<f64>,
    final_loss: Option<f64>,
    /// Content and style distance of the result (see `metrics`).
    fidelity: crate::metrics::Fidelity,
    /// The style strength, when the settings are on the scale-free objective.
    strength: Option<f64>,
    history: &'a [crate::outcome::StepReport],
    /// Changes of settings made during a session (absent for a whole run).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    changes: &'a [crate::outcome::Change],
    files: &'a SavedFiles,
}

/// Save all four result files under `dir`; returns their paths (also stored in `outcome.saved`).
/// The picture claims its name first; a run that loses that race to another takes the next
/// free suffix, so concurrent runs never overwrite or lose each other's results.
pub fn save(outcome: &mut Outcome, dir: &Path) -> Result<SavedFiles> {
    std::fs::create_dir_all(dir).map_err(|e| NstError::io(dir, e))?;
    let base = format!("{}_{}", outcome.content_name, outcome.style_name);
    let image = png_bytes(&outcome.image)?;
    let panel = png_bytes(&panel(outcome))?;
    let gif = gif_bytes(outcome, 256)?;
    let weights_sha256 = crate::weights::sha256_file(&outcome.weights.path)?;
    let files = loop {
        // A name that another run took since the search is found taken on the next search.
        let files = free_names(dir, &base)?;
        if publish(&write_temp(&files.image, &image)?, &files.image)? {
            break files;
        }
    };
    let record = Record {
        content: &outcome.content_name,
        style: &outcome.style_name,
        config: &outcome.config,
        weights: &outcome.weights,
        weights_sha256,
        steps: outcome.history.len(),
        seconds: outcome.seconds,
        seconds_per_step: outcome.seconds_per_step(),
        first_loss: outcome.first_loss(),
        final_loss: outcome.final_loss(),
        fidelity: outcome.fidelity,
        strength: outcome.config.strength(),
        history: &outcome.history,
        changes: &outcome.changes,
        files: &files,
    };
    let json = serde_json::to_vec_pretty(&record)
        .map_err(|e| NstError::Encode { what: "JSON record".into(), reason: e.to_string() })?;
    create_new(&files.panel, &panel)?;
    create_new(&files.gif, &gif)?;
    create_new(&files.record, &json)?;
    outcome.saved = Some(files.clone());
    Ok(files)
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};
    use std::path::Path;

    fn temp_with(dir: &Path, bytes: &[u8]) -> std::path::PathBuf {
        crate::paths::write_temp(&dir.join("x.png"), bytes).unwrap()
    }

    /// Where hard links are unsupported, the file is claimed by name and moved in; a taken name
    /// is refused and keeps its contents; any other failure is an error, not "taken".
    #[test]
    fn publishing_without_hard_links_claims_the_name_or_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let unsupported = |_: &Path, _: &Path| Err(Error::new(ErrorKind::Unsupported, "no hard links"));
        let path = dir.path().join("a.png");
        assert!(super::publish_by(&temp_with(dir.path(), b"first"), &path, unsupported).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert!(
            !super::publish_by(&temp_with(dir.path(), b"second"), &path, unsupported).unwrap(),
            "the name is taken"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"first", "and keeps its contents");
        let nowhere = dir.path().join("missing").join("b.png");
        assert!(super::publish_by(&temp_with(dir.path(), b"third"), &nowhere, unsupported).is_err());
        let taken = |_: &Path, _: &Path| Err(Error::new(ErrorKind::AlreadyExists, "exists"));
        assert!(!super::publish_by(&temp_with(dir.path(), b"fourth"), &path, taken).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("a.png")], "no temporary file is left behind");
    }

    /// The picture in progress is written, replaced whole on the next write, and removed.
    #[test]
    fn autosave_replaces_the_picture_in_progress_and_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let a = super::Autosave::new(&dir.path().join("r"), "p", "s");
        assert_eq!(a.path, dir.path().join("r").join("p_s_in_progress.png"));
        let img = |v: u8| image::RgbImage::from_pixel(4, 3, image::Rgb([v, 7, 0]));
        a.write(&img(10)).unwrap();
        assert_eq!(image::open(&a.path).unwrap().to_rgb8(), img(10));
        a.write(&img(200)).unwrap();
        assert_eq!(image::open(&a.path).unwrap().to_rgb8(), img(200), "rewritten");
        assert_eq!(std::fs::read_dir(dir.path().join("r")).unwrap().count(), 1, "no temporary file is left behind");
        a.remove();
        assert!(!a.path.exists());
    }

    /// GIF frames: the longer side shrunk to the limit, the aspect kept, small pictures untouched.
    #[test]
    fn gif_frames_fit_within_the_limit() {
        let fit = |w: u32, h: u32, max: u32| super::fit_within(&image::RgbImage::new(w, h), max).dimensions();
        assert_eq!(fit(600, 300, 256), (256, 128));
        assert_eq!(fit(300, 600, 256), (128, 256));
        assert_eq!(fit(1000, 1, 256), (256, 1), "never below one pixel");
        assert_eq!(fit(100, 50, 256), (100, 50), "never enlarged");
    }

    /// The names go base, base-2, base-3, ... and the search ends with an error, not a hang.
    #[test]
    fn free_names_count_up_and_give_up_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let names = super::free_names(dir.path(), "p_s").unwrap();
        assert_eq!(names.image, dir.path().join("p_s.png"));
        std::fs::write(&names.record, b"{}").unwrap();
        assert_eq!(super::free_names(dir.path(), "p_s").unwrap().image, dir.path().join("p_s-2.png"));
        let (i, last) = super::free_names_from(dir.path(), "p_s", super::MAX_SUFFIX).unwrap();
        assert_eq!((i, last.image), (super::MAX_SUFFIX, dir.path().join(format!("p_s-{}.png", super::MAX_SUFFIX))));
        std::fs::write(&last.gif, b"").unwrap();
        let err = super::free_names_from(dir.path(), "p_s", super::MAX_SUFFIX).unwrap_err();
        assert!(err.to_string().contains("refusing to overwrite"), "{err}");
    }
}

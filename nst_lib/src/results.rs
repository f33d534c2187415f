//! Result files: `<content>_<style>.png` (the image), `_panel.png` (content | style | output),
//! `.gif` (the optimisation) and `.json` (settings, weights and their sha256, losses, time).
//! Nothing is overwritten: a second run gets `<content>_<style>-2.*`, and so on.

use std::path::Path;

use image::{codecs::gif::GifEncoder, Delay, Frame, Rgb, RgbImage, RgbaImage};

use crate::error::{NstError, Result};
use crate::outcome::{Outcome, SavedFiles};

/// The first free set of names `base`, `base-2`, `base-3`, ... in `dir`.
pub fn free_names(dir: &Path, base: &str) -> SavedFiles {
    (1..)
        .map(|i| if i == 1 { base.to_string() } else { format!("{base}-{i}") })
        .map(|stem| SavedFiles::for_stem(dir, &stem))
        .find(|f| f.all().iter().all(|p| !p.exists()))
        .expect("some suffix is free")
}

/// Write a file only if it does not exist yet (checked atomically by the OS).
fn create_new(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            NstError::WouldOverwrite(path.into())
        } else {
            NstError::io(path, e)
        }
    })?;
    f.write_all(bytes).map_err(|e| NstError::io(path, e))
}

fn png_bytes(img: &RgbImage) -> Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, image::ImageFormat::Png)
        .map_err(|e| NstError::Encode { what: "PNG".into(), reason: e.to_string() })?;
    Ok(buf.into_inner())
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

/// The optimisation as an animated GIF: snapshots, then the result held for two seconds.
pub fn gif_bytes(outcome: &Outcome, max_side: u32) -> Result<Vec<u8>> {
    let shrink = |img: &RgbImage| -> RgbaImage {
        let s = (max_side as f64 / img.width().max(img.height()) as f64).min(1.0);
        let (w, h) = (((img.width() as f64 * s) as u32).max(1), ((img.height() as f64 * s) as u32).max(1));
        image::DynamicImage::ImageRgb8(image::imageops::resize(img, w, h, image::imageops::FilterType::Triangle))
            .to_rgba8()
    };
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
    files: &'a SavedFiles,
}

/// Save all four result files under `dir`; returns their paths (also stored in `outcome.saved`).
pub fn save(outcome: &mut Outcome, dir: &Path) -> Result<SavedFiles> {
    std::fs::create_dir_all(dir).map_err(|e| NstError::io(dir, e))?;
    let files = free_names(dir, &format!("{}_{}", outcome.content_name, outcome.style_name));
    let record = Record {
        content: &outcome.content_name,
        style: &outcome.style_name,
        config: &outcome.config,
        weights: &outcome.weights,
        weights_sha256: crate::weights::sha256_file(&outcome.weights.path)?,
        steps: outcome.history.len(),
        seconds: outcome.seconds,
        seconds_per_step: outcome.seconds_per_step(),
        first_loss: outcome.first_loss(),
        final_loss: outcome.final_loss(),
        fidelity: outcome.fidelity,
        strength: outcome.config.strength(),
        history: &outcome.history,
        files: &files,
    };
    let json = serde_json::to_vec_pretty(&record)
        .map_err(|e| NstError::Encode { what: "JSON record".into(), reason: e.to_string() })?;
    create_new(&files.image, &png_bytes(&outcome.image)?)?;
    create_new(&files.panel, &png_bytes(&panel(outcome))?)?;
    create_new(&files.gif, &gif_bytes(outcome, 256)?)?;
    create_new(&files.record, &json)?;
    outcome.saved = Some(files.clone());
    Ok(files)
}

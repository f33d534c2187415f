//! Pictures in and out: decoding with clear errors, sizing for the network, tensors <-> images.

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use image::{imageops::FilterType, DynamicImage, RgbImage};
use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::error::{NstError, Result};

/// Largest accepted input side; bigger files are refused before decoding them.
pub const MAX_INPUT_SIDE: u32 = 12_000;
/// Largest working size: VGG activations at 2048 px already need several GiB.
pub const MAX_WORK_SIDE: u32 = 2048;

/// Find an input file: as given (relative to the current folder), or relative to the
/// repository root, so notebooks (which run in `notebooks/`) can say `img/content/...`.
pub fn resolve_input(path: &str) -> Result<PathBuf> {
    let p = PathBuf::from(path);
    if p.is_file() {
        return Ok(p);
    }
    let from_root = crate::paths::repo_root().join(path);
    if p.is_relative() && from_root.is_file() {
        return Ok(from_root);
    }
    let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| "?".into());
    Err(NstError::ImageNotFound { path: p, cwd })
}

/// Decode an image file into RGB. Greyscale is replicated to three channels; transparency is
/// composited over white (what a viewer shows), so every input works the same way.
pub fn load_rgb(path: &Path) -> Result<RgbImage> {
    let decode_err = |reason: String| NstError::ImageDecode { path: path.into(), reason };
    let reader = image::ImageReader::open(path)
        .map_err(|e| NstError::io(path, e))?
        .with_guessed_format()
        .map_err(|e| NstError::io(path, e))?;
    let (w, h) = reader.into_dimensions().map_err(|e| decode_err(e.to_string()))?;
    if w > MAX_INPUT_SIDE || h > MAX_INPUT_SIDE {
        return Err(NstError::ImageTooLarge { path: path.into(), width: w, height: h, limit: MAX_INPUT_SIDE });
    }
    let reader = image::ImageReader::open(path)
        .map_err(|e| NstError::io(path, e))?
        .with_guessed_format()
        .map_err(|e| NstError::io(path, e))?;
    let img = reader.decode().map_err(|e| decode_err(e.to_string()))?;
    Ok(to_rgb(img))
}

fn to_rgb(img: DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = p[3] as f32 / 255.0;
        let c = |v: u8| (v as f32 * a + 255.0 * (1.0 - a)).round() as u8;
        image::Rgb([c(p[0]), c(p[1]), c(p[2])])
    })
}

/// How an input is brought to working size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Sizing {
    /// Resize so the shorter side is `size`, then cut the centre square (the original notebook).
    CropSquare,
    /// Resize so the longer side is `size`, keeping the aspect ratio.
    KeepAspect,
}

/// Working size (w, h) for an image of `w`x`h`: both sides are multiples of `multiple`
/// (2^poolings before the deepest layer used), because pooling must tile the image exactly for
/// its gradient to be right. The aspect ratio changes by at most half a multiple per side.
pub fn fit_size(w: u32, h: u32, size: u32, multiple: u32, sizing: Sizing) -> Result<(u32, u32)> {
    if size < multiple || size > MAX_WORK_SIDE {
        return Err(NstError::BadImageSize {
            size,
            reason: format!("choose a size between {multiple} and {MAX_WORK_SIDE} pixels"),
        });
    }
    let round = |v: f64| (((v / multiple as f64).round() as u32).max(1)) * multiple;
    Ok(match sizing {
        Sizing::CropSquare => (round(size as f64), round(size as f64)),
        Sizing::KeepAspect => {
            let s = size as f64 / w.max(h) as f64;
            (round(w as f64 * s), round(h as f64 * s))
        }
    })
}

/// Resize (and for `CropSquare`, centre-crop) to exactly `target` = (w, h).
pub fn resize_to(img: &RgbImage, target: (u32, u32), sizing: Sizing) -> RgbImage {
    let (tw, th) = target;
    match sizing {
        Sizing::KeepAspect => image::imageops::resize(img, tw, th, FilterType::CatmullRom),
        Sizing::CropSquare => {
            // Scale so the image covers the target, then take the centre.
            let s = (tw as f64 / img.width() as f64).max(th as f64 / img.height() as f64);
            let (sw, sh) =
                (((img.width() as f64 * s).round() as u32).max(tw), ((img.height() as f64 * s).round() as u32).max(th));
            let scaled = image::imageops::resize(img, sw, sh, FilterType::CatmullRom);
            image::imageops::crop_imm(&scaled, (sw - tw) / 2, (sh - th) / 2, tw, th).to_image()
        }
    }
}

/// RGB image -> tensor `(1, 3, H, W)` of f32 in 0–1.
pub fn to_tensor(img: &RgbImage, device: &Device) -> Result<Tensor> {
    let (w, h) = img.dimensions();
    let data: Vec<f32> = img.as_raw().iter().map(|&v| v as f32 / 255.0).collect();
    let t = Tensor::from_vec(data, (h as usize, w as usize, 3), device)?;
    Ok(t.permute((2, 0, 1))?.unsqueeze(0)?.contiguous()?)
}

/// Tensor `(1, 3, H, W)` (values clamped to 0–1) -> RGB image.
pub fn to_image(t: &Tensor) -> Result<RgbImage> {
    let (_, _, h, w) = t.dims4()?;
    let hwc = t.squeeze(0)?.permute((1, 2, 0))?.clamp(0f32, 1f32)?.affine(255.0, 0.5)?;
    let data: Vec<u8> = hwc.flatten_all()?.to_vec1::<f32>()?.into_iter().map(|v| v.clamp(0.0, 255.0) as u8).collect();
    RgbImage::from_raw(w as u32, h as u32, data)
        .ok_or_else(|| NstError::Encode { what: "image".into(), reason: "buffer size mismatch".into() })
}

/// Uniform noise in 0–1, reproducible from `seed`.
pub fn noise(w: u32, h: u32, seed: u64, device: &Device) -> Result<Tensor> {
    let mut rng = StdRng::seed_from_u64(seed);
    let data: Vec<f32> = (0..3 * w as usize * h as usize).map(|_| rng.random::<f32>()).collect();
    Ok(Tensor::from_vec(data, (1, 3, h as usize, w as usize), device)?)
}

/// Pictures side by side, each scaled to the first one's height (for showing several styles).
pub fn hstack(images: &[RgbImage]) -> RgbImage {
    let h = images.first().map(|i| i.height()).unwrap_or(1).max(1);
    let scaled: Vec<RgbImage> = images
        .iter()
        .map(|i| {
            let w = ((i.width() as f64 * h as f64 / i.height().max(1) as f64).round() as u32).max(1);
            image::imageops::resize(i, w, h, FilterType::CatmullRom)
        })
        .collect();
    let mut out = RgbImage::new(scaled.iter().map(|i| i.width()).sum::<u32>().max(1), h);
    let mut x = 0;
    for i in &scaled {
        image::imageops::replace(&mut out, i, x as i64, 0);
        x += i.width();
    }
    out
}

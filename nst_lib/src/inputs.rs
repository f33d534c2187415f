//! The pictures of a run: which plays which role (the original notebook's two arguments, or
//! typed sources: a file or an image in memory), decoded once, and fitted to the working size.

use std::path::{Path, PathBuf};

use candle_core::Tensor;
use image::RgbImage;

use crate::colour::{self, OriginalColours};
use crate::config::{Config, Mode};
use crate::error::{NstError, Result};
use crate::image_io::{self, fit_size, resize_to};
use crate::vgg::Vgg;

fn stem(path: &str) -> String {
    if path == "noise" {
        return "noise".into();
    }
    Path::new(path).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "image".into())
}

/// Blend weights for `n` styles: the given ones normalised to sum 1, or equal ones.
pub(crate) fn blend_weights(given: &[f64], n: usize) -> Result<Vec<f64>> {
    if given.is_empty() {
        return Ok(vec![1.0 / n.max(1) as f64; n]);
    }
    if given.len() != n {
        return Err(NstError::InvalidConfig(format!(
            "{} style blend weights for {n} style image(s): give one weight per image (e.g. --style-blend 0.3,0.7 \
             for two styles)",
            given.len()
        )));
    }
    let sum: f64 = given.iter().sum();
    Ok(given.iter().map(|w| w / sum).collect())
}

/// A picture given to a run: a file, or an image already in memory (a notebook's own crop, a
/// frame of a film). Noise is not a picture: a run without a start picture starts from
/// `Config::init` (noise from `Config::seed`, or the content).
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Path(PathBuf),
    /// `name` names the result files, as a file's stem does.
    Image {
        name: String,
        image: RgbImage,
    },
}

impl Source {
    /// An image in memory, named `name` in result files (letters, digits, `-` and `_` kept;
    /// anything else, a path separator say, becomes `_`).
    pub fn image(name: &str, image: RgbImage) -> Self {
        let name: String =
            name.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        Self::Image { name: if name.is_empty() { "image".into() } else { name }, image }
    }

    /// The name result files are made from: the file's stem, or the image's name.
    pub fn name(&self) -> String {
        match self {
            Self::Path(p) => stem(&p.to_string_lossy()),
            Self::Image { name, .. } => name.clone(),
        }
    }

    /// The picture: the file decoded (an error names it), or the image itself.
    pub fn load(&self) -> Result<RgbImage> {
        match self {
            Self::Path(p) => image_io::load_rgb(&image_io::resolve_input(&p.to_string_lossy())?),
            Self::Image { image, .. } => Ok(image.clone()),
        }
    }
}

impl From<&str> for Source {
    fn from(path: &str) -> Self {
        Self::Path(path.into())
    }
}

impl From<RgbImage> for Source {
    fn from(image: RgbImage) -> Self {
        Self::image("image", image)
    }
}

/// Which picture plays which role, from the original notebook's two arguments: "noise" (a
/// random start) is accepted only where the notebook accepts it, several styles are given
/// comma-separated, and in `Mode::Content` the picture to rebuild is the second argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    /// The picture whose content is kept (or rebuilt).
    pub content: Option<Source>,
    /// One or more style pictures.
    pub styles: Vec<Source>,
    /// A picture to start from instead of `Config::init` (reconstructions only).
    pub start: Option<Source>,
}

/// The pictures of a run, decoded once (before any work: a bad file is an error naming it).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub(crate) content: Option<RgbImage>,
    pub(crate) styles: Vec<RgbImage>,
    pub(crate) start: Option<RgbImage>,
    pub(crate) content_name: String,
    pub(crate) style_name: String,
}

impl Inputs {
    /// A photo and a painting, from files or memory: `Inputs::style_transfer("img/content/chelsea.png", my_crop)`.
    pub fn style_transfer(content: impl Into<Source>, style: impl Into<Source>) -> Self {
        Self { content: Some(content.into()), styles: vec![style.into()], start: None }
    }

    pub fn from_args(mode: Mode, content: &str, style: &str) -> Result<Self> {
        let is_noise = |p: &str| p.trim().eq_ignore_ascii_case("noise");
        let noise = |role: &'static str| NstError::NoiseNotAllowed { role, mode: mode.as_str().into() };
        let (content_src, style_src, start) = match mode {
            Mode::StyleTransfer if is_noise(content) => return Err(noise("content image (first argument)")),
            Mode::StyleTransfer => (Some(content), Some(style), None),
            Mode::Content => (Some(style), None, (!is_noise(content)).then_some(content)),
            Mode::Style => (None, Some(style), (!is_noise(content)).then_some(content)),
        };
        let styles: Vec<&str> =
            style_src.map(|s| s.split(',').map(str::trim).filter(|p| !p.is_empty()).collect()).unwrap_or_default();
        if let (Some(s), true) = (style_src, styles.is_empty()) {
            return Err(NstError::InvalidConfig(format!(
                "no style image in {s:?}: give a path, or several separated by commas"
            )));
        }
        if styles.iter().any(|s| is_noise(s)) {
            return Err(noise("style image (second argument)"));
        }
        if content_src.is_some_and(is_noise) {
            return Err(noise("image to rebuild (second argument)"));
        }
        Ok(Self {
            content: content_src.map(Source::from),
            styles: styles.into_iter().map(Source::from).collect(),
            start: start.map(Source::from),
        })
    }

    /// The names result files are made from, in the places of the notebook's two arguments:
    /// (content, style) for a style transfer; (start or "noise", the picture rebuilt or the
    /// styles) for a reconstruction. Several styles are joined by "+".
    pub fn names(&self) -> (String, String) {
        let styles = match self.styles.as_slice() {
            [one] => one.name(),
            many => many.iter().map(Source::name).collect::<Vec<_>>().join("+"),
        };
        let start = || self.start.as_ref().map(Source::name).unwrap_or_else(|| "noise".into());
        match (&self.content, self.styles.is_empty()) {
            (Some(c), true) => (start(), c.name()),
            (Some(c), false) => (c.name(), styles),
            (None, _) => (start(), styles),
        }
    }

    /// Decode every picture, once: a bad one is an error (naming its file) before any work.
    pub fn load(&self) -> Result<Loaded> {
        if self.content.is_none() && self.styles.is_empty() {
            return Err(NstError::InvalidConfig(
                "no picture given: a run needs a photo, a painting or both (e.g. \
                 `Inputs::style_transfer(\"img/content/chelsea.png\", \"img/style/starry_night.jpg\")`)"
                    .into(),
            ));
        }
        let styles = self.styles.iter().map(Source::load).collect::<Result<Vec<_>>>()?;
        let (content_name, style_name) = self.names();
        Ok(Loaded {
            content: self.content.as_ref().map(Source::load).transpose()?,
            styles,
            start: self.start.as_ref().map(Source::load).transpose()?,
            content_name,
            style_name,
        })
    }
}

/// The pictures at working size, and the output's size.
pub(crate) struct Fitted {
    pub content: Option<RgbImage>,
    pub styles: Vec<RgbImage>,
    pub start: Option<RgbImage>,
    pub size: (u32, u32),
}

/// The pictures at working size. Sizes are multiples of the deepest pooling used; the styles are
/// scaled by `style_scale` (and matched in colour when asked); `start` (a previous stage's result)
/// is stretched to the output's size.
pub(crate) fn fit_pictures(vgg: &Vgg, cfg: &Config, pictures: &Loaded, start: Option<RgbImage>) -> Result<Fitted> {
    // Sizes must tile the deepest pooling exactly.
    let deepest = cfg
        .content_layers
        .iter()
        .chain(&cfg.style_layers)
        .map(|l| vgg.spec.layer(&l.layer))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .map(|l| l.poolings_before())
        .max()
        .unwrap_or(0);
    let multiple = 1u32 << deepest;
    let prepare = |img: &RgbImage| -> Result<RgbImage> {
        let target = fit_size(img.width(), img.height(), cfg.size, multiple, cfg.sizing)?;
        Ok(resize_to(img, target, cfg.sizing))
    };
    let content_img = pictures.content.as_ref().map(prepare).transpose()?;
    // Style scale: the style image's working size relative to the output's.
    let style_size = ((cfg.size as f64 * cfg.style_scale).round() as u32).max(multiple);
    let prepare_style = |img: &RgbImage| -> Result<RgbImage> {
        let target = fit_size(img.width(), img.height(), style_size, multiple, cfg.sizing)?;
        let img = resize_to(img, target, cfg.sizing);
        Ok(match (cfg.original_colours, &content_img) {
            (OriginalColours::Match, Some(c)) => colour::match_colours(&img, c),
            _ => img,
        })
    };
    let style_imgs = pictures.styles.iter().map(prepare_style).collect::<Result<Vec<_>>>()?;
    let style_img = match style_imgs.len() {
        0 => None,
        1 => Some(style_imgs[0].clone()),
        _ => Some(image_io::hstack(&style_imgs)),
    };
    // The output takes the content's size; without content, the start image's or the style's.
    let start_img = pictures.start.as_ref().map(prepare).transpose()?;
    let out_size =
        content_img.as_ref().or(start_img.as_ref()).or(style_img.as_ref()).map(|i| i.dimensions()).ok_or_else(
            || NstError::InvalidConfig("no picture given: a run needs a photo, a painting or both".into()),
        )?;
    // A previous stage's result (multi-scale) or a start picture of another shape than the
    // picture to rebuild is stretched to exactly this size (its own aspect was rounded to
    // other multiples, or is another picture's).
    let start_img = start.or(start_img).map(|img| {
        if img.dimensions() == out_size {
            img
        } else {
            image::imageops::resize(&img, out_size.0, out_size.1, image::imageops::FilterType::CatmullRom)
        }
    });
    Ok(Fitted { content: content_img, styles: style_imgs, start: start_img, size: out_size })
}

/// The style mask (white: style, black: none), grey 0–1 at the output's size `(1, 1, H, W)`.
pub(crate) fn load_mask(path: &Path, out_size: (u32, u32), dev: &candle_core::Device) -> Result<Tensor> {
    let mask = image_io::load_rgb(&image_io::resolve_input(&path.to_string_lossy())?)?;
    let mask = image::imageops::resize(&mask, out_size.0, out_size.1, image::imageops::FilterType::Triangle);
    let grey = image::DynamicImage::ImageRgb8(mask).into_luma8();
    let values: Vec<f32> = grey.pixels().map(|p| p.0[0] as f32 / 255.0).collect();
    Ok(Tensor::from_vec(values, (1, 1, out_size.1 as usize, out_size.0 as usize), dev)?)
}

//! How good is a picture? Numbers that do not depend on α, β, the preset or the loss that
//! made it, so any two runs (or a run and PyTorch's picture) can be compared:
//!
//! - **content distance** = ‖F(O) − F(C)‖² / ‖F(C)‖² at relu4_2: how far the output's deep
//!   features are from the photo's. 0 is the photo itself; above about 1.2 the photo is gone.
//! - **style distance by layer** = ‖G(O) − G(S)‖² / ‖G(S)‖² at each of relu1_1, relu2_1,
//!   relu3_1, relu4_1, relu5_1, with G = F·Fᵀ / (h·w): how far the output's channel correlations
//!   are from the style image's. The shallow layers hold colours and fine grain, relu3_1 and
//!   relu4_1 brush strokes, relu5_1 the painting's larger arrangement.
//! - **style distance** = the mean of those five. One number can hide a trade: a run can lower
//!   the mean by fitting relu5_1 alone, so look at the layers too.
//! - **style distance at half size**: the same mean with the output and the style image both
//!   shrunk to half their sides (a 2×2 mean; then cut to multiples of 16 px, at most 15 px off
//!   the right and bottom). Strokes twice as big as the network's receptive field at full size
//!   come into view: do the big strokes match?
//!
//! Lower is better on all; a good transfer is low on content and style at once.
//! Features are the raw activations of the network the run used; the ratios are scale-free, so
//! Caffe and torchvision weights give comparable numbers. `../shared/bench/fidelity.py` is an
//! independent computation of the same measure in PyTorch (its half size resizes bicubically).

use candle_core::{DType, Tensor};
use image::RgbImage;

use crate::error::{NstError, Result};
use crate::image_io::{fit_size, resize_to, to_tensor, Sizing};
use crate::vgg::{Layer, Vgg};

/// The layer of the content distance.
pub const CONTENT_LAYER: &str = "relu4_2";
/// The layers of the style distance (equal weights).
pub const STYLE_LAYERS: [&str; 5] = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"];

/// The distances of a picture; `None` where the run had no such image (e.g. a texture grown
/// from noise has no content distance) or the picture is too small to halve.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Fidelity {
    pub content: Option<f64>,
    /// The mean of `style_layers`.
    pub style: Option<f64>,
    /// The style distance at each of [`STYLE_LAYERS`].
    #[serde(default)]
    pub style_layers: Option<[f64; 5]>,
    /// The mean style distance with output and style images at half size.
    #[serde(default)]
    pub style_half: Option<f64>,
}

impl std::fmt::Display for Fidelity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = [("content", self.content, 3), ("style", self.style, 4)]
            .iter()
            .filter_map(|&(n, v, p)| v.map(|v| format!("{n} {v:.p$}")))
            .collect();
        write!(f, "fidelity: {}", if parts.is_empty() { "n/a".into() } else { parts.join(", ") })?;
        let mut detail = vec![];
        if let Some(l) = self.style_layers {
            detail.push(format!("by layer {}", l.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(" ")));
        }
        if let Some(h) = self.style_half {
            detail.push(format!("at half size {h:.4}"));
        }
        if !detail.is_empty() {
            write!(f, " (style {})", detail.join(", "))?;
        }
        write!(f, "; lower is better")
    }
}

fn sum_sq_f64(t: &Tensor) -> Result<f64> {
    Ok(t.to_dtype(DType::F64)?.sqr()?.sum_all()?.to_scalar::<f64>()?)
}

/// G = F·Fᵀ / (h·w) in f64 for each of `layers` of `image` (the product itself in the
/// features' precision), without keeping the features (see [`Vgg::features_or_grams`]).
fn grams_hw(vgg: &Vgg, image: &Tensor, layers: &[Layer]) -> Result<Vec<Tensor>> {
    let (_, _, h, w) = image.dims4()?;
    let grams = vgg.features_or_grams(image, layers, &vec![true; layers.len()])?;
    grams
        .into_iter()
        .zip(layers)
        .map(|(g, l)| {
            let (_, lh, lw) = vgg.spec.layer_dims(l, (h, w));
            Ok((g.to_dtype(DType::F64)? / (lh * lw) as f64)?)
        })
        .collect()
}

/// Both distances of `output` (RGB 0–1, `(1, 3, H, W)`) from `content` (same size) and from
/// `styles` (any sizes; several are blended by their weights, normalised to sum 1, as the run
/// blends them). Sides must be multiples of 16 (the library's working sizes are).
pub fn measure(vgg: &Vgg, output: &Tensor, content: Option<&Tensor>, styles: &[(Tensor, f64)]) -> Result<Fidelity> {
    let spec = &vgg.spec;
    let content_layer = spec.layer(CONTENT_LAYER)?;
    let style_layers = STYLE_LAYERS.iter().map(|n| spec.layer(n)).collect::<Result<Vec<_>>>()?;
    let mut wanted = style_layers.clone();
    wanted.push(content_layer);
    let mut gram_of = vec![true; style_layers.len()];
    gram_of.push(false);
    // The style layers' Gram matrices and the content layer's features, in one pass.
    let out = vgg.features_or_grams(&output.detach(), &wanted, &gram_of)?;
    let (_, _, h, w) = output.dims4()?;
    let content = match content {
        Some(c) => {
            if c.dims() != output.dims() {
                return Err(NstError::InvalidConfig(format!(
                    "fidelity: the output is {:?} but the content image {:?}: measure them at the same size",
                    output.dims(),
                    c.dims()
                )));
            }
            let fc = vgg.features(c, &[content_layer])?.remove(0);
            let reference = sum_sq_f64(&fc)?.max(1e-30);
            Some(sum_sq_f64(&(&out[STYLE_LAYERS.len()] - &fc)?)? / reference)
        }
        None => None,
    };
    let total: f64 = styles.iter().map(|(_, w)| w).sum();
    let style = if styles.is_empty() || total <= 0.0 {
        None
    } else {
        let mut targets: Vec<Option<Tensor>> = vec![None; style_layers.len()];
        for (img, w) in styles {
            for (slot, g) in targets.iter_mut().zip(grams_hw(vgg, img, &style_layers)?) {
                let g = (g * (w / total))?;
                *slot = Some(match slot.take() {
                    Some(acc) => (acc + g)?,
                    None => g,
                });
            }
        }
        let mut per = [0.0; 5];
        for (((g, l), target), slot) in out.iter().zip(&style_layers).zip(targets.into_iter().flatten()).zip(&mut per) {
            let reference = target.sqr()?.sum_all()?.to_scalar::<f64>()?.max(1e-30);
            let (_, lh, lw) = vgg.spec.layer_dims(l, (h, w));
            let g = (g.to_dtype(DType::F64)? / (lh * lw) as f64)?;
            *slot = (g - &target)?.sqr()?.sum_all()?.to_scalar::<f64>()? / reference;
        }
        Some(per)
    };
    Ok(Fidelity {
        content,
        style: style.map(|p| p.iter().sum::<f64>() / p.len() as f64),
        style_layers: style,
        style_half: None,
    })
}

/// A picture `(1, 3, H, W)` at half its sides: the mean of each 2×2 block, then cut to
/// multiples of 16 (the network's four poolings). `None` where a side would be under 16.
pub fn half_size(x: &Tensor) -> Result<Option<Tensor>> {
    let (_, _, h, w) = x.dims4()?;
    let (h2, w2) = ((h / 2) / 16 * 16, (w / 2) / 16 * 16);
    if h2 == 0 || w2 == 0 {
        return Ok(None);
    }
    Ok(Some(x.avg_pool2d(2)?.narrow(2, 0, h2)?.narrow(3, 0, w2)?))
}

/// Whether `spec` has the layers the measure uses (every VGG16 and VGG19 has; small test
/// networks may not).
pub fn available(spec: &crate::vgg::VggSpec) -> bool {
    std::iter::once(CONTENT_LAYER).chain(STYLE_LAYERS).all(|n| spec.layer(n).is_ok())
}

/// [`measure`] on pictures: `output` is brought to the content's size (or, without content, to a
/// working size near its own), each style is used at the size given (blended by its weight).
/// For notebooks, e.g. to score PyTorch's picture or your own edit of a result against the same
/// photo and painting.
pub fn fidelity(
    vgg: &Vgg,
    output: &RgbImage,
    content: Option<&RgbImage>,
    styles: &[(&RgbImage, f64)],
) -> Result<Fidelity> {
    let dev = vgg.device();
    // Every side a multiple of 16 so that relu5_1 is reached (aspect kept, as in a run).
    let fit = |img: &RgbImage| -> Result<RgbImage> {
        let target = fit_size(img.width(), img.height(), img.width().max(img.height()), 16, Sizing::KeepAspect)?;
        Ok(if target == img.dimensions() { img.clone() } else { resize_to(img, target, Sizing::KeepAspect) })
    };
    let content = content.map(fit).transpose()?;
    let output = match &content {
        Some(c) if c.dimensions() != output.dimensions() => {
            image::imageops::resize(output, c.width(), c.height(), image::imageops::FilterType::CatmullRom)
        }
        Some(_) => output.clone(),
        None => fit(output)?,
    };
    let styles = styles.iter().map(|(s, w)| Ok((to_tensor(&fit(s)?, dev)?, *w))).collect::<Result<Vec<_>>>()?;
    let content = content.map(|c| to_tensor(&c, dev)).transpose()?;
    let output = to_tensor(&output, dev)?;
    let mut found = measure(vgg, &output, content.as_ref(), &styles)?;
    if found.style.is_some() {
        let halves =
            styles.iter().map(|(s, w)| Ok(half_size(s)?.map(|h| (h, *w)))).collect::<Result<Option<Vec<_>>>>()?;
        if let (Some(out), Some(halves)) = (half_size(&output)?, halves) {
            found.style_half = measure(vgg, &out, None, &halves)?.style;
        }
    }
    Ok(found)
}

//! What one VGG channel responds to: start from faint noise and change the picture to make
//! that channel fire as strongly as it can (activation maximisation, Erhan et al. 2009). The
//! same optimiser as style transfer, with another objective: minus the log of the channel's mean
//! response, plus the pixel-range penalty (the picture stays displayable), a pull towards grey
//! (no saturated mess) and a little smoothing (no high-frequency patterns no eye can read).

use candle_core::{Tensor, Var};
use image::RgbImage;

use crate::device::scalar;
use crate::error::{NstError, Result};
use crate::image_io::to_image;
use crate::optim::{Lbfgs, Optimizer};
use crate::pixel_range::range_penalty;
use crate::total_variation::total_variation;
use crate::total_variation::TvKind;
use crate::vgg::Vgg;

/// Weights of the penalties, the activation being measured in units of the layer's mean
/// absolute response to the start picture. The pull towards grey (L2 decay, Simonyan et al.
/// 2014) keeps the picture off the 0/1 bounds, where it would be a saturated mess.
const RANGE_WEIGHT: f64 = 1000.0;
const TV_WEIGHT: f64 = 1.0;
const DECAY_WEIGHT: f64 = 10.0;

/// A `size`×`size` picture that excites `channel` of `layer` (e.g. "relu3_1"; for a ReLU, its
/// convolution's output), after `steps` L-BFGS steps from grey noise drawn from `seed`. Returns
/// the picture and the channel's mean response (before the ReLU) at the start and on the
/// returned (8-bit) picture. Quick mode (`NST_QUICK=1`, see [`crate::quick_mode`]) shrinks it
/// like every run.
pub fn channel_picture(
    vgg: &Vgg,
    layer: &str,
    channel: usize,
    size: u32,
    steps: usize,
    seed: u64,
) -> Result<(RgbImage, f64, f64)> {
    // A ReLU passes no gradient where its input is negative, so a channel silent on the start
    // picture could never be woken: optimise the convolution's output (the ReLU's input) instead.
    let l = vgg.spec.layer(&layer.replace("relu", "conv"))?;
    let channels = vgg.channels(&l);
    if channel >= channels {
        return Err(NstError::InvalidConfig(format!(
            "channel {channel} does not exist: {layer} has {channels} channels (0 to {})",
            channels - 1
        )));
    }
    let (size, steps) = if crate::config::quick() {
        (crate::config::quick_size(size), crate::config::quick_steps(steps))
    } else {
        (size, steps)
    };
    let multiple = 1u32 << l.poolings_before();
    let (w, h) = crate::image_io::fit_size(size, size, size, multiple, crate::image_io::Sizing::CropSquare)?;
    let noise = crate::image_io::noise(w, h, seed, vgg.device())?;
    let x0 = noise.affine(0.2, 0.4)?; // faint noise around mid-grey
    let activation =
        |x: &Tensor| -> Result<Tensor> { Ok(vgg.features(x, &[l])?.remove(0).narrow(1, channel, 1)?.mean_all()?) };
    let start = scalar(&activation(&x0)?)?;
    // The layer's typical response, so the weights above mean the same at every layer.
    let unit = scalar(&vgg.features(&x0, &[l])?.remove(0).abs()?.mean_all()?)?.max(1e-6);
    let mut objective = |x: &Tensor| -> Result<(f64, Tensor)> {
        let var = Var::from_tensor(&x.detach())?;
        let x = var.as_tensor();
        // −ln softplus(a / unit): a log, so every doubling of the response counts the same at
        // any layer (the penalties then bind at every depth); softplus, so it is defined and has
        // a gradient when the response is negative.
        let z = (activation(x)? / unit)?;
        let softplus = (z.relu()? + ((z.abs()?.neg()?.exp()? + 1.0)?.log()?))?;
        let loss = (softplus.log()?.neg()?
            + (range_penalty(x)? * RANGE_WEIGHT)?
            + (total_variation(x, TvKind::L1Mean)? * TV_WEIGHT)?
            + ((x - 0.5)?.sqr()?.mean_all()? * DECAY_WEIGHT)?)?;
        let value = scalar(&loss)?;
        let g = loss.backward()?.get(x).map(|g| g.detach()).unwrap_or(x.zeros_like()?);
        Ok((value, g))
    };
    let x = Optimizer::Lbfgs(Lbfgs::default()).minimize(&x0, steps, &mut objective)?;
    // The picture as shown (0–1, 8 bits), and the activation it gives.
    let img = to_image(&x)?;
    let shown = crate::image_io::to_tensor(&img, vgg.device())?;
    let end = scalar(&activation(&shown)?)?;
    Ok((img, start, end))
}

//! Keeping the picture displayable: a penalty on pixel values outside 0–1.
//!
//! The optimiser works on unbounded numbers, and the style loss can be lowered by pixels far
//! outside 0–1 (measured: −2.6…3.6 at 512 px). The saved picture is clamped to 0–1, which
//! removes that "style" again: the picture's style distance was 2.4x what the optimiser
//! reached. The penalty makes the optimiser find the style within the range a picture can show.

use candle_core::Tensor;

use crate::error::Result;

/// The mean over pixels and channels of max(x − 1, 0)² + max(−x, 0)²: zero for any
/// displayable picture, growing smoothly (so L-BFGS's curvature model holds) outside it.
pub fn range_penalty(image: &Tensor) -> Result<Tensor> {
    let over = (image - 1.0)?.relu()?.sqr()?;
    let under = image.neg()?.relu()?.sqr()?;
    Ok((over + under)?.mean_all()?)
}

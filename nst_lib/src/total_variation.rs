//! Total variation: a smoothness prior on the image itself (Mahendran & Vedaldi 2015), used by
//! Chollet and jcjohnson/neural-style to suppress high-frequency noise. Computed on the RGB
//! 0–1 image, so its weight does not depend on the network's input convention.

use candle_core::{Tensor, D};

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TvKind {
    /// Σ |x[i+1,j] − x[i,j]| + |x[i,j+1] − x[i,j]| (anisotropic; jcjohnson's is the squared form).
    L1,
    /// The mean of |x[i+1,j] − x[i,j]| + |x[i,j+1] − x[i,j]| over pixels and channels: L1 per
    /// pixel, so its weight means the same at any image size.
    L1Mean,
    /// Σ ((x[i+1,j] − x[i,j])² + (x[i,j+1] − x[i,j])²)^(p/2): p = 2.5 in Chollet's book.
    Power(f64),
}

/// Total variation of an image `(1, 3, H, W)`.
pub fn total_variation(image: &Tensor, kind: TvKind) -> Result<Tensor> {
    let (_, _, h, w) = image.dims4()?;
    let down = (image.narrow(2, 1, h - 1)? - image.narrow(2, 0, h - 1)?)?; // (1,3,H-1,W)
    let right = (image.narrow(3, 1, w - 1)? - image.narrow(3, 0, w - 1)?)?; // (1,3,H,W-1)
    Ok(match kind {
        TvKind::L1 => (down.abs()?.sum_all()? + right.abs()?.sum_all()?)?,
        TvKind::L1Mean => ((down.abs()?.sum_all()? + right.abs()?.sum_all()?)? / (3 * h * w) as f64)?,
        TvKind::Power(p) => {
            // Both differences on the common (H-1)x(W-1) grid, as Chollet does.
            let a = down.narrow(D::Minus1, 0, w - 1)?.sqr()?;
            let b = right.narrow(2, 0, h - 1)?.sqr()?;
            // The small epsilon keeps the gradient of x^(p/2) finite where the image is flat.
            ((a + b)? + 1e-12)?.powf(p / 2.0)?.sum_all()?
        }
    })
}

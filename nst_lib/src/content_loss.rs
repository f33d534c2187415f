//! Content loss: how far the image's activations at a deep layer are from the content photo's.
//! Deep layers keep *what* is where (objects, layout) but not exact pixels (Gatys et al., Fig. 1).

use candle_core::Tensor;

use crate::error::Result;

/// How the squared differences are summed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ContentNorm {
    /// Mean squared error, as the original notebook (`F.mse_loss`).
    Mse,
    /// The paper's ½ Σ (F − P)².
    HalfSum,
    /// ‖F − P‖² / ‖P‖²: the squared error relative to the target's own size. Scale-free, so the
    /// same weight means the same at any image size and with either weights' input convention
    /// (the content distance of [`crate::metrics`]).
    Relative,
}

choices!(ContentNorm, "content loss normalisation", [
    Mse => "mse", ["mean"], "mean squared error (the original notebook and the default)";
    HalfSum => "halfsum", ["half-sum", "paper"], "the paper's half sum of squares";
    Relative => "relative", [], "squared error relative to the target's energy (scale-free)";
]);

/// Content loss between the current features `f` and the content target `p` (same shape).
pub fn content_loss(f: &Tensor, p: &Tensor, norm: ContentNorm) -> Result<Tensor> {
    let sq = (f - p)?.sqr()?;
    Ok(match norm {
        ContentNorm::Mse => sq.mean_all()?,
        ContentNorm::HalfSum => (sq.sum_all()? * 0.5)?,
        // The target is a constant: its norm adds nothing to the gradient's graph.
        ContentNorm::Relative => sq.sum_all()?.broadcast_div(&(p.detach().sqr()?.sum_all()? + 1e-12)?)?,
    })
}

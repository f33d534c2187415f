//! Content loss: how far the image's activations at a deep layer are from the content photo's.
//! Deep layers keep *what* is where (objects, layout) but not exact pixels (Gatys et al., Fig. 1).

use candle_core::Tensor;

use crate::cpu_kernels::with_f32;
use crate::error::{NstError, Result};

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

/// [`content_loss`] of the features `f` times `scale` against `p`, times `weight`, and its
/// gradient with respect to `f`, without the autograd graph: (the loss before `weight`, as
/// [`content_loss`] returns it; the gradient, `weight` included). Through the graph a content
/// layer held about ten tensors of its size at once (the scaled copy, its leaf, the difference,
/// its square, and as many in the backward pass: at 2048 px the heap's peak fell from 2 804 to
/// 2 208 MiB without them, the peak then coming elsewhere in the step); here it holds at most
/// two, the difference and its square, then the gradient written over the difference. The
/// arithmetic is candle's, operation by operation — each scalar multiplies in f32 as its
/// backward pass does, and the sum is candle's own — so the numbers are the same to the bit
/// (tested), and so are the pictures (five CLI runs compared byte for byte).
///
/// `None` where the graph does something else: for [`ContentNorm::Relative`], whose division has a
/// longer backward pass, and for a weight of 0, whose term the graph does not differentiate at
/// all. `f` and `p` must be f32 on the CPU, of one shape.
pub fn content_loss_and_grad(
    f: &Tensor,
    scale: f64,
    p: &Tensor,
    norm: ContentNorm,
    weight: f64,
) -> Result<Option<(Tensor, Tensor)>> {
    // The loss is sum · factor: mean_all divides by N (an affine map by 1/N), the half sum halves.
    let factor = match norm {
        ContentNorm::Mse => 1.0 / f.elem_count() as f64,
        ContentNorm::HalfSum => 0.5,
        ContentNorm::Relative => return Ok(None),
    };
    if weight == 0.0 {
        return Ok(None);
    }
    if f.shape() != p.shape() {
        return Err(NstError::InvalidConfig(format!(
            "internal: content features {:?} against a target of {:?}",
            f.shape(),
            p.shape()
        )));
    }
    let (features, target) = (f.contiguous()?, p.contiguous()?);
    // s·f as candle's affine map computes it (v·s + 0), then the difference.
    let s = scale as f32;
    let scaled = |v: f32| if scale == 1.0 { v } else { v * s + 0.0 };
    let mut d: Vec<f32> = with_f32(&features, |fs| {
        with_f32(&target, |ps| fs.iter().zip(ps).map(|(&fv, &pv)| scaled(fv) - pv).collect())
    })??;
    let loss = {
        let squares = Tensor::from_vec(d.iter().map(|v| v * v).collect::<Vec<f32>>(), f.shape(), f.device())?;
        (squares.sum_all()? * factor)?
    };
    // The backward pass: 1 through the term's weight, then the factor (each an f32 product), to
    // every element of the square; d·g·2, then the scale's own affine map.
    let g = weight as f32 * factor as f32;
    for v in &mut d {
        let by_d = (*v * g) * 2.0 + 0.0;
        *v = if scale == 1.0 { by_d } else { by_d * s + 0.0 };
    }
    Ok(Some((loss, Tensor::from_vec(d, f.shape(), f.device())?)))
}

//! Style loss: compare *Gram matrices*, the correlations between feature channels summed over
//! all positions. Summing over positions throws away where things are and keeps which features
//! occur together — texture, colour, brush strokes: the "style".

use candle_core::Tensor;

use crate::error::Result;

/// How Gram matrices are scaled and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StyleNorm {
    /// The original notebook: G = F·Fᵀ / (c·h·w), loss = mean squared error over the c×c entries.
    Notebook,
    /// The paper: E = Σ (G − A)² / (4 N² M²) with raw G = F·Fᵀ, N = channels, M = h·w.
    Paper,
}

impl StyleNorm {
    pub fn parse(s: &str) -> crate::error::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "notebook" | "mse" => Ok(StyleNorm::Notebook),
            "paper" => Ok(StyleNorm::Paper),
            _ => Err(crate::error::NstError::UnknownChoice {
                what: "style loss normalisation",
                value: s.into(),
                valid: "notebook, paper",
            }),
        }
    }
}

/// Raw Gram matrix G = F·Fᵀ of a feature map `(1, C, H, W)`; shape `(C, C)`.
///
/// f32 on the CPU goes through [`crate::cpu_kernels::gram`] (same values, cheaper backward);
/// everything else through [`gram_reference`].
pub fn gram(features: &Tensor) -> Result<Tensor> {
    let (_, c, h, w) = features.dims4()?;
    let f = features.reshape((c, h * w))?;
    if f.device().is_cpu() && f.dtype() == candle_core::DType::F32 {
        return Ok(crate::cpu_kernels::gram(&f)?);
    }
    Ok(f.matmul(&f.t()?)?)
}

/// G = F·Fᵀ with candle's matmul: what [`gram`] is tested against.
pub fn gram_reference(features: &Tensor) -> Result<Tensor> {
    let (_, c, h, w) = features.dims4()?;
    let f = features.reshape((c, h * w))?;
    Ok(f.matmul(&f.t()?)?)
}

/// The Gram matrix in the form `norm` compares (computed once for the style image).
pub fn style_target(features: &Tensor, norm: StyleNorm) -> Result<Tensor> {
    let g = gram(features)?;
    Ok(match norm {
        StyleNorm::Notebook => (g / features.elem_count() as f64)?,
        StyleNorm::Paper => g,
    })
}

/// Style loss of the current features `f` against a target from [`style_target`].
/// `f` and the style image may differ in spatial size: Gram matrices are always C×C.
pub fn style_loss(f: &Tensor, target: &Tensor, norm: StyleNorm) -> Result<Tensor> {
    let g = style_target(f, norm)?;
    let sq = (g - target)?.sqr()?;
    Ok(match norm {
        StyleNorm::Notebook => sq.mean_all()?,
        StyleNorm::Paper => {
            let (_, c, h, w) = f.dims4()?;
            let (n, m) = (c as f64, (h * w) as f64);
            (sq.sum_all()? / (4.0 * n * n * m * m))?
        }
    })
}

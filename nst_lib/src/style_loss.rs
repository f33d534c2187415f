//! Style loss: compare *Gram matrices*, the correlations between feature channels summed over
//! all positions. Summing over positions throws away where things are and keeps which features
//! occur together — texture, colour, brush strokes: the "style".

use candle_core::Tensor;

use crate::device::scalar;
use crate::error::Result;

/// How Gram matrices are scaled and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StyleNorm {
    /// The original notebook: G = F·Fᵀ / (c·h·w), loss = mean squared error over the c×c entries.
    Notebook,
    /// The paper: E = Σ (G − A)² / (4 N² M²) with raw G = F·Fᵀ, N = channels, M = h·w.
    Paper,
    /// G = F·Fᵀ / (h·w) and ‖G − A‖² / ‖A‖²: the error relative to the target's own size
    /// (the style distance of [`crate::metrics`]). Scale-free, so a weight means the same at
    /// any size, with either weights' input convention, and at every layer. With mean/std or
    /// mean/cov statistics the loss is divided likewise by its value at all-zero features.
    Relative,
}

choices!(StyleNorm, "style loss normalisation", [
    Notebook => "notebook", ["mse"], "MSE of Gram/(c·h·w) (the original notebook and the default)";
    Paper => "paper", [], "the paper's Σ(G−A)²/(4N²M²)";
    Relative => "relative", [], "‖G−A‖²/‖A‖² with G/(h·w) (scale-free)";
]);

/// Raw Gram matrix G = F·Fᵀ of a feature map `(1, C, H, W)`; shape `(C, C)`.
///
/// f32 on the CPU goes through [`crate::cpu_kernels::gram`] (same values, cheaper backward);
/// everything else through [`gram_reference`].
pub fn gram(features: &Tensor) -> Result<Tensor> {
    if !(features.device().is_cpu() && features.dtype() == candle_core::DType::F32) {
        return gram_reference(features);
    }
    let (_, c, h, w) = features.dims4()?;
    Ok(crate::cpu_kernels::gram(&features.reshape((c, h * w))?)?)
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
        StyleNorm::Relative => {
            let (_, _, h, w) = features.dims4()?;
            (g / (h * w) as f64)?
        }
    })
}

/// [`style_target`] from the raw Gram matrix `g` = F·Fᵀ of (c, h, w) features: the same target
/// without the features (a 4096 px style image's relu1_1 alone is 2.7 GB).
pub fn style_target_of_gram(g: &Tensor, (c, h, w): (usize, usize, usize), norm: StyleNorm) -> Result<Tensor> {
    Ok(match norm {
        StyleNorm::Notebook => (g / (c * h * w) as f64)?,
        StyleNorm::Paper => g.clone(),
        StyleNorm::Relative => (g / (h * w) as f64)?,
    })
}

/// Style loss of the current features `f` against a target from [`style_target`].
/// `f` and the style image may differ in spatial size: Gram matrices are always C×C.
pub fn style_loss(f: &Tensor, target: &Tensor, norm: StyleNorm) -> Result<Tensor> {
    let (_, c, h, w) = f.dims4()?;
    style_loss_of_gram(&gram(f)?, (c, h, w), target, norm)
}

/// [`style_loss`] from the raw Gram matrix `g` = F·Fᵀ of (c, h, w) features: the loss depends on
/// the features only through it, so a caller holding `g` can differentiate with respect to it
/// (c×c) instead of the features (see [`crate::trunk`]).
pub fn style_loss_of_gram(
    g: &Tensor,
    (c, h, w): (usize, usize, usize),
    target: &Tensor,
    norm: StyleNorm,
) -> Result<Tensor> {
    let g = match norm {
        StyleNorm::Notebook => (g / (c * h * w) as f64)?,
        StyleNorm::Paper => g.clone(),
        StyleNorm::Relative => (g / (h * w) as f64)?,
    };
    let sq = (g - target)?.sqr()?;
    Ok(match norm {
        StyleNorm::Notebook => sq.mean_all()?,
        StyleNorm::Paper => {
            let (n, m) = (c as f64, (h * w) as f64);
            (sq.sum_all()? / (4.0 * n * n * m * m))?
        }
        StyleNorm::Relative => relative(&sq.sum_all()?, &target.sqr()?.sum_all()?)?,
    })
}

/// The factor that turns the notebook's loss, mean((G − A)²), into the relative one, ‖G − A‖² /
/// ‖A‖², for a relative style layer ([`crate::Config::relative_style_layers`]): 1 / mean(A²) of
/// the painting's target `a`. The floor is [`StyleNorm::Relative`]'s, 1e-12 on the sum (so 1e-12/n
/// on the mean of n entries): against a blank painting the loss stays finite and positive.
pub fn relative_factor(a: &Tensor) -> Result<f64> {
    let n = a.elem_count() as f64;
    let mean_square = scalar(&a.sqr()?.mean_all()?)?;
    Ok(1.0 / (mean_square + 1e-12 / n))
}

/// `loss / energy`, the energy (a constant of the target) kept away from zero.
fn relative(loss: &Tensor, energy: &Tensor) -> Result<Tensor> {
    Ok(loss.broadcast_div(&(energy.detach() + 1e-12)?)?)
}

/// Which statistics of a layer's activations stand for its "style" (for comparing them; the
/// paper's choice, and the default, is the Gram matrix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum StyleStats {
    /// Channel correlations G = F·Fᵀ (Gatys et al.), normalised by [`StyleNorm`].
    #[default]
    Gram,
    /// Each channel's mean and standard deviation over positions (Huang & Belongie 2017,
    /// AdaIN): no correlations between channels at all. Loss = MSE of means + MSE of stds.
    MeanStd,
    /// Mean vector and covariance matrix, compared as Gaussians by the Wasserstein-2 distance
    /// (as in crowsonkb/style-transfer-pytorch): ‖μ−μₛ‖² + tr Σ + tr Σₛ − 2 tr (Σₛ^½ Σ Σₛ^½)^½,
    /// divided by the number of channels. Like the Gram matrix, but centred, and a true distance.
    MeanCov,
}

choices!(StyleStats, "style statistics", [
    Gram => "gram", [], "Gram matrices (Gatys et al.)";
    MeanStd => "mean-std", ["meanstd", "adain"], "per-channel mean and spread (AdaIN)";
    MeanCov => "mean-cov", ["meancov", "wasserstein", "w2"], "mean and covariance (Wasserstein-2)";
]);

/// A style image's statistics at one layer. Weighted sums of targets (several styles) stay
/// meaningful, since each part is an average over positions.
#[derive(Debug, Clone)]
pub enum StyleTarget {
    Gram(Tensor),
    MeanStd {
        mean: Tensor,
        std: Tensor,
    },
    /// `cov_sqrt` = Σₛ^½, filled in by [`StyleTarget::finish`].
    MeanCov {
        mean: Tensor,
        cov: Tensor,
        cov_sqrt: Option<Tensor>,
    },
}

/// Newton–Schulz iterations for the matrix square root. A small eigenvalue λ (relative to the
/// largest) grows only about 1.5× per iteration until it nears √λ, so reaching the ridge (1e-6)
/// takes ~17 iterations, then a few quadratic ones. 12 were too few: on the rank-deficient
/// covariances of ReLU features the loss was 1.6% off (found by the PyTorch fixture).
pub const SQRTM_ITERATIONS: usize = 24;

/// Square root of a symmetric positive semi-definite matrix A by the coupled Newton–Schulz
/// iteration (only matrix products, so candle can differentiate it). Strictly, of
/// A + 1e-6·‖A‖_F·I: the small ridge keeps it stable.
pub fn sqrtm(a: &Tensor, iterations: usize) -> Result<Tensor> {
    let n = a.dim(0)?;
    let eye = Tensor::eye(n, a.dtype(), a.device())?;
    // ε inside the root: at A = 0 (the covariance of a single position) ‖A‖'s gradient would be
    // 0/0 = NaN; this way it is 0, and the value is the same 1e-12 as before.
    let norm = (a.sqr()?.sum_all()? + 1e-24)?.sqrt()?;
    // A small ridge lifts eigenvalues that rounding pushed below zero (a covariance of dead
    // ReLU channels is singular), where the iteration would diverge.
    let y = a.broadcast_div(&norm)?;
    let mut y = (y + (&eye * 1e-6)?)?;
    let mut z = eye.clone();
    for _ in 0..iterations {
        let t = ((&eye * 3.0)? - z.matmul(&y)?)?.affine(0.5, 0.0)?;
        y = y.matmul(&t)?;
        z = t.matmul(&z)?;
    }
    Ok(y.broadcast_mul(&norm.sqrt()?)?)
}

fn trace(a: &Tensor) -> Result<Tensor> {
    let eye = Tensor::eye(a.dim(0)?, a.dtype(), a.device())?;
    Ok((a * eye)?.sum_all()?)
}

/// Per-channel mean and standard deviation over positions, each (C,).
fn mean_std(f: &Tensor) -> Result<(Tensor, Tensor)> {
    let (_, c, h, w) = f.dims4()?;
    let m = f.reshape((c, h * w))?;
    let mean = m.mean(1)?;
    let var = m.broadcast_sub(&mean.unsqueeze(1)?)?.sqr()?.mean(1)?;
    Ok((mean, (var + 1e-5)?.sqrt()?))
}

/// Per-channel mean (C,) and covariance (C, C) over positions.
fn mean_cov(f: &Tensor) -> Result<(Tensor, Tensor)> {
    let (_, c, h, w) = f.dims4()?;
    let mean = f.reshape((c, h * w))?.mean(1)?;
    let second = (gram(f)? / (h * w) as f64)?;
    let outer = mean.unsqueeze(1)?.matmul(&mean.unsqueeze(0)?)?;
    Ok((mean, (second - outer)?))
}

/// The statistics `kind` of features `f` (1, C, H, W).
pub fn stats_target(f: &Tensor, kind: StyleStats, norm: StyleNorm) -> Result<StyleTarget> {
    Ok(match kind {
        StyleStats::Gram => StyleTarget::Gram(style_target(f, norm)?),
        StyleStats::MeanStd => {
            let (mean, std) = mean_std(f)?;
            StyleTarget::MeanStd { mean, std }
        }
        StyleStats::MeanCov => {
            let (mean, cov) = mean_cov(f)?;
            StyleTarget::MeanCov { mean, cov, cov_sqrt: None }
        }
    })
}

impl StyleTarget {
    /// `self + w·other` (blending several style images).
    pub fn add_scaled(&self, other: &StyleTarget, w: f64) -> Result<StyleTarget> {
        let mix = |a: &Tensor, b: &Tensor| -> Result<Tensor> { Ok((a + (b * w)?)?) };
        Ok(match (self, other) {
            (StyleTarget::Gram(a), StyleTarget::Gram(b)) => StyleTarget::Gram(mix(a, b)?),
            (StyleTarget::MeanStd { mean: m1, std: s1 }, StyleTarget::MeanStd { mean: m2, std: s2 }) => {
                StyleTarget::MeanStd { mean: mix(m1, m2)?, std: mix(s1, s2)? }
            }
            (StyleTarget::MeanCov { mean: m1, cov: c1, .. }, StyleTarget::MeanCov { mean: m2, cov: c2, .. }) => {
                StyleTarget::MeanCov { mean: mix(m1, m2)?, cov: mix(c1, c2)?, cov_sqrt: None }
            }
            _ => return Err(crate::error::NstError::InvalidConfig("cannot blend different style statistics".into())),
        })
    }

    /// `w·self`.
    pub fn scaled(&self, w: f64) -> Result<StyleTarget> {
        Ok(match self {
            StyleTarget::Gram(a) => StyleTarget::Gram((a * w)?),
            StyleTarget::MeanStd { mean, std } => StyleTarget::MeanStd { mean: (mean * w)?, std: (std * w)? },
            StyleTarget::MeanCov { mean, cov, .. } => {
                StyleTarget::MeanCov { mean: (mean * w)?, cov: (cov * w)?, cov_sqrt: None }
            }
        })
    }

    /// The same statistics under new tensor ids ([`crate::device::fresh_id`]), for one evaluation.
    pub fn fresh(&self) -> Result<StyleTarget> {
        use crate::device::fresh_id;
        Ok(match self {
            StyleTarget::Gram(a) => StyleTarget::Gram(fresh_id(a)?),
            StyleTarget::MeanStd { mean, std } => StyleTarget::MeanStd { mean: fresh_id(mean)?, std: fresh_id(std)? },
            StyleTarget::MeanCov { mean, cov, cov_sqrt } => StyleTarget::MeanCov {
                mean: fresh_id(mean)?,
                cov: fresh_id(cov)?,
                cov_sqrt: cov_sqrt.as_ref().map(fresh_id).transpose()?,
            },
        })
    }

    /// Precompute what every step needs (Σₛ^½, with extra iterations since it is done once).
    pub fn finish(self) -> Result<StyleTarget> {
        Ok(match self {
            StyleTarget::MeanCov { mean, cov, .. } => {
                let cov_sqrt = Some(sqrtm(&cov, 3 * SQRTM_ITERATIONS)?);
                StyleTarget::MeanCov { mean, cov, cov_sqrt }
            }
            t => t,
        })
    }
}

/// Style loss of features `f` against a finished [`StyleTarget`].
pub fn stats_loss(f: &Tensor, target: &StyleTarget, norm: StyleNorm) -> Result<Tensor> {
    match target {
        StyleTarget::Gram(a) => style_loss(f, a, norm),
        StyleTarget::MeanStd { mean, std } => {
            let (m, s) = mean_std(f)?;
            let l = ((m - mean)?.sqr()?.mean_all()? + (s - std)?.sqr()?.mean_all()?)?;
            match norm {
                // Divided by the loss at all-zero features (mean 0, std ~0).
                StyleNorm::Relative => relative(&l, &(mean.sqr()?.mean_all()? + std.sqr()?.mean_all()?)?),
                _ => Ok(l),
            }
        }
        StyleTarget::MeanCov { mean, cov, cov_sqrt } => {
            let (m, c) = mean_cov(f)?;
            let root = match cov_sqrt {
                Some(r) => r.clone(),
                None => sqrtm(cov, 3 * SQRTM_ITERATIONS)?,
            };
            let inner = root.matmul(&c)?.matmul(&root)?;
            // Symmetrise: rounding makes the product slightly asymmetric.
            let inner = ((&inner + inner.t()?)? * 0.5)?;
            let w2 = ((m - mean)?.sqr()?.sum_all()? + trace(&c)? + trace(cov)?
                - (trace(&sqrtm(&inner, SQRTM_ITERATIONS)?)? * 2.0)?)?;
            let w2 = (w2 / c.dim(0)? as f64)?;
            match norm {
                // W2² to all-zero features (a point at the origin) is ‖μₛ‖² + tr Σₛ.
                StyleNorm::Relative => relative(&w2, &((mean.sqr()?.sum_all()? + trace(cov)?)? / c.dim(0)? as f64)?),
                _ => Ok(w2),
            }
        }
    }
}

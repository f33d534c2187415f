//! Optimisers. The image is the only variable: each one receives a function that, for an image
//! `x`, returns the loss and its gradient. **One call of that function is one step**, as in the
//! original notebook (which counts L-BFGS closure calls), so step budgets compare fairly.

mod adam;
mod lbfgs;
mod sgd;

pub use adam::Adam;
pub use lbfgs::{Lbfgs, LineSearch};
pub use sgd::SgdDecay;

use std::ops::ControlFlow;

use candle_core::Tensor;

use crate::error::Result;

/// Which optimiser, without its settings (what the command line chooses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptimizerKind {
    Lbfgs,
    LbfgsNoLineSearch,
    Adam,
    Sgd,
}

choices!(OptimizerKind, "optimiser", [
    Lbfgs => "lbfgs", ["l-bfgs"], "L-BFGS with a strong-Wolfe line search (the default)";
    LbfgsNoLineSearch => "lbfgs-nols", [], "L-BFGS without line search, as the original notebook";
    Adam => "adam", [], "Adam, no weight decay";
    Sgd => "sgd", [], "gradient descent with exponential decay (Chollet)";
]);

impl OptimizerKind {
    /// This optimiser with its default settings.
    pub fn default_settings(self) -> Optimizer {
        match self {
            Self::Lbfgs => Optimizer::Lbfgs(Lbfgs::default()),
            Self::LbfgsNoLineSearch => Optimizer::Lbfgs(Lbfgs { line_search: None, ..Lbfgs::default() }),
            Self::Adam => Optimizer::Adam(Adam::default()),
            Self::Sgd => Optimizer::Sgd(SgdDecay::default()),
        }
    }
}

/// The objective: loss and gradient at `x`.
pub type Objective<'a> = dyn FnMut(&Tensor) -> Result<(f64, Tensor)> + 'a;

/// Told the loss of each iterate an optimiser moves to; `Break` stops the run there.
pub type Accepted<'a> = dyn FnMut(f64) -> ControlFlow<()> + 'a;

/// Which optimiser, with its settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Optimizer {
    Lbfgs(Lbfgs),
    Adam(Adam),
    Sgd(SgdDecay),
}

impl Optimizer {
    /// Minimise `f` from `x0` with at most `max_evals` evaluations; returns the final image.
    pub fn minimize(&self, x0: &Tensor, max_evals: usize, f: &mut Objective) -> Result<Tensor> {
        self.minimize_marking(x0, max_evals, f, &mut |_| ControlFlow::Continue(()))
    }

    /// [`Optimizer::minimize`], calling `accepted(loss)` for each iterate the optimiser moves
    /// to (the start included). Without a line search every evaluation is one; with it, the
    /// others are trials. `accepted` returning `Break` ends the run at that iterate (a
    /// stopping rule).
    pub fn minimize_marking(
        &self,
        x0: &Tensor,
        max_evals: usize,
        f: &mut Objective,
        accepted: &mut Accepted,
    ) -> Result<Tensor> {
        match self {
            Optimizer::Lbfgs(o) => o.minimize_marking(x0, max_evals, f, accepted),
            Optimizer::Adam(o) => o.minimize_marking(x0, max_evals, f, accepted),
            Optimizer::Sgd(o) => o.minimize_marking(x0, max_evals, f, accepted),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::Lbfgs(_) => "lbfgs",
            Optimizer::Adam(_) => "adam",
            Optimizer::Sgd(_) => "sgd",
        }
    }

    /// `lbfgs`, `lbfgs-nols` (no line search, as the original notebook), `adam` or `sgd`, with defaults.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(OptimizerKind::parse(s)?.default_settings())
    }

    /// Set the learning rate, whatever the optimiser.
    pub fn with_lr(mut self, lr: f64) -> Self {
        match &mut self {
            Optimizer::Lbfgs(o) => o.lr = lr,
            Optimizer::Adam(o) => o.lr = lr,
            Optimizer::Sgd(o) => o.lr = lr,
        }
        self
    }
}

pub(crate) fn dot(a: &Tensor, b: &Tensor) -> Result<f64> {
    Ok((a * b)?.sum_all()?.to_dtype(candle_core::DType::F64)?.to_scalar::<f64>()?)
}

pub(crate) fn abs_max(a: &Tensor) -> Result<f64> {
    Ok(a.abs()?.flatten_all()?.max(0)?.to_dtype(candle_core::DType::F64)?.to_scalar::<f64>()?)
}

pub(crate) fn abs_sum(a: &Tensor) -> Result<f64> {
    Ok(a.abs()?.sum_all()?.to_dtype(candle_core::DType::F64)?.to_scalar::<f64>()?)
}

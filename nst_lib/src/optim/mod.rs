//! Optimisers. The image is the only variable: each one is a loop that asks a [`Driver`] for
//! the loss and its gradient at an image `x`. **One evaluation is one step**, as in the original
//! notebook (which counts L-BFGS closure calls), so step budgets compare fairly.

mod adam;
mod lbfgs;
mod sgd;
mod stepper;

pub use adam::Adam;
pub use lbfgs::{Lbfgs, LineSearch};
pub use sgd::SgdDecay;
pub use stepper::{Request, Stepper};

use std::ops::ControlFlow;

use candle_core::Tensor;

use crate::device::scalar;
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

/// What an optimiser asks of the run that drives it. The optimisers are written as one loop
/// each (as torch's are); the driver decides when they may evaluate, so the same loop serves a
/// whole run with a fixed budget ([`Optimizer::minimize_marking`]) and a session that runs a
/// few steps per notebook cell ([`Stepper`]).
pub trait Driver {
    /// May the optimiser evaluate once more? `false` ends the run: the optimiser finishes with
    /// what it has evaluated (L-BFGS takes the best point of its line search so far).
    fn more(&mut self) -> bool;
    /// The loss and gradient at `x`: one step.
    fn eval(&mut self, x: &Tensor) -> Result<(f64, Tensor)>;
    /// The optimiser moved to `x`, the point of its `eval`-th evaluation (counted from 1)
    /// whose loss was `loss`. `Break` ends the run there (a stopping rule).
    fn accepted(&mut self, eval: usize, loss: f64, x: &Tensor) -> ControlFlow<()>;
}

/// The driver of a whole run: at most `max_evals` evaluations.
pub(crate) struct Budget<'a, 'b> {
    pub(crate) f: &'a mut Objective<'b>,
    pub(crate) accepted: &'a mut Accepted<'b>,
    pub(crate) evals: usize,
    pub(crate) max_evals: usize,
}

impl Driver for Budget<'_, '_> {
    fn more(&mut self) -> bool {
        self.evals < self.max_evals
    }
    fn eval(&mut self, x: &Tensor) -> Result<(f64, Tensor)> {
        self.evals += 1;
        (self.f)(x)
    }
    fn accepted(&mut self, _eval: usize, loss: f64, _x: &Tensor) -> ControlFlow<()> {
        (self.accepted)(loss)
    }
}

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
        self.drive(x0, &mut Budget { f, accepted, evals: 0, max_evals })
    }

    /// Minimise from `x0`, evaluating when `driver` allows; returns the final image.
    pub fn drive(&self, x0: &Tensor, driver: &mut dyn Driver) -> Result<Tensor> {
        match self {
            Optimizer::Lbfgs(o) => o.drive(x0, driver),
            Optimizer::Adam(o) => o.drive(x0, driver),
            Optimizer::Sgd(o) => o.drive(x0, driver),
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
    scalar(&(a * b)?.sum_all()?)
}

pub(crate) fn abs_max(a: &Tensor) -> Result<f64> {
    scalar(&a.abs()?.flatten_all()?.max(0)?)
}

pub(crate) fn abs_sum(a: &Tensor) -> Result<f64> {
    scalar(&a.abs()?.sum_all()?)
}

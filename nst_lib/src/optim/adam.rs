//! Adam (Kingma & Ba 2015) on the image. Unlike candle-nn's AdamW there is no weight decay by
//! default: decaying the *image* would darken it towards black.

use std::ops::ControlFlow;

use candle_core::Tensor;

use super::{Accepted, Driver, Objective};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Adam {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for Adam {
    /// lr 0.02 on a 0–1 image: a few hundred steps reach a visible style.
    fn default() -> Self {
        Self { lr: 0.02, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 }
    }
}

impl Adam {
    pub fn minimize(&self, x0: &Tensor, max_evals: usize, f: &mut Objective) -> Result<Tensor> {
        self.minimize_marking(x0, max_evals, f, &mut |_| ControlFlow::Continue(()))
    }

    /// [`Adam::minimize`]; every evaluation is an accepted iterate, and `Break` ends the run there.
    pub fn minimize_marking(
        &self,
        x0: &Tensor,
        max_evals: usize,
        f: &mut Objective,
        accepted: &mut Accepted,
    ) -> Result<Tensor> {
        super::Optimizer::Adam(self.clone()).minimize_marking(x0, max_evals, f, accepted)
    }

    /// Minimise from `x0`, evaluating when `driver` allows (see [`Driver`]).
    pub fn drive(&self, x0: &Tensor, driver: &mut dyn Driver) -> Result<Tensor> {
        let mut x = x0.clone();
        let mut m = x.zeros_like()?;
        let mut v = x.zeros_like()?;
        let mut t = 0;
        while driver.more() {
            t += 1;
            let (loss, mut g) = driver.eval(&x)?;
            if driver.accepted(t, loss, &x).is_break() {
                break;
            }
            if self.weight_decay != 0.0 {
                g = (g + (&x * self.weight_decay)?)?;
            }
            m = ((m * self.beta1)? + (&g * (1.0 - self.beta1))?)?;
            v = ((v * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
            let mhat = (&m / (1.0 - self.beta1.powi(t as i32)))?;
            let vhat = (&v / (1.0 - self.beta2.powi(t as i32)))?;
            x = (x - ((mhat / (vhat.sqrt()? + self.eps)?)? * self.lr)?)?;
        }
        Ok(x)
    }
}

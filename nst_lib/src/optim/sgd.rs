//! Plain gradient descent with an exponentially decaying learning rate, as in Chollet's
//! *Deep Learning with Python*: lr(t) = lr · decay_rate^(t / decay_steps).
//!
//! Safeguard: no pixel moves more than `max_step` in one step. Chollet's lr was tuned at about
//! 400 px; his style loss is divided by the squared pixel count, so its gradient per pixel grows
//! as the image shrinks and the same lr blows up small images within a few steps.

use std::ops::ControlFlow;

use candle_core::Tensor;

use super::{Accepted, Driver, Objective};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SgdDecay {
    pub lr: f64,
    pub decay_rate: f64,
    pub decay_steps: f64,
    /// Largest change of any pixel (0–1 scale) in one step; `None` for plain SGD.
    pub max_step: Option<f64>,
}

impl Default for SgdDecay {
    fn default() -> Self {
        Self { lr: 1e-3, decay_rate: 0.96, decay_steps: 100.0, max_step: Some(0.05) }
    }
}

impl SgdDecay {
    pub fn lr_at(&self, step: usize) -> f64 {
        self.lr * self.decay_rate.powf(step as f64 / self.decay_steps)
    }

    pub fn minimize(&self, x0: &Tensor, max_evals: usize, f: &mut Objective) -> Result<Tensor> {
        self.minimize_marking(x0, max_evals, f, &mut |_| ControlFlow::Continue(()))
    }

    /// [`SgdDecay::minimize`]; every evaluation is an accepted iterate, and `Break` ends the run there.
    pub fn minimize_marking(
        &self,
        x0: &Tensor,
        max_evals: usize,
        f: &mut Objective,
        accepted: &mut Accepted,
    ) -> Result<Tensor> {
        super::Optimizer::Sgd(self.clone()).minimize_marking(x0, max_evals, f, accepted)
    }

    /// Minimise from `x0`, evaluating when `driver` allows (see [`Driver`]).
    pub fn drive(&self, x0: &Tensor, driver: &mut dyn Driver) -> Result<Tensor> {
        let mut x = x0.clone();
        let mut t = 0;
        while driver.more() {
            let (loss, g) = driver.eval(&x)?;
            if driver.accepted(t + 1, loss, &x).is_break() {
                break;
            }
            let mut lr = self.lr_at(t);
            if let Some(cap) = self.max_step {
                let biggest = super::abs_max(&g)? * lr;
                if biggest > cap {
                    lr *= cap / biggest;
                }
            }
            x = (x - (g * lr)?)?;
            t += 1;
        }
        Ok(x)
    }
}

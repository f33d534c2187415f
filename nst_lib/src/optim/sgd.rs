//! Plain gradient descent with an exponentially decaying learning rate, as in Chollet's
//! *Deep Learning with Python*: lr(t) = lr · decay_rate^(t / decay_steps).

use candle_core::Tensor;

use super::Objective;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SgdDecay {
    pub lr: f64,
    pub decay_rate: f64,
    pub decay_steps: f64,
}

impl Default for SgdDecay {
    fn default() -> Self {
        Self { lr: 1e-3, decay_rate: 0.96, decay_steps: 100.0 }
    }
}

impl SgdDecay {
    pub fn lr_at(&self, step: usize) -> f64 {
        self.lr * self.decay_rate.powf(step as f64 / self.decay_steps)
    }

    pub fn minimize(&self, x0: &Tensor, max_evals: usize, f: &mut Objective) -> Result<Tensor> {
        let mut x = x0.clone();
        for t in 0..max_evals {
            let (_, g) = f(&x)?;
            x = (x - (g * self.lr_at(t))?)?;
        }
        Ok(x)
    }
}

//! The network's backward pass by hand, for the fast CPU kernels, keeping only what it needs.
//!
//! Through candle's autograd a step keeps every layer's output alive until the whole backward
//! pass is done, the ReLU outputs of the loss layers as extra copies, each pooling's full input,
//! and every gradient is accumulated as zeros + sum (three tensors of a layer's size at once).
//! At 2048 px that was 5 GB besides the optimiser. Here the forward pass records a tape:
//! - a convolution whose input was ReLU'd keeps that input (for the mask `x > 0`) — shared with
//!   the loss layer's features when it is one;
//! - a pooling keeps one byte per output saying which inputs its gradient goes to, not its input;
//! - a loss layer keeps its features (the Gram matrix's gradient needs them).
//!
//! The backward pass walks the tape from the end and frees each entry as soon as it is used.
//! The losses themselves stay in candle (see [`crate::total_loss`]): they see the features, or
//! for Gram terms just the c×c Gram matrix, as leaves, and hand back their gradients.

use std::sync::Arc;

use candle_core::{Device, Tensor};

use crate::cpu_kernels::{
    add_slice, gram_backward_add, mask_slice, pool_backward_slice, pool_forward_slice, relu_slice, with_f32, Conv3x3,
    PoolKind,
};
use crate::error::{NstError, Result};
use crate::vgg::{Layer, LayerKind, VggSpec};

enum Entry {
    /// Convolution `index` at h×w; `mask` = its input before the ReLU it read, if it read one.
    Conv { index: usize, h: usize, w: usize, mask: Option<Tensor> },
    /// 2x2 pooling of a (c, h, w) input; `route` as [`pool_forward_slice`] returns it.
    Pool { kind: PoolKind, c: usize, h: usize, w: usize, route: Vec<u8> },
    /// A ReLU applied on the spot (at a loss layer); its output is the mask.
    Relu { out: Tensor },
    /// Requested layers (indices into the caller's list) with their features.
    Tap { slots: Vec<usize>, features: Tensor },
}

/// A forward pass that can be differentiated once: the features at the requested layers and
/// the tape of what the backward pass needs.
pub struct Taped {
    /// The activations at the requested layers, in the order asked, each (1, c, h, w).
    pub features: Vec<Tensor>,
    tape: Vec<Entry>,
    input: (usize, usize, usize),
    convs: Vec<Arc<Conv3x3>>,
}

/// The trunk of `spec` on `x` (preprocessed, (1, c, h, w), f32 on the CPU) up to the deepest of
/// `layers`, with the fast kernels `convs`.
pub(crate) fn forward(
    convs: &[Arc<Conv3x3>],
    spec: &VggSpec,
    pool: PoolKind,
    x: &Tensor,
    layers: &[Layer],
) -> Result<Taped> {
    let (n, c0, h0, w0) = x.dims4()?;
    if n != 1 {
        return Err(NstError::InvalidConfig(format!("the taped trunk takes one image at a time, got {n}")));
    }
    let dev = Device::Cpu;
    let deepest = layers.iter().map(|l| l.seq).max().unwrap_or(0);
    let mut cur = x.contiguous()?;
    let (mut c, mut h, mut w) = (c0, h0, w0);
    let mut relu_pending = false;
    let mut tape = vec![];
    let mut features: Vec<Option<Tensor>> = vec![None; layers.len()];
    let mut conv = 0;
    for l in spec.layers().iter().take(deepest + 1) {
        match l.kind {
            LayerKind::Conv => {
                let k = &convs[conv];
                let cout = k.channels().1;
                let out = with_f32(&cur, |s| k.forward_slice(s, h, w, relu_pending))?;
                tape.push(Entry::Conv { index: conv, h, w, mask: relu_pending.then(|| cur.clone()) });
                cur = Tensor::from_vec(out, (1, cout, h, w), &dev)?;
                (c, conv, relu_pending) = (cout, conv + 1, false);
            }
            LayerKind::Relu => relu_pending = true,
            LayerKind::Pool => {
                if h % 2 != 0 || w % 2 != 0 {
                    return Err(NstError::InvalidConfig(format!("pooling needs even sides, got {w}x{h}")));
                }
                let (out, route) = with_f32(&cur, |s| pool_forward_slice(s, c, h, w, pool, relu_pending))?;
                tape.push(Entry::Pool { kind: pool, c, h, w, route });
                (h, w, relu_pending) = (h / 2, w / 2, false);
                cur = Tensor::from_vec(out, (1, c, h, w), &dev)?;
            }
        }
        let slots: Vec<usize> = (0..layers.len()).filter(|&i| layers[i].seq == l.seq).collect();
        if !slots.is_empty() {
            if relu_pending {
                // The loss sees relu(x); the next layer then reads it as it is.
                cur = Tensor::from_vec(with_f32(&cur, relu_slice)?, (1, c, h, w), &dev)?;
                tape.push(Entry::Relu { out: cur.clone() });
                relu_pending = false;
            }
            for &i in &slots {
                features[i] = Some(cur.clone());
            }
            tape.push(Entry::Tap { slots, features: cur.clone() });
        }
    }
    let features = features
        .into_iter()
        .map(|f| f.ok_or_else(|| NstError::InvalidConfig("a requested layer is not in this network".into())))
        .collect::<Result<Vec<_>>>()?;
    Ok(Taped { features, tape, input: (c0, h0, w0), convs: convs.to_vec() })
}

impl Taped {
    /// The gradient with respect to the trunk's input, given for each requested layer the
    /// loss's gradient with respect to its features (`by_features[i]`, (1, c, h, w)) and/or
    /// with respect to its raw Gram matrix G = F·Fᵀ (`by_gram[i]`, (c, c)). Consumes the tape,
    /// freeing each entry once used.
    pub fn backward(self, mut by_features: Vec<Option<Tensor>>, mut by_gram: Vec<Option<Tensor>>) -> Result<Tensor> {
        let Taped { features, tape, input, convs } = self;
        drop(features);
        let mut g: Option<Vec<f32>> = None;
        for entry in tape.into_iter().rev() {
            match entry {
                Entry::Tap { slots, features } => {
                    let (_, c, h, w) = features.dims4()?;
                    let mut acc = g.take().unwrap_or_else(|| vec![0f32; c * h * w]);
                    for i in slots {
                        if let Some(d) = by_features.get_mut(i).and_then(Option::take) {
                            with_f32(&d.contiguous()?, |d| add_slice(&mut acc, d))?;
                        }
                        if let Some(dg) = by_gram.get_mut(i).and_then(Option::take) {
                            let sym = (&dg + dg.t()?)?.contiguous()?;
                            with_f32(&sym, |s| with_f32(&features, |f| gram_backward_add(s, f, c, h * w, &mut acc)))??;
                        }
                    }
                    g = Some(acc);
                }
                Entry::Relu { out } => {
                    if let Some(g) = g.as_mut() {
                        with_f32(&out, |m| mask_slice(g, m))?;
                    }
                }
                Entry::Pool { kind, c, h, w, route } => {
                    g = g.map(|g| pool_backward_slice(&g, &route, c, h, w, kind));
                }
                Entry::Conv { index, h, w, mask } => {
                    if let Some(gv) = g.take() {
                        let k = &convs[index];
                        g = Some(match mask {
                            Some(m) => with_f32(&m, |m| k.input_grad_slice(&gv, h, w, Some(m)))?,
                            None => k.input_grad_slice(&gv, h, w, None),
                        });
                    }
                }
            }
        }
        let (c, h, w) = input;
        let g = g.unwrap_or_else(|| vec![0f32; c * h * w]);
        Ok(Tensor::from_vec(g, (1, c, h, w), &Device::Cpu)?)
    }
}

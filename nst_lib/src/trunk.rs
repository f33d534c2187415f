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

use crate::bands::{put_rows, Band};
use crate::cpu_kernels::{
    add_slice, gram_backward_add, mask_slice, pool_backward_slice, pool_forward_slice, relu_slice, with_f32, Conv3x3,
    PoolKind,
};
use crate::error::{NstError, Result};
use crate::vgg::{BandCut, Layer, LayerKind, Vgg, VggSpec};

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
    forward_from(convs, spec, pool, x, layers, 0)
}

/// [`forward`] from layer `from` on (0, or just after a pooling), `x` being that layer's input.
fn forward_from(
    convs: &[Arc<Conv3x3>],
    spec: &VggSpec,
    pool: PoolKind,
    x: &Tensor,
    layers: &[Layer],
    from: usize,
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
    let all = spec.layers();
    let mut conv = all[..from].iter().filter(|l| l.kind == LayerKind::Conv).count();
    for l in all.iter().take(deepest + 1).skip(from) {
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

/// A large picture's taped pass ([`crate::bands`]): the layers up to the cut run band by band —
/// once forward without a tape, keeping only each band's share of the Gram matrices of the loss
/// layers there and of the cut's output, and once more in the backward pass, to tape a band and
/// use it at once — and the rest of the network as one [`Taped`] on the cut's output.
pub struct Banded {
    /// Raw Gram matrices F·Fᵀ of the loss layers before the cut (None for the others).
    pub grams: Vec<Option<Tensor>>,
    /// Features of the loss layers after the cut (None for the others).
    pub features: Vec<Option<Tensor>>,
    x: Tensor,
    layers: Vec<Layer>,
    cut: BandCut,
    bands: Vec<Band>,
    rest: Taped,
    spec: VggSpec,
    pool: PoolKind,
}

/// [`forward`] in bands, on `vgg`'s fast kernels. The loss layers before the cut are
/// differentiated through their Gram matrix only ([`Banded::backward`] refuses a feature
/// gradient for them). The forward pass is [`Vgg`]'s own band pass, which keeps no tape: each
/// band is taped only when the backward pass recomputes it.
pub(crate) fn forward_banded(
    vgg: &Vgg,
    x: &Tensor,
    layers: &[Layer],
    (cut, bands): (BandCut, Vec<Band>),
) -> Result<Banded> {
    let (convs, pool) =
        vgg.fast_trunk().ok_or_else(|| NstError::InvalidConfig("internal: bands need the fast kernels".into()))?;
    let front: Vec<bool> = layers.iter().map(|l| l.seq < cut.layer.seq).collect();
    let mut grams = vec![None; layers.len()];
    let mid = vgg.banded_front(convs, x, layers, &front, (&cut, &bands), &mut grams)?;
    grams.iter_mut().zip(&front).filter(|(_, &f)| !f).for_each(|(g, _)| *g = None);
    let spec = &vgg.spec;
    let back: Vec<Layer> = layers.iter().filter(|l| l.seq > cut.layer.seq).copied().collect();
    let rest = forward_from(convs, spec, pool, &mid, &back, cut.layer.seq + 1)?;
    let mut features: Vec<Option<Tensor>> = vec![None; layers.len()];
    for (f, (slot, _)) in rest.features.iter().zip(back_slots(layers, &cut)) {
        features[slot] = Some(f.clone());
    }
    Ok(Banded { grams, features, x: x.clone(), layers: layers.to_vec(), cut, bands, rest, spec: spec.clone(), pool })
}

/// The requested layers before the cut, then the cut itself: what a band computes.
fn front_layers(layers: &[Layer], cut: &BandCut) -> Vec<Layer> {
    front_slots(layers, cut).map(|(_, l)| l).chain(std::iter::once(cut.layer)).collect()
}

fn front_slots<'a>(layers: &'a [Layer], cut: &'a BandCut) -> impl Iterator<Item = (usize, Layer)> + 'a {
    layers.iter().copied().enumerate().filter(move |(_, l)| l.seq < cut.layer.seq)
}

fn back_slots<'a>(layers: &'a [Layer], cut: &'a BandCut) -> impl Iterator<Item = (usize, Layer)> + 'a {
    layers.iter().copied().enumerate().filter(move |(_, l)| l.seq > cut.layer.seq)
}

impl Banded {
    /// As [`Taped::backward`]; for the layers before the cut only `by_gram` may be given.
    pub fn backward(self, mut by_features: Vec<Option<Tensor>>, mut by_gram: Vec<Option<Tensor>>) -> Result<Tensor> {
        let Banded { grams, features, x, layers, cut, bands, rest, spec, pool } = self;
        drop((grams, features));
        let convs = rest.convs.clone();
        let take = |v: &mut Vec<Option<Tensor>>, slot: usize| v.get_mut(slot).and_then(Option::take);
        let back: Vec<usize> = back_slots(&layers, &cut).map(|(i, _)| i).collect();
        let bf = back.iter().map(|&i| take(&mut by_features, i)).collect();
        let bg = back.iter().map(|&i| take(&mut by_gram, i)).collect();
        let d_mid = rest.backward(bf, bg)?;
        let mut front_sym = vec![];
        for (slot, _) in front_slots(&layers, &cut) {
            if take(&mut by_features, slot).is_some() {
                return Err(NstError::InvalidConfig("internal: a banded layer's features have no gradient".into()));
            }
            front_sym.push(take(&mut by_gram, slot).map(|dg| (&dg + dg.t()?)?.contiguous()).transpose()?);
        }
        let (_, c0, h, w) = x.dims4()?;
        let mut grad = vec![0f32; c0 * h * w];
        let front = front_layers(&layers, &cut);
        for band in &bands {
            let taped = forward(&convs, &spec, pool, &x.narrow(2, band.lo, band.hi - band.lo)?, &front)?;
            let mut inject = vec![];
            for (f, (sym, l)) in taped.features.iter().zip(front_sym.iter().zip(&front)) {
                inject.push(sym.as_ref().map(|s| own_rows_gram_grad(s, f, band, l)).transpose()?);
            }
            inject.push(Some(band_rows(&d_mid, band, cut.multiple)?));
            let none = vec![None; inject.len()];
            let g = taped.backward(inject, none)?;
            let hb = band.hi - band.lo;
            with_f32(&g, |s| put_rows(&mut grad, h, band.lo, s, hb, 0, (c0, hb, w), true))?;
        }
        Ok(Tensor::from_vec(grad, (1, c0, h, w), &Device::Cpu)?)
    }
}

/// (dG + dGᵀ)·F for a band's features `f`, on the band's own rows only (zero on its halo, whose
/// positions are other bands' share of the Gram matrix).
fn own_rows_gram_grad(sym: &Tensor, f: &Tensor, band: &Band, l: &Layer) -> Result<Tensor> {
    let (_, c, hb, wl) = f.dims4()?;
    let (_, own, rows) = band.at(1 << l.poolings_before());
    let f_own = f.narrow(2, own, rows)?.contiguous()?;
    let mut part = vec![0f32; c * rows * wl];
    with_f32(sym, |s| with_f32(&f_own, |f| gram_backward_add(s, f, c, rows * wl, &mut part)))??;
    let mut acc = vec![0f32; c * hb * wl];
    put_rows(&mut acc, hb, own, &part, rows, 0, (c, rows, wl), false);
    Ok(Tensor::from_vec(acc, (1, c, hb, wl), &Device::Cpu)?)
}

/// The band's own rows of the whole gradient `d` at a layer `scale` times smaller, placed in the
/// band's rows (zero on the halo).
fn band_rows(d: &Tensor, band: &Band, scale: usize) -> Result<Tensor> {
    let (_, c, h, wl) = d.dims4()?;
    let (hb, own, rows) = band.at(scale);
    let mut out = vec![0f32; c * hb * wl];
    with_f32(d, |s| put_rows(&mut out, hb, own, s, h, band.top / scale, (c, rows, wl), false))?;
    Ok(Tensor::from_vec(out, (1, c, hb, wl), &Device::Cpu)?)
}

/// A taped pass of either kind, as [`crate::total_loss`] uses it.
pub enum Pass {
    Whole(Taped),
    Banded(Box<Banded>),
}

impl Pass {
    /// The (unscaled) features of requested layer `slot`, where the pass keeps them.
    pub fn features(&self, slot: usize) -> Option<&Tensor> {
        match self {
            Pass::Whole(t) => t.features.get(slot),
            Pass::Banded(b) => b.features.get(slot).and_then(Option::as_ref),
        }
    }

    /// The raw Gram matrix F·Fᵀ of layer `slot` with its (c, h, w).
    pub fn gram(&self, slot: usize) -> Result<(Tensor, (usize, usize, usize))> {
        if let Pass::Banded(b) = self {
            if let Some(g) = b.grams.get(slot).and_then(Option::as_ref) {
                let l = b.layers[slot];
                let (_, _, h, w) = b.x.dims4()?;
                return Ok((g.clone(), b.spec.layer_dims(&l, (h, w))));
            }
        }
        let f = self.features(slot).ok_or_else(|| NstError::InvalidConfig("internal: no features".into()))?;
        let (_, c, h, w) = f.dims4()?;
        Ok((crate::cpu_kernels::gram(&f.reshape((c, h * w))?)?, (c, h, w)))
    }

    pub fn backward(self, by_features: Vec<Option<Tensor>>, by_gram: Vec<Option<Tensor>>) -> Result<Tensor> {
        match self {
            Pass::Whole(t) => t.backward(by_features, by_gram),
            Pass::Banded(b) => b.backward(by_features, by_gram),
        }
    }
}

//! The quantity being minimised: α·content + β·style + γ·tv (+ the pixel-range penalty), each
//! layer's share reported.

use std::sync::Arc;

use candle_core::{DType, Tensor, Var};

use crate::config::{Config, LayerWeight, Mode};
use crate::content_loss::{content_loss, content_loss_and_grad, ContentNorm};
use crate::cpu_kernels::{Conv3x3, PoolKind};
use crate::device::{fresh_id, scalar};
use crate::error::{NstError, Result};
use crate::pixel_range::range_penalty;
use crate::style_loss::{
    relative_factor, stats_loss, stats_target, style_loss_of_gram, style_target_of_gram, StyleNorm, StyleStats,
    StyleTarget,
};
use crate::total_variation::total_variation;
use crate::trunk;

use crate::vgg::{Layer, Vgg};

/// Loss values at one image, already weighted, so `total = content + style + tv`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LossParts {
    pub total: f64,
    pub content: f64,
    pub style: f64,
    pub tv: f64,
    /// The pixel-range penalty ([`crate::pixel_range`]), weighted.
    #[serde(default)]
    pub range: f64,
    /// ("content conv4_2", value), ("style relu1_1", value), ... weighted.
    pub layers: Vec<(String, f64)>,
}

enum Target {
    Content(Tensor),
    Style(StyleTarget),
}

/// Which loss a term belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Content,
    Style,
}

struct Term {
    label: String,
    kind: Kind,
    /// Position in the config's layer list of its kind.
    index: usize,
    /// Index into `TotalLoss::layers`.
    slot: usize,
    weight: f64,
    /// 1 / mean(A²) for a relative style layer ([`Config::relative_style_layers`]), else 1: a
    /// constant of the painting, so it survives [`TotalLoss::reweigh`].
    relative: f64,
    target: Target,
}

/// Targets computed once from the content and style images; evaluates any candidate image.
pub struct TotalLoss {
    /// Shared with the session and the other losses made from it: the network is loaded once.
    vgg: Arc<Vgg>,
    cfg: Config,
    layers: Vec<Layer>,
    terms: Vec<Term>,
    /// Per-layer factor on the features (same order as `layers`), see `Config::feature_scale`.
    scales: Vec<f64>,
    /// Per-slot position weights √(m·HW/Σm) for style terms, from [`TotalLoss::set_style_mask`].
    style_masks: Vec<Option<Tensor>>,
    /// The style terms on the picture at half size ([`Config::half_size_style`]): a loss of
    /// their own, against the style images at half size.
    half: Option<Box<TotalLoss>>,
}

impl TotalLoss {
    /// `content` / `style` are RGB 0–1 tensors `(1, 3, H, W)`; a loss whose image is absent or
    /// whose weight is 0 is left out (and its layers are not computed).
    pub fn new(vgg: &Arc<Vgg>, content: Option<&Tensor>, style: Option<&Tensor>, cfg: &Config) -> Result<Self> {
        let styles: Vec<(Tensor, f64)> = style.map(|s| (s.clone(), 1.0)).into_iter().collect();
        Self::with_styles(vgg, content, &styles, cfg)
    }

    /// Several style images with blend weights: each style layer's target is Σ wᵢ·Gᵢ, the
    /// weighted mean of the styles' targets (weights are used as given; `Config::style_blend`
    /// normalises them to sum 1).
    pub fn with_styles(
        vgg: &Arc<Vgg>,
        content: Option<&Tensor>,
        styles: &[(Tensor, f64)],
        cfg: &Config,
    ) -> Result<Self> {
        let mut this = Self {
            vgg: Arc::clone(vgg),
            cfg: cfg.clone(),
            layers: vec![],
            terms: vec![],
            scales: vec![],
            style_masks: vec![],
            half: None,
        };
        let use_content = cfg.content_weight > 0.0 && cfg.mode != Mode::Style;
        let use_style = cfg.style_weight > 0.0 && cfg.mode != Mode::Content;
        if let (true, Some(img)) = (use_content, content) {
            this.add_terms(img, Kind::Content, |f, _| Ok(Target::Content(f.clone())))?;
        }
        if let (true, Some(((first, w0), rest))) = (use_style, styles.split_first()) {
            let norm = cfg.style_norm;
            let start = this.terms.len();
            // The first style fixes the layers' feature scales; the others reuse them.
            let kind = cfg.style_stats;
            this.add_terms(first, Kind::Style, |f, gram_dims| {
                let target = match gram_dims {
                    Some(dims) => StyleTarget::Gram(style_target_of_gram(f, dims, norm)?),
                    None => stats_target(f, kind, norm)?,
                };
                Ok(Target::Style(target.scaled(*w0)?))
            })?;
            for (img, w) in rest {
                let feats = this.scaled_features(img)?;
                for term in &mut this.terms[start..] {
                    if let Target::Style(t) = &mut term.target {
                        *t = t.add_scaled(&stats_target(&feats[term.slot], kind, norm)?, *w)?;
                    }
                }
            }
            for term in &mut this.terms[start..] {
                if let Target::Style(t) = &mut term.target {
                    *t = t.clone().finish()?;
                }
            }
            this.set_relative_layers(start)?;
            this.half = Self::half_size_loss(vgg, styles, cfg)?;
        }
        Ok(this)
    }

    /// ‖G − A‖² / ‖A‖² for the relative style layers: the notebook's loss, mean((G − A)²),
    /// divided by mean(A²) of the painting's (blended) target. Only that loss becomes the
    /// relative form by this factor; on the others the list has no effect.
    fn set_relative_layers(&mut self, start: usize) -> Result<()> {
        if self.cfg.style_norm != StyleNorm::Notebook {
            return Ok(());
        }
        for term in &mut self.terms[start..] {
            let layer = &self.cfg.style_layers[term.index].layer;
            if let (true, Target::Style(StyleTarget::Gram(a))) =
                (self.cfg.relative_style_layers.contains(layer), &term.target)
            {
                term.relative = relative_factor(a)?;
            }
        }
        Ok(())
    }

    /// The style terms at half size: the same layers and statistics, weighted by
    /// `half_size_style`·β, against the style images halved like the picture will be. None when
    /// off, or when a style image is too small for its half to reach the deepest layer.
    fn half_size_loss(vgg: &Arc<Vgg>, styles: &[(Tensor, f64)], cfg: &Config) -> Result<Option<Box<TotalLoss>>> {
        if cfg.half_size_style <= 0.0 {
            return Ok(None);
        }
        let layers = cfg.style_layers.iter().map(|l| vgg.spec.layer(&l.layer)).collect::<Result<Vec<_>>>()?;
        let multiple = 1usize << layers.iter().map(|l| l.poolings_before()).max().unwrap_or(0);
        if !styles.iter().all(|(s, _)| halves(s, multiple)) {
            return Ok(None);
        }
        let halved = styles.iter().map(|(s, w)| Ok((halve(s, multiple)?, *w))).collect::<Result<Vec<_>>>()?;
        Ok(Some(Box::new(Self::with_styles(vgg, None, &halved, &half_config(cfg))?)))
    }

    /// The weight of term `index` of `kind` under `cfg`: α or β times the layer's weight. On
    /// the scale-free objective layer weights are shares (a weighted mean over layers), so a
    /// strength means the same whatever layers are chosen.
    fn term_weight(cfg: &Config, kind: Kind, index: usize) -> f64 {
        let (specs, weight, relative) = match kind {
            Kind::Content => (&cfg.content_layers, cfg.content_weight, cfg.content_norm == ContentNorm::Relative),
            Kind::Style => (&cfg.style_layers, cfg.style_weight, cfg.style_norm == StyleNorm::Relative),
        };
        let sum: f64 = specs.iter().map(|s| s.weight).sum();
        let share = if relative && sum > 0.0 { 1.0 / sum } else { 1.0 };
        weight * specs[index].weight * share
    }

    /// New weights (α, β, γ, layer weights) for the same layers and targets: nothing recomputed.
    pub fn reweigh(&mut self, cfg: &Config) -> Result<()> {
        let same = |a: &[LayerWeight], b: &[LayerWeight]| a.iter().map(|l| &l.layer).eq(b.iter().map(|l| &l.layer));
        if !same(&cfg.content_layers, &self.cfg.content_layers)
            || !same(&cfg.style_layers, &self.cfg.style_layers)
            || cfg.relative_style_layers != self.cfg.relative_style_layers
        {
            return Err(crate::error::NstError::InvalidConfig(
                "reweigh keeps the layers and which style layers are relative: build a new TotalLoss for other ones"
                    .into(),
            ));
        }
        match (&mut self.half, cfg.half_size_style > 0.0) {
            (Some(half), true) => half.reweigh(&half_config(cfg))?,
            (Some(_), false) => self.half = None,
            // Asked for before, and left out because a style image is too small to halve.
            (None, true) if self.cfg.half_size_style > 0.0 => {}
            (None, false) => {}
            (None, true) => {
                return Err(crate::error::NstError::InvalidConfig(
                    "reweigh cannot add the half-size style terms: build a new TotalLoss with half_size_style > 0"
                        .into(),
                ))
            }
        }
        for t in &mut self.terms {
            t.weight = Self::term_weight(cfg, t.kind, t.index);
        }
        self.cfg.content_weight = cfg.content_weight;
        self.cfg.style_weight = cfg.style_weight;
        self.cfg.tv_weight = cfg.tv_weight;
        self.cfg.tv = cfg.tv;
        self.cfg.range_weight = cfg.range_weight;
        self.cfg.half_size_style = cfg.half_size_style;
        self.cfg.content_layers = cfg.content_layers.clone();
        self.cfg.style_layers = cfg.style_layers.clone();
        Ok(())
    }

    /// The terms of `kind` against `image`: `target` gets each layer's scaled features, or — for
    /// Gram style terms with a fixed feature scale, which need no more — the Gram matrix of the
    /// scaled features with the layer's (c, h, w), so a large style image's features are never
    /// held whole.
    fn add_terms(
        &mut self,
        image: &Tensor,
        kind: Kind,
        target: impl Fn(&Tensor, Option<(usize, usize, usize)>) -> Result<Target>,
    ) -> Result<()> {
        let specs = match kind {
            Kind::Content => self.cfg.content_layers.clone(),
            Kind::Style => self.cfg.style_layers.clone(),
        };
        let what = match kind {
            Kind::Content => "content",
            Kind::Style => "style",
        };
        let layers = specs.iter().map(|s| self.vgg.spec.layer(&s.layer)).collect::<Result<Vec<_>>>()?;
        let unit = self.cfg.feature_scale.unit();
        let grams = kind == Kind::Style && self.cfg.style_stats == StyleStats::Gram && unit.is_some();
        let feats = self.vgg.features_or_grams(image, &layers, &vec![grams; layers.len()])?;
        let (_, _, h, w) = image.dims4()?;
        for (index, (layer, f)) in layers.iter().zip(&feats).enumerate() {
            let slot = match self.layers.iter().position(|l| l == layer) {
                Some(i) => i,
                None => {
                    // A layer's scale is fixed by the first target that uses it (content before style).
                    let scale = match self.cfg.feature_scale.unit() {
                        Some(unit) => unit / self.vgg.flavour.feature_unit(),
                        None => 1.0 / scalar(&f.abs()?.mean_all()?)?.max(1e-12),
                    };
                    self.layers.push(*layer);
                    self.scales.push(scale);
                    self.layers.len() - 1
                }
            };
            let s = self.scales[slot];
            let (f, dims) = match grams {
                true => ((f.detach() * (s * s))?, Some(self.vgg.spec.layer_dims(layer, (h, w)))),
                false => ((f.detach() * s)?, None),
            };
            self.terms.push(Term {
                label: format!("{what} {}", layer.name()),
                kind,
                index,
                slot,
                weight: Self::term_weight(&self.cfg, kind, index),
                relative: 1.0,
                target: target(&f, dims)?,
            });
        }
        Ok(())
    }

    /// Limit the style loss to where `mask` (1, 1, H, W) with values 0–1 is bright: at each style
    /// layer the Gram matrix becomes a weighted average over positions, Σ mₚ fₚfₚᵀ / Σ mₚ, with
    /// the mask average-pooled down to the layer's resolution. The style targets are unchanged
    /// (the whole style image); only the output's statistics are taken from the masked region.
    pub fn set_style_mask(&mut self, mask: &Tensor) -> Result<()> {
        use crate::style_loss::StyleStats;
        if self.cfg.style_stats != StyleStats::Gram {
            return Err(crate::error::NstError::InvalidConfig(
                "a style mask works with Gram statistics only (style_stats = Gram)".into(),
            ));
        }
        self.style_masks = self
            .layers
            .iter()
            .map(|l| {
                let mut m = mask.clone();
                for _ in 0..l.poolings_before() {
                    m = m.avg_pool2d(2)?;
                }
                let (_, _, h, w) = m.dims4()?;
                let total = scalar(&m.sum_all()?)?;
                if total <= 0.0 {
                    return Err(crate::error::NstError::InvalidConfig(
                        "the style mask is black everywhere: white (or grey) marks where style goes".into(),
                    ));
                }
                Ok(Some((m * ((h * w) as f64 / total))?.sqrt()?))
            })
            .collect::<Result<_>>()?;
        if let Some(half) = &mut self.half {
            let m = half.multiple();
            half.set_style_mask(&halve(mask, m)?)?;
        }
        Ok(())
    }

    /// Features at all loss layers, each multiplied by its scale.
    fn scaled_features(&self, image: &Tensor) -> Result<Vec<Tensor>> {
        let feats = self.vgg.features(image, &self.layers)?;
        feats.into_iter().zip(&self.scales).map(|(f, &s)| Ok(if s == 1.0 { f } else { (f * s)? })).collect()
    }

    /// Whether the taped pass runs an `h`×`w` picture in bands ([`crate::bands`]): the network
    /// plans bands for it and no layer before the cut needs its features.
    pub fn in_bands(&self, h: usize, w: usize) -> bool {
        let plan = self.vgg.band_plan(h, w, &self.layers);
        self.vgg.fast_trunk().is_some() && plan.is_some_and(|(cut, _)| self.bands_apply(&cut))
    }

    fn bands_apply(&self, cut: &crate::vgg::BandCut) -> bool {
        let needs_features = |slot: usize| self.terms.iter().any(|t| t.slot == slot && !self.reads_gram_only(t));
        self.layers.iter().enumerate().all(|(slot, l)| l.seq > cut.layer.seq || !needs_features(slot))
    }

    /// The layers the network must compute (deepest one decides how far it runs).
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Deepest layer used, for image sizing.
    pub fn deepest(&self) -> Option<Layer> {
        self.layers.iter().max_by_key(|l| l.seq).copied()
    }

    /// Loss as a tensor (for autodiff) plus the reported parts. A layer whose terms read only its
    /// Gram matrix gets just that ([`Vgg::features_or_grams`]: a large picture's early layers
    /// are then never held whole), computed as the taped pass computes it.
    fn loss_tensor(&self, x: &Tensor) -> Result<(Tensor, LossParts)> {
        let gram_only: Vec<bool> = (0..self.layers.len())
            .map(|slot| self.terms.iter().filter(|t| t.slot == slot).all(|t| self.reads_gram_only(t)))
            .collect();
        let (_, _, h, w) = x.dims4()?;
        let feats = self.vgg.features_or_grams(x, &self.layers, &gram_only)?;
        let mut inputs = vec![];
        for ((f, (&s, layer)), &g) in feats.into_iter().zip(self.scales.iter().zip(&self.layers)).zip(&gram_only) {
            let dims = self.vgg.spec.layer_dims(layer, (h, w));
            inputs.push(match g {
                true => SlotInput::scaled(None, Some((f, dims)), s)?,
                false => SlotInput::scaled(Some(f), None, s)?,
            });
        }
        self.loss_tensor_from(x, &inputs)
    }

    /// Whether a term can read its layer's Gram matrix alone (unmasked Gram statistics).
    fn reads_gram_only(&self, term: &Term) -> bool {
        matches!(term.target, Target::Style(StyleTarget::Gram(_)))
            && self.style_masks.get(term.slot).is_none_or(|m| m.is_none())
    }

    /// The loss at image `x` from what each layer's terms read (`inputs`, one per slot).
    fn loss_tensor_from(&self, x: &Tensor, inputs: &[SlotInput]) -> Result<(Tensor, LossParts)> {
        let mut total = Tensor::zeros((), x.dtype(), x.device())?;
        let mut parts = LossParts { total: 0.0, content: 0.0, style: 0.0, tv: 0.0, range: 0.0, layers: vec![] };
        for term in &self.terms {
            let input = &inputs[term.slot];
            let f =
                || input.features.as_ref().ok_or_else(|| NstError::InvalidConfig("internal: features not kept".into()));
            // Targets and masks may come from an earlier notebook cell: fresh ids (see fresh_id).
            let l = match &term.target {
                Target::Content(p) => match &input.content {
                    Some(l) => l.clone(),
                    None => content_loss(f()?, &fresh_id(p)?, self.cfg.content_norm)?,
                },
                Target::Style(a) => {
                    match (self.style_masks.get(term.slot).and_then(|m| m.as_ref()), a.fresh()?, &input.gram) {
                        (None, StyleTarget::Gram(a), Some((g, dims))) => {
                            style_loss_of_gram(g, *dims, &a, self.cfg.style_norm)?
                        }
                        (Some(m), a, _) => stats_loss(&f()?.broadcast_mul(&fresh_id(m)?)?, &a, self.cfg.style_norm)?,
                        (None, a, _) => stats_loss(f()?, &a, self.cfg.style_norm)?,
                    }
                }
            };
            let l = (l * (term.weight * term.relative))?;
            let v = scalar(&l)?;
            match term.target {
                Target::Content(_) => parts.content += v,
                Target::Style(_) => parts.style += v,
            }
            parts.layers.push((term.label.clone(), v));
            total = (total + l)?;
        }
        if self.cfg.tv_weight > 0.0 {
            let tv = (total_variation(x, self.cfg.tv)? * self.cfg.tv_weight)?;
            parts.tv = scalar(&tv)?;
            parts.layers.push(("tv".into(), parts.tv));
            total = (total + tv)?;
        }
        if self.cfg.range_weight > 0.0 {
            let r = (range_penalty(x)? * self.cfg.range_weight)?;
            parts.range = scalar(&r)?;
            parts.layers.push(("range".into(), parts.range));
            total = (total + r)?;
        }
        parts.total = scalar(&total)?;
        Ok((total, parts))
    }

    /// Loss only (no gradient): for finite differences and monitoring.
    pub fn loss(&self, x: &Tensor) -> Result<LossParts> {
        let mut parts = self.loss_tensor(&x.detach())?.1;
        if let Some(half) = self.half.as_ref().filter(|h| halves(x, h.multiple())) {
            parts.add_half(half.loss(&halve(&x.detach(), half.multiple())?)?);
        }
        Ok(parts)
    }

    /// Loss and its gradient with respect to the image `x`.
    pub fn loss_and_grad(&self, x: &Tensor) -> Result<(LossParts, Tensor)> {
        let (mut parts, mut g) = self.loss_and_grad_full_size(x)?;
        if let Some(half) = self.half.as_ref().filter(|h| halves(x, h.multiple())) {
            let (half_parts, half_g) = half.loss_and_grad(&halve(&x.detach(), half.multiple())?)?;
            parts.add_half(half_parts);
            g = (g + unhalve(&half_g, x.dims4()?)?)?;
        }
        Ok((parts, g))
    }

    /// The side every picture must be a multiple of, to reach the deepest layer.
    fn multiple(&self) -> usize {
        1 << self.deepest().map_or(0, |l| l.poolings_before())
    }

    fn loss_and_grad_full_size(&self, x: &Tensor) -> Result<(LossParts, Tensor)> {
        if let Some((convs, pool)) =
            self.vgg.fast_trunk().filter(|_| x.dtype() == DType::F32 && x.dim(0).ok() == Some(1))
        {
            return self.loss_and_grad_taped(x, convs, pool);
        }
        let var = Var::from_tensor(&x.detach())?;
        let (loss, parts) = self.loss_tensor(var.as_tensor())?;
        let grads = loss.backward()?;
        let g = match grads.get(var.as_tensor()) {
            // Detached: the optimiser stores gradients, and one that kept its graph would keep
            // every activation of its step alive (found as a memory blow-up).
            Some(g) => g.detach(),
            None => var.as_tensor().zeros_like()?, // no loss term depends on the image
        };
        Ok((parts, g))
    }

    /// [`TotalLoss::loss_and_grad`] on the fast CPU kernels with the hand-written backward pass
    /// of [`crate::trunk`]: the same numbers (up to rounding) in far less memory. The losses see
    /// leaves: a Gram term its c×c Gram matrix, any other term a copy of its layer's features —
    /// except a content term computed beside the graph ([`TotalLoss::content_beside_the_graph`]).
    fn loss_and_grad_taped(&self, x: &Tensor, convs: &[Arc<Conv3x3>], pool: PoolKind) -> Result<(LossParts, Tensor)> {
        let var = Var::from_tensor(&x.detach())?;
        let prep = self.vgg.preprocess(var.as_tensor())?;
        let uses =
            |slot: usize, gram: bool| self.terms.iter().any(|t| t.slot == slot && self.reads_gram_only(t) == gram);
        let pass = self.taped_pass(&prep.detach(), convs, pool)?;
        let (mut feature_leaves, mut gram_leaves, mut inputs, mut closed) = (vec![], vec![], vec![], vec![]);
        for (slot, &s) in self.scales.iter().enumerate() {
            let features = uses(slot, false)
                .then(|| {
                    pass.features(slot).cloned().ok_or_else(|| NstError::InvalidConfig("internal: no features".into()))
                })
                .transpose()?;
            let (content, features) = match features {
                Some(f) => self.content_beside_the_graph(slot, &f, s)?.map_or((None, Some(f)), |c| (Some(c), None)),
                None => (None, None),
            };
            let gram = uses(slot, true).then(|| pass.gram(slot)).transpose()?;
            let (mut input, fl, gl) = SlotInput::scaled(features, gram, s)?.into_leaves()?;
            let (loss, grad) = content.unzip();
            input.content = loss;
            inputs.push(input);
            feature_leaves.push(fl);
            gram_leaves.push(gl);
            closed.push(grad);
        }
        let (parts, mut by_features, by_gram, direct) = {
            let (total, parts) = self.loss_tensor_from(var.as_tensor(), &inputs)?;
            let grads = total.backward()?;
            let back = |leaves: &[Option<Var>], power: i32| -> Result<Vec<Option<Tensor>>> {
                leaves
                    .iter()
                    .zip(&self.scales)
                    .map(|(v, &s)| match v.as_ref().and_then(|v| grads.get(v.as_tensor())) {
                        Some(g) if s == 1.0 => Ok(Some(g.detach())),
                        Some(g) => Ok(Some((g.detach() * s.powi(power))?)),
                        None => Ok(None),
                    })
                    .collect()
            };
            (parts, back(&feature_leaves, 1)?, back(&gram_leaves, 2)?, grads.get(var.as_tensor()).map(|g| g.detach()))
        };
        // The leaves' copies go before the trunk's backward pass needs its memory.
        drop((inputs, feature_leaves, gram_leaves));
        for (slot, g) in closed.into_iter().enumerate().filter_map(|(i, g)| Some((i, g?))) {
            debug_assert!(by_features[slot].is_none(), "a layer computed beside the graph has no leaf in it");
            by_features[slot] = Some(g);
        }
        let by_input = pass.backward(by_features, by_gram)?;
        // Through the preprocessing (per-channel scale and shift, channel order): small.
        let through = (prep * by_input)?.sum_all()?.backward()?;
        let mut g = match through.get(var.as_tensor()) {
            Some(g) => g.detach(),
            None => var.as_tensor().zeros_like()?,
        };
        if let Some(d) = direct {
            g = (g + d)?; // the terms on the image itself (smoothness, pixel range)
        }
        Ok((parts, g))
    }
}

impl TotalLoss {
    /// Where layer `slot`'s features `f` are read by one term alone, a content term whose
    /// normalisation allows it: that term's loss (before its weight) and its gradient with respect
    /// to `f`, computed beside the graph ([`content_loss_and_grad`]: the same numbers, without the
    /// graph's copies). None where the graph must do it (other readers, the relative norm, a
    /// weight of 0).
    fn content_beside_the_graph(&self, slot: usize, f: &Tensor, s: f64) -> Result<Option<(Tensor, Tensor)>> {
        let mut readers = self.terms.iter().filter(|t| t.slot == slot && !self.reads_gram_only(t));
        let (Some(term), None) = (readers.next(), readers.next()) else { return Ok(None) };
        let Target::Content(p) = &term.target else { return Ok(None) };
        content_loss_and_grad(f, s, &fresh_id(p)?, self.cfg.content_norm, term.weight * term.relative)
    }

    /// The trunk's taped pass on the preprocessed picture `x`: in bands when
    /// [`TotalLoss::in_bands`] says so (the layers before the cut are then differentiated
    /// through their Gram matrix only).
    fn taped_pass(&self, x: &Tensor, convs: &[Arc<Conv3x3>], pool: PoolKind) -> Result<trunk::Pass> {
        let (_, _, h, w) = x.dims4()?;
        let plan = self.vgg.band_plan(h, w, &self.layers).filter(|(cut, _)| self.bands_apply(cut));
        Ok(match plan {
            Some(plan) => trunk::Pass::Banded(Box::new(trunk::forward_banded(&self.vgg, x, &self.layers, plan)?)),
            None => trunk::Pass::Whole(trunk::forward(convs, &self.vgg.spec, pool, x, &self.layers)?),
        })
    }
}

/// The settings of the half-size terms: style only, β scaled by `half_size_style`.
fn half_config(cfg: &Config) -> Config {
    // No content image is given to it, so its content weight and mode do not matter.
    Config {
        style_weight: cfg.style_weight * cfg.half_size_style,
        tv_weight: 0.0,
        range_weight: 0.0,
        half_size_style: 0.0,
        ..cfg.clone()
    }
}

impl LossParts {
    /// Add the style terms measured at half size, labelled so.
    fn add_half(&mut self, half: LossParts) {
        self.style += half.style;
        self.total += half.total;
        self.layers.extend(half.layers.into_iter().map(|(l, v)| (format!("{l} (half size)"), v)));
    }
}

/// Whether `x` at half size still reaches the deepest layer (a side of `multiple` at least): a
/// smaller picture (a coarse stage, a thumbnail) is measured at full size only.
fn halves(x: &Tensor, multiple: usize) -> bool {
    x.dims4().is_ok_and(|(_, _, h, w)| h / 2 >= multiple && w / 2 >= multiple)
}

/// The picture at half size: each 2×2 block averaged, then cropped (at the bottom and right) to a
/// multiple of `multiple`, the side the network needs to reach the deepest layer.
fn halve(x: &Tensor, multiple: usize) -> Result<Tensor> {
    let h = x.avg_pool2d(2)?;
    let (_, _, hh, wh) = h.dims4()?;
    Ok(h.narrow(2, 0, hh / multiple * multiple)?.narrow(3, 0, wh / multiple * multiple)?.contiguous()?)
}

/// The gradient of [`halve`]: each half-size pixel's gradient shared equally by the 2×2 block it
/// averaged, zero on the rows and columns the crop dropped.
fn unhalve(g: &Tensor, (_, _, h, w): (usize, usize, usize, usize)) -> Result<Tensor> {
    let (_, _, gh, gw) = g.dims4()?;
    let up = (g.upsample_nearest2d(2 * gh, 2 * gw)? * 0.25)?;
    Ok(up.pad_with_zeros(2, 0, h - 2 * gh)?.pad_with_zeros(3, 0, w - 2 * gw)?)
}

/// What the terms of one loss layer read: its (scaled) features, and for unmasked Gram terms
/// possibly just the raw Gram matrix of the scaled features, with the layer's (c, h, w).
struct SlotInput {
    features: Option<Tensor>,
    gram: Option<(Tensor, (usize, usize, usize))>,
    /// The content term's loss before its weight, where it was computed beside the graph
    /// ([`TotalLoss::content_beside_the_graph`]; the features are then not read).
    content: Option<Tensor>,
}

impl SlotInput {
    /// What the terms read at the layer's feature scale `s` (`Config::feature_scale`): the features
    /// times s, the raw Gram matrix (with its layer's (c, h, w)) times s², as G(s·F) = s²·G(F).
    fn scaled(features: Option<Tensor>, gram: Option<(Tensor, (usize, usize, usize))>, s: f64) -> Result<Self> {
        let times = |t: Tensor, k: f64| -> Result<Tensor> { Ok(if k == 1.0 { t } else { (t * k)? }) };
        Ok(SlotInput {
            features: features.map(|f| times(f, s)).transpose()?,
            gram: gram.map(|(g, dims)| times(g, s * s).map(|g| (g, dims))).transpose()?,
            content: None,
        })
    }

    /// The same input read through fresh leaves of the gradient, returned beside it.
    fn into_leaves(self) -> Result<(Self, Option<Var>, Option<Var>)> {
        let fl = self.features.as_ref().map(Var::from_tensor).transpose()?;
        let gl = self.gram.as_ref().map(|(g, _)| Var::from_tensor(g)).transpose()?;
        let input = SlotInput {
            features: fl.as_ref().map(|v| v.as_tensor().clone()),
            gram: gl.as_ref().zip(self.gram.map(|(_, d)| d)).map(|(v, d)| (v.as_tensor().clone(), d)),
            content: self.content,
        };
        Ok((input, fl, gl))
    }
}

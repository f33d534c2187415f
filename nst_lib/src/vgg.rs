//! VGG feature extractor (Simonyan & Zisserman 2014), the "eyes" of style transfer.
//!
//! The variants are data — how many 3x3 convolutions each of the five blocks holds and how wide
//! they are — not hand-written layer lists. Every intermediate layer has a name:
//! the paper's (`conv4_2`, `relu4_2`, `pool4`), the original notebook's (`conv_10` = the tenth
//! convolution) and Keras' (`block4_conv2` = `relu4_2`, since Keras fuses the ReLU).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};

use crate::bands::{self, Band, BandSize};
use crate::cpu_kernels::{self, Conv3x3, PoolKind};
use crate::device::fresh_id;
use crate::error::{NstError, Result, WEIGHTS_HELP};

/// The shape of a VGG `features` stack: convolutions per block and their output channels.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VggSpec {
    pub name: String,
    pub blocks: Vec<usize>,
    pub widths: Vec<usize>,
}

impl VggSpec {
    pub fn vgg16() -> Self {
        Self { name: "vgg16".into(), blocks: vec![2, 2, 3, 3, 3], widths: vec![64, 128, 256, 512, 512] }
    }
    pub fn vgg19() -> Self {
        Self { name: "vgg19".into(), blocks: vec![2, 2, 4, 4, 4], widths: vec![64, 128, 256, 512, 512] }
    }
    /// Any other stack of 3x3 conv blocks (tests use tiny ones).
    pub fn custom(blocks: Vec<usize>, widths: Vec<usize>) -> Self {
        let name = match (blocks.as_slice(), widths.as_slice()) {
            ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]) => "vgg16".into(),
            ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512]) => "vgg19".into(),
            _ => format!("custom VGG (blocks {blocks:?}, widths {widths:?})"),
        };
        Self { name, blocks, widths }
    }

    pub fn num_convs(&self) -> usize {
        self.blocks.iter().sum()
    }

    /// Every layer in forward order, numbered like torchvision's `features` (conv, relu, ..., pool).
    pub fn layers(&self) -> Vec<Layer> {
        let mut out = Vec::new();
        let mut conv_no = 0;
        for (b, &n) in self.blocks.iter().enumerate() {
            for i in 0..n {
                conv_no += 1;
                for kind in [LayerKind::Conv, LayerKind::Relu] {
                    out.push(Layer { kind, block: b + 1, index: i + 1, conv_no, seq: out.len() });
                }
            }
            out.push(Layer { kind: LayerKind::Pool, block: b + 1, index: 0, conv_no, seq: out.len() });
        }
        out
    }

    /// The torchvision tensor prefix (`features.N`) of each convolution, in order.
    pub fn conv_prefixes(&self) -> Vec<String> {
        self.layers().iter().filter(|l| l.kind == LayerKind::Conv).map(|l| format!("features.{}", l.seq)).collect()
    }

    /// Where a picture in bands is cut: at the second pooling (blocks 1–2 run band by band), with
    /// the halo that makes a band's own rows exact — the cut layer's reach into the picture: one
    /// row of its layer per 3×3 convolution (a 2×2 pooling on aligned rows reaches no further),
    /// rounded up to the pooling factor.
    pub fn band_cut(&self) -> Option<BandCut> {
        let layers = self.layers();
        let cut = *layers.iter().filter(|l| l.kind == LayerKind::Pool).nth(1)?;
        let (mut reach, mut scale) = (0usize, 1usize);
        for l in &layers[..=cut.seq] {
            match l.kind {
                LayerKind::Conv => reach += scale,
                LayerKind::Relu => {}
                LayerKind::Pool => scale *= 2,
            }
        }
        Some(BandCut { layer: cut, halo: reach.div_ceil(scale) * scale, multiple: scale })
    }

    /// A layer's output size (channels, height, width) for an `h`×`w` input (sides multiples of
    /// the layer's pooling factor).
    pub fn layer_dims(&self, layer: &Layer, (h, w): (usize, usize)) -> (usize, usize, usize) {
        let s = 1 << layer.poolings_before();
        (self.channels(layer), h / s, w / s)
    }

    /// Number of channels at a layer (its block's width).
    pub fn channels(&self, layer: &Layer) -> usize {
        self.widths[layer.block - 1]
    }

    /// Resolve a user's layer name to a layer of this network.
    pub fn layer(&self, name: &str) -> Result<Layer> {
        let layers = self.layers();
        let unknown = || NstError::UnknownLayer {
            name: name.to_string(),
            convs: self.num_convs(),
            valid: layers.iter().map(|l| l.name()).collect::<Vec<_>>().join(", "),
        };
        let n = name.trim().to_ascii_lowercase();
        let num = |s: &str| s.parse::<usize>().ok();
        let found = if let Some(k) = n.strip_prefix("conv_").and_then(num) {
            layers.iter().find(|l| l.kind == LayerKind::Conv && l.conv_no == k)
        } else if let Some(k) = n.strip_prefix("relu_").and_then(num) {
            layers.iter().find(|l| l.kind == LayerKind::Relu && l.conv_no == k)
        } else if let Some(rest) = n.strip_prefix("block") {
            // Keras: blockB_convI is the ReLU output, blockB_pool the pooling.
            let (b, what) = rest.split_once('_').ok_or_else(unknown)?;
            let b = num(b).ok_or_else(unknown)?;
            if what == "pool" {
                layers.iter().find(|l| l.kind == LayerKind::Pool && l.block == b)
            } else {
                let i = what.strip_prefix("conv").and_then(num).ok_or_else(unknown)?;
                layers.iter().find(|l| l.kind == LayerKind::Relu && l.block == b && l.index == i)
            }
        } else {
            layers.iter().find(|l| l.name() == n)
        };
        found.copied().ok_or_else(unknown)
    }
}

/// See [`VggSpec::band_cut`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BandCut {
    /// The layer whose output the bands hand to the rest of the network.
    pub layer: Layer,
    /// Rows of halo above and below a band.
    pub halo: usize,
    /// The pooling factor at the cut: band boundaries are multiples of it.
    pub multiple: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum LayerKind {
    Conv,
    Relu,
    Pool,
}

/// One layer of the stack. `seq` is its position (= torchvision's `features` index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Layer {
    pub kind: LayerKind,
    pub block: usize,
    /// Position inside the block (1-based); 0 for pooling.
    pub index: usize,
    /// Number of convolutions up to and including this layer (the notebook's conv_N).
    pub conv_no: usize,
    pub seq: usize,
}

impl Layer {
    /// The paper's name: conv3_1, relu3_1, pool3.
    pub fn name(&self) -> String {
        match self.kind {
            LayerKind::Conv => format!("conv{}_{}", self.block, self.index),
            LayerKind::Relu => format!("relu{}_{}", self.block, self.index),
            LayerKind::Pool => format!("pool{}", self.block),
        }
    }
    /// How many 2x poolings the input passes before this layer; image sides must divide 2^this.
    pub fn poolings_before(&self) -> usize {
        match self.kind {
            LayerKind::Pool => self.block,
            _ => self.block - 1,
        }
    }
}

/// How the network expects its input; a property of the weights, not of the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Flavour {
    /// torchvision: RGB in 0-1, minus ImageNet mean, divided by ImageNet std.
    Torchvision,
    /// Caffe / Keras: BGR in 0-255, minus the mean pixel, no division.
    Caffe,
}

choices!(Flavour, "weights flavour", [
    Torchvision => "torchvision", ["pytorch", "torch"], "RGB in 0-1, minus ImageNet mean, divided by std";
    Caffe => "caffe", ["keras"], "BGR in 0-255 minus the mean pixel";
]);

pub const IMAGENET_MEAN: [f64; 3] = [0.485, 0.456, 0.406];
pub const IMAGENET_STD: [f64; 3] = [0.229, 0.224, 0.225];
/// Caffe's mean pixel, in RGB order (Caffe stores it as BGR 103.939, 116.779, 123.68).
pub const CAFFE_MEAN_RGB: [f64; 3] = [123.68, 116.779, 103.939];

impl Flavour {
    /// How much larger this flavour's input (and so, roughly, its features: VGG without biases is
    /// positively homogeneous) is than torchvision's: 255 * mean ImageNet std = 57.6 for Caffe.
    pub fn feature_unit(&self) -> f64 {
        match self {
            Flavour::Torchvision => 1.0,
            Flavour::Caffe => 255.0 * (IMAGENET_STD.iter().sum::<f64>() / 3.0),
        }
    }
    /// Guess from safetensors metadata (`nst.flavour`, or a free-text `input` note) and the file name.
    pub fn detect(metadata: &BTreeMap<String, String>, path: &Path) -> Option<Self> {
        if let Some(f) = metadata.get("nst.flavour").and_then(|s| Flavour::parse(s).ok()) {
            return Some(f);
        }
        if let Some(note) = metadata.get("input").map(|s| s.to_ascii_lowercase()) {
            if note.contains("bgr") || note.contains("0-255") || note.contains("caffe") {
                return Some(Flavour::Caffe);
            }
            if note.contains("std") || note.contains("torchvision") {
                return Some(Flavour::Torchvision);
            }
        }
        let file = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if file.contains("caffe") || file.contains("keras") {
            return Some(Flavour::Caffe);
        }
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Pooling {
    Max,
    /// Gatys et al. found average pooling gives slightly smoother results.
    Avg,
}

choices!(Pooling, "pooling", [
    Max => "max", [], "max pooling (VGG as trained)";
    Avg => "avg", ["average"], "average pooling (Gatys et al.: slightly smoother)";
]);

/// A loaded VGG `features` stack. The weights are plain tensors (constants, never trained).
pub struct Vgg {
    pub spec: VggSpec,
    pub flavour: Flavour,
    pub pooling: Pooling,
    pub path: PathBuf,
    convs: Vec<(Tensor, Tensor)>,
    /// The same convolutions prepared for [`crate::cpu_kernels`] (f32 on the CPU only).
    fast: Option<Vec<Arc<Conv3x3>>>,
    kernels: Kernels,
    /// When a large picture runs the first blocks band by band ([`crate::bands`]).
    bands: BandSize,
    device: Device,
}

/// Which implementation runs the trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Kernels {
    /// [`crate::cpu_kernels`] for f32 on the CPU, candle's ops everywhere else.
    #[default]
    Auto,
    /// candle's own conv2d / pooling / ReLU: the reference the fast kernels are tested against,
    /// and what runs on GPUs.
    Reference,
    /// [`Kernels::Auto`] with the convolutions' products in bf16 (f32 sums) on AMX tiles
    /// ([`crate::amx`]) where the CPU has them; exactly `Auto` where it does not.
    Bf16,
    /// [`Kernels::Auto`] with every convolution computed directly (im2col + gemm) instead of
    /// with Winograd's transforms ([`crate::winograd`]): the same sums in another order.
    Direct,
}

choices!(Kernels, "kernels", [
    Auto => "auto", ["fast"], "the fast CPU kernels for f32 on the CPU, candle elsewhere";
    Reference => "reference", ["candle"], "candle's own ops (~4x slower; same results up to rounding)";
    Bf16 => "bf16", ["amx"], "the fast kernels with bf16 convolution products on AMX tiles where the CPU has them (faster; not the default)";
    Direct => "direct", ["im2col"], "the fast kernels without Winograd's transforms (slower; same results up to rounding)";
]);

impl std::fmt::Debug for Vgg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vgg({}, {:?}, {:?} pooling, {})", self.spec.name, self.flavour, self.pooling, self.path.display())
    }
}

/// Options for [`Vgg::load`]; `None` means "find out from the file".
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub spec: Option<VggSpec>,
    pub flavour: Option<Flavour>,
    pub pooling: Option<Pooling>,
    /// Accept a VGG-shaped stack that is not VGG16 or VGG19 (small test networks); files
    /// marked with [`CUSTOM_NETWORK_KEY`] are accepted without it.
    pub custom: bool,
}

/// Largest safetensors header accepted (the safetensors crate's own limit): a VGG's is ~3 KB.
pub const MAX_HEADER_BYTES: u64 = 100_000_000;

/// Read the `__metadata__` of a safetensors file without reading its tensors.
pub fn safetensors_metadata(path: &Path) -> Result<BTreeMap<String, String>> {
    use std::io::Read;
    let unreadable = |reason: String| NstError::WeightsUnreadable { path: path.into(), reason };
    let mut f = std::fs::File::open(path).map_err(|e| NstError::io(path, e))?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len).map_err(|e| unreadable(format!("not a safetensors file ({e})")))?;
    let len = u64::from_le_bytes(len);
    if len > MAX_HEADER_BYTES {
        return Err(unreadable(format!(
            "not a safetensors file (its header would be {len} bytes; the limit is {MAX_HEADER_BYTES})"
        )));
    }
    let mut header = vec![0u8; len as usize];
    f.read_exact(&mut header).map_err(|e| unreadable(format!("truncated header ({e})")))?;
    let json: serde_json::Value =
        serde_json::from_slice(&header).map_err(|e| unreadable(format!("corrupt safetensors header ({e})")))?;
    let mut out = BTreeMap::new();
    if let Some(m) = json.get("__metadata__").and_then(|m| m.as_object()) {
        for (k, v) in m {
            if let Some(s) = v.as_str() {
                out.insert(k.clone(), s.to_string());
            }
        }
    }
    Ok(out)
}

fn is_pickle_path(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("pth" | "pt" | "bin" | "ckpt"))
}

impl Vgg {
    /// The architecture and input convention a weights file holds, without loading it (a
    /// safetensors file is memory-mapped and only its header read).
    pub fn inspect(path: &Path) -> Result<(VggSpec, Flavour)> {
        if !path.is_file() {
            return Err(NstError::WeightsNotFound { help: WEIGHTS_HELP, tried: vec![path.display().to_string()] });
        }
        if is_pickle_path(path) {
            let v = Self::load(path, &LoadOptions::default(), &Device::Cpu)?;
            return Ok((v.spec, v.flavour));
        }
        let metadata = safetensors_metadata(path)?;
        let file = TensorFile::safetensors(path, &Device::Cpu)
            .map_err(|e| NstError::WeightsUnreadable { path: path.into(), reason: e.to_string() })?;
        let spec = infer_spec(&file, path, allows_custom(&metadata))?;
        Ok((spec, Flavour::detect(&metadata, path).unwrap_or(Flavour::Torchvision)))
    }

    /// Load the convolutions of a VGG `features` stack from safetensors or a (zip-format) `.pth`.
    pub fn load(path: &Path, opts: &LoadOptions, device: &Device) -> Result<Self> {
        if !path.is_file() {
            return Err(NstError::WeightsNotFound { help: WEIGHTS_HELP, tried: vec![path.display().to_string()] });
        }
        let unreadable =
            |e: candle_core::Error| NstError::WeightsUnreadable { path: path.into(), reason: e.to_string() };
        let (file, metadata) = if is_pickle_path(path) {
            let mut magic = [0u8; 4];
            use std::io::Read;
            std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).map_err(|e| NstError::io(path, e))?;
            if &magic != b"PK\x03\x04" {
                let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                let flavour = if stem.contains("d01eb7cb") || stem.contains("caffe") { "caffe" } else { "torchvision" };
                return Err(NstError::LegacyPth { path: path.into(), stem, flavour });
            }
            check_pth_sizes(path)?;
            (TensorFile::pth(path, device).map_err(unreadable)?, BTreeMap::new())
        } else {
            let metadata = safetensors_metadata(path)?;
            (TensorFile::safetensors(path, device).map_err(unreadable)?, metadata)
        };

        let spec = match &opts.spec {
            Some(spec) => spec.clone(),
            None => infer_spec(&file, path, opts.custom || allows_custom(&metadata))?,
        };
        let mut convs = Vec::with_capacity(spec.num_convs());
        let mut in_ch = 3;
        let layers = spec.layers();
        for l in layers.iter().filter(|l| l.kind == LayerKind::Conv) {
            let out_ch = spec.channels(l);
            let get = |suffix: &str, shape: Vec<usize>| -> Result<Tensor> {
                let name = format!("features.{}.{suffix}", l.seq);
                if !file.contains(&name) {
                    return Err(NstError::WeightsMissingTensor {
                        path: path.into(),
                        tensor: name,
                        expected: format!("{} with {} convolutions", spec.name, spec.num_convs()),
                        help: WEIGHTS_HELP,
                    });
                }
                let t = file.get(&name).map_err(unreadable)?;
                if t.dims() != shape.as_slice() {
                    return Err(NstError::WeightsBadShape {
                        path: path.into(),
                        tensor: name,
                        got: t.dims().to_vec(),
                        expected: shape,
                    });
                }
                Ok(t.to_dtype(DType::F32)?)
            };
            let w = get("weight", vec![out_ch, in_ch, 3, 3])?;
            let b = get("bias", vec![out_ch])?;
            convs.push((w, b));
            in_ch = out_ch;
        }
        let flavour = opts.flavour.or_else(|| Flavour::detect(&metadata, path)).unwrap_or(Flavour::Torchvision);
        let fast = if device.is_cpu() {
            cpu_kernels::keep_freed_memory();
            let fast = |(w, b): &(Tensor, Tensor)| Conv3x3::new(w, b).map(|c| Arc::new(c.winograd(true)));
            Some(convs.iter().map(fast).collect::<candle_core::Result<_>>()?)
        } else {
            None
        };
        Ok(Self {
            spec,
            flavour,
            pooling: opts.pooling.unwrap_or(Pooling::Max),
            path: path.into(),
            convs,
            fast,
            kernels: Kernels::Auto,
            bands: BandSize::default(),
            device: device.clone(),
        })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Choose the implementation of the trunk (see [`Kernels`]).
    pub fn set_kernels(&mut self, kernels: Kernels) {
        // Rebuilt only when it changes what runs (any convolution on tiles, any with Winograd's).
        let bf16 = kernels == Kernels::Bf16 && crate::amx::available();
        let wino = kernels != Kernels::Direct;
        let now = |f: &Vec<Arc<Conv3x3>>| (f.iter().any(|c| c.uses_bf16()), f.iter().any(|c| c.uses_winograd()));
        if let Some(fast) = self.fast.as_mut().filter(|f| now(f) != (bf16, wino && !bf16)) {
            for (conv, (w, b)) in fast.iter_mut().zip(&self.convs) {
                // The weights were accepted by Conv3x3::new at loading: it cannot fail now.
                if let Ok(c) = Conv3x3::new(w, b) {
                    *conv = Arc::new(c.bf16(bf16).winograd(wino));
                }
            }
        }
        self.kernels = kernels;
    }

    pub fn kernels(&self) -> Kernels {
        self.kernels
    }

    /// Drops the Winograd weights the convolutions kept so far ([`Conv3x3::forget_winograd_weights`]);
    /// they are made again where needed.
    pub fn forget_winograd_weights(&self) {
        self.fast.iter().flatten().for_each(|c| c.forget_winograd_weights());
    }

    /// When the fast kernels run a large picture's first blocks band by band (same numbers up to
    /// rounding, less memory); [`BandSize::off`] never does.
    pub fn set_band_size(&mut self, bands: BandSize) {
        self.bands = bands;
    }

    pub fn band_size(&self) -> BandSize {
        self.bands
    }

    /// The bands an `h`×`w` picture runs in to reach `layers`, or None when it runs whole: small
    /// enough, no layer past the cut, or a layer at the cut itself (whose features are the
    /// bands' output).
    pub fn band_plan(&self, h: usize, w: usize, layers: &[Layer]) -> Option<(BandCut, Vec<Band>)> {
        let cut = self.spec.band_cut()?;
        let deepest = layers.iter().map(|l| l.seq).max()?;
        if h * w <= self.bands.above || deepest <= cut.layer.seq || layers.iter().any(|l| l.seq == cut.layer.seq) {
            return None;
        }
        Some((cut, bands::plan(h, w, cut.halo, cut.multiple, self.bands.pixels)))
    }

    /// The fast kernels' convolutions and pooling, when `features` of an f32 image runs on them
    /// (for [`crate::trunk`]).
    pub(crate) fn fast_trunk(&self) -> Option<(&[Arc<Conv3x3>], PoolKind)> {
        self.fast.as_deref().filter(|_| self.uses_fast_kernels(DType::F32)).map(|f| (f, self.pool_kind()))
    }

    /// Whether `features` of an image of this dtype runs on the fast CPU kernels.
    pub fn uses_fast_kernels(&self, dtype: DType) -> bool {
        self.kernels != Kernels::Reference && self.fast.is_some() && dtype == DType::F32
    }

    /// The same network computing in another precision (f64 for finite-difference checks).
    pub fn to_dtype(mut self, dtype: DType) -> Result<Self> {
        for (w, b) in &mut self.convs {
            *w = w.to_dtype(dtype)?;
            *b = b.to_dtype(dtype)?;
        }
        Ok(self)
    }

    /// Turn an RGB image in 0-1, shape (1, 3, H, W), into what this network was trained on.
    pub fn preprocess(&self, image: &Tensor) -> Result<Tensor> {
        let dev = image.device();
        let per_channel = |v: [f64; 3]| Tensor::from_vec(v.to_vec(), (1, 3, 1, 1), dev)?.to_dtype(image.dtype());
        let out = match self.flavour {
            Flavour::Torchvision => {
                let mean = per_channel(IMAGENET_MEAN)?;
                let std = per_channel(IMAGENET_STD)?;
                image.broadcast_sub(&mean)?.broadcast_div(&std)?
            }
            Flavour::Caffe => {
                let mean = per_channel(CAFFE_MEAN_RGB)?;
                let rgb = image.affine(255.0, 0.0)?.broadcast_sub(&mean)?;
                let bgr = Tensor::new(&[2u32, 1, 0], dev)?;
                rgb.index_select(&bgr, 1)?
            }
        };
        Ok(out)
    }

    /// The activations at `layers` (in the order given) for an RGB 0-1 image `(1, 3, H, W)`.
    /// The network runs only as deep as the deepest requested layer.
    pub fn features(&self, image: &Tensor, layers: &[Layer]) -> Result<Vec<Tensor>> {
        self.features_or_grams(image, layers, &vec![false; layers.len()])
    }

    /// [`Vgg::features`], except that for each layer with `gram[i]` it gives the raw Gram matrix
    /// F·Fᵀ (c × c) of its features: a large picture in bands then never holds those features
    /// whole (the fidelity measure at 4096 px).
    pub fn features_or_grams(&self, image: &Tensor, layers: &[Layer], gram: &[bool]) -> Result<Vec<Tensor>> {
        if gram.len() != layers.len() {
            return Err(NstError::InvalidConfig(format!("{} layers but {} Gram flags", layers.len(), gram.len())));
        }
        let mut out = self.features_inner(image, layers, gram)?;
        for (f, _) in out.iter_mut().zip(gram).filter(|(f, &g)| g && f.rank() == 4) {
            let (_, c, h, w) = f.dims4()?;
            let flat = f.reshape((c, h * w))?;
            *f = match f.device().is_cpu() && f.dtype() == DType::F32 {
                true => cpu_kernels::gram(&flat)?,
                false => flat.matmul(&flat.t()?)?,
            };
        }
        Ok(out)
    }

    fn features_inner(&self, image: &Tensor, layers: &[Layer], gram: &[bool]) -> Result<Vec<Tensor>> {
        let Some(deepest) = layers.iter().max_by_key(|l| l.seq).copied() else { return Ok(vec![]) };
        let last = deepest.seq;
        let (_, _, h, w) = image.dims4()?;
        let m = 1usize << deepest.poolings_before();
        if h % m != 0 || w % m != 0 {
            return Err(NstError::BadImageSize {
                size: h.max(w) as u32,
                reason: format!(
                    "{w}x{h} must be a multiple of {m} in both sides to reach {} (the library resizes images to such sizes; \
                     use `image_io::fit_size`)",
                    deepest.name()
                ),
            });
        }
        let mut out: Vec<Option<Tensor>> = vec![None; layers.len()];
        let mut x = self.preprocess(image)?;
        match self.fast.as_ref().filter(|_| self.uses_fast_kernels(x.dtype())) {
            Some(fast) => match self.band_plan(h, w, layers) {
                Some((cut, bands)) => {
                    x = self.banded_front(fast, &x, layers, gram, (&cut, &bands), &mut out)?;
                    self.fast_layers(fast, x, cut.layer.seq + 1, last, layers, &mut out)?;
                }
                None => {
                    self.fast_layers(fast, x, 0, last, layers, &mut out)?;
                }
            },
            None => {
                let mut conv = 0;
                for l in self.spec.layers().iter().take(last + 1) {
                    x = match l.kind {
                        LayerKind::Conv => {
                            // Weights loaded in an earlier notebook cell: fresh ids (see fresh_id).
                            let (w, b) = (fresh_id(&self.convs[conv].0)?, fresh_id(&self.convs[conv].1)?);
                            conv += 1;
                            x.conv2d(&w, 1, 1, 1, 1)?.broadcast_add(&b.reshape((1, (), 1, 1))?)?
                        }
                        LayerKind::Relu => x.relu()?,
                        LayerKind::Pool => match self.pooling {
                            Pooling::Max => max_pool_2x2(&x)?,
                            Pooling::Avg => x.avg_pool2d(2)?,
                        },
                    };
                    for (slot, want) in out.iter_mut().zip(layers) {
                        if want.seq == l.seq {
                            *slot = Some(x.clone());
                        }
                    }
                }
            }
        }
        out.into_iter()
            .zip(layers)
            .map(|(t, l)| {
                t.ok_or_else(|| {
                    NstError::InvalidConfig(format!("layer {} does not exist in {}", l.name(), self.spec.name))
                })
            })
            .collect()
    }

    /// The fast kernels on layers `from..=last` (`from` 0 or just after a pooling), `x` their
    /// input; each requested layer's output is put in its slot of `out`. Returns the last output.
    fn fast_layers(
        &self,
        fast: &[Arc<Conv3x3>],
        mut x: Tensor,
        from: usize,
        last: usize,
        layers: &[Layer],
        out: &mut [Option<Tensor>],
    ) -> Result<Tensor> {
        // The fast ops read relu(x) themselves, so `x` stays the pre-activation and a ReLU layer
        // only sets `relu_pending` (see cpu_kernels).
        let all = self.spec.layers();
        let mut relu_pending = false;
        let mut conv = all[..from].iter().filter(|l| l.kind == LayerKind::Conv).count();
        for l in &all[from..=last] {
            match l.kind {
                LayerKind::Conv => {
                    x = fast[conv].forward(&x, relu_pending)?;
                    conv += 1;
                    relu_pending = false;
                }
                LayerKind::Relu => relu_pending = true,
                LayerKind::Pool => {
                    x = cpu_kernels::pool2x2(&x, self.pool_kind(), relu_pending)?;
                    relu_pending = false;
                }
            }
            if layers.iter().any(|want| want.seq == l.seq) {
                let y = if relu_pending { cpu_kernels::relu(&x)? } else { x.clone() };
                for (slot, want) in out.iter_mut().zip(layers) {
                    if want.seq == l.seq {
                        *slot = Some(y.clone());
                    }
                }
            }
        }
        Ok(x)
    }

    /// The layers up to `cut` band by band: each requested layer before it gets its whole
    /// features assembled from the bands' own rows, or where `gram[slot]` just its raw Gram
    /// matrix summed over them; returns the cut's output, assembled.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn banded_front(
        &self,
        fast: &[Arc<Conv3x3>],
        x: &Tensor,
        layers: &[Layer],
        gram: &[bool],
        (cut, bands): (&BandCut, &[Band]),
        out: &mut [Option<Tensor>],
    ) -> Result<Tensor> {
        let (_, _, h, w) = x.dims4()?;
        let mut front: Vec<Layer> = layers.iter().filter(|l| l.seq < cut.layer.seq).copied().collect();
        front.push(cut.layer);
        // Only where every slot of the layer wants the Gram matrix (another may want the features).
        let gram_only = |l: &Layer| layers.iter().zip(gram).filter(|(want, _)| want.seq == l.seq).all(|(_, &g)| g);
        let mut whole: Vec<Option<(Vec<f32>, usize)>> = vec![None; front.len()];
        let mut grams: Vec<Option<Tensor>> = vec![None; front.len()];
        for band in bands {
            let mut got = vec![None; front.len()];
            let xb = x.narrow(2, band.lo, band.hi - band.lo)?;
            self.fast_layers(fast, xb, 0, cut.layer.seq, &front, &mut got)?;
            for (i, (l, f)) in front.iter().zip(got).enumerate() {
                let f = f.ok_or_else(|| NstError::InvalidConfig("internal: a band lost a layer".into()))?;
                let (_, c, hb, wl) = f.dims4()?;
                let scale = 1 << l.poolings_before();
                let (_, own, rows) = band.at(scale);
                if gram_only(l) && i + 1 < front.len() {
                    let g = cpu_kernels::gram(&f.narrow(2, own, rows)?.contiguous()?.reshape((c, rows * wl))?)?;
                    grams[i] = Some(match grams[i].take() {
                        Some(acc) => (acc + g)?,
                        None => g,
                    });
                    continue;
                }
                let (buf, _) = whole[i].get_or_insert_with(|| (vec![0f32; c * (h / scale) * wl], c));
                cpu_kernels::with_f32(&f, |s| {
                    bands::put_rows(buf, h / scale, band.top / scale, s, hb, own, (c, rows, wl), false)
                })?;
            }
        }
        let mut tensors = vec![];
        for ((l, acc), g) in front.iter().zip(whole).zip(grams) {
            let scale = 1 << l.poolings_before();
            tensors.push(match (acc, g) {
                (_, Some(g)) => g,
                (Some((buf, c)), None) => Tensor::from_vec(buf, (1, c, h / scale, w / scale), &Device::Cpu)?,
                (None, None) => return Err(NstError::InvalidConfig("internal: no bands".into())),
            });
        }
        let mid = tensors.pop().expect("the cut is in `front`");
        for (slot, want) in out.iter_mut().zip(layers) {
            if let Some(i) = front.iter().position(|l| l.seq == want.seq) {
                *slot = Some(tensors[i].clone());
            }
        }
        Ok(mid)
    }

    fn pool_kind(&self) -> PoolKind {
        match self.pooling {
            Pooling::Max => PoolKind::Max,
            Pooling::Avg => PoolKind::Avg,
        }
    }

    /// Number of channels at a layer.
    pub fn channels(&self, layer: &Layer) -> usize {
        self.spec.channels(layer)
    }
}

/// Write an untrained VGG (He-initialised weights, small random biases, reproducible from
/// `seed`) in torchvision naming: for tests, benchmarks, and for showing what training adds.
pub fn write_random_weights(spec: &VggSpec, path: &Path, seed: u64) -> Result<()> {
    use rand::{rngs::StdRng, Rng, SeedableRng};
    use rand_distr::{Distribution, Normal};
    let mut rng = StdRng::seed_from_u64(seed);
    let dev = Device::Cpu;
    let mut tensors = Vec::new();
    let mut cin = 3;
    let convs = spec.layers().into_iter().filter(|l| l.kind == LayerKind::Conv);
    for (prefix, l) in spec.conv_prefixes().into_iter().zip(convs) {
        let cout = spec.channels(&l);
        let normal = Normal::new(0.0f32, (2.0 / (cin as f32 * 9.0)).sqrt())
            .map_err(|e| NstError::InvalidConfig(format!("bad VGG widths: {e}")))?;
        let w: Vec<f32> = (0..cout * cin * 9).map(|_| normal.sample(&mut rng)).collect();
        let b: Vec<f32> = (0..cout).map(|_| rng.random_range(-0.1f32..0.1)).collect();
        tensors.push((format!("{prefix}.weight"), Tensor::from_vec(w, (cout, cin, 3, 3), &dev)?));
        tensors.push((format!("{prefix}.bias"), Tensor::from_vec(b, cout, &dev)?));
        cin = cout;
    }
    let mut meta = std::collections::HashMap::from([("nst.flavour".to_string(), "torchvision".to_string())]);
    if !matches!(spec.name.as_str(), "vgg16" | "vgg19") {
        meta.insert(CUSTOM_NETWORK_KEY.into(), "custom".into());
    }
    // `collect`: safetensors without its `std` feature takes hashbrown's map (nst_lib/Cargo.toml).
    let bytes = safetensors::serialize(tensors.iter().map(|(k, v)| (k.as_str(), v)), Some(meta.into_iter().collect()))
        .map_err(|e| NstError::Encode { what: "safetensors".into(), reason: e.to_string() })?;
    crate::paths::replace_file(path, &bytes)
}

/// Metadata key marking a deliberately non-standard VGG-shaped network (narrow test networks
/// written by [`write_random_weights`]); without it a file must hold VGG16 or VGG19.
pub const CUSTOM_NETWORK_KEY: &str = "nst.network";

fn allows_custom(metadata: &BTreeMap<String, String>) -> bool {
    metadata.get(CUSTOM_NETWORK_KEY).is_some_and(|v| v == "custom")
}

/// The tensors of a weights file, read by name with candle-core's own readers (candle-nn's
/// `VarBuilder` would add a crate to every notebook's first build for two calls).
enum TensorFile {
    Pth(candle_core::pickle::PthTensors, Device),
    Safetensors(candle_core::safetensors::MmapedSafetensors, Device),
}

impl TensorFile {
    /// A zip-format `.pth`; checkpoints sometimes wrap the weights in a `state_dict`.
    fn pth(path: &Path, device: &Device) -> candle_core::Result<Self> {
        let plain = candle_core::pickle::PthTensors::new(path, None)?;
        let pth = if plain.tensor_infos().contains_key("features.0.weight") {
            plain
        } else {
            candle_core::pickle::PthTensors::new(path, Some("state_dict")).unwrap_or(plain)
        };
        Ok(Self::Pth(pth, device.clone()))
    }

    fn safetensors(path: &Path, device: &Device) -> candle_core::Result<Self> {
        Ok(Self::Safetensors(crate::weights::map_safetensors(path)?, device.clone()))
    }

    fn contains(&self, name: &str) -> bool {
        match self {
            Self::Pth(p, _) => p.tensor_infos().contains_key(name),
            Self::Safetensors(s, _) => s.get(name).is_ok(),
        }
    }

    /// The shape of tensor `name`, read from the file's index without loading its data.
    fn dims(&self, name: &str) -> candle_core::Result<Vec<usize>> {
        match self {
            Self::Pth(p, _) => p
                .tensor_infos()
                .get(name)
                .map(|ti| ti.layout.dims().to_vec())
                .ok_or_else(|| candle_core::Error::Msg(format!("no tensor `{name}`"))),
            Self::Safetensors(s, _) => Ok(s.get(name)?.shape().to_vec()),
        }
    }

    /// The tensor `name` on the file's device, as it is stored (the caller converts it).
    fn get(&self, name: &str) -> candle_core::Result<Tensor> {
        match self {
            Self::Pth(p, dev) => {
                p.get(name)?.ok_or_else(|| candle_core::Error::Msg(format!("no tensor `{name}`")))?.to_device(dev)
            }
            Self::Safetensors(s, dev) => s.load(name, dev),
        }
    }
}

/// Work out blocks and widths from which `features.N.weight` tensors a file holds; unless
/// `custom_ok`, they must be VGG16's or VGG19's (a foreign file would otherwise be taken for a
/// small VGG and fail later with a puzzling layer error).
fn infer_spec(file: &TensorFile, path: &Path, custom_ok: bool) -> Result<VggSpec> {
    let not_vgg = |found: String| NstError::NotVgg { path: path.into(), found, help: WEIGHTS_HELP };
    let idx: Vec<usize> = (0..80).filter(|i| file.contains(&format!("features.{i}.weight"))).collect();
    if idx.is_empty() {
        return Err(not_vgg("no `features.N.weight` tensors (not a torchvision-named VGG `features` stack)".into()));
    }
    let mut blocks = vec![1usize];
    for pair in idx.windows(2) {
        match pair[1] - pair[0] {
            2 => *blocks.last_mut().expect("non-empty") += 1,
            3 => blocks.push(1),
            _ => {
                return Err(not_vgg(format!(
                    "convolutions at features.{} and features.{} (a plain VGG has conv, ReLU[, max-pool] between them; \
                     batch-norm VGGs are not supported)",
                    pair[0], pair[1]
                )))
            }
        }
    }
    let mut widths = Vec::new();
    let mut shapes = Vec::new();
    let mut pos = 0;
    for &n in &blocks {
        for k in 0..n {
            let name = format!("features.{}.weight", idx[pos + k]);
            let dims = file
                .dims(&name)
                .map_err(|e| NstError::WeightsUnreadable { path: path.into(), reason: e.to_string() })?;
            if dims.len() != 4 {
                return Err(not_vgg(format!("`{name}` of shape {dims:?}, not a 4-d convolution kernel")));
            }
            shapes.push(dims);
        }
        widths.push(shapes[pos][0]);
        pos += n;
    }
    let spec = VggSpec::custom(blocks.clone(), widths.clone());
    let standard = spec.name == "vgg16" || spec.name == "vgg19";
    let first_ok = shapes[0].len() == 4 && shapes[0][1] == 3 && shapes[0][2..] == [3, 3];
    if !(custom_ok || standard && first_ok) {
        let convs = idx.len();
        let found = if convs == 1 {
            format!("1 convolution with {} filters, shape {:?}", widths[0], shapes[0])
        } else {
            format!(
                "{convs} convolutions in {} block(s) of {:?} with {:?} filters (first {:?})",
                blocks.len(),
                blocks,
                widths,
                shapes[0]
            )
        };
        return Err(not_vgg(found));
    }
    Ok(spec)
}

/// A crafted `.pth` can claim tensors far larger than the file, and candle allocates a tensor's
/// bytes before reading them (tests/fixtures/tiny_vgg_huge_shape.pth claims 232 GB: the process
/// would abort). PyTorch stores tensor data uncompressed, so no tensor of a real file needs more
/// bytes than the whole file has.
fn check_pth_sizes(path: &Path) -> Result<()> {
    let damaged = |reason: String| NstError::WeightsUnreadable { path: path.into(), reason };
    let file_len = std::fs::metadata(path).map_err(|e| NstError::io(path, e))?.len() as u128;
    // The top-level dict, and the `state_dict` inside a checkpoint when there is one.
    let mut infos = candle_core::pickle::read_pth_tensor_info(path, false, None).map_err(|e| damaged(e.to_string()))?;
    infos.extend(candle_core::pickle::read_pth_tensor_info(path, false, Some("state_dict")).unwrap_or_default());
    for ti in infos {
        let elements = ti.layout.dims().iter().try_fold(1u128, |n, &d| n.checked_mul(d as u128));
        let bytes = elements
            .and_then(|n| n.checked_add(ti.layout.start_offset() as u128))
            .and_then(|n| n.checked_mul(ti.dtype.size_in_bytes() as u128));
        if bytes.is_none_or(|b| b > file_len) {
            return Err(damaged(format!(
                "tensor `{}` claims a shape of {:?}, more data than the whole file holds ({file_len} bytes): \
                 the file is damaged; download or convert it again",
                ti.name,
                ti.layout.dims()
            )));
        }
    }
    Ok(())
}

/// 2x2 max pooling, stride 2, written as a reshape, a `max` and a detached one-hot mask.
///
/// Why not `Tensor::max_pool2d`: in candle 0.11 its backward multiplies the gradient by the
/// *fraction* of maxima in each window (1/4 for a unique maximum) instead of dividing by their
/// count, so every max-pool layer shrinks the gradient of deeper losses by 4x (found by the
/// PyTorch comparison test). Nor a plain `max` reduction: its backward gives the whole gradient
/// to *every* tied maximum, and ties are common (flat regions of a picture give equal
/// activations). Here the gradient goes to the first maximum of the window, row by row, as
/// PyTorch's max pooling and the fast kernels route it.
pub fn max_pool_2x2(x: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let windows =
        x.reshape((n * c, h / 2, 2, w / 2, 2))?.permute((0, 1, 3, 2, 4))?.reshape((n * c, h / 2, w / 2, 4))?;
    let is_max = windows.broadcast_eq(&windows.max_keepdim(3)?)?.to_dtype(x.dtype())?;
    // The first maximum: a maximum with no maximum before it.
    let first = (&is_max * is_max.cumsum(3)?.eq(1.0)?.to_dtype(x.dtype())?)?.detach();
    Ok((windows * first)?.sum(3)?.reshape((n, c, h / 2, w / 2))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which convolutions run Winograd's transforms after each switch of the kernels: all but
    /// the first (3 input channels) under `Auto`, none under `Direct`, and all but the first
    /// again after switching back.
    #[test]
    fn set_kernels_puts_winograd_where_auto_and_nowhere_when_direct() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.safetensors");
        write_random_weights(&VggSpec::custom(vec![2, 2, 3], vec![32, 64, 96]), &path, 7).unwrap();
        let mut vgg = Vgg::load(&path, &LoadOptions { custom: true, ..LoadOptions::default() }, &Device::Cpu).unwrap();
        let wino = |v: &Vgg| v.fast_trunk().unwrap().0.iter().map(|c| c.uses_winograd()).collect::<Vec<_>>();
        let auto = [vec![false], vec![true; 6]].concat();
        assert_eq!(wino(&vgg), auto, "as loaded");
        vgg.set_kernels(Kernels::Direct);
        assert_eq!(wino(&vgg), vec![false; 7], "direct");
        vgg.set_kernels(Kernels::Auto);
        assert_eq!(wino(&vgg), auto, "back to auto");
    }
}

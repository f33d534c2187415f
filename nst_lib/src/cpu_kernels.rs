//! Fast CPU kernels for the VGG trunk: the 3x3 convolution, 2x2 pooling and ReLU as candle
//! custom ops.
//!
//! Why not candle's own ops: style transfer differentiates with respect to the *image*, never the
//! weights, yet candle 0.11's conv2d backward always computes the kernel gradient too and gets the
//! input gradient from a direct-loop `conv_transpose2d`; its forward makes one huge im2col matrix
//! that falls out of cache. Here:
//! - the convolution is im2col + gemm over tiles of a few image rows, sized so a tile's im2col
//!   stays in L2, with the tiles spread over threads (measured 150-200 GFLOP/s on 2 AVX-512
//!   cores against 40-70 for one untiled gemm on the first layers); where both channel counts
//!   are 32 or more (all but the first layer), Winograd's F(4×4, 3×3) instead
//!   ([`crate::winograd`]: 4× fewer multiplies, about 2× faster at 512 px);
//! - its backward is the same kernel run on the output gradient with the weights flipped and
//!   transposed (for stride 1 and padding 1 the input gradient *is* such a convolution), with no
//!   kernel gradient;
//! - the ReLU is folded into the *next* op: a conv or pool op can read `relu(x)` while it copies
//!   its input, and mask its input gradient by `x > 0`, so the trunk keeps one tensor per layer
//!   (the pre-activation, which is also what losses at `conv` layers need).
//!
//! Only f32 on the CPU; [`crate::vgg::Vgg`] falls back to candle's ops otherwise, and the tests
//! compare the two.

use std::sync::{Arc, Mutex};

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape, Tensor};
use rayon::prelude::*;

type CResult<T> = candle_core::Result<T>;

/// Ask glibc's malloc to keep freed memory for reuse instead of returning it to the kernel.
///
/// Why: every step allocates and frees the same few hundred MB of activations and gradients.
/// By default glibc serves blocks over 32 MB (and, after tuning itself, smaller ones) with
/// `mmap` and unmaps them on free, so each step touches fresh pages: profiling a 256 px step
/// showed most of the backward in the kernel's page-fault handler, and a Gram backward ran in
/// 80 ms instead of 11. With mmap off and no trimming the heap stays at its high-water mark
/// (reported as peak RSS by the benchmark) and steps reuse it. Done once per process, on the
/// first CPU network; `NST_MALLOC=default` leaves malloc alone.
pub fn keep_freed_memory() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var("NST_MALLOC").is_ok_and(|v| v == "default") {
            return;
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes malloc's tuning parameters; both values are valid.
        unsafe {
            libc::mallopt(libc::M_MMAP_MAX, 0);
            libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        }
    });
}

/// One direction's Winograd weights: None where it runs otherwise; the slot empty until kept.
type KeptWino = Option<Mutex<Option<Arc<Vec<f32>>>>>;
/// One direction's kernels, their bf16 packing and their Winograd transform, where they apply.
type DirectionWeights<'a> = (&'a [f32], Option<&'a [u16]>, Option<Arc<Vec<f32>>>);

/// A 3x3, stride 1, padding 1 convolution with its weights laid out for both directions.
pub struct Conv3x3 {
    cin: usize,
    cout: usize,
    /// (cout, cin·9), index ci·9 + ky·3 + kx: PyTorch's layout as it is.
    w: Vec<f32>,
    /// (cin, cout·9): the kernel flipped and transposed, for the input gradient.
    w_back: Vec<f32>,
    bias: Vec<f32>,
    /// `w` and `w_back` rounded to bf16 for [`crate::amx`] (see [`Conv3x3::bf16`]); each None
    /// where its product has a number of rows the tiles do not take (a multiple of 32).
    packed: (Option<Vec<u16>>, Option<Vec<u16>>),
    /// `w` and `w_back` in Winograd's transformed space ([`crate::winograd`], see
    /// [`Conv3x3::winograd`]), kept once a picture small enough needs them; each None where that
    /// direction is packed for bf16 or its channels are too few.
    wino: (KeptWino, KeptWino),
}

impl Conv3x3 {
    /// From a (cout, cin, 3, 3) weight and a (cout,) bias.
    pub fn new(weight: &Tensor, bias: &Tensor) -> CResult<Self> {
        let (cout, cin, kh, kw) = weight.dims4()?;
        if (kh, kw) != (3, 3) {
            candle_core::bail!("Conv3x3 needs a 3x3 kernel, got {kh}x{kw}");
        }
        let w: Vec<f32> = weight.to_dtype(candle_core::DType::F32)?.flatten_all()?.to_vec1()?;
        let bias: Vec<f32> = bias.to_dtype(candle_core::DType::F32)?.to_vec1()?;
        let mut w_back = vec![0f32; w.len()];
        for co in 0..cout {
            for ci in 0..cin {
                for k in 0..9 {
                    w_back[(ci * cout + co) * 9 + (8 - k)] = w[(co * cin + ci) * 9 + k];
                }
            }
        }
        Ok(Self { cin, cout, w, w_back, bias, packed: (None, None), wino: (None, None) })
    }

    /// The same convolution with its products in bf16 on AMX tiles (f32 sums) when `on` and the
    /// CPU has them ([`crate::amx::available`]); otherwise, or for a direction whose output
    /// channels are not a multiple of 32 (the input gradient of the first layer: 3), in f32.
    pub fn bf16(mut self, on: bool) -> Self {
        let amx = on && crate::amx::available();
        let pack =
            |rows: usize, w: &[f32], k: usize| (amx && rows.is_multiple_of(32)).then(|| crate::amx::pack_a(w, rows, k));
        self.packed = (pack(self.cout, &self.w, self.cin * 9), pack(self.cin, &self.w_back, self.cout * 9));
        self
    }

    /// The same convolution computed with Winograd's F(4×4, 3×3) when `on` ([`crate::winograd`]:
    /// 4× fewer multiplies, f32 throughout) in each direction not on bf16 tiles whose channels
    /// allow it; otherwise im2col + gemm directly.
    pub fn winograd(mut self, on: bool) -> Self {
        let ok = |packed: bool, rows: usize, chans: usize| on && !packed && crate::winograd::applies(chans, rows);
        self.wino = (
            ok(self.packed.0.is_some(), self.cout, self.cin).then(Mutex::default),
            ok(self.packed.1.is_some(), self.cin, self.cout).then(Mutex::default),
        );
        self
    }

    /// One direction's weights (the input gradient's when `back`) as [`conv3x3`] takes them for
    /// an h×w picture. Winograd's are 4× the size of the kernels (414 MB both ways for VGG19 up
    /// to conv5_1), so they are kept only where the forward input (cin × h × w) is at most
    /// [`crate::winograd::KEEP_UP_TO`] floats, until [`Conv3x3::forget_winograd_weights`];
    /// larger pictures (where memory is what limits the size, and making them is cheap next to
    /// the convolution) make them for the call.
    fn weights(&self, back: bool, h: usize, w: usize) -> DirectionWeights<'_> {
        let (kernels, packed, wino, rows, chans) = match back {
            false => (&self.w, &self.packed.0, &self.wino.0, self.cout, self.cin),
            true => (&self.w_back, &self.packed.1, &self.wino.1, self.cin, self.cout),
        };
        let keep = self.cin * h * w <= crate::winograd::KEEP_UP_TO;
        let wino = wino.as_ref().map(|slot| {
            let mut slot = slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(u) = &*slot {
                return u.clone();
            }
            let u = Arc::new(crate::winograd::transform_weights(kernels, rows, chans));
            if keep {
                *slot = Some(u.clone());
            }
            u
        });
        (kernels, packed.as_deref(), wino)
    }

    /// Drops the Winograd weights kept so far (a run starts each stage with this, so that a
    /// large stage does not carry the weights a small one kept).
    pub fn forget_winograd_weights(&self) {
        for slot in [&self.wino.0, &self.wino.1].into_iter().flatten() {
            *slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        }
    }

    /// Whether either direction runs with Winograd's transforms.
    pub fn uses_winograd(&self) -> bool {
        self.wino.0.is_some() || self.wino.1.is_some()
    }

    /// Whether either direction runs on bf16 tiles.
    pub fn uses_bf16(&self) -> bool {
        self.packed.0.is_some() || self.packed.1.is_some()
    }

    /// `conv(relu(x))` when `relu_input`, else `conv(x)`, plus the bias; `x` is (n, cin, h, w).
    pub fn forward(self: &Arc<Self>, x: &Tensor, relu_input: bool) -> CResult<Tensor> {
        x.contiguous()?.apply_op1(ConvOp { conv: self.clone(), relu_input })
    }
}

struct ConvOp {
    conv: Arc<Conv3x3>,
    relu_input: bool,
}

struct ConvBackOp {
    conv: Arc<Conv3x3>,
    relu_input: bool,
}

fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout, what: &str) -> CResult<&'a [f32]> {
    let data = match s {
        CpuStorage::F32(v) => v.as_slice(),
        _ => candle_core::bail!("{what}: the fast CPU kernels take f32 only"),
    };
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => candle_core::bail!("{what}: input must be contiguous"),
    }
}

/// The input gradient of a custom op, computed by a backward op from the output gradient and
/// a forward tensor (the input or the result; for the ReLU mask or the max positions).
fn input_grad(grad: &Tensor, forward: &Tensor, op: impl CustomOp2) -> CResult<Option<Tensor>> {
    Ok(Some(grad.contiguous()?.apply_op2_no_bwd(&forward.contiguous()?, &op)?))
}

fn dims4(l: &Layout) -> CResult<(usize, usize, usize, usize)> {
    l.shape().dims4()
}

impl CustomOp1 for ConvOp {
    fn name(&self) -> &'static str {
        "nst-conv3x3"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> CResult<(CpuStorage, Shape)> {
        let (n, c, h, w) = dims4(l)?;
        let k = &self.conv;
        if c != k.cin {
            candle_core::bail!("conv3x3: input has {c} channels, the kernel expects {}", k.cin);
        }
        let x = f32_slice(s, l, "conv3x3")?;
        let mut out = vec![0f32; n * k.cout * h * w];
        if out.is_empty() {
            return Ok((CpuStorage::F32(out), Shape::from((n, k.cout, h, w))));
        }
        let (weight, packed, wino) = k.weights(false, h, w);
        for (xb, ob) in x.chunks(c * h * w).zip(out.chunks_mut(k.cout * h * w)) {
            let weights = (weight, packed, wino.as_deref().map(Vec::as_slice));
            conv3x3(xb, k.cin, h, w, self.relu_input, weights, k.cout, After::Bias(&k.bias), ob);
        }
        Ok((CpuStorage::F32(out), Shape::from((n, k.cout, h, w))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> CResult<Option<Tensor>> {
        input_grad(grad, arg, ConvBackOp { conv: self.conv.clone(), relu_input: self.relu_input })
    }
}

impl CustomOp2 for ConvBackOp {
    fn name(&self) -> &'static str {
        "nst-conv3x3-input-grad"
    }

    /// `s1` is the gradient of the output, `s2` the forward input (for the ReLU mask).
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> CResult<(CpuStorage, Shape)> {
        let (n, c, h, w) = dims4(l1)?;
        let k = &self.conv;
        let g = f32_slice(s1, l1, "conv3x3 backward")?;
        let x = f32_slice(s2, l2, "conv3x3 backward")?;
        let mut out = vec![0f32; n * k.cin * h * w];
        if out.is_empty() {
            return Ok((CpuStorage::F32(out), Shape::from((n, k.cin, h, w))));
        }
        let chunks = g.chunks(c * h * w).zip(x.chunks(k.cin * h * w)).zip(out.chunks_mut(k.cin * h * w));
        let (weight, packed, wino) = k.weights(true, h, w);
        for ((gb, xb), ob) in chunks {
            let after = if self.relu_input { After::Mask(xb) } else { After::Nothing };
            conv3x3(gb, k.cout, h, w, false, (weight, packed, wino.as_deref().map(Vec::as_slice)), k.cin, after, ob);
        }
        Ok((CpuStorage::F32(out), Shape::from((n, k.cin, h, w))))
    }
}

/// Raw output pointer shared by tiles that write disjoint rows.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);
// SAFETY: every tile writes only its own rows of the output.
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

impl OutPtr {
    /// A method (not `.0`) so closures capture the whole Send + Sync wrapper.
    ///
    /// # Safety
    /// `off` must be in bounds of the output.
    unsafe fn at(self, off: usize) -> *mut f32 {
        self.0.add(off)
    }
}

/// Image rows per tile: the tile's im2col (cin·9 × rows·w floats) should stay near 1 MB (the L2
/// of the machine this was tuned on), with enough tiles to keep every thread busy.
fn rows_per_tile(cin: usize, h: usize, w: usize) -> usize {
    let target_px = (262_144 / (cin * 9)).max(64);
    let rows = (target_px / w).max(1);
    let threads = rayon::current_num_threads().max(1);
    rows.min(h.div_ceil(4 * threads).max(1))
}

/// What a convolution does to its output after the product: add the bias (the forward pass),
/// or zero it where the forward input was ≤ 0 (the input gradient of a convolution that read
/// relu(x): the ReLU's own backward, fused).
#[derive(Clone, Copy)]
enum After<'a> {
    Bias(&'a [f32]),
    Mask(&'a [f32]),
    Nothing,
}

/// out[co, p] = bias[co] + Σ_{ci,ky,kx} w[co, ci, ky, kx] · src'[ci, p shifted by (ky-1, kx-1)],
/// with src' = relu(src) when `relu_src`; then `after` (the bias, or the ReLU mask). The
/// product runs on bf16 tiles when `weight` comes with its [`crate::amx::pack_a`] packing.
#[allow(clippy::too_many_arguments)]
fn conv3x3(
    src: &[f32],
    cin: usize,
    h: usize,
    w: usize,
    relu_src: bool,
    (weight, packed, wino): (&[f32], Option<&[u16]>, Option<&[f32]>),
    cout: usize,
    after: After,
    out: &mut [f32],
) {
    if h == 0 || w == 0 {
        return;
    }
    let k = cin * 9;
    let p = h * w;
    let wino = wino.filter(|_| packed.is_none());
    let rows = match wino {
        Some(_) => crate::winograd::rows_per_chunk(cin, h, w),
        None => rows_per_tile(cin, h, w),
    };
    let tiles = h.div_ceil(rows);
    let optr = OutPtr(out.as_mut_ptr());
    (0..tiles).into_par_iter().for_each(|t| {
        let (y0, y1) = (t * rows, ((t + 1) * rows).min(h));
        let tp = (y1 - y0) * w;
        match (packed, wino) {
            // SAFETY: the tile writes rows y0..y1 of every output channel: in bounds, and
            // disjoint from every other tile's rows.
            (Some(a), _) => unsafe {
                tile_product_bf16(a, (src, cin, h, w, y0, y1, relu_src), cout, optr.at(y0 * w), p)
            },
            // SAFETY: as above. Outside COL's borrow: this one may wait on other threads,
            // and a waiting rayon thread may run another convolution's tile meanwhile.
            (None, Some(u)) => unsafe {
                crate::winograd::conv3x3_rows(src, (cin, h, w), relu_src, (u, cout), (y0, y1), optr.at(y0 * w), p)
            },
            (None, None) => COL.with_borrow_mut(|col| {
                if col.len() < k * tp {
                    col.resize(k * tp, 0.0);
                }
                im2col(src, cin, h, w, y0, y1, relu_src, &mut col[..k * tp]);
                // SAFETY: as above.
                unsafe { tile_product(weight, &col[..k * tp], cout, k, tp, optr.at(y0 * w), p) }
            }),
        }
        for co in 0..cout {
            let off = co * p + y0 * w;
            // SAFETY: as above.
            let o = unsafe { std::slice::from_raw_parts_mut(optr.at(off), tp) };
            // One branch-free pass (compiles to vector selects).
            match after {
                After::Bias(b) => {
                    let b = b[co];
                    o.iter_mut().for_each(|v| *v += b);
                }
                After::Mask(m) => {
                    o.iter_mut().zip(&m[off..off + tp]).for_each(|(v, &m)| *v = if m > 0.0 { *v } else { 0.0 });
                }
                After::Nothing => {}
            }
        }
    });
}

thread_local! {
    /// Each thread's im2col tile, reused across tiles, layers and steps (every use overwrites it).
    static COL: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The same in bf16 pairs for the tiles, and the product when its columns need padding.
    static COL_BF16: std::cell::RefCell<(Vec<u32>, Vec<f32>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// out (cout × tp, row stride `ldo`) = weight (cout × k) · col (k × tp), in f32.
///
/// # Safety
/// `out` must hold cout rows of `ldo` ≥ tp floats that no one else writes meanwhile.
unsafe fn tile_product(weight: &[f32], col: &[f32], cout: usize, k: usize, tp: usize, out: *mut f32, ldo: usize) {
    crate::winograd::gemm_row_major((cout, tp, k), weight, col, out, ldo)
}

/// What an im2col tile is made from: (src, cin, h, w, y0, y1, relu).
type TileSource<'a> = (&'a [f32], usize, usize, usize, usize, usize, bool);

/// [`tile_product`] on bf16 tiles, `a` being the weight from [`crate::amx::pack_a`], the im2col
/// made straight in the tiles' layout ([`im2col_bf16`]); its columns padded to a multiple of 32
/// (the product then lands in a scratch tile and is copied).
///
/// # Safety
/// As [`tile_product`]; [`crate::amx::available`] must be true.
unsafe fn tile_product_bf16(a: &[u16], tile: TileSource, cout: usize, out: *mut f32, ldo: usize) {
    let (_, cin, _, w, y0, y1, _) = tile;
    let tp = (y1 - y0) * w;
    let (kp, np) = (crate::amx::padded_depth(cin * 9), tp.div_ceil(32) * 32);
    COL_BF16.with_borrow_mut(|(b, scratch)| {
        if b.len() < kp / 2 * np {
            b.resize(kp / 2 * np, 0);
        }
        im2col_bf16(tile, np, &mut b[..kp / 2 * np]);
        if np == tp {
            crate::amx::gemm(cout, np, kp, a, b, out, ldo);
        } else {
            if scratch.len() < cout * np {
                scratch.resize(cout * np, 0.0);
            }
            crate::amx::gemm(cout, np, kp, a, b, scratch.as_mut_ptr(), np);
            for co in 0..cout {
                std::ptr::copy_nonoverlapping(scratch.as_ptr().add(co * np), out.add(co * ldo), tp);
            }
        }
    });
}

/// [`im2col`] in [`crate::amx::pack_b`]'s layout: im2col rows 2i and 2i+1 as bf16 pairs in row i
/// of `out` (`np` ≥ tp columns; the padding rows and columns zero). No f32 copy in between.
fn im2col_bf16((src, cin, h, w, y0, y1, relu): TileSource, np: usize, out: &mut [u32]) {
    let k = cin * 9;
    let tp = (y1 - y0) * w;
    let (mut r0, mut r1) = (vec![0f32; w], vec![0f32; w]);
    for (i, row) in out.chunks_mut(np).enumerate() {
        for y in y0..y1 {
            im2col_row(src, (cin, h, w), 2 * i, y, relu, &mut r0);
            im2col_row(src, (cin, h, w), 2 * i + 1, y, relu, &mut r1);
            interleave_bf16(&r0, &r1, &mut row[(y - y0) * w..][..w]);
        }
        row[tp..].fill(0);
    }
    debug_assert_eq!(out.len() / np, crate::amx::padded_depth(k) / 2);
}

/// dst[q] = the bf16 pair (a[q], b[q]). With AVX-512 compiled in for this loop where the CPU has
/// it (always, where AMX runs): the crate itself is built for baseline x86-64, whose SSE loop
/// took a fifth of a bf16 step.
fn interleave_bf16(a: &[f32], b: &[f32], dst: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vl")
    {
        // SAFETY: the features were just detected.
        return unsafe { interleave_bf16_avx512(a, b, dst) };
    }
    interleave_bf16_plain(a, b, dst)
}

#[inline(always)]
fn interleave_bf16_plain(a: &[f32], b: &[f32], dst: &mut [u32]) {
    for ((d, &a), &b) in dst.iter_mut().zip(a).zip(b) {
        *d = (crate::amx::bf16(b) as u32) << 16 | crate::amx::bf16(a) as u32;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn interleave_bf16_avx512(a: &[f32], b: &[f32], dst: &mut [u32]) {
    interleave_bf16_plain(a, b, dst)
}

/// Row `r` (= ci·9 + ky·3 + kx; zero past cin·9) of the im2col matrix at image row `y`.
fn im2col_row(src: &[f32], (cin, h, w): (usize, usize, usize), r: usize, y: usize, relu: bool, dst: &mut [f32]) {
    let (ci, ky, kx) = (r / 9, r % 9 / 3, r % 3);
    let sy = y + ky;
    if ci >= cin || sy == 0 || sy > h {
        dst.fill(0.0);
        return;
    }
    let s = &src[(ci * h + sy - 1) * w..(ci * h + sy) * w];
    let copy = |d: &mut [f32], s: &[f32]| match relu {
        true => d.iter_mut().zip(s).for_each(|(d, &v)| *d = v.max(0.0)),
        false => d.copy_from_slice(s),
    };
    match kx {
        0 => {
            dst[0] = 0.0;
            copy(&mut dst[1..], &s[..w - 1]);
        }
        1 => copy(dst, s),
        _ => {
            copy(&mut dst[..w - 1], &s[1..]);
            dst[w - 1] = 0.0;
        }
    }
}

/// The im2col rows for output rows y0..y1: col[ci·9 + ky·3 + kx, q] = src'[ci, y+ky-1, x+kx-1].
#[allow(clippy::too_many_arguments)]
fn im2col(src: &[f32], cin: usize, h: usize, w: usize, y0: usize, y1: usize, relu: bool, col: &mut [f32]) {
    let tp = (y1 - y0) * w;
    for (r, row) in col.chunks_mut(tp).enumerate().take(cin * 9) {
        for y in y0..y1 {
            im2col_row(src, (cin, h, w), r, y, relu, &mut row[(y - y0) * w..][..w]);
        }
    }
}

/// 2x2, stride 2 pooling of `relu(x)` (when `relu_input`) or `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Avg,
}

struct PoolOp {
    kind: PoolKind,
    relu_input: bool,
}

struct PoolBackOp {
    kind: PoolKind,
    relu_input: bool,
}

/// Pool `x` (n, c, h, w) with even h and w; see [`PoolKind`].
pub fn pool2x2(x: &Tensor, kind: PoolKind, relu_input: bool) -> CResult<Tensor> {
    x.contiguous()?.apply_op1(PoolOp { kind, relu_input })
}

impl CustomOp1 for PoolOp {
    fn name(&self) -> &'static str {
        "nst-pool2x2"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> CResult<(CpuStorage, Shape)> {
        let (n, c, h, w) = dims4(l)?;
        if h % 2 != 0 || w % 2 != 0 {
            candle_core::bail!("pool2x2 needs even sides, got {w}x{h}");
        }
        let x = f32_slice(s, l, "pool2x2")?;
        let (ho, wo) = (h / 2, w / 2);
        let mut out = vec![0f32; n * c * ho * wo];
        if out.is_empty() {
            return Ok((CpuStorage::F32(out), Shape::from((n, c, ho, wo))));
        }
        let (kind, relu) = (self.kind, self.relu_input);
        out.par_chunks_mut(ho * wo).zip(x.par_chunks(h * w)).for_each(|(o, plane)| {
            for y in 0..ho {
                let (r0, r1) = (&plane[2 * y * w..][..w], &plane[(2 * y + 1) * w..][..w]);
                for (xo, v) in o[y * wo..][..wo].iter_mut().enumerate() {
                    let q = [r0[2 * xo], r0[2 * xo + 1], r1[2 * xo], r1[2 * xo + 1]];
                    let q = if relu { q.map(|v| v.max(0.0)) } else { q };
                    *v = match kind {
                        PoolKind::Max => q[1..].iter().fold(q[0], |m, &v| if v > m { v } else { m }),
                        PoolKind::Avg => (q[0] + q[1] + q[2] + q[3]) * 0.25,
                    };
                }
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((n, c, ho, wo))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> CResult<Option<Tensor>> {
        input_grad(grad, arg, PoolBackOp { kind: self.kind, relu_input: self.relu_input })
    }
}

impl CustomOp2 for PoolBackOp {
    fn name(&self) -> &'static str {
        "nst-pool2x2-input-grad"
    }

    /// Max: the gradient goes to the first maximum of each window (as in PyTorch); avg: a
    /// quarter to each input. Then masked by `x > 0` when the op read `relu(x)`.
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> CResult<(CpuStorage, Shape)> {
        let (n, c, h, w) = dims4(l2)?;
        let g = f32_slice(s1, l1, "pool2x2 backward")?;
        let x = f32_slice(s2, l2, "pool2x2 backward")?;
        let (ho, wo) = (h / 2, w / 2);
        let mut out = vec![0f32; n * c * h * w];
        if out.is_empty() {
            return Ok((CpuStorage::F32(out), Shape::from((n, c, h, w))));
        }
        let (kind, relu) = (self.kind, self.relu_input);
        // Row pairs of the input gradient are written whole, window by window, in order.
        out.par_chunks_mut(h * w).zip(x.par_chunks(h * w)).zip(g.par_chunks(ho * wo)).for_each(|((o, plane), gp)| {
            for y in 0..ho {
                let (o0, o1) = o[2 * y * w..(2 * y + 2) * w].split_at_mut(w);
                let (x0, x1) = (&plane[2 * y * w..][..w], &plane[(2 * y + 1) * w..][..w]);
                for xo in 0..wo {
                    let gv = gp[y * wo + xo];
                    let q = [x0[2 * xo], x0[2 * xo + 1], x1[2 * xo], x1[2 * xo + 1]];
                    let r = match kind {
                        PoolKind::Max => {
                            let best = (1..4).fold(0, |b, j| if q[j] > q[b] { j } else { b });
                            let mut r = [0f32; 4];
                            if !relu || q[best] > 0.0 {
                                r[best] = gv;
                            }
                            r
                        }
                        PoolKind::Avg => q.map(|v| if !relu || v > 0.0 { gv * 0.25 } else { 0.0 }),
                    };
                    o0[2 * xo] = r[0];
                    o0[2 * xo + 1] = r[1];
                    o1[2 * xo] = r[2];
                    o1[2 * xo + 1] = r[3];
                }
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((n, c, h, w))))
    }
}

/// ReLU whose backward is one pass (candle's builds a comparison, a cast and a product).
pub fn relu(x: &Tensor) -> CResult<Tensor> {
    x.contiguous()?.apply_op1(ReluOp)
}

struct ReluOp;
struct ReluBackOp;

impl CustomOp1 for ReluOp {
    fn name(&self) -> &'static str {
        "nst-relu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> CResult<(CpuStorage, Shape)> {
        Ok((CpuStorage::F32(relu_slice(f32_slice(s, l, "relu")?)), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> CResult<Option<Tensor>> {
        input_grad(grad, res, ReluBackOp)
    }
}

impl CustomOp2 for ReluBackOp {
    fn name(&self) -> &'static str {
        "nst-relu-input-grad"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> CResult<(CpuStorage, Shape)> {
        let mut out = f32_slice(s1, l1, "relu backward")?.to_vec();
        mask_slice(&mut out, f32_slice(s2, l2, "relu backward")?);
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// Gram matrix G = F·Fᵀ of a (c, p) matrix. Its backward is one product, dF = (dG + dGᵀ)·F,
/// where candle's matmul backward makes two and then adds a transposed (strided) copy.
pub fn gram(f: &Tensor) -> CResult<Tensor> {
    f.contiguous()?.apply_op1(GramOp)
}

struct GramOp;
struct GramBackOp;

/// Column ranges of a (rows, p) matrix for the threads: about `chunk` columns each.
fn column_chunks(p: usize, chunk: usize) -> Vec<(usize, usize)> {
    let n = p.div_ceil(chunk.max(1)).max(1);
    (0..n).map(|i| (i * p / n, (i + 1) * p / n)).filter(|(a, b)| b > a).collect()
}

/// dst (m, n) row-major = lhs (m, k) row-major · rhs, where rhs(kk, j) = rhs[kk·rs + j·cs];
/// `dst +=` instead when `accumulate`.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_rm(
    accumulate: bool,
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    dst_rs: usize,
    lhs: *const f32,
    lhs_rs: usize,
    rhs: *const f32,
    rhs_rs: usize,
    rhs_cs: usize,
) {
    gemm::gemm(
        m,
        n,
        k,
        dst,
        1,
        dst_rs as isize,
        accumulate,
        lhs,
        1,
        lhs_rs as isize,
        rhs,
        rhs_cs as isize,
        rhs_rs as isize,
        if accumulate { 1.0 } else { 0.0 },
        1.0,
        false,
        false,
        false,
        gemm::Parallelism::None,
    )
}

impl CustomOp1 for GramOp {
    fn name(&self) -> &'static str {
        "nst-gram"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> CResult<(CpuStorage, Shape)> {
        let (c, p) = l.shape().dims2()?;
        let f = f32_slice(s, l, "gram")?;
        // Each thread sums its own range of positions; the partial c×c matrices are added after.
        let chunk = p.div_ceil(rayon::current_num_threads().max(1));
        let partials: Vec<Vec<f32>> = column_chunks(p, chunk)
            .into_par_iter()
            .map(|(a, b)| {
                let mut g = vec![0f32; c * c];
                // SAFETY: g is c×c; lhs rows and rhs columns stay within F's columns a..b.
                unsafe {
                    gemm_rm(false, c, c, b - a, g.as_mut_ptr(), c, f.as_ptr().add(a), p, f.as_ptr().add(a), 1, p)
                };
                g
            })
            .collect();
        let mut g = vec![0f32; c * c];
        for part in &partials {
            g.iter_mut().zip(part).for_each(|(a, b)| *a += b);
        }
        Ok((CpuStorage::F32(g), Shape::from((c, c))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> CResult<Option<Tensor>> {
        let sym = (grad + grad.t()?)?.contiguous()?;
        Ok(Some(sym.apply_op2_no_bwd(&arg.contiguous()?, &GramBackOp)?))
    }
}

impl CustomOp2 for GramBackOp {
    fn name(&self) -> &'static str {
        "nst-gram-input-grad"
    }

    /// `s1` = dG + dGᵀ (c, c), `s2` = F (c, p); returns (dG + dGᵀ)·F.
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> CResult<(CpuStorage, Shape)> {
        let (c, p) = l2.shape().dims2()?;
        let s = f32_slice(s1, l1, "gram backward")?;
        let f = f32_slice(s2, l2, "gram backward")?;
        let mut out = vec![0f32; c * p];
        let optr = OutPtr(out.as_mut_ptr());
        // Column tiles small enough that a tile of F and of the output stay in cache.
        column_chunks(p, (131_072 / c).max(64)).into_par_iter().for_each(|(a, b)| {
            // SAFETY: each tile writes only its own columns a..b of the output.
            unsafe { gemm_rm(false, c, b - a, c, optr.at(a), p, s.as_ptr(), c, f.as_ptr().add(a), p, 1) };
        });
        Ok((CpuStorage::F32(out), Shape::from((c, p))))
    }
}

// ---------------------------------------------------------------------------------------------
// The same kernels on plain slices, for the hand-written backward pass of [`crate::trunk`]:
// there a step keeps only what its backward needs (no graph), and pooling keeps one byte per
// output instead of its whole input.

/// Run `f` on the f32 data of a contiguous CPU tensor.
pub(crate) fn with_f32<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> CResult<R> {
    let (s, l) = t.storage_and_layout();
    match &*s {
        candle_core::Storage::Cpu(cs) => Ok(f(f32_slice(cs, l, "trunk")?)),
        _ => candle_core::bail!("trunk: CPU tensors only"),
    }
}

impl Conv3x3 {
    /// (input, output) channels.
    pub fn channels(&self) -> (usize, usize) {
        (self.cin, self.cout)
    }

    /// `conv(relu(x))` or `conv(x)` plus the bias, for one (cin, h, w) image.
    pub fn forward_slice(&self, x: &[f32], h: usize, w: usize, relu_input: bool) -> Vec<f32> {
        let mut out = vec![0f32; self.cout * h * w];
        let (weight, packed, wino) = self.weights(false, h, w);
        let weights = (weight, packed, wino.as_deref().map(Vec::as_slice));
        conv3x3(x, self.cin, h, w, relu_input, weights, self.cout, After::Bias(&self.bias), &mut out);
        out
    }

    /// The input gradient from the output gradient `g` (cout, h, w), masked by `mask > 0` when
    /// the forward pass read `relu(mask)`.
    pub fn input_grad_slice(&self, g: &[f32], h: usize, w: usize, mask: Option<&[f32]>) -> Vec<f32> {
        let mut out = vec![0f32; self.cin * h * w];
        let (weight, packed, wino) = self.weights(true, h, w);
        let weights = (weight, packed, wino.as_deref().map(Vec::as_slice));
        conv3x3(g, self.cout, h, w, false, weights, self.cin, mask.map_or(After::Nothing, After::Mask), &mut out);
        out
    }
}

/// 2x2 pooling of one (c, h, w) image that also returns, per output, a byte saying where its
/// gradient goes: bit j set = input j of the window (row-major) receives it. Max: the first
/// maximum (none when `relu_input` and the maximum is ≤ 0); avg: every input (only the
/// positive ones when `relu_input`).
pub(crate) fn pool_forward_slice(
    x: &[f32],
    c: usize,
    h: usize,
    w: usize,
    kind: PoolKind,
    relu_input: bool,
) -> (Vec<f32>, Vec<u8>) {
    let (ho, wo) = (h / 2, w / 2);
    let mut out = vec![0f32; c * ho * wo];
    let mut route = vec![0u8; c * ho * wo];
    out.par_chunks_mut(ho * wo).zip(route.par_chunks_mut(ho * wo)).zip(x.par_chunks(h * w)).for_each(
        |((o, r), plane)| {
            for y in 0..ho {
                let (r0, r1) = (&plane[2 * y * w..][..w], &plane[(2 * y + 1) * w..][..w]);
                for xo in 0..wo {
                    let q = [r0[2 * xo], r0[2 * xo + 1], r1[2 * xo], r1[2 * xo + 1]];
                    let i = y * wo + xo;
                    match kind {
                        PoolKind::Max => {
                            let best = (1..4).fold(0, |b, j| if q[j] > q[b] { j } else { b });
                            let m = q[best];
                            if relu_input && m <= 0.0 {
                                o[i] = 0.0;
                                r[i] = 0;
                            } else {
                                o[i] = m;
                                r[i] = 1 << best;
                            }
                        }
                        PoolKind::Avg => {
                            let q = if relu_input { q.map(|v| v.max(0.0)) } else { q };
                            o[i] = (q[0] + q[1] + q[2] + q[3]) * 0.25;
                            r[i] = (0..4).filter(|&j| !relu_input || q[j] > 0.0).fold(0, |b, j| b | (1 << j));
                        }
                    }
                }
            }
        },
    );
    (out, route)
}

/// The input gradient (c, h, w) of [`pool_forward_slice`] from the output gradient.
pub(crate) fn pool_backward_slice(g: &[f32], route: &[u8], c: usize, h: usize, w: usize, kind: PoolKind) -> Vec<f32> {
    let (ho, wo) = (h / 2, w / 2);
    let share = match kind {
        PoolKind::Max => 1.0,
        PoolKind::Avg => 0.25,
    };
    let mut out = vec![0f32; c * h * w];
    out.par_chunks_mut(h * w).zip(g.par_chunks(ho * wo)).zip(route.par_chunks(ho * wo)).for_each(|((o, gp), rp)| {
        for y in 0..ho {
            let (o0, o1) = o[2 * y * w..(2 * y + 2) * w].split_at_mut(w);
            for xo in 0..wo {
                let (gv, r) = (gp[y * wo + xo] * share, rp[y * wo + xo]);
                let at = |j: u8| if r & (1 << j) != 0 { gv } else { 0.0 };
                o0[2 * xo] = at(0);
                o0[2 * xo + 1] = at(1);
                o1[2 * xo] = at(2);
                o1[2 * xo + 1] = at(3);
            }
        }
    });
    out
}

/// relu(x), elementwise.
pub(crate) fn relu_slice(x: &[f32]) -> Vec<f32> {
    let mut out = vec![0f32; x.len()];
    out.par_chunks_mut(1 << 16).zip(x.par_chunks(1 << 16)).for_each(|(o, x)| {
        o.iter_mut().zip(x).for_each(|(o, &v)| *o = v.max(0.0));
    });
    out
}

/// g *= (mask > 0), elementwise.
pub(crate) fn mask_slice(g: &mut [f32], mask: &[f32]) {
    g.par_chunks_mut(1 << 16).zip(mask.par_chunks(1 << 16)).for_each(|(g, m)| {
        g.iter_mut().zip(m).for_each(|(g, &m)| *g = if m > 0.0 { *g } else { 0.0 });
    });
}

/// acc += x, elementwise.
pub(crate) fn add_slice(acc: &mut [f32], x: &[f32]) {
    acc.par_chunks_mut(1 << 16).zip(x.par_chunks(1 << 16)).for_each(|(a, x)| {
        a.iter_mut().zip(x).for_each(|(a, &x)| *a += x);
    });
}

/// acc (c, p) += s · F for a symmetric (c, c) `s` = dG + dGᵀ and F (c, p): the Gram matrix's
/// input gradient, added where the trunk's gradient already is.
pub(crate) fn gram_backward_add(s: &[f32], f: &[f32], c: usize, p: usize, acc: &mut [f32]) {
    let optr = OutPtr(acc.as_mut_ptr());
    column_chunks(p, (131_072 / c).max(64)).into_par_iter().for_each(|(a, b)| {
        // SAFETY: each tile reads and writes only its own columns a..b of `acc`.
        unsafe { gemm_rm(true, c, b - a, c, optr.at(a), p, s.as_ptr(), c, f.as_ptr().add(a), p, 1) };
    });
}

#[cfg(test)]
mod tests {
    use super::rows_per_tile;

    /// Winograd's weights are kept after a small picture (up to KEEP_UP_TO floats of input
    /// included) and made per call for a large one (whose result is the same): what keeps a
    /// 2048 px run's memory in bounds.
    #[test]
    fn winograd_weights_are_kept_only_for_small_pictures() {
        use candle_core::{Device, Tensor};
        let w: Vec<f32> = (0..32 * 32 * 9).map(|i| ((i * 613) % 101) as f32 / 500.0 - 0.1).collect();
        let w = Tensor::from_vec(w, (32, 32, 3, 3), &Device::Cpu).unwrap();
        let b = Tensor::zeros(32, candle_core::DType::F32, &Device::Cpu).unwrap();
        let conv = super::Conv3x3::new(&w, &b).unwrap().winograd(true);
        let kept = |c: &super::Conv3x3| c.wino.0.as_ref().map(|k| k.lock().unwrap().is_some());
        let (h, wd) = (1_048_576 / (32 * 250) + 1, 250); // just over KEEP_UP_TO, written out
        let x: Vec<f32> = (0..32 * h * wd).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0).collect();
        let large = conv.forward_slice(&x, h, wd, true);
        assert_eq!(kept(&conv), Some(false), "a large picture keeps nothing");
        let direct = super::Conv3x3::new(&w, &b).unwrap().forward_slice(&x, h, wd, true);
        let worst = large.iter().zip(&direct).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst < 1e-4, "per-call weights give the same convolution: {worst}");
        conv.forward_slice(&x[..1 << 20], 128, 256, true);
        assert_eq!(kept(&conv), Some(true), "one of exactly KEEP_UP_TO floats (32 × 128 × 256) keeps them");
        conv.forget_winograd_weights();
        conv.forward_slice(&x[..32 * 64], 8, 8, true);
        assert_eq!(kept(&conv), Some(true), "a small one keeps them");
        conv.forget_winograd_weights();
        assert_eq!(kept(&conv), Some(false), "until they are forgotten");
    }

    /// The bf16 im2col is the f32 im2col packed by `amx::pack_b`, bit for bit: odd widths, the
    /// ReLU, a depth that needs padding (3 channels: 27 rows → 32), a tile in the middle.
    #[test]
    fn im2col_in_bf16_pairs_is_the_packed_f32_im2col() {
        for (cin, h, w, y0, y1, relu) in [(3, 5, 7, 0, 5, false), (4, 6, 5, 2, 4, true), (64, 3, 3, 1, 3, true)] {
            let src: Vec<f32> = (0..cin * h * w).map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0).collect();
            let (k, tp) = (cin * 9, (y1 - y0) * w);
            let mut col = vec![0f32; k * tp];
            super::im2col(&src, cin, h, w, y0, y1, relu, &mut col);
            let (kp, np) = (crate::amx::padded_depth(k), tp.div_ceil(32) * 32);
            let mut want = vec![0u32; kp / 2 * np];
            crate::amx::pack_b(&col, k, tp, np, &mut want);
            let mut got = vec![9u32; kp / 2 * np];
            super::im2col_bf16((&src, cin, h, w, y0, y1, relu), np, &mut got);
            assert_eq!(got, want, "cin {cin}, {h}x{w}, rows {y0}..{y1}");
        }
    }

    /// The tiling rule in numbers, on two threads: a tile's im2col near 1 MB (262 144 floats),
    /// at least one row, and at least 4 tiles per thread where the picture has the rows.
    #[test]
    fn tiles_hold_about_a_megabyte_and_keep_every_thread_busy() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        pool.install(|| {
            // (cin, h, w, rows): 64 channels at 256 px: one row (576 × 256 floats = 590 kB);
            // RGB at 256 px: 37 rows fit the budget, capped at 32 for 8 tiles; 512 channels at
            // 32 px: the 64-pixel floor gives 2 rows; a 16-row picture: 2 rows for 8 tiles.
            for (cin, h, w, rows) in
                [(64, 256, 256, 1), (3, 256, 256, 32), (512, 32, 32, 2), (64, 16, 16, 2), (3, 5, 4, 1)]
            {
                assert_eq!(rows_per_tile(cin, h, w), rows, "{cin} channels, {h}×{w}");
            }
        });
    }
}

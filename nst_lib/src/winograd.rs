//! Winograd's minimal filtering for the 3×3 convolutions, F(4×4, 3×3) (Lavin & Gray 2016, "Fast
//! Algorithms for Convolutional Neural Networks").
//!
//! Why: a 3×3 convolution is all of VGG's work, and computed directly each 4×4 block of its
//! output costs 16·9 = 144 multiplies per input channel. Winograd's algorithm gets the same
//! block from 36: the 6×6 input patch and the 3×3 kernel are each carried into a 6×6
//! "transformed" space by fixed small matrices (the kernel once, at loading), multiplied there
//! element by element, and the product carried back. Summed over input channels, the 36 element
//! products become 36 matrix products (output channels × input channels times input channels ×
//! tiles), which run on the same `gemm` as the direct path; the transforms are additions and
//! multiplications by small constants, a few percent of the work.
//!
//! It is exact in exact arithmetic; in f32 its rounding differs from the direct sum by up to
//! about 1e-5 of the largest value (tested against the direct convolution). Used where both channel counts are
//! at least [`MIN_CHANNELS`] (every VGG layer but the first's forward pass and the input gradient
//! that comes out of it: with 3 channels the products are too thin to gain).

use rayon::prelude::*;

/// Output tile side.
const M: usize = 4;
/// Input tile side (the output tile plus the kernel's reach, 2).
const A: usize = M + 2;
/// Element products per tile: one matrix product each.
pub(crate) const T: usize = A * A;
/// The largest input (channels × h × w floats, 4 MB) for which a convolution keeps its
/// transformed weights; above it, it makes them for each call. Kept, they are 4× the kernels
/// (up to 38 MB a direction): where the inputs are that small (at 256 px every layer from conv2_1
/// on but conv2_2; at 512 px conv4_1 and conv5_1) making them would be a noticeable part of the
/// work; above, it costs a few percent of the convolution at most, and memory is what limits the
/// picture size (kept up to 16 MB, a 2048 px run's half-size pass kept 113 MB of them: +190 MB
/// at its peak). A run forgets them at each stage's start (see `Conv3x3::forget_winograd_weights`).
pub(crate) const KEEP_UP_TO: usize = 1 << 20;
/// The fewest input and output channels a convolution must have to run this way.
pub(crate) const MIN_CHANNELS: usize = 32;

/// Bᵀ: carries a 6×6 input patch d into the transformed space as Bᵀ·d·B (points 0, ±1, ±2, ∞).
/// Written out term by term in [`bt_axis`]; the matrix is what the tests check that against.
#[cfg(test)]
const BT: [[f32; A]; A] = [
    [4.0, 0.0, -5.0, 0.0, 1.0, 0.0],
    [0.0, -4.0, -4.0, 1.0, 1.0, 0.0],
    [0.0, 4.0, -4.0, -1.0, 1.0, 0.0],
    [0.0, -2.0, -1.0, 2.0, 1.0, 0.0],
    [0.0, 2.0, -1.0, -2.0, 1.0, 0.0],
    [0.0, 4.0, 0.0, -5.0, 0.0, 1.0],
];
/// G: carries a 3×3 kernel g into it as G·g·Gᵀ (written out in [`g_times`]).
#[cfg(test)]
const G: [[f32; 3]; A] = [
    [0.25, 0.0, 0.0],
    [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
    [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
    [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
    [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
    [0.0, 0.0, 1.0],
];
/// Aᵀ: carries a 6×6 product back to the 4×4 output block as Aᵀ·m·A (written out in [`at_axis`]).
#[cfg(test)]
const AT: [[f32; A]; M] = [
    [1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
    [0.0, 1.0, -1.0, 2.0, -2.0, 0.0],
    [0.0, 1.0, 1.0, 4.0, 4.0, 0.0],
    [0.0, 1.0, -1.0, 8.0, -8.0, 1.0],
];

/// Whether a convolution with these channel counts runs this way.
pub(crate) fn applies(cin: usize, cout: usize) -> bool {
    cin >= MIN_CHANNELS && cout >= MIN_CHANNELS
}

/// The kernels (cout, cin·9 in PyTorch's layout) in the transformed space: T matrices of
/// cout × cin, matrix k = i·6 + j holding (G·g·Gᵀ)[i][j] of every kernel.
pub(crate) fn transform_weights(w: &[f32], cout: usize, cin: usize) -> Vec<f32> {
    // A block of kernels at a time, each of the T results written as one run: written kernel
    // by kernel, the T rows (1 MB apart for 512 × 512) fall into the same cache sets, and a
    // 512 × 512 layer took 57 ms instead of a few.
    const BLOCK: usize = 64;
    let n = cout * cin;
    let mut u = vec![0f32; T * n];
    let mut block = [[0f32; BLOCK]; T];
    for n0 in (0..n).step_by(BLOCK) {
        let nb = BLOCK.min(n - n0);
        for (b, g) in w[n0 * 9..(n0 + nb) * 9].chunks_exact(9).enumerate() {
            // gg = G·g (6×3), column by column, then G·gg per row: G·g·Gᵀ.
            let mut gg = [[0f32; 3]; A];
            for c in 0..3 {
                for (r, v) in g_times([g[c], g[3 + c], g[6 + c]]).into_iter().enumerate() {
                    gg[r][c] = v;
                }
            }
            for (i, row) in gg.iter().enumerate() {
                for (j, v) in g_times(*row).into_iter().enumerate() {
                    block[i * A + j][b] = v;
                }
            }
        }
        for (k, row) in block.iter().enumerate() {
            u[k * n + n0..][..nb].copy_from_slice(&row[..nb]);
        }
    }
    u
}

/// G·[a, b, c]: the kernel transform along one axis (G's rows written out).
#[inline(always)]
fn g_times([a, b, c]: [f32; 3]) -> [f32; A] {
    // Multiplications by the reciprocals (as G holds them): divisions made this 3× slower.
    const SIXTH: f32 = 1.0 / 6.0;
    const TWELFTH: f32 = 1.0 / 12.0;
    const TWENTY_FOURTH: f32 = 1.0 / 24.0;
    let (pm, b6, b12) = ((a + c) * SIXTH, b * SIXTH, b * TWELFTH);
    let q = a * TWENTY_FOURTH + c * SIXTH;
    [a * 0.25, -(pm + b6), -(pm - b6), q + b12, q - b12, c]
}

thread_local! {
    /// Each thread's transformed input and product for one chunk, reused across chunks and steps.
    static BUFS: std::cell::Cell<(Vec<f32>, Vec<f32>)> = const { std::cell::Cell::new((Vec::new(), Vec::new())) };
}

/// Tiles a chunk should have at least: the products' width (at 16 tiles they ran at a third of
/// the rate of 64 and more).
const MIN_TILES: usize = 64;
/// And at most: 256, and no more than 4 MB of transformed input (memory per thread).
const MAX_TILES: usize = 256;
const CHUNK_FLOATS: usize = 1 << 20;

/// Output rows per chunk (a multiple of the tile side). A picture too small for every thread to
/// get [`MIN_TILES`] (the deep layers) runs as one chunk whose products are spread over the
/// threads instead; otherwise as wide chunks as the bounds above allow, at least two a thread.
pub(crate) fn rows_per_chunk(cin: usize, h: usize, w: usize) -> usize {
    let (th, tw) = (h.div_ceil(M), w.div_ceil(M));
    let threads = rayon::current_num_threads().max(1);
    if th * tw < 2 * MIN_TILES * threads {
        return th * M;
    }
    let tiles = (CHUNK_FLOATS / (T * cin)).clamp(MIN_TILES, MAX_TILES);
    M * tiles.div_ceil(tw).min(th.div_ceil(2 * threads)).max(1)
}

/// Output rows y0..y1 (y0 a multiple of the tile side) of out[co, y, x] = Σ_{ci,ky,kx}
/// w[co, ci, ky, kx] · src'[ci, y+ky-1, x+kx-1] (zero padding), src' = relu(src) when `relu`,
/// with `u` from [`transform_weights`]. Row y of channel co goes to `out + co·ldo + (y-y0)·w`.
///
/// # Safety
/// `out` must hold those rows, written by no one else meanwhile.
pub(crate) unsafe fn conv3x3_rows(
    src: &[f32],
    (cin, h, w): (usize, usize, usize),
    relu: bool,
    (u, cout): (&[f32], usize),
    (y0, y1): (usize, usize),
    out: *mut f32,
    ldo: usize,
) {
    let (ty0, ty1) = (y0 / M, y1.div_ceil(M));
    let tc = (ty1 - ty0) * w.div_ceil(M);
    // Taken out, not borrowed: the products may wait on other threads, and a waiting rayon
    // thread may run another convolution's chunk, which then finds the buffers empty.
    let (mut v, mut m) = BUFS.take();
    v.resize(v.len().max(T * cin * tc), 0.0);
    m.resize(m.len().max(T * cout * tc), 0.0);
    input_transform(src, (cin, h, w), relu, (ty0, ty1), &mut v[..T * cin * tc]);
    // The picture in one chunk: its products are spread over the threads instead.
    let whole = y0 == 0 && y1 == h;
    products(u, &v[..T * cin * tc], (cout, cin, tc), &mut m[..T * cout * tc], whole);
    let mut band = vec![0f32; (A * M + 2 * M) * w.div_ceil(M)];
    for co in 0..cout {
        // SAFETY: the caller's promise.
        let rows = unsafe { std::slice::from_raw_parts_mut(out.add(co * ldo), (y1 - y0) * w) };
        output_transform(&m[..T * cout * tc], (co, cout, w), (ty0, ty1), (y0, y1), (rows, &mut band));
    }
    BUFS.set((v, m));
}

/// v[k, ci, t] = (Bᵀ·d·B)[k] for the 6×6 patch d of every tile t of tile rows ty0..ty1.
///
/// Computed a tile row at a time, all its tiles at once (so the loops run on vectors): each
/// input row is split into its four phases (column x mod 4), so that the patch of tile tx reads
/// phase r at tx and, for its last two columns, phases 0 and 1 at tx + 1.
#[inline(always)]
fn input_transform_any<const AVX512: bool>(
    src: &[f32],
    (cin, h, w): (usize, usize, usize),
    relu: bool,
    (ty0, ty1): (usize, usize),
    v: &mut [f32],
) {
    let tw = w.div_ceil(M);
    let tc = (ty1 - ty0) * tw;
    let n = tw + 1;
    let mut row = vec![0f32; M * n];
    let (mut phases, mut across, mut down) = (vec![0f32; A * M * n], vec![0f32; A * A * tw], vec![0f32; A * tw]);
    for ci in 0..cin {
        for ty in ty0..ty1 {
            for i in 0..A {
                let y = (ty * M + i) as isize - 1;
                row.fill(0.0);
                if (0..h as isize).contains(&y) {
                    let s = &src[(ci * h + y as usize) * w..][..w];
                    match relu {
                        true => row[1..=w].iter_mut().zip(s).for_each(|(d, &x)| *d = x.max(0.0)),
                        false => row[1..=w].copy_from_slice(s),
                    }
                }
                deinterleave::<AVX512>(&row, &mut phases[i * M * n..][..M * n], n);
                let ph = |r: usize, shift: usize| &phases[(i * M + r) * n + shift..][..tw];
                let d = [ph(0, 0), ph(1, 0), ph(2, 0), ph(3, 0), ph(0, 1), ph(1, 1)];
                bt_axis::<AVX512>(d, &mut across[i * A * tw..][..A * tw], tw);
            }
            let t0 = (ty - ty0) * tw;
            for a in 0..A {
                let d: [&[f32]; A] = std::array::from_fn(|i| &across[(i * A + a) * tw..][..tw]);
                bt_axis::<AVX512>(d, &mut down, tw);
                for (b, o) in down.chunks_exact(tw).enumerate() {
                    v[((b * A + a) * cin + ci) * tc + t0..][..tw].copy_from_slice(o);
                }
            }
        }
    }
}

/// Compiles `$any` (an `#[inline(always)]` function) a second time for AVX-512 and runs that
/// where the CPU has it: the library is built for any x86-64, whose vectors are 4 wide.
macro_rules! dispatch {
    ($(#[$doc:meta])* $name:ident, $fast:ident, $any:ident, ($($arg:ident: $ty:ty),*)) => {
        $(#[$doc])*
        fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            if is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F.
                return unsafe { $fast($($arg),*) };
            }
            $any::<false>($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f")]
        unsafe fn $fast($($arg: $ty),*) {
            $any::<true>($($arg),*)
        }
    };
}

dispatch!(
    /// [`input_transform_any`], on AVX-512 where the CPU has it.
    input_transform, input_transform_avx512, input_transform_any,
    (src: &[f32], dims: (usize, usize, usize), relu: bool, tiles: (usize, usize), v: &mut [f32])
);

dispatch!(
    /// [`output_transform_any`], on AVX-512 where the CPU has it.
    output_transform, output_transform_avx512, output_transform_any,
    (m: &[f32], ch: (usize, usize, usize), tiles: (usize, usize), rows: (usize, usize), out: (&mut [f32], &mut [f32]))
);

/// p[r·n + k] = row[4k + r] for k < n (row holds 4n): a row split into its four phases.
#[inline(always)]
fn deinterleave<const AVX512: bool>(row: &[f32], p: &mut [f32], n: usize) {
    let mut k = 0;
    #[cfg(target_arch = "x86_64")]
    if AVX512 {
        // SAFETY: AVX512 is true only in code compiled for AVX-512F (see `dispatch!`); the
        // blocks read row[4k..4k + 64] and write p[r·n + k..][..16] for k + 16 ≤ n.
        while k + 16 <= n {
            unsafe { simd::deinterleave16(row.as_ptr().add(M * k), p.as_mut_ptr().add(k), n) };
            k += 16;
        }
    }
    for k in k..n {
        for r in 0..M {
            p[r * n + k] = row[M * k + r];
        }
    }
}

/// row[4k + r] = p[r·n + k] for k < n: the inverse of [`deinterleave`].
#[inline(always)]
fn interleave<const AVX512: bool>(p: &[f32], row: &mut [f32], n: usize) {
    let mut k = 0;
    #[cfg(target_arch = "x86_64")]
    if AVX512 {
        // SAFETY: as in `deinterleave`.
        while k + 16 <= n {
            unsafe { simd::interleave16(p.as_ptr().add(k), n, row.as_mut_ptr().add(M * k)) };
            k += 16;
        }
    }
    for k in k..n {
        for r in 0..M {
            row[M * k + r] = p[r * n + k];
        }
    }
}

/// Sixteen tiles' four phases at a time with AVX-512 permutes (the plain loops compile to one
/// scalar load and store per float).
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    /// out[r·n + k] = src[4k + r] for k < 16, r < 4.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn deinterleave16(src: *const f32, out: *mut f32, n: usize) {
        let v: [__m512; 4] = std::array::from_fn(|i| _mm512_loadu_ps(src.add(16 * i)));
        // Lanes 0..8 of a permute of (v0, v1) take phase r of tiles 0..8 (index 4k + r).
        let base = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28);
        for r in 0..4 {
            let idx = _mm512_add_epi32(base, _mm512_set1_epi32(r as i32));
            let lo = _mm512_permutex2var_ps(v[0], idx, v[1]);
            let hi = _mm512_permutex2var_ps(v[2], idx, v[3]);
            // The low halves of both: tiles 0..8 then 8..16.
            _mm512_storeu_ps(out.add(r * n), _mm512_shuffle_f32x4::<0x44>(lo, hi));
        }
    }

    /// [`super::bt_axis`] on sixteen floats from each pointer.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn bt16(d: [*const f32; 6], o: [*mut f32; 6]) {
        let [a, b, c, e, f, g] = d.map(|p| _mm512_loadu_ps(p));
        let k = |v: f32| _mm512_set1_ps(v);
        let (eb, cf) = (_mm512_sub_ps(e, b), _mm512_sub_ps(f, c));
        let r = [
            _mm512_fmadd_ps(k(4.0), a, _mm512_fmadd_ps(k(-5.0), c, f)),
            _mm512_fmadd_ps(k(-4.0), _mm512_add_ps(b, c), _mm512_add_ps(e, f)),
            _mm512_fmadd_ps(k(4.0), _mm512_sub_ps(b, c), _mm512_sub_ps(f, e)),
            _mm512_fmadd_ps(k(2.0), eb, cf),
            _mm512_fnmadd_ps(k(2.0), eb, cf),
            _mm512_fmadd_ps(k(4.0), b, _mm512_fmadd_ps(k(-5.0), e, g)),
        ];
        for (p, v) in o.into_iter().zip(r) {
            _mm512_storeu_ps(p, v);
        }
    }

    /// [`super::at_axis`] on sixteen floats from each pointer.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn at16(m: [*const f32; 6], o: [*mut f32; 4]) {
        let [m0, m1, m2, m3, m4, m5] = m.map(|p| _mm512_loadu_ps(p));
        let k = |v: f32| _mm512_set1_ps(v);
        let (p, q) = (_mm512_add_ps(m1, m2), _mm512_sub_ps(m1, m2));
        let (r, s) = (_mm512_add_ps(m3, m4), _mm512_sub_ps(m3, m4));
        let v = [
            _mm512_add_ps(_mm512_add_ps(m0, p), r),
            _mm512_fmadd_ps(k(2.0), s, q),
            _mm512_fmadd_ps(k(4.0), r, p),
            _mm512_add_ps(_mm512_fmadd_ps(k(8.0), s, q), m5),
        ];
        for (p, v) in o.into_iter().zip(v) {
            _mm512_storeu_ps(p, v);
        }
    }

    /// out[4k + r] = p[r·n + k] for k < 16, r < 4.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn interleave16(p: *const f32, n: usize, out: *mut f32) {
        let o: [__m512; 4] = std::array::from_fn(|r| _mm512_loadu_ps(p.add(r * n)));
        let pairs_lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        let pairs_hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        let quads_lo = _mm512_setr_epi32(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
        let quads_hi = _mm512_setr_epi32(8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
        // (phase 0, phase 1) and (phase 2, phase 3) pairs per tile, then the four per tile.
        for (half, pick) in [pairs_lo, pairs_hi].into_iter().enumerate() {
            let a = _mm512_permutex2var_ps(o[0], pick, o[1]);
            let b = _mm512_permutex2var_ps(o[2], pick, o[3]);
            _mm512_storeu_ps(out.add(32 * half), _mm512_permutex2var_ps(a, quads_lo, b));
            _mm512_storeu_ps(out.add(32 * half + 16), _mm512_permutex2var_ps(a, quads_hi, b));
        }
    }
}

/// o[a][x] = Σ_j Bᵀ[a][j]·d[j][x] for x < n (`o` holds six rows of n): the input transform
/// along one axis, n tiles at once.
#[inline(always)]
fn bt_axis<const AVX512: bool>(d: [&[f32]; A], o: &mut [f32], n: usize) {
    let mut rows = o.chunks_exact_mut(n);
    let mut next = || rows.next().expect("six rows");
    let (o0, o1, o2, o3, o4, o5) = (next(), next(), next(), next(), next(), next());
    let [d0, d1, d2, d3, d4, d5] = d.map(|s| &s[..n]);
    let mut x0 = 0;
    #[cfg(target_arch = "x86_64")]
    if AVX512 {
        while x0 + 16 <= n {
            let at = |s: &[f32]| s[x0..].as_ptr();
            let o = [&mut *o0, &mut *o1, &mut *o2, &mut *o3, &mut *o4, &mut *o5].map(|s| s[x0..].as_mut_ptr());
            // SAFETY: AVX-512F (see `deinterleave`); sixteen floats from x0 in every slice.
            unsafe { simd::bt16([d0, d1, d2, d3, d4, d5].map(at), o) };
            x0 += 16;
        }
    }
    for x in x0..n {
        let (a, b, c, e, f, g) = (d0[x], d1[x], d2[x], d3[x], d4[x], d5[x]);
        o0[x] = 4.0 * a - 5.0 * c + f;
        o1[x] = -4.0 * (b + c) + e + f;
        o2[x] = 4.0 * (b - c) - e + f;
        o3[x] = 2.0 * (e - b) - c + f;
        o4[x] = 2.0 * (b - e) - c + f;
        o5[x] = 4.0 * b - 5.0 * e + g;
    }
}

/// o[a][x] = Σ_j Aᵀ[a][j]·m[j][x] for x < n (`o` holds four rows of n): the output transform
/// along one axis.
#[inline(always)]
fn at_axis<const AVX512: bool>(m: [&[f32]; A], o: &mut [f32], n: usize) {
    let mut rows = o.chunks_exact_mut(n);
    let mut next = || rows.next().expect("four rows");
    let (o0, o1, o2, o3) = (next(), next(), next(), next());
    let [m0, m1, m2, m3, m4, m5] = m.map(|s| &s[..n]);
    let mut x0 = 0;
    #[cfg(target_arch = "x86_64")]
    if AVX512 {
        while x0 + 16 <= n {
            let at = |s: &[f32]| s[x0..].as_ptr();
            let o = [&mut *o0, &mut *o1, &mut *o2, &mut *o3].map(|s| s[x0..].as_mut_ptr());
            // SAFETY: as in `bt_axis`.
            unsafe { simd::at16([m0, m1, m2, m3, m4, m5].map(at), o) };
            x0 += 16;
        }
    }
    for x in x0..n {
        let (p, q) = (m1[x] + m2[x], m1[x] - m2[x]);
        let (r, s) = (m3[x] + m4[x], m3[x] - m4[x]);
        o0[x] = m0[x] + p + r;
        o1[x] = q + 2.0 * s;
        o2[x] = p + 4.0 * r;
        o3[x] = q + 8.0 * s + m5[x];
    }
}

/// m[k] = u[k] · v[k] for the T matrices: (cout × cin) · (cin × tc); spread over the threads
/// when `parallel`.
fn products(u: &[f32], v: &[f32], (cout, cin, tc): (usize, usize, usize), m: &mut [f32], parallel: bool) {
    let one = |(k, mk): (usize, &mut [f32])| {
        let (uk, vk) = (&u[k * cout * cin..][..cout * cin], &v[k * cin * tc..][..cin * tc]);
        // SAFETY: mk holds cout·tc floats, and no one else writes it.
        unsafe { gemm_row_major((cout, tc, cin), uk, vk, mk.as_mut_ptr(), tc) }
    };
    match parallel {
        true => m.par_chunks_mut(cout * tc).enumerate().for_each(one),
        false => m.chunks_mut(cout * tc).enumerate().for_each(one),
    }
}

/// out (m × n, row stride `ldo`) = a (m × k) · b (k × n), all row-major, on one thread: the
/// product both convolution paths run on (the `gemm` crate, with its AVX-512 kernels).
///
/// # Safety
/// `out` must hold m rows of `ldo` ≥ n floats that no one else writes meanwhile.
pub(crate) unsafe fn gemm_row_major((m, n, k): (usize, usize, usize), a: &[f32], b: &[f32], out: *mut f32, ldo: usize) {
    debug_assert!(a.len() >= m * k && b.len() >= k * n);
    gemm::gemm(
        m,
        n,
        k,
        out,
        1,
        ldo as isize,
        false,
        a.as_ptr(),
        1,
        k as isize,
        b.as_ptr(),
        1,
        n as isize,
        0.0,
        1.0,
        false,
        false,
        false,
        gemm::Parallelism::None,
    )
}

/// Channel co's output rows y0..y1 from the products: Aᵀ·m·A per tile, a tile row at a time
/// (all its tiles at once, as [`input_transform`]). `band` holds 4·4·tw floats of scratch.
#[inline(always)]
fn output_transform_any<const AVX512: bool>(
    m: &[f32],
    (co, cout, w): (usize, usize, usize),
    (ty0, ty1): (usize, usize),
    (y0, y1): (usize, usize),
    (out, band): (&mut [f32], &mut [f32]),
) {
    let tw = w.div_ceil(M);
    let tc = (ty1 - ty0) * tw;
    let (down, rest) = band.split_at_mut(A * M * tw);
    let (across, row) = rest.split_at_mut(M * tw);
    for ty in ty0..ty1 {
        let t0 = (ty - ty0) * tw;
        let mk = |k: usize| &m[(k * cout + co) * tc + t0..][..tw];
        for j in 0..A {
            at_axis::<AVX512>(std::array::from_fn(|i| mk(i * A + j)), &mut down[j * M * tw..][..M * tw], tw);
        }
        for a in 0..M {
            let y = ty * M + a;
            if !(y0..y1).contains(&y) {
                continue;
            }
            at_axis::<AVX512>(std::array::from_fn(|j| &down[(j * M + a) * tw..][..tw]), across, tw);
            interleave::<AVX512>(across, row, tw);
            out[(y - y0) * w..][..w].copy_from_slice(&row[..w]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu_kernels::Conv3x3;
    use candle_core::{Device, Tensor};

    /// The kernel transform is G·g·Gᵀ with the matrix G.
    #[test]
    fn weight_transform_is_the_matrix_product() {
        // 135 kernels: two whole blocks of 64 and a part one.
        let (cout, cin) = (5, 27);
        let w: Vec<f32> = (0..cout * cin * 9).map(|i| ((i * 5) % 13) as f32 - 6.0).collect();
        let u = transform_weights(&w, cout, cin);
        for n in 0..cout * cin {
            let g = &w[n * 9..][..9];
            for i in 0..A {
                for j in 0..A {
                    let v: f32 = (0..3)
                        .flat_map(|r| (0..3).map(move |c| (r, c)))
                        .map(|(r, c)| G[i][r] * g[r * 3 + c] * G[j][c])
                        .sum();
                    let got = u[(i * A + j) * cout * cin + n];
                    assert!((got - v).abs() <= 1e-5 * v.abs().max(1.0), "kernel {n}, ({i}, {j}): {got} against {v}");
                }
            }
        }
    }

    /// Chunk heights follow the documented rule, worked out by hand for each case: tiles =
    /// clamp(2^20 / (36·cin), 64, 256), rows = 4·max(min(⌈tiles/tw⌉, ⌈th/(2·threads)⌉), 1), and
    /// one chunk when th·tw < 2·64·threads.
    #[test]
    fn chunk_plan_follows_its_bounds() {
        let cases = [
            // 256 tiles wanted, rows of 128 tiles: 2 tile rows.
            ((64, 512, 512), 2, 8),
            // 16 × 16 tiles is exactly 2·64·2: chunked, 64 tiles (the floor) = 4 tile rows.
            ((512, 64, 64), 2, 16),
            // 8 × 8 tiles, under 2·64·2: one chunk of all 8 tile rows.
            ((512, 32, 32), 2, 32),
            // 12 × 12 = 144 tiles, under 2·64·2 = 256 (and over 130, as with a `+` for either `*`).
            ((512, 48, 48), 2, 48),
            // 64 tiles, rows of 64 tiles: 1 tile row.
            ((512, 256, 256), 2, 4),
            // 256 tiles, rows of 4: 64 tile rows, but at most ⌈256 / 8⌉ = 32.
            ((64, 1024, 16), 4, 128),
        ];
        for ((cin, h, w), threads, rows) in cases {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let got = pool.install(|| rows_per_chunk(cin, h, w));
            assert_eq!(got, rows, "cin {cin}, {h} × {w}, {threads} threads");
        }
    }

    /// The hand-expanded transforms are the matrices (Lavin & Gray's, written out above).
    #[test]
    fn axis_transforms_are_the_matrices() {
        let d: Vec<Vec<f32>> = (0..A).map(|j| (0..3).map(|x| ((j * 7 + x * 3) % 11) as f32 - 5.0).collect()).collect();
        let (mut o, mut p) = (vec![0f32; A * 3], vec![0f32; M * 3]);
        bt_axis::<false>(std::array::from_fn(|j| d[j].as_slice()), &mut o, 3);
        at_axis::<false>(std::array::from_fn(|j| d[j].as_slice()), &mut p, 3);
        for x in 0..3 {
            for a in 0..A {
                assert_eq!(o[a * 3 + x], (0..A).map(|j| BT[a][j] * d[j][x]).sum::<f32>(), "Bᵀ row {a}");
            }
            for a in 0..M {
                assert_eq!(p[a * 3 + x], (0..A).map(|j| AT[a][j] * d[j][x]).sum::<f32>(), "Aᵀ row {a}");
            }
        }
    }

    fn pair(cin: usize, cout: usize) -> (Conv3x3, Conv3x3) {
        let n = cout * cin * 9;
        let w: Vec<f32> = (0..n).map(|i| ((i * 6007) % 1009) as f32 / 5045.0 - 0.1).collect();
        let w = Tensor::from_vec(w, (cout, cin, 3, 3), &Device::Cpu).unwrap();
        let b = Tensor::arange(0u32, cout as u32, &Device::Cpu).unwrap().to_dtype(candle_core::DType::F32).unwrap();
        (Conv3x3::new(&w, &b).unwrap(), Conv3x3::new(&w, &b).unwrap().winograd(true))
    }

    fn close(a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len());
        let scale = a.iter().fold(0f32, |m, v| m.max(v.abs()));
        let worst = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
        // F(4×4, 3×3) rounds a little more than the direct sum (its constants reach 8 and 1/24):
        // about 1e-5 of the largest value at worst; a wrong tap or tile would be of its order.
        assert!(worst <= 4e-5 * scale, "worst difference {worst} against values up to {scale}");
    }

    /// Both directions equal the direct convolution, on sizes that are not multiples of the
    /// tile (partial tiles at the right and bottom edges), with and without the ReLU folding.
    #[test]
    fn equals_the_direct_convolution_on_odd_shapes() {
        // The last two: sixteen tiles and more a row (the vector path), and in chunks of rows
        // (two threads, as on the machine the chunks were tuned on).
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        for (cin, cout, h, w) in [(32, 48, 7, 13), (64, 32, 20, 9), (40, 40, 1, 1), (32, 32, 33, 70), (32, 40, 94, 90)]
        {
            pool.install(|| one_shape(cin, cout, h, w));
        }
    }

    fn one_shape(cin: usize, cout: usize, h: usize, w: usize) {
        assert_eq!(rows_per_chunk(cin, h, w) >= h, h < 90, "one chunk, or several");
        let (direct, wino) = pair(cin, cout);
        assert!(wino.uses_winograd() && !direct.uses_winograd());
        let x: Vec<f32> = (0..cin * h * w).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0).collect();
        let g: Vec<f32> = (0..cout * h * w).map(|i| ((i * 104729) % 997) as f32 / 500.0 - 1.0).collect();
        for relu in [false, true] {
            close(&direct.forward_slice(&x, h, w, relu), &wino.forward_slice(&x, h, w, relu));
            let mask = relu.then_some(&x[..]);
            close(&direct.input_grad_slice(&g, h, w, mask), &wino.input_grad_slice(&g, h, w, mask));
        }
    }

    /// Convolutions from several threads at once (tests, a notebook's session beside a live
    /// view): a rayon thread waiting on a one-chunk picture's products may run another
    /// convolution's chunk meanwhile, and must not find its scratch borrowed (it panicked).
    #[test]
    fn convolutions_from_several_threads_at_once() {
        let (direct, wino) = pair(64, 64);
        let x: Vec<f32> = (0..64 * 12 * 12).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0).collect();
        let want = direct.forward_slice(&x, 12, 12, true);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..40).for_each(|_| close(&want, &wino.forward_slice(&x, 12, 12, true))));
            }
        });
    }

    /// Too few channels on either side: that direction stays direct.
    #[test]
    fn thin_convolutions_stay_direct() {
        assert!(!pair(3, 64).1.uses_winograd());
        assert!(!applies(64, 3) && !applies(31, 64) && applies(32, 32));
    }
}

//! bf16 matrix products on Intel AMX tiles (`tdpbf16ps`: a 16×32 by 32×16 bf16 product added
//! to a 16×16 f32 tile), for the convolutions of [`crate::cpu_kernels`] when asked for.
//!
//! Why: on this project's CPU the tile product runs at 14–16× the AVX-512 f32 rate
//! (`cargo bench --bench peak`). The inputs are rounded to bf16 (8 significant bits), the sums
//! stay f32. Rust has no stable AMX intrinsics, so the kernel is inline assembly; Linux hands
//! out the tile state only on request (`arch_prctl`), asked once per process. Everywhere else
//! (another CPU, another OS, the request refused) [`available`] is false and the f32 path runs.

/// Whether AMX bf16 tile products can run in this process (checked, and permission asked, once).
pub fn available() -> bool {
    static OK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OK.get_or_init(imp::init)
}

/// f32 → bf16, rounding to nearest even (NaN stays NaN).
#[inline]
pub fn bf16(v: f32) -> u16 {
    // Branch-free (a select), so packing loops vectorise.
    let b = v.to_bits();
    let rounded = b.wrapping_add(0x7fff + ((b >> 16) & 1)) >> 16;
    let nan = (b & 0x7fff_ffff) > 0x7f80_0000;
    (if nan { (b >> 16) | 0x40 } else { rounded }) as u16
}

/// bf16 → f32 (exact).
#[inline]
pub fn f32_of(b: u16) -> f32 {
    f32::from_bits((b as u32) << 16)
}

/// `k` rounded up to the tiles' depth (32 bf16).
pub fn padded_depth(k: usize) -> usize {
    k.div_ceil(32) * 32
}

/// `a` (m × k, row-major f32) as bf16 rows of `padded_depth(k)`, zero-padded.
pub fn pack_a(a: &[f32], m: usize, k: usize) -> Vec<u16> {
    let kp = padded_depth(k);
    let mut out = vec![0u16; m * kp];
    for (dst, src) in out.chunks_mut(kp).zip(a.chunks(k)) {
        dst.iter_mut().zip(src).for_each(|(d, &s)| *d = bf16(s));
    }
    out
}

/// `b` (k × n, row-major f32, row stride `n`) in the tiles' pair-interleaved layout: element
/// (2i + j, q) at `out[i·np + q]`'s half j, for `padded_depth(k) / 2` pairs of rows and `np`
/// (≥ n) columns; padding rows and columns are zero.
pub fn pack_b(b: &[f32], k: usize, n: usize, np: usize, out: &mut [u32]) {
    let kp = padded_depth(k);
    for i in 0..kp / 2 {
        let row = &mut out[i * np..(i + 1) * np];
        let (r0, r1) = (2 * i, 2 * i + 1);
        match (r0 < k, r1 < k) {
            (true, true) => {
                let (x0, x1) = (&b[r0 * n..(r0 + 1) * n], &b[r1 * n..(r1 + 1) * n]);
                for ((d, &a), &c) in row.iter_mut().zip(x0).zip(x1) {
                    *d = (bf16(c) as u32) << 16 | bf16(a) as u32;
                }
            }
            (true, false) => {
                for (d, &a) in row.iter_mut().zip(&b[r0 * n..(r0 + 1) * n]) {
                    *d = bf16(a) as u32;
                }
            }
            _ => row[..n].fill(0),
        }
        row[n..].fill(0);
    }
}

/// c (m × np, row stride `ldc` floats) = a · b, with `a` from [`pack_a`] (m × kp) and `b` from
/// [`pack_b`] (kp/2 × np pairs). m and np must be multiples of 32, kp of 32.
///
/// # Safety
/// [`available`] must be true; the slices must hold the sizes above, and `c` m rows of `ldc` ≥
/// np floats, whose first np of each row no one else touches meanwhile.
pub unsafe fn gemm(m: usize, np: usize, kp: usize, a: &[u16], b: &[u32], c: *mut f32, ldc: usize) {
    assert!(
        m.is_multiple_of(32) && np.is_multiple_of(32) && kp.is_multiple_of(32) && ldc >= np,
        "amx::gemm: {m}×{np}×{kp}, ldc {ldc}"
    );
    assert!(a.len() >= m * kp && b.len() >= kp / 2 * np, "amx::gemm: operands too short");
    imp::gemm(m, np, kp, a, b, c, ldc)
}

/// The 64-byte operand of `ldtilecfg` (palette 1).
#[repr(C, align(64))]
pub struct TileConfig {
    palette: u8,
    start_row: u8,
    reserved: [u8; 14],
    bytes_per_row: [u16; 16],
    rows: [u8; 16],
}

impl TileConfig {
    /// All eight tiles 16 rows of 64 bytes: 16×32 bf16 operands, 16×16 f32 accumulators.
    pub fn all_16x64() -> Self {
        let mut cfg = Self { palette: 1, start_row: 0, reserved: [0; 14], bytes_per_row: [0; 16], rows: [0; 16] };
        for t in 0..8 {
            (cfg.bytes_per_row[t], cfg.rows[t]) = (64, 16);
        }
        cfg
    }
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod imp {
    use std::arch::x86_64::__cpuid_count;

    pub fn init() -> bool {
        if std::env::var("NST_AMX").is_ok_and(|v| v == "off") {
            return false;
        }
        // CPUID leaf 7: EDX bit 22 AMX-BF16, bit 24 AMX-TILE.
        let l7 = __cpuid_count(7, 0);
        if l7.edx & (1 << 22) == 0 || l7.edx & (1 << 24) == 0 {
            return false;
        }
        // arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA).
        let ret: i64;
        // SAFETY: a plain system call; it changes only which register state the process may use.
        unsafe {
            std::arch::asm!("syscall", inlateout("rax") 158i64 => ret, in("rdi") 0x1023i64, in("rsi") 18i64,
                lateout("rcx") _, lateout("r11") _, options(nostack));
        }
        ret == 0
    }

    /// Blocks of 32 rows × 32 columns: four accumulator tiles (tmm0–3), two of `a` (tmm4–5), two
    /// of `b` (tmm6–7). Rows of `a` outer, so a block's 32 rows of `a` stay in cache over `b`.
    pub unsafe fn gemm(m: usize, np: usize, kp: usize, a: &[u16], b: &[u32], c: *mut f32, ldc: usize) {
        let cfg = super::TileConfig::all_16x64();
        std::arch::asm!("ldtilecfg [{cfg}]", cfg = in(reg) &cfg, options(nostack));
        let (sa, sb, sc) = (kp * 2, np * 4, ldc * 4);
        for i in (0..m).step_by(32) {
            for j in (0..np).step_by(32) {
                let a0 = a.as_ptr().add(i * kp);
                let b0 = b.as_ptr().add(j);
                let c0 = c.add(i * ldc + j);
                std::arch::asm!(
                    "tilezero tmm0", "tilezero tmm1", "tilezero tmm2", "tilezero tmm3",
                    "2:",
                    "tileloadd tmm4, [{a0} + {sa}*1]",
                    "tileloadd tmm5, [{a1} + {sa}*1]",
                    "tileloadd tmm6, [{b0} + {sb}*1]",
                    "tileloadd tmm7, [{b0} + {sb}*1 + 64]",
                    "tdpbf16ps tmm0, tmm4, tmm6",
                    "tdpbf16ps tmm1, tmm4, tmm7",
                    "tdpbf16ps tmm2, tmm5, tmm6",
                    "tdpbf16ps tmm3, tmm5, tmm7",
                    "add {a0}, 64",
                    "add {a1}, 64",
                    "add {b0}, {bstep}",
                    "dec {n}",
                    "jnz 2b",
                    "tilestored [{c0} + {sc}*1], tmm0",
                    "tilestored [{c0} + {sc}*1 + 64], tmm1",
                    "mov {a0}, {sc}",
                    "shl {a0}, 4",
                    "add {c0}, {a0}",
                    "tilestored [{c0} + {sc}*1], tmm2",
                    "tilestored [{c0} + {sc}*1 + 64], tmm3",
                    a0 = inout(reg) a0 => _,
                    a1 = inout(reg) a0.add(16 * kp) => _,
                    b0 = inout(reg) b0 => _,
                    sa = in(reg) sa,
                    sb = in(reg) sb,
                    sc = in(reg) sc,
                    bstep = in(reg) 16 * sb,
                    n = inout(reg) kp / 32 => _,
                    c0 = inout(reg) c0 => _,
                    options(nostack),
                );
            }
        }
        std::arch::asm!("tilerelease", options(nostack));
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod imp {
    pub fn init() -> bool {
        false
    }
    pub unsafe fn gemm(_: usize, _: usize, _: usize, _: &[u16], _: &[u32], _: *mut f32, _: usize) {
        unreachable!("amx::available() is false here")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bf16_rounds_to_nearest_even_and_back_exactly() {
        assert_eq!(bf16(1.0), 0x3f80);
        assert_eq!(f32_of(bf16(1.0 + 1.0 / 256.0)), 1.0); // a tie: to even
        assert_eq!(f32_of(bf16(1.0 + 3.0 / 256.0)), 1.0 + 4.0 / 256.0); // a tie: to even, upward
        assert_eq!(f32_of(bf16(1.0 + 1.5 / 256.0)), 1.0 + 2.0 / 256.0);
        assert_eq!(f32_of(bf16(-2.5)), -2.5);
        assert!(f32_of(bf16(f32::NAN)).is_nan());
    }

    /// The tile product against the same product in f64 of the bf16-rounded inputs: equal up to
    /// the f32 sums' rounding, with padded depth (k = 27) and columns (n = 40 → 64).
    #[test]
    fn the_tile_product_matches_the_product_of_the_rounded_inputs() {
        if !available() {
            eprintln!("AMX not available here: the f32 path is what runs (tested elsewhere)");
            return;
        }
        for (m, k, n) in [(32, 27, 40), (64, 576, 96), (96, 1152, 32)] {
            let val = |i: usize| ((i * 7919 % 1013) as f32 / 1013.0 - 0.4) * 1.7;
            let a: Vec<f32> = (0..m * k).map(val).collect();
            let b: Vec<f32> = (0..k * n).map(|i| val(i + 5)).collect();
            let (kp, np) = (padded_depth(k), n.div_ceil(32) * 32);
            let pa = pack_a(&a, m, k);
            let mut pb = vec![7u32; kp / 2 * np];
            pack_b(&b, k, n, np, &mut pb);
            let mut c = vec![f32::NAN; m * (np + 8)];
            unsafe { gemm(m, np, kp, &pa, &pb, c.as_mut_ptr(), np + 8) };
            for i in 0..m {
                for j in 0..n {
                    let want: f64 =
                        (0..k).map(|t| f32_of(bf16(a[i * k + t])) as f64 * f32_of(bf16(b[t * n + j])) as f64).sum();
                    let scale: f64 = (0..k).map(|t| (a[i * k + t] * b[t * n + j]).abs() as f64).sum();
                    let got = c[i * (np + 8) + j] as f64;
                    assert!((got - want).abs() <= 1e-5 * scale + 1e-6, "{m}x{k}x{n} at ({i},{j}): {got} vs {want}");
                }
                assert!(c[i * (np + 8) + n..i * (np + 8) + np].iter().all(|&v| v == 0.0), "padding columns are 0");
            }
        }
    }
}

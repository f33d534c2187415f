//! The CPU's arithmetic peak per core, by instruction: what a convolution kernel could reach.
//!
//! `cargo bench --bench peak`
//!
//! - f32 FMA (AVX-512 `vfmadd`): what the fast kernels (`cpu_kernels.rs`, through `gemm`) use;
//! - bf16 dot products (AVX-512 BF16 `vdpbf16ps`: pairs of bf16 products summed into f32);
//! - bf16 tile products (AMX `tdpbf16ps`: a 16×32 by 32×16 product into 16×16 f32 per instruction).
//!
//! Each loop runs many independent accumulators, so it measures throughput, not latency, on one
//! thread (the machine's other cores would multiply it). Instructions the CPU lacks are named and
//! skipped; AMX also needs the kernel's permission (Linux `arch_prctl`), asked for through `nst_lib::amx::available`.

fn main() {
    #[cfg(target_arch = "x86_64")]
    x86::run();
    #[cfg(not(target_arch = "x86_64"))]
    println!("peak: only x86-64 instructions are measured here");
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;
    use std::time::Instant;

    /// Accumulators per loop: enough to hide each instruction's latency.
    const ACC: usize = 24;

    pub fn run() {
        // CPUID leaf 7: EBX bit 16 AVX-512F; EDX bit 22 AMX-BF16, bit 24 AMX-TILE;
        // sub-leaf 1, EAX bit 5: AVX-512 BF16.
        let l7 = __cpuid_count(7, 0);
        let l7s1 = __cpuid_count(7, 1);
        let avx512 = l7.ebx & (1 << 16) != 0 && is_x86_feature_detected!("avx512f");
        let avx512_bf16 = avx512 && l7s1.eax & (1 << 5) != 0;
        let amx = l7.edx & (1 << 22) != 0 && l7.edx & (1 << 24) != 0;
        println!("one thread; GFLOP/s = multiply-adds × 2 per second");
        let f32_rate =
            avx512.then(|| time("f32 FMA (AVX-512 vfmadd231ps)", 16 * ACC as u64, || unsafe { f32_fma(ITERS) }));
        if !avx512 {
            println!("f32 FMA (AVX-512): not on this CPU");
        }
        let report = |name: &str, rate: f64| {
            if let Some(f) = f32_rate {
                println!("  = {:.2}× the f32 FMA rate ({name})", rate / f);
            }
        };
        if avx512_bf16 {
            let r = time("bf16 dot (AVX-512 BF16 vdpbf16ps)", 32 * ACC as u64, || unsafe { bf16_dot(ITERS) });
            report("vdpbf16ps", r);
        } else {
            println!("bf16 dot (AVX-512 BF16): not on this CPU");
        }
        match amx_permission(amx) {
            Ok(()) => {
                let r = time("bf16 tiles (AMX tdpbf16ps)", 16 * 16 * 32 * 4, || unsafe { amx_bf16(ITERS / 20) });
                report("tdpbf16ps", r);
            }
            Err(why) => println!("bf16 tiles (AMX): {why}"),
        }
    }

    const ITERS: u64 = 20_000_000;

    /// Times `f`, which returns how many rounds it ran; `macs` = multiply-adds per round.
    /// The best of three.
    fn time(name: &str, macs: u64, f: impl Fn() -> u64) -> f64 {
        let gflops = (0..3)
            .map(|_| {
                let t = Instant::now();
                let rounds = f();
                (rounds * macs * 2) as f64 / t.elapsed().as_secs_f64() / 1e9
            })
            .fold(0.0, f64::max);
        println!("{name}: {gflops:.0} GFLOP/s");
        gflops
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn f32_fma(iters: u64) -> u64 {
        let (a, b) = (_mm512_set1_ps(1.0001), _mm512_set1_ps(0.9999));
        let mut acc = [_mm512_setzero_ps(); ACC];
        for _ in 0..iters {
            for x in acc.iter_mut() {
                *x = _mm512_fmadd_ps(a, b, *x);
            }
        }
        keep(&acc);
        iters
    }

    #[target_feature(enable = "avx512f,avx512bf16")]
    unsafe fn bf16_dot(iters: u64) -> u64 {
        let a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1.0), _mm512_set1_ps(1.0));
        let b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5), _mm512_set1_ps(0.5));
        let mut acc = [_mm512_setzero_ps(); ACC];
        for _ in 0..iters {
            for x in acc.iter_mut() {
                *x = _mm512_dpbf16_ps(*x, a, b);
            }
        }
        keep(&acc);
        iters
    }

    /// Sums the accumulators where the optimiser cannot see through it.
    #[target_feature(enable = "avx512f")]
    unsafe fn keep(acc: &[__m512; ACC]) {
        let mut s = _mm512_setzero_ps();
        for x in acc {
            s = _mm512_add_ps(s, *x);
        }
        std::hint::black_box(_mm512_reduce_add_ps(s));
    }

    /// The library's own check and permission request (`nst_lib::amx`).
    fn amx_permission(present: bool) -> Result<(), String> {
        match (present, nst_lib::amx::available()) {
            (false, _) => Err("not on this CPU".into()),
            (true, true) => Ok(()),
            (true, false) => Err("the kernel refused AMX, or NST_AMX=off".into()),
        }
    }

    /// `iters` rounds of 4 tile products (tmm0..3 += tmm4|5 · tmm6|7, each 16×32 · 32×16 bf16).
    unsafe fn amx_bf16(iters: u64) -> u64 {
        let cfg = nst_lib::amx::TileConfig::all_16x64();
        let ones = vec![0x3f80u16; 16 * 32]; // bf16 1.0, one 16 × 64-byte tile
        std::arch::asm!(
            "ldtilecfg [{cfg}]",
            "tilezero tmm0", "tilezero tmm1", "tilezero tmm2", "tilezero tmm3",
            "tileloadd tmm4, [{a} + {stride}*1]",
            "tileloadd tmm5, [{a} + {stride}*1]",
            "tileloadd tmm6, [{a} + {stride}*1]",
            "tileloadd tmm7, [{a} + {stride}*1]",
            "2:",
            "tdpbf16ps tmm0, tmm4, tmm6",
            "tdpbf16ps tmm1, tmm4, tmm7",
            "tdpbf16ps tmm2, tmm5, tmm6",
            "tdpbf16ps tmm3, tmm5, tmm7",
            "dec {n}",
            "jnz 2b",
            "tilerelease",
            cfg = in(reg) &cfg,
            a = in(reg) ones.as_ptr(),
            stride = in(reg) 64usize,
            n = inout(reg) iters => _,
        );
        iters
    }
}

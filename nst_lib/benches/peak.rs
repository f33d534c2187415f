//! The CPU's arithmetic peak per core, by instruction: what a convolution kernel could reach.
//!
//! `cargo bench --bench peak [-- --layers SIZE]`
//!
//! - f32 FMA (AVX-512 `vfmadd`): what the fast kernels (`cpu_kernels.rs`, through `gemm`) use;
//! - bf16 dot products (AVX-512 BF16 `vdpbf16ps`: pairs of bf16 products summed into f32);
//! - bf16 tile products (AMX `tdpbf16ps`: a 16×32 by 32×16 product into 16×16 f32 per instruction).
//!
//! Each loop runs many independent accumulators, so it measures throughput, not latency, on one
//! thread (the machine's other cores would multiply it). Instructions the CPU lacks are named and
//! skipped; AMX also needs the kernel's permission (Linux `arch_prctl`), asked for through `nst_lib::amx::available`.
//!
//! With `--layers SIZE`, then each of VGG16's convolutions up to conv5_1 (the gatys layers) on a
//! SIZE×SIZE picture, as a step runs it (forward, then the input gradient; random weights, all
//! threads), in f32 and with bf16 tiles: GFLOP/s and the fraction of the machine's peak for that
//! precision (the one-thread peak above × rayon's threads, which count SMT siblings too).

fn main() {
    #[cfg(target_arch = "x86_64")]
    {
        let peaks = x86::run();
        let args: Vec<String> = std::env::args().collect();
        if let Some(size) = args.iter().position(|a| a == "--layers").map(|i| args.get(i + 1)) {
            match size.and_then(|s| s.parse().ok()) {
                Some(size) => layers::run(size, peaks),
                None => println!("--layers needs a size in pixels, e.g. --layers 512"),
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    println!("peak: only x86-64 instructions are measured here");
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;
    use std::time::Instant;

    /// Accumulators per loop: enough to hide each instruction's latency.
    const ACC: usize = 24;

    /// The one-thread peaks measured: (f32 FMA, AMX bf16 tiles), in GFLOP/s.
    pub fn run() -> (Option<f64>, Option<f64>) {
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
        let amx_rate = match amx_permission(amx) {
            Ok(()) => {
                let r = time("bf16 tiles (AMX tdpbf16ps)", 16 * 16 * 32 * 4, || unsafe { amx_bf16(ITERS / 20) });
                report("tdpbf16ps", r);
                Some(r)
            }
            Err(why) => {
                println!("bf16 tiles (AMX): {why}");
                None
            }
        };
        (f32_rate, amx_rate)
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

#[cfg(target_arch = "x86_64")]
mod layers {
    use std::sync::Arc;
    use std::time::Instant;

    use candle_core::{Device, Tensor};
    use nst_lib::cpu_kernels::Conv3x3;
    use nst_lib::vgg::VggSpec;

    /// Median seconds of `f` over 5 runs after one warm-up.
    fn median(f: impl Fn()) -> f64 {
        f();
        let mut t: Vec<f64> = (0..5)
            .map(|_| {
                let s = Instant::now();
                f();
                s.elapsed().as_secs_f64()
            })
            .collect();
        t.sort_by(f64::total_cmp);
        t[2]
    }

    /// Each convolution's forward + input-gradient time at `size` px in f32 and bf16 tiles.
    pub fn run(size: usize, (f32_peak, amx_peak): (Option<f64>, Option<f64>)) {
        let threads = rayon::current_num_threads() as f64;
        println!("\nVGG16's convolutions at {size}x{size}, forward + input gradient, {threads} threads; % of the peak above x {threads}");
        println!("| layer | h×w | GFLOP | f32 ms | f32 GFLOP/s (% peak) | Winograd ms | Winograd GFLOP/s* | bf16 ms | bf16 GFLOP/s (% peak) |");
        println!("|---|---|---|---|---|---|---|---|---|");
        let spec = VggSpec::vgg16();
        let (mut side, mut cin, mut sums) = (size, 3, [0.0f64; 4]);
        for (block, (&n, &cout)) in spec.blocks.iter().zip(&spec.widths).enumerate() {
            for i in 0..n {
                if block == 4 && i > 0 {
                    break; // the gatys layers end at relu5_1
                }
                let w = Tensor::randn(0f32, 0.05, (cout, cin, 3, 3), &Device::Cpu).expect("weights");
                let b = Tensor::zeros(cout, candle_core::DType::F32, &Device::Cpu).expect("bias");
                let conv = Conv3x3::new(&w, &b).expect("a 3x3 convolution");
                let x: Vec<f32> = (0..cin * side * side).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0).collect();
                let g: Vec<f32> = (0..cout * side * side).map(|i| ((i * 104729) % 1000) as f32 / 500.0 - 1.0).collect();
                let flop = 2.0 * 2.0 * (cout * cin * 9 * side * side) as f64;
                // As the taped pass runs it: a block's first convolution reads the picture or a
                // pooling's output, already ReLU'd; the others read relu(x) and mask by x.
                let relu = i > 0;
                let step = |c: &Conv3x3| {
                    std::hint::black_box(c.forward_slice(&x, side, side, relu));
                    std::hint::black_box(c.input_grad_slice(&g, side, side, relu.then_some(&x[..])));
                };
                let t32 = median(|| step(&conv));
                let wino = Conv3x3::new(&w, &b).expect("a 3x3 convolution").winograd(true);
                let tw = if wino.uses_winograd() { median(|| step(&wino)) } else { t32 };
                let bf = Arc::new(Conv3x3::new(&w, &b).expect("a 3x3 convolution").bf16(true));
                let t16 = bf.uses_bf16().then(|| median(|| step(&bf)));
                let pct = |t: f64, p: Option<f64>| {
                    p.map_or(String::new(), |p| format!(" ({:.0}%)", flop / t / 1e9 / (p * threads) * 100.0))
                };
                let b16 = t16.map_or("| — | — |".to_string(), |t| {
                    format!("| {:.1} | {:.0}{} |", t * 1e3, flop / t / 1e9, pct(t, amx_peak))
                });
                println!(
                    "| conv{}_{} | {side}×{side} | {:.2} | {:.1} | {:.0}{} | {:.1} | {:.0} {b16}",
                    block + 1,
                    i + 1,
                    flop / 1e9,
                    t32 * 1e3,
                    flop / t32 / 1e9,
                    pct(t32, f32_peak),
                    tw * 1e3,
                    flop / tw / 1e9,
                );
                sums[0] += flop;
                sums[1] += t32;
                sums[2] += t16.unwrap_or(f64::NAN); // no bf16 column without AMX
                sums[3] += tw;
                cin = cout;
            }
            side /= 2;
        }
        let f32_pct =
            f32_peak.map_or(String::new(), |p| format!(" ({:.0}%)", sums[0] / sums[1] / 1e9 / (p * threads) * 100.0));
        let bf16 = match sums[2].is_nan() {
            true => "| — | — |".to_string(),
            false => format!("| {:.1} | {:.0} |", sums[2] * 1e3, sums[0] / sums[2] / 1e9),
        };
        println!(
            "| all | | {:.2} | {:.1} | {:.0}{f32_pct} | {:.1} | {:.0} {bf16}",
            sums[0] / 1e9,
            sums[1] * 1e3,
            sums[0] / sums[1] / 1e9,
            sums[3] * 1e3,
            sums[0] / sums[3] / 1e9
        );
        println!("* Winograd: the direct convolution's GFLOP over its time (its own multiplies are fewer).");
    }
}

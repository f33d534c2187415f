//! `NST_AMX=off` (or a CPU without AMX): `Kernels::Bf16` runs the f32 kernels, bit for bit.
//! Its own test binary, so the switch is read before anything asks whether AMX is there.

mod common;

use nst_lib::vgg::Kernels;

#[test]
fn without_amx_bf16_is_exactly_the_f32_path() {
    std::env::set_var("NST_AMX", "off");
    assert!(!nst_lib::amx::available());
    let (l32, g32) = common::bf16_loss_and_grad(Kernels::Auto);
    let (l16, g16) = common::bf16_loss_and_grad(Kernels::Bf16);
    assert_eq!((l16, &g16), (l32, &g32));
    // Asked for tiles directly (as benches/peak does), a convolution still packs nothing.
    let weight = candle_core::Tensor::ones((32, 32, 3, 3), candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
    let bias = candle_core::Tensor::zeros(32, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
    let conv = nst_lib::cpu_kernels::Conv3x3::new(&weight, &bias).unwrap();
    assert!(!conv.bf16(true).uses_bf16(), "no bf16 tiles without AMX");
}

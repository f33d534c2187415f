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
}

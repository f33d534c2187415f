//! `Kernels::Bf16`: the convolutions' products in bf16 on AMX tiles. Where the CPU has them, the
//! loss and image gradient stay close to the f32 kernels' (the inputs lose bits, the sums do
//! not); where it does not, Bf16 *is* the f32 path, bit for bit (the fallback; also forced in
//! `bf16_fallback.rs`).

mod common;

use common::{bf16_loss_and_grad as loss_and_grad, cosine};
use nst_lib::vgg::Kernels;

#[test]
fn bf16_products_stay_close_to_f32_or_are_f32_where_there_is_no_amx() {
    let (l32, g32) = loss_and_grad(Kernels::Auto);
    let (l16, g16) = loss_and_grad(Kernels::Bf16);
    if nst_lib::amx::available() {
        let (dl, cos) = (common::rel_err(l16, l32), cosine(&g16, &g32));
        eprintln!("bf16 against f32: loss {l16} vs {l32} ({dl:.2e}), gradient cosine {cos:.6}");
        assert!(dl > 0.0, "the bf16 path ran: its rounding shows");
        assert!(dl < 5e-3, "loss {l16} vs f32 {l32}");
        assert!(cos > 0.998, "gradient direction: cosine {cos}");
    } else {
        assert_eq!((l16, &g16), (l32, &g32), "without AMX, Bf16 is the f32 path");
    }
}

/// Switching back from bf16 restores the f32 kernels everywhere, also on a network whose first
/// layer is too narrow for the tiles (16 channels: it stays f32 under bf16, the others do not).
#[test]
fn switching_back_from_bf16_restores_the_f32_kernels() {
    use candle_core::Device;
    use nst_lib::vgg::{LoadOptions, Vgg, VggSpec};
    let dir = tempfile::tempdir().unwrap();
    let spec = VggSpec::custom(vec![2, 2, 3], vec![16, 64, 96]);
    let path = common::write_random_vgg(dir.path(), "narrow.safetensors", &spec);
    let x = common::seeded_rand(&[1, 3, 32, 40], 3);
    let layers = [spec.layer("relu3_1").unwrap()];
    let run = |vgg: &Vgg| common::to_vec(&vgg.features(&x, &layers).unwrap()[0]);
    let mut vgg = Vgg::load(&path, &LoadOptions::default(), &Device::Cpu).unwrap();
    let f32_features = run(&vgg);
    vgg.set_kernels(Kernels::Bf16);
    let bf16_features = run(&vgg);
    vgg.set_kernels(Kernels::Auto);
    assert_eq!(run(&vgg), f32_features, "back to f32, bit for bit");
    assert_eq!(bf16_features != f32_features, nst_lib::amx::available(), "bf16 ran where AMX is");
}

//! `Kernels::Auto` (Winograd's F(4×4, 3×3) for every convolution with 32 channels and more)
//! against `Kernels::Direct` (im2col + gemm): the whole objective — content, style, the half-size
//! terms of the default — and its image gradient agree to the rounding of f32, and switching
//! between them changes what runs.

mod common;

use common::{bf16_loss_and_grad as loss_and_grad, cosine};
use nst_lib::vgg::Kernels;

#[test]
fn winograd_gives_the_direct_convolutions_loss_and_gradient() {
    let (lw, gw) = loss_and_grad(Kernels::Auto);
    let (ld, gd) = loss_and_grad(Kernels::Direct);
    let dl = common::rel_err(lw, ld);
    let scale = gd.iter().fold(0f64, |m, v| m.max(v.abs()));
    let worst = gw.iter().zip(&gd).fold(0f64, |m, (a, b)| m.max((a - b).abs()));
    let rel = common::rel_l2(&gw, &gd);
    let cos = cosine(&gw, &gd);
    eprintln!(
        "Winograd against direct: loss {lw} vs {ld} ({dl:.2e}), gradient {rel:.2e} (worst entry {worst:.2e} of \
         {scale:.2e}), cosine {cos:.9}"
    );
    assert!(dl > 0.0, "Winograd ran: its rounding shows");
    assert!(dl < 1e-5, "loss {lw} vs direct {ld}");
    // The whole gradient, not its worst entry: a rounding that flips a max-pool's winner or a
    // ReLU's sign changes a few entries' gradient outright. On a CPU without AVX-512 (the
    // transforms' generic loops) 117 of 9216 entries were past 1e-4 of the largest, the worst
    // eight within a few pixels of one place, at 1.2e-4 over the whole gradient. A wrong
    // transform would be far off (and show in the loss, bounded above).
    assert!(rel < 5e-4, "gradient off by {rel:e} (relative, whole gradient)");
}

/// One network switched to the direct convolutions and back runs Winograd's again: the same
/// loss and gradient as before the switch, bit for bit, and another rounding in between.
#[test]
fn switching_the_kernels_back_and_forth_changes_what_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut vgg = std::sync::Arc::new(common::bf16_vgg(dir.path()));
    let mut with = |kernels: Kernels| {
        std::sync::Arc::get_mut(&mut vgg).expect("no loss holds the network").set_kernels(kernels);
        assert_eq!(vgg.kernels(), kernels);
        common::objective_loss_and_grad(&vgg)
    };
    let (auto, direct, again) = (with(Kernels::Auto), with(Kernels::Direct), with(Kernels::Auto));
    assert_ne!(auto.0, direct.0, "the switch to direct changed what runs");
    assert_eq!(again, auto, "back on Winograd: the first run's numbers, bit for bit");
    assert_eq!(with(Kernels::Direct), direct, "direct again: its numbers, bit for bit");
}

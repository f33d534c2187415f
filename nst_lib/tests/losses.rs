//! Gram matrix and each loss against values worked out by hand on tiny tensors.

mod common;

use candle_core::{DType, Device, Tensor, Var};
use nst_lib::content_loss::{content_loss, content_loss_and_grad, ContentNorm};
use nst_lib::style_loss::{gram, style_loss, style_target, StyleNorm};
use nst_lib::total_variation::{total_variation, TvKind};

fn t(v: &[f32], shape: (usize, usize, usize, usize)) -> Tensor {
    Tensor::from_slice(v, shape, &Device::Cpu).unwrap()
}
fn s(t: &Tensor) -> f64 {
    t.to_scalar::<f32>().unwrap() as f64
}
fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} != {b}");
}

// F has 2 channels over 3 positions: f1 = (1, 2, 3), f2 = (0, 1, -1).
fn f() -> Tensor {
    t(&[1., 2., 3., 0., 1., -1.], (1, 2, 1, 3))
}

#[test]
fn gram_is_channel_correlation() {
    // G11 = 1+4+9 = 14, G12 = 0+2-3 = -1, G22 = 0+1+1 = 2.
    let g = gram(&f()).unwrap().to_vec2::<f32>().unwrap();
    assert_eq!(g, vec![vec![14., -1.], vec![-1., 2.]]);
}

#[test]
fn notebook_style_target_divides_by_chw() {
    let g = style_target(&f(), StyleNorm::Notebook).unwrap().to_vec2::<f32>().unwrap();
    // c·h·w = 2·1·3 = 6
    close(g[0][0] as f64, 14.0 / 6.0);
    close(g[0][1] as f64, -1.0 / 6.0);
}

#[test]
fn style_loss_both_normalisations() {
    // A: the Gram of a style map whose f1 = (1, 1, 1), f2 = (1, 1, 1): A = [[3,3],[3,3]].
    let style = t(&[1., 1., 1., 1., 1., 1.], (1, 2, 1, 3));
    // G - A = [[11, -4], [-4, -1]]; squares sum to 121 + 16 + 16 + 1 = 154.
    let a = style_target(&style, StyleNorm::Paper).unwrap();
    close(s(&style_loss(&f(), &a, StyleNorm::Paper).unwrap()), 154.0 / (4.0 * 4.0 * 9.0));
    // Notebook: (G - A)/6, mean over 4 entries: 154 / 36 / 4.
    let a = style_target(&style, StyleNorm::Notebook).unwrap();
    close(s(&style_loss(&f(), &a, StyleNorm::Notebook).unwrap()), 154.0 / 36.0 / 4.0);
}

#[test]
fn style_loss_ignores_spatial_size_of_the_style_image() {
    // A 1x6 style map of the same values repeated twice has twice the raw Gram,
    // but the notebook's normalised Gram is the same, so the loss against f itself is 0.
    let twice = t(&[1., 2., 3., 1., 2., 3., 0., 1., -1., 0., 1., -1.], (1, 2, 1, 6));
    let a = style_target(&twice, StyleNorm::Notebook).unwrap();
    close(s(&style_loss(&f(), &a, StyleNorm::Notebook).unwrap()), 0.0);
}

#[test]
fn content_loss_both_normalisations() {
    let p = t(&[0., 2., 5., 0., 0., -1.], (1, 2, 1, 3));
    // differences 1, 0, -2, 0, 1, 0: squares sum to 6.
    close(s(&content_loss(&f(), &p, ContentNorm::Mse).unwrap()), 1.0);
    close(s(&content_loss(&f(), &p, ContentNorm::HalfSum).unwrap()), 3.0);
    // Relative: 6 / ‖P‖² = 6 / (4 + 25 + 1).
    close(s(&content_loss(&f(), &p, ContentNorm::Relative).unwrap()), 6.0 / 30.0);
    // An all-zero target (a silent layer): the guard keeps the loss finite and positive.
    let silent = content_loss(&f(), &(p * 0.0).unwrap(), ContentNorm::Relative).unwrap();
    assert!(s(&silent).is_finite() && s(&silent) > 0.0, "loss against a silent layer: {}", s(&silent));
}

#[test]
fn relative_style_loss_is_the_error_relative_to_the_target_gram_per_position() {
    // Style map f1 = (1, 1, 1), f2 = (1, 1, 1): G/(h·w) = [[1,1],[1,1]], ‖A‖² = 4.
    let style = t(&[1., 1., 1., 1., 1., 1.], (1, 2, 1, 3));
    let a = style_target(&style, StyleNorm::Relative).unwrap();
    // G(f)/3 = [[14,-1],[-1,2]]/3; minus A = [[11,-4],[-4,-1]]/3: squares sum to 154/9.
    close(s(&style_loss(&f(), &a, StyleNorm::Relative).unwrap()), 154.0 / 9.0 / 4.0);
    // Scale-free: features 10x larger on both sides give the same loss.
    let a10 = style_target(&(style * 10.0).unwrap(), StyleNorm::Relative).unwrap();
    close(s(&style_loss(&(f() * 10.0).unwrap(), &a10, StyleNorm::Relative).unwrap()), 154.0 / 9.0 / 4.0);
    // A silent style layer (all-zero target): the energy's guard keeps the loss finite and
    // positive, ‖G‖² / 1e-12, so the optimiser still pulls towards silence.
    let silent = style_target(&(f() * 0.0).unwrap(), StyleNorm::Relative).unwrap();
    let loss = s(&style_loss(&f(), &silent, StyleNorm::Relative).unwrap());
    assert!(loss.is_finite() && loss > 0.0, "loss against a silent layer: {loss}");
}

#[test]
fn relative_factor_is_one_over_the_mean_square_with_the_relative_norms_floor() {
    use nst_lib::style_loss::relative_factor;
    // A = [[1, -2], [3, 0]]: mean(A²) = 14/4.
    close(relative_factor(&t(&[1., -2., 3., 0.], (1, 1, 2, 2))).unwrap(), 4.0 / 14.0);
    // With the factor, the notebook's loss is the relative norm's ‖G − A‖² / ‖A‖².
    let style = t(&[1., 1., 1., 1., 1., 1.], (1, 2, 1, 3));
    let a = style_target(&style, StyleNorm::Notebook).unwrap();
    let notebook = s(&style_loss(&f(), &a, StyleNorm::Notebook).unwrap());
    let a_rel = style_target(&style, StyleNorm::Relative).unwrap();
    close(notebook * relative_factor(&a).unwrap(), s(&style_loss(&f(), &a_rel, StyleNorm::Relative).unwrap()));
    // A blank painting (all-zero target of n = 4 entries): 1 / (1e-12 / n), finite and positive.
    let blank = relative_factor(&t(&[0.; 4], (1, 1, 2, 2))).unwrap();
    assert!((blank - 4e12).abs() <= 1e-3 * 4e12, "factor against a blank painting: {blank}");
}

#[test]
fn total_variation_by_hand() {
    // One channel 2x3 image (padded to 3 channels by zeros):
    // 1 2 4
    // 0 3 3
    let mut v = vec![1., 2., 4., 0., 3., 3.];
    v.extend([0.; 12]);
    let img = t(&v, (1, 3, 2, 3));
    // vertical diffs: -1, 1, -1 ; horizontal: 1, 2, 3, 0
    close(s(&total_variation(&img, TvKind::L1).unwrap()), 3.0 + 6.0);
    // The mean over the 3·2·3 pixel values: size-free.
    close(s(&total_variation(&img, TvKind::L1Mean).unwrap()), 9.0 / 18.0);
    // Chollet's form on the common 1x2 grid: (dx^2 + dy^2)^(p/2) with dy = (-1, 1), dx = (1, 2).
    let expected = (1f64 + 1.0).powf(1.25) + (1f64 + 4.0).powf(1.25);
    close(s(&total_variation(&img, TvKind::Power(2.5)).unwrap()), expected);
}

/// Blending styles (`--style-blend`) mixes every kind of statistic by its weight, part by part;
/// statistics of different kinds refuse to mix.
#[test]
fn blending_style_targets_mixes_every_statistic_by_weight() {
    use candle_core::DType;
    use nst_lib::style_loss::{stats_target, StyleStats, StyleTarget};
    let other = t(&[2., 0., 1., 1., 3., 5.], (1, 2, 1, 3));
    let values = |x: &Tensor| -> Vec<f64> { x.to_dtype(DType::F64).unwrap().flatten_all().unwrap().to_vec1().unwrap() };
    let parts = |x: &StyleTarget| -> Vec<Vec<f64>> {
        match x {
            StyleTarget::Gram(g) => vec![values(g)],
            StyleTarget::MeanStd { mean, std } => vec![values(mean), values(std)],
            StyleTarget::MeanCov { mean, cov, .. } => vec![values(mean), values(cov)],
        }
    };
    for kind in [StyleStats::Gram, StyleStats::MeanStd, StyleStats::MeanCov] {
        let a = stats_target(&f(), kind, StyleNorm::Notebook).unwrap();
        let b = stats_target(&other, kind, StyleNorm::Notebook).unwrap();
        let mixed = a.scaled(0.25).unwrap().add_scaled(&b, 0.75).unwrap();
        let (pm, pa, pb) = (parts(&mixed), parts(&a), parts(&b));
        assert_eq!(pm.len(), pa.len(), "{kind:?}: the blend has the parts of its kind");
        for ((m, x), y) in pm.iter().zip(&pa).zip(&pb) {
            assert_eq!(m.len(), x.len());
            for ((m, x), y) in m.iter().zip(x).zip(y) {
                close(*m, 0.25 * x + 0.75 * y);
            }
        }
    }
    let gram = stats_target(&f(), StyleStats::Gram, StyleNorm::Notebook).unwrap();
    let mean_std = stats_target(&f(), StyleStats::MeanStd, StyleNorm::Notebook).unwrap();
    assert!(gram.add_scaled(&mean_std, 0.5).is_err(), "a Gram matrix and a mean/std do not mix");
}

/// The mean/cov loss gives the same value whether the target's square root was precomputed
/// (`finish`, what a run does) or is computed on the spot.
#[test]
fn mean_cov_loss_is_the_same_with_the_target_finished_or_not() {
    use nst_lib::style_loss::{stats_loss, stats_target, StyleStats};
    let other = t(&[2., 0., 1., 1., 3., 5.], (1, 2, 1, 3));
    let target = stats_target(&other, StyleStats::MeanCov, StyleNorm::Notebook).unwrap();
    let on_the_spot = s(&stats_loss(&f(), &target, StyleNorm::Notebook).unwrap());
    let finished = s(&stats_loss(&f(), &target.finish().unwrap(), StyleNorm::Notebook).unwrap());
    assert!(on_the_spot > 0.0);
    close(on_the_spot, finished);
}

#[test]
fn a_fresh_id_is_the_same_tensor_under_a_new_name() {
    // What keeps a constant made in an earlier notebook cell out of a clash of tensor ids.
    let a = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], (1, 1, 2, 3));
    let b = nst_lib::device::fresh_id(&a).unwrap();
    assert_ne!(a.id(), b.id());
    assert_eq!(b.dims(), a.dims());
    assert_eq!(b.flatten_all().unwrap().to_vec1::<f32>().unwrap(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert!(!b.is_variable() && !b.track_op(), "a constant, outside any graph");
    let v = candle_core::Var::from_tensor(&a).unwrap();
    let c = nst_lib::device::fresh_id(v.as_tensor()).unwrap();
    assert!(c.id() != v.as_tensor().id() && !c.is_variable());
}

/// The matrix square root converges within `SQRTM_ITERATIONS` even at the worst conditioning the
/// ridge allows (a singular covariance, as dead ReLU channels give): squared back it is A plus the
/// ridge, and running three times as many iterations (what `StyleTarget::finish` spends, since it
/// runs once) changes nothing. Fewer iterations would not do: 12 leave the small directions unfit.
#[test]
fn the_matrix_square_root_converges_within_its_iterations_on_a_singular_covariance() {
    use nst_lib::style_loss::{sqrtm, SQRTM_ITERATIONS};
    let n = 6;
    // Eigenvalues from 1 down to 0, rotated by a Householder reflection H = I − 2vvᵀ/‖v‖².
    let eig = [1.0f64, 0.3, 1e-2, 1e-4, 1e-6, 0.0];
    let v: Vec<f64> = (0..n).map(|i| 1.0 + i as f64 * 0.7).collect();
    let vv: f64 = v.iter().map(|x| x * x).sum();
    let h = |i: usize, j: usize| (i == j) as u8 as f64 - 2.0 * v[i] * v[j] / vv;
    let a: Vec<f64> = (0..n * n).map(|k| (0..n).map(|m| h(k / n, m) * eig[m] * h(k % n, m)).sum()).collect();
    let a = Tensor::from_vec(a, (n, n), &Device::Cpu).unwrap();
    let norm = eig.iter().map(|e| e * e).sum::<f64>().sqrt();
    let wanted =
        (&a + (Tensor::eye(n, candle_core::DType::F64, &Device::Cpu).unwrap() * (1e-6 * norm)).unwrap()).unwrap();
    let err = |iterations: usize| {
        let r = sqrtm(&a, iterations).unwrap();
        let d = (r.matmul(&r).unwrap() - &wanted).unwrap();
        let d: f64 = d.sqr().unwrap().sum_all().unwrap().to_scalar().unwrap();
        d.sqrt() / norm
    };
    let (at, thrice, twelve) = (err(SQRTM_ITERATIONS), err(3 * SQRTM_ITERATIONS), err(12));
    eprintln!("relative error of R·R: {at:.1e} at {SQRTM_ITERATIONS}, {thrice:.1e} at 3×, {twelve:.1e} at 12");
    assert!(at < 1e-9, "not converged in {SQRTM_ITERATIONS} iterations: {at:.1e}");
    assert!(thrice < 1e-9, "more iterations drift away: {thrice:.1e}");
    assert!(twelve > 1e-7, "12 iterations should be too few here: {twelve:.1e}");
    // The small directions: √(1e-6) = 1e-3 and the ridge's √(1e-6) for the null one.
    let r = sqrtm(&a, SQRTM_ITERATIONS).unwrap();
    let tr: f64 = (r * Tensor::eye(n, candle_core::DType::F64, &Device::Cpu).unwrap())
        .unwrap()
        .sum_all()
        .unwrap()
        .to_scalar()
        .unwrap();
    let want_tr: f64 = eig.iter().map(|e| (e + 1e-6 * norm).sqrt()).sum();
    assert!((tr - want_tr).abs() < 1e-9, "trace of √A {tr} != {want_tr}");
}

/// A picture whose deepest layer has a single position (the half-size terms of a small picture)
/// has a zero covariance there: the matrix square root's gradient must stay finite (it was NaN
/// through ‖A‖ at A = 0, found by the gradient test of the default preset).
#[test]
fn the_matrix_square_root_of_a_zero_matrix_has_a_finite_gradient() {
    use candle_core::Var;
    use nst_lib::style_loss::{sqrtm, SQRTM_ITERATIONS};
    let a = Var::from_tensor(&Tensor::zeros((3, 3), candle_core::DType::F64, &Device::Cpu).unwrap()).unwrap();
    let r = sqrtm(a.as_tensor(), SQRTM_ITERATIONS).unwrap();
    let value: f64 = r.sum_all().unwrap().to_scalar().unwrap();
    assert!(value.is_finite() && value.abs() < 1e-5, "√0 = {value}");
    let g = r.sum_all().unwrap().backward().unwrap();
    let g: Vec<f64> = g.get(a.as_tensor()).unwrap().flatten_all().unwrap().to_vec1().unwrap();
    assert!(g.iter().all(|v| v.is_finite()), "gradient of √A at A = 0: {g:?}");
}

#[test]
fn content_loss_beside_the_graph_is_candles_autograd_to_the_bit() {
    // The taped pass computes each content term and its gradient without the graph
    // (content_loss_and_grad); every picture stays the same only if the numbers are the graph's
    // exactly: as TotalLoss built it, a leaf holding the scaled features, the weighted loss added
    // to zero, and the leaf's gradient scaled back. Weights and sizes whose scalars are inexact in
    // f32 (so the order of the f32 products shows), 693 and 195 elements (candle's vectorised
    // sum and its tail both run). Also checked against the formula, 2·w·factor·(s·f − p)·s.
    for (shape, seed) in [([1, 7, 9, 11], 3), ([1, 5, 13, 3], 5)] {
        let (f, p) = (common::seeded_rand(&shape, seed), common::seeded_rand(&shape, seed + 1));
        let n = shape.iter().product::<usize>() as f64;
        for (norm, factor) in [(ContentNorm::Mse, 1.0 / n), (ContentNorm::HalfSum, 0.5)] {
            for (scale, weight) in [(1.0, 8.6e3), (0.37, 1e4 / 3.0), (1.0, 0.1)] {
                content_beside_the_graph_case(&f, &p, norm, factor, scale, weight);
            }
        }
        // The relative norm's division, and a weight of 0 (never differentiated), are the graph's.
        assert!(content_loss_and_grad(&f, 1.0, &p, ContentNorm::Relative, 1.0).unwrap().is_none());
        assert!(content_loss_and_grad(&f, 1.0, &p, ContentNorm::Mse, 0.0).unwrap().is_none());
    }
}

fn content_beside_the_graph_case(f: &Tensor, p: &Tensor, norm: ContentNorm, factor: f64, scale: f64, weight: f64) {
    let bits =
        |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    let fs = if scale == 1.0 { f.clone() } else { (f * scale).unwrap() };
    let leaf = Var::from_tensor(&fs).unwrap();
    let term = (content_loss(leaf.as_tensor(), p, norm).unwrap() * weight).unwrap();
    let total = (Tensor::zeros((), DType::F32, &Device::Cpu).unwrap() + &term).unwrap();
    let g = total.backward().unwrap().get(leaf.as_tensor()).unwrap().detach();
    let g = if scale == 1.0 { g } else { (g * scale).unwrap() };
    let (loss, grad) = content_loss_and_grad(f, scale, p, norm, weight).unwrap().unwrap();
    let weighted = (loss * weight).unwrap();
    let case = format!("{norm:?}, scale {scale}, weight {weight}, {:?}", f.shape());
    assert_eq!(bits(&weighted), bits(&term), "{case}: the loss");
    assert_eq!(bits(&grad), bits(&g), "{case}: the gradient");
    let [fv, pv, gv] = [f, p, &grad].map(|t| t.flatten_all().unwrap().to_vec1::<f32>().unwrap());
    let sum: f64 = fv.iter().zip(&pv).map(|(&f, &p)| (scale * f as f64 - p as f64).powi(2)).sum();
    close(s(&weighted), weight * factor * sum);
    for ((&f, &p), &g) in fv.iter().zip(&pv).zip(&gv) {
        let want = 2.0 * weight * factor * (scale * f as f64 - p as f64) * scale;
        assert!((g as f64 - want).abs() <= 1e-5 * want.abs().max(1e-3), "{case}: {g} != {want}");
    }
}

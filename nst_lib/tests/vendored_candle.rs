//! The vendored candle-core (`.vendor/candle-core`, made by nst_lib/scripts/vendor.py) computes on
//! the CPU in u8, u32, i64, f32 and f64 only, which takes a third off its compile time (the
//! notebooks' first cell). Tensors of the other types (f16, bf16, i16, i32, f8e4m3) still
//! convert, copy, concatenate and save, so half-precision weights load; their arithmetic answers
//! an error that says what to convert to, never a panic.
mod common;

use candle_core::{DType, Device, IndexOp, Tensor};
use nst_lib::vgg::{LoadOptions, Vgg};
use std::collections::HashMap;

/// What the library does in each kept type: masks and byte arithmetic (u8), indices (u32, i64),
/// f32 and f64 arithmetic.
#[test]
fn the_kept_types_compute_as_before() {
    let cpu = &Device::Cpu;
    let x = Tensor::new(&[[1f32, -2., 3.], [-4., 5., -6.]], cpu).unwrap();
    let mask = x.ge(0f32).unwrap();
    assert_eq!(mask.dtype(), DType::U8);
    let kept = mask.where_cond(&x, &x.zeros_like().unwrap()).unwrap();
    assert_eq!(kept.to_vec2::<f32>().unwrap(), [[1., 0., 3.], [0., 5., 0.]]);
    let bgr = Tensor::new(&[2u32, 1, 0], cpu).unwrap();
    assert_eq!(x.index_select(&bgr, 1).unwrap().to_vec2::<f32>().unwrap(), [[3., -2., 1.], [-6., 5., -4.]]);
    assert_eq!(x.argmax(1).unwrap().to_vec1::<u32>().unwrap(), [2, 1]);
    let n = Tensor::arange(0i64, 5, cpu).unwrap();
    assert_eq!(n.sum_all().unwrap().to_scalar::<i64>().unwrap(), 10);
    let ids = Tensor::new(&[1i64, 0], cpu).unwrap();
    assert_eq!(x.index_select(&ids, 0).unwrap().to_vec2::<f32>().unwrap(), [[-4., 5., -6.], [1., -2., 3.]]);
    let bytes = Tensor::new(&[10u8, 20, 30], cpu).unwrap();
    assert_eq!((&bytes + &bytes).unwrap().max(0).unwrap().to_scalar::<u8>().unwrap(), 60);
    let prod = x.matmul(&x.t().unwrap()).unwrap();
    assert_eq!(prod.to_vec2::<f32>().unwrap(), [[14., -32.], [-32., 77.]]);
    let d = x.to_dtype(DType::F64).unwrap();
    let gram = d.matmul(&d.t().unwrap()).unwrap();
    assert_eq!(gram.to_vec2::<f64>().unwrap(), [[14., -32.], [-32., 77.]]);
    assert_eq!(mask.to_dtype(DType::F32).unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap(), 3.);
}

/// f16 and bf16 convert both ways and copy (a transposed tensor made contiguous), exactly for
/// values both can hold.
#[test]
fn half_precision_converts_and_copies() {
    let x = Tensor::new(&[[1.5f32, -2.25], [1000., 0.125]], &Device::Cpu).unwrap();
    for dt in [DType::F16, DType::BF16] {
        let h = x.to_dtype(dt).unwrap();
        assert_eq!(h.dtype(), dt);
        assert_eq!(h.to_dtype(DType::F32).unwrap().to_vec2::<f32>().unwrap(), [[1.5, -2.25], [1000., 0.125]]);
        let t = h.t().unwrap().contiguous().unwrap().to_dtype(DType::F64).unwrap();
        assert_eq!(t.to_vec2::<f64>().unwrap(), [[1.5, 1000.], [-2.25, 0.125]]);
        assert_eq!(h.i((1, 0)).unwrap().to_dtype(DType::F32).unwrap().to_scalar::<f32>().unwrap(), 1000.);
        let both = Tensor::cat(&[&h, &h.t().unwrap()], 1).unwrap().to_dtype(DType::F32).unwrap();
        assert_eq!(both.to_vec2::<f32>().unwrap(), [[1.5, -2.25, 1.5, 1000.], [1000., 0.125, -2.25, 0.125]]);
    }
}

/// Each type left out still converts to and from f32, concatenates side by side (a 2-D block
/// copy), and is saved and read back whole from a transposed (non-contiguous) tensor, which the
/// safetensors writer copies first.
#[test]
fn every_type_converts_copies_and_saves() {
    let dir = tempfile::tempdir().unwrap();
    let x = Tensor::new(&[[1f32, -2.], [3., 4.]], &Device::Cpu).unwrap();
    for dt in [DType::F16, DType::BF16, DType::I16, DType::I32, DType::F8E4M3] {
        let c = x.to_dtype(dt).unwrap();
        let side = Tensor::cat(&[&c, &c], 1).unwrap().to_dtype(DType::F32).unwrap();
        assert_eq!(side.to_vec2::<f32>().unwrap(), [[1., -2., 1., -2.], [3., 4., 3., 4.]], "{dt:?}");
        let t = c.t().unwrap();
        let path = dir.path().join(format!("{}.safetensors", dt.as_str()));
        candle_core::safetensors::save(&HashMap::from([("t".to_string(), t)]), &path).unwrap();
        let back = candle_core::safetensors::load(&path, &Device::Cpu).unwrap().remove("t").unwrap();
        assert_eq!(back.dtype(), dt);
        assert_eq!(back.to_dtype(DType::F32).unwrap().to_vec2::<f32>().unwrap(), [[1., 3.], [-2., 4.]], "{dt:?}");
    }
}

/// A weights file in f16 loads, converted to f32: its network's features are the f32 file's to
/// f16's precision.
#[test]
fn half_precision_weights_load() {
    let dir = tempfile::tempdir().unwrap();
    let spec = common::tiny_spec();
    let f32_path = common::write_random_vgg(dir.path(), "w32.safetensors", &spec);
    let half: HashMap<String, Tensor> = candle_core::safetensors::load(&f32_path, &Device::Cpu)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, v.to_dtype(DType::F16).unwrap()))
        .collect();
    let f16_path = dir.path().join("w16.safetensors");
    candle_core::safetensors::save(&half, &f16_path).unwrap();
    // candle's writer drops the test-network mark that write_random_weights sets.
    let custom = LoadOptions { custom: true, ..LoadOptions::default() };
    let (v32, v16) =
        (Vgg::load(&f32_path, &custom, &Device::Cpu).unwrap(), Vgg::load(&f16_path, &custom, &Device::Cpu).unwrap());
    let x = Tensor::rand(0f32, 1., (1, 3, 16, 16), &Device::Cpu).unwrap();
    let layer = [spec.layer("conv3_3").unwrap()];
    let (a, b) =
        (common::to_vec(&v32.features(&x, &layer).unwrap()[0]), common::to_vec(&v16.features(&x, &layer).unwrap()[0]));
    let rel = common::rel_l2(&b, &a);
    assert!(rel > 0.0 && rel < 5e-3, "f16 weights give the f32 features to f16's precision: {rel:e}");
}

/// Their arithmetic and reductions, and i16 and i32 conditions and indices, answer an error that
/// names the type and says what to convert to: i64 for i16 and i32 (exact, and taken as values,
/// a condition and indices alike), f32 for the rest. (bf16 matrix products still work: upstream
/// widens them to f32 itself.)
#[test]
fn the_types_left_out_answer_an_error_that_says_to_convert() {
    let cpu = &Device::Cpu;
    let says_to = |r: candle_core::Result<Tensor>, dtype: &str, to: &str| {
        let err = r.expect_err("an error, not a result").to_string();
        assert!(
            err.contains(&format!("{dtype} tensors")) && err.contains(&format!(".to_dtype(DType::{to})?")),
            "{err}"
        );
    };
    let says = |r, dtype| says_to(r, dtype, "F32");
    let i = Tensor::new(&[1i32, 2, 3], cpu).unwrap();
    says_to(&i + &i, "i32", "I64");
    says_to(i.sum_all(), "i32", "I64");
    let h = Tensor::new(&[1f32, 2., 3.], cpu).unwrap().to_dtype(DType::F16).unwrap();
    says(&h * &h, "f16");
    says(h.exp(), "f16");
    says(h.sum_all(), "f16");
    let b = h.to_dtype(DType::BF16).unwrap();
    says(b.sqr(), "bf16");
    says(b.max_keepdim(0), "bf16");
    let m = Tensor::new(&[[1f32, 2.], [3., 4.]], cpu).unwrap();
    let (m16, m_bf16) = (m.to_dtype(DType::F16).unwrap(), m.to_dtype(DType::BF16).unwrap());
    says(m16.matmul(&m16), "f16");
    let widened = m_bf16.matmul(&m_bf16).unwrap().to_dtype(DType::F32).unwrap();
    assert_eq!(widened.to_vec2::<f32>().unwrap(), [[7., 10.], [15., 22.]]);
    let s16 = Tensor::new(&[1f32, 2.], cpu).unwrap().to_dtype(DType::I16).unwrap();
    says_to(s16.abs(), "i16", "I64");
    let f8 = Tensor::new(&[1f32, 2.], cpu).unwrap().to_dtype(DType::F8E4M3).unwrap();
    says(f8.sum_all(), "f8e4m3");
    // i32 as a condition or as indices (upstream's index_select and gather never took i32 ids;
    // index_add and scatter_add did), and the advice taken: it works, 256 staying true.
    let x = Tensor::new(&[1f32, 2., 3.], cpu).unwrap();
    let cond = Tensor::new(&[256i32, 0, -1], cpu).unwrap();
    says_to(cond.where_cond(&x, &x), "i32", "I64");
    let ones = Tensor::new(&[1f32, 1.], cpu).unwrap();
    let ids = Tensor::new(&[0i32, 2], cpu).unwrap();
    says_to(x.index_add(&ids, &ones, 0), "i32", "I64");
    let added = x.index_add(&ids.to_dtype(DType::I64).unwrap(), &ones, 0).unwrap();
    assert_eq!(added.to_vec1::<f32>().unwrap(), [2., 2., 4.]);
    let chosen = cond.to_dtype(DType::I64).unwrap().where_cond(&x, &x.zeros_like().unwrap()).unwrap();
    assert_eq!(chosen.to_vec1::<f32>().unwrap(), [1., 0., 3.]);
    assert_eq!(i.to_dtype(DType::I64).unwrap().sum_all().unwrap().to_scalar::<i64>().unwrap(), 6);
}

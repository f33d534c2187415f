#!/usr/bin/env python3
"""Make .vendor/candle-core, .vendor/image and .vendor/gemm: three crates.io crates with what this
project never uses taken out.

The notebooks compile the library when a student runs the first cell, and the kernel's analyser
reads every crate the library reaches each time a kernel starts (README, "The notebooks"). Three
crates bring large parts nothing here calls:

- candle-core 0.11 compiles its quantized-model code (GGML/GGUF k-quants, about 16 000 lines)
  and depends on `tokenizers` (74 crates, some C++) for it on every platform. The copy has no
  `src/quantized/` (nor its `pub mod` line), no `tokenizers` dependency, and safetensors' `std`
  feature off (for writing a file it brings the tempfile crate and three below it): `save_file`,
  at the end of src/safetensors.rs, writes the file instead, beside it and renamed over it.
  Its CPU back end computes in u8, u32, i64, f32 and f64 only (CPU_DTYPES_CUT below: a third of
  candle-core's compile time); tensors of the other types still convert, copy and save, so
  half-precision weights load. nst_lib/tests/vendored_candle.rs checks both sides.
- image 0.25.10 depends on moxcms (colour management, with pxfm: 5.3 MB of source) for its
  colour-space conversions (`apply_color_space`, `copy_from_color_space`), which this project
  never calls; decoding and encoding do not use it. The copy has no moxcms dependency: a stand-in
  module of that name, appended to src/metadata/cicp.rs (MOXCMS_STAND_IN below), holds the
  arithmetic image's Luma conversions take from moxcms (the luminance of each set of primaries,
  copied from moxcms 0.8.1) and refuses every colour-space transform, so that those conversions
  answer `Unsupported`, as image does for colour spaces it has no transform for. The test
  nst_lib/tests/vendored_image.rs compares it with crates.io's image: the same pixels from every
  image file, the same Luma conversions, and the refusal.
- gemm 0.19 depends on its complex-number kernels (gemm-c32, gemm-c64), which candle, with no
  complex type, never calls. The copy has neither dependency nor the two branches that call them
  (GEMM_COMPLEX below); candle-core's copy and nst_lib take gemm from it. Its f32 and f64
  products are upstream's code, which the library's tests exercise (f64 in tests/gradient.rs).

The copies drop the manifest's examples, tests, benches and dev-dependencies (not shipped), get
a rustfmt.toml that keeps `cargo fmt` off them and a version <upstream>+nst.<hash of the copy>,
so that evcxr's cache never mistakes a new copy for an old one. nst_lib uses no item of any
that upstream lacks, so it builds against crates.io's releases too (`--upstream`).

    python3 nst_lib/scripts/vendor.py            # the three copies, from cargo's registry or crates.io
    python3 nst_lib/scripts/vendor.py --check    # the committed copies equal fresh ones
    python3 nst_lib/scripts/vendor.py --upstream # nst_lib type-checks against crates.io's crates
"""
import glob
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# name: (version, sha256 of crates.io's .crate file (as Cargo.lock had it), files kept,
# what it lacks)
CRATES = {
    "candle-core": ("0.11.1", "d11c8be87cfbaef9ebb62fb3f850d1fc8e00cc1d11d393fdbe55a4d5c2cdb325",
                    ["Cargo.toml", "LICENSE", "README.md", "src"], "without quantized models, CPU arithmetic in five dtypes"),
    "image": ("0.25.10", "85ab80394333c02fe689eaf900ab500fbd0c2213da414687ebf995a65d5a6104",
              ["Cargo.toml", "LICENSE-APACHE", "LICENSE-MIT", "README.md", "src"], "without moxcms"),
    "gemm": ("0.19.0", "aa0673db364b12263d103b68337a68fbecc541d6f6b61ba72fe438654709eacb",
             ["Cargo.toml", "LICENSE", "README.md", "src"], "without complex kernels"),
}


def dest_of(name):
    return os.path.join(ROOT, ".vendor", name)


def upstream(name, tmp):
    """The unpacked crate, from cargo's download cache or crates.io, checked against the checksum
    crates.io publishes (the one Cargo.lock recorded before the copy replaced it)."""
    version, checksum = CRATES[name][:2]
    cargo_home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    cached = glob.glob(os.path.join(cargo_home, "registry", "cache", "*", f"{name}-{version}.crate"))
    if cached:
        with open(cached[0], "rb") as f:
            data = f.read()
    else:
        url = f"https://static.crates.io/crates/{name}/{name}-{version}.crate"
        data = urllib.request.urlopen(url, timeout=60).read()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == checksum, f"{name}-{version}.crate has sha256 {digest}, crates.io's is {checksum}"
    archive = tarfile.open(fileobj=io.BytesIO(data))
    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    archive.extractall(tmp, **safe)
    return os.path.join(tmp, f"{name}-{version}")


def sections(text):
    return re.split(r"(?m)^(?=\[)", text)


# Manifest sections that name files not shipped.
NOT_SHIPPED = ("[[example]]", "[[test]]", "[[bench]]", "[dev-dependencies")


def shipped(section, also_dropped=()):
    """Whether a manifest section stays in a copy: not one of NOT_SHIPPED, nor a target's own
    dev-dependencies, nor one of `also_dropped`."""
    return not (section.startswith(NOT_SHIPPED + tuple(also_dropped))
                or re.match(r"\[target\..*\.dev-dependencies", section))


# A path dependency's warnings (the trimmed copy's unused items, or a newer compiler's) would reach
# every student's first cell, as a crates.io dependency's do not.
ALLOW_WARNINGS = "\n[lints.rust]\nwarnings = \"allow\"\n"


def trim_candle_manifest(text):
    """Drop the tokenizers dependency and every section that names files not shipped; turn off
    safetensors' `std` feature."""
    tokenizers = "[target.'cfg(not(target_arch = \"wasm32\"))'.dependencies.tokenizers]"
    kept = [s for s in sections(text) if shipped(s, [tokenizers])]
    assert not any("tokenizers" in s for s in kept), "upstream's manifest changed: review the trim"
    st = '[dependencies.safetensors]\nversion = "0.8.0"\n\n'
    assert kept.count(st) == 1, "upstream's manifest changed: review the safetensors trim"
    # safetensors without `std`: that feature only adds tempfile (and rustix, linux-raw-sys,
    # fastrand) for writing a file, which save_file (SAVE_FILE below) does itself.
    kept = [s.replace(st, st[:-1] + 'default-features = false\nfeatures = ["alloc"]\n\n') for s in kept]
    # gemm from the copy beside it (GEMM_COMPLEX below), as nst_lib takes it; candle's own version
    # requirement stays, and cargo checks that the copy meets it.
    gemm = re.compile(r'\[dependencies\.gemm\]\nversion = "[^"\n]+"\n')
    assert sum(bool(gemm.match(s)) for s in kept) == 1, "upstream's manifest changed: review the gemm path"
    kept = [gemm.sub(lambda m: m.group(0) + 'path = "../gemm"\n', s, count=1) if gemm.match(s) else s for s in kept]
    note = ("# Vendored by nst_lib/scripts/vendor.py: upstream's manifest without the\n"
            "# quantized models' tokenizers dependency, examples, tests and benches, with\n"
            "# safetensors' `std` feature (tempfile) off and gemm from the copy beside it.\n")
    return note + "".join(kept) + ALLOW_WARNINGS


def trim_image_manifest(text):
    """Drop the moxcms dependency and every section that names files not shipped."""
    kept = [s for s in sections(text) if shipped(s, ["[dependencies.moxcms]"])]
    assert not any("moxcms" in s for s in kept), "upstream's manifest changed: review the trim"
    note = ("# Vendored by nst_lib/scripts/vendor.py: upstream's manifest without the moxcms\n"
            "# dependency (colour management; see src/metadata/cicp.rs, at its end), benches and\n"
            "# dev-dependencies.\n")
    return note + "".join(kept) + ALLOW_WARNINGS


# gemm dispatches on the element type to one crate of kernels per type, complex numbers among
# them (gemm-c32, gemm-c64: 15 s of compiling, CPU time, in the notebooks' first build,
# although built without optimisation; docs/first_cell.md). candle has no complex type and
# never asks for them; the copy has neither crate, and a complex matrix product reaches the
# dispatch's final panic, which says so.
GEMM_COMPLEX = ("gemm-c32", "gemm-c64")


def trim_gemm_manifest(text):
    """Drop the complex kernels' crates (and the features that name them) and every section that
    names files not shipped."""
    kept = "".join(s for s in sections(text) if shipped(s, [f"[dependencies.{c}]" for c in GEMM_COMPLEX]))
    feature = re.compile(r'\s*"(%s)/[\w-]+",$' % "|".join(map(re.escape, GEMM_COMPLEX)))
    lines = [line for line in kept.split("\n") if not feature.match(line)]
    kept = "\n".join(lines)
    assert not any(c in kept for c in GEMM_COMPLEX), "upstream's manifest changed: review the trim"
    note = ("# Vendored by nst_lib/scripts/vendor.py: upstream's manifest without the complex\n"
            "# kernels' crates (gemm-c32, gemm-c64; see src/gemm.rs), benches and dev-dependencies.\n")
    return note + kept + ALLOW_WARNINGS


def trim_gemm(dest):
    manifest = os.path.join(dest, "Cargo.toml")
    write(manifest, trim_gemm_manifest(read(manifest)))
    path = os.path.join(dest, "src", "gemm.rs")
    text = read(path)
    # The two branches of gemm_dispatch that call the complex kernels, from the first to the
    # final `else`, whose panic then answers complex types too.
    start = text.find("    } else if TypeId::of::<T>() == TypeId::of::<c64>() {\n")
    end = text.find("    } else {\n        panic!();\n")
    assert 0 <= start < end, "upstream's gemm.rs changed: review the trim"
    cut = text[start:end]
    assert cut.count("get_gemm_fn()") == 2 and "gemm_c64::" in cut and "gemm_c32::" in cut, \
        "upstream's gemm.rs changed: review the trim"
    text = text[:start] + text[end:]
    bare = "    } else {\n        panic!();\n"
    assert text.count(bare) == 1, "upstream's gemm.rs changed: review the trim"
    text = text.replace(bare, '    } else {\n        panic!("gemm: no kernels for this type (nst\'s copy has no complex ones: '
                              'nst_lib/scripts/vendor.py)");\n')
    doc = "/// Panics if `T` is not `f32`, `f64`, `gemm::f16`, `gemm::c32`, or `gemm::c64`.\n"
    assert text.count(doc) == 1, "upstream's gemm.rs changed: review the trim"
    text = text.replace(doc, "/// Panics if `T` is not `f32`, `f64` or `gemm::f16` (nst's copy has no complex kernels:\n"
                             "/// nst_lib/scripts/vendor.py).\n")
    assert "gemm_c32" not in text and "gemm_c64" not in text, "upstream's gemm.rs changed: review the trim"
    write(path, text)


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def make(name, dest):
    with tempfile.TemporaryDirectory() as tmp:
        src = upstream(name, tmp)
        os.makedirs(dest)
        for f in CRATES[name][2]:
            path = os.path.join(src, f)
            (shutil.copytree if os.path.isdir(path) else shutil.copy)(path, os.path.join(dest, f))
    TRIMS[name](dest)
    # `cargo fmt` in the workspace reaches path dependencies: keep upstream's text as it is.
    write(os.path.join(dest, "rustfmt.toml"),
          "# Upstream's code, left as published (nst_lib/scripts/vendor.py).\ndisable_all_formatting = true\n")
    stamp_version(name, dest)


def trim_candle(dest):
    shutil.rmtree(os.path.join(dest, "src", "quantized"))
    lib = os.path.join(dest, "src", "lib.rs")
    text = read(lib)
    assert "pub mod quantized;\n" in text, "upstream's lib.rs changed: review the trim"
    write(lib, text.replace("pub mod quantized;\n", ""))
    save_without_tempfile(os.path.join(dest, "src", "safetensors.rs"))
    narrow_cpu_dtypes(os.path.join(dest, "src", "cpu_backend"))
    manifest = os.path.join(dest, "Cargo.toml")
    write(manifest, trim_candle_manifest(read(manifest)))


def trim_image(dest):
    manifest = os.path.join(dest, "Cargo.toml")
    write(manifest, trim_image_manifest(read(manifest)))
    users = [os.path.relpath(os.path.join(d, f), dest) for d, _, fs in os.walk(os.path.join(dest, "src"))
             for f in fs if "moxcms" in read(os.path.join(d, f))]
    assert users == [os.path.join("src", "metadata", "cicp.rs")], f"upstream's use of moxcms moved: {users}"
    cicp = os.path.join(dest, "src", "metadata", "cicp.rs")
    text = read(cicp)
    used = set(re.findall(r"moxcms::(\w+)", text))
    assert used == MOXCMS_USED, f"upstream uses other moxcms items: review the stand-in ({sorted(used ^ MOXCMS_USED)})"
    assert "mod moxcms" not in text, "upstream's cicp.rs changed: review the stand-in"
    write(cicp, text + MOXCMS_STAND_IN)


# What each copy's manifest and sources lose (make() calls it after copying upstream's files).
TRIMS = {"candle-core": trim_candle, "image": trim_image, "gemm": trim_gemm}


# What replaces safetensors' serialize_to_file (its `std` feature, and with it the tempfile crate,
# is off): the same bytes, written beside the file and renamed over it, as upstream does.
SAVE_FILE = """
// nst: safetensors' `serialize_to_file` needs its `std` feature and with it the tempfile crate
// (and rustix, linux-raw-sys, fastrand); the same bytes, written beside the file and renamed over
// it, so that an existing (perhaps mapped) file is replaced, never truncated.
// The temporary's name is unique per process and call, and created only if absent.
fn save_file(bytes: Vec<u8>, filename: &Path) -> Result<()> {
    use std::io::Write;
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let Some(name) = filename.file_name() else {
        return Err(Error::from(std::io::Error::from(std::io::ErrorKind::InvalidInput)).with_path(filename));
    };
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = filename.with_file_name(format!(".{}.{}-{n}.tmp", name.to_string_lossy(), std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(&bytes))
        .and_then(|_| std::fs::rename(&tmp, filename));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::from(e).with_path(filename));
    }
    Ok(())
}
"""


def save_without_tempfile(path):
    """candle's two calls of safetensors' serialize_to_file, through SAVE_FILE instead."""
    text = read(path)
    calls = {
        "Ok(st::serialize_to_file(data, None, filename.as_ref())?)":
            "save_file(st::serialize(data, None)?, filename.as_ref())",
        "Ok(st::serialize_to_file(tensors, None, filename.as_ref())?)":
            "save_file(st::serialize(tensors, None)?, filename.as_ref())",
    }
    for old, new in calls.items():
        assert text.count(old) == 1, "upstream's safetensors.rs changed: review the save trim"
        text = text.replace(old, new)
    assert "serialize_to_file" not in text, "upstream's safetensors.rs changed: review the save trim"
    write(path, text + SAVE_FILE)


# The CPU back end's element types. Every CPU operation is one generic function instantiated for
# each of its 10 types (and each pair, for indices and conditions), and that code is a third of
# candle-core's compile time, which the notebooks' first cell pays. The library and its tests
# compute in f32 and f64 and index in u8, u32 and i64; the copy computes in those five only.
# Tensors of the other five (f16, bf16, i16, i32, f8e4m3) can still be made, filled, converted
# to any type, copied, concatenated and saved (DATA_MOVEMENT, and what dispatches by `DType::`,
# which the trim leaves as it is), so half-precision weights load; their arithmetic, reductions,
# comparisons and indexing answer an error that says to convert (NST_UNSUPPORTED), as upstream's
# 4-bit and 6-bit types already do. (bf16 matrix products still work: upstream widens them to
# f32 before the dispatch. The CUDA and Metal back ends are unchanged.)
CPU_DTYPES_CUT = ("F16", "BF16", "I16", "I32", "F8E4M3")
# `concat` here is CpuStorage::concat, which candle-core itself never calls (Tensor::cat copies
# through copy2d and copy_strided_src): kept for a caller of that public function, not for cat.
DATA_MOVEMENT = ("to_dtype", "copy_strided_src", "copy2d", "concat")
# How many match arms the trim replaces in each file: a change upstream fails here, to be reviewed.
CPU_ARMS_CUT = {"mod.rs": 22, "utils.rs": 25}
NST_UNSUPPORTED = """
// nst: what the CPU back end answers for the element types nst_lib/scripts/vendor.py leaves out.
// `op` is the function the arm was in; Map1's and Map2's `map` serve many operations.
pub(crate) fn nst_unsupported(dtype: crate::DType, op: &'static str) -> crate::Error {
    // i64 holds every i16 and i32 exactly and serves as values, a condition and indices alike
    // (f32 would round above 2^24 and is refused as a condition or as indices).
    let to = match dtype {
        crate::DType::I16 | crate::DType::I32 => "I64",
        _ => "F32",
    };
    let op = if op == "map" { String::from("this operation") } else { format!("`{op}`") };
    crate::Error::Msg(format!(
        "{op} on {} tensors is left out of this project's copy of candle-core, which computes on \\
         the CPU in u8, u32, i64, f32 and f64 only (nst_lib/scripts/vendor.py): convert first, \\
         e.g. `.to_dtype(DType::{to})?`",
        dtype.as_str()
    ))
    .bt()
}
"""


def narrow_cpu_dtypes(cpu_dir):
    """Replace the CPU back end's match arms that compute in the element types left out (above)
    with an early error, so that rustc does not instantiate their generic code for them."""
    for name, expected in CPU_ARMS_CUT.items():
        path = os.path.join(cpu_dir, name)
        text, cut = cut_dtype_arms(read(path))
        assert cut == expected, f"upstream's cpu_backend/{name} changed ({cut} arms, not {expected}): review the trim"
        write(path, text + (NST_UNSUPPORTED if name == "utils.rs" else ""))


FN_START = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+|unsafe\s+)*fn (\w+)")
ARM_START = re.compile(r"^\s*\(?\s*(?:Self|C)::\w+\(")


def cut_dtype_arms(text):
    """(text with the arms cut, how many). An arm is cut when its line starts with a pattern on
    `Self::` or `C::` (or a tuple of them) that names a type left out, has no `|`, and its `=>`
    on that line; its body is not already `Err(`; and the function it is in returns a Result and
    is not one of DATA_MOVEMENT. Its body becomes `return Err`. (A function nested in another,
    as in `const_set`, hides the outer one's arms: they are kept.)"""
    lines, out, i, cut = text.split("\n"), [], 0, 0
    fn_name, returns_result = None, False
    while i < len(lines):
        line = lines[i]
        start = FN_START.match(line)
        if start:
            j, sig = i, line
            while "{" not in lines[j] and not lines[j].rstrip().endswith(";"):
                j += 1
                sig += lines[j]
            fn_name, returns_result = start.group(1), "Result<" in sig
        if not (ARM_START.match(line) and "=>" in line and returns_result):
            out.append(line)
            i += 1
            continue
        pattern, body = line.split("=>", 1)
        named = re.findall(r"(?:Self|C|DType|Scalar)::(\w+)", pattern)
        left_out = [t for t in named if t in CPU_DTYPES_CUT and fn_name not in DATA_MOVEMENT]
        if not left_out or "|" in pattern or body.strip().startswith("Err("):
            out.append(line)
            i += 1
            continue
        end = arm_end(lines, i, len(pattern) + 2)
        out.append(f"{pattern}=> return Err(crate::cpu_backend::utils::nst_unsupported("
                   f"crate::DType::{left_out[0]}, \"{fn_name}\")),")
        cut += 1
        i = end + 1
    return "\n".join(out), cut


def arm_end(lines, i, col):
    """The line on which the match arm starting at lines[i] (its body from column col) ends: at
    a braced body's closing brace, or an expression's comma; before the match's own brace."""
    braced = lines[i][col:].strip().startswith("{")
    depth, j, pos = 0, i, col
    while True:
        for ch in lines[j][pos:]:
            depth += (ch in "({[") - (ch in ")}]")
            if depth < 0:
                assert j > i, f"an arm at line {i + 1} ends inside its line: review the trim"
                return j - 1
            if depth == 0 and ch == ("}" if braced else ","):
                return j
        j, pos = j + 1, 0

# What replaces the moxcms crate in the image copy, appended to src/metadata/cicp.rs: the items
# cicp.rs names (MOXCMS_USED; the script fails if upstream names others). The luminance of each
# set of primaries (`derived_luminance`: Luma conversions) is moxcms 0.8.1's arithmetic, in its
# order of operations; every colour-space transform is refused.
MOXCMS_USED = {"Chromaticity", "CicpColorPrimaries", "CicpProfile", "ColorPrimaries", "ColorProfile", "Layout",
               "MatrixCoefficients", "TransferCharacteristics", "TransformExecutor", "TransformOptions"}
MOXCMS_STAND_IN = """
// nst: this copy of image is built without the moxcms crate (colour management; with pxfm 5.3 MB
// of source that the notebooks' kernel would read on every start): nst_lib/scripts/vendor.py.
// This module stands in for it. Luma conversions need the luminance of each set of primaries:
// `ColorPrimaries::transform_to_xyz` is moxcms 0.8.1's arithmetic (src/cicp.rs, src/matrix.rs,
// src/xyy.rs, src/profile.rs: Copyright (c) Radzivon Bartoshyk, BSD-3-Clause OR Apache-2.0), in
// its order of operations. Every colour-space transform is refused, so `CicpTransform::new`
// returns `None` and `apply_color_space`/`copy_from_color_space` answer `Unsupported`.
// (image denies unreachable `pub` items: these keep moxcms' names and visibility.)
#[allow(dead_code, unreachable_pub)]
mod moxcms {
    use std::sync::Arc;

    #[derive(Clone, Copy, Debug)]
    pub enum CicpColorPrimaries {
        Bt709, Unspecified, Bt470M, Bt470Bg, Bt601, Smpte240, GenericFilm, Bt2020, Xyz, Smpte431, Smpte432,
        Ebu3213,
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    pub enum TransferCharacteristics {
        Bt709, Unspecified, Bt470M, Bt470Bg, Bt601, Smpte240, Linear, Log100, Log100sqrt10, Iec61966, Bt1361,
        Srgb, Bt202010bit, Bt202012bit, Smpte2084, Smpte428, Hlg,
    }

    #[derive(Clone, Copy, Debug)]
    pub enum MatrixCoefficients {
        Identity, Unspecified, Bt709, Fcc, Bt470Bg, Smpte170m, Smpte240m, YCgCo, Bt2020Ncl, Bt2020Cl, Smpte2085,
        ChromaticityDerivedNCL, ChromaticityDerivedCL, ICtCp,
    }

    pub struct CicpProfile {
        pub color_primaries: CicpColorPrimaries,
        pub transfer_characteristics: TransferCharacteristics,
        pub matrix_coefficients: MatrixCoefficients,
        pub full_range: bool,
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    pub enum Layout { Rgb, Rgba }

    #[derive(Clone, Copy, Debug, Default)]
    pub struct TransformOptions;

    /// A transform was asked for: this build has none.
    #[derive(Debug)]
    pub struct NoColorManagement;

    pub trait TransformExecutor<V: Copy + Default> {
        fn transform(&self, src: &[V], dst: &mut [V]) -> Result<(), NoColorManagement>;
    }

    type Transform<V> = Result<Arc<dyn TransformExecutor<V> + Send + Sync>, NoColorManagement>;

    pub struct ColorProfile;

    impl ColorProfile {
        pub fn new_srgb() -> Self {
            ColorProfile
        }

        pub fn update_rgb_colorimetry_from_cicp(&mut self, _: CicpProfile) -> bool {
            false
        }

        pub fn create_transform_8bit(&self, _: Layout, _: &ColorProfile, _: Layout, _: TransformOptions) -> Transform<u8> {
            Err(NoColorManagement)
        }

        pub fn create_transform_16bit(&self, _: Layout, _: &ColorProfile, _: Layout, _: TransformOptions) -> Transform<u16> {
            Err(NoColorManagement)
        }

        pub fn create_transform_f32(&self, _: Layout, _: &ColorProfile, _: Layout, _: TransformOptions) -> Transform<f32> {
            Err(NoColorManagement)
        }
    }

    #[derive(Clone, Copy, Debug)]
    pub struct Chromaticity {
        pub x: f32,
        pub y: f32,
    }

    impl Chromaticity {
        pub const D65: Chromaticity = Chromaticity { x: 0.31272, y: 0.32903 };

        pub const fn new(x: f32, y: f32) -> Self {
            Self { x, y }
        }

        /// moxcms' `to_scaled_xyz`.
        fn scaled_xyz(self) -> [f32; 3] {
            [self.x, self.y, 1.0 - self.x - self.y]
        }

        /// moxcms' `to_xyyb().to_xyz()`: through f64, luminance 1.
        fn white_xyz(self) -> [f32; 3] {
            let (x, y, yb) = (self.x as f64, self.y as f64, 1f64);
            let reciprocal = if y != 0. { 1. / y * yb } else { 0. };
            [(x * reciprocal) as f32, yb as f32, ((1. - x - y) * reciprocal) as f32]
        }
    }

    #[derive(Clone, Copy, Debug)]
    pub struct ColorPrimaries {
        pub red: Chromaticity,
        pub green: Chromaticity,
        pub blue: Chromaticity,
    }

    const fn primaries(r: (f32, f32), g: (f32, f32), b: (f32, f32)) -> ColorPrimaries {
        ColorPrimaries {
            red: Chromaticity::new(r.0, r.1),
            green: Chromaticity::new(g.0, g.1),
            blue: Chromaticity::new(b.0, b.1),
        }
    }

    impl ColorPrimaries {
        pub const BT_709: ColorPrimaries = primaries((0.64, 0.33), (0.30, 0.60), (0.15, 0.06));
        pub const BT_470M: ColorPrimaries = primaries((0.67, 0.33), (0.21, 0.71), (0.14, 0.08));
        pub const BT_470BG: ColorPrimaries = primaries((0.64, 0.33), (0.29, 0.60), (0.15, 0.06));
        pub const BT_601: ColorPrimaries = primaries((0.630, 0.340), (0.310, 0.595), (0.155, 0.070));
        pub const SMPTE_240: ColorPrimaries = Self::BT_601;
        pub const GENERIC_FILM: ColorPrimaries = primaries((0.681, 0.319), (0.243, 0.692), (0.145, 0.049));
        pub const BT_2020: ColorPrimaries = primaries((0.708, 0.292), (0.170, 0.797), (0.131, 0.046));
        pub const XYZ: ColorPrimaries = primaries((1.0, 0.0), (0.0, 1.0), (0.0, 0.0));
        pub const DISPLAY_P3: ColorPrimaries = primaries((0.680, 0.320), (0.265, 0.690), (0.150, 0.060));
        pub const EBU_3213: ColorPrimaries = primaries((0.630, 0.340), (0.295, 0.605), (0.155, 0.077));

        /// The RGB -> XYZ matrix for this white point (moxcms' `transform_to_xyz`, `rgb_to_xyz`).
        pub fn transform_to_xyz(self, white_point: Chromaticity) -> Matrix3f {
            let [r, g, b] = [self.red.scaled_xyz(), self.green.scaled_xyz(), self.blue.scaled_xyz()];
            let m = Matrix3f { v: [[r[0], g[0], b[0]], [r[1], g[1], b[1]], [r[2], g[2], b[2]]] };
            let s = m.inverse().mul_vector(white_point.white_xyz());
            Matrix3f { v: m.v.map(|row| [row[0] * s[0], row[1] * s[1], row[2] * s[2]]) }
        }
    }

    #[derive(Clone, Copy, Debug)]
    pub struct Matrix3f {
        pub v: [[f32; 3]; 3],
    }

    impl Matrix3f {
        fn determinant(&self) -> Option<f32> {
            let v = self.v;
            let a0 = v[0][0] * v[1][1] * v[2][2];
            let a1 = v[0][1] * v[1][2] * v[2][0];
            let a2 = v[0][2] * v[1][0] * v[2][1];
            let s0 = v[0][2] * v[1][1] * v[2][0];
            let s1 = v[0][1] * v[1][0] * v[2][2];
            let s2 = v[0][0] * v[1][2] * v[2][1];
            let j = a0 + a1 + a2 - s0 - s1 - s2;
            if j == 0. { None } else { Some(j) }
        }

        fn inverse(&self) -> Self {
            let Some(determinant) = self.determinant() else {
                return Matrix3f { v: [[1., 0., 0.], [0., 1., 0.], [0., 0., 1.]] };
            };
            let det = 1. / determinant;
            let [[a, b, c], [d, e, f], [g, h, i]] = self.v;
            Matrix3f {
                v: [
                    [(e * i - f * h) * det, (c * h - b * i) * det, (b * f - c * e) * det],
                    [(f * g - d * i) * det, (a * i - c * g) * det, (c * d - a * f) * det],
                    [(d * h - e * g) * det, (b * g - a * h) * det, (a * e - b * d) * det],
                ],
            }
        }

        fn mul_vector(&self, o: [f32; 3]) -> [f32; 3] {
            let v = self.v;
            let x = v[0][1] * o[1] + v[0][2] * o[2] + v[0][0] * o[0];
            let y = v[1][0] * o[0] + v[1][1] * o[1] + v[1][2] * o[2];
            let z = v[2][0] * o[0] + v[2][1] * o[1] + v[2][2] * o[2];
            [x, y, z]
        }
    }
}
"""

def stamp_version(name, dest):
    """Give the copy a version that names its content: <version>+nst.<hash>.

    The notebooks' kernel keeps compiled crates in evcxr's cache, keyed by rustc's command line,
    which names a crate's version but not its source (notebooks/evcxr.toml). The vendored copies
    are built so that the cache keeps them too (.cargo/config.toml); with this stamp a copy this
    script makes with different content gets a new key instead of last time's compiled code (a
    hand edit does not: see .cargo/config.toml). Semver ignores the part after `+`, so the plain
    version in nst_lib/Cargo.toml still matches."""
    version = CRATES[name][0]
    digest = hashlib.sha256()
    for f, data in sorted(tree(dest).items()):
        digest.update(f.encode() + b"\0" + data + b"\0")
    manifest = os.path.join(dest, "Cargo.toml")
    text = read(manifest)
    line = f'\nname = "{name}"\nversion = "{version}"\n'
    assert text.count(line) == 1, "upstream's manifest changed: review the version stamp"
    stamped = line.replace(version, f"{version}+nst.{digest.hexdigest()[:12]}")
    write(manifest, text.replace(line, stamped))


def tree(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root).replace(os.sep, "/")] = fh.read()
    return out


def check_upstream():
    """`cargo check` of a copy of the workspace whose nst_lib takes the three crates from crates.io."""
    with tempfile.TemporaryDirectory() as tmp:
        for f in ["Cargo.toml", "Cargo.lock", ".cargo"]:
            path = os.path.join(ROOT, f)
            (shutil.copytree if os.path.isdir(path) else shutil.copy)(path, os.path.join(tmp, f))
        shutil.copytree(os.path.join(ROOT, "nst_lib"), os.path.join(tmp, "nst_lib"),
                        ignore=shutil.ignore_patterns("target"))
        manifest = os.path.join(tmp, "nst_lib", "Cargo.toml")
        text = read(manifest)
        for name, (version, *_) in CRATES.items():
            path = f', path = "../.vendor/{name}"'
            line = re.search(rf'(?m)^{name} = {{ version = "{re.escape(version)}"{re.escape(path)}.*$', text)
            assert line, f"nst_lib/Cargo.toml no longer names the vendored {name} this way"
            text = text.replace(line.group(0), line.group(0).replace(f'"{version}"' + path, f'"={version}"'))
        # The test's crates.io image would now be the same crate under a second name (cargo
        # refuses).
        upstream_image = re.search(r'(?m)^image_upstream = .*\n', text)
        assert upstream_image, "nst_lib/Cargo.toml no longer names image_upstream this way"
        write(manifest, text.replace(upstream_image.group(0), ""))
        # The project's own target folder (or CARGO_TARGET_DIR's): every crate the two graphs
        # share is checked once (on a fresh clone, after `.ci/run`'s `cargo check` of the
        # library, 181 s instead of 256 s in its own folder; target/upstream-check, where it ran
        # before, can be deleted).
        target = os.path.abspath(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"))
        env = dict(os.environ, CARGO_TARGET_DIR=target)
        cmd = ["cargo", "check", "--quiet", "-p", "nst_lib", "--lib"]
        ok = subprocess.run(cmd, cwd=tmp, env=env).returncode == 0
    names = [f"{n} {v[0]}" for n, v in CRATES.items()]
    names = ", ".join(names[:-1]) + " and " + names[-1]
    print(f"nst_lib {'type-checks' if ok else 'does NOT type-check'} against crates.io's {names}")
    return 0 if ok else 1


def main(args):
    if "--upstream" in args:
        return check_upstream()
    if "--check" in args:
        bad = 0
        for name, (version, _, _, what) in CRATES.items():
            with tempfile.TemporaryDirectory() as tmp:
                fresh = os.path.join(tmp, name)
                make(name, fresh)
                same = tree(fresh) == tree(dest_of(name))
            print(f"vendored {name} " + ("matches" if same else "DIFFERS from") + f" upstream {version} {what}")
            bad += not same
        return 1 if bad else 0
    for name, (version, _, _, what) in CRATES.items():
        if os.path.exists(dest_of(name)):
            shutil.rmtree(dest_of(name))
        make(name, dest_of(name))
        print(f"wrote {os.path.relpath(dest_of(name), ROOT)} ({name} {version} {what})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

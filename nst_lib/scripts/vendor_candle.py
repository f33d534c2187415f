#!/usr/bin/env python3
"""Make .vendor/candle-core: candle-core from crates.io without its quantized models.

candle-core 0.11 compiles its quantized-model code (GGML/GGUF k-quants, about 16 000 lines) and
depends on `tokenizers` (74 crates, some C++) for it on every platform, whether a program asks for
quantized models or not. This project never does. The notebooks compile the library when a
student runs the first cell (README, "The notebooks"); without that code the cold build is shorter
and the kernel's analyser loads fewer crates on every start.

The copy is upstream's source with these changes: `src/quantized/` and its `pub mod` line are
gone, and so are the `tokenizers` dependency and the manifest's examples, tests, benches and
dev-dependencies (not shipped); safetensors' `std` feature is off (for writing a file it brings
the tempfile crate and three below it): `save_file`, at the end of src/safetensors.rs, writes
the file instead, as upstream does, beside it and renamed over it; a rustfmt.toml keeps `cargo fmt` off it; and its version is
0.11.1+nst.<hash of the copy>, so that evcxr's cache never mistakes a new copy for an old
one. nst_lib uses no other item of candle-core than upstream has, so it builds against upstream
0.11.1 too (`cargo check` with the path removed from nst_lib/Cargo.toml).

    python3 nst_lib/scripts/vendor_candle.py            # from cargo's registry, or crates.io
    python3 nst_lib/scripts/vendor_candle.py --check    # the committed copy equals a fresh one
    python3 nst_lib/scripts/vendor_candle.py --upstream # nst_lib type-checks against crates.io's
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

VERSION = "0.11.1"
CHECKSUM = "d11c8be87cfbaef9ebb62fb3f850d1fc8e00cc1d11d393fdbe55a4d5c2cdb325"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEST = os.path.join(ROOT, ".vendor", "candle-core")
KEEP = ["Cargo.toml", "LICENSE", "README.md", "src"]


def upstream(tmp):
    """The unpacked crate, from cargo's download cache or crates.io, checked against the checksum
    crates.io publishes (the one Cargo.lock recorded before the copy replaced it)."""
    cargo_home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    cached = glob.glob(os.path.join(cargo_home, "registry", "cache", "*", f"candle-core-{VERSION}.crate"))
    if cached:
        with open(cached[0], "rb") as f:
            data = f.read()
    else:
        url = f"https://static.crates.io/crates/candle-core/candle-core-{VERSION}.crate"
        data = urllib.request.urlopen(url, timeout=60).read()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == CHECKSUM, f"candle-core-{VERSION}.crate has sha256 {digest}, crates.io's is {CHECKSUM}"
    archive = tarfile.open(fileobj=io.BytesIO(data))
    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    archive.extractall(tmp, **safe)
    return os.path.join(tmp, f"candle-core-{VERSION}")


def trim_manifest(text):
    """Drop the tokenizers dependency and every section that names files not shipped; turn off
    safetensors' `std` feature."""
    sections = re.split(r"(?m)^(?=\[)", text)
    dropped = ("[[example]]", "[[test]]", "[[bench]]", "[dev-dependencies",
               "[target.'cfg(not(target_arch = \"wasm32\"))'.dependencies.tokenizers]")
    kept = [s for s in sections if not s.startswith(dropped)]
    assert not any("tokenizers" in s for s in kept), "upstream's manifest changed: review the trim"
    st = '[dependencies.safetensors]\nversion = "0.8.0"\n\n'
    assert kept.count(st) == 1, "upstream's manifest changed: review the safetensors trim"
    # safetensors without `std`: that feature only adds tempfile (and rustix, linux-raw-sys,
    # fastrand) for writing a file, which save_file (SAVE_FILE below) does itself.
    kept = [s.replace(st, st[:-1] + 'default-features = false\nfeatures = ["alloc"]\n\n') for s in kept]
    note = ("# Vendored by nst_lib/scripts/vendor_candle.py: upstream's manifest without the\n"
            "# quantized models' tokenizers dependency, examples, tests and benches, and with\n"
            "# safetensors' `std` feature (tempfile) off.\n")
    # What only the quantized models called (a thread pool's static split) is now unused, and a
    # path dependency's warnings (this one, or a newer compiler's) would reach every student's
    # first cell, as a crates.io dependency's do not.
    lints = "\n[lints.rust]\nwarnings = \"allow\"\n"
    return note + "".join(kept) + lints


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def make(dest):
    with tempfile.TemporaryDirectory() as tmp:
        src = upstream(tmp)
        os.makedirs(dest)
        for name in KEEP:
            path = os.path.join(src, name)
            (shutil.copytree if os.path.isdir(path) else shutil.copy)(path, os.path.join(dest, name))
    shutil.rmtree(os.path.join(dest, "src", "quantized"))
    lib = os.path.join(dest, "src", "lib.rs")
    text = read(lib)
    assert "pub mod quantized;\n" in text, "upstream's lib.rs changed: review the trim"
    write(lib, text.replace("pub mod quantized;\n", ""))
    save_without_tempfile(os.path.join(dest, "src", "safetensors.rs"))
    # `cargo fmt` in the workspace reaches path dependencies: keep upstream's text as it is.
    write(os.path.join(dest, "rustfmt.toml"),
          "# Upstream's code, left as published (nst_lib/scripts/vendor_candle.py).\ndisable_all_formatting = true\n")
    manifest = os.path.join(dest, "Cargo.toml")
    write(manifest, trim_manifest(read(manifest)))
    stamp_version(dest)


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


def stamp_version(dest):
    """Give the copy a version that names its content: 0.11.1+nst.<hash>.

    The notebooks' kernel keeps compiled crates in evcxr's cache, keyed by rustc's command line,
    which names a crate's version but not its source (notebooks/evcxr.toml). The vendored copy is
    built so that the cache keeps it too (.cargo/config.toml); with this stamp a copy this script
    makes with different content gets a new key instead of last time's compiled code (a hand edit
    does not: see .cargo/config.toml). Semver ignores the part after `+`, so `version = "0.11.1"`
    in nst_lib/Cargo.toml still matches."""
    digest = hashlib.sha256()
    for name, data in sorted(tree(dest).items()):
        digest.update(name.encode() + b"\0" + data + b"\0")
    manifest = os.path.join(dest, "Cargo.toml")
    text = read(manifest)
    line = f'\nname = "candle-core"\nversion = "{VERSION}"\n'
    assert text.count(line) == 1, "upstream's manifest changed: review the version stamp"
    stamped = line.replace(VERSION, f"{VERSION}+nst.{digest.hexdigest()[:12]}")
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
    """`cargo check` of a copy of the workspace whose nst_lib takes candle-core from crates.io."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in ["Cargo.toml", "Cargo.lock", ".cargo"]:
            path = os.path.join(ROOT, name)
            (shutil.copytree if os.path.isdir(path) else shutil.copy)(path, os.path.join(tmp, name))
        shutil.copytree(os.path.join(ROOT, "nst_lib"), os.path.join(tmp, "nst_lib"),
                        ignore=shutil.ignore_patterns("target"))
        manifest = os.path.join(tmp, "nst_lib", "Cargo.toml")
        text = read(manifest)
        line = f'candle-core = {{ version = "{VERSION}", path = "../.vendor/candle-core" }}'
        assert line in text, "nst_lib/Cargo.toml no longer names the vendored copy this way"
        write(manifest, text.replace(line, f'candle-core = "={VERSION}"'))
        env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(ROOT, "target", "upstream-check"))
        cmd = ["cargo", "check", "--quiet", "-p", "nst_lib", "--lib"]
        ok = subprocess.run(cmd, cwd=tmp, env=env).returncode == 0
    print(f"nst_lib {'type-checks' if ok else 'does NOT type-check'} against crates.io's candle-core {VERSION}")
    return 0 if ok else 1


def main(args):
    if "--upstream" in args:
        return check_upstream()
    if "--check" in args:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = os.path.join(tmp, "candle-core")
            make(fresh)
            same = tree(fresh) == tree(DEST)
        print("vendored candle-core " + ("matches" if same else "DIFFERS from") + f" upstream {VERSION} trimmed")
        return 0 if same else 1
    if os.path.exists(DEST):
        shutil.rmtree(DEST)
    make(DEST)
    print(f"wrote {os.path.relpath(DEST, ROOT)} (candle-core {VERSION} without quantized models)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

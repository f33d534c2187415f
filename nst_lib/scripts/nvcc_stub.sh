#!/usr/bin/env bash
# A stand-in for nvcc, for `cargo check --features cuda` on a machine without the CUDA toolkit
# (CI's). candle-kernels' build script compiles candle's CUDA kernels with nvcc; a check of the
# Rust code needs only that the files it names exist. This writes them empty. Nothing built with
# it can run on a GPU: a real build needs the toolkit (README, "CPU or GPU").
set -euo pipefail
out="" outdir="" lib=0
while [ $# -gt 0 ]; do
  case "$1" in
    # cudarc's build script reads the release from the fourth line, as nvcc prints it.
    --version) printf '%s\n' "nvcc: stand-in (nst_lib/scripts/nvcc_stub.sh)" "" "" \
        "Cuda compilation tools, release 12.4, V12.4.131"; exit 0 ;;
    --list-gpu-code) echo "sm_80"; exit 0 ;;
    -o) out="$2"; shift ;;
    --output-directory) outdir="$2"; shift ;;
    --lib) lib=1 ;;
    *.cu) src="$1" ;;
  esac
  shift
done
if [ -n "$out" ]; then
  # An empty static library is an archive with no members.
  if [ "$lib" = 1 ]; then printf '!<arch>\n' > "$out"; else : > "$out"; fi
elif [ -n "$outdir" ] && [ -n "${src:-}" ]; then
  base=$(basename "$src" .cu)
  printf '// empty: nvcc_stub.sh\n' > "$outdir/$base.ptx"
else
  echo "nvcc_stub.sh: unexpected arguments" >&2; exit 1
fi

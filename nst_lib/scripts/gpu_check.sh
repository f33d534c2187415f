#!/usr/bin/env bash
# For a machine with an NVIDIA GPU: build with candle's CUDA back end, show the device, run the
# README's first command at 512 px on the GPU and print its time (the run prints its fidelity).
# Needs the CUDA toolkit (`nvcc` on PATH: candle compiles its kernels at build time) and VGG
# weights (NST_WEIGHTS, or the one-time download). Usage: bash nst_lib/scripts/gpu_check.sh [cuda:N]
set -euo pipefail
cd "$(dirname "$0")/../.."
device="${1:-cuda}"

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "no nvidia-smi: this machine has no NVIDIA driver (the CPU build needs none of this)" >&2
  exit 1
fi
nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv
if ! command -v nvcc >/dev/null 2>&1; then
  echo "no nvcc on PATH: install the CUDA toolkit (candle builds its GPU kernels with it)" >&2
  exit 1
fi
nvcc --version | tail -n 2

echo "building nst with --features cuda (candle's kernels take a few minutes the first time)"
cargo build --release --features cuda --bin nst

out=target/gpu_check
mkdir -p "$out"
start=$(date +%s.%N)
./target/release/nst img/content/chelsea.png img/style/starry_night.jpg --size 512 \
  --device "$device" --out-dir "$out"
end=$(date +%s.%N)
echo "512 px on $device: $(awk "BEGIN { printf \"%.1f\", $end - $start }") s in all (the picture: $out/)"

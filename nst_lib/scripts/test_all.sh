#!/usr/bin/env bash
# Every test: the Rust test suite, then every notebook executed under the evcxr kernel in quick
# mode (small images, few steps; the notebooks' text is not changed).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo test --locked
if [ -z "${NST_WEIGHTS:-}" ] && ! ls weights/*.safetensors weights/*.pth >/dev/null 2>&1; then
  echo "SKIPPED notebooks: no VGG weights (set NST_WEIGHTS)"
  exit 0
fi
start=$(date +%s)
NST_QUICK=1 python3 nst_lib/scripts/run_notebooks.py
echo "notebooks took $(( $(date +%s) - start )) s"

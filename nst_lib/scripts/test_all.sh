#!/usr/bin/env bash
# Every test: the Rust test suite, then every notebook executed under the evcxr kernel in quick
# mode (small images, few steps; the notebooks' text is not changed), then the browser check.
# Tests that skip (no real weights, no PyTorch) are listed at the end: cargo hides a passing
# test's output.
set -euo pipefail
cd "$(dirname "$0")/../.."
skipped=target/tmp/skipped.log
mkdir -p target/tmp && rm -f "$skipped"
summary() {
  if [ -s "$skipped" ]; then
    echo "SKIPPED tests ($(wc -l <"$skipped")):"
    sed 's/^/  /' "$skipped"
  else
    echo "no test skipped"
  fi
}
trap summary EXIT
have_weights() {
  [ -n "${NST_WEIGHTS:-}" ] && return 0
  for f in weights/*.safetensors weights/*.pth weights/*.pt; do
    [ -f "$f" ] && return 0
  done
  return 1
}
cargo test --locked
if ! have_weights; then
  echo "notebooks: no VGG weights (set NST_WEIGHTS)" >>"$skipped"
  exit 0
fi
# The first cell four ways, each time printed: nothing compiled (what the README's set-up step
# pays on a new machine), a copy of the project in another folder and this folder with its build
# folder deleted (evcxr's cache filled: a private one, so the user's is untouched; fails unless
# each took back from the cache what it should), and warm (the one a student meets after
# set-up). Three cold builds, about 4 minutes; it deletes notebooks/.evcxr and builds it again:
# close the notebooks' kernels first.
python3 nst_lib/scripts/first_cell.py --cold
# In sequence, not beside the Rust tests: tried on 2026-12-06, the two together took 1 305 s,
# against 1 366, 1 533 and 1 303 s one after the other in three other runs (both cores are busy
# either way), and the notebooks' own times, which the README quotes, stopped meaning anything.
start=$(date +%s)
NST_QUICK=1 python3 nst_lib/scripts/run_notebooks.py
echo "notebooks took $(( $(date +%s) - start )) s"
# What a reader sees: the executed copies (CI's quick ones and the committed docs/notebooks)
# opened in JupyterLab under headless Chromium, a self-test that plants each fault first, and
# the CLI's live view loaded in the browser.
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 \
    && python3 -c "import selenium, jupyterlab, ipykernel" 2>/dev/null; then
  start=$(date +%s)
  python3 nst_lib/scripts/browser_check.py --self-test --live target/debug/nst target/notebooks/*.ipynb docs/notebooks/*.ipynb
  echo "browser check took $(( $(date +%s) - start )) s"
else
  echo "browser check: no chromium, chromedriver, selenium or jupyterlab (apt-get install chromium chromium-driver; pip install jupyterlab selenium)" >>"$skipped"
fi

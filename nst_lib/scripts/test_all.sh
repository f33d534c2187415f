#!/usr/bin/env bash
# Every test: the notebooks' first cell compiled and timed, then the Rust test suite and, beside
# it, every notebook executed under the evcxr kernel in quick mode (small images, few steps; the
# notebooks' text is not changed), then the browser check. Tests that skip (no real
# weights, no PyTorch) are listed at the end: cargo hides a passing test's output.
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
if ! have_weights; then
  echo "notebooks: no VGG weights (set NST_WEIGHTS)" >>"$skipped"
  cargo test --locked
  exit 0
fi
# The README's notebook set-up step: compiles the library for the kernel (the cold first cell),
# then the same cell again (the warm one a student meets); both times printed. Alone, so that
# its times are the machine's.
python3 nst_lib/scripts/first_cell.py --times 2
# The notebooks then run beside the Rust tests: the kernel compiles each cell on one core, so
# the tests' build and runs take the other (in sequence, in the CI run of 2026-12-06, the tests
# took about 13 minutes and the notebooks 10). Their report is printed once the tests are done.
notebooks_log=target/tmp/notebooks.log
start=$(date +%s)
NST_QUICK=1 python3 nst_lib/scripts/run_notebooks.py >"$notebooks_log" 2>&1 &
notebooks=$!
# If the tests fail: the runner shuts its kernels down on SIGTERM; then its report so far.
stop_notebooks() {
  { kill -TERM "$notebooks" 2>/dev/null && wait "$notebooks" 2>/dev/null; } || true
  cat "$notebooks_log" || true
  summary
}
trap stop_notebooks EXIT
cargo test --locked
notebooks_ok=0
wait "$notebooks" || notebooks_ok=$?
trap summary EXIT
cat "$notebooks_log"
echo "Rust tests and notebooks took $(( $(date +%s) - start )) s"
if [ "$notebooks_ok" != 0 ]; then
  echo "the notebooks failed (run_notebooks.py exited with $notebooks_ok)" >&2
  exit 1
fi
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

"""Execute every notebook in notebooks/ with the evcxr (Rust) kernel and check the result.

    pip install nbclient nbformat          # plus evcxr_jupyter, see the README
    NST_QUICK=1 python3 nst_lib/scripts/run_notebooks.py [NOTEBOOK ...]

Fails when a committed notebook contains outputs, when a cell raises an error, or when a
notebook shows no image. Executed copies go to target/notebooks/ for inspection.
NST_QUICK=1 makes the library shrink every run (64 px, 8 steps) without touching the notebooks.
"""
import datetime, glob, json, os, sys, time

import nbformat
from nbclient import NotebookClient

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NB_DIR = os.path.join(ROOT, "notebooks")
OUT_DIR = os.path.join(ROOT, "target", "notebooks")


def has_image(cell):
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if "image/png" in data or "image/svg+xml" in data:
            return True
        html = data.get("text/html", "")
        html = "".join(html) if isinstance(html, list) else html
        if "<img" in html or "<svg" in html:
            return True
    return False


def cell_seconds(cell):
    t = cell.get("metadata", {}).get("execution", {})
    try:
        a, b = (datetime.datetime.fromisoformat(t[k].replace("Z", "+00:00")) for k in ("iopub.execute_input", "shell.execute_reply"))
        return (b - a).total_seconds()
    except (KeyError, ValueError):
        return float("nan")


def errors(cell):
    # evcxr reports compile errors as `error` outputs, and the Err of a `?` in a cell on stderr.
    found = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            found.append(f"{out.get('ename')}: {out.get('evalue')}")
        elif out.get("output_type") == "stream" and out.get("name") == "stderr":
            text = out.get("text", "")
            found.append(("".join(text) if isinstance(text, list) else text).strip()[:500])
    return found


def main(paths):
    # The front door first: its first cell then shows the cold start (compiling the library).
    paths = paths or sorted(glob.glob(os.path.join(NB_DIR, "*.ipynb")), key=lambda p: (not p.endswith("style_transfer.ipynb"), p))
    os.makedirs(OUT_DIR, exist_ok=True)
    failures, passed = [], 0
    for path in paths:
        name = os.path.basename(path)
        nb = nbformat.read(path, as_version=4)
        committed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
        if committed:
            failures.append(f"{name}: committed with outputs in cells {committed} (clear them before committing)")
            continue
        client = NotebookClient(nb, kernel_name="rust", timeout=3600, allow_errors=True,
                                resources={"metadata": {"path": NB_DIR}})
        start = time.time()
        try:
            client.execute()
        except Exception as e:  # a dead kernel or a timeout
            failures.append(f"{name}: execution failed: {e}")
            continue
        seconds = time.time() - start
        nbformat.write(nb, os.path.join(OUT_DIR, name))
        code = [c for c in nb.cells if c.cell_type == "code"]
        errs = [f"cell {i}: {e}" for i, c in enumerate(code) for e in errors(c)]
        images = sum(has_image(c) for c in code)
        first = " ".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"]) for o in code[0].get("outputs", []))
        print(f"{name}: {seconds:.0f} s in all, first cell {cell_seconds(code[0]):.0f} s; {len(code)} code cells, "
              f"{images} with pictures; first cell says: {first.strip()!r}", flush=True)
        if errs:
            failures.append(f"{name}: errors: " + "; ".join(errs))
        elif images == 0:
            failures.append(f"{name}: no image in any output")
        elif "debug assertions off" not in first:
            failures.append(f"{name}: the library was compiled with debug assertions (slow): {first!r}")
        else:
            passed += 1
    for f in failures:
        print("FAIL", f, flush=True)
    print(f"notebooks: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Run the front door's first cell in the evcxr kernel, once or more, and time it.

The first cell compiles the library for the kernel. Run once after installing evcxr (the
README's set-up does), it fills `target/evcxr` (see notebooks/evcxr.toml), so a student's
first cell then takes seconds instead of minutes.

    python3 nst_lib/scripts/first_cell.py            # prebuild (and time) the first cell
    python3 nst_lib/scripts/first_cell.py --times 3  # then twice more: the warm time

Prints, per run, the cell's own time (what the student waits after pressing Shift-Enter) and
the kernel's start-up time, and what the cell printed. Exits non-zero when the cell fails.
"""
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NB_DIR = os.path.join(ROOT, "notebooks")
FRONT_DOOR = os.path.join(NB_DIR, "style_transfer.ipynb")


def first_code_cell(path):
    import nbformat
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    nb.cells = [cell]
    return nb


def run_once():
    """(kernel start-up seconds, cell seconds, printed text, error text or None)."""
    from nbclient import NotebookClient
    nb = first_code_cell(FRONT_DOOR)
    client = NotebookClient(nb, kernel_name="rust", timeout=3600, allow_errors=True,
                            resources={"metadata": {"path": NB_DIR}})
    start = time.time()
    with client.setup_kernel():
        ready = time.time()
        client.execute_cell(nb.cells[0], 0)
        done = time.time()
    outs = nb.cells[0].get("outputs", [])
    # stdout only: on a cold start stderr carries cargo's "Compiling ..." lines.
    text = "".join(o.get("text", "") for o in outs if o.get("output_type") == "stream" and o.get("name") == "stdout")
    errors = [o for o in outs if o.get("output_type") == "error"]
    error = "\n".join(f"{e.get('ename')}: {e.get('evalue')}" for e in errors) or None
    return ready - start, done - ready, text, error


def main(args):
    times = int(args[args.index("--times") + 1]) if "--times" in args else 1
    for i in range(times):
        startup, cell, text, error = run_once()
        print(f"run {i + 1}: first cell {cell:.1f} s (kernel start-up {startup:.1f} s)", flush=True)
        print("  " + text.strip().replace("\n", "\n  "), flush=True)
        if error:
            print(f"FAIL the first cell failed: {error}", flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

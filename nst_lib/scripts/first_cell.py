#!/usr/bin/env python3
"""Run the front door's first cell in the evcxr kernel, once or more, and time it.

The first cell compiles the library for the kernel. Run once after installing evcxr (the
README's set-up does), it fills `target/evcxr` (see notebooks/evcxr.toml), so a student's
first cell then takes seconds instead of minutes.

    python3 nst_lib/scripts/first_cell.py            # prebuild (and time) the first cell
    python3 nst_lib/scripts/first_cell.py --times 3  # then twice more: the warm time
    python3 nst_lib/scripts/first_cell.py --cold     # the three cases below, each timed

The kernel also keeps every compiled dependency but the library in evcxr's cache (~/.cache/evcxr
on Linux, notebooks/evcxr.toml), keyed with this folder's path, so a first cell comes in three
kinds: nothing compiled (a new machine, or a copy of the project in another folder: what the
set-up step pays), this folder after `cargo clean` (`target/evcxr` empty, the cache filled: the
library alone is compiled), and warm. `--cold` times the first two with a cache of the kernel's
own in a temporary folder (XDG_CACHE_HOME, where evcxr looks on Linux), so the user's cache is
neither used nor changed, and checks that the second build took back from the cache every crate
the first put there; it empties `target/evcxr` and leaves it built. Then the warm cell once, or
N times with `--times N`.

Prints, per run, the cell's own time (what the student waits after pressing Shift-Enter) and
the kernel's start-up time, and what the cell printed. Exits non-zero when the cell fails.
"""
import os
import shutil
import sys
import tempfile
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


def report(label, run):
    startup, cell, text, error = run
    print(f"{label}: first cell {cell:.1f} s (kernel start-up {startup:.1f} s)", flush=True)
    print("  " + text.strip().replace("\n", "\n  "), flush=True)
    if error:
        print(f"FAIL the first cell failed: {error}", flush=True)
        return False
    return True


def cache_entries(cache):
    """{entry folder: (crate name, hits)} for every crate in evcxr's cache under `cache`."""
    root = os.path.join(cache, "evcxr")
    out = {}
    for name in os.listdir(root) if os.path.isdir(root) else []:
        try:
            with open(os.path.join(root, name, "meta")) as f:
                args = f.read().split("\n")
            with open(os.path.join(root, name, "hits")) as f:
                hits = int(f.read())
        except (OSError, ValueError):
            continue
        crate = args[args.index("--crate-name") + 1] if "--crate-name" in args else "?"
        # autocfg's probes: throw-away programs a build script compiles to test the compiler.
        if not crate.startswith("autocfg_"):
            out[name] = (crate, hits)
    return out


def check_cache(first, second):
    """The second build took back from the cache every crate the first one put there (its hits
    counted up), candle-core among them, and put nothing new there: only the library was
    compiled."""
    missed = sorted(c for k, (c, hits) in first.items() if second.get(k, (c, 0))[1] <= hits)
    added = sorted(c for k, (c, _) in second.items() if k not in first)
    print(f"evcxr's cache: {len(first) - len(missed)} of the {len(first)} compiled crates and build "
          "scripts the first build put there taken back by the second", flush=True)
    problems = []
    if "candle_core" not in [c for c, _ in first.values()]:
        problems.append("candle-core is not in the cache (.cargo/config.toml: incremental = false?)")
    if missed:
        problems.append(f"not taken from the cache: {', '.join(missed)}")
    if added:
        problems.append(f"compiled again and kept: {', '.join(added)}")
    for p in problems:
        print(f"FAIL {p}", flush=True)
    return not problems


def cold_runs():
    """The two cold first cells, each after emptying target/evcxr: with an empty evcxr cache, then
    with the one that run filled. The cache is a temporary folder, removed afterwards."""
    build = os.path.join(ROOT, "target", "evcxr")
    cache = tempfile.mkdtemp(prefix="evcxr-cache-")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = cache
    try:
        kept = []
        for label in ["nothing compiled (a new machine)",
                      "this folder after `cargo clean`, evcxr's cache filled"]:
            shutil.rmtree(build, ignore_errors=True)
            if not report(label, run_once()):
                return False
            kept.append(cache_entries(cache))
        return check_cache(*kept)
    finally:
        if before is None:
            del os.environ["XDG_CACHE_HOME"]
        else:
            os.environ["XDG_CACHE_HOME"] = before
        shutil.rmtree(cache, ignore_errors=True)


def main(args):
    cold = "--cold" in args
    if cold and not sys.platform.startswith("linux"):
        # Elsewhere evcxr's cache is not under XDG_CACHE_HOME: the user's own would be used.
        print("FAIL --cold needs Linux (it points evcxr's cache at a temporary folder)", flush=True)
        return 2
    times = int(args[args.index("--times") + 1]) if "--times" in args else 1
    if cold and not cold_runs():
        return 1
    for i in range(times):
        if not report("warm" if cold else f"run {i + 1}", run_once()):
            return 1
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

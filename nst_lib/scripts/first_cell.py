#!/usr/bin/env python3
"""Run the front door's first cell in the evcxr kernel, once or more, and time it.

The first cell compiles the library for the kernel. Run once after installing evcxr (the
README's set-up does), it fills `notebooks/.evcxr` (see notebooks/evcxr.toml), so a student's
first cell then takes seconds instead of minutes.

    python3 nst_lib/scripts/first_cell.py            # prebuild (and time) the first cell
    python3 nst_lib/scripts/first_cell.py --times 3  # then twice more: the warm time
    python3 nst_lib/scripts/first_cell.py --cold     # the cases below, each timed

The kernel also keeps every compiled dependency but the library in evcxr's cache (in ~/.cache/evcxr
on Linux; notebooks/evcxr.toml turns it on), so a first cell comes in four kinds: nothing compiled (a new
machine: what the set-up step pays); a copy of the project in another folder (the library and
the vendored candle-core, image and gemm, whose source path is part of their cache key, are compiled); this folder with its
build folder deleted (the library alone); and warm. `--cold` times the first three with a cache
of the kernel's own in a temporary folder (XDG_CACHE_HOME, where evcxr looks on Linux), so the
user's cache is neither used nor changed, and checks what each build took back from the cache
and put there. It deletes `notebooks/.evcxr` and leaves it built. Then the warm cell once, or N
times with `--times N`.

Prints, per run, the cell's own time (what the student waits after pressing Shift-Enter) and
the kernel's start-up time, and what the cell printed. Exits non-zero when the cell fails.
"""
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The kernel's build folder (notebooks/evcxr.toml).
BUILD = os.path.join(ROOT, "notebooks", ".evcxr")
# The crates in .vendor/ (nst_lib/scripts/vendor.py), as rustc names them: a copy of the project
# in another folder compiles them again.
VENDORED = ("candle_core", "gemm", "image")


def first_code_cell(path):
    import nbformat
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    nb.cells = [cell]
    return nb


def run_once(root):
    """The first cell in a new kernel in the project at `root`: (kernel start-up seconds, cell
    seconds, printed text, error text or None)."""
    from nbclient import NotebookClient
    nb_dir = os.path.join(root, "notebooks")
    nb = first_code_cell(os.path.join(nb_dir, "style_transfer.ipynb"))
    client = NotebookClient(nb, kernel_name="rust", timeout=3600, allow_errors=True,
                            resources={"metadata": {"path": nb_dir}})
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


def check_build(label, first, before, after, elsewhere):
    """What one build after the first took back from the cache (hits counted up from `before`)
    and put there: in this folder every crate the first build put there and nothing new; in
    another folder the same but the vendored crates (.vendor/), whose source path is part of
    their key, compiled and put there once more."""
    skip = VENDORED if elsewhere else ()
    missed = sorted(c for k, (c, _) in first.items()
                    if c not in skip and after.get(k, (c, 0))[1] <= before.get(k, (c, 0))[1])
    added = sorted(c for k, (c, _) in after.items() if k not in before)
    wanted = len([c for c, _ in first.values() if c not in skip])
    which = " (all but the vendored " + ", ".join(skip) + ")" if skip else ""
    print(f"evcxr's cache, {label}: {wanted - len(missed)} of the first build's {wanted} compiled "
          f"crates and build scripts{which} taken back; compiled and added: {', '.join(added) or 'nothing'}",
          flush=True)
    problems = [f"{label}: not taken from the cache: {', '.join(missed)}"] if missed else []
    if added != sorted(skip):
        problems.append(f"{label}: added {added or 'nothing'}, expected {list(skip) or 'nothing'}")
    return problems


def copy_elsewhere():
    """The project's sources in a new temporary folder: no build folders, history, weights (the
    kernels find this folder's through NST_WEIGHTS_DIR), results or executed copies."""
    dest = os.path.join(tempfile.mkdtemp(prefix="nst-copy-"), "project")
    skip = shutil.ignore_patterns("target", ".git", ".evcxr", "docs", "weights", "results",
                                  ".ipynb_checkpoints", "__pycache__")
    shutil.copytree(ROOT, dest, ignore=skip)
    return dest


def cold_runs():
    """The three cold first cells, with a cache of the kernel's own (a temporary folder): nothing
    compiled, a copy of the project in another folder, this folder with its build folder deleted;
    then checks what each took from the cache. Temporary folders are removed afterwards."""
    cache = tempfile.mkdtemp(prefix="evcxr-cache-")
    before = {k: os.environ.get(k) for k in ["XDG_CACHE_HOME", "NST_WEIGHTS_DIR"]}
    os.environ["XDG_CACHE_HOME"] = cache
    # The copy has no weights/: its kernel looks in this folder's, like the others.
    os.environ.setdefault("NST_WEIGHTS_DIR", os.path.join(ROOT, "weights"))
    copy = None
    try:
        shutil.rmtree(BUILD, ignore_errors=True)
        if not report("nothing compiled (a new machine)", run_once(ROOT)):
            return False
        first = cache_entries(cache)
        copy = copy_elsewhere()
        if not report("a copy in another folder, evcxr's cache filled", run_once(copy)):
            return False
        second = cache_entries(cache)
        shutil.rmtree(BUILD, ignore_errors=True)
        if not report("this folder, notebooks/.evcxr deleted, evcxr's cache filled", run_once(ROOT)):
            return False
        third = cache_entries(cache)
        cached = [c for c, _ in first.values()]
        problems = [f"{c} is not in the cache (.cargo/config.toml: incremental = false?)"
                    for c in VENDORED if c not in cached]
        problems += check_build("the copy elsewhere", first, first, second, elsewhere=True)
        problems += check_build("this folder", first, second, third, elsewhere=False)
        for p in problems:
            print(f"FAIL {p}", flush=True)
        return not problems
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(cache, ignore_errors=True)
        if copy:
            shutil.rmtree(os.path.dirname(copy), ignore_errors=True)


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
        if not report("warm" if cold else f"run {i + 1}", run_once(ROOT)):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

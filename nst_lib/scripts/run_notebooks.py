"""Execute every notebook in notebooks/ with the evcxr (Rust) kernel and check the result.

    pip install nbclient nbformat          # plus evcxr_jupyter, see the README
    NST_QUICK=1 python3 nst_lib/scripts/run_notebooks.py [NOTEBOOK ...]
                    # a path, or a bare name (vgg_tour or vgg_tour.ipynb) from notebooks/

    python3 nst_lib/scripts/run_notebooks.py --check target/notebooks/*.ipynb   # check executed copies
                    # (a bare name: the executed copy in target/notebooks/)

    python3 nst_lib/scripts/run_notebooks.py --docs [NOTEBOOK ...]

--docs executes the notebooks at their real settings (NST_QUICK must be unset) and keeps the
executed copies, outputs included, in docs/notebooks/ (each must stay under 3 MB), with
docs/notebooks/README.md listing how long each took on this machine.

Checks what a student sees, and fails when:
  - there is no notebook, or a committed notebook contains outputs;
  - a cell raises an error or writes to stderr;
  - a cell tagged "picture" (cell metadata) shows no PNG picture, or a notebook has no such cell;
  - a cell tagged "result" shows no result block (pictures captioned "output" and "content"
    and/or "style");
  - any picture shown does not decode, is constant (blank, all black) or mostly saturated (0 or
    255; unless its caption names a mask, black and white by design);
  - a result block's output is not a result, judged here with the VGG weights of NST_WEIGHTS
    (PyTorch; the distances of nst_lib::metrics, computed independently): it must differ from
    the photo and from the painting, be nearer the photo than noise is and than the painting is
    (content distance), and nearer the painting's style than the photo is (style distance); a
    reconstruction nearer its photo, a texture nearer its painting's style than noise is;
  - a printed "loss A -> B" (or "A → B") line has B >= A: every run shown must lower its loss;
  - a printed check "...: X (... below B)" has X >= B (e.g. the Gram matrix check);
  - the library was compiled with debug assertions (slow);
  - a live view (an <iframe> of the page the kernel serves, `data-nst-live`) is left in an
    executed copy: the runner puts in its place the page's last picture, fetched while the
    kernel still runs, since a copy read later has no kernel behind it.
Executed copies go to target/notebooks/ for inspection. NST_QUICK=1 makes the library shrink
every run (64 px, 8 steps) without touching the notebooks.
"""
import base64, datetime, glob, io, json, os, re, sys, time, urllib.request

import numpy as np
from PIL import Image
import nbformat

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NB_DIR = os.path.join(ROOT, "notebooks")
OUT_DIR = os.path.join(ROOT, "target", "notebooks")
DOCS_DIR = os.path.join(ROOT, "docs", "notebooks")
DOCS_MAX_BYTES = 3 * 1024 * 1024


def text_of(v):
    return "".join(v) if isinstance(v, list) else (v or "")


FIGURE = re.compile(r'<figure[^>]*>\s*<img src="data:image/(?:png|jpeg);base64,([^"]+)"[^>]*>\s*<figcaption[^>]*>(.*?)</figcaption>', re.S)
BARE_PNG = re.compile(r'data:image/(?:png|jpeg);base64,([^"\')\s]+)')
LOSS = re.compile(r"loss ([-+0-9.eE]+|NaN|inf) (?:->|→) ([-+0-9.eE]+|NaN|inf)")
BOUND = re.compile(r":\s*([-+0-9.eE]+)\s*\([^()]*below ([-+0-9.eE]+)\)")
LIVE = re.compile(r'data-nst-live(?:-still)?="(http://127\.0\.0\.1:\d+/)"')


def stills_of_live_views(nb, upto):
    """Put in place of each live view shown so far (in cells 0..upto) the last picture its page
    shows, with the step: called after every cell, while the kernel and its page are alive."""
    for cell in nb.cells[: upto + 1]:
        for out in cell.get("outputs", []):
            html = text_of(out.get("data", {}).get("text/html", ""))
            m = LIVE.search(html)
            if not m:
                continue
            url = m.group(1)
            try:
                png = urllib.request.urlopen(url + "frame.png", timeout=10).read()
                state = json.loads(urllib.request.urlopen(url + "state.json", timeout=10).read())
            except Exception:  # noqa: BLE001 - no picture yet (or the page has gone): keep what is there
                continue
            b64 = base64.b64encode(png).decode()
            out["data"]["text/html"] = (
                f'<div data-nst-live-still="{url}" style="font:13px sans-serif"><img src="data:image/png;base64,{b64}" '
                f'style="max-width:320px"><br>The live view as it last showed (step {state["step"]} of {state["steps"]}). '
                "When you run the notebook, this frame shows the picture while it forms.</div>")


def pictures(cell):
    """(caption or None, RGB array or an error string) for every PNG a cell shows."""
    found = []
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if "image/png" in data:
            found.append((None, text_of(data["image/png"])))
        html = text_of(data.get("text/html", ""))
        captioned = FIGURE.findall(html)
        found += [(re.sub(r"<[^>]+>", "", cap).strip(), b64) for b64, cap in captioned]
        seen = {b64 for b64, _ in captioned}
        found += [(None, b64) for b64 in BARE_PNG.findall(html) if b64 not in seen]
    decoded = []
    for cap, b64 in found:
        try:
            img = np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB"), dtype=np.float64)
        except Exception as e:  # noqa: BLE001 - any decoding failure is a broken picture
            img = f"does not decode: {e}"
        decoded.append((cap, img))
    return decoded


def picture_problems(cell):
    """What is wrong with the pictures a cell shows (empty list: nothing)."""
    problems, by_caption = [], {}
    for cap, img in pictures(cell):
        name = repr(cap) if cap else "a picture"
        if isinstance(img, str):
            problems.append(f"{name} {img}")
            continue
        by_caption[cap] = img
        if img.std() < 2.0:
            problems.append(f"{name} is constant (mean {img.mean():.0f}): blank or black")
        elif np.mean((img == 0) | (img == 255)) > 0.5 and "mask" not in (cap or "").lower():
            problems.append(f"{name} is mostly saturated (pixels at 0 or 255)")
    if is_result_block(by_caption):
        problems += result_problems(by_caption)
    return problems


def is_result_block(captions):
    return "output" in captions and ("content" in captions or "style" in captions)


def resized(img, shape):
    return np.asarray(Image.fromarray(img.astype(np.uint8)).resize((shape[1], shape[0]), Image.BICUBIC), dtype=np.float64)


class Judge:
    """VGG features of the weights in NST_WEIGHTS, with PyTorch: the content distance
    (relu4_2) and the style distance (mean over relu1_1 ... relu5_1 of the relative Gram error)
    of nst_lib::metrics, computed here independently of the library."""

    def __init__(self, path):
        import torch
        from safetensors import safe_open
        from safetensors.torch import load_file
        self.torch = torch
        with safe_open(path, "pt") as fh:
            self.caffe = (fh.metadata() or {}).get("nst.flavour", "caffe" if "caffe" in path.lower() else "torchvision") == "caffe"
        self.w = load_file(path)
        self.convs = sorted({int(k.split(".")[1]) for k in self.w if k.startswith("features.")})

    def features(self, img):
        torch, F = self.torch, self.torch.nn.functional
        x = torch.from_numpy(img / 255.0).float().permute(2, 0, 1)[None]
        if self.caffe:
            x = (x * 255.0)[:, [2, 1, 0]] - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
        else:
            x = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        out, block, i = {}, 1, 1
        with torch.no_grad():
            for k, n in enumerate(self.convs):
                x = F.relu(F.conv2d(x, self.w[f"features.{n}.weight"], self.w[f"features.{n}.bias"], padding=1))
                out[f"relu{block}_{i}"] = x
                if k + 1 < len(self.convs) and self.convs[k + 1] - n == 3:  # a pooling between
                    x, block, i = F.max_pool2d(x, 2), block + 1, 1
                else:
                    i += 1
        return out

    def content(self, out, photo):
        a, b = self.features(out)["relu4_2"], self.features(photo)["relu4_2"]
        return float(((a - b) ** 2).sum() / (b ** 2).sum())

    def style(self, out, painting):
        fo, fs = self.features(out), self.features(painting)
        def gram(f):
            f = f[0].flatten(1)
            return f @ f.t() / f.shape[1]
        layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
        return sum(float(((gram(fo[l]) - gram(fs[l])) ** 2).sum() / (gram(fs[l]) ** 2).sum()) for l in layers) / len(layers)


JUDGE = []


def judge():
    """The Judge, or None without weights or PyTorch: said once, and listed with the suite's
    skipped tests (NST_REQUIRE_PYTORCH=1, as .ci/run sets when it installed PyTorch, makes a
    missing PyTorch a failure)."""
    if not JUDGE:
        path, why = os.environ.get("NST_WEIGHTS", ""), None
        try:
            JUDGE.append(Judge(path) if path.endswith(".safetensors") else None)
            if JUDGE[0] is None:
                why = "NST_WEIGHTS is not a .safetensors file"
        except ImportError as e:
            if os.environ.get("NST_REQUIRE_PYTORCH") == "1":
                raise
            JUDGE.append(None)
            why = f"{e} (pip install torch safetensors)"
        if why:
            line = f"notebooks: result blocks not judged by their VGG distances: {why}"
            print("SKIPPED " + line, flush=True)
            os.makedirs(os.path.join(ROOT, "target", "tmp"), exist_ok=True)
            open(os.path.join(ROOT, "target", "tmp", "skipped.log"), "a").write(line + "\n")
    return JUDGE[0]


def result_problems(pics):
    """What says that a result block's output is not a result (see the module's docstring)."""
    out, photo, painting = pics["output"], pics.get("content"), pics.get("style")
    problems = []
    # Measured at the photo's size (or the output's, for a texture).
    shape = photo.shape if photo is not None else out.shape
    out = resized(out, shape)
    painting_here = resized(painting, shape) if painting is not None else None
    if photo is not None and np.abs(out - photo).mean() < 2.0:
        problems.append("the output is the content picture: the run changed nothing")
    if painting_here is not None and np.abs(out - painting_here).mean() < 2.0:
        problems.append("the output is the style picture")
    j = judge()
    if j is None or problems:
        return problems
    # Measured in quick mode (64 px, 8 steps; chelsea + The Starry Night): content 0.23 against
    # the painting's 1.42 and noise's 1.21; style 0.60 against the photo's 0.89 and noise's 0.71;
    # a reconstruction 0.59 against noise's 1.21; a texture 0.66 against noise's 17.7.
    noise = np.random.default_rng(0).uniform(0, 255, shape)
    if photo is not None:
        d, d_noise = j.content(out, photo), j.content(noise, photo)
        if not d < 0.75 * d_noise:
            problems.append(f"the output is no nearer the photo than noise (content distance {d:.3f}, noise {d_noise:.3f})")
        if painting_here is not None and not d < j.content(painting_here, photo):
            problems.append(f"the output keeps less of the photo than the painting does (content distance {d:.3f})")
    if painting is not None:
        d = j.style(out, painting)
        if photo is not None:
            # It started at the photo (or noise): it must have moved towards the painting's style.
            d_photo = j.style(photo, painting)
            if not d < d_photo:
                problems.append(f"the output is no nearer the painting's style than the photo (style distance {d:.3f}, photo {d_photo:.3f})")
        else:
            d_noise = j.style(noise, painting)
            if not d < 0.5 * d_noise:
                problems.append(f"the texture is no nearer the painting's style than noise (style distance {d:.3f}, noise {d_noise:.3f})")
    return problems


def printed(cell):
    """Everything a cell printed or displayed as text (HTML tags removed)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            parts.append(text_of(out.get("text")))
        data = out.get("data", {})
        parts.append(text_of(data.get("text/plain", "")))
        parts.append(re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", " ", text_of(data.get("text/html", "")), flags=re.S)))
    return "\n".join(parts)


def claim_problems(cell):
    """Printed numbers that contradict what they claim: a loss that did not fall, a bound exceeded."""
    problems, text = [], printed(cell)
    for a, b in LOSS.findall(text):
        if not float(b) < float(a):
            problems.append(f"loss {a} -> {b} did not fall")
    for x, bound in BOUND.findall(text):
        if not float(x) < float(bound):
            problems.append(f"{x} is not below its stated bound {bound}")
    return problems


def check(name, nb):
    """Problems in an executed notebook, and a one-line summary."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    problems = [f"cell {i}: {e}" for i, c in enumerate(code) for e in errors(c)]
    tagged = [i for i, c in enumerate(code) if "picture" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        problems.append('no cell is tagged "picture": tag the cells that show pictures (cell metadata)')
    for i in tagged:
        if not pictures(code[i]):
            problems.append(f"cell {i} should show a picture and shows none")
    for i, c in enumerate(code):
        if "result" in c.get("metadata", {}).get("tags", []):
            if not is_result_block({cap for cap, _ in pictures(c)}):
                problems.append(f"cell {i} should show a result block (content | style | output) and does not")
    for i, c in enumerate(code):
        problems += [f"cell {i}: {p}" for p in picture_problems(c) + claim_problems(c)]
        htmls = [text_of(o.get("data", {}).get("text/html", "")) for o in c.get("outputs", [])]
        if any('data-nst-live="' in h for h in htmls):
            problems.append(f"cell {i}: a live view with no picture in its place (did the run show no step?)")
    first = text_of(code[0].get("outputs", [{}])[0].get("text", "")) if code and code[0].get("outputs") else ""
    if "debug assertions off" not in first:
        problems.append(f"the library was compiled with debug assertions (slow): {first.strip()!r}")
    n_pics = sum(len(pictures(c)) for c in code)
    n_claims = sum(len(LOSS.findall(printed(c))) + len(BOUND.findall(printed(c))) for c in code)
    n_results = sum(1 for c in code if is_result_block({cap for cap, _ in pictures(c)}))
    summary = (f"{len(code)} code cells, {len(tagged)} picture cells, {n_pics} pictures, {n_results} result blocks judged, "
               f"{n_claims} printed claims checked")
    return problems, summary, first


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


def machine():
    """One line about the machine: CPU model, cores, load."""
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, no GPU used, load average {os.getloadavg()[0]:.1f} at the end"


def write_docs_index(rows):
    """docs/notebooks/README.md: each executed notebook, its time and size."""
    lines = [
        "# The notebooks, executed",
        "",
        "Each notebook of `notebooks/` run at its real settings with the real VGG16 weights, outputs kept,",
        "so you can read the results before installing anything. Made by",
        "`python3 nst_lib/scripts/run_notebooks.py --docs` on " + datetime.date.today().isoformat() + ";",
        "machine: " + machine() + ".",
        "",
        "| notebook | time to run | size |",
        "|---|---|---|",
    ]
    old = {}
    index = os.path.join(DOCS_DIR, "README.md")
    if os.path.exists(index):  # keep the rows of notebooks not run this time
        for line in open(index):
            m = re.match(r"\| \[(\S+)\]\(\S+\) \|", line)
            if m:
                old[m.group(1)] = line.rstrip("\n")
    for name, seconds, size in rows:
        old[name] = f"| [{name}]({name}) | {seconds / 60:.1f} min | {size / 1e6:.1f} MB |"
    lines += [old[k] for k in sorted(old)]
    open(index, "w").write("\n".join(lines) + "\n")


def main(args):
    check_only = bool(args) and args[0] == "--check"
    docs = bool(args) and args[0] == "--docs"
    paths = args[1:] if check_only or docs else args
    if docs and os.environ.get("NST_QUICK", "") not in ("", "0"):
        print("FAIL --docs runs the real settings: unset NST_QUICK", flush=True)
        return 1
    out_dir = DOCS_DIR if docs else OUT_DIR
    doc_rows = []
    # The front door first: its first cell then shows the cold start (compiling the library).
    paths = paths or sorted(glob.glob(os.path.join(NB_DIR, "*.ipynb")), key=lambda p: (not p.endswith("style_transfer.ipynb"), p))
    if not paths:
        print("FAIL no notebook found", flush=True)
        return 1
    # A bare name means the notebook of that name in notebooks/ (an executed copy for --check).
    home = OUT_DIR if check_only else NB_DIR
    bare = lambda p: p if p.endswith(".ipynb") else p + ".ipynb"
    paths = [p if os.path.exists(p) or os.sep in p else os.path.join(home, bare(p)) for p in paths]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        print(f"FAIL no such notebook: {', '.join(missing)}", flush=True)
        return 1
    os.makedirs(out_dir, exist_ok=True)
    failures, passed = [], 0
    for path in paths:
        name = os.path.basename(path)
        nb = nbformat.read(path, as_version=4)
        start = time.time()
        if not check_only:
            committed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
            if committed:
                failures.append(f"{name}: committed with outputs in cells {committed} (clear them before committing)")
                continue
            from nbclient import NotebookClient
            # coalesce_streams: keep each cell's printed text as Jupyter shows it live (one
            # stream, "\r" applied), so the progress line stays one line in executed copies.
            client = NotebookClient(nb, kernel_name="rust", timeout=3600, allow_errors=True,
                                    coalesce_streams=True, resources={"metadata": {"path": NB_DIR}},
                                    on_cell_executed=lambda cell, cell_index, **_: stills_of_live_views(nb, cell_index))
            try:
                client.execute()
            except Exception as e:  # a dead kernel or a timeout
                failures.append(f"{name}: execution failed: {e}")
                continue
            nbformat.write(nb, os.path.join(out_dir, name))
        seconds = time.time() - start
        if docs:
            size = os.path.getsize(os.path.join(out_dir, name))
            if size > DOCS_MAX_BYTES:
                failures.append(f"{name}: the executed copy is {size / 1e6:.1f} MB, over 3 MB: show smaller pictures")
            doc_rows.append((name, seconds, size))
        problems, summary, first = check(name, nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        print(f"{name}: {seconds:.0f} s in all, first cell {cell_seconds(code[0]):.0f} s; {summary}; "
              f"first cell says: {first.strip()!r}", flush=True)
        if problems:
            failures.append(f"{name}: " + "; ".join(problems))
        else:
            passed += 1
    if docs and doc_rows:
        write_docs_index(doc_rows)
    for f in failures:
        print("FAIL", f, flush=True)
    print(f"notebooks: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    # Stopped from outside (a CI's time limit, say): unwind, so that each open kernel is shut
    # down rather than left compiling.
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Quality benchmark: how much of the photo the default settings keep and how well they match the
style, next to PyTorch on the same pairs, sizes and steps.

The grid: the 4 photos in img/content x 2 paintings + 2 textures at 256 px (300 steps), plus four
pairs (two paintings, two textures) at 512 px. For every pair it runs the release `nst` binary with
its defaults and prints the fidelity measure of the run (the library's `metrics`: content distance
at relu4_2, style distance at each of relu1_1..relu5_1, their mean, and the mean at half size;
lower is better on all).

With PyTorch importable (pip install torch torchvision safetensors pillow) and ../shared/bench
beside the project, it also runs the reference `gatys_ref.py --wolfe` (jcjohnson/neural-style's
settings: content 5, style 100, TV 1e-3) on the same pair, size and steps, scores both pictures
with the independent `fidelity.py` (each at its own size; per layer and at half size as its --detail),
and prints the ratios ours/PyTorch with the verdict of the quality rule (RULE below): content
<= 1.25x PyTorch's, style at relu3_1 <= 2x, at relu4_1 <= 1.5x, at half size <= 1x, mean <= 1x. PyTorch's pictures
are kept in nst_lib/benches/pytorch (committed: commit new ones), keyed by the inputs' bytes, size,
steps, weights and the script, so a rerun costs only our side (ours are cached under
target/quality, keyed by the `nst` binary itself). Writes a contact sheet (content | style | ours | PyTorch).

Needs the real VGG16: NST_WEIGHTS, or ../shared/weights/vgg16-imagenet-caffe.safetensors.
Usage: python3 nst_lib/scripts/quality_bench.py [--quick] [--only PATTERN] [--torch-only]
                                                [--sheet img/gallery/quality_sheet.jpg] [-- NST ARGS]
  --quick       64 px, 20 steps: checks that the script works, says nothing about quality
  --only P      only pairs whose name contains P (e.g. --only starry)
  --torch-only  fill PyTorch's cache and stop
  --ours-only   fill our cache and stop (the two can run side by side)
  --cached-only score the pairs both caches hold, run nothing
  after --      extra arguments for every `nst` run (e.g. -- --strength 2)
"""
import argparse, glob, hashlib, json, os, subprocess, sys, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCH = os.path.abspath(os.path.join(ROOT, "..", "shared", "bench"))
# NST_BIN: a copy of the binary, so that rebuilding target/ during a long bench changes nothing.
NST = os.environ.get("NST_BIN") or os.path.join(ROOT, "target", "release", "nst")
CACHE = os.path.join(ROOT, "target", "quality")
# PyTorch's pictures are committed (a 256 px run takes 2-10 minutes on 2 cores): the name holds a
# key of everything that made them, so a changed input, script or setting makes a new one.
TORCH_REFS = os.path.join(ROOT, "nst_lib", "benches", "pytorch")

CONTENTS = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"]
STYLES = ["starry_night.jpg", "shipwreck.jpg", "brick.png", "grass.png"]
GRID = [(c, s, 256, 300) for c in CONTENTS for s in STYLES] + [
    ("chelsea.png", "starry_night.jpg", 512, 300),
    ("astronaut.png", "brick.png", 512, 300),
    ("coffee.png", "shipwreck.jpg", 512, 300),
    ("rocket.jpg", "grass.png", 512, 300),
]
# jcjohnson/neural-style's defaults, gatys_ref.py's own defaults.
TORCH_ENV = {"CW": "5", "SW": "100", "TVW": "1e-3"}


def weights_path():
    w = os.environ.get("NST_WEIGHTS") or os.path.join(ROOT, "..", "shared", "weights", "vgg16-imagenet-caffe.safetensors")
    if not os.path.isfile(w):
        sys.exit("quality_bench: needs the real VGG16 (set NST_WEIGHTS or put ../shared/weights beside the project)")
    return os.path.abspath(w)


def name(c, s, size):
    return f"{c.rsplit('.', 1)[0]}_{s.rsplit('.', 1)[0]}_{size}"


def sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def have_torch():
    try:
        import torch, torchvision, safetensors, PIL  # noqa: F401
    except ImportError:
        return False
    return os.path.isfile(os.path.join(BENCH, "gatys_ref.py"))


def torch_run(c, s, size, steps, weights, cached_only=False):
    """PyTorch's picture for this pair (cached); returns (png path, seconds), or None when
    `cached_only` and it is not cached."""
    cp, sp = os.path.join(ROOT, "img", "content", c), os.path.join(ROOT, "img", "style", s)
    script = os.path.join(BENCH, "gatys_ref.py")
    key = sha(open(cp, "rb").read(), open(sp, "rb").read(), size, steps, sorted(TORCH_ENV.items()), "wolfe",
              open(script, "rb").read(), os.path.getsize(weights))
    base = os.path.join(TORCH_REFS, f"{name(c, s, size)}_{steps}_{key}")
    if not os.path.isfile(base + ".png"):
        if cached_only:
            return None
        os.makedirs(os.path.dirname(base), exist_ok=True)
        env = dict(os.environ, VGG16=weights, **TORCH_ENV)
        t0 = time.time()
        r = subprocess.run([sys.executable, script, cp, sp, str(size), str(steps), base + ".part", "--wolfe"],
                           env=env, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"gatys_ref.py failed on {c} + {s}:\n{r.stderr[-2000:]}")
        os.replace(base + ".part.csv", base + ".csv")
        os.replace(base + ".part.png", base + ".png")
        print(f"  PyTorch {name(c, s, size)}: {time.time() - t0:.0f} s", flush=True)
    secs = float(open(base + ".csv").read().strip().splitlines()[-1].split(",")[-1])
    return base + ".png", secs


def ours(c, s, size, steps, weights, extra, cached_only=False):
    """Our default run (cached by inputs, size, steps, arguments and the binary itself); returns
    (png path, the library's fidelity measure from the run's record, seconds), or None when
    `cached_only` and it is not cached."""
    cp, sp = os.path.join(ROOT, "img", "content", c), os.path.join(ROOT, "img", "style", s)
    key = sha(open(cp, "rb").read(), open(sp, "rb").read(), size, steps, extra, open(NST, "rb").read(),
              os.path.getsize(weights))
    d = os.path.join(CACHE, "ours", f"{name(c, s, size)}_{steps}_{key}")
    if not glob.glob(os.path.join(d, "*.json")):
        if cached_only:
            return None
        tmp = d + ".part"
        if os.path.isdir(tmp):
            import shutil
            shutil.rmtree(tmp)
        cmd = [NST, cp, sp, "--size", str(size), "--steps", str(steps), "--weights", weights, "--out-dir", tmp, "-q",
               *extra]
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"nst failed: {' '.join(cmd)}\n{r.stderr}")
        os.replace(tmp, d)
    rec = json.load(open(glob.glob(os.path.join(d, "*.json"))[0]))
    png = os.path.join(d, os.path.basename(rec["files"]["image"]))
    from PIL import Image
    got = max(Image.open(png).size)
    # Arguments after -- can change the size (--scales): the pair would be judged against PyTorch's
    # picture of another size.
    if abs(got - size) > 16:
        sys.exit(f"{name(c, s, size)}: our picture is {got} px, not {size}: the extra arguments {extra} changed "
                 "the working size (use --only to pick pairs of the size they give)")
    return png, rec["fidelity"], rec["seconds"]


_FID = {}


def independent(c, s, size, outs, weights):
    """The measure of each picture in `outs`, computed by ../shared/bench/fidelity.py's code
    (PyTorch, independent of the library): dict(content, style (the mean), layers (relu1_1 ..
    relu5_1), half (the mean at half size, fidelity.py --detail's: picture and painting resized to
    half of `size`)). Each picture is scored at its own size, with the photo resized to that size:
    resampling a picture changes its fine texture and so its style distance (measured: 0.018 at
    its own 256x176 vs 0.038 resampled to 256x170), and the two programs round working sizes
    differently (multiples of 16 here, PIL's rounding there)."""
    import importlib.util, numpy as np, torch
    from PIL import Image
    if "m" not in _FID:
        os.environ["VGG16"] = weights
        spec = importlib.util.spec_from_file_location("fidelity", os.path.join(BENCH, "fidelity.py"))
        fid = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(fid)
        torch.set_num_threads(2)
        _FID.update(fid=fid, m=fid.net())
    fid, m = _FID["fid"], _FID["m"]

    def at(img, wh):
        im = img.convert("RGB").resize(wh, Image.BICUBIC)
        return torch.from_numpy(np.asarray(im).astype(np.float32)).permute(2, 0, 1)[None][:, [2, 1, 0]] - fid.MEAN

    def rel(g, t):
        return (((g - t) ** 2).sum() / (t ** 2).sum()).item()

    with torch.no_grad():
        style = os.path.join(ROOT, "img", "style", s)
        gs = {i: fid.gram(f) for i, f in fid.feats(m, fid.load(style, size)).items() if i in fid.STYLE}
        half = size // 2
        gs_half = {i: fid.gram(f) for i, f in fid.feats(m, fid.load(style, half)).items() if i in fid.STYLE}
        res = []
        for o in outs:
            img = Image.open(o)
            fc = fid.feats(m, at(Image.open(os.path.join(ROOT, "img", "content", c)), img.size))[fid.CONTENT]
            f = fid.feats(m, at(img, img.size))
            k = half / max(img.size)
            fh = fid.feats(m, at(img, (max(1, round(img.width * k)), max(1, round(img.height * k)))))
            layers = [rel(fid.gram(f[i]), gs[i]) for i in fid.STYLE]
            res.append(dict(content=(((f[fid.CONTENT] - fc) ** 2).sum() / (fc ** 2).sum()).item(),
                            style=sum(layers) / len(layers), layers=layers,
                            half=sum(rel(fid.gram(fh[i]), gs_half[i]) for i in fid.STYLE) / len(fid.STYLE)))
    return res


# The quality rule (ours / PyTorch's, each measured by fidelity.py's code): what it bounds and how far.
RULE = [("content", lambda d: d["content"], 1.25), ("relu3_1", lambda d: d["layers"][2], 2.0),
        ("relu4_1", lambda d: d["layers"][3], 1.5), ("half size", lambda d: d["half"], 1.0),
        ("style", lambda d: d["style"], 1.0)]


def sheet(rows, path, h=150):
    from PIL import Image, ImageDraw
    tiles = []
    for label, pics in rows:
        ims = [Image.open(p).convert("RGB") for p in pics]
        ims = [im.resize((max(1, round(im.width * h / im.height)), h), Image.LANCZOS) for im in ims]
        tiles.append((label, ims))
    cols = max(len(ims) for _, ims in tiles)
    widths = [max(ims[i].width for _, ims in tiles if i < len(ims)) for i in range(cols)]
    W, H = sum(widths) + 6 * (cols + 1), len(tiles) * (h + 22) + 6
    canvas = Image.new("RGB", (W, H), "white")
    for r, (label, ims) in enumerate(tiles):
        y, x = 6 + r * (h + 22), 6
        ImageDraw.Draw(canvas).text((x, y), label, fill="black")
        for i, im in enumerate(ims):
            canvas.paste(im, (x, y + 16))
            x += widths[i] + 6
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    canvas.save(path, quality=85)
    print("wrote", os.path.relpath(path, ROOT))


def main():
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--torch-only", action="store_true")
    ap.add_argument("--ours-only", action="store_true")
    ap.add_argument("--cached-only", action="store_true")
    ap.add_argument("--sheet", default=os.path.join(CACHE, "quality_sheet.jpg"))
    a = ap.parse_args(argv)
    weights = weights_path()
    grid = [(c, s, 64, 20) for c, s, _, _ in GRID[:2]] if a.quick else GRID
    grid = [g for g in grid if a.only in name(*g[:3])]
    torch_ok = have_torch()
    print(f"load {open('/proc/loadavg').read().split()[:3]}; PyTorch {'yes' if torch_ok else 'not importable: our side only'}",
          flush=True)
    if a.torch_only:
        if not torch_ok:
            sys.exit("--torch-only needs PyTorch and ../shared/bench")
        for c, s, size, steps in grid:
            torch_run(c, s, size, steps, weights)
        return
    if not os.path.isfile(NST):
        sys.exit("build the CLI first: cargo build --release")
    hdr = ("| pair | size | run | time | content | relu1_1 | relu2_1 | relu3_1 | relu4_1 | relu5_1 | style | half size "
           "| rule |")
    print(hdr + "\n|" + "---|" * (hdr.count("|") - 1), flush=True)
    rows, fails, scored = [], 0, 0
    cells = lambda d: f"{d['content']:.3f} | " + " | ".join(f"{v:.3f}" for v in d["layers"]) + f" | {d['style']:.4f} | {d['half']:.4f}"
    for c, s, size, steps in grid:
        if a.cached_only and not (ours(c, s, size, steps, weights, extra, True) and
                                  (not torch_ok or torch_run(c, s, size, steps, weights, True))):
            print(f"| {name(c, s, size)} | {size} | not run yet |" + " |" * 10, flush=True)
            continue
        png, rec, secs = ours(c, s, size, steps, weights, extra)
        if a.ours_only:
            print(f"  ours {name(c, s, size)}: {secs:.0f} s, {rec}", flush=True)
            continue
        pics = [os.path.join(ROOT, "img", "content", c), os.path.join(ROOT, "img", "style", s), png]
        if torch_ok:
            tpng, tsecs = torch_run(c, s, size, steps, weights)
            o, t = independent(c, s, size, [png, tpng], weights)
            ratios = [(what, f(o) / f(t), bound) for what, f, bound in RULE]
            broken = [f"{what} {r:.2f}>{bound}" for what, r, bound in ratios if r > bound]
            fails += bool(broken)
            scored += 1
            print(f"| {name(c, s, size)} | {size} | ours | {secs:.0f} s | {cells(o)} | "
                  f"{'ok' if not broken else 'FAIL: ' + ', '.join(broken)} |", flush=True)
            print(f"| | | PyTorch | {tsecs:.0f} s | {cells(t)} | |", flush=True)
            print(f"| | | ratio | {secs / tsecs:.2f} | {ratios[0][1]:.2f} | | | {ratios[1][1]:.2f} | {ratios[2][1]:.2f} | | "
                  f"{ratios[4][1]:.2f} | {ratios[3][1]:.2f} | |", flush=True)
            pics.append(tpng)
        else:
            print(f"| {name(c, s, size)} | {size} | ours (library) | {secs:.0f} s | {rec['content']:.3f} | "
                  + " | ".join(f"{v:.3f}" for v in rec.get("style_layers") or [float('nan')] * 5)
                  + f" | {rec['style']:.4f} | {rec.get('style_half') or float('nan'):.4f} | |", flush=True)
        rows.append((f"{name(c, s, size)}: content | style | ours" + (" | PyTorch" if torch_ok else ""), pics))
    if a.ours_only:
        return
    sheet(rows, a.sheet)
    if torch_ok:
        print(f"{scored - fails} of {scored} pairs scored meet the quality rule ({len(grid)} in the grid): "
              + ", ".join(f"{what} <= {bound}x PyTorch's" for what, _, bound in RULE))
    print(f"load {open('/proc/loadavg').read().split()[:3]}; pictures under {os.path.relpath(CACHE, ROOT)}")


if __name__ == "__main__":
    main()

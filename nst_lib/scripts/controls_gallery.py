"""Make the README's gallery (img/gallery/*.jpg) and its example images for the artist controls
(img/gallery/controls_*.jpg) with the
release `nst` binary with its default settings and the real VGG16 (NST_WEIGHTS), from the
licence-clean inputs in img/, at 192 px.
Prints each command and its summary line; the last picture compares coarse-to-fine with a
single-scale run at 512 px in about the same time (a few minutes). Needs Pillow.
Usage: python3 nst_lib/scripts/controls_gallery.py [gallery strength colours blend style_scale style_stats multiscale mask]"""
import os, subprocess, sys, tempfile
from PIL import Image, ImageDraw

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NST = os.path.join(ROOT, "target", "release", "nst")
OUT = os.path.join(ROOT, "img", "gallery")
TMP = tempfile.mkdtemp(prefix="nst_gallery_")
SIZE = "192"
# The photo most of the rows are made from.
ASTRONAUT = "img/content/astronaut.png"


def run(name, content, style, *args):
    out = os.path.join(TMP, name)
    size = [] if "--size" in args else ["--size", SIZE]
    cmd = [NST, content, style, *size, "--out-dir", out, "-q", *args]
    print("$ nst " + " ".join(cmd[1:]).replace(out, "OUT"), flush=True)
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    print("\n".join(l for l in r.stdout.strip().splitlines() if not l.startswith("wrote")) or r.stderr, flush=True)
    if r.returncode != 0:
        sys.exit(r.stderr)
    pngs = [f for f in os.listdir(out) if f.endswith(".png") and not f.endswith("_panel.png")]
    return Image.open(os.path.join(out, pngs[0])).convert("RGB")


def row(items, path, h=160):
    """Label and place pictures side by side."""
    ims = [(label, im.resize((round(im.width * h / im.height), h), Image.LANCZOS)) for label, im in items]
    W = sum(im.width for _, im in ims) + 6 * (len(ims) - 1)
    canvas = Image.new("RGB", (W, h + 18), "white")
    x = 0
    for label, im in ims:
        canvas.paste(im, (x, 18))
        ImageDraw.Draw(canvas).text((x + 2, 3), label, fill="black")
        x += im.width + 6
    canvas.save(path, quality=88)
    print("wrote", os.path.relpath(path, ROOT))


def load(p, h=192):
    im = Image.open(os.path.join(ROOT, p)).convert("RGB")
    return im.resize((round(im.width * h / im.height), h), Image.LANCZOS)


steps = ["--steps", "150"]
painting = "img/style/starry_night.jpg"

def run512(name, *args):
    """A 512 px run for the coarse-to-fine comparison; returns (image, steps, seconds, fidelity)."""
    import glob, json
    out = os.path.join(TMP, name)
    cmd = [NST, "img/content/chelsea.png", painting, "--out-dir", out, "-q", *args]
    print("$ nst " + " ".join(cmd[1:]).replace(out, "OUT"), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    rec = json.load(open(glob.glob(os.path.join(out, "*.json"))[0]))
    last, fid = rec["history"][-1], rec["fidelity"]
    print(f"  {len(rec['history'])} steps, {last['seconds']:.1f} s, content {fid['content']:.3f}, style {fid['style']:.4f}",
          flush=True)
    png = [p for p in glob.glob(os.path.join(out, "*.png")) if not p.endswith("_panel.png")][0]
    return Image.open(png).convert("RGB"), len(rec["history"]), last["seconds"], fid


def colours():
    photo = "img/content/chelsea.png"
    row([("content", load(photo)), ("style", load(painting)),
         ("style's colours", run("c_off", photo, painting, *steps)),
         ("luminance only", run("c_lum", photo, painting, *steps, "--original-colors", "luminance")),
         ("colour matching", run("c_match", photo, painting, *steps, "--original-colors", "match"))],
        os.path.join(OUT, "controls_colours.jpg"))


def blend():
    two = "img/style/brick.png,img/style/grass.png"
    row([("brick", run("b1", "img/content/coffee.png", two, *steps, "--style-blend", "1,0")),
         ("brick 0.5 + grass 0.5", run("b2", "img/content/coffee.png", two, *steps, "--style-blend", "0.5,0.5")),
         ("grass", run("b3", "img/content/coffee.png", two, *steps, "--style-blend", "0,1"))],
        os.path.join(OUT, "controls_blend.jpg"))


def style_scale():
    row([(f"style scale {s}", run(f"s{s}", ASTRONAUT, "img/style/brick.png", *steps, "--style-scale", s))
         for s in ["0.5", "1", "2"]], os.path.join(OUT, "controls_style_scale.jpg"))


def style_stats():
    row([(label, run(f"st{s}", ASTRONAUT, painting, "--steps", "100", "--style-stats", s))
         for label, s in [("Gram", "gram"), ("mean / std", "mean-std"), ("mean / cov (W2)", "mean-cov")]],
        os.path.join(OUT, "controls_style_stats.jpg"))


def multiscale():
    im1, n1, t1, l1 = run512("ms1", "--size", "512", "--steps", "70", "--coarse-to-fine", "0")
    im2, n2, t2, l2 = run512("ms2", "--scales", "128,256,512", "--scale-steps", "150,100,35")
    d = lambda f: f"content {f['content']:.2f}, style {f['style']:.3f}"  # noqa: E731
    row([(f"512 px: {n1} steps, {t1:.0f} s; {d(l1)}", im1),
         (f"128, 256, 512 px: {n2} steps, {t2:.0f} s; {d(l2)}", im2)],
        os.path.join(OUT, "controls_multiscale.jpg"), h=200)


def mask():
    m = os.path.join(TMP, "mask.png")
    photo = load(ASTRONAUT)
    # Drawn at the photo's size: a mask of another shape is stretched to the picture's.
    w, h = photo.size
    img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(img).ellipse((0.2 * w, 0.1 * h, 0.8 * w, 0.9 * h), fill=255)
    img.save(m)
    row([("content", photo), ("mask", img.convert("RGB")),
         ("no mask", run("m0", ASTRONAUT, "img/style/grass.png", *steps)),
         ("style inside the ellipse", run("m1", ASTRONAUT, "img/style/grass.png", *steps,
                                          "--style-mask", m))],
        os.path.join(OUT, "controls_mask.jpg"))


def panel_of(name, content, style, *args):
    """Run `nst` with the default settings and return its content | style | output panel."""
    import glob
    run(name, content, style, *args)
    return Image.open(glob.glob(os.path.join(TMP, name, "*_panel.png"))[0]).convert("RGB")


def gallery():
    """The README's gallery: the default settings at 256 px on paintings and a texture. These
    are runs of the quality benchmark's grid (300 steps, the default), so its cache is reused."""
    import glob
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import quality_bench as qb
    for c, st in [("chelsea", "starry_night.jpg"), ("astronaut", "starry_night.jpg"), ("coffee", "shipwreck.jpg"),
                  ("astronaut", "brick.png")]:
        content = os.path.basename(next(p for p in glob_content(c)))
        print(f"$ nst img/content/{content} img/style/{st} --size 256", flush=True)
        png, fid, _ = qb.ours(content, st, 256, 300, qb.weights_path(), [])
        print(f"  content distance {fid['content']:.3f}, style distance {fid['style']:.4f}", flush=True)
        im = Image.open(glob.glob(os.path.join(os.path.dirname(png), "*_panel.png"))[0]).convert("RGB")
        path = os.path.join(OUT, f"{c}_{st.rsplit('.', 1)[0]}.jpg")
        im.save(path, quality=88)
        print("wrote", os.path.relpath(path, ROOT))
    noise = [("rebuilt from noise (content loss at relu4_2)",
              run("n_c", "noise", "img/content/coffee.png", "--mode", "content", "--size", "128", "--steps", "150")),
             ("grown from noise (style loss only)",
              run("n_s", "noise", "img/style/starry_night.jpg", "--mode", "style", "--size", "128", "--steps", "150"))]
    row(noise, os.path.join(OUT, "from_noise.jpg"), h=192)


def glob_content(stem):
    import glob
    return sorted(glob.glob(os.path.join("img", "content", stem + ".*")))


def strength():
    photo = "img/content/coffee.png"
    row([("content", load(photo)), ("style", load("img/style/shipwreck.jpg"))]
        + [(f"strength {k}", run(f"k{k}", photo, "img/style/shipwreck.jpg", *steps, "--strength", k))
           for k in ["0.3", "1", "3"]],
        os.path.join(OUT, "controls_strength.jpg"))


SECTIONS = {"gallery": gallery, "strength": strength, "colours": colours, "blend": blend, "style_scale": style_scale, "style_stats": style_stats,
            "multiscale": multiscale, "mask": mask}
if __name__ == "__main__":
    for name in sys.argv[1:] or list(SECTIONS):
        SECTIONS[name]()

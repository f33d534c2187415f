"""Open executed notebooks in JupyterLab under headless Chromium and check what a reader sees.

    apt-get install chromium chromium-driver; pip install jupyterlab selenium
    python3 nst_lib/scripts/browser_check.py --self-test target/notebooks/*.ipynb docs/notebooks/*.ipynb
    python3 nst_lib/scripts/browser_check.py --live target/debug/nst   # the live view's page

Each notebook is opened in JupyterLab (its own settings: every cell drawn, no news pop-up; a
stand-in kernel, since reading needs none), MathJax typesets the formulas (JupyterLab ships it:
nothing is downloaded), and the page fails when it shows:
  - an output wider than the notebook column (a horizontal scroll bar);
  - an image taller than 1200 px;
  - raw TeX left unrendered (`$...$` in a markdown cell's text);
  - an image drawn out of its own aspect ratio (a colour bar stretched, say), by more than 5 %
    (or 2 px, for narrow ones);
  - an error output or text written to stderr.
Screenshots for the reader land in target/browser/: each notebook's first screen and its
picture blocks (the outputs with three pictures or more).
--self-test first checks a notebook made here with one of each fault, and fails unless every
fault is found. --live starts the CLI with --live on a small run, loads its page, and fails unless
the page shows a picture and /frame.png changes while the run goes on.
"""
import base64, contextlib, io, json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "target", "browser")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

# Everything a reader would see wrong, found in the page; returns one line per problem.
CHECKS_JS = r"""
const problems = [];
const panel = [...document.querySelectorAll('.jp-NotebookPanel')].find(p => p.offsetParent !== null) || document;
panel.querySelectorAll('.jp-OutputArea-output').forEach((el, i) => {
  if (el.scrollWidth > el.clientWidth + 2)
    problems.push(`an output ${el.scrollWidth} px wide in a ${el.clientWidth} px column (horizontal scroll)`);
  const mime = el.getAttribute('data-mime-type') || '';
  if (mime.includes('stderr') || mime.includes('error'))
    problems.push(`an error output: ${el.textContent.trim().slice(0, 120)}`);
});
panel.querySelectorAll('.jp-Cell img').forEach(img => {
  const r = img.getBoundingClientRect();
  if (r.height > 1200) problems.push(`an image ${Math.round(r.height)} px tall (over 1200)`);
  // The drawn size without the border (clientWidth/Height); a narrow colour bar is allowed
  // 2 px of rounding.
  const w = img.clientWidth, h = img.clientHeight;
  if (img.naturalWidth && img.naturalHeight && w > 1 && h > 1) {
    const expected = h * img.naturalWidth / img.naturalHeight;
    if (Math.abs(w - expected) > Math.max(2, 0.05 * expected))
      problems.push(`an image drawn ${w}x${h}, out of its own ${img.naturalWidth}x${img.naturalHeight} shape`);
  }
});
panel.querySelectorAll('.jp-RenderedMarkdown').forEach(md => {
  const text = md.cloneNode(true);
  text.querySelectorAll('mjx-container, code, pre, script').forEach(e => e.remove());
  const raw = text.textContent.match(/\$[^$\s][^$]{0,80}?\$/);
  if (raw) problems.push(`raw TeX left unrendered: ${raw[0]}`);
  md.querySelectorAll('mjx-merror').forEach(e => problems.push(`a formula MathJax could not typeset: ${e.textContent}`));
});
return problems;
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_settings(home, mathjax):
    """JupyterLab settings and a stand-in 'rust' kernel, in a folder of their own; `mathjax`
    False turns JupyterLab's MathJax off (the self-test's stand-in for formulas left raw)."""
    labconfig = os.path.join(home, "config", "labconfig")
    os.makedirs(labconfig, exist_ok=True)
    json.dump({"disabledExtensions": {} if mathjax else {"@jupyterlab/mathjax-extension": True}},
              open(os.path.join(labconfig, "page_config.json"), "w"))
    settings = os.path.join(home, "settings")
    for name, value in {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        os.makedirs(os.path.dirname(os.path.join(settings, name)), exist_ok=True)
        json.dump(value, open(os.path.join(settings, name), "w"))
    kernel = os.path.join(home, "jupyter", "kernels", "rust")
    os.makedirs(kernel, exist_ok=True)
    # Reading an executed copy runs nothing: a Python kernel stands in for evcxr (no compiling).
    json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
               "display_name": "Rust", "language": "rust"}, open(os.path.join(kernel, "kernel.json"), "w"))
    return settings, os.path.join(home, "jupyter")


def start_lab(root, home, mathjax=True):
    settings, jupyter_path = lab_settings(home, mathjax)
    port = free_port()
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=settings, JUPYTERLAB_WORKSPACES_DIR=os.path.join(home, "ws"),
               JUPYTER_PATH=jupyter_path, JUPYTER_CONFIG_DIR=os.path.join(home, "config"))
    lab = subprocess.Popen(["jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                            "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root", f"--ServerApp.root_dir={root}"],
                           env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(home, "lab.log"), "w"))
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/api/status", timeout=2)
            return lab, url
        except OSError:
            time.sleep(0.5)
    lab.kill()
    raise SystemExit(f"FAIL JupyterLab did not start: see {home}/lab.log")


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(DRIVER), options=opts)


def wait_for_notebook(driver, n_cells, timeout=90):
    """Until every cell is drawn and MathJax has typeset what it will."""
    end = time.time() + timeout
    while time.time() < end:
        drawn = driver.execute_script("return document.querySelectorAll('.jp-Notebook .jp-Cell').length")
        if drawn >= n_cells:
            break
        time.sleep(0.5)
    else:
        return f"only {drawn} of {n_cells} cells drawn after {timeout} s"
    # MathJax typesets in the background: wait until the count of typeset formulas settles.
    last, stable = -1, 0
    while time.time() < end and stable < 4:
        now = driver.execute_script("return document.querySelectorAll('mjx-container').length")
        stable = stable + 1 if now == last else 0
        last = now
        time.sleep(0.5)
    return None


def check_notebook(driver, url, root, path, shots):
    rel = os.path.relpath(os.path.abspath(path), root)
    n_cells = len(json.load(open(path))["cells"])
    driver.get(f"{url}/lab/tree/{rel}?reset")  # ?reset: this notebook alone, no other tab
    problem = wait_for_notebook(driver, n_cells)
    if problem:
        return [problem]
    problems = driver.execute_script(CHECKS_JS)
    height = driver.execute_script(
        "const n = [...document.querySelectorAll('.jp-Notebook')].find(e => e.offsetParent !== null);"
        "return n ? Math.max(n.scrollHeight, ...[...n.children].map(c => c.scrollHeight)) : 0")
    print(f"  {os.path.relpath(path, root)}: the page is {height} px tall", flush=True)
    name = os.path.splitext(os.path.basename(path))[0]
    where = os.path.join(shots, f"{os.path.basename(os.path.dirname(path))}-{name}")
    os.makedirs(where, exist_ok=True)
    driver.save_screenshot(os.path.join(where, "first-screen.png"))
    blocks = driver.execute_script(
        "return [...document.querySelectorAll('.jp-OutputArea-output')].filter(e => e.querySelectorAll('img').length >= 3)")
    for i, block in enumerate(blocks[:8]):
        driver.execute_script("arguments[0].scrollIntoView()", block)
        try:
            block.screenshot(os.path.join(where, f"pictures-{i + 1}.png"))
        except Exception as e:  # a block too large for one screenshot: the first screen is kept
            print(f"  (no screenshot of picture block {i + 1}: {type(e).__name__})", flush=True)
    return problems


def faulty_notebook(folder):
    """A notebook with one of each fault the check must find."""
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (256, 1), (200, 50, 50)).save(buf, "PNG")
    bar = base64.b64encode(buf.getvalue()).decode()
    out = lambda html: {"output_type": "display_data", "metadata": {}, "data": {"text/html": html}}
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "A formula, left raw with MathJax off: $x^2$."},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "wide", "outputs": [
            out('<div style="width:4000px;height:20px;background:#c33">a film strip too wide for the column</div>')]},
        {"cell_type": "code", "metadata": {}, "execution_count": 2, "source": "tall", "outputs": [
            out(f'<img src="data:image/png;base64,{bar}" style="width:10px;height:1500px">')]},
        {"cell_type": "code", "metadata": {}, "execution_count": 3, "source": "stretched", "outputs": [
            out(f'<img src="data:image/png;base64,{bar}" style="width:600px;height:40px">')]},
        {"cell_type": "code", "metadata": {}, "execution_count": 4, "source": "error", "outputs": [
            {"output_type": "stream", "name": "stderr", "text": "thread 'main' panicked\n"}]},
    ]
    nb = {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"name": "rust", "display_name": "Rust", "language": "rust"}}}
    path = os.path.join(folder, "faulty.ipynb")
    json.dump(nb, open(path, "w"))
    return path


SELF_TEST_EXPECTS = ["horizontal scroll", "px tall", "out of its own", "raw TeX", "error output"]


def live_check(driver, nst):
    """The CLI's live view in the browser: a picture on the page, /frame.png changing mid-run."""
    work = tempfile.mkdtemp(prefix="nst-live-")
    run = subprocess.Popen([nst, "img/content/chelsea.png", "img/style/starry_night.jpg", "--size", "96", "--steps", "60",
                            "--live", "--live-port", "0", "--out-dir", work], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        line = run.stderr.readline()
        if "live view at" not in line:
            return [f"the CLI did not print its live view's URL first: {line.strip()!r}"]
        url = line.split("live view at", 1)[1].strip()
        driver.get(url)
        frames, problems = [], []
        for _ in range(40):
            data = driver.execute_script(
                "return fetch('frame.png', {cache: 'no-store'}).then(r => r.ok ? r.arrayBuffer() : null)"
                ".then(b => b ? btoa(String.fromCharCode(...new Uint8Array(b))) : null).catch(() => null)")
            if data:
                frames.append(data)
            if len(set(frames)) >= 2 or run.poll() is not None:
                break
            time.sleep(0.5)
        shown = driver.execute_script("const i = document.querySelector('img'); return i ? i.naturalWidth : 0")
        os.makedirs(OUT, exist_ok=True)
        driver.save_screenshot(os.path.join(OUT, "live-view.png"))
        if not shown:
            problems.append("the live page shows no picture")
        if not driver.execute_script("return document.querySelector('svg polyline') !== null"):
            problems.append("the live page draws no loss curve")
        if len(set(frames)) < 2:
            problems.append(f"/frame.png did not change during the run ({len(frames)} fetched)")
        return problems
    finally:
        run.kill()
        run.wait()
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def lab_running(mathjax):
    home = tempfile.mkdtemp(prefix="nst-browser-")
    lab, url = start_lab(ROOT, home, mathjax)
    try:
        yield url
    finally:
        lab.terminate()
        lab.wait()
        shutil.rmtree(home, ignore_errors=True)


def self_check(driver):
    """The problems found in a notebook made with one of each fault, MathJax off."""
    folder = tempfile.mkdtemp(prefix="faulty-", dir=os.path.join(ROOT, "target"))
    try:
        with lab_running(mathjax=False) as url:
            return check_notebook(driver, url, ROOT, faulty_notebook(folder), tempfile.mkdtemp())
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(args):
    self_test = "--self-test" in args
    live = args[args.index("--live") + 1] if "--live" in args else None
    paths = [a for a in args if a.endswith(".ipynb")]
    failures = []
    driver = browser()
    try:
        if self_test:
            found = self_check(driver)
            missed = [e for e in SELF_TEST_EXPECTS if not any(e in p for p in found)]
            print(f"self-test: the faulty notebook gives {len(found)} problems: " + "; ".join(found), flush=True)
            if missed:
                failures.append(f"self-test: the check did not find: {', '.join(missed)}")
        if paths:
            with lab_running(mathjax=True) as url:
                for path in paths:
                    problems = check_notebook(driver, url, ROOT, path, OUT)
                    print(f"{os.path.relpath(path, ROOT)}: {'ok' if not problems else '; '.join(problems)}", flush=True)
                    if problems:
                        failures.append(f"{os.path.relpath(path, ROOT)}: " + "; ".join(problems))
        if live:
            problems = live_check(driver, live)
            print(f"live view: {'ok' if not problems else '; '.join(problems)}", flush=True)
            failures += [f"live view: {p}" for p in problems]
    finally:
        driver.quit()
    for f in failures:
        print("FAIL", f, flush=True)
    print(f"browser check: {len(paths)} notebooks, {len(failures)} failures; screenshots in {os.path.relpath(OUT, ROOT)}/")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

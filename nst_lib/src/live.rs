//! A live view of a run in the browser: a small HTTP server on 127.0.0.1 that shows the
//! picture while it forms, the step, the loss curve so far and, at the end, the fidelity. The
//! page updates itself (it asks for news twice a second); nothing is drawn by the run's thread
//! but a copy of the picture at most five times a second, so a step is not slowed.
//!
//! The contract: `GET /` is the page, `GET /frame.png` the latest picture as PNG, `GET
//! /state.json` the step, steps, losses and fidelity. Localhost only.
//!
//! evcxr (0.22) sends a cell's pictures only when the cell ends, so a picture drawn by a running
//! cell cannot appear mid-run; a page served beside the kernel, shown in an `<iframe>`, can.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use image::RgbImage;

use crate::display::Html;
use crate::error::{NstError, Result};
use crate::outcome::{Outcome, Progress};

/// The port tried first by [`LiveView::start`] when given 0 is chosen by the system; the CLI's
/// default is this one, and the next free one when it is taken.
pub const DEFAULT_PORT: u16 = 8765;
/// How many ports after the one asked for are tried when it is taken.
const PORTS_TRIED: u16 = 50;
/// The run's thread copies the picture at most this often.
const FRAME_INTERVAL: Duration = Duration::from_millis(200);

/// What the page shows; `version` counts the pictures, so the page fetches each only once.
#[derive(Default)]
struct State {
    frame: Option<Arc<RgbImage>>,
    png: Option<(u64, Arc<Vec<u8>>)>,
    version: u64,
    step: usize,
    steps: usize,
    /// (step, total loss) of the accepted steps so far.
    curve: Vec<(usize, f64)>,
    fidelity: Option<String>,
    done: bool,
    copied_at: Option<Instant>,
}

/// A live view, serving until dropped. Clone it to hand it to an observer.
#[derive(Clone)]
pub struct LiveView {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    /// Held, not read: the server stops when the last clone of the view is dropped.
    _server: Arc<Server>,
}

/// Stops the server when the last clone of the view goes.
struct Server {
    addr: SocketAddr,
    quit: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Server {
    /// Stop accepting: wake the listener with a connection of our own, then join it.
    fn drop(&mut self) {
        self.quit.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl LiveView {
    /// Serve on 127.0.0.1:`port`, or the next free port of the 50 after it when it is taken;
    /// `port` 0 lets the system choose one. The URL is [`LiveView::url`].
    pub fn start(port: u16) -> Result<Self> {
        let listener = bind(port)?;
        let addr = listener.local_addr().map_err(|e| NstError::Live(format!("no local address: {e}")))?;
        let state = Arc::new(Mutex::new(State::default()));
        let quit = Arc::new(AtomicBool::new(false));
        let (st, q) = (Arc::clone(&state), Arc::clone(&quit));
        let thread = std::thread::Builder::new()
            .name("nst-live-view".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if q.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let _ = serve(stream, &st); // a client that goes away is no concern of the run
                    }
                }
            })
            .map_err(|e| NstError::Live(format!("could not start the live view's thread: {e}")))?;
        let server = Arc::new(Server { addr, quit, thread: Some(thread) });
        Ok(Self { addr, state, _server: server })
    }

    /// Where the page is, e.g. `http://127.0.0.1:8765/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Take note of a step: its loss always, its picture at most five times a second (and
    /// always the last step's).
    pub fn observe(&self, p: &Progress) {
        let Ok(mut s) = self.state.lock() else { return };
        s.step = p.report.step;
        s.steps = p.steps;
        s.done = false;
        // Every step: whether a line-search trial is kept is known only after the next ones,
        // so keeping accepted steps alone left the curve a single point while it ran.
        s.curve.push((p.report.step, p.report.loss.total));
        let due = s.copied_at.is_none_or(|t| t.elapsed() >= FRAME_INTERVAL) || p.report.step == p.steps;
        if due {
            if let Ok(img) = crate::image_io::to_image(p.image) {
                s.frame = Some(Arc::new(img));
                s.version += 1;
                s.copied_at = Some(Instant::now());
            }
        }
    }

    /// An observer for a run or a session: `session.run_with_progress(50, &mut live.observer())`.
    pub fn observer(&self) -> impl FnMut(&Progress) + 'static {
        let live = self.clone();
        move |p| live.observe(p)
    }

    /// Show a finished run: its picture, its accepted losses, its fidelity.
    pub fn show_outcome(&self, o: &Outcome) {
        let Ok(mut s) = self.state.lock() else { return };
        s.frame = Some(Arc::new(o.image.clone()));
        s.version += 1;
        s.curve = o.history.iter().map(|r| (r.step, r.loss.total)).collect();
        s.step = o.history.len();
        s.steps = s.steps.max(s.step);
        s.fidelity = Some(o.fidelity.to_string());
        s.done = true;
    }

    /// The page inside a notebook: an `<iframe>` of it (marked `data-nst-live`, so that a copy
    /// saved for reading can tell it from a picture).
    pub fn iframe(&self) -> Html {
        Html(format!(
            r#"<iframe data-nst-live="{url}" src="{url}" style="width:100%;max-width:760px;height:430px;border:1px solid #ddd"></iframe><div style="font:12px sans-serif">live view: <a href="{url}" target="_blank">{url}</a></div>"#,
            url = self.url()
        ))
    }

    /// The latest picture as PNG (what `GET /frame.png` sends), encoded once per picture.
    pub fn frame_png(&self) -> Option<Arc<Vec<u8>>> {
        png_of(&self.state)
    }
}

impl LiveView {
    /// A live view shows itself as its `<iframe>` when it is the value of a notebook cell.
    pub fn evcxr_display(&self) {
        self.iframe().evcxr_display();
    }
}

fn bind(port: u16) -> Result<TcpListener> {
    if port == 0 {
        return TcpListener::bind(("127.0.0.1", 0)).map_err(|e| NstError::Live(format!("no free port: {e}")));
    }
    let last = port.saturating_add(PORTS_TRIED);
    for p in port..=last {
        if let Ok(l) = TcpListener::bind(("127.0.0.1", p)) {
            return Ok(l);
        }
    }
    Err(NstError::Live(format!(
        "ports {port} to {last} on 127.0.0.1 are all in use: give another with --live-port (0 lets the system choose)"
    )))
}

fn png_of(state: &Mutex<State>) -> Option<Arc<Vec<u8>>> {
    let (version, frame) = {
        let s = state.lock().ok()?;
        if let Some((v, png)) = &s.png {
            if *v == s.version {
                return Some(Arc::clone(png));
            }
        }
        (s.version, Arc::clone(s.frame.as_ref()?))
    };
    // Encoded on the server's thread, outside the lock: the run never waits for it.
    let png = Arc::new(crate::image_io::png_bytes(&frame).ok()?);
    if let Ok(mut s) = state.lock() {
        s.png = Some((version, Arc::clone(&png)));
    }
    Some(png)
}

fn state_json(state: &Mutex<State>) -> String {
    let Ok(s) = state.lock() else { return "{}".into() };
    serde_json::json!({
        "version": s.version, "step": s.step, "steps": s.steps, "done": s.done,
        "curve": s.curve, "fidelity": s.fidelity,
    })
    .to_string()
}

/// Answer one request: the page, the picture, the state, or 404.
fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut first = String::new();
    reader.read_line(&mut first)?;
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear(); // the headers: not needed
    }
    let path = first.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or("/");
    let (status, kind, body): (&str, &str, Vec<u8>) = match path {
        "/" => ("200 OK", "text/html; charset=utf-8", PAGE.as_bytes().to_vec()),
        "/state.json" => ("200 OK", "application/json", state_json(state).into_bytes()),
        "/frame.png" => match png_of(state) {
            Some(png) => ("200 OK", "image/png", png.to_vec()),
            None => ("404 Not Found", "text/plain", b"no picture yet".to_vec()),
        },
        _ => ("404 Not Found", "text/plain", b"not found".to_vec()),
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(&body)?;
    out.flush()
}

/// The page: the picture, a line of text and the loss curve (log scale), refreshed twice a second.
const PAGE: &str = r##"<!doctype html>
<html><head><meta charset="utf-8"><title>nst: live view</title>
<style>body{font:14px sans-serif;margin:8px}#pic{width:360px;max-height:360px;object-fit:contain;vertical-align:top}
svg{vertical-align:top;border:1px solid #eee}</style></head>
<body><img id="pic" alt="the picture appears with the first step"> <svg id="curve" width="360" height="240"></svg>
<div id="text">waiting for the first step…</div>
<script>
let shown = -1;
function draw(curve) {
  const svg = document.getElementById('curve');
  const pts = curve.filter(p => p[1] > 0 && isFinite(p[1]));
  if (pts.length < 2) { svg.innerHTML = ''; return; }
  const xs = pts.map(p => p[0]), ys = pts.map(p => Math.log10(p[1]));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const X = x => 30 + 320 * (x - x0) / Math.max(x1 - x0, 1), Y = y => 220 - 200 * (y - y0) / Math.max(y1 - y0, 1e-9);
  const line = pts.map(p => X(p[0]).toFixed(1) + ',' + Y(Math.log10(p[1])).toFixed(1)).join(' ');
  svg.innerHTML = '<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="' + line + '"/>' +
    '<text x="32" y="14" font-size="11">total loss of each step (log scale): ' + pts[0][1].toExponential(2) + ' → ' +
    pts[pts.length - 1][1].toExponential(2) + '</text>';
}
async function tick() {
  try {
    const s = await (await fetch('state.json', {cache: 'no-store'})).json();
    if (s.version !== shown && s.version > 0) { document.getElementById('pic').src = 'frame.png?v=' + s.version; shown = s.version; }
    document.getElementById('text').textContent = (s.done ? 'finished: ' : 'step ') + s.step + ' of ' + s.steps +
      (s.fidelity ? ' — ' + s.fidelity : '');
    draw(s.curve);
  } catch (e) { document.getElementById('text').textContent = 'the run has ended (no answer from it)'; }
  setTimeout(tick, 500);
}
tick();
</script></body></html>
"##;

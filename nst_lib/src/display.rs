//! Showing results in Jupyter under the evcxr kernel.
//!
//! How evcxr delivers output (0.22): plain stdout streams *live* while a cell runs (ANSI colours
//! included), but rich output (HTML, images) is sent once when the cell finishes, and only the
//! last block of each MIME type survives. So everything a cell shows at the end is **one** HTML
//! block (pictures as PNG data URIs, plots as inline SVG), and progress during a run is plain text
//! with a low-resolution colour preview drawn with ANSI half-block characters.
//! Outside a notebook (tests, CLI) nothing here prints protocol text.

use std::fmt::Write as _;

use base64::Engine;
use image::RgbImage;

use crate::config::Report;
use crate::error::{NstError, Result};
use crate::outcome::{Change, Outcome, Progress, Status, StepReport};
use crate::transfer::Session;

/// True inside an evcxr kernel (it sets `EVCXR_IS_RUNTIME` for the code it runs).
pub fn in_notebook() -> bool {
    std::env::var_os("EVCXR_IS_RUNTIME").is_some()
}

/// A block of HTML that shows itself when it is the value of a notebook cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Html(pub String);

impl Html {
    /// evcxr calls this for the value of a cell.
    pub fn evcxr_display(&self) {
        if in_notebook() {
            println!("EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT", self.0);
        }
    }

    /// Several blocks as one. evcxr keeps only the last HTML block a cell prints, so a cell that
    /// shows several pictures or charts joins them into one value.
    pub fn join(parts: impl IntoIterator<Item = Html>) -> Html {
        Html(parts.into_iter().map(|h| h.0).collect())
    }
}

impl std::ops::Add for Html {
    type Output = Html;
    fn add(self, other: Html) -> Html {
        Html(self.0 + &other.0)
    }
}

impl std::fmt::Display for Html {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An image as a `data:image/png;base64,...` URI.
pub fn png_data_uri(img: &RgbImage) -> Result<String> {
    let png = crate::image_io::png_bytes(img)?;
    Ok(format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png)))
}

/// An image as a `data:image/jpeg;base64,...` URI (quality 90).
pub fn jpeg_data_uri(img: &RgbImage) -> Result<String> {
    let mut buf = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, 90)
        .encode_image(img)
        .map_err(|e| NstError::Encode { what: "JPEG".into(), reason: e.to_string() })?;
    Ok(format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(buf)))
}

/// Pictures at least this many pixels (once scaled to their shown size) are embedded as JPEG:
/// a notebook file keeps every picture it shows, and a 256 px photo is ~5× smaller as JPEG.
/// Smaller ones (snapshots, feature maps, matrices drawn cell by cell) stay exact PNG.
pub const JPEG_FROM_PIXELS: u32 = 128 * 128;

/// An `<img>` tag of at most `max_px` on its longer side (pixelated: small maps stay crisp).
/// A picture larger than that is scaled down first: no more pixels are stored than are shown.
fn img_tag(img: &RgbImage, max_px: u32) -> Result<String> {
    let s = (max_px as f64 / img.width().max(img.height()) as f64).min(4.0);
    let (w, h) = (((img.width() as f64 * s) as u32).max(1), ((img.height() as f64 * s) as u32).max(1));
    let shown = if s < 1.0 {
        std::borrow::Cow::Owned(image::imageops::resize(img, w, h, image::imageops::FilterType::Triangle))
    } else {
        std::borrow::Cow::Borrowed(img)
    };
    let uri =
        if shown.width() * shown.height() >= JPEG_FROM_PIXELS { jpeg_data_uri(&shown)? } else { png_data_uri(&shown)? };
    Ok(format!(
        r#"<img src="{uri}" width="{w}" height="{h}" style="image-rendering:pixelated;border:1px solid #ccc"/>"#
    ))
}

fn figure(label: &str, img: &RgbImage, max_px: u32) -> Result<String> {
    Ok(format!(
        r#"<figure style="display:inline-block;margin:4px;text-align:center;vertical-align:top">{}<figcaption style="font:13px sans-serif">{}</figcaption></figure>"#,
        img_tag(img, max_px)?,
        escape(label)
    ))
}

/// One picture.
pub fn image(img: &RgbImage) -> Result<Html> {
    Ok(Html(img_tag(img, img.width().max(img.height()).clamp(256, 640))?))
}

/// Pictures side by side, each with its label underneath.
pub fn row(items: &[(&str, &RgbImage)], max_px: u32) -> Result<Html> {
    let mut s = String::from(r#"<div style="white-space:nowrap;overflow-x:auto">"#);
    for (label, img) in items {
        s.push_str(&figure(label, img, max_px)?);
    }
    s.push_str("</div>");
    Ok(Html(s))
}

/// Labelled pictures in rows of `columns`.
pub fn grid(items: &[(String, RgbImage)], columns: usize, max_px: u32) -> Result<Html> {
    let mut s = String::from("<div>");
    for chunk in items.chunks(columns.max(1)) {
        let refs: Vec<(&str, &RgbImage)> = chunk.iter().map(|(l, i)| (l.as_str(), i)).collect();
        s.push_str(&row(&refs, max_px)?.0);
    }
    s.push_str("</div>");
    Ok(Html(s))
}

/// The run's animation (its snapshots, then the result held), as an inline GIF at most `max_px` wide.
pub fn animation(o: &Outcome, max_px: u32) -> Result<Html> {
    let gif = crate::results::gif_bytes(o, max_px)?;
    Ok(Html(format!(
        r#"<img src="data:image/gif;base64,{}" alt="the optimisation, frame by frame"/>"#,
        base64::engine::general_purpose::STANDARD.encode(gif)
    )))
}

/// Several runs' loss curves on one chart (see [`crate::plots::compare_curves_svg`]).
pub fn compare(runs: &[(&str, &Outcome)]) -> Result<Html> {
    let h: Vec<(&str, &[crate::outcome::StepReport])> = runs.iter().map(|(n, o)| (*n, o.history.as_slice())).collect();
    Ok(Html(crate::plots::compare_curves_svg(&h, 720, 320)?))
}

/// Matrices side by side on one colour scale, with its colour bar and tick labels: how Gram
/// matrices of different pictures compare at a glance. Axes are channel numbers (row i,
/// column j).
pub fn heatmaps(items: &[(&str, &candle_core::Tensor)], scale: crate::plots::ColourScale, px: u32) -> Result<Html> {
    use crate::plots::{colour_bar, heatmap_scaled, ColourScale};
    let mut s = String::from(r#"<div style="white-space:nowrap;overflow-x:auto;font:12px sans-serif">"#);
    for (label, t) in items {
        let img = heatmap_scaled(t, 1, scale)?;
        let n = img.width();
        let _ = write!(
            s,
            r#"<figure style="display:inline-block;margin:4px;text-align:center;vertical-align:top"><div style="text-align:left">channel j → 0…{}</div><img src="{}" width="{px}" height="{px}" style="image-rendering:pixelated;border:1px solid #ccc"/><figcaption style="font:13px sans-serif">{} (row i = channel i)</figcaption></figure>"#,
            n.saturating_sub(1),
            png_data_uri(&img)?,
            escape(label)
        );
    }
    let (ticks, title): (Vec<(f32, String)>, &str) = match scale {
        ColourScale::Log10 { lo, hi } => {
            let (a, b) = (lo.ceil() as i32, hi.floor() as i32);
            let every = ((b - a + 5) / 6).max(1); // at most 7 ticks
            ((a..=b).step_by(every as usize).map(|e| (e as f32, format!("1e{e}"))).collect(), "log scale")
        }
        ColourScale::Linear { lo, hi } => {
            ((0..=4).map(|k| lo + (hi - lo) * k as f32 / 4.0).map(|v| (v, format!("{v:.2}"))).collect(), "")
        }
    };
    let (lo, hi) = match scale {
        ColourScale::Log10 { lo, hi } | ColourScale::Linear { lo, hi } => (lo, hi),
    };
    let _ = write!(
        s,
        r#"<figure style="display:inline-block;margin:4px 4px 4px 10px;vertical-align:top"><div>&nbsp;</div><div style="position:relative;height:{px}px;width:70px"><img src="{}" width="14" height="{px}" style="border:1px solid #ccc"/>"#,
        // Drawn at the size it is shown: JupyterLab scales images keeping their own aspect
        // (height:auto), so a 1x256 bar would be stretched out of the column.
        png_data_uri(&colour_bar(14, px))?
    );
    for (v, label) in ticks {
        let top = (1.0 - (v - lo) / (hi - lo).max(1e-12)) * px as f32;
        let _ = write!(s, r#"<span style="position:absolute;left:20px;top:{:.0}px">– {label}</span>"#, top - 7.0);
    }
    let _ = write!(s, r#"</div><figcaption style="font:13px sans-serif">{title}</figcaption></figure></div>"#);
    Ok(Html(s))
}

/// One row of [`layer_table`]: a convolution or pooling layer at a working size.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerRow {
    /// The paper's name (conv4_2, pool3).
    pub name: String,
    /// The original notebook's name for a convolution (conv_10), empty for pooling.
    pub notebook_name: String,
    pub channels: usize,
    /// Width and height of the layer's output.
    pub size: (u32, u32),
    /// Side of the input square one output value depends on (3x3 convolutions, 2x2 pooling).
    pub receptive_field: u32,
}

/// The layers of `spec` for an input of `size` = (w, h): what each sees and how big it is.
pub fn layer_rows(spec: &crate::vgg::VggSpec, size: (u32, u32)) -> Vec<LayerRow> {
    use crate::vgg::LayerKind;
    let (mut rf, mut jump) = (1u32, 1u32);
    let mut rows = vec![];
    for l in spec.layers() {
        match l.kind {
            LayerKind::Relu => continue,
            LayerKind::Conv => rf += 2 * jump,
            LayerKind::Pool => {
                rf += jump;
                jump *= 2;
            }
        }
        let shrink = 1u32 << l.poolings_before();
        rows.push(LayerRow {
            name: l.name(),
            notebook_name: if l.kind == LayerKind::Conv { format!("conv_{}", l.conv_no) } else { String::new() },
            channels: spec.channels(&l),
            size: (size.0 / shrink, size.1 / shrink),
            receptive_field: rf,
        });
    }
    rows
}

/// [`layer_rows`] as a table; rows whose layers `used` names (e.g. the default's loss layers,
/// by the ReLU that follows a convolution) are marked.
pub fn layer_table(spec: &crate::vgg::VggSpec, size: (u32, u32), used: &[(&str, &str)]) -> Html {
    let mut s = format!(
        "<table><caption>{} at {}x{} px (each convN_M is followed by reluN_M, same shape)</caption>\
         <tr><th>layer</th><th>original notebook</th><th>channels</th><th>size</th><th>receptive field</th><th>used for</th></tr>",
        spec.name, size.0, size.1
    );
    for r in layer_rows(spec, size) {
        let relu = r.name.replace("conv", "relu");
        let role: Vec<&str> = used.iter().filter(|(l, _)| *l == r.name || *l == relu).map(|(_, what)| *what).collect();
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}x{}</td><td>{} px</td><td>{}</td></tr>",
            r.name,
            r.notebook_name,
            r.channels,
            r.size.0,
            r.size.1,
            r.receptive_field,
            role.join(", ")
        );
    }
    s.push_str("</table>");
    Html(s)
}

/// Everything about a run in one block: content | style | output, the film strip of
/// snapshots, the loss curves and a one-line summary.
pub fn outcome_html(o: &Outcome) -> Result<Html> {
    let mut top: Vec<(&str, &RgbImage)> = vec![];
    if let Some(c) = &o.content_image {
        top.push(("content", c));
    }
    if let Some(s) = &o.style_image {
        top.push(("style", s));
    }
    top.push(("output", &o.image));
    let mut html = String::new();
    html.push_str(&row(&top, 320)?.0);
    if !o.snapshots.is_empty() {
        let strip: Vec<(String, RgbImage)> =
            o.snapshots.iter().map(|(step, img)| (format!("step {step}"), img.clone())).collect();
        html.push_str(r#"<div style="font:13px sans-serif;margin-top:6px">How the picture formed:</div>"#);
        html.push_str(&grid(&strip, strip.len(), 110)?.0);
    }
    if o.history.len() > 1 {
        html.push_str(&crate::plots::loss_curves_svg(&o.history, 720, 360)?);
    }
    let _ = write!(
        html,
        r#"<div style="font:13px sans-serif">{} steps in {:.1} s ({:.2} s/step); loss {:.3e} → {:.3e}; {} ({:?}){}</div>"#,
        o.history.len(),
        o.seconds,
        o.seconds_per_step(),
        o.first_loss().unwrap_or(f64::NAN),
        o.final_loss().unwrap_or(f64::NAN),
        escape(&o.weights.arch),
        o.weights.flavour,
        o.saved.as_ref().map(|s| format!("; saved {}", escape(&s.image.display().to_string()))).unwrap_or_default()
    );
    let _ = write!(html, r#"<div style="font:13px sans-serif">{}</div>"#, escape(&o.fidelity.to_string()));
    if let Status::Diverged { step, loss, last_good_step } = o.status {
        let _ = write!(
            html,
            r#"<div style="font:bold 13px sans-serif;color:#b00">The optimisation diverged at step {step} (loss {loss}): the output is the last good picture, from step {last_good_step}. Try a smaller learning rate or style weight.</div>"#
        );
    }
    Ok(Html(html))
}

/// A session between cells: the picture it stands on beside the loss curves so far, and the
/// changes made, each with the step it applies after.
pub fn session_html(image: &RgbImage, history: &[StepReport], changes: &[Change]) -> Result<Html> {
    let mut html = row(&[(&format!("after {} steps", history.len()), image)], 320)?.0;
    if history.len() > 1 {
        html.push_str(&crate::plots::loss_curves_svg(history, 720, 360)?);
    }
    let accepted = history.iter().rev().find(|r| r.accepted);
    if let (Some(first), Some(now)) = (history.first(), accepted) {
        let _ = write!(
            html,
            r#"<div style="font:13px sans-serif">{} steps; loss {:.3e} at the start, {:.3e} now</div>"#,
            history.len(),
            first.loss.total,
            now.loss.total
        );
    }
    for c in changes {
        let reset = if c.optimiser_reset { " (the optimiser starts afresh)" } else { "" };
        let _ = write!(
            html,
            r#"<div style="font:13px sans-serif">after step {}: {}{reset}</div>"#,
            c.after_step,
            escape(&c.what)
        );
    }
    Ok(Html(html))
}

impl Session {
    /// The picture so far beside the loss curves so far, and the changes made: the value of a
    /// notebook cell (`s.show()?`), between runs of a few steps.
    pub fn show(&self) -> Result<Html> {
        session_html(&self.image()?, self.history(), self.changes())
    }

    /// A session shows itself (as [`Session::show`]) when it is the value of a cell.
    pub fn evcxr_display(&self) {
        match self.show() {
            Ok(h) => h.evcxr_display(),
            Err(e) => println!("could not display the session: {e}"),
        }
    }
}

impl Outcome {
    /// A run shows itself as the value of a notebook cell.
    pub fn evcxr_display(&self) {
        match outcome_html(self) {
            Ok(h) => h.evcxr_display(),
            Err(e) => println!("could not display the result: {e}"),
        }
    }
}

/// The current image in ANSI true colour, two pixels per character ("▀": foreground = upper
/// pixel, background = lower pixel), `cols` characters wide.
pub fn ansi_preview(img: &RgbImage, cols: u32) -> String {
    let cols = cols.clamp(8, 160).min(img.width());
    let rows = ((img.height() as f64 * cols as f64 / img.width() as f64 / 2.0).round() as u32).max(1);
    let small = image::imageops::resize(img, cols, rows * 2, image::imageops::FilterType::Triangle);
    let mut s = String::new();
    for r in 0..rows {
        for c in 0..cols {
            let a = small.get_pixel(c, 2 * r).0;
            let b = small.get_pixel(c, 2 * r + 1).0;
            let _ = write!(s, "\x1b[38;2;{};{};{}m\x1b[48;2;{};{};{}m▀", a[0], a[1], a[2], b[0], b[1], b[2]);
        }
        s.push_str("\x1b[0m\n");
    }
    s
}

/// Progress while a run executes: a line every `every` steps (step, losses, elapsed, time left)
/// and, when `preview_cols > 0`, a small colour preview of the current image (the CLI's
/// `--preview`). With `in_place` the line is rewritten in place (`\r`, which Jupyter honours)
/// and previews are drawn only at the start, middle and end.
pub struct Reporter {
    pub every: usize,
    pub preview_cols: u32,
    /// One line rewritten in place, and previews only at the start, middle and end.
    pub in_place: bool,
}

impl Reporter {
    /// The reporter a [`Report`] setting asks for, over a run of `steps` steps in all.
    pub fn for_report(report: Report, steps: usize) -> Option<Self> {
        match report {
            Report::Auto if in_notebook() => Some(Self::for_notebook(steps)),
            Report::Auto | Report::Off => None,
            Report::Lines { every, preview_cols } => Some(Self { every, preview_cols, in_place: false }),
        }
    }

    /// What notebooks get by default: one line rewritten about 100 times per run, no text
    /// previews (a notebook shows the picture itself: the result, `Session::show`, a live view).
    pub fn for_notebook(steps: usize) -> Self {
        Self { every: (steps / 100).max(1), preview_cols: 0, in_place: true }
    }

    /// What to print after this step (nothing when it is not a reporting step).
    pub fn render(&self, p: &Progress) -> Option<String> {
        let r = p.report;
        let due = |k: usize| k == 1 || k == p.steps || (self.every > 0 && k.is_multiple_of(self.every));
        if self.every == 0 || !due(r.step) {
            return None;
        }
        let left = r.seconds / r.step as f64 * p.steps.saturating_sub(r.step) as f64;
        let line = format!(
            "step {:>5}/{}  loss {:.4e}  (content {:.3e}, style {:.3e}, tv {:.3e})  {:.0} s elapsed, ~{:.0} s left",
            r.step, p.steps, r.loss.total, r.loss.content, r.loss.style, r.loss.tv, r.seconds, left
        );
        // The middle preview falls on the first reporting step past half way.
        let middle = (p.steps / 2).div_ceil(self.every.max(1)) * self.every.max(1);
        let preview = self.preview_cols > 0 && (!self.in_place || r.step == 1 || r.step == middle || r.step == p.steps);
        let picture = if preview { crate::image_io::to_image(p.image).ok() } else { None };
        let mut out = String::new();
        if self.in_place {
            // Padded, so a shorter line fully covers the longer one before it.
            let _ = write!(out, "\r{line:<118}");
            if let Some(img) = picture {
                let _ = write!(out, "\n{}", ansi_preview(&img, self.preview_cols));
            } else if r.step == p.steps {
                out.push('\n');
            }
        } else {
            out.push_str(&line);
            out.push('\n');
            if let Some(img) = picture {
                out.push_str(&ansi_preview(&img, self.preview_cols));
            }
        }
        Some(out)
    }

    pub fn report(&self, p: &Progress) {
        if let Some(text) = self.render(p) {
            use std::io::Write as _;
            print!("{text}");
            let _ = std::io::stdout().flush();
        }
    }
}

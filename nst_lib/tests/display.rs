//! What notebooks show: one HTML block per result, loss curves as SVG, ANSI previews.

mod common;

use candle_core::{Device, Tensor};
use common::*;
use nst_lib::display::{ansi_preview, grid, in_notebook, outcome_html};
use nst_lib::plots::{feature_map, heatmap, loss_curves_svg};

fn tiny_outcome() -> nst_lib::Outcome {
    let dir = tempfile::tempdir().unwrap();
    let weights = write_random_vgg(dir.path(), "tiny.safetensors", &tiny_spec());
    let content = write_image(dir.path(), "photo.png", 40, 30).display().to_string();
    let style = write_image(dir.path(), "paint.png", 20, 36).display().to_string();
    let cfg =
        nst_lib::Config { weights: Some(weights), steps: 6, snapshots: 3, save: false, ..tiny_config(dir.path()) };
    nst_lib::run(&content, &style, &cfg).unwrap()
}

/// (caption, decoded picture) of every `<figure>` in an HTML block, in order.
fn figures(html: &str) -> Vec<(String, image::RgbImage)> {
    use base64::Engine;
    html.split("<figure")
        .skip(1)
        .map(|fig| {
            let data = fig.split("data:image/png;base64,").nth(1).expect("a figure holds a PNG");
            let data = &data[..data.find('"').unwrap()];
            let png = base64::engine::general_purpose::STANDARD.decode(data).expect("valid base64");
            let img = image::load_from_memory(&png).expect("a PNG that decodes").to_rgb8();
            let cap = fig.split("<figcaption").nth(1).expect("a caption");
            let cap = &cap[cap.find('>').unwrap() + 1..cap.find("</figcaption>").unwrap()];
            (cap.to_string(), img)
        })
        .collect()
}

/// The text of every `<text>` element of an SVG, trimmed.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|t| t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].trim().to_string())
        .collect()
}

#[test]
fn a_result_is_one_html_block_whose_pictures_are_what_their_captions_say() {
    assert!(!in_notebook(), "tests do not run inside evcxr");
    let out = tiny_outcome();
    assert_eq!(out.snapshots.len(), 3);
    let html = outcome_html(&out).unwrap().0;
    let figs = figures(&html);
    let mut expected: Vec<(String, &image::RgbImage)> = vec![
        ("content".into(), out.content_image.as_ref().unwrap()),
        ("style".into(), out.style_image.as_ref().unwrap()),
        ("output".into(), &out.image),
    ];
    expected.extend(out.snapshots.iter().map(|(step, img)| (format!("step {step}"), img)));
    let captions: Vec<&str> = figs.iter().map(|(c, _)| c.as_str()).collect();
    let want: Vec<&str> = expected.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(captions, want, "one figure per picture, in this order, with exactly these captions");
    for ((cap, shown), (_, img)) in figs.iter().zip(&expected) {
        assert!(shown == *img, "the picture captioned {cap:?} is not that image");
    }
    assert!(figs[2].1 != figs[0].1, "the output differs from the photo");
    assert_eq!(html.matches("<img").count(), figs.len(), "no picture without a caption");
    assert_eq!(html.matches("How the picture formed:").count(), 1);
    assert_eq!(html.matches("<svg").count(), 1, "one loss plot");
    // The summary line states the run's own numbers, and the fidelity line is there.
    assert!(html.contains(&format!("{} steps in", out.history.len())));
    assert!(html.contains(&format!("loss {:.3e} → {:.3e}", out.first_loss().unwrap(), out.final_loss().unwrap())));
    assert!(html.contains(&out.fidelity.to_string().replace('<', "&lt;")));
}

#[test]
fn loss_curves_have_exactly_one_legend_entry_per_series() {
    let out = tiny_outcome();
    let svg = loss_curves_svg(&out.history, 600, 300).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let texts = svg_texts(&svg);
    // tiny_config: content at conv_4 (= conv2_2: one layer, so the thick "content" line is its
    // only line), style at conv_1, relu2_1 and conv_3_1; no TV.
    let series = ["total", "content", "style", "style conv1_1", "style relu2_1", "style conv3_1"];
    for name in series {
        assert_eq!(texts.iter().filter(|t| *t == name).count(), 1, "legend entry {name:?} in {texts:?}");
    }
    assert!(!texts.iter().any(|t| t == "content conv2_2"), "a single content layer is not drawn twice");
    // The legend stands right of the plot: every legend text starts beyond the plot's right edge.
    let x_of = |label: &str| -> f64 {
        let i = svg.find(&format!(">\n{label}\n<")).or_else(|| svg.find(&format!(">{label}<"))).unwrap();
        let tag = &svg[svg[..i].rfind("<text").unwrap()..i];
        let x = &tag[tag.find("x=\"").unwrap() + 3..];
        x[..x.find('"').unwrap()].parse().unwrap()
    };
    for name in series {
        assert!(x_of(name) > 600.0 - 170.0, "{name} is in the legend column, not over the curves");
    }
    for label in ["loss per step (log scale)", "step (one forward + backward pass)", "weighted loss"] {
        assert_eq!(texts.iter().filter(|t| *t == label).count(), 1, "{label:?} in {texts:?}");
    }
    // Everything else is a tick label (a number): no series without its legend, none extra.
    let words: Vec<&String> = texts
        .iter()
        .filter(|t| !series.contains(&t.as_str()) && t.chars().any(|c| c.is_alphabetic()) && t.parse::<f64>().is_err())
        .filter(|t| {
            !["loss per step (log scale)", "step (one forward + backward pass)", "weighted loss"].contains(&t.as_str())
        })
        .collect();
    assert!(words.is_empty(), "unexpected labels {words:?}");
}

#[test]
fn grid_puts_labelled_pictures_in_rows() {
    let img = image::RgbImage::from_pixel(10, 10, image::Rgb([200, 10, 10]));
    let items: Vec<(String, image::RgbImage)> = (0..5).map(|i| (format!("n{i}"), img.clone())).collect();
    let html = grid(&items, 2, 100).unwrap().0;
    assert_eq!(html.matches("<img").count(), 5);
    assert_eq!(html.matches("white-space:nowrap").count(), 3, "rows of 2, 2 and 1");
    assert!(html.contains(">n4<"));
}

#[test]
fn ansi_preview_draws_two_pixels_per_character() {
    let img =
        image::RgbImage::from_fn(40, 20, |x, _| if x < 20 { image::Rgb([255, 0, 0]) } else { image::Rgb([0, 0, 255]) });
    let s = ansi_preview(&img, 20);
    assert_eq!(s.lines().count(), 5, "20 px high at 20 columns of 2 px: 10 px -> 5 rows");
    assert_eq!(s.matches('▀').count(), 100);
    assert!(s.contains("\x1b[38;2;255;0;0m") && s.contains("\x1b[48;2;0;0;255m"));
}

#[test]
fn heatmap_and_feature_maps_draw_each_value_where_it_belongs() {
    // Heat map: one uniform cell×cell block per entry, colours ordered by value (viridis runs
    // from dark purple to bright yellow), equal values equal colours, the matrix's symmetry kept.
    let g = Tensor::new(&[[1f32, -1.0], [-1.0, 3.0]], &Device::Cpu).unwrap();
    let h = heatmap(&g, 4, false).unwrap();
    assert_eq!(h.dimensions(), (8, 8));
    let block = |bx: u32, by: u32| {
        let p = *h.get_pixel(bx * 4, by * 4);
        for y in by * 4..by * 4 + 4 {
            for x in bx * 4..bx * 4 + 4 {
                assert_eq!(*h.get_pixel(x, y), p, "block ({bx},{by}) is uniform");
            }
        }
        p
    };
    let luma = |p: image::Rgb<u8>| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64;
    let (low, mid, high) = (block(1, 0), block(0, 0), block(1, 1));
    assert_eq!(block(0, 1), low, "G is symmetric, so is its picture");
    assert!(luma(low) < luma(mid) && luma(mid) < luma(high), "-1 < 1 < 3: {low:?} {mid:?} {high:?}");
    assert!(high[0] > 200 && high[1] > 200 && high[2] < 100, "the maximum is viridis yellow: {high:?}");
    assert!(low[2] > low[1] && low[1] < 50, "the minimum is viridis dark purple: {low:?}");

    // Feature map: grey, black at 0 (and below), white at the channel's maximum, enlarged.
    let f = Tensor::new(&[0f32, 1.0, 2.0, 4.0, -3.0, 0.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0], &Device::Cpu)
        .unwrap()
        .reshape((1, 2, 2, 3))
        .unwrap();
    let m = feature_map(&f, 0, 2).unwrap();
    assert_eq!(m.dimensions(), (6, 4), "3 wide, 2 high, twice enlarged");
    let grey = |x: u32, y: u32| {
        let p = m.get_pixel(x, y);
        assert!(p[0] == p[1] && p[1] == p[2], "grey");
        p[0]
    };
    let expected = [[0u8, 63, 127], [255, 0, 0]]; // v / 4 · 255, negatives black
    for (row, vals) in expected.iter().enumerate() {
        for (col, &v) in vals.iter().enumerate() {
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                assert_eq!(grey(col as u32 * 2 + dx, row as u32 * 2 + dy), v, "pixel for value at ({row},{col})");
            }
        }
    }
    let other = feature_map(&f, 1, 1).unwrap();
    assert!(other.pixels().all(|p| p[0] == 255), "a constant channel is all white at its maximum");
    assert!(feature_map(&f, 2, 1).is_err(), "channel out of range is an error, not a panic");
}

#[test]
fn notebook_progress_is_one_line_rewritten_in_place_with_three_previews() {
    use nst_lib::display::Reporter;
    use nst_lib::total_loss::LossParts;
    use nst_lib::{Progress, StepReport};
    let image = seeded_rand(&[1, 3, 8, 8], 3);
    let steps = 300;
    let reporter = Reporter::for_notebook(steps);
    let mut printed = String::new();
    let mut reports = 0;
    for step in 1..=steps {
        let loss =
            LossParts { total: 1.0 / step as f64, content: 0.5, style: 0.25, tv: 0.0, range: 0.0, layers: vec![] };
        let report = StepReport { step, loss, seconds: step as f64 * 0.1 };
        if let Some(text) = reporter.render(&Progress { report: &report, steps, image: &image }) {
            reports += 1;
            assert!(text.starts_with('\r'), "each report rewrites the line: {text:?}");
            printed.push_str(&text);
        }
    }
    assert!((90..=110).contains(&reports), "about 100 updates, got {reports}");
    let previews: Vec<usize> = printed
        .split('\r')
        .filter(|t| t.contains('▀'))
        .map(|t| t.split_whitespace().nth(1).unwrap().split('/').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(previews, vec![1, 150, 300], "three previews: start, middle, end");
    // Apart from the previews' own rows, no line is ever ended: the text stays one line.
    let rows_per_preview = printed.split('\r').find(|t| t.contains('▀')).unwrap().matches('\n').count();
    assert_eq!(printed.matches('\n').count(), 3 * rows_per_preview, "only previews add lines");
    // A command-line reporter prints ordinary lines, each with a preview.
    let lines = Reporter { every: 100, preview_cols: 8, in_place: false };
    let report = StepReport {
        step: 100,
        loss: LossParts { total: 1.0, content: 1.0, style: 0.0, tv: 0.0, range: 0.0, layers: vec![] },
        seconds: 1.0,
    };
    let text = lines.render(&Progress { report: &report, steps, image: &image }).unwrap();
    assert!(text.starts_with("step   100/300") && text.contains('▀'));
}

#[test]
fn layer_table_gives_sizes_channels_and_receptive_fields() {
    use nst_lib::display::layer_rows;
    use nst_lib::vgg::VggSpec;
    let rows = layer_rows(&VggSpec::vgg16(), (256, 176));
    let row = |n: &str| rows.iter().find(|r| r.name == n).unwrap().clone();
    assert_eq!(rows.len(), 13 + 5, "13 convolutions and 5 poolings");
    assert_eq!((row("conv1_1").channels, row("conv1_1").size, row("conv1_1").receptive_field), (64, (256, 176), 3));
    assert_eq!(row("pool1").size, (128, 88));
    assert_eq!((row("conv4_2").channels, row("conv4_2").size), (512, (32, 22)));
    // Published receptive fields of VGG16: conv4_3 92 px, conv5_3 196 px, pool5 212 px.
    assert_eq!(row("conv4_3").receptive_field, 92);
    assert_eq!(row("conv5_3").receptive_field, 196);
    assert_eq!(row("pool5").receptive_field, 212);
    assert_eq!(row("conv4_2").notebook_name, "conv_9");
    let vgg19 = layer_rows(&VggSpec::vgg19(), (512, 512));
    // The original notebook's conv_10 is conv4_2 in VGG19 but conv4_3 in VGG16.
    assert_eq!(vgg19.iter().find(|r| r.notebook_name == "conv_10").unwrap().name, "conv4_2");
    assert_eq!(rows.iter().find(|r| r.notebook_name == "conv_10").unwrap().name, "conv4_3");
    let html = nst_lib::display::layer_table(&VggSpec::vgg16(), (256, 176), &[("relu4_2", "content")]).0;
    assert!(
        html.contains("<td>conv4_2</td><td>conv_9</td><td>512</td><td>32x22</td><td>76 px</td><td>content</td>"),
        "{html}"
    );
}

#[test]
fn animation_is_an_inline_gif() {
    let html = nst_lib::display::animation(&tiny_outcome(), 64).unwrap().0;
    // base64 of "GIF89a"
    assert!(html.starts_with(r#"<img src="data:image/gif;base64,R0lGODlh"#), "{}", &html[..60.min(html.len())]);
}

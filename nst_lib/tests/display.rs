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
        .filter(|t| !(*t == "line-search trial" && out.history.iter().any(|r| !r.accepted)))
        .collect();
    assert!(words.is_empty(), "unexpected labels {words:?}");
}

#[test]
fn curves_join_the_accepted_steps_and_the_final_loss_is_the_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let weights = write_random_vgg(dir.path(), "tiny.safetensors", &tiny_spec());
    let content = write_image(dir.path(), "photo.png", 40, 30).display().to_string();
    let style = write_image(dir.path(), "paint.png", 20, 36).display().to_string();
    let cfg = nst_lib::Config { weights: Some(weights), steps: 30, save: false, ..tiny_config(dir.path()) };
    let out = nst_lib::run(&content, &style, &cfg).unwrap();
    let accepted: Vec<f64> = out.history.iter().filter(|r| r.accepted).map(|r| r.loss.total).collect();
    let trials = out.history.len() - accepted.len();
    assert!(out.history[0].accepted && accepted.len() > 2, "{accepted:?}");
    assert!(trials > 0, "30 L-BFGS steps from a random start use some line-search trials");
    assert!(accepted.windows(2).all(|w| w[1] <= w[0]), "accepted losses only fall: {accepted:?}");
    // The returned picture's loss (computed afresh) is the last accepted one, not the last trial.
    let last = *accepted.last().unwrap();
    assert!(rel_err(out.final_loss().unwrap(), last) < 1e-4, "{} vs {last}", out.final_loss().unwrap());
    // The black (total) line has one point per accepted step; each trial is one grey dot.
    let svg = loss_curves_svg(&out.history, 600, 300).unwrap();
    let black_lines = svg.split("<polyline").skip(1).filter(|p| p.contains("stroke=\"#000000\""));
    let thick = black_lines.filter(|p| p.contains("stroke-width=\"3\""));
    let points: Vec<usize> = thick
        .map(|p| p.split("points=\"").nth(1).unwrap().split('"').next().unwrap().split_whitespace().count())
        .collect();
    assert_eq!(points, vec![accepted.len(), 2], "the total's curve, then its legend sample");
    assert_eq!(svg.matches("fill=\"#969696\"").count(), trials + 1, "a dot per trial and one in the legend");
}

#[test]
fn large_pictures_are_stored_at_their_shown_size_as_jpeg_small_ones_as_exact_png() {
    use base64::Engine;
    let photo = image::RgbImage::from_fn(600, 400, |x, y| image::Rgb([(x / 3) as u8, (y / 2) as u8, 90]));
    let html = nst_lib::display::row(&[("photo", &photo)], 300).unwrap().0;
    let data = html.split("data:image/jpeg;base64,").nth(1).expect("a large picture is a JPEG");
    let bytes = base64::engine::general_purpose::STANDARD.decode(&data[..data.find('"').unwrap()]).unwrap();
    let shown = image::load_from_memory(&bytes).unwrap().to_rgb8();
    assert_eq!(shown.dimensions(), (300, 200), "stored at the size it is shown");
    assert!(html.contains(r#"width="300" height="200""#));
    // Independently: the same picture scaled by 2 is what the JPEG holds, up to its loss.
    let diff: f64 = shown
        .pixels()
        .zip(image::imageops::resize(&photo, 300, 200, image::imageops::FilterType::Triangle).pixels())
        .map(|(a, b)| (0..3).map(|c| (a[c] as f64 - b[c] as f64).abs()).sum::<f64>())
        .sum::<f64>()
        / (300.0 * 200.0 * 3.0);
    assert!(diff < 2.0, "mean difference {diff}");
    // A small picture stays a PNG, exactly.
    let small = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 5, y as u8 * 7, 3]));
    let html = nst_lib::display::row(&[("small", &small)], 300).unwrap().0;
    assert!(!html.contains("image/jpeg") && figures(&html)[0].1 == small);
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

    // Feature map: on the heat maps' scale, 0 (and below) at the bottom, the channel's maximum
    // at the top, enlarged.
    let f = Tensor::new(&[0f32, 1.0, 2.0, 4.0, -3.0, 0.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0], &Device::Cpu)
        .unwrap()
        .reshape((1, 2, 2, 3))
        .unwrap();
    let m = feature_map(&f, 0, 2).unwrap();
    assert_eq!(m.dimensions(), (6, 4), "3 wide, 2 high, twice enlarged");
    let bar = nst_lib::plots::colour_bar(1, 5); // rows: 1, 0.75, 0.5, 0.25, 0 of the scale
    let at = |t: usize| *bar.get_pixel(0, 4 - t as u32);
    let expected = [[0usize, 1, 2], [4, 0, 0]]; // v / 4 in quarters of the scale, negatives at 0
    for (row, vals) in expected.iter().enumerate() {
        for (col, &q) in vals.iter().enumerate() {
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let p = *m.get_pixel(col as u32 * 2 + dx, row as u32 * 2 + dy);
                assert_eq!(p, at(q), "pixel for value at ({row},{col})");
            }
        }
    }
    let other = feature_map(&f, 1, 1).unwrap();
    assert!(other.pixels().all(|p| *p == at(4)), "a constant channel is all at its maximum");
    assert!(feature_map(&f, 2, 1).is_err(), "channel out of range is an error, not a panic");
}

#[test]
fn notebook_progress_is_one_line_rewritten_in_place_without_text_pictures() {
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
        let report = StepReport { step, loss, seconds: step as f64 * 0.1, accepted: true };
        if let Some(text) = reporter.render(&Progress { report: &report, steps, image: &image }) {
            reports += 1;
            assert!(text.starts_with('\r'), "each report rewrites the line: {text:?}");
            printed.push_str(&text);
        }
    }
    assert!((90..=110).contains(&reports), "about 100 updates, got {reports}");
    // No mosaic of coloured characters (a notebook shows pictures as pictures), and the line is
    // ended once, at the last step: the text stays one line.
    assert!(!printed.contains('▀') && !printed.contains('\x1b'), "no text pictures");
    assert_eq!(printed.matches('\n').count(), 1, "one line, ended at the end");
    assert!(printed.ends_with('\n') && printed.rsplit('\r').next().unwrap().starts_with("step   300/300"));
    // Asked for, previews come at the start, middle and end only.
    let with_previews = Reporter { preview_cols: 8, ..Reporter::for_notebook(steps) };
    let previews: Vec<usize> = (1..=steps)
        .filter(|&step| {
            let loss = LossParts { total: 1.0, content: 0.5, style: 0.25, tv: 0.0, range: 0.0, layers: vec![] };
            let report = StepReport { step, loss, seconds: 1.0, accepted: true };
            with_previews.render(&Progress { report: &report, steps, image: &image }).is_some_and(|t| t.contains('▀'))
        })
        .collect();
    assert_eq!(previews, vec![1, 150, 300], "three previews: start, middle, end");
    // A command-line reporter prints ordinary lines, each with a preview.
    let lines = Reporter { every: 100, preview_cols: 8, in_place: false };
    let report = StepReport {
        step: 100,
        loss: LossParts { total: 1.0, content: 1.0, style: 0.0, tv: 0.0, range: 0.0, layers: vec![] },
        seconds: 1.0,
        accepted: true,
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

#[test]
fn gram_heat_maps_share_one_log_scale_with_its_colour_bar() {
    use nst_lib::plots::{colour_bar, heatmap_scaled, ColourScale};
    let t = Tensor::new(&[[1e-3f32, 1.0], [1e3, 0.0]], &Device::Cpu).unwrap();
    let scale = ColourScale::Log10 { lo: -3.0, hi: 3.0 };
    let img = heatmap_scaled(&t, 2, scale).unwrap();
    assert_eq!(img.dimensions(), (4, 4));
    let bar = colour_bar(1, 101);
    // Bottom of the bar = 1e-3 (and entries ≤ 0), middle = 1, top = 1e3.
    assert_eq!(img.get_pixel(0, 0), bar.get_pixel(0, 100));
    assert_eq!(img.get_pixel(2, 0), bar.get_pixel(0, 50));
    assert_eq!(img.get_pixel(0, 2), bar.get_pixel(0, 0));
    assert_eq!(img.get_pixel(2, 2), bar.get_pixel(0, 100));
    assert_ne!(bar.get_pixel(0, 0), bar.get_pixel(0, 100));
    let fitted = ColourScale::log_decades(&[&t, &(&t * 0.5).unwrap()], 4).unwrap();
    assert_eq!(fitted, ColourScale::Log10 { lo: -1.0, hi: 3.0 }, "1e3 is the largest entry");
    let lin = ColourScale::Linear { lo: 0.0, hi: 2.0 };
    assert_eq!((lin.position(1.0), lin.position(-1.0), lin.position(5.0)), (0.5, 0.0, 1.0));
    let html = nst_lib::display::heatmaps(&[("style", &t), ("output", &t)], scale, 128).unwrap().0;
    assert_eq!(html.matches("<figure").count(), 3, "two matrices and the colour bar");
    for label in ["1e-3", "1e0", "1e3", "log scale", "style (row i = channel i)", "output (row i = channel i)"] {
        assert!(html.contains(label), "{label} in the figure");
    }
}

#[test]
fn a_channel_picture_excites_its_channel_and_a_wrong_channel_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let weights = write_random_vgg(dir.path(), "tiny.safetensors", &tiny_spec());
    let cfg = nst_lib::Config { weights: Some(weights), ..tiny_config(dir.path()) };
    let nst = nst_lib::StyleTransfer::new(cfg).unwrap();
    let (img, start, end) = nst_lib::excite::channel_picture(&nst.vgg, "relu2_1", 3, 32, 20, 0).unwrap();
    assert_eq!(img.dimensions(), (32, 32));
    assert!(end > 2.0 * start.max(1e-6), "the channel fires more: {start} -> {end}");
    // Independently: the channel's mean response on the returned picture, taken before the ReLU
    // (a ReLU's silent channel has no gradient, so its convolution's output is what is raised).
    let x = nst_lib::image_io::to_tensor(&img, nst.vgg.device()).unwrap();
    let layer = nst.vgg.spec.layer("conv2_1").unwrap();
    let f = nst.vgg.features(&x, &[layer]).unwrap().remove(0);
    let mean = f.narrow(1, 3, 1).unwrap().mean_all().unwrap().to_scalar::<f32>().unwrap() as f64;
    assert!(rel_err(mean, end) < 1e-5, "{mean} vs {end}");
    let err = nst_lib::excite::channel_picture(&nst.vgg, "relu2_1", 9999, 32, 2, 0).unwrap_err().to_string();
    assert!(err.contains("channel 9999 does not exist") && err.contains("channels (0 to"), "{err}");
}

#[test]
fn comparison_chart_has_one_line_per_run_over_its_accepted_steps() {
    use nst_lib::total_loss::LossParts;
    use nst_lib::StepReport;
    let run = |losses: &[(f64, bool)]| -> Vec<StepReport> {
        losses
            .iter()
            .enumerate()
            .map(|(i, &(total, accepted))| StepReport {
                step: i + 1,
                loss: LossParts { total, content: 0.0, style: 0.0, tv: 0.0, range: 0.0, layers: vec![] },
                seconds: 0.0,
                accepted,
            })
            .collect()
    };
    let a = run(&[(10.0, true), (50.0, false), (5.0, true), (1.0, true)]);
    let b = run(&[(10.0, true), (9.0, true)]);
    let svg = nst_lib::plots::compare_curves_svg(&[("lbfgs", &a), ("adam", &b)], 600, 300).unwrap();
    let texts = svg_texts(&svg);
    assert!(texts.contains(&"lbfgs".to_string()) && texts.contains(&"adam".to_string()));
    let counts: Vec<usize> = svg
        .split("<polyline")
        .skip(1)
        .filter(|p| p.contains("stroke-width=\"2\""))
        .map(|p| p.split("points=\"").nth(1).unwrap().split('"').next().unwrap().split_whitespace().count())
        .collect();
    assert_eq!(counts, vec![3, 2, 2, 2], "lbfgs's 3 accepted steps, its legend sample, adam's 2, its sample");
}

#[test]
fn lines_chart_draws_each_series_through_its_points() {
    let a = vec![(0.0, 0.9), (10.0, 0.3), (20.0, 0.1)];
    let b = vec![(0.0, 0.9), (12.0, 0.5)];
    let svg =
        nst_lib::plots::lines_svg("style distance", ("seconds", "distance"), &[("lbfgs", a), ("sgd", b)], (600, 300))
            .unwrap();
    let texts = svg_texts(&svg);
    assert!(
        texts.contains(&"lbfgs".to_string())
            && texts.contains(&"sgd".to_string())
            && texts.contains(&"seconds".to_string())
    );
    let lines: Vec<Vec<(f64, f64)>> = svg
        .split("<polyline")
        .skip(1)
        .filter(|p| p.contains("stroke-width=\"2\""))
        .map(|p| {
            let pts = p.split("points=\"").nth(1).unwrap().split('"').next().unwrap();
            pts.split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect();
    assert_eq!(lines.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 2, 2, 2], "each series, then its legend sample");
    // Time runs right and a falling distance runs down the page (SVG y grows downwards).
    let first = &lines[0];
    assert!(first[0].0 < first[1].0 && first[1].0 < first[2].0, "{first:?}");
    assert!(first[0].1 < first[1].1 && first[1].1 < first[2].1, "{first:?}");
    assert_eq!(svg.matches("<circle").count(), 5, "a dot at every point");
}

/// The library's PNG bytes (the PNG encoder called directly, so that no other format's encoder
/// is compiled into it) are the bytes image's `write_to(.., ImageFormat::Png)` gives, and decode
/// to the picture; a picture whose buffer is longer than its pixels (`from_raw` allows that)
/// encodes its pixels alone, as `write_to` does.
#[test]
fn png_bytes_are_images_own_png() {
    let img = image::RgbImage::from_fn(7, 5, |x, y| image::Rgb([x as u8 * 30, y as u8 * 40, 200]));
    let ours = nst_lib::image_io::png_bytes(&img).unwrap();
    let mut theirs = std::io::Cursor::new(Vec::new());
    img.write_to(&mut theirs, image::ImageFormat::Png).unwrap();
    assert_eq!(ours, theirs.into_inner());
    assert_eq!(image::load_from_memory(&ours).unwrap().to_rgb8(), img);
    let mut raw = img.as_raw().clone();
    raw.extend([1, 2, 3]);
    let padded = image::RgbImage::from_raw(7, 5, raw).unwrap();
    assert_eq!(nst_lib::image_io::png_bytes(&padded).unwrap(), ours);
}

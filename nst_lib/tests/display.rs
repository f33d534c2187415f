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

#[test]
fn a_result_is_one_html_block_with_pictures_film_strip_and_curves() {
    assert!(!in_notebook(), "tests do not run inside evcxr");
    let out = tiny_outcome();
    let html = outcome_html(&out).unwrap().0;
    // content, style, output + 3 snapshots
    assert_eq!(html.matches("<img").count(), 3 + out.snapshots.len(), "{}", &html[..200]);
    assert_eq!(out.snapshots.len(), 3);
    for label in [">content<", ">style<", ">output<", "step 2", "How the picture formed"] {
        assert!(html.contains(label), "missing {label}");
    }
    assert_eq!(html.matches("<svg").count(), 1, "one loss plot");
    assert!(html.contains("data:image/png;base64,"));
}

#[test]
fn loss_curves_have_a_legend_for_every_series() {
    let out = tiny_outcome();
    let svg = loss_curves_svg(&out.history, 600, 300).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for name in ["total", "content", "style", "style relu2_1", "content conv2_2"] {
        assert!(
            svg.contains(&format!(">{name}<")) || svg.contains(&format!(">\n{name}\n<")) || svg.contains(name),
            "legend lacks {name}"
        );
    }
    assert!(svg.contains("log scale"));
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
fn heatmap_and_feature_maps() {
    let g = Tensor::new(&[[1f32, -1.0], [-1.0, 3.0]], &Device::Cpu).unwrap();
    let h = heatmap(&g, 4, false).unwrap();
    assert_eq!(h.dimensions(), (8, 8));
    assert_ne!(h.get_pixel(0, 0), h.get_pixel(7, 7), "different values, different colours");
    let f = Tensor::rand(0f32, 1f32, (1, 3, 5, 6), &Device::Cpu).unwrap();
    assert_eq!(feature_map(&f, 2, 3).unwrap().dimensions(), (18, 15));
    assert!(feature_map(&f, 3, 1).is_err(), "channel out of range is an error, not a panic");
}

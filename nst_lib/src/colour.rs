//! Preserving the content's colours (Gatys, Bethge, Hertzmann & Shechtman 2016, "Preserving
//! color in neural artistic style transfer"). Style transfer copies the style image's palette
//! along with its brush strokes; often one wants the strokes but the photo's colours. Two ways:
//!
//! - **luminance only**: run the transfer, then keep the result's luminance (Y of YIQ) and put
//!   back the content's chrominance (I and Q) — what jcjohnson/neural-style's
//!   `-original_colors 1` does;
//! - **colour matching**: before the run, give the style image the content's colour statistics
//!   (the mean and covariance of its RGB values), so the textures arrive in the photo's palette.

use image::RgbImage;

use crate::error::{NstError, Result};

/// How to keep the content's colours (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum OriginalColours {
    /// The style's colours (the original notebook).
    #[default]
    Off,
    /// Result's luminance + content's chrominance (YIQ), after the run.
    Luminance,
    /// Style image recoloured to the content's mean and covariance, before the run.
    Match,
}

choices!(OriginalColours, "original colours", [
    Off => "off", ["none", "no"], "the style's colours";
    Luminance => "luminance", ["yiq", "lum"], "the result's luminance with the content's chrominance";
    Match => "match", ["histogram", "colour-match", "color-match"], "recolour the style image to the content's colours first";
]);

/// RGB (0–1) to YIQ (NTSC 1953 matrix).
pub fn rgb_to_yiq([r, g, b]: [f32; 3]) -> [f32; 3] {
    [
        0.299 * r + 0.587 * g + 0.114 * b,
        0.595_716 * r - 0.274_453 * g - 0.321_263 * b,
        0.211_456 * r - 0.522_591 * g + 0.311_135 * b,
    ]
}

/// YIQ back to RGB (0–1, not clamped).
pub fn yiq_to_rgb([y, i, q]: [f32; 3]) -> [f32; 3] {
    [y + 0.956_3 * i + 0.621_0 * q, y - 0.272_1 * i - 0.647_4 * q, y - 1.107_0 * i + 1.704_6 * q]
}

fn px(p: &image::Rgb<u8>) -> [f32; 3] {
    p.0.map(|v| v as f32 / 255.0)
}

fn to_u8(v: [f32; 3]) -> image::Rgb<u8> {
    image::Rgb(v.map(|x| (x * 255.0).round().clamp(0.0, 255.0) as u8))
}

/// The luminance of `output` with the chrominance of `content` (same size).
pub fn luminance_transfer(output: &RgbImage, content: &RgbImage) -> Result<RgbImage> {
    if output.dimensions() != content.dimensions() {
        return Err(NstError::InvalidConfig(format!(
            "luminance transfer needs images of one size: {:?} vs {:?}",
            output.dimensions(),
            content.dimensions()
        )));
    }
    Ok(RgbImage::from_fn(output.width(), output.height(), |x, y| {
        let [yo, _, _] = rgb_to_yiq(px(output.get_pixel(x, y)));
        let [_, i, q] = rgb_to_yiq(px(content.get_pixel(x, y)));
        to_u8(yiq_to_rgb([yo, i, q]))
    }))
}

/// Mean and covariance of an image's RGB values (0–1).
pub fn colour_stats(img: &RgbImage) -> ([f64; 3], [[f64; 3]; 3]) {
    let n = (img.width() as f64 * img.height() as f64).max(1.0);
    let mut mean = [0f64; 3];
    for p in img.pixels() {
        for (m, v) in mean.iter_mut().zip(px(p)) {
            *m += v as f64 / n;
        }
    }
    let mut cov = [[0f64; 3]; 3];
    for p in img.pixels() {
        let d = px(p).map(|v| v as f64);
        for i in 0..3 {
            for j in 0..3 {
                cov[i][j] += (d[i] - mean[i]) * (d[j] - mean[j]) / n;
            }
        }
    }
    (mean, cov)
}

/// Lower-triangular L with L·Lᵀ = a (a is symmetric positive definite after the small ridge
/// added by the caller).
fn cholesky3(a: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut l = [[0f64; 3]; 3];
    for i in 0..3 {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            l[i][j] = if i == j { (a[i][i] - s).max(1e-12).sqrt() } else { (a[i][j] - s) / l[j][j] };
        }
    }
    l
}

#[allow(clippy::needless_range_loop)] // index formulas read like the maths
fn inv_lower3(l: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut m = [[0f64; 3]; 3];
    for i in 0..3 {
        m[i][i] = 1.0 / l[i][i];
        for j in 0..i {
            let s: f64 = (j..i).map(|k| l[i][k] * m[k][j]).sum();
            m[i][j] = -s / l[i][i];
        }
    }
    m
}

fn matmul3(a: [[f64; 3]; 3], b: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut c = [[0f64; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            c[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    c
}

/// Recolour `style` so its RGB mean and covariance become `content`'s: x' = A(x − μs) + μc with
/// A = Lc·Ls⁻¹ (Cholesky factors), which gives A·Σs·Aᵀ = Σc (up to a small ridge, before clamping to 0–1).
pub fn match_colours(style: &RgbImage, content: &RgbImage) -> RgbImage {
    let (ms, mut cs) = colour_stats(style);
    let (mc, cc) = colour_stats(content);
    // A small ridge keeps a flat (e.g. greyscale) style invertible. The content's factor is not
    // inverted (cholesky3 floors its pivots), so it gets none: a grey photo gives a grey result.
    for (i, row) in cs.iter_mut().enumerate() {
        row[i] += 1e-5;
    }
    let a = matmul3(cholesky3(cc), inv_lower3(cholesky3(cs)));
    RgbImage::from_fn(style.width(), style.height(), |x, y| {
        let d = px(style.get_pixel(x, y));
        let v: [f32; 3] =
            std::array::from_fn(|i| (mc[i] + (0..3).map(|k| a[i][k] * (d[k] as f64 - ms[k])).sum::<f64>()) as f32);
        to_u8(v)
    })
}

#[cfg(test)]
mod tests {
    use image::{Rgb, RgbImage};

    /// A picture with every colour channel varying on its own (a smooth ramp plus a pattern).
    fn colourful(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            Rgb([(x * 9 + y) as u8, (y * 7 + (x * y) % 50) as u8, (200 - x * 3 - y * 2) as u8])
        })
    }

    /// Matching a picture's colours to its own changes nothing (A = I, the means equal): a
    /// flipped sign anywhere in x' = A(x − μs) + μc mirrors the colours about their mean.
    #[test]
    fn matching_a_picture_to_itself_changes_nothing() {
        let img = colourful(24, 20);
        let back = super::match_colours(&img, &img);
        for (a, b) in img.pixels().zip(back.pixels()) {
            for c in 0..3 {
                assert!((a[c] as i32 - b[c] as i32).abs() <= 1, "{a:?} came back as {b:?}");
            }
        }
    }

    /// A grey photo (all three channels equal) gives a grey result from a colourful style, with
    /// the photo's mean and spread of brightness.
    #[test]
    fn a_grey_photo_gives_a_grey_result() {
        let grey = RgbImage::from_fn(16, 16, |x, y| {
            let v = (40 + x * 9 + y * 3) as u8;
            Rgb([v, v, v])
        });
        let out = super::match_colours(&colourful(20, 20), &grey);
        for p in out.pixels() {
            assert!(
                (p[0] as i32 - p[1] as i32).abs() <= 1 && (p[1] as i32 - p[2] as i32).abs() <= 1,
                "{p:?} is not grey"
            );
        }
        let ((mg, cg), (mo, co)) = (super::colour_stats(&grey), super::colour_stats(&out));
        assert!((mg[0] - mo[0]).abs() < 0.01, "mean {} vs the photo's {}", mo[0], mg[0]);
        assert!(
            (cg[0][0].sqrt() - co[0][0].sqrt()).abs() < 0.01,
            "spread {} vs the photo's {}",
            co[0][0].sqrt(),
            cg[0][0].sqrt()
        );
    }

    /// L·Lᵀ gives back the matrix, and L is lower-triangular (every off-diagonal step used).
    #[test]
    fn cholesky3_factors_a_positive_definite_matrix() {
        let a = [[4.0, 2.0, 0.4], [2.0, 5.0, 1.0], [0.4, 1.0, 3.0]];
        let l = super::cholesky3(a);
        for i in 0..3 {
            for j in 0..3 {
                let back: f64 = (0..3).map(|k| l[i][k] * l[j][k]).sum();
                assert!((back - a[i][j]).abs() < 1e-12, "({i},{j}): {back} vs {}", a[i][j]);
                if j > i {
                    assert_eq!(l[i][j], 0.0);
                }
            }
        }
    }
}

//! The vendored image crate (.vendor/image, made by nst_lib/scripts/vendor.py without moxcms)
//! against crates.io's image 0.25.10 (the dev-dependency `image_upstream`): the same pixels from
//! every image file the project has and from each format's encoder, the same Luma conversions for
//! every set of primaries it knows, and the colour-space transforms refused.

use std::path::{Path, PathBuf};

use image_upstream as up;

/// Every picture in `dir` and below.
fn pictures(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.map(|e| e.unwrap().path()) {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        if path.is_dir() {
            pictures(&path, out);
        } else if ["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"].contains(&ext.as_str()) {
            out.push(path);
        }
    }
}

/// A decoded picture's colour type, size and samples as bytes (`None`: not decoded).
type Decoded = Option<(String, u32, u32, Vec<u8>)>;

/// A file decoded by the vendored copy and by crates.io's.
fn decoded_by_both(bytes: &[u8]) -> (Decoded, Decoded) {
    let ours = image::load_from_memory(bytes)
        .ok()
        .map(|i| (format!("{:?}", i.color()), i.width(), i.height(), i.as_bytes().to_vec()));
    let theirs = up::load_from_memory(bytes)
        .ok()
        .map(|i| (format!("{:?}", i.color()), i.width(), i.height(), i.as_bytes().to_vec()));
    (ours, theirs)
}

#[test]
fn every_picture_decodes_to_the_same_pixels_as_with_crates_io_image() {
    let root = nst_lib::paths::repo_root();
    let mut files = Vec::new();
    pictures(&root.join("img"), &mut files);
    pictures(&root.join("nst_lib").join("tests"), &mut files);
    // The local-only paintings and photos (../shared/README.md), where this machine has them.
    pictures(&root.join("..").join("shared").join("img"), &mut files);
    assert!(files.len() >= 10, "the project's own pictures are found: {files:?}");
    let jpegs = files.iter().filter(|p| p.extension().is_some_and(|e| e == "jpg" || e == "jpeg")).count();
    assert!(jpegs >= 2 && files.iter().any(|p| p.extension().is_some_and(|e| e == "png")), "{files:?}");
    for file in &files {
        let (ours, theirs) = decoded_by_both(&std::fs::read(file).unwrap());
        assert!(ours.is_some(), "{} decodes", file.display());
        assert!(ours == theirs, "{} decodes to the same pixels", file.display());
    }
}

/// A picture with smooth gradients, sharp edges and every byte value, in each format the library
/// reads, written by crates.io's encoders and read by both decoders; and written by both encoders
/// to the same bytes.
#[test]
fn each_format_round_trips_to_the_same_pixels_and_bytes() {
    let (w, h) = (67u32, 45u32);
    let px = |x: u32, y: u32| [(x * 255 / w) as u8, (y * 255 / h) as u8, ((x * 7 + y * 13) % 256) as u8];
    let theirs = up::RgbImage::from_fn(w, h, |x, y| up::Rgb(px(x, y)));
    let ours = image::RgbImage::from_fn(w, h, |x, y| image::Rgb(px(x, y)));
    let formats = [
        (up::ImageFormat::Png, image::ImageFormat::Png),
        (up::ImageFormat::Jpeg, image::ImageFormat::Jpeg),
        (up::ImageFormat::Gif, image::ImageFormat::Gif),
        (up::ImageFormat::Bmp, image::ImageFormat::Bmp),
        (up::ImageFormat::WebP, image::ImageFormat::WebP),
        (up::ImageFormat::Tiff, image::ImageFormat::Tiff),
    ];
    for (theirs_format, ours_format) in formats {
        let mut a = std::io::Cursor::new(Vec::new());
        theirs.write_to(&mut a, theirs_format).unwrap();
        let mut b = std::io::Cursor::new(Vec::new());
        ours.write_to(&mut b, ours_format).unwrap();
        assert_eq!(a.get_ref(), b.get_ref(), "{ours_format:?} is written to the same bytes");
        let (read_ours, read_theirs) = decoded_by_both(a.get_ref());
        assert!(read_ours.is_some() && read_ours == read_theirs, "{ours_format:?} reads to the same pixels");
    }
}

/// One colour space in both crates' types: `CicpColorPrimaries` by its code (Rec. H.273 Table 2).
macro_rules! cicp {
    ($krate:ident, $code:expr, $transfer:ident) => {{
        use $krate::metadata::{Cicp, CicpColorPrimaries as P, CicpMatrixCoefficients, CicpTransferCharacteristics};
        let primaries = match $code {
            1 => P::SRgb,
            4 => P::RgbM,
            5 => P::RgbB,
            6 => P::Bt601,
            7 => P::Rgb240m,
            8 => P::GenericFilm,
            9 => P::Rgb2020,
            10 => P::Xyz,
            11 => P::SmpteRp431,
            12 => P::SmpteRp432,
            22 => P::Industry22,
            _ => P::Unspecified,
        };
        Cicp {
            primaries,
            transfer: CicpTransferCharacteristics::$transfer,
            matrix: CicpMatrixCoefficients::Identity,
            full_range: $krate::metadata::CicpVideoFullRangeFlag::FullRange,
        }
    }};
}

/// Luma of a colourful picture in the colour space `code`/`transfer`, as f32 and as 8-bit values.
macro_rules! luma {
    ($krate:ident, $code:expr, $transfer:ident) => {{
        let f = |x: u32, y: u32| [(x as f32 / 40.0), (y as f32 / 30.0), ((x * y) % 17) as f32 / 16.0];
        let mut img =
            $krate::DynamicImage::ImageRgb32F($krate::Rgb32FImage::from_fn(41, 31, |x, y| $krate::Rgb(f(x, y))));
        img.set_color_space(cicp!($krate, $code, $transfer)).unwrap();
        let floats: Vec<u32> = img.to_luma32f().into_raw().into_iter().map(f32::to_bits).collect();
        let mut bytes = $krate::DynamicImage::ImageRgb8(img.to_rgb8());
        bytes.set_color_space(cicp!($krate, $code, $transfer)).unwrap();
        (floats, bytes.to_luma8().into_raw(), bytes.to_luma_alpha8().into_raw())
    }};
}

/// image computes Luma from each colour space's primaries (moxcms' arithmetic, which the copy's
/// stand-in repeats; the transfer function does not enter it): the same values to the bit for
/// every primaries, and for a picture with no colour space given.
#[test]
fn luma_conversions_match_crates_io_image_for_every_primaries() {
    // The number of values that differ and the first of them (the whole lists are long).
    fn differences<'a, T: PartialEq>(a: &'a [T], b: &'a [T]) -> (usize, Option<(usize, &'a T, &'a T)>) {
        let diff: Vec<_> = a.iter().zip(b).enumerate().filter(|(_, (x, y))| x != y).collect();
        (diff.len() + a.len().abs_diff(b.len()), diff.first().map(|&(i, (x, y))| (i, x, y)))
    }
    for code in [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 22] {
        let (ours, theirs) = (luma!(image, code, SRgb), luma!(up, code, SRgb));
        assert_eq!(differences(&ours.0, &theirs.0), (0, None), "primaries {code}: f32 Luma (bits)");
        assert_eq!(differences(&ours.1, &theirs.1), (0, None), "primaries {code}: 8-bit Luma");
        assert_eq!(differences(&ours.2, &theirs.2), (0, None), "primaries {code}: 8-bit LumaA");
    }
    let f = |x: u32, y: u32| [(x * 6) as u8, (y * 8) as u8, ((x * y) % 256) as u8];
    let ours = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(41, 31, |x, y| image::Rgb(f(x, y))));
    let theirs = up::DynamicImage::ImageRgb8(up::RgbImage::from_fn(41, 31, |x, y| up::Rgb(f(x, y))));
    assert_eq!(ours.to_luma8().into_raw(), theirs.to_luma8().into_raw());
    assert_eq!(ours.to_luma16().into_raw(), theirs.to_luma16().into_raw());
}

/// What the copy gives up: converting between colour spaces is refused with an error (crates.io's
/// image converts); `apply_color_space` to the picture's own colour space leaves it as it is.
#[test]
fn colour_space_conversions_are_refused_not_approximated() {
    let theirs = up::DynamicImage::ImageRgb8(up::RgbImage::from_pixel(4, 4, up::Rgb([200, 100, 50])));
    let mut p3 = theirs.clone();
    p3.apply_color_space(up::metadata::Cicp::DISPLAY_P3, Default::default()).unwrap();
    assert_ne!(p3.as_bytes(), theirs.as_bytes(), "crates.io's image converts sRGB to Display P3");

    let ours = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(4, 4, image::Rgb([200, 100, 50])));
    let mut same = ours.clone();
    same.apply_color_space(image::metadata::Cicp::SRGB, Default::default()).unwrap();
    assert_eq!(same.as_bytes(), ours.as_bytes());
    let mut refused = ours.clone();
    let err = refused.apply_color_space(image::metadata::Cicp::DISPLAY_P3, Default::default()).unwrap_err();
    assert!(matches!(err, image::ImageError::Unsupported(_)), "{err}");
    assert_eq!(refused.as_bytes(), ours.as_bytes(), "a refused conversion leaves the picture as it was");
    assert!(up::metadata::CicpTransform::new(up::metadata::Cicp::SRGB, up::metadata::Cicp::SRGB).is_some());
    assert!(image::metadata::CicpTransform::new(image::metadata::Cicp::SRGB, image::metadata::Cicp::SRGB).is_none());
}

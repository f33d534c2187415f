//! Pictures in and out: decoding with clear errors, sizing for the network, tensors <-> images.

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use image::{imageops::FilterType, DynamicImage, RgbImage};
use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::error::{NstError, Result};

/// Largest accepted input side; bigger files are refused before decoding them.
pub const MAX_INPUT_SIDE: u32 = 12_000;
/// Largest working size: 4096 px (4096×3072) runs in bands within 12 GB (see the README's memory table).
pub const MAX_WORK_SIDE: u32 = 4096;

/// Find an input file: as given (relative to the current folder), or relative to the
/// repository root, so notebooks (which run in `notebooks/`) can say `img/content/...`.
pub fn resolve_input(path: &str) -> Result<PathBuf> {
    let p = PathBuf::from(path);
    if p.is_file() {
        return Ok(p);
    }
    let from_root = crate::paths::repo_root().join(path);
    if p.is_relative() && from_root.is_file() {
        return Ok(from_root);
    }
    let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| "?".into());
    Err(NstError::ImageNotFound { path: p, cwd })
}

/// Largest accepted input in pixels (width × height): a decoder allocates 3 bytes per pixel
/// before anything else can check the picture, so a crafted header cannot ask for more.
pub const MAX_INPUT_PIXELS: u64 = 100_000_000;
/// Largest accepted input file, in bytes.
pub const MAX_INPUT_BYTES: u64 = 512 * 1024 * 1024;

/// Read an image file and check it before decoding: size limits from its header, and for JPEG
/// and PNG that the file is complete. Returns the bytes and the picture's dimensions.
fn read_checked(path: &Path) -> Result<(Vec<u8>, (u32, u32))> {
    let decode_err = |reason: String| NstError::ImageDecode { path: path.into(), reason };
    let len = std::fs::metadata(path).map_err(|e| NstError::io(path, e))?.len();
    if len > MAX_INPUT_BYTES {
        return Err(decode_err(format!("the file is {} MiB; the limit is {} MiB", len >> 20, MAX_INPUT_BYTES >> 20)));
    }
    let bytes = std::fs::read(path).map_err(|e| NstError::io(path, e))?;
    check_complete(path, &bytes)?;
    let reader = image::ImageReader::new(std::io::Cursor::new(&bytes[..]))
        .with_guessed_format()
        .map_err(|e| NstError::io(path, e))?;
    let (w, h) = reader.into_dimensions().map_err(|e| decode_err(e.to_string()))?;
    if w > MAX_INPUT_SIDE || h > MAX_INPUT_SIDE || w as u64 * h as u64 > MAX_INPUT_PIXELS {
        return Err(NstError::ImageTooLarge {
            path: path.into(),
            width: w,
            height: h,
            limit: MAX_INPUT_SIDE,
            max_pixels: MAX_INPUT_PIXELS,
        });
    }
    if w == 0 || h == 0 {
        return Err(decode_err(format!("the picture is {w}x{h} pixels")));
    }
    Ok((bytes, (w, h)))
}

/// Check an input file without decoding its pixels (the front door does this for every input
/// before loading the network): it exists, is within the limits and, for JPEG and PNG, is
/// complete. Returns its dimensions.
pub fn check_file(path: &Path) -> Result<(u32, u32)> {
    Ok(read_checked(path)?.1)
}

/// Decode an image file into RGB. Greyscale is replicated to three channels; transparency is
/// composited over white (what a viewer shows), so every input works the same way. A JPEG or
/// PNG cut short is an error: decoders fill the missing part with grey without a word.
pub fn load_rgb(path: &Path) -> Result<RgbImage> {
    let decode_err = |reason: String| NstError::ImageDecode { path: path.into(), reason };
    let (bytes, _) = read_checked(path)?;
    let mut reader = image::ImageReader::new(std::io::Cursor::new(&bytes[..]))
        .with_guessed_format()
        .map_err(|e| NstError::io(path, e))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_INPUT_SIDE);
    limits.max_image_height = Some(MAX_INPUT_SIDE);
    limits.max_alloc = Some(MAX_INPUT_PIXELS * 8);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| decode_err(e.to_string()))?;
    Ok(to_rgb(img))
}

/// A JPEG or PNG whose data stops before its end marker (cut short), or whose structure breaks on
/// the way there. Other formats are left to their decoders.
fn check_complete(path: &Path, bytes: &[u8]) -> Result<()> {
    let error = |format: &'static str, flaw: Flaw| match flaw {
        Flaw::Cut(detail) => NstError::ImageTruncated { path: path.into(), format, detail },
        Flaw::Damaged(why) => {
            NstError::ImageDecode { path: path.into(), reason: format!("the {format}'s structure is broken: {why}") }
        }
    };
    if bytes.starts_with(&[0xFF, 0xD8]) {
        jpeg_end(bytes).map_err(|f| error("JPEG", f))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png_end(bytes).map_err(|f| error("PNG", f))
    } else {
        Ok(())
    }
}

/// Why a file's walk stopped short of its end marker: the file ends early (an interrupted
/// download: download it again), or its structure is broken where a marker or length should be.
#[derive(Debug, PartialEq)]
enum Flaw {
    Cut(String),
    Damaged(String),
}

/// Walk a JPEG's segments up to its end-of-image marker (FF D9). Inside entropy-coded data a
/// 0xFF byte is followed by 00 (stuffing), a restart marker or fill bytes, so the next other
/// marker is where the data ends; a progressive file has several scans.
fn jpeg_end(b: &[u8]) -> std::result::Result<(), Flaw> {
    let n = b.len();
    let mut pos = 2;
    let mut scans = 0;
    loop {
        // Markers may be preceded by fill bytes 0xFF.
        while pos < n && b[pos] == 0xFF && pos + 1 < n && b[pos + 1] == 0xFF {
            pos += 1;
        }
        if pos + 1 >= n {
            return Err(Flaw::Cut(format!(
                "the file ends after {n} bytes{} without the end-of-image marker",
                if scans > 0 { format!(", following picture data (scan {scans}),") } else { String::new() }
            )));
        }
        if b[pos] != 0xFF {
            let found = b[pos];
            return Err(Flaw::Damaged(format!(
                "byte {pos} (counting from 0) should start a marker (0xFF) but is 0x{found:02X}"
            )));
        }
        let marker = b[pos + 1];
        pos += 2;
        match marker {
            0xD9 if scans > 0 => return Ok(()),
            0xD9 => return Err(Flaw::Damaged("its end-of-image marker comes before any picture data".into())),
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        if pos + 2 > n {
            return Err(Flaw::Cut(format!("the file ends after {n} bytes, inside a segment header")));
        }
        let len = u16::from_be_bytes([b[pos], b[pos + 1]]) as usize;
        if len < 2 {
            let why = format!(
                "a segment (marker 0x{marker:02X}) gives its length as {len}, less than its own two length bytes"
            );
            return Err(Flaw::Damaged(why));
        }
        if pos + len > n {
            let short = pos + len - n;
            let s = if short == 1 { "" } else { "s" };
            return Err(Flaw::Cut(format!(
                "a segment (marker 0x{marker:02X}) needs {short} more byte{s} than the file has"
            )));
        }
        pos += len;
        if marker == 0xDA {
            scans += 1;
            // Skip the entropy-coded data to the next real marker.
            loop {
                match b[pos..].iter().position(|&v| v == 0xFF) {
                    None => pos = n,
                    Some(k) => pos += k,
                }
                if pos + 1 >= n {
                    let at = format!("inside picture data (scan {scans})");
                    return Err(Flaw::Cut(format!(
                        "the file ends after {n} bytes, {at}, without the end-of-image marker"
                    )));
                }
                match b[pos + 1] {
                    0x00 | 0xD0..=0xD7 | 0xFF => pos += 1,
                    _ => break,
                }
            }
        }
    }
}

/// Walk a PNG's chunks up to IEND. A chunk header that no PNG can have (a name that is not four
/// letters, a length over 2³¹ − 1) is damage; the file ending before IEND is a cut.
fn png_end(b: &[u8]) -> std::result::Result<(), Flaw> {
    let n = b.len();
    let mut pos = 8;
    let mut last = String::from("the signature");
    loop {
        if pos + 8 > n {
            return Err(Flaw::Cut(format!("the file ends after {n} bytes, after {last}, without the IEND chunk")));
        }
        let name = &b[pos + 4..pos + 8];
        if !name.iter().all(u8::is_ascii_alphabetic) {
            let hex: Vec<String> = name.iter().map(|c| format!("0x{c:02X}")).collect();
            return Err(Flaw::Damaged(format!(
                "after {last}, a chunk's name should be four letters but is {}",
                hex.join(" ")
            )));
        }
        let len = u32::from_be_bytes([b[pos], b[pos + 1], b[pos + 2], b[pos + 3]]) as usize;
        let kind = String::from_utf8_lossy(name).into_owned();
        if len > 0x7FFF_FFFF {
            return Err(Flaw::Damaged(format!(
                "a chunk ({kind}) gives its length as {len} bytes; PNG allows 2147483647"
            )));
        }
        let end = pos.saturating_add(12).saturating_add(len);
        if end > n {
            let (have, want) = (n - pos - 8, len + 4);
            return Err(Flaw::Cut(format!(
                "the file ends inside a chunk ({kind}), with {have} of the {want} bytes after its header"
            )));
        }
        if kind == "IEND" {
            return Ok(());
        }
        pos = end;
        last = format!("its last whole chunk ({kind})");
    }
}

fn to_rgb(img: DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = p[3] as f32 / 255.0;
        let c = |v: u8| (v as f32 * a + 255.0 * (1.0 - a)).round() as u8;
        image::Rgb([c(p[0]), c(p[1]), c(p[2])])
    })
}

/// How an input is brought to working size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Sizing {
    /// Resize so the shorter side is `size`, then cut the centre square (the original notebook).
    CropSquare,
    /// Resize so the longer side is `size`, keeping the aspect ratio.
    KeepAspect,
}

/// Working size (w, h) for an image of `w`x`h`: both sides are multiples of `multiple`
/// (2^poolings before the deepest layer used), because pooling must tile the image exactly for
/// its gradient to be right. The aspect ratio changes by at most half a multiple per side.
pub fn fit_size(w: u32, h: u32, size: u32, multiple: u32, sizing: Sizing) -> Result<(u32, u32)> {
    if size < multiple || size > MAX_WORK_SIDE {
        return Err(NstError::BadImageSize {
            size,
            reason: format!("choose a size between {multiple} and {MAX_WORK_SIDE} pixels"),
        });
    }
    let round = |v: f64| (((v / multiple as f64).round() as u32).max(1)) * multiple;
    Ok(match sizing {
        Sizing::CropSquare => (round(size as f64), round(size as f64)),
        Sizing::KeepAspect => {
            let s = size as f64 / w.max(h) as f64;
            (round(w as f64 * s), round(h as f64 * s))
        }
    })
}

/// Resize (and for `CropSquare`, centre-crop) to exactly `target` = (w, h).
pub fn resize_to(img: &RgbImage, target: (u32, u32), sizing: Sizing) -> RgbImage {
    let (tw, th) = target;
    match sizing {
        Sizing::KeepAspect => image::imageops::resize(img, tw, th, FilterType::CatmullRom),
        Sizing::CropSquare => {
            // Scale so the image covers the target, then take the centre.
            let s = (tw as f64 / img.width() as f64).max(th as f64 / img.height() as f64);
            let (sw, sh) =
                (((img.width() as f64 * s).round() as u32).max(tw), ((img.height() as f64 * s).round() as u32).max(th));
            let scaled = image::imageops::resize(img, sw, sh, FilterType::CatmullRom);
            image::imageops::crop_imm(&scaled, (sw - tw) / 2, (sh - th) / 2, tw, th).to_image()
        }
    }
}

/// RGB image -> tensor `(1, 3, H, W)` of f32 in 0–1.
pub fn to_tensor(img: &RgbImage, device: &Device) -> Result<Tensor> {
    let (w, h) = img.dimensions();
    let data: Vec<f32> = img.as_raw().iter().map(|&v| v as f32 / 255.0).collect();
    let t = Tensor::from_vec(data, (h as usize, w as usize, 3), device)?;
    Ok(t.permute((2, 0, 1))?.unsqueeze(0)?.contiguous()?)
}

/// Tensor `(1, 3, H, W)` (values clamped to 0–1) -> RGB image.
pub fn to_image(t: &Tensor) -> Result<RgbImage> {
    let (_, _, h, w) = t.dims4()?;
    let hwc = t.squeeze(0)?.permute((1, 2, 0))?.clamp(0f32, 1f32)?.affine(255.0, 0.5)?;
    let data: Vec<u8> = hwc.flatten_all()?.to_vec1::<f32>()?.into_iter().map(|v| v.clamp(0.0, 255.0) as u8).collect();
    RgbImage::from_raw(w as u32, h as u32, data)
        .ok_or_else(|| NstError::Encode { what: "image".into(), reason: "buffer size mismatch".into() })
}

/// Uniform noise in 0–1, reproducible from `seed`.
pub fn noise(w: u32, h: u32, seed: u64, device: &Device) -> Result<Tensor> {
    let mut rng = StdRng::seed_from_u64(seed);
    let data: Vec<f32> = (0..3 * w as usize * h as usize).map(|_| rng.random::<f32>()).collect();
    Ok(Tensor::from_vec(data, (1, 3, h as usize, w as usize), device)?)
}

/// A picture as PNG file bytes. Through the PNG encoder itself, not `write_to(.., ImageFormat)`:
/// that one is generic over the writer and picks the format at run time, so it compiled every
/// encoder image's features enable (TIFF's, WebP's, BMP's, ...) into this library.
pub fn png_bytes(img: &RgbImage) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    img.write_with_encoder(image::codecs::png::PngEncoder::new(&mut bytes))
        .map_err(|e| NstError::Encode { what: "PNG".into(), reason: e.to_string() })?;
    Ok(bytes)
}

/// Pictures side by side, each scaled to the first one's height (for showing several styles).
pub fn hstack(images: &[RgbImage]) -> RgbImage {
    let h = images.first().map(|i| i.height()).unwrap_or(1).max(1);
    let scaled: Vec<RgbImage> = images
        .iter()
        .map(|i| {
            let w = ((i.width() as f64 * h as f64 / i.height().max(1) as f64).round() as u32).max(1);
            image::imageops::resize(i, w, h, FilterType::CatmullRom)
        })
        .collect();
    let mut out = RgbImage::new(scaled.iter().map(|i| i.width()).sum::<u32>().max(1), h);
    let mut x = 0;
    for i in &scaled {
        image::imageops::replace(&mut out, i, x as i64, 0);
        x += i.width();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scan: its header with only its length bytes (a real one has 6 + 2 per colour
    /// component), then entropy-coded bytes.
    const SCAN: &[u8] = &[0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34];

    /// A file: `head` (a signature), then `parts`.
    fn file<P: AsRef<[u8]>>(head: &[u8], parts: &[P]) -> Vec<u8> {
        let mut bytes = head.to_vec();
        for p in parts {
            bytes.extend_from_slice(p.as_ref());
        }
        bytes
    }

    fn jpeg(parts: &[&[u8]]) -> Vec<u8> {
        file(&[0xFF, 0xD8], parts)
    }

    fn jpeg_err(parts: &[&[u8]]) -> Flaw {
        jpeg_end(&jpeg(parts)).expect_err("an incomplete JPEG")
    }

    fn cut(s: &str) -> Flaw {
        Flaw::Cut(s.into())
    }

    #[test]
    fn a_jpeg_walk_reaches_the_end_marker_past_what_may_stand_between() {
        const EOI: &[u8] = &[0xFF, 0xD9];
        // One scan; bytes after the end marker (some cameras add them).
        assert_eq!(jpeg_end(&jpeg(&[SCAN, EOI, b"trailer"])), Ok(()));
        // Standalone markers (TEM, a restart) between segments have no length.
        assert_eq!(jpeg_end(&jpeg(&[&[0xFF, 0x01, 0xFF, 0xD0], SCAN, EOI])), Ok(()));
        // Fill bytes before a marker.
        assert_eq!(jpeg_end(&jpeg(&[&[0xFF, 0xFF, 0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB], SCAN, EOI])), Ok(()));
        // Inside a scan: a stuffed 0xFF (FF 00) and a restart marker with a fill byte before it
        // are data.
        assert_eq!(jpeg_end(&jpeg(&[SCAN, &[0xFF, 0x00, 0x56, 0xFF, 0xFF, 0xD3, 0x78], EOI])), Ok(()));
        // A progressive file: a table segment (DHT) between two scans.
        assert_eq!(jpeg_end(&jpeg(&[SCAN, &[0xFF, 0xC4, 0x00, 0x03, 0x00], SCAN, EOI])), Ok(()));
    }

    #[test]
    fn a_jpeg_walk_says_where_the_file_stops() {
        // A whole segment, then nothing: the end marker is missing (not a cut header).
        let after_segment = jpeg_err(&[&[0xFF, 0xE0, 0x00, 0x02]]);
        assert_eq!(after_segment, cut("the file ends after 6 bytes without the end-of-image marker"));
        let in_header = jpeg_err(&[&[0xFF, 0xE0, 0x00]]);
        assert_eq!(in_header, cut("the file ends after 5 bytes, inside a segment header"));
        let short_segment = jpeg_err(&[&[0xFF, 0xE0, 0x00, 0x09, 0x01]]);
        assert_eq!(short_segment, cut("a segment (marker 0xE0) needs 6 more bytes than the file has"));
        let one_short = jpeg_err(&[&[0xFF, 0xE0, 0x00, 0x04, 0x01]]);
        assert_eq!(one_short, cut("a segment (marker 0xE0) needs 1 more byte than the file has"));
        // A lone 0xFF at the very end, between segments and inside a scan.
        assert_eq!(jpeg_err(&[&[0xFF]]), cut("the file ends after 3 bytes without the end-of-image marker"));
        let lone_in_scan = jpeg_err(&[SCAN, &[0xFF]]);
        let in_scan_1 = "the file ends after 9 bytes, inside picture data (scan 1), without the end-of-image marker";
        assert_eq!(lone_in_scan, cut(in_scan_1));
        let second_scan = jpeg_err(&[SCAN, &[0xFF, 0xC4, 0x00, 0x03, 0x00], SCAN, &[0xFF, 0x00]]);
        let in_scan_2 = "the file ends after 21 bytes, inside picture data (scan 2), without the end-of-image marker";
        assert_eq!(second_scan, cut(in_scan_2));
        let after_scan = jpeg_err(&[SCAN, &[0xFF, 0xC4, 0x00, 0x02]]);
        let after_1 = "the file ends after 12 bytes, following picture data (scan 1), without the end-of-image marker";
        assert_eq!(after_scan, cut(after_1));
    }

    #[test]
    fn a_jpeg_walk_tells_a_broken_structure_from_a_file_cut_short() {
        let damaged = |s: &str| Flaw::Damaged(s.into());
        let eoi_first = jpeg_err(&[&[0xFF, 0xD9]]);
        assert_eq!(eoi_first, damaged("its end-of-image marker comes before any picture data"));
        let bad_length = jpeg_err(&[&[0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xD9]]);
        let why = "a segment (marker 0xE0) gives its length as 1, less than its own two length bytes";
        assert_eq!(bad_length, damaged(why));
        let no_marker = jpeg_err(&[&[0x00, 0xFF, 0xD9]]);
        assert_eq!(no_marker, damaged("byte 2 (counting from 0) should start a marker (0xFF) but is 0x00"));
    }

    #[test]
    fn a_broken_structure_is_a_decode_error_and_a_cut_file_a_truncated_one() {
        let path = Path::new("photo.jpg");
        let broken = check_complete(path, &jpeg(&[&[0xFF, 0xD9]])).unwrap_err();
        assert!(matches!(broken, NstError::ImageDecode { .. }), "{broken}");
        let why = "the JPEG's structure is broken: its end-of-image marker comes before any picture data";
        assert!(broken.to_string().contains(why), "{broken}");
        let cut = check_complete(path, &jpeg(&[SCAN])).unwrap_err();
        assert!(matches!(cut, NstError::ImageTruncated { format: "JPEG", .. }), "{cut}");
    }

    /// A PNG chunk: its length, its kind, its data and 4 bytes standing for its checksum.
    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let len = (data.len() as u32).to_be_bytes();
        [&len[..], kind, data, &[0; 4]].concat()
    }

    fn png(chunks: &[Vec<u8>]) -> Vec<u8> {
        file(b"\x89PNG\r\n\x1a\n", chunks)
    }

    #[test]
    fn a_png_walk_reaches_the_iend_chunk_or_says_where_the_file_stops() {
        let ihdr = chunk(b"IHDR", &[0; 13]);
        let iend = chunk(b"IEND", &[]);
        assert_eq!(png_end(&png(&[ihdr.clone(), iend.clone()])), Ok(()));
        assert_eq!(png_end(&png(&[ihdr.clone(), chunk(b"PLTE", &[1, 2, 3]), iend.clone(), b"tail".to_vec()])), Ok(()));
        // Every PNG flaw is a cut: the message, checked to be one.
        let err = |chunks: &[Vec<u8>]| match png_end(&png(chunks)) {
            Err(Flaw::Cut(detail)) => detail,
            other => panic!("expected a PNG cut short, got {other:?}"),
        };
        assert_eq!(err(&[]), "the file ends after 8 bytes, after the signature, without the IEND chunk");
        assert_eq!(
            err(&[ihdr[..7].to_vec()]),
            "the file ends after 15 bytes, after the signature, without the IEND chunk"
        );
        assert_eq!(
            err(std::slice::from_ref(&ihdr)),
            "the file ends after 33 bytes, after its last whole chunk (IHDR), without the IEND chunk"
        );
        let plte = chunk(b"PLTE", &[1, 2, 3]);
        assert_eq!(
            err(&[ihdr.clone(), plte]),
            "the file ends after 48 bytes, after its last whole chunk (PLTE), without the IEND chunk"
        );
        assert_eq!(
            err(&[ihdr[..13].to_vec()]),
            "the file ends inside a chunk (IHDR), with 5 of the 17 bytes after its header"
        );
        // A chunk's header alone, at the very end.
        assert_eq!(
            err(&[ihdr.clone(), iend[..8].to_vec()]),
            "the file ends inside a chunk (IEND), with 0 of the 4 bytes after its header"
        );
        // The longest chunk PNG allows, cut short; one byte longer is damage (below).
        let longest = [&0x7FFF_FFFFu32.to_be_bytes()[..], b"IDAT", &[7; 10]].concat();
        assert_eq!(
            err(&[longest]),
            "the file ends inside a chunk (IDAT), with 10 of the 2147483651 bytes after its header"
        );
    }

    #[test]
    fn a_png_walk_tells_a_broken_chunk_header_from_a_file_cut_short() {
        let damaged = |chunks: &[Vec<u8>]| png_end(&png(chunks)).expect_err("a broken PNG");
        let too_long = [&0x8000_0000u32.to_be_bytes()[..], b"IDAT", &[7; 10]].concat();
        let why = "a chunk (IDAT) gives its length as 2147483648 bytes; PNG allows 2147483647";
        assert_eq!(damaged(&[too_long]), Flaw::Damaged(why.into()));
        // A name with a byte that is not a letter, first and last, after a whole chunk.
        let ihdr = chunk(b"IHDR", &[0; 13]);
        for (name, hex) in [(b"\0DAT", "0x00 0x44 0x41 0x54"), (b"IDA1", "0x49 0x44 0x41 0x31")] {
            let why = format!("after its last whole chunk (IHDR), a chunk's name should be four letters but is {hex}");
            assert_eq!(damaged(&[ihdr.clone(), chunk(name, &[])]), Flaw::Damaged(why));
        }
    }

    #[test]
    fn a_working_size_is_one_multiple_to_max_work_side() {
        let fit = |size| fit_size(300, 200, size, 16, Sizing::KeepAspect);
        assert_eq!(fit(16).unwrap(), (16, 16), "one multiple: the shorter side rounds up to it");
        assert_eq!(fit(MAX_WORK_SIDE).unwrap(), (MAX_WORK_SIDE, 2736));
        for size in [0, 15, MAX_WORK_SIDE + 1] {
            let err = fit(size).unwrap_err().to_string();
            assert!(err.contains(&format!("choose a size between 16 and {MAX_WORK_SIDE} pixels")), "{size}: {err}");
        }
    }

    #[test]
    fn crop_square_scales_to_cover_then_takes_the_centre() {
        let img = RgbImage::from_fn(6, 4, |x, y| image::Rgb([(40 * x) as u8, (60 * y) as u8, 7]));
        // 6 x 4 to 4 x 4: the scale that covers the square is 1 (the height), then the middle
        // four columns of six.
        let scaled = image::imageops::resize(&img, 6, 4, FilterType::CatmullRom);
        let want = image::imageops::crop_imm(&scaled, 1, 0, 4, 4).to_image();
        assert_eq!(resize_to(&img, (4, 4), Sizing::CropSquare), want);
        // To 3 x 3: scale 3/4, 4.5 x 3 rounds to 5 x 3, then columns 1 to 3.
        let scaled = image::imageops::resize(&img, 5, 3, FilterType::CatmullRom);
        let want = image::imageops::crop_imm(&scaled, 1, 0, 3, 3).to_image();
        assert_eq!(resize_to(&img, (3, 3), Sizing::CropSquare), want);
        // Upright, 4 x 6 to 4 x 4: the middle four rows.
        let tall = RgbImage::from_fn(4, 6, |x, y| image::Rgb([(40 * x) as u8, (40 * y) as u8, 7]));
        let want = image::imageops::crop_imm(&tall, 0, 1, 4, 4).to_image();
        assert_eq!(resize_to(&tall, (4, 4), Sizing::CropSquare), want);
    }

    #[test]
    fn hstack_scales_each_picture_to_the_first_ones_height_and_sets_them_side_by_side() {
        let plain = |w, h, c: [u8; 3]| RgbImage::from_pixel(w, h, image::Rgb(c));
        let (red, blue, green) = ([200, 0, 0], [0, 0, 200], [0, 150, 0]);
        // 4 x 2, then 2 x 4 (to 1 x 2) and 6 x 6 (to 2 x 2): 7 x 2 in all.
        let out = hstack(&[plain(4, 2, red), plain(2, 4, blue), plain(6, 6, green)]);
        assert_eq!(out.dimensions(), (7, 2));
        let row: Vec<[u8; 3]> = (0..7).map(|x| out.get_pixel(x, 1).0).collect();
        assert_eq!(row, [red, red, red, red, blue, green, green]);
    }

    #[test]
    fn transparency_is_composited_over_white() {
        let rgba = image::RgbaImage::from_fn(3, 1, |x, _| {
            image::Rgba([[10, 20, 30, 255], [200, 100, 0, 128], [5, 6, 7, 0]][x as usize])
        });
        let rgb = to_rgb(DynamicImage::ImageRgba8(rgba));
        // Half covered: 200 · 128/255 + 255 · (1 − 128/255) = 227.4, and so on.
        let want = [[10, 20, 30], [227, 177, 127], [255, 255, 255]];
        assert_eq!(rgb.pixels().map(|p| p.0).collect::<Vec<_>>(), want);
    }
}

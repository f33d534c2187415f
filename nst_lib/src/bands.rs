//! Horizontal bands of a large picture, so the network's first blocks (full and half resolution:
//! most of its memory) can run one band at a time.
//!
//! A band is computed on its own rows plus a halo above and below, as deep as the cut layer's
//! reach into the picture, so its own rows come out as on the whole picture (the halo's outer
//! rows, next to the band's artificial edge, are wrong and thrown away). The bands' own rows
//! tile the picture; Gram matrices and the content loss are sums over positions, so summing the
//! bands gives the whole picture's value, and the gradient is a sum of the bands' gradients.

/// Rows `lo..hi` of the picture are computed; rows `top..bottom` (inside them) are the band's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    pub lo: usize,
    pub hi: usize,
    pub top: usize,
    pub bottom: usize,
}

/// When a picture goes in bands: above `above` pixels, bands of about `pixels` pixels each
/// (halo included). Below it the whole picture runs at once, as it always did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BandSize {
    pub above: usize,
    pub pixels: usize,
}

impl Default for BandSize {
    /// 1024×1024 runs whole (1.4 GB at 1024×768); 2048×1536 goes in bands of a quarter of a
    /// megapixel (with bands of half a megapixel its peak was 2.87 GB, measured).
    fn default() -> Self {
        Self { above: 1 << 20, pixels: 1 << 18 }
    }
}

impl BandSize {
    /// Never in bands.
    pub fn off() -> Self {
        Self { above: usize::MAX, pixels: usize::MAX }
    }
}

/// The bands of an `h`-row, `w`-column picture with `halo` rows each side; every boundary is a
/// multiple of `multiple` (so poolings line up), which `h` and `halo` must be too.
pub fn plan(h: usize, w: usize, halo: usize, multiple: usize, pixels: usize) -> Vec<Band> {
    let rows = ((pixels / w.max(1)).saturating_sub(2 * halo) / multiple * multiple).max(multiple);
    let mut out = vec![];
    let mut top = 0;
    while top < h {
        let bottom = (top + rows).min(h);
        out.push(Band { lo: top.saturating_sub(halo), hi: (bottom + halo).min(h), top, bottom });
        top = bottom;
    }
    out
}

impl Band {
    /// The band at a layer `scale` times smaller: (rows computed, first own row, own rows).
    pub fn at(&self, scale: usize) -> (usize, usize, usize) {
        ((self.hi - self.lo) / scale, (self.top - self.lo) / scale, (self.bottom - self.top) / scale)
    }
}

/// Copy (or with `add`, add) `rows` rows of each of `c` channels, `w` wide, from `src` (rows
/// `src_h` per channel, starting at `src_row`) into `dst` (rows `dst_h`, starting at `dst_row`).
#[allow(clippy::too_many_arguments)]
pub fn put_rows(
    dst: &mut [f32],
    dst_h: usize,
    dst_row: usize,
    src: &[f32],
    src_h: usize,
    src_row: usize,
    (c, rows, w): (usize, usize, usize),
    add: bool,
) {
    for ch in 0..c {
        let d = (ch * dst_h + dst_row) * w;
        let s = (ch * src_h + src_row) * w;
        let (d, s) = (&mut dst[d..d + rows * w], &src[s..s + rows * w]);
        if add {
            d.iter_mut().zip(s).for_each(|(d, s)| *d += s);
        } else {
            d.copy_from_slice(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_tile_the_picture_on_aligned_rows_with_their_halo() {
        for (h, w, halo, m, px) in [(96, 10, 12, 4, 400), (64, 8, 4, 16, 1), (32, 4, 8, 4, 1 << 20), (48, 3, 0, 16, 48)]
        {
            let bands = plan(h, w, halo, m, px);
            assert_eq!(bands[0].top, 0);
            assert_eq!(bands.last().unwrap().bottom, h);
            for pair in bands.windows(2) {
                assert_eq!(pair[0].bottom, pair[1].top, "{h} {w}: the bands' own rows meet");
            }
            for b in &bands {
                assert!(b.top < b.bottom && b.top % m == 0 && b.bottom % m == 0, "{b:?}");
                assert_eq!(b.lo, b.top.saturating_sub(halo));
                assert_eq!(b.hi, (b.bottom + halo).min(h));
            }
        }
        // 400 pixels at 10 wide = 40 rows, less a halo of 12 each side = 16 own rows.
        assert_eq!(plan(96, 10, 12, 4, 400).len(), 6);
        assert_eq!(plan(32, 4, 8, 4, 1 << 20).len(), 1);
    }

    #[test]
    fn put_rows_moves_and_adds_the_chosen_rows_of_every_channel() {
        // Two channels of 3 rows × 2 columns into two channels of 4 rows.
        let src: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let mut dst = vec![0f32; 16];
        put_rows(&mut dst, 4, 1, &src, 3, 1, (2, 2, 2), false);
        assert_eq!(dst, [0., 0., 2., 3., 4., 5., 0., 0., 0., 0., 8., 9., 10., 11., 0., 0.]);
        put_rows(&mut dst, 4, 1, &src, 3, 1, (2, 1, 2), true);
        assert_eq!(&dst[2..4], &[4., 6.]);
        assert_eq!(&dst[10..12], &[16., 18.]);
    }
}

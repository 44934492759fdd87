//! Images made to fit a platform's file size limit (Bluesky 1 MB, Facebook 4 MB, …): scaled down and re-encoded as JPEG until they do.

use std::borrow::Cow;
use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

use crate::publish::{PostImage, PublishError};

/// JPEG quality of a shrunk image.
const QUALITY: u8 = 85;
/// Attempts before giving up (each scales the image down further).
const MAX_ROUNDS: usize = 10;

/// `image` as it is when it fits `max_bytes`, else a smaller JPEG of it.
pub fn fit(image: &PostImage, max_bytes: usize) -> Result<Cow<'_, PostImage>, PublishError> {
    if image.bytes.len() <= max_bytes {
        return Ok(Cow::Borrowed(image));
    }
    shrink(image, max_bytes)
}

/// Like [`fit`], but the result is always a JPEG (Instagram takes no other image type).
pub fn fit_jpeg(image: &PostImage, max_bytes: usize) -> Result<Cow<'_, PostImage>, PublishError> {
    if image.mime == "image/jpeg" && image.bytes.len() <= max_bytes {
        return Ok(Cow::Borrowed(image));
    }
    shrink(image, max_bytes)
}

fn shrink(image: &PostImage, max_bytes: usize) -> Result<Cow<'_, PostImage>, PublishError> {
    let unreadable = || {
        PublishError::permanent(
            "Ein Bild ließ sich nicht verkleinern",
            "An image could not be made smaller",
        )
    };
    let format = match image.mime.as_str() {
        "image/png" => ImageFormat::Png,
        "image/jpeg" => ImageFormat::Jpeg,
        _ => return Err(unreadable()),
    };
    let decoded =
        image::load_from_memory_with_format(&image.bytes, format).map_err(|_| unreadable())?;
    let flat = flatten(&decoded);
    let (mut width, mut height) = (flat.width(), flat.height());
    let mut ratio: f64 = 1.0;
    for _ in 0..MAX_ROUNDS {
        let scaled = if ratio < 1.0 {
            width = ((f64::from(flat.width()) * ratio).round() as u32).max(1);
            height = ((f64::from(flat.height()) * ratio).round() as u32).max(1);
            DynamicImage::ImageRgb8(flat.clone())
                .resize_exact(width, height, image::imageops::FilterType::Triangle)
                .to_rgb8()
        } else {
            flat.clone()
        };
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(scaled)
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, QUALITY))
            .map_err(|_| unreadable())?;
        let bytes = out.into_inner();
        if bytes.len() <= max_bytes {
            return Ok(Cow::Owned(PostImage {
                bytes,
                mime: "image/jpeg".into(),
                alt: image.alt.clone(),
                width,
                height,
            }));
        }
        ratio *= (max_bytes as f64 / bytes.len() as f64).sqrt().min(0.9);
    }
    Err(unreadable())
}

/// The pixels on white, without transparency (JPEG has none).
fn flatten(img: &DynamicImage) -> RgbImage {
    let rgba = img.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u16::from(p[3]);
        let mix = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        Rgb([mix(p[0]), mix(p[1]), mix(p[2])])
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    /// A noisy PNG, which compresses badly: about 3 bytes per pixel.
    fn noisy_png(w: u32, h: u32) -> Vec<u8> {
        let mut state: u32 = 12345;
        let img = RgbImage::from_fn(w, h, |_, _| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let b = state.to_be_bytes();
            Rgb([b[0], b[1], b[2]])
        });
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(img)
            .write_to(&mut out, ImageFormat::Png)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn small_images_stay_as_they_are_and_large_ones_shrink_below_the_limit() {
        let small = PostImage {
            bytes: noisy_png(20, 20),
            mime: "image/png".into(),
            alt: "Rauschen".into(),
            width: 20,
            height: 20,
        };
        assert!(matches!(fit(&small, 1_000_000).unwrap(), Cow::Borrowed(_)));
        let jpeg = fit_jpeg(&small, 1_000_000).unwrap();
        assert_eq!(jpeg.mime, "image/jpeg");
        assert_eq!((jpeg.width, jpeg.height), (20, 20));
        assert!(image::load_from_memory_with_format(&jpeg.bytes, ImageFormat::Jpeg).is_ok());

        let big = PostImage {
            bytes: noisy_png(900, 700),
            mime: "image/png".into(),
            alt: "Rauschen".into(),
            width: 900,
            height: 700,
        };
        assert!(big.bytes.len() > 1_000_000, "{}", big.bytes.len());
        let fitted = fit(&big, 1_000_000).unwrap();
        assert!(fitted.bytes.len() <= 1_000_000, "{}", fitted.bytes.len());
        assert_eq!(fitted.mime, "image/jpeg");
        assert_eq!(fitted.alt, "Rauschen");
        let decoded = image::load_from_memory(&fitted.bytes).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (fitted.width, fitted.height)
        );
        // Aspect ratio kept (within rounding).
        let ratio = f64::from(fitted.width) / f64::from(fitted.height);
        assert!((ratio - 900.0 / 700.0).abs() < 0.02, "{ratio}");
    }

    #[test]
    fn unreadable_bytes_are_refused_in_plain_words() {
        let junk = PostImage {
            bytes: vec![0; 2_000],
            mime: "image/png".into(),
            alt: "x".into(),
            width: 1,
            height: 1,
        };
        let err = fit(&junk, 1_000).unwrap_err();
        assert!(
            err.to_string().contains("could not be made smaller"),
            "{err}"
        );
    }
}

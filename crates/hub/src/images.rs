//! Uploaded post images are decoded and re-encoded from their pixels, so EXIF, GPS and any other metadata are gone.
//!
//! Only PNG and JPEG are taken (what every network accepts). The declared type must match the
//! bytes. A JPEG's EXIF orientation is applied to the pixels first, because the re-encoded file no
//! longer carries the tag and a phone photo would otherwise show sideways.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Largest upload taken.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// Longest side taken, in pixels.
pub const MAX_DIMENSION: u32 = 4096;
/// JPEG quality of the re-encoded file: visually lossless for photos, far smaller than 100.
const JPEG_QUALITY: u8 = 88;

/// A re-encoded image without metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanImage {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Why an upload was refused; `code` is stable for the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("Nur PNG- und JPEG-Bilder werden angenommen (gesendet: {0}). / Only PNG and JPEG images are accepted (sent: {0}).")]
    UnsupportedType(String),
    #[error("Das Bild ist größer als 10 MiB. / The image is larger than 10 MiB.")]
    TooLarge,
    #[error("Das Bild ist {width} × {height} Pixel groß; höchstens 4096 Pixel pro Seite. / The image is {width} × {height} pixels; at most 4096 per side.")]
    TooManyPixels { width: u32, height: u32 },
    #[error("Die Datei ist kein lesbares {0}-Bild. / The file is not a readable {0} image.")]
    Unreadable(&'static str),
    #[error("Das Bild ließ sich nicht neu speichern. / The image could not be re-encoded.")]
    Encode,
}

impl ImageError {
    pub fn code(&self) -> &'static str {
        match self {
            ImageError::UnsupportedType(_) => "image_type_unsupported",
            ImageError::TooLarge => "image_too_large",
            ImageError::TooManyPixels { .. } => "image_dimensions_too_large",
            ImageError::Unreadable(_) => "image_unreadable",
            ImageError::Encode => "image_encode_failed",
        }
    }
}

/// Decodes `bytes` as the declared `content_type` and encodes the pixels again.
pub fn reencode(content_type: &str, bytes: &[u8]) -> Result<CleanImage, ImageError> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let (format, name, mime) = match mime.as_str() {
        "image/png" => (ImageFormat::Png, "PNG", "image/png"),
        "image/jpeg" | "image/jpg" => (ImageFormat::Jpeg, "JPEG", "image/jpeg"),
        other => return Err(ImageError::UnsupportedType(other.to_string())),
    };
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge);
    }
    if image::guess_format(bytes).ok() != Some(format) {
        return Err(ImageError::Unreadable(name));
    }
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| ImageError::Unreadable(name))?;
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(ImageError::TooManyPixels { width, height });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|_| ImageError::Unreadable(name))?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| ImageError::Unreadable(name))?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let mut out = Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => {
            let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
            rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
                .map_err(|_| ImageError::Encode)?;
        }
        _ => img
            .write_to(&mut out, ImageFormat::Png)
            .map_err(|_| ImageError::Encode)?,
    }
    Ok(CleanImage {
        bytes: out.into_inner(),
        mime,
        width: img.width(),
        height: img.height(),
    })
}

#[cfg(test)]
mod tests;

//! Re-encoding tests with a hand-written EXIF block (APP1) carrying GPS coordinates and an orientation.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, RgbImage};

use super::*;

const SECRET: &[u8] = b"Rathausplatz 1, GPS 48.4914N";

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 40) as u8, (y * 60) as u8, 128])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
        .unwrap();
    out.into_inner()
}

fn entry(out: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: u32) {
    out.extend(tag.to_le_bytes());
    out.extend(typ.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend(value.to_le_bytes());
}

/// A little-endian TIFF block: IFD0 with ImageDescription, Orientation and a GPS IFD pointer; the
/// GPS IFD with latitude reference and latitude.
fn exif_tiff(orientation: u16) -> Vec<u8> {
    let ifd0_entries = 3u32;
    let ifd0_len = 2 + 12 * ifd0_entries + 4;
    let gps_at = 8 + ifd0_len;
    let gps_len = 2 + 12 * 2 + 4;
    let desc_at = gps_at + gps_len;
    let desc_len = SECRET.len() as u32 + 1;
    let lat_at = desc_at + desc_len;

    let mut t = b"II\x2a\x00".to_vec();
    t.extend(8u32.to_le_bytes());
    t.extend((ifd0_entries as u16).to_le_bytes());
    entry(&mut t, 0x010E, 2, desc_len, desc_at);
    entry(&mut t, 0x0112, 3, 1, u32::from(orientation));
    entry(&mut t, 0x8825, 4, 1, gps_at);
    t.extend(0u32.to_le_bytes());
    t.extend(2u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0"));
    entry(&mut t, 0x0002, 5, 3, lat_at);
    t.extend(0u32.to_le_bytes());
    t.extend(SECRET);
    t.push(0);
    for (num, den) in [(48u32, 1u32), (29, 1), (2904, 100)] {
        t.extend(num.to_le_bytes());
        t.extend(den.to_le_bytes());
    }
    t
}

/// The JPEG with an APP1 "Exif" segment right after SOI.
fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(exif_tiff(orientation));
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((payload.len() + 2) as u16).to_be_bytes());
    out.extend(payload);
    out.extend(&jpeg[2..]);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn exif_with_gps_is_gone_after_reencoding() {
    let original = with_exif(&jpeg(8, 4), 1);
    // The test file really carries what must go.
    assert!(contains(&original, b"Exif\0\0"));
    assert!(contains(&original, SECRET));
    let mut dec = ImageReader::with_format(Cursor::new(&original), ImageFormat::Jpeg)
        .into_decoder()
        .unwrap();
    assert!(
        dec.exif_metadata().unwrap().is_some(),
        "decoder sees the EXIF block"
    );

    let clean = reencode("image/jpeg", &original).unwrap();
    assert_eq!(
        (clean.mime, clean.width, clean.height),
        ("image/jpeg", 8, 4)
    );
    assert!(!contains(&clean.bytes, b"Exif"));
    assert!(!contains(&clean.bytes, SECRET));
    assert!(
        !contains(&clean.bytes, &[0xFF, 0xE1]),
        "no APP1 segment left"
    );
    let mut dec = ImageReader::with_format(Cursor::new(&clean.bytes), ImageFormat::Jpeg)
        .into_decoder()
        .unwrap();
    assert_eq!(dec.exif_metadata().unwrap(), None);
}

#[test]
fn exif_orientation_is_applied_to_the_pixels() {
    // 6 = rotate 90° clockwise: an 8×4 sensor image is shown 4×8.
    let clean = reencode("image/jpeg; charset=binary", &with_exif(&jpeg(8, 4), 6)).unwrap();
    assert_eq!((clean.width, clean.height), (4, 8));
}

#[test]
fn png_is_reencoded_without_text_chunks() {
    let img = RgbImage::from_pixel(3, 2, image::Rgb([10, 20, 30]));
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    let png = out.into_inner();
    // Insert a tEXt chunk after IHDR (8 signature + 25 IHDR bytes).
    let mut chunk = Vec::new();
    let data = [b"Comment\0".as_slice(), SECRET].concat();
    chunk.extend((data.len() as u32).to_be_bytes());
    chunk.extend(b"tEXt");
    chunk.extend(&data);
    chunk.extend(crc32(&[b"tEXt".as_slice(), &data].concat()).to_be_bytes());
    let tagged = [&png[..33], &chunk, &png[33..]].concat();
    assert!(contains(&tagged, SECRET));
    let clean = reencode("image/png", &tagged).unwrap();
    assert_eq!((clean.mime, clean.width, clean.height), ("image/png", 3, 2));
    assert!(!contains(&clean.bytes, SECRET));
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn other_types_mismatches_and_oversize_are_refused_with_codes() {
    let j = jpeg(2, 2);
    let e = reencode("image/gif", b"GIF89a").unwrap_err();
    assert_eq!(e.code(), "image_type_unsupported");
    assert!(e.to_string().contains("image/gif"));
    assert_eq!(
        reencode("image/webp", &j).unwrap_err().code(),
        "image_type_unsupported"
    );
    // Declared PNG, sent JPEG; and garbage.
    assert_eq!(
        reencode("image/png", &j).unwrap_err().code(),
        "image_unreadable"
    );
    assert_eq!(
        reencode("image/jpeg", b"\xFF\xD8\xFFnot really")
            .unwrap_err()
            .code(),
        "image_unreadable"
    );
    let big = vec![0u8; MAX_IMAGE_BYTES + 1];
    assert_eq!(
        reencode("image/jpeg", &big).unwrap_err(),
        ImageError::TooLarge
    );
    let wide = RgbImage::new(MAX_DIMENSION + 1, 1);
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(wide)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    assert_eq!(
        reencode("image/png", &out.into_inner()).unwrap_err(),
        ImageError::TooManyPixels {
            width: MAX_DIMENSION + 1,
            height: 1
        }
    );
}

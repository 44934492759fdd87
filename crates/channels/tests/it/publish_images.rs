//! Posts and small real images for the publishing adapters' tests.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use rathaus_channels::publish::{OutgoingPost, PostImage};

/// A PNG of `w` × `h` noisy pixels (deterministic for `seed`) with its alt text.
pub fn png(w: u32, h: u32, seed: u32, alt: &str) -> PostImage {
    let mut state = seed;
    let img = RgbImage::from_fn(w, h, |_, _| {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let b = state.to_be_bytes();
        Rgb([b[0], b[1], b[2]])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    PostImage {
        bytes: out.into_inner(),
        mime: "image/png".into(),
        alt: alt.into(),
        width: w,
        height: h,
    }
}

/// A German post first attempted now.
pub fn post_with(key: &str, text: &str, images: Vec<PostImage>) -> OutgoingPost {
    OutgoingPost {
        idempotency_key: key.into(),
        text: text.into(),
        language: "de".into(),
        images,
        first_attempt_at: jiff::Timestamp::now().as_millisecond(),
    }
}

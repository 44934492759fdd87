//! The demo's published posts: a few realistic notices from Musterstadt, one with a drawn image and its alt text, through the real composer workflow (compose, submit, four-eyes approval).

use anyhow::{bail, Context};
use rathaus_hub::images::reencode;
use rathaus_hub::publishing::{self, Draft};
use rathaus_store::{now_ms, NewPostImage};

use crate::server;

/// What the road-works picture shows, for people who cannot see it.
pub const ROADWORKS_ALT: &str = "Zeichnung: rot-weiß gestreifte Absperrbake und ein orangefarbenes Warnlicht auf einer grauen Straße unter blauem Himmel";

/// (text, with the road-works image)
const POSTS: &[(&str, bool)] = &[
    (
        "Wahlhelferinnen und Wahlhelfer gesucht\n\nFür die Kommunalwahl im Frühjahr suchen wir noch rund 40 Wahlhelferinnen und Wahlhelfer. Sie zählen am Wahlsonntag in Ihrem Wahllokal die Stimmen aus und erhalten dafür ein Erfrischungsgeld von 50 Euro.\n\nMelden Sie sich beim Wahlamt im Rathaus, Zimmer 12, oder per E-Mail an wahlamt@musterstadt.example.",
        false,
    ),
    (
        "WhatsApp-Sprechstunde mit dem Bürgermeister\n\nJeden Dienstag von 14 bis 18 Uhr beantwortet Bürgermeister Bernd Beispiel Ihre Fragen persönlich per WhatsApp. Schreiben Sie „Anmeldung“ an unsere Rathaus-Nummer, um mitzumachen. Alle Wege zu uns finden Sie auf der Seite „So erreichen Sie uns“.",
        false,
    ),
    (
        "Vollsperrung der Lindenstraße ab Montag\n\nWegen der Erneuerung des Abwasserkanals ist die Lindenstraße zwischen Marktplatz und Bahnhofstraße ab Montag für etwa drei Wochen voll gesperrt. Die Umleitung führt über die Kirchgasse. Fußgängerinnen und Fußgänger kommen an der Baustelle vorbei; die Bushaltestelle „Lindenstraße“ wird an die Kirchgasse verlegt.\n\n#Baustelle #Lindenstraße",
        true,
    ),
];

/// Publishes the demo posts on Musterstadt's news page: written by `author`, approved by `reviewer`
/// (a different person, as four-eyes requires). Returns their ids, oldest first.
pub async fn publish(
    running: &server::Running,
    municipality_id: i64,
    author: i64,
    reviewer: i64,
) -> anyhow::Result<Vec<i64>> {
    let store = &running.store;
    let registry = running.registry.current();
    let tenant = registry
        .tenant(municipality_id)
        .context("demo municipality is not configured")?;
    let mut ids = Vec::new();
    for (text, with_image) in POSTS {
        let mut media = Vec::new();
        if *with_image {
            let clean = reencode("image/png", &roadworks_png())
                .map_err(|e| anyhow::anyhow!("demo image: {e}"))?;
            let img = NewPostImage {
                municipality_id,
                uploaded_by: author,
                mime: clean.mime,
                width: clean.width,
                height: clean.height,
                bytes: &clean.bytes,
                alt: ROADWORKS_ALT,
            };
            media.push(store.insert_post_image(&img, now_ms()).await?);
        }
        let draft = Draft {
            text: (*text).to_string(),
            language: "de".into(),
            channels: Vec::new(),
            media,
            ..Draft::default()
        };
        let steps = async {
            let id = publishing::create(store, tenant, author, &draft, now_ms()).await?;
            publishing::submit(store, tenant, id, author, now_ms()).await?;
            publishing::approve(store, &registry, tenant, id, reviewer, now_ms()).await?;
            Ok::<i64, publishing::PublishError>(id)
        };
        match steps.await {
            Ok(id) => ids.push(id),
            Err(e) => bail!("demo post could not be published: {e}"),
        }
    }
    Ok(ids)
}

/// A 320×200 drawing of a road-works barrier (the scene [`ROADWORKS_ALT`] describes), as a PNG.
pub fn roadworks_png() -> Vec<u8> {
    const W: usize = 320;
    const H: usize = 200;
    let mut rgb = vec![0u8; W * H * 3];
    for y in 0..H {
        for x in 0..W {
            let sky = y < 110;
            let mut c: [u8; 3] = if sky { [120, 180, 235] } else { [96, 100, 108] };
            // Lane markings on the road.
            if !sky && (150..156).contains(&y) && (x / 30) % 2 == 0 {
                c = [240, 240, 240];
            }
            // The barrier board: diagonal red and white stripes with a dark frame.
            let (bx0, bx1, by0, by1) = (90, 230, 70, 120);
            if (bx0..bx1).contains(&x) && (by0..by1).contains(&y) {
                let frame = x < bx0 + 3 || x >= bx1 - 3 || y < by0 + 3 || y >= by1 - 3;
                c = if frame {
                    [40, 40, 40]
                } else if ((x + y) / 14) % 2 == 0 {
                    [210, 30, 40]
                } else {
                    [250, 250, 250]
                };
            }
            // Its two legs.
            if ((110..116).contains(&x) || (204..210).contains(&x)) && (120..175).contains(&y) {
                c = [40, 40, 40];
            }
            // The orange warning light on top.
            let (dx, dy) = (x as i64 - 160, y as i64 - 55);
            if dx * dx + dy * dy <= 12 * 12 {
                c = [255, 150, 20];
            }
            rgb[(y * W + x) * 3..(y * W + x) * 3 + 3].copy_from_slice(&c);
        }
    }
    png_rgb(W as u32, H as u32, &rgb)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in bytes {
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

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend(&body);
    out.extend(crc32(&body).to_be_bytes());
}

/// An 8-bit RGB PNG with uncompressed (stored) deflate blocks; the upload path re-encodes it anyway.
fn png_rgb(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    let row = width as usize * 3;
    let mut raw = Vec::with_capacity((row + 1) * height as usize);
    for line in rgb.chunks(row) {
        raw.push(0); // filter: none
        raw.extend_from_slice(line);
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        z.extend(len.to_le_bytes());
        z.extend((!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend(((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drawing_is_a_valid_png_the_upload_path_accepts() {
        let png = roadworks_png();
        let clean = reencode("image/png", &png).expect("decodes");
        assert_eq!((clean.width, clean.height), (320, 200));
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }
}

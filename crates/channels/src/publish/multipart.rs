//! A `multipart/form-data` body written by hand (text fields and files), so reqwest needs no extra feature.

use rand::Rng as _;

/// A body under construction.
pub struct Form {
    boundary: String,
    body: Vec<u8>,
}

impl Default for Form {
    fn default() -> Self {
        Self::new()
    }
}

impl Form {
    pub fn new() -> Self {
        let boundary = format!("rathaus-{:032x}", rand::thread_rng().gen::<u128>());
        Form {
            boundary,
            body: Vec::new(),
        }
    }

    /// A form with a fixed boundary (tests and snapshots).
    #[cfg(test)]
    pub fn with_boundary(boundary: &str) -> Self {
        Form {
            boundary: boundary.into(),
            body: Vec::new(),
        }
    }

    /// Field names and file names are ours (ASCII, no quotes); values may be any UTF-8.
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(value.as_bytes());
        self.body.extend_from_slice(b"\r\n");
        self
    }

    pub fn file(mut self, name: &str, file_name: &str, mime: &str, bytes: &[u8]) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {mime}\r\n\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(bytes);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// The `Content-Type` header value and the finished body.
    pub fn finish(mut self) -> (String, Vec<u8>) {
        self.body
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (
            format!("multipart/form-data; boundary={}", self.boundary),
            self.body,
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn body_has_every_part_and_the_closing_boundary() {
        let (ct, body) = Form::with_boundary("B")
            .text("description", "Rathaus, Südseite")
            .file("file", "image.png", "image/png", b"\x89PNG")
            .finish();
        assert_eq!(ct, "multipart/form-data; boundary=B");
        assert_eq!(
            body,
            "--B\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nRathaus, Südseite\r\n\
             --B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"image.png\"\r\nContent-Type: image/png\r\n\r\n\x00PNG\r\n--B--\r\n"
                .as_bytes()
                .iter()
                .map(|b| if *b == 0 { 0x89 } else { *b })
                .collect::<Vec<u8>>()
        );
    }
}

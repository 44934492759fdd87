//! A small `multipart/form-data` reader for the composer's form (text fields and up to four image files).
//!
//! Only what browsers send for a plain HTML form: one boundary, parts with a `Content-Disposition:
//! form-data; name="…"` header, an optional `filename` and `Content-Type`. No nesting, no transfer
//! encodings. Anything else is refused with a reason, never guessed at.

/// One part of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    /// Set for file inputs (empty when no file was chosen).
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

impl Part {
    /// The value of a text field (lossy for invalid UTF-8; browsers send UTF-8 for UTF-8 pages).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).replace("\r\n", "\n")
    }
}

/// Why a body was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the form was not sent as multipart/form-data with a boundary")]
    NoBoundary,
    #[error("the form body is incomplete or malformed")]
    Malformed,
    #[error("too many form fields")]
    TooManyParts,
}

/// Most parts a composer form can have (fields, variants, images and their alt texts, with room).
pub const MAX_PARTS: usize = 200;

/// The boundary from a `Content-Type` header value.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let mut pieces = content_type.split(';');
    let mime = pieces.next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return Err(MultipartError::NoBoundary);
    }
    for p in pieces {
        if let Some((k, v)) = p.trim().split_once('=') {
            if k.trim().eq_ignore_ascii_case("boundary") {
                let b = v.trim().trim_matches('"');
                // RFC 2046: 1 to 70 characters.
                if !b.is_empty() && b.len() <= 70 {
                    return Ok(b.to_string());
                }
            }
        }
    }
    Err(MultipartError::NoBoundary)
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A parameter of `Content-Disposition`, e.g. `name="text"`.
fn disposition_param(value: &str, key: &str) -> Option<String> {
    let mut rest = value;
    while let Some(i) = rest.find(';') {
        rest = rest[i + 1..].trim_start();
        let (k, after) = rest.split_once('=')?;
        let (v, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        if k.trim().eq_ignore_ascii_case(key) {
            return Some(v.to_string());
        }
        rest = tail;
    }
    None
}

/// Every part of `body`, in order.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, MultipartError> {
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let mut pos =
        find(body, delimiter.as_bytes(), 0).ok_or(MultipartError::Malformed)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        // After a delimiter: "--" ends the body, CRLF starts a part.
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        if !body[pos..].starts_with(b"\r\n") {
            return Err(MultipartError::Malformed);
        }
        pos += 2;
        let head_end = find(body, b"\r\n\r\n", pos).ok_or(MultipartError::Malformed)?;
        let head =
            std::str::from_utf8(&body[pos..head_end]).map_err(|_| MultipartError::Malformed)?;
        let data_start = head_end + 4;
        let data_end =
            find(body, next_delimiter.as_bytes(), data_start).ok_or(MultipartError::Malformed)?;
        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                name = disposition_param(v, "name");
                filename = disposition_param(v, "filename");
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_string());
            }
        }
        let name = name.ok_or(MultipartError::Malformed)?;
        if parts.len() >= MAX_PARTS {
            return Err(MultipartError::TooManyParts);
        }
        parts.push(Part {
            name,
            filename,
            content_type,
            data: body[data_start..data_end].to_vec(),
        });
        pos = data_end + next_delimiter.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_files_as_browsers_send_them() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nStra\xc3\x9fe\r\ngesperrt\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a b.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x00\x01\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n\
--XyZ--\r\n";
        let ct = "multipart/form-data; boundary=XyZ";
        let parts = parse(body, &boundary(ct).expect("boundary")).expect("parses");
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].name, "text");
        assert_eq!(parts[0].text(), "Straße\ngesperrt");
        assert_eq!(parts[1].filename.as_deref(), Some("a b.png"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[1].data, b"\x89PNG\r\n\x00\x01");
        assert_eq!(parts[2].filename.as_deref(), Some(""));
        assert!(parts[2].data.is_empty());
    }

    #[test]
    fn refuses_what_is_not_a_complete_form() {
        assert_eq!(
            boundary("application/x-www-form-urlencoded"),
            Err(MultipartError::NoBoundary)
        );
        assert_eq!(
            boundary("multipart/form-data"),
            Err(MultipartError::NoBoundary)
        );
        let cut = b"--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nabc";
        assert_eq!(parse(cut, "b"), Err(MultipartError::Malformed));
        let nameless = b"--b\r\nContent-Type: text/plain\r\n\r\nabc\r\n--b--";
        assert_eq!(parse(nameless, "b"), Err(MultipartError::Malformed));
        assert_eq!(parse(b"", "b"), Err(MultipartError::Malformed));
        let mut many = Vec::new();
        for _ in 0..=MAX_PARTS {
            many.extend_from_slice(
                b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n",
            );
        }
        many.extend_from_slice(b"--b--");
        assert_eq!(parse(&many, "b"), Err(MultipartError::TooManyParts));
    }
}

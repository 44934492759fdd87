//! Citizens' attachments for staff: always downloaded, never rendered inline, only harmless types kept.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::audit;
use super::auth::StaffSession;
use super::view;
use crate::AppState;

/// Types a browser may be handed as they are; everything else is served as opaque bytes.
const SAFE_MEDIA_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "audio/ogg",
    "audio/mpeg",
    "audio/mp4",
    "audio/aac",
    "audio/amr",
    "application/pdf",
];

/// The stored mime type if it is a harmless one, else `application/octet-stream`.
pub fn safe_content_type(mime: &str) -> &'static str {
    let base = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    SAFE_MEDIA_TYPES
        .iter()
        .find(|t| **t == base)
        .copied()
        .unwrap_or("application/octet-stream")
}

/// A download name without anything that could break the header or a file system.
pub fn safe_filename(name: Option<&str>, media_id: i64) -> String {
    let cleaned: String = name
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        format!("anhang-{media_id}")
    } else {
        cleaned.chars().take(100).collect()
    }
}

/// Headers for a media download: always an attachment, never sniffed, never cached.
pub fn download_response(
    mime: &str,
    filename: Option<&str>,
    media_id: i64,
    bytes: Vec<u8>,
) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"",
        safe_filename(filename, media_id)
    );
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(safe_content_type(mime)),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

pub async fn download(
    State(state): State<AppState>,
    session: StaffSession,
    Path((id, media_id)): Path<(i64, i64)>,
) -> Response {
    if !session.can_read() {
        return view::forbidden(session.tr(), Some(session.chrome(&state, "/inbox").await));
    }
    match state
        .store
        .media_content(session.info.municipality_id, id, media_id)
        .await
    {
        Ok(Some(m)) => {
            if let Err(e) = audit::record(
                &state.store,
                &session.actor(),
                audit::MEDIA_DOWNLOAD,
                format!("media:{media_id}"),
                Some(format!("concern:{id}")),
            )
            .await
            {
                return view::internal_error(session.tr(), &e);
            }
            download_response(&m.mime_type, m.filename.as_deref(), media_id, m.bytes)
        }
        Ok(None) => view::not_found(session.tr(), Some(session.chrome(&state, "/inbox").await)),
        Err(e) => view::internal_error(session.tr(), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_harmless_types_keep_their_mime_type() {
        assert_eq!(safe_content_type("image/jpeg"), "image/jpeg");
        assert_eq!(safe_content_type("audio/ogg; codecs=opus"), "audio/ogg");
        assert_eq!(
            safe_content_type("image/svg+xml"),
            "application/octet-stream"
        );
        assert_eq!(safe_content_type("text/html"), "application/octet-stream");
    }

    #[test]
    fn filenames_cannot_break_the_header() {
        assert_eq!(
            safe_filename(Some("Antrag \"x\";\r\n.pdf"), 3),
            "Antragx.pdf"
        );
        assert_eq!(safe_filename(Some("../../etc"), 3), "etc");
        assert_eq!(safe_filename(None, 3), "anhang-3");
    }
}

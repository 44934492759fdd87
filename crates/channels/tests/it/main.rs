//! Integration tests: the platform clients against the local fake platform (one test binary).
#![allow(clippy::unwrap_used, clippy::panic)]

mod bluesky;
mod contract;
mod fake;
mod mastodon_publish;
mod meta_publish;
mod publish_images;
mod telegram;
mod whatsapp;
mod x_publish;
mod x_token;

use rathaus_channels::SendError;

pub const WA_TOKEN: &str = "EAAGm0PX4ZCpsBA-secret-token";
pub const TG_TOKEN: &str = "7012345678:AAH-secret-bot-token";

/// Every text an error can show to staff or a log.
pub fn error_text(e: &SendError) -> String {
    match e {
        SendError::Retryable { reason, .. } | SendError::Permanent { reason } => {
            format!("{e} | {reason} | {e:?}")
        }
    }
}

/// A base URL where nothing listens: connecting fails at once.
pub async fn dead_base_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// A base URL that accepts connections and never answers.
pub async fn silent_base_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{addr}")
}

pub fn short_timeout_http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .unwrap()
}

//! Storage conformance suite: every scenario runs on embedded SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::panic)]

mod audit;
mod backends;
mod bench_fill;
mod conformance;
mod keys;
mod network_channels;
mod posts;
mod publication_retry;
mod publications;
mod response_times;
mod security;
mod settings;
mod staff_posts;
mod staged_media;
mod teams;

//! The `rathaus` binary's library: configuration, wiring of store, hub and web, and the CLI commands.
#![deny(clippy::unwrap_used, clippy::panic)]

pub mod backup;
pub mod config;
mod config_documents;
pub mod config_publishing;
pub mod demo;
pub mod demo_posts;
pub mod keyfile;
pub mod rotation;
pub mod server;
pub mod simulate;

//! Integration tests of the staff UI and the JSON API against the real router on a free port.
#![allow(clippy::unwrap_used, clippy::panic)]

mod access;
mod admin;
mod api;
mod browser;
mod consultation;
mod documents;
mod harness;
mod limits;
mod login_throttle;
mod mfa;
mod news;
mod posts_browser;
mod posts_ui;
mod privacy;
mod privacy_audit;
mod publishing;
mod publishing_meta_x_bluesky;
mod publishing_networks;
mod reports;
mod settings;
mod sso;
mod staged_media;
mod teams;
mod ui;
mod ui_concern;

//! End-to-end tests of the real server over HTTP with a fake platform on loopback.
#![allow(clippy::unwrap_used, clippy::panic)]

mod browser;
mod cli;
mod config_networks;
mod consultation;
mod demo_news;
mod harness;
mod messenger_flow;
mod privacy;
mod publish_crash;
mod scale_out;
mod settings_live;
mod staged_media_split;

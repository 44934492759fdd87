//! Server-side security controls: the route × role matrix and its guard layer.

pub mod access;
pub mod guard;

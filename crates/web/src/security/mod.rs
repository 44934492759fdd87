//! Server-side security controls: route × role matrix and guard, client addresses, login throttling.

pub mod access;
pub mod client;
pub mod guard;
pub mod throttle;
pub mod totp;

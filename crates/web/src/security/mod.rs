//! Server-side security controls: route × role matrix and guard, client addresses, login throttling, TOTP, limits.

pub mod access;
pub mod client;
pub mod guard;
pub mod limits;
pub mod team_scope;
pub mod throttle;
pub mod totp;

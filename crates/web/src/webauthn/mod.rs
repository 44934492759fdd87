//! The WebAuthn relying party (W3C WebAuthn Level 2) for staff passkeys: strict parsing and checking of
//! what the browser sends; challenges and credentials are kept by the store.

pub mod authdata;
pub mod cbor;
pub mod ceremony;
pub mod cose;

pub use ceremony::{ClientData, NewCredential, RelyingParty, WebAuthnError};

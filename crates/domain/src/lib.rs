//! Rathaus domain: pure rules for consent, concerns, messages and delivery — no IO, no SQL, no platform types.
#![deny(clippy::unwrap_used, clippy::panic)]

pub mod channel;
pub mod concern;
pub mod consent;
pub mod delivery;
pub mod documents;
pub mod message;
pub mod municipality;
pub mod publishing;
pub mod retention;
pub mod schedule;
pub mod texts;

pub use channel::ChannelKind;
pub use concern::{pseudonym, ConcernStatus};
pub use consent::{ConsentDecision, ConsentState, Intent, Keywords};
pub use delivery::{Backoff, DeliveryStatus, SendError, SentMessage, CUSTOMER_SERVICE_WINDOW_MS};
pub use message::{
    Direction, InboundEvent, InboundMessage, MediaRef, MessageContent, MessageKind, PlatformUser,
    StatusUpdate,
};
pub use municipality::{MunicipalitySettings, SecondFactorRule, SecuritySettings, TeamSettings};

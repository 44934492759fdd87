//! The hub's run time: which municipalities and channels exist (registry) and the job processing behind
//! the webhooks — consent gate, filing concerns, sending replies, fetching media.
#![deny(clippy::unwrap_used, clippy::panic)]

pub mod consultation;
pub mod export;
pub mod gate;
pub mod images;
pub mod live;
pub mod media_stage;
pub mod outbox;
pub mod publish_jobs;
pub mod publish_retry;
pub mod published;
pub mod publishing;
pub mod registry;
pub mod reports;
pub mod runner;
pub mod settings;
pub mod sso;
pub mod teams;
pub mod x_tokens;
pub mod zip;

pub use live::RegistryHandle;
pub use registry::{
    ChannelSecrets, ConfiguredChannel, DirectoryEntry, Registry, RegistryError,
    TelegramChannelConfig, Tenant, TenantConfig, WhatsAppChannelConfig,
};
pub use runner::{Worker, WorkerOptions};

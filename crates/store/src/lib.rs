//! Rathaus storage: one `Store` API over embedded SQLite or PostgreSQL, with the crypto envelope at its boundary.
//!
//! Personal data never reaches the database in plaintext: each `*_enc` column is sealed with the citizen's
//! key (or the municipality's event key for transient queue payloads) and bound to its table, column and row.
#![deny(clippy::unwrap_used, clippy::panic)]
// Row tuples straight from SQL read more plainly than a named type per query.
#![allow(clippy::type_complexity)]

mod audit;
mod bench_fill;
mod citizens;
mod concerns;
mod db;
mod erasure;
mod error;
mod inbox;
mod jobs;
mod keys;
mod mfa;
mod municipalities;
mod network_channels;
mod network_tokens;
mod news;
mod passkeys;
mod post_images;
mod posts;
mod privacy_queries;
mod publications;
mod requests;
mod response_times;
mod retention;
mod sessions;
mod settings;
mod staff;
mod staff_admin;
mod staff_posts;
mod staged_media;
mod teams;
mod throttle;

pub use audit::{truncate_ip, AuditEvent, AuditFilter, AuditRecord, AuditVerdict};
pub use bench_fill::{BulkCitizen, BulkConcern, BulkMessage, BulkResponse};
pub use citizens::{CitizenRef, ConsentRecord};
pub use concerns::{
    FiledMessage, MediaContent, OutboundDraft, OutboundToSend, ReplyRefused, MAX_REPLY_CHARS,
};
pub use inbox::{ConcernDetail, ConcernFilter, ConcernSummary, MediaInfo, MessageView};

pub use db::Backend;
pub use erasure::{ErasureRecord, ErasureSummary, ErasureTarget};
pub use error::StoreError;
pub use jobs::{ClaimedJob, InboundItem, JobKind};
pub use mfa::{normalize_recovery_code, TotpEnrolment};
pub use municipalities::{ChannelRow, MunicipalityRow};
pub use network_channels::{NetworkChannelInput, NetworkChannelRecord};
pub use news::NewsItem;
pub use passkeys::{ChallengePurpose, NewPasskey, PasskeySummary, StoredPasskey};
pub use post_images::{NewPostImage, PostImage};
pub use posts::{NewPost, PostRecord, PostStep, PostTransition, Publication, WEBSITE_CHANNEL};
pub use privacy_queries::{CitizenActivity, PrivacyNotice};
pub use publications::{publication_status, AttemptStarted, PublicationRetry, PublicationState};
pub use requests::{
    CitizenExport, DataRequest, ExportConcern, ExportConsent, ExportMessage, EXPORT_LINK_VALID_MS,
    REQUEST_DEADLINE_MS,
};
pub use response_times::{PromiseRecord, QueueEntry, ResponseAlerts};
pub use retention::PurgeReport;
pub use sessions::{
    session_reference, FirstFactor, NewSession, PendingLogin, SecondFactor, SessionSummary, SignIn,
};
pub use settings::{ChannelSecret, NetworkSecret, SettingsOverride};
pub use staff::{ApiTokenInfo, Role, SessionInfo, StaffMember};
pub use staff_admin::{
    Invitation, PendingInvitation, StaffOverview, StaffRefusal, INVITATION_VALID_MS,
};
pub use staff_posts::DraftEdit;
pub use staged_media::StagedImage;
pub use teams::{ConfiguredTeam, Team, TeamRefusal, MAX_TEAM_NAME_CHARS};
pub use throttle::{LoginFailures, LOGIN_FAILURE_RETENTION_MS};

use std::sync::Arc;

use rathaus_crypto::Key;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The one storage handle the server, worker and CLI share. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: db::Db,
    keys: keys::Keyring,
    /// Raised after every committed write through this handle (and its clones).
    writes: std::sync::atomic::AtomicU64,
}

impl Store {
    /// Opens (creating if needed) the database at `url` and applies the embedded migrations.
    /// `sqlite://path` or `postgres://…`.
    pub async fn open(url: &str, master_key: Key) -> Result<Store> {
        let db = db::Db::connect(url).await?;
        db.migrate().await?;
        let keys = match keys::Keyring::open(&db, master_key, now_ms()).await {
            Ok(k) => k,
            Err(e) => {
                db.close().await;
                return Err(e);
            }
        };
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                keys,
                writes: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }

    pub fn backend(&self) -> Backend {
        self.inner.db.backend()
    }

    /// A number that changes whenever this process committed a write through this store: a cache of
    /// something read from the store is current while the generation it was read at still holds
    /// (writes of other processes are not seen; such caches also need a short lifetime).
    pub fn write_generation(&self) -> u64 {
        self.inner.writes.load(std::sync::atomic::Ordering::Acquire)
    }

    pub(crate) fn wrote(&self) {
        self.inner
            .writes
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    pub(crate) fn db(&self) -> &db::Db {
        &self.inner.db
    }

    pub(crate) fn keys(&self) -> &keys::Keyring {
        &self.inner.keys
    }

    /// Writes a consistent copy of the SQLite database to `path` (`VACUUM INTO`, safe while serving).
    pub async fn sqlite_snapshot(&self, path: &std::path::Path) -> Result<()> {
        match self.db() {
            db::Db::Sqlite { writer, .. } => {
                sqlx::query("VACUUM INTO $1")
                    .bind(path.display().to_string())
                    .execute(writer)
                    .await?;
                Ok(())
            }
            db::Db::Postgres(_) => Err(StoreError::Invalid(
                "snapshots of PostgreSQL are made with pg_dump".into(),
            )),
        }
    }

    /// Moves everything from the SQLite write-ahead log into the main file and empties the log
    /// (no-op on PostgreSQL). Used after erasures and before file-level checks.
    pub async fn checkpoint(&self) -> Result<()> {
        if let db::Db::Sqlite { writer, .. } = self.db() {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(writer)
                .await?;
        }
        Ok(())
    }

    /// Closes the connection pools (flushes the SQLite WAL on the last connection).
    pub async fn close(&self) {
        self.inner.db.close().await;
    }
}

/// Current time in unix milliseconds; the store takes `now` as an argument everywhere else.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

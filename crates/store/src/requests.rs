//! Data-subject requests: access exports (Art. 15/20) with one-time links, and the request register with deadlines.

use rathaus_crypto::{context, sha256_hex};

use crate::citizens::{CitizenRef, ConsentRecord};
use crate::db::{read, write_tx};
use crate::{Result, Store, StoreError};

/// Art. 12(3): one month to answer; counted here as 30 days.
pub const REQUEST_DEADLINE_MS: i64 = 30 * 24 * 60 * 60 * 1000;
/// Export links stay valid for seven days.
pub const EXPORT_LINK_VALID_MS: i64 = 7 * 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DataRequest {
    pub id: i64,
    pub citizen_id: Option<i64>,
    pub pseudonym: String,
    /// "access" or "erasure".
    pub kind: String,
    /// "keyword" or "staff:<id>".
    pub via: String,
    pub requested_at: i64,
    pub due_at: i64,
    pub completed_at: Option<i64>,
}

impl DataRequest {
    pub fn is_overdue(&self, now: i64) -> bool {
        self.completed_at.is_none() && now > self.due_at
    }
}

/// Everything stored about one citizen, decrypted, for an access export.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CitizenExport {
    pub pseudonym: String,
    pub channel: String,
    pub platform_id: String,
    pub phone: Option<String>,
    pub display_name: Option<String>,
    pub first_contact_at: i64,
    pub consents: Vec<ExportConsent>,
    pub concerns: Vec<ExportConcern>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExportConsent {
    pub action: String,
    pub notice_version: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExportConcern {
    pub id: i64,
    pub status: String,
    pub created_at: i64,
    pub messages: Vec<ExportMessage>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExportMessage {
    pub direction: String,
    pub kind: String,
    pub text: Option<String>,
    pub created_at: i64,
    pub delivery_status: Option<String>,
    /// File name inside the archive, if the message had stored media.
    pub media_file: Option<String>,
    #[serde(skip)]
    pub media: Option<(String, Vec<u8>)>,
}

fn hash(token: &str) -> Vec<u8> {
    hex::decode(sha256_hex(token.as_bytes())).unwrap_or_default()
}

impl Store {
    /// Opens a request in the register (deadline one month) and returns its id.
    pub async fn open_request(
        &self,
        citizen: &CitizenRef,
        kind: &str,
        via: &str,
        now: i64,
    ) -> Result<i64> {
        Ok(write_tx!(self, |tx| {
            sqlx::query_scalar(
                "INSERT INTO data_requests (municipality_id, citizen_id, pseudonym, kind, via, requested_at, due_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(citizen.municipality_id)
            .bind(citizen.id)
            .bind(&citizen.pseudonym)
            .bind(kind)
            .bind(via)
            .bind(now)
            .bind(now + REQUEST_DEADLINE_MS)
            .fetch_one(&mut *tx)
            .await?
        }))
    }

    pub async fn complete_request(
        &self,
        municipality_id: i64,
        request_id: i64,
        now: i64,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE data_requests SET completed_at = COALESCE(completed_at, $1) WHERE id = $2 AND municipality_id = $3")
                .bind(now)
                .bind(request_id)
                .bind(municipality_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// The register, open requests first (by deadline), then completed ones, newest first.
    pub async fn data_requests(&self, municipality_id: i64) -> Result<Vec<DataRequest>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT id, citizen_id, pseudonym, kind, via, requested_at, due_at, completed_at FROM data_requests \
                 WHERE municipality_id = $1 ORDER BY (completed_at IS NOT NULL), due_at, requested_at DESC LIMIT 500",
            )
            .bind(municipality_id)
            .fetch_all(ex)
            .await?
        }))
    }

    /// A one-time download link secret for a citizen's export, valid seven days.
    pub async fn create_export_link(
        &self,
        citizen: &CitizenRef,
        request_id: Option<i64>,
        now: i64,
    ) -> Result<String> {
        let token = rathaus_crypto::random_token(32);
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO export_links (token_hash, municipality_id, citizen_id, request_id, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(hash(&token))
            .bind(citizen.municipality_id)
            .bind(citizen.id)
            .bind(request_id)
            .bind(now)
            .bind(now + EXPORT_LINK_VALID_MS)
            .execute(&mut *tx)
            .await?;
        });
        Ok(token)
    }

    /// Uses up an export link: returns (municipality, citizen) if valid, unused and unexpired.
    pub async fn consume_export_link(&self, token: &str, now: i64) -> Result<Option<(i64, i64)>> {
        Ok(write_tx!(self, |tx| {
            sqlx::query_as(
                "UPDATE export_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
                 RETURNING municipality_id, citizen_id",
            )
            .bind(now)
            .bind(hash(token))
            .fetch_optional(&mut *tx)
            .await?
        }))
    }

    /// Everything stored about a citizen, decrypted.
    pub async fn citizen_export(
        &self,
        municipality_id: i64,
        citizen_id: i64,
    ) -> Result<CitizenExport> {
        let citizen = self.citizen(municipality_id, citizen_id).await?;
        let (phone_enc, name_enc, created_at, channel): (
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            i64,
            String,
        ) = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT z.phone_enc, z.display_name_enc, z.created_at, ch.kind FROM citizens z JOIN channels ch ON ch.id = z.channel_id WHERE z.id = $1",
            )
            .bind(citizen_id)
            .fetch_one(ex)
            .await?
        });
        let k = &citizen.key;
        let phone = phone_enc
            .map(|b| k.open_string(&b, &context("citizens", "phone_enc", citizen_id)))
            .transpose()?;
        let display_name = name_enc
            .map(|b| k.open_string(&b, &context("citizens", "display_name_enc", citizen_id)))
            .transpose()?;
        let consents = self
            .consent_history(&citizen)
            .await?
            .into_iter()
            .map(|c: ConsentRecord| ExportConsent {
                action: c.action,
                notice_version: c.notice_version,
                at: c.at,
            })
            .collect();
        let concern_ids: Vec<(i64, String, i64)> = read!(self.db(), |ex| {
            sqlx::query_as("SELECT id, status, created_at FROM concerns WHERE citizen_id = $1 ORDER BY created_at")
                .bind(citizen_id)
                .fetch_all(ex)
                .await?
        });
        let mut concerns = Vec::new();
        for (id, status, created) in concern_ids {
            let detail = self
                .concern_detail(municipality_id, id)
                .await?
                .ok_or(StoreError::NotFound)?;
            let mut messages = Vec::new();
            for m in detail.messages {
                let media = match &m.media {
                    Some(info) if info.state == "stored" => {
                        self.media_content(municipality_id, id, info.id).await?
                    }
                    _ => None,
                };
                let (media_file, media) = match media {
                    Some(c) => {
                        let ext = c
                            .mime_type
                            .split('/')
                            .nth(1)
                            .unwrap_or("bin")
                            .split(';')
                            .next()
                            .unwrap_or("bin")
                            .to_string();
                        let name = format!("medien/anliegen-{id}-nachricht-{}.{ext}", m.id);
                        (Some(name.clone()), Some((name, c.bytes)))
                    }
                    None => (None, None),
                };
                messages.push(ExportMessage {
                    direction: m.direction.as_str().into(),
                    kind: m.kind.as_str().into(),
                    text: m.text,
                    created_at: m.created_at,
                    delivery_status: m.delivery_status.map(|d| d.as_str().to_string()),
                    media_file,
                    media,
                });
            }
            concerns.push(ExportConcern {
                id,
                status,
                created_at: created,
                messages,
            });
        }
        Ok(CitizenExport {
            pseudonym: citizen.pseudonym.clone(),
            channel,
            platform_id: self.citizen_platform_id(&citizen).await?,
            phone,
            display_name,
            first_contact_at: created_at,
            consents,
            concerns,
        })
    }
}

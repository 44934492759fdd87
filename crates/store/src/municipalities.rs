//! Municipalities (tenants), their channels and privacy-notice versions.

use rathaus_crypto::{sha256_hex, Key};
use rathaus_domain::ChannelKind;

use crate::db::{read, write_tx};
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MunicipalityRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub timezone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRow {
    pub id: i64,
    pub municipality_id: i64,
    pub kind: ChannelKind,
    pub name: String,
    /// WhatsApp phone_number_id or the Telegram bot's channel name.
    pub external_id: String,
}

#[derive(sqlx::FromRow)]
struct RawChannel {
    id: i64,
    municipality_id: i64,
    kind: String,
    name: String,
    external_id: String,
}

impl RawChannel {
    fn into_row(self) -> Result<ChannelRow> {
        Ok(ChannelRow {
            id: self.id,
            municipality_id: self.municipality_id,
            kind: ChannelKind::parse(&self.kind).ok_or_else(|| {
                StoreError::Invalid(format!("unknown channel kind {}", self.kind))
            })?,
            name: self.name,
            external_id: self.external_id,
        })
    }
}

/// Version of a privacy notice: the first 16 hex digits of the SHA-256 of its text.
pub fn notice_version(text: &str) -> String {
    sha256_hex(text.as_bytes())[..16].to_string()
}

impl Store {
    /// Creates the municipality with a fresh key on first sight; updates its name and time zone later.
    pub async fn ensure_municipality(
        &self,
        slug: &str,
        name: &str,
        timezone: &str,
        now: i64,
    ) -> Result<MunicipalityRow> {
        let keys = self.keys();
        let row: MunicipalityRow = write_tx!(self, |tx| {
            let existing: Option<MunicipalityRow> = sqlx::query_as(
                "SELECT id, slug, name, timezone FROM municipalities WHERE slug = $1",
            )
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?;
            match existing {
                Some(m) => {
                    sqlx::query("UPDATE municipalities SET name = $1, timezone = $2 WHERE id = $3")
                        .bind(name)
                        .bind(timezone)
                        .bind(m.id)
                        .execute(&mut *tx)
                        .await?;
                    MunicipalityRow {
                        name: name.into(),
                        timezone: timezone.into(),
                        ..m
                    }
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO municipalities (slug, name, timezone, wrapped_key, created_at) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(slug)
                    .bind(name)
                    .bind(timezone)
                    .bind(Vec::<u8>::new())
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    let wrapped = keys.wrap_municipality_key(id, &Key::generate());
                    sqlx::query("UPDATE municipalities SET wrapped_key = $1 WHERE id = $2")
                        .bind(wrapped)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    MunicipalityRow {
                        id,
                        slug: slug.into(),
                        name: name.into(),
                        timezone: timezone.into(),
                    }
                }
            }
        });
        Ok(row)
    }

    pub async fn municipalities(&self) -> Result<Vec<MunicipalityRow>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_as("SELECT id, slug, name, timezone FROM municipalities ORDER BY id")
                .fetch_all(ex)
                .await?
        }))
    }

    pub async fn municipality_by_slug(&self, slug: &str) -> Result<Option<MunicipalityRow>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_as("SELECT id, slug, name, timezone FROM municipalities WHERE slug = $1")
                .bind(slug)
                .fetch_optional(ex)
                .await?
        }))
    }

    /// Registers a configured channel (idempotent); fails clearly if its external id belongs to another municipality.
    pub async fn ensure_channel(
        &self,
        municipality_id: i64,
        kind: ChannelKind,
        name: &str,
        external_id: &str,
        now: i64,
    ) -> Result<ChannelRow> {
        let raw: RawChannel = write_tx!(self, |tx| {
            let existing: Option<RawChannel> = sqlx::query_as(
                "SELECT id, municipality_id, kind, name, external_id FROM channels WHERE kind = $1 AND external_id = $2",
            )
            .bind(kind.as_str())
            .bind(external_id)
            .fetch_optional(&mut *tx)
            .await?;
            match existing {
                Some(c) if c.municipality_id != municipality_id => {
                    return Err(StoreError::Invalid(format!(
                        "{} channel {external_id} is already configured for another municipality",
                        kind.label()
                    )));
                }
                Some(c) => {
                    sqlx::query("UPDATE channels SET name = $1 WHERE id = $2")
                        .bind(name)
                        .bind(c.id)
                        .execute(&mut *tx)
                        .await?;
                    RawChannel { name: name.into(), ..c }
                }
                None => {
                    sqlx::query_as(
                        "INSERT INTO channels (municipality_id, kind, name, external_id, created_at) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING id, municipality_id, kind, name, external_id",
                    )
                    .bind(municipality_id)
                    .bind(kind.as_str())
                    .bind(name)
                    .bind(external_id)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                }
            }
        });
        raw.into_row()
    }

    pub async fn channels(&self, municipality_id: i64) -> Result<Vec<ChannelRow>> {
        let raws: Vec<RawChannel> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT id, municipality_id, kind, name, external_id FROM channels WHERE municipality_id = $1 ORDER BY id",
            )
            .bind(municipality_id)
            .fetch_all(ex)
            .await?
        });
        raws.into_iter().map(RawChannel::into_row).collect()
    }

    /// Records the privacy-notice text in force now and returns its version; a changed text is a new version.
    pub async fn ensure_privacy_notice(
        &self,
        municipality_id: i64,
        url: &str,
        text: Option<&str>,
        now: i64,
    ) -> Result<String> {
        let version = notice_version(text.unwrap_or(url));
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO privacy_notices (municipality_id, version, url, notice_text, first_in_force_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (municipality_id, version) DO NOTHING",
            )
            .bind(municipality_id)
            .bind(&version)
            .bind(url)
            .bind(text)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(version)
    }

    /// Adds one to a named daily counter (aggregates only: no personal data).
    pub async fn bump_counter(&self, scope: &str, name: &str, day: &str) -> Result<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO counters (scope, name, day, count) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (scope, name, day) DO UPDATE SET count = counters.count + 1",
            )
            .bind(scope)
            .bind(name)
            .bind(day)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Sum of a counter over all days.
    pub async fn counter_total(&self, scope: &str, name: &str) -> Result<i64> {
        let n: Option<i64> = read!(self.db(), |ex| {
            sqlx::query_scalar(
                "SELECT CAST(SUM(count) AS BIGINT) FROM counters WHERE scope = $1 AND name = $2",
            )
            .bind(scope)
            .bind(name)
            .fetch_one(ex)
            .await?
        });
        Ok(n.unwrap_or(0))
    }
}

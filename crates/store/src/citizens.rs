//! Citizens behind the consent gate: created only on opt-in, found by keyed hash, consent recorded with its notice version.

use rathaus_crypto::{context, Key};
use rathaus_domain::{pseudonym, ConsentState, PlatformUser};

use crate::db::{read, write_tx};
use crate::{Result, Store, StoreError};

/// A citizen as the worker needs them: identity, consent and their unwrapped key.
#[derive(Debug, Clone)]
pub struct CitizenRef {
    pub id: i64,
    pub municipality_id: i64,
    pub channel_id: i64,
    pub pseudonym: String,
    pub consent: ConsentState,
    pub(crate) key: Key,
}

/// One entry of a citizen's consent history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    pub action: String,
    pub notice_version: String,
    pub at: i64,
    pub platform_message_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CitizenRaw {
    id: i64,
    municipality_id: i64,
    channel_id: i64,
    wrapped_key: Vec<u8>,
    pseudonym: String,
    consent_given: i64,
}

const CITIZEN_COLUMNS: &str =
    "id, municipality_id, channel_id, wrapped_key, pseudonym, consent_given";

impl Store {
    async fn citizen_from_raw(&self, raw: CitizenRaw) -> Result<CitizenRef> {
        let key = self
            .keys()
            .citizen(self.db(), raw.municipality_id, raw.id, &raw.wrapped_key)
            .await?;
        Ok(CitizenRef {
            id: raw.id,
            municipality_id: raw.municipality_id,
            channel_id: raw.channel_id,
            pseudonym: raw.pseudonym,
            consent: if raw.consent_given != 0 {
                ConsentState::Given
            } else {
                ConsentState::NotGiven
            },
            key,
        })
    }

    async fn citizen_lookup_hash(
        &self,
        municipality_id: i64,
        channel_id: i64,
        platform_id: &str,
    ) -> Result<Vec<u8>> {
        self.keys()
            .lookup_hash(
                self.db(),
                municipality_id,
                &format!("citizen:{channel_id}:{platform_id}"),
            )
            .await
    }

    /// Finds the citizen behind a platform id on a channel, by keyed hash.
    pub async fn find_citizen(
        &self,
        municipality_id: i64,
        channel_id: i64,
        platform_id: &str,
    ) -> Result<Option<CitizenRef>> {
        let hash = self
            .citizen_lookup_hash(municipality_id, channel_id, platform_id)
            .await?;
        let sql = format!(
            "SELECT {CITIZEN_COLUMNS} FROM citizens WHERE channel_id = $1 AND lookup_hash = $2"
        );
        let raw: Option<CitizenRaw> = read!(self.db(), |ex| {
            sqlx::query_as(&sql)
                .bind(channel_id)
                .bind(&hash)
                .fetch_optional(ex)
                .await?
        });
        match raw {
            Some(r) => Ok(Some(self.citizen_from_raw(r).await?)),
            None => Ok(None),
        }
    }

    pub async fn citizen(&self, municipality_id: i64, citizen_id: i64) -> Result<CitizenRef> {
        let sql = format!(
            "SELECT {CITIZEN_COLUMNS} FROM citizens WHERE id = $1 AND municipality_id = $2"
        );
        let raw: Option<CitizenRaw> = read!(self.db(), |ex| {
            sqlx::query_as(&sql)
                .bind(citizen_id)
                .bind(municipality_id)
                .fetch_optional(ex)
                .await?
        });
        self.citizen_from_raw(raw.ok_or(StoreError::NotFound)?)
            .await
    }

    /// The platform id to send to (decrypted), e.g. the WhatsApp user id or Telegram chat id.
    pub async fn citizen_platform_id(&self, citizen: &CitizenRef) -> Result<String> {
        let blob: Vec<u8> = read!(self.db(), |ex| {
            sqlx::query_scalar("SELECT platform_id_enc FROM citizens WHERE id = $1")
                .bind(citizen.id)
                .fetch_one(ex)
                .await?
        });
        Ok(citizen
            .key
            .open_string(&blob, &context("citizens", "platform_id_enc", citizen.id))?)
    }

    /// Records an opt-in: creates the citizen (with a fresh key) if needed and appends a consent record.
    pub async fn record_consent(
        &self,
        municipality_id: i64,
        channel_id: i64,
        user: &PlatformUser,
        notice_version: &str,
        platform_message_id: &str,
        now: i64,
    ) -> Result<CitizenRef> {
        let hash = self
            .citizen_lookup_hash(municipality_id, channel_id, &user.id)
            .await?;
        let mk = self.keys().municipality(self.db(), municipality_id).await?;
        let existing = self
            .find_citizen(municipality_id, channel_id, &user.id)
            .await?;
        let (citizen_id, key) = match existing {
            Some(c) => (c.id, c.key),
            None => {
                let key = Key::generate();
                let id: i64 = write_tx!(self, |tx| {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO citizens (municipality_id, channel_id, lookup_hash, wrapped_key, platform_id_enc, \
                         pseudonym, consent_given, created_at) VALUES ($1, $2, $3, $4, $4, '', 0, $5) RETURNING id",
                    )
                    .bind(municipality_id)
                    .bind(channel_id)
                    .bind(&hash)
                    .bind(Vec::<u8>::new())
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    let tag = mk.derive("pseudonym").keyed_hash(&id.to_be_bytes());
                    sqlx::query(
                        "UPDATE citizens SET wrapped_key = $1, platform_id_enc = $2, pseudonym = $3 WHERE id = $4",
                    )
                    .bind(mk.wrap(&key, &context("citizens", "wrapped_key", id)))
                    .bind(key.seal_str(&user.id, &context("citizens", "platform_id_enc", id)))
                    .bind(pseudonym([tag[0], tag[1]]))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    id
                });
                (id, key)
            }
        };
        write_tx!(self, |tx| {
            sqlx::query("UPDATE citizens SET consent_given = 1, phone_enc = $1, display_name_enc = $2 WHERE id = $3")
                .bind(user.phone.as_ref().map(|p| key.seal_str(p, &context("citizens", "phone_enc", citizen_id))))
                .bind(
                    user.display_name
                        .as_ref()
                        .map(|n| key.seal_str(n, &context("citizens", "display_name_enc", citizen_id))),
                )
                .bind(citizen_id)
                .execute(&mut *tx)
                .await?;
            insert_consent(
                &mut tx,
                municipality_id,
                citizen_id,
                channel_id,
                "given",
                notice_version,
                &key,
                platform_message_id,
                now,
            )
            .await?;
        });
        self.citizen(municipality_id, citizen_id).await
    }

    /// Records a withdrawal; later messages are treated as before opt-in.
    pub async fn withdraw_consent(
        &self,
        citizen: &CitizenRef,
        notice_version: &str,
        platform_message_id: &str,
        now: i64,
    ) -> Result<()> {
        let key = citizen.key.clone();
        write_tx!(self, |tx| {
            sqlx::query("UPDATE citizens SET consent_given = 0 WHERE id = $1")
                .bind(citizen.id)
                .execute(&mut *tx)
                .await?;
            insert_consent(
                &mut tx,
                citizen.municipality_id,
                citizen.id,
                citizen.channel_id,
                "withdrawn",
                notice_version,
                &key,
                platform_message_id,
                now,
            )
            .await?;
        });
        Ok(())
    }

    /// The consent history of a citizen, oldest first, with the notice version each refers to.
    pub async fn consent_history(&self, citizen: &CitizenRef) -> Result<Vec<ConsentRecord>> {
        let rows: Vec<(i64, String, String, i64, Option<Vec<u8>>)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT id, action, notice_version, at, platform_message_id_enc FROM consents WHERE citizen_id = $1 ORDER BY at, id",
            )
            .bind(citizen.id)
            .fetch_all(ex)
            .await?
        });
        rows.into_iter()
            .map(|(id, action, notice_version, at, enc)| {
                let platform_message_id = match enc {
                    Some(b) => Some(
                        citizen
                            .key
                            .open_string(&b, &context("consents", "platform_message_id_enc", id))?,
                    ),
                    None => None,
                };
                Ok(ConsentRecord {
                    action,
                    notice_version,
                    at,
                    platform_message_id,
                })
            })
            .collect()
    }
}

/// Appends one consent record; the platform message id is sealed with the citizen key once the row id is known.
#[allow(clippy::too_many_arguments)]
async fn insert_consent<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
    municipality_id: i64,
    citizen_id: i64,
    channel_id: i64,
    action: &str,
    notice_version: &str,
    key: &Key,
    platform_message_id: &str,
    now: i64,
) -> Result<()>
where
    DB: sqlx::Database,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB> + sqlx::Decode<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'e> &'e mut <DB as sqlx::Database>::Connection: sqlx::Executor<'e, Database = DB>,
    usize: sqlx::ColumnIndex<<DB as sqlx::Database>::Row>,
{
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO consents (municipality_id, citizen_id, channel_id, action, notice_version, at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(municipality_id)
    .bind(citizen_id)
    .bind(channel_id)
    .bind(action)
    .bind(notice_version)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("UPDATE consents SET platform_message_id_enc = $1 WHERE id = $2")
        .bind(key.seal_str(
            platform_message_id,
            &context("consents", "platform_message_id_enc", id),
        ))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

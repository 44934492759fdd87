//! Bulk fill for `rathaus-bench` only: many citizens, concerns and messages in few large transactions, sealed with the real keys.
//!
//! The product never calls this. It writes the same rows, ciphertexts (bound to table, column and row id) and
//! keyed hashes as the consent gate and `file_inbound_message_promised` do, but assigns the row ids itself
//! so that thousands of rows go into one multi-row `INSERT` and one commit.

use rathaus_crypto::{context, Key};
use rathaus_domain::{pseudonym, ConsentState};

use crate::citizens::CitizenRef;
use crate::db::{read, write_tx, Backend};
use crate::keys::LOOKUP;
use crate::response_times::{promise_binds, PromiseRecord};
use crate::{Result, Store};

/// A consented citizen to create.
#[derive(Debug, Clone)]
pub struct BulkCitizen {
    pub platform_id: String,
    pub display_name: Option<String>,
    pub phone: Option<String>,
    /// Platform id of the message whose "yes" gave consent.
    pub consent_message_id: String,
    pub created_at: i64,
}

/// One message of a bulk concern.
#[derive(Debug, Clone)]
pub struct BulkMessage {
    /// `None`: the citizen wrote it (inbound); `Some(staff)`: a staff reply (outbound, delivered).
    pub author_id: Option<i64>,
    pub text: String,
    /// The platform's message id (inbound: from the webhook; outbound: returned by the platform).
    pub platform_message_id: String,
    pub at: i64,
}

/// The first-response measurement of a bulk concern.
#[derive(Debug, Clone, Copy)]
pub struct BulkResponse {
    pub promise: PromiseRecord,
    pub started_at: i64,
    pub first_response_at: Option<i64>,
}

/// A concern of one of the citizens, with its thread.
#[derive(Debug, Clone)]
pub struct BulkConcern {
    /// Index into the citizens given to [`Store::bench_fill_concerns`].
    pub citizen: usize,
    /// `open`, `answered`, `waiting` or `resolved`.
    pub status: &'static str,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
    pub messages: Vec<BulkMessage>,
    pub response: Option<BulkResponse>,
}

/// Rows per multi-row `INSERT` (well below both backends' limits on bound parameters).
const ROWS_PER_INSERT: usize = 400;

/// "($1, $2, …), (…)" for `rows` rows of `cols` parameters each.
fn values(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let p: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
            format!("({})", p.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Binds a row of values of mixed types to a query, in order.
enum V {
    I(i64),
    OI(Option<i64>),
    B(Vec<u8>),
    OB(Option<Vec<u8>>),
    S(String),
    OS(Option<&'static str>),
}

macro_rules! insert_rows {
    ($tx:ident, $table:expr, $cols:expr, $rows:expr) => {{
        let cols: &str = $cols;
        let ncols = cols.split(',').count();
        for chunk in $rows.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO {} ({cols}) VALUES {}",
                $table,
                values(chunk.len(), ncols)
            );
            let mut q = sqlx::query(&sql);
            for row in chunk {
                for v in row {
                    q = match v {
                        V::I(x) => q.bind(*x),
                        V::OI(x) => q.bind(*x),
                        V::B(x) => q.bind(x.as_slice()),
                        V::OB(x) => q.bind(x.as_deref()),
                        V::S(x) => q.bind(x.as_str()),
                        V::OS(x) => q.bind(*x),
                    };
                }
            }
            q.execute(&mut *$tx).await?;
        }
    }};
}

impl Store {
    /// The next free ids of `table` (the caller holds the only writer inside its transaction).
    async fn bench_next_id(&self, table: &str) -> Result<i64> {
        let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
        let max: i64 = read!(self.db(), |ex| {
            sqlx::query_scalar(&sql).fetch_one(ex).await?
        });
        Ok(max + 1)
    }

    /// Benchmark only: creates consented citizens of one channel (each with a fresh key and a consent
    /// record) in one transaction, and returns them in the given order. Not safe while the store is
    /// being written to by others: ids are assigned from the current maximum.
    pub async fn bench_fill_citizens(
        &self,
        municipality_id: i64,
        channel_id: i64,
        notice_version: &str,
        citizens: &[BulkCitizen],
    ) -> Result<Vec<CitizenRef>> {
        let mk = self.keys().municipality(self.db(), municipality_id).await?;
        let lookup = mk.derive(LOOKUP);
        let tagger = mk.derive("pseudonym");
        let first = self.bench_next_id("citizens").await?;
        let first_consent = self.bench_next_id("consents").await?;
        let mut rows = Vec::with_capacity(citizens.len());
        let mut consents = Vec::with_capacity(citizens.len());
        let mut out = Vec::with_capacity(citizens.len());
        for (i, c) in citizens.iter().enumerate() {
            let id = first + i as i64;
            let key = Key::generate();
            let tag = tagger.keyed_hash(&id.to_be_bytes());
            let name = pseudonym([tag[0], tag[1]]);
            let seal = |col: &str, v: &Option<String>| {
                v.as_ref()
                    .map(|s| key.seal_str(s, &context("citizens", col, id)))
            };
            rows.push(vec![
                V::I(id),
                V::I(municipality_id),
                V::I(channel_id),
                V::B(
                    lookup
                        .keyed_hash(format!("citizen:{channel_id}:{}", c.platform_id).as_bytes())
                        .to_vec(),
                ),
                V::B(mk.wrap(&key, &context("citizens", "wrapped_key", id))),
                V::B(key.seal_str(&c.platform_id, &context("citizens", "platform_id_enc", id))),
                V::OB(seal("phone_enc", &c.phone)),
                V::OB(seal("display_name_enc", &c.display_name)),
                V::S(name.clone()),
                V::I(1),
                V::I(c.created_at),
            ]);
            let consent_id = first_consent + i as i64;
            consents.push(vec![
                V::I(consent_id),
                V::I(municipality_id),
                V::I(id),
                V::I(channel_id),
                V::S("given".into()),
                V::S(notice_version.to_string()),
                V::B(key.seal_str(
                    &c.consent_message_id,
                    &context("consents", "platform_message_id_enc", consent_id),
                )),
                V::I(c.created_at),
            ]);
            out.push(CitizenRef {
                id,
                municipality_id,
                channel_id,
                pseudonym: name,
                consent: ConsentState::Given,
                key,
            });
        }
        let backend = self.backend();
        write_tx!(self, |tx| {
            insert_rows!(
                tx,
                "citizens",
                "id, municipality_id, channel_id, lookup_hash, wrapped_key, platform_id_enc, phone_enc, \
                 display_name_enc, pseudonym, consent_given, created_at",
                rows
            );
            insert_rows!(
                tx,
                "consents",
                "id, municipality_id, citizen_id, channel_id, action, notice_version, platform_message_id_enc, at",
                consents
            );
            if backend == Backend::Postgres {
                for t in ["citizens", "consents"] {
                    sqlx::query(&format!(
                        "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"
                    ))
                    .execute(&mut *tx)
                    .await?;
                }
            }
        });
        Ok(out)
    }

    /// Benchmark only: files concerns of the given citizens with their messages (bodies sealed with the
    /// citizen's key, platform ids as keyed hashes) and response measurements, in one transaction.
    /// Like [`Store::bench_fill_citizens`], not safe while others write.
    pub async fn bench_fill_concerns(
        &self,
        citizens: &[CitizenRef],
        concerns: &[BulkConcern],
    ) -> Result<()> {
        let Some(first_citizen) = citizens.first() else {
            return Ok(());
        };
        let municipality_id = first_citizen.municipality_id;
        let lookup = self
            .keys()
            .municipality(self.db(), municipality_id)
            .await?
            .derive(LOOKUP);
        let mut concern_id = self.bench_next_id("concerns").await?;
        let mut message_id = self.bench_next_id("messages").await?;
        let mut response_id = self.bench_next_id("first_responses").await?;
        let mut concern_rows = Vec::with_capacity(concerns.len());
        let mut message_rows = Vec::new();
        let mut response_rows = Vec::new();
        let mut last_inbound: Vec<Option<i64>> = vec![None; citizens.len()];
        for c in concerns {
            let citizen = citizens.get(c.citizen).ok_or_else(|| {
                crate::StoreError::Invalid(format!("bulk concern names citizen {}", c.citizen))
            })?;
            let last_activity = c
                .messages
                .iter()
                .map(|m| m.at)
                .max()
                .unwrap_or(c.created_at);
            let rid = c.response.map(|r| {
                let (situation, clock) = promise_binds(&r.promise);
                response_rows.push(vec![
                    V::I(response_id),
                    V::I(municipality_id),
                    V::I(concern_id),
                    V::I(citizen.channel_id),
                    V::S(situation.into()),
                    V::S(clock.into()),
                    V::OI(r.promise.slot_start),
                    V::I(r.started_at),
                    V::I(r.promise.due_at),
                    V::I(r.promise.near_due_at),
                    V::OI(r.first_response_at),
                ]);
                response_id += 1;
                response_id - 1
            });
            concern_rows.push(vec![
                V::I(concern_id),
                V::I(municipality_id),
                V::I(citizen.id),
                V::I(citizen.channel_id),
                V::S(c.status.into()),
                V::I(c.created_at),
                V::I(last_activity),
                V::OI(c.resolved_at),
                V::OI(rid),
            ]);
            for m in &c.messages {
                let hash = lookup.keyed_hash(
                    format!("message:{}:{}", citizen.channel_id, m.platform_message_id).as_bytes(),
                );
                let inbound = m.author_id.is_none();
                if inbound {
                    let l = &mut last_inbound[c.citizen];
                    *l = Some(l.map_or(m.at, |x| x.max(m.at)));
                }
                message_rows.push(vec![
                    V::I(message_id),
                    V::I(municipality_id),
                    V::I(concern_id),
                    V::I(citizen.channel_id),
                    V::S(if inbound { "inbound" } else { "outbound" }.into()),
                    V::S("text".into()),
                    V::B(
                        citizen
                            .key
                            .seal_str(&m.text, &context("messages", "body_enc", message_id)),
                    ),
                    V::OI(m.author_id),
                    V::B(hash.to_vec()),
                    V::OS((!inbound).then_some("delivered")),
                    V::I(m.at),
                ]);
                message_id += 1;
            }
            concern_id += 1;
        }
        let backend = self.backend();
        write_tx!(self, |tx| {
            insert_rows!(
                tx,
                "concerns",
                "id, municipality_id, citizen_id, channel_id, status, created_at, last_activity_at, resolved_at, response_id",
                concern_rows
            );
            insert_rows!(
                tx,
                "first_responses",
                "id, municipality_id, concern_id, channel_id, situation, clock, slot_start, started_at, due_at, \
                 near_due_at, first_response_at",
                response_rows
            );
            insert_rows!(
                tx,
                "messages",
                "id, municipality_id, concern_id, channel_id, direction, kind, body_enc, author_id, \
                 platform_message_hash, delivery_status, created_at",
                message_rows
            );
            for (c, at) in citizens.iter().zip(&last_inbound) {
                if let Some(at) = at {
                    sqlx::query("UPDATE citizens SET last_inbound_at = $1 WHERE id = $2 AND (last_inbound_at IS NULL OR last_inbound_at < $1)")
                        .bind(at)
                        .bind(c.id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            if backend == Backend::Postgres {
                for t in ["concerns", "messages", "first_responses"] {
                    sqlx::query(&format!(
                        "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"
                    ))
                    .execute(&mut *tx)
                    .await?;
                }
            }
        });
        Ok(())
    }
}

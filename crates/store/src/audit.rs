//! The audit log: append-only, every entry chained to the previous one by an HMAC; verifiable from a signed checkpoint.

use hmac_chain::{checkpoint_signature, entry_mac, GENESIS};

use crate::db::{read, write_tx, Db};
use crate::{Result, Store};

/// What happened, by whom, to what. Never holds message text or platform ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub municipality_id: Option<i64>,
    /// "staff:<id> <email>", "system", "cli", or "citizen:<pseudonym>".
    pub actor: String,
    /// Stable dotted name, e.g. `concern.read`, `citizen.reveal`, `login.failed`.
    pub action: String,
    pub target: Option<String>,
    /// Already truncated (see [`truncate_ip`]).
    pub ip: Option<String>,
    pub details: Option<String>,
}

impl AuditEvent {
    pub fn new(
        municipality_id: Option<i64>,
        actor: impl Into<String>,
        action: impl Into<String>,
    ) -> AuditEvent {
        AuditEvent {
            municipality_id,
            actor: actor.into(),
            action: action.into(),
            target: None,
            ip: None,
            details: None,
        }
    }

    pub fn target(mut self, t: impl Into<String>) -> Self {
        self.target = Some(t.into());
        self
    }

    pub fn ip(mut self, ip: Option<String>) -> Self {
        self.ip = ip;
        self
    }

    pub fn details(mut self, d: impl Into<String>) -> Self {
        self.details = Some(d.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: i64,
    pub municipality_id: Option<i64>,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub details: Option<String>,
}

/// Filters for browsing the log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action_prefix: Option<String>,
    pub actor_contains: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: Option<i64>,
}

/// Result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerdict {
    Intact {
        entries: i64,
        from_checkpoint: Option<i64>,
    },
    Broken {
        entry_id: i64,
        reason: String,
    },
}

/// IP addresses are kept only coarsely: IPv4 to /24, IPv6 to /48.
pub fn truncate_ip(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0", o[0], o[1], o[2])
        }
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => truncate_ip(std::net::IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::", s[0], s[1], s[2])
            }
        },
    }
}

#[derive(sqlx::FromRow)]
struct ChainRow {
    id: i64,
    municipality_id: Option<i64>,
    at: i64,
    actor: String,
    action: String,
    target: Option<String>,
    ip: Option<String>,
    details: Option<String>,
    mac: Vec<u8>,
}

impl ChainRow {
    fn record(&self) -> AuditRecord {
        AuditRecord {
            id: self.id,
            municipality_id: self.municipality_id,
            at: self.at,
            actor: self.actor.clone(),
            action: self.action.clone(),
            target: self.target.clone(),
            ip: self.ip.clone(),
            details: self.details.clone(),
        }
    }
}

mod hmac_chain {
    //! The chain arithmetic, kept apart so verification and appending cannot drift.
    use rathaus_crypto::Key;

    use super::AuditRecord;

    pub const GENESIS: [u8; 32] = [0; 32];

    fn field(out: &mut Vec<u8>, s: Option<&str>) {
        match s {
            Some(s) => {
                out.push(1);
                out.extend_from_slice(&(s.len() as u64).to_be_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            None => out.push(0),
        }
    }

    pub fn entry_mac(key: &Key, prev: &[u8], r: &AuditRecord) -> Vec<u8> {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(b"rathaus-audit-v1");
        buf.extend_from_slice(prev);
        buf.extend_from_slice(&r.id.to_be_bytes());
        buf.extend_from_slice(&r.municipality_id.unwrap_or(-1).to_be_bytes());
        buf.extend_from_slice(&r.at.to_be_bytes());
        field(&mut buf, Some(&r.actor));
        field(&mut buf, Some(&r.action));
        field(&mut buf, r.target.as_deref());
        field(&mut buf, r.ip.as_deref());
        field(&mut buf, r.details.as_deref());
        key.keyed_hash(&buf).to_vec()
    }

    pub fn checkpoint_signature(key: &Key, entry_id: i64, mac: &[u8]) -> Vec<u8> {
        let mut buf = b"rathaus-audit-checkpoint-v1".to_vec();
        buf.extend_from_slice(&entry_id.to_be_bytes());
        buf.extend_from_slice(mac);
        key.keyed_hash(&buf).to_vec()
    }
}

/// Serialises appends on PostgreSQL (SQLite's single writer already does).
const AUDIT_LOCK: &str = "SELECT pg_advisory_xact_lock(727171)";

impl Store {
    fn audit_key(&self) -> rathaus_crypto::Key {
        self.keys().master().derive("audit-chain")
    }

    /// Appends one entry to the chain.
    pub async fn audit(&self, event: AuditEvent, now: i64) -> Result<i64> {
        let key = self.audit_key();
        let is_pg = matches!(self.db(), Db::Postgres(_));
        let id = write_tx!(self, |tx| {
            if is_pg {
                sqlx::query(AUDIT_LOCK).execute(&mut *tx).await?;
            }
            let last: Option<(i64, Vec<u8>)> =
                sqlx::query_as("SELECT id, mac FROM audit_log ORDER BY id DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            let (prev_id, prev_mac) = match last {
                Some(l) => l,
                None => {
                    let cp: Option<(i64, Vec<u8>)> = sqlx::query_as(
                        "SELECT entry_id, mac FROM audit_checkpoints ORDER BY id DESC LIMIT 1",
                    )
                    .fetch_optional(&mut *tx)
                    .await?;
                    cp.unwrap_or((0, GENESIS.to_vec()))
                }
            };
            let record = AuditRecord {
                id: prev_id + 1,
                municipality_id: event.municipality_id,
                at: now,
                actor: event.actor.clone(),
                action: event.action.clone(),
                target: event.target.clone(),
                ip: event.ip.clone(),
                details: event.details.clone(),
            };
            let mac = entry_mac(&key, &prev_mac, &record);
            sqlx::query(
                "INSERT INTO audit_log (id, municipality_id, at, actor, action, target, ip, details, mac) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(record.id)
            .bind(record.municipality_id)
            .bind(record.at)
            .bind(&record.actor)
            .bind(&record.action)
            .bind(&record.target)
            .bind(&record.ip)
            .bind(&record.details)
            .bind(&mac)
            .execute(&mut *tx)
            .await?;
            record.id
        });
        Ok(id)
    }

    /// Entries of one municipality, newest first.
    pub async fn audit_entries(
        &self,
        municipality_id: i64,
        f: &AuditFilter,
    ) -> Result<Vec<AuditRecord>> {
        let prefix = f.action_prefix.as_ref().map(|p| format!("{p}%"));
        let actor = f.actor_contains.as_ref().map(|a| format!("%{a}%"));
        Ok(read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT id, municipality_id, at, actor, action, target, ip, details FROM audit_log \
                 WHERE municipality_id = $1 AND ($2 IS NULL OR action LIKE $2) AND ($3 IS NULL OR actor LIKE $3) \
                 AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5) ORDER BY id DESC LIMIT $6",
            )
            .bind(municipality_id)
            .bind(prefix.as_deref())
            .bind(actor.as_deref())
            .bind(f.from)
            .bind(f.to)
            .bind(f.limit.unwrap_or(500))
            .fetch_all(ex)
            .await?
        }))
    }

    /// Checks the whole chain from the latest checkpoint (or the beginning) and names the first broken entry.
    pub async fn verify_audit(&self) -> Result<AuditVerdict> {
        let key = self.audit_key();
        let cp: Option<(i64, Vec<u8>, Vec<u8>)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT entry_id, mac, signature FROM audit_checkpoints ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(ex)
            .await?
        });
        let (mut expected_id, mut prev, from_checkpoint) = match cp {
            Some((entry_id, mac, sig)) => {
                if checkpoint_signature(&key, entry_id, &mac) != sig {
                    return Ok(AuditVerdict::Broken {
                        entry_id,
                        reason: "checkpoint signature does not match".into(),
                    });
                }
                (entry_id + 1, mac, Some(entry_id))
            }
            None => (1, GENESIS.to_vec(), None),
        };
        let rows: Vec<ChainRow> = read!(self.db(), |ex| {
            sqlx::query_as("SELECT id, municipality_id, at, actor, action, target, ip, details, mac FROM audit_log ORDER BY id")
                .fetch_all(ex)
                .await?
        });
        let mut n = 0;
        for row in rows {
            if row.id < expected_id {
                continue; // covered by the checkpoint but not yet purged
            }
            if row.id != expected_id {
                return Ok(AuditVerdict::Broken {
                    entry_id: expected_id,
                    reason: format!("entry {expected_id} is missing (next present: {})", row.id),
                });
            }
            if entry_mac(&key, &prev, &row.record()) != row.mac {
                return Ok(AuditVerdict::Broken {
                    entry_id: row.id,
                    reason: "content or order was changed".into(),
                });
            }
            prev = row.mac;
            expected_id += 1;
            n += 1;
        }
        Ok(AuditVerdict::Intact {
            entries: n,
            from_checkpoint,
        })
    }

    /// Deletes entries older than `cutoff`, leaving a signed checkpoint of the last deleted one.
    pub async fn purge_audit_before(&self, cutoff: i64, now: i64) -> Result<u64> {
        let key = self.audit_key();
        let is_pg = matches!(self.db(), Db::Postgres(_));
        let n = write_tx!(self, |tx| {
            if is_pg {
                sqlx::query(AUDIT_LOCK).execute(&mut *tx).await?;
            }
            let last: Option<(i64, Vec<u8>)> = sqlx::query_as(
                "SELECT id, mac FROM audit_log WHERE at < $1 ORDER BY id DESC LIMIT 1",
            )
            .bind(cutoff)
            .fetch_optional(&mut *tx)
            .await?;
            match last {
                None => 0,
                Some((id, mac)) => {
                    sqlx::query("INSERT INTO audit_checkpoints (entry_id, mac, signature, at) VALUES ($1, $2, $3, $4)")
                        .bind(id)
                        .bind(&mac)
                        .bind(checkpoint_signature(&key, id, &mac))
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM audit_log WHERE id <= $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                }
            }
        });
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_truncated() {
        assert_eq!(truncate_ip("203.0.113.77".parse().unwrap()), "203.0.113.0");
        assert_eq!(
            truncate_ip("2001:db8:85a3:8d3:1319:8a2e:370:7348".parse().unwrap()),
            "2001:db8:85a3::"
        );
        assert_eq!(
            truncate_ip("::ffff:192.0.2.9".parse().unwrap()),
            "192.0.2.0"
        );
    }
}

//! Audit entries for staff reads and changes of citizens' data: who, what, which concern — never content.

use rathaus_store::{now_ms, AuditEvent, SessionInfo, Store, StoreError};

/// Audit action names (stable, dotted, as the audit log documents them).
pub const LOGIN_OK: &str = "login.ok";
pub const LOGIN_FAILED: &str = "login.failed";
/// Too many failed logins: the account or the address is locked for a while (details say which).
pub const LOGIN_LOCKED: &str = "login.locked";
/// A sign-in completed with a recovery code instead of the app's code.
pub const LOGIN_RECOVERY_CODE: &str = "login.recovery_code";
pub const MFA_ENABLED: &str = "mfa.enabled";
pub const MFA_DISABLED: &str = "mfa.disabled";
pub const MFA_RECOVERY_CODES: &str = "mfa.recovery_codes";
/// A session opened without a second factor proved one afterwards (the app's code on the account page).
pub const MFA_SESSION_CONFIRMED: &str = "mfa.session_confirmed";
pub const SESSION_ENDED: &str = "session.ended";
pub const SESSIONS_ENDED_ALL: &str = "session.ended_all";
/// A member of several municipalities moved their session to another one (recorded in both).
pub const SESSION_MUNICIPALITY_SWITCHED: &str = "session.municipality_switched";
pub const CONCERN_READ: &str = "concern.read";
pub const CONCERN_REPLY: &str = "concern.reply";
pub const CONCERN_NOTE: &str = "concern.note";
pub const CONCERN_ASSIGN: &str = "concern.assign";
pub const CONCERN_STATUS: &str = "concern.status";
pub const MEDIA_DOWNLOAD: &str = "media.download";

/// Who acted, as the audit log names them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub municipality_id: i64,
    pub name: String,
    /// Already truncated to /24 or /48.
    pub ip: Option<String>,
}

impl Actor {
    pub fn staff(info: &SessionInfo, ip: Option<String>) -> Actor {
        Actor {
            municipality_id: info.municipality_id,
            name: format!("staff:{} {}", info.staff_id, info.email),
            ip,
        }
    }
}

/// Writes one entry. Reads call this before showing anything, so an unrecorded read never happens.
pub async fn record(
    store: &Store,
    actor: &Actor,
    action: &str,
    target: String,
    details: Option<String>,
) -> Result<(), StoreError> {
    let mut event = AuditEvent::new(Some(actor.municipality_id), actor.name.clone(), action)
        .target(target)
        .ip(actor.ip.clone());
    if let Some(d) = details {
        event = event.details(d);
    }
    store.audit(event, now_ms()).await.map(|_| ())
}

/// For changes that already happened: a failed entry is logged loudly but does not undo the change.
pub async fn record_change(
    store: &Store,
    actor: &Actor,
    action: &str,
    target: String,
    details: Option<String>,
) {
    if let Err(e) = record(store, actor, action, target, details).await {
        tracing::error!(error = %e, action, "audit entry could not be written");
    }
}

/// The caller's address, coarsened, if the server was started with connect info.
pub fn client_ip(parts: &axum::http::request::Parts) -> Option<String> {
    crate::security::client::client_addr(parts).map(rathaus_store::truncate_ip)
}

/// Entry without a signed-in actor, e.g. a failed login (the e-mail tried is not recorded).
pub async fn record_anonymous(store: &Store, action: &str, ip: Option<String>) {
    let event = AuditEvent::new(None, "anonymous", action).ip(ip);
    if let Err(e) = store.audit(event, now_ms()).await {
        tracing::error!(error = %e, action, "audit entry could not be written");
    }
}

//! Administration of a municipality's staff: overview, invitations, role changes and removal with guard rails.

use crate::db::{read, write_tx};
use crate::staff::token_hash;
use crate::{Result, Role, Store, StoreError};

/// How long an invitation link works.
pub const INVITATION_VALID_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// A member of a municipality as the administration lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffOverview {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Whether a confirmed second factor is set up.
    pub second_factor: bool,
    /// Whether the account still waits for its invitation to be accepted (no password yet).
    pub invited: bool,
}

/// Why an administrator's change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRefusal {
    /// The municipality would be left without an administrator.
    LastAdmin,
    /// Administrators do not change their own role or remove themselves.
    OwnAccount,
    /// The account is not a member of this municipality.
    NotMember,
    /// The e-mail address already belongs to a member of this municipality.
    AlreadyMember,
}

impl StaffRefusal {
    /// Stable code for the API and the audit log.
    pub fn code(self) -> &'static str {
        match self {
            StaffRefusal::LastAdmin => "last_admin",
            StaffRefusal::OwnAccount => "own_account",
            StaffRefusal::NotMember => "staff_not_found",
            StaffRefusal::AlreadyMember => "already_member",
        }
    }
}

/// The result of inviting someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub staff_id: i64,
    /// The secret part of the one-time setup link, for accounts without a password yet; shown once.
    /// `None` when the account already exists with a password (it can sign in and gets the new membership).
    pub token: Option<String>,
}

/// An invitation link that is still usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingInvitation {
    pub staff_id: i64,
    pub municipality_id: i64,
    pub email: String,
    pub display_name: String,
}

fn normalized_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(email)
    } else {
        Err(StoreError::Invalid(format!(
            "'{email}' ist keine E-Mail-Adresse / is not an e-mail address"
        )))
    }
}

impl Store {
    /// Everyone with a membership in the municipality, by name, with role and second-factor status (a
    /// confirmed TOTP app or a passkey).
    pub async fn staff_overview(&self, municipality_id: i64) -> Result<Vec<StaffOverview>> {
        let rows: Vec<(i64, String, String, String, i64, i64)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT s.id, s.email, s.display_name, m.role, \
                 (SELECT COUNT(*) FROM staff_totp t WHERE t.staff_id = s.id AND t.confirmed_at IS NOT NULL) \
                 + (SELECT COUNT(*) FROM staff_passkeys p WHERE p.staff_id = s.id), \
                 CAST(CASE WHEN s.password_hash IS NULL THEN 1 ELSE 0 END AS BIGINT) \
                 FROM staff s JOIN memberships m ON m.staff_id = s.id \
                 WHERE m.municipality_id = $1 ORDER BY s.display_name, s.id",
            )
            .bind(municipality_id)
            .fetch_all(ex)
            .await?
        });
        rows.into_iter()
            .map(|(id, email, display_name, role, totp, invited)| {
                Ok(StaffOverview {
                    id,
                    email,
                    display_name,
                    role: Role::parse(&role)
                        .ok_or_else(|| StoreError::Invalid(format!("unknown role {role}")))?,
                    second_factor: totp > 0,
                    invited: invited != 0,
                })
            })
            .collect()
    }

    /// The role of one member in the municipality, if they are one.
    pub async fn membership_role(
        &self,
        municipality_id: i64,
        staff_id: i64,
    ) -> Result<Option<Role>> {
        let role: Option<String> = read!(self.db(), |ex| {
            sqlx::query_scalar(
                "SELECT role FROM memberships WHERE staff_id = $1 AND municipality_id = $2",
            )
            .bind(staff_id)
            .bind(municipality_id)
            .fetch_optional(ex)
            .await?
        });
        Ok(role.as_deref().and_then(Role::parse))
    }

    /// Adds a member by e-mail with a role. A new account (or one that never set a password) gets a
    /// one-time link valid for `valid_ms`; an existing account simply gains the membership.
    pub async fn invite_staff(
        &self,
        municipality_id: i64,
        email: &str,
        display_name: &str,
        role: Role,
        now: i64,
        valid_ms: i64,
    ) -> Result<std::result::Result<Invitation, StaffRefusal>> {
        let email = normalized_email(email)?;
        let display_name = display_name.trim();
        let token = rathaus_crypto::random_token(24);
        let out = write_tx!(self, |tx| {
            let existing: Option<(i64, Option<String>)> =
                sqlx::query_as("SELECT id, password_hash FROM staff WHERE email = $1")
                    .bind(&email)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (staff_id, has_password) = match existing {
                Some((id, hash)) => {
                    let member: Option<String> = sqlx::query_scalar(
                        "SELECT role FROM memberships WHERE staff_id = $1 AND municipality_id = $2",
                    )
                    .bind(id)
                    .bind(municipality_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if member.is_some() {
                        return Ok(Err(StaffRefusal::AlreadyMember));
                    }
                    (id, hash.is_some())
                }
                None => {
                    let name = if display_name.is_empty() {
                        email.split('@').next().unwrap_or_default().to_string()
                    } else {
                        display_name.to_string()
                    };
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO staff (email, display_name, password_hash, language, created_at) \
                         VALUES ($1, $2, NULL, 'de', $3) RETURNING id",
                    )
                    .bind(&email)
                    .bind(name)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    (id, false)
                }
            };
            sqlx::query(
                "INSERT INTO memberships (staff_id, municipality_id, role) VALUES ($1, $2, $3)",
            )
            .bind(staff_id)
            .bind(municipality_id)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
            let token = if has_password {
                None
            } else {
                sqlx::query(
                    "INSERT INTO staff_invitations (token_hash, staff_id, municipality_id, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash(&token))
                .bind(staff_id)
                .bind(municipality_id)
                .bind(now + valid_ms)
                .execute(&mut *tx)
                .await?;
                Some(token)
            };
            Invitation { staff_id, token }
        });
        Ok(Ok(out))
    }

    /// The invitation behind a link, if it is unused, unexpired and its membership still exists.
    pub async fn pending_invitation(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Option<PendingInvitation>> {
        let row: Option<(i64, i64, String, String)> = read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT i.staff_id, i.municipality_id, s.email, s.display_name FROM staff_invitations i \
                 JOIN staff s ON s.id = i.staff_id \
                 JOIN memberships m ON m.staff_id = i.staff_id AND m.municipality_id = i.municipality_id \
                 WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2",
            )
            .bind(token_hash(token))
            .bind(now)
            .fetch_optional(ex)
            .await?
        });
        Ok(row.map(
            |(staff_id, municipality_id, email, display_name)| PendingInvitation {
                staff_id,
                municipality_id,
                email,
                display_name,
            },
        ))
    }

    /// Uses up an invitation and sets the account's name and password; `None` if the link is not usable.
    pub async fn accept_invitation(
        &self,
        token: &str,
        display_name: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<Option<PendingInvitation>> {
        let Some(pending) = self.pending_invitation(token, now).await? else {
            return Ok(None);
        };
        let used = write_tx!(self, |tx| {
            let used = sqlx::query(
                "UPDATE staff_invitations SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(token_hash(token))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if used == 1 {
                sqlx::query("UPDATE staff SET display_name = $1, password_hash = $2 WHERE id = $3")
                    .bind(display_name.trim())
                    .bind(password_hash)
                    .bind(pending.staff_id)
                    .execute(&mut *tx)
                    .await?;
            }
            used == 1
        });
        Ok(used.then_some(pending))
    }

    /// Changes a member's role; their sessions in this municipality end. Returns the previous role.
    /// Refused for the acting administrator's own account and for demoting the last administrator.
    pub async fn change_staff_role(
        &self,
        municipality_id: i64,
        actor_id: i64,
        staff_id: i64,
        role: Role,
    ) -> Result<std::result::Result<Role, StaffRefusal>> {
        if actor_id == staff_id {
            return Ok(Err(StaffRefusal::OwnAccount));
        }
        let out = write_tx!(self, |tx| {
            let old: Option<String> = sqlx::query_scalar(
                "SELECT role FROM memberships WHERE staff_id = $1 AND municipality_id = $2",
            )
            .bind(staff_id)
            .bind(municipality_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(old) = old.as_deref().and_then(Role::parse) else {
                return Ok(Err(StaffRefusal::NotMember));
            };
            if old == Role::Admin && role != Role::Admin {
                let others: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM memberships WHERE municipality_id = $1 AND role = 'admin' AND staff_id <> $2",
                )
                .bind(municipality_id)
                .bind(staff_id)
                .fetch_one(&mut *tx)
                .await?;
                if others == 0 {
                    return Ok(Err(StaffRefusal::LastAdmin));
                }
            }
            if old != role {
                sqlx::query(
                    "UPDATE memberships SET role = $1 WHERE staff_id = $2 AND municipality_id = $3",
                )
                .bind(role.as_str())
                .bind(staff_id)
                .bind(municipality_id)
                .execute(&mut *tx)
                .await?;
                // No session outlives a privilege change.
                sqlx::query("DELETE FROM sessions WHERE staff_id = $1 AND municipality_id = $2")
                    .bind(staff_id)
                    .bind(municipality_id)
                    .execute(&mut *tx)
                    .await?;
            }
            old
        });
        Ok(Ok(out))
    }

    /// Removes a member from the municipality: membership, sessions, API tokens, team memberships and
    /// open assignments there end. The account stays (it may belong to other municipalities).
    pub async fn remove_staff(
        &self,
        municipality_id: i64,
        actor_id: i64,
        staff_id: i64,
    ) -> Result<std::result::Result<Role, StaffRefusal>> {
        if actor_id == staff_id {
            return Ok(Err(StaffRefusal::OwnAccount));
        }
        let out = write_tx!(self, |tx| {
            let old: Option<String> = sqlx::query_scalar(
                "SELECT role FROM memberships WHERE staff_id = $1 AND municipality_id = $2",
            )
            .bind(staff_id)
            .bind(municipality_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(old) = old.as_deref().and_then(Role::parse) else {
                return Ok(Err(StaffRefusal::NotMember));
            };
            if old == Role::Admin {
                let others: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM memberships WHERE municipality_id = $1 AND role = 'admin' AND staff_id <> $2",
                )
                .bind(municipality_id)
                .bind(staff_id)
                .fetch_one(&mut *tx)
                .await?;
                if others == 0 {
                    return Ok(Err(StaffRefusal::LastAdmin));
                }
            }
            for sql in [
                "DELETE FROM memberships WHERE staff_id = $1 AND municipality_id = $2",
                "DELETE FROM sessions WHERE staff_id = $1 AND municipality_id = $2",
                "DELETE FROM api_tokens WHERE staff_id = $1 AND municipality_id = $2",
                "DELETE FROM staff_invitations WHERE staff_id = $1 AND municipality_id = $2",
                "DELETE FROM team_members WHERE staff_id = $1 AND team_id IN (SELECT id FROM teams WHERE municipality_id = $2)",
                "UPDATE concerns SET assignee_id = NULL WHERE assignee_id = $1 AND municipality_id = $2 AND status <> 'resolved'",
            ] {
                sqlx::query(sql)
                    .bind(staff_id)
                    .bind(municipality_id)
                    .execute(&mut *tx)
                    .await?;
            }
            old
        });
        Ok(Ok(out))
    }
}

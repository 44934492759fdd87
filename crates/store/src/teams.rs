//! Teams of a municipality: members, channel routing of new concerns, and the team of each concern.

use crate::db::{read, write_tx};
use crate::{Result, Store, StoreError};

/// Longest team name accepted.
pub const MAX_TEAM_NAME_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: i64,
    pub name: String,
    /// Staff ids, ascending.
    pub members: Vec<i64>,
    /// Channels whose new concerns go to this team, ascending.
    pub channels: Vec<i64>,
}

/// Why a team change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRefusal {
    NameMissing,
    NameTooLong,
    NameTaken,
    /// No such team in this municipality.
    NotFound,
    /// A member or channel named is not part of this municipality.
    Foreign,
}

impl TeamRefusal {
    /// Stable code for the API.
    pub fn code(self) -> &'static str {
        match self {
            TeamRefusal::NameMissing => "team_name_missing",
            TeamRefusal::NameTooLong => "team_name_too_long",
            TeamRefusal::NameTaken => "team_name_taken",
            TeamRefusal::NotFound => "team_not_found",
            TeamRefusal::Foreign => "not_in_municipality",
        }
    }
}

/// A team named in the configuration: members by e-mail, channels already resolved to ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredTeam {
    pub name: String,
    pub member_emails: Vec<String>,
    pub channel_ids: Vec<i64>,
}

fn checked_name(name: &str) -> std::result::Result<String, TeamRefusal> {
    let name = name.trim();
    if name.is_empty() {
        Err(TeamRefusal::NameMissing)
    } else if name.chars().count() > MAX_TEAM_NAME_CHARS {
        Err(TeamRefusal::NameTooLong)
    } else {
        Ok(name.to_string())
    }
}

type Refusable<T> = std::result::Result<T, TeamRefusal>;

/// The SQL that replaces one kind of a team's links: `clear` ($1 team), `belongs` ($1 id, $2
/// municipality; counts), `insert` ($1 id, $2 team).
struct TeamLink {
    clear: &'static str,
    belongs: &'static str,
    insert: &'static str,
}

const MEMBERS: TeamLink = TeamLink {
    clear: "DELETE FROM team_members WHERE team_id = $1",
    belongs: "SELECT COUNT(*) FROM memberships WHERE staff_id = $1 AND municipality_id = $2",
    insert: "INSERT INTO team_members (staff_id, team_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
};

const CHANNELS: TeamLink = TeamLink {
    clear: "DELETE FROM team_channels WHERE team_id = $1",
    belongs: "SELECT COUNT(*) FROM channels WHERE id = $1 AND municipality_id = $2",
    insert: "INSERT INTO team_channels (channel_id, team_id) VALUES ($1, $2) \
             ON CONFLICT (channel_id) DO UPDATE SET team_id = excluded.team_id",
};

impl Store {
    /// The municipality's teams by name, with members and routed channels.
    pub async fn teams(&self, municipality_id: i64) -> Result<Vec<Team>> {
        let (teams, members, channels): (Vec<(i64, String)>, Vec<(i64, i64)>, Vec<(i64, i64)>) = read!(
            self.db(),
            |ex| {
                let teams = sqlx::query_as(
                    "SELECT id, name FROM teams WHERE municipality_id = $1 ORDER BY name, id",
                )
                .bind(municipality_id)
                .fetch_all(ex)
                .await?;
                let members = sqlx::query_as(
                    "SELECT tm.team_id, tm.staff_id FROM team_members tm JOIN teams t ON t.id = tm.team_id \
                     WHERE t.municipality_id = $1 ORDER BY tm.staff_id",
                )
                .bind(municipality_id)
                .fetch_all(ex)
                .await?;
                let channels = sqlx::query_as(
                    "SELECT tc.team_id, tc.channel_id FROM team_channels tc JOIN teams t ON t.id = tc.team_id \
                     WHERE t.municipality_id = $1 ORDER BY tc.channel_id",
                )
                .bind(municipality_id)
                .fetch_all(ex)
                .await?;
                (teams, members, channels)
            }
        );
        Ok(teams
            .into_iter()
            .map(|(id, name)| Team {
                id,
                name,
                members: members
                    .iter()
                    .filter(|(t, _)| *t == id)
                    .map(|(_, s)| *s)
                    .collect(),
                channels: channels
                    .iter()
                    .filter(|(t, _)| *t == id)
                    .map(|(_, c)| *c)
                    .collect(),
            })
            .collect())
    }

    pub async fn create_team(
        &self,
        municipality_id: i64,
        name: &str,
        now: i64,
    ) -> Result<Refusable<i64>> {
        let name = match checked_name(name) {
            Ok(n) => n,
            Err(r) => return Ok(Err(r)),
        };
        let inserted: Result<i64> = async {
            Ok(write_tx!(self, |tx| {
                sqlx::query_scalar(
                    "INSERT INTO teams (municipality_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(municipality_id)
                .bind(&name)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
            }))
        }
        .await;
        match inserted {
            Ok(id) => Ok(Ok(id)),
            Err(e) if e.is_unique_violation() => Ok(Err(TeamRefusal::NameTaken)),
            Err(e) => Err(e),
        }
    }

    /// Renames a team; returns the old name.
    pub async fn rename_team(
        &self,
        municipality_id: i64,
        team_id: i64,
        name: &str,
    ) -> Result<Refusable<String>> {
        let name = match checked_name(name) {
            Ok(n) => n,
            Err(r) => return Ok(Err(r)),
        };
        let renamed: Result<Option<String>> = async {
            Ok(write_tx!(self, |tx| {
                let old: Option<String> = sqlx::query_scalar(
                    "SELECT name FROM teams WHERE id = $1 AND municipality_id = $2",
                )
                .bind(team_id)
                .bind(municipality_id)
                .fetch_optional(&mut *tx)
                .await?;
                if old.is_some() {
                    sqlx::query("UPDATE teams SET name = $1 WHERE id = $2")
                        .bind(&name)
                        .bind(team_id)
                        .execute(&mut *tx)
                        .await?;
                }
                old
            }))
        }
        .await;
        match renamed {
            Ok(Some(old)) => Ok(Ok(old)),
            Ok(None) => Ok(Err(TeamRefusal::NotFound)),
            Err(e) if e.is_unique_violation() => Ok(Err(TeamRefusal::NameTaken)),
            Err(e) => Err(e),
        }
    }

    /// Deletes a team: its concerns become team-less, its routing and memberships end. Returns its name.
    pub async fn delete_team(
        &self,
        municipality_id: i64,
        team_id: i64,
    ) -> Result<Refusable<String>> {
        let out = write_tx!(self, |tx| {
            let name: Option<String> =
                sqlx::query_scalar("SELECT name FROM teams WHERE id = $1 AND municipality_id = $2")
                    .bind(team_id)
                    .bind(municipality_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(name) = name else {
                return Ok(Err(TeamRefusal::NotFound));
            };
            for sql in [
                "UPDATE concerns SET team_id = NULL WHERE team_id = $1",
                "DELETE FROM team_members WHERE team_id = $1",
                "DELETE FROM team_channels WHERE team_id = $1",
                "DELETE FROM teams WHERE id = $1",
            ] {
                sqlx::query(sql).bind(team_id).execute(&mut *tx).await?;
            }
            name
        });
        Ok(Ok(out))
    }

    /// Replaces a team's members; each must be a member of the municipality.
    pub async fn set_team_members(
        &self,
        municipality_id: i64,
        team_id: i64,
        staff_ids: &[i64],
    ) -> Result<Refusable<()>> {
        self.replace_team_links(municipality_id, team_id, staff_ids, &MEMBERS)
            .await
    }

    /// Routes exactly these channels' new concerns to the team (a channel leaves any other team).
    pub async fn set_team_channels(
        &self,
        municipality_id: i64,
        team_id: i64,
        channel_ids: &[i64],
    ) -> Result<Refusable<()>> {
        self.replace_team_links(municipality_id, team_id, channel_ids, &CHANNELS)
            .await
    }

    /// Replaces what a team of the municipality is linked to (its members or its channels) in one
    /// transaction; an id outside the municipality refuses the whole change.
    async fn replace_team_links(
        &self,
        municipality_id: i64,
        team_id: i64,
        ids: &[i64],
        link: &TeamLink,
    ) -> Result<Refusable<()>> {
        let out = write_tx!(self, |tx| {
            let found: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM teams WHERE id = $1 AND municipality_id = $2",
            )
            .bind(team_id)
            .bind(municipality_id)
            .fetch_one(&mut *tx)
            .await?;
            if found == 0 {
                return Ok(Err(TeamRefusal::NotFound));
            }
            sqlx::query(link.clear)
                .bind(team_id)
                .execute(&mut *tx)
                .await?;
            for id in ids {
                let ours: i64 = sqlx::query_scalar(link.belongs)
                    .bind(id)
                    .bind(municipality_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if ours == 0 {
                    return Ok(Err(TeamRefusal::Foreign));
                }
                sqlx::query(link.insert)
                    .bind(id)
                    .bind(team_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(())
        });
        Ok(out)
    }

    /// Concerns per status that a team-scoped member sees (their teams' and team-less ones), for the
    /// inbox tabs; statuses without concerns are absent.
    pub async fn concern_counts_visible_to(
        &self,
        municipality_id: i64,
        staff_id: i64,
    ) -> Result<Vec<(String, i64)>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_as(
                "SELECT status, COUNT(*) FROM concerns WHERE municipality_id = $1 \
                 AND (team_id IS NULL OR team_id IN (SELECT team_id FROM team_members WHERE staff_id = $2)) \
                 GROUP BY status",
            )
            .bind(municipality_id)
            .bind(staff_id)
            .fetch_all(ex)
            .await?
        }))
    }

    /// Ids of the teams a staff member belongs to in the municipality.
    pub async fn staff_team_ids(&self, municipality_id: i64, staff_id: i64) -> Result<Vec<i64>> {
        Ok(read!(self.db(), |ex| {
            sqlx::query_scalar(
                "SELECT tm.team_id FROM team_members tm JOIN teams t ON t.id = tm.team_id \
                 WHERE tm.staff_id = $1 AND t.municipality_id = $2 ORDER BY tm.team_id",
            )
            .bind(staff_id)
            .bind(municipality_id)
            .fetch_all(ex)
            .await?
        }))
    }

    /// The team of a concern: `None` if there is no such concern here, `Some(None)` if it has no team.
    pub async fn concern_team(
        &self,
        municipality_id: i64,
        concern_id: i64,
    ) -> Result<Option<Option<i64>>> {
        let row: Option<(Option<i64>,)> = read!(self.db(), |ex| {
            sqlx::query_as("SELECT team_id FROM concerns WHERE id = $1 AND municipality_id = $2")
                .bind(concern_id)
                .bind(municipality_id)
                .fetch_optional(ex)
                .await?
        });
        Ok(row.map(|(t,)| t))
    }

    /// Moves a concern to a team of the municipality (or to none). Returns the previous team.
    pub async fn set_concern_team(
        &self,
        municipality_id: i64,
        concern_id: i64,
        team_id: Option<i64>,
    ) -> Result<Refusable<Option<i64>>> {
        let out = write_tx!(self, |tx| {
            let row: Option<(Option<i64>,)> = sqlx::query_as(
                "SELECT team_id FROM concerns WHERE id = $1 AND municipality_id = $2",
            )
            .bind(concern_id)
            .bind(municipality_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((old,)) = row else {
                return Err(StoreError::NotFound);
            };
            if let Some(team_id) = team_id {
                let ours: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM teams WHERE id = $1 AND municipality_id = $2",
                )
                .bind(team_id)
                .bind(municipality_id)
                .fetch_one(&mut *tx)
                .await?;
                if ours == 0 {
                    return Ok(Err(TeamRefusal::NotFound));
                }
            }
            sqlx::query("UPDATE concerns SET team_id = $1 WHERE id = $2")
                .bind(team_id)
                .bind(concern_id)
                .execute(&mut *tx)
                .await?;
            old
        });
        Ok(Ok(out))
    }

    /// Brings the configured teams into the store: missing teams are created, configured members are
    /// added (members added in the UI stay), configured channels are routed to their team. Teams made
    /// in the UI are left alone. Returns the configured e-mail addresses without a membership here.
    pub async fn apply_configured_teams(
        &self,
        municipality_id: i64,
        teams: &[ConfiguredTeam],
        now: i64,
    ) -> Result<Vec<String>> {
        let mut unknown = Vec::new();
        for t in teams {
            let name = checked_name(&t.name)
                .map_err(|r| StoreError::Invalid(format!("team '{}': {}", t.name, r.code())))?;
            let unknown_here = write_tx!(self, |tx| {
                let existing: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM teams WHERE municipality_id = $1 AND name = $2",
                )
                .bind(municipality_id)
                .bind(&name)
                .fetch_optional(&mut *tx)
                .await?;
                let team_id = match existing {
                    Some(id) => id,
                    None => {
                        sqlx::query_scalar(
                            "INSERT INTO teams (municipality_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
                        )
                        .bind(municipality_id)
                        .bind(&name)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?
                    }
                };
                let mut unknown_here = Vec::new();
                for email in &t.member_emails {
                    let email = email.trim().to_lowercase();
                    let staff: Option<i64> = sqlx::query_scalar(
                        "SELECT s.id FROM staff s JOIN memberships m ON m.staff_id = s.id \
                         WHERE s.email = $1 AND m.municipality_id = $2",
                    )
                    .bind(&email)
                    .bind(municipality_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match staff {
                        Some(staff_id) => {
                            sqlx::query(
                                "INSERT INTO team_members (team_id, staff_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                            )
                            .bind(team_id)
                            .bind(staff_id)
                            .execute(&mut *tx)
                            .await?;
                        }
                        None => unknown_here.push(email),
                    }
                }
                for channel_id in &t.channel_ids {
                    sqlx::query(
                        "INSERT INTO team_channels (channel_id, team_id) VALUES ($1, $2) \
                         ON CONFLICT (channel_id) DO UPDATE SET team_id = excluded.team_id",
                    )
                    .bind(channel_id)
                    .bind(team_id)
                    .execute(&mut *tx)
                    .await?;
                }
                unknown_here
            });
            unknown.extend(unknown_here);
        }
        Ok(unknown)
    }
}

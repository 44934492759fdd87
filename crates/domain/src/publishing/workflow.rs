//! The approval workflow of a post — draft, submitted, approved, scheduled, publishing, then published, partly failed or failed — with four-eyes review and one audit event per step.
//!
//! ```text
//!   Draft ──submit──▶ Submitted ──approve──▶ Approved ──schedule──▶ Scheduled ──start──▶ Publishing
//!     ▲                 │  │                   │  ▲                 │  │                  │ finish
//!     └──reject/edit────┘  └──────reject/edit──┘  └───unschedule────┘  │                  ▼
//!     └─────────────────────────────reject/edit────────────────────────┘   Published | PartlyFailed | Failed
//!                                                                                   (retry ─▶ Publishing)
//! ```
//!
//! With four-eyes on (the default), only someone other than the author may approve or reject, and
//! only an approved post may be scheduled. With it off, the author may approve a draft or schedule
//! it directly (the schedule then counts as the approval). Every step forward re-checks the
//! composition: a blocking finding stops it. Editing a post that was submitted, approved or
//! scheduled sends it back to draft, so what goes out is always what was approved. Changes after
//! publishing are not part of this workflow.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::{has_blocking, Finding};

mod error;
pub use error::WorkflowError;

/// Where a post stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    Draft,
    Submitted,
    Approved,
    Scheduled,
    Publishing,
    Published,
    PartlyFailed,
    Failed,
}

impl PostStatus {
    pub const ALL: [PostStatus; 8] = [
        PostStatus::Draft,
        PostStatus::Submitted,
        PostStatus::Approved,
        PostStatus::Scheduled,
        PostStatus::Publishing,
        PostStatus::Published,
        PostStatus::PartlyFailed,
        PostStatus::Failed,
    ];

    /// Stable name for the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Submitted => "submitted",
            PostStatus::Approved => "approved",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Publishing => "publishing",
            PostStatus::Published => "published",
            PostStatus::PartlyFailed => "partly_failed",
            PostStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_de(self) -> &'static str {
        match self {
            PostStatus::Draft => "Entwurf",
            PostStatus::Submitted => "Zur Freigabe eingereicht",
            PostStatus::Approved => "Freigegeben",
            PostStatus::Scheduled => "Geplant",
            PostStatus::Publishing => "Wird veröffentlicht",
            PostStatus::Published => "Veröffentlicht",
            PostStatus::PartlyFailed => "Teilweise fehlgeschlagen",
            PostStatus::Failed => "Fehlgeschlagen",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            PostStatus::Draft => "Draft",
            PostStatus::Submitted => "Submitted for approval",
            PostStatus::Approved => "Approved",
            PostStatus::Scheduled => "Scheduled",
            PostStatus::Publishing => "Publishing",
            PostStatus::Published => "Published",
            PostStatus::PartlyFailed => "Partly failed",
            PostStatus::Failed => "Failed",
        }
    }
}

/// What was done, for the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Edit,
    Submit,
    Approve,
    Reject,
    Schedule,
    Unschedule,
    StartPublishing,
    FinishPublishing,
    Retry,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Edit => "edit",
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Schedule => "schedule",
            Action::Unschedule => "unschedule",
            Action::StartPublishing => "start_publishing",
            Action::FinishPublishing => "finish_publishing",
            Action::Retry => "retry",
        }
    }
}

/// Who did it: a staff member (their stable id) or the publishing worker.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Staff(String),
    System,
}

/// One step of a post, to be written to the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: PostStatus,
    pub to: PostStatus,
    pub action: Action,
    pub actor: Actor,
    pub at: Timestamp,
    /// The reviewer's reason on a rejection.
    pub comment: Option<String>,
    /// The time set by a schedule.
    pub publish_at: Option<Timestamp>,
}

/// A municipality's publishing rules (`[municipality.publishing]`) and its time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub four_eyes: bool,
    pub time_zone: TimeZone,
}

/// When to publish.
#[derive(Debug, Clone, PartialEq)]
pub enum PublishAt {
    Now,
    /// A wall-clock time in the municipality's time zone, as the composer's form gives it.
    Local(DateTime),
    /// An exact instant, as the API's RFC 3339 `publish_at` gives it.
    Instant(Timestamp),
}

/// A time this little in the past still counts as "now": the minute picked in the form may have
/// begun before the click.
pub const PAST_GRACE: SignedDuration = SignedDuration::from_secs(60);

/// A post's place in the workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostWorkflow {
    pub status: PostStatus,
    /// Staff id of the author (who created the draft).
    pub author: String,
    /// Who approved the current content; cleared when the post goes back to draft.
    pub approved_by: Option<String>,
    pub publish_at: Option<Timestamp>,
}

impl PostWorkflow {
    /// A new draft.
    pub fn new(author: impl Into<String>) -> Self {
        PostWorkflow {
            status: PostStatus::Draft,
            author: author.into(),
            approved_by: None,
            publish_at: None,
        }
    }

    fn step(
        &mut self,
        to: PostStatus,
        action: Action,
        actor: Actor,
        at: Timestamp,
        comment: Option<String>,
    ) -> Transition {
        let from = self.status;
        self.status = to;
        Transition {
            from,
            to,
            action,
            actor,
            at,
            comment,
            publish_at: if action == Action::Schedule {
                self.publish_at
            } else {
                None
            },
        }
    }

    fn back_to_draft(
        &mut self,
        action: Action,
        actor: &str,
        at: Timestamp,
        comment: Option<String>,
    ) -> Transition {
        self.approved_by = None;
        self.publish_at = None;
        self.step(
            PostStatus::Draft,
            action,
            Actor::Staff(actor.into()),
            at,
            comment,
        )
    }

    fn refuse<T>(&self, action: Action) -> Result<T, WorkflowError> {
        Err(WorkflowError::NotAllowed {
            action,
            from: self.status,
        })
    }

    /// The content changed. A draft stays a draft (no event); a submitted, approved or scheduled
    /// post goes back to draft and loses its approval and time.
    pub fn edit(
        &mut self,
        actor: &str,
        at: Timestamp,
    ) -> Result<Option<Transition>, WorkflowError> {
        match self.status {
            PostStatus::Draft => Ok(None),
            PostStatus::Submitted | PostStatus::Approved | PostStatus::Scheduled => {
                Ok(Some(self.back_to_draft(Action::Edit, actor, at, None)))
            }
            status => Err(WorkflowError::NotEditable { status }),
        }
    }

    /// Ask for approval. `findings` are the composition's current ones.
    pub fn submit(
        &mut self,
        actor: &str,
        at: Timestamp,
        findings: &[Finding],
    ) -> Result<Transition, WorkflowError> {
        if self.status != PostStatus::Draft {
            return self.refuse(Action::Submit);
        }
        check_findings(findings)?;
        Ok(self.step(
            PostStatus::Submitted,
            Action::Submit,
            Actor::Staff(actor.into()),
            at,
            None,
        ))
    }

    /// Approve a submitted post (or, without four-eyes, a draft).
    pub fn approve(
        &mut self,
        actor: &str,
        at: Timestamp,
        policy: &Policy,
        findings: &[Finding],
    ) -> Result<Transition, WorkflowError> {
        match self.status {
            PostStatus::Submitted => {}
            PostStatus::Draft if !policy.four_eyes => {}
            _ => return self.refuse(Action::Approve),
        }
        self.check_reviewer(actor, policy)?;
        check_findings(findings)?;
        self.approved_by = Some(actor.into());
        Ok(self.step(
            PostStatus::Approved,
            Action::Approve,
            Actor::Staff(actor.into()),
            at,
            None,
        ))
    }

    /// Send a submitted, approved or scheduled post back to its author with a reason.
    pub fn reject(
        &mut self,
        actor: &str,
        at: Timestamp,
        policy: &Policy,
        comment: &str,
    ) -> Result<Transition, WorkflowError> {
        if !matches!(
            self.status,
            PostStatus::Submitted | PostStatus::Approved | PostStatus::Scheduled
        ) {
            return self.refuse(Action::Reject);
        }
        self.check_reviewer(actor, policy)?;
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(WorkflowError::CommentMissing);
        }
        Ok(self.back_to_draft(Action::Reject, actor, at, Some(comment.into())))
    }

    /// Set (or change) the publishing time. From an approved or scheduled post; without four-eyes
    /// also from a draft or a submitted post, which the scheduling person thereby approves.
    pub fn schedule(
        &mut self,
        actor: &str,
        now: Timestamp,
        when: &PublishAt,
        policy: &Policy,
        findings: &[Finding],
    ) -> Result<Transition, WorkflowError> {
        match self.status {
            PostStatus::Approved | PostStatus::Scheduled => {}
            PostStatus::Draft | PostStatus::Submitted if policy.four_eyes => {
                return Err(WorkflowError::ApprovalRequired)
            }
            PostStatus::Draft | PostStatus::Submitted => {}
            _ => return self.refuse(Action::Schedule),
        }
        check_findings(findings)?;
        let publish_at = resolve_publish_at(when, now, &policy.time_zone)?;
        if self.approved_by.is_none() {
            self.approved_by = Some(actor.into());
        }
        self.publish_at = Some(publish_at);
        Ok(self.step(
            PostStatus::Scheduled,
            Action::Schedule,
            Actor::Staff(actor.into()),
            now,
            None,
        ))
    }

    /// Take a scheduled post off the schedule; it stays approved.
    pub fn unschedule(&mut self, actor: &str, at: Timestamp) -> Result<Transition, WorkflowError> {
        if self.status != PostStatus::Scheduled {
            return self.refuse(Action::Unschedule);
        }
        self.publish_at = None;
        Ok(self.step(
            PostStatus::Approved,
            Action::Unschedule,
            Actor::Staff(actor.into()),
            at,
            None,
        ))
    }

    /// The worker picks up a due post.
    pub fn start_publishing(&mut self, at: Timestamp) -> Result<Transition, WorkflowError> {
        if self.status != PostStatus::Scheduled {
            return self.refuse(Action::StartPublishing);
        }
        if let Some(publish_at) = self.publish_at.filter(|p| *p > at) {
            return Err(WorkflowError::NotDue { publish_at });
        }
        Ok(self.step(
            PostStatus::Publishing,
            Action::StartPublishing,
            Actor::System,
            at,
            None,
        ))
    }

    /// Every channel has answered: all succeeded, none did, or some.
    pub fn finish_publishing(
        &mut self,
        at: Timestamp,
        succeeded: usize,
        failed: usize,
    ) -> Result<Transition, WorkflowError> {
        if self.status != PostStatus::Publishing {
            return self.refuse(Action::FinishPublishing);
        }
        let to = match (succeeded, failed) {
            (0, 0) => return Err(WorkflowError::NoResults),
            (_, 0) => PostStatus::Published,
            (0, _) => PostStatus::Failed,
            _ => PostStatus::PartlyFailed,
        };
        Ok(self.step(to, Action::FinishPublishing, Actor::System, at, None))
    }

    /// Try the failed channels again (the jobs know which).
    pub fn retry(&mut self, actor: &str, at: Timestamp) -> Result<Transition, WorkflowError> {
        if !matches!(self.status, PostStatus::PartlyFailed | PostStatus::Failed) {
            return self.refuse(Action::Retry);
        }
        Ok(self.step(
            PostStatus::Publishing,
            Action::Retry,
            Actor::Staff(actor.into()),
            at,
            None,
        ))
    }

    fn check_reviewer(&self, actor: &str, policy: &Policy) -> Result<(), WorkflowError> {
        if policy.four_eyes && actor == self.author {
            Err(WorkflowError::FourEyesSamePerson)
        } else {
            Ok(())
        }
    }
}

fn check_findings(findings: &[Finding]) -> Result<(), WorkflowError> {
    if has_blocking(findings) {
        Err(WorkflowError::BlockingFindings {
            count: findings.iter().filter(|f| f.is_blocking()).count(),
        })
    } else {
        Ok(())
    }
}

/// The instant to publish at. A local time that falls into the spring-forward gap is refused; one
/// that occurs twice (autumn) means the first occurrence, as a reader of "02:30" would expect.
pub fn resolve_publish_at(
    when: &PublishAt,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<Timestamp, WorkflowError> {
    let requested = match when {
        PublishAt::Now => return Ok(now),
        PublishAt::Instant(ts) => *ts,
        PublishAt::Local(local) => {
            let ambiguous = tz.to_ambiguous_timestamp(*local);
            match ambiguous.offset() {
                AmbiguousOffset::Unambiguous { offset }
                | AmbiguousOffset::Fold { before: offset, .. } => offset
                    .to_timestamp(*local)
                    .map_err(|_| nonexistent(*local, tz))?,
                AmbiguousOffset::Gap { .. } => return Err(nonexistent(*local, tz)),
            }
        }
    };
    let earliest = now.checked_sub(PAST_GRACE).unwrap_or(Timestamp::MIN);
    if requested < earliest {
        return Err(WorkflowError::InPast {
            requested: requested.to_zoned(tz.clone()),
            now: now.to_zoned(tz.clone()),
        });
    }
    Ok(requested)
}

fn nonexistent(local: DateTime, tz: &TimeZone) -> WorkflowError {
    WorkflowError::NonexistentLocalTime {
        local,
        time_zone: tz.iana_name().unwrap_or("UTC").to_string(),
    }
}

#[cfg(test)]
mod tests;

//! Why a workflow step was refused: a stable code and messages in German and English that say what to do.

use jiff::civil::DateTime;
use jiff::{Timestamp, Zoned};

use super::{Action, PostStatus};

/// Why a step was refused; `code` is stable, the messages say what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorkflowError {
    #[error("{action:?} is not possible for a post in status {from:?}")]
    NotAllowed { action: Action, from: PostStatus },
    #[error("post in status {status:?} cannot be edited")]
    NotEditable { status: PostStatus },
    #[error("the author cannot review their own post")]
    FourEyesSamePerson,
    #[error("four-eyes approval is required before scheduling")]
    ApprovalRequired,
    #[error("{count} blocking findings")]
    BlockingFindings { count: usize },
    #[error("a rejection needs a comment")]
    CommentMissing,
    #[error("publish time {requested} is in the past (now {now})")]
    InPast { requested: Zoned, now: Zoned },
    #[error("local time {local} does not exist in {time_zone}")]
    NonexistentLocalTime { local: DateTime, time_zone: String },
    #[error("the post is not due before {publish_at}")]
    NotDue { publish_at: Timestamp },
    #[error("no channel results")]
    NoResults,
}

impl WorkflowError {
    pub fn code(&self) -> &'static str {
        match self {
            WorkflowError::NotAllowed { .. } => "transition_not_allowed",
            WorkflowError::NotEditable { .. } => "post_not_editable",
            WorkflowError::FourEyesSamePerson => "four_eyes_same_person",
            WorkflowError::ApprovalRequired => "approval_required",
            WorkflowError::BlockingFindings { .. } => "blocking_findings",
            WorkflowError::CommentMissing => "rejection_comment_missing",
            WorkflowError::InPast { .. } => "publish_at_in_past",
            WorkflowError::NonexistentLocalTime { .. } => "publish_at_nonexistent",
            WorkflowError::NotDue { .. } => "publish_not_due",
            WorkflowError::NoResults => "publish_results_missing",
        }
    }

    pub fn message_de(&self) -> String {
        match self {
            WorkflowError::NotAllowed { action, from } => format!(
                "„{}“ ist bei einem Beitrag im Status „{}“ nicht möglich.",
                action_de(*action),
                from.label_de()
            ),
            WorkflowError::NotEditable { status } => {
                format!("Ein Beitrag im Status „{}“ kann nicht mehr bearbeitet werden.", status.label_de())
            }
            WorkflowError::FourEyesSamePerson => {
                "Vier-Augen-Prinzip: Den eigenen Beitrag muss eine andere Person freigeben oder zurückweisen.".into()
            }
            WorkflowError::ApprovalRequired => {
                "Vier-Augen-Prinzip: Der Beitrag muss erst von einer anderen Person freigegeben werden.".into()
            }
            WorkflowError::BlockingFindings { count } => format!(
                "Der Beitrag hat {count} {} – bitte zuerst beheben.",
                if *count == 1 { "blockierendes Problem" } else { "blockierende Probleme" }
            ),
            WorkflowError::CommentMissing => "Bitte begründen Sie die Zurückweisung mit einem Kommentar.".into(),
            WorkflowError::InPast { requested, now } => format!(
                "Der Zeitpunkt {} liegt in der Vergangenheit (jetzt: {}). Wählen Sie einen späteren Zeitpunkt oder „sofort“.",
                requested.strftime("%d.%m.%Y %H:%M"),
                now.strftime("%d.%m.%Y %H:%M"),
            ),
            WorkflowError::NonexistentLocalTime { local, time_zone } => format!(
                "Den Zeitpunkt {} gibt es in der Zeitzone {time_zone} nicht (Umstellung auf Sommerzeit). Wählen Sie eine andere Uhrzeit.",
                local.strftime("%d.%m.%Y %H:%M"),
            ),
            WorkflowError::NotDue { .. } => "Der Beitrag ist noch nicht fällig.".into(),
            WorkflowError::NoResults => "Es liegen keine Ergebnisse der Kanäle vor.".into(),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            WorkflowError::NotAllowed { action, from } => format!(
                "\"{}\" is not possible for a post with status \"{}\".",
                action.as_str(),
                from.label_en()
            ),
            WorkflowError::NotEditable { status } => {
                format!("A post with status \"{}\" can no longer be edited.", status.label_en())
            }
            WorkflowError::FourEyesSamePerson => {
                "Four-eyes principle: someone else must approve or reject your own post.".into()
            }
            WorkflowError::ApprovalRequired => {
                "Four-eyes principle: someone else must approve the post first.".into()
            }
            WorkflowError::BlockingFindings { count } => {
                format!("The post has {count} blocking problem(s); fix them first.")
            }
            WorkflowError::CommentMissing => "Please give a comment with the rejection.".into(),
            WorkflowError::InPast { requested, now } => format!(
                "The time {} is in the past (now: {}). Choose a later time or \"now\".",
                requested.strftime("%Y-%m-%d %H:%M"),
                now.strftime("%Y-%m-%d %H:%M"),
            ),
            WorkflowError::NonexistentLocalTime { local, time_zone } => format!(
                "The time {} does not exist in the time zone {time_zone} (clocks go forward). Choose another time.",
                local.strftime("%Y-%m-%d %H:%M"),
            ),
            WorkflowError::NotDue { .. } => "The post is not due yet.".into(),
            WorkflowError::NoResults => "There are no channel results.".into(),
        }
    }
}

fn action_de(action: Action) -> &'static str {
    match action {
        Action::Edit => "Bearbeiten",
        Action::Submit => "Einreichen",
        Action::Approve => "Freigeben",
        Action::Reject => "Zurückweisen",
        Action::Schedule => "Planen",
        Action::Unschedule => "Planung aufheben",
        Action::StartPublishing => "Veröffentlichen",
        Action::FinishPublishing => "Veröffentlichung abschließen",
        Action::Retry => "Erneut versuchen",
    }
}

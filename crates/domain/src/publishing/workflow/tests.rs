//! Tests for the post workflow: every status against every action, four-eyes on and off, and scheduling across DST.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::publishing::Finding;
use jiff::civil::date;
use proptest::prelude::*;

const AUTHOR: &str = "anna";
const REVIEWER: &str = "bernd";

fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

fn policy(four_eyes: bool) -> Policy {
    Policy {
        four_eyes,
        time_zone: berlin(),
    }
}

fn now() -> Timestamp {
    "2026-03-20T10:00:00Z".parse().unwrap()
}

fn post_in(status: PostStatus) -> PostWorkflow {
    let approved = !matches!(status, PostStatus::Draft | PostStatus::Submitted);
    PostWorkflow {
        status,
        author: AUTHOR.into(),
        approved_by: approved.then(|| REVIEWER.to_string()),
        publish_at: matches!(status, PostStatus::Scheduled)
            .then(|| now() - SignedDuration::from_secs(1)),
    }
}

fn blocking() -> Finding {
    Finding::blocking("alt_text_missing", "Bild 1 …".into(), "Image 1 …".into())
}

/// Carries out `action` on a post in `status`; the resulting status, or the refusal's code.
fn attempt(
    status: PostStatus,
    action: Action,
    four_eyes: bool,
    by_author: bool,
) -> Result<PostStatus, &'static str> {
    let mut post = post_in(status);
    let actor = if by_author { AUTHOR } else { REVIEWER };
    let p = policy(four_eyes);
    let result = match action {
        Action::Edit => post
            .edit(actor, now())
            .map(|t| t.map_or(post.status, |t| t.to)),
        Action::Submit => post.submit(actor, now(), &[]).map(|t| t.to),
        Action::Approve => post.approve(actor, now(), &p, &[]).map(|t| t.to),
        Action::Reject => post
            .reject(actor, now(), &p, "Bitte Datum prüfen")
            .map(|t| t.to),
        Action::Schedule => post
            .schedule(actor, now(), &PublishAt::Now, &p, &[])
            .map(|t| t.to),
        Action::Unschedule => post.unschedule(actor, now()).map(|t| t.to),
        Action::StartPublishing => post.start_publishing(now()).map(|t| t.to),
        Action::FinishPublishing => post.finish_publishing(now(), 2, 0).map(|t| t.to),
        Action::Retry => post.retry(actor, now()).map(|t| t.to),
    };
    match result {
        Ok(to) => {
            assert_eq!(post.status, to, "state follows the transition");
            Ok(to)
        }
        Err(e) => {
            assert_eq!(post, post_in(status), "a refusal changes nothing");
            Err(e.code())
        }
    }
}

/// The specification, written out independently of the implementation.
fn expected(
    status: PostStatus,
    action: Action,
    four_eyes: bool,
    by_author: bool,
) -> Result<PostStatus, &'static str> {
    use Action as A;
    use PostStatus as S;
    let same_person = four_eyes && by_author;
    match (action, status) {
        (A::Edit, S::Draft) => Ok(S::Draft),
        (A::Edit, S::Submitted | S::Approved | S::Scheduled) => Ok(S::Draft),
        (A::Edit, _) => Err("post_not_editable"),
        (A::Submit, S::Draft) => Ok(S::Submitted),
        (A::Approve, S::Submitted) if same_person => Err("four_eyes_same_person"),
        (A::Approve, S::Submitted) => Ok(S::Approved),
        (A::Approve, S::Draft) if !four_eyes => Ok(S::Approved),
        (A::Reject, S::Submitted | S::Approved | S::Scheduled) if same_person => {
            Err("four_eyes_same_person")
        }
        (A::Reject, S::Submitted | S::Approved | S::Scheduled) => Ok(S::Draft),
        (A::Schedule, S::Approved | S::Scheduled) => Ok(S::Scheduled),
        (A::Schedule, S::Draft | S::Submitted) if four_eyes => Err("approval_required"),
        (A::Schedule, S::Draft | S::Submitted) => Ok(S::Scheduled),
        (A::Unschedule, S::Scheduled) => Ok(S::Approved),
        (A::StartPublishing, S::Scheduled) => Ok(S::Publishing),
        (A::FinishPublishing, S::Publishing) => Ok(S::Published),
        (A::Retry, S::PartlyFailed | S::Failed) => Ok(S::Publishing),
        _ => Err("transition_not_allowed"),
    }
}

const ACTIONS: [Action; 9] = [
    Action::Edit,
    Action::Submit,
    Action::Approve,
    Action::Reject,
    Action::Schedule,
    Action::Unschedule,
    Action::StartPublishing,
    Action::FinishPublishing,
    Action::Retry,
];

#[test]
fn every_status_against_every_action() {
    let mut checked = 0;
    for status in PostStatus::ALL {
        for action in ACTIONS {
            for four_eyes in [true, false] {
                for by_author in [true, false] {
                    assert_eq!(
                        attempt(status, action, four_eyes, by_author),
                        expected(status, action, four_eyes, by_author),
                        "{action:?} on {status:?}, four_eyes={four_eyes}, by_author={by_author}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 8 * 9 * 4);
}

#[test]
fn four_eyes_path_records_every_step() {
    let p = policy(true);
    let mut post = PostWorkflow::new(AUTHOR);
    let t1 = post.submit(AUTHOR, now(), &[]).unwrap();
    assert_eq!(
        post.approve(AUTHOR, now(), &p, &[]).unwrap_err().code(),
        "four_eyes_same_person"
    );
    let t2 = post.approve(REVIEWER, now(), &p, &[]).unwrap();
    assert_eq!(post.approved_by.as_deref(), Some(REVIEWER));
    // The author may schedule once someone else approved.
    let at = date(2026, 3, 21).at(9, 0, 0, 0);
    let t3 = post
        .schedule(AUTHOR, now(), &PublishAt::Local(at), &p, &[])
        .unwrap();
    let expected_at: Timestamp = "2026-03-21T08:00:00Z".parse().unwrap(); // CET, UTC+1
    assert_eq!(t3.publish_at, Some(expected_at));
    assert_eq!(
        post.start_publishing(now()).unwrap_err().code(),
        "publish_not_due"
    );
    let t4 = post.start_publishing(expected_at).unwrap();
    let t5 = post.finish_publishing(expected_at, 3, 1).unwrap();
    let steps: Vec<(PostStatus, PostStatus, Action, Actor)> = [t1, t2, t3, t4, t5]
        .into_iter()
        .map(|t| (t.from, t.to, t.action, t.actor))
        .collect();
    use PostStatus as S;
    let staff = |s: &str| Actor::Staff(s.into());
    assert_eq!(
        steps,
        [
            (S::Draft, S::Submitted, Action::Submit, staff(AUTHOR)),
            (S::Submitted, S::Approved, Action::Approve, staff(REVIEWER)),
            (S::Approved, S::Scheduled, Action::Schedule, staff(AUTHOR)),
            (
                S::Scheduled,
                S::Publishing,
                Action::StartPublishing,
                Actor::System
            ),
            (
                S::Publishing,
                S::PartlyFailed,
                Action::FinishPublishing,
                Actor::System
            ),
        ]
    );
}

#[test]
fn without_four_eyes_the_author_schedules_directly() {
    let mut post = PostWorkflow::new(AUTHOR);
    let t = post
        .schedule(AUTHOR, now(), &PublishAt::Now, &policy(false), &[])
        .unwrap();
    assert_eq!(
        (t.from, t.to, t.publish_at),
        (PostStatus::Draft, PostStatus::Scheduled, Some(now()))
    );
    assert_eq!(post.approved_by.as_deref(), Some(AUTHOR));
    assert!(post.start_publishing(now()).is_ok());
}

#[test]
fn rejection_needs_a_comment_and_goes_back_to_draft() {
    let p = policy(true);
    let mut post = post_in(PostStatus::Submitted);
    assert_eq!(
        post.reject(REVIEWER, now(), &p, "  ").unwrap_err().code(),
        "rejection_comment_missing"
    );
    let t = post
        .reject(REVIEWER, now(), &p, " Bitte Datum prüfen ")
        .unwrap();
    assert_eq!(
        (t.to, t.comment.as_deref()),
        (PostStatus::Draft, Some("Bitte Datum prüfen"))
    );
    assert_eq!(t.action, Action::Reject);
}

#[test]
fn editing_after_approval_needs_a_new_approval() {
    let mut post = post_in(PostStatus::Scheduled);
    let t = post.edit(AUTHOR, now()).unwrap().unwrap();
    assert_eq!(
        (t.from, t.to, t.action),
        (PostStatus::Scheduled, PostStatus::Draft, Action::Edit)
    );
    assert_eq!((post.approved_by.clone(), post.publish_at), (None, None));
    assert_eq!(PostWorkflow::new(AUTHOR).edit(AUTHOR, now()).unwrap(), None);
}

#[test]
fn blocking_findings_stop_every_step_forward() {
    let warn = Finding::warning("too_many_emoji", String::new(), String::new());
    let findings = [warn.clone(), blocking(), blocking()];
    let p = policy(false);
    let mut post = PostWorkflow::new(AUTHOR);
    let err = post.submit(AUTHOR, now(), &findings).unwrap_err();
    assert_eq!(err.code(), "blocking_findings");
    assert!(err.message_de().contains("2 blockierende Probleme"));
    assert_eq!(
        post.approve(AUTHOR, now(), &p, &findings)
            .unwrap_err()
            .code(),
        "blocking_findings"
    );
    assert_eq!(
        post.schedule(AUTHOR, now(), &PublishAt::Now, &p, &findings)
            .unwrap_err()
            .code(),
        "blocking_findings"
    );
    assert!(
        post.submit(AUTHOR, now(), &[warn]).is_ok(),
        "warnings do not block"
    );
}

#[test]
fn past_times_are_refused_with_local_times_in_the_message() {
    let mut post = post_in(PostStatus::Approved);
    let yesterday = PublishAt::Local(date(2026, 3, 19).at(11, 0, 0, 0));
    let err = post
        .schedule(REVIEWER, now(), &yesterday, &policy(true), &[])
        .unwrap_err();
    assert_eq!(err.code(), "publish_at_in_past");
    assert_eq!(
        err.message_de(),
        "Der Zeitpunkt 19.03.2026 11:00 liegt in der Vergangenheit (jetzt: 20.03.2026 11:00). \
         Wählen Sie einen späteren Zeitpunkt oder „sofort“."
    );
    assert!(err.message_en().contains("2026-03-19 11:00"));
    // Within the grace minute it is accepted as given.
    let just_now = PublishAt::Instant(now() - SignedDuration::from_secs(30));
    assert!(post
        .schedule(REVIEWER, now(), &just_now, &policy(true), &[])
        .is_ok());
}

#[test]
fn spring_forward_gap_is_refused_and_autumn_fold_takes_the_first() {
    let tz = berlin();
    let before: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
    // 29 March 2026, 02:30 does not exist in Berlin.
    let gap = PublishAt::Local(date(2026, 3, 29).at(2, 30, 0, 0));
    let err = resolve_publish_at(&gap, before, &tz).unwrap_err();
    assert_eq!(err.code(), "publish_at_nonexistent");
    assert!(err.message_de().contains("29.03.2026 02:30"));
    assert!(err.message_de().contains("Europe/Berlin"));
    // 25 October 2026, 02:30 happens twice; the first is still summer time (UTC+2).
    let fold = PublishAt::Local(date(2026, 10, 25).at(2, 30, 0, 0));
    let at = resolve_publish_at(&fold, before, &tz).unwrap();
    assert_eq!(at, "2026-10-25T00:30:00Z".parse::<Timestamp>().unwrap());
    // Ordinary summer time.
    let summer = PublishAt::Local(date(2026, 7, 1).at(9, 0, 0, 0));
    assert_eq!(
        resolve_publish_at(&summer, before, &tz).unwrap(),
        "2026-07-01T07:00:00Z".parse::<Timestamp>().unwrap()
    );
}

#[test]
fn finish_outcomes() {
    for (ok, failed, to) in [
        (3, 0, PostStatus::Published),
        (2, 1, PostStatus::PartlyFailed),
        (0, 3, PostStatus::Failed),
    ] {
        let mut post = post_in(PostStatus::Publishing);
        assert_eq!(post.finish_publishing(now(), ok, failed).unwrap().to, to);
    }
    let mut post = post_in(PostStatus::Publishing);
    assert_eq!(
        post.finish_publishing(now(), 0, 0).unwrap_err().code(),
        "publish_results_missing"
    );
}

#[test]
fn names_and_messages() {
    for s in PostStatus::ALL {
        assert_eq!(PostStatus::parse(s.as_str()), Some(s));
        assert_eq!(
            serde_json::to_value(s).unwrap(),
            serde_json::json!(s.as_str())
        );
    }
    for a in ACTIONS {
        assert_eq!(
            serde_json::to_value(a).unwrap(),
            serde_json::json!(a.as_str())
        );
    }
    let err = post_in(PostStatus::Published)
        .submit(AUTHOR, now(), &[])
        .unwrap_err();
    assert_eq!(
        err.message_de(),
        "„Einreichen“ ist bei einem Beitrag im Status „Veröffentlicht“ nicht möglich."
    );
    assert_eq!(
        WorkflowError::FourEyesSamePerson.code(),
        "four_eyes_same_person"
    );
}

proptest! {
    /// Any sequence of actions by anyone keeps the invariants: a scheduled or later post was
    /// approved (by someone other than the author under four-eyes), and a draft has no approval.
    #[test]
    fn random_walks_keep_the_invariants(
        four_eyes in any::<bool>(),
        steps in prop::collection::vec((0..ACTIONS.len(), any::<bool>(), -3_600i64..7_200), 0..40),
    ) {
        let p = policy(four_eyes);
        let mut post = PostWorkflow::new(AUTHOR);
        let mut clock = now();
        for (i, by_author, offset) in steps {
            let actor = if by_author { AUTHOR } else { REVIEWER };
            clock += SignedDuration::from_secs(60);
            let when = PublishAt::Instant(clock + SignedDuration::from_secs(offset));
            let before = post.clone();
            let result = match ACTIONS[i] {
                Action::Edit => post.edit(actor, clock).map(|_| ()),
                Action::Submit => post.submit(actor, clock, &[]).map(|_| ()),
                Action::Approve => post.approve(actor, clock, &p, &[]).map(|_| ()),
                Action::Reject => post.reject(actor, clock, &p, "Nein").map(|_| ()),
                Action::Schedule => post.schedule(actor, clock, &when, &p, &[]).map(|_| ()),
                Action::Unschedule => post.unschedule(actor, clock).map(|_| ()),
                Action::StartPublishing => post.start_publishing(clock + SignedDuration::from_secs(7_200)).map(|_| ()),
                Action::FinishPublishing => post.finish_publishing(clock, 1, usize::from(by_author)).map(|_| ()),
                Action::Retry => post.retry(actor, clock).map(|_| ()),
            };
            if result.is_err() {
                prop_assert_eq!(&post, &before);
            }
            match post.status {
                PostStatus::Draft | PostStatus::Submitted => prop_assert!(post.approved_by.is_none()),
                _ => {
                    let approver = post.approved_by.clone();
                    prop_assert!(approver.is_some());
                    if four_eyes {
                        prop_assert_ne!(approver.as_deref(), Some(AUTHOR));
                    }
                }
            }
            prop_assert_eq!(post.publish_at.is_some(), post.status != PostStatus::Draft
                && post.status != PostStatus::Submitted && post.status != PostStatus::Approved);
        }
    }
}

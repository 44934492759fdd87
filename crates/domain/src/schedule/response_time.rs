//! Response-time promises: when a first answer is due, how much time is left, and whether it is at risk.
//!
//! Three situations, each with its own target: a message inside a consultation slot (default 15
//! minutes of wall-clock time), during office hours (default 1 hour of office time), and
//! otherwise (default 1 office day, see [`OfficeHours::add_office_days`]). Time left is measured in
//! the clock the target uses, so a promise counted in office time does not run down over the weekend.

use jiff::{SignedDuration, Timestamp};

use super::consultation::ConsultationHour;
use super::office_hours::OfficeHours;

/// How long the town hall promises to take for a first answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Real elapsed time, e.g. 15 minutes inside a consultation slot.
    WallClock(SignedDuration),
    /// Office time only, e.g. 1 hour: Friday 17:30 is due Monday 09:00 if the office opens at 08:00.
    OfficeTime(SignedDuration),
    /// Office days, as defined by [`OfficeHours::add_office_days`].
    OfficeDays(u32),
}

/// A municipality's targets per situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub in_consultation: Target,
    pub in_office_hours: Target,
    pub otherwise: Target,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            in_consultation: Target::WallClock(SignedDuration::from_mins(15)),
            in_office_hours: Target::OfficeTime(SignedDuration::from_hours(1)),
            otherwise: Target::OfficeDays(1),
        }
    }
}

/// Which target applied to a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Situation {
    Consultation,
    OfficeHours,
    Otherwise,
}

/// The clock a promise runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    WallClock,
    OfficeTime,
}

/// Where an open concern stands against its promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseStatus {
    OnTrack,
    /// Less than a quarter of the promised time, or less than 15 minutes, is left.
    NearDue,
    /// The due time has passed.
    Breached,
}

/// The promise made for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Promise {
    pub received: Timestamp,
    pub due: Timestamp,
    pub situation: Situation,
    pub clock: Clock,
}

/// Under this much time left a promise is near due, whatever its length.
pub const NEAR_DUE_MINIMUM: SignedDuration = SignedDuration::from_mins(15);

/// The promise for a message received at `received`.
///
/// `consultation` are the consultation hours that apply to the message's channel; a message inside
/// any of their slots gets the consultation target. If the office has no office time at all, office
/// targets fall back to wall-clock time (1 office day = 24 hours) so a due time always exists.
pub fn promise(
    received: Timestamp,
    office: &OfficeHours,
    consultation: &[ConsultationHour],
    targets: &Targets,
) -> Promise {
    let (situation, target) = if consultation
        .iter()
        .any(|c| c.current_slot(received).is_some())
    {
        (Situation::Consultation, targets.in_consultation)
    } else if office.is_open(received) {
        (Situation::OfficeHours, targets.in_office_hours)
    } else {
        (Situation::Otherwise, targets.otherwise)
    };
    let wall = |d: SignedDuration| received.checked_add(d).unwrap_or(Timestamp::MAX);
    let (due, clock) = match target {
        Target::WallClock(d) => (wall(d), Clock::WallClock),
        Target::OfficeTime(d) => match office.add_office_duration(received, d) {
            Some(due) => (due, Clock::OfficeTime),
            None => (wall(d), Clock::WallClock),
        },
        Target::OfficeDays(n) => match office.add_office_days(received, n) {
            Some(due) => (due, Clock::OfficeTime),
            None => (
                wall(SignedDuration::from_hours(24 * i64::from(n))),
                Clock::WallClock,
            ),
        },
    };
    Promise {
        received,
        due,
        situation,
        clock,
    }
}

/// When the first answer to a message received at `received` is due (see [`promise`]).
pub fn due_at(
    received: Timestamp,
    office: &OfficeHours,
    consultation: &[ConsultationHour],
    targets: &Targets,
) -> Timestamp {
    promise(received, office, consultation, targets).due
}

/// Wall-clock time left until `due`; negative once it has passed.
pub fn remaining(due: Timestamp, now: Timestamp) -> SignedDuration {
    due.duration_since(now)
}

impl ResponseStatus {
    /// The status for `left` of `total` promised time (both in the promise's clock); `overdue`
    /// once the due time has passed.
    pub fn from_time_left(total: SignedDuration, left: SignedDuration, overdue: bool) -> Self {
        if overdue {
            ResponseStatus::Breached
        } else if left < NEAR_DUE_MINIMUM || left * 4 < total {
            ResponseStatus::NearDue
        } else {
            ResponseStatus::OnTrack
        }
    }
}

impl Promise {
    /// The time left at `now` in the promise's own clock (office time for office targets).
    pub fn time_left(&self, now: Timestamp, office: &OfficeHours) -> SignedDuration {
        match self.clock {
            Clock::WallClock => remaining(self.due, now),
            Clock::OfficeTime if now > self.due => remaining(self.due, now),
            Clock::OfficeTime => office.office_time_between(now, self.due),
        }
    }

    /// The promised time in the promise's own clock.
    pub fn total(&self, office: &OfficeHours) -> SignedDuration {
        match self.clock {
            Clock::WallClock => self.due.duration_since(self.received),
            Clock::OfficeTime => office.office_time_between(self.received, self.due),
        }
    }

    /// Where the promise stands at `now`.
    pub fn status(&self, now: Timestamp, office: &OfficeHours) -> ResponseStatus {
        ResponseStatus::from_time_left(
            self.total(office),
            self.time_left(now, office),
            now > self.due,
        )
    }

    /// The first instant at which [`Promise::status`] says [`ResponseStatus::NearDue`] (or later
    /// `Breached`), so a database can count near-due concerns with a plain comparison:
    /// near due at `now` ⇔ `near_due_from <= now <= due`.
    ///
    /// Near due means less than `max(15 min, ⌈total / 4⌉)` is left in the promise's clock; as the
    /// time left only shrinks, that starts once the elapsed time exceeds `total − threshold`.
    pub fn near_due_from(&self, office: &OfficeHours) -> Timestamp {
        let total = self.total(office);
        let quarter = SignedDuration::from_nanos(ceil_div4(total.as_nanos()));
        let threshold = quarter.max(NEAR_DUE_MINIMUM);
        // Elapsed ≥ total − threshold + 1 ns ⇔ left < threshold.
        let elapsed = total - threshold + SignedDuration::from_nanos(1);
        if elapsed <= SignedDuration::ZERO {
            return self.received;
        }
        let at = match self.clock {
            Clock::WallClock => self.received.checked_add(elapsed).ok(),
            Clock::OfficeTime => office.add_office_duration(self.received, elapsed),
        };
        at.unwrap_or(self.due).min(self.due)
    }
}

/// ⌈n / 4⌉ for non-negative n (durations here are never negative).
fn ceil_div4(n: i128) -> i64 {
    let q = (n.max(0) + 3) / 4;
    i64::try_from(q).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;

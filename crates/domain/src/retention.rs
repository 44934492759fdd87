//! Retention rules: how long each kind of record is kept, and the cut-off times they imply.

use serde::{Deserialize, Serialize};

pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Per-municipality retention (`[municipality.retention]`). Defaults are conservative: short for content,
/// longer for proof (consent, audit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionRules {
    /// Resolved concerns (with their messages and media) are deleted this many days after resolution.
    pub concerns_days_after_resolution: u32,
    /// Daily counters of messages answered without consent.
    pub unconsented_counters_days: u32,
    /// Consent records of citizens who withdrew are kept this long after the withdrawal as proof.
    pub consent_records_years: u32,
    /// Audit log entries.
    pub audit_years: u32,
}

impl Default for RetentionRules {
    fn default() -> Self {
        RetentionRules {
            concerns_days_after_resolution: 90,
            unconsented_counters_days: 30,
            consent_records_years: 3,
            audit_years: 2,
        }
    }
}

/// The cut-offs at `now`: everything older than these is due for deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    pub concerns_resolved_before: i64,
    pub counters_before_day: i64,
    pub withdrawn_consents_before: i64,
    pub audit_before: i64,
}

impl RetentionRules {
    pub fn cutoffs(&self, now: i64) -> Cutoffs {
        Cutoffs {
            concerns_resolved_before: now - i64::from(self.concerns_days_after_resolution) * DAY_MS,
            counters_before_day: now - i64::from(self.unconsented_counters_days) * DAY_MS,
            withdrawn_consents_before: now - i64::from(self.consent_records_years) * 365 * DAY_MS,
            audit_before: now - i64::from(self.audit_years) * 365 * DAY_MS,
        }
    }

    /// When a concern resolved at `resolved_at` will be deleted.
    pub fn concern_deleted_at(&self, resolved_at: i64) -> i64 {
        resolved_at + i64::from(self.concerns_days_after_resolution) * DAY_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_deletion_date() {
        let r = RetentionRules::default();
        assert_eq!(r.concerns_days_after_resolution, 90);
        assert_eq!(r.concern_deleted_at(0), 90 * DAY_MS);
        let c = r.cutoffs(1000 * DAY_MS);
        assert_eq!(c.concerns_resolved_before, 910 * DAY_MS);
        assert_eq!(c.counters_before_day, 970 * DAY_MS);
        assert!(c.audit_before < c.concerns_resolved_before);
    }
}

//! Concerns (Anliegen): their status and how a citizen is named to staff.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConcernStatus {
    /// Waiting for the town hall.
    Open,
    /// Waiting for the citizen or a third party.
    Pending,
    Resolved,
}

impl ConcernStatus {
    pub const ALL: [ConcernStatus; 3] = [
        ConcernStatus::Open,
        ConcernStatus::Pending,
        ConcernStatus::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConcernStatus::Open => "open",
            ConcernStatus::Pending => "pending",
            ConcernStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A citizen writing again always puts the concern back on the town hall's desk.
    pub fn after_citizen_message(self) -> ConcernStatus {
        ConcernStatus::Open
    }

    /// Whether a new citizen message should go into this concern rather than a new one.
    pub fn accepts_new_messages(self) -> bool {
        !matches!(self, ConcernStatus::Resolved)
    }
}

/// The name staff see instead of a phone number: stable per citizen, e.g. `Bürger·7F3A`.
pub fn pseudonym(tag: [u8; 2]) -> String {
    format!("Bürger·{:02X}{:02X}", tag[0], tag[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonym_has_the_documented_shape() {
        assert_eq!(pseudonym([0x7f, 0x3a]), "Bürger·7F3A");
        assert_eq!(pseudonym([0, 1]), "Bürger·0001");
    }

    #[test]
    fn statuses_round_trip_and_citizen_reopens() {
        for s in ConcernStatus::ALL {
            assert_eq!(ConcernStatus::parse(s.as_str()), Some(s));
            assert_eq!(s.after_citizen_message(), ConcernStatus::Open);
        }
        assert!(!ConcernStatus::Resolved.accepts_new_messages());
        assert!(ConcernStatus::Pending.accepts_new_messages());
    }
}

//! The consent gate: which keyword a message carries and what the hub must do with it.

use serde::{Deserialize, Serialize};

/// Lower-cases and strips surrounding spaces and punctuation, so "  Anmeldung! " matches "anmeldung".
pub fn normalize_keyword(text: &str) -> String {
    let trimmed = text.trim_matches(|c: char| !c.is_alphanumeric());
    trimmed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The keywords a municipality listens for. Defaults follow what German towns already publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keywords {
    pub opt_in: Vec<String>,
    pub opt_out: Vec<String>,
    /// Asks for erasure of everything stored (Art. 17 GDPR).
    #[serde(default = "default_erase")]
    pub erase: Vec<String>,
    /// Asks for a copy of everything stored (Art. 15/20 GDPR).
    #[serde(default = "default_access")]
    pub access: Vec<String>,
}

fn default_access() -> Vec<String> {
    vec!["Auskunft".into()]
}

fn default_erase() -> Vec<String> {
    vec!["Löschen".into()]
}

impl Default for Keywords {
    fn default() -> Self {
        Keywords {
            opt_in: vec!["Anmeldung".into(), "Start".into()],
            opt_out: vec!["Stopp".into(), "Abmelden".into()],
            erase: default_erase(),
            access: default_access(),
        }
    }
}

/// What a message asks of the consent gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    OptIn,
    OptOut,
    /// Erase everything stored about me.
    Erase,
    /// Send me everything stored about me.
    Access,
    Other,
}

impl Keywords {
    pub fn classify(&self, text: Option<&str>) -> Intent {
        let Some(text) = text else {
            return Intent::Other;
        };
        let said = normalize_keyword(text);
        if said.is_empty() {
            return Intent::Other;
        }
        let matches = |list: &[String]| list.iter().any(|k| normalize_keyword(k) == said);
        if matches(&self.opt_in) {
            Intent::OptIn
        } else if matches(&self.opt_out) {
            Intent::OptOut
        } else if matches(&self.erase) {
            Intent::Erase
        } else if matches(&self.access) {
            Intent::Access
        } else {
            Intent::Other
        }
    }

    /// The first opt-in keyword, as the citizen should type it.
    pub fn primary_opt_in(&self) -> &str {
        self.opt_in.first().map(String::as_str).unwrap_or("Start")
    }

    pub fn primary_opt_out(&self) -> &str {
        self.opt_out.first().map(String::as_str).unwrap_or("Stopp")
    }

    pub fn primary_erase(&self) -> &str {
        self.erase.first().map(String::as_str).unwrap_or("Löschen")
    }
}

/// Where a citizen's identity on one channel stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentState {
    /// Never opted in, or withdrew: nothing but a counter may be kept.
    NotGiven,
    Given,
}

/// What to do with one inbound message, decided before anything is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentDecision {
    /// Answer how to opt in; keep only a counter, not the message.
    ExplainOptIn,
    /// Record consent and confirm it.
    RecordConsent,
    /// Already opted in and said the keyword again: confirm, store nothing new.
    ConfirmAgain,
    /// Record the withdrawal and confirm it.
    Withdraw,
    /// Opt-out from someone who never opted in: confirm that nothing is stored.
    NothingToWithdraw,
    /// File the message in the citizen's concern.
    FileInConcern,
    /// Erase everything about the citizen (whatever their consent), then confirm.
    Erase,
    /// Send a download link to everything stored about the citizen (whatever their consent).
    Export,
}

pub fn decide(state: ConsentState, intent: Intent) -> ConsentDecision {
    match (state, intent) {
        (_, Intent::Erase) => ConsentDecision::Erase,
        (_, Intent::Access) => ConsentDecision::Export,
        (ConsentState::NotGiven, Intent::OptIn) => ConsentDecision::RecordConsent,
        (ConsentState::NotGiven, Intent::OptOut) => ConsentDecision::NothingToWithdraw,
        (ConsentState::NotGiven, Intent::Other) => ConsentDecision::ExplainOptIn,
        (ConsentState::Given, Intent::OptIn) => ConsentDecision::ConfirmAgain,
        (ConsentState::Given, Intent::OptOut) => ConsentDecision::Withdraw,
        (ConsentState::Given, Intent::Other) => ConsentDecision::FileInConcern,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_keywords_are_recognised_in_any_case_and_punctuation() {
        let k = Keywords::default();
        for s in ["Anmeldung", "anmeldung", "  ANMELDUNG! ", "start.", "Start"] {
            assert_eq!(k.classify(Some(s)), Intent::OptIn, "{s}");
        }
        for s in ["Stopp", "stopp!!", " Abmelden ", "ABMELDEN?"] {
            assert_eq!(k.classify(Some(s)), Intent::OptOut, "{s}");
        }
        assert_eq!(k.classify(Some("Auskunft")), Intent::Access);
        for s in ["löschen", " LÖSCHEN! "] {
            assert_eq!(k.classify(Some(s)), Intent::Erase, "{s}");
        }
        for s in ["Anmeldung bitte", "Startseite", "", "!!!", "Hallo"] {
            assert_eq!(k.classify(Some(s)), Intent::Other, "{s}");
        }
        assert_eq!(k.classify(None), Intent::Other);
    }

    #[test]
    fn configured_keywords_replace_defaults() {
        let k = Keywords {
            opt_in: vec!["Hallo Rathaus".into()],
            opt_out: vec!["Tschüss".into()],
            erase: vec!["Vergessen".into()],
            access: vec!["Meine Daten".into()],
        };
        assert_eq!(k.classify(Some("meine daten?")), Intent::Access);
        assert_eq!(k.classify(Some("vergessen!")), Intent::Erase);
        assert_eq!(k.classify(Some("Löschen")), Intent::Other);
        assert_eq!(k.classify(Some("hallo   rathaus!")), Intent::OptIn);
        assert_eq!(k.classify(Some("TSCHÜSS")), Intent::OptOut);
        assert_eq!(k.classify(Some("Start")), Intent::Other);
    }

    #[test]
    fn the_gate_never_files_without_consent() {
        for intent in [Intent::OptIn, Intent::OptOut, Intent::Other] {
            assert_ne!(
                decide(ConsentState::NotGiven, intent),
                ConsentDecision::FileInConcern
            );
        }
        assert_eq!(
            decide(ConsentState::Given, Intent::Other),
            ConsentDecision::FileInConcern
        );
        assert_eq!(
            decide(ConsentState::Given, Intent::OptOut),
            ConsentDecision::Withdraw
        );
    }

    proptest! {
        #[test]
        fn normalizing_is_idempotent(s in "\\PC{0,40}") {
            let once = normalize_keyword(&s);
            prop_assert_eq!(normalize_keyword(&once), once.clone());
        }

        #[test]
        fn surrounding_punctuation_never_changes_the_intent(pre in "[ .,!?¡¿]{0,4}", post in "[ .,!?]{0,4}") {
            let k = Keywords::default();
            let text = format!("{pre}Anmeldung{post}");
            prop_assert_eq!(k.classify(Some(&text)), Intent::OptIn);
        }
    }
}

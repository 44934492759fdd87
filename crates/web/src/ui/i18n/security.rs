//! Translations of sign-in security: lockouts, the second factor, recovery codes and the session list.

pub(super) const TABLE: &[(&str, &str, &str)] = &[
    (
        "login.locked",
        "Zu viele fehlgeschlagene Anmeldeversuche. Bitte versuchen Sie es in {minutes} Minuten noch einmal.",
        "Too many failed sign-in attempts. Please try again in {minutes} minutes.",
    ),
];

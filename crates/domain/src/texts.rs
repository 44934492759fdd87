//! Default answers to citizens (German), with the placeholders a municipality may use in its own.

use serde::{Deserialize, Serialize};

/// Texts sent to citizens by the consent gate. `{municipality}`, `{privacy_notice_url}`, `{opt_in}` and
/// `{opt_out}` are replaced when sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CitizenTexts {
    pub explain_opt_in: String,
    pub opt_in_confirmed: String,
    pub opt_out_confirmed: String,
    pub nothing_to_withdraw: String,
    pub erasure_confirmed: String,
    pub nothing_to_erase: String,
    /// Sent with the one-time download link; `{link}` is replaced by it.
    pub access_ready: String,
    /// Sent once per concern written to a consultation-hour channel outside a slot; `{next_slot}`
    /// is the next slot ("Dienstag, 1. Dezember 2026, 14:00–18:00 Uhr"), `{consultation}` its name.
    pub consultation_outside: String,
    /// Sent once per concern and slot inside a slot; `{ahead}` is how many concerns are ahead in
    /// the queue, `{consultation}` the consultation hour's name.
    pub consultation_inside: String,
}

impl Default for CitizenTexts {
    fn default() -> Self {
        CitizenTexts {
            explain_opt_in: "Guten Tag! Hier schreibt {municipality}. Über diesen Kanal können Sie uns \
                Ihre Anliegen schicken. Damit wir Ihre Nachrichten speichern und beantworten dürfen, \
                brauchen wir Ihre Einwilligung. Bitte lesen Sie unsere Datenschutzhinweise: \
                {privacy_notice_url} — und antworten Sie dann mit \"{opt_in}\". Ihre bisherige \
                Nachricht haben wir nicht gespeichert."
                .into(),
            opt_in_confirmed: "Vielen Dank, Ihre Einwilligung ist gespeichert. Schreiben Sie uns jetzt \
                Ihr Anliegen. Sie können die Einwilligung jederzeit widerrufen, indem Sie \"{opt_out}\" \
                senden. Datenschutzhinweise: {privacy_notice_url}"
                .into(),
            opt_out_confirmed: "Sie haben Ihre Einwilligung widerrufen. Wir speichern keine weiteren \
                Nachrichten von Ihnen. Mit \"{opt_in}\" können Sie sich jederzeit wieder anmelden."
                .into(),
            nothing_to_withdraw: "Sie sind bei {municipality} nicht angemeldet; wir speichern keine \
                Nachrichten von Ihnen."
                .into(),
            erasure_confirmed: "Ihre Daten bei {municipality} sind gelöscht: Ihre Nachrichten, Anliegen und \
                Einwilligungen. Wir behalten nur einen Vermerk, dass gelöscht wurde, ohne Ihre Nummer oder Ihren \
                Namen. Mit \"{opt_in}\" können Sie jederzeit neu beginnen."
                .into(),
            nothing_to_erase: "Bei {municipality} ist über Sie nichts gespeichert.".into(),
            access_ready: "Hier ist Ihre Auskunft über alle bei {municipality} gespeicherten Daten (ZIP-Datei \
                mit einer lesbaren Übersicht und einer maschinenlesbaren Datei): {link} — Der Link ist 7 Tage \
                gültig und kann einmal geöffnet werden."
                .into(),
            consultation_outside: "Vielen Dank für Ihre Nachricht an {municipality}! Sie haben außerhalb der \
                Sprechstunde geschrieben. Die nächste Sprechstunde ist am {next_slot}. Ihre Nachricht ist \
                gespeichert; wir melden uns."
                .into(),
            consultation_inside: "Willkommen in der Sprechstunde von {municipality}! Ihre Nachricht ist \
                angekommen und Sie sind in der Warteschlange. Anliegen vor Ihnen: {ahead}. Wir antworten der \
                Reihe nach."
                .into(),
        }
    }
}

/// Values filled into a citizen text.
pub struct TextValues<'a> {
    pub municipality: &'a str,
    pub privacy_notice_url: &'a str,
    pub opt_in: &'a str,
    pub opt_out: &'a str,
}

pub fn fill(template: &str, v: &TextValues<'_>) -> String {
    template
        .replace("{municipality}", v.municipality)
        .replace("{privacy_notice_url}", v.privacy_notice_url)
        .replace("{opt_in}", v.opt_in)
        .replace("{opt_out}", v.opt_out)
}

/// A consultation-hour answer: the usual placeholders plus `{consultation}`, `{next_slot}` and `{ahead}`.
pub fn fill_consultation(
    template: &str,
    v: &TextValues<'_>,
    consultation: &str,
    next_slot: &str,
    ahead: u64,
) -> String {
    fill(template, v)
        .replace("{consultation}", consultation)
        .replace("{next_slot}", next_slot)
        .replace("{ahead}", &ahead.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_name_the_notice_and_the_keyword() {
        let t = CitizenTexts::default();
        let v = TextValues {
            municipality: "Stadt Musterstadt",
            privacy_notice_url: "https://musterstadt.de/ds",
            opt_in: "Anmeldung",
            opt_out: "Stopp",
        };
        let s = fill(&t.explain_opt_in, &v);
        assert!(s.contains("https://musterstadt.de/ds"));
        assert!(s.contains("\"Anmeldung\""));
        assert!(s.contains("Stadt Musterstadt"));
        assert!(!s.contains('{'));
        let c = fill(&t.opt_in_confirmed, &v);
        assert!(c.contains("\"Stopp\""));
    }

    #[test]
    fn consultation_answers_name_the_slot_and_the_queue() {
        let t = CitizenTexts::default();
        let v = TextValues {
            municipality: "Stadt Musterstadt",
            privacy_notice_url: "",
            opt_in: "Anmeldung",
            opt_out: "Stopp",
        };
        let out = fill_consultation(
            &t.consultation_outside,
            &v,
            "Sprechstunde",
            "Dienstag, 1. Dezember 2026, 14:00–18:00 Uhr",
            0,
        );
        assert!(
            out.contains(
                "Die nächste Sprechstunde ist am Dienstag, 1. Dezember 2026, 14:00–18:00 Uhr."
            ),
            "{out}"
        );
        let inside = fill_consultation(&t.consultation_inside, &v, "Sprechstunde", "", 3);
        assert!(inside.contains("Anliegen vor Ihnen: 3."), "{inside}");
        assert!(!out.contains('{') && !inside.contains('{'));
    }
}

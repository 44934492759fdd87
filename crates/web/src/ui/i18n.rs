//! Translations of every visible UI string: German first, English second, looked up by key.

mod admin;
mod passkeys;
mod posts;
mod privacy;
mod schedule;
mod security;
mod settings;
mod sso;

/// A UI language. German is the default for everyone; English is chosen per staff member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    De,
    En,
}

impl Lang {
    /// Anything but "en" is German.
    pub fn from_code(code: &str) -> Lang {
        if code.trim().eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::De
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }
}

/// `(key, German, English)`.
const TABLE: &[(&str, &str, &str)] = &[
    ("nav.skip", "Zum Inhalt springen", "Skip to content"),
    ("nav.label", "Hauptnavigation", "Main navigation"),
    ("nav.inbox", "Posteingang", "Inbox"),
    ("nav.signed_in_as", "Angemeldet als", "Signed in as"),
    ("nav.logout", "Abmelden", "Sign out"),
    ("nav.municipality", "Gemeinde", "Municipality"),
    ("nav.switch_municipality", "Wechseln", "Switch"),
    ("login.title", "Anmelden", "Sign in"),
    ("login.email", "E-Mail-Adresse", "E-mail address"),
    ("login.password", "Passwort", "Password"),
    ("login.submit", "Anmelden", "Sign in"),
    (
        "login.failed",
        "E-Mail-Adresse oder Passwort ist falsch.",
        "E-mail address or password is wrong.",
    ),
    ("inbox.title", "Posteingang", "Inbox"),
    ("inbox.tabs_label", "Anliegen nach Status", "Concerns by status"),
    ("inbox.channel", "Kanal", "Channel"),
    ("inbox.all_channels", "Alle Kanäle", "All channels"),
    ("inbox.filter", "Filtern", "Filter"),
    ("inbox.status", "Status", "Status"),
    ("inbox.assignee", "Zuständig", "Assigned to"),
    ("inbox.last_activity", "Letzte Aktivität", "Last activity"),
    (
        "inbox.empty",
        "Hier sind keine Anliegen. Neue Nachrichten von Bürgerinnen und Bürgern erscheinen automatisch.",
        "There are no concerns here. New messages from citizens appear automatically.",
    ),
    ("status.open", "Offen", "Open"),
    ("status.pending", "Wartet auf Rückmeldung", "Waiting for reply"),
    ("status.resolved", "Erledigt", "Resolved"),
    ("status.change", "Status ändern", "Change status"),
    ("status.invalid", "Unbekannter Status.", "Unknown status."),
    ("action.resolve", "Als erledigt markieren", "Mark as resolved"),
    ("action.reopen", "Wieder öffnen", "Reopen"),
    ("action.pending", "Auf Rückmeldung warten", "Wait for reply"),
    ("concern.title", "Anliegen", "Concern"),
    ("concern.back", "← Zurück zum Posteingang", "← Back to the inbox"),
    ("concern.thread", "Verlauf", "Conversation"),
    ("concern.no_messages", "Noch keine Nachrichten.", "No messages yet."),
    ("concern.nobody", "niemand", "nobody"),
    ("concern.window", "Antwortfenster", "Reply window"),
    ("concern.window_until", "Antwort möglich bis", "Reply possible until"),
    ("concern.delivery", "Zustellung", "Delivery"),
    ("concern.delivery_error", "Fehler", "Error"),
    (
        "concern.read_only",
        "Sie haben Leserechte: Antworten, Notizen und Änderungen sind Ihnen nicht möglich.",
        "You have read-only access: you cannot reply, add notes or make changes.",
    ),
    ("msg.citizen", "Bürger/in", "Citizen"),
    ("msg.town_hall", "Rathaus", "Town hall"),
    ("msg.internal_note", "Interne Notiz", "Internal note"),
    ("kind.voice", "Sprachnachricht", "Voice message"),
    ("kind.audio", "Audio", "Audio"),
    ("kind.image", "Bild", "Image"),
    ("kind.video", "Video", "Video"),
    ("kind.document", "Dokument", "Document"),
    ("kind.sticker", "Sticker", "Sticker"),
    ("kind.location", "Standort", "Location"),
    ("kind.interactive_reply", "Auswahl", "Choice"),
    (
        "kind.unsupported",
        "Nachrichtentyp, der hier nicht angezeigt werden kann",
        "Message type that cannot be shown here",
    ),
    ("delivery.queued", "Warteschlange", "queued"),
    ("delivery.sent", "gesendet", "sent"),
    ("delivery.delivered", "zugestellt", "delivered"),
    ("delivery.read", "gelesen", "read"),
    ("delivery.failed", "fehlgeschlagen", "failed"),
    ("media.download", "Anhang herunterladen", "Download attachment"),
    ("media.pending", "Anhang wird noch geladen", "Attachment is still being fetched"),
    ("media.failed", "Anhang konnte nicht geladen werden", "Attachment could not be fetched"),
    ("reply.heading", "Antworten", "Reply"),
    ("reply.label", "Ihre Antwort an die Bürgerin / den Bürger", "Your reply to the citizen"),
    ("reply.submit", "Antwort senden", "Send reply"),
    (
        "refused.window_closed",
        "Antworten ist nicht mehr möglich: Die letzte Nachricht der Bürgerin / des Bürgers ist älter als 24 Stunden (WhatsApp-Regel). Sobald wieder eine Nachricht eingeht, können Sie antworten.",
        "Replying is no longer possible: the citizen's last message is older than 24 hours (WhatsApp rule). You can reply as soon as they write again.",
    ),
    (
        "refused.consent_withdrawn",
        "Antworten ist nicht möglich: Die Bürgerin / der Bürger hat die Einwilligung widerrufen.",
        "Replying is not possible: the citizen withdrew their consent.",
    ),
    ("refused.empty_text", "Die Antwort ist leer.", "The reply is empty."),
    (
        "refused.too_long",
        "Die Antwort ist zu lang (höchstens 4096 Zeichen).",
        "The reply is too long (at most 4096 characters).",
    ),
    ("note.heading", "Interne Notiz", "Internal note"),
    ("note.label", "Notiz für Kolleginnen und Kollegen", "Note for colleagues"),
    (
        "note.hint",
        "Wird nie an die Bürgerin / den Bürger gesendet.",
        "Is never sent to the citizen.",
    ),
    ("note.submit", "Notiz speichern", "Save note"),
    ("note.empty", "Die Notiz ist leer.", "The note is empty."),
    ("manage.heading", "Bearbeitung", "Handling"),
    ("assign.submit", "Zuweisen", "Assign"),
    (
        "assign.invalid",
        "Diese Person gehört nicht zu Ihrer Kommune.",
        "This person is not a member of your municipality.",
    ),
    ("flash.sent", "Antwort wird gesendet.", "Reply is being sent."),
    ("flash.noted", "Notiz gespeichert.", "Note saved."),
    ("flash.assigned", "Zuständigkeit gespeichert.", "Assignment saved."),
    ("flash.status", "Status geändert.", "Status changed."),
    ("flash.language", "Sprache geändert.", "Language changed."),
    ("flash.logged_out", "Sie sind abgemeldet.", "You are signed out."),
    (
        "flash.setup_done",
        "Das Konto ist angelegt. Bitte melden Sie sich an.",
        "The account has been created. Please sign in.",
    ),
    ("setup.title", "Erstes Administrationskonto anlegen", "Create the first administrator"),
    (
        "setup.intro",
        "Dieser Link funktioniert nur einmal. Legen Sie hier das Konto an, mit dem Sie Rathaus verwalten.",
        "This link works only once. Create the account you will manage Rathaus with.",
    ),
    ("setup.name", "Name", "Name"),
    ("setup.password", "Passwort", "Password"),
    (
        "setup.password_hint",
        "Mindestens 12 Zeichen.",
        "At least 12 characters.",
    ),
    ("setup.password_confirm", "Passwort wiederholen", "Repeat password"),
    ("setup.submit", "Konto anlegen", "Create account"),
    ("setup.name_missing", "Bitte geben Sie einen Namen an.", "Please enter a name."),
    (
        "setup.email_invalid",
        "Bitte geben Sie eine gültige E-Mail-Adresse an.",
        "Please enter a valid e-mail address.",
    ),
    (
        "setup.password_short",
        "Das Passwort muss mindestens 12 Zeichen lang sein.",
        "The password must be at least 12 characters long.",
    ),
    (
        "setup.password_mismatch",
        "Die beiden Passwörter stimmen nicht überein.",
        "The two passwords do not match.",
    ),
    ("setup.invalid_title", "Link ungültig", "Link not valid"),
    (
        "setup.invalid",
        "Dieser Einrichtungslink ist ungültig, abgelaufen oder wurde schon benutzt.",
        "This setup link is invalid, has expired or has already been used.",
    ),
    ("error.not_found_title", "Nicht gefunden", "Not found"),
    (
        "error.not_found",
        "Diese Seite oder dieses Anliegen gibt es nicht.",
        "This page or concern does not exist.",
    ),
    ("error.forbidden_title", "Keine Berechtigung", "Not permitted"),
    (
        "error.forbidden",
        "Ihre Rolle erlaubt diese Aktion nicht.",
        "Your role does not permit this action.",
    ),
    ("error.internal_title", "Fehler", "Error"),
    (
        "error.internal",
        "Etwas ist schiefgegangen. Bitte versuchen Sie es später noch einmal.",
        "Something went wrong. Please try again later.",
    ),
    ("error.back", "Zur Startseite", "To the start page"),
    ("error.bad_request_title", "Ungültige Anfrage", "Invalid request"),
    (
        "error.no_municipality",
        "Bitte wählen Sie eine Gemeinde aus der Liste.",
        "Please choose a municipality from the list.",
    ),
    (
        "error.not_a_member",
        "Sie gehören dieser Gemeinde nicht an.",
        "You are not a member of this municipality.",
    ),
];

/// The text for `key` in `lang`; an unknown key shows itself, so a missing entry is visible, not silent.
pub fn t(lang: Lang, key: &'static str) -> &'static str {
    match all().find(|(k, _, _)| *k == key) {
        Some((_, de, en)) => match lang {
            Lang::De => de,
            Lang::En => en,
        },
        None => key,
    }
}

/// Every table: the general one, the privacy center's and sign-in security's.
fn all() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    TABLE
        .iter()
        .chain(privacy::TABLE.iter())
        .chain(security::TABLE.iter())
        .chain(passkeys::TABLE.iter())
        .chain(schedule::TABLE.iter())
        .chain(admin::TABLE.iter())
        .chain(sso::TABLE.iter())
        .chain(posts::TABLE.iter())
        .chain(settings::TABLE.iter())
}

/// A language handle for templates: `{{ tr.t("inbox.title") }}`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    pub fn t(&self, key: &'static str) -> &'static str {
        t(self.lang, key)
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_both_languages_filled() {
        let all: Vec<_> = all().collect();
        for (i, (k, de, en)) in all.iter().enumerate() {
            assert!(!de.is_empty() && !en.is_empty(), "{k}");
            assert!(
                all[i + 1..].iter().all(|(k2, _, _)| k2 != k),
                "duplicate {k}"
            );
        }
    }

    #[test]
    fn german_first_english_selectable() {
        assert_eq!(t(Lang::De, "nav.inbox"), "Posteingang");
        assert_eq!(t(Lang::En, "nav.inbox"), "Inbox");
        assert_eq!(Lang::from_code("EN"), Lang::En);
        assert_eq!(Lang::from_code("fr"), Lang::De);
    }

    /// Every key used in the templates and UI code exists in the table.
    #[test]
    fn every_used_key_is_translated() {
        let sources = [
            include_str!("../../templates/base.html"),
            include_str!("../../templates/login.html"),
            include_str!("../../templates/setup.html"),
            include_str!("../../templates/inbox.html"),
            include_str!("../../templates/concern.html"),
            include_str!("../../templates/message.html"),
            include_str!("view.rs"),
            include_str!("auth.rs"),
            include_str!("inbox.rs"),
            include_str!("concern.rs"),
            include_str!("media.rs"),
            include_str!("setup.rs"),
            include_str!("login.rs"),
            include_str!("login_mfa.rs"),
            include_str!("login_sso.rs"),
            include_str!("mfa.rs"),
            include_str!("sessions.rs"),
            include_str!("municipality_switch.rs"),
            include_str!("../../templates/account_nav.html"),
            include_str!("../../templates/account_mfa.html"),
            include_str!("../../templates/account_sessions.html"),
            include_str!("../../templates/recovery_codes.html"),
            include_str!("../../templates/login_mfa.html"),
            include_str!("../../templates/privacy_nav.html"),
            include_str!("../../templates/privacy_requests.html"),
            include_str!("../../templates/privacy_find.html"),
            include_str!("../../templates/privacy_citizen.html"),
            include_str!("../../templates/privacy_erase.html"),
            include_str!("../../templates/privacy_audit.html"),
            include_str!("privacy/mod.rs"),
            include_str!("privacy/requests.rs"),
            include_str!("privacy/find.rs"),
            include_str!("privacy/citizen.rs"),
            include_str!("privacy/audit_log.rs"),
            include_str!("../../templates/live.html"),
            include_str!("../../templates/reports.html"),
            include_str!("live.rs"),
            include_str!("admin/mod.rs"),
            include_str!("../../templates/admin.html"),
            include_str!("admin/staff.rs"),
            include_str!("admin/invitation.rs"),
            include_str!("admin/teams.rs"),
            include_str!("../../templates/admin_teams.html"),
            include_str!("../../templates/admin_staff.html"),
            include_str!("../../templates/admin_nav.html"),
            include_str!("../../templates/admin_invitation.html"),
            include_str!("../reports/mod.rs"),
            include_str!("../reports/view_model.rs"),
            include_str!("posts/compose.rs"),
            include_str!("posts/show.rs"),
            include_str!("posts/mod.rs"),
            include_str!("posts/preview.rs"),
            include_str!("../../templates/posts_list.html"),
            include_str!("../../templates/posts_compose.html"),
            include_str!("../../templates/posts_show.html"),
        ];
        let prefixes = [
            "nav.",
            "login.",
            "inbox.",
            "status.",
            "action.",
            "concern.",
            "msg.",
            "kind.",
            "delivery.",
            "media.",
            "reply.",
            "refused.",
            "note.",
            "manage.",
            "assign.",
            "flash.",
            "setup.",
            "error.",
            "privacy.",
            "retention.",
            "account.",
            "mfa.",
            "sessions.",
            "live.",
            "reports.",
            "admin.",
            "sso.",
            "posts.",
        ];
        for src in sources {
            // Every `"word.word"` literal with a known prefix is a key, however the quotes pair up.
            for (i, _) in src.match_indices('"') {
                let rest = &src[i + 1..];
                let len = rest
                    .find(|c: char| !(c.is_ascii_lowercase() || c == '.' || c == '_'))
                    .unwrap_or(rest.len());
                let piece = &rest[..len];
                let closed = rest[len..].starts_with('"');
                let looks_like_key = closed
                    && prefixes.iter().any(|p| piece.starts_with(p))
                    && !piece.ends_with(".html")
                    && !piece.ends_with(".rs");
                if looks_like_key {
                    assert!(
                        all().any(|(k, _, _)| *k == piece),
                        "untranslated key {piece}"
                    );
                }
            }
        }
    }
}

//! Translations of staff passkeys: the account page, signing in with one, and why one was refused.

pub(super) const TABLE: &[(&str, &str, &str)] = &[
    ("account.nav_passkeys", "Passkeys", "Passkeys"),
    ("passkey.title", "Passkeys", "Passkeys"),
    (
        "passkey.intro",
        "Mit einem Passkey melden Sie sich ohne Passwort an – mit dem Fingerabdruck, der Gesichtserkennung oder der PIN Ihres Geräts oder Sicherheitsschlüssels. Ein Passkey zählt auch als zweiter Faktor nach dem Passwort. Gespeichert werden nur die Kennung und der öffentliche Schlüssel des Passkeys, sein Zähler, der Name, den Sie ihm geben, und wann er angelegt und zuletzt benutzt wurde.",
        "A passkey signs you in without a password – with the fingerprint, face recognition or PIN of your device or security key. A passkey also counts as the second factor after the password. Only the passkey's id and public key, its counter, the name you give it, and when it was added and last used are stored.",
    ),
    ("passkey.none", "Sie haben noch keinen Passkey.", "You have no passkey yet."),
    ("passkey.caption", "Ihre Passkeys", "Your passkeys"),
    ("passkey.col_name", "Name", "Name"),
    ("passkey.col_created", "Angelegt", "Added"),
    ("passkey.col_last_used", "Zuletzt benutzt", "Last used"),
    ("passkey.col_action", "Aktion", "Action"),
    ("passkey.never_used", "noch nie", "never"),
    ("passkey.remove", "Entfernen", "Remove"),
    ("passkey.add_heading", "Passkey hinzufügen", "Add a passkey"),
    (
        "passkey.needs_js",
        "Zum Anlegen eines Passkeys braucht der Browser JavaScript und Passkey-Unterstützung.",
        "Adding a passkey needs a browser with JavaScript and passkey support.",
    ),
    ("passkey.name_label", "Name des Passkeys", "Name of the passkey"),
    (
        "passkey.name_hint",
        "Damit Sie ihn wiedererkennen, zum Beispiel „Dienstlaptop“ (höchstens 60 Zeichen).",
        "So you recognise it, for example “Work laptop” (at most 60 characters).",
    ),
    ("passkey.add_submit", "Passkey anlegen", "Create passkey"),
    ("passkey.sign_in", "Mit Passkey anmelden", "Sign in with a passkey"),
    ("passkey.second_factor", "Mit Passkey bestätigen", "Confirm with a passkey"),
    (
        "passkey.second_intro",
        "Bestätigen Sie die Anmeldung mit Ihrem Passkey.",
        "Confirm the sign-in with your passkey.",
    ),
    (
        "passkey.needs_js_sign_in",
        "Die Anmeldung mit einem Passkey braucht JavaScript. Bitte schalten Sie es für diese Seite ein.",
        "Signing in with a passkey needs JavaScript. Please allow it for this site.",
    ),
    ("passkey.flash_added", "Der Passkey wurde hinzugefügt.", "The passkey was added."),
    ("passkey.flash_removed", "Der Passkey wurde entfernt.", "The passkey was removed."),
    (
        "passkey.failed",
        "Der Passkey konnte nicht verwendet werden. Bitte versuchen Sie es noch einmal.",
        "The passkey could not be used. Please try again.",
    ),
    (
        "passkey.name_invalid",
        "Bitte geben Sie dem Passkey einen Namen mit höchstens 60 Zeichen.",
        "Please give the passkey a name of at most 60 characters.",
    ),
    (
        "passkey.refused",
        "Der Passkey wurde abgelehnt.",
        "The passkey was refused.",
    ),
    (
        "passkey.already_registered",
        "Dieser Passkey ist bereits angelegt.",
        "This passkey is registered already.",
    ),
    (
        "passkey.last_factor",
        "Das ist Ihr einziger zweiter Faktor, und Ihre Rolle verlangt einen. Richten Sie zuerst einen weiteren Passkey oder die Authenticator-App ein.",
        "This is your only second factor, and your role requires one. Set up another passkey or the authenticator app first.",
    ),
    (
        "passkey.fresh_sign_in",
        "Diese Sitzung wurde ohne zweiten Faktor geöffnet. Bitte melden Sie sich mit Ihrem zweiten Faktor neu an, um Passkeys zu ändern.",
        "This session was opened without a second factor. Please sign in again with your second factor to change passkeys.",
    ),
    (
        "passkey.expired",
        "Die Anmeldung mit dem Passkey ist abgelaufen oder wurde schon verwendet. Bitte starten Sie sie noch einmal.",
        "The passkey sign-in has expired or was used already. Please start it again.",
    ),
];

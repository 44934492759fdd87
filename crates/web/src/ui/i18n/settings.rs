//! Translations of the settings pages' entries on the administration landing page.

pub(super) const TABLE: &[(&str, &str, &str)] = &[
    ("settings.section", "Einstellungen", "Settings"),
    (
        "settings.section_text",
        "Öffnungszeiten, Sprechstunden, Antwortzeit-Ziele, Texte, Schlüsselwörter und Dokumenttexte ändern; gilt sofort.",
        "Change office hours, consultation hours, response-time targets, texts, keywords and document texts; applies at once.",
    ),
    ("settings.channels", "Kanäle und Zugangsdaten", "Channels and credentials"),
    (
        "settings.channels_text",
        "Tokens und Geheimnisse für WhatsApp und Telegram eingeben; verschlüsselt gespeichert, nie wieder angezeigt.",
        "Enter tokens and secrets for WhatsApp and Telegram; stored encrypted, never shown again.",
    ),
];
